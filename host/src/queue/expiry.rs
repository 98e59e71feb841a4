//! What the recovery sweep ends or forgets by time: queued jobs past their
//! `ttl` (`EXPIRE_QUEUED`), and the index entries of jobs whose record expired
//! (`TRIM_EXPIRED` over `<p>:expiring`). Each reads first what its script must
//! declare.

use super::keys::IndexField;
use super::scripts;
use super::store::{JobStore, StoreError};
use crate::model::job::JobStatus;
use crate::model::time::{now_ms, now_rfc3339};

/// `<p>:expiring` entries one TRIM_EXPIRED call looks at.
const TRIM_CHUNK: usize = 100;

impl JobStore {
    /// Fail as `Expired` those of `ids` that are still queued past their `ttl`.
    /// Returns how many were.
    pub async fn expire_queued(&self, ids: &[String]) -> Result<usize, StoreError> {
        if ids.is_empty() {
            return Ok(0);
        }
        let mut conn = self.conn();
        let mut read = redis::pipe();
        for id in ids {
            read.hget(self.keys().job(id), "queue");
        }
        let queues: Vec<Option<String>> = read.query_async(&mut conn).await?;
        let (now, ms) = (now_rfc3339(), now_ms());
        let (queued, failed) = (JobStatus::Queued.as_str(), JobStatus::Failed.as_str());
        let mut expire = redis::pipe();
        for (id, queue) in ids.iter().zip(&queues) {
            let Some(q) = queue else { continue };
            // Pipelined by hash: the script is loaded below before the pipeline runs.
            expire.cmd("EVALSHA").arg(scripts::EXPIRE_QUEUED.get_hash()).arg(9);
            for k in self.keys().ending(id, queued, failed) {
                expire.arg(k);
            }
            expire
                .arg(self.keys().queue(q))
                .arg(id)
                .arg(&now)
                .arg(ms)
                .arg(q)
                .arg(self.keys().ended_channel());
        }
        let _: String = scripts::EXPIRE_QUEUED.prepare_invoke().load_async(&mut conn).await?;
        let answers: Vec<redis::Value> = expire.query_async(&mut conn).await?;
        Ok(answers.iter().filter(|a| matches!(a, redis::Value::Int(1))).count())
    }

    /// Trim the indexes of jobs whose record is gone, oldest entry first, looking
    /// at up to `limit` entries; stops at the first job still there and not due
    /// (a record can go early: evicted, deleted). Returns how many were trimmed.
    pub async fn trim_expired(&self, limit: usize) -> Result<usize, StoreError> {
        let mut conn = self.conn();
        let (mut trimmed, mut examined, mut offset) = (0, 0, 0);
        while examined < limit {
            // A page at a time: in steady state the first entry stops the sweep.
            let page: Vec<String> = redis::cmd("ZRANGE")
                .arg(self.keys().expiring())
                .arg(offset)
                .arg(offset + TRIM_CHUNK - 1)
                .query_async(&mut conn)
                .await?;
            if page.is_empty() {
                break;
            }
            let mut inv = scripts::TRIM_EXPIRED.prepare_invoke();
            inv.key(self.keys().expiring()).key(self.keys().idx_all()).arg(now_ms());
            for entry in &page {
                for k in self.index_keys(entry) {
                    inv.key(k);
                }
                inv.arg(entry);
            }
            let (n, stopped): (usize, i64) = inv.invoke_async(&mut conn).await?;
            trimmed += n;
            examined += page.len();
            if stopped == 1 {
                break;
            }
            // Entries kept (records still there, kept alive past their due time)
            // stay ahead of the next page.
            offset += page.len() - n;
        }
        Ok(trimmed)
    }

    /// The job and the four indexes an `expiring` entry
    /// (`<id>\t<status>\t<queue>\t<host>\t<node>`) names; `idx:all` stands in for
    /// a blank field.
    fn index_keys(&self, entry: &str) -> [String; 5] {
        let k = self.keys();
        let mut f = entry.split('\t');
        let mut next = || f.next().unwrap_or("");
        let (id, status, queue, host, node) = (next(), next(), next(), next(), next());
        let idx = |field: IndexField, v: &str| if v.is_empty() { k.idx_all() } else { k.idx(field, v) };
        [
            k.job(id),
            idx(IndexField::Status, status),
            idx(IndexField::Queue, queue),
            idx(IndexField::Host, host),
            idx(IndexField::Node, node),
        ]
    }
}
