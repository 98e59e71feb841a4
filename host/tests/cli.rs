//! The `netpulse` binary as a user and an operator meet it: bad settings give one clear line
//! and a non-zero exit (never a panic), plugins can be listed and checked, and `up`
//! on a laptop without Redis starts a private one, a node killed with SIGKILL
//! mid-job loses that job visibly while another node takes over its queue, a node
//! stopped with SIGTERM finishes its running job and deregisters, and three nodes
//! share 300 devices within their capacity and survive losing one.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn netpulse() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_netpulse"));
    // Nothing from the caller's environment leaks into these runs.
    for (k, _) in std::env::vars() {
        if k.starts_with("NETPULSE_") {
            c.env_remove(k);
        }
    }
    c
}

fn run(c: &mut Command) -> (i32, String) {
    let out = c.output().expect("netpulse runs");
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(!text.contains("panicked"), "netpulse panicked: {text}");
    (out.status.code().unwrap_or(-1), text)
}

#[test]
fn bad_settings_are_one_clear_line_and_a_non_zero_exit() {
    let (code, text) = run(netpulse().arg("serve").env("NETPULSE_LISTEN", "nowhere"));
    assert_eq!(code, 2, "{text}");
    assert!(text.contains("NETPULSE_LISTEN"), "{text}");

    let (code, text) = run(netpulse().args(["--config", "/nonexistent/netpulse.toml", "serve"]));
    assert_eq!(code, 2);
    assert!(text.contains("/nonexistent/netpulse.toml"), "{text}");

    let dir = std::env::temp_dir().join(format!("np-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let cfg = dir.join("bad.toml");
    std::fs::write(&cfg, "[jobs]\nttl_s = 0\n").unwrap();
    let (code, text) = run(netpulse().args(["--config", cfg.to_str().unwrap(), "node"]));
    assert_eq!(code, 2);
    assert!(text.contains("jobs.ttl_s"), "{text}");
    std::fs::remove_dir_all(dir).ok();

    let (code, text) = run(netpulse().arg("serve"));
    assert_eq!(code, 2);
    assert!(text.contains("NETPULSE_API_KEYS"), "{text}");

    // Redis that does not answer, and no redis-server to start: one line saying what to do.
    let (code, text) = run(netpulse()
        .arg("up")
        .env("NETPULSE_REDIS_URL", "redis://127.0.0.1:1")
        .env("NETPULSE_API_KEYS", "k")
        .env("PATH", "/nonexistent"));
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("redis://127.0.0.1:1") && text.contains("start Redis"), "{text}");
}

#[test]
fn template_parse_prints_records_with_value_names() {
    let dir = std::env::temp_dir().join(format!("np-cli-tpl-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let tpl = dir.join("t.textfsm");
    std::fs::write(
        &tpl,
        "Value Required INTF (\\S+)\nValue STATUS (up|down)\n\nStart\n  ^${INTF}\\s+${STATUS} -> Record\n",
    )
    .unwrap();
    let input = dir.join("out.txt");
    std::fs::write(&input, "Gi0/1  up\nGi0/2  down\n").unwrap();
    let out = netpulse()
        .args(["template", "parse", "--template"])
        .arg(&tpl)
        .arg("--input")
        .arg(&input)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", String::from_utf8_lossy(&out.stderr));
    // Standard output is the JSON alone (logs go to standard error).
    let records: serde_json::Value = serde_json::from_str(&stdout).expect("JSON records on stdout");
    assert_eq!(
        records,
        serde_json::json!([{"INTF": "Gi0/1", "STATUS": "up"}, {"INTF": "Gi0/2", "STATUS": "down"}])
    );
    // An index lookup that matches nothing says so.
    std::fs::write(
        dir.join("index"),
        "Template, Hostname, Platform, Command\n\nt.textfsm, .*, x_os, sh[[ow]] int[[erfaces]]\n",
    )
    .unwrap();
    let (code, text) = run(netpulse()
        .args(["template", "parse", "--platform", "x_os", "--command", "sh int", "--templates"])
        .arg(&dir)
        .arg("--input")
        .arg(&input));
    assert_eq!(code, 0, "{text}");
    // Through the index, keys are lower-cased as ntc-templates (and the API) give them.
    assert!(text.contains("\"intf\": \"Gi0/2\""), "{text}");
    let (code, text) = run(netpulse()
        .args(["template", "parse", "--platform", "x_os", "--command", "show clock", "--templates"])
        .arg(&dir)
        .arg("--input")
        .arg(&input));
    assert_eq!(code, 2, "{text}");
    assert!(text.contains("no template in the index matches"), "{text}");
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn plugins_are_listed_and_checked() {
    let (code, text) = run(netpulse().args(["plugin", "list"]));
    assert_eq!(code, 0, "{text}");
    for t in [
        "cisco_ios",
        "cisco_nxos",
        "cisco_xr",
        "juniper_junos",
        "arista_eos",
        "huawei_vrp",
        "linux",
        "parser: textfsm",
    ] {
        assert!(text.contains(t), "{t} missing from:\n{text}");
    }
    let garbage = std::env::temp_dir().join(format!("np-garbage-{}.wasm", std::process::id()));
    std::fs::write(&garbage, b"not wasm").unwrap();
    let (code, text) = run(netpulse().args(["plugin", "check"]).arg(&garbage));
    assert_eq!(code, 1);
    assert!(text.contains("not usable"), "{text}");
    std::fs::remove_file(garbage).ok();
    let built = concat!(env!("CARGO_MANIFEST_DIR"), "/../target/plugins/wasm32-wasip2/release/template.wasm");
    let (code, text) = run(netpulse().args(["plugin", "check", built]));
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("ok: template") && text.contains("template_os"), "{text}");
}

#[test]
fn up_without_redis_starts_a_private_one_and_serves() {
    if Command::new("redis-server").arg("--version").output().is_err() {
        eprintln!("SKIPPED: redis-server is not installed");
        return;
    }
    let data = std::env::temp_dir().join(format!("np-up-{}", std::process::id()));
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut child = netpulse()
        .arg("up")
        .env("NETPULSE_REDIS_URL", "redis://127.0.0.1:1")
        .env("NETPULSE_DATA_DIR", &data)
        .env("NETPULSE_LISTEN", format!("127.0.0.1:{port}"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = BufReader::new(child.stderr.take().unwrap());
    let stdout = BufReader::new(child.stdout.take().unwrap());
    let (tx, rx) = std::sync::mpsc::channel();
    let tx2 = tx.clone();
    std::thread::spawn(move || stderr.lines().map_while(Result::ok).for_each(|l| drop(tx.send(l))));
    std::thread::spawn(move || stdout.lines().map_while(Result::ok).for_each(|l| drop(tx2.send(l))));
    let start = Instant::now();
    let (mut private, mut key, mut listening, mut unsealed) = (false, None, false, false);
    while !(private && key.is_some() && listening) {
        let line = rx
            .recv_timeout(Duration::from_secs(30))
            .unwrap_or_else(|_| panic!("netpulse up did not come up"));
        assert!(!line.contains("panicked"), "{line}");
        private |= line.contains("started a private redis-server") && line.contains(data.to_str().unwrap());
        if let Some(k) = line.strip_prefix("Generated API key").and_then(|l| l.rsplit(' ').next()) {
            key = Some(k.to_string());
        }
        listening |= line.contains(&format!("http://127.0.0.1:{port}"));
        unsealed |= line.contains("unsealed");
        assert!(start.elapsed() < Duration::from_secs(60));
    }
    // `up` seals credentials with a key of its own, kept private, never printed.
    assert!(!unsealed, "up warned that credentials wait unsealed");
    let cred_key = data.join("credential_key");
    let k = std::fs::read_to_string(&cred_key).unwrap();
    assert!(k.len() == 64 && k.chars().all(|c| c.is_ascii_hexdigit()), "{k:?}");
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(std::fs::metadata(&cred_key).unwrap().permissions().mode() & 0o777, 0o600);
    // The generated key is kept for the next start.
    let kept = std::fs::read_to_string(data.join("api_key")).unwrap();
    assert_eq!(Some(kept.trim().to_string()), key);
    unsafe { libc_kill(child.id() as i32, 15) };
    let status = child.wait().unwrap();
    assert!(status.success(), "graceful stop on SIGTERM: {status:?}");
    std::fs::remove_dir_all(data).ok();
}

unsafe extern "C" {
    #[link_name = "kill"]
    fn libc_kill(pid: i32, sig: i32) -> i32;
}

/// What the node tests share: a private key prefix on the test Redis, a data folder,
/// and the job store on them.
struct Nodes {
    url: String,
    prefix: String,
    data: std::path::PathBuf,
    store: netpulse::queue::JobStore,
}

impl Nodes {
    async fn new(tag: &str) -> Nodes {
        let url =
            std::env::var("NETPULSE_TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into());
        let prefix = format!("nptest-{tag}-{}", std::process::id());
        let data = std::env::temp_dir().join(&prefix);
        let store = netpulse::queue::JobStore::connect(&url, &prefix).await.expect("Redis for the test");
        Nodes { url, prefix, data, store }
    }

    /// Start `netpulse node` on the private prefix, with extra settings.
    fn start(&self, name: &str, env: &[(&str, &str)]) -> std::process::Child {
        netpulse()
            .arg("node")
            .envs(env.iter().copied())
            .env("NETPULSE_REDIS_PREFIX", &self.prefix)
            .env("NETPULSE_NODE_NAME", name)
            .env("NETPULSE_HEARTBEAT_S", "0.3")
            .env("NETPULSE_FIFO_WORKERS", "0")
            .env("NETPULSE_DATA_DIR", &self.data)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap()
    }

    /// Wait until some node has registered its drivers.
    async fn registered(&self) {
        wait_for("a node to register", async || self.store.drivers().await.ok().filter(|d| !d.is_empty()))
            .await;
    }

    /// Delete every key under the prefix, and the data folder.
    async fn clean(self) {
        let mut c = redis::Client::open(self.url).unwrap().get_multiplexed_async_connection().await.unwrap();
        let keys: Vec<String> =
            redis::cmd("KEYS").arg(format!("{}:*", self.prefix)).query_async(&mut c).await.unwrap();
        if !keys.is_empty() {
            let _: () = redis::cmd("DEL").arg(keys).query_async(&mut c).await.unwrap();
        }
        std::fs::remove_dir_all(self.data).ok();
    }
}

/// One simulated IOS device on `listen` that answers each line after 700 ms, so a
/// job is still running when the test acts.
async fn slow_device(listen: &str) -> netpulse_sim::Fleet {
    netpulse_sim::Fleet::start(netpulse_sim::SimConfig {
        listen: listen.parse().unwrap(),
        port: 0,
        latency: Duration::from_millis(700),
        ..Default::default()
    })
    .await
    .unwrap()
}

/// A validated exec request for one simulated IOS device, as the API would queue it.
fn exec_job(
    dev: &netpulse_sim::Device,
    extra: &str,
) -> (netpulse::queue::JobSpec, netpulse::queue::Credentials) {
    let body = format!(
        r#"{{"connection_args": {{"device_type": "cisco_ios", "host": "{}", "port": {}, "username": "admin",
            "password": "admin", "secret": "enable"}}, {extra}}}"#,
        dev.addr().ip(),
        dev.addr().port()
    );
    let templates = netpulse::template::Templates::none();
    let tools = netpulse::api::request::Tools {
        templates: &templates,
        parsers: &[],
        limits: Default::default(),
        render: Default::default(),
    };
    netpulse::api::request::parse_exec(body.as_bytes(), &netpulse::config::JobDefaults::default(), &tools)
        .unwrap()
}

async fn wait_for<T>(what: &str, mut f: impl AsyncFnMut() -> Option<T>) -> T {
    let start = Instant::now();
    loop {
        if let Some(v) = f().await {
            return v;
        }
        assert!(start.elapsed() < Duration::from_secs(30), "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_killed_mid_job_loses_that_job_visibly_and_another_node_takes_the_queue() {
    use netpulse::queue::JobStatus;
    let nodes = Nodes::new("kill").await;
    let store = &nodes.store;
    let fleet = slow_device("127.0.30.1").await;
    let dev = &fleet.devices()[0];
    let mut a = nodes.start("node-a", &[]);
    nodes.registered().await;

    let job = |extra: &str| exec_job(dev, extra);
    let (spec, cred) = job(r#""config": ["logging host 10.9.9.9"]"#);
    let (config_job, _) = store.submit(&spec, &cred).await.unwrap();
    let (spec, cred) = job(r#""command": "show clock""#);
    let (behind, _) = store.submit(&spec, &cred).await.unwrap();
    wait_for("the config job to start on node a", async || {
        store.get(&config_job).await.unwrap().filter(|j| j.status == JobStatus::Started)
    })
    .await;
    a.kill().unwrap(); // SIGKILL
    a.wait().unwrap();
    // Its workers show as dead once their heartbeats stop.
    wait_for("node a's workers to show dead", async || {
        let workers = store.workers().await.unwrap();
        let of_a: Vec<_> = workers.iter().filter(|w| w.node == "node-a").collect();
        (!of_a.is_empty() && of_a.iter().all(|w| w.status == netpulse::queue::registry::WorkerStatus::Dead))
            .then_some(())
    })
    .await;
    let mut b = nodes.start("node-b", &[]);

    let lost = wait_for("the lost job to be failed", async || {
        store.get(&config_job).await.unwrap().filter(|j| j.status.is_ended())
    })
    .await;
    assert_eq!(lost.status, JobStatus::Failed, "{lost:?}");
    let err = lost.result.unwrap().error.unwrap();
    assert_eq!(err.kind, netpulse::queue::ErrorKind::WorkerLost, "{err:?}");
    let next = wait_for("the queued job to run on node b", async || {
        store.get(&behind).await.unwrap().filter(|j| j.status.is_ended())
    })
    .await;
    assert_eq!(next.status, JobStatus::Finished, "{next:?}");
    assert_eq!(next.node.as_deref(), Some("node-b"));
    // Never applied twice: the line is in the running config at most once.
    let times = dev.running_config().matches("logging host 10.9.9.9").count();
    assert!(times <= 1, "configuration applied {times} times");

    b.kill().unwrap();
    b.wait().unwrap();
    nodes.clean().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_nodes_share_three_hundred_devices_within_capacity_and_survive_losing_one() {
    use std::collections::HashMap;

    use netpulse::queue::registry::WorkerStatus;
    use netpulse::queue::{ErrorKind, JobStatus};
    const DEVICES: usize = 300;
    const CAPACITY: usize = 150;
    let nodes = Nodes::new("3nodes").await;
    let store = &nodes.store;
    let fleet = netpulse_sim::Fleet::start(netpulse_sim::SimConfig {
        count: DEVICES,
        listen: "127.0.32.1".parse().unwrap(),
        port: 0,
        ..Default::default()
    })
    .await
    .unwrap();
    let capacity = CAPACITY.to_string();
    let mut children: HashMap<String, std::process::Child> = (0..3)
        .map(|i| {
            let name = format!("node-{i}");
            let child = nodes.start(&name, &[("NETPULSE_CAPACITY", capacity.as_str())]);
            (name, child)
        })
        .collect();
    let mut redis_conn = store.conn();
    wait_for("three nodes to register", async || {
        let n: usize =
            redis::cmd("SCARD").arg(store.keys().nodes()).query_async(&mut redis_conn).await.unwrap();
        (n == 3).then_some(())
    })
    .await;

    // One show command per device; returns each device's job, in fleet order.
    let round = async || {
        let mut ids = Vec::new();
        for dev in fleet.devices() {
            let (spec, cred) = exec_job(dev, r#""command": "show clock""#);
            ids.push(store.submit(&spec, &cred).await.unwrap().0);
        }
        ids
    };
    let ended = async |ids: &[String]| {
        let mut jobs = Vec::new();
        for id in ids {
            jobs.push(
                wait_for("a job to end", async || {
                    store.get(id).await.unwrap().filter(|j| j.status.is_ended())
                })
                .await,
            );
        }
        jobs
    };
    let pinned_per_node = async || {
        let mut per: HashMap<String, usize> = HashMap::new();
        for w in store.workers().await.unwrap() {
            if w.status != WorkerStatus::Dead && w.queues.iter().any(|q| q.starts_with("pinned_")) {
                *per.entry(w.node).or_default() += 1;
            }
        }
        per
    };

    let first = ended(&round().await).await;
    assert!(first.iter().all(|j| j.status == JobStatus::Finished), "every job of the first round finishes");
    let per = pinned_per_node().await;
    assert_eq!(per.values().sum::<usize>(), DEVICES, "one pinned worker per device: {per:?}");
    assert_eq!(per.len(), 3, "the devices spread over the three nodes: {per:?}");
    assert!(per.values().all(|&n| n <= CAPACITY), "no node beyond its capacity: {per:?}");

    // The busiest node dies with a round of jobs queued and running.
    let victim = per.iter().max_by_key(|(_, n)| **n).map(|(name, _)| name.clone()).unwrap();
    let second = round().await;
    let mut child = children.remove(&victim).unwrap();
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let second = ended(&second).await;
    let mut lost = 0;
    for j in &second {
        match j.status {
            JobStatus::Finished => {}
            _ => {
                let err = j.result.as_ref().and_then(|r| r.error.as_ref());
                assert_eq!(err.map(|e| e.kind), Some(ErrorKind::WorkerLost), "{j:?}");
                assert_eq!(j.node.as_deref(), Some(victim.as_str()), "only the killed node's jobs are lost");
                lost += 1;
            }
        }
    }
    assert!(lost <= per[&victim], "at most one running job lost per worker of the killed node");

    // Its devices now run on the two others, within their capacity.
    let third = ended(&round().await).await;
    assert!(third.iter().all(|j| j.status == JobStatus::Finished), "every job after the loss finishes");
    assert!(third.iter().all(|j| j.node.as_deref() != Some(victim.as_str())));
    let per = pinned_per_node().await;
    assert_eq!(per.values().sum::<usize>(), DEVICES, "{per:?}");
    assert!(!per.contains_key(&victim) && per.values().all(|&n| n <= CAPACITY), "{per:?}");
    eprintln!("killed {victim}: {lost} running job(s) lost as WorkerLost; workers now {per:?}");

    for (_, mut child) in children {
        child.kill().unwrap();
        child.wait().unwrap();
    }
    nodes.clean().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_on_a_node_finishes_the_running_job_takes_no_more_and_deregisters() {
    use netpulse::queue::JobStatus;
    let nodes = Nodes::new("term").await;
    let store = &nodes.store;
    let fleet = slow_device("127.0.33.1").await;
    let dev = &fleet.devices()[0];
    let mut a = nodes.start("node-a", &[]);
    nodes.registered().await;
    let (spec, cred) = exec_job(dev, r#""command": "show clock""#);
    let (running, _) = store.submit(&spec, &cred).await.unwrap();
    let (behind, _) = store.submit(&spec, &cred).await.unwrap();
    wait_for("the first job to start", async || {
        store.get(&running).await.unwrap().filter(|j| j.status == JobStatus::Started)
    })
    .await;
    unsafe { libc_kill(a.id() as i32, 15) }; // SIGTERM
    let status = a.wait().unwrap();
    assert!(status.success(), "a node stops cleanly on SIGTERM: {status:?}");
    let job = store.get(&running).await.unwrap().unwrap();
    assert_eq!(job.status, JobStatus::Finished, "the running job finished within the grace period: {job:?}");
    let job = store.get(&behind).await.unwrap().unwrap();
    assert_eq!(job.status, JobStatus::Queued, "a stopping node takes no new job: {job:?}");
    assert!(store.workers().await.unwrap().iter().all(|w| w.node != "node-a"), "its workers deregistered");
    let mut c = store.conn();
    let member: bool =
        redis::cmd("SISMEMBER").arg(store.keys().nodes()).arg("node-a").query_async(&mut c).await.unwrap();
    assert!(!member, "the node deregistered");
    // The queued job runs on the next node.
    let mut b = nodes.start("node-b", &[]);
    let job = wait_for("the queued job to run on node b", async || {
        store.get(&behind).await.unwrap().filter(|j| j.status.is_ended())
    })
    .await;
    assert_eq!(job.status, JobStatus::Finished, "{job:?}");
    assert_eq!(job.node.as_deref(), Some("node-b"));
    b.kill().unwrap();
    b.wait().unwrap();
    nodes.clean().await;
}
