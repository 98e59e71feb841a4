//! Registries in Redis: nodes, their workers (for `GET /worker`), the device types
//! the installed driver plugins serve, and control messages to nodes.

use std::collections::HashMap;

use redis::AsyncCommands;

use super::store::{JobStore, StoreError};
use crate::model::hostname;
use crate::model::time::{now_ms, now_rfc3339, parse_rfc3339};
pub use crate::model::worker::{ControlMessage, WorkerEntry, WorkerInfo, WorkerStatus};

/// Heartbeats older than this many intervals mean the worker is dead.
pub const DEAD_AFTER_INTERVALS: i64 = 3;

impl JobStore {
    /// Add a worker to the registry (idle, counters at zero).
    pub async fn register_worker(&self, w: &WorkerEntry, heartbeat_ms: u64) -> Result<(), StoreError> {
        let k = self.keys().worker(&w.name);
        let now = now_rfc3339();
        let mut pipe = redis::pipe();
        pipe.atomic()
            .hset_multiple(
                &k,
                &[
                    ("name", w.name.clone()),
                    ("status", "idle".to_string()),
                    ("pid", std::process::id().to_string()),
                    ("hostname", hostname()),
                    ("node", w.node.clone()),
                    ("queues", serde_json::to_string(&w.queues).unwrap_or_default()),
                    ("last_heartbeat", now.clone()),
                    ("heartbeat_ms", now_ms().to_string()),
                    ("interval_ms", heartbeat_ms.to_string()),
                    ("birth_at", now),
                    ("successful_job_count", "0".to_string()),
                    ("failed_job_count", "0".to_string()),
                    ("current_job", String::new()),
                ],
            )
            .ignore()
            .pexpire(&k, worker_ttl_ms(heartbeat_ms))
            .ignore()
            .sadd(self.keys().workers(), &w.name)
            .ignore();
        let _: () = pipe.query_async(&mut self.conn()).await?;
        Ok(())
    }

    /// Refresh the heartbeat of the given workers and of their node.
    pub async fn heartbeat(
        &self,
        node: &str,
        workers: &[String],
        heartbeat_ms: u64,
    ) -> Result<(), StoreError> {
        let now = now_rfc3339();
        let ms = now_ms().to_string();
        let ttl = worker_ttl_ms(heartbeat_ms);
        let mut pipe = redis::pipe();
        for name in workers.iter().map(|w| self.keys().worker(w)).chain([self.keys().node(node)]) {
            pipe.hset_multiple(&name, &[("last_heartbeat", now.as_str()), ("heartbeat_ms", ms.as_str())])
                .ignore()
                .pexpire(&name, ttl)
                .ignore();
        }
        let _: () = pipe.query_async(&mut self.conn()).await?;
        Ok(())
    }

    /// Remove a worker from the registry.
    pub async fn deregister_worker(&self, name: &str) -> Result<(), StoreError> {
        let mut pipe = redis::pipe();
        pipe.del(self.keys().worker(name)).ignore().srem(self.keys().workers(), name).ignore();
        let _: () = pipe.query_async(&mut self.conn()).await?;
        Ok(())
    }

    /// Every registered worker. Entries whose hash expired are removed from the set.
    pub async fn workers(&self) -> Result<Vec<WorkerInfo>, StoreError> {
        let mut conn = self.conn();
        let names: Vec<String> = conn.smembers(self.keys().workers()).await?;
        let mut pipe = redis::pipe();
        for n in &names {
            pipe.hgetall(self.keys().worker(n));
        }
        let hashes: Vec<HashMap<String, String>> = pipe.query_async(&mut conn).await?;
        let now = now_ms();
        let mut out = Vec::new();
        let mut gone = Vec::new();
        for (name, h) in names.into_iter().zip(hashes) {
            match worker_from_hash(&h, now) {
                Some(w) => out.push(w),
                None => gone.push(name),
            }
        }
        if !gone.is_empty() {
            let _: () = conn.srem(self.keys().workers(), gone).await?;
        }
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }

    /// Register a node and the device types its plugins serve.
    pub async fn register_node(
        &self,
        node: &str,
        heartbeat_ms: u64,
        drivers: &[(String, String)],
    ) -> Result<(), StoreError> {
        let k = self.keys().node(node);
        let mut pipe = redis::pipe();
        pipe.hset_multiple(
            &k,
            &[
                ("id", node.to_string()),
                ("pid", std::process::id().to_string()),
                ("hostname", hostname()),
                ("started_at", now_rfc3339()),
                ("last_heartbeat", now_rfc3339()),
                ("heartbeat_ms", now_ms().to_string()),
                ("interval_ms", heartbeat_ms.to_string()),
            ],
        )
        .ignore()
        .pexpire(&k, worker_ttl_ms(heartbeat_ms))
        .ignore()
        .sadd(self.keys().nodes(), node)
        .ignore();
        if !drivers.is_empty() {
            pipe.hset_multiple(self.keys().drivers(), drivers).ignore();
        }
        let _: () = pipe.query_async(&mut self.conn()).await?;
        Ok(())
    }

    /// Remove a node from the registry.
    pub async fn deregister_node(&self, node: &str) -> Result<(), StoreError> {
        let mut pipe = redis::pipe();
        pipe.del(self.keys().node(node)).ignore().srem(self.keys().nodes(), node).ignore();
        let _: () = pipe.query_async(&mut self.conn()).await?;
        Ok(())
    }
}

impl JobStore {
    /// Send a control message to `node`. Messages to a node that never reads them expire.
    pub async fn send_control(&self, node: &str, msg: &ControlMessage) -> Result<(), StoreError> {
        let k = self.keys().control(node);
        let json = serde_json::to_string(msg).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let mut pipe = redis::pipe();
        pipe.atomic().rpush(&k, json).ignore().expire(&k, 300).ignore();
        let _: () = pipe.query_async(&mut self.conn()).await?;
        Ok(())
    }
}

/// Registry entries outlive a few missed heartbeats, so `GET /worker` can show `dead`.
fn worker_ttl_ms(heartbeat_ms: u64) -> i64 {
    (heartbeat_ms * 12) as i64
}

fn worker_from_hash(h: &HashMap<String, String>, now: i64) -> Option<WorkerInfo> {
    let get = |k: &str| h.get(k).cloned().unwrap_or_default();
    let num = |k: &str| h.get(k).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
    let name = h.get("name")?.clone();
    let beat: i64 = h.get("heartbeat_ms")?.parse().ok()?;
    let interval: i64 = h.get("interval_ms").and_then(|v| v.parse().ok()).unwrap_or(5000);
    let status = if now - beat > interval * DEAD_AFTER_INTERVALS {
        WorkerStatus::Dead
    } else if get("status") == "busy" {
        WorkerStatus::Busy
    } else {
        WorkerStatus::Idle
    };
    Some(WorkerInfo {
        name,
        status,
        pid: num("pid") as u32,
        hostname: get("hostname"),
        queues: serde_json::from_str(&get("queues")).unwrap_or_default(),
        last_heartbeat: h.get("last_heartbeat").map(String::as_str).and_then(parse_rfc3339),
        birth_at: h.get("birth_at").map(String::as_str).and_then(parse_rfc3339),
        successful_job_count: num("successful_job_count"),
        failed_job_count: num("failed_job_count"),
        node: get("node"),
        current_job: h.get("current_job").filter(|s| !s.is_empty()).cloned(),
        heartbeat_ms: beat,
    })
}
