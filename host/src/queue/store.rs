//! `JobStore`: the one place that reads and writes jobs in Redis. Submitting,
//! claiming, finishing and cancelling go through the atomic scripts in `scripts.rs`.

use std::collections::HashMap;
use std::time::Duration;

use redis::aio::MultiplexedConnection;
use redis::{AsyncCommands, Script};
use sha2::Digest;

use super::job::record_from_hash;
use super::keys::{IndexField, Keys};
use super::scripts;
use super::sealing::Sealer;
use super::topology::{Conn, Link, Topology};
use crate::model::job::{
    ClaimedJob, Credentials, ErrorKind, JobError, JobRecord, JobResult, JobSpec, JobStatus, ResultType, Work,
};
use crate::model::redis_url::has_hash_tag;
use crate::model::routing::{QueueName, QueueStrategy};
use crate::model::time::{now_ms, now_rfc3339};

/// Redis could not do what we asked.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Redis did not answer (down, unreachable, timed out).
    #[error("Redis is unreachable: {0}")]
    Unavailable(String),
    /// Redis answered with an error.
    #[error("Redis error: {0}")]
    Redis(String),
    /// A pinned worker's claim was refused: its queue's lease is no longer its own.
    #[error("the lease on queue {0} is no longer this worker's")]
    LeaseLost(String),
    /// A stored value could not be read back.
    #[error("stored data is damaged: {0}")]
    Corrupt(String),
}

impl From<redis::RedisError> for StoreError {
    fn from(e: redis::RedisError) -> Self {
        crate::metrics::redis_error();
        if e.is_io_error() || e.is_timeout() || e.is_connection_dropped() || e.is_connection_refusal() {
            StoreError::Unavailable(e.to_string())
        } else {
            StoreError::Redis(e.to_string())
        }
    }
}

/// Filters for listing jobs; all given ones must match.
#[derive(Clone, Debug, Default)]
pub struct JobFilter {
    pub queue: Option<String>,
    pub status: Option<JobStatus>,
    pub node: Option<String>,
    pub host: Option<String>,
}

/// What a worker took off a queue.
#[derive(Debug)]
pub enum Claimed {
    /// A job to run.
    Job(Box<ClaimedJob>),
    /// A job this node cannot read; it is `started` and must be failed with `error`.
    Unreadable { id: String, error: JobError },
}

/// What cancelling one job did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CancelOutcome {
    Cancelled,
    /// Not queued any more: its status now.
    NotQueued(JobStatus),
    Missing,
}

/// Jobs in Redis.
#[derive(Clone)]
pub struct JobStore {
    link: std::sync::Arc<Link>,
    keys: Keys,
    sealer: Sealer,
    /// Replicas a job's state change must reach before it is acknowledged (`WAIT`).
    replicas: std::sync::Arc<Replicas>,
    /// The node last seen owning each pinned queue: SUBMIT's guess of whom to wake.
    owners: std::sync::Arc<std::sync::Mutex<HashMap<String, String>>>,
}

/// Queue owners remembered at most (then forgotten all at once, and learned again).
const OWNERS_REMEMBERED: usize = 100_000;
/// Ids a claim answers with from the head of its list (the next claim's candidates).
const CLAIM_HEAD: usize = 4;
/// Candidates one claim names at most (each declares three keys).
pub const CLAIM_CANDIDATES: usize = 8;
/// Claims tried in a row when the list changes under them (cancels, expiries).
const CLAIM_TRIES: usize = 50;

/// What one CLAIM answered.
enum ClaimAnswer {
    Job {
        id: String,
        spec: String,
        cred: String,
        cred_expired: bool,
    },
    Empty,
    /// Ask again with the ids now at the head.
    Again,
}

/// How many replicas a change must reach, and how many the primary has.
#[derive(Debug, Default)]
struct Replicas {
    /// As configured (`redis_min_replicas`); 0 waits for nothing.
    min: u32,
    timeout: Duration,
    /// Replicas connected to the primary when last asked (`ROLE`), and when (ms).
    seen: std::sync::atomic::AtomicU32,
    seen_at_ms: std::sync::atomic::AtomicI64,
}

/// One call of a script: its keys and arguments, built like a
/// `redis::ScriptInvocation` and run by [`JobStore::run`].
pub(crate) struct Call {
    script: &'static Script,
    keys: Vec<Vec<u8>>,
    args: Vec<Vec<u8>>,
}

impl Call {
    pub(crate) fn new(script: &'static Script) -> Self {
        Call { script, keys: Vec::new(), args: Vec::new() }
    }
    pub(crate) fn key(&mut self, k: impl redis::ToRedisArgs) -> &mut Self {
        self.keys.extend(k.to_redis_args());
        self
    }
    pub(crate) fn arg(&mut self, a: impl redis::ToRedisArgs) -> &mut Self {
        self.args.extend(a.to_redis_args());
        self
    }
}

/// How old the count of connected replicas may be before it is asked again.
const REPLICAS_RECHECK_MS: i64 = 1000;

impl JobStore {
    /// Connect to Redis (a URL as `topology.rs` reads it); fails fast with
    /// `Unavailable` when nothing answers. On a Redis Cluster, `prefix` must hold
    /// a hash tag (`{netpulse}`) so that every key lives in one slot.
    pub async fn connect(url: &str, prefix: &str) -> Result<Self, StoreError> {
        let topology =
            Topology::parse(url).map_err(|e| StoreError::Unavailable(format!("bad Redis URL: {e}")))?;
        if topology.is_cluster() && !has_hash_tag(prefix) {
            return Err(StoreError::Unavailable(format!(
                "on a Redis Cluster the key prefix must hold a hash tag, e.g. {{{prefix}}}, so that every key \
                 lives on one node; {prefix:?} has none"
            )));
        }
        let link = Link::open(topology, &Keys::new(prefix).stats()).await?;
        Ok(Self {
            link,
            keys: Keys::new(prefix),
            sealer: Sealer::default(),
            replicas: Default::default(),
            owners: Default::default(),
        })
    }

    /// Acknowledge a job's state change (submit, claim, finish, cancel) only once
    /// it reached `n` replicas, waiting at most `timeout` (`WAIT`); 0 does not wait.
    pub fn with_min_replicas(mut self, n: u32, timeout: Duration) -> Self {
        self.replicas = std::sync::Arc::new(Replicas { min: n, timeout, ..Default::default() });
        self
    }

    /// Seal credentials at rest with `key` (see `sealing.rs`); `None` leaves them unsealed.
    pub fn with_credential_key(mut self, key: Option<&str>) -> Self {
        self.sealer = Sealer::new(key);
        self
    }

    /// Whether credentials are sealed at rest.
    pub fn seals_credentials(&self) -> bool {
        self.sealer.seals()
    }

    pub fn keys(&self) -> &Keys {
        &self.keys
    }

    /// How records' secrets are sealed at rest.
    pub(super) fn sealer(&self) -> &Sealer {
        &self.sealer
    }

    /// A connection of its own for a Pub/Sub subscription.
    pub async fn pubsub(&self) -> Result<redis::aio::PubSub, StoreError> {
        let generation = self.link.generation();
        self.link.client().get_async_pubsub().await.map_err(|e| {
            self.link.saw_error(generation, &e);
            e.into()
        })
    }

    /// A shared connection for short commands (it reconnects by itself, and to
    /// the new primary after a failover).
    pub fn conn(&self) -> Conn {
        self.link.conn()
    }

    /// An error seen on a connection of its own (a blocking pop): the primary
    /// is looked for again when it says the primary moved.
    pub fn saw_error(&self, e: &redis::RedisError) {
        self.link.saw_error(self.link.generation(), e);
    }

    /// A dedicated connection for blocking commands (BLPOP, BLMOVE), which would
    /// stall every other user of a shared one.
    pub async fn blocking_conn(&self) -> Result<MultiplexedConnection, StoreError> {
        let cfg = redis::AsyncConnectionConfig::new().set_connection_timeout(Duration::from_secs(2));
        let generation = self.link.generation();
        self.link.client().get_multiplexed_async_connection_with_config(&cfg).await.map_err(|e| {
            self.link.saw_error(generation, &e);
            e.into()
        })
    }

    /// How many replicas a change must reach now: `min_replicas`, or as many as
    /// the primary has when it has fewer (after a failover that left no replica,
    /// nothing can be waited for: see docs/architecture.md for what is promised
    /// then). The primary's replicas are asked at most once a second (`ROLE`).
    async fn replicas_needed(&self, conn: &mut Conn) -> Result<u32, StoreError> {
        use std::sync::atomic::Ordering::Relaxed;
        let r = &self.replicas;
        if r.min == 0 {
            return Ok(0);
        }
        if now_ms() - r.seen_at_ms.load(Relaxed) > REPLICAS_RECHECK_MS {
            // ["master", offset, [[ip, port, offset], ...]]
            let role: Vec<redis::Value> = redis::cmd("ROLE").query_async(conn).await?;
            let n = match role.get(2) {
                Some(redis::Value::Array(list)) => list.len() as u32,
                _ => 0,
            };
            if n < r.min {
                // Replicas gone may mean this server was cut off and another
                // promoted: make sure it is still the primary.
                self.link.suspect(self.link.generation());
            }
            if n < r.min && r.seen.load(Relaxed) >= r.min {
                tracing::warn!(
                    "the Redis primary has {n} replicas, fewer than the {} a change must reach: \
                     changes are acknowledged once they reach {n}",
                    r.min
                );
            }
            r.seen.store(n, Relaxed);
            r.seen_at_ms.store(now_ms(), Relaxed);
        }
        Ok(r.min.min(r.seen.load(Relaxed)))
    }

    /// Append the `WAIT` for `need` replicas to `pipe` (nothing when 0).
    fn wait_for(&self, pipe: &mut redis::Pipeline, need: u32) {
        if need > 0 {
            pipe.cmd("WAIT").arg(need).arg(self.replicas.timeout.as_millis() as u64);
        }
    }

    /// Check the answer of [`wait_for`](Self::wait_for)'s `WAIT`. An error means
    /// the change may be lost if the primary fails now: callers treat it like
    /// Redis being unreachable.
    fn waited(&self, need: u32, answer: Option<&redis::Value>) -> Result<(), StoreError> {
        if need == 0 {
            return Ok(());
        }
        let reached: u32 = answer.map(redis::from_redis_value).transpose()?.unwrap_or(0);
        if reached < need {
            crate::metrics::redis_error();
            self.replicas.seen_at_ms.store(0, std::sync::atomic::Ordering::Relaxed); // ask again
            self.link.suspect(self.link.generation());
            return Err(StoreError::Unavailable(format!(
                "the change reached {reached} of the {need} Redis replicas it must reach within {} ms",
                self.replicas.timeout.as_millis()
            )));
        }
        Ok(())
    }

    /// Run a script that changes jobs or leases, and, when replicas must confirm
    /// it, its `WAIT` in the same pipeline on the same connection (so the `WAIT`
    /// is about this very write, even if the connection is made again later).
    pub(crate) async fn run<T: redis::FromRedisValue>(&self, call: &Call) -> Result<T, StoreError> {
        let mut conn = self.conn();
        let need = self.replicas_needed(&mut conn).await?;
        for attempt in 0..2 {
            let mut pipe = redis::pipe();
            pipe.cmd("EVALSHA")
                .arg(call.script.get_hash())
                .arg(call.keys.len())
                .arg(&call.keys)
                .arg(&call.args);
            self.wait_for(&mut pipe, need);
            // A server that lost its scripts (restarted, failed over) says
            // NOSCRIPT, as an error of the pipeline or as its first answer.
            let answers: Vec<redis::Value> = match pipe.query_async(&mut conn).await {
                Err(e) if e.kind() == redis::ErrorKind::NoScriptError && attempt == 0 => {
                    call.script.prepare_invoke().load_async(&mut conn).await?;
                    continue;
                }
                r => r?,
            };
            let mut answers = answers.into_iter();
            let first = answers.next().unwrap_or(redis::Value::Nil);
            if let redis::Value::ServerError(e) = &first
                && e.code() == "NOSCRIPT"
                && attempt == 0
            {
                call.script.prepare_invoke().load_async(&mut conn).await?;
                continue;
            }
            let value = redis::from_redis_value(&first)?;
            self.waited(need, answers.next().as_ref())?;
            return Ok(value);
        }
        Err(StoreError::Redis("the script could not be loaded".into()))
    }

    /// Round trip time to Redis.
    pub async fn ping(&self) -> Result<Duration, StoreError> {
        let start = std::time::Instant::now();
        let _: String = redis::cmd("PING").query_async(&mut self.conn()).await?;
        Ok(start.elapsed())
    }

    /// The SUBMIT script's keys and arguments for one job.
    /// The SUBMIT script's keys, then its arguments, for one job (the keys name
    /// the node this process last saw own the job's queue, see [`SUBMIT`](scripts::SUBMIT)).
    fn submit_call(
        &self,
        id: &str,
        spec: &JobSpec,
        cred: &Credentials,
    ) -> Result<(Vec<String>, Vec<String>), StoreError> {
        let queue = spec.queue_name();
        let now = now_rfc3339();
        let ms = now_ms().to_string();
        let spec_json = serde_json::to_string(spec).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let cred_json = serde_json::to_string(cred).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let cred_json = self.sealer.seal(id, &cred_json);
        let pinned = if spec.strategy == QueueStrategy::Pinned { "1" } else { "0" };
        let guess = self.owners.lock().expect("owners lock").get(queue.as_str()).cloned().unwrap_or_default();
        let k = &self.keys;
        let keys = vec![
            k.job(id),
            k.seq(),
            k.stats(),
            k.cred(id),
            k.queue(queue.as_str()),
            k.queues(),
            k.idx_all(),
            k.idx(IndexField::Queue, queue.as_str()),
            k.idx(IndexField::Status, JobStatus::Queued.as_str()),
            k.idx(IndexField::Host, &spec.device.host),
            k.owner(queue.as_str()),
            k.offered(),
            k.unowned(),
            k.signal(&guess),
        ];
        let mut args: Vec<String> = vec![
            id.to_string(),
            queue.to_string(),
            cred_json,
            (spec.ttl_s + 60).to_string(),
            pinned.to_string(),
            k.signal_prefix(),
        ];
        for (k, v) in [
            ("id", id.to_string()),
            ("status", JobStatus::Queued.as_str().to_string()),
            ("queue", queue.into()),
            ("host", spec.device.host.clone()),
            ("created_at", now.clone()),
            ("enqueued_at", now),
            ("created_ms", ms.clone()),
            ("enqueued_ms", ms),
            ("ttl_s", spec.ttl_s.to_string()),
            ("result_ttl_s", spec.result_ttl_s.to_string()),
            ("spec", spec_json),
        ] {
            args.push(k.to_string());
            args.push(v);
        }
        if let Some(hook) = &spec.webhook {
            let json = serde_json::to_string(hook).map_err(|e| StoreError::Corrupt(e.to_string()))?;
            args.push("webhook".to_string());
            args.push(self.sealer.seal(id, &json));
        }
        Ok((keys, args))
    }

    /// After SUBMIT: when it named the queue's owner instead of waking it (this
    /// process guessed another node, or none), wake that node and remember it.
    fn missed_signal(&self, queue: &QueueName, id: &str, answer: &redis::Value) -> Option<(String, String)> {
        let node: String = match answer {
            redis::Value::BulkString(b) => String::from_utf8_lossy(b).into_owned(),
            redis::Value::SimpleString(s) => s.clone(),
            _ => return None,
        };
        let mut owners = self.owners.lock().expect("owners lock");
        if owners.len() >= OWNERS_REMEMBERED {
            owners.clear();
        }
        owners.insert(queue.to_string(), node.clone());
        Some((self.keys.signal(&node), format!("{queue}\t{id}")))
    }

    /// Store and enqueue a job; returns its id and queue.
    pub async fn submit(
        &self,
        spec: &JobSpec,
        cred: &Credentials,
    ) -> Result<(String, QueueName), StoreError> {
        let id = uuid::Uuid::new_v4().to_string();
        let mut call = Call::new(&scripts::SUBMIT);
        let (keys, args) = self.submit_call(&id, spec, cred)?;
        for k in keys {
            call.key(k);
        }
        for a in args {
            call.arg(a);
        }
        let started = std::time::Instant::now();
        let answer: redis::Value = self.run(&call).await?;
        let queue = spec.queue_name();
        if let Some((signal, wake)) = self.missed_signal(&queue, &id, &answer) {
            let _: () = self.conn().rpush(signal, wake).await?;
        }
        crate::metrics::stage(crate::metrics::Stage::SubmitScript, started.elapsed());
        Ok((id, spec.queue_name()))
    }

    /// Store and enqueue many jobs in one pipelined round trip. Their commands or
    /// configuration are stored once per distinct text (`<p>:payload:<sha256>`),
    /// so a request for a thousand devices costs its payload once, not a
    /// thousand times.
    pub async fn submit_many(
        &self,
        jobs: &[(JobSpec, Credentials)],
    ) -> Result<Vec<(String, QueueName)>, StoreError> {
        let hash: String = scripts::SUBMIT.prepare_invoke().load_async(&mut self.conn()).await?;
        let mut out = Vec::with_capacity(jobs.len());
        let mut pipe = redis::pipe();
        // Distinct payloads: sha256 -> (work JSON, the longest life a job needs).
        let mut payloads: HashMap<String, (String, u64)> = HashMap::new();
        let mut stored = Vec::with_capacity(jobs.len());
        for (spec, _) in jobs {
            let mut spec = spec.clone();
            if matches!(spec.work, Work::Commands(_) | Work::Config(_)) {
                let json =
                    serde_json::to_string(&spec.work).map_err(|e| StoreError::Corrupt(e.to_string()))?;
                let sha = hex(&sha2::Sha256::digest(json.as_bytes()));
                let life = spec.ttl_s + spec.execution_timeout_s + spec.result_ttl_s + 120;
                let entry = payloads.entry(sha.clone()).or_insert((json, 0));
                entry.1 = entry.1.max(life);
                spec.work = Work::Stored(sha);
            }
            stored.push(spec);
        }
        if !payloads.is_empty() {
            let store: String = scripts::STORE_PAYLOAD.prepare_invoke().load_async(&mut self.conn()).await?;
            for (sha, (json, life)) in &payloads {
                pipe.cmd("EVALSHA")
                    .arg(&store)
                    .arg(1)
                    .arg(self.keys.payload(sha))
                    .arg(json)
                    .arg(life)
                    .ignore();
            }
        }
        for (spec, (_, cred)) in stored.iter().zip(jobs) {
            let id = uuid::Uuid::new_v4().to_string();
            let (keys, args) = self.submit_call(&id, spec, cred)?;
            pipe.cmd("EVALSHA").arg(&hash).arg(keys.len()).arg(keys).arg(args);
            out.push((id, spec.queue_name()));
        }
        let mut conn = self.conn();
        let need = self.replicas_needed(&mut conn).await?;
        self.wait_for(&mut pipe, need);
        let mut answers: Vec<redis::Value> = pipe.query_async(&mut conn).await?;
        let waited = if need > 0 { answers.pop() } else { None };
        let mut wakes = redis::pipe();
        let mut any = false;
        for ((id, queue), answer) in out.iter().zip(answers) {
            if let Some((signal, wake)) = self.missed_signal(queue, id, &answer) {
                wakes.rpush(signal, wake).ignore();
                any = true;
            }
        }
        if any {
            let _: () = wakes.query_async(&mut conn).await?;
        }
        self.waited(need, waited.as_ref())?;
        Ok(out)
    }

    /// One job, or `None` when it does not exist (or has expired).
    pub async fn get(&self, id: &str) -> Result<Option<JobRecord>, StoreError> {
        let h: HashMap<String, String> = self.conn().hgetall(self.keys.job(id)).await?;
        if h.is_empty() {
            return Ok(None);
        }
        let mut rec = record_from_hash(h)
            .ok_or_else(|| StoreError::Corrupt(format!("job {id} has an unreadable record")))?;
        self.fill_payloads(std::slice::from_mut(&mut rec)).await?;
        Ok(Some(rec))
    }

    /// The jobs of `ids` that exist, in that order, read in one round trip.
    pub async fn get_many(&self, ids: &[String]) -> Result<Vec<JobRecord>, StoreError> {
        let mut pipe = redis::pipe();
        for id in ids {
            pipe.hgetall(self.keys.job(id));
        }
        let hashes: Vec<HashMap<String, String>> = pipe.query_async(&mut self.conn()).await?;
        let mut out: Vec<JobRecord> =
            hashes.into_iter().filter(|h| !h.is_empty()).filter_map(record_from_hash).collect();
        self.fill_payloads(&mut out).await?;
        Ok(out)
    }

    /// The shared payloads of `records` (one read for all of them), put back as
    /// their `command` lines.
    async fn fill_payloads(&self, records: &mut [JobRecord]) -> Result<(), StoreError> {
        let mut shas: Vec<String> = records.iter().filter_map(|r| r.payload.clone()).collect();
        shas.sort();
        shas.dedup();
        if shas.is_empty() {
            return Ok(());
        }
        let keys: Vec<String> = shas.iter().map(|s| self.keys.payload(s)).collect();
        let texts: Vec<Option<String>> = redis::cmd("MGET").arg(&keys).query_async(&mut self.conn()).await?;
        let works: HashMap<&String, Work> = shas
            .iter()
            .zip(texts)
            .filter_map(|(sha, t)| Some((sha, serde_json::from_str(&t?).ok()?)))
            .collect();
        for r in records {
            if let Some(work) = r.payload.take().and_then(|sha| works.get(&sha)) {
                r.command = work.lines().to_vec();
            }
        }
        Ok(())
    }

    /// The work a claimed job's spec refers to, when it is a shared payload.
    async fn resolve_work(&self, spec: &mut JobSpec) -> Result<Result<(), String>, StoreError> {
        let Work::Stored(sha) = &spec.work else { return Ok(Ok(())) };
        let text: Option<String> = self.conn().get(self.keys.payload(sha)).await?;
        let Some(text) = text else {
            return Ok(Err(format!(
                "the job's commands, stored once for its bulk request (payload {sha}), are gone from Redis; it was not run: submit it again"
            )));
        };
        match serde_json::from_str::<Work>(&text) {
            Ok(w @ (Work::Commands(_) | Work::Config(_))) => {
                spec.work = w;
                Ok(Ok(()))
            }
            _ => Ok(Err(format!("the job's shared payload {sha} cannot be read"))),
        }
    }

    /// Jobs matching `filter`, newest first. Uses the smallest matching index and
    /// drops index entries whose job has expired.
    pub async fn list(
        &self,
        filter: &JobFilter,
        limit: usize,
        offset: usize,
    ) -> Result<Vec<JobRecord>, StoreError> {
        let mut conn = self.conn();
        let mut candidates: Vec<String> = Vec::new();
        if let Some(s) = filter.status {
            candidates.push(self.keys.idx(IndexField::Status, s.as_str()));
        }
        if let Some(q) = &filter.queue {
            candidates.push(self.keys.idx(IndexField::Queue, q));
        }
        if let Some(h) = &filter.host {
            candidates.push(self.keys.idx(IndexField::Host, h));
        }
        if let Some(n) = &filter.node {
            candidates.push(self.keys.idx(IndexField::Node, n));
        }
        let index = if candidates.is_empty() {
            self.keys.idx_all()
        } else {
            let mut pipe = redis::pipe();
            for c in &candidates {
                pipe.zcard(c);
            }
            let sizes: Vec<usize> = pipe.query_async(&mut conn).await?;
            let (i, _) = sizes.iter().enumerate().min_by_key(|(_, s)| **s).unwrap_or((0, &0));
            candidates[i].clone()
        };
        let mut out = Vec::new();
        let mut skipped = 0usize;
        let mut start = 0isize;
        let batch = 200isize;
        loop {
            let ids: Vec<String> = conn.zrevrange(&index, start, start + batch - 1).await?;
            if ids.is_empty() {
                break;
            }
            start += batch;
            let mut pipe = redis::pipe();
            for id in &ids {
                pipe.hgetall(self.keys.job(id));
            }
            let hashes: Vec<HashMap<String, String>> = pipe.query_async(&mut conn).await?;
            let mut gone = Vec::new();
            for (id, h) in ids.iter().zip(hashes) {
                let Some(rec) = (!h.is_empty()).then(|| record_from_hash(h)).flatten() else {
                    gone.push(id.clone());
                    continue;
                };
                if !matches(filter, &rec) {
                    continue;
                }
                if skipped < offset {
                    skipped += 1;
                    continue;
                }
                out.push(rec);
                if out.len() >= limit {
                    break;
                }
            }
            if !gone.is_empty() {
                self.forget(&gone, &index).await?;
            }
            if out.len() >= limit {
                break;
            }
        }
        self.fill_payloads(&mut out).await?;
        Ok(out)
    }

    /// Remove expired jobs from the index they were found in and from the
    /// all-jobs and status indexes (so later queries do not look at them again).
    async fn forget(&self, ids: &[String], found_in: &str) -> Result<(), StoreError> {
        let mut pipe = redis::pipe();
        pipe.zrem(found_in, ids).ignore();
        pipe.zrem(self.keys.idx_all(), ids).ignore();
        for st in JobStatus::ALL {
            pipe.zrem(self.keys.idx(IndexField::Status, st.as_str()), ids).ignore();
        }
        let _: () = pipe.query_async(&mut self.conn()).await?;
        Ok(())
    }

    /// Ids of jobs waiting in `queue`, oldest first.
    pub async fn queued_ids(&self, queue: &str) -> Result<Vec<String>, StoreError> {
        Ok(self.conn().lrange(self.keys.queue(queue), 0, -1).await?)
    }

    /// Cancel one job if it is still queued.
    pub async fn cancel(&self, id: &str) -> Result<CancelOutcome, StoreError> {
        let mut conn = self.conn();
        let mut queue: Option<String> = conn.hget(self.keys.job(id), "queue").await?;
        // The queue is read first, to be declared; a job is never moved to
        // another queue, so a second try only follows a record rewritten meanwhile.
        for _ in 0..3 {
            let Some(q) = queue.take() else { return Ok(CancelOutcome::Missing) };
            let mut call = Call::new(&scripts::CANCEL);
            for k in self.keys.ending(id, JobStatus::Queued.as_str(), JobStatus::Cancelled.as_str()) {
                call.key(k);
            }
            call.key(self.keys.queue(&q)).arg(id).arg(now_rfc3339()).arg(&q).arg(self.keys.ended_channel());
            let r: String = self.run(&call).await?;
            if let Some(other) = r.strip_prefix("queue:") {
                queue = Some(other.to_string()).filter(|q| !q.is_empty());
                continue;
            }
            return Ok(match r.as_str() {
                "ok" => CancelOutcome::Cancelled,
                "missing" => CancelOutcome::Missing,
                other => CancelOutcome::NotQueued(other.parse().map_err(|e: String| StoreError::Corrupt(e))?),
            });
        }
        Err(StoreError::Corrupt(format!("job {id} changed queues while being cancelled")))
    }

    /// Take the next runnable job from the list at `source_key` for `worker`. The
    /// job is `started` for the worker from then on, so a job this node cannot
    /// read (credentials sealed with another `credential_key`, a record from an
    /// incompatible release) comes back as [`Claimed::Unreadable`], for the worker
    /// to fail it.
    ///
    /// `token` names the claiming worker's registration (unique, where worker
    /// names repeat): a job this registration claimed without hearing back is
    /// handed over again; a job an earlier worker of the same name left started
    /// never is (it may have run part way).
    ///
    /// `lease` is a pinned worker's (queue, lease token, lease seconds): the claim
    /// is refused ([`StoreError::LeaseLost`]) when another token holds the queue's
    /// lease (an expired one is taken again).
    ///
    /// `head` holds the ids the caller expects at the head of the list (kept by
    /// the caller between claims; see [`CLAIM`](scripts::CLAIM)): it is updated
    /// from each answer. A wrong guess costs another round trip, never a job.
    pub async fn claim(
        &self,
        source_key: &str,
        worker: &str,
        node: &str,
        token: &str,
        lease: Option<(&str, &str, u64)>,
        head: &mut Vec<String>,
    ) -> Result<Option<Claimed>, StoreError> {
        for _ in 0..CLAIM_TRIES {
            let mut call = Call::new(&scripts::CLAIM);
            self.claim_args(&mut call, source_key, worker, node, token, lease, head);
            // A claim that a failover could undo must not run (another worker
            // would claim the job again): unconfirmed, it is claimed again by
            // this worker's next try, which hands the same job back.
            let r: Vec<String> = self.run(&call).await?;
            match self.claim_answer(r, lease, head)? {
                ClaimAnswer::Again => continue,
                ClaimAnswer::Empty => return Ok(None),
                ClaimAnswer::Job { id, spec, cred, cred_expired } => {
                    return self.read_claim(id, spec, cred, cred_expired).await;
                }
            }
        }
        Err(StoreError::Corrupt(format!("{source_key} kept changing under {CLAIM_TRIES} claims")))
    }

    /// End a started job with its result and claim the next job of `source_key`
    /// in one round trip (a pinned worker's loop): the arguments and answer of
    /// [`finish`](Self::finish) then [`claim`](Self::claim). The job is ended even
    /// when the claim finds the lease lost.
    #[allow(clippy::too_many_arguments)]
    pub async fn finish_and_claim(
        &self,
        id: &str,
        result: &JobResult,
        source_key: &str,
        worker: &str,
        node: &str,
        token: &str,
        lease: Option<(&str, &str, u64)>,
        head: &mut Vec<String>,
    ) -> Result<(bool, Option<Claimed>), StoreError> {
        let mut call = Call::new(&scripts::FINISH_AND_CLAIM);
        self.finish_args(&mut call, id, worker, result)?;
        self.claim_args(&mut call, source_key, worker, node, token, lease, head);
        let mut r: Vec<String> = self.run(&call).await?;
        if r.is_empty() {
            return Err(StoreError::Corrupt("finish-and-claim gave no answer".into()));
        }
        let finished = r.remove(0) == "1";
        let claimed = match self.claim_answer(r, lease, head)? {
            ClaimAnswer::Again => self.claim(source_key, worker, node, token, lease, head).await?,
            ClaimAnswer::Empty => None,
            ClaimAnswer::Job { id, spec, cred, cred_expired } => {
                self.read_claim(id, spec, cred, cred_expired).await?
            }
        };
        Ok((finished, claimed))
    }

    #[allow(clippy::too_many_arguments)]
    fn claim_args(
        &self,
        inv: &mut Call,
        source_key: &str,
        worker: &str,
        node: &str,
        token: &str,
        lease: Option<(&str, &str, u64)>,
        head: &[String],
    ) {
        let k = &self.keys;
        let (lease_key, lease_token, lease_s) = match lease {
            Some((queue, t, s)) => (k.owner(queue), t, s),
            None => (k.owner(""), "", 0),
        };
        inv.key(source_key)
            .key(k.worker(worker))
            .key(lease_key)
            .key(k.stats())
            .key(k.idx(IndexField::Status, JobStatus::Queued.as_str()))
            .key(k.idx(IndexField::Status, JobStatus::Started.as_str()))
            .key(k.idx(IndexField::Status, JobStatus::Failed.as_str()))
            .key(k.idx(IndexField::Node, node))
            .key(k.expiring())
            .key(k.webhooks());
        let head = &head[..head.len().min(CLAIM_CANDIDATES)];
        for id in head {
            inv.key(k.job(id)).key(k.cred(id)).key(k.wait(id));
        }
        inv.arg(now_rfc3339())
            .arg(now_ms())
            .arg(worker)
            .arg(node)
            .arg(token)
            .arg(if lease.is_some() { "1" } else { "0" })
            .arg(lease_token)
            .arg(lease_s)
            .arg(k.ended_channel())
            .arg(CLAIM_HEAD);
        for id in head {
            inv.arg(id);
        }
    }

    /// Read the claim script's answer; `head` becomes the ids it saw at the
    /// list's head.
    fn claim_answer(
        &self,
        r: Vec<String>,
        lease: Option<(&str, &str, u64)>,
        head: &mut Vec<String>,
    ) -> Result<ClaimAnswer, StoreError> {
        let mut r = r.into_iter();
        let kind = r.next().unwrap_or_default();
        Ok(match kind.as_str() {
            "lease lost" => {
                return Err(StoreError::LeaseLost(lease.map(|(q, _, _)| q.to_string()).unwrap_or_default()));
            }
            "job" => {
                let (Some(id), Some(spec), Some(cred), Some(flag)) = (r.next(), r.next(), r.next(), r.next())
                else {
                    return Err(StoreError::Corrupt("a claim answered a job without its fields".into()));
                };
                *head = r.collect();
                ClaimAnswer::Job { id, spec, cred, cred_expired: !flag.is_empty() }
            }
            "empty" => {
                head.clear();
                ClaimAnswer::Empty
            }
            "stale" => {
                *head = r.collect();
                if head.is_empty() { ClaimAnswer::Empty } else { ClaimAnswer::Again }
            }
            "need" => {
                let cur = r.next().unwrap_or_default();
                head.retain(|id| *id != cur);
                head.insert(0, cur);
                ClaimAnswer::Again
            }
            other => return Err(StoreError::Corrupt(format!("unexpected claim answer {other:?}"))),
        })
    }

    /// Decode a claimed job (see [`Claimed::Unreadable`] for one that cannot be).
    async fn read_claim(
        &self,
        id: String,
        spec: String,
        cred: String,
        cred_expired: bool,
    ) -> Result<Option<Claimed>, StoreError> {
        let unreadable = |kind, message: String| {
            tracing::error!(job = id, "{message}");
            Ok(Some(Claimed::Unreadable { id: id.clone(), error: JobError::new(kind, message) }))
        };
        if cred_expired {
            let msg = "the job was claimed as Redis failed, and its credentials expired before it \
                       could be handed over again; it was not run: submit it again";
            return unreadable(ErrorKind::CredentialError, msg.to_string());
        }
        let mut spec: JobSpec = match serde_json::from_str(&spec) {
            Ok(s) => s,
            Err(e) => {
                let msg = format!(
                    "this node cannot read the job ({e}); was it submitted through an API of another release?"
                );
                return unreadable(ErrorKind::IncompatibleJob, msg);
            }
        };
        if let Err(msg) = self.resolve_work(&mut spec).await? {
            return unreadable(ErrorKind::IncompatibleJob, msg);
        }
        let credentials = if cred.is_empty() {
            Credentials::default()
        } else {
            let json = match self.sealer.open(&id, &cred) {
                Ok(json) => json,
                Err(e) => return unreadable(ErrorKind::CredentialError, e.to_string()),
            };
            match serde_json::from_str(&json) {
                Ok(c) => c,
                Err(e) => {
                    let msg = format!("this node cannot read the job's credentials ({e})");
                    return unreadable(ErrorKind::CredentialError, msg);
                }
            }
        };
        Ok(Some(Claimed::Job(Box::new(ClaimedJob { id, spec, credentials }))))
    }

    /// End a started job with its result. Returns false when the job was no longer
    /// this worker's (ended by a reaper or a kill first).
    pub async fn finish(&self, id: &str, worker: &str, result: &JobResult) -> Result<bool, StoreError> {
        let mut call = Call::new(&scripts::FINISH);
        self.finish_args(&mut call, id, worker, result)?;
        let n: i64 = self.run(&call).await?;
        Ok(n == 1)
    }

    fn finish_args(
        &self,
        inv: &mut Call,
        id: &str,
        worker: &str,
        result: &JobResult,
    ) -> Result<(), StoreError> {
        let status = match result.kind {
            ResultType::Success => JobStatus::Finished,
            ResultType::Failed => JobStatus::Failed,
        };
        let json = serde_json::to_string(result).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let etype = result.error.as_ref().map(|e| e.kind.as_str()).unwrap_or("");
        for k in self.keys.ending(id, JobStatus::Started.as_str(), status.as_str()) {
            inv.key(k);
        }
        inv.key(self.keys.worker(worker))
            .arg(id)
            .arg(worker)
            .arg(status.as_str())
            .arg(json)
            .arg(now_rfc3339())
            .arg(etype)
            .arg(self.keys.ended_channel());
        Ok(())
    }

    /// Fail `id` as interrupted if `worker` is running it. Returns true when it was.
    pub async fn interrupt(&self, id: &str, worker: &str, error: JobError) -> Result<bool, StoreError> {
        let etype = error.kind.as_str();
        let json = serde_json::to_string(&JobResult::failed(error))
            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let mut call = Call::new(&scripts::INTERRUPT);
        for k in self.keys.ending(id, JobStatus::Started.as_str(), JobStatus::Failed.as_str()) {
            call.key(k);
        }
        call.key(self.keys.worker(worker))
            .arg(id)
            .arg(worker)
            .arg(json)
            .arg(now_rfc3339())
            .arg(etype)
            .arg(self.keys.ended_channel());
        let n: i64 = self.run(&call).await?;
        Ok(n == 1)
    }

    /// The device types some node has a driver for: device_type -> plugin@version.
    pub async fn drivers(&self) -> Result<HashMap<String, String>, StoreError> {
        Ok(self.conn().hgetall(self.keys.drivers()).await?)
    }
}

fn matches(f: &JobFilter, r: &JobRecord) -> bool {
    f.status.is_none_or(|s| s == r.status)
        && f.queue.as_ref().is_none_or(|q| r.queue == *q)
        && f.host.as_ref().is_none_or(|h| *h == r.host)
        && f.node.as_ref().is_none_or(|n| Some(n) == r.node.as_ref())
}

/// Lower-case hex of `bytes`.
fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
