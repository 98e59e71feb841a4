//! What `/job` (the spec's) and `/jobs` (NetPulse's) both do with jobs: find one,
//! list a filtered page, cancel one, cancel the queued jobs of a queue or host.
//! The routes differ only in their query names and answer shapes.

use crate::api::ApiState;
use crate::api::error::ApiError;
use crate::queue::store::CancelOutcome;
use crate::queue::{JobFilter, JobRecord, JobStatus};

const DEFAULT_LIMIT: usize = 100;
const MAX_LIMIT: usize = 1000;

/// The 404 for a job id with no record.
pub(super) fn missing_job(id: &str) -> ApiError {
    ApiError::NotFound(format!("no job with id {id:?} (it never existed or its record has expired)"))
}

fn number(value: Option<&str>, name: &str, default: usize, max: usize) -> Result<usize, ApiError> {
    match value {
        None => Ok(default),
        Some(v) => v.parse::<usize>().ok().filter(|n| *n <= max).ok_or_else(|| {
            ApiError::BadRequest(format!("`{name}` must be a whole number from 0 to {max}, got {v:?}"))
        }),
    }
}

/// The filters and page of a job listing, as the query string gave them (the
/// whole query of `GET /jobs`, part of `GET /job`'s).
#[derive(Default, serde::Deserialize)]
pub struct Listing {
    pub queue: Option<String>,
    pub status: Option<String>,
    pub node: Option<String>,
    pub host: Option<String>,
    pub limit: Option<String>,
    pub offset: Option<String>,
}

impl crate::api::extract::QueryParams for Listing {
    const NAMES: &'static [&'static str] = &["queue", "status", "node", "host", "limit", "offset"];
}

/// One job; 404 when it has no record.
pub(super) async fn find(state: &ApiState, id: &str) -> Result<JobRecord, ApiError> {
    state.store.get(id).await?.ok_or_else(|| missing_job(id))
}

/// A page of jobs matching the filters, newest first.
pub(super) async fn list(state: &ApiState, q: Listing) -> Result<Vec<JobRecord>, ApiError> {
    let status =
        q.status.as_deref().map(|s| s.parse::<JobStatus>().map_err(ApiError::BadRequest)).transpose()?;
    let limit = number(q.limit.as_deref(), "limit", DEFAULT_LIMIT, MAX_LIMIT)?.max(1);
    let offset = number(q.offset.as_deref(), "offset", 0, usize::MAX)?;
    let filter = JobFilter { queue: q.queue, status, node: q.node, host: q.host };
    Ok(state.store.list(&filter, limit, offset).await?)
}

/// Cancel one queued job: 404 when there is no such job, 409 when it is no
/// longer queued.
pub(super) async fn cancel_one(state: &ApiState, id: &str) -> Result<(), ApiError> {
    match state.store.cancel(id).await? {
        CancelOutcome::Cancelled => Ok(()),
        CancelOutcome::NotQueued(st) => {
            Err(ApiError::Conflict(format!("job {id} is {st}: only queued jobs can be cancelled")))
        }
        CancelOutcome::Missing => Err(missing_job(id)),
    }
}

/// Cancel the queued jobs of `queue`, of `host`, or of both (a job in `queue` for
/// `host`); the ids cancelled.
pub(super) async fn cancel_queued(
    state: &ApiState,
    queue: Option<&str>,
    host: Option<&str>,
) -> Result<Vec<String>, ApiError> {
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
        (None, None) => {
            return Err(ApiError::BadRequest("give `queue` or `host` to say which jobs to cancel".into()));
        }
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
    Ok(cancelled)
}
