//! Recovery sweep benchmark: the time of one sweep with 1,000 devices live
//! (queued jobs) after 1,000, 10,000 and 100,000 devices were ever seen (each
//! got a job that ended and whose record expired). What a sweep looks at must
//! not grow with the devices ever seen. Figures, not assertions.
//!
//! Run: `cargo run --release -p netpulse-e2e --example sweep`
//! (`-- 1000 10000` for other counts of devices ever seen).

use std::time::{Duration, Instant};

use netpulse::queue::JobStore;
use netpulse_e2e::TestSystem;
use redis::AsyncCommands;

/// Submit one job to each of `hosts` through `/device/bulk` (10,000 a request).
async fn submit(sys: &TestSystem, hosts: &[String]) -> Vec<String> {
    let mut ids = Vec::with_capacity(hosts.len());
    for chunk in hosts.chunks(10_000) {
        let (status, v) = sys.post("/device/bulk", &netpulse_e2e::show_version_on_each(chunk, 3600)).await;
        assert_eq!(status, 201, "{v}");
        for j in v["data"]["succeeded"].as_array().unwrap() {
            ids.push(j["id"].as_str().unwrap().to_string());
        }
    }
    ids
}

/// (sweeps, seconds in them) so far, from this process's figures.
fn sweeps() -> (u64, f64) {
    let h = netpulse::metrics::snapshot().sweeps;
    (h.count, h.sum)
}

async fn run(ever_seen: usize) {
    let sys = TestSystem::start_with(|s| {
        s.node.capacity = 0;
        s.node.fifo_workers = 0;
        s.node.heartbeat_s = 0.2;
    })
    .await;
    let store = JobStore::connect(&netpulse_e2e::redis_url(), &sys.prefix).await.unwrap();
    let mut redis = sys.redis().await;

    // Devices ever seen: a job each, cancelled, its record expired (deleted
    // here, as Redis does when its result_ttl passes).
    let gone: Vec<String> =
        (0..ever_seen).map(|i| format!("127.{}.{}.{}", 1 + i / 62_500, i / 250 % 250, i % 250 + 1)).collect();
    let ids = submit(&sys, &gone).await;
    for chunk in ids.chunks(2_000) {
        let cancels = chunk.iter().map(|id| store.cancel(id));
        for r in futures_util::future::join_all(cancels).await {
            r.unwrap();
        }
        let keys: Vec<String> = chunk.iter().map(|id| format!("{}:job:{id}", sys.prefix)).collect();
        let _: () = redis.del(keys).await.unwrap();
    }
    // The live devices: a queued job each.
    let live: Vec<String> = (0..1_000).map(|i| format!("127.250.{}.{}", i / 250, i % 250 + 1)).collect();
    submit(&sys, &live).await;

    // Until the sweeps have forgotten every device ever seen.
    let start = Instant::now();
    let queues = format!("{}:queues", sys.prefix);
    let expiring = format!("{}:expiring", sys.prefix);
    loop {
        let q: usize = redis.scard(&queues).await.unwrap();
        let e: usize = redis.zcard(&expiring).await.unwrap();
        if q <= live.len() && e == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let cleanup = start.elapsed();

    // Steady state: the sweeps of the next three seconds.
    let (n0, s0) = sweeps();
    tokio::time::sleep(Duration::from_secs(3)).await;
    let (n1, s1) = sweeps();
    let mean_ms = if n1 > n0 { (s1 - s0) / (n1 - n0) as f64 * 1000.0 } else { f64::NAN };
    println!(
        "{ever_seen:>8} devices ever seen, 1000 live | forgotten in {:>7.2} s | steady sweep {mean_ms:>6.2} ms (mean of {})",
        cleanup.as_secs_f64(),
        n1 - n0
    );
    sys.stop().await;
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let counts: Vec<usize> = std::env::args().skip(1).filter_map(|a| a.parse().ok()).collect();
    let counts = if counts.is_empty() { vec![1_000, 10_000, 100_000] } else { counts };
    println!("recovery sweep, one node, heartbeat 0.2 s, Redis on 127.0.0.1");
    for n in counts {
        run(n).await;
    }
}
