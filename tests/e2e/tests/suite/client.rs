//! The shell client (`netpulse exec`, `bulk`, `jobs`, `workers`, `cancel`) run as a
//! separate process against a real server and simulated devices: what its user
//! sees on stdout, stderr, in the results folder and in the exit code.

use std::path::Path;
use std::process::Stdio;

use netpulse_e2e::{API_KEY, TestSystem, free_port, ios_fleet, temp_dir};
use serde_json::Value;

/// What one run of the client gave.
struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl std::fmt::Display for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "exit {}\n--- stdout\n{}\n--- stderr\n{}", self.code, self.stdout, self.stderr)
    }
}

/// Run the client with `args`, the server's URL and key in its environment, the
/// device password in `NETPULSE_DEVICE_PASSWORD`, and no terminal.
async fn netpulse(url: &str, password: Option<&str>, args: &[&str]) -> Run {
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_netpulse-e2e-cli"));
    cmd.args(args)
        .env("NETPULSE_URL", url)
        .env("NETPULSE_API_KEY", API_KEY)
        .env_remove("NETPULSE_DEVICE_USERNAME")
        .env_remove("NETPULSE_DEVICE_SECRET")
        .env_remove("NETPULSE_DEVICE_PASSWORD")
        .stdin(Stdio::null());
    if let Some(p) = password {
        cmd.env("NETPULSE_DEVICE_PASSWORD", p);
    }
    let out = cmd.output().await.expect("the netpulse binary runs");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn url(sys: &TestSystem) -> String {
    format!("http://{}", sys.addr)
}

/// The device name `show version` gives on its uptime line.
fn uptime_host(dev: &netpulse_sim::Device) -> String {
    let version = dev.canned_output("show version").unwrap();
    let line = version.lines().find(|l| l.contains(" uptime is ")).expect("an uptime line");
    line.split_once(" uptime is ").unwrap().0.trim().to_string()
}

/// Line endings normalised, no trailing blank.
fn norm(s: &str) -> String {
    s.replace("\r\n", "\n").trim_end().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exec_jobs_workers_and_cancel() {
    let fleet = ios_fleet(2, |c| c.listen = "127.0.8.1".parse().unwrap()).await;
    let (dev, other) = (&fleet.devices()[0], &fleet.devices()[1]);
    // A templates index for `--parse`.
    let templates = temp_dir("client-templates");
    std::fs::write(
        templates.join("index"),
        "Template, Hostname, Platform, Command\n\ncisco_ios_show_version.textfsm, .*, cisco_ios, sh[[ow]] ver[[sion]]\n",
    )
    .unwrap();
    let version_template = "Value HOSTNAME (\\S+)\n\nStart\n  ^${HOSTNAME}\\s+uptime\\s+is -> Record\n";
    std::fs::write(templates.join("cisco_ios_show_version.textfsm"), version_template).unwrap();
    // No FIFO workers: a FIFO job stays queued until it is cancelled.
    let sys = TestSystem::start_with(|s| {
        s.node.fifo_workers = 0;
        s.templates_dir = Some(templates.clone());
    })
    .await;
    let url = url(&sys);
    let port = dev.addr().port().to_string();
    let device =
        ["exec", "--device-type", "cisco_ios", "--host", "127.0.8.1", "--port", &port, "-u", "admin"];

    // The device's output on stdout, exit 0.
    let args = [&device[..], &["--secret", "enable", "show version"]].concat();
    let run = netpulse(&url, Some("admin"), &args).await;
    assert_eq!(run.code, 0, "{run}");
    assert_eq!(norm(&run.stdout), norm(&dev.canned_output("show version").unwrap()), "{run}");

    // Several commands: one section each, in order.
    let args = [&device[..], &["show clock", "show version"]].concat();
    let run = netpulse(&url, Some("admin"), &args).await;
    assert_eq!(run.code, 0, "{run}");
    let (clock, version) =
        (run.stdout.find("==> show clock <==").unwrap(), run.stdout.find("==> show version <=="));
    assert!(clock < version.expect("a section per command"), "{run}");

    // --parse: the records as JSON, parsed through the templates index.
    let args = [&device[..], &["--parse", "show version"]].concat();
    let run = netpulse(&url, Some("admin"), &args).await;
    assert_eq!(run.code, 0, "{run}");
    let records: Value = serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {run}"));
    assert_eq!(records, serde_json::json!([{"hostname": uptime_host(dev)}]), "{run}");
    // --template: a local TextFSM file, its records keyed as it names them.
    let file = templates.join("mine.textfsm");
    std::fs::write(&file, "Value HOST (\\S+)\n\nStart\n  ^${HOST}\\s+uptime -> Record\n").unwrap();
    let args = [&device[..], &["--template", file.to_str().unwrap(), "show version"]].concat();
    let run = netpulse(&url, Some("admin"), &args).await;
    assert_eq!(run.code, 0, "{run}");
    let records: Value = serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {run}"));
    assert_eq!(records, serde_json::json!([{"HOST": uptime_host(dev)}]), "{run}");

    // A wrong password: exit 1, the error type on stderr.
    let other_port = other.addr().port().to_string();
    let wrong = ["exec", "--device-type", "cisco_ios", "--host", "127.0.8.2", "--port", &other_port];
    let run = netpulse(&url, Some("wrong"), &[&wrong[..], &["-u", "admin", "show clock"]].concat()).await;
    assert_eq!(run.code, 1, "{run}");
    assert!(run.stderr.contains("AuthenticationError"), "{run}");
    assert!(run.stdout.is_empty(), "{run}");

    // jobs: every job above, with its host and status; filters reach the server.
    let run = netpulse(&url, None, &["jobs"]).await;
    assert_eq!(run.code, 0, "{run}");
    assert!(run.stdout.starts_with("ID "), "{run}");
    assert_eq!(run.stdout.lines().filter(|l| l.contains(" finished ")).count(), 4, "{run}");
    let failed: Vec<&str> = run.stdout.lines().filter(|l| l.contains(" failed ")).collect();
    assert_eq!(failed.len(), 1, "{run}");
    assert!(failed[0].contains("127.0.8.2") && failed[0].contains("AuthenticationError"), "{run}");
    let run = netpulse(&url, None, &["jobs", "--status", "failed", "--json"]).await;
    let jobs: Value = serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {run}"));
    assert_eq!(jobs.as_array().map(Vec::len), Some(1), "{run}");
    let run = netpulse(&url, None, &["jobs", "--id", jobs[0]["id"].as_str().unwrap()]).await;
    assert_eq!(run.code, 0, "{run}");
    assert_eq!(run.stdout.lines().count(), 2, "{run}");

    // workers: the device's pinned worker, with the jobs it ran (the worker that
    // could not log in has stopped).
    let run = netpulse(&url, None, &["workers"]).await;
    assert_eq!(run.code, 0, "{run}");
    assert!(run.stdout.starts_with("NAME "), "{run}");
    let row =
        run.stdout.lines().find(|l| l.contains(&format!("pinned_127.0.8.1:{port}"))).unwrap_or_default();
    assert!(row.contains(" idle ") && row.contains(" 4 "), "{run}");

    // cancel: a queued job is cancelled; an unknown id exits 1 and says so.
    let queued = sys
        .submit(&netpulse_e2e::exec_body(
            dev,
            serde_json::json!({"command": "show clock", "queue_strategy": "fifo"}),
        ))
        .await;
    let run = netpulse(&url, None, &["cancel", &queued]).await;
    assert_eq!(run.code, 0, "{run}");
    assert_eq!(run.stdout.trim(), format!("cancelled {queued}"), "{run}");
    assert_eq!(sys.job(&queued).await["status"], "cancelled");
    let run = netpulse(&url, None, &["cancel", "no-such-job"]).await;
    assert_eq!(run.code, 1, "{run}");
    assert!(run.stderr.contains("no-such-job") && run.stderr.contains("404"), "{run}");
    sys.stop().await;
    let _ = std::fs::remove_dir_all(&templates);
}

/// A NetPulse CLI device list: `rows` are (Selected, Name, IP, Port, Password).
fn device_csv(dir: &Path, rows: &[(&str, &str, &str, u16, &str)]) -> std::path::PathBuf {
    let mut text =
        String::from("Selected,Name,Site,Location,Rack,Vendor,Model,IP,Port,Username,Password,Keepalive\n");
    for (selected, name, ip, port, password) in rows {
        text.push_str(&format!("{selected},{name},Lab,Here,R1,Cisco,Sim,{ip},{port},admin,{password},180\n"));
    }
    let path = dir.join("devices.csv");
    std::fs::write(&path, text).unwrap();
    path
}

/// The one results file in `dir`, and its text.
fn results(dir: &Path) -> String {
    let files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.file_name().unwrap().to_string_lossy().starts_with("result_"))
        .collect();
    assert_eq!(files.len(), 1, "one results file in {}: {files:?}", dir.display());
    assert_eq!(files[0].extension().unwrap(), "csv");
    std::fs::read_to_string(&files[0]).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bulk_writes_a_result_per_device() {
    let fleet = ios_fleet(3, |c| c.listen = "127.0.8.11".parse().unwrap()).await;
    let d = fleet.devices();
    let sys = TestSystem::start().await;
    let dir = temp_dir("client-bulk");
    let out = dir.join("out");
    // The last device's password comes from the environment; the unselected row is never tried.
    let csv = device_csv(
        &dir,
        &[
            ("True", "r1", "127.0.8.11", d[0].addr().port(), "admin"),
            ("True", "r2", "127.0.8.12", d[1].addr().port(), "admin"),
            ("False", "off", "127.0.8.99", free_port(), "admin"),
            ("True", "r3", "127.0.8.13", d[2].addr().port(), ""),
        ],
    );
    let args = [
        "bulk",
        "--devices",
        csv.to_str().unwrap(),
        "--command",
        "show version",
        "-o",
        out.to_str().unwrap(),
    ];
    let run = netpulse(&url(&sys), Some("admin"), &args).await;
    assert_eq!(run.code, 0, "{run}");
    assert!(run.stdout.contains("3 devices: 3 succeeded, 0 failed"), "{run}");
    let text = results(&out);
    assert!(text.starts_with("IP,Port,Name,Vendor,Payload,Status,Job ID,Result,Error,Start Time,End Time\n"));
    for (i, dev) in d.iter().enumerate() {
        let row = format!("127.0.8.1{},{},r{},Cisco,show version,finished,", i + 1, dev.addr().port(), i + 1);
        assert!(text.contains(&row), "{row} in {text}");
        assert!(text.contains(&uptime_host(dev)), "{text}");
    }
    assert!(!text.contains("127.0.8.99"), "{text}");
    sys.stop().await;
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bulk_reports_an_unreachable_device() {
    let fleet = ios_fleet(2, |c| c.listen = "127.0.8.21".parse().unwrap()).await;
    let d = fleet.devices();
    let sys = TestSystem::start().await;
    let dir = temp_dir("client-bulk-fail");
    let closed = free_port();
    let csv = device_csv(
        &dir,
        &[
            ("True", "r1", "127.0.8.21", d[0].addr().port(), "admin"),
            ("True", "gone", "127.0.0.1", closed, "admin"),
            ("True", "r2", "127.0.8.22", d[1].addr().port(), "admin"),
        ],
    );
    let args =
        ["bulk", "--devices", csv.to_str().unwrap(), "--command", "show clock", "-o", dir.to_str().unwrap()];
    let run = netpulse(&url(&sys), None, &args).await;
    assert_eq!(run.code, 1, "{run}");
    assert!(run.stdout.contains("3 devices: 2 succeeded, 1 failed"), "{run}");
    let line = run.stdout.lines().find(|l| l.contains(&format!("127.0.0.1:{closed}"))).unwrap_or_default();
    assert!(line.contains("(gone)") && line.contains("ConnectionError"), "{run}");
    let text = results(&dir);
    assert!(text.contains(&format!("127.0.0.1,{closed},gone,Cisco,show clock,failed,")), "{text}");
    assert!(text.contains("ConnectionError"), "{text}");
    assert_eq!(text.matches(",finished,").count(), 2, "{text}");

    // A list that cannot be read: exit 2, nothing sent, the file and line named.
    let missing = dir.join("nope.csv");
    let run =
        netpulse(&url(&sys), None, &["bulk", "--devices", missing.to_str().unwrap(), "--command", "x"]).await;
    assert_eq!(run.code, 2, "{run}");
    assert!(run.stderr.contains("nope.csv"), "{run}");
    let bad = dir.join("bad.csv");
    std::fs::write(&bad, "Selected,Vendor,IP,Port\nTrue,Cisco,127.0.8.21,22\nTrue,Cisco,127.0.8.22,ssh\n")
        .unwrap();
    let run =
        netpulse(&url(&sys), None, &["bulk", "--devices", bad.to_str().unwrap(), "--command", "x"]).await;
    assert_eq!(run.code, 2, "{run}");
    assert!(run.stderr.contains("bad.csv line 3") && run.stderr.contains("Port \"ssh\""), "{run}");
    sys.stop().await;
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_problems_read_clearly() {
    // Nothing listens: the message names the URL.
    let nowhere = format!("http://127.0.0.1:{}", free_port());
    let run = netpulse(&nowhere, None, &["workers"]).await;
    assert_eq!(run.code, 1, "{run}");
    assert!(run.stderr.contains("cannot connect") && run.stderr.contains(&nowhere), "{run}");

    // A wrong key: the server's refusal and what to check.
    let sys = TestSystem::start().await;
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_netpulse-e2e-cli"));
    cmd.args(["jobs", "--api-key", "wrong-key", "--url", &url(&sys)]).env_remove("NETPULSE_API_KEY");
    let out = cmd.stdin(Stdio::null()).output().await.unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("HTTP 40") && stderr.contains("NETPULSE_API_KEY"), "{stderr}");
    sys.stop().await;
}
