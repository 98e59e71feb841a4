//! Webhooks (#18 part 2) and the long poll (#18 part 5), against a real
//! receiver: a small HTTP server on loopback that records what it gets and
//! fails the attempts it is told to.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use netpulse_e2e::{TestSystem, exec_body, free_port, ios_fleet};
use serde_json::{Value, json};
use tokio::sync::Notify;

const WAIT: Duration = Duration::from_secs(30);

/// One request the receiver got.
#[derive(Clone, Debug)]
struct Received {
    method: String,
    path: String,
    headers: Vec<(String, String)>,
    body: Bytes,
}

impl Received {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("the body is JSON")
    }
}

/// A webhook receiver that answers 500 to its first `fail_first` requests.
struct Receiver {
    addr: SocketAddr,
    got: Arc<Mutex<Vec<Received>>>,
    arrived: Arc<Notify>,
}

impl Receiver {
    async fn start(fail_first: usize) -> Self {
        Self::start_on(tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap(), fail_first)
    }

    fn start_on(listener: tokio::net::TcpListener, fail_first: usize) -> Self {
        let addr = listener.local_addr().unwrap();
        let got: Arc<Mutex<Vec<Received>>> = Arc::default();
        let arrived = Arc::new(Notify::new());
        let (g, a) = (got.clone(), arrived.clone());
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else { return };
                let (g, a) = (g.clone(), a.clone());
                tokio::spawn(async move {
                    let svc = hyper::service::service_fn(move |req: Request<hyper::body::Incoming>| {
                        let (g, a) = (g.clone(), a.clone());
                        async move {
                            let method = req.method().to_string();
                            let path = req.uri().to_string();
                            let headers = req
                                .headers()
                                .iter()
                                .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("").to_string()))
                                .collect();
                            let body = req.into_body().collect().await.unwrap().to_bytes();
                            let n = {
                                let mut got = g.lock().unwrap();
                                got.push(Received { method, path, headers, body });
                                got.len()
                            };
                            a.notify_waiters();
                            let status = if n <= fail_first { 500 } else { 200 };
                            Ok::<_, Infallible>(
                                Response::builder()
                                    .status(status)
                                    .body(Full::new(Bytes::from("ok")))
                                    .unwrap(),
                            )
                        }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), svc)
                        .await;
                });
            }
        });
        Self { addr, got, arrived }
    }

    fn url(&self) -> String {
        format!("http://{}/hook", self.addr)
    }

    fn received(&self) -> Vec<Received> {
        self.got.lock().unwrap().clone()
    }

    /// Wait until `n` requests have arrived.
    async fn until(&self, n: usize, limit: Duration) -> Vec<Received> {
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            let arrived = self.arrived.notified();
            let got = self.received();
            if got.len() >= n {
                return got;
            }
            if tokio::time::timeout_at(deadline, arrived).await.is_err() {
                panic!("the receiver got {} requests, not {n}, within {limit:?}: {got:?}", got.len());
            }
        }
    }
}

/// HMAC-SHA256 of `body` under `secret`, as the signature header gives it.
fn signature(secret: &str, body: &[u8]) -> String {
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, secret.as_bytes());
    let hex: String = ring::hmac::sign(&key, body).as_ref().iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256={hex}")
}

/// Wait until the job record's `webhook.status` is `want`.
async fn webhook_state(sys: &TestSystem, id: &str, want: &str) -> Value {
    let start = Instant::now();
    loop {
        let job = sys.job(id).await;
        if job["webhook"]["status"] == want {
            return job["webhook"].clone();
        }
        assert!(start.elapsed() < WAIT, "webhook of {id} never became {want}: {job}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_receiver_gets_the_job_again_until_it_takes_it_signed() {
    let fleet = ios_fleet(1, |_| {}).await;
    let dev = &fleet.devices()[0];
    let receiver = Receiver::start(2).await;
    let sys = TestSystem::start_with(|s| s.webhook_secret = Some("s3cret".into())).await;
    let hook = json!({
        "url": receiver.url(),
        "method": "PUT",
        "headers": {"X-Token": "abc", "content-type": "application/json"},
        "cookies": {"session": "42"},
        "auth": ["hook", "pw"],
        "timeout": 2,
        "max_retries": 3,
        "retry_intervals": [0.2, 0.3],
    });
    let id = sys.submit(&exec_body(dev, json!({"command": "show version", "webhook": hook}))).await;
    let job = sys.wait_ended(&id, WAIT).await;
    assert_eq!(job["status"], "finished", "{job}");

    let got = receiver.until(3, WAIT).await;
    let state = webhook_state(&sys, &id, "delivered").await;
    assert_eq!(state["attempts"], 3, "{state}");
    assert!(state["delivered_at"].is_string(), "{state}");
    assert_eq!(receiver.received().len(), 3, "nothing is sent after a 2xx");

    let delivery = got[0].header("x-netpulse-delivery").expect("delivery id").to_string();
    uuid::Uuid::parse_str(&delivery).expect("the delivery id is a UUID");
    for r in &got {
        assert_eq!(r.method, "PUT");
        assert_eq!(r.path, "/hook");
        assert_eq!(r.header("x-token"), Some("abc"));
        assert_eq!(r.header("cookie"), Some("session=42"));
        assert_eq!(r.header("authorization"), Some("Basic aG9vazpwdw=="), "basic auth hook:pw");
        assert_eq!(r.header("content-type"), Some("application/json"));
        let types = r.headers.iter().filter(|(k, _)| k.eq_ignore_ascii_case("content-type")).count();
        assert_eq!(types, 1, "one Content-Type, the client's own");
        assert_eq!(r.header("x-netpulse-delivery"), Some(delivery.as_str()), "one id across retries");
        assert_eq!(r.header("x-netpulse-signature"), Some(signature("s3cret", &r.body).as_str()));
        let body = r.json();
        assert_eq!(body["id"], id.as_str());
        assert_eq!(body["status"], "finished");
        assert_eq!(body["event_type"], "job.completed");
        assert_eq!(body["final"], true);
        assert_eq!(body["result"]["type"], "success");
        assert_eq!(body["device"]["host"], "127.0.0.1");
        assert!(body.get("webhook").is_none(), "the delivery state is not part of the body");
    }
    sys.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delivery_that_keeps_failing_is_given_up_with_its_reason() {
    // Nothing listens on the device port: the job fails; the receiver always answers 500.
    let receiver = Receiver::start(usize::MAX).await;
    let sys = TestSystem::start().await;
    let port = free_port();
    let body = json!({
        "driver": "netmiko",
        "connection_args": {"device_type": "cisco_ios", "host": "127.0.0.1", "port": port,
                            "username": "u", "password": "p"},
        "command": "show version",
        "queue_strategy": "fifo",
        "webhook": {"url": receiver.url(), "max_retries": 1, "retry_intervals": [0.1]},
    });
    let id = sys.submit(&body).await;
    let job = sys.wait_ended(&id, WAIT).await;
    assert_eq!(job["status"], "failed", "{job}");
    let state = webhook_state(&sys, &id, "failed").await;
    assert_eq!(state["attempts"], 2, "the first attempt and one retry: {state}");
    assert!(state["last_error"].as_str().unwrap().contains("500"), "{state}");
    let got = receiver.received();
    assert_eq!(got.len(), 2);
    assert_eq!(got[0].method, "POST", "POST by default");
    assert_eq!(got[0].json()["event_type"], "job.failed");
    assert_eq!(got[0].json()["result"]["error"]["type"], "ConnectionError");
    assert!(got[0].header("x-netpulse-signature").is_none(), "no secret, no signature");
    sys.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancelled_job_calls_its_webhook_once_across_two_nodes() {
    // Two nodes share one deployment; no node takes pinned queues, so the jobs
    // wait until they are cancelled. Every job's webhook arrives exactly once.
    let receiver = Receiver::start(0).await;
    let a = TestSystem::start_with(|s| s.node.capacity = 0).await;
    let prefix = a.prefix.clone();
    let b = TestSystem::start_with(|s| {
        s.redis_prefix = prefix;
        s.node.capacity = 0;
    })
    .await;
    let mut ids = Vec::new();
    for i in 0..12 {
        let body = json!({
            "driver": "netmiko",
            "connection_args": {"device_type": "cisco_ios", "host": format!("127.0.9.{}", i + 1),
                                "username": "u", "password": "p"},
            "command": "show version",
            "webhook": {"url": receiver.url()},
        });
        ids.push(a.submit(&body).await);
    }
    let (status, v) = a.delete("/job?host=127.0.9.1").await;
    assert_eq!(status, 200, "{v}");
    for id in &ids[1..] {
        let (status, v) = b.delete(&format!("/job?id={id}")).await;
        assert_eq!(status, 200, "{v}");
    }
    let got = receiver.until(ids.len(), WAIT).await;
    for id in &ids {
        webhook_state(&a, id, "delivered").await;
    }
    let mut seen: Vec<String> = got.iter().map(|r| r.json()["id"].as_str().unwrap().to_string()).collect();
    assert!(got.iter().all(|r| r.json()["event_type"] == "job.cancelled"));
    seen.sort();
    let mut want = ids.clone();
    want.sort();
    assert_eq!(seen, want, "each job's webhook exactly once");
    b.stop().await;
    a.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pending_delivery_survives_a_node_restart() {
    // The receiver is down while the job ends; the node stops; a new node on the
    // same deployment delivers once the receiver is up.
    let port = free_port();
    let url = format!("http://127.0.0.1:{port}/hook");
    let a = TestSystem::start_with(|s| s.node.capacity = 0).await;
    let prefix = a.prefix.clone();
    let body = json!({
        "driver": "netmiko",
        "connection_args": {"device_type": "cisco_ios", "host": "127.0.9.200", "username": "u", "password": "p"},
        "command": "show version",
        "webhook": {"url": url, "max_retries": 10, "retry_intervals": [0.2]},
    });
    let id = a.submit(&body).await;
    let (status, v) = a.delete(&format!("/job?id={id}")).await;
    assert_eq!(status, 200, "{v}");
    let state = webhook_state(&a, &id, "retrying").await;
    assert!(state["last_error"].as_str().unwrap().contains("connect"), "{state}");
    // Stop the first system without deleting the deployment's keys.
    let mut a = a;
    a.prefix = format!("{prefix}-kept");
    a.stop().await;

    let receiver = Receiver::start_on(tokio::net::TcpListener::bind(("127.0.0.1", port)).await.unwrap(), 0);
    let b = TestSystem::start_with(|s| s.redis_prefix = prefix.clone()).await;
    let got = receiver.until(1, WAIT).await;
    assert_eq!(got[0].json()["id"], id.as_str());
    let state = webhook_state(&b, &id, "delivered").await;
    assert!(state["attempts"].as_u64().unwrap() >= 2, "{state}");
    let mut b = b;
    b.prefix = prefix;
    b.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_webhook_that_cannot_be_called_is_refused_at_submit() {
    let sys = TestSystem::start().await;
    let cases = [
        (json!({"url": "ftp://127.0.0.1/x"}), "http"),
        (json!({"url": "not a url"}), "not a URL"),
        (json!({}), "url"),
        (json!({"url": "http://127.0.0.1/x", "method": "FETCH"}), "method"),
        (json!({"url": "http://127.0.0.1/x", "timeout": 0}), "timeout"),
        (json!({"url": "http://127.0.0.1/x", "max_retries": 11}), "max_retries"),
        (json!({"url": "http://127.0.0.1/x", "headers": {"X-A": "a\nb"}}), "headers"),
        (json!({"url": "http://127.0.0.1/x", "surprise": 1}), "surprise"),
        (json!({"url": "http://user:pw@127.0.0.1/x"}), "auth"),
        (json!({"url": "http://127.0.0.1/x", "headers": {"Host": "elsewhere"}}), "Host"),
        (
            json!({"url": "http://127.0.0.1/x", "headers": {"X-NetPulse-Signature": "x"}}),
            "X-NetPulse-Signature",
        ),
        (json!({"url": "http://127.0.0.1/x", "cookies": {"a": "caf\u{e9}"}}), "cookies"),
    ];
    for (hook, says) in cases {
        let body = json!({
            "driver": "netmiko",
            "connection_args": {"device_type": "cisco_ios", "host": "127.0.9.9", "username": "u", "password": "p"},
            "command": "show version",
            "webhook": hook,
        });
        let (status, v) = sys.post("/device/exec", &body).await;
        assert_eq!(status, 422, "{hook}: {v}");
        let msg = v["message"].as_str().unwrap_or_default();
        assert!(msg.contains("webhook") && msg.contains(says), "{hook}: {msg}");
    }
    sys.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_long_poll_answers_when_the_job_ends_or_when_its_wait_is_over() {
    let fleet = ios_fleet(1, |_| {}).await;
    let dev = &fleet.devices()[0];
    let sys = TestSystem::start().await;

    // Ends: the answer is the ended job, without waiting the whole wait.
    let id = sys.submit(&exec_body(dev, json!({"command": "show version"}))).await;
    let start = Instant::now();
    let (status, v) = sys.get(&format!("/job?id={id}&wait=30")).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["data"][0]["status"], "finished", "{v}");
    assert!(start.elapsed() < Duration::from_secs(25), "answered when the job ended");
    // NetPulse's route has it too.
    let id = sys.submit(&exec_body(dev, json!({"command": "show clock"}))).await;
    let (status, v) = sys.get(&format!("/jobs/{id}?wait=30")).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["status"], "finished", "{v}");

    // Never ends within the wait: answered as it stands once the wait is over.
    let stuck = TestSystem::start_with(|s| s.node.capacity = 0).await;
    let id = stuck.submit(&exec_body(dev, json!({"command": "show version"}))).await;
    let start = Instant::now();
    let (status, v) = stuck.get(&format!("/job?id={id}&wait=1")).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["data"][0]["status"], "queued");
    assert!(start.elapsed() >= Duration::from_millis(900), "held for the wait: {:?}", start.elapsed());
    // Cancelled while a poll waits: the poll answers with the cancelled job.
    let mut redis = stuck.redis().await;
    let mark = format!("{}:wait:{id}", stuck.prefix);
    let _: () = redis::AsyncCommands::del(&mut redis, &mark).await.unwrap();
    let poll = {
        let path = format!("/job?id={id}&wait=30");
        let addr = stuck.addr;
        tokio::spawn(async move { netpulse_e2e::get_at(addr, &path).await })
    };
    // Once the poll has registered (its mark is in Redis), cancel the job.
    let start = Instant::now();
    while !redis::AsyncCommands::exists::<_, bool>(&mut redis, &mark).await.unwrap() {
        assert!(start.elapsed() < WAIT, "the long poll never registered");
        tokio::task::yield_now().await;
    }
    let (status, _) = stuck.delete(&format!("/job?id={id}")).await;
    assert_eq!(status, 200);
    let (status, v) = poll.await.unwrap();
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["data"][0]["status"], "cancelled", "{v}");

    // Bad waits.
    for path in
        [format!("/job?id={id}&wait=61"), format!("/job?id={id}&wait=soon"), "/job?wait=5".to_string()]
    {
        let (status, v) = stuck.get(&path).await;
        assert_eq!(status, 400, "{path}: {v}");
        assert!(v["message"].as_str().unwrap().contains("wait"), "{v}");
    }
    stuck.stop().await;
    sys.stop().await;
}
