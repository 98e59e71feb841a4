//! `GET /worker` (every FIFO and pinned worker of every node) and `DELETE /worker`
//! (stop workers now, wherever they run). The selection and stopping are shared
//! with NetPulse's `/workers` routes (`netpulse.rs`).

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
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct WorkerQuery {
    /// The worker called this (wins over the filters).
    name: Option<String>,
    /// Workers serving this queue (wins over `node` and `host`).
    queue: Option<String>,
    /// Workers of this node.
    node: Option<String>,
    /// The pinned worker of this device.
    host: Option<String>,
}

/// `GET /worker` takes the filters but not `name`.
#[derive(Deserialize)]
pub struct ListQuery {
    #[serde(flatten)]
    pub(super) filter: WorkerQuery,
}

impl QueryParams for ListQuery {
    const NAMES: &'static [&'static str] = &["queue", "node", "host"];
}

impl QueryParams for WorkerQuery {
    const NAMES: &'static [&'static str] = &["name", "queue", "node", "host"];
}

/// Workers matching the request's filters: `queue` wins over `node` and `host`.
pub(super) async fn select(state: &ApiState, q: &WorkerQuery) -> Result<Vec<WorkerInfo>, ApiError> {
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
            format!(
                "worker {} was stopped through the API (DELETE /worker or /workers) while running this job",
                w.name
            ),
        );
        if state.store.interrupt(job, &w.name, err).await? {
            interrupted = 1;
        }
    }
    state.store.send_control(&w.node, &ControlMessage::StopWorker { worker: w.name.clone() }).await?;
    Ok(json!({"worker": w.name, "status": "stopped", "interrupted_jobs": interrupted}))
}

/// Stop the worker called `name`; 404 when there is none.
pub(super) async fn stop_named(state: &ApiState, name: &str) -> Result<Value, ApiError> {
    let all = state.store.workers().await?;
    let w = all
        .iter()
        .find(|w| w.name == name)
        .ok_or_else(|| ApiError::NotFound(format!("no worker named {name:?}; GET /worker lists them")))?;
    stop(state, w).await
}

/// Stop every worker `q` selects; a request with no filter at all is refused.
pub(super) async fn stop_matching(state: &ApiState, q: &WorkerQuery) -> Result<Vec<Value>, ApiError> {
    if q.queue.is_none() && q.node.is_none() && q.host.is_none() {
        return Err(ApiError::BadRequest(
            "give `name`, `queue`, `node` or `host` to say which workers to stop".into(),
        ));
    }
    let mut stopped = Vec::new();
    for w in select(state, q).await? {
        stopped.push(stop(state, &w).await?);
    }
    Ok(stopped)
}

pub async fn delete(
    State(state): State<Arc<ApiState>>,
    Params(q): Params<WorkerQuery>,
) -> Result<Response, ApiError> {
    if let Some(name) = q.name.as_deref() {
        return Ok(envelope::ok(StatusCode::OK, &stop_named(&state, name).await?));
    }
    Ok(envelope::ok(StatusCode::OK, &stop_matching(&state, &q).await?))
}
