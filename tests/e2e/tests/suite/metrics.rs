//! `GET /metrics` (#18 part 4): the figures a Prometheus server scrapes, after
//! real jobs, and checked by `promtool check metrics` where it is installed.

use std::time::{Duration, Instant};

use netpulse_e2e::{TestSystem, exec_body, free_port, ios_fleet};
use serde_json::json;

const WAIT: Duration = Duration::from_secs(30);

/// The value of the sample `name{labels}` (labels as written, in order).
fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines().find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.split(' ').next()?.parse().ok())
}

async fn scrape(sys: &TestSystem, key: Option<&str>) -> (u16, String) {
    let (status, v) = sys.request("GET", "/metrics", None, key).await;
    (status, v["raw"].as_str().map(str::to_string).unwrap_or_else(|| v.to_string()))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_count_what_the_fleet_did() {
    let fleet = ios_fleet(1, |_| {}).await;
    let dev = &fleet.devices()[0];
    let sys = TestSystem::start().await;

    let (status, _) = scrape(&sys, None).await;
    assert_eq!(status, 403, "a key is needed unless metrics_public is set");

    let ok = sys.submit(&exec_body(dev, json!({"command": "show version"}))).await;
    assert_eq!(sys.wait_ended(&ok, WAIT).await["status"], "finished");
    let refused = json!({
        "driver": "netmiko",
        "connection_args": {"device_type": "cisco_ios", "host": "127.0.0.1", "port": free_port(),
                            "username": "u", "password": "p"},
        "command": "show version",
        "queue_strategy": "fifo",
    });
    let bad = sys.submit(&refused).await;
    assert_eq!(sys.wait_ended(&bad, WAIT).await["status"], "failed");

    // Per-node figures arrive with the next heartbeat.
    let node = sys.settings.node_name();
    let plugin = format!("netpulse_plugin_call_seconds_count{{node=\"{node}\",plugin=\"cisco_ios\"}}");
    let start = Instant::now();
    let text = loop {
        let (status, text) = scrape(&sys, Some(netpulse_e2e::API_KEY)).await;
        assert_eq!(status, 200, "{text}");
        if sample(&text, &plugin).is_some_and(|n| n >= 1.0) {
            break text;
        }
        assert!(start.elapsed() < WAIT, "no plugin call figures for {node}:\n{text}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(sample(&text, "netpulse_jobs_submitted_total"), Some(2.0), "{text}");
    assert_eq!(
        sample(&text, "netpulse_jobs_ended_total{status=\"finished\",error_type=\"\"}"),
        Some(1.0),
        "{text}"
    );
    assert_eq!(
        sample(&text, "netpulse_jobs_ended_total{status=\"failed\",error_type=\"ConnectionError\"}"),
        Some(1.0),
        "{text}"
    );
    assert_eq!(sample(&text, "netpulse_job_run_seconds_count"), Some(2.0), "{text}");
    assert_eq!(sample(&text, "netpulse_job_queue_seconds_count"), Some(2.0), "{text}");
    assert_eq!(sample(&text, "netpulse_job_run_seconds_bucket{le=\"+Inf\"}"), Some(2.0), "{text}");
    assert_eq!(sample(&text, "netpulse_queue_depth{kind=\"fifo\"}"), Some(0.0), "{text}");
    assert_eq!(sample(&text, &format!("netpulse_pinned_sessions{{node=\"{node}\"}}")), Some(1.0), "{text}");
    // Process figures: other tests in this process are counted too.
    assert!(
        sample(
            &text,
            &format!("netpulse_api_requests_total{{node=\"{node}\",route=\"/device/exec\",status=\"201\"}}")
        )
        .is_some_and(|n| n >= 2.0),
        "{text}"
    );
    assert!(
        sample(
            &text,
            &format!("netpulse_api_requests_total{{node=\"{node}\",route=\"other\",status=\"403\"}}")
        )
        .is_some(),
        "a refused request is counted: {text}"
    );
    // Where the jobs' time went, stage by stage (process figures too): both jobs
    // were submitted, claimed and finished; only the first opened a session and
    // talked to its device.
    for (stage, at_least) in [
        ("submit", 2.0),
        ("submit_script", 2.0),
        ("claim", 2.0),
        ("session", 1.0),
        ("driver", 1.0),
        ("device", 1.0),
        ("finish", 2.0),
    ] {
        let series = format!("netpulse_job_stage_seconds_count{{node=\"{node}\",stage=\"{stage}\"}}");
        assert!(sample(&text, &series).is_some_and(|n| n >= at_least), "{series} < {at_least}:\n{text}");
    }
    assert!(text.contains(&format!("netpulse_redis_errors_total{{node=\"{node}\"}}")), "{text}");
    assert!(text.contains("# TYPE netpulse_webhook_deliveries_total counter"), "{text}");

    // A standard checker accepts it.
    match std::process::Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
    {
        Ok(mut child) => {
            use std::io::Write;
            child.stdin.take().unwrap().write_all(text.as_bytes()).unwrap();
            let out = child.wait_with_output().unwrap();
            let said =
                format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
            assert!(out.status.success(), "promtool check metrics failed:\n{said}\n{text}");
        }
        Err(e) => {
            eprintln!("SKIPPED: promtool is not installed ({e}); the metrics format was not checked by it")
        }
    }
    sys.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn public_metrics_need_no_key() {
    let sys = TestSystem::start_with(|s| s.metrics_public = true).await;
    let (status, text) = scrape(&sys, None).await;
    assert_eq!(status, 200, "{text}");
    assert!(text.contains("netpulse_jobs_submitted_total 0"), "{text}");
    let (status, _) = sys.request("GET", "/job", None, None).await;
    assert_eq!(status, 403, "only /metrics is public");
    sys.stop().await;
}
