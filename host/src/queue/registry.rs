//! Registries in Redis: nodes, their workers (for `GET /worker`), the device types
//! the installed driver plugins serve, and control messages to nodes.

use std::collections::HashMap;

use redis::AsyncCommands;

use super::scripts;
use super::store::{JobStore, StoreError};
use crate::model::hostname;
use crate::model::time::{now_ms, now_rfc3339, parse_rfc3339};
pub use crate::model::worker::{ControlMessage, WorkerEntry, WorkerInfo, WorkerStatus};

/// What a node registers about itself.
pub struct NodeEntry<'a> {
    pub id: &'a str,
    /// When the node started (RFC 3339).
    pub started_at: &'a str,
    /// device_type -> `plugin@version` its plugins serve.
    pub drivers: &'a [(String, String)],
}

/// Heartbeats older than this many intervals mean the worker is dead.
pub const DEAD_AFTER_INTERVALS: i64 = 3;

impl JobStore {
    /// A worker's whole registry entry as first written (idle, counters at zero;
    /// `birth_at` is when its node registered it).
    fn worker_fields(w: &WorkerEntry, heartbeat_ms: u64, birth_at: &str) -> Vec<(&'static str, String)> {
        vec![
            ("name", w.name.clone()),
            ("status", "idle".to_string()),
            ("pid", std::process::id().to_string()),
            ("hostname", hostname()),
            ("node", w.node.clone()),
            ("queues", serde_json::to_string(&w.queues).unwrap_or_default()),
            ("last_heartbeat", birth_at.to_string()),
            ("heartbeat_ms", now_ms().to_string()),
            ("interval_ms", heartbeat_ms.to_string()),
            ("birth_at", birth_at.to_string()),
            ("successful_job_count", "0".to_string()),
            ("failed_job_count", "0".to_string()),
            ("current_job", String::new()),
        ]
    }

    /// Add a worker to the registry (idle, counters at zero).
    pub async fn register_worker(
        &self,
        w: &WorkerEntry,
        heartbeat_ms: u64,
        birth_at: &str,
    ) -> Result<(), StoreError> {
        let k = self.keys().worker(&w.name);
        let mut pipe = redis::pipe();
        pipe.atomic()
            .hset_multiple(&k, &Self::worker_fields(w, heartbeat_ms, birth_at))
            .ignore()
            .pexpire(&k, worker_ttl_ms(heartbeat_ms))
            .ignore()
            .sadd(self.keys().workers(), &w.name)
            .ignore();
        let _: () = pipe.query_async(&mut self.conn()).await?;
        Ok(())
    }

    /// Refresh the heartbeat of the given workers (each with the time its node
    /// registered it) and of their node, and say again everything the node
    /// registered: a Redis that came back empty knows the node, its workers (whole
    /// entries, never half-empty ones) and the device types it serves after one
    /// heartbeat.
    pub async fn heartbeat(
        &self,
        node: &NodeEntry<'_>,
        workers: &[(WorkerEntry, String)],
        heartbeat_ms: u64,
    ) -> Result<(), StoreError> {
        let now = now_rfc3339();
        let ms = now_ms().to_string();
        let ttl = worker_ttl_ms(heartbeat_ms);
        let mut conn = self.conn();
        let script: String = scripts::HEARTBEAT_WORKER.prepare_invoke().load_async(&mut conn).await?;
        let mut pipe = redis::pipe();
        for (w, birth_at) in workers {
            pipe.cmd("EVALSHA")
                .arg(&script)
                .arg(2)
                .arg(self.keys().worker(&w.name))
                .arg(self.keys().workers())
                .arg(ttl)
                .arg(&now)
                .arg(&ms);
            for (k, v) in Self::worker_fields(w, heartbeat_ms, birth_at) {
                if k != "last_heartbeat" && k != "heartbeat_ms" {
                    pipe.arg(k).arg(v);
                }
            }
            pipe.ignore();
        }
        self.node_fields(&mut pipe, node, heartbeat_ms);
        let _: () = pipe.query_async(&mut conn).await?;
        Ok(())
    }

    /// The node's whole entry, its place in the nodes set and its device types.
    fn node_fields(&self, pipe: &mut redis::Pipeline, node: &NodeEntry<'_>, heartbeat_ms: u64) {
        let k = self.keys().node(node.id);
        pipe.hset_multiple(
            &k,
            &[
                ("id", node.id.to_string()),
                ("pid", std::process::id().to_string()),
                ("hostname", hostname()),
                ("started_at", node.started_at.to_string()),
                ("last_heartbeat", now_rfc3339()),
                ("heartbeat_ms", now_ms().to_string()),
                ("interval_ms", heartbeat_ms.to_string()),
                // What this node serves, for the sweep that forgets device types
                // no live node serves any more.
                ("device_types", node.drivers.iter().map(|(t, _)| t.as_str()).collect::<Vec<_>>().join(",")),
            ],
        )
        .ignore()
        .pexpire(&k, worker_ttl_ms(heartbeat_ms))
        .ignore()
        .sadd(self.keys().nodes(), node.id)
        .ignore();
        if !node.drivers.is_empty() {
            pipe.hset_multiple(self.keys().drivers(), node.drivers).ignore();
        }
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
    pub async fn register_node(&self, node: &NodeEntry<'_>, heartbeat_ms: u64) -> Result<(), StoreError> {
        let mut pipe = redis::pipe();
        self.node_fields(&mut pipe, node, heartbeat_ms);
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
