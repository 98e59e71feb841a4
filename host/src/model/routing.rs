//! How a job is routed: its queue strategy and the name of the queue it waits in.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// The FIFO queue's name, as NetPulse calls it.
pub const FIFO_QUEUE: &str = "FifoQ";
/// Pinned queue names start with this.
pub const PINNED_PREFIX: &str = "pinned_";

/// How a job is routed (`queue_strategy`; stored in the job as `"pinned"` / `"fifo"`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase", try_from = "String")]
pub enum QueueStrategy {
    /// One worker per device keeps the SSH session open and runs its jobs in order.
    Pinned,
    /// Any FIFO worker, a fresh SSH session per job.
    Fifo,
}

impl FromStr for QueueStrategy {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "pinned" => Ok(QueueStrategy::Pinned),
            "fifo" => Ok(QueueStrategy::Fifo),
            other => Err(format!("unknown queue_strategy {other:?}; valid values: pinned, fifo")),
        }
    }
}

impl TryFrom<String> for QueueStrategy {
    type Error = String;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

/// A queue's name: `FifoQ`, or `pinned_<host>` with `:<port>` when the port is not
/// 22; an IPv6 address is bracketed (`pinned_[fe80::1]:2222`), so `fe80::1` on
/// port 2222 and `fe80::1:2222` on port 22 never share a queue.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(transparent)]
#[schema(example = "pinned_192.168.1.1")]
pub struct QueueName(String);

impl QueueName {
    /// The FIFO queue.
    pub fn fifo() -> Self {
        Self(FIFO_QUEUE.to_string())
    }

    /// The pinned queue of the device at `host`:`port`.
    pub fn pinned(host: &str, port: u16) -> Self {
        let host = if host.contains(':') { format!("[{host}]") } else { host.to_string() };
        if port == 22 {
            Self(format!("{PINNED_PREFIX}{host}"))
        } else {
            Self(format!("{PINNED_PREFIX}{host}:{port}"))
        }
    }

    /// A name as stored (a record's `queue` field, a worker's queues).
    pub fn from_stored(name: String) -> Self {
        Self(name)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn is_pinned(&self) -> bool {
        self.0.starts_with(PINNED_PREFIX)
    }
}

/// `pinned_<host>`, with `:<port>` when the port is not 22, as text.
pub fn pinned_queue_name(host: &str, port: u16) -> String {
    QueueName::pinned(host, port).into()
}

impl fmt::Display for QueueName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for QueueName {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl From<QueueName> for String {
    fn from(q: QueueName) -> String {
        q.0
    }
}

impl PartialEq<str> for QueueName {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

impl PartialEq<&str> for QueueName {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

impl PartialEq<String> for QueueName {
    fn eq(&self, other: &String) -> bool {
        self.0 == *other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pinned_queue_includes_port_only_when_not_22() {
        assert_eq!(QueueName::pinned("127.0.9.1", 22), "pinned_127.0.9.1");
        assert_eq!(pinned_queue_name("127.0.9.1", 2222), "pinned_127.0.9.1:2222");
        assert!(QueueName::pinned("h", 22).is_pinned() && !QueueName::fifo().is_pinned());
        // IPv6: bracketed, so an address ending in a number is not a port.
        assert_eq!(QueueName::pinned("fe80::1", 2222), "pinned_[fe80::1]:2222");
        assert_eq!(QueueName::pinned("fe80::1:2222", 22), "pinned_[fe80::1:2222]");
        assert_ne!(QueueName::pinned("fe80::1", 2222), QueueName::pinned("fe80::1:2222", 22));
        assert_eq!(serde_json::to_string(&QueueName::fifo()).unwrap(), r#""FifoQ""#);
    }

    #[test]
    fn strategy_is_stored_lowercase_and_unknown_ones_are_named() {
        assert_eq!(serde_json::to_string(&QueueStrategy::Pinned).unwrap(), r#""pinned""#);
        assert_eq!(serde_json::from_str::<QueueStrategy>(r#""fifo""#).unwrap(), QueueStrategy::Fifo);
        let err = serde_json::from_str::<QueueStrategy>(r#""lifo""#).unwrap_err().to_string();
        assert!(err.contains(r#"unknown queue_strategy "lifo"; valid values: pinned, fifo"#), "{err}");
    }
}
