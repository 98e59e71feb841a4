//! The job: status, what to run, the result, and the record clients read.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use serde_json::value::RawValue;

use super::parse::ParsePlan;
use super::routing::{QueueName, QueueStrategy};

/// Where a job is in its life. Moves queued -> started -> finished | failed, or
/// queued -> cancelled, or queued -> failed (expired before a worker took it).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
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

/// The device a job talks to (credentials are kept apart, see [`Credentials`]).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DeviceTarget {
    pub device_type: String,
    pub host: String,
    pub port: u16,
    pub username: String,
    /// SSH connect timeout, seconds (`connection_args.timeout`). Stored under its
    /// first name, `timeout_s`, so records of every release read the same.
    #[serde(rename = "timeout_s")]
    pub connect_timeout_s: f64,
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
    /// Commands or configuration stored once for many jobs (a `/device/bulk`
    /// request) under `<p>:payload:<sha256>`: this holds the SHA-256. The store
    /// puts the real work back whenever it reads the job, so nothing above it
    /// sees this variant.
    Stored(String),
}

impl Work {
    /// The lines the job sends (none for a test or a not yet resolved payload).
    pub fn lines(&self) -> &[String] {
        match self {
            Work::Commands(l) | Work::Config(l) => l,
            Work::Test | Work::Stored(_) => &[],
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
    /// `driver_args.host_key_check: false`: accept any host key for this job
    /// (logged as a warning). Stored only when set, so specs keep their text.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub skip_host_key_check: bool,
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
    /// Called when the job ends. Stored in its own field of the record (sealed
    /// like credentials), not in the spec a worker reads.
    #[serde(skip)]
    pub webhook: Option<super::Webhook>,
}

impl JobSpec {
    /// The queue this job goes to: `FifoQ`, or `pinned_<host>` (`:<port>` when not 22).
    pub fn queue_name(&self) -> QueueName {
        match self.strategy {
            QueueStrategy::Fifo => QueueName::fifo(),
            QueueStrategy::Pinned => QueueName::pinned(&self.device.host, self.device.port),
        }
    }
}

/// Why a job failed, as clients see it in `result.error.type`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
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
    /// The device's SSH host key is not the one pinned for its host:port, or (with
    /// `ssh.host_key_policy = "strict"`) not in the known_hosts file.
    HostKeyMismatch,
}

impl ErrorKind {
    /// The name clients see (`result.error.type`).
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::CommandRejected => "CommandRejected",
            ErrorKind::ConnectionError => "ConnectionError",
            ErrorKind::AuthenticationError => "AuthenticationError",
            ErrorKind::TimeoutError => "TimeoutError",
            ErrorKind::PluginError => "PluginError",
            ErrorKind::WorkerLost => "WorkerLost",
            ErrorKind::WorkerTerminated => "WorkerTerminated",
            ErrorKind::Expired => "Expired",
            ErrorKind::ParseError => "ParseError",
            ErrorKind::CredentialError => "CredentialError",
            ErrorKind::IncompatibleJob => "IncompatibleJob",
            ErrorKind::HostKeyMismatch => "HostKeyMismatch",
        }
    }
}

/// `result.error`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
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
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ResultType {
    Success,
    Failed,
}

/// `result`: set exactly when the job ends, in the same atomic step as its status.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct JobResult {
    #[serde(rename = "type")]
    pub kind: ResultType,
    /// What the job returned: the output (a string for a single `command`, else an
    /// object of command -> output), the parsed records, or a test's prompt.
    #[schema(value_type = Option<Value>)]
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
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct JobRecord {
    pub id: String,
    pub status: JobStatus,
    pub queue: QueueName,
    #[serde(default, with = "super::time::rfc3339_opt")]
    pub created_at: Option<DateTime<Utc>>,
    #[serde(default, with = "super::time::rfc3339_opt")]
    pub enqueued_at: Option<DateTime<Utc>>,
    #[serde(default, with = "super::time::rfc3339_opt")]
    pub started_at: Option<DateTime<Utc>>,
    #[serde(default, with = "super::time::rfc3339_opt")]
    pub ended_at: Option<DateTime<Utc>>,
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
    /// In a compact listing: how many lines `command` had before it was cut to a
    /// preview (absent when it is whole).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub command_lines: Option<usize>,
    /// Where the job's webhook delivery stands (absent when it asked for none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webhook: Option<super::WebhookState>,
    /// The shared payload the record's work is stored in, until the store has
    /// read it (never served).
    #[serde(skip)]
    pub payload: Option<String>,
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
    fn error_kind_names_are_their_json() {
        for k in [ErrorKind::CommandRejected, ErrorKind::HostKeyMismatch, ErrorKind::Expired] {
            assert_eq!(serde_json::to_value(k).unwrap(), k.as_str());
        }
    }

    #[test]
    fn status_parses_and_lists_valid_values() {
        assert_eq!("finished".parse::<JobStatus>(), Ok(JobStatus::Finished));
        assert_eq!("canceled".parse::<JobStatus>(), Ok(JobStatus::Cancelled));
        let err = "done".parse::<JobStatus>().unwrap_err();
        assert!(err.contains("queued, started, finished, failed, cancelled"), "{err}");
    }

    /// The job spec as stored by earlier releases: it must keep reading, and a spec
    /// stored now must be the same text.
    #[test]
    fn stored_spec_format_is_unchanged() {
        let stored = r#"{"device":{"device_type":"cisco_ios","host":"127.0.9.1","port":22,"username":"u","timeout_s":10.0,"keepalive_s":60},"work":{"kind":"commands","lines":["show version"]},"single":true,"driver_args":{"read_timeout_s":null,"expect_string":null,"strip_prompt":true,"strip_command":true,"save":false,"exit_config_mode":true,"error_pattern":null,"extra":[]},"strategy":"pinned","ttl_s":300,"execution_timeout_s":300,"result_ttl_s":3600,"parsing":{"parser":"textfsm","templates":[{"name":"inline","text":"Value A (.+)"}],"per_command":[[0]],"lower_keys":false}}"#;
        let spec: JobSpec = serde_json::from_str(stored).unwrap();
        assert_eq!(spec.device.connect_timeout_s, 10.0);
        assert_eq!(spec.strategy, QueueStrategy::Pinned);
        assert_eq!(spec.queue_name(), "pinned_127.0.9.1");
        assert_eq!(serde_json::to_string(&spec).unwrap(), stored);
    }

    #[test]
    fn record_times_are_served_as_stored() {
        let stored = "2024-05-01T09:30:00.123456+00:00";
        let record = JobRecord {
            id: "j".into(),
            status: JobStatus::Queued,
            queue: QueueName::fifo(),
            created_at: super::super::time::parse_rfc3339(stored),
            enqueued_at: None,
            started_at: None,
            ended_at: None,
            worker: None,
            result: None,
            duration: None,
            queue_time: None,
            host: "h".into(),
            node: None,
            device_type: "linux".into(),
            command: vec![],
            waiting_reason: None,
            command_lines: None,
            webhook: None,
            payload: None,
        };
        let json = serde_json::to_value(&record).unwrap();
        assert_eq!(json["created_at"], stored);
        assert_eq!(json["started_at"], Value::Null);
        assert_eq!(json["queue"], "FifoQ");
        assert_eq!(serde_json::from_value::<JobRecord>(json).unwrap(), record);
    }
}
