//! `GET /health`: the API, Redis, workers and queues, each with a status.

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::json;

use crate::api::ApiState;
use crate::api::envelope;
use crate::api::error::ApiError;
use crate::api::extract::{NoParams, Params};
use crate::queue::registry::WorkerStatus;

pub async fn get(State(state): State<Arc<ApiState>>, _: Params<NoParams>) -> Result<Response, ApiError> {
    let api = json!({
        "status": "healthy",
        "version": env!("CARGO_PKG_VERSION"),
        "uptime_s": state.started.elapsed().as_secs_f64(),
    });
    let latency = match state.store.ping().await {
        Ok(d) => d,
        Err(e) => {
            let data = json!({
                "status": "unhealthy",
                "components": {"api": api, "redis": {"status": "unhealthy", "error": e.to_string()}},
            });
            return Err(ApiError::Unhealthy { message: format!("unhealthy: {e}"), data });
        }
    };
    let info = state.store.redis_info().await?;
    let workers = state.store.workers().await?;
    let count = |s: WorkerStatus| workers.iter().filter(|w| w.status == s).count();
    let (busy, idle, dead) =
        (count(WorkerStatus::Busy), count(WorkerStatus::Idle), count(WorkerStatus::Dead));
    let mut nodes: Vec<&str> =
        workers.iter().filter(|w| w.status != WorkerStatus::Dead).map(|w| w.node.as_str()).collect();
    nodes.sort();
    nodes.dedup();
    let live = busy + idle;
    let depth = state.store.queue_depths().await?;
    let total_queued: u64 = depth.values().sum();
    let capacity_full = state.store.capacity_full().await?;
    let workers_status = if live > 0 { "healthy" } else { "degraded" };
    let queues_status = if capacity_full.is_some() { "degraded" } else { "healthy" };
    let overall = if live > 0 && capacity_full.is_none() { "healthy" } else { "degraded" };
    let data = json!({
        "status": overall,
        "components": {
            "api": api,
            "redis": {
                "status": "healthy",
                "latency_ms": latency.as_secs_f64() * 1000.0,
                "used_memory_bytes": info.used_memory_bytes,
                "version": info.version,
            },
            "workers": {
                "status": workers_status,
                "total": workers.len(), "busy": busy, "idle": idle, "dead": dead,
                "nodes": nodes,
            },
            "queues": {
                "status": queues_status,
                "total_queued": total_queued,
                "depth": depth,
                "waiting_reason": capacity_full,
            },
        }
    });
    Ok(envelope::ok(StatusCode::OK, &data))
}
