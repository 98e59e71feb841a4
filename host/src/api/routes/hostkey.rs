//! `DELETE /hostkey?host=H[:port]`: forget the SSH host key pinned for a device
//! (`accept-new`), so the next connection pins the key it is offered. Needs the
//! `admin` role (`api/auth.rs`).

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
use crate::queue::hostkeys::{parse_host_port, pin_field};

/// Which device: `host`, `host:port` or `[v6]:port` (port 22 unless given).
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct HostKeyQuery {
    /// `host`, `host:port` or `[v6]:port` (port 22 unless given).
    #[param(required = true, example = "192.168.1.1")]
    host: Option<String>,
}

impl QueryParams for HostKeyQuery {
    const NAMES: &'static [&'static str] = &["host"];
}

pub async fn delete(
    State(state): State<Arc<ApiState>>,
    Params(q): Params<HostKeyQuery>,
) -> Result<Response, ApiError> {
    let text = q.host.ok_or_else(|| {
        ApiError::BadRequest(
            "give `host` (host or host:port, port 22 unless given) to say which pin to forget".into(),
        )
    })?;
    let (host, port) = parse_host_port(&text).ok_or_else(|| {
        ApiError::BadRequest(format!("`host` must be host, host:port or [IPv6]:port, not {text:?}"))
    })?;
    let forgotten = state.store.forget_host_key(&host, port).await?;
    Ok(envelope::ok(StatusCode::OK, &json!({"forgotten": forgotten, "host": pin_field(&host, port)})))
}
