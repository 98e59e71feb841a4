//! What `GET /health` reads from Redis besides the workers: Redis's own figures,
//! how many jobs wait in each queue, and the note the reaper leaves while every
//! node is at capacity. Redis errors come back as [`StoreError`], like every
//! other read of the store.

use std::collections::BTreeMap;

use redis::AsyncCommands;

use super::store::{JobStore, StoreError};

/// Redis's own figures (`INFO server memory`).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RedisInfo {
    pub version: Option<String>,
    pub used_memory_bytes: Option<u64>,
}

impl JobStore {
    /// Redis's version and memory use.
    pub async fn redis_info(&self) -> Result<RedisInfo, StoreError> {
        let info: String =
            redis::cmd("INFO").arg("server").arg("memory").query_async(&mut self.conn()).await?;
        let field = |name: &str| {
            info.lines().find_map(|l| l.strip_prefix(name)?.strip_prefix(':')).map(|v| v.trim().to_string())
        };
        Ok(RedisInfo {
            version: field("redis_version"),
            used_memory_bytes: field("used_memory").and_then(|v| v.parse().ok()),
        })
    }

    /// Jobs waiting in each queue that has any, by queue name.
    pub async fn queue_depths(&self) -> Result<BTreeMap<String, u64>, StoreError> {
        let mut conn = self.conn();
        let queues: Vec<String> = conn.smembers(self.keys().queues()).await?;
        let mut pipe = redis::pipe();
        for q in &queues {
            pipe.llen(self.keys().queue(q));
        }
        let lens: Vec<u64> = pipe.query_async(&mut conn).await?;
        Ok(queues.into_iter().zip(lens).filter(|(_, n)| *n > 0).collect())
    }

    /// Why pinned queues wait, while every live node is at capacity (`None` otherwise).
    pub async fn capacity_full(&self) -> Result<Option<String>, StoreError> {
        Ok(self.conn().get(self.keys().capacity_full()).await?)
    }
}
