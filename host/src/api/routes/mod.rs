//! Routing: method and path to handler.

mod device;
mod health;
mod job;
mod template;
mod worker;

use hyper::{Method, Response};

use super::envelope::Body;
use super::error::ApiError;
use super::{ApiState, Req};

pub async fn route(state: &ApiState, req: Req) -> Result<Response<Body>, ApiError> {
    let path = req.path.trim_end_matches('/');
    match (&req.method, path) {
        (&Method::POST, "/device/exec") => device::exec(state, &req).await,
        (&Method::POST, "/device/bulk") => device::bulk(state, &req).await,
        (&Method::POST, "/device/test") => device::test(state, &req).await,
        (&Method::GET, "/job") => job::get(state, &req).await,
        (&Method::DELETE, "/job") => job::delete(state, &req).await,
        (&Method::GET, "/worker") => worker::get(state, &req).await,
        (&Method::DELETE, "/worker") => worker::delete(state, &req).await,
        (&Method::GET, "/health") => health::get(state, &req).await,
        (&Method::POST, "/template/parse") => template::parse(state, &req, None).await,
        (&Method::POST, "/template/render") => template::render(state, &req, None).await,
        (&Method::POST, p) if p.starts_with("/template/parse/") => {
            template::parse(state, &req, Some(&p["/template/parse/".len()..])).await
        }
        (&Method::POST, p) if p.starts_with("/template/render/") => {
            template::render(state, &req, Some(&p["/template/render/".len()..])).await
        }
        (_, "/device/exec" | "/device/bulk" | "/device/test" | "/job" | "/worker" | "/health")
        | (_, "/template/parse" | "/template/render") => {
            Err(ApiError::MethodNotAllowed(format!("{} is not allowed on {path}", req.method)))
        }
        _ => Err(ApiError::NotFound(format!("no such endpoint: {} {path}", req.method))),
    }
}
