//! The Lua scripts behind every job state change that another process can race
//! with. Each runs as one atomic Redis step: a cancel and a worker's pick-up can
//! never both win, and status and result are always written together.
//!
//! Keys are derived inside the scripts from the prefix (see `keys.rs` for the layout).

use std::sync::LazyLock;

use redis::Script;

/// The one way a job ends, shared by every script that ends one (finish,
/// interrupt, cancel, expiry on claim or by the reaper), so a change to how jobs
/// end is made here once: status (and result) with the end time, credentials
/// deleted, the status index moved, the record set to expire, a webhook delivery
/// queued when the job asked for one, and a wake-up published when a long poll
/// waits for the job.
///
/// It also keeps the fleet-wide figures of `GET /metrics` in `<p>:stats`: jobs
/// ended by status and error type, and how long they ran (`observe`, whose
/// buckets are `crate::metrics::BOUNDS`; CLAIM observes queue times with it).
///
/// `end_job(p, id, from_status, to_status, result_json_or_nil, now, score, result_ttl_s, error_type)`
const END_JOB: &str = r#"
local function observe(p, name, secs)
  local b = #BOUNDS + 1
  for i, le in ipairs(BOUNDS) do
    if secs <= le then b = i break end
  end
  redis.call('HINCRBY', p..':stats', name..'_b:'..b, 1)
  redis.call('HINCRBYFLOAT', p..':stats', name..'_sum', secs)
end
local function end_job(p, id, from, to, res, now, score, rttl, etype)
  local job = p..':job:'..id
  redis.call('HINCRBY', p..':stats', 'ended:'..to..':'..(etype or ''), 1)
  if from == 'started' then
    local started = redis.call('HGET', job, 'started_ms')
    if started then
      local t = redis.call('TIME')
      observe(p, 'run', math.max(0, (t[1] * 1000 + math.floor(t[2] / 1000) - tonumber(started)) / 1000))
    end
  end
  if res then
    redis.call('HSET', job, 'status', to, 'result', res, 'ended_at', now)
  else
    redis.call('HSET', job, 'status', to, 'ended_at', now)
  end
  redis.call('DEL', p..':cred:'..id)
  redis.call('ZREM', p..':idx:status:'..from, id)
  redis.call('ZADD', p..':idx:status:'..to, score, id)
  redis.call('EXPIRE', job, rttl)
  -- Where the job is indexed, for the reaper to trim once the record expires.
  local at = redis.call('HMGET', job, 'queue', 'host', 'node')
  local t = redis.call('TIME')
  redis.call('ZADD', p..':expiring', (tonumber(t[1]) + tonumber(rttl)) * 1000,
    id..'\t'..to..'\t'..(at[1] or '')..'\t'..(at[2] or '')..'\t'..(at[3] or ''))
  if redis.call('HEXISTS', job, 'webhook') == 1 then
    local t = redis.call('TIME')
    redis.call('HSET', job, 'webhook_state', '{"status":"pending","attempts":0}')
    redis.call('ZADD', p..':webhooks', t[1] * 1000 + math.floor(t[2] / 1000), id)
  end
  if redis.call('EXISTS', p..':wait:'..id) == 1 then
    redis.call('PUBLISH', p..':ended', id)
  end
end
"#;

/// A script whose body may call `end_job` (see [`END_JOB`]).
fn ending(body: &str) -> Script {
    let bounds: Vec<String> = crate::metrics::BOUNDS.iter().map(|b| b.to_string()).collect();
    Script::new(&format!("local BOUNDS = {{{}}}\n{END_JOB}{body}", bounds.join(", ")))
}

/// Store a new job, its credentials and index entries, push it on its queue and,
/// for a pinned queue, wake the owning node (or offer the queue to any node).
///
/// The job's `seq` (from the `<p>:seq` counter) orders every index: newest first
/// is submission order even for jobs submitted within one millisecond.
///
/// ARGV: prefix, id, queue, host, cred_json, cred_ttl_s, pinned(0/1), field, value, ...
pub static SUBMIT: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r#"
local p, id, q, host = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local job = p..':job:'..id
-- Seeded once at the current millisecond, so jobs stored before the sequence
-- (scored by their creation millisecond, which every script falls back to) list
-- as older.
local now = redis.call('TIME')
redis.call('SET', p..':seq', now[1] * 1000 + math.floor(now[2] / 1000), 'NX')
local score = redis.call('INCR', p..':seq')
local fields = {'seq', score}
for i = 8, #ARGV do fields[#fields + 1] = ARGV[i] end
redis.call('HSET', job, unpack(fields))
redis.call('HINCRBY', p..':stats', 'submitted', 1)
if ARGV[5] ~= '' then redis.call('SET', p..':cred:'..id, ARGV[5], 'EX', ARGV[6]) end
redis.call('RPUSH', p..':queue:'..q, id)
redis.call('SADD', p..':queues', q)
redis.call('ZADD', p..':idx:all', score, id)
redis.call('ZADD', p..':idx:queue:'..q, score, id)
redis.call('ZADD', p..':idx:status:queued', score, id)
redis.call('ZADD', p..':idx:host:'..host, score, id)
if ARGV[7] == '1' then
  local owner = redis.call('GET', p..':owner:'..q)
  if owner then
    local node = string.match(owner, '^(.*)|') or owner
    redis.call('RPUSH', p..':signal:'..node, q)
  elseif redis.call('SADD', p..':offered', q) == 1 then
    -- One offer per queue is enough (while every node is full, submits would
    -- otherwise add one per job).
    redis.call('RPUSH', p..':unowned', q)
  end
end
return 1
"#,
    )
});

/// A worker's heartbeat: refresh its entry, or, when Redis lost it (restarted
/// empty, flushed, failed over to a replica that had not caught up), write the
/// whole entry again as its node knows it, never a half-empty one.
///
/// KEYS: the worker's hash, the workers set. ARGV: ttl_ms, last_heartbeat,
/// heartbeat_ms, then the full entry as field, value, ...
pub static HEARTBEAT_WORKER: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r#"
if redis.call('EXISTS', KEYS[1]) == 1 then
  redis.call('HSET', KEYS[1], 'last_heartbeat', ARGV[2], 'heartbeat_ms', ARGV[3])
else
  local fields = {'last_heartbeat', ARGV[2], 'heartbeat_ms', ARGV[3]}
  for i = 4, #ARGV do fields[#fields + 1] = ARGV[i] end
  redis.call('HSET', KEYS[1], unpack(fields))
end
redis.call('PEXPIRE', KEYS[1], ARGV[1])
redis.call('SADD', KEYS[2], string.match(KEYS[1], ':worker:(.*)$'))
return 1
"#,
    )
});

/// Forget a queue that is empty and has no owner (the `queues` set would
/// otherwise hold every device ever seen, and the reaper look at all of them).
/// One step, so a job submitted meanwhile keeps its queue listed.
///
/// Its offer in `unowned`, if one waits, goes with it.
///
/// KEYS: the queues set, the queue's list, its owner lease, the unowned list,
/// the offered set.
/// ARGV: the queue's name.
pub static PRUNE_QUEUE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r#"
if redis.call('LLEN', KEYS[2]) == 0 and redis.call('EXISTS', KEYS[3]) == 0 then
  redis.call('LREM', KEYS[4], 0, ARGV[1])
  redis.call('SREM', KEYS[5], ARGV[1])
  return redis.call('SREM', KEYS[1], ARGV[1])
end
return 0
"#,
    )
});

/// Offer pinned queues that have work and no owner to every node, each once:
/// a queue already offered (every node full) is not offered again. A queue
/// marked offered that is not in `unowned` (a dispatcher popped it and failed
/// before taking it) is offered again: the `unowned` list is read once, only
/// when some queue is already marked.
///
/// KEYS: the unowned list, the offered set. ARGV: queue names. Returns how many
/// were offered.
pub static OFFER: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r#"
local n = 0
local listed = nil
for _, q in ipairs(ARGV) do
  local offer = redis.call('SADD', KEYS[2], q) == 1
  if not offer then
    if not listed then
      listed = {}
      for _, x in ipairs(redis.call('LRANGE', KEYS[1], 0, -1)) do listed[x] = true end
    end
    offer = not listed[q]
  end
  if offer then
    redis.call('RPUSH', KEYS[1], q)
    if listed then listed[q] = true end
    n = n + 1
  end
end
return n
"#,
    )
});

/// A dispatcher takes a pinned queue: the lease, if nobody holds it, and, for a
/// queue it popped from `unowned`, the end of the offer, in one step (a submit
/// in between sees either the offer or the owner).
///
/// KEYS: the queue's owner lease, the offered set. ARGV: lease token, lease
/// seconds, queue name, '1' when the queue came from `unowned`. Returns 1 when
/// the lease is now the token's, 0 when another holds it.
pub static TAKE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r#"
if ARGV[4] == '1' then redis.call('SREM', KEYS[2], ARGV[3]) end
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'EX', ARGV[2]) then return 1 end
return 0
"#,
    )
});

/// Trim the indexes of jobs whose record has expired, oldest first, at most
/// `limit` entries of `<p>:expiring` per call: each names the job's id, final
/// status, queue, host and node, so every index it is in loses it, whatever
/// filter clients list with. Stops at the first job not due to expire yet.
///
/// ARGV: prefix, now_ms, limit. Returns how many jobs were trimmed.
pub static TRIM_EXPIRED: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r#"
local p, now, limit = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local batch = redis.call('ZRANGE', p..':expiring', 0, limit - 1, 'WITHSCORES')
local trimmed = 0
for i = 1, #batch, 2 do
  local m, due = batch[i], tonumber(batch[i + 1])
  local id, st, q, h, n = string.match(m, '^([^\t]*)\t([^\t]*)\t([^\t]*)\t([^\t]*)\t([^\t]*)$')
  if not id then
    redis.call('ZREM', p..':expiring', m)
  elseif redis.call('EXISTS', p..':job:'..id) == 0 then
    redis.call('ZREM', p..':idx:all', id)
    redis.call('ZREM', p..':idx:status:'..st, id)
    if q ~= '' then redis.call('ZREM', p..':idx:queue:'..q, id) end
    if h ~= '' then redis.call('ZREM', p..':idx:host:'..h, id) end
    if n ~= '' then redis.call('ZREM', p..':idx:node:'..n, id) end
    redis.call('ZREM', p..':expiring', m)
    trimmed = trimmed + 1
  elseif due > now then
    break
  end
end
return trimmed
"#,
    )
});

/// Say why a job waits, if it still waits: a plain write could land after the
/// job's claim cleared `waiting_reason`, and show a started job as waiting.
///
/// KEYS: the job hash. ARGV: the reason.
pub static EXPLAIN_WAIT: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r#"
if redis.call('HGET', KEYS[1], 'status') ~= 'queued' then return 0 end
redis.call('HSET', KEYS[1], 'waiting_reason', ARGV[1])
return 1
"#,
    )
});

/// Store a payload shared by many jobs (content-addressed, so the same text is
/// one key) and make it live at least `ttl` seconds: a later bulk request may
/// extend its life, never shorten it. One step, so a payload never expires
/// between the check and the extension.
///
/// KEYS: the payload key. ARGV: the work JSON, ttl_s.
pub static STORE_PAYLOAD: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r#"
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'EX', ARGV[2]) then return 1 end
redis.call('EXPIRE', KEYS[1], ARGV[2], 'GT')
return 0
"#,
    )
});

/// Pop job ids from a list until one is still queued, and start it for `worker`:
/// status, worker, node, start time and the worker registration's `token` set,
/// credentials handed over (they are deleted when the job ends). Jobs found past
/// their `ttl` are failed as `Expired` on the way.
///
/// A worker claims only when it has no job. So a job still started by this very
/// registration of the worker (`token`) is one whose claim was made in Redis but
/// whose answer never came back (Redis failed in between): it has not run, and is
/// handed over again before anything new is popped. If its credentials expired
/// meanwhile (they live the job's `ttl` + 60 s from submit), the fourth element
/// says so, for the worker to fail the job instead of running it without them.
///
/// A pinned worker claims only while it holds its queue's lease: a worker whose
/// node was frozen (SIGSTOP, a long pause, a partition) past the lease, while
/// another node took the device, gets `{'lease lost'}` and no job. A lease that
/// merely expired (heartbeats late, nobody took the device) is taken again.
///
/// ARGV: prefix, source_list_key, worker, node, now_rfc3339, now_ms, token,
/// lease key ('' for FIFO workers), lease token, lease seconds.
/// Returns {id, spec_json, cred_json[, 'credentials expired']}, {} when the list
/// has no runnable job, or {'lease lost'}.
pub static CLAIM: LazyLock<Script> = LazyLock::new(|| ending(CLAIM_BODY));

const CLAIM_BODY: &str = r#"
local p, src, worker, node, now, now_ms = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], tonumber(ARGV[6])
local token = ARGV[7]
if ARGV[8] ~= '' then
  local owner = redis.call('GET', ARGV[8])
  if not owner then
    redis.call('SET', ARGV[8], ARGV[9], 'EX', ARGV[10])
  elseif owner ~= ARGV[9] then
    return {'lease lost'}
  end
end
local cur = redis.call('HGET', p..':worker:'..worker, 'current_job')
if cur and cur ~= '' then
  local job = p..':job:'..cur
  local f = redis.call('HMGET', job, 'status', 'worker', 'claim', 'had_cred')
  if f[1] == 'started' and f[2] == worker and f[3] == token then
    local cred = redis.call('GET', p..':cred:'..cur)
    if not cred and f[4] == '1' then
      return {cur, redis.call('HGET', job, 'spec'), '', 'credentials expired'}
    end
    return {cur, redis.call('HGET', job, 'spec'), cred or ''}
  end
end
for _ = 1, 1000 do
  local id = redis.call('LPOP', src)
  if not id then return {} end
  local job = p..':job:'..id
  local f = redis.call('HMGET', job, 'status', 'enqueued_ms', 'ttl_s', 'result_ttl_s', 'seq', 'queue', 'created_ms')
  local score = f[5] or f[7]
  if f[1] == 'queued' then
    if now_ms - tonumber(f[2]) > tonumber(f[3]) * 1000 then
      local msg = 'the job waited in queue '..f[6]..' longer than its ttl of '..f[3]..' s and was not run'
      local res = cjson.encode({type = 'failed', error = {type = 'Expired', message = msg}})
      end_job(p, id, 'queued', 'failed', res, now, score, f[4], 'Expired')
    else
      local cred = redis.call('GET', p..':cred:'..id) or ''
      redis.call('HSET', job, 'status', 'started', 'started_at', now, 'worker', worker, 'node', node,
        'waiting_reason', '', 'claim', token, 'had_cred', cred ~= '' and '1' or '0', 'started_ms', now_ms)
      observe(p, 'queue', math.max(0, (now_ms - tonumber(f[2])) / 1000))
      redis.call('ZREM', p..':idx:status:queued', id)
      redis.call('ZADD', p..':idx:status:started', score, id)
      redis.call('ZADD', p..':idx:node:'..node, score, id)
      redis.call('HSET', p..':worker:'..worker, 'current_job', id, 'status', 'busy')
      return {id, redis.call('HGET', job, 'spec'), cred}
    end
  end
end
return {}
"#;

/// End a started job: status and result in one step, record set to expire, worker
/// counters updated. Does nothing (returns 0) unless the job is still started by
/// this worker (a reaper or a kill may have ended it first).
///
/// ARGV: prefix, id, worker, status, result_json, now_rfc3339, error type ('' on success)
pub static FINISH: LazyLock<Script> = LazyLock::new(|| ending(FINISH_BODY));

const FINISH_BODY: &str = r#"
local p, id, worker, st, res, now, etype = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7]
local job = p..':job:'..id
local f = redis.call('HMGET', job, 'status', 'worker', 'result_ttl_s', 'seq', 'created_ms')
if f[1] ~= 'started' or f[2] ~= worker then return 0 end
end_job(p, id, 'started', st, res, now, f[4] or f[5], f[3], etype)
local w = p..':worker:'..worker
if redis.call('EXISTS', w) == 1 then
  if st == 'finished' then
    redis.call('HINCRBY', w, 'successful_job_count', 1)
  else
    redis.call('HINCRBY', w, 'failed_job_count', 1)
  end
  redis.call('HSET', w, 'current_job', '', 'status', 'idle')
end
return 1
"#;

/// A pinned worker's step between two jobs, in one round trip: [`FINISH`] the job
/// it ran, then [`CLAIM`] the next one (each body as it is, run as a function of
/// its own arguments). A failed call is simply made again: the finish then finds
/// the job ended (0) and the claim hands back the job it may already have claimed.
///
/// ARGV: FINISH's seven, then CLAIM's ten. Returns CLAIM's answer with FINISH's
/// (as '1' or '0') in front.
pub static FINISH_AND_CLAIM: LazyLock<Script> = LazyLock::new(|| {
    ending(&format!(
        r#"
local function finish(ARGV)
{FINISH_BODY}
end
local function claim(ARGV)
{CLAIM_BODY}
end
local fa, ca = {{}}, {{}}
for i = 1, 7 do fa[i] = ARGV[i] end
for i = 8, #ARGV do ca[#ca + 1] = ARGV[i] end
local done = finish(fa)
local got = claim(ca)
table.insert(got, 1, tostring(done))
return got
"#
    ))
});

/// Cancel a job if, and only if, it is still queued.
///
/// ARGV: prefix, id, now_rfc3339. Returns 'ok' when cancelled now, else the job's
/// status ('cancelled' if it already was), or 'missing'.
pub static CANCEL: LazyLock<Script> = LazyLock::new(|| {
    ending(
        r#"
local p, id, now = ARGV[1], ARGV[2], ARGV[3]
local job = p..':job:'..id
local f = redis.call('HMGET', job, 'status', 'queue', 'result_ttl_s', 'seq', 'created_ms')
if not f[1] then return 'missing' end
if f[1] ~= 'queued' then return f[1] end
redis.call('LREM', p..':queue:'..f[2], 0, id)
end_job(p, id, 'queued', 'cancelled', nil, now, f[4] or f[5], f[3], '')
return 'ok'
"#,
    )
});

/// Give up ownership of a pinned queue; if jobs are still waiting, offer the queue
/// to every node again.
///
/// ARGV: prefix, queue, owner token. Returns 1 when the token was the owner.
pub static RELEASE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r#"
local p, q, node = ARGV[1], ARGV[2], ARGV[3]
local owner_key = p..':owner:'..q
if redis.call('GET', owner_key) ~= node then return 0 end
redis.call('DEL', owner_key)
if redis.call('LLEN', p..':queue:'..q) > 0 and redis.call('SADD', p..':offered', q) == 1 then
  redis.call('RPUSH', p..':unowned', q)
end
return 1
"#,
    )
});

/// Renew a pinned worker's lease on its queue. ARGV: prefix, queue, owner token, lease_s.
/// Returns 1 when the lease is (again) this token's, 0 when another owns it.
pub static RENEW: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r#"
local p, q, node, lease = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local owner_key = p..':owner:'..q
local owner = redis.call('GET', owner_key)
if owner and owner ~= node then return 0 end
redis.call('SET', owner_key, node, 'EX', lease)
return 1
"#,
    )
});

/// Fail a worker's running job because the worker is being stopped, in one step
/// with the worker counters. ARGV: prefix, id, worker, result_json, now, error type.
/// Returns 1 when the job was started by that worker (and is now failed).
pub static INTERRUPT: LazyLock<Script> = LazyLock::new(|| {
    ending(
        r#"
local p, id, worker, res, now, etype = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6]
local job = p..':job:'..id
local f = redis.call('HMGET', job, 'status', 'worker', 'result_ttl_s', 'seq', 'created_ms')
if f[1] ~= 'started' or f[2] ~= worker then return 0 end
end_job(p, id, 'started', 'failed', res, now, f[4] or f[5], f[3], etype)
local w = p..':worker:'..worker
if redis.call('EXISTS', w) == 1 then
  redis.call('HINCRBY', w, 'failed_job_count', 1)
  redis.call('HSET', w, 'current_job', '', 'status', 'idle')
end
return 1
"#,
    )
});

/// Fail a queued job that has waited longer than its `ttl` (`Expired`), taking it
/// off its queue. ARGV: prefix, id, now_rfc3339, now_ms. Returns 1 when expired.
pub static EXPIRE_QUEUED: LazyLock<Script> = LazyLock::new(|| {
    ending(
        r#"
local p, id, now, now_ms = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4])
local job = p..':job:'..id
local f = redis.call('HMGET', job, 'status', 'queue', 'result_ttl_s', 'seq', 'enqueued_ms', 'ttl_s', 'created_ms')
if f[1] ~= 'queued' then return 0 end
if now_ms - tonumber(f[5]) <= tonumber(f[6]) * 1000 then return 0 end
local msg = 'the job waited in queue '..f[2]..' longer than its ttl of '..f[6]..' s and was not run'
local res = cjson.encode({type = 'failed', error = {type = 'Expired', message = msg}})
redis.call('LREM', p..':queue:'..f[2], 0, id)
end_job(p, id, 'queued', 'failed', res, now, f[4] or f[7], f[3], 'Expired')
return 1
"#,
    )
});
