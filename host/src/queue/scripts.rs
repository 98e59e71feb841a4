//! The Lua scripts behind every job state change that another process can race
//! with. Each runs as one atomic Redis step: a cancel and a worker's pick-up can
//! never both win, and status and result are always written together.
//!
//! Every key a script touches is declared in its `KEYS` (built by `keys.rs`),
//! so the scripts run on a Redis Cluster (all keys share the prefix's hash tag)
//! and under key-pattern ACLs. Where a script meets a job it cannot know in
//! advance (a claim pops the head of a list), the caller names the ids it
//! expects (`CLAIM`'s candidates, which the previous answer and the submit's
//! wake-up supply) and the script answers with the list's head when they were
//! not there, for the caller to ask again.

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
/// `end_job(k, channel, id, from_status, to_status, result_json_or_nil, now, score, result_ttl_s, error_type)`,
/// where `k` holds the job's eight keys as [`Keys::ending`](super::keys::Keys::ending)
/// lists them (`end_keys(KEYS, i)` reads them from `KEYS[i]` on).
const END_JOB: &str = r#"
local function observe(stats, name, secs)
  local b = #BOUNDS + 1
  for i, le in ipairs(BOUNDS) do
    if secs <= le then b = i break end
  end
  redis.call('HINCRBY', stats, name..'_b:'..b, 1)
  redis.call('HINCRBYFLOAT', stats, name..'_sum', secs)
end
local function end_keys(K, i)
  return {job = K[i], cred = K[i + 1], stats = K[i + 2], from_idx = K[i + 3], to_idx = K[i + 4],
    expiring = K[i + 5], webhooks = K[i + 6], wait = K[i + 7]}
end
local function end_job(k, channel, id, from, to, res, now, score, rttl, etype)
  redis.call('HINCRBY', k.stats, 'ended:'..to..':'..(etype or ''), 1)
  if from == 'started' then
    local started = redis.call('HGET', k.job, 'started_ms')
    if started then
      local t = redis.call('TIME')
      observe(k.stats, 'run', math.max(0, (t[1] * 1000 + math.floor(t[2] / 1000) - tonumber(started)) / 1000))
    end
  end
  if res then
    redis.call('HSET', k.job, 'status', to, 'result', res, 'ended_at', now)
  else
    redis.call('HSET', k.job, 'status', to, 'ended_at', now)
  end
  redis.call('DEL', k.cred)
  redis.call('ZREM', k.from_idx, id)
  redis.call('ZADD', k.to_idx, score, id)
  redis.call('EXPIRE', k.job, rttl)
  -- Where the job is indexed, for the reaper to trim once the record expires.
  local at = redis.call('HMGET', k.job, 'queue', 'host', 'node')
  local t = redis.call('TIME')
  redis.call('ZADD', k.expiring, (tonumber(t[1]) + tonumber(rttl)) * 1000,
    id..'\t'..to..'\t'..(at[1] or '')..'\t'..(at[2] or '')..'\t'..(at[3] or ''))
  if redis.call('HEXISTS', k.job, 'webhook') == 1 then
    redis.call('HSET', k.job, 'webhook_state', '{"status":"pending","attempts":0}')
    redis.call('ZADD', k.webhooks, t[1] * 1000 + math.floor(t[2] / 1000), id)
  end
  if redis.call('EXISTS', k.wait) == 1 then
    redis.call('PUBLISH', channel, id)
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
/// The owning node's wake-up list is declared by the caller, who guesses the
/// owner (the last one this script named for the queue). When the guess is wrong
/// or missing, the job is stored and queued all the same and the script returns
/// the owner's node name instead of 1: the caller then pushes the wake-up itself.
/// A wake-up is `<queue>\t<job id>`.
///
/// KEYS: the job, `seq`, `stats`, the credentials, the queue's list, `queues`,
/// `idx:all`, `idx:queue:<q>`, `idx:status:queued`, `idx:host:<h>`, the queue's
/// owner lease, `offered`, `unowned`, the guessed node's signal list.
/// ARGV: id, queue, cred_json ('' for none), cred_ttl_s, pinned (0/1), the signal
/// lists' common prefix (`<p>:signal:`), then field, value, ...
pub static SUBMIT: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r#"
local id, q = ARGV[1], ARGV[2]
-- Seeded once at the current millisecond, so jobs stored before the sequence
-- (scored by their creation millisecond, which every script falls back to) list
-- as older.
local now = redis.call('TIME')
redis.call('SET', KEYS[2], now[1] * 1000 + math.floor(now[2] / 1000), 'NX')
local score = redis.call('INCR', KEYS[2])
local fields = {'seq', score}
for i = 7, #ARGV do fields[#fields + 1] = ARGV[i] end
redis.call('HSET', KEYS[1], unpack(fields))
redis.call('HINCRBY', KEYS[3], 'submitted', 1)
if ARGV[3] ~= '' then redis.call('SET', KEYS[4], ARGV[3], 'EX', ARGV[4]) end
redis.call('RPUSH', KEYS[5], id)
redis.call('SADD', KEYS[6], q)
redis.call('ZADD', KEYS[7], score, id)
redis.call('ZADD', KEYS[8], score, id)
redis.call('ZADD', KEYS[9], score, id)
redis.call('ZADD', KEYS[10], score, id)
if ARGV[5] == '1' then
  local owner = redis.call('GET', KEYS[11])
  if owner then
    local node = string.match(owner, '^(.*)|') or owner
    if KEYS[14] ~= ARGV[6]..node then return node end
    redis.call('RPUSH', KEYS[14], q..'\t'..id)
  elseif redis.call('SADD', KEYS[12], q) == 1 then
    -- One offer per queue is enough (while every node is full, submits would
    -- otherwise add one per job).
    redis.call('RPUSH', KEYS[13], q)
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
/// before taking it) is offered again: only when the set and the list differ in
/// size is the `unowned` list read (once a call) to find it.
///
/// KEYS: the unowned list, the offered set. ARGV: queue names. Returns how many
/// were offered.
pub static OFFER: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r#"
local n = 0
local listed = nil
local repair = redis.call('SCARD', KEYS[2]) ~= redis.call('LLEN', KEYS[1])
for _, q in ipairs(ARGV) do
  local offer = redis.call('SADD', KEYS[2], q) == 1
  if not offer and repair then
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

/// Trim the indexes of jobs whose record has expired: each `<p>:expiring`
/// entry names the job's id, final status, queue, host and node, so every index
/// it is in loses it, whatever filter clients list with. The caller reads a
/// batch of entries, oldest first, and declares each one's keys; entries already
/// gone are skipped. Stops at the first job not due to expire yet.
///
/// KEYS: `expiring`, `idx:all`, then for each entry: its job, `idx:status:<s>`,
/// `idx:queue:<q>`, `idx:host:<h>`, `idx:node:<n>` (`idx:all` for a blank one).
/// ARGV: now_ms, then the entries. Returns {trimmed, 1 when it stopped early}.
pub static TRIM_EXPIRED: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r#"
local now = tonumber(ARGV[1])
local trimmed = 0
for i = 2, #ARGV do
  local m = ARGV[i]
  local due = redis.call('ZSCORE', KEYS[1], m)
  if due then
    local b = 2 + 5 * (i - 2)
    if not string.match(m, '^[^\t]+\t') then
      redis.call('ZREM', KEYS[1], m)
    elseif redis.call('EXISTS', KEYS[b + 1]) == 0 then
      local id = string.match(m, '^([^\t]+)\t')
      redis.call('ZREM', KEYS[2], id)
      for x = 2, 5 do redis.call('ZREM', KEYS[b + x], id) end
      redis.call('ZREM', KEYS[1], m)
      trimmed = trimmed + 1
    elseif tonumber(due) > now then
      return {trimmed, 1}
    end
  end
end
return {trimmed, 0}
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

/// Start the next runnable job of a list for `worker`: status, worker, node,
/// start time and the worker registration's `token` set, credentials handed over
/// (they are deleted when the job ends). Jobs found past their `ttl` are failed
/// as `Expired` on the way.
///
/// The caller names the ids it expects at the head of the list (candidates, with
/// their keys). Each candidate in turn is popped if it is the head; one that is
/// not (cancelled or expired meanwhile) is passed over. When no candidate was the
/// head, the answer is `stale` with the ids now at the head, and the caller asks
/// again with those. Every answer that hands over a job carries the ids left at
/// the head, the candidates of the caller's next claim.
///
/// A worker claims only when it has no job. So a job still started by this very
/// registration of the worker (`token`) is one whose claim was made in Redis but
/// whose answer never came back (Redis failed in between): it has not run, and is
/// handed over again before anything new is popped (asked again with the same
/// candidates, the caller names it; otherwise the answer is `need` with its id).
/// If its credentials expired meanwhile (they live the job's `ttl` + 60 s from
/// submit), the answer says so, for the worker to fail the job instead of running
/// it without them.
///
/// A pinned worker claims only while it holds its queue's lease: a worker whose
/// node was frozen (SIGSTOP, a long pause, a partition) past the lease, while
/// another node took the device, gets `{'lease lost'}` and no job. A lease that
/// merely expired (heartbeats late, nobody took the device) is taken again, and
/// a held one renewed: a busy worker's lease runs from its last claim.
///
/// KEYS: the list, the worker's hash, the lease (any key of the prefix for a FIFO
/// worker), `stats`, `idx:status:queued`, `idx:status:started`,
/// `idx:status:failed`, `idx:node:<node>`, `expiring`, `webhooks`, then for each
/// candidate: its job, its credentials, its `wait` mark.
/// ARGV: now_rfc3339, now_ms, worker, node, token, '1' to check the lease, lease
/// token, lease seconds, the `ended` channel, how many head ids to answer with,
/// then the candidates' ids.
/// Returns {'job', id, spec_json, cred_json, '' or 'credentials expired', head
/// ids...}, {'empty'}, {'stale', head ids...}, {'need', id} or {'lease lost'}.
pub static CLAIM: LazyLock<Script> = LazyLock::new(|| ending(CLAIM_BODY));

const CLAIM_BODY: &str = r#"
local src, whash = KEYS[1], KEYS[2]
local now, now_ms, worker, node, token = ARGV[1], tonumber(ARGV[2]), ARGV[3], ARGV[4], ARGV[5]
local channel, nhead = ARGV[9], tonumber(ARGV[10])
local function cand(j, from_idx)
  local b = 10 + 3 * (j - 1)
  return {job = KEYS[b + 1], cred = KEYS[b + 2], stats = KEYS[4], from_idx = from_idx, to_idx = KEYS[7],
    expiring = KEYS[9], webhooks = KEYS[10], wait = KEYS[b + 3]}
end
local function answer(out)
  for _, x in ipairs(redis.call('LRANGE', src, 0, nhead - 1)) do out[#out + 1] = x end
  return out
end
local ids = {}
for i = 11, #ARGV do ids[#ids + 1] = ARGV[i] end
-- The job this worker holds, if any, and its place among the candidates.
local cur = redis.call('HGET', whash, 'current_job')
if cur == '' then cur = nil end
local cj = nil
if cur then
  for i, id in ipairs(ids) do
    if id == cur then cj = i break end
  end
end
-- End the held job as lost (it will not run here): `why` says why.
local function lose(why)
  local k = cand(cj, KEYS[6])
  local f = redis.call('HMGET', k.job, 'status', 'worker', 'result_ttl_s', 'seq', 'created_ms')
  if f[1] == 'started' and f[2] == worker then
    local res = cjson.encode({type = 'failed', error = {type = 'WorkerLost', message = why}})
    end_job(k, channel, cur, 'started', 'failed', res, now, f[4] or f[5], f[3], 'WorkerLost')
  end
  redis.call('HSET', whash, 'current_job', '', 'status', 'idle')
end
if ARGV[6] == '1' then
  local owner = redis.call('GET', KEYS[3])
  if owner and owner ~= ARGV[7] then
    -- A job claimed without hearing back would stay started: it has not run.
    if cur then
      if not cj then return {'need', cur} end
      local f = redis.call('HMGET', KEYS[10 + 3 * (cj - 1) + 1], 'claim')
      if f[1] == token then
        lose('its worker lost the device to another node before it could run the job; it was not run')
      end
    end
    return {'lease lost'}
  end
  -- Held (or expired and nobody took it): renewed, as by the heartbeat.
  redis.call('SET', KEYS[3], ARGV[7], 'EX', ARGV[8])
end
if cur then
  if not cj then return {'need', cur} end
  local k = cand(cj, KEYS[5])
  local f = redis.call('HMGET', k.job, 'status', 'worker', 'claim', 'had_cred')
  if f[1] == 'started' and f[2] == worker and f[3] == token then
    local cred = redis.call('GET', k.cred)
    local spec = redis.call('HGET', k.job, 'spec')
    if not cred and f[4] == '1' then
      return answer({'job', cur, spec, '', 'credentials expired'})
    end
    return answer({'job', cur, spec, cred or '', ''})
  end
  -- Started by an earlier run of this worker, which stopped without ending it:
  -- it may have run part way, so it is failed, never handed over again.
  lose('an earlier run of its worker started it and stopped without finishing it; it was not run again '..
    '(check the device before retrying a configuration job)')
end
for j, want in ipairs(ids) do
  local id = redis.call('LINDEX', src, 0)
  if not id then return {'empty'} end
  if id == want then
    redis.call('LPOP', src)
    local k = cand(j, KEYS[5])
    local f = redis.call('HMGET', k.job, 'status', 'enqueued_ms', 'ttl_s', 'result_ttl_s', 'seq', 'queue', 'created_ms')
    local score = f[5] or f[7]
    if f[1] == 'queued' then
      if now_ms - tonumber(f[2]) > tonumber(f[3]) * 1000 then
        local msg = 'the job waited in queue '..f[6]..' longer than its ttl of '..f[3]..' s and was not run'
        local res = cjson.encode({type = 'failed', error = {type = 'Expired', message = msg}})
        end_job(k, channel, id, 'queued', 'failed', res, now, score, f[4], 'Expired')
      else
        local cred = redis.call('GET', k.cred) or ''
        redis.call('HSET', k.job, 'status', 'started', 'started_at', now, 'worker', worker, 'node', node,
          'waiting_reason', '', 'claim', token, 'had_cred', cred ~= '' and '1' or '0', 'started_ms', now_ms)
        observe(KEYS[4], 'queue', math.max(0, (now_ms - tonumber(f[2])) / 1000))
        redis.call('ZREM', KEYS[5], id)
        redis.call('ZADD', KEYS[6], score, id)
        redis.call('ZADD', KEYS[8], score, id)
        redis.call('HSET', whash, 'current_job', id, 'status', 'busy')
        return answer({'job', id, redis.call('HGET', k.job, 'spec'), cred, ''})
      end
    end
  end
end
if redis.call('LLEN', src) == 0 then return {'empty'} end
return answer({'stale'})
"#;

/// End a started job: status and result in one step, record set to expire, worker
/// counters updated. Does nothing (returns 0) unless the job is still started by
/// this worker (a reaper or a kill may have ended it first).
///
/// KEYS: the job's eight ending keys (from `started`), the worker's hash.
/// ARGV: id, worker, status, result_json, now_rfc3339, error type ('' on success),
/// the `ended` channel.
pub static FINISH: LazyLock<Script> = LazyLock::new(|| ending(FINISH_BODY));

const FINISH_BODY: &str = r#"
local id, worker, st, res, now, etype, channel = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7]
local k = end_keys(KEYS, 1)
local f = redis.call('HMGET', k.job, 'status', 'worker', 'result_ttl_s', 'seq', 'created_ms')
if f[1] ~= 'started' or f[2] ~= worker then return 0 end
end_job(k, channel, id, 'started', st, res, now, f[4] or f[5], f[3], etype)
local w = KEYS[9]
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

/// How many keys and arguments [`FINISH`] takes (so [`FINISH_AND_CLAIM`] can split them).
pub const FINISH_KEYS: usize = 9;
pub const FINISH_ARGS: usize = 7;

/// A pinned worker's step between two jobs, in one round trip: [`FINISH`] the job
/// it ran, then [`CLAIM`] the next one (each body as it is, run as a function of
/// its own keys and arguments). A failed call is simply made again: the finish
/// then finds the job ended (0) and the claim hands back the job it may already
/// have claimed.
///
/// KEYS and ARGV: FINISH's, then CLAIM's. Returns CLAIM's answer with FINISH's
/// (as '1' or '0') in front.
pub static FINISH_AND_CLAIM: LazyLock<Script> = LazyLock::new(|| {
    ending(&format!(
        r#"
local function finish(KEYS, ARGV)
{FINISH_BODY}
end
local function claim(KEYS, ARGV)
{CLAIM_BODY}
end
local fk, fa, ck, ca = {{}}, {{}}, {{}}, {{}}
for i = 1, #KEYS do
  if i <= {FINISH_KEYS} then fk[#fk + 1] = KEYS[i] else ck[#ck + 1] = KEYS[i] end
end
for i = 1, #ARGV do
  if i <= {FINISH_ARGS} then fa[#fa + 1] = ARGV[i] else ca[#ca + 1] = ARGV[i] end
end
local done = finish(fk, fa)
local got = claim(ck, ca)
table.insert(got, 1, tostring(done))
return got
"#
    ))
});

/// Cancel a job if, and only if, it is still queued.
///
/// KEYS: the job's eight ending keys (from `queued` to `cancelled`), the list of
/// the queue the caller read from the job. ARGV: id, now_rfc3339, that queue's
/// name, the `ended` channel. Returns 'ok' when cancelled now, else the job's
/// status ('cancelled' if it already was), 'missing', or `queue:<name>` when the
/// job is in another queue than the one declared.
pub static CANCEL: LazyLock<Script> = LazyLock::new(|| {
    ending(
        r#"
local id, now, q, channel = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local k = end_keys(KEYS, 1)
local f = redis.call('HMGET', k.job, 'status', 'queue', 'result_ttl_s', 'seq', 'created_ms')
if not f[1] then return 'missing' end
if f[1] ~= 'queued' then return f[1] end
if f[2] ~= q then return 'queue:'..(f[2] or '') end
redis.call('LREM', KEYS[9], 0, id)
end_job(k, channel, id, 'queued', 'cancelled', nil, now, f[4] or f[5], f[3], '')
return 'ok'
"#,
    )
});

/// Give up ownership of a pinned queue; if jobs are still waiting, offer the queue
/// to every node again.
///
/// KEYS: the queue's owner lease, its list, `offered`, `unowned`. ARGV: the
/// queue's name, the owner token. Returns 1 when the token was the owner.
pub static RELEASE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r#"
if redis.call('GET', KEYS[1]) ~= ARGV[2] then return 0 end
redis.call('DEL', KEYS[1])
if redis.call('LLEN', KEYS[2]) > 0 and redis.call('SADD', KEYS[3], ARGV[1]) == 1 then
  redis.call('RPUSH', KEYS[4], ARGV[1])
end
return 1
"#,
    )
});

/// Renew a pinned worker's lease on its queue. KEYS: the owner lease. ARGV: the
/// owner token, lease_s. Returns 1 when the lease is (again) this token's, 0 when
/// another owns it.
pub static RENEW: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r#"
local owner = redis.call('GET', KEYS[1])
if owner and owner ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
return 1
"#,
    )
});

/// Fail a worker's running job because the worker is being stopped, in one step
/// with the worker counters.
///
/// KEYS: the job's eight ending keys (from `started` to `failed`), the worker's
/// hash. ARGV: id, worker, result_json, now, error type, the `ended` channel.
/// Returns 1 when the job was started by that worker (and is now failed).
pub static INTERRUPT: LazyLock<Script> = LazyLock::new(|| {
    ending(
        r#"
local id, worker, res, now, etype, channel = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6]
local k = end_keys(KEYS, 1)
local f = redis.call('HMGET', k.job, 'status', 'worker', 'result_ttl_s', 'seq', 'created_ms')
if f[1] ~= 'started' or f[2] ~= worker then return 0 end
end_job(k, channel, id, 'started', 'failed', res, now, f[4] or f[5], f[3], etype)
local w = KEYS[9]
if redis.call('EXISTS', w) == 1 then
  redis.call('HINCRBY', w, 'failed_job_count', 1)
  redis.call('HSET', w, 'current_job', '', 'status', 'idle')
end
return 1
"#,
    )
});

/// Fail a queued job that has waited longer than its `ttl` (`Expired`), taking it
/// off its queue.
///
/// KEYS: the job's eight ending keys (from `queued` to `failed`), the list of the
/// queue the caller read from the job. ARGV: id, now_rfc3339, now_ms, that
/// queue's name, the `ended` channel. Returns 1 when expired, 0 when not, or
/// `queue:<name>` when the job is in another queue than the one declared.
pub static EXPIRE_QUEUED: LazyLock<Script> = LazyLock::new(|| {
    ending(
        r#"
local id, now, now_ms, q, channel = ARGV[1], ARGV[2], tonumber(ARGV[3]), ARGV[4], ARGV[5]
local k = end_keys(KEYS, 1)
local f = redis.call('HMGET', k.job, 'status', 'queue', 'result_ttl_s', 'seq', 'enqueued_ms', 'ttl_s', 'created_ms')
if f[1] ~= 'queued' then return 0 end
if now_ms - tonumber(f[5]) <= tonumber(f[6]) * 1000 then return 0 end
if f[2] ~= q then return 'queue:'..(f[2] or '') end
local msg = 'the job waited in queue '..f[2]..' longer than its ttl of '..f[6]..' s and was not run'
local res = cjson.encode({type = 'failed', error = {type = 'Expired', message = msg}})
redis.call('LREM', KEYS[9], 0, id)
end_job(k, channel, id, 'queued', 'failed', res, now, f[4] or f[7], f[3], 'Expired')
return 1
"#,
    )
});
