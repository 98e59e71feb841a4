//! The REST API: a hyper server, routing, authentication, the response envelope,
//! and request validation. Handlers talk to the job store; the template endpoints
//! also run the parser components (never drivers or device sessions).

pub mod auth;
pub mod envelope;
pub mod error;
pub mod request;
mod routes;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Limited};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::config::Settings;
use crate::queue::JobStore;
use envelope::Body;
use error::ApiError;

/// Largest request body accepted.
const MAX_BODY: usize = 16 << 20;

/// What handlers share.
pub struct ApiState {
    pub store: JobStore,
    pub settings: Settings,
    pub started: Instant,
    /// The plugins in use: the API uses their parsers (`/template/parse`, `parsing`).
    pub plugins: Arc<crate::plugin::LivePlugins>,
    /// The TextFSM templates folder.
    pub templates: crate::template::Templates,
    /// device_type -> plugin, as registered by nodes; refreshed at most once a second.
    drivers: Mutex<(Option<Instant>, HashMap<String, String>)>,
}

impl ApiState {
    pub fn new(store: JobStore, settings: Settings, plugins: Arc<crate::plugin::LivePlugins>) -> Arc<Self> {
        Arc::new(Self {
            store,
            templates: crate::template::Templates::new(settings.templates_dir.clone()),
            settings,
            plugins,
            started: Instant::now(),
            drivers: Mutex::new((None, HashMap::new())),
        })
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

/// A parsed request, as handlers see it.
pub struct Req {
    pub method: Method,
    pub path: String,
    pub query: Vec<(String, String)>,
    pub body: Bytes,
}

impl Req {
    /// The value of query parameter `name` (last one wins); empty values count as absent.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.query.iter().rev().find(|(k, _)| k == name).map(|(_, v)| v.as_str()).filter(|v| !v.is_empty())
    }

    /// Reject query parameters other than `allowed` (and the API key).
    pub fn only_params(&self, allowed: &[&str]) -> Result<(), ApiError> {
        for (k, _) in &self.query {
            if !allowed.contains(&k.as_str()) && !k.eq_ignore_ascii_case("x-api-key") {
                return Err(ApiError::BadRequest(format!(
                    "unknown query parameter {k:?}; valid parameters: {}",
                    allowed.join(", ")
                )));
            }
        }
        Ok(())
    }
}

async fn handle(state: Arc<ApiState>, req: Request<Incoming>) -> Response<Body> {
    let started = Instant::now();
    let (parts, body) = req.into_parts();
    let query: Vec<(String, String)> = parts
        .uri
        .query()
        .map(|q| form_urlencoded::parse(q.as_bytes()).into_owned().collect())
        .unwrap_or_default();
    let result = async {
        auth::check(&state.settings.api_keys, &parts.headers, &query)?;
        let body = Limited::new(body, MAX_BODY)
            .collect()
            .await
            .map_err(|e| ApiError::BadRequest(format!("cannot read the request body: {e}")))?
            .to_bytes();
        let req = Req { method: parts.method.clone(), path: parts.uri.path().to_string(), query, body };
        routes::route(&state, req).await
    }
    .await;
    let response = match result {
        Ok(r) => r,
        Err(e) => {
            if e.status().is_server_error() {
                tracing::warn!(method = %parts.method, path = parts.uri.path(), "{e}");
            }
            envelope::error(&e)
        }
    };
    tracing::debug!(
        method = %parts.method,
        path = parts.uri.path(),
        status = response.status().as_u16(),
        us = started.elapsed().as_micros() as u64,
        "request"
    );
    response
}

/// Serve the API on `listener` until `shutdown` turns true; in-flight requests
/// get a few seconds to finish.
pub async fn serve(listener: TcpListener, state: Arc<ApiState>, mut shutdown: watch::Receiver<bool>) {
    let mut conns = tokio::task::JoinSet::new();
    loop {
        let (stream, _) = tokio::select! {
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
        let state = state.clone();
        let mut stop = shutdown.clone();
        conns.spawn(async move {
            let service = service_fn(move |req| {
                let state = state.clone();
                async move { Ok::<_, std::convert::Infallible>(handle(state, req).await) }
            });
            let conn = http1::Builder::new().serve_connection(TokioIo::new(stream), service);
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
