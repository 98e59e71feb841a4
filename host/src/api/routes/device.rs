//! `POST /device/exec` (enqueue one job), `POST /device/bulk` (one job per device,
//! pipelined) and `POST /device/test` (a synchronous connection test, run by a node).
//! They answer the spec's envelope, or NetPulse 0.4's flattened models (errors as
//! `{"detail": ...}`) when the server runs with `compat = "netpulse-0.4"`.

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Value, json};

use crate::api::ApiState;
use crate::api::envelope;
use crate::api::error::ApiError;
use crate::api::extract::{NoParams, Params, RawBody};
use crate::api::request::{self, Kind};
use crate::api::routes::netpulse::{compat, device_error, job_in_response};
use crate::queue::{JobSpec, now_rfc3339};

/// Why no node can run jobs for this device type, or `None` when one can.
fn unknown_device_type(drivers: &HashMap<String, String>, spec: &JobSpec) -> Option<String> {
    if drivers.contains_key(&spec.device.device_type) {
        return None;
    }
    let mut known: Vec<&str> = drivers.keys().map(|s| s.as_str()).collect();
    known.sort();
    let known = if known.is_empty() {
        "none yet: no node has registered its plugins (start `netpulse node` or `netpulse up`)".to_string()
    } else {
        known.join(", ")
    };
    Some(format!(
        "no driver plugin serves device_type {:?}; installed device types: {known}",
        spec.device.device_type
    ))
}

/// Validate a body with `check`: on the async thread, or, when it asks for
/// rendering, on a blocking thread within the render budget (a template that
/// loops for minutes must not stall the server).
async fn validated<T: Send + 'static>(
    state: &Arc<ApiState>,
    body: bytes::Bytes,
    check: fn(&ApiState, bytes::Bytes) -> Result<T, ApiError>,
) -> Result<T, ApiError> {
    if !request::mentions_rendering(&body) {
        return check(state, body);
    }
    let st = state.clone();
    crate::template::run_budgeted(state.render_budget(), move || Ok(check(&st, body)))
        .await
        .map_err(|e| ApiError::unprocessable(e.message))?
}

/// A device route: its query (none) and body checked, then `handle`; an error is
/// answered in the mode's shape (the envelope, or NetPulse's `{"detail"}`).
async fn device_route<Fut: Future<Output = Result<Response, ApiError>>>(
    state: Arc<ApiState>,
    q: Result<Params<NoParams>, ApiError>,
    body: Result<RawBody, ApiError>,
    handle: impl FnOnce(Arc<ApiState>, bytes::Bytes) -> Fut,
) -> Response {
    let r = match (q, body) {
        (Err(e), _) | (Ok(_), Err(e)) => Err(e),
        (Ok(_), Ok(RawBody(body))) => handle(state.clone(), body).await,
    };
    r.unwrap_or_else(|e| device_error(&state, e))
}

pub async fn exec(
    State(state): State<Arc<ApiState>>,
    q: Result<Params<NoParams>, ApiError>,
    body: Result<RawBody, ApiError>,
) -> Response {
    device_route(state, q, body, exec_inner).await
}

pub async fn bulk(
    State(state): State<Arc<ApiState>>,
    q: Result<Params<NoParams>, ApiError>,
    body: Result<RawBody, ApiError>,
) -> Response {
    device_route(state, q, body, bulk_inner).await
}

pub async fn test(
    State(state): State<Arc<ApiState>>,
    q: Result<Params<NoParams>, ApiError>,
    body: Result<RawBody, ApiError>,
) -> Response {
    device_route(state, q, body, test_inner).await
}

async fn exec_inner(state: Arc<ApiState>, body: bytes::Bytes) -> Result<Response, ApiError> {
    let started = std::time::Instant::now();
    let state = &state;
    let (spec, credentials) = validated(state, body, |state, body| {
        let parsers = state.parser_names();
        request::parse_exec(&body, &state.settings.jobs, &state.tools(&parsers))
    })
    .await?;
    let drivers = state.drivers().await?;
    if let Some(message) = unknown_device_type(&drivers, &spec) {
        return Err(ApiError::Unprocessable {
            message,
            data: Some(json!({"installed": drivers.keys().collect::<Vec<_>>()})),
        });
    }
    let (id, queue) = state.store.submit(&spec, &credentials).await?;
    let answer = if compat(state) {
        // NetPulse answers the queued job's JobInResponse.
        match state.store.get(&id).await? {
            Some(job) => envelope::flat(StatusCode::CREATED, &job_in_response(&job)),
            None => {
                envelope::flat(StatusCode::CREATED, &json!({"id": id, "status": "queued", "queue": queue}))
            }
        }
    } else {
        envelope::ok(StatusCode::CREATED, &json!({"id": id, "status": "queued", "queue": queue}))
    };
    crate::metrics::stage(crate::metrics::Stage::Submit, started.elapsed());
    Ok(answer)
}

async fn bulk_inner(state: Arc<ApiState>, body: bytes::Bytes) -> Result<Response, ApiError> {
    let state = &state;
    let items = validated(state, body, |state, body| {
        let parsers = state.parser_names();
        request::parse_bulk(&body, &state.settings.jobs, &state.tools(&parsers))
    })
    .await?;
    let drivers = state.drivers().await?;
    let mut accepted = Vec::new();
    let mut failed = Vec::new();
    for item in items {
        match item {
            Ok((spec, cred)) => match unknown_device_type(&drivers, &spec) {
                None => accepted.push((spec, cred)),
                Some(reason) => failed.push(json!({"host": spec.device.host, "reason": reason})),
            },
            Err((host, reason)) => failed.push(json!({"host": host, "reason": reason})),
        }
    }
    let submitted = if accepted.is_empty() { Vec::new() } else { state.store.submit_many(&accepted).await? };
    if compat(state) {
        // NetPulse's BatchSubmitJobResponse: each queued job's JobInResponse.
        let ids: Vec<String> = submitted.into_iter().map(|(id, _)| id).collect();
        let jobs = state.store.get_many(&ids).await?;
        let succeeded: Vec<_> = jobs.iter().map(job_in_response).collect();
        return Ok(envelope::flat(StatusCode::CREATED, &json!({"succeeded": succeeded, "failed": failed})));
    }
    let succeeded: Vec<Value> = submitted
        .into_iter()
        .zip(&accepted)
        .map(|((id, queue), (spec, _))| json!({"id": id, "status": "queued", "queue": queue, "host": spec.device.host}))
        .collect();
    Ok(envelope::ok(StatusCode::CREATED, &json!({"succeeded": succeeded, "failed": failed})))
}

async fn test_inner(state: Arc<ApiState>, body: bytes::Bytes) -> Result<Response, ApiError> {
    let state = &state;
    let body = request::json_body(&body)?;
    let driver = body.get("driver").and_then(Value::as_str).unwrap_or("netmiko").to_string();
    let (spec, credentials) = request::from_value(body, &state.settings.jobs, Kind::Test, &state.tools(&[]))?;
    let drivers = state.drivers().await?;
    let device_info = |prompt: Value| json!({"prompt": prompt, "device_type": spec.device.device_type, "host": spec.device.host});
    let flat = compat(state);
    let answer = |success: bool, time: Option<f64>, error: Option<String>, prompt: Value| {
        if flat {
            // NetPulse's ConnectionTestResponse; `result` only when it connected.
            let result = success.then(|| {
                json!({"driver": driver, "host": spec.device.host, "prompt": prompt, "device_type": spec.device.device_type})
            });
            return envelope::flat(
                StatusCode::OK,
                &json!({"success": success, "latency": time, "error": error, "result": result, "timestamp": now_rfc3339()}),
            );
        }
        envelope::ok(
            StatusCode::OK,
            &json!({
                "success": success,
                "connection_time": time,
                "error_message": error,
                "device_info": device_info(prompt),
                "timestamp": now_rfc3339(),
            }),
        )
    };
    if let Some(reason) = unknown_device_type(&drivers, &spec) {
        return Ok(answer(false, None, Some(reason), Value::Null));
    }
    // The test runs on a node (the API holds no plugins and no sessions): wait for it.
    let limit =
        Duration::from_secs_f64(spec.device.connect_timeout_s + state.settings.jobs.read_timeout_s + 5.0);
    let (id, _) = state.store.submit(&spec, &credentials).await?;
    let start = Instant::now();
    loop {
        if let Some(job) = state.store.get(&id).await?
            && job.status.is_ended()
        {
            let ok = job.result.as_ref().is_some_and(|r| r.error.is_none());
            let error = job.result.as_ref().and_then(|r| r.error.as_ref()).map(|e| e.message.clone());
            let prompt = job
                .result
                .as_ref()
                .and_then(|r| r.retval.as_ref())
                .and_then(|v| v.to_value().get("prompt").cloned())
                .unwrap_or(Value::Null);
            return Ok(answer(ok, job.duration, error, prompt));
        }
        if start.elapsed() > limit {
            let _ = state.store.cancel(&id).await;
            let msg = format!(
                "no answer within {:.0} s: no worker took the test or the device did not respond (is a node running?)",
                limit.as_secs_f64()
            );
            return Ok(answer(false, None, Some(msg), Value::Null));
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}
