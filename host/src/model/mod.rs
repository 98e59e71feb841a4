//! The model: plain data every layer shares. Jobs (what to run, the result, the
//! record clients read), how they are routed (queue strategy, queue names), the
//! templates a parse runs, workers, times, where Redis is (as its URL names it),
//! and this machine's host name.
//!
//! A leaf: it uses nothing else in the crate (`host/tests/layers.rs` checks), so
//! every other module can depend on it without a cycle. No I/O beyond reading the
//! host name, no Redis, no plugins: storing these types is `queue`'s business,
//! running them `node`'s.

pub mod job;
pub mod parse;
pub mod redis_url;
pub mod routing;
pub mod time;
pub mod webhook;
pub mod worker;

pub use job::{
    ClaimedJob, Credentials, DeviceTarget, DriverArgs, ErrorKind, JobError, JobRecord, JobResult, JobSpec,
    JobStatus, ResultType, Retval, Work,
};
pub use parse::{NamedTemplate, ParsePlan};
pub use routing::{FIFO_QUEUE, PINNED_PREFIX, QueueName, QueueStrategy, pinned_queue_name};
pub use webhook::{DeliveryStatus, Webhook, WebhookMethod, WebhookState};
pub use worker::{ControlMessage, WorkerEntry, WorkerInfo, WorkerStatus};

/// This machine's host name.
pub fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|s| s.trim().to_string())
        .ok()
        .filter(|s| !s.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "localhost".to_string())
}
