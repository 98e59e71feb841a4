//! End-to-end load benchmark: the simulator, the system (API + node) and a load
//! generator in one process on a local Redis. Prints submit rate, end-to-end
//! throughput for pinned queues (1, 100 and 1,000 devices) and FIFO, and the warm
//! latency of one job on a pinned session. Figures, not assertions.
//!
//! Run: `cargo run --release -p netpulse-e2e --example load`
//!
//! With `stages` it prints only the latencies, each with the time per job in
//! every stage of its path (`cargo run --release -p netpulse-e2e --example load -- stages`).
//!
//! With `pinned` it prints only the pinned throughput on 100 devices (5,000 jobs).
//!
//! With `memory` it prints instead the resident memory the system process adds per
//! idle pinned session, at 1,000 and 10,000 devices. The simulated devices then run
//! in child processes (copies of this program started with `sim`, 5,000 devices
//! each, as one process cannot hold 10,000 listeners and their connections under
//! a 20,000 open-file limit), so the figure is the node's (with the API beside it):
//! `cargo run --release -p netpulse-e2e --example load -- memory`

use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::Request;
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use netpulse_e2e::{API_KEY, TestSystem, exec_body, ios_fleet};
use serde_json::{Value, json};

/// One keep-alive HTTP connection to the API.
struct Client {
    sender: SendRequest<Full<Bytes>>,
}

impl Client {
    async fn connect(sys: &TestSystem) -> Client {
        let stream = tokio::net::TcpStream::connect(sys.addr).await.unwrap();
        stream.set_nodelay(true).unwrap();
        let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await.unwrap();
        tokio::spawn(conn);
        Client { sender }
    }

    async fn call(&mut self, method: &str, path: &str, body: Option<String>) -> Value {
        self.sender.ready().await.unwrap();
        let req = Request::builder()
            .method(method)
            .uri(path)
            .header("host", "bench")
            .header("x-api-key", API_KEY)
            .body(Full::new(Bytes::from(body.unwrap_or_default())))
            .unwrap();
        let resp = self.sender.send_request(req).await.unwrap();
        let bytes = resp.into_body().collect().await.unwrap().to_bytes();
        serde_json::from_slice(&bytes).unwrap()
    }
}

fn pct(sorted: &[Duration], p: f64) -> f64 {
    sorted[((sorted.len() as f64 - 1.0) * p) as usize].as_secs_f64() * 1000.0
}

/// Submit `bodies` over `conns` connections; returns the job ids and submits/s.
async fn submit_all(sys: &TestSystem, bodies: Vec<String>, conns: usize) -> (Vec<String>, f64) {
    let start = Instant::now();
    let chunks: Vec<Vec<String>> = bodies.chunks(bodies.len().div_ceil(conns)).map(|c| c.to_vec()).collect();
    let mut tasks = Vec::new();
    for chunk in chunks {
        let mut c = Client::connect(sys).await;
        tasks.push(tokio::spawn(async move {
            let mut ids = Vec::new();
            for b in chunk {
                let v = c.call("POST", "/device/exec", Some(b)).await;
                ids.push(v["data"]["id"].as_str().expect("submitted").to_string());
            }
            ids
        }));
    }
    let mut ids = Vec::new();
    for t in tasks {
        ids.extend(t.await.unwrap());
    }
    let rate = ids.len() as f64 / start.elapsed().as_secs_f64();
    (ids, rate)
}

/// Wait until every job has ended; panics on a failed job.
async fn wait_all(sys: &TestSystem, ids: &[String]) {
    let mut c = Client::connect(sys).await;
    for id in ids {
        loop {
            let v = c.call("GET", &format!("/job?id={id}"), None).await;
            match v["data"][0]["status"].as_str() {
                Some("finished") => break,
                Some("queued" | "started") => tokio::time::sleep(Duration::from_millis(2)).await,
                other => panic!("job {id} ended {other:?}: {v}"),
            }
        }
    }
}

async fn throughput(label: &str, devices: usize, jobs: usize, fifo: bool) {
    let fleet = ios_fleet(devices, |c| c.listen = "127.0.20.1".parse().unwrap()).await;
    let sys = TestSystem::start_with(|s| {
        sealed(s);
        s.node.fifo_workers = if fifo { 16 } else { 2 };
    })
    .await;
    let strategy = if fifo { "fifo" } else { "pinned" };
    let bodies: Vec<String> = (0..jobs)
        .map(|i| {
            let dev = &fleet.devices()[i % devices];
            exec_body(dev, json!({"command": "show clock", "queue_strategy": strategy})).to_string()
        })
        .collect();
    // Warm the sessions first (pinned): one job per device.
    if !fifo {
        let warm: Vec<String> = bodies[..devices].to_vec();
        let (ids, _) = submit_all(&sys, warm, 8).await;
        wait_all(&sys, &ids).await;
    }
    let start = Instant::now();
    let (ids, _) = submit_all(&sys, bodies, 16).await;
    wait_all(&sys, &ids).await;
    let secs = start.elapsed().as_secs_f64();
    println!(
        "{label}: {jobs} jobs on {devices} device(s): {:.0} jobs/s end to end ({secs:.2} s)",
        jobs as f64 / secs
    );
    sys.stop().await;
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    raise_open_file_limit();
    let args: Vec<String> = std::env::args().collect();
    match args.get(1).map(String::as_str) {
        Some("sim") => simulator(args[2].parse().unwrap(), args[3].parse().unwrap()).await,
        Some("stages") => latencies().await,
        Some("pinned") => throughput("pinned", 100, 5000, false).await,
        Some("memory") => {
            for n in [1_000, 10_000] {
                memory_per_session(n).await;
            }
        }
        _ => figures().await,
    }
}

/// Simulated IOS devices on `first`, `first + 1`, ... port 2222 until stdin closes.
async fn simulator(count: usize, first: std::net::Ipv4Addr) {
    let _fleet = ios_fleet(count, |c| {
        c.listen = first;
        c.port = 2222;
        c.corpus = None;
    })
    .await;
    println!("ready");
    let mut sink = Vec::new();
    let _ = tokio::io::AsyncReadExt::read_to_end(&mut tokio::io::stdin(), &mut sink).await;
}

/// This process's resident memory, KiB.
fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

/// Raise the soft open-file limit to the hard one (10,000 sessions need 10,000 sockets).
fn raise_open_file_limit() {
    #[repr(C)]
    struct Rlimit {
        cur: u64,
        max: u64,
    }
    unsafe extern "C" {
        fn getrlimit(resource: i32, rlim: *mut Rlimit) -> i32;
        fn setrlimit(resource: i32, rlim: *const Rlimit) -> i32;
    }
    const RLIMIT_NOFILE: i32 = 7;
    let mut r = Rlimit { cur: 0, max: 0 };
    // SAFETY: plain libc calls with a struct laid out as `struct rlimit` on 64-bit Linux.
    unsafe {
        if getrlimit(RLIMIT_NOFILE, &mut r) == 0 {
            r.cur = r.max;
            setrlimit(RLIMIT_NOFILE, &r);
        }
    }
}

/// Resident memory the system adds per idle pinned session: `n` devices in child
/// processes, one job each to open every session; measured between the first 10%
/// of the sessions (warming up everything that is paid once) and all of them.
async fn memory_per_session(n: usize) {
    const PER_SIM: usize = 5_000;
    let mut sims = Vec::new();
    let mut devices = Vec::new();
    for start in (0..n).step_by(PER_SIM) {
        let count = PER_SIM.min(n - start);
        let first =
            std::net::Ipv4Addr::from(u32::from(std::net::Ipv4Addr::new(127, 40, 0, 1)) + start as u32);
        let mut child = std::process::Command::new(std::env::current_exe().unwrap())
            .args(["sim", &count.to_string(), &first.to_string()])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut line = String::new();
        std::io::BufRead::read_line(&mut std::io::BufReader::new(child.stdout.take().unwrap()), &mut line)
            .unwrap();
        assert_eq!(line.trim(), "ready", "simulator child did not start");
        devices.extend((0..count).map(|i| std::net::Ipv4Addr::from(u32::from(first) + i as u32)));
        sims.push(child);
    }
    let sys = TestSystem::start_with(|s| {
        sealed(s);
        s.node.fifo_workers = 0;
        s.node.capacity = n;
        s.node.pinned_idle_s = 3600.0;
        s.jobs.connect_timeout_s = 60.0;
    })
    .await;
    let bodies: Vec<String> = devices
        .iter()
        .map(|ip| {
            json!({
                "connection_args": {"device_type": "cisco_ios", "host": ip.to_string(), "port": 2222,
                                    "username": "admin", "password": "admin", "secret": "enable"},
                "command": "show clock",
            })
            .to_string()
        })
        .collect();
    let warm = n / 10;
    let (ids, _) = submit_all(&sys, bodies[..warm].to_vec(), 32).await;
    wait_all(&sys, &ids).await;
    let before = rss_kib();
    let start = Instant::now();
    let (ids, _) = submit_all(&sys, bodies[warm..].to_vec(), 32).await;
    wait_all(&sys, &ids).await;
    let opened = start.elapsed();
    let after = rss_kib();
    let per = (after - before) as f64 / (n - warm) as f64;
    println!(
        "memory: {n} idle pinned sessions: process RSS {:.0} MiB; {per:.1} KiB per session \
         (RSS {before} -> {after} KiB over the last {} sessions, opened in {:.1} s)",
        after as f64 / 1024.0,
        n - warm,
        opened.as_secs_f64()
    );
    sys.stop().await;
    for mut c in sims {
        drop(c.stdin.take());
        let _ = c.wait();
    }
}

/// Credentials sealed at rest, as `netpulse up` does by default.
fn sealed(s: &mut netpulse::config::Settings) {
    s.credential_key = Some("load-benchmark-key".into());
}

/// Submit rate, throughput and warm latency.
async fn figures() {
    // Submit rate: nothing runs the jobs (no workers), so this is the API + Redis alone.
    let sys = TestSystem::start_with(|s| {
        sealed(s);
        s.node.fifo_workers = 0;
        s.node.capacity = 0;
    })
    .await;
    let n = 20_000;
    let bodies: Vec<String> = (0..n)
        .map(|i| {
            json!({
                "connection_args": {"device_type": "cisco_ios", "host": format!("127.{}.{}.1", i / 250 % 250, i % 250),
                                    "username": "u", "password": "p"},
                "command": "show version",
            })
            .to_string()
        })
        .collect();
    let (_, rate) = submit_all(&sys, bodies, 32).await;
    println!("submit: {n} POST /device/exec over 32 keep-alive connections: {rate:.0} submits/s");
    sys.stop().await;

    throughput("pinned", 1, 500, false).await;
    throughput("pinned", 100, 5000, false).await;
    throughput("pinned", 1000, 10000, false).await;
    throughput("fifo", 100, 1000, true).await;

    latencies().await;
}

/// Warm pinned latency (polling and long-polling client) and FIFO latency, each
/// with the per-stage breakdown (`stages` mode runs only these).
async fn latencies() {
    let fleet = ios_fleet(1, |c| c.listen = "127.0.21.1".parse().unwrap()).await;
    let sys = TestSystem::start_with(sealed).await;
    let dev = &fleet.devices()[0];
    let body = exec_body(dev, json!({"command": "show clock"})).to_string();
    one_by_one(&sys, "warm pinned, polling client (GET /job every 0.2 ms)", &body, Seen::Polling, 500).await;
    one_by_one(&sys, "warm pinned, long poll (GET /job?wait=5)", &body, Seen::LongPoll, 500).await;
    let fifo = exec_body(dev, json!({"command": "show clock", "queue_strategy": "fifo"})).to_string();
    one_by_one(&sys, "FIFO (fresh SSH login), long poll", &fifo, Seen::LongPoll, 200).await;
    sys.stop().await;
}

/// How the client learns a job ended.
#[derive(Clone, Copy, PartialEq)]
enum Seen {
    Polling,
    LongPoll,
}

/// `n` jobs one after another (after 20 to warm up), submit to result seen by the
/// client; prints p50 / p99 and the mean time per job in each stage, as the
/// system's own stage timers (`netpulse_job_stage_seconds`) counted it.
async fn one_by_one(sys: &TestSystem, label: &str, body: &str, seen: Seen, n: usize) {
    let mut c = Client::connect(sys).await;
    let mut samples = Vec::new();
    let mut before = None;
    for i in 0..n + 20 {
        if i == 20 {
            before = Some(netpulse::metrics::snapshot());
        }
        let t = Instant::now();
        let v = c.call("POST", "/device/exec", Some(body.to_string())).await;
        let id = v["data"]["id"].as_str().unwrap().to_string();
        loop {
            let path = match seen {
                Seen::Polling => format!("/job?id={id}"),
                Seen::LongPoll => format!("/job?id={id}&wait=5"),
            };
            let v = c.call("GET", &path, None).await;
            match v["data"][0]["status"].as_str() {
                Some("finished") => break,
                Some("queued" | "started") if seen == Seen::Polling => {
                    tokio::time::sleep(Duration::from_micros(200)).await
                }
                Some("queued" | "started") => {}
                other => panic!("job {id} ended {other:?}: {v}"),
            }
        }
        if i >= 20 {
            samples.push(t.elapsed());
        }
    }
    let after = netpulse::metrics::snapshot();
    let mean_ms = samples.iter().map(Duration::as_secs_f64).sum::<f64>() * 1000.0 / samples.len() as f64;
    samples.sort();
    println!(
        "{label} ({} jobs): p50 {:.2} ms, p99 {:.2} ms, mean {mean_ms:.2} ms",
        samples.len(),
        pct(&samples, 0.5),
        pct(&samples, 0.99)
    );
    println!("  {}", breakdown(&before.expect("measured"), &after, samples.len(), mean_ms));
}

/// The mean time per job in each stage between two snapshots, and what the
/// stages do not account for of the client's mean.
fn breakdown(
    before: &netpulse::metrics::Snapshot,
    after: &netpulse::metrics::Snapshot,
    jobs: usize,
    mean_ms: f64,
) -> String {
    use netpulse::metrics::Stage;
    let us = |stage: Stage| {
        let a = after.stages.get(&stage).map(|h| h.sum).unwrap_or(0.0);
        let b = before.stages.get(&stage).map(|h| h.sum).unwrap_or(0.0);
        (a - b) * 1e6 / jobs as f64
    };
    let calls = |s: &netpulse::metrics::Snapshot| {
        s.plugin_calls.values().map(|h| (h.sum, h.count)).fold((0.0, 0), |a, b| (a.0 + b.0, a.1 + b.1))
    };
    let (call_s, call_n) = (calls(after).0 - calls(before).0, calls(after).1 - calls(before).1);
    let mut parts = vec![format!(
        "plugin calls {:.0} ({} a job)",
        call_s * 1e6 / jobs as f64,
        call_n as f64 / jobs as f64
    )];
    for stage in Stage::ALL {
        parts.push(format!("{} {:.0}", stage.name(), us(stage)));
    }
    // On the job's path one after another: the submit script (the API's other work
    // overlaps the node's), wake, claim, session, driver (device included), parse, finish.
    let path = us(Stage::SubmitScript)
        + us(Stage::Wake)
        + us(Stage::Claim)
        + us(Stage::Session)
        + us(Stage::Driver)
        + us(Stage::Parse)
        + us(Stage::Finish);
    format!(
        "per job, mean us: {} | on the path {:.0}, the rest (HTTP, Redis wake-ups, seeing the result) {:.0}",
        parts.join(", "),
        path,
        mean_ms * 1000.0 - path
    )
}
