//! What `/job` (the spec's) and `/jobs` (NetPulse's) both do with jobs: find one,
//! list a filtered page, cancel one, cancel the queued jobs of a queue or host.
//! The routes differ only in their query names and answer shapes.

use std::time::Duration;

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
#[derive(Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Listing {
    /// Jobs of this queue (`FifoQ`, `pinned_<host>`).
    pub queue: Option<String>,
    #[param(value_type = Option<JobStatus>)]
    pub status: Option<String>,
    /// Jobs run on this node.
    pub node: Option<String>,
    /// Jobs for this device.
    pub host: Option<String>,
    /// Page size (100; at most 1000).
    #[param(value_type = Option<u32>, maximum = 1000)]
    pub limit: Option<String>,
    /// Jobs to skip, newest first.
    #[param(value_type = Option<u64>)]
    pub offset: Option<String>,
}

impl crate::api::extract::QueryParams for Listing {
    const NAMES: &'static [&'static str] = &["queue", "status", "node", "host", "limit", "offset"];
}

/// One job; 404 when it has no record.
pub(super) async fn find(state: &ApiState, id: &str) -> Result<JobRecord, ApiError> {
    state.store.get(id).await?.ok_or_else(|| missing_job(id))
}

/// The longest a long poll (`wait`) may hold a request, seconds.
pub(super) const MAX_WAIT_S: f64 = 60.0;

/// A long poll's `wait=S` (seconds, fractions allowed, at most 60).
pub(super) fn wait_param(v: Option<&str>) -> Result<Option<Duration>, ApiError> {
    let Some(v) = v else { return Ok(None) };
    match v.trim().parse::<f64>() {
        Ok(s) if (0.0..=MAX_WAIT_S).contains(&s) => Ok(Some(Duration::from_secs_f64(s))),
        _ => Err(ApiError::BadRequest(format!(
            "`wait` must be a number of seconds from 0 to {MAX_WAIT_S}, got {v:?}"
        ))),
    }
}

/// One job, once it has ended or `wait` has passed (without `wait`, at once).
/// The wait holds no Redis connection and polls nothing: the job's end wakes it
/// (`queue::wakeups`).
pub(super) async fn find_waiting(
    state: &ApiState,
    id: &str,
    wait: Option<Duration>,
) -> Result<JobRecord, ApiError> {
    let Some(wait) = wait.filter(|w| !w.is_zero()) else { return find(state, id).await };
    let until = tokio::time::Instant::now() + wait;
    loop {
        // Registered before the read: an end after the read always wakes us.
        let mut waiter = state.wakeups.register(id, wait).await?;
        let job = find(state, id).await?;
        if job.status.is_ended() || tokio::time::Instant::now() >= until {
            return Ok(job);
        }
        if !waiter.woken(until).await {
            return find(state, id).await;
        }
    }
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
