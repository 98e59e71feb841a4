//! `GET /openapi.json` (the document `openapi.rs` derives) and `GET /docs`, a page
//! rendering it with Redoc, whose script is embedded in the binary and served
//! from `/docs/assets/`: the page loads nothing from elsewhere (its
//! Content-Security-Policy says so to the browser too), as these servers often
//! run without internet. All three need no API key (`auth::public`).

use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::error::ApiError;
use super::openapi;

/// The page: Redoc's container and two scripts, both ours. No route of the API
/// is written here; Redoc lists them from the document.
const PAGE: &str = r#"<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>NetPulse-rs API</title>
<style>body { margin: 0; padding: 0; }</style>
</head>
<body>
<div id="redoc"><noscript>This page needs JavaScript; the document itself is at openapi.json.</noscript></div>
<script src="/docs/assets/redoc.standalone.js"></script>
<script src="/docs/assets/init.js"></script>
</body>
</html>
"#;

/// Renders the document into the page (a file of its own, so the policy can
/// forbid inline scripts).
const INIT: &str = r#"Redoc.init("/openapi.json", {
  hideDownloadButton: false,
  expandResponses: "200,201",
  pathInMiddlePanel: true,
  sortPropsAlphabetically: false
}, document.getElementById("redoc"));
"#;

const REDOC: &[u8] = include_bytes!("../../assets/docs/redoc.standalone.js");
const REDOC_LICENSES: &[u8] = include_bytes!("../../assets/docs/redoc.standalone.js.LICENSE.txt");
const REDOC_LICENSE: &[u8] = include_bytes!("../../assets/docs/LICENSE");

/// What the page may load: only from this server (styles inline too, as Redoc
/// writes them; its search runs in a worker made from a blob).
const POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; connect-src 'self'; worker-src 'self' blob:; base-uri 'none'; form-action 'none'; frame-ancestors 'self'";

pub async fn openapi_json() -> Response {
    ([(header::CONTENT_TYPE, "application/json")], openapi::document()).into_response()
}

pub async fn page() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CONTENT_SECURITY_POLICY, POLICY),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
        PAGE,
    )
        .into_response()
}

pub async fn asset(Path(file): Path<String>) -> Result<Response, ApiError> {
    let (body, kind): (&'static [u8], &str) = match file.as_str() {
        "redoc.standalone.js" => (REDOC, "text/javascript; charset=utf-8"),
        "init.js" => (INIT.as_bytes(), "text/javascript; charset=utf-8"),
        "redoc.standalone.js.LICENSE.txt" => (REDOC_LICENSES, "text/plain; charset=utf-8"),
        "LICENSE" => (REDOC_LICENSE, "text/plain; charset=utf-8"),
        _ => return Err(ApiError::NotFound(format!("no docs asset named {file:?}"))),
    };
    Ok((
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, kind),
            (header::CACHE_CONTROL, "public, max-age=3600"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
        body,
    )
        .into_response())
}
