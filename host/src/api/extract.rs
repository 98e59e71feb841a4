//! Typed request extractors: `Params<T>` (the query string into a struct, unknown
//! names refused) and `RawBody` (the body, size-limited), both failing as
//! `ApiError`s so every refusal is an envelope.

use std::collections::HashMap;

use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use bytes::Bytes;
use serde::de::DeserializeOwned;

use super::error::ApiError;

/// Largest request body accepted.
pub const MAX_BODY: usize = 16 << 20;

/// The name of the API key, which may also come as a query parameter.
const API_KEY: &str = "x-api-key";

/// A query string's parameters: `name -> value`, the last one winning, empty
/// values counted as absent and the API key left out.
pub fn query_pairs(query: Option<&str>) -> HashMap<String, String> {
    form_urlencoded::parse(query.unwrap_or("").as_bytes())
        .into_owned()
        .filter(|(k, v)| !v.is_empty() && !k.eq_ignore_ascii_case(API_KEY))
        .collect()
}

/// A route's query parameters: the names it takes, as a struct of `Option<String>`
/// fields (values are checked by the handler, which knows what they mean).
pub trait QueryParams: DeserializeOwned + Send {
    /// Every parameter name the route takes.
    const NAMES: &'static [&'static str];
}

/// The query string as `T`; a name `T` does not take is a 400 naming the valid ones.
pub struct Params<T>(pub T);

impl<T: QueryParams, S: Send + Sync> FromRequestParts<S> for Params<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        let pairs = query_pairs(parts.uri.query());
        // Also the empty ones: a misspelt name is refused even without a value.
        for (k, _) in form_urlencoded::parse(parts.uri.query().unwrap_or("").as_bytes()) {
            if !T::NAMES.contains(&k.as_ref()) && !k.eq_ignore_ascii_case(API_KEY) {
                return Err(ApiError::BadRequest(format!(
                    "unknown query parameter {k:?}; valid parameters: {}",
                    T::NAMES.join(", ")
                )));
            }
        }
        let map = pairs.into_iter().map(|(k, v)| (k, serde_json::Value::String(v))).collect();
        serde_json::from_value(serde_json::Value::Object(map))
            .map(Params)
            .map_err(|e| ApiError::BadRequest(format!("bad query parameters: {e}")))
    }
}

/// A route that takes no query parameters.
#[derive(serde::Deserialize)]
pub struct NoParams {}

impl QueryParams for NoParams {
    const NAMES: &'static [&'static str] = &[];
}

/// The request body, at most [`MAX_BODY`] bytes.
pub struct RawBody(pub Bytes);

impl<S: Send + Sync> FromRequest<S> for RawBody {
    type Rejection = ApiError;

    async fn from_request(req: Request, _: &S) -> Result<Self, ApiError> {
        axum::body::to_bytes(req.into_body(), MAX_BODY)
            .await
            .map(RawBody)
            .map_err(|e| ApiError::BadRequest(format!("cannot read the request body: {e}")))
    }
}
