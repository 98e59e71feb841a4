//! `GET /worker` (every FIFO and pinned worker of every node) and `DELETE /worker`
//! (stop workers now, wherever they run).

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::api::ApiState;
use crate::api::envelope;
use crate::api::error::ApiError;
use crate::api::extract::{Params, QueryParams};
use crate::queue::job::{ErrorKind, JobError, pinned_queue_name};
use crate::queue::registry::{ControlMessage, WorkerInfo};

/// Which workers: by `name` (`DELETE` only), `queue`, or `node` and `host`.
#[derive(Deserialize)]
pub struct WorkerQuery {
    name: Option<String>,
    queue: Option<String>,
    node: Option<String>,
    host: Option<String>,
}

/// `GET /worker` takes the filters but not `name`.
#[derive(Deserialize)]
pub struct ListQuery {
    #[serde(flatten)]
    filter: WorkerQuery,
}

impl QueryParams for ListQuery {
    const NAMES: &'static [&'static str] = &["queue", "node", "host"];
}

impl QueryParams for WorkerQuery {
    const NAMES: &'static [&'static str] = &["name", "queue", "node", "host"];
}

/// Workers matching the request's filters: `queue` wins over `node` and `host`.
async fn select(state: &ApiState, q: &WorkerQuery) -> Result<Vec<WorkerInfo>, ApiError> {
    let mut workers = state.store.workers().await?;
    if let Some(queue) = q.queue.as_deref() {
        workers.retain(|w| w.queues.iter().any(|x| x == queue));
    } else {
        if let Some(n) = q.node.as_deref() {
            workers.retain(|w| w.node == n);
        }
        if let Some(h) = q.host.as_deref() {
            let exact = pinned_queue_name(h, 22);
            let with_port = format!("{exact}:");
            workers.retain(|w| w.queues.iter().any(|q| *q == exact || q.starts_with(&with_port)));
        }
    }
    Ok(workers)
}

pub async fn get(
    State(state): State<Arc<ApiState>>,
    Params(q): Params<ListQuery>,
) -> Result<Response, ApiError> {
    Ok(envelope::ok(StatusCode::OK, &select(&state, &q.filter).await?))
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

pub async fn delete(
    State(state): State<Arc<ApiState>>,
    Params(q): Params<WorkerQuery>,
) -> Result<Response, ApiError> {
    let state = &*state;
    if let Some(name) = q.name.as_deref() {
        let all = state.store.workers().await?;
        let w = all
            .iter()
            .find(|w| w.name == name)
            .ok_or_else(|| ApiError::NotFound(format!("no worker named {name:?}; GET /worker lists them")))?;
        return Ok(envelope::ok(StatusCode::OK, &stop(state, w).await?));
    }
    if q.queue.is_none() && q.node.is_none() && q.host.is_none() {
        return Err(ApiError::BadRequest(
            "give `name`, `queue`, `node` or `host` to say which workers to stop".into(),
        ));
    }
    let mut stopped = Vec::new();
    for w in select(state, &q).await? {
        stopped.push(stop(state, &w).await?);
    }
    Ok(envelope::ok(StatusCode::OK, &stopped))
}
