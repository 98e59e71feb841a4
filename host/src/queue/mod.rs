//! The queue model: Redis keys, the job record, the Lua scripts that move jobs
//! between states, and the registries of nodes, workers and drivers.

pub mod job;
pub mod keys;
pub mod registry;
pub mod scripts;
pub mod sealing;
pub mod store;

pub use job::*;
pub use keys::{FIFO_QUEUE, Keys};
pub use sealing::{SealError, Sealer};
pub use store::{Claimed, JobFilter, JobStore, StoreError};

/// Now, as the RFC 3339 text stored in job records.
pub fn now_rfc3339() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, false)
}

/// Now, in milliseconds since the epoch (index scores, expiry arithmetic).
pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}
