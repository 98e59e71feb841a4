//! The worker runtime: idle pinned sessions are given back, over-age queued jobs
//! become visible failures, unreachable devices keep no worker, a Redis outage
//! under load loses no acknowledged job.

use std::time::{Duration, Instant};

use netpulse_e2e::{PrivateRedis, TestSystem, exec_body, free_port, ios_fleet, temp_dir};
use serde_json::json;

const WAIT: Duration = Duration::from_secs(30);

async fn pinned_workers(sys: &TestSystem) -> usize {
    let (_, v) = sys.get("/worker").await;
    v["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|w| w["queues"][0].as_str().unwrap().starts_with("pinned_"))
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_pinned_workers_close_their_session_and_give_the_slot_back() {
    let fleet = ios_fleet(1, |_| {}).await;
    let dev = &fleet.devices()[0];
    let sys = TestSystem::start_with(|s| s.node.pinned_idle_s = 0.5).await;
    let id = sys.submit(&exec_body(dev, json!({"command": "show clock"}))).await;
    assert_eq!(sys.wait_ended(&id, WAIT).await["status"], "finished");
    let start = Instant::now();
    while pinned_workers(&sys).await > 0 {
        assert!(start.elapsed() < WAIT, "the idle pinned worker never left");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // The next job gets a new worker and a new session.
    let id = sys.submit(&exec_body(dev, json!({"command": "show clock"}))).await;
    assert_eq!(sys.wait_ended(&id, WAIT).await["status"], "finished");
    assert_eq!(dev.logins(), 2);
    sys.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jobs_waiting_past_their_ttl_fail_as_expired_and_stay_queryable() {
    // No worker of any kind: nothing will ever take these jobs.
    let sys = TestSystem::start_with(|s| {
        s.node.fifo_workers = 0;
        s.node.capacity = 0;
    })
    .await;
    let ca = json!({"device_type": "cisco_ios", "host": "127.0.66.1", "username": "u", "password": "p"});
    let pinned = sys.submit(&json!({"connection_args": ca, "command": "show clock", "ttl": 1})).await;
    let fifo = sys
        .submit(&json!({"connection_args": ca, "command": "show clock", "ttl": 1, "queue_strategy": "fifo"}))
        .await;
    for id in [pinned, fifo] {
        let job = sys.wait_ended(&id, WAIT).await;
        assert_eq!(job["status"], "failed", "{job}");
        assert_eq!(job["result"]["error"]["type"], "Expired", "{job}");
        assert!(job["result"]["error"]["message"].as_str().unwrap().contains("ttl of 1 s"), "{job}");
        assert_eq!(job["started_at"], serde_json::Value::Null);
    }
    let (_, v) = sys.get("/job?status=failed").await;
    assert_eq!(v["data"].as_array().unwrap().len(), 2);
    let (_, h) = sys.get("/health").await;
    assert_eq!(h["data"]["components"]["queues"]["total_queued"], 0, "expired jobs leave their queue: {h}");
    assert_eq!(h["data"]["status"], "degraded", "no live worker: {h}");
    assert_eq!(h["data"]["components"]["workers"]["total"], 0, "{h}");
    sys.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_device_keeps_no_worker_and_its_jobs_fail() {
    let sys = TestSystem::start().await;
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let ca = json!({"device_type": "cisco_ios", "host": "127.0.0.1", "port": closed, "username": "u", "password": "p"});
    let mut ids = Vec::new();
    for _ in 0..3 {
        ids.push(sys.submit(&json!({"connection_args": ca, "command": "show clock"})).await);
    }
    for id in &ids {
        let job = sys.wait_ended(id, WAIT).await;
        assert_eq!(job["result"]["error"]["type"], "ConnectionError", "{job}");
    }
    let start = Instant::now();
    while pinned_workers(&sys).await > 0 {
        assert!(start.elapsed() < WAIT, "a worker stayed for an unreachable device");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    sys.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_node_queues_the_job_and_says_why_until_a_slot_frees() {
    let fleet = ios_fleet(2, |c| c.listen = "127.0.7.1".parse().unwrap()).await;
    let (a, b) = (&fleet.devices()[0], &fleet.devices()[1]);
    let sys = TestSystem::start_with(|s| s.node.capacity = 1).await;
    let first = sys.submit(&exec_body(a, json!({"command": "show clock"}))).await;
    assert_eq!(sys.wait_ended(&first, WAIT).await["status"], "finished");
    let waiting = sys.submit(&exec_body(b, json!({"command": "show clock"}))).await;
    let start = Instant::now();
    let job = loop {
        let job = sys.job(&waiting).await;
        if job.get("waiting_reason").is_some_and(|r| r.is_string()) {
            break job;
        }
        assert_eq!(job["status"], "queued", "{job}");
        assert!(start.elapsed() < WAIT, "no waiting_reason: {job}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(job["waiting_reason"].as_str().unwrap().contains("capacity"), "{job}");
    let (_, h) = sys.get("/health").await;
    assert_eq!(h["data"]["components"]["queues"]["status"], "degraded", "{h}");
    assert!(h["data"]["components"]["queues"]["waiting_reason"].as_str().unwrap().contains("capacity"));
    // Free the slot: stop device A's pinned worker; B's job then runs.
    let queue = format!("pinned_127.0.7.1:{}", a.addr().port());
    let (s, v) = sys.delete(&format!("/worker?queue={queue}")).await;
    assert_eq!(s, 200, "{v}");
    let job = sys.wait_ended(&waiting, WAIT).await;
    assert_eq!(job["status"], "finished", "{job}");
    assert!(job.get("waiting_reason").is_none(), "{job}");
    sys.stop().await;
}

/// What a load generator saw while Redis went away and came back.
#[derive(Default)]
struct Load {
    /// Jobs the API acknowledged (201).
    acknowledged: Vec<String>,
    /// Refusals while Redis was down: (status, message).
    refused: Vec<(u16, String)>,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_stopped_and_restarted_under_load_loses_no_acknowledged_job() {
    use std::sync::{Arc, Mutex};
    let dir = temp_dir("redis-outage");
    let port = free_port();
    let Some(redis) = PrivateRedis::start(port, Some(&dir)) else {
        eprintln!("SKIPPED: redis-server is not on the PATH; cannot stop a private Redis");
        return;
    };
    let url = redis.url();
    let fleet = ios_fleet(4, |c| c.listen = "127.0.8.1".parse().unwrap()).await;
    let sys = Arc::new(TestSystem::start_with(|s| s.redis_url = url.clone()).await);
    let load = Arc::new(Mutex::new(Load::default()));
    let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
    // A client that keeps submitting, round robin over the devices, through the outage.
    let submitter = {
        let (sys, load, done) = (sys.clone(), load.clone(), done.clone());
        let bodies: Vec<_> =
            fleet.devices().iter().map(|d| exec_body(d, json!({"command": "show version"}))).collect();
        tokio::spawn(async move {
            for i in 0.. {
                if done.load(std::sync::atomic::Ordering::Relaxed) {
                    break;
                }
                let (status, v) = sys.post("/device/exec", &bodies[i % bodies.len()]).await;
                {
                    let mut load = load.lock().unwrap();
                    match status {
                        201 => load.acknowledged.push(v["data"]["id"].as_str().unwrap().to_string()),
                        _ => {
                            load.refused.push((status, v["message"].as_str().unwrap_or_default().to_string()))
                        }
                    }
                }
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        })
    };
    let until = async |what: &str, f: &dyn Fn(&Load) -> bool| {
        let start = Instant::now();
        while !f(&load.lock().unwrap()) {
            assert!(start.elapsed() < WAIT, "timed out waiting for {what}");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    };
    until("40 acknowledged jobs", &|l| l.acknowledged.len() >= 40).await;
    // Redis dies (SIGKILL: no goodbye) while jobs are queued and running, and
    // stays down for longer than three heartbeat intervals (the heartbeat
    // records expire meanwhile): the outage's length is the scenario, not a wait.
    drop(redis);
    until("submits refused while Redis is down", &|l| l.refused.len() >= 20).await;
    tokio::time::sleep(Duration::from_secs_f64(sys.settings.node.heartbeat_s * 4.0)).await;
    let before_restart = load.lock().unwrap().acknowledged.len();
    let _redis = PrivateRedis::start(port, Some(&dir)).expect("Redis restarts on its folder");
    until("40 more acknowledged jobs after the restart", &|l| l.acknowledged.len() >= before_restart + 40)
        .await;
    done.store(true, std::sync::atomic::Ordering::Relaxed);
    submitter.await.unwrap();

    let load = std::mem::take(&mut *load.lock().unwrap());
    for (status, message) in &load.refused {
        assert_eq!(*status, 503, "while Redis is down the API answers 503: {message}");
        assert!(message.contains("Redis"), "the refusal says why: {message}");
    }
    for id in &load.acknowledged {
        let job = sys.wait_ended(id, WAIT).await;
        assert_eq!(job["status"], "finished", "an acknowledged job did not finish: {job}");
    }
    // The node and its workers are back on record (their heartbeat records had expired).
    let start = Instant::now();
    loop {
        let (status, h) = sys.get("/health").await;
        if status == 200 && h["data"]["status"] == "healthy" {
            break;
        }
        assert!(start.elapsed() < WAIT, "the system did not report healthy again: {h}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // The node kept its SSH sessions through the outage: one login per device.
    for dev in fleet.devices() {
        assert_eq!(dev.logins(), 1, "{} logged in again", dev.addr());
    }
    eprintln!(
        "{} jobs acknowledged and finished, {} submits refused with 503 during the outage",
        load.acknowledged.len(),
        load.refused.len()
    );
    std::fs::remove_dir_all(dir).ok();
    // The private Redis goes away with its data; nothing to clean up there.
    std::mem::forget(Arc::try_unwrap(sys).ok());
}

/// Redis can fail after running a worker's claim but before the answer reaches
/// the worker: the job is then `started` for a worker that never heard of it. The
/// worker's next claim hands that job over again (it has not run), credentials
/// included; a later worker of the same name never gets it (a job an earlier
/// worker started may have run part way).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_claim_whose_answer_was_lost_is_handed_over_again_to_its_own_worker_only() {
    use netpulse::queue::{Claimed, FIFO_QUEUE, JobStore};
    let fleet = ios_fleet(1, |_| {}).await;
    let dev = &fleet.devices()[0];
    // No FIFO workers: FIFO jobs wait, and this test claims them as a worker would.
    let sys = TestSystem::start_with(|s| s.node.fifo_workers = 0).await;
    let mut body = exec_body(dev, json!({"command": "show clock", "queue_strategy": "fifo"}));
    body["connection_args"]["password"] = json!("pw-Lost-1");
    let first = sys.submit(&body).await;
    let second = sys.submit(&body).await;
    let store = JobStore::connect(&netpulse_e2e::redis_url(), &sys.prefix).await.unwrap();
    let queue = store.keys().queue(FIFO_QUEUE);
    let claim = async |token: &str| match store
        .claim(&queue, "node-x/fifo-1", "node-x", token, None, &mut Vec::new())
        .await
        .unwrap()
    {
        Some(Claimed::Job(job)) => (job.id, job.credentials.password),
        other => panic!("no job claimed: {}", other.is_some()),
    };
    // The first claim's answer is "lost": the worker claims again.
    let (lost, _) = claim("run-1").await;
    assert_eq!(lost, first);
    let (again, password) = claim("run-1").await;
    assert_eq!(again, first, "the job whose claim went unanswered comes back first");
    assert_eq!(password, "pw-Lost-1", "with its credentials");
    // Another run of the node (same worker name, new token) gets the next job.
    let (next, _) = claim("run-2").await;
    assert_eq!(next, second, "a job started by an earlier run is never handed over again");
    // It may have run part way: it is failed, with the reason, not left started.
    let job = sys.job(&first).await;
    assert_eq!(
        (job["status"].as_str(), job["result"]["error"]["type"].as_str()),
        (Some("failed"), Some("WorkerLost"))
    );
    assert!(job["result"]["error"]["message"].as_str().unwrap().contains("earlier run"), "{job}");
    // Credentials live the job's ttl from submit: if they expired before the job
    // came back, it is failed for that reason rather than run without them.
    let mut c = sys.redis().await;
    let _: i64 =
        redis::cmd("DEL").arg(format!("{}:cred:{second}", sys.prefix)).query_async(&mut c).await.unwrap();
    match store.claim(&queue, "node-x/fifo-1", "node-x", "run-2", None, &mut Vec::new()).await.unwrap() {
        Some(Claimed::Unreadable { id, error }) => {
            assert_eq!(id, second);
            assert_eq!(error.kind, netpulse::queue::ErrorKind::CredentialError);
            assert!(error.message.contains("expired"), "{}", error.message);
        }
        other => panic!("expected the job back as unreadable, got a job: {}", other.is_some()),
    }
    sys.stop().await;
}

/// A pinned worker ends a job and claims its next in one step
/// (`FINISH_AND_CLAIM`). When that step's answer is lost and it is made again, the
/// job stays ended once with its result, and the job the lost answer carried
/// comes back (it has not run) instead of the one after it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_finish_and_claim_whose_answer_was_lost_ends_the_job_once_and_hands_the_next_back() {
    use netpulse::queue::{Claimed, FIFO_QUEUE, JobResult, JobStore, Retval};
    let fleet = ios_fleet(1, |_| {}).await;
    let dev = &fleet.devices()[0];
    let sys = TestSystem::start_with(|s| s.node.fifo_workers = 0).await;
    let body = exec_body(dev, json!({"command": "show clock", "queue_strategy": "fifo"}));
    let ids = [sys.submit(&body).await, sys.submit(&body).await, sys.submit(&body).await];
    let store = JobStore::connect(&netpulse_e2e::redis_url(), &sys.prefix).await.unwrap();
    let queue = store.keys().queue(FIFO_QUEUE);
    let (worker, node, token) = ("node-x/fifo-1", "node-x", "run-1");
    let first = match store.claim(&queue, worker, node, token, None, &mut Vec::new()).await.unwrap() {
        Some(Claimed::Job(job)) => job.id,
        other => panic!("no job claimed: {}", other.is_some()),
    };
    assert_eq!(first, ids[0]);
    let result = JobResult::success(Retval::from_value(&json!("clock output")));
    // Each try starts from what the worker knew before the step: nothing.
    let step = async || match store
        .finish_and_claim(&first, &result, &queue, worker, node, token, None, &mut Vec::new())
        .await
    {
        Ok((finished, Some(Claimed::Job(job)))) => (finished, job.id),
        other => panic!("no next job: {:?}", other.map(|(f, c)| (f, c.is_some()))),
    };
    // The first step's answer is "lost": the worker makes it again.
    let (finished, next) = step().await;
    assert!(finished, "the job was this worker's to end");
    assert_eq!(next, ids[1]);
    let (finished_again, next_again) = step().await;
    assert!(!finished_again, "the job is not ended twice");
    assert_eq!(next_again, ids[1], "the job the lost answer carried comes back, not the one after it");
    let job = sys.job(&first).await;
    assert_eq!(job["status"], "finished", "{job}");
    assert_eq!(job["result"]["retval"], "clock output", "{job}");
    assert_eq!(sys.job(&ids[1]).await["status"], "started");
    assert_eq!(sys.job(&ids[2]).await["status"], "queued");
    sys.stop().await;
}

/// A pinned worker whose claim went unanswered, and whose device another node
/// took meanwhile, gets no job back (`lease lost`); the job it had claimed,
/// which never ran, is failed with that reason instead of staying started.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_claim_lost_with_the_lease_fails_the_job_it_held() {
    use netpulse::queue::{Claimed, JobStore, StoreError};
    let fleet = ios_fleet(1, |_| {}).await;
    let dev = &fleet.devices()[0];
    // No node takes pinned queues: this test claims as a pinned worker would.
    let sys = TestSystem::start_with(|s| s.node.capacity = 0).await;
    let id = sys.submit(&exec_body(dev, json!({"command": "show clock"}))).await;
    let store = JobStore::connect(&netpulse_e2e::redis_url(), &sys.prefix).await.unwrap();
    let queue = format!("pinned_{}:{}", dev.addr().ip(), dev.addr().port());
    let source = store.keys().queue(&queue);
    let (worker, node, token) = (format!("node-x/{queue}"), "node-x", "run-1");
    let lease = Some((queue.as_str(), "node-x|1", 30));
    match store.claim(&source, &worker, node, token, lease, &mut Vec::new()).await.unwrap() {
        Some(Claimed::Job(job)) => assert_eq!(job.id, id),
        other => panic!("no job claimed: {}", other.is_some()),
    }
    // The answer is "lost"; meanwhile another node takes the device.
    let mut c = sys.redis().await;
    let _: () = redis::AsyncCommands::set(&mut c, store.keys().owner(&queue), "node-y|7").await.unwrap();
    match store.claim(&source, &worker, node, token, lease, &mut Vec::new()).await {
        Err(StoreError::LeaseLost(q)) => assert_eq!(q, queue),
        other => panic!("expected the lease lost, got {:?}", other.map(|c| c.is_some())),
    }
    let job = sys.job(&id).await;
    assert_eq!(
        (job["status"].as_str(), job["result"]["error"]["type"].as_str()),
        (Some("failed"), Some("WorkerLost"))
    );
    assert!(job["result"]["error"]["message"].as_str().unwrap().contains("lost the device"), "{job}");
    sys.stop().await;
}
