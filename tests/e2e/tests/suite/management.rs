//! The job and worker management API to the letter of the spec: query, cancel,
//! workers, health, bulk, connection test.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use netpulse_e2e::{API_KEY, PrivateRedis, TestSystem, exec_body, free_port, ios_fleet};
use serde_json::{Value, json};

const WAIT: Duration = Duration::from_secs(30);

fn ids(v: &Value) -> Vec<String> {
    v["data"].as_array().unwrap().iter().map(|j| j["id"].as_str().unwrap().to_string()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn job_filters_combine_and_paginate_newest_first() {
    let fleet = ios_fleet(2, |c| c.listen = "127.0.3.1".parse().unwrap()).await;
    let (a, b) = (&fleet.devices()[0], &fleet.devices()[1]);
    // No FIFO workers: FIFO jobs stay queued.
    let sys = TestSystem::start_with(|s| s.node.fifo_workers = 0).await;
    let mut a_ok = Vec::new();
    for _ in 0..3 {
        a_ok.push(sys.submit(&exec_body(a, json!({"command": "show clock"}))).await);
    }
    let b_bad = sys.submit(&exec_body(b, json!({"command": "show nonsense here"}))).await;
    let queued = sys.submit(&exec_body(b, json!({"command": "show clock", "queue_strategy": "fifo"}))).await;
    for id in a_ok.iter().chain([&b_bad]) {
        sys.wait_ended(id, WAIT).await;
    }

    let (s, v) = sys.get("/job?status=finished").await;
    assert_eq!(s, 200);
    assert_eq!(ids(&v).into_iter().collect::<HashSet<_>>(), a_ok.iter().cloned().collect());
    let (_, v) = sys.get("/job?status=failed").await;
    assert_eq!(ids(&v), vec![b_bad.clone()]);
    let (_, v) = sys.get("/job?status=queued").await;
    assert_eq!(ids(&v), vec![queued.clone()]);
    assert_eq!(v["data"][0]["result"], Value::Null);
    assert_eq!(v["data"][0]["started_at"], Value::Null);

    let qa = format!("pinned_127.0.3.1:{}", a.addr().port());
    let (_, v) = sys.get(&format!("/job?queue={qa}")).await;
    assert_eq!(ids(&v).len(), 3);
    let (_, v) = sys.get("/job?host=127.0.3.2").await;
    assert_eq!(ids(&v).into_iter().collect::<HashSet<_>>(), [b_bad.clone(), queued.clone()].into());
    let (_, v) = sys.get("/job?host=127.0.3.2&status=failed").await;
    assert_eq!(ids(&v), vec![b_bad.clone()]);
    let node = sys.settings.node.name.clone().unwrap();
    let (_, v) = sys.get(&format!("/job?node={node}")).await;
    assert_eq!(ids(&v).len(), 4, "jobs that ran on the node: {v}");
    // `id` wins over every other filter.
    let (_, v) = sys.get(&format!("/job?id={queued}&status=finished")).await;
    assert_eq!(ids(&v), vec![queued.clone()]);

    // Newest first, paginated.
    let (_, all) = sys.get("/job").await;
    let all = ids(&all);
    assert_eq!(all.len(), 5);
    assert_eq!(all[0], queued);
    let (_, p1) = sys.get("/job?limit=2").await;
    let (_, p2) = sys.get("/job?limit=2&offset=2").await;
    assert_eq!(ids(&p1), all[0..2]);
    assert_eq!(ids(&p2), all[2..4]);

    let (s, v) = sys.get("/job?status=done").await;
    assert_eq!(s, 400);
    assert!(v["message"].as_str().unwrap().contains("queued, started, finished, failed, cancelled"), "{v}");
    let (s, v) = sys.get("/job?colour=red").await;
    assert_eq!(s, 400);
    assert!(v["message"].as_str().unwrap().contains("colour"), "{v}");
    let (s, _) = sys.get("/job?limit=5000").await;
    assert_eq!(s, 400);
    sys.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_stored_before_the_submission_sequence_still_cancels_and_expires() {
    let fleet = ios_fleet(1, |_| {}).await;
    let dev = &fleet.devices()[0];
    let sys = TestSystem::start_with(|s| s.node.fifo_workers = 0).await;
    let id = sys.submit(&exec_body(dev, json!({"command": "show clock", "queue_strategy": "fifo"}))).await;
    // What a job written by the previous release looks like: no `seq` field.
    let mut c = sys.redis().await;
    let job = format!("{}:job:{id}", sys.prefix);
    let _: i64 = redis::cmd("HDEL").arg(&job).arg("seq").query_async(&mut c).await.unwrap();
    let (s, v) = sys.delete(&format!("/job?id={id}")).await;
    assert_eq!(s, 200, "{v}");
    let (_, v) = sys.get("/job?status=cancelled").await;
    assert_eq!(ids(&v), vec![id.clone()], "indexed as cancelled");
    let ttl: i64 = redis::cmd("TTL").arg(&job).query_async(&mut c).await.unwrap();
    assert!(ttl > 0, "the record expires after result_ttl (TTL {ttl})");
    sys.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_by_id_queue_and_host_only_touches_queued_jobs() {
    let fleet = ios_fleet(1, |c| c.latency = Duration::from_millis(1500)).await;
    let dev = &fleet.devices()[0];
    let sys = TestSystem::start_with(|s| s.node.fifo_workers = 0).await;
    let fifo = |host: &str| {
        let mut b = exec_body(dev, json!({"command": "show clock", "queue_strategy": "fifo"}));
        b["connection_args"]["host"] = json!(host);
        b
    };
    let x: Vec<String> = futures_join(&sys, (0..3).map(|_| fifo("10.9.9.1")).collect()).await;
    let y: Vec<String> = futures_join(&sys, (0..2).map(|_| fifo("10.9.9.2")).collect()).await;

    let (s, v) = sys.delete(&format!("/job?id={}", x[0])).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["data"], json!({"cancelled_count": 1, "cancelled_jobs": [x[0]]}));
    let job = sys.job(&x[0]).await;
    assert_eq!(job["status"], "cancelled");
    let (s, v) = sys.delete(&format!("/job?id={}", x[0])).await;
    assert_eq!(s, 409);
    assert!(v["message"].as_str().unwrap().contains("cancelled"), "{v}");

    let (_, v) = sys.delete("/job?host=10.9.9.1").await;
    assert_eq!(v["data"]["cancelled_count"], 2, "{v}");
    let (_, v) = sys.delete("/job?queue=FifoQ").await;
    assert_eq!(v["data"]["cancelled_count"], 2, "{v}");
    let got: HashSet<String> = v["data"]["cancelled_jobs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i.as_str().unwrap().to_string())
        .collect();
    assert_eq!(got, y.iter().cloned().collect());
    let (_, v) = sys.get("/job?status=queued").await;
    assert!(ids(&v).is_empty(), "{v}");
    let mut c = sys.redis().await;
    let len: usize =
        redis::cmd("LLEN").arg(format!("{}:queue:FifoQ", sys.prefix)).query_async(&mut c).await.unwrap();
    assert_eq!(len, 0, "cancelled jobs leave their queue");

    // A started job cannot be cancelled.
    let slow = sys.submit(&exec_body(dev, json!({"command": "show clock"}))).await;
    let start = Instant::now();
    while sys.job(&slow).await["status"] == "queued" {
        assert!(start.elapsed() < WAIT);
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let (s, v) = sys.delete(&format!("/job?id={slow}")).await;
    assert_eq!(s, 409, "{v}");
    assert!(
        v["message"].as_str().unwrap().contains("started")
            || v["message"].as_str().unwrap().contains("finished")
    );
    let (s, _) = sys.delete("/job?id=nope").await;
    assert_eq!(s, 404);
    let (s, _) = sys.delete("/job").await;
    assert_eq!(s, 400);
    assert_eq!(sys.wait_ended(&slow, WAIT).await["status"], "finished");
    sys.stop().await;
}

async fn futures_join(sys: &TestSystem, bodies: Vec<Value>) -> Vec<String> {
    let mut out = Vec::new();
    for b in bodies {
        out.push(sys.submit(&b).await);
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_and_pickup_race_has_exactly_one_winner() {
    let fleet = ios_fleet(1, |_| {}).await;
    let dev = fleet.devices()[0].clone();
    let sys = TestSystem::start_with(|s| s.node.fifo_workers = 3).await;
    let n = 120;
    let mut ids = Vec::new();
    for _ in 0..n {
        ids.push(
            sys.submit(&exec_body(&dev, json!({"command": "show clock", "queue_strategy": "fifo"}))).await,
        );
    }
    // Cancel every job, from the newest (most likely still queued) down, while workers pick them up.
    let mut cancelled = HashSet::new();
    for id in ids.iter().rev() {
        let (s, v) = sys.delete(&format!("/job?id={id}")).await;
        match s {
            200 => {
                cancelled.insert(id.clone());
            }
            409 => {}
            other => panic!("cancel answered {other}: {v}"),
        }
    }
    let mut ran = 0;
    for id in &ids {
        let job = sys.wait_ended(id, WAIT).await;
        if cancelled.contains(id) {
            assert_eq!(job["status"], "cancelled", "{job}");
            assert_eq!(job["started_at"], Value::Null, "a cancelled job was started: {job}");
            assert_eq!(job["worker"], Value::Null, "{job}");
        } else {
            assert_eq!(job["status"], "finished", "{job}");
            ran += 1;
        }
    }
    // Every FIFO job logs in once: the device saw exactly the jobs that ran.
    assert_eq!(dev.logins(), ran as u64, "cancelled {} of {n}", cancelled.len());
    assert!(!cancelled.is_empty(), "the test should cancel some jobs");
    sys.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn workers_are_listed_and_filtered() {
    let fleet = ios_fleet(1, |c| c.listen = "127.0.4.1".parse().unwrap()).await;
    let dev = &fleet.devices()[0];
    let sys = TestSystem::start().await;
    let id = sys.submit(&exec_body(dev, json!({"command": "show clock"}))).await;
    sys.wait_ended(&id, WAIT).await;
    let (s, v) = sys.get("/worker").await;
    assert_eq!(s, 200);
    let workers = v["data"].as_array().unwrap();
    assert_eq!(workers.len(), 3, "2 FIFO + 1 pinned: {v}");
    for w in workers {
        for f in [
            "name",
            "status",
            "pid",
            "hostname",
            "queues",
            "last_heartbeat",
            "birth_at",
            "successful_job_count",
            "failed_job_count",
            "node",
            "current_job",
        ] {
            assert!(w.get(f).is_some(), "{f} missing in {w}");
        }
        assert_eq!(w["pid"], std::process::id());
    }
    let queue = format!("pinned_127.0.4.1:{}", dev.addr().port());
    let (_, v) = sys.get(&format!("/worker?queue={queue}")).await;
    let pinned = v["data"].as_array().unwrap();
    assert_eq!(pinned.len(), 1);
    assert_eq!(pinned[0]["successful_job_count"], 1);
    assert_eq!(pinned[0]["status"], "idle");
    let (_, v) = sys.get("/worker?host=127.0.4.1").await;
    assert_eq!(v["data"].as_array().unwrap().len(), 1);
    let (_, v) = sys.get("/worker?queue=FifoQ").await;
    assert_eq!(v["data"].as_array().unwrap().len(), 2);
    let (_, v) = sys.get("/worker?node=elsewhere").await;
    assert!(v["data"].as_array().unwrap().is_empty());
    sys.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleting_a_busy_worker_interrupts_its_job_and_the_queue_drains() {
    let fleet = ios_fleet(1, |c| c.latency = Duration::from_millis(600)).await;
    let dev = &fleet.devices()[0];
    let sys = TestSystem::start().await;
    let first =
        sys.submit(&exec_body(dev, json!({"command": ["show clock", "show clock", "show clock"]}))).await;
    let second = sys.submit(&exec_body(dev, json!({"command": "show clock"}))).await;
    let start = Instant::now();
    let worker = loop {
        let job = sys.job(&first).await;
        if job["status"] == "started" {
            break job["worker"].as_str().unwrap().to_string();
        }
        assert!(start.elapsed() < WAIT, "{job}");
        tokio::time::sleep(Duration::from_millis(5)).await;
    };
    let (s, v) = sys.delete(&format!("/worker?name={worker}")).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["data"], json!({"worker": worker, "status": "stopped", "interrupted_jobs": 1}));
    let job = sys.wait_ended(&first, WAIT).await;
    assert_eq!(job["status"], "failed");
    assert_eq!(job["result"]["error"]["type"], "WorkerTerminated", "{job}");
    // The job behind it runs on a new pinned worker.
    let job = sys.wait_ended(&second, WAIT).await;
    assert_eq!(job["status"], "finished", "{job}");
    assert_ne!(job["worker"].as_str(), None);
    let (s, _) = sys.delete("/worker?name=no-such-worker").await;
    assert_eq!(s, 404);
    let (s, _) = sys.delete("/worker").await;
    assert_eq!(s, 400);
    sys.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_reports_components() {
    let sys = TestSystem::start().await;
    let (s, v) = sys.get("/health").await;
    assert_eq!(s, 200, "{v}");
    let d = &v["data"];
    assert_eq!(d["status"], "healthy", "{v}");
    assert_eq!(d["components"]["api"]["status"], "healthy");
    assert!(d["components"]["api"]["uptime_s"].as_f64().is_some());
    assert!(d["components"]["redis"]["latency_ms"].as_f64().is_some());
    assert!(d["components"]["redis"]["version"].as_str().is_some());
    assert!(d["components"]["redis"]["used_memory_bytes"].as_u64().is_some());
    assert_eq!(d["components"]["workers"]["total"], 2);
    assert_eq!(d["components"]["workers"]["idle"], 2);
    assert_eq!(d["components"]["queues"]["total_queued"], 0);
    sys.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_says_unhealthy_while_redis_is_down_and_recovers() {
    let port = free_port();
    let Some(redis) = PrivateRedis::start(port, None) else {
        eprintln!("SKIPPED: redis-server is not on the PATH; cannot stop a private Redis");
        return;
    };
    let url = format!("redis://127.0.0.1:{}", redis.port);
    let sys = TestSystem::start_with(|s| s.redis_url = url.clone()).await;
    let (s, _) = sys.get("/health").await;
    assert_eq!(s, 200);
    drop(redis);
    let (s, v) = sys.get("/health").await;
    assert_eq!(s, 503, "{v}");
    assert_eq!(v["data"]["status"], "unhealthy", "{v}");
    assert!(v["message"].as_str().unwrap().contains("Redis"), "{v}");
    let ca = json!({"device_type": "cisco_ios", "host": "127.0.77.1", "username": "u", "password": "p"});
    let (s, v) = sys.post("/device/exec", &json!({"connection_args": ca, "command": "show clock"})).await;
    assert_eq!(s, 503, "{v}");
    let _redis = PrivateRedis::start(port, None).expect("restart redis");
    let start = Instant::now();
    loop {
        let (s, v) = sys.get("/health").await;
        if s == 200 {
            assert_ne!(v["data"]["status"], "unhealthy");
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(20), "API did not recover: {v}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // The private Redis goes away with its data; nothing to clean up there.
    std::mem::forget(sys);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_endpoint_wants_the_key_in_header_query_or_cookie() {
    let sys = TestSystem::start().await;
    for (method, path) in [
        ("GET", "/job"),
        ("DELETE", "/job?id=x"),
        ("GET", "/worker"),
        ("DELETE", "/worker?name=x"),
        ("GET", "/health"),
        ("POST", "/device/exec"),
        ("POST", "/device/bulk"),
        ("POST", "/device/test"),
    ] {
        let (s, v) = sys.request(method, path, Some("{}"), None).await;
        assert_eq!(s, 403, "{method} {path} without key: {v}");
        let (s, _) = sys.request(method, path, Some("{}"), Some("wrong-key")).await;
        assert_eq!(s, 403, "{method} {path} with a wrong key");
    }
    let (s, _) = sys.request("GET", &format!("/health?X-API-KEY={API_KEY}"), None, None).await;
    assert_eq!(s, 200);
    let (s, _) = sys.request("GET", "/health?X-API-KEY=nope", None, None).await;
    assert_eq!(s, 403);
    let (s, _) = sys.request_with_cookie("/health", &format!("session=1; X-API-KEY={API_KEY}")).await;
    assert_eq!(s, 200);
    let (s, _) = sys.request_with_cookie("/health", "X-API-KEY=nope").await;
    assert_eq!(s, 403);
    sys.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bulk_submits_one_job_per_device_and_reports_rejects() {
    let fleet = ios_fleet(3, |c| c.listen = "127.0.5.1".parse().unwrap()).await;
    let sys = TestSystem::start().await;
    let d = fleet.devices();
    let mut body = exec_body(&d[0], json!({"command": "show clock"}));
    body["devices"] = json!([
        {"host": "127.0.5.1", "port": d[0].addr().port()},
        {"host": "127.0.5.2", "port": d[1].addr().port(), "command": "show version"},
        {"host": "127.0.5.3", "port": d[2].addr().port(), "config": ["logging host 10.1.1.1"]},
        {"host": "127.0.5.9", "port": 22, "device_type": "acme_os"},
    ]);
    let (s, v) = sys.post("/device/bulk", &body).await;
    assert_eq!(s, 201, "{v}");
    let ok = v["data"]["succeeded"].as_array().unwrap();
    assert_eq!(ok.len(), 3, "{v}");
    let failed = v["data"]["failed"].as_array().unwrap();
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0]["host"], "127.0.5.9");
    assert!(failed[0]["reason"].as_str().unwrap().contains("acme_os"));
    for j in ok {
        let job = sys.wait_ended(j["id"].as_str().unwrap(), WAIT).await;
        assert_eq!(job["status"], "finished", "{job}");
    }
    assert!(d[2].running_config().contains("logging host 10.1.1.1"));
    let second = sys.job(ok[1]["id"].as_str().unwrap()).await;
    assert!(second["result"]["retval"].as_str().unwrap().contains("Cisco"), "{second}");

    let mut both = body.clone();
    both["devices"] = json!([{"host": "h", "command": "a", "config": ["b"]}]);
    let (s, _) = sys.post("/device/bulk", &both).await;
    assert_eq!(s, 422);
    sys.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bulk_of_a_thousand_devices_is_accepted_at_once() {
    let sys = TestSystem::start_with(|s| {
        s.node.fifo_workers = 0;
        s.node.capacity = 0;
    })
    .await;
    let devices: Vec<Value> =
        (0..1000).map(|i| json!({"host": format!("10.{}.{}.1", i / 250, i % 250)})).collect();
    let body = json!({
        "connection_args": {"device_type": "cisco_ios", "username": "u", "password": "p"},
        "command": "show version",
        "devices": devices,
    });
    let start = Instant::now();
    let (s, v) = sys.post("/device/bulk", &body).await;
    let took = start.elapsed();
    assert_eq!(s, 201);
    assert_eq!(v["data"]["succeeded"].as_array().unwrap().len(), 1000);
    println!("bulk: 1000 devices accepted in {:.1} ms", took.as_secs_f64() * 1000.0);
    let (_, v) = sys.get("/job?status=queued&limit=1000").await;
    assert_eq!(v["data"].as_array().unwrap().len(), 1000);
    sys.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connection_test_reports_prompt_or_reason() {
    let fleet = ios_fleet(1, |_| {}).await;
    let dev = &fleet.devices()[0];
    let sys = TestSystem::start().await;
    let body = exec_body(dev, json!({}));
    let (s, v) = sys.post("/device/test", &body).await;
    assert_eq!(s, 200, "{v}");
    let d = &v["data"];
    assert_eq!(d["success"], true, "{v}");
    assert_eq!(d["device_info"]["prompt"], format!("{}#", dev.hostname()), "{v}");
    assert_eq!(d["device_info"]["device_type"], "cisco_ios");
    assert!(d["connection_time"].as_f64().unwrap() > 0.0);
    assert_eq!(d["error_message"], Value::Null);
    assert!(d["timestamp"].as_str().is_some());

    let mut bad = body.clone();
    bad["connection_args"]["password"] = json!("nope");
    let (s, v) = sys.post("/device/test", &bad).await;
    assert_eq!(s, 200);
    assert_eq!(v["data"]["success"], false);
    assert!(v["data"]["error_message"].as_str().unwrap().contains("refused the login"), "{v}");
    sys.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_specs_python_examples_run_unchanged() {
    let has_requests = std::process::Command::new("python3")
        .args(["-c", "import requests"])
        .status()
        .is_ok_and(|s| s.success());
    if !has_requests {
        eprintln!("SKIPPED: python3 with the `requests` package is not installed (pip install requests)");
        return;
    }
    let fleet = ios_fleet(1, |_| {}).await;
    let dev = &fleet.devices()[0];
    let sys = TestSystem::start().await;
    let done = sys.submit(&exec_body(dev, json!({"command": "show version"}))).await;
    sys.wait_ended(&done, WAIT).await;
    // A job that stays queued: its pinned queue's lease is held by a node that does
    // not exist, so no worker starts it.
    let queued = {
        let mut c = sys.redis().await;
        let queue = "pinned_10.77.0.1";
        let _: () = redis::cmd("SET")
            .arg(format!("{}:owner:{queue}", sys.prefix))
            .arg("nobody|0")
            .arg("EX")
            .arg(600)
            .query_async(&mut c)
            .await
            .unwrap();
        let mut b = exec_body(dev, json!({"command": "show clock"}));
        b["connection_args"]["host"] = json!("10.77.0.1");
        b["connection_args"]["port"] = json!(22);
        sys.submit(&b).await
    };
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/spec_examples.py");
    let out = tokio::process::Command::new("python3")
        .arg(script)
        .arg(format!("http://{}", sys.addr))
        .arg(API_KEY)
        .arg(&done)
        .arg(&queued)
        .output()
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains("SPEC EXAMPLES OK"),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    sys.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired_records_leave_the_indexes_they_are_found_in() {
    let sys = TestSystem::start_with(|s| {
        s.node.fifo_workers = 0;
        s.node.capacity = 0;
    })
    .await;
    let ca = json!({"device_type": "cisco_ios", "host": "127.0.55.1", "username": "u", "password": "p"});
    let mut jobs = Vec::new();
    for _ in 0..3 {
        jobs.push(sys.submit(&json!({"connection_args": ca, "command": "show clock"})).await);
    }
    // The record expires (as its TTL would make it).
    let mut c = sys.redis().await;
    let _: () =
        redis::cmd("DEL").arg(format!("{}:job:{}", sys.prefix, jobs[0])).query_async(&mut c).await.unwrap();
    let (_, v) = sys.get("/job?host=127.0.55.1").await;
    assert_eq!(ids(&v).len(), 2, "{v}");
    for idx in ["idx:host:127.0.55.1", "idx:all", "idx:status:queued"] {
        let n: usize =
            redis::cmd("ZCARD").arg(format!("{}:{idx}", sys.prefix)).query_async(&mut c).await.unwrap();
        assert_eq!(n, 2, "{idx} still lists the expired job");
    }
    sys.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopped_worker_sends_the_device_nothing_more() {
    // Each line takes 400 ms on the device; the configuration is one driver call.
    let fleet = ios_fleet(1, |c| c.latency = Duration::from_millis(400)).await;
    let dev = &fleet.devices()[0];
    let sys = TestSystem::start().await;
    let lines: Vec<String> = (1..=8).map(|i| format!("logging host 127.0.20.{i}")).collect();
    let id = sys.submit(&exec_body(dev, json!({"config": lines}))).await;
    // Stop its worker once the configuration is under way.
    let start = Instant::now();
    let worker = loop {
        let job = sys.job(&id).await;
        if job["status"] == "started" && dev.running_config().contains("logging host 127.0.20.1") {
            break job["worker"].as_str().unwrap().to_string();
        }
        assert!(start.elapsed() < WAIT, "the configuration never started: {job}");
        tokio::time::sleep(Duration::from_millis(5)).await;
    };
    let (s, v) = sys.delete(&format!("/worker?name={worker}")).await;
    assert_eq!(s, 200, "{v}");
    let at_stop = dev.commands();
    let job = sys.wait_ended(&id, WAIT).await;
    assert_eq!(job["result"]["error"]["type"], "WorkerTerminated", "{job}");
    // The lines left would take 2.8 s; wait past that and check none came.
    tokio::time::sleep(Duration::from_millis(3500)).await;
    assert!(
        dev.commands() <= at_stop + 1,
        "the device got {} more commands after the stop (at most the one in flight)",
        dev.commands() - at_stop
    );
    assert!(!dev.running_config().contains("logging host 127.0.20.8"), "the last line was applied");
    sys.stop().await;
}
