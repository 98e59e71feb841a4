//! Test harness: a whole NetPulse system (API + node) in the test process on a
//! private Redis key prefix, a tiny HTTP client, and simulator helpers.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::Request;
use hyper_util::rt::TokioIo;
use netpulse::app::{self, Roles, Running};
use netpulse::config::Settings;
use serde_json::{Value, json};

pub use netpulse_sim::{Fleet, SimConfig};

/// The Redis the tests use: `NETPULSE_TEST_REDIS_URL`, else the local default.
pub fn redis_url() -> String {
    std::env::var("NETPULSE_TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into())
}

/// The ntc-templates corpus, when this checkout sits beside `shared/`.
pub fn corpus() -> Option<std::path::PathBuf> {
    let candidates = [
        std::env::var("NETPULSE_CORPUS").ok().map(std::path::PathBuf::from),
        Some(std::path::PathBuf::from(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../../shared/corpus/ntc-templates"
        ))),
    ];
    candidates.into_iter().flatten().find(|p| p.join("tests").is_dir())
}

pub const API_KEY: &str = "test-key";

/// A component built from `plugins/` by `host/build.rs` (e.g. `misbehave`, `cisco_ios`).
pub fn built_plugin(name: &str) -> std::path::PathBuf {
    let p = std::path::PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../target/plugins/wasm32-wasip2/release"
    ))
    .join(format!("{name}.wasm"));
    assert!(p.is_file(), "{} is missing: the host build builds every plugin of plugins/", p.display());
    p
}

/// A fresh empty folder under the system temp dir.
pub fn temp_dir(tag: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("netpulse-{tag}-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// A running system on its own key prefix; call [`TestSystem::stop`] at the end.
pub struct TestSystem {
    pub addr: SocketAddr,
    pub prefix: String,
    pub settings: Settings,
    running: Option<Running>,
}

impl TestSystem {
    pub async fn start() -> Self {
        Self::start_with(|_| {}).await
    }

    /// Start with settings adjusted by `tweak`.
    pub async fn start_with(tweak: impl FnOnce(&mut Settings)) -> Self {
        let prefix = format!("nptest-{}", uuid::Uuid::new_v4().simple());
        let mut s = Settings {
            listen: "127.0.0.1:0".parse().unwrap(),
            redis_url: redis_url(),
            redis_prefix: prefix.clone(),
            api_keys: vec![API_KEY.into()],
            ..Settings::default()
        };
        s.node.name = Some(format!("node-{}", &prefix[7..15]));
        s.node.fifo_workers = 2;
        s.node.heartbeat_s = 0.5;
        s.jobs.read_timeout_s = 10.0;
        s.jobs.connect_timeout_s = 5.0;
        tweak(&mut s);
        let running = app::start(s.clone(), Roles { api: true, node: true })
            .await
            .expect("system starts (is Redis running on 127.0.0.1:6379?)");
        Self { addr: running.api_addr.unwrap(), prefix, settings: s, running: Some(running) }
    }

    /// Send a request; returns (HTTP status, JSON body).
    pub async fn request(
        &self,
        method: &str,
        path: &str,
        body: Option<&str>,
        key: Option<&str>,
    ) -> (u16, Value) {
        request_at(self.addr, method, path, body, key).await
    }

    /// GET with the API key in a cookie only.
    pub async fn request_with_cookie(&self, path: &str, cookie: &str) -> (u16, Value) {
        let stream = tokio::net::TcpStream::connect(self.addr).await.expect("connect to API");
        let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await.unwrap();
        tokio::spawn(conn);
        let req = Request::builder()
            .method("GET")
            .uri(path)
            .header("host", self.addr.to_string())
            .header("cookie", cookie)
            .body(Full::new(Bytes::new()))
            .unwrap();
        let resp = sender.send_request(req).await.expect("API answers");
        let status = resp.status().as_u16();
        let bytes = resp.into_body().collect().await.unwrap().to_bytes();
        (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
    }

    pub async fn get(&self, path: &str) -> (u16, Value) {
        self.request("GET", path, None, Some(API_KEY)).await
    }

    pub async fn post(&self, path: &str, body: &Value) -> (u16, Value) {
        self.request("POST", path, Some(&body.to_string()), Some(API_KEY)).await
    }

    pub async fn delete(&self, path: &str) -> (u16, Value) {
        self.request("DELETE", path, None, Some(API_KEY)).await
    }

    /// Submit to /device/exec; panics unless it answers 201. Returns the job id.
    pub async fn submit(&self, body: &Value) -> String {
        let (status, v) = self.post("/device/exec", body).await;
        assert_eq!(status, 201, "submit failed: {v}");
        v["data"]["id"].as_str().unwrap().to_string()
    }

    /// The job record.
    pub async fn job(&self, id: &str) -> Value {
        let (status, v) = self.get(&format!("/job?id={id}")).await;
        assert_eq!(status, 200, "GET /job?id={id}: {v}");
        v["data"][0].clone()
    }

    /// Wait until the job has ended (finished, failed or cancelled), through the
    /// long poll (`GET /job?id=&wait=`); panics after `limit`.
    pub async fn wait_ended(&self, id: &str, limit: Duration) -> Value {
        let start = Instant::now();
        loop {
            let left = limit.saturating_sub(start.elapsed()).min(Duration::from_secs(60));
            let (status, v) = self.get(&format!("/job?id={id}&wait={:.3}", left.as_secs_f64())).await;
            assert_eq!(status, 200, "GET /job?id={id}&wait=: {v}");
            let job = v["data"][0].clone();
            if matches!(job["status"].as_str(), Some("finished" | "failed" | "cancelled")) {
                return job;
            }
            assert!(start.elapsed() < limit, "job {id} did not end within {limit:?}: {job}");
        }
    }

    /// A raw Redis connection (for checks of what is stored).
    pub async fn redis(&self) -> redis::aio::MultiplexedConnection {
        redis::Client::open(redis_url()).unwrap().get_multiplexed_async_connection().await.unwrap()
    }

    /// Stop the system and delete every key it wrote.
    pub async fn stop(mut self) {
        if let Some(r) = self.running.take() {
            r.shutdown(Duration::from_secs(10)).await;
        }
        let mut c = self.redis().await;
        let keys: Vec<String> =
            redis::cmd("KEYS").arg(format!("{}:*", self.prefix)).query_async(&mut c).await.unwrap();
        if !keys.is_empty() {
            let _: () = redis::cmd("DEL").arg(keys).query_async(&mut c).await.unwrap();
        }
    }
}

/// Send a request to the API at `addr`; returns (HTTP status, JSON body).
pub async fn request_at(
    addr: SocketAddr,
    method: &str,
    path: &str,
    body: Option<&str>,
    key: Option<&str>,
) -> (u16, Value) {
    let stream = tokio::net::TcpStream::connect(addr).await.expect("connect to API");
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await.unwrap();
    tokio::spawn(conn);
    let mut req = Request::builder().method(method).uri(path).header("host", addr.to_string());
    if let Some(k) = key {
        req = req.header("X-API-KEY", k);
    }
    let req = req
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(body.unwrap_or("").to_string())))
        .unwrap();
    let resp = sender.send_request(req).await.expect("API answers");
    let status = resp.status().as_u16();
    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
    let v =
        serde_json::from_slice(&bytes).unwrap_or_else(|_| json!({"raw": String::from_utf8_lossy(&bytes)}));
    (status, v)
}

/// `GET path` with the test API key, at `addr` (for a request from another task).
pub async fn get_at(addr: SocketAddr, path: &str) -> (u16, Value) {
    request_at(addr, "GET", path, None, Some(API_KEY)).await
}

/// A `/device/bulk` body: `show version` on each of `hosts` as IOS devices (in
/// NetPulse's shape), waiting up to `ttl_s` and kept 60 s after it ends (the
/// shortest `result_ttl`), for tests and benchmarks of many jobs that never run.
pub fn show_version_on_each(hosts: &[String], ttl_s: u64) -> Value {
    let devices: Vec<Value> = hosts.iter().map(|h| json!({"host": h})).collect();
    json!({
        "driver": "netmiko",
        "connection_args": {"device_type": "cisco_ios", "username": "u", "password": "p"},
        "devices": devices,
        "command": "show version",
        "ttl": ttl_s,
        "execution_timeout": 60,
        "result_ttl": 60,
    })
}

/// The exec body for one simulated IOS device.
pub fn exec_body(dev: &netpulse_sim::Device, extra: Value) -> Value {
    device_body(dev, "cisco_ios", extra)
}

/// The exec body for one simulated device of `device_type`, with `extra` fields.
pub fn device_body(dev: &netpulse_sim::Device, device_type: &str, extra: Value) -> Value {
    let mut body = json!({
        "driver": "netmiko",
        "connection_args": {
            "device_type": device_type,
            "host": dev.addr().ip().to_string(),
            "port": dev.addr().port(),
            "username": "admin",
            "password": "admin",
            "secret": "enable",
        },
    });
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    body
}

/// Start `count` simulated IOS devices on ephemeral ports of 127.0.0.1.
pub async fn ios_fleet(count: usize, tweak: impl FnOnce(&mut SimConfig)) -> Fleet {
    let mut cfg = SimConfig {
        count,
        listen: "127.0.0.1".parse().unwrap(),
        port: 0,
        corpus: corpus(),
        ..SimConfig::default()
    };
    tweak(&mut cfg);
    Fleet::start(cfg).await.expect("simulator starts")
}

/// A port nothing listens on right now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A private `redis-server` on `port`, killed (SIGKILL) on drop.
pub struct PrivateRedis {
    child: std::process::Child,
    pub port: u16,
}

impl PrivateRedis {
    /// Start it; None when `redis-server` is not on the PATH or does not answer.
    /// With `aof_dir`, every write is in an append-only file there, fsynced before
    /// Redis answers, so a restart on the same folder finds every acknowledged write.
    pub fn start(port: u16, aof_dir: Option<&std::path::Path>) -> Option<Self> {
        let mut args: Vec<String> = Vec::new();
        match aof_dir {
            Some(dir) => {
                args.extend(["--appendonly", "yes", "--appendfsync", "always", "--dir"].map(String::from));
                args.push(dir.display().to_string());
            }
            None => args.extend(["--appendonly", "no"].map(String::from)),
        }
        Self::start_with(port, None, &args)
    }

    /// A replica of the server on `primary` (nothing on disk).
    pub fn replica_of(port: u16, primary: u16) -> Option<Self> {
        let args = ["--appendonly", "no", "--replicaof", "127.0.0.1", &primary.to_string()].map(String::from);
        Self::start_with(port, None, &args)
    }

    /// A Redis Sentinel that watches the primary on `primary` as `master`, with a
    /// quorum of 2, calling it down after 500 ms without an answer. Its
    /// configuration file (which Sentinel rewrites) lives in `dir`.
    pub fn sentinel(port: u16, primary: u16, master: &str, dir: &std::path::Path) -> Option<Self> {
        let conf = dir.join(format!("sentinel-{port}.conf"));
        std::fs::write(
            &conf,
            format!(
                "port {port}\nbind 127.0.0.1\ndir {dir}\n\
                 sentinel monitor {master} 127.0.0.1 {primary} 2\n\
                 sentinel down-after-milliseconds {master} 500\n\
                 sentinel failover-timeout {master} 5000\n\
                 sentinel parallel-syncs {master} 1\n",
                dir = dir.display()
            ),
        )
        .ok()?;
        Self::start_with(port, Some(&conf), &["--sentinel".to_string()])
    }

    /// `redis-server [conf] --port <port> --bind 127.0.0.1 --save "" <args>`.
    pub fn start_with(port: u16, conf: Option<&std::path::Path>, args: &[String]) -> Option<Self> {
        let mut cmd = std::process::Command::new("redis-server");
        if let Some(conf) = conf {
            cmd.arg(conf);
        }
        cmd.args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--save", ""]).args(args);
        let child = cmd.stdout(std::process::Stdio::null()).spawn().ok()?;
        let r = Self { child, port };
        let start = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            if start.elapsed() > Duration::from_secs(5) {
                return None;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        Some(r)
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// A connection to it.
    pub async fn connect(&self) -> redis::aio::MultiplexedConnection {
        redis::Client::open(self.url()).unwrap().get_multiplexed_async_connection().await.unwrap()
    }

    /// SIGKILL it now (as a crash would).
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for PrivateRedis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A device's canned output as a driver returns it: Junos context lines
/// (`{master:0}`, `[edit]`) at its end removed, as netmiko removes them.
pub fn as_driver_gives(platform: &str, text: &str) -> String {
    let mut lines: Vec<&str> = text.lines().collect();
    if platform == "juniper_junos" {
        while let Some(last) = lines.last().map(|l| l.trim()) {
            let context = (last.starts_with('{') && last.ends_with('}'))
                || (last.starts_with("[edit") && last.ends_with(']'))
                || last.is_empty();
            if !context {
                break;
            }
            lines.pop();
        }
    }
    lines.join("\n")
}
