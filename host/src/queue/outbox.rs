//! The webhook outbox: deliveries that are due, taken by one node at a time
//! under a lease, and settled (delivered, retried later, or given up) in one
//! step each. The `end_job` chunk of `scripts.rs` puts a job in the outbox when
//! it ends; the node's deliverer (`node/webhooks.rs`) empties it.

use std::sync::LazyLock;

use redis::{AsyncCommands, Script};

use super::store::{JobStore, StoreError};
use super::{JobRecord, now_ms};
use crate::model::{Webhook, WebhookState};

/// Take a due delivery for one attempt: its score becomes the end of the lease
/// (so no other node takes it meanwhile, and it comes back if this one dies),
/// its state `delivering` with one more attempt. A job whose record is gone
/// leaves the outbox.
///
/// KEYS: outbox, job hash. ARGV: id, now_ms, lease_until_ms, fresh delivery id.
/// Returns {sealed webhook, state json} or {} when not due or gone.
pub static TAKE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r#"
local due = redis.call('ZSCORE', KEYS[1], ARGV[1])
if not due or tonumber(due) > tonumber(ARGV[2]) then return {} end
local f = redis.call('HMGET', KEYS[2], 'webhook', 'webhook_state')
if not f[1] then
  redis.call('ZREM', KEYS[1], ARGV[1])
  return {}
end
local st = {attempts = 0}
if f[2] then st = cjson.decode(f[2]) end
st.attempts = (tonumber(st.attempts) or 0) + 1
st.status = 'delivering'
st.next_attempt_at = nil
if not st.delivery_id or st.delivery_id == cjson.null then st.delivery_id = ARGV[4] end
local enc = cjson.encode(st)
redis.call('HSET', KEYS[2], 'webhook_state', enc)
redis.call('ZADD', KEYS[1], ARGV[3], ARGV[1])
return {f[1], enc}
"#,
    )
});

/// Record an attempt's outcome, if this node still holds the lease: the new
/// state, and the next due time (or out of the outbox when there is none). A
/// retry keeps the job's record alive until a minute after it is due, so the
/// job is still there to deliver.
///
/// KEYS: outbox, job hash. ARGV: id, lease_until_ms, state json, next_due_ms or '',
/// seconds the record must live at least ('' when no retry).
pub static SETTLE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r#"
local held = redis.call('ZSCORE', KEYS[1], ARGV[1])
if not held or tonumber(held) ~= tonumber(ARGV[2]) then return 0 end
if redis.call('EXISTS', KEYS[2]) == 1 then
  redis.call('HSET', KEYS[2], 'webhook_state', ARGV[3])
  if ARGV[5] ~= '' then redis.call('EXPIRE', KEYS[2], ARGV[5], 'GT') end
end
if ARGV[4] == '' then
  redis.call('ZREM', KEYS[1], ARGV[1])
else
  redis.call('ZADD', KEYS[1], ARGV[4], ARGV[1])
end
return 1
"#,
    )
});

/// One delivery attempt, as taken.
pub struct Delivery {
    pub id: String,
    pub webhook: Webhook,
    pub state: WebhookState,
    /// The job as it ended (`None` when its record expired meanwhile).
    pub record: Option<JobRecord>,
    /// The lease this attempt holds (to settle it).
    lease_until_ms: i64,
}

impl JobStore {
    /// Ids of deliveries due now, at most `limit`.
    pub async fn due_webhooks(&self, limit: usize) -> Result<Vec<String>, StoreError> {
        let ids: Vec<String> = self
            .conn()
            .zrangebyscore_limit(self.keys().webhooks(), "-inf", now_ms(), 0, limit as isize)
            .await?;
        Ok(ids)
    }

    /// Take delivery `id` for one attempt of at most `lease_ms`; `None` when it is
    /// not due any more (another node took it) or its job is gone.
    pub async fn take_webhook(&self, id: &str, lease_ms: u64) -> Result<Option<Delivery>, StoreError> {
        let now = now_ms();
        let lease_until_ms = now + lease_ms as i64;
        let r: Vec<String> = TAKE
            .key(self.keys().webhooks())
            .key(self.keys().job(id))
            .arg(id)
            .arg(now)
            .arg(lease_until_ms)
            .arg(uuid::Uuid::new_v4().to_string())
            .invoke_async(&mut self.conn())
            .await?;
        let Ok([sealed, state_json]) = <[String; 2]>::try_from(r) else { return Ok(None) };
        let state: Result<WebhookState, _> = serde_json::from_str(&state_json);
        let webhook = self
            .sealer()
            .open(id, &sealed)
            .map_err(|e| e.to_string())
            .and_then(|json| serde_json::from_str::<Webhook>(&json).map_err(|e| e.to_string()));
        let (webhook, state) = match (webhook, state) {
            (Ok(w), Ok(s)) => (w, s),
            (w, s) => {
                // Nothing this node can send: give the delivery up, saying why,
                // rather than let it come back after every lease.
                let why = w.err().or(s.err().map(|e| e.to_string())).unwrap_or_default();
                tracing::error!(job = id, "a webhook this node cannot read was given up: {why}");
                let failed = WebhookState {
                    status: crate::model::DeliveryStatus::Failed,
                    attempts: 0,
                    last_error: Some(format!("this node cannot read the webhook ({why})")),
                    delivered_at: None,
                    next_attempt_at: None,
                    delivery_id: None,
                };
                let lost = Delivery {
                    id: id.to_string(),
                    webhook: Webhook::unreadable(),
                    state: failed.clone(),
                    record: None,
                    lease_until_ms,
                };
                self.settle_webhook(&lost, &failed, None).await?;
                return Ok(None);
            }
        };
        let record = self.get(id).await?;
        Ok(Some(Delivery { id: id.to_string(), webhook, state, record, lease_until_ms }))
    }

    /// Record the outcome of `delivery`'s attempt: `state`, and when to try again
    /// (`None`: never, it is delivered or given up). False when the lease was lost.
    pub async fn settle_webhook(
        &self,
        delivery: &Delivery,
        state: &WebhookState,
        next_due_ms: Option<i64>,
    ) -> Result<bool, StoreError> {
        let json = serde_json::to_string(state).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let keep_s =
            next_due_ms.map(|due| ((due - now_ms()).max(0) / 1000 + 60).to_string()).unwrap_or_default();
        let n: i64 = SETTLE
            .key(self.keys().webhooks())
            .key(self.keys().job(&delivery.id))
            .arg(&delivery.id)
            .arg(delivery.lease_until_ms)
            .arg(json)
            .arg(next_due_ms.map(|m| m.to_string()).unwrap_or_default())
            .arg(keep_s)
            .invoke_async(&mut self.conn())
            .await?;
        Ok(n == 1)
    }
}
