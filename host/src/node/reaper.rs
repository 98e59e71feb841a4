//! Recovery from failures elsewhere, run by one node at a time after each heartbeat:
//! the running job of a dead worker becomes `failed` (`WorkerLost`, never re-run),
//! ids stranded in a dead FIFO worker's inbox go back to `FifoQ`, pinned queues with
//! waiting jobs and no owner are offered to the nodes again, and queued jobs past
//! their `ttl` become `failed` (`Expired`) and stay queryable.

use redis::AsyncCommands;

use super::NodeCtx;
use crate::model::routing::{FIFO_QUEUE, PINNED_PREFIX};
use crate::queue::job::{ErrorKind, JobError};
use crate::queue::registry::WorkerStatus;
use crate::queue::{StoreError, now_ms, scripts};

/// Dead workers stay listed (as `dead`) this many heartbeat intervals.
const FORGET_AFTER_INTERVALS: i64 = 10;

/// Oldest queued jobs looked at per sweep.
const EXPIRY_BATCH: isize = 500;
/// Expired jobs whose index entries one sweep trims, at most.
const TRIM_BATCH: usize = 1000;

/// Pinned queues one sweep pipeline looks at.
const QUEUE_PAGE: usize = 1000;

pub async fn sweep(ctx: &NodeCtx) -> Result<bool, StoreError> {
    let keys = ctx.store.keys().clone();
    let mut conn = ctx.store.conn();
    let lock: Option<String> = redis::cmd("SET")
        .arg(format!("{}:reaper", keys.prefix()))
        .arg(&ctx.id)
        .arg("NX")
        .arg("PX")
        .arg(ctx.heartbeat_ms().max(100))
        .query_async(&mut conn)
        .await?;
    if lock.is_none() {
        return Ok(false);
    }

    for w in ctx.store.workers().await? {
        if w.status != WorkerStatus::Dead || w.node == ctx.id {
            continue;
        }
        if let Some(job) = &w.current_job {
            let err = JobError::new(
                ErrorKind::WorkerLost,
                format!(
                    "worker {} on node {} stopped heartbeating while running this job; it was not re-run \
                     (check the device before retrying a configuration job)",
                    w.name, w.node
                ),
            );
            if ctx.store.interrupt(job, &w.name, err).await? {
                tracing::warn!(job, worker = w.name, "job lost with its worker");
            }
        }
        let inbox = keys.inbox(&w.name);
        let queue = keys.queue(FIFO_QUEUE);
        loop {
            let moved: Option<String> = redis::cmd("LMOVE")
                .arg(&inbox)
                .arg(&queue)
                .arg("RIGHT")
                .arg("LEFT")
                .query_async(&mut conn)
                .await?;
            if moved.is_none() {
                break;
            }
        }
        // Shown as `dead` in GET /worker for a while, then removed.
        if crate::queue::now_ms() - w.heartbeat_ms > ctx.heartbeat_ms() as i64 * FORGET_AFTER_INTERVALS {
            ctx.store.deregister_worker(&w.name).await?;
            tracing::info!(worker = w.name, node = w.node, "removed dead worker");
        }
    }

    // Pinned queues with work and nobody serving them. In pages, so that the
    // shared connection carries other requests (the API's, in `netpulse up`)
    // between them instead of behind one pipeline over every queue.
    let queues: Vec<String> = conn.smembers(keys.queues()).await?;
    let pinned: Vec<&String> = queues.iter().filter(|q| q.starts_with(PINNED_PREFIX)).collect();
    let prune: String = scripts::PRUNE_QUEUE.prepare_invoke().load_async(&mut conn).await?;
    for page in pinned.chunks(QUEUE_PAGE) {
        let mut pipe = redis::pipe();
        for q in page {
            pipe.llen(keys.queue(q)).exists(keys.owner(q));
        }
        let answers: Vec<i64> = pipe.query_async(&mut conn).await?;
        // One round trip for the prunes, one for the offers, per page.
        let mut prunes = redis::pipe();
        let mut offers = scripts::OFFER.prepare_invoke();
        offers.key(keys.unowned()).key(keys.offered());
        let (mut any_prune, mut any_offer) = (false, false);
        for (q, pair) in page.iter().zip(answers.chunks(2)) {
            if pair[0] == 0 && pair[1] == 0 {
                prunes
                    .cmd("EVALSHA")
                    .arg(&prune)
                    .arg(5)
                    .arg(keys.queues())
                    .arg(keys.queue(q))
                    .arg(keys.owner(q))
                    .arg(keys.unowned())
                    .arg(keys.offered())
                    .arg(q.as_str())
                    .ignore();
                any_prune = true;
            } else if pair[0] > 0 && pair[1] == 0 {
                offers.arg(q.as_str());
                any_offer = true;
            }
        }
        if any_prune {
            let _: () = prunes.query_async(&mut conn).await?;
        }
        if any_offer {
            let _: i64 = offers.invoke_async(&mut conn).await?;
        }
    }

    // Index entries of jobs whose record expired, a bounded batch per sweep.
    ctx.store.trim_expired(TRIM_BATCH).await?;

    forget_dead_nodes(ctx, &mut conn).await?;
    explain_full_capacity(ctx, &mut conn).await?;

    // Queued jobs past their ttl.
    let oldest: Vec<String> =
        conn.zrange(keys.idx(crate::queue::keys::IndexField::Status, "queued"), 0, EXPIRY_BATCH - 1).await?;
    ctx.store.expire_queued(&oldest).await?;
    Ok(true)
}

/// Nodes whose entry expired (they stopped without deregistering): their wake-up
/// list and their place in the nodes set go; device types no live node serves
/// leave `drivers` (a node that starts serving one again writes it with its
/// next heartbeat).
async fn forget_dead_nodes(ctx: &NodeCtx, conn: &mut crate::queue::topology::Conn) -> Result<(), StoreError> {
    let keys = ctx.store.keys();
    let nodes: Vec<String> = conn.smembers(keys.nodes()).await?;
    let mut pipe = redis::pipe();
    for n in &nodes {
        pipe.hget(keys.node(n), "device_types");
    }
    let served: Vec<Option<String>> = pipe.query_async(conn).await?;
    // Only when every live node says what it serves (one of an older release
    // would not): forget the types none of them serves.
    let alive_types: Option<std::collections::HashSet<String>> = {
        let mut all = std::collections::HashSet::new();
        let mut complete = true;
        let mut any = false;
        for (n, s) in nodes.iter().zip(&served) {
            match s {
                Some(list) => {
                    any = true;
                    all.extend(list.split(',').filter(|t| !t.is_empty()).map(str::to_string));
                }
                None => {
                    let exists: bool = conn.exists(keys.node(n)).await?;
                    complete &= !exists;
                }
            }
        }
        (complete && any).then_some(all)
    };
    if let Some(types) = alive_types {
        let known: Vec<String> = conn.hkeys(keys.drivers()).await?;
        let gone: Vec<&String> = known.iter().filter(|t| !types.contains(*t)).collect();
        if !gone.is_empty() {
            let _: () = conn.hdel(keys.drivers(), &gone).await?;
            tracing::info!(device_types = ?gone, "forgot device types no live node serves");
        }
    }
    let mut pipe = redis::pipe();
    for n in &nodes {
        pipe.exists(keys.node(n));
    }
    let alive: Vec<bool> = pipe.query_async(conn).await?;
    let dead: Vec<&String> = nodes.iter().zip(alive).filter(|(_, a)| !a).map(|(n, _)| n).collect();
    if dead.is_empty() {
        return Ok(());
    }
    let mut pipe = redis::pipe();
    for n in &dead {
        pipe.del(keys.signal(n)).ignore().srem(keys.nodes(), n.as_str()).ignore();
    }
    let _: () = pipe.query_async(conn).await?;
    tracing::info!(nodes = ?dead, "forgot nodes whose entry expired");
    Ok(())
}

/// When pinned queues wait for an owner because every live node is at capacity, say
/// so in their jobs' records (`waiting_reason`) and for `GET /health`.
async fn explain_full_capacity(
    ctx: &NodeCtx,
    conn: &mut crate::queue::topology::Conn,
) -> Result<(), StoreError> {
    let keys = ctx.store.keys();
    let mut waiting: Vec<String> = conn.lrange(keys.unowned(), 0, 99).await?;
    waiting.sort();
    waiting.dedup();
    if waiting.is_empty() {
        return Ok(());
    }
    let nodes: Vec<String> = conn.smembers(keys.nodes()).await?;
    let mut pipe = redis::pipe();
    for n in &nodes {
        pipe.hget(keys.node(n), &["heartbeat_ms", "interval_ms", "capacity", "pinned"]);
    }
    let rows: Vec<Vec<Option<i64>>> = pipe.query_async(conn).await?;
    let now = now_ms();
    let (mut used, mut total, mut live) = (0, 0, 0);
    for r in rows {
        let (Some(beat), Some(interval), Some(cap), Some(pinned)) = (r[0], r[1], r[2], r[3]) else {
            continue;
        };
        if now - beat > interval * crate::queue::registry::DEAD_AFTER_INTERVALS {
            continue;
        }
        live += 1;
        used += pinned;
        total += cap;
    }
    if live == 0 || used < total {
        return Ok(());
    }
    let reason = format!(
        "waiting for a pinned worker: every node is at capacity ({used} of {total} device sessions in use); \
         it runs when a session is freed (idle timeout) or a node is added"
    );
    let explain: String = scripts::EXPLAIN_WAIT.prepare_invoke().load_async(conn).await?;
    let mut lists = redis::pipe();
    for q in &waiting {
        lists.lrange(keys.queue(q), 0, 99);
    }
    let ids: Vec<Vec<String>> = lists.query_async(conn).await?;
    let mut pipe = redis::pipe();
    for id in ids.iter().flatten() {
        pipe.cmd("EVALSHA").arg(&explain).arg(1).arg(keys.job(id)).arg(&reason).ignore();
    }
    pipe.set_ex(
        format!("{}:capacity_full", keys.prefix()),
        &reason,
        (ctx.heartbeat_ms() * 3).div_ceil(1000).max(1),
    )
    .ignore();
    let _: () = pipe.query_async(conn).await?;
    Ok(())
}
