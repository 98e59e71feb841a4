//! `GET /worker` (every FIFO and pinned worker of every node) and `DELETE /worker`
//! (stop workers now, wherever they run).

use hyper::{Response, StatusCode};
use serde_json::{Value, json};

use crate::api::envelope::{self, Body};
use crate::api::error::ApiError;
use crate::api::{ApiState, Req};
use crate::queue::job::{ErrorKind, JobError, pinned_queue_name};
use crate::queue::registry::{ControlMessage, WorkerInfo};

/// Workers matching the request's filters: `queue` wins over `node` and `host`.
async fn select(state: &ApiState, req: &Req) -> Result<Vec<WorkerInfo>, ApiError> {
    let mut workers = state.store.workers().await?;
    if let Some(q) = req.param("queue") {
        workers.retain(|w| w.queues.iter().any(|x| x == q));
    } else {
        if let Some(n) = req.param("node") {
            workers.retain(|w| w.node == n);
        }
        if let Some(h) = req.param("host") {
            let exact = pinned_queue_name(h, 22);
            let with_port = format!("{exact}:");
            workers.retain(|w| w.queues.iter().any(|q| *q == exact || q.starts_with(&with_port)));
        }
    }
    Ok(workers)
}

pub async fn get(state: &ApiState, req: &Req) -> Result<Response<Body>, ApiError> {
    req.only_params(&["queue", "node", "host"])?;
    Ok(envelope::ok(StatusCode::OK, &select(state, req).await?))
}

/// Stop one worker: fail its running job as `WorkerTerminated`, tell its node.
async fn stop(state: &ApiState, w: &WorkerInfo) -> Result<Value, ApiError> {
    let mut interrupted = 0;
    if let Some(job) = &w.current_job {
        let err = JobError::new(
            ErrorKind::WorkerTerminated,
            format!("worker {} was stopped through DELETE /worker while running this job", w.name),
        );
        if state.store.interrupt(job, &w.name, err).await? {
            interrupted = 1;
        }
    }
    state.store.send_control(&w.node, &ControlMessage::StopWorker { worker: w.name.clone() }).await?;
    Ok(json!({"worker": w.name, "status": "stopped", "interrupted_jobs": interrupted}))
}

pub async fn delete(state: &ApiState, req: &Req) -> Result<Response<Body>, ApiError> {
    req.only_params(&["name", "queue", "node", "host"])?;
    if let Some(name) = req.param("name") {
        let all = state.store.workers().await?;
        let w = all
            .iter()
            .find(|w| w.name == name)
            .ok_or_else(|| ApiError::NotFound(format!("no worker named {name:?}; GET /worker lists them")))?;
        return Ok(envelope::ok(StatusCode::OK, &stop(state, w).await?));
    }
    if req.param("queue").is_none() && req.param("node").is_none() && req.param("host").is_none() {
        return Err(ApiError::BadRequest(
            "give `name`, `queue`, `node` or `host` to say which workers to stop".into(),
        ));
    }
    let mut stopped = Vec::new();
    for w in select(state, req).await? {
        stopped.push(stop(state, &w).await?);
    }
    Ok(envelope::ok(StatusCode::OK, &stopped))
}
