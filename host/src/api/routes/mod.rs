//! The routes: method and path to handler, and the answers for paths and methods
//! that have none.

mod device;
mod health;
pub(super) mod hostkey;
pub(super) mod job;
pub(super) mod job_ops;
pub(super) mod metrics;
pub(super) mod netpulse;
mod template;
pub(super) mod worker;

use std::sync::Arc;

use axum::Router;
use axum::http::{Method, Uri};
use axum::routing::{delete, get, post};

use super::ApiState;
use super::error::ApiError;

/// Every endpoint.
pub fn routes() -> Router<Arc<ApiState>> {
    Router::new()
        .route("/device/exec", post(device::exec))
        .route("/device/bulk", post(device::bulk))
        .route("/device/test", post(device::test))
        .route("/job", get(job::get).delete(job::delete))
        .route("/worker", get(worker::get).delete(worker::delete))
        .route("/health", get(health::get))
        // NetPulse 0.4.3's own management routes, in its flattened shapes.
        .route("/jobs", get(netpulse::get_jobs).delete(netpulse::delete_jobs))
        .route("/jobs/{id}", get(netpulse::get_job).delete(netpulse::delete_job))
        .route("/workers", get(netpulse::get_workers).delete(netpulse::delete_workers))
        .route("/workers/{*name}", delete(netpulse::delete_worker))
        .route("/system/stats", get(netpulse::system_stats))
        .route("/hostkey", delete(hostkey::delete))
        .route("/metrics", get(metrics::get))
        .route("/template/parse", post(template::parse))
        .route("/template/parse/{name}", post(template::parse_with))
        .route("/template/render", post(template::render))
        .route("/template/render/{name}", post(template::render_with))
        // The OpenAPI document and the page rendering it (no key needed: `auth::public`).
        .route("/openapi.json", get(super::docs::openapi_json))
        .route("/docs", get(super::docs::page))
        .route("/docs/assets/{file}", get(super::docs::asset))
        .route_layer(axum::middleware::from_fn(metrics::note_route))
        .method_not_allowed_fallback(method_not_allowed)
        .fallback(not_found)
}

async fn not_found(method: Method, uri: Uri) -> ApiError {
    ApiError::NotFound(format!("no such endpoint: {method} {}", uri.path()))
}

async fn method_not_allowed(method: Method, uri: Uri) -> ApiError {
    ApiError::MethodNotAllowed(format!("{method} is not allowed on {}", uri.path()))
}
