//! `GET /job` (query) and `DELETE /job` (cancel queued jobs).

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use serde_json::json;

use crate::api::ApiState;
use crate::api::envelope;
use crate::api::error::ApiError;
use crate::api::extract::{Params, QueryParams};
use crate::queue::store::CancelOutcome;
use crate::queue::{JobFilter, JobStatus};

const DEFAULT_LIMIT: usize = 100;
const MAX_LIMIT: usize = 1000;

/// `GET /job`: one job by `id`, or a filtered page of jobs.
#[derive(Deserialize)]
pub struct JobQuery {
    id: Option<String>,
    queue: Option<String>,
    status: Option<String>,
    node: Option<String>,
    host: Option<String>,
    limit: Option<String>,
    offset: Option<String>,
    /// `true`: every command and configuration line in a listing, not a preview.
    full: Option<String>,
}

impl QueryParams for JobQuery {
    const NAMES: &'static [&'static str] =
        &["id", "queue", "status", "node", "host", "limit", "offset", "full"];
}

/// `DELETE /job`: cancel one job by `id`, or the queued jobs of a queue or host.
#[derive(Deserialize)]
pub struct CancelQuery {
    id: Option<String>,
    queue: Option<String>,
    host: Option<String>,
}

impl QueryParams for CancelQuery {
    const NAMES: &'static [&'static str] = &["id", "queue", "host"];
}

/// Lines of `command` a listing shows, and characters of each.
const PREVIEW_LINES: usize = 5;
const PREVIEW_CHARS: usize = 200;

/// A listing's compact form of a job: the first lines of its commands or
/// configuration, each cut short, and how many lines there were
/// (`GET /job?id=` and `full=true` give them whole).
fn preview(job: &mut crate::queue::JobRecord) {
    let long = job.command.iter().any(|l| l.chars().count() > PREVIEW_CHARS);
    if job.command.len() <= PREVIEW_LINES && !long {
        return;
    }
    job.command_lines = Some(job.command.len());
    job.command.truncate(PREVIEW_LINES);
    for line in &mut job.command {
        if let Some((i, _)) = line.char_indices().nth(PREVIEW_CHARS) {
            line.truncate(i);
            line.push('…');
        }
    }
}

fn number(value: Option<&str>, name: &str, default: usize, max: usize) -> Result<usize, ApiError> {
    match value {
        None => Ok(default),
        Some(v) => v.parse::<usize>().ok().filter(|n| *n <= max).ok_or_else(|| {
            ApiError::BadRequest(format!("`{name}` must be a whole number from 0 to {max}, got {v:?}"))
        }),
    }
}

pub async fn get(
    State(state): State<Arc<ApiState>>,
    Params(q): Params<JobQuery>,
) -> Result<Response, ApiError> {
    if let Some(id) = q.id.as_deref() {
        let job = state.store.get(id).await?.ok_or_else(|| {
            ApiError::NotFound(format!("no job with id {id:?} (it never existed or its record has expired)"))
        })?;
        return Ok(envelope::ok(StatusCode::OK, &[job]));
    }
    let status =
        q.status.as_deref().map(|s| s.parse::<JobStatus>().map_err(ApiError::BadRequest)).transpose()?;
    let limit = number(q.limit.as_deref(), "limit", DEFAULT_LIMIT, MAX_LIMIT)?.max(1);
    let offset = number(q.offset.as_deref(), "offset", 0, usize::MAX)?;
    let filter = JobFilter { queue: q.queue, status, node: q.node, host: q.host };
    let full = match q.full.as_deref() {
        None | Some("false" | "0") => false,
        Some("true" | "1") => true,
        Some(other) => {
            return Err(ApiError::BadRequest(format!("`full` must be true or false, got {other:?}")));
        }
    };
    let mut jobs = state.store.list(&filter, limit, offset).await?;
    if !full {
        jobs.iter_mut().for_each(preview);
    }
    Ok(envelope::ok(StatusCode::OK, &jobs))
}

pub async fn delete(
    State(state): State<Arc<ApiState>>,
    Params(q): Params<CancelQuery>,
) -> Result<Response, ApiError> {
    if let Some(id) = q.id.as_deref() {
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
    let (queue, host) = (q.queue.as_deref(), q.host.as_deref());
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
