//! NetPulse 0.4.3's own routes in its flattened shapes (`/jobs`, `/workers`,
//! `/system/stats`), and the device routes in compat mode, checked by replaying
//! every request of NetPulse's Postman collection against simulated devices.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::Duration;

use netpulse::config::{ApiKey, Compat, Role};
use netpulse_e2e::{API_KEY, TestSystem, exec_body, ios_fleet};
use netpulse_sim::{Fleet, Platform, SimConfig};
use serde_json::{Value, json};

const WAIT: Duration = Duration::from_secs(30);

/// NetPulse's `JobInResponse` fields (every one present, maybe null).
const JOB_FIELDS: &[&str] = &[
    "id",
    "status",
    "created_at",
    "enqueued_at",
    "started_at",
    "ended_at",
    "queue",
    "worker",
    "result",
    "task_id",
    "device_name",
    "command",
    "duration",
    "queue_time",
];

/// NetPulse's `WorkerInResponse` fields.
const WORKER_FIELDS: &[&str] = &[
    "name",
    "status",
    "pid",
    "hostname",
    "queues",
    "last_heartbeat",
    "birth_at",
    "successful_job_count",
    "failed_job_count",
];

fn has_fields(v: &Value, fields: &[&str]) {
    let o = v.as_object().unwrap_or_else(|| panic!("not an object: {v}"));
    for f in fields {
        assert!(o.contains_key(*f), "no `{f}` in {v}");
    }
}

/// An ISO 8601 time with its offset, as NetPulse serialises them.
fn is_iso(v: &Value) -> bool {
    v.as_str().is_some_and(|s| {
        s.len() >= 20 && s.as_bytes()[10] == b'T' && (s.ends_with("+00:00") || s.ends_with('Z'))
    })
}

fn job_shape(v: &Value) {
    has_fields(v, JOB_FIELDS);
    assert!(v["id"].is_string() && v["status"].is_string() && v["queue"].is_string(), "{v}");
    assert!(is_iso(&v["created_at"]), "created_at: {v}");
    assert!(v["command"].is_array(), "{v}");
    if !v["result"].is_null() {
        assert!(matches!(v["result"]["type"].as_u64(), Some(1..=3)), "result.type: {v}");
    }
}

fn worker_shape(v: &Value) {
    has_fields(v, WORKER_FIELDS);
    assert!(v["queues"].is_array() && is_iso(&v["birth_at"]), "{v}");
}

/// FastAPI's error body, never our envelope.
fn detail(status: u16, v: &Value, want: u16) -> String {
    assert_eq!(status, want, "{v}");
    assert!(v.get("code").is_none(), "an envelope where a flat error belongs: {v}");
    v["detail"].as_str().unwrap_or_else(|| panic!("no detail: {v}")).to_string()
}

fn ids(v: &Value) -> Vec<String> {
    v.as_array().unwrap().iter().map(|j| j["id"].as_str().unwrap().to_string()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jobs_workers_and_stats_in_netpulse_shapes() {
    let fleet = ios_fleet(1, |c| c.listen = "127.0.41.1".parse().unwrap()).await;
    let dev = &fleet.devices()[0];
    // No FIFO workers: FIFO jobs stay queued.
    let sys = TestSystem::start_with(|s| {
        s.node.fifo_workers = 0;
        s.api_keys.push(ApiKey::WithRole { key: "reader".into(), role: Role::Read });
        s.api_keys.push(ApiKey::WithRole { key: "operator".into(), role: Role::Operate });
    })
    .await;
    // Without compat the device routes keep the spec's envelope.
    let done = sys.submit(&exec_body(dev, json!({"command": "show clock"}))).await;
    let bad = sys.submit(&exec_body(dev, json!({"command": "show nonsense here"}))).await;
    let queued =
        sys.submit(&exec_body(dev, json!({"command": "show clock", "queue_strategy": "fifo"}))).await;
    sys.wait_ended(&done, WAIT).await;
    sys.wait_ended(&bad, WAIT).await;

    // GET /jobs: a bare list of JobInResponse, newest first.
    let (s, v) = sys.get("/jobs").await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(ids(&v), vec![queued.clone(), bad.clone(), done.clone()]);
    v.as_array().unwrap().iter().for_each(job_shape);
    let (_, v) = sys.get(&format!("/jobs/{done}")).await;
    job_shape(&v);
    assert_eq!(v["status"], "finished");
    assert_eq!(v["result"]["type"], 1);
    assert_eq!(v["result"]["outcome"], "success", "our result type stays");
    assert!(is_iso(&v["started_at"]) && is_iso(&v["ended_at"]) && v["duration"].is_number(), "{v}");
    assert_eq!(v["host"], "127.0.41.1");
    assert_eq!(v["command"], json!(["show clock"]));
    let (_, v) = sys.get(&format!("/jobs/{bad}")).await;
    assert_eq!((v["status"].as_str(), v["result"]["type"].as_u64()), (Some("failed"), Some(2)), "{v}");
    assert_eq!(v["result"]["error"]["type"], "CommandRejected", "our error type stays: {v}");
    let (_, v) = sys.get(&format!("/jobs/{queued}")).await;
    assert_eq!(
        (v["status"].as_str(), &v["result"], &v["queue"]),
        (Some("queued"), &Value::Null, &json!("FifoQ"))
    );

    // Filters.
    let (_, v) = sys.get("/jobs?status=queued").await;
    assert_eq!(ids(&v), vec![queued.clone()]);
    let (_, v) = sys.get("/jobs?status=failed").await;
    assert_eq!(ids(&v), vec![bad.clone()]);
    let (_, v) = sys.get("/jobs?queue=FifoQ").await;
    assert_eq!(ids(&v), vec![queued.clone()]);
    let (_, v) = sys.get("/jobs?host=127.0.41.1&status=finished").await;
    assert_eq!(ids(&v), vec![done.clone()]);
    let node = sys.settings.node.name.clone().unwrap();
    let (_, v) = sys.get(&format!("/jobs?node={node}")).await;
    assert_eq!(ids(&v).len(), 2, "jobs that ran on the node: {v}");
    let (s, v) = sys.get("/jobs?status=done").await;
    assert!(detail(s, &v, 400).contains("queued"), "{v}");
    let (s, v) = sys.get("/jobs?colour=red").await;
    assert!(detail(s, &v, 400).contains("colour"));

    // A missing id is FastAPI's 404.
    let (s, v) = sys.get("/jobs/no-such-job").await;
    assert!(detail(s, &v, 404).contains("no-such-job"));
    let (s, v) = sys.delete("/jobs/no-such-job").await;
    detail(s, &v, 404);

    // Cancelling: a job that ended is a 409 (ours), a queued one is cancelled.
    let (s, v) = sys.delete(&format!("/jobs/{done}")).await;
    assert!(detail(s, &v, 409).contains("finished"));
    let (s, v) = sys.delete(&format!("/jobs/{queued}")).await;
    assert_eq!((s, v), (200, json!({"id": queued, "status": "cancelled"})));
    let (_, v) = sys.get(&format!("/jobs/{queued}")).await;
    assert_eq!((v["status"].as_str(), &v["result"]), (Some("cancelled"), &Value::Null));
    let more: Vec<String> = {
        let mut out = Vec::new();
        for _ in 0..2 {
            out.push(
                sys.submit(&exec_body(dev, json!({"command": "show clock", "queue_strategy": "fifo"}))).await,
            );
        }
        out
    };
    let (s, v) = sys.delete("/jobs?host=127.0.41.2").await;
    assert_eq!((s, v), (200, json!([])));
    let (s, v) = sys.delete("/jobs?queue=FifoQ&host=127.0.41.1").await;
    assert_eq!(s, 200);
    let mut got: Vec<String> = serde_json::from_value(v).unwrap();
    got.sort();
    let mut want = more.clone();
    want.sort();
    assert_eq!(got, want);
    let (s, v) = sys.delete("/jobs").await;
    detail(s, &v, 400);

    // Workers: the pinned worker of the device.
    let (s, v) = sys.get("/workers").await;
    assert_eq!(s, 200, "{v}");
    v.as_array().unwrap().iter().for_each(worker_shape);
    let (_, v) = sys.get("/workers?host=127.0.41.1").await;
    let pinned = v.as_array().unwrap();
    assert_eq!(pinned.len(), 1, "{v}");
    let name = pinned[0]["name"].as_str().unwrap().to_string();
    assert_eq!(pinned[0]["successful_job_count"], 1, "{v}");
    let (_, v) = sys.get(&format!("/workers?node={node}")).await;
    assert_eq!(v.as_array().unwrap().len(), 1, "{v}");
    let (_, v) = sys.get("/workers?queue=FifoQ").await;
    assert_eq!(v, json!([]));

    // System stats.
    let (s, v) = sys.get("/system/stats").await;
    assert_eq!(s, 200, "{v}");
    has_fields(&v, &["status", "workers", "jobs", "nodes", "self_healing", "uptime_seconds"]);
    has_fields(&v["workers"], &["total", "pinned", "fifo", "node", "idle", "busy"]);
    has_fields(&v["jobs"], &["total", "succeeded", "failed", "in_progress", "queued"]);
    has_fields(&v["nodes"], &["active", "total_capacity"]);
    assert_eq!(v["status"], "online");
    assert_eq!((v["workers"]["total"].as_u64(), v["workers"]["pinned"].as_u64()), (Some(1), Some(1)), "{v}");
    assert_eq!((v["jobs"]["succeeded"].as_u64(), v["jobs"]["failed"].as_u64()), (Some(1), Some(1)), "{v}");
    assert_eq!((v["jobs"]["queued"].as_u64(), v["nodes"]["active"].as_u64()), (Some(0), Some(1)), "{v}");
    assert!(v["self_healing"]["total_triggers"].is_u64() && v["uptime_seconds"].is_u64(), "{v}");

    // Roles: reading needs `read`, cancelling `operate`, stopping workers `admin`.
    assert_eq!(sys.request("GET", "/jobs", None, Some("reader")).await.0, 200);
    assert_eq!(sys.request("GET", "/system/stats", None, Some("reader")).await.0, 200);
    assert_eq!(sys.request("DELETE", "/jobs?queue=FifoQ", None, Some("reader")).await.0, 403);
    assert_eq!(sys.request("DELETE", "/jobs?queue=FifoQ", None, Some("operator")).await.0, 200);
    assert_eq!(sys.request("DELETE", &format!("/workers/{name}"), None, Some("operator")).await.0, 403);
    assert_eq!(sys.request("DELETE", "/workers?host=127.0.41.1", None, Some("operator")).await.0, 403);

    // Stopping workers.
    let (s, v) = sys.delete("/workers/no-such-worker").await;
    detail(s, &v, 404);
    let (s, v) = sys.delete("/workers").await;
    detail(s, &v, 400);
    let (s, v) = sys.delete(&format!("/workers/{name}")).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!((v["name"].as_str(), v["status"].as_str()), (Some(name.as_str()), Some("stopped")), "{v}");
    let (s, v) = sys.delete("/workers?host=127.0.41.99").await;
    assert_eq!((s, v), (200, json!([])));

    // The spec's routes keep their envelope beside these.
    let (s, v) = sys.get(&format!("/job?id={done}")).await;
    assert_eq!((s, v["code"].as_i64()), (200, Some(200)));
    let (_, v) = sys.get("/worker").await;
    assert_eq!(v["code"], 200);
    sys.stop().await;
}

// ---- The Postman replay ----

/// Requests of the collection for NetPulse features we do not have: not sent.
/// (what the request uses, why it is skipped)
const SKIPPED: &[(&str, &str)] = &[
    ("/detached-tasks or \"detach\": true", "detached background tasks are not implemented"),
    ("\"credential\" (vault_kv)", "no credentials vault: credentials travel in connection_args"),
    ("\"file_transfer\", multipart uploads, /device/files", "no file transfer or staging storage"),
];

/// Why a request is skipped, if it is.
pub(crate) fn skipped(path: &str, body: Option<&Value>, mode: Option<&str>) -> Option<&'static str> {
    let has = |k: &str| body.is_some_and(|b| b.get(k).is_some_and(|v| !v.is_null() && *v != json!(false)));
    if path.starts_with("/detached-tasks") || has("detach") {
        Some(SKIPPED[0].1)
    } else if has("credential") {
        Some(SKIPPED[1].1)
    } else if has("file_transfer") || mode == Some("formdata") || path.starts_with("/device/files") {
        Some(SKIPPED[2].1)
    } else {
        None
    }
}

/// The collection's JSON bodies carry `//` comments: drop them (outside strings).
pub(crate) fn strip_comments(text: &str) -> String {
    let mut out = String::new();
    for line in text.lines() {
        let (mut in_str, mut esc) = (false, false);
        let mut cut = line.len();
        let b = line.as_bytes();
        for i in 0..b.len() {
            let c = b[i];
            if in_str {
                match (esc, c) {
                    (true, _) => esc = false,
                    (false, b'\\') => esc = true,
                    (false, b'"') => in_str = false,
                    _ => {}
                }
            } else if c == b'"' {
                in_str = true;
            } else if c == b'/' && b.get(i + 1) == Some(&b'/') {
                cut = i;
                break;
            }
        }
        out.push_str(&line[..cut]);
        out.push('\n');
    }
    out
}

/// One request of the collection: (name, method, url, body text, body mode).
pub(crate) type PostmanRequest = (String, String, String, Option<String>, Option<String>);

/// Every request of the collection, depth first.
pub(crate) fn requests(items: &[Value], out: &mut Vec<PostmanRequest>) {
    for it in items {
        if let Some(sub) = it["item"].as_array() {
            requests(sub, out);
            continue;
        }
        let r = &it["request"];
        let url = r["url"]["raw"].as_str().or(r["url"].as_str()).unwrap().to_string();
        let mode = r["body"]["mode"].as_str().map(String::from);
        let raw = r["body"]["raw"].as_str().filter(|s| !s.trim().is_empty()).map(String::from);
        out.push((
            it["name"].as_str().unwrap().to_string(),
            r["method"].as_str().unwrap().to_string(),
            url,
            raw,
            mode,
        ));
    }
}

/// Point every host in `v` at a simulated device (by its Postman name, else the
/// next IOS device in turn) and give it that device's port.
fn rewrite_hosts(v: &mut Value, devices: &HashMap<String, SocketAddr>, ios: &[SocketAddr], turn: &mut usize) {
    match v {
        Value::Object(o) => {
            for key in ["host", "hostname", "proxy_host"] {
                let Some(Value::String(h)) = o.get(key) else { continue };
                let addr = devices.get(h).copied().unwrap_or_else(|| {
                    *turn += 1;
                    ios[*turn % ios.len()]
                });
                o.insert(key.into(), json!(addr.ip().to_string()));
                if key != "proxy_host" {
                    o.insert("port".into(), json!(addr.port()));
                }
            }
            if let Some(Value::String(u)) = o.get("url")
                && u.starts_with("http")
            {
                o.insert("url".into(), json!("http://127.0.0.1:9/webhook"));
            }
            for (_, child) in o.iter_mut() {
                rewrite_hosts(child, devices, ios, turn);
            }
        }
        Value::Array(a) => a.iter_mut().for_each(|c| rewrite_hosts(c, devices, ios, turn)),
        _ => {}
    }
}

/// Every address in a rewritten body is a loopback one.
fn all_loopback(v: &Value) -> bool {
    match v {
        Value::Object(o) => o.iter().all(|(k, c)| {
            let host_key = matches!(k.as_str(), "host" | "hostname" | "proxy_host");
            (!host_key || c.as_str().is_none_or(|h| h.starts_with("127."))) && all_loopback(c)
        }),
        Value::Array(a) => a.iter().all(all_loopback),
        _ => true,
    }
}

/// Check one answer against what NetPulse's models (or, where we differ, ours)
/// say; returns a short label of what was checked.
fn check_answer(method: &str, path: &str, body: Option<&Value>, status: u16, v: &Value) -> &'static str {
    let driver = body.and_then(|b| b["driver"].as_str()).unwrap_or("netmiko");
    let route = path.split('?').next().unwrap();
    // What we refuse in a device request (422, saying so): NetPulse's other
    // drivers, rendering a command. (Webhooks are accepted.)
    let refused = match body {
        _ if matches!(driver, "napalm" | "pyeapi") => Some(driver),
        // NetPulse also renders commands; we render configuration only.
        Some(b) if b.get("rendering").is_some() && b.get("command").is_some() => Some("rendering"),
        _ => None,
    };
    if let (Some(word), "POST", true) = (refused, method, route.starts_with("/device/")) {
        if route == "/device/bulk" {
            // Bulk refuses per device: every one is in `failed`, saying why.
            assert_eq!((status, v["succeeded"].as_array().map(Vec::len)), (201, Some(0)), "{v}");
            let failed = v["failed"].as_array().unwrap();
            assert!(!failed.is_empty(), "{v}");
            assert!(failed.iter().all(|f| f["reason"].as_str().unwrap().contains(word)), "{v}");
            return "201, every device failed (not available)";
        }
        assert!(detail(status, v, 422).contains(word), "{v}");
        return "422 detail (not available)";
    }
    match (method, route) {
        ("GET", "/health") => {
            assert_eq!((status, v["code"].as_i64()), (200, Some(200)), "the spec's shape stays: {v}");
            "health (spec envelope)"
        }
        ("GET", "/jobs") => {
            assert_eq!(status, 200, "{v}");
            v.as_array().unwrap().iter().for_each(job_shape);
            "list of JobInResponse"
        }
        ("GET", r) if r.starts_with("/jobs/") => {
            assert_eq!(status, 200, "{v}");
            job_shape(v);
            "JobInResponse"
        }
        ("DELETE", r) if r.starts_with("/jobs/") => {
            if status == 200 {
                assert!(v["id"].is_string(), "{v}");
            } else {
                detail(status, v, 409);
            }
            "{id} or 409 detail"
        }
        ("DELETE", "/jobs") | ("DELETE", "/workers") => {
            assert_eq!(status, 200, "{v}");
            assert!(v.as_array().unwrap().iter().all(Value::is_string), "{v}");
            "list of names"
        }
        ("GET", "/workers") => {
            assert_eq!(status, 200, "{v}");
            v.as_array().unwrap().iter().for_each(worker_shape);
            "list of WorkerInResponse"
        }
        ("DELETE", r) if r.starts_with("/workers/") => {
            assert_eq!(status, 200, "{v}");
            assert!(v["name"].is_string(), "{v}");
            "{name}"
        }
        ("POST", "/device/exec") => {
            assert_eq!(status, 201, "{v}");
            job_shape(v);
            "201 JobInResponse"
        }
        ("POST", "/device/bulk") => {
            assert_eq!(status, 201, "{v}");
            v["succeeded"].as_array().unwrap().iter().for_each(job_shape);
            for f in v["failed"].as_array().unwrap() {
                assert!(f["host"].is_string() && f["reason"].is_string(), "{v}");
            }
            "201 BatchSubmitJobResponse"
        }
        ("POST", "/device/test") => {
            assert_eq!(status, 200, "{v}");
            has_fields(v, &["success", "latency", "error", "result", "timestamp"]);
            assert!(is_iso(&v["timestamp"]), "{v}");
            assert_eq!(v["success"], true, "the simulated device answers: {v}");
            has_fields(&v["result"], &["driver", "host"]);
            "ConnectionTestResponse"
        }
        ("POST", r) if r.starts_with("/template/") => {
            // Not part of compat mode: the template routes answer the spec's envelope.
            if v["code"] == 200 {
                assert_eq!(status, 200, "{v}");
            } else {
                assert!(matches!(status, 400 | 422), "{status} {v}");
            }
            "template (spec envelope)"
        }
        other => panic!("no check for {other:?}: {status} {v}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postman_collection_replays_in_compat_mode() {
    let fleet = Fleet::start(SimConfig {
        fleet: vec![(Platform::CiscoIos, 3), (Platform::Linux, 1)],
        listen: "127.0.42.1".parse().unwrap(),
        port: 0,
        corpus: netpulse_e2e::corpus(),
        ..SimConfig::default()
    })
    .await
    .expect("simulator starts");
    let addrs: Vec<SocketAddr> = fleet.devices().iter().map(|d| d.addr()).collect();
    let devices: HashMap<String, SocketAddr> = [
        ("127.0.42.1", addrs[0]),
        ("127.0.42.2", addrs[1]),
        ("127.0.42.3", addrs[2]),
        ("127.0.42.4", addrs[3]),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    // The template files the collection names, written here (ours, not NetPulse's).
    let templates = netpulse_e2e::temp_dir("postman-templates");
    let any_line = "Value LINE (.+)\n\nStart\n  ^${LINE} -> Record\n";
    std::fs::write(
        templates.join("index"),
        "Template, Hostname, Platform, Command\n\n\
         cisco_ios_show_ip_interface_brief.textfsm, .*, cisco_ios, sh[[ow]] ip int[[erface]] br[[ief]]\n",
    )
    .unwrap();
    for name in [
        "cisco_ios_show_ip_interface_brief.textfsm",
        "health_check_template.textfsm",
        "security_audit_template.textfsm",
    ] {
        std::fs::write(templates.join(name), any_line).unwrap();
    }
    let sys = TestSystem::start_with(|s| {
        s.compat = Some(Compat::NetPulse04);
        s.templates_dir = Some(templates.clone());
    })
    .await;

    // A job for `{{job_id}}`, submitted the NetPulse way (compat: a bare JobInResponse).
    let dev = &fleet.devices()[0];
    let (s, job) = sys.post("/device/exec", &exec_body(dev, json!({"command": "show clock"}))).await;
    assert_eq!(s, 201, "{job}");
    job_shape(&job);
    assert_eq!(job["status"], "queued");
    let job_id = job["id"].as_str().unwrap().to_string();
    // Compat leaves /job, /worker and /health in the spec's shapes.
    let done = sys.wait_ended(&job_id, WAIT).await;
    assert_eq!(done["status"], "finished", "{done}");
    let (_, workers) = sys.get("/worker").await;
    let fifo_worker = workers["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["queues"] == json!(["FifoQ"]))
        .expect("a FIFO worker")["name"]
        .as_str()
        .unwrap()
        .to_string();
    // A compat error is a flat detail too.
    let (s, v) = sys.post("/device/exec", &json!({"driver": "netmiko"})).await;
    detail(s, &v, 422);

    let text = include_str!("../../fixtures/netpulse-0.4.3/NetPulse.postman_collection.json");
    let collection: Value = serde_json::from_str(text).unwrap();
    let mut all = Vec::new();
    requests(collection["item"].as_array().unwrap(), &mut all);
    let vars: Vec<(&str, String)> = vec![
        ("{{base_url}}", String::new()),
        ("{{device_host}}", "127.0.42.1".into()),
        ("{{device_host_2}}", "127.0.42.2".into()),
        ("{{device_host_3}}", "127.0.42.3".into()),
        ("{{server_host}}", "127.0.42.4".into()),
        ("{{proxy_host}}", "127.0.42.4".into()),
        ("{{device_type}}", "cisco_ios".into()),
        ("{{device_username}}", "admin".into()),
        ("{{device_password}}", "admin".into()),
        ("{{enable_password}}", "enable".into()),
        ("{{server_username}}", "admin".into()),
        ("{{server_password}}", "admin".into()),
        ("{{job_id}}", job_id.clone()),
        ("{{worker_name}}", fifo_worker.clone()),
    ];
    let fill = |s: &str| vars.iter().fold(s.to_string(), |acc, (k, v)| acc.replace(k, v));

    // Stopping workers last, so the requests before them still find workers.
    all.sort_by_key(|(_, m, u, _, _)| m == "DELETE" && fill(u).starts_with("/workers"));
    let (mut sent, mut skips, mut turn) = (0, Vec::new(), 0);
    for (name, method, url, raw, mode) in &all {
        let path = fill(url);
        let path = if path.starts_with('/') { path } else { format!("/{path}") };
        let mut body: Option<Value> = raw.as_ref().map(|r| {
            serde_json::from_str(&strip_comments(&fill(r)))
                .unwrap_or_else(|e| panic!("{name}: body is not JSON once comments are dropped: {e}"))
        });
        if let Some(why) = skipped(&path, body.as_ref(), mode.as_deref()) {
            skips.push(format!("{method} {path} ({name}): {why}"));
            continue;
        }
        if let Some(b) = body.as_mut() {
            rewrite_hosts(b, &devices, &addrs[..3], &mut turn);
            assert!(all_loopback(b), "{name}: {b}");
        }
        let text = body.as_ref().map(|b| b.to_string());
        let (status, v) = sys.request(method, &path, text.as_deref(), Some(API_KEY)).await;
        let what = check_answer(method, &path, body.as_ref(), status, &v);
        eprintln!("replayed {method} {path} ({name}): {status} {what}");
        sent += 1;
    }
    for s in &skips {
        eprintln!("skipped {s}");
    }
    assert_eq!(sent + skips.len(), all.len());
    assert!(sent >= 60, "only {sent} of {} requests replayed", all.len());
    sys.stop().await;
}
