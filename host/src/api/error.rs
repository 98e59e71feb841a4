//! API errors and the one place they become HTTP statuses and envelopes.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use crate::queue::StoreError;

/// Everything an endpoint can answer other than success.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// A query parameter or the request line is wrong (400).
    #[error("{0}")]
    BadRequest(String),
    /// The body is not JSON at all (400).
    #[error("{0}")]
    MalformedBody(String),
    /// Missing or wrong API key (403).
    #[error("{0}")]
    Forbidden(String),
    /// No such job, worker or route (404).
    #[error("{0}")]
    NotFound(String),
    /// Method not allowed on this route (405).
    #[error("{0}")]
    MethodNotAllowed(String),
    /// The resource's state forbids it (409).
    #[error("{0}")]
    Conflict(String),
    /// The body is JSON but invalid (422); `data` carries details.
    #[error("{message}")]
    Unprocessable { message: String, data: Option<Value> },
    /// Redis is unreachable (503).
    #[error("{0}")]
    Unavailable(String),
    /// `GET /health` found the system unhealthy (503); `data` is the health report.
    #[error("{message}")]
    Unhealthy { message: String, data: Value },
    /// Our fault (500).
    #[error("{0}")]
    Internal(String),
}

impl ApiError {
    pub fn unprocessable(message: impl Into<String>) -> Self {
        ApiError::Unprocessable { message: message.into(), data: None }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::BadRequest(_) | ApiError::MalformedBody(_) => StatusCode::BAD_REQUEST,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::Unprocessable { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::Unavailable(_) | ApiError::Unhealthy { .. } => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn data(&self) -> Value {
        match self {
            ApiError::Unprocessable { data: Some(d), .. } | ApiError::Unhealthy { data: d, .. } => d.clone(),
            _ => Value::Null,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if self.status().is_server_error() && !matches!(self, ApiError::Unhealthy { .. }) {
            tracing::warn!("{self}");
        }
        super::envelope::error(self.status(), &self.to_string(), &self.data())
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Unavailable(m) => ApiError::Unavailable(format!(
                "Redis is unreachable ({m}); the job store is unavailable, try again when Redis is back"
            )),
            other => ApiError::Internal(other.to_string()),
        }
    }
}
