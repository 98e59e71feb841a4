//! FIFO workers: take the oldest job from `FifoQ`, open a fresh session for it,
//! close it afterwards. A worker stopped through `DELETE /worker` is replaced by a
//! fresh one under a new name, so the pool keeps its size.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Notify;

use super::NodeCtx;
use super::backoff::Backoff;
use crate::queue::FIFO_QUEUE;
use crate::queue::registry::WorkerEntry;

fn name(ctx: &NodeCtx, index: usize, generation: usize) -> String {
    match generation {
        0 => format!("{}/fifo-{index}", ctx.id),
        g => format!("{}/fifo-{index}.{g}", ctx.id),
    }
}

async fn add(ctx: &NodeCtx, name: &str) -> Arc<Notify> {
    ctx.add_worker(&WorkerEntry {
        name: name.to_string(),
        node: ctx.id.clone(),
        queues: vec![FIFO_QUEUE.to_string()],
    })
    .await
}

/// Register the first worker of slot `index`; returns its stop switch.
pub async fn register(ctx: &NodeCtx, index: usize) -> Arc<Notify> {
    add(ctx, &name(ctx, index, 0)).await
}

/// One slot of the FIFO pool, until the node stops. `first` is the stop switch of
/// the already registered first worker.
pub async fn run(ctx: Arc<NodeCtx>, index: usize, first: Arc<Notify>) {
    let mut kill = first;
    let mut generation = 0;
    loop {
        serve(&ctx, &name(&ctx, index, generation), &kill).await;
        if ctx.stopping() {
            break;
        }
        generation += 1;
        kill = add(&ctx, &name(&ctx, index, generation)).await;
    }
}

/// Serve jobs as `name` until stopped (killed or node shutdown), then deregister.
async fn serve(ctx: &NodeCtx, name: &str, kill: &Notify) {
    let keys = ctx.store.keys().clone();
    let queue = keys.queue(FIFO_QUEUE);
    let inbox = keys.inbox(name);
    work(ctx, name, &queue, &inbox, kill).await;
    // Ids moved but not claimed go back to the head of the queue.
    let mut conn = ctx.store.conn();
    loop {
        let moved: Result<Option<String>, _> =
            redis::cmd("LMOVE").arg(&inbox).arg(&queue).arg("RIGHT").arg("LEFT").query_async(&mut conn).await;
        if !matches!(moved, Ok(Some(_))) {
            break;
        }
    }
    ctx.remove_worker(name).await;
}

async fn work(ctx: &NodeCtx, name: &str, queue: &str, inbox: &str, kill: &Notify) {
    let mut conn = None;
    let mut backoff = Backoff::default();
    let mut shutdown = ctx.shutdown.clone();
    // The ids expected at the head of the inbox: the one just moved there.
    let mut head = Vec::new();
    while !ctx.stopping() {
        // Jobs moved to the inbox are claimed one by one; then wait for more.
        match ctx.claim(inbox, name, None, &mut head).await {
            Ok(Some(job)) => {
                let mut slot = None;
                let verdict = ctx.execute_unless_killed(name, &mut slot, job, kill).await;
                if let Some(s) = slot.take() {
                    s.close("", "").await;
                }
                if verdict.is_none() {
                    return;
                }
                continue;
            }
            Ok(None) => {}
            Err(e) => {
                tracing::warn!(worker = name, "claim failed: {e}");
                if !back_off(&mut backoff, &mut shutdown, kill).await {
                    return;
                }
                continue;
            }
        }
        if conn.is_none() {
            match ctx.store.blocking_conn().await {
                Ok(c) => conn = Some(c),
                Err(e) => {
                    tracing::warn!(worker = name, "cannot connect to Redis: {e}");
                    if !back_off(&mut backoff, &mut shutdown, kill).await {
                        return;
                    }
                    continue;
                }
            }
        }
        let c = conn.as_mut().expect("connection present");
        let mut blmove = redis::cmd("BLMOVE");
        blmove.arg(queue).arg(inbox).arg("LEFT").arg("RIGHT").arg(1.0);
        // Stopped while waiting: the BLMOVE already sent can still move a job
        // into the inbox (for up to its 1 s), so it is waited out, never
        // abandoned; whatever it moved goes back to the queue with the inbox.
        let (moved, killed) = {
            let wait = tokio::time::timeout(Duration::from_secs(5), blmove.query_async::<Option<String>>(c));
            tokio::pin!(wait);
            tokio::select! {
                r = &mut wait => (Some(r), false),
                _ = shutdown.changed() => {
                    let _ = (&mut wait).await;
                    (None, false)
                }
                _ = kill.notified() => {
                    let _ = (&mut wait).await;
                    (None, true)
                }
            }
        };
        if killed {
            return;
        }
        match moved {
            Some(Ok(Ok(moved))) => {
                backoff.reset();
                head.extend(moved);
            }
            Some(Ok(Err(e))) => {
                tracing::warn!(worker = name, "waiting for jobs failed: {e}");
                ctx.store.saw_error(&e);
                conn = None;
            }
            Some(Err(_)) => conn = None,
            None => {}
        }
    }
}

/// Wait out a Redis problem; false when the worker was stopped meanwhile.
async fn back_off(
    backoff: &mut Backoff,
    shutdown: &mut tokio::sync::watch::Receiver<bool>,
    kill: &Notify,
) -> bool {
    tokio::select! {
        _ = backoff.wait_unless_stopping(shutdown) => true,
        _ = kill.notified() => false,
    }
}
