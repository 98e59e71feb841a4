//! The webhook deliverer: every node empties the Redis outbox (`queue/outbox.rs`)
//! of deliveries that are due, whichever node ended the job. Each attempt is
//! taken under a lease, so two nodes never deliver one attempt, and a delivery
//! whose node died comes back after its lease. A failed attempt (connection
//! error, timeout, non-2xx) is tried again after the webhook's
//! `retry_intervals`, at most `max_retries` times.
//!
//! The body is the job's JSON as `GET /job` shows it, with NetPulse's webhook
//! fields (`event_type`, `final`, `timestamp`, `device`). With `webhook_secret`
//! set, it is signed: `X-NetPulse-Signature: sha256=<hex HMAC-SHA256 of the body>`.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};
use tokio::sync::Semaphore;

use super::NodeCtx;
use crate::model::{DeliveryStatus, JobRecord, JobStatus, Webhook, WebhookState};
use crate::queue::outbox::Delivery;
use crate::queue::{now_ms, now_rfc3339};

/// How often the outbox is looked at.
const TICK: Duration = Duration::from_millis(200);
/// Deliveries under way at once on one node.
const CONCURRENCY: usize = 16;
/// How long one attempt holds its delivery: the longest attempt (a 120 s time
/// limit) and a margin. A node that dies mid-attempt delays a retry this long.
const LEASE_MS: u64 = 150_000;

/// Run until the node stops.
pub async fn run(ctx: Arc<NodeCtx>) {
    let client = match reqwest::Client::builder()
        .user_agent(concat!("netpulse-rs/", env!("CARGO_PKG_VERSION")))
        .redirect(reqwest::redirect::Policy::limited(5))
        .build()
    {
        Ok(c) => c,
        Err(e) => {
            tracing::error!("webhooks will not be delivered by this node: no HTTP client ({e})");
            return;
        }
    };
    let slots = Arc::new(Semaphore::new(CONCURRENCY));
    let mut shutdown = ctx.shutdown.clone();
    let mut more_due = false;
    loop {
        // A full batch means more may be due: look again at once.
        if !more_due {
            tokio::select! {
                _ = tokio::time::sleep(TICK) => {}
                _ = shutdown.changed() => return,
            }
        } else if ctx.stopping() {
            return;
        }
        let free = slots.available_permits().max(1);
        let due = match ctx.store.due_webhooks(free).await {
            Ok(d) => d,
            Err(e) => {
                tracing::debug!("cannot read the webhook outbox: {e}");
                more_due = false;
                continue;
            }
        };
        more_due = due.len() >= free;
        for id in due {
            let Ok(permit) = slots.clone().acquire_owned().await else { return };
            let (ctx, client) = (ctx.clone(), client.clone());
            tokio::spawn(async move {
                attempt(&ctx, &client, &id).await;
                drop(permit);
            });
        }
    }
}

/// One attempt at delivery `id`, if it is still due (another node may have taken it).
async fn attempt(ctx: &NodeCtx, client: &reqwest::Client, id: &str) {
    let delivery = match ctx.store.take_webhook(id, LEASE_MS).await {
        Ok(Some(d)) => d,
        Ok(None) => return,
        Err(e) => {
            tracing::warn!(job = id, "cannot take a webhook delivery: {e}");
            return;
        }
    };
    let Some(record) = &delivery.record else {
        // The record expired before delivery: nothing left to send.
        let state = WebhookState {
            status: DeliveryStatus::Failed,
            last_error: Some("the job's record expired before its webhook was delivered".into()),
            ..delivery.state.clone()
        };
        settle(ctx, &delivery, &state, None).await;
        return;
    };
    // Attempts whose node died before recording them count too.
    if delivery.state.attempts > delivery.webhook.max_retries + 1 {
        let state = WebhookState {
            status: DeliveryStatus::Failed,
            last_error: Some(format!(
                "gave up after {} attempts (the outcome of the last ones is unknown: their node stopped)",
                delivery.state.attempts - 1
            )),
            ..delivery.state.clone()
        };
        settle(ctx, &delivery, &state, None).await;
        return;
    }
    let body = body(record);
    let outcome =
        send(client, &delivery.webhook, &body, &delivery.state, ctx.settings.webhook_secret.as_deref()).await;
    let mut state = delivery.state.clone();
    let next = match outcome {
        Ok(()) => {
            state.status = DeliveryStatus::Delivered;
            state.delivered_at = Some(now_rfc3339());
            state.last_error = None;
            tracing::info!(
                job = id,
                attempts = state.attempts,
                to = delivery.webhook.origin(),
                "webhook delivered"
            );
            None
        }
        Err(e) => {
            state.last_error = Some(e.clone());
            let retries_done = state.attempts.saturating_sub(1);
            if retries_done < delivery.webhook.max_retries {
                let delay = delivery.webhook.retry_delay_s(retries_done + 1);
                let at = now_ms() + (delay * 1000.0) as i64;
                state.status = DeliveryStatus::Retrying;
                state.next_attempt_at = Some(
                    chrono::DateTime::from_timestamp_millis(at)
                        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Micros, false))
                        .unwrap_or_default(),
                );
                tracing::warn!(
                    job = id,
                    attempt = state.attempts,
                    to = delivery.webhook.origin(),
                    "webhook delivery failed, retrying in {delay} s: {e}"
                );
                Some(at)
            } else {
                state.status = DeliveryStatus::Failed;
                tracing::warn!(
                    job = id,
                    attempts = state.attempts,
                    to = delivery.webhook.origin(),
                    "webhook delivery failed, giving up: {e}"
                );
                None
            }
        }
    };
    settle(ctx, &delivery, &state, next).await;
}

async fn settle(ctx: &NodeCtx, delivery: &Delivery, state: &WebhookState, next: Option<i64>) {
    crate::metrics::webhook_delivery(match state.status {
        DeliveryStatus::Delivered => "delivered",
        DeliveryStatus::Retrying => "retrying",
        _ => "failed",
    });
    match ctx.store.settle_webhook(delivery, state, next).await {
        Ok(true) => {}
        Ok(false) => tracing::warn!(
            job = delivery.id,
            "a webhook attempt outlived its lease; its outcome was not recorded"
        ),
        Err(e) => {
            tracing::warn!(job = delivery.id, "cannot record a webhook attempt (it will be tried again): {e}")
        }
    }
}

/// The JSON a webhook receives: the job as `GET /job` shows it, plus NetPulse's
/// event fields.
fn body(record: &JobRecord) -> Vec<u8> {
    let mut v = serde_json::to_value(record).unwrap_or(Value::Null);
    if let Value::Object(m) = &mut v {
        m.remove("webhook");
        let event = match record.status {
            JobStatus::Finished => "job.completed",
            JobStatus::Cancelled => "job.cancelled",
            _ => "job.failed",
        };
        m.insert("event_type".into(), json!(event));
        m.insert("final".into(), json!(true));
        m.insert("timestamp".into(), json!(now_rfc3339()));
        m.insert("device".into(), json!({"host": record.host, "device_type": record.device_type}));
    }
    serde_json::to_vec(&v).unwrap_or_default()
}

/// `sha256=<hex>` of the HMAC-SHA256 of `body` under `secret`.
pub fn signature(secret: &str, body: &[u8]) -> String {
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, secret.as_bytes());
    let tag = ring::hmac::sign(&key, body);
    let hex: String = tag.as_ref().iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256={hex}")
}

/// Send one attempt; `Err` says why it failed, for `last_error`.
async fn send(
    client: &reqwest::Client,
    hook: &Webhook,
    body: &[u8],
    state: &WebhookState,
    secret: Option<&str>,
) -> Result<(), String> {
    let method = reqwest::Method::from_bytes(hook.method.as_str().as_bytes()).map_err(|e| e.to_string())?;
    let mut req = client.request(method, &hook.url).timeout(Duration::from_secs_f64(hook.timeout_s));
    if !hook.headers.keys().any(|k| k.eq_ignore_ascii_case("content-type")) {
        req = req.header(reqwest::header::CONTENT_TYPE, "application/json");
    }
    for (k, v) in &hook.headers {
        req = req.header(k.as_str(), v.as_str());
    }
    if !hook.cookies.is_empty() {
        let cookie: Vec<String> = hook.cookies.iter().map(|(k, v)| format!("{k}={v}")).collect();
        req = req.header(reqwest::header::COOKIE, cookie.join("; "));
    }
    if let Some((user, pass)) = &hook.auth {
        req = req.basic_auth(user, Some(pass));
    }
    if let Some(id) = &state.delivery_id {
        req = req.header("X-NetPulse-Delivery", id.as_str());
    }
    if let Some(secret) = secret {
        req = req.header("X-NetPulse-Signature", signature(secret, body));
    }
    // Errors without the URL: a hook URL may carry a token in its path, and the
    // error lands in the job record (`last_error`) and the log.
    let resp = req.body(body.to_vec()).send().await.map_err(|e| {
        let e = e.without_url();
        if e.is_timeout() {
            format!("no answer within {} s", hook.timeout_s)
        } else if e.is_connect() {
            format!("cannot connect: {}", error_chain(&e))
        } else {
            error_chain(&e)
        }
    })?;
    let status = resp.status();
    if status.is_success() {
        return Ok(());
    }
    // The status only: the receiver's body is not ours to show to every reader.
    Err(format!("HTTP {status}"))
}

/// An error with its causes, as one line.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        s.push_str(": ");
        s.push_str(&c.to_string());
        cur = c.source();
    }
    s
}

#[cfg(test)]
mod tests {
    #[test]
    fn signature_is_the_hmac_sha256_of_the_body() {
        // RFC 4231 test case 2.
        assert_eq!(
            super::signature("Jefe", b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
