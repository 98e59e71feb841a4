//! Process-wide figures for `GET /metrics`: Redis errors, plugin call times,
//! webhook deliveries and API requests, counted where they happen. A node
//! publishes its [`Snapshot`] with each heartbeat (in its registry entry), so
//! the API that is scraped shows every node's figures, labelled by node;
//! fleet-wide figures (jobs submitted and ended, queue and run times, queue
//! depths) are kept in Redis by the job scripts (`queue::scripts`).
//!
//! Shared by every layer and using none: counting is all it does.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{LazyLock, Mutex};
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// Upper bounds (seconds) of every histogram's buckets (a last one, `+Inf`, follows).
pub const BOUNDS: [f64; 14] =
    [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0, 30.0, 300.0];

/// A histogram over [`BOUNDS`]: per-bucket counts (not cumulative), sum, count.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Hist {
    pub buckets: Vec<u64>,
    pub sum: f64,
    pub count: u64,
}

impl Hist {
    pub fn observe(&mut self, secs: f64) {
        if self.buckets.len() != BOUNDS.len() + 1 {
            self.buckets = vec![0; BOUNDS.len() + 1];
        }
        let i = BOUNDS.iter().position(|le| secs <= *le).unwrap_or(BOUNDS.len());
        self.buckets[i] += 1;
        self.sum += secs;
        self.count += 1;
    }

    /// (upper bound, count) pairs as the Prometheus encoder wants them.
    pub fn pairs(&self) -> Vec<(f64, u64)> {
        BOUNDS
            .iter()
            .copied()
            .chain([f64::INFINITY])
            .zip(self.buckets.iter().copied().chain(std::iter::repeat(0)))
            .collect()
    }
}

/// What a node publishes about itself.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    pub redis_errors: u64,
    /// Plugin call time, by plugin.
    pub plugin_calls: BTreeMap<String, Hist>,
    /// Webhook delivery attempts, by outcome (`delivered`, `retrying`, `failed`).
    pub webhook_deliveries: BTreeMap<String, u64>,
    /// Recovery sweeps this node ran, and how long each took.
    #[serde(default)]
    pub sweeps: Hist,
    /// Where jobs spent their time in this process, stage by stage.
    #[serde(default)]
    pub stages: BTreeMap<Stage, Hist>,
}

/// A stage of a job's path through one process, timed where it happens (the
/// per-stage breakdown of `netpulse_job_stage_seconds` and of the load benchmark).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// API: a submit request from its body read to its answer (parse, checks, sealing, the script).
    Submit,
    /// API: the submit script's round trip alone.
    SubmitScript,
    /// Node: from the dispatcher's wake-up by a signal to the worker's claim.
    Wake,
    /// Node: the claim script's round trip.
    Claim,
    /// Node: opening and preparing a new device session (FIFO jobs, a pinned worker's first).
    Session,
    /// Node: the driver calls of a job, with the hop to the blocking thread and back.
    Driver,
    /// Node: what the driver calls spent waiting for the device.
    Device,
    /// Node: parsing the output (parser plugin).
    Parse,
    /// Node: storing the result (the finish script's round trip; for a pinned
    /// worker, finish-and-claim: the next job is claimed in the same step).
    Finish,
}

impl Stage {
    pub const ALL: [Stage; 9] = [
        Stage::Submit,
        Stage::SubmitScript,
        Stage::Wake,
        Stage::Claim,
        Stage::Session,
        Stage::Driver,
        Stage::Device,
        Stage::Parse,
        Stage::Finish,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Stage::Submit => "submit",
            Stage::SubmitScript => "submit_script",
            Stage::Wake => "wake",
            Stage::Claim => "claim",
            Stage::Session => "session",
            Stage::Driver => "driver",
            Stage::Device => "device",
            Stage::Parse => "parse",
            Stage::Finish => "finish",
        }
    }
}

#[derive(Default)]
struct Process {
    redis_errors: AtomicU64,
    plugin_calls: Mutex<BTreeMap<String, Hist>>,
    webhook_deliveries: Mutex<BTreeMap<String, u64>>,
    sweeps: Mutex<Hist>,
    stages: Mutex<BTreeMap<Stage, Hist>>,
    /// (route, status) -> requests answered by this process.
    api_requests: Mutex<BTreeMap<(String, u16), u64>>,
}

static PROCESS: LazyLock<Process> = LazyLock::new(Process::default);

/// A Redis command failed (connection lost, timeout, script error).
pub fn redis_error() {
    PROCESS.redis_errors.fetch_add(1, Ordering::Relaxed);
}

/// A call into `plugin` took `took`.
pub fn plugin_call(plugin: &str, took: Duration) {
    let mut calls = PROCESS.plugin_calls.lock().expect("metrics lock");
    match calls.get_mut(plugin) {
        Some(h) => h.observe(took.as_secs_f64()),
        None => calls.entry(plugin.to_string()).or_default().observe(took.as_secs_f64()),
    }
}

/// A webhook delivery attempt ended with `outcome`.
pub fn webhook_delivery(outcome: &str) {
    *PROCESS.webhook_deliveries.lock().expect("metrics lock").entry(outcome.to_string()).or_default() += 1;
}

/// A recovery sweep took `took`.
pub fn sweep(took: Duration) {
    PROCESS.sweeps.lock().expect("metrics lock").observe(took.as_secs_f64());
}

/// A job spent `took` in `stage`.
pub fn stage(stage: Stage, took: Duration) {
    PROCESS.stages.lock().expect("metrics lock").entry(stage).or_default().observe(took.as_secs_f64());
}

/// The API answered a request for `route` (its pattern, not the path) with `status`.
pub fn api_request(route: &str, status: u16) {
    let mut map = PROCESS.api_requests.lock().expect("metrics lock");
    match map.get_mut(&(route.to_string(), status)) {
        Some(n) => *n += 1,
        None => {
            map.insert((route.to_string(), status), 1);
        }
    }
}

/// This process's figures, to publish.
pub fn snapshot() -> Snapshot {
    Snapshot {
        redis_errors: PROCESS.redis_errors.load(Ordering::Relaxed),
        plugin_calls: PROCESS.plugin_calls.lock().expect("metrics lock").clone(),
        webhook_deliveries: PROCESS.webhook_deliveries.lock().expect("metrics lock").clone(),
        sweeps: PROCESS.sweeps.lock().expect("metrics lock").clone(),
        stages: PROCESS.stages.lock().expect("metrics lock").clone(),
    }
}

/// This process's API requests: ((route, status), count).
pub fn api_requests() -> Vec<((String, u16), u64)> {
    PROCESS.api_requests.lock().expect("metrics lock").iter().map(|(k, v)| (k.clone(), *v)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_buckets_are_per_bucket_with_an_infinite_last() {
        let mut h = Hist::default();
        for s in [0.0001, 0.0007, 0.0007, 400.0] {
            h.observe(s);
        }
        let p = h.pairs();
        assert_eq!(p.len(), BOUNDS.len() + 1);
        assert_eq!(p[0], (0.0005, 1));
        assert_eq!(p[1], (0.001, 2));
        assert_eq!(p[BOUNDS.len()], (f64::INFINITY, 1));
        assert_eq!(h.count, 4);
    }
}
