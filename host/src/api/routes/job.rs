//! `GET /job` (query) and `DELETE /job` (cancel queued jobs).

use hyper::{Response, StatusCode};
use serde_json::json;

use crate::api::envelope::{self, Body};
use crate::api::error::ApiError;
use crate::api::{ApiState, Req};
use crate::queue::store::CancelOutcome;
use crate::queue::{JobFilter, JobStatus};

const DEFAULT_LIMIT: usize = 100;
const MAX_LIMIT: usize = 1000;

fn number(req: &Req, name: &str, default: usize, max: usize) -> Result<usize, ApiError> {
    match req.param(name) {
        None => Ok(default),
        Some(v) => v.parse::<usize>().ok().filter(|n| *n <= max).ok_or_else(|| {
            ApiError::BadRequest(format!("`{name}` must be a whole number from 0 to {max}, got {v:?}"))
        }),
    }
}

pub async fn get(state: &ApiState, req: &Req) -> Result<Response<Body>, ApiError> {
    req.only_params(&["id", "queue", "status", "node", "host", "limit", "offset"])?;
    if let Some(id) = req.param("id") {
        let job = state.store.get(id).await?.ok_or_else(|| {
            ApiError::NotFound(format!("no job with id {id:?} (it never existed or its record has expired)"))
        })?;
        return Ok(envelope::ok(StatusCode::OK, &[job]));
    }
    let status =
        req.param("status").map(|s| s.parse::<JobStatus>().map_err(ApiError::BadRequest)).transpose()?;
    let filter = JobFilter {
        queue: req.param("queue").map(str::to_string),
        status,
        node: req.param("node").map(str::to_string),
        host: req.param("host").map(str::to_string),
    };
    let limit = number(req, "limit", DEFAULT_LIMIT, MAX_LIMIT)?.max(1);
    let offset = number(req, "offset", 0, usize::MAX)?;
    let jobs = state.store.list(&filter, limit, offset).await?;
    Ok(envelope::ok(StatusCode::OK, &jobs))
}

pub async fn delete(state: &ApiState, req: &Req) -> Result<Response<Body>, ApiError> {
    req.only_params(&["id", "queue", "host"])?;
    if let Some(id) = req.param("id") {
        return match state.store.cancel(id).await? {
            CancelOutcome::Cancelled => {
                Ok(envelope::ok(StatusCode::OK, &json!({"cancelled_count": 1, "cancelled_jobs": [id]})))
            }
            CancelOutcome::NotQueued(st) => {
                Err(ApiError::Conflict(format!("job {id} is {st}: only queued jobs can be cancelled")))
            }
            CancelOutcome::Missing => Err(ApiError::NotFound(format!(
                "no job with id {id:?} (it never existed or its record has expired)"
            ))),
        };
    }
    let queue = req.param("queue");
    let host = req.param("host");
    if queue.is_none() && host.is_none() {
        return Err(ApiError::BadRequest("give `id`, `queue` or `host` to say which jobs to cancel".into()));
    }
    let candidates: Vec<String> = match (queue, host) {
        (Some(q), _) => state.store.queued_ids(q).await?,
        (None, Some(h)) => {
            let filter = JobFilter {
                host: Some(h.to_string()),
                status: Some(JobStatus::Queued),
                ..Default::default()
            };
            state.store.list(&filter, usize::MAX, 0).await?.into_iter().map(|j| j.id).collect()
        }
        (None, None) => unreachable!("checked above"),
    };
    let mut cancelled = Vec::new();
    for id in candidates {
        if let (Some(h), Some(_)) = (host, queue) {
            // Both filters: the job must also be for that host.
            if state.store.get(&id).await?.is_none_or(|j| j.host != h) {
                continue;
            }
        }
        if state.store.cancel(&id).await? == CancelOutcome::Cancelled {
            cancelled.push(id);
        }
    }
    Ok(envelope::ok(
        StatusCode::OK,
        &json!({"cancelled_count": cancelled.len(), "cancelled_jobs": cancelled}),
    ))
}
