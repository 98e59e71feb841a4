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

use super::job_ops::{self, Listing};

/// `GET /job`: one job by `id`, or a filtered page of jobs.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct JobQuery {
    /// One job by its id (the other filters are then ignored).
    #[param(example = "job_123456")]
    id: Option<String>,
    /// `true`: every command and configuration line in a listing, not a preview.
    #[param(value_type = Option<bool>)]
    full: Option<String>,
    /// With `id`: hold the request until the job ends or this many seconds pass
    /// (at most 60), then answer as without it (a long poll).
    #[param(value_type = Option<f64>, maximum = 60)]
    wait: Option<String>,
    #[serde(flatten)]
    #[param(ignore)]
    listing: Listing,
}

impl QueryParams for JobQuery {
    const NAMES: &'static [&'static str] =
        &["id", "queue", "status", "node", "host", "limit", "offset", "full", "wait"];
}

/// `DELETE /job`: cancel one job by `id`, or the queued jobs of a queue or host.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CancelQuery {
    /// Cancel this job (409 unless it is queued).
    id: Option<String>,
    /// Cancel the queued jobs of this queue.
    queue: Option<String>,
    /// Cancel the queued jobs for this device.
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

pub async fn get(
    State(state): State<Arc<ApiState>>,
    Params(q): Params<JobQuery>,
) -> Result<Response, ApiError> {
    let wait = job_ops::wait_param(q.wait.as_deref())?;
    if let Some(id) = q.id.as_deref() {
        return Ok(envelope::ok(StatusCode::OK, &[job_ops::find_waiting(&state, id, wait).await?]));
    }
    if wait.is_some() {
        return Err(ApiError::BadRequest("`wait` applies to one job: give its `id`".into()));
    }
    let full = match q.full.as_deref() {
        None | Some("false" | "0") => false,
        Some("true" | "1") => true,
        Some(other) => {
            return Err(ApiError::BadRequest(format!("`full` must be true or false, got {other:?}")));
        }
    };
    let mut jobs = job_ops::list(&state, q.listing).await?;
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
        job_ops::cancel_one(&state, id).await?;
        return Ok(envelope::ok(StatusCode::OK, &json!({"cancelled_count": 1, "cancelled_jobs": [id]})));
    }
    if q.queue.is_none() && q.host.is_none() {
        return Err(ApiError::BadRequest("give `id`, `queue` or `host` to say which jobs to cancel".into()));
    }
    let cancelled = job_ops::cancel_queued(&state, q.queue.as_deref(), q.host.as_deref()).await?;
    Ok(envelope::ok(
        StatusCode::OK,
        &json!({"cancelled_count": cancelled.len(), "cancelled_jobs": cancelled}),
    ))
}
