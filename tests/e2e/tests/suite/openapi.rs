//! `GET /openapi.json` and `GET /docs`: the document is OpenAPI 3.1, passes
//! openapi-spec-validator, documents every route the router serves (and only
//! those), and the spec's, the README's and NetPulse's Postman example requests
//! validate against it (`openapi_check.py`); the docs page loads nothing from
//! outside the server and, in headless Chromium, lists the routes. Without
//! `python3 -m pip install openapi-spec-validator` or `/usr/bin/chromium` those
//! parts say they skipped.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use netpulse_e2e::{API_KEY, TestSystem, temp_dir};
use serde_json::{Value, json};

use super::netpulse_routes::{requests, skipped, strip_comments};

/// Every route the router serves (`host/src/api/routes/mod.rs`), in OpenAPI's
/// path syntax.
const ROUTES: &[(&str, &str)] = &[
    ("post", "/device/exec"),
    ("post", "/device/bulk"),
    ("post", "/device/test"),
    ("get", "/job"),
    ("delete", "/job"),
    ("get", "/worker"),
    ("delete", "/worker"),
    ("get", "/health"),
    ("get", "/jobs"),
    ("delete", "/jobs"),
    ("get", "/jobs/{id}"),
    ("delete", "/jobs/{id}"),
    ("get", "/workers"),
    ("delete", "/workers"),
    ("delete", "/workers/{name}"),
    ("get", "/system/stats"),
    ("get", "/metrics"),
    ("delete", "/hostkey"),
    ("post", "/template/parse"),
    ("post", "/template/parse/{name}"),
    ("post", "/template/render"),
    ("post", "/template/render/{name}"),
    ("get", "/openapi.json"),
    ("get", "/docs"),
    ("get", "/docs/assets/{file}"),
];

const METHODS: &[&str] = &["get", "put", "post", "delete", "options", "head", "patch", "trace"];

/// A request: method, path, query pairs.
type Query = (&'static str, &'static str, &'static [(&'static str, &'static str)]);

/// The spec's request examples (shared/spec/job-management-api.md: its curl lines
/// and Python examples), as (method, path, query).
const SPEC_QUERIES: &[Query] = &[
    ("GET", "/job", &[("id", "job_123456")]),
    ("GET", "/job", &[("queue", "pinned_192.168.1.1")]),
    ("GET", "/job", &[("status", "finished")]),
    ("GET", "/job", &[("host", "192.168.1.1")]),
    ("DELETE", "/job", &[("id", "job_123456")]),
    ("DELETE", "/job", &[("queue", "pinned_192.168.1.1")]),
    ("DELETE", "/job", &[("host", "192.168.1.1")]),
    ("GET", "/worker", &[]),
    ("GET", "/worker", &[("queue", "FifoQ")]),
    ("GET", "/worker", &[("host", "192.168.1.1")]),
    ("DELETE", "/worker", &[("name", "worker_001")]),
    ("DELETE", "/worker", &[("queue", "FifoQ")]),
    ("DELETE", "/worker", &[("host", "192.168.1.1")]),
    ("GET", "/health", &[]),
];

/// The README's `/device/exec` example.
fn readme_body() -> Value {
    json!({"connection_args":{"device_type":"cisco_ios","host":"127.0.1.1","port":2222,"username":"admin","password":"admin","secret":"enable"},"command":"show version"})
}

/// The outside examples `openapi_check.py` validates against the document.
fn outside_examples() -> Vec<Value> {
    let mut out: Vec<Value> = SPEC_QUERIES
        .iter()
        .map(|(method, path, query)| {
            let query: serde_json::Map<String, Value> =
                query.iter().map(|(k, v)| (k.to_string(), json!(v))).collect();
            json!({"source": "job-management-api.md", "method": method, "path": path, "query": query})
        })
        .collect();
    out.push(json!({"source": "README", "method": "POST", "path": "/device/exec", "body": readme_body()}));
    // NetPulse's Postman collection: the JSON bodies of the routes we serve, but
    // for the features we refuse (its netpulse_routes replay says which).
    let text = include_str!("../../fixtures/netpulse-0.4.3/NetPulse.postman_collection.json");
    let collection: Value = serde_json::from_str(text).unwrap();
    let mut all = Vec::new();
    requests(collection["item"].as_array().unwrap(), &mut all);
    for (name, method, url, raw, mode) in all {
        let path = url.replace("{{base_url}}", "");
        let path = path.split('?').next().unwrap().to_string();
        let Some(raw) = raw else { continue };
        let Ok(body) = serde_json::from_str::<Value>(&strip_comments(&raw)) else { continue };
        let refused = matches!(body["driver"].as_str(), Some("napalm" | "pyeapi"));
        if refused || skipped(&path, Some(&body), mode.as_deref()).is_some() {
            continue;
        }
        if ROUTES.iter().any(|(m, p)| m.eq_ignore_ascii_case(&method) && *p == path) {
            out.push(
                json!({"source": format!("Postman: {name}"), "method": method, "path": path, "body": body}),
            );
        }
    }
    out
}

/// Whether `python3` has openapi-spec-validator (and jsonschema).
fn has_validator() -> bool {
    Command::new("python3")
        .args(["-c", "import openapi_spec_validator, jsonschema"])
        .output()
        .is_ok_and(|o| o.status.success())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openapi_document_covers_every_route_and_the_examples_validate() {
    let sys = TestSystem::start().await;
    // No key needed.
    let (status, doc) = sys.request("GET", "/openapi.json", None, None).await;
    assert_eq!(status, 200, "{doc}");
    let version = doc["openapi"].as_str().unwrap_or("");
    assert!(version.starts_with("3.1"), "openapi is {version:?}");

    // Every route, and only those.
    let mut documented = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            if METHODS.contains(&method.as_str()) {
                documented.insert((method.clone(), path.clone()));
                assert!(op["responses"].as_object().is_some_and(|r| !r.is_empty()), "{method} {path}");
            }
        }
    }
    let expected: BTreeSet<(String, String)> =
        ROUTES.iter().map(|(m, p)| (m.to_string(), p.to_string())).collect();
    assert_eq!(documented, expected, "documented routes differ from the router's");

    // Each documented operation is served (not the router's 404 or 405).
    for (method, path) in &documented {
        let concrete = path
            .replace("/template/parse/{name}", "/template/parse/textfsm")
            .replace("/template/render/{name}", "/template/render/jinja2")
            .replace("{id}", "no-such-job")
            .replace("{name}", "no-node/no-such-worker")
            .replace("{file}", "init.js");
        let (status, v) = sys.request(&method.to_uppercase(), &concrete, None, Some(API_KEY)).await;
        let msg = v["message"].as_str().unwrap_or("");
        assert!(
            status != 405 && !(status == 404 && msg.starts_with("no such endpoint")),
            "{method} {concrete}: {status} {v}"
        );
    }

    // Request bodies are documented with a schema and examples; errors with the envelope.
    let schemas = &doc["components"]["schemas"];
    for name in ["Error", "NetPulseError", "RawExecRequest", "BulkRequest", "JobRecord", "WorkerInfo"] {
        assert!(schemas[name].is_object(), "no schema {name}");
    }
    assert_eq!(
        doc["components"]["securitySchemes"]["api_key"],
        json!({"type": "apiKey", "in": "header", "name": "X-API-KEY", "description": doc["components"]["securitySchemes"]["api_key"]["description"]})
    );
    for (method, path) in ROUTES.iter().filter(|(m, _)| *m == "post") {
        let body = &doc["paths"][path][method]["requestBody"]["content"]["application/json"];
        assert!(body["schema"].is_object(), "{method} {path}: no request schema");
        let responses = doc["paths"][path][method]["responses"].as_object().unwrap();
        assert!(
            responses.iter().any(|(s, r)| s.starts_with('4')
                && r["content"]["application/json"]["schema"]["$ref"] == "#/components/schemas/Error"),
            "{method} {path}: no error envelope"
        );
    }
    assert_eq!(
        doc["paths"]["/device/exec"]["post"]["requestBody"]["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/RawExecRequest"
    );

    // The standard validator and the examples.
    if !has_validator() {
        eprintln!(
            "SKIPPED: the OpenAPI validator part (python3 -m pip install openapi-spec-validator); the structure above was checked"
        );
    } else {
        let dir = temp_dir("openapi");
        let (doc_path, examples_path) = (dir.join("openapi.json"), dir.join("examples.json"));
        std::fs::write(&doc_path, serde_json::to_vec_pretty(&doc).unwrap()).unwrap();
        let examples = outside_examples();
        assert!(
            examples.iter().filter(|e| e["source"].as_str().unwrap().starts_with("Postman")).count() > 20
        );
        std::fs::write(&examples_path, serde_json::to_vec_pretty(&examples).unwrap()).unwrap();
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("openapi_check.py");
        let out = Command::new("python3").arg(&script).arg(&doc_path).arg(&examples_path).output().unwrap();
        let text =
            format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        eprintln!("{text}");
        assert!(out.status.success(), "openapi_check.py failed:\n{text}");
        let _ = std::fs::remove_dir_all(&dir);
    }
    sys.stop().await;
}

/// Route paths the page must show once Redoc has rendered the document.
const SHOWN: &[&str] = &["/device/exec", "/device/bulk", "/job", "/worker", "/health", "/template/parse"];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn docs_page_loads_nothing_from_outside_and_lists_the_routes() {
    let sys = TestSystem::start().await;
    let (status, page) = sys.request("GET", "/docs", None, None).await;
    assert_eq!(status, 200, "{page}");
    let html = page["raw"].as_str().expect("an HTML page").to_string();
    // Nothing from outside: every URL the page references is this server's.
    let lower = html.to_ascii_lowercase();
    assert!(!lower.contains("http://") && !lower.contains("https://") && !lower.contains("//cdn"), "{html}");
    for attr in ["src=\"", "href=\""] {
        for part in lower.split(attr).skip(1) {
            assert!(part.starts_with('/') && !part.starts_with("//"), "{attr}{part}");
        }
    }
    // The routes come from the document, not from the page.
    for route in SHOWN {
        assert!(!html.contains(route), "the page itself names {route}");
    }
    // The assets it loads are served, without a key.
    for src in ["/docs/assets/redoc.standalone.js", "/docs/assets/init.js"] {
        assert!(html.contains(src), "{src}");
        let (status, v) = sys.request("GET", src, None, None).await;
        assert_eq!(status, 200, "{src}: {v}");
        assert!(v["raw"].as_str().is_some_and(|s| s.len() > 100), "{src}");
    }
    let (status, _) = sys.request("GET", "/docs/assets/nothing.js", None, None).await;
    assert_eq!(status, 404);
    // Other routes still want the key.
    assert_eq!(sys.request("GET", "/job", None, None).await.0, 403);

    let chromium = Path::new("/usr/bin/chromium");
    if !chromium.exists() {
        eprintln!("SKIPPED: the browser part (no /usr/bin/chromium; apt-get install chromium)");
        sys.stop().await;
        return;
    }
    let profile = temp_dir("chromium");
    let url = format!("http://{}/docs", sys.addr);
    let profile_arg = format!("--user-data-dir={}", profile.display());
    let out = tokio::process::Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            &profile_arg,
            "--virtual-time-budget=10000",
            "--dump-dom",
            &url,
        ])
        .kill_on_drop(true)
        .output();
    let out = tokio::time::timeout(std::time::Duration::from_secs(120), out)
        .await
        .expect("chromium finishes within 2 minutes")
        .expect("chromium runs");
    let dom = String::from_utf8_lossy(&out.stdout).to_string();
    let _ = std::fs::remove_dir_all(&profile);
    let missing: Vec<&&str> = SHOWN.iter().filter(|r| !dom.contains(*r)).collect();
    assert!(
        missing.is_empty(),
        "the rendered page lacks {missing:?}; DOM ({} bytes): {}\nstderr: {}",
        dom.len(),
        &dom[..dom.len().min(2000)],
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(dom.contains("NetPulse-rs"), "the title is not rendered");
    sys.stop().await;
}
