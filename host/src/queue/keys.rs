//! Every Redis key NetPulse uses, its type and its time to live, in one place.
//!
//! All keys start with a configurable prefix (`netpulse` by default), so several
//! deployments or test runs can share one Redis.
//!
//! | key | type | TTL | holds |
//! |---|---|---|---|
//! | `<p>:job:<id>` | HASH | none while queued/started; `result_ttl` once ended | the job record (no credentials) |
//! | `<p>:payload:<sha256>` | STRING (the `work` JSON) | the longest `ttl` + `execution_timeout` + `result_ttl` + 120 s of the jobs that use it, extended (never shortened) by each bulk request that stores it again | commands or configuration shared by the jobs of a `/device/bulk` request, stored once; each job's spec says `{"kind": "stored", "lines": "<sha256>"}` |
//! | `<p>:cred:<id>` | STRING (JSON, or `aes256gcm:<base64>` when sealed) | the job's `ttl` + 60 s; deleted when the job ends (finished, failed, cancelled or expired) | password and secret (sealed with `credential_key` when set), handed to the worker that claims the job (again only if that claim's answer was lost) |
//! | `<p>:queue:<name>` | LIST | none | ids of jobs waiting in queue `<name>` (`FifoQ`, `pinned_<host>`), oldest first |
//! | `<p>:queues` | SET | none; the reaper removes a pinned queue once it is empty and unowned (one script, `PRUNE_QUEUE`) | names of queues that have jobs or an owner (for queue depths and the reaper's offers) |
//! | `<p>:inbox:<worker>` | LIST | none | ids a FIFO worker has moved out of `FifoQ` and is about to claim |
//! | `<p>:seq` | STRING (counter) | none | submission sequence, seeded at the first submit's millisecond; a job's `seq` field and its index score (jobs stored without one are scored by `created_ms`) |
//! | `<p>:idx:all` | ZSET (score: the job's `seq`) | none; an entry outlives its job until the next recovery sweep or a listing meets it (below) | every job, for listing |
//! | `<p>:idx:queue:<q>` / `idx:status:<s>` / `idx:host:<h>` / `idx:node:<n>` | ZSET | as above | jobs by queue, status, host, node |
//!
//! Redis says nothing when a job's record expires, so every job that ends is
//! also entered in `<p>:expiring` (below) with the indexes it is in; each
//! recovery sweep trims the entries of jobs whose record is gone, up to 1,000 a
//! sweep, from every index. A listing (`GET /job`, `JobStore::list`) that meets
//! such an id before the sweep does removes it from the index it read, from
//! `idx:all` and from every status index.
//! | `<p>:owner:<queue>` | STRING (`<node>|<worker seq>`) | lease, `3 x heartbeat`, renewed by the owning node | which pinned worker, on which node, serves a pinned queue |
//! | `<p>:unowned` | LIST | none | pinned queue names that have work and no owner yet, each at most once |
//! | `<p>:offered` | SET | none; a name leaves when a dispatcher that popped it from `unowned` takes the queue (`TAKE`, with the lease), or the queue is pruned | the names in `unowned`, so an offer is checked in O(1) (a submit while every node is full must not scan the list); a name left here by a dispatcher that failed between its pop and `TAKE` is offered again by the next recovery sweep (`OFFER`, which looks for such names only when the set and the list differ in size) |
//! | `<p>:signal:<node>` | LIST | none; deleted by the reaper when the node's entry has expired | wake-ups for that node's dispatcher: `<queue>\t<job id>` for a job submitted to a pinned queue it owns (the worker's next claim expects that id) |
//! | `<p>:worker:<name>` | HASH | `worker_ttl` refreshed by heartbeats | a worker's registry entry |
//! | `<p>:workers` | SET | none | names of registered workers |
//! | `<p>:node:<id>` | HASH | `worker_ttl` refreshed by heartbeats | a node's registry entry |
//! | `<p>:nodes` | SET | none | ids of registered nodes |
//! | `<p>:drivers` | HASH | none; the sweep removes device types no live node lists in its entry's `device_types` | device_type -> `plugin@version` served by some node |
//! | `<p>:control:<node>` | LIST | 300 s | control messages for a node (stop a worker) |
//! | `<p>:reaper` | STRING (node id) | one heartbeat interval | which node runs the recovery sweep now |
//! | `<p>:capacity_full` | STRING (reason) | 3 x heartbeat | set while pinned queues wait because every node is full |
//! | `<p>:stats` | HASH | none (a handful of fields, never growing with jobs) | fleet-wide counts for `GET /metrics`, kept by the job scripts: `submitted`, `ended:<status>:<error type>`, and the queue and run time histograms `queue_b:<i>` / `run_b:<i>` (jobs in bucket `i` of `metrics::BOUNDS`, `+Inf` last) with `queue_sum` / `run_sum` (seconds) |
//! | `<p>:expiring` | ZSET (score: when the record expires, ms) | none; an entry leaves when the reaper has trimmed its job's index entries | `<id>\t<status>\t<queue>\t<host>\t<node>` of every ended job (`end_job` adds it) |
//! | `<p>:webhooks` | ZSET (score: due time, ms) | none; a delivery leaves it when delivered or given up, or when its job's record is gone | ids of ended jobs whose webhook is due (`end_job` adds them), taken under a lease by one node per attempt (the score becomes the lease's end) |
//! | `<p>:wait:<id>` | STRING | the long poll's `wait` + 5 s | set while a `GET /job?wait=` request waits for job `<id>`: `end_job` then publishes the id on `<p>:ended` |
//! | `<p>:ended` | Pub/Sub channel | - | ids of ended jobs that a long poll waits for; each API process holds one subscription for all its waiters |
//! | `<p>:hostkeys` | HASH | none: a pin lasts until `DELETE /hostkey?host=` forgets it | SSH host key pins (`accept-new`): field `host:port` (`[v6]:port`) -> `<algorithm> SHA256:<base64 fingerprint>` of the first key seen, set with `HSETNX` |

/// Builds key names for one prefix.
#[derive(Clone, Debug)]
pub struct Keys {
    prefix: String,
}

impl Keys {
    pub fn new(prefix: &str) -> Self {
        Self { prefix: prefix.to_string() }
    }
    pub fn prefix(&self) -> &str {
        &self.prefix
    }
    pub fn job(&self, id: &str) -> String {
        format!("{}:job:{id}", self.prefix)
    }
    pub fn cred(&self, id: &str) -> String {
        format!("{}:cred:{id}", self.prefix)
    }
    pub fn stats(&self) -> String {
        format!("{}:stats", self.prefix)
    }
    pub fn webhooks(&self) -> String {
        format!("{}:webhooks", self.prefix)
    }
    pub fn wait(&self, id: &str) -> String {
        format!("{}:wait:{id}", self.prefix)
    }
    pub fn ended_channel(&self) -> String {
        format!("{}:ended", self.prefix)
    }
    pub fn payload(&self, sha256: &str) -> String {
        format!("{}:payload:{sha256}", self.prefix)
    }
    pub fn queue(&self, name: &str) -> String {
        format!("{}:queue:{name}", self.prefix)
    }
    pub fn queues(&self) -> String {
        format!("{}:queues", self.prefix)
    }
    pub fn inbox(&self, worker: &str) -> String {
        format!("{}:inbox:{worker}", self.prefix)
    }
    pub fn idx_all(&self) -> String {
        format!("{}:idx:all", self.prefix)
    }
    pub fn idx(&self, field: IndexField, value: &str) -> String {
        format!("{}:idx:{}:{value}", self.prefix, field.as_str())
    }
    pub fn owner(&self, queue: &str) -> String {
        format!("{}:owner:{queue}", self.prefix)
    }
    pub fn offered(&self) -> String {
        format!("{}:offered", self.prefix)
    }
    pub fn unowned(&self) -> String {
        format!("{}:unowned", self.prefix)
    }
    pub fn signal(&self, node: &str) -> String {
        format!("{}:signal:{node}", self.prefix)
    }
    /// What every node's signal list starts with (`SUBMIT` compares its guess with it).
    pub fn signal_prefix(&self) -> String {
        self.signal("")
    }
    pub fn worker(&self, name: &str) -> String {
        format!("{}:worker:{name}", self.prefix)
    }
    pub fn workers(&self) -> String {
        format!("{}:workers", self.prefix)
    }
    pub fn node(&self, id: &str) -> String {
        format!("{}:node:{id}", self.prefix)
    }
    pub fn nodes(&self) -> String {
        format!("{}:nodes", self.prefix)
    }
    pub fn drivers(&self) -> String {
        format!("{}:drivers", self.prefix)
    }
    pub fn control(&self, node: &str) -> String {
        format!("{}:control:{node}", self.prefix)
    }
    pub fn reaper(&self) -> String {
        format!("{}:reaper", self.prefix)
    }
    pub fn capacity_full(&self) -> String {
        format!("{}:capacity_full", self.prefix)
    }
    pub fn hostkeys(&self) -> String {
        format!("{}:hostkeys", self.prefix)
    }
}

impl Keys {
    /// The eight keys `end_job` touches when job `id` ends from status `from` to
    /// `to` (`queue/scripts.rs`), in its order: the job, its credentials, `stats`,
    /// the two status indexes, `expiring`, `webhooks`, the job's `wait` mark.
    pub fn ending(&self, id: &str, from: &str, to: &str) -> [String; 8] {
        [
            self.job(id),
            self.cred(id),
            self.stats(),
            self.idx(IndexField::Status, from),
            self.idx(IndexField::Status, to),
            self.expiring(),
            self.webhooks(),
            self.wait(id),
        ]
    }
    pub fn expiring(&self) -> String {
        format!("{}:expiring", self.prefix)
    }
    pub fn seq(&self) -> String {
        format!("{}:seq", self.prefix)
    }
}

/// The job fields that have an index.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IndexField {
    Queue,
    Status,
    Host,
    Node,
}

impl IndexField {
    pub fn as_str(self) -> &'static str {
        match self {
            IndexField::Queue => "queue",
            IndexField::Status => "status",
            IndexField::Host => "host",
            IndexField::Node => "node",
        }
    }
}
