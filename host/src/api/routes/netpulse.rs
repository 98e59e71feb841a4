//! NetPulse 0.4.3's own management routes, in its flattened models (no envelope),
//! beside the spec's `/job` and `/worker`: `GET /jobs`, `GET`/`DELETE /jobs/{id}`,
//! `DELETE /jobs`, `GET /workers`, `DELETE /workers/{name}`, `DELETE /workers`,
//! `GET /system/stats`. They read and change what `/job` and `/worker` do, through
//! the same code (`job_ops.rs`; `worker.rs`'s selection and stopping). Our
//! semantics stay: statuses are ours (`failed` with `result.error.type`,
//! `cancelled`), and where NetPulse's model has no room for what we know, fields
//! are added, never dropped.
//!
//! Errors here are FastAPI's `{"detail": ...}` ([`FlatError`]) with the status
//! `ApiError` gives. The shapes of the device routes in compat mode
//! (`compat = "netpulse-0.4"`) are built here too ([`job_in_response`],
//! [`device_error`]).

use std::collections::BTreeSet;
use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::job_ops::{self, Listing};
use super::worker;
use crate::api::ApiState;
use crate::api::envelope;
use crate::api::error::ApiError;
use crate::api::extract::{NoParams, Params, QueryParams};
use crate::config::Compat;
use crate::model::job::{ErrorKind, JobError, JobRecord, ResultType, Retval};
use crate::model::time::to_rfc3339;
use crate::model::{FIFO_QUEUE, PINNED_PREFIX, QueueName, WorkerStatus};
use crate::queue::{JobFilter, JobStatus, StoreError};

/// An error answered as FastAPI does: `{"detail": message}` (and `data` when the
/// error carries some), with the status `ApiError::status` gives it.
pub struct FlatError(pub ApiError);

impl From<ApiError> for FlatError {
    fn from(e: ApiError) -> Self {
        FlatError(e)
    }
}

impl From<StoreError> for FlatError {
    fn from(e: StoreError) -> Self {
        FlatError(e.into())
    }
}

impl IntoResponse for FlatError {
    fn into_response(self) -> Response {
        let e = self.0;
        if e.status().is_server_error() {
            tracing::warn!("{e}");
        }
        let data = e.data();
        let body = if data.is_null() {
            json!({"detail": e.to_string()})
        } else {
            json!({"detail": e.to_string(), "data": data})
        };
        envelope::flat(e.status(), &body)
    }
}

/// Whether the device routes answer NetPulse 0.4's shapes.
pub fn compat(state: &ApiState) -> bool {
    state.settings.compat == Some(Compat::NetPulse04)
}

/// A device route's error: the envelope, or `{"detail": ...}` in compat mode.
pub fn device_error(state: &ApiState, e: ApiError) -> Response {
    if compat(state) { FlatError(e).into_response() } else { e.into_response() }
}

/// NetPulse's `JobInResponse` for one of our records. `result.type` is NetPulse's
/// integer (1 successful, 2 failed, 3 stopped: a job failed as `WorkerTerminated`);
/// added: `result.outcome` (our `success`/`failed`), `host`, `node`,
/// `device_type`, `waiting_reason`. `task_id` is always null (no detached tasks).
#[derive(Serialize, utoipa::ToSchema)]
pub struct JobInResponse<'a> {
    id: &'a str,
    status: JobStatus,
    created_at: Option<String>,
    enqueued_at: Option<String>,
    started_at: Option<String>,
    ended_at: Option<String>,
    queue: &'a QueueName,
    worker: Option<&'a str>,
    result: Option<FlatResult<'a>>,
    task_id: Option<&'a str>,
    device_name: &'a str,
    command: &'a [String],
    duration: Option<f64>,
    queue_time: Option<f64>,
    host: &'a str,
    node: Option<&'a str>,
    device_type: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    waiting_reason: Option<&'a str>,
}

#[derive(Serialize, utoipa::ToSchema)]
struct FlatResult<'a> {
    /// 1 successful, 2 failed, 3 stopped (the worker was stopped).
    #[serde(rename = "type")]
    code: u8,
    #[schema(value_type = Option<Value>)]
    retval: Option<&'a Retval>,
    error: Option<&'a JobError>,
    /// Our own word for how the job ended (`success` or `failed`, as `/job` says).
    outcome: &'a ResultType,
}

/// The flattened form of `job`.
pub fn job_in_response(job: &JobRecord) -> JobInResponse<'_> {
    let time = |t: &Option<_>| t.as_ref().map(to_rfc3339);
    let result = job.result.as_ref().map(|r| FlatResult {
        code: match (&r.kind, &r.error) {
            (ResultType::Success, _) => 1,
            (_, Some(e)) if e.kind == ErrorKind::WorkerTerminated => 3,
            _ => 2,
        },
        retval: r.retval.as_ref(),
        error: r.error.as_ref(),
        outcome: &r.kind,
    });
    JobInResponse {
        id: &job.id,
        status: job.status,
        created_at: time(&job.created_at),
        enqueued_at: time(&job.enqueued_at),
        started_at: time(&job.started_at),
        ended_at: time(&job.ended_at),
        queue: &job.queue,
        worker: job.worker.as_deref(),
        result,
        task_id: None,
        device_name: &job.host,
        command: &job.command,
        duration: job.duration,
        queue_time: job.queue_time,
        host: &job.host,
        node: job.node.as_deref(),
        device_type: &job.device_type,
        waiting_reason: job.waiting_reason.as_deref(),
    }
}

fn ok<T: Serialize>(body: &T) -> Result<Response, FlatError> {
    Ok(envelope::flat(StatusCode::OK, body))
}

/// `DELETE /jobs`: cancel the queued jobs of a queue or a host.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CancelQuery {
    /// Cancel the queued jobs of this queue.
    queue: Option<String>,
    /// Cancel the queued jobs for this device.
    host: Option<String>,
}

impl QueryParams for CancelQuery {
    const NAMES: &'static [&'static str] = &["queue", "host"];
}

/// `GET /jobs`: a list of `JobInResponse`.
pub async fn get_jobs(
    State(state): State<Arc<ApiState>>,
    q: Result<Params<Listing>, ApiError>,
) -> Result<Response, FlatError> {
    // NetPulse's filters, plus our `limit` and `offset`.
    let jobs = job_ops::list(&state, q?.0).await?;
    ok(&jobs.iter().map(job_in_response).collect::<Vec<_>>())
}

/// `GET /jobs/{id}`'s query: the long poll.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct WaitQuery {
    /// Hold the request until the job ends or this many seconds pass (at most 60).
    #[param(value_type = Option<f64>, maximum = 60)]
    wait: Option<String>,
}

impl QueryParams for WaitQuery {
    const NAMES: &'static [&'static str] = &["wait"];
}

/// `GET /jobs/{id}`: one `JobInResponse`.
pub async fn get_job(
    State(state): State<Arc<ApiState>>,
    Path(id): Path<String>,
    q: Result<Params<WaitQuery>, ApiError>,
) -> Result<Response, FlatError> {
    let wait = job_ops::wait_param(q?.0.wait.as_deref())?;
    let job = job_ops::find_waiting(&state, &id, wait).await?;
    ok(&job_in_response(&job))
}

/// `DELETE /jobs/{id}`: `{"id": ..., "status": "cancelled"}`.
pub async fn delete_job(
    State(state): State<Arc<ApiState>>,
    Path(id): Path<String>,
    q: Result<Params<NoParams>, ApiError>,
) -> Result<Response, FlatError> {
    q?;
    job_ops::cancel_one(&state, &id).await?;
    ok(&json!({"id": id, "status": "cancelled"}))
}

/// `DELETE /jobs?queue=&host=`: the ids cancelled.
pub async fn delete_jobs(
    State(state): State<Arc<ApiState>>,
    q: Result<Params<CancelQuery>, ApiError>,
) -> Result<Response, FlatError> {
    let q = q?.0;
    ok(&job_ops::cancel_queued(&state, q.queue.as_deref(), q.host.as_deref()).await?)
}

/// `GET /workers?queue=&node=&host=`: a list of `WorkerInResponse` (ours has every
/// field of NetPulse's, plus `node` and `current_job`).
pub async fn get_workers(
    State(state): State<Arc<ApiState>>,
    q: Result<Params<worker::ListQuery>, ApiError>,
) -> Result<Response, FlatError> {
    ok(&worker::select(&state, &q?.0.filter).await?)
}

/// `DELETE /workers/{name}`: `{"name": ...}`, plus `status` and `interrupted_jobs`.
/// Our worker names hold slashes (`<node>/pinned_<host>`), so the name is the
/// rest of the path.
pub async fn delete_worker(
    State(state): State<Arc<ApiState>>,
    Path(name): Path<String>,
    q: Result<Params<NoParams>, ApiError>,
) -> Result<Response, FlatError> {
    q?;
    let mut stopped = worker::stop_named(&state, &name).await?;
    if let Some(o) = stopped.as_object_mut() {
        o.remove("worker");
        o.insert("name".into(), Value::String(name));
    }
    ok(&stopped)
}

/// `DELETE /workers?queue=&node=&host=`: the names of the workers stopped, as
/// NetPulse lists them (a job a stop interrupted reads `failed` /
/// `WorkerTerminated` in `GET /jobs`).
pub async fn delete_workers(
    State(state): State<Arc<ApiState>>,
    q: Result<Params<worker::ListQuery>, ApiError>,
) -> Result<Response, FlatError> {
    let stopped = worker::stop_matching(&state, &q?.0.filter).await?;
    let names: Vec<&Value> = stopped.iter().map(|s| &s["worker"]).collect();
    ok(&names)
}

/// `GET /system/stats`: NetPulse's `SystemStatsResponse`.
///
/// Exact: the worker counts (live workers; `dead` is added), `jobs.queued` (the
/// queues' lengths), `nodes.active` (nodes with a live worker), `uptime_seconds`
/// (this API process). Approximate: `jobs.succeeded` / `failed` / `in_progress`
/// count the records still kept (ended jobs expire after their `result_ttl`, as
/// NetPulse's registries do), read through the status indexes at the moment of
/// the request; `nodes.total_capacity` assumes every node has this process's
/// `node.capacity` (nodes do not publish theirs); `self_healing.total_triggers` is
/// always 0 (we keep no count of reopened sessions). `workers.node` is 0: there
/// are no per-node queues.
pub async fn system_stats(
    State(state): State<Arc<ApiState>>,
    q: Result<Params<NoParams>, ApiError>,
) -> Result<Response, FlatError> {
    q?;
    let workers = state.store.workers().await?;
    let live: Vec<_> = workers.iter().filter(|w| w.status != WorkerStatus::Dead).collect();
    let pinned = live.iter().filter(|w| w.queues.iter().any(|q| q.starts_with(PINNED_PREFIX))).count();
    let fifo = live.iter().filter(|w| w.queues.iter().any(|q| q == FIFO_QUEUE)).count();
    let busy = live.iter().filter(|w| w.status == WorkerStatus::Busy).count();
    let nodes: BTreeSet<&str> = live.iter().map(|w| w.node.as_str()).collect();
    let count = |status| {
        let filter = JobFilter { status: Some(status), ..Default::default() };
        let store = &state.store;
        async move { store.list(&filter, usize::MAX, 0).await.map(|v| v.len()) }
    };
    let succeeded = count(JobStatus::Finished).await?;
    let failed = count(JobStatus::Failed).await?;
    let in_progress = count(JobStatus::Started).await?;
    let queued: u64 = state.store.queue_depths().await?.values().sum();
    let queued = queued as usize;
    ok(&json!({
        "status": "online",
        "workers": {
            "total": live.len(),
            "pinned": pinned,
            "fifo": fifo,
            "node": 0,
            "idle": live.len() - busy,
            "busy": busy,
            "dead": workers.len() - live.len(),
        },
        "jobs": {
            "total": succeeded + failed + in_progress + queued,
            "succeeded": succeeded,
            "failed": failed,
            "in_progress": in_progress,
            "queued": queued,
        },
        "nodes": {
            "active": nodes.len(),
            "total_capacity": nodes.len() * state.settings.node.capacity,
        },
        "self_healing": {"total_triggers": 0},
        "uptime_seconds": state.started.elapsed().as_secs(),
    }))
}
