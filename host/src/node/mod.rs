//! The node daemon: registers itself, runs a pool of FIFO workers and on-demand
//! pinned workers (one per device, session kept open), heartbeats, and stops
//! gracefully.

mod backoff;
mod executor;
mod fifo;
mod hostkeys;
mod pinned;
mod reaper;
mod session;
mod webhooks;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{Notify, watch};
use tokio::task::JoinSet;

use crate::config::Settings;
use crate::plugin::{LivePlugins, Plugins};
use crate::queue::registry::{NodeEntry, WorkerEntry};
use crate::queue::{Claimed, ClaimedJob, JobResult, JobStore};

pub use executor::SessionVerdict;

/// What every worker of a node shares.
pub struct NodeCtx {
    pub id: String,
    /// When this node started (RFC 3339), as registered.
    started_at: String,
    pub store: JobStore,
    /// The plugins in use; replaced as a whole on hot reload (running jobs keep theirs).
    plugins: Arc<LivePlugins>,
    pub settings: Settings,
    /// This node's live workers (for heartbeats), by name.
    workers: Mutex<HashMap<String, Registered>>,
    /// Woken when the last worker leaves (a stopping node's heartbeats end then).
    workers_gone: Notify,
    shutdown: watch::Receiver<bool>,
    /// The host key policy every connection of this node is checked by.
    host_keys: Arc<dyn crate::ssh::HostKeyCheck>,
}

/// A worker as registered by this node.
struct Registered {
    /// Stops it.
    kill: Arc<Notify>,
    /// What was registered, and when: each heartbeat can write it again whole.
    entry: WorkerEntry,
    birth_at: String,
    /// Unique to this registration (names repeat: a pinned worker is named after
    /// its queue, a node's id may be configured): its claims carry it.
    token: String,
}

impl NodeCtx {
    /// The plugins in use now.
    pub fn plugins(&self) -> Arc<Plugins> {
        self.plugins.get()
    }

    /// What this node registers about itself, with the device types `drivers`.
    fn entry<'a>(&'a self, drivers: &'a [(String, String)]) -> NodeEntry<'a> {
        NodeEntry { id: &self.id, started_at: &self.started_at, drivers }
    }

    fn heartbeat_ms(&self) -> u64 {
        self.settings.heartbeat().as_millis() as u64
    }

    /// Register a worker and include it in heartbeats; returns its stop switch.
    async fn add_worker(&self, entry: &WorkerEntry) -> Arc<Notify> {
        let kill = Arc::new(Notify::new());
        let birth_at = crate::model::time::now_rfc3339();
        let registered = Registered {
            kill: kill.clone(),
            token: uuid::Uuid::new_v4().to_string(),
            entry: entry.clone(),
            birth_at: birth_at.clone(),
        };
        self.workers.lock().expect("workers lock").insert(entry.name.clone(), registered);
        if let Err(e) = self.store.register_worker(entry, self.heartbeat_ms(), &birth_at).await {
            tracing::warn!(worker = entry.name, "cannot register worker: {e}");
        }
        kill
    }

    /// Stop a worker of this node now (DELETE /worker). False when it is not ours.
    pub fn kill(&self, name: &str) -> bool {
        match self.workers.lock().expect("workers lock").get(name) {
            Some(w) => {
                w.kill.notify_one();
                true
            }
            None => false,
        }
    }

    /// Run a job and store its result, unless the worker is stopped meanwhile;
    /// `None` when stopped (the session is dropped: its state is unknown).
    async fn execute_unless_killed(
        &self,
        worker: &str,
        slot: &mut Option<session::DeviceSession>,
        job: ClaimedJob,
        kill: &Notify,
    ) -> Option<SessionVerdict> {
        let id = job.id.clone();
        let (result, verdict) = self.run_unless_killed(worker, slot, job, kill, None).await?;
        let storing = std::time::Instant::now();
        self.store_result(worker, &id, &result).await;
        crate::metrics::stage(crate::metrics::Stage::Finish, storing.elapsed());
        Some(verdict)
    }

    /// Run a job unless the worker is stopped meanwhile; its result is the
    /// caller's to store. `None` when stopped (the session is dropped: its state
    /// is unknown). A pinned worker's `fence` (its lease) bounds when the job may
    /// write to the device.
    async fn run_unless_killed(
        &self,
        worker: &str,
        slot: &mut Option<session::DeviceSession>,
        job: ClaimedJob,
        kill: &Notify,
        fence: Option<Arc<crate::plugin::Fence>>,
    ) -> Option<(JobResult, SessionVerdict)> {
        let id = job.id.clone();
        let stop = Arc::new(crate::plugin::StopSignal::fenced(fence));
        let verdict = tokio::select! {
            v = self.run(worker, slot, &job, stop.clone()) => Some(v),
            _ = kill.notified() => None,
        };
        if verdict.is_none() {
            // The driver call under way stops at its next read, write or epoch
            // tick; its session is dropped (closed) with it.
            stop.stop();
            tracing::warn!(worker, job = id, "worker stopped while running a job");
            *slot = None;
        }
        verdict
    }

    async fn remove_worker(&self, name: &str) {
        {
            let mut workers = self.workers.lock().expect("workers lock");
            workers.remove(name);
            if workers.is_empty() {
                self.workers_gone.notify_waiters();
            }
        }
        if let Err(e) = self.store.deregister_worker(name).await {
            tracing::warn!(worker = name, "cannot deregister worker: {e}");
        }
    }

    fn stopping(&self) -> bool {
        *self.shutdown.borrow()
    }

    /// What `worker`'s claims carry: a job whose claim went unanswered comes back
    /// only to this registration of it.
    fn claim_token(&self, worker: &str) -> String {
        match self.workers.lock().expect("workers lock").get(worker) {
            Some(w) => w.token.clone(),
            None => uuid::Uuid::new_v4().to_string(),
        }
    }

    /// Take the next job from `source` for `worker`; a job this node cannot read
    /// is failed on the way (with its reason) and the next one taken. A pinned
    /// worker gives its (queue, lease token): without the lease, no job. `head`
    /// is the worker's guess of the ids at the head of `source`, kept between
    /// claims (see `JobStore::claim`).
    async fn claim(
        &self,
        source: &str,
        worker: &str,
        lease: Option<(&str, &str, u64)>,
        head: &mut Vec<String>,
    ) -> Result<Option<ClaimedJob>, crate::queue::StoreError> {
        let token = self.claim_token(worker);
        loop {
            let started = std::time::Instant::now();
            match self.store.claim(source, worker, &self.id, &token, lease, head).await? {
                None => return Ok(None),
                Some(Claimed::Job(job)) => {
                    crate::metrics::stage(crate::metrics::Stage::Claim, started.elapsed());
                    return Ok(Some(*job));
                }
                Some(Claimed::Unreadable { id, error }) => {
                    self.store_result(worker, &id, &JobResult::failed(error)).await;
                }
            }
        }
    }

    /// Store a started job's result and claim the next job of `source` for
    /// `worker` in one round trip (a pinned worker between jobs). Retried until
    /// stored, like [`store_result`](Self::store_result); a job that cannot be
    /// read is failed and the next one taken by [`claim`](Self::claim).
    async fn finish_and_claim(
        &self,
        worker: &str,
        id: &str,
        result: &JobResult,
        source: &str,
        lease: Option<(&str, &str, u64)>,
        head: &mut Vec<String>,
    ) -> Result<Option<ClaimedJob>, crate::queue::StoreError> {
        let token = self.claim_token(worker);
        let started = std::time::Instant::now();
        let mut backoff = backoff::Backoff::default();
        let mut retried = false;
        let claimed = loop {
            match self.store.finish_and_claim(id, result, source, worker, &self.id, &token, lease, head).await
            {
                Ok((finished, claimed)) => {
                    // A retry finds the job ended by its own first attempt.
                    if !finished && !retried {
                        tracing::warn!(
                            job = id,
                            worker,
                            "job was ended elsewhere before its result was stored"
                        );
                    }
                    break claimed;
                }
                // The job was ended before the claim found the lease lost.
                Err(e @ crate::queue::StoreError::LeaseLost(_)) => return Err(e),
                Err(e) => {
                    tracing::warn!(job = id, "cannot store result, retrying: {e}");
                    retried = true;
                    backoff.wait().await;
                }
            }
        };
        crate::metrics::stage(crate::metrics::Stage::Finish, started.elapsed());
        match claimed {
            None => Ok(None),
            Some(Claimed::Job(job)) => Ok(Some(*job)),
            Some(Claimed::Unreadable { id, error }) => {
                self.store_result(worker, &id, &JobResult::failed(error)).await;
                self.claim(source, worker, lease, head).await
            }
        }
    }

    /// Store a started job's result. It must not be lost to a Redis blip: retried
    /// until stored.
    async fn store_result(&self, worker: &str, id: &str, result: &JobResult) {
        let mut backoff = backoff::Backoff::default();
        loop {
            match self.store.finish(id, worker, result).await {
                Ok(true) => break,
                Ok(false) => {
                    tracing::warn!(job = id, worker, "job was ended elsewhere before its result was stored");
                    break;
                }
                Err(e) => {
                    tracing::warn!(job = id, "cannot store result, retrying: {e}");
                    backoff.wait().await;
                }
            }
        }
    }

    /// Run a claimed job (its result is the caller's to store).
    async fn run(
        &self,
        worker: &str,
        slot: &mut Option<session::DeviceSession>,
        job: &ClaimedJob,
        stop: Arc<crate::plugin::StopSignal>,
    ) -> (JobResult, SessionVerdict) {
        let started = std::time::Instant::now();
        let (result, verdict) =
            executor::run_job(&self.plugins(), &self.settings.jobs, &self.host_keys, slot, job, stop).await;
        let ok = result.error.is_none();
        tracing::info!(
            job = job.id,
            worker,
            device = format!("{}:{}", job.spec.device.host, job.spec.device.port),
            ok,
            ms = started.elapsed().as_millis() as u64,
            error = result.error.as_ref().map(|e| e.to_string()),
            "job ended"
        );
        (result, verdict)
    }
}

/// A running node; stop it with [`NodeHandle::shutdown`].
pub struct NodeHandle {
    pub id: String,
    stop: watch::Sender<bool>,
    tasks: JoinSet<()>,
    ctx: Arc<NodeCtx>,
}

impl NodeHandle {
    /// Stop taking jobs, let running ones finish (up to `grace`), close sessions, deregister.
    pub async fn shutdown(mut self, grace: Duration) {
        let _ = self.stop.send(true);
        let drain = async { while self.tasks.join_next().await.is_some() {} };
        if tokio::time::timeout(grace, drain).await.is_err() {
            tracing::warn!("workers did not stop within {:?}; aborting them", grace);
            self.tasks.abort_all();
        }
        if let Err(e) = self.ctx.store.deregister_node(&self.id).await {
            tracing::warn!("cannot deregister node: {e}");
        }
        tracing::info!(node = self.id, "node stopped");
    }
}

/// Start a node: register, start workers, heartbeat.
pub async fn start(
    settings: Settings,
    store: JobStore,
    plugins: Arc<LivePlugins>,
) -> anyhow::Result<NodeHandle> {
    let id = settings.node_name();
    let (stop, shutdown) = watch::channel(false);
    let ctx = Arc::new(NodeCtx {
        id: id.clone(),
        started_at: crate::model::time::now_rfc3339(),
        store: store.clone(),
        plugins: plugins.clone(),
        settings: settings.clone(),
        workers: Mutex::new(HashMap::new()),
        workers_gone: Notify::new(),
        shutdown,
        host_keys: hostkeys::HostKeys::from_settings(&settings, &store),
    });
    store.register_node(&ctx.entry(&plugins.get().device_types()), ctx.heartbeat_ms()).await?;
    let mut tasks = JoinSet::new();
    for i in 1..=settings.node.fifo_workers {
        // Registered before `start` returns, so GET /worker lists them at once.
        let first = fifo::register(&ctx, i).await;
        let c = ctx.clone();
        tasks.spawn(async move { fifo::run(c, i, first).await });
    }
    let pinned = pinned::Dispatcher::new(ctx.clone());
    {
        let p = pinned.clone();
        tasks.spawn(async move { p.run().await });
    }
    {
        let c = ctx.clone();
        tasks.spawn(async move { heartbeat(c, pinned).await });
    }
    {
        let c = ctx.clone();
        tasks.spawn(async move { register_reloaded_plugins(c).await });
    }
    {
        let c = ctx.clone();
        tasks.spawn(async move { webhooks::run(c).await });
    }
    tracing::info!(
        node = id,
        fifo_workers = settings.node.fifo_workers,
        capacity = settings.node.capacity,
        "node started"
    );
    Ok(NodeHandle { id, stop, tasks, ctx })
}

/// Every heartbeat interval: the node's and its workers' entries, the pinned
/// leases, the node's figures, and (on one node at a time) the recovery sweep.
/// A stopping node goes on beating, without sweeping, until its last worker has
/// left: a job finishing in the grace period keeps its worker listed and its
/// device's lease (without it, its writes would be fenced off).
async fn heartbeat(ctx: Arc<NodeCtx>, pinned: Arc<pinned::Dispatcher>) {
    let mut shutdown = ctx.shutdown.clone();
    let every = ctx.settings.heartbeat();
    loop {
        let stopping = ctx.stopping();
        if stopping {
            let gone = ctx.workers_gone.notified();
            tokio::pin!(gone);
            gone.as_mut().enable();
            if ctx.workers.lock().expect("workers lock").is_empty() {
                return;
            }
            tokio::select! {
                _ = tokio::time::sleep(every) => {}
                _ = gone => return,
            }
        } else {
            tokio::select! {
                _ = tokio::time::sleep(every) => {}
                r = shutdown.changed() => if r.is_err() { return } else { continue },
            }
        }
        let workers: Vec<(WorkerEntry, String)> = ctx
            .workers
            .lock()
            .expect("workers lock")
            .values()
            .map(|w| (w.entry.clone(), w.birth_at.clone()))
            .collect();
        let types = ctx.plugins().device_types();
        if let Err(e) = ctx.store.heartbeat(&ctx.entry(&types), &workers, ctx.heartbeat_ms()).await {
            tracing::warn!("heartbeat failed: {e}");
        }
        pinned.renew_leases().await;
        let metrics = serde_json::to_string(&crate::metrics::snapshot()).unwrap_or_default();
        let load: [(&str, String); 3] = [
            ("capacity", ctx.settings.node.capacity.to_string()),
            ("pinned", pinned.count().to_string()),
            ("metrics", metrics),
        ];
        let r: Result<(), _> =
            redis::AsyncCommands::hset_multiple(&mut ctx.store.conn(), ctx.store.keys().node(&ctx.id), &load)
                .await;
        if let Err(e) = r {
            tracing::warn!("cannot report node load: {e}");
        }
        if stopping {
            continue;
        }
        let started = std::time::Instant::now();
        match reaper::sweep(&ctx).await {
            Ok(true) => crate::metrics::sweep(started.elapsed()),
            Ok(false) => {}
            Err(e) => tracing::warn!("recovery sweep failed: {e}"),
        }
    }
}

/// Tell Redis which device types this node serves whenever the plugins are reloaded.
async fn register_reloaded_plugins(ctx: Arc<NodeCtx>) {
    let mut shutdown = ctx.shutdown.clone();
    let mut reloaded = ctx.plugins.subscribe();
    loop {
        tokio::select! {
            r = reloaded.changed() => if r.is_err() { return },
            _ = shutdown.changed() => return,
        }
        let types = ctx.plugins().device_types();
        if let Err(e) = ctx.store.register_node(&ctx.entry(&types), ctx.heartbeat_ms()).await {
            tracing::warn!("cannot register reloaded plugins: {e}");
        }
    }
}
