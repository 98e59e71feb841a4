//! API key check: header `X-API-KEY` (any case), query parameter `X-API-KEY`, or
//! cookie `X-API-KEY`; compared in constant time against every configured key.
//! Each key has a role (`read` < `operate` < `admin`) and each route needs one
//! ([`needed`]). [`require_key`] is the middleware in front of every route (and of
//! the 404 answer, so unknown paths tell nothing to a client without a key).

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::header::COOKIE;
use axum::http::{HeaderMap, Method};
use axum::middleware::Next;
use axum::response::Response;
use subtle::ConstantTimeEq;

use super::ApiState;
use super::error::ApiError;
use crate::config::{ApiKey, Role};

/// Middleware: refuse the request unless it carries a configured key.
pub async fn require_key(
    State(state): State<Arc<ApiState>>,
    req: Request,
    next: Next,
) -> Result<Response, ApiError> {
    let metrics_public =
        state.settings.metrics_public && req.uri().path().trim_end_matches('/') == "/metrics";
    if public(req.method(), req.uri().path()) || metrics_public {
        return Ok(next.run(req).await);
    }
    let query: Vec<(String, String)> = form_urlencoded::parse(req.uri().query().unwrap_or("").as_bytes())
        .into_owned()
        .filter(|(k, _)| k.eq_ignore_ascii_case(NAME))
        .collect();
    let role = check(&state.settings.api_keys, req.headers(), &query)?;
    let need = needed(req.method(), req.uri().path());
    if role < need {
        return Err(ApiError::Forbidden(format!(
            "this API key has the `{}` role; {} {} needs `{}`",
            role.name(),
            req.method(),
            req.uri().path(),
            need.name()
        )));
    }
    Ok(next.run(req).await)
}

/// The role a request needs: reading is `read`; stopping workers and forgetting
/// host keys is `admin`; everything else (submit, cancel, parse, render, test) is
/// `operate`.
pub fn needed(method: &Method, path: &str) -> Role {
    let path = path.trim_end_matches('/');
    if method == Method::GET || method == Method::HEAD {
        Role::Read
    } else if method == Method::DELETE
        && (path == "/worker" || path.starts_with("/workers") || path == "/hostkey")
    {
        Role::Admin
    } else {
        Role::Operate
    }
}

/// Routes any client may read without a key: the OpenAPI document and the page
/// rendering it (`api/docs.rs`), which hold nothing about the system.
pub fn public(method: &Method, path: &str) -> bool {
    let path = path.trim_end_matches('/');
    (method == Method::GET || method == Method::HEAD)
        && (path == "/openapi.json" || path == "/docs" || path.starts_with("/docs/assets/"))
}

const NAME: &str = "x-api-key";

/// The key the client sent, wherever it put it.
fn presented<'a>(headers: &'a HeaderMap, query: &'a [(String, String)]) -> Option<String> {
    if let Some(v) = headers.get(NAME).and_then(|v| v.to_str().ok()) {
        return Some(v.to_string());
    }
    if let Some((_, v)) = query.iter().find(|(k, _)| k.eq_ignore_ascii_case(NAME)) {
        return Some(v.clone());
    }
    for cookie in headers.get_all(COOKIE).iter().filter_map(|v| v.to_str().ok()) {
        for part in cookie.split(';') {
            if let Some((k, v)) = part.trim().split_once('=')
                && k.trim().eq_ignore_ascii_case(NAME)
            {
                return Some(v.trim().to_string());
            }
        }
    }
    None
}

/// The role of the key the request carries, or why it is refused.
pub fn check(keys: &[ApiKey], headers: &HeaderMap, query: &[(String, String)]) -> Result<Role, ApiError> {
    let Some(given) = presented(headers, query) else {
        return Err(ApiError::Forbidden(
            "missing API key: send it as the X-API-KEY header, query parameter or cookie".into(),
        ));
    };
    // Compare against every key so timing does not tell which one nearly matched.
    let mut found: Option<Role> = None;
    for k in keys {
        if bool::from(k.key().as_bytes().ct_eq(given.as_bytes())) {
            found = found.max(Some(k.role()));
        }
    }
    found.ok_or_else(|| ApiError::Forbidden("wrong API key".into()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::header::HeaderValue;

    #[test]
    fn key_accepted_from_header_query_and_cookie() {
        let keys: Vec<ApiKey> = vec!["k1".into()];
        let mut h = HeaderMap::new();
        h.insert("X-Api-Key", HeaderValue::from_static("k1"));
        assert_eq!(check(&keys, &h, &[]).unwrap(), Role::Admin);
        assert!(check(&keys, &HeaderMap::new(), &[("X-API-KEY".into(), "k1".into())]).is_ok());
        let mut c = HeaderMap::new();
        c.insert(COOKIE, HeaderValue::from_static("a=b; X-API-KEY=k1"));
        assert!(check(&keys, &c, &[]).is_ok());
        let mut bad = HeaderMap::new();
        bad.insert("x-api-key", HeaderValue::from_static("k2"));
        assert!(matches!(check(&keys, &bad, &[]), Err(ApiError::Forbidden(m)) if m.contains("wrong")));
        assert!(
            matches!(check(&keys, &HeaderMap::new(), &[]), Err(ApiError::Forbidden(m)) if m.contains("missing"))
        );
    }

    #[test]
    fn roles_and_what_each_route_needs() {
        let keys = vec![
            ApiKey::WithRole { key: "r".into(), role: Role::Read },
            ApiKey::WithRole { key: "o".into(), role: Role::Operate },
            "a".into(),
        ];
        let role = |k: &str| {
            let mut h = HeaderMap::new();
            h.insert("x-api-key", HeaderValue::from_str(k).unwrap());
            check(&keys, &h, &[]).unwrap()
        };
        assert_eq!((role("r"), role("o"), role("a")), (Role::Read, Role::Operate, Role::Admin));
        assert_eq!(needed(&Method::GET, "/job"), Role::Read);
        assert_eq!(needed(&Method::POST, "/device/exec"), Role::Operate);
        assert_eq!(needed(&Method::DELETE, "/job"), Role::Operate);
        assert_eq!(needed(&Method::POST, "/template/parse"), Role::Operate);
        assert_eq!(needed(&Method::DELETE, "/worker/"), Role::Admin);
        assert_eq!(needed(&Method::DELETE, "/hostkey"), Role::Admin);
        // NetPulse's own routes: as their `/job` and `/worker` counterparts.
        assert_eq!(needed(&Method::GET, "/system/stats"), Role::Read);
        assert_eq!(needed(&Method::DELETE, "/jobs/abc"), Role::Operate);
        assert_eq!(needed(&Method::DELETE, "/workers"), Role::Admin);
        assert_eq!(needed(&Method::DELETE, "/workers/node-1/pinned_127.0.9.1"), Role::Admin);
    }
}
