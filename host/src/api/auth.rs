//! API key check: header `X-API-KEY` (any case), query parameter `X-API-KEY`, or
//! cookie `X-API-KEY`; compared in constant time against every configured key.
//! [`require_key`] is the middleware in front of every route (and of the 404
//! answer, so unknown paths tell nothing to a client without a key).

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::HeaderMap;
use axum::http::header::COOKIE;
use axum::middleware::Next;
use axum::response::Response;
use subtle::ConstantTimeEq;

use super::ApiState;
use super::error::ApiError;

/// Middleware: refuse the request unless it carries a configured key.
pub async fn require_key(
    State(state): State<Arc<ApiState>>,
    req: Request,
    next: Next,
) -> Result<Response, ApiError> {
    let query: Vec<(String, String)> = form_urlencoded::parse(req.uri().query().unwrap_or("").as_bytes())
        .into_owned()
        .filter(|(k, _)| k.eq_ignore_ascii_case(NAME))
        .collect();
    check(&state.settings.api_keys, req.headers(), &query)?;
    Ok(next.run(req).await)
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

/// Accept the request or say why not.
pub fn check(keys: &[String], headers: &HeaderMap, query: &[(String, String)]) -> Result<(), ApiError> {
    let Some(given) = presented(headers, query) else {
        return Err(ApiError::Forbidden(
            "missing API key: send it as the X-API-KEY header, query parameter or cookie".into(),
        ));
    };
    // Compare against every key so timing does not tell which one nearly matched.
    let mut ok = subtle::Choice::from(0u8);
    for k in keys {
        ok |= k.as_bytes().ct_eq(given.as_bytes());
    }
    if bool::from(ok) { Ok(()) } else { Err(ApiError::Forbidden("wrong API key".into())) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::header::HeaderValue;

    #[test]
    fn key_accepted_from_header_query_and_cookie() {
        let keys = vec!["k1".to_string()];
        let mut h = HeaderMap::new();
        h.insert("X-Api-Key", HeaderValue::from_static("k1"));
        assert!(check(&keys, &h, &[]).is_ok());
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
}
