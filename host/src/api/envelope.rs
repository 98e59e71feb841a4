//! The response envelope: `{"code": 200, "message": "success", "data": ...}` for
//! success, `{"code": -1, "message": ..., "data": ...}` for errors.

use bytes::Bytes;
use http_body_util::Full;
use hyper::{Response, StatusCode, header};
use serde::Serialize;
use serde_json::{Value, json};

use super::error::ApiError;

pub type Body = Full<Bytes>;

fn respond(status: StatusCode, body: &impl Serialize) -> Response<Body> {
    let bytes = serde_json::to_vec(body).unwrap_or_else(|_| b"{}".to_vec());
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Full::new(Bytes::from(bytes)))
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
pub fn ok<T: Serialize>(status: StatusCode, data: &T) -> Response<Body> {
    respond(status, &Envelope { code: 200, message: "success", data })
}

/// An error envelope.
pub fn error(e: &ApiError) -> Response<Body> {
    respond(e.status(), &json!({"code": -1, "message": e.to_string(), "data": e.data()}))
}

/// An envelope with an explicit status, code and data (health when unhealthy).
pub fn custom(status: StatusCode, code: i64, message: &str, data: Value) -> Response<Body> {
    respond(status, &json!({"code": code, "message": message, "data": data}))
}
