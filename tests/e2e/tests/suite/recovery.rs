//! Failures of the infrastructure: a Redis that comes back empty (restarted
//! without persistence, flushed, failed over to a replica that had not caught
//! up) is told everything again by the running nodes within a heartbeat.

use std::time::{Duration, Instant};

use netpulse_e2e::{TestSystem, exec_body, ios_fleet};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redis_that_comes_back_empty_learns_every_node_again_within_a_heartbeat() {
    let sys = TestSystem::start().await;
    let fleet = ios_fleet(1, |_| {}).await;
    let dev = &fleet.devices()[0];
    let id = sys.submit(&exec_body(dev, json!({"command": "show clock"}))).await;
    assert_eq!(sys.wait_ended(&id, Duration::from_secs(30)).await["status"], "finished");
    let (_, before) = sys.get("/worker").await;
    let before = before["data"].as_array().unwrap().len();
    assert!(before >= 3, "two FIFO workers and the pinned one");

    // Everything of this deployment disappears from Redis.
    let mut conn = sys.redis().await;
    let keys: Vec<String> =
        redis::cmd("KEYS").arg(format!("{}:*", sys.prefix)).query_async(&mut conn).await.unwrap();
    let _: () = redis::cmd("DEL").arg(&keys).query_async(&mut conn).await.unwrap();

    // Within a heartbeat (0.5 s here) the node, its workers, whole, and its
    // device types are back.
    let started = Instant::now();
    let workers = loop {
        let (_, body) = sys.get("/worker").await;
        let list = body["data"].as_array().cloned().unwrap_or_default();
        if list.len() >= before {
            break list;
        }
        assert!(started.elapsed() < Duration::from_secs(10), "workers not back: {body}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    for w in &workers {
        assert!(!w["node"].as_str().unwrap_or_default().is_empty(), "{w}");
        assert!(!w["queues"].as_array().unwrap().is_empty(), "{w}");
        assert!(w["birth_at"].is_string() && w["pid"].as_u64().unwrap() > 0, "half-empty entry: {w}");
    }
    let drivers: Vec<String> =
        redis::cmd("HKEYS").arg(format!("{}:drivers", sys.prefix)).query_async(&mut conn).await.unwrap();
    assert!(drivers.contains(&"cisco_ios".to_string()), "{drivers:?}");
    // Jobs are taken again, by FIFO and by the pinned worker that kept its session.
    for strategy in ["fifo", "pinned"] {
        let id =
            sys.submit(&exec_body(dev, json!({"command": "show clock", "queue_strategy": strategy}))).await;
        let job = sys.wait_ended(&id, Duration::from_secs(30)).await;
        assert_eq!(job["status"], "finished", "{strategy}: {job}");
    }
    sys.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offers_stay_one_per_queue_and_what_is_gone_is_forgotten() {
    // No node takes pinned queues (capacity 0): submits offer their queue.
    let sys = TestSystem::start_with(|s| s.node.capacity = 0).await;
    let fleet = ios_fleet(1, |_| {}).await;
    let dev = &fleet.devices()[0];
    let mut ids = Vec::new();
    for _ in 0..20 {
        ids.push(sys.submit(&exec_body(dev, json!({"command": "show clock"}))).await);
    }
    let mut conn = sys.redis().await;
    let p = &sys.prefix;
    let offers: usize = redis::cmd("LLEN").arg(format!("{p}:unowned")).query_async(&mut conn).await.unwrap();
    assert_eq!(offers, 1, "one offer per queue, not one per submit");
    // A dispatcher that popped the offer and failed before taking the queue
    // leaves it marked offered but in no list: the recovery sweep offers it again.
    let popped: Option<String> =
        redis::cmd("LPOP").arg(format!("{p}:unowned")).query_async(&mut conn).await.unwrap();
    assert!(popped.is_some());
    let started = Instant::now();
    loop {
        let offers: usize =
            redis::cmd("LLEN").arg(format!("{p}:unowned")).query_async(&mut conn).await.unwrap();
        if offers == 1 {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(10), "the lost offer was not made again");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // The jobs are cancelled: the queue is empty and unowned, and is forgotten.
    let queue = format!("pinned_{}:{}", dev.addr().ip(), dev.addr().port());
    let (status, body) = sys.delete(&format!("/job?queue={queue}")).await;
    assert_eq!(status, 200, "{body}");
    // A node that vanished without deregistering leaves a wake-up list behind.
    let _: () = redis::cmd("RPUSH")
        .arg(format!("{p}:signal:ghost"))
        .arg(&queue)
        .query_async(&mut conn)
        .await
        .unwrap();
    let _: () =
        redis::cmd("SADD").arg(format!("{p}:nodes")).arg("ghost").query_async(&mut conn).await.unwrap();
    let started = Instant::now();
    loop {
        let listed: bool = redis::cmd("SISMEMBER")
            .arg(format!("{p}:queues"))
            .arg(&queue)
            .query_async(&mut conn)
            .await
            .unwrap();
        let ghost: bool =
            redis::cmd("EXISTS").arg(format!("{p}:signal:ghost")).query_async(&mut conn).await.unwrap();
        if !listed && !ghost {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(10), "queue listed: {listed}, ghost signal: {ghost}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let nodes: Vec<String> =
        redis::cmd("SMEMBERS").arg(format!("{p}:nodes")).query_async(&mut conn).await.unwrap();
    assert!(!nodes.contains(&"ghost".to_string()), "{nodes:?}");
    sys.stop().await;
}

/// A `netpulse node` in its own process (killed on drop).
struct NodeProcess {
    child: std::process::Child,
    name: String,
}

impl NodeProcess {
    fn start(prefix: &str, name: &str) -> Self {
        let child = std::process::Command::new(env!("CARGO_BIN_EXE_netpulse-e2e-cli"))
            .arg("node")
            .env("NETPULSE_REDIS_URL", netpulse_e2e::redis_url())
            .env("NETPULSE_REDIS_PREFIX", prefix)
            .env("NETPULSE_NODE_NAME", name)
            .env("NETPULSE_HEARTBEAT_S", "0.3")
            .env("NETPULSE_FIFO_WORKERS", "0")
            .env("NETPULSE_CAPACITY", "4")
            .env("NETPULSE_PINNED_IDLE_S", "60")
            .env("NETPULSE_READ_TIMEOUT_S", "20")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("the node starts");
        Self { child, name: name.to_string() }
    }

    fn signal(&self, sig: &str) {
        let ok =
            std::process::Command::new("kill").arg(sig).arg(self.child.id().to_string()).status().unwrap();
        assert!(ok.success(), "kill {sig}");
    }
}

impl Drop for NodeProcess {
    fn drop(&mut self) {
        self.signal("-CONT");
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Wait until `cond` holds for the job's record.
async fn job_until(sys: &TestSystem, id: &str, what: &str, cond: impl Fn(&serde_json::Value) -> bool) {
    let start = Instant::now();
    loop {
        let job = sys.job(id).await;
        if cond(&job) {
            return;
        }
        assert!(start.elapsed() < Duration::from_secs(30), "job {id} never {what}: {job}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_frozen_node_takes_no_job_of_a_device_another_node_took() {
    // Each command takes 300 ms on the device, so jobs are still queued when
    // the frozen node wakes up.
    let fleet = ios_fleet(1, |c| c.latency = Duration::from_millis(300)).await;
    let dev = &fleet.devices()[0];
    // The API (and a node that takes no device).
    let sys = TestSystem::start_with(|s| s.node.capacity = 0).await;
    let suffix = &sys.prefix[7..13];
    let a = NodeProcess::start(&sys.prefix, &format!("frozen-{suffix}"));
    let mut redis = sys.redis().await;
    let nodes = format!("{}:nodes", sys.prefix);
    let start = Instant::now();
    while !redis::AsyncCommands::sismember::<_, _, bool>(&mut redis, &nodes, &a.name).await.unwrap() {
        assert!(start.elapsed() < Duration::from_secs(30), "node {} never registered", a.name);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    let ids: Vec<String> = {
        let mut ids = Vec::new();
        for _ in 0..10 {
            ids.push(sys.submit(&exec_body(dev, json!({"command": "show version"}))).await);
        }
        ids
    };
    // The first node runs the first job; it is frozen in the middle of it.
    job_until(&sys, &ids[0], "started on the first node", |j| {
        j["status"] == "started" && j["node"] == a.name.as_str()
    })
    .await;
    a.signal("-STOP");

    // Its lease and its worker expire: the job it held is failed (never re-run),
    // and a second node takes the device.
    let first = sys.wait_ended(&ids[0], Duration::from_secs(30)).await;
    assert_eq!(first["result"]["error"]["type"], "WorkerLost", "{first}");
    let c = NodeProcess::start(&sys.prefix, &format!("taker-{suffix}"));
    let second = sys.wait_ended(&ids[1], Duration::from_secs(30)).await;
    assert_eq!(
        (second["status"].as_str(), second["node"].as_str()),
        (Some("finished"), Some(c.name.as_str()))
    );

    // The first node wakes up while jobs of the device are still queued.
    a.signal("-CONT");
    for id in &ids[2..] {
        let job = sys.wait_ended(id, Duration::from_secs(60)).await;
        assert_eq!(job["status"], "finished", "{job}");
        assert_eq!(job["node"], c.name.as_str(), "a job ran on the node that lost the device: {job}");
    }
    // The device never heard from the thawed node again once the taker spoke,
    // and the thawed node let its session go.
    let late = dev.interleaved_commands();
    assert!(late.is_empty(), "the thawed node sent commands after the taker did: {late:?}");
    let start = Instant::now();
    while dev.open_sessions() > 1 {
        assert!(start.elapsed() < Duration::from_secs(30), "the thawed node kept its session open");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    drop(a);
    drop(c);
    sys.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_indexes_of_expired_jobs_are_trimmed_without_anyone_listing() {
    // Jobs over many device queues end (cancelled); their records expire; the
    // recovery sweep alone (nobody lists jobs) removes every trace of them.
    let sys = TestSystem::start_with(|s| s.node.capacity = 0).await;
    let mut redis = sys.redis().await;
    let keys_now = async |redis: &mut redis::aio::MultiplexedConnection| -> Vec<String> {
        let mut k: Vec<String> =
            redis::cmd("KEYS").arg(format!("{}:*", sys.prefix)).query_async(redis).await.unwrap();
        k.sort();
        k
    };
    let mut ids = Vec::new();
    for i in 0..60 {
        let body = json!({
            "driver": "netmiko",
            "connection_args": {"device_type": "cisco_ios", "host": format!("127.0.10.{}", i % 30 + 1),
                                "username": "u", "password": "p"},
            "command": "show version",
            "result_ttl": 60,
        });
        ids.push(sys.submit(&body).await);
    }
    for i in 0..30 {
        let (status, v) = sys.delete(&format!("/job?host=127.0.10.{}", i + 1)).await;
        assert_eq!(status, 200, "{v}");
    }
    let job_keys: Vec<String> = ids.iter().map(|id| format!("{}:job:{id}", sys.prefix)).collect();
    let ttl: i64 = redis::AsyncCommands::ttl(&mut redis, &job_keys[0]).await.unwrap();
    assert!((1..=60).contains(&ttl), "an ended job's record expires after its result_ttl: {ttl}");
    // What Redis does when the result_ttl has passed.
    let _: () = redis::AsyncCommands::del(&mut redis, &job_keys).await.unwrap();

    let start = Instant::now();
    let left = loop {
        let left: Vec<String> = keys_now(&mut redis)
            .await
            .into_iter()
            .filter(|k| {
                ["idx:", "job:", "cred:", "queue:", ":expiring", ":payload:"].iter().any(|p| k.contains(p))
                    || k.ends_with(":queues")
            })
            .collect();
        if left.is_empty() {
            break left;
        }
        assert!(start.elapsed() < Duration::from_secs(20), "still held after the sweeps: {left:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(left.is_empty());
    sys.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn device_types_no_live_node_serves_are_forgotten() {
    let sys = TestSystem::start().await;
    let mut redis = sys.redis().await;
    let drivers = format!("{}:drivers", sys.prefix);
    // What a node that served another platform and died left behind.
    let _: () = redis::AsyncCommands::hset(&mut redis, &drivers, "gone_os", "gone_os@1.0.0").await.unwrap();
    let start = Instant::now();
    loop {
        let types: Vec<String> = redis::AsyncCommands::hkeys(&mut redis, &drivers).await.unwrap();
        if !types.iter().any(|t| t == "gone_os") {
            assert!(types.iter().any(|t| t == "cisco_ios"), "what live nodes serve stays: {types:?}");
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(20), "gone_os is still listed: {types:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // A submit for it is refused as for any type nobody serves.
    let body = json!({
        "driver": "netmiko",
        "connection_args": {"device_type": "gone_os", "host": "127.0.11.1", "username": "u", "password": "p"},
        "command": "show version",
    });
    let (status, v) = sys.post("/device/exec", &body).await;
    assert_eq!(status, 422, "{v}");
    sys.stop().await;
}

/// 10,000 jobs over 1,000 device queues, with the shortest `result_ttl` (60 s):
/// once their records expire and the sweeps have run, Redis holds nothing more
/// of them. Over a minute, so in the `--ignored` group (`.ci/run` runs it).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "takes over a minute: cargo test -p netpulse-e2e --test suite -- --ignored"]
async fn ten_thousand_expired_jobs_leave_nothing_behind() {
    let sys = TestSystem::start_with(|s| s.node.capacity = 0).await;
    let mut redis = sys.redis().await;
    let census = async |redis: &mut redis::aio::MultiplexedConnection| -> (Vec<String>, u64) {
        let mut keys: Vec<String> =
            redis::cmd("KEYS").arg(format!("{}:*", sys.prefix)).query_async(redis).await.unwrap();
        keys.sort();
        let mut entries = 0;
        for k in &keys {
            let kind: String = redis::cmd("TYPE").arg(k).query_async(redis).await.unwrap();
            let n: u64 = match kind.as_str() {
                "zset" => redis::cmd("ZCARD").arg(k).query_async(redis).await.unwrap(),
                "list" => redis::cmd("LLEN").arg(k).query_async(redis).await.unwrap(),
                "set" if k.ends_with(":queues") => {
                    redis::cmd("SCARD").arg(k).query_async(redis).await.unwrap()
                }
                _ => 0,
            };
            entries += n;
        }
        (keys, entries)
    };
    let (before, entries_before) = census(&mut redis).await;

    let hosts: Vec<String> = (0..1000).map(|i| format!("127.1.{}.{}", i / 250, i % 250 + 1)).collect();
    let body = netpulse_e2e::show_version_on_each(&hosts, 600);
    for _ in 0..10 {
        let (status, v) = sys.post("/device/bulk", &body).await;
        assert_eq!(status, 201, "{v}");
        assert_eq!(v["data"]["succeeded"].as_array().map(Vec::len), Some(1000), "{v}");
    }
    for i in 0..1000 {
        let (status, v) = sys.delete(&format!("/job?host=127.1.{}.{}", i / 250, i % 250 + 1)).await;
        assert_eq!(status, 200, "{v}");
    }
    let (_, mid) = census(&mut redis).await;
    assert!(mid > entries_before + 10_000, "the jobs are indexed: {mid}");

    // The records expire after 60 s; then the sweeps (every 0.5 s here, 1,000
    // jobs each) trim what pointed at them.
    let start = Instant::now();
    let live = |k: &String| {
        [
            ":node:",
            ":worker:",
            ":workers",
            ":nodes",
            ":drivers",
            ":stats",
            ":reaper",
            ":capacity_full",
            ":seq",
        ]
        .iter()
        .any(|p| k.contains(p) || k.ends_with(p))
    };
    loop {
        let (after, entries) = census(&mut redis).await;
        let mut extra: Vec<&String> = after.iter().filter(|k| !before.contains(k) && !live(k)).collect();
        // The commands the bulk requests shared are stored once, and live as long
        // as the longest life one of their jobs could have had (ttl +
        // execution_timeout + result_ttl + 120 s), then expire by themselves.
        let mut bounded = Vec::new();
        for k in &extra {
            if k.contains(":payload:") {
                let ttl: i64 = redis::AsyncCommands::ttl(&mut redis, k.as_str()).await.unwrap();
                assert!((1..=600 + 60 + 60 + 120).contains(&ttl), "{k} lives {ttl} s");
                bounded.push(k.to_string());
            }
        }
        extra.retain(|k| !bounded.contains(k));
        if extra.is_empty() && entries <= entries_before {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "after the TTLs, still held: {} keys ({:?}...), {entries} entries against {entries_before} before",
            extra.len(),
            extra.iter().take(5).collect::<Vec<_>>()
        );
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    sys.stop().await;
}
