//! The job model: status, what to run, the result, and the record clients read.

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use serde_json::value::RawValue;

/// Where a job is in its life. Moves queued -> started -> finished | failed, or
/// queued -> cancelled, or queued -> failed (expired before a worker took it).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum JobStatus {
    Queued,
    Started,
    Finished,
    Failed,
    Cancelled,
}

impl JobStatus {
    pub const ALL: [JobStatus; 5] =
        [JobStatus::Queued, JobStatus::Started, JobStatus::Finished, JobStatus::Failed, JobStatus::Cancelled];

    pub fn as_str(self) -> &'static str {
        match self {
            JobStatus::Queued => "queued",
            JobStatus::Started => "started",
            JobStatus::Finished => "finished",
            JobStatus::Failed => "failed",
            JobStatus::Cancelled => "cancelled",
        }
    }

    pub fn is_ended(self) -> bool {
        matches!(self, JobStatus::Finished | JobStatus::Failed | JobStatus::Cancelled)
    }
}

impl fmt::Display for JobStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for JobStatus {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        JobStatus::ALL
            .into_iter()
            .find(|st| st.as_str() == s || (s == "canceled" && *st == JobStatus::Cancelled))
            .ok_or_else(|| {
                let valid: Vec<&str> = JobStatus::ALL.iter().map(|s| s.as_str()).collect();
                format!("unknown status {s:?}; valid values: {}", valid.join(", "))
            })
    }
}

/// How a job is routed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum QueueStrategy {
    /// One worker per device keeps the SSH session open and runs its jobs in order.
    Pinned,
    /// Any FIFO worker, a fresh SSH session per job.
    Fifo,
}

/// The device a job talks to (credentials are kept apart, see [`Credentials`]).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DeviceTarget {
    pub device_type: String,
    pub host: String,
    pub port: u16,
    pub username: String,
    /// Connect timeout, seconds.
    pub timeout_s: f64,
    /// SSH keepalive interval, seconds (0 = off).
    pub keepalive_s: u64,
}

/// Password and enable secret: stored apart from the job record, handed to the worker once.
#[derive(Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Credentials {
    pub password: String,
    pub secret: Option<String>,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Credentials { .. }")
    }
}

/// What the job does on the device.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "lines", rename_all = "lowercase")]
pub enum Work {
    /// Show/exec commands, one result each.
    Commands(Vec<String>),
    /// Configuration lines applied in one configuration session.
    Config(Vec<String>),
    /// A connection test: connect, log in, prepare the session, report the prompt.
    Test,
}

impl Work {
    pub fn lines(&self) -> &[String] {
        match self {
            Work::Commands(l) | Work::Config(l) => l,
            Work::Test => &[],
        }
    }
}

/// Netmiko-style driver arguments, validated.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct DriverArgs {
    /// Per-command read timeout, seconds.
    pub read_timeout_s: Option<f64>,
    pub expect_string: Option<String>,
    pub strip_prompt: bool,
    pub strip_command: bool,
    pub save: bool,
    pub exit_config_mode: bool,
    pub error_pattern: Option<String>,
    /// Vendor-specific arguments, passed to the plugin as JSON text.
    pub extra: Vec<(String, String)>,
}

/// Everything a worker needs to run a job, except credentials. Stored in the job record.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct JobSpec {
    pub device: DeviceTarget,
    pub work: Work,
    /// `command` was a single string: the result is a string, not an object.
    pub single: bool,
    pub driver_args: DriverArgs,
    pub strategy: QueueStrategy,
    /// Longest time the job may wait in its queue, seconds.
    pub ttl_s: u64,
    /// Longest time the job may run once started, seconds.
    pub execution_timeout_s: u64,
    /// How long the record is kept after the job ends, seconds.
    pub result_ttl_s: u64,
    /// Turn each command's output into records (`parsing`), templates resolved at submit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parsing: Option<ParsePlan>,
}

/// How a job's command output is parsed: the parser and, for each command, the
/// templates it runs (texts carried in the job, so a node needs no templates folder).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ParsePlan {
    /// The parser plugin (`parsing.name`), e.g. "textfsm".
    pub parser: String,
    /// Every distinct template of the job.
    pub templates: Vec<crate::template::NamedTemplate>,
    /// For command `i`, the indexes into `templates` it is parsed with.
    pub per_command: Vec<Vec<usize>>,
    /// Record keys lower-cased (the ntc-templates convention, with `use_ntc_template`).
    pub lower_keys: bool,
}

impl JobSpec {
    /// The queue this job goes to: `FifoQ`, or `pinned_<host>` (`:<port>` when not 22).
    pub fn queue_name(&self) -> String {
        match self.strategy {
            QueueStrategy::Fifo => super::keys::FIFO_QUEUE.to_string(),
            QueueStrategy::Pinned => pinned_queue_name(&self.device.host, self.device.port),
        }
    }
}

/// `pinned_<host>`, with `:<port>` when the port is not 22.
pub fn pinned_queue_name(host: &str, port: u16) -> String {
    if port == 22 {
        format!("{}{host}", super::keys::PINNED_PREFIX)
    } else {
        format!("{}{host}:{port}", super::keys::PINNED_PREFIX)
    }
}

/// Why a job failed, as clients see it in `result.error.type`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ErrorKind {
    /// The device refused a command or configuration line.
    CommandRejected,
    /// The device could not be reached.
    ConnectionError,
    /// The device refused the credentials.
    AuthenticationError,
    /// The device did not answer in time, or the job ran past `execution_timeout`.
    TimeoutError,
    /// The driver plugin failed (trap, deadline, memory cap, protocol confusion).
    PluginError,
    /// The worker or its node died while running the job.
    WorkerLost,
    /// The worker was stopped through `DELETE /worker` while running the job.
    WorkerTerminated,
    /// The job waited in its queue longer than its `ttl`.
    Expired,
    /// The output could not be parsed (`parsing`): a template error or its `Error` action.
    ParseError,
    /// The node could not open the job's sealed credentials (it has no or another
    /// `credential_key` than the API that stored them).
    CredentialError,
    /// The node could not read the job record (stored by an incompatible release).
    IncompatibleJob,
}

/// `result.error`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct JobError {
    #[serde(rename = "type")]
    pub kind: ErrorKind,
    pub message: String,
}

impl JobError {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self { kind, message: message.into() }
    }
}

impl fmt::Display for JobError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}: {}", self.kind, self.message)
    }
}

/// `result.type`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ResultType {
    Success,
    Failed,
}

/// `result`: set exactly when the job ends, in the same atomic step as its status.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct JobResult {
    #[serde(rename = "type")]
    pub kind: ResultType,
    pub retval: Option<Retval>,
    pub error: Option<JobError>,
}

/// `result.retval`: the job's return value, held as JSON text from the node to the
/// client. Parsed records arrive from the parser component as JSON and are stored
/// and served as they are, never rebuilt as values on the way.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Retval(Box<RawValue>);

impl Retval {
    pub fn from_value(v: &Value) -> Self {
        Self(serde_json::value::to_raw_value(v).expect("a JSON value always serializes"))
    }
    pub fn raw(json: Box<RawValue>) -> Self {
        Self(json)
    }
    /// An object of `entries` in their order (keys are not checked for repeats).
    pub fn object<'a>(entries: impl IntoIterator<Item = (&'a str, &'a RawValue)>) -> Self {
        let mut text = String::from("{");
        for (key, value) in entries {
            if text.len() > 1 {
                text.push(',');
            }
            text.push_str(&Value::from(key).to_string());
            text.push(':');
            text.push_str(value.get());
        }
        text.push('}');
        Self(RawValue::from_string(text).expect("an object of JSON values is JSON"))
    }
    pub fn get(&self) -> &str {
        self.0.get()
    }
    pub fn to_value(&self) -> Value {
        serde_json::from_str(self.0.get()).expect("a retval holds JSON")
    }
}

impl PartialEq for Retval {
    fn eq(&self, other: &Self) -> bool {
        self.get() == other.get()
    }
}

impl JobResult {
    pub fn success(retval: Retval) -> Self {
        Self { kind: ResultType::Success, retval: Some(retval), error: None }
    }
    pub fn failed(error: JobError) -> Self {
        Self { kind: ResultType::Failed, retval: None, error: Some(error) }
    }
}

/// A job as `GET /job` shows it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct JobRecord {
    pub id: String,
    pub status: JobStatus,
    pub queue: String,
    pub created_at: Option<String>,
    pub enqueued_at: Option<String>,
    pub started_at: Option<String>,
    pub ended_at: Option<String>,
    pub worker: Option<String>,
    pub result: Option<JobResult>,
    /// Seconds from start to end.
    pub duration: Option<f64>,
    /// Seconds from enqueue to start.
    pub queue_time: Option<f64>,
    pub host: String,
    pub node: Option<String>,
    pub device_type: String,
    /// The commands (or configuration lines) the job sends.
    pub command: Vec<String>,
    /// Why a queued job is still waiting, when the system knows.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub waiting_reason: Option<String>,
}

/// Parse a job hash (HGETALL) into a record; `None` when the hash is empty or broken.
pub fn record_from_hash(mut h: HashMap<String, String>) -> Option<JobRecord> {
    let id = h.remove("id")?;
    let status: JobStatus = h.get("status")?.parse().ok()?;
    let spec: Option<JobSpec> = h.get("spec").and_then(|s| serde_json::from_str(s).ok());
    let non_empty = |v: Option<String>| v.filter(|s| !s.is_empty());
    let created_at = non_empty(h.remove("created_at"));
    let enqueued_at = non_empty(h.remove("enqueued_at"));
    let started_at = non_empty(h.remove("started_at"));
    let ended_at = non_empty(h.remove("ended_at"));
    let result = non_empty(h.remove("result")).and_then(|r| serde_json::from_str(&r).ok());
    let secs = |a: &Option<String>, b: &Option<String>| -> Option<f64> {
        let a = DateTime::<FixedOffset>::parse_from_rfc3339(a.as_deref()?).ok()?;
        let b = DateTime::<FixedOffset>::parse_from_rfc3339(b.as_deref()?).ok()?;
        Some((b - a).num_microseconds()? as f64 / 1e6)
    };
    Some(JobRecord {
        duration: secs(&started_at, &ended_at),
        queue_time: secs(&enqueued_at, &started_at),
        id,
        status,
        queue: h.remove("queue").unwrap_or_default(),
        created_at,
        enqueued_at,
        started_at,
        ended_at,
        worker: non_empty(h.remove("worker")),
        result,
        host: h.remove("host").unwrap_or_default(),
        node: non_empty(h.remove("node")),
        device_type: spec.as_ref().map(|s| s.device.device_type.clone()).unwrap_or_default(),
        command: spec.map(|s| s.work.lines().to_vec()).unwrap_or_default(),
        waiting_reason: non_empty(h.remove("waiting_reason")),
    })
}

/// A job a worker has claimed: its spec and credentials.
#[derive(Clone, Debug)]
pub struct ClaimedJob {
    pub id: String,
    pub spec: JobSpec,
    pub credentials: Credentials,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_parses_and_lists_valid_values() {
        assert_eq!("finished".parse::<JobStatus>(), Ok(JobStatus::Finished));
        assert_eq!("canceled".parse::<JobStatus>(), Ok(JobStatus::Cancelled));
        let err = "done".parse::<JobStatus>().unwrap_err();
        assert!(err.contains("queued, started, finished, failed, cancelled"), "{err}");
    }

    #[test]
    fn pinned_queue_includes_port_only_when_not_22() {
        assert_eq!(pinned_queue_name("10.0.0.1", 22), "pinned_10.0.0.1");
        assert_eq!(pinned_queue_name("10.0.0.1", 2222), "pinned_10.0.0.1:2222");
    }

    #[test]
    fn record_derives_duration_and_queue_time() {
        let mut h = HashMap::new();
        for (k, v) in [
            ("id", "j1"),
            ("status", "finished"),
            ("queue", "FifoQ"),
            ("enqueued_at", "2024-01-01T12:00:01+08:00"),
            ("started_at", "2024-01-01T12:00:02+08:00"),
            ("ended_at", "2024-01-01T12:00:05.5+08:00"),
        ] {
            h.insert(k.to_string(), v.to_string());
        }
        let r = record_from_hash(h).unwrap();
        assert_eq!(r.duration, Some(3.5));
        assert_eq!(r.queue_time, Some(1.0));
        assert_eq!(r.result, None);
    }
}
