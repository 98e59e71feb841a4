//! Pinned workers: one per device queue (`pinned_<host>`), created on demand on a
//! node with spare capacity, holding one SSH session for all of the device's jobs.
//!
//! One dispatcher per node waits on a single blocking pop over the node's signal
//! list and the shared `unowned` list, so a node uses a handful of Redis
//! connections however many devices it serves. Ownership of a queue is a lease
//! key holding `<node>|<seq>`; submitters signal the owning node.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use redis::AsyncCommands;
use tokio::sync::Notify;

use super::backoff::Backoff;
use super::{NodeCtx, SessionVerdict};
use crate::plugin::Fence;
use crate::queue::registry::{ControlMessage, WorkerEntry};

/// A pinned worker as its dispatcher and its own loop share it.
#[derive(Clone)]
struct Pinned {
    /// The lease token (`<node>|<seq>`).
    token: String,
    notify: Arc<Notify>,
    /// Set when a renewal found another owner: the worker takes no more jobs.
    lost: Arc<AtomicBool>,
    /// The lease as last taken or renewed, from when the request was sent: past
    /// it, the worker's jobs write nothing to the device (another node may hold
    /// it by then).
    fence: Arc<Fence>,
    /// When the dispatcher last woke the worker (for the `wake` stage).
    woken: Arc<Mutex<Option<Instant>>>,
    /// Jobs the wake-ups named since the worker last claimed (its claim's candidates).
    signalled: Arc<Mutex<Vec<String>>>,
}

/// The node's pinned workers and the loop that creates them.
pub struct Dispatcher {
    ctx: Arc<NodeCtx>,
    active: Mutex<HashMap<String, Pinned>>,
    seq: AtomicU64,
}

impl Dispatcher {
    pub fn new(ctx: Arc<NodeCtx>) -> Arc<Self> {
        Arc::new(Self { ctx, active: Mutex::new(HashMap::new()), seq: AtomicU64::new(0) })
    }

    fn lease_s(&self) -> u64 {
        (self.ctx.settings.node.heartbeat_s * 3.0).ceil().max(1.0) as u64
    }

    /// How long a lease taken or renewed now lasts (and the fence with it).
    fn lease(&self) -> Duration {
        Duration::from_secs(self.lease_s())
    }

    pub fn count(&self) -> usize {
        self.active.lock().expect("pinned lock").len()
    }

    /// Wait for work and route it to pinned workers until the node stops.
    pub async fn run(self: Arc<Self>) {
        let keys = self.ctx.store.keys().clone();
        let signal = keys.signal(&self.ctx.id);
        let control = keys.control(&self.ctx.id);
        let unowned = keys.unowned();
        let mut shutdown = self.ctx.shutdown.clone();
        let mut conn = None;
        let mut backoff = Backoff::default();
        let mut workers = tokio::task::JoinSet::new();
        while !self.ctx.stopping() {
            if conn.is_none() {
                match self.ctx.store.blocking_conn().await {
                    Ok(c) => conn = Some(c),
                    Err(e) => {
                        tracing::warn!("dispatcher cannot connect to Redis: {e}");
                        backoff.wait_unless_stopping(&mut shutdown).await;
                        continue;
                    }
                }
            }
            let mut wait_on = vec![control.clone(), signal.clone()];
            if self.count() < self.ctx.settings.node.capacity {
                wait_on.push(unowned.clone());
            }
            let c = conn.as_mut().expect("connection present");
            let popped = tokio::select! {
                r = tokio::time::timeout(Duration::from_secs(5), c.blpop::<_, Option<(String, String)>>(&wait_on, 1.0)) => r,
                _ = shutdown.changed() => break,
            };
            let (key, queue) = match popped {
                Ok(Ok(Some(kv))) => {
                    backoff.reset();
                    kv
                }
                Ok(Ok(None)) => continue,
                Ok(Err(e)) => {
                    tracing::warn!("dispatcher wait failed: {e}");
                    self.ctx.store.saw_error(&e);
                    conn = None;
                    backoff.wait_unless_stopping(&mut shutdown).await;
                    continue;
                }
                Err(_) => {
                    conn = None;
                    continue;
                }
            };
            while workers.try_join_next().is_some() {}
            if key == control {
                self.obey(&queue);
                continue;
            }
            // A submit's wake-up names the job too (`<queue>\t<id>`): the
            // worker's next claim expects it.
            let (queue, job) = match queue.split_once('\t') {
                Some((q, id)) => (q.to_string(), Some(id.to_string())),
                None => (queue, None),
            };
            let served = if let Some(p) = self.active.lock().expect("pinned lock").get(&queue) {
                p.woken.lock().expect("wake lock").get_or_insert_with(Instant::now);
                p.signalled.lock().expect("signal lock").extend(job.clone());
                p.notify.notify_one();
                true
            } else {
                false
            };
            if served {
                // An offer of a queue this node serves ends here (else no later
                // release or submit could offer it again).
                if key == unowned
                    && let Err(e) = self.ctx.store.withdraw_offer(&queue).await
                {
                    tracing::warn!(queue, "cannot withdraw the offer: {e}");
                }
                continue;
            }
            if key == signal && self.count() >= self.ctx.settings.node.capacity {
                // Ours by lease but no slot: the exiting worker's release re-offers it.
                continue;
            }
            let token = format!("{}|{}", self.ctx.id, self.seq.fetch_add(1, Ordering::Relaxed));
            // Taking it ends its offer (a later submit may offer it again); if
            // this fails, the recovery sweep offers the queue again.
            let sent = Instant::now();
            let acquired = self.ctx.store.take_queue(&queue, &token, self.lease_s(), key == unowned).await;
            match acquired {
                Ok(true) => {
                    let pinned = Pinned {
                        token,
                        notify: Arc::new(Notify::new()),
                        lost: Arc::new(AtomicBool::new(false)),
                        fence: Arc::new(Fence::new(sent + self.lease())),
                        woken: Arc::new(Mutex::new(None)),
                        signalled: Arc::new(Mutex::new(job.into_iter().collect())),
                    };
                    self.active.lock().expect("pinned lock").insert(queue.clone(), pinned.clone());
                    let me = self.clone();
                    workers.spawn(async move { me.worker(queue, pinned).await });
                }
                Ok(false) => {} // another worker owns it and drains it
                Err(e) => tracing::warn!(queue, "cannot take ownership: {e}"),
            }
        }
        // Stop: let the pinned workers finish their current job and close their sessions.
        for p in self.active.lock().expect("pinned lock").values() {
            p.notify.notify_one();
        }
        while workers.join_next().await.is_some() {}
    }

    /// One pinned worker: drain the queue, wait for more, exit when idle too long,
    /// when the device is unreachable, when the node stops, or when its lease on
    /// the queue is lost (another node serves the device now: the job under way
    /// is finished, nothing more is claimed, the session is closed).
    async fn worker(self: Arc<Self>, queue: String, pinned: Pinned) {
        let Pinned { token, notify, lost, fence, woken, signalled } = pinned;
        let ctx = &self.ctx;
        let name = format!("{}/{queue}", ctx.id);
        let kill = ctx
            .add_worker(&WorkerEntry {
                name: name.clone(),
                node: ctx.id.clone(),
                queues: vec![queue.clone()],
            })
            .await;
        let queue_key = ctx.store.keys().queue(&queue);
        let idle = Duration::from_secs_f64(ctx.settings.node.pinned_idle_s);
        let probe_every = Duration::from_secs_f64(ctx.settings.node.probe_s);
        let mut shutdown = ctx.shutdown.clone();
        let mut slot = None;
        let lease_lost = || {
            tracing::error!(
                worker = name,
                "the lease on {queue} is another node's now (was this node paused?): leaving the device to it"
            );
        };
        // The next job, when the last one's finish claimed it in the same step.
        let mut next = None;
        // The ids expected at the head of the queue (the claims' candidates).
        let mut head: Vec<String> = Vec::new();
        'outer: loop {
            loop {
                // A job already claimed (under the lease) is held: it runs.
                if next.is_none() && (ctx.stopping() || lost.load(Ordering::Relaxed)) {
                    break 'outer;
                }
                let lease = Some((queue.as_str(), token.as_str(), self.lease_s()));
                // Jobs named by wake-ups follow those already expected (a claim
                // names only the first few).
                for id in std::mem::take(&mut *signalled.lock().expect("signal lock")) {
                    if head.len() < crate::queue::store::CLAIM_CANDIDATES && !head.contains(&id) {
                        head.push(id);
                    }
                }
                // A claim renews the lease (from when it was sent): the fence too.
                let sent = Instant::now();
                let job = match next.take() {
                    Some(job) => job,
                    None => {
                        if let Some(at) = woken.lock().expect("wake lock").take() {
                            crate::metrics::stage(crate::metrics::Stage::Wake, at.elapsed());
                        }
                        match ctx.claim(&queue_key, &name, lease, &mut head).await {
                            Ok(Some(job)) => {
                                fence.extend_to(sent + self.lease());
                                job
                            }
                            Ok(None) => {
                                fence.extend_to(sent + self.lease());
                                break;
                            }
                            Err(crate::queue::StoreError::LeaseLost(_)) => {
                                lease_lost();
                                break 'outer;
                            }
                            Err(e) => {
                                tracing::warn!(worker = name, "claim failed: {e}");
                                tokio::time::sleep(Duration::from_millis(500)).await;
                                continue;
                            }
                        }
                    }
                };
                let id = job.id.clone();
                let Some((result, verdict)) =
                    ctx.run_unless_killed(&name, &mut slot, job, &kill, Some(fence.clone())).await
                else {
                    break 'outer;
                };
                // No resident worker for a device we cannot reach: the next job
                // gets a fresh attempt from whichever node takes the queue. A
                // stopping or superseded worker claims nothing more either.
                if verdict == SessionVerdict::DeviceDown || ctx.stopping() || lost.load(Ordering::Relaxed) {
                    ctx.store_result(&name, &id, &result).await;
                    break 'outer;
                }
                let sent = Instant::now();
                match ctx.finish_and_claim(&name, &id, &result, &queue_key, lease, &mut head).await {
                    Ok(Some(job)) => {
                        fence.extend_to(sent + self.lease());
                        next = Some(job);
                    }
                    Ok(None) => {
                        fence.extend_to(sent + self.lease());
                        break;
                    }
                    Err(crate::queue::StoreError::LeaseLost(_)) => {
                        lease_lost();
                        break 'outer;
                    }
                    // Stored, but the claim failed: the loop claims again.
                    Err(e) => tracing::warn!(worker = name, "claim failed: {e}"),
                }
            }
            // Wait for work; probe an idle session now and then so a dead one is
            // replaced before the next job needs it.
            let idle_until = tokio::time::Instant::now() + idle;
            loop {
                let probe_at = tokio::time::Instant::now() + probe_every;
                tokio::select! {
                    _ = notify.notified() => continue 'outer,
                    _ = tokio::time::sleep_until(idle_until) => {
                        tracing::info!(worker = name, "idle for {:?}: closing the session", idle);
                        break 'outer;
                    }
                    _ = tokio::time::sleep_until(probe_at), if slot.is_some() => {
                        if let Some(s) = slot.as_mut()
                            && !s.probe(&queue).await
                        {
                            tracing::info!(worker = name, "idle session no longer answers: dropped");
                            if let Some(s) = slot.take() {
                                s.close("", &queue).await;
                            }
                        }
                    }
                    _ = shutdown.changed() => break 'outer,
                    _ = kill.notified() => break 'outer,
                }
                if lost.load(Ordering::Relaxed) {
                    break 'outer;
                }
            }
        }
        if let Some(s) = slot.take() {
            s.close("", &queue).await;
        }
        // Leave the map first: a signal arriving now finds no worker, fails to take
        // the lease (still ours), and the release below re-offers the queue.
        {
            let mut active = self.active.lock().expect("pinned lock");
            if active.get(&queue).is_some_and(|p| p.token == token) {
                active.remove(&queue);
            }
        }
        if let Err(e) = ctx.store.release_queue(&queue, &token).await {
            tracing::warn!(worker = name, "cannot release {queue}: {e}");
        }
        ctx.remove_worker(&name).await;
    }

    /// Carry out a control message.
    fn obey(&self, message: &str) {
        match serde_json::from_str::<ControlMessage>(message) {
            Ok(ControlMessage::StopWorker { worker }) => {
                let found = self.ctx.kill(&worker);
                tracing::info!(worker, found, "stop requested through the API");
            }
            Err(e) => tracing::warn!("ignoring control message {message:?}: {e}"),
        }
    }

    /// Renew the lease of every pinned worker on this node.
    pub async fn renew_leases(&self) {
        let owned: Vec<(String, Pinned)> =
            self.active.lock().expect("pinned lock").iter().map(|(q, p)| (q.clone(), p.clone())).collect();
        let lease = self.lease_s();
        for (queue, p) in owned {
            let sent = Instant::now();
            match self.ctx.store.renew_lease(&queue, &p.token, lease).await {
                Ok(true) => p.fence.extend_to(sent + self.lease()),
                Ok(false) => {
                    tracing::error!(queue, "another worker took over this queue's lease: this one stops");
                    // Nothing more reaches the device from here, the job under way included.
                    p.fence.revoke();
                    p.lost.store(true, Ordering::Relaxed);
                    p.notify.notify_one();
                }
                Err(e) => tracing::warn!(queue, "lease renewal failed: {e}"),
            }
        }
    }
}
