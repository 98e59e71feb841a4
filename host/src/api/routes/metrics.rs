//! `GET /metrics`: Prometheus figures (OpenMetrics text, which Prometheus reads).
//! Fleet-wide ones come from Redis (`queue::stats`): jobs submitted and ended by
//! status and error type, queue and run time histograms, queue depths, and each
//! live node's open pinned sessions, plugin call times, Redis errors and webhook
//! deliveries (labelled by node). This process adds its own API requests by
//! route and status, and its Redis errors, labelled by its node name.
//! `metrics_public = true` serves it without a key; otherwise a `read` key.

use std::sync::{Arc, Mutex};

use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use prometheus_client::encoding::{EncodeMetric, MetricEncoder, NoLabelSet};
use prometheus_client::metrics::MetricType;
use prometheus_client::registry::Registry;

use crate::api::ApiState;
use crate::api::error::ApiError;
use crate::metrics::Hist;

type Labels = Vec<(String, String)>;

/// One value of a series.
#[derive(Debug)]
enum Sample {
    Counter(u64),
    Gauge(i64),
    Histogram(Hist),
}

/// A metric family built for one scrape: its samples, each with its labels.
#[derive(Debug)]
struct Series {
    kind: MetricType,
    rows: Vec<(Labels, Sample)>,
}

impl Series {
    fn new(kind: MetricType) -> Self {
        Self { kind, rows: Vec::new() }
    }
    fn push(&mut self, labels: &[(&str, &str)], sample: Sample) {
        let labels = labels.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        self.rows.push((labels, sample));
    }
}

impl EncodeMetric for Series {
    fn encode(&self, mut encoder: MetricEncoder) -> Result<(), std::fmt::Error> {
        for (labels, sample) in &self.rows {
            let mut e = encoder.encode_family(labels)?;
            match sample {
                Sample::Counter(n) => e.encode_counter::<NoLabelSet, u64, u64>(n, None)?,
                Sample::Gauge(n) => e.encode_gauge(n)?,
                Sample::Histogram(h) => e.encode_histogram::<NoLabelSet>(h.sum, h.count, &h.pairs(), None)?,
            }
        }
        Ok(())
    }
    fn metric_type(&self) -> MetricType {
        self.kind
    }
}

pub async fn get(State(state): State<Arc<ApiState>>, headers: HeaderMap) -> Result<Response, ApiError> {
    let store = &state.store;
    let stats = store.job_stats().await?;
    let depths = store.queue_depths().await?;
    let nodes = store.node_figures().await?;
    let me = state.settings.node_name();

    let mut reg = Registry::with_prefix("netpulse");
    let mut submitted = Series::new(MetricType::Counter);
    submitted.push(&[], Sample::Counter(stats.submitted));
    reg.register("jobs_submitted", "Jobs accepted by the API (fleet-wide)", submitted);

    let mut ended = Series::new(MetricType::Counter);
    for ((status, etype), n) in &stats.ended {
        ended.push(&[("status", status), ("error_type", etype)], Sample::Counter(*n));
    }
    reg.register("jobs_ended", "Jobs ended, by status and error type (fleet-wide)", ended);

    let mut queue_time = Series::new(MetricType::Histogram);
    queue_time.push(&[], Sample::Histogram(stats.queue_time));
    reg.register("job_queue_seconds", "Time from submit to a worker's start (fleet-wide)", queue_time);
    let mut run_time = Series::new(MetricType::Histogram);
    run_time.push(&[], Sample::Histogram(stats.run_time));
    reg.register("job_run_seconds", "Time from a worker's start to the job's end (fleet-wide)", run_time);

    let fifo: u64 = depths.iter().filter(|(q, _)| *q == crate::model::FIFO_QUEUE).map(|(_, n)| n).sum();
    let pinned: u64 = depths.iter().filter(|(q, _)| *q != crate::model::FIFO_QUEUE).map(|(_, n)| n).sum();
    let mut depth = Series::new(MetricType::Gauge);
    depth.push(&[("kind", "fifo")], Sample::Gauge(fifo as i64));
    depth.push(&[("kind", "pinned")], Sample::Gauge(pinned as i64));
    reg.register("queue_depth", "Jobs waiting: the FIFO queue, and every pinned queue together", depth);

    let mut sessions = Series::new(MetricType::Gauge);
    let mut plugin_calls = Series::new(MetricType::Histogram);
    let mut redis_errors = Series::new(MetricType::Counter);
    let mut webhooks = Series::new(MetricType::Counter);
    let mut sweeps = Series::new(MetricType::Histogram);
    let mut stages = Series::new(MetricType::Histogram);
    let mut my_published = std::collections::BTreeMap::new();
    for n in nodes {
        let node = n.id.as_str();
        sessions.push(&[("node", node)], Sample::Gauge(n.pinned_sessions as i64));
        for (plugin, h) in n.process.plugin_calls {
            plugin_calls.push(&[("node", node), ("plugin", &plugin)], Sample::Histogram(h));
        }
        // This process's own count is read live below.
        if node != me {
            redis_errors.push(&[("node", node)], Sample::Counter(n.process.redis_errors));
        }
        if n.process.sweeps.count > 0 {
            sweeps.push(&[("node", node)], Sample::Histogram(n.process.sweeps));
        }
        // This process's own stages (API ones too) are merged with the live ones below.
        if node == me {
            my_published = n.process.stages;
        } else {
            for (stage, h) in n.process.stages {
                stages.push(&[("node", node), ("stage", stage.name())], Sample::Histogram(h));
            }
        }
        for (outcome, count) in n.process.webhook_deliveries {
            webhooks.push(&[("node", node), ("outcome", &outcome)], Sample::Counter(count));
        }
    }
    let mine = crate::metrics::snapshot();
    redis_errors.push(&[("node", &me)], Sample::Counter(mine.redis_errors));
    // The node named like this process may be this process (its published figures
    // are an older copy of the live ones) or another on the same host (an API-only
    // process times no node stage): per stage, the larger count is the right one.
    let mut merged = my_published;
    for (stage, h) in mine.stages {
        if merged.get(&stage).is_none_or(|p| p.count <= h.count) {
            merged.insert(stage, h);
        }
    }
    for (stage, h) in merged {
        stages.push(&[("node", &me), ("stage", stage.name())], Sample::Histogram(h));
    }
    reg.register("pinned_sessions", "Open pinned device sessions, by node", sessions);
    reg.register("plugin_call_seconds", "Time of each call into a plugin, by node and plugin", plugin_calls);
    reg.register("redis_errors", "Redis commands that failed, by node (process)", redis_errors);
    reg.register("webhook_deliveries", "Webhook delivery attempts, by node and outcome", webhooks);
    reg.register("sweep_seconds", "Time of each recovery sweep, by the node that ran it", sweeps);
    reg.register(
        "job_stage_seconds",
        "Time jobs spent in each stage of their path, by the process (node) that timed it",
        stages,
    );

    let mut requests = Series::new(MetricType::Counter);
    for ((route, status), n) in crate::metrics::api_requests() {
        requests
            .push(&[("node", &me), ("route", &route), ("status", &status.to_string())], Sample::Counter(n));
    }
    reg.register("api_requests", "Requests this API process answered, by route and status", requests);

    let mut text = String::new();
    prometheus_client::encoding::text::encode(&mut text, &reg)
        .map_err(|_| ApiError::Internal("the metrics could not be written".into()))?;
    // OpenMetrics to a scraper that asks for it; the classic text format
    // (which `promtool check metrics` and older scrapers read) otherwise.
    let openmetrics = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("application/openmetrics-text"));
    let (content_type, body) = if openmetrics {
        ("application/openmetrics-text; version=1.0.0; charset=utf-8", text)
    } else {
        ("text/plain; version=0.0.4; charset=utf-8", classic_text(&text))
    };
    Ok((StatusCode::OK, [(header::CONTENT_TYPE, content_type)], body).into_response())
}

/// The OpenMetrics text as Prometheus's classic text format: a counter family
/// is named with its `_total` suffix (its samples already carry it), and no
/// `# EOF`.
fn classic_text(openmetrics: &str) -> String {
    let counters: std::collections::HashSet<&str> =
        openmetrics.lines().filter_map(|l| l.strip_prefix("# TYPE ")?.strip_suffix(" counter")).collect();
    let mut out = String::with_capacity(openmetrics.len());
    for line in openmetrics.lines() {
        if line == "# EOF" {
            continue;
        }
        let renamed = ["# HELP ", "# TYPE "].iter().find_map(|tag| {
            let rest = line.strip_prefix(tag)?;
            let (name, tail) = rest.split_once(' ')?;
            counters.contains(name).then(|| format!("{tag}{name}_total {tail}"))
        });
        out.push_str(renamed.as_deref().unwrap_or(line));
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn classic_text_names_counters_with_total_and_drops_eof() {
        let om = "# HELP a_jobs Jobs.\n# TYPE a_jobs counter\na_jobs_total 2\n# HELP a_depth Depth.\n# TYPE a_depth gauge\na_depth 1\n# EOF\n";
        assert_eq!(
            super::classic_text(om),
            "# HELP a_jobs_total Jobs.\n# TYPE a_jobs_total counter\na_jobs_total 2\n# HELP a_depth Depth.\n# TYPE a_depth gauge\na_depth 1\n"
        );
    }
}

/// The route a request matched, noted by [`note_route`] for [`count_request`].
#[derive(Clone, Default)]
pub struct RouteSlot(Arc<Mutex<Option<String>>>);

/// Outermost: count every answer by the route it matched (`other` when none
/// did, as for a request refused before routing) and its status.
pub async fn count_request(mut req: Request, next: Next) -> Response {
    let slot = RouteSlot::default();
    req.extensions_mut().insert(slot.clone());
    let response = next.run(req).await;
    let route = slot.0.lock().expect("route slot").take().unwrap_or_else(|| "other".to_string());
    crate::metrics::api_request(&route, response.status().as_u16());
    response
}

/// On every route: note the route's pattern (`/jobs/{id}`, not the path).
pub async fn note_route(req: Request, next: Next) -> Response {
    if let (Some(slot), Some(path)) =
        (req.extensions().get::<RouteSlot>(), req.extensions().get::<MatchedPath>())
    {
        *slot.0.lock().expect("route slot") = Some(path.as_str().to_string());
    }
    next.run(req).await
}
