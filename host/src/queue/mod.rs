//! The queue model in Redis: keys, the stored job record, the Lua scripts that
//! move jobs between states, and the registries of nodes, workers and drivers.
//!
//! It stores the model's types (`crate::model`) and re-exports those it stores,
//! so `queue::JobSpec` and `model::JobSpec` are one type. It imports nothing from
//! `api`, `node`, `plugin` or `template` (`host/tests/layers.rs`).

pub mod expiry;
pub mod health;
pub mod hostkeys;
pub mod job;
pub mod keys;
pub mod leases;
pub mod outbox;
pub mod registry;
pub mod scripts;
pub mod sealing;
pub mod stats;
pub mod store;
pub mod topology;
pub mod wakeups;

pub use crate::model::ParsePlan;
pub use crate::model::routing::{FIFO_QUEUE, QueueName, QueueStrategy};
pub use crate::model::time::{now_ms, now_rfc3339};
pub use job::*;
pub use keys::Keys;
pub use sealing::{SealError, Sealer};
pub use store::{Claimed, JobFilter, JobStore, StoreError};
