//! Workers as the registry records them, and the messages nodes obey.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A worker's state as `GET /worker` shows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum WorkerStatus {
    Busy,
    Idle,
    /// Its heartbeat stopped.
    Dead,
}

/// One worker, FIFO or pinned.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct WorkerInfo {
    pub name: String,
    pub status: WorkerStatus,
    pub pid: u32,
    pub hostname: String,
    pub queues: Vec<String>,
    #[serde(default, with = "super::time::rfc3339_opt")]
    pub last_heartbeat: Option<DateTime<Utc>>,
    #[serde(default, with = "super::time::rfc3339_opt")]
    pub birth_at: Option<DateTime<Utc>>,
    pub successful_job_count: u64,
    pub failed_job_count: u64,
    pub node: String,
    pub current_job: Option<String>,
    /// Last heartbeat, ms since the epoch (for the reaper; not shown).
    #[serde(skip)]
    pub heartbeat_ms: i64,
}

/// What a node writes when it starts a worker.
#[derive(Clone, Debug)]
pub struct WorkerEntry {
    pub name: String,
    pub node: String,
    pub queues: Vec<String>,
}

/// A message to a node's control list.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum ControlMessage {
    /// Stop this worker now (its running job was already failed by the sender).
    StopWorker { worker: String },
}
