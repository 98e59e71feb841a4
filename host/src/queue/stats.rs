//! The fleet-wide figures `GET /metrics` reads from Redis: what the job scripts
//! count in `<p>:stats` (jobs submitted and ended, queue and run time
//! histograms), and what each live node published with its heartbeat (open
//! pinned sessions, its process figures).

use std::collections::HashMap;

use redis::AsyncCommands;

use super::store::{JobStore, StoreError};
use crate::metrics::{BOUNDS, Hist, Snapshot};

/// `<p>:stats`, read.
#[derive(Clone, Debug, Default)]
pub struct JobStats {
    pub submitted: u64,
    /// (status, error type or "") -> jobs ended so.
    pub ended: Vec<((String, String), u64)>,
    pub queue_time: Hist,
    pub run_time: Hist,
}

/// A live node, as its registry entry says.
#[derive(Clone, Debug)]
pub struct NodeFigures {
    pub id: String,
    pub pinned_sessions: u64,
    pub process: Snapshot,
}

impl JobStore {
    /// What the job scripts have counted.
    pub async fn job_stats(&self) -> Result<JobStats, StoreError> {
        let h: HashMap<String, String> = self.conn().hgetall(self.keys().stats()).await?;
        let num = |k: &str| h.get(k).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
        let hist = |name: &str| {
            let buckets: Vec<u64> =
                (1..=BOUNDS.len() + 1).map(|i| num(&format!("{name}_b:{i}")) as u64).collect();
            Hist { count: buckets.iter().sum(), buckets, sum: num(&format!("{name}_sum")) }
        };
        let mut ended: Vec<((String, String), u64)> = h
            .iter()
            .filter_map(|(k, v)| {
                let (status, etype) = k.strip_prefix("ended:")?.split_once(':')?;
                Some(((status.to_string(), etype.to_string()), v.parse().ok()?))
            })
            .collect();
        ended.sort();
        Ok(JobStats {
            submitted: num("submitted") as u64,
            ended,
            queue_time: hist("queue"),
            run_time: hist("run"),
        })
    }

    /// Every live node's figures (a node whose entry expired is not listed).
    pub async fn node_figures(&self) -> Result<Vec<NodeFigures>, StoreError> {
        let mut conn = self.conn();
        let mut ids: Vec<String> = conn.smembers(self.keys().nodes()).await?;
        ids.sort();
        let mut pipe = redis::pipe();
        for id in &ids {
            pipe.hget(self.keys().node(id), &["pinned", "metrics"]);
        }
        let rows: Vec<(Option<u64>, Option<String>)> = pipe.query_async(&mut conn).await?;
        Ok(ids
            .into_iter()
            .zip(rows)
            .filter(|(_, (pinned, metrics))| pinned.is_some() || metrics.is_some())
            .map(|(id, (pinned, metrics))| NodeFigures {
                id,
                pinned_sessions: pinned.unwrap_or(0),
                process: metrics.and_then(|m| serde_json::from_str(&m).ok()).unwrap_or_default(),
            })
            .collect())
    }
}
