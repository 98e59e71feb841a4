//! SSH host key policy: `accept-new` pins the first key of a host:port in Redis
//! (for every node) and fails a job offered another key with `HostKeyMismatch`
//! until `DELETE /hostkey` forgets the pin; `driver_args.host_key_check: false`
//! skips the check for one job; `strict` takes only keys from known_hosts. The
//! simulator makes a new host key each time a fleet starts: a restarted fleet on
//! the same address is a "replaced device".

use std::time::Duration;

use netpulse::config::HostKeyPolicy;
use netpulse_e2e::{Fleet, TestSystem, exec_body, free_port, ios_fleet, temp_dir};
use serde_json::{Value, json};

const WAIT: Duration = Duration::from_secs(30);

async fn fleet_at(ip: &str, port: u16) -> Fleet {
    ios_fleet(1, |c| {
        c.listen = ip.parse().unwrap();
        c.port = port;
    })
    .await
}

async fn run(sys: &TestSystem, dev: &netpulse_sim::Device, extra: Value) -> Value {
    let mut body = json!({"command": "show clock"});
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    let id = sys.submit(&exec_body(dev, body)).await;
    sys.wait_ended(&id, WAIT).await
}

fn assert_finished(job: &Value) {
    assert_eq!(job["status"], "finished", "{job}");
}

fn assert_mismatch(job: &Value) -> String {
    assert_eq!(job["status"], "failed", "{job}");
    assert_eq!(job["result"]["error"]["type"], "HostKeyMismatch", "{job}");
    job["result"]["error"]["message"].as_str().unwrap().to_string()
}

async fn pin(sys: &TestSystem, field: &str) -> Option<String> {
    let mut c = sys.redis().await;
    redis::cmd("HGET").arg(format!("{}:hostkeys", sys.prefix)).arg(field).query_async(&mut c).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_changed_host_key_fails_until_the_pin_is_cleared() {
    let (ip, port) = ("127.0.31.1", free_port());
    let addr = format!("{ip}:{port}");
    let fleet = fleet_at(ip, port).await;
    let first = fleet.devices()[0].host_key_fingerprint().to_string();
    let sys = TestSystem::start().await;

    // The first connection pins the key, for every node, in Redis.
    assert_finished(&run(&sys, &fleet.devices()[0], json!({})).await);
    assert_eq!(pin(&sys, &addr).await.as_deref(), Some(format!("ssh-ed25519 {first}").as_str()));
    assert_finished(&run(&sys, &fleet.devices()[0], json!({"queue_strategy": "fifo"})).await);

    // The device is "replaced": same address, new key.
    fleet.shutdown().await;
    let fleet = fleet_at(ip, port).await;
    let dev = &fleet.devices()[0];
    let second = dev.host_key_fingerprint().to_string();
    assert_ne!(first, second);
    tokio::time::sleep(Duration::from_millis(300)).await;

    let msg = assert_mismatch(&run(&sys, dev, json!({"queue_strategy": "fifo"})).await);
    assert!(msg.contains(&first) && msg.contains(&second), "{msg}");
    assert!(msg.contains(&format!("DELETE /hostkey?host={addr}")), "{msg}");
    assert!(msg.contains("ssh-ed25519"), "{msg}");
    // A pinned worker fails the job too, and the next one, without retrying in a loop.
    assert_mismatch(&run(&sys, dev, json!({})).await);
    assert_mismatch(&run(&sys, dev, json!({})).await);
    assert_eq!(dev.logins(), 0, "no password was sent to the unknown key");

    // Off for one job: it runs (pinned, so its session stays open) ...
    assert_finished(&run(&sys, dev, json!({"driver_args": {"host_key_check": false}})).await);
    assert_eq!(dev.logins(), 1);
    // ... and a checked job does not reuse that unchecked session.
    assert_mismatch(&run(&sys, dev, json!({})).await);
    assert_eq!(pin(&sys, &addr).await.as_deref(), Some(format!("ssh-ed25519 {first}").as_str()));

    // Forgetting the pin lets the next job pin the new key.
    let (s, v) = sys.delete(&format!("/hostkey?host={addr}")).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["data"], json!({"forgotten": true, "host": addr}));
    let (_, v) = sys.delete(&format!("/hostkey?host={addr}")).await;
    assert_eq!(v["data"], json!({"forgotten": false, "host": addr}));
    assert_finished(&run(&sys, dev, json!({})).await);
    assert_eq!(pin(&sys, &addr).await.as_deref(), Some(format!("ssh-ed25519 {second}").as_str()));

    // The port is 22 unless given; a missing or bad host is a 400.
    let (_, v) = sys.delete(&format!("/hostkey?host={ip}")).await;
    assert_eq!(v["data"], json!({"forgotten": false, "host": format!("{ip}:22")}));
    let (s, _) = sys.delete("/hostkey").await;
    assert_eq!(s, 400);
    let (s, _) = sys.delete("/hostkey?host=r1:notaport").await;
    assert_eq!(s, 400);
    let (s, _) = sys.delete("/hostkey?host=r1&port=22").await;
    assert_eq!(s, 400);
    let (s, v) = sys
        .post(
            "/device/exec",
            &exec_body(dev, json!({"command": "x", "driver_args": {"host_key_check": "no"}})),
        )
        .await;
    assert_eq!(s, 422, "{v}");
    sys.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn strict_takes_only_keys_from_known_hosts() {
    let fleet = ios_fleet(3, |c| c.listen = "127.0.31.11".parse().unwrap()).await;
    let [listed, unlisted, wrong] = [&fleet.devices()[0], &fleet.devices()[1], &fleet.devices()[2]];
    // Another fleet's key stands for a stale entry.
    let other = ios_fleet(1, |c| c.listen = "127.0.31.21".parse().unwrap()).await;
    let dir = temp_dir("known-hosts");
    let file = dir.join("known_hosts");
    let name = |d: &netpulse_sim::Device| format!("[{}]:{}", d.addr().ip(), d.addr().port());
    std::fs::write(
        &file,
        format!(
            "# devices\n10.9.9.9,{} {}\n{} {}\n",
            name(listed),
            listed.host_key(),
            name(wrong),
            other.devices()[0].host_key()
        ),
    )
    .unwrap();
    let path = file.clone();
    let sys = TestSystem::start_with(move |s| {
        s.ssh.host_key_policy = HostKeyPolicy::Strict;
        s.ssh.known_hosts = Some(path);
    })
    .await;

    assert_finished(&run(&sys, listed, json!({})).await);
    let msg = assert_mismatch(&run(&sys, unlisted, json!({})).await);
    assert!(msg.contains("not in the known_hosts file"), "{msg}");
    assert!(msg.contains(unlisted.host_key_fingerprint()), "{msg}");
    let msg = assert_mismatch(&run(&sys, wrong, json!({"queue_strategy": "fifo"})).await);
    assert!(
        msg.contains(other.devices()[0].host_key_fingerprint()) && msg.contains("is not the one in"),
        "{msg}"
    );
    assert_eq!(unlisted.logins() + wrong.logins(), 0);
    // Off for one job still works under strict; nothing is pinned in Redis.
    assert_finished(&run(&sys, unlisted, json!({"driver_args": {"host_key_check": false}})).await);
    let mut c = sys.redis().await;
    let pins: i64 =
        redis::cmd("HLEN").arg(format!("{}:hostkeys", sys.prefix)).query_async(&mut c).await.unwrap();
    assert_eq!(pins, 0);
    sys.stop().await;
    let _ = std::fs::remove_dir_all(dir);
}
