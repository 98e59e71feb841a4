//! The REST API: axum routes on a hyper server, the key check, the response
//! envelope, typed extractors and request validation. Handlers talk to the job
//! store; the template endpoints also run the parser components (never drivers or
//! device sessions). Connections are capped and must send their headers in time.

pub mod auth;
mod bare_errors;
mod docs;
pub mod envelope;
pub mod error;
pub mod extract;
pub mod limits;
pub mod openapi;
pub mod request;
mod routes;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::http::{StatusCode, header};
use axum::response::Response;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};
use tower::ServiceExt;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::normalize_path::NormalizePath;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

use crate::config::Settings;
use crate::queue::JobStore;
use error::ApiError;

/// The longest a request may run (a device test waits for its device at most
/// `connection_args.timeout` plus the read timeout; it has its own limit).
const REQUEST_TIMEOUT: Duration = Duration::from_secs(3600 + 600);

/// What handlers share.
pub struct ApiState {
    pub store: JobStore,
    pub settings: Settings,
    pub started: Instant,
    /// The plugins in use: the API uses their parsers (`/template/parse`, `parsing`).
    pub plugins: Arc<crate::plugin::LivePlugins>,
    /// The TextFSM templates folder.
    pub templates: crate::template::Templates,
    /// Sizes a job may have.
    pub limits: limits::Limits,
    /// Long polls' wake-ups (one subscription for all of them).
    pub wakeups: crate::queue::wakeups::Wakeups,
    /// device_type -> plugin, as registered by nodes; refreshed at most once a second.
    drivers: Mutex<(Option<Instant>, HashMap<String, String>)>,
}

impl ApiState {
    pub fn new(store: JobStore, settings: Settings, plugins: Arc<crate::plugin::LivePlugins>) -> Arc<Self> {
        Arc::new(Self {
            wakeups: crate::queue::wakeups::Wakeups::start(store.clone()),
            store,
            templates: crate::template::Templates::new(settings.templates_dir.clone()),
            limits: settings.limits,
            settings,
            plugins,
            started: Instant::now(),
            drivers: Mutex::new((None, HashMap::new())),
        })
    }

    /// What one Jinja2 render may use (settings `render.*`).
    pub fn render_budget(&self) -> crate::template::RenderBudget {
        crate::template::RenderBudget {
            time: Duration::from_millis(self.settings.render.budget_ms),
            max_output_bytes: self.settings.render.max_output_bytes,
        }
    }

    /// What validating a body needs besides the body.
    pub fn tools<'a>(&'a self, parsers: &'a [String]) -> request::Tools<'a> {
        request::Tools {
            templates: &self.templates,
            parsers,
            limits: self.limits,
            render: self.render_budget(),
        }
    }

    /// Names `parsing.name` may take.
    pub fn parser_names(&self) -> Vec<String> {
        self.plugins.get().parsers().iter().flat_map(|p| p.meta.platforms.clone()).collect()
    }

    /// The registered device types, cached for a second.
    pub async fn drivers(&self) -> Result<HashMap<String, String>, ApiError> {
        {
            let d = self.drivers.lock().expect("drivers lock");
            if d.0.is_some_and(|t| t.elapsed() < Duration::from_secs(1)) && !d.1.is_empty() {
                return Ok(d.1.clone());
            }
        }
        let fresh = self.store.drivers().await?;
        *self.drivers.lock().expect("drivers lock") = (Some(Instant::now()), fresh.clone());
        Ok(fresh)
    }
}

/// The whole HTTP application: routes, the key check, request ids, tracing, a
/// time limit, and envelopes for the errors the HTTP layers answer themselves.
pub fn app(state: Arc<ApiState>) -> NormalizePath<Router> {
    let router = routes::routes()
        .layer(axum::middleware::from_fn_with_state(state.clone(), auth::require_key))
        .layer(TimeoutLayer::with_status_code(StatusCode::GATEWAY_TIMEOUT, REQUEST_TIMEOUT))
        // A body declared larger than the limit is refused before it is read (413);
        // `RawBody` stops one that grows past it while streaming.
        .layer(RequestBodyLimitLayer::new(extract::MAX_BODY))
        // Outside the layers above, so their own answers get the envelope too.
        .layer(axum::middleware::map_response(envelope_bare_errors))
        .layer(axum::middleware::from_fn(routes::metrics::count_request))
        .layer(TraceLayer::new_for_http())
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        .with_state(state);
    // Outside the router, so `/job/` finds `/job`.
    NormalizePath::trim_trailing_slash(router)
}

/// An error that a layer answered by itself (an empty or plain-text body) gets
/// the envelope too; every answer of the handlers is JSON already.
async fn envelope_bare_errors(response: Response) -> Response {
    let status = response.status();
    let json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if status.as_u16() < 400 || json {
        return response;
    }
    let message = status.canonical_reason().unwrap_or("error").to_string();
    let mut r = envelope::error(status, &message, &serde_json::Value::Null);
    for (name, value) in response.headers() {
        if name != header::CONTENT_LENGTH && name != header::CONTENT_TYPE {
            r.headers_mut().insert(name.clone(), value.clone());
        }
    }
    r
}

/// What a client past the connection cap gets before its connection is closed.
fn over_capacity(max: usize) -> Vec<u8> {
    let body = serde_json::json!({
        "code": -1,
        "message": format!("the server is at its limit of {max} connections (setting api.max_connections); try again shortly"),
        "data": null,
    })
    .to_string();
    format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\nretry-after: 1\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// Serve the API on `listener` until `shutdown` turns true; in-flight requests
/// get a few seconds to finish.
pub async fn serve(listener: TcpListener, state: Arc<ApiState>, mut shutdown: watch::Receiver<bool>) {
    let (max_connections, header_timeout) = (
        state.settings.api.max_connections,
        Duration::from_secs_f64(state.settings.api.header_read_timeout_s),
    );
    let app = app(state);
    let permits = Arc::new(Semaphore::new(max_connections));
    let mut conns = tokio::task::JoinSet::new();
    loop {
        let (mut stream, _) = tokio::select! {
            r = listener.accept() => match r {
                Ok(s) => s,
                Err(e) => {
                    tracing::warn!("accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = shutdown.changed() => break,
        };
        let _ = stream.set_nodelay(true);
        let Ok(permit) = permits.clone().try_acquire_owned() else {
            tokio::spawn(async move {
                let _ = tokio::time::timeout(
                    Duration::from_secs(1),
                    stream.write_all(&over_capacity(max_connections)),
                )
                .await;
            });
            continue;
        };
        let service = TowerToHyperService::new(
            app.clone().map_request(|r: hyper::Request<hyper::body::Incoming>| r.map(axum::body::Body::new)),
        );
        let mut stop = shutdown.clone();
        conns.spawn(async move {
            let _permit = permit;
            let conn = http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(header_timeout)
                .serve_connection(TokioIo::new(bare_errors::EnvelopeBareErrors::new(stream)), service);
            tokio::pin!(conn);
            tokio::select! {
                _ = conn.as_mut() => {}
                _ = stop.changed() => {
                    conn.as_mut().graceful_shutdown();
                    let _ = conn.await;
                }
            }
        });
        while conns.try_join_next().is_some() {}
    }
    let _ =
        tokio::time::timeout(Duration::from_secs(5), async { while conns.join_next().await.is_some() {} })
            .await;
}
