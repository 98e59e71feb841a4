//! Every Lua script declares every key it touches (`KEYS`), as Redis requires
//! for Cluster and key-pattern ACLs. A workload that runs every script runs
//! against a private `redis-server` watched with `MONITOR`; each command a
//! script ran is then checked against the keys its call declared, with Redis
//! naming each command's keys itself (`COMMAND GETKEYS`).

use std::collections::{BTreeSet, HashMap, HashSet};
use std::time::{Duration, Instant};

use netpulse::queue::{outbox, scripts};
use netpulse_e2e::{PrivateRedis, TestSystem, exec_body, free_port, ios_fleet, show_version_on_each};
use serde_json::json;

/// One line of `redis-cli monitor`: where it ran (`lua` or a client) and the words.
fn parse_monitor_line(line: &str) -> Option<(bool, Vec<Vec<u8>>)> {
    let open = line.find('[')?;
    let close = open + line[open..].find(']')?;
    let lua = line[open..close].ends_with(" lua");
    let mut words = Vec::new();
    let mut chars = line[close + 1..].bytes().peekable();
    while let Some(c) = chars.next() {
        if c != b'"' {
            continue;
        }
        let mut w = Vec::new();
        while let Some(c) = chars.next() {
            match c {
                b'"' => break,
                b'\\' => match chars.next()? {
                    b'n' => w.push(b'\n'),
                    b'r' => w.push(b'\r'),
                    b't' => w.push(b'\t'),
                    b'a' => w.push(7),
                    b'b' => w.push(8),
                    b'x' => {
                        let hi = chars.next()?;
                        let lo = chars.next()?;
                        w.push(u8::from_str_radix(std::str::from_utf8(&[hi, lo]).ok()?, 16).ok()?);
                    }
                    other => w.push(other),
                },
                other => w.push(other),
            }
        }
        words.push(w);
    }
    Some((lua, words))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_script_declares_every_key_it_touches() {
    if std::process::Command::new("redis-cli").arg("--version").output().is_err() {
        eprintln!("SKIPPED: redis-server / redis-cli are not installed");
        return;
    }
    let redis = PrivateRedis::start(free_port(), None).expect("redis-server starts");
    let log = netpulse_e2e::temp_dir("monitor").join("monitor.txt");
    let mut monitor = std::process::Command::new("redis-cli")
        .args(["-p", &redis.port.to_string(), "monitor"])
        .stdout(std::fs::File::create(&log).unwrap())
        .spawn()
        .expect("redis-cli monitor runs");
    let url = redis.url();
    let fleet = ios_fleet(3, |c| c.latency = Duration::from_millis(150)).await;
    let devs = fleet.devices();
    let sys = TestSystem::start_with(|s| {
        s.redis_url = url.clone();
        s.node.heartbeat_s = 0.3;
        s.node.pinned_idle_s = 0.5;
    })
    .await;

    // Pinned jobs in a row (SUBMIT, TAKE, CLAIM, FINISH_AND_CLAIM, RENEW,
    // HEARTBEAT_WORKER, then RELEASE and PRUNE_QUEUE once idle), one of them
    // cancelled while queued (CANCEL), one expiring in its queue (CLAIM or
    // EXPIRE_QUEUED), one with a webhook nobody answers (outbox TAKE, SETTLE).
    let hook = json!({"url": format!("http://127.0.0.1:{}/hook", free_port()), "max_retries": 1, "retry_intervals": [0.1]});
    let mut ids =
        vec![sys.submit(&exec_body(&devs[0], json!({"command": "show clock", "webhook": hook}))).await];
    for _ in 0..3 {
        ids.push(sys.submit(&exec_body(&devs[0], json!({"command": "show clock"}))).await);
    }
    let cancelled = sys.submit(&exec_body(&devs[0], json!({"command": "show clock"}))).await;
    let expires = sys.submit(&exec_body(&devs[0], json!({"command": "show clock", "ttl": 1}))).await;
    let (status, body) = sys.delete(&format!("/job?id={cancelled}")).await;
    assert_eq!(status, 200, "{body}");
    // FIFO jobs (CLAIM from an inbox, FINISH) and a bulk request (STORE_PAYLOAD).
    ids.push(
        sys.submit(&exec_body(&devs[1], json!({"command": "show clock", "queue_strategy": "fifo"}))).await,
    );
    let hosts = vec![devs[2].addr().ip().to_string()];
    let mut bulk = show_version_on_each(&hosts, 60);
    bulk["connection_args"]["port"] = json!(devs[2].addr().port());
    bulk["connection_args"]["username"] = json!("admin");
    bulk["connection_args"]["password"] = json!("admin");
    let (status, body) = sys.post("/device/bulk", &bulk).await;
    assert!(status == 200 || status == 201, "{body}");
    // A busy worker stopped through the API (INTERRUPT).
    let busy = sys.submit(&exec_body(&devs[1], json!({"command": vec!["show clock"; 8]}))).await;
    let start = Instant::now();
    let worker = loop {
        let job = sys.job(&busy).await;
        if job["status"] == "started" {
            break job["worker"].as_str().unwrap().to_string();
        }
        assert!(start.elapsed() < Duration::from_secs(30), "{job}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    let (status, body) = sys.delete(&format!("/worker?name={worker}")).await;
    assert_eq!(status, 200, "{body}");
    for id in ids.iter().chain([&expires, &busy]) {
        sys.wait_ended(id, Duration::from_secs(60)).await;
    }
    // A record gone as if its time had come: the sweep trims its index entries
    // (TRIM_EXPIRED).
    let mut c = redis.connect().await;
    let _: i64 =
        redis::cmd("DEL").arg(format!("{}:job:{}", sys.prefix, ids[1])).query_async(&mut c).await.unwrap();
    let expiring = format!("{}:expiring", sys.prefix);
    let entries: Vec<String> =
        redis::cmd("ZRANGE").arg(&expiring).arg(0).arg(-1).query_async(&mut c).await.unwrap();
    let entry =
        entries.iter().find(|e| e.starts_with(&format!("{}\t", ids[1]))).expect("the ended job is listed");
    let _: i64 = redis::cmd("ZADD").arg(&expiring).arg(0).arg(entry).query_async(&mut c).await.unwrap();
    let idx_all = format!("{}:idx:all", sys.prefix);
    let start = Instant::now();
    loop {
        let score: Option<f64> =
            redis::cmd("ZSCORE").arg(&idx_all).arg(&ids[1]).query_async(&mut c).await.unwrap();
        if score.is_none() {
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(30), "the expired job stayed indexed");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // A second deployment whose node takes no device: offers (OFFER) and
    // waiting reasons (EXPLAIN_WAIT).
    let full = TestSystem::start_with(|s| {
        s.redis_url = url.clone();
        s.node.heartbeat_s = 0.3;
        s.node.capacity = 0;
    })
    .await;
    let waiting = full.submit(&exec_body(&devs[2], json!({"command": "show clock"}))).await;
    let start = Instant::now();
    while full.job(&waiting).await["waiting_reason"].as_str().unwrap_or("").is_empty() {
        assert!(start.elapsed() < Duration::from_secs(30), "no waiting reason");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // The idle pinned workers leave and their queues are pruned (FIFO stays listed).
    let queues = format!("{}:queues", sys.prefix);
    let start = Instant::now();
    loop {
        let listed: Vec<String> = redis::cmd("SMEMBERS").arg(&queues).query_async(&mut c).await.unwrap();
        if !listed.iter().any(|q| q.starts_with("pinned_")) {
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(30), "queues were not pruned");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    full.stop().await;
    sys.stop().await;
    let _ = monitor.kill();
    let _ = monitor.wait();

    // Which script each hash is.
    let names: HashMap<String, &str> = [
        (&*scripts::SUBMIT, "SUBMIT"),
        (&*scripts::HEARTBEAT_WORKER, "HEARTBEAT_WORKER"),
        (&*scripts::PRUNE_QUEUE, "PRUNE_QUEUE"),
        (&*scripts::OFFER, "OFFER"),
        (&*scripts::TAKE, "TAKE"),
        (&*scripts::TRIM_EXPIRED, "TRIM_EXPIRED"),
        (&*scripts::EXPLAIN_WAIT, "EXPLAIN_WAIT"),
        (&*scripts::STORE_PAYLOAD, "STORE_PAYLOAD"),
        (&*scripts::CLAIM, "CLAIM"),
        (&*scripts::FINISH, "FINISH"),
        (&*scripts::FINISH_AND_CLAIM, "FINISH_AND_CLAIM"),
        (&*scripts::CANCEL, "CANCEL"),
        (&*scripts::RELEASE, "RELEASE"),
        (&*scripts::RENEW, "RENEW"),
        (&*scripts::INTERRUPT, "INTERRUPT"),
        (&*scripts::EXPIRE_QUEUED, "EXPIRE_QUEUED"),
        (&*outbox::TAKE, "outbox TAKE"),
        (&*outbox::SETTLE, "outbox SETTLE"),
    ]
    .into_iter()
    .map(|(s, n)| (s.get_hash().to_string(), n))
    .collect();

    // Walk the log: each script call, then the commands it ran.
    let text = std::fs::read(&log).unwrap();
    let mut seen: BTreeSet<String> = BTreeSet::new();
    let mut declared: Option<(String, HashSet<Vec<u8>>)> = None;
    let mut bad = Vec::new();
    let mut checked = 0;
    for line in String::from_utf8_lossy(&text).lines() {
        let Some((lua, words)) = parse_monitor_line(line) else { continue };
        let Some(cmd) = words.first().map(|w| String::from_utf8_lossy(w).to_lowercase()) else { continue };
        if !lua {
            declared = None;
            if (cmd == "evalsha" || cmd == "eval") && words.len() >= 3 {
                let n: usize = String::from_utf8_lossy(&words[2]).parse().unwrap_or(0);
                let keys: HashSet<Vec<u8>> = words.iter().skip(3).take(n).cloned().collect();
                let hash = String::from_utf8_lossy(&words[1]).to_string();
                let name = match names.get(&hash) {
                    Some(n) if cmd == "evalsha" => n.to_string(),
                    _ => {
                        bad.push(format!("a script this test does not know: {cmd} {hash:.60}"));
                        continue;
                    }
                };
                seen.insert(name.clone());
                declared = Some((name, keys));
            }
            continue;
        }
        let Some((name, keys)) = &declared else { continue };
        let mut getkeys = redis::cmd("COMMAND");
        getkeys.arg("GETKEYS");
        for w in &words {
            getkeys.arg(w.as_slice());
        }
        let touched: Vec<Vec<u8>> = getkeys.query_async(&mut c).await.unwrap_or_default();
        checked += 1;
        for k in touched {
            if !keys.contains(&k) {
                bad.push(format!("{name}: {} touches {}", cmd.to_uppercase(), String::from_utf8_lossy(&k)));
            }
        }
    }
    bad.sort();
    bad.dedup();
    assert!(bad.is_empty(), "undeclared keys:\n{}", bad.join("\n"));
    let all: BTreeSet<String> = names.values().map(|n| n.to_string()).collect();
    let missing: Vec<&String> = all.difference(&seen).collect();
    assert!(missing.is_empty(), "the workload did not run {missing:?} (ran {seen:?})");
    eprintln!("{checked} commands of {} scripts checked", seen.len());
    drop(redis);
    let _ = std::fs::remove_dir_all(log.parent().unwrap());
}
