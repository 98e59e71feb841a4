//! The response envelope: `{"code": 200, "message": "success", "data": ...}` for
//! success, `{"code": -1, "message": ..., "data": ...}` for errors; and bare JSON
//! bodies for NetPulse's flattened routes ([`flat`]).

use axum::body::Body;
use axum::http::{StatusCode, header};
use axum::response::Response;
use serde::Serialize;
use serde_json::Value;

fn respond(status: StatusCode, body: &impl Serialize) -> Response {
    let bytes = serde_json::to_vec(body).unwrap_or_else(|_| b"{}".to_vec());
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(bytes))
        .expect("static response parts are valid")
}

#[derive(Serialize)]
struct Envelope<'a, T> {
    code: i64,
    message: &'a str,
    data: &'a T,
}

/// A success envelope with `data`, written straight from it (a job's records are
/// copied as the JSON text they are stored as).
pub fn ok<T: Serialize>(status: StatusCode, data: &T) -> Response {
    respond(status, &Envelope { code: 200, message: "success", data })
}

/// An error envelope (`ApiError::into_response` is its one caller for API errors).
pub fn error(status: StatusCode, message: &str, data: &Value) -> Response {
    respond(status, &Envelope { code: -1, message, data })
}

/// A body without the envelope: NetPulse's flattened models and `{"detail": ...}`
/// errors (`routes/netpulse.rs`).
pub fn flat<T: Serialize>(status: StatusCode, body: &T) -> Response {
    respond(status, body)
}
