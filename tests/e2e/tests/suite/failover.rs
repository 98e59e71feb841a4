//! Redis that moves: a Sentinel failover under load, and a Redis Cluster. Real
//! `redis-server` processes on loopback ports, started by each test (which says
//! so and skips when `redis-server` is not installed).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use netpulse_e2e::{Fleet, PrivateRedis, SimConfig, TestSystem, device_body, free_port, temp_dir};
use netpulse_sim::Platform;
use serde_json::{Value, json};

fn redis_server_installed() -> bool {
    std::process::Command::new("redis-server").arg("--version").output().is_ok_and(|o| o.status.success())
}

/// Linux hosts that answer `echo <tag>` with the tag, counting each command.
async fn linux_fleet(count: usize) -> Fleet {
    let cfg = SimConfig {
        platform: Platform::Linux,
        count,
        listen: "127.0.0.1".parse().unwrap(),
        port: 0,
        ..SimConfig::default()
    };
    Fleet::start(cfg).await.expect("simulator starts")
}

/// Wait for `what` to hold, asking every 50 ms; panics after `limit`.
async fn until<F: std::future::Future<Output = bool>>(
    limit: Duration,
    what: &str,
    mut cond: impl FnMut() -> F,
) {
    let start = Instant::now();
    while !cond().await {
        assert!(start.elapsed() < limit, "{what}: not within {limit:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Wait until `server` answers `command` with text that contains `needle`.
async fn until_says(server: &PrivateRedis, command: &[&str], needle: &str, what: &str) {
    let c = server.connect().await;
    until(Duration::from_secs(30), what, || {
        let mut c = c.clone();
        let mut cmd = redis::cmd(command[0]);
        cmd.arg(&command[1..]);
        async move {
            let text: String = cmd.query_async(&mut c).await.unwrap_or_default();
            text.contains(needle)
        }
    })
    .await;
}

/// Jobs that each echo a tag of their own on one of `fleet`'s hosts, pinned and
/// FIFO in turn.
fn echo_job(fleet: &Fleet, n: usize) -> (String, Value) {
    let devs = fleet.devices();
    let tag = format!("job-{n}");
    let strategy = if n.is_multiple_of(2) { "pinned" } else { "fifo" };
    let body = device_body(
        &devs[n % devs.len()],
        "linux",
        json!({"command": format!("echo {tag}"), "queue_strategy": strategy, "ttl": 120}),
    );
    (tag, body)
}

/// Every acknowledged job ends (finished, or failed with a reason); none
/// vanished; no command ran twice, and a finished job's ran once.
async fn check_every_job(sys: &TestSystem, fleet: &Fleet, acked: &[(String, String)]) {
    let ran = |tag: &str| -> u64 { fleet.devices().iter().map(|d| d.received(&format!("echo {tag}"))).sum() };
    let mut ended: HashMap<String, usize> = HashMap::new();
    for (id, tag) in acked {
        let job = sys.wait_ended(id, Duration::from_secs(90)).await;
        match job["status"].as_str() {
            Some("finished") => {
                assert_eq!(job["result"]["retval"].as_str().map(str::trim), Some(tag.as_str()), "{job}");
                assert_eq!(ran(tag), 1, "job {id} ({tag}) ran {} times", ran(tag));
            }
            Some("failed") => {
                let msg = job["result"]["error"]["message"].as_str().unwrap_or("");
                assert!(!msg.is_empty(), "failed without a reason: {job}");
                assert!(ran(tag) <= 1, "job {id} ({tag}) ran {} times", ran(tag));
            }
            _ => panic!("job {id} did not end as finished or failed: {job}"),
        }
        let how = format!("{} {}", job["status"], job["result"]["error"]["type"].as_str().unwrap_or(""));
        *ended.entry(how).or_default() += 1;
    }
    eprintln!("jobs ended: {ended:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sentinel_failover_under_load_loses_no_acknowledged_job_and_runs_none_twice() {
    if !redis_server_installed() {
        eprintln!("SKIPPED: redis-server is not installed (apt-get install redis-server)");
        return;
    }
    let dir = temp_dir("sentinel");
    let (p_port, r_port) = (free_port(), free_port());
    let mut primary = PrivateRedis::start(p_port, None).expect("primary starts");
    let replica = PrivateRedis::replica_of(r_port, p_port).expect("replica starts");
    until_says(&replica, &["INFO", "replication"], "master_link_status:up", "the replica synced").await;
    let sentinel_ports = [free_port(), free_port(), free_port()];
    let sentinels: Vec<PrivateRedis> = sentinel_ports
        .iter()
        .map(|p| PrivateRedis::sentinel(*p, p_port, "np", &dir).expect("sentinel starts"))
        .collect();
    // Each sentinel knows the replica (and the others) before the primary dies.
    for s in &sentinels {
        let c = s.connect().await;
        until(Duration::from_secs(30), "a sentinel found the replica and its peers", || {
            let mut c = c.clone();
            async move {
                let replicas: Vec<redis::Value> = redis::cmd("SENTINEL")
                    .arg("replicas")
                    .arg("np")
                    .query_async(&mut c)
                    .await
                    .unwrap_or_default();
                let peers: Vec<redis::Value> = redis::cmd("SENTINEL")
                    .arg("sentinels")
                    .arg("np")
                    .query_async(&mut c)
                    .await
                    .unwrap_or_default();
                !replicas.is_empty() && peers.len() >= 2
            }
        })
        .await;
    }

    let url = format!(
        "redis+sentinel://{}/np",
        sentinel_ports.iter().map(|p| format!("127.0.0.1:{p}")).collect::<Vec<_>>().join(",")
    );
    let fleet = linux_fleet(4).await;
    let sys = TestSystem::start_with(|s| {
        s.redis_url = url.clone();
        s.node.heartbeat_s = 0.3;
        s.node.fifo_workers = 4;
    })
    .await;
    assert_eq!(sys.settings.min_replicas(), 1, "Sentinel waits for one replica by default");

    // Four clients each submit until 80 of their jobs were acknowledged; the
    // primary is killed once 80 were. A refused submit (503 while there is no
    // primary) is not acknowledged: the client tries again with a new job.
    let acked: Arc<Mutex<Vec<(String, String)>>> = Arc::default();
    let refused = Arc::new(Mutex::new(HashMap::<u16, usize>::new()));
    let sys = Arc::new(sys);
    let fleet = Arc::new(fleet);
    let mut clients = Vec::new();
    for c in 0..4 {
        let (sys, fleet, acked, refused) = (sys.clone(), fleet.clone(), acked.clone(), refused.clone());
        clients.push(tokio::spawn(async move {
            let (mut mine, mut attempt) = (0, 0);
            let start = Instant::now();
            while mine < 80 {
                assert!(start.elapsed() < Duration::from_secs(90), "submits refused for 90 s");
                let (tag, body) = echo_job(&fleet, c * 100_000 + attempt);
                attempt += 1;
                let (status, v) = sys.post("/device/exec", &body).await;
                if status == 201 {
                    acked.lock().unwrap().push((v["data"]["id"].as_str().unwrap().to_string(), tag));
                    mine += 1;
                } else {
                    assert!(status == 503, "a submit during the failover answered {status}: {v}");
                    *refused.lock().unwrap().entry(status).or_default() += 1;
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }
        }));
    }
    until(Duration::from_secs(60), "80 jobs acknowledged", || {
        let n = acked.lock().unwrap().len();
        async move { n >= 80 }
    })
    .await;
    // Acknowledgements waited for the replica.
    let stats: String =
        redis::cmd("INFO").arg("commandstats").query_async(&mut primary.connect().await).await.unwrap();
    assert!(stats.contains("cmdstat_wait:"), "no WAIT reached the primary");
    primary.kill();
    let killed_at = Instant::now();
    for c in clients {
        c.await.unwrap();
    }
    let acked = acked.lock().unwrap().clone();
    eprintln!(
        "failover: {} jobs acknowledged, {:?} refused, submits done {:?} after the kill",
        acked.len(),
        refused.lock().unwrap(),
        killed_at.elapsed()
    );

    // The replica is the primary now.
    // (Sentinel closed the replica's client connections as it promoted it.)
    let role: Vec<redis::Value> = redis::cmd("ROLE").query_async(&mut replica.connect().await).await.unwrap();
    let first: Option<String> = role.first().and_then(|v| redis::from_redis_value(v).ok());
    assert_eq!(first.as_deref(), Some("master"), "the replica was not promoted: {role:?}");
    check_every_job(&sys, &fleet, &acked).await;

    let sys = Arc::into_inner(sys).expect("clients ended");
    sys.stop().await;
    drop(sentinels);
    drop(replica);
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_whole_system_runs_on_a_redis_cluster() {
    if !redis_server_installed() {
        eprintln!("SKIPPED: redis-server is not installed (apt-get install redis-server)");
        return;
    }
    let dir = temp_dir("cluster");
    let ports = [free_port(), free_port(), free_port()];
    let nodes: Vec<PrivateRedis> = ports
        .iter()
        .map(|p| {
            let args = [
                "--cluster-enabled".to_string(),
                "yes".into(),
                "--cluster-config-file".into(),
                dir.join(format!("nodes-{p}.conf")).display().to_string(),
                "--appendonly".into(),
                "no".into(),
            ];
            PrivateRedis::start_with(*p, None, &args).expect("cluster node starts")
        })
        .collect();
    let create = std::process::Command::new("redis-cli")
        .args(["--cluster", "create"])
        .args(ports.iter().map(|p| format!("127.0.0.1:{p}")))
        .args(["--cluster-replicas", "0", "--cluster-yes"])
        .output()
        .expect("redis-cli runs");
    assert!(create.status.success(), "cluster create: {}", String::from_utf8_lossy(&create.stdout));
    until_says(&nodes[0], &["CLUSTER", "INFO"], "cluster_state:ok", "the cluster is ok").await;

    // Seeds name one node; the system finds the one that serves its slot.
    let prefix = format!("{{nptest-{}}}", uuid::Uuid::new_v4().simple());
    let url = format!("redis+cluster://127.0.0.1:{}", ports[0]);
    let fleet = linux_fleet(2).await;
    let sys = TestSystem::start_with(|s| {
        s.redis_url = url.clone();
        s.redis_prefix = prefix.clone();
    })
    .await;
    let mut acked = Vec::new();
    for n in 0..40 {
        let (tag, body) = echo_job(&fleet, n);
        acked.push((sys.submit(&body).await, tag));
    }
    check_every_job(&sys, &fleet, &acked).await;
    let (status, body) = sys.get("/job?status=finished").await;
    assert_eq!((status, body["data"].as_array().map(Vec::len)), (200, Some(40)), "{body}");
    let (status, body) = sys.get("/worker").await;
    assert_eq!(status, 200, "{body}");

    // Every key lives on the one node that serves the prefix's slot.
    let mut holders = Vec::new();
    for n in &nodes {
        let mut c = n.connect().await;
        let keys: Vec<String> =
            redis::cmd("KEYS").arg(format!("{prefix}:*")).query_async(&mut c).await.unwrap_or_default();
        if !keys.is_empty() {
            holders.push((n.port, keys.len()));
        }
    }
    assert_eq!(holders.len(), 1, "keys on more than one node: {holders:?}");

    // A prefix without a hash tag is refused with a reason.
    let mut bad = sys.settings.clone();
    bad.redis_prefix = "nptest-untagged".into();
    let e = bad.validate().unwrap_err().to_string();
    assert!(e.contains("hash tag"), "{e}");

    sys.stop().await;
    drop(nodes);
    let _ = std::fs::remove_dir_all(dir);
}
