//! The spine: REST API -> Redis -> worker -> WASM driver -> SSH to the simulator -> result.

use std::time::Duration;

use netpulse_e2e::{TestSystem, exec_body, ios_fleet};
use serde_json::{Value, json};

const WAIT: Duration = Duration::from_secs(30);

/// What the driver returns for canned text: line endings normalised, no trailing blank.
fn norm(s: &str) -> String {
    s.replace("\r\n", "\n").trim_end().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn show_command_returns_the_device_output() {
    let fleet = ios_fleet(1, |_| {}).await;
    let dev = &fleet.devices()[0];
    let sys = TestSystem::start().await;

    let (status, v) = sys.post("/device/exec", &exec_body(dev, json!({"command": "show version"}))).await;
    assert_eq!(status, 201, "{v}");
    assert_eq!(v["code"], 200);
    assert_eq!(v["data"]["status"], "queued");
    let port = dev.addr().port();
    assert_eq!(v["data"]["queue"], format!("pinned_127.0.0.1:{port}"));
    let id = v["data"]["id"].as_str().unwrap();

    let job = sys.wait_ended(id, WAIT).await;
    assert_eq!(job["status"], "finished", "{job}");
    assert_eq!(job["result"]["type"], "success");
    assert_eq!(job["result"]["error"], Value::Null);
    let expected = dev.canned_output("show version").expect("simulator has show version");
    assert_eq!(norm(job["result"]["retval"].as_str().unwrap()), norm(&expected));
    for field in ["created_at", "enqueued_at", "started_at", "ended_at"] {
        let t = job[field].as_str().unwrap_or_else(|| panic!("{field} missing: {job}"));
        chrono_like_rfc3339(t);
    }
    assert!(job["duration"].as_f64().unwrap() >= 0.0);
    assert!(job["queue_time"].as_f64().unwrap() >= 0.0);
    assert!(job["worker"].as_str().unwrap().contains("pinned_127.0.0.1"));
    assert_eq!(job["device_type"], "cisco_ios");
    sys.stop().await;
}

fn chrono_like_rfc3339(t: &str) {
    // 2024-01-01T12:00:00.000000+00:00
    assert!(t.len() >= 25 && &t[4..5] == "-" && &t[10..11] == "T", "not RFC 3339: {t}");
    assert!(t.ends_with("+00:00") || t.contains('+') || t.rfind('-').unwrap() > 10, "no offset: {t}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_of_commands_gives_an_object_in_order() {
    let fleet = ios_fleet(1, |_| {}).await;
    let dev = &fleet.devices()[0];
    let sys = TestSystem::start().await;
    let cmds = ["show version", "show ip interface brief", "show clock"];
    let id = sys.submit(&exec_body(dev, json!({"command": cmds}))).await;
    let job = sys.wait_ended(&id, WAIT).await;
    assert_eq!(job["status"], "finished", "{job}");
    let retval = job["result"]["retval"].as_object().expect("object retval");
    let keys: Vec<&str> = retval.keys().map(|k| k.as_str()).collect();
    assert_eq!(keys, cmds);
    for c in cmds {
        assert_eq!(norm(retval[c].as_str().unwrap()), norm(&dev.canned_output(c).unwrap()), "{c}");
    }
    sys.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn config_is_applied_and_visible_in_running_config() {
    let fleet = ios_fleet(1, |_| {}).await;
    let dev = &fleet.devices()[0];
    let sys = TestSystem::start().await;
    let lines = ["interface Loopback42", "description netpulse-e2e", "ip address 10.42.0.1 255.255.255.255"];
    let id = sys.submit(&exec_body(dev, json!({"config": lines}))).await;
    let job = sys.wait_ended(&id, WAIT).await;
    assert_eq!(job["status"], "finished", "{job}");

    let id = sys.submit(&exec_body(dev, json!({"command": "show running-config"}))).await;
    let job = sys.wait_ended(&id, WAIT).await;
    let run = job["result"]["retval"].as_str().unwrap().to_string();
    assert!(run.contains("interface Loopback42"), "{run}");
    assert!(run.contains(" description netpulse-e2e"), "{run}");
    assert!(dev.running_config().contains("ip address 10.42.0.1 255.255.255.255"));
    sys.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_jobs_reuse_one_login_and_run_in_order() {
    let fleet = ios_fleet(1, |_| {}).await;
    let dev = &fleet.devices()[0];
    let sys = TestSystem::start().await;
    let mut ids = Vec::new();
    for i in 0..10 {
        // Each job adds a numbered line; order shows in the running config.
        ids.push(sys.submit(&exec_body(dev, json!({"config": [format!("logging host 10.0.0.{i}")]}))).await);
    }
    let mut started = Vec::new();
    for id in &ids {
        let job = sys.wait_ended(id, WAIT).await;
        assert_eq!(job["status"], "finished", "{job}");
        started.push(job["started_at"].as_str().unwrap().to_string());
    }
    let mut sorted = started.clone();
    sorted.sort();
    assert_eq!(started, sorted, "jobs started out of order");
    assert_eq!(dev.logins(), 1, "the pinned worker must reuse one SSH session");
    let run = dev.running_config();
    let positions: Vec<usize> =
        (0..10).map(|i| run.find(&format!("logging host 10.0.0.{i}\n")).unwrap()).collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "config applied out of order:\n{run}");
    sys.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn device_errors_fail_the_job_with_their_type() {
    let fleet = ios_fleet(1, |_| {}).await;
    let dev = &fleet.devices()[0];
    let sys = TestSystem::start().await;

    // A command the device rejects.
    let id = sys.submit(&exec_body(dev, json!({"command": "show bogus thing"}))).await;
    let job = sys.wait_ended(&id, WAIT).await;
    assert_eq!(job["status"], "failed", "{job}");
    assert_eq!(job["result"]["type"], "failed");
    assert_eq!(job["result"]["error"]["type"], "CommandRejected", "{job}");
    let msg = job["result"]["error"]["message"].as_str().unwrap();
    assert!(msg.contains("show bogus thing") && msg.contains("% Invalid input"), "{msg}");

    // A config line the device rejects.
    let id = sys.submit(&exec_body(dev, json!({"config": ["interface Loopback1", "frobnicate now"]}))).await;
    let job = sys.wait_ended(&id, WAIT).await;
    assert_eq!(job["result"]["error"]["type"], "CommandRejected", "{job}");
    assert!(job["result"]["error"]["message"].as_str().unwrap().contains("frobnicate now"));

    // The session is still usable after errors.
    let id = sys.submit(&exec_body(dev, json!({"command": "show clock"}))).await;
    assert_eq!(sys.wait_ended(&id, WAIT).await["status"], "finished");

    // Wrong password.
    let mut body = exec_body(dev, json!({"command": "show clock", "queue_strategy": "fifo"}));
    body["connection_args"]["password"] = json!("wrong");
    let id = sys.submit(&body).await;
    let job = sys.wait_ended(&id, WAIT).await;
    assert_eq!(job["result"]["error"]["type"], "AuthenticationError", "{job}");

    // Nothing listens on the port.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut body = exec_body(dev, json!({"command": "show clock"}));
    body["connection_args"]["port"] = json!(closed);
    let id = sys.submit(&body).await;
    let job = sys.wait_ended(&id, WAIT).await;
    assert_eq!(job["result"]["error"]["type"], "ConnectionError", "{job}");
    sys.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stored_job_never_holds_the_password() {
    let fleet = ios_fleet(1, |c| {
        c.password = "pw-Xy7-secret".into();
        c.secret = "en-Qz9-secret".into();
    })
    .await;
    let dev = &fleet.devices()[0];
    let sys = TestSystem::start().await;
    let mut body = exec_body(dev, json!({"command": "show clock"}));
    body["connection_args"]["password"] = json!("pw-Xy7-secret");
    body["connection_args"]["secret"] = json!("en-Qz9-secret");
    let id = sys.submit(&body).await;
    let job = sys.wait_ended(&id, WAIT).await;
    assert_eq!(job["status"], "finished", "{job}");
    let mut c = sys.redis().await;
    let h: std::collections::HashMap<String, String> =
        redis::cmd("HGETALL").arg(format!("{}:job:{id}", sys.prefix)).query_async(&mut c).await.unwrap();
    let all = format!("{h:?}");
    assert!(!all.contains("pw-Xy7") && !all.contains("en-Qz9"), "credentials stored in the job: {all}");
    let cred: Option<String> =
        redis::cmd("GET").arg(format!("{}:cred:{id}", sys.prefix)).query_async(&mut c).await.unwrap();
    assert_eq!(cred, None, "credentials must be deleted once the job ended");
    let (_, v) = sys.get(&format!("/job?id={id}")).await;
    assert!(!v.to_string().contains("pw-Xy7"), "{v}");
    sys.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn credentials_wait_sealed_and_a_node_with_another_key_fails_the_job_as_credential_error() {
    let fleet = ios_fleet(1, |c| c.password = "pw-Xy7-secret".into()).await;
    let dev = &fleet.devices()[0];
    // No FIFO workers: a FIFO job stays queued with its credentials in Redis.
    let sys = TestSystem::start_with(|s| {
        s.credential_key = Some("key-of-this-deployment".into());
        s.node.fifo_workers = 0;
    })
    .await;
    let mut body = exec_body(dev, json!({"command": "show clock", "queue_strategy": "fifo"}));
    body["connection_args"]["password"] = json!("pw-Xy7-secret");
    let waiting = sys.submit(&body).await;
    let mut c = sys.redis().await;
    let stored: String =
        redis::cmd("GET").arg(format!("{}:cred:{waiting}", sys.prefix)).query_async(&mut c).await.unwrap();
    assert!(stored.starts_with("aes256gcm:") && !stored.contains("pw-Xy7"), "stored credentials: {stored}");

    // The node shares the key: it opens them and logs in.
    body["queue_strategy"] = json!("pinned");
    let ok = sys.submit(&body).await;
    let job = sys.wait_ended(&ok, WAIT).await;
    assert_eq!(job["status"], "finished", "{job}");

    // A job stored by an API with another key fails at pick-up, saying what to fix,
    // and the worker goes on to the next job.
    let spec_json: String = redis::cmd("HGET")
        .arg(format!("{}:job:{ok}", sys.prefix))
        .arg("spec")
        .query_async(&mut c)
        .await
        .unwrap();
    let spec: netpulse::queue::JobSpec = serde_json::from_str(&spec_json).unwrap();
    let other = netpulse::queue::JobStore::connect(&netpulse_e2e::redis_url(), &sys.prefix)
        .await
        .unwrap()
        .with_credential_key(Some("another-key"));
    let creds = netpulse::queue::Credentials { password: "pw-Xy7-secret".into(), secret: None };
    let (bad, _) = other.submit(&spec, &creds).await.unwrap();
    let job = sys.wait_ended(&bad, WAIT).await;
    assert_eq!(job["status"], "failed", "{job}");
    assert_eq!(job["result"]["error"]["type"], "CredentialError", "{job}");
    assert!(job["result"]["error"]["message"].as_str().unwrap().contains("credential_key"), "{job}");
    let after = sys.submit(&body).await;
    assert_eq!(sys.wait_ended(&after, WAIT).await["status"], "finished");
    sys.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_the_node_cannot_read_fails_with_its_reason_and_the_queue_goes_on() {
    let fleet = ios_fleet(1, |c| c.latency = Duration::from_millis(800)).await;
    let dev = &fleet.devices()[0];
    let sys = TestSystem::start().await;
    let body = exec_body(dev, json!({"command": "show clock"}));
    let first = sys.submit(&body).await;
    let broken = sys.submit(&body).await;
    let last = sys.submit(&body).await;
    // While the first runs, the second's record turns into something this release
    // cannot read (as one written by an incompatible API would be).
    let mut c = sys.redis().await;
    let _: i64 = redis::cmd("HSET")
        .arg(format!("{}:job:{broken}", sys.prefix))
        .arg("spec")
        .arg("{\"not\": \"a spec\"}")
        .query_async(&mut c)
        .await
        .unwrap();
    assert_eq!(sys.job(&broken).await["status"], "queued", "the first job is still running");
    let job = sys.wait_ended(&broken, WAIT).await;
    assert_eq!(job["status"], "failed", "{job}");
    assert_eq!(job["result"]["error"]["type"], "IncompatibleJob", "{job}");
    assert!(job["result"]["error"]["message"].as_str().unwrap().contains("release"), "{job}");
    for id in [first, last] {
        assert_eq!(sys.wait_ended(&id, WAIT).await["status"], "finished");
    }
    sys.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_requests_are_rejected_with_the_field_named() {
    let sys = TestSystem::start().await;
    let (s, v) =
        sys.request("POST", "/device/exec", Some("{\"command\": "), Some(netpulse_e2e::API_KEY)).await;
    assert_eq!(s, 400, "{v}");
    assert_eq!(v["code"], -1);
    assert!(v["message"].as_str().unwrap().contains("JSON"), "{v}");

    let (s, v) = sys
        .post(
            "/device/exec",
            &json!({"connection_args": {"device_type": "cisco_ios", "username": "u"}, "command": "x"}),
        )
        .await;
    assert_eq!(s, 422, "{v}");
    assert!(v["message"].as_str().unwrap().contains("connection_args.host"), "{v}");

    let ca = json!({"device_type": "cisco_ios", "host": "127.0.77.1", "username": "u", "password": "p"});
    let (s, v) =
        sys.post("/device/exec", &json!({"connection_args": ca, "command": "a", "config": ["b"]})).await;
    assert_eq!(s, 422, "{v}");
    let m = v["message"].as_str().unwrap();
    assert!(m.contains("command") && m.contains("config"), "{v}");

    let mut ca2 = ca.clone();
    ca2["device_type"] = json!("acme_os");
    let (s, v) = sys.post("/device/exec", &json!({"connection_args": ca2, "command": "a"})).await;
    assert_eq!(s, 422, "{v}");
    let m = v["message"].as_str().unwrap();
    assert!(m.contains("acme_os") && m.contains("cisco_ios"), "{v}");

    let (s, _) = sys.request("POST", "/device/exec", Some("{}"), None).await;
    assert_eq!(s, 403);
    let (s, _) = sys.request("GET", "/job?id=x", None, Some("wrong")).await;
    assert_eq!(s, 403);
    let (s, v) = sys.get("/job?id=does-not-exist").await;
    assert_eq!(s, 404);
    assert!(v["message"].as_str().unwrap().contains("does-not-exist"));
    sys.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hung_or_dropped_session_fails_its_job_and_the_next_job_reconnects() {
    // Session preparation sends 3 commands (enable, terminal length, terminal width):
    // the 1st job's command is the 4th of its connection, the 2nd job's the 5th.
    let hang = ios_fleet(1, |c| c.faults.hang_after_commands = Some(4)).await;
    let drop = ios_fleet(1, |c| c.faults.drop_after_commands = Some(4)).await;
    let sys = TestSystem::start().await;
    for (fleet, expected) in [(&hang, "TimeoutError"), (&drop, "ConnectionError")] {
        let dev = &fleet.devices()[0];
        let body = exec_body(dev, json!({"command": "show clock", "driver_args": {"read_timeout": 1}}));
        let first = sys.submit(&body).await;
        let second = sys.submit(&body).await;
        let third = sys.submit(&body).await;
        assert_eq!(sys.wait_ended(&first, WAIT).await["status"], "finished");
        let job = sys.wait_ended(&second, WAIT).await;
        assert_eq!(job["status"], "failed", "{job}");
        assert_eq!(job["result"]["error"]["type"], expected, "{job}");
        let job = sys.wait_ended(&third, WAIT).await;
        assert_eq!(job["status"], "finished", "the next job must reconnect: {job}");
        assert_eq!(dev.logins(), 2);
    }
    sys.stop().await;
}
