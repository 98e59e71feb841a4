//! The job record as Redis holds it: a hash of text fields, read back into the
//! model's [`JobRecord`]. The job types themselves are the model's
//! (`crate::model::job`), re-exported here and in `queue` as the types this
//! layer stores.

use std::collections::HashMap;

pub use crate::model::job::*;
use crate::model::routing::QueueName;
pub use crate::model::routing::pinned_queue_name;
use crate::model::time::parse_rfc3339;

/// Parse a job hash (HGETALL) into a record; `None` when the hash is empty or broken.
pub fn record_from_hash(mut h: HashMap<String, String>) -> Option<JobRecord> {
    let id = h.remove("id")?;
    let status: JobStatus = h.get("status")?.parse().ok()?;
    let spec: Option<JobSpec> = h.get("spec").and_then(|s| serde_json::from_str(s).ok());
    let payload = spec.as_ref().and_then(|s| match &s.work {
        Work::Stored(sha) => Some(sha.clone()),
        _ => None,
    });
    let non_empty = |v: Option<String>| v.filter(|s| !s.is_empty());
    let mut time = |field: &str| h.remove(field).as_deref().and_then(parse_rfc3339);
    let (created_at, enqueued_at, started_at, ended_at) =
        (time("created_at"), time("enqueued_at"), time("started_at"), time("ended_at"));
    let result = non_empty(h.remove("result")).and_then(|r| serde_json::from_str(&r).ok());
    let secs = |a: Option<chrono::DateTime<chrono::Utc>>, b: Option<chrono::DateTime<chrono::Utc>>| {
        Some((b? - a?).num_microseconds()? as f64 / 1e6)
    };
    Some(JobRecord {
        duration: secs(started_at, ended_at),
        queue_time: secs(enqueued_at, started_at),
        id,
        status,
        queue: QueueName::from_stored(h.remove("queue").unwrap_or_default()),
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
        command_lines: None,
        webhook: non_empty(h.remove("webhook_state")).and_then(|w| serde_json::from_str(&w).ok()),
        payload,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn stored_times_are_served_as_the_same_text() {
        let stored = crate::model::time::now_rfc3339();
        let h: HashMap<String, String> = [
            ("id", "j2"),
            ("status", "queued"),
            ("queue", "FifoQ"),
            ("created_at", stored.as_str()),
            ("started_at", ""),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let json = serde_json::to_value(record_from_hash(h).unwrap()).unwrap();
        assert_eq!(json["created_at"], stored.as_str());
        assert_eq!(json["started_at"], serde_json::Value::Null);
    }
}
