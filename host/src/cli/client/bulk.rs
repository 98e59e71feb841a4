//! `netpulse bulk`: the same commands (or configuration) on every device of a CSV
//! file through `POST /device/bulk`. It follows the jobs with a progress bar,
//! writes one row per device to `result_<timestamp>.csv` in the output folder
//! (the columns NetPulse's CLI writes, plus the port), prints a summary and exits
//! non-zero when any device failed.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Args;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde_json::{Map, Value, json};

use super::devices::{self, Choice, Device};
use super::{Api, ClientError, POLL_EVERY, ServerArgs, device_password};

/// Devices per `POST /device/bulk` (the server takes up to 10 000).
const BATCH: usize = 1000;
/// Job records read at once while following the jobs.
const READS_AT_ONCE: usize = 16;

#[derive(Args, Debug)]
pub struct BulkArgs {
    #[command(flatten)]
    pub server: ServerArgs,
    /// The device list: a CSV file in NetPulse's CLI format
    /// (Selected,Name,Vendor,IP,Port,Username,Password,Keepalive,...).
    #[arg(long, value_name = "CSV")]
    pub devices: PathBuf,
    /// A command to run on every device; repeat it for several, in order.
    #[arg(long = "command", value_name = "COMMAND", required_unless_present = "cfg", conflicts_with = "cfg")]
    pub commands: Vec<String>,
    /// A configuration line to push instead; repeat it for several, in order.
    #[arg(long = "cfg", value_name = "LINE")]
    pub cfg: Vec<String>,
    /// Save the configuration after pushing it (with --cfg).
    #[arg(long, requires = "cfg")]
    pub save: bool,
    /// Push configuration without asking first.
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// Only the devices of this Vendor (case-insensitive).
    #[arg(long)]
    pub vendor: Option<String>,
    /// The device type of rows with neither a Vendor nor a Device Type.
    #[arg(long, value_name = "TYPE")]
    pub device_type: Option<String>,
    /// The login name of rows without a Username.
    #[arg(long, short = 'u', env = "NETPULSE_DEVICE_USERNAME")]
    pub username: Option<String>,
    /// The password of rows without one; asked for on the terminal when a row
    /// needs it (prefer the variable to the flag, which shows in the process list).
    #[arg(long, env = "NETPULSE_DEVICE_PASSWORD", hide_env_values = true)]
    pub password: Option<String>,
    /// The enable secret of rows without a Secret.
    #[arg(long, env = "NETPULSE_DEVICE_SECRET", hide_env_values = true)]
    pub secret: Option<String>,
    /// Parse each output with TextFSM through the server's templates index.
    #[arg(long, conflicts_with = "cfg")]
    pub parse: bool,
    /// fifo, or pinned (one worker per device).
    #[arg(long, value_parser = ["fifo", "pinned"])]
    pub queue_strategy: Option<String>,
    /// The driver: netmiko or paramiko.
    #[arg(long, default_value = "netmiko")]
    pub driver: String,
    /// The folder the results file is written to (created when missing).
    #[arg(long, short = 'o', default_value = ".", value_name = "DIR")]
    pub output: PathBuf,
    /// Seconds to wait for all jobs to end.
    #[arg(long, default_value_t = 300, value_name = "SECONDS")]
    pub wait: u64,
}

/// Where one device's work stands.
#[derive(Debug, Clone)]
struct Outcome {
    job_id: Option<String>,
    /// The job's record once it has ended.
    job: Option<Value>,
    /// Why the device has no result: not submitted, unreadable, still running.
    problem: Option<(String, String)>,
}

impl Outcome {
    fn ok(&self) -> bool {
        self.job.as_ref().is_some_and(super::succeeded)
    }

    fn pending(&self) -> bool {
        self.job_id.is_some() && self.job.is_none() && self.problem.is_none()
    }

    /// The status column: the job's, `failed` for a finished job with an error,
    /// or why there is none.
    fn status(&self) -> String {
        match (&self.job, &self.problem) {
            (Some(j), _) if super::status_of(j) == "finished" && !super::succeeded(j) => "failed".into(),
            (Some(j), _) => super::status_of(j).to_string(),
            (None, Some((status, _))) => status.clone(),
            (None, None) => "unknown".into(),
        }
    }

    fn error(&self) -> String {
        match (&self.job, &self.problem) {
            (Some(j), _) if !super::succeeded(j) => super::failure_reason(j),
            (None, Some((_, why))) => why.clone(),
            _ => String::new(),
        }
    }
}

pub async fn run(a: BulkArgs) -> Result<i32, ClientError> {
    let choice = Choice { vendor: a.vendor.as_deref(), default_type: a.device_type.as_deref() };
    let devices = devices::read(&a.devices, &choice).map_err(ClientError::Usage)?;
    let api = Arc::new(Api::new(&a.server)?);
    std::fs::create_dir_all(&a.output).map_err(|e| {
        ClientError::Usage(format!("cannot create the output folder {}: {e}", a.output.display()))
    })?;
    let password = if devices.iter().any(|d| d.password.is_none()) {
        device_password(a.password.clone(), "Password for the devices without one in the list: ")?
    } else {
        None
    };
    if !a.cfg.is_empty() && !a.yes && !confirm(&a.cfg, devices.len())? {
        eprintln!("netpulse: nothing sent");
        return Ok(1);
    }

    let mut outcomes = vec![Outcome { job_id: None, job: None, problem: None }; devices.len()];
    let base = shared_body(&a, password)?;
    for (n, chunk) in devices.chunks(BATCH).enumerate() {
        let mut body = base.clone();
        body["devices"] = Value::Array(chunk.iter().map(device_entry).collect());
        let answer = api.post("/device/bulk", &body).await?;
        let placed = place(chunk, &answer);
        outcomes[n * BATCH..n * BATCH + chunk.len()].clone_from_slice(&placed);
    }
    let submitted = outcomes.iter().filter(|o| o.job_id.is_some()).count();
    eprintln!("netpulse: {submitted} of {} devices submitted to {}", devices.len(), api.url());

    follow(&api, &mut outcomes, Duration::from_secs(a.wait)).await;

    let label = if a.cfg.is_empty() { a.commands.join("; ") } else { a.cfg.join("; ") };
    let written = write_results(&a.output, &devices, &outcomes, &label);
    let failed: Vec<(&Device, &Outcome)> = devices.iter().zip(&outcomes).filter(|(_, o)| !o.ok()).collect();
    println!(
        "{} devices: {} succeeded, {} failed",
        devices.len(),
        devices.len() - failed.len(),
        failed.len()
    );
    for (d, o) in &failed {
        let name = if d.name.is_empty() { String::new() } else { format!(" ({})", d.name) };
        println!("  {}:{}{name}: {}: {}", d.host, d.port, o.status(), super::cut(&o.error(), 300));
    }
    match written {
        Ok(file) => println!("results: {}", file.display()),
        Err(e) => {
            eprintln!("netpulse: {e}");
            return Ok(1);
        }
    }
    Ok(if failed.is_empty() { 0 } else { 1 })
}

/// Ask before pushing configuration (only on a terminal; `--yes` skips it).
fn confirm(lines: &[String], count: usize) -> Result<bool, ClientError> {
    if !std::io::stdin().is_terminal() {
        return Ok(true);
    }
    eprint!("Push {} configuration line(s) to {count} device(s)? [y/N] ", lines.len());
    let _ = std::io::stderr().flush();
    let mut answer = String::new();
    std::io::stdin()
        .read_line(&mut answer)
        .map_err(|e| ClientError::Usage(format!("cannot read the answer: {e}")))?;
    Ok(matches!(answer.trim().to_ascii_lowercase().as_str(), "y" | "yes"))
}

/// The fields every device shares.
fn shared_body(a: &BulkArgs, password: Option<String>) -> Result<Value, ClientError> {
    let mut ca = Map::new();
    for (k, v) in [("username", a.username.clone()), ("password", password), ("secret", a.secret.clone())] {
        if let Some(v) = v {
            ca.insert(k.into(), Value::String(v));
        }
    }
    let mut body = json!({"driver": a.driver, "connection_args": ca});
    if a.cfg.is_empty() {
        body["command"] = super::exec::lines(&a.commands);
        if let Some(p) = super::exec::parsing(a.parse, None)? {
            body["parsing"] = p;
        }
    } else {
        body["config"] = json!(a.cfg);
        if a.save {
            body["save"] = json!(true);
        }
    }
    if let Some(q) = &a.queue_strategy {
        body["queue_strategy"] = json!(q);
    }
    Ok(body)
}

/// One `devices[]` entry: what the row sets over the shared connection arguments.
fn device_entry(d: &Device) -> Value {
    let mut e = json!({"host": d.host, "port": d.port, "device_type": d.device_type});
    let optional = [
        ("username", d.username.clone().map(Value::String)),
        ("password", d.password.clone().map(Value::String)),
        ("secret", d.secret.clone().map(Value::String)),
        ("keepalive", d.keepalive.map(|k| json!(k))),
    ];
    for (k, v) in optional {
        if let Some(v) = v {
            e[k] = v;
        }
    }
    e
}

/// Match the bulk answer to the devices sent: `succeeded` lists the accepted
/// devices in order, `failed` the refused ones in order, each with its host.
fn place(devices: &[Device], answer: &Value) -> Vec<Outcome> {
    let list = |k: &str| answer.get(k).and_then(Value::as_array).cloned().unwrap_or_default();
    let (ok, refused) = (list("succeeded"), list("failed"));
    let (mut ok, mut refused) = (ok.iter().peekable(), refused.iter().peekable());
    let host_of = |v: &Value| v.get("host").and_then(Value::as_str).map(str::to_string);
    devices
        .iter()
        .map(|d| {
            let ok_fits = ok.peek().is_some_and(|j| host_of(j).is_none_or(|h| h == d.host));
            let refused_fits = refused.peek().is_some_and(|r| host_of(r).as_deref() == Some(d.host.as_str()));
            // Both fit (one host on two ports): a pinned job's queue names its port.
            let take_ok = ok_fits && (!refused_fits || ok.peek().is_some_and(|j| queue_fits(j, d)));
            if take_ok && let Some(id) = ok.next().and_then(|j| j.get("id")).and_then(Value::as_str) {
                return Outcome { job_id: Some(id.to_string()), job: None, problem: None };
            }
            let why = match refused.peek() {
                Some(r) if host_of(r).as_deref() == Some(d.host.as_str()) => refused
                    .next()
                    .and_then(|r| r.get("reason"))
                    .and_then(Value::as_str)
                    .unwrap_or("refused by the server")
                    .to_string(),
                _ => "the server gave no job for this device".to_string(),
            };
            Outcome { job_id: None, job: None, problem: Some(("not submitted".into(), why)) }
        })
        .collect()
}

/// Whether an accepted job's queue could be this device's: `pinned_<host>`, with
/// `:<port>` when the port is not 22, or a shared queue (which says nothing).
fn queue_fits(job: &Value, d: &Device) -> bool {
    match job.get("queue").and_then(Value::as_str).and_then(|q| q.strip_prefix("pinned_")) {
        Some(q) if d.port == 22 => q == d.host,
        Some(q) => q == format!("{}:{}", d.host, d.port),
        None => true,
    }
}

/// Read the jobs' records until every one has ended or `limit` has passed,
/// with a progress bar on a terminal's stderr.
async fn follow(api: &Arc<Api>, outcomes: &mut [Outcome], limit: Duration) {
    let total = outcomes.len() as u64;
    let bar = if std::io::stderr().is_terminal() {
        ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr())
    } else {
        ProgressBar::hidden()
    };
    if let Ok(style) =
        ProgressStyle::with_template("{spinner} [{elapsed_precise}] {wide_bar} {pos}/{len} {msg}")
    {
        bar.set_style(style);
    }
    bar.enable_steady_tick(Duration::from_millis(120));
    let show = |bar: &ProgressBar, outcomes: &[Outcome]| {
        let done = outcomes.iter().filter(|o| !o.pending()).count();
        let ok = outcomes.iter().filter(|o| o.ok()).count();
        bar.set_position(done as u64);
        bar.set_message(format!("ok {ok}, failed {}", done - ok));
    };
    show(&bar, outcomes);
    let start = Instant::now();
    loop {
        let pending: Vec<usize> = (0..outcomes.len()).filter(|&i| outcomes[i].pending()).collect();
        if pending.is_empty() {
            break;
        }
        if start.elapsed() >= limit {
            for &i in &pending {
                let why = format!("still running after {} s (--wait)", limit.as_secs());
                outcomes[i].problem = Some(("timeout".into(), why));
            }
            break;
        }
        for group in pending.chunks(READS_AT_ONCE) {
            let mut reads = tokio::task::JoinSet::new();
            for &i in group {
                let (api, id) = (api.clone(), outcomes[i].job_id.clone().unwrap_or_default());
                reads.spawn(async move { (i, api.job(&id).await) });
            }
            while let Some(read) = reads.join_next().await {
                match read {
                    Ok((i, Ok(job))) if super::is_ended(&job) => outcomes[i].job = Some(job),
                    Ok((_, Ok(_))) => {}
                    Ok((i, Err(e))) => {
                        outcomes[i].problem = Some(("unknown".into(), format!("cannot read the job: {e}")))
                    }
                    Err(e) => bar.println(format!("netpulse: a job read stopped: {e}")),
                }
            }
            show(&bar, outcomes);
        }
        tokio::time::sleep(POLL_EVERY).await;
    }
    show(&bar, outcomes);
    bar.finish_and_clear();
}

/// Write `result_<timestamp>.csv` into `dir`; returns its path.
fn write_results(
    dir: &Path,
    devices: &[Device],
    outcomes: &[Outcome],
    label: &str,
) -> Result<PathBuf, String> {
    let stamp = chrono::Local::now().format("%Y%m%d_%H%M%S").to_string();
    let mut path = dir.join(format!("result_{stamp}.csv"));
    let mut n = 2;
    while path.exists() {
        path = dir.join(format!("result_{stamp}_{n}.csv"));
        n += 1;
    }
    let mut out = String::new();
    let header = [
        "IP",
        "Port",
        "Name",
        "Vendor",
        "Payload",
        "Status",
        "Job ID",
        "Result",
        "Error",
        "Start Time",
        "End Time",
    ];
    push_row(&mut out, header.iter().map(|s| s.to_string()));
    for (d, o) in devices.iter().zip(outcomes) {
        let field = |k: &str| {
            o.job.as_ref().and_then(|j| j.get(k)).and_then(Value::as_str).unwrap_or_default().to_string()
        };
        let result = match o.job.as_ref().and_then(|j| j.get("result")).and_then(|r| r.get("retval")) {
            None | Some(Value::Null) => String::new(),
            Some(Value::String(s)) => s.clone(),
            Some(other) => other.to_string(),
        };
        push_row(
            &mut out,
            [
                d.host.clone(),
                d.port.to_string(),
                d.name.clone(),
                d.vendor.clone(),
                label.to_string(),
                o.status(),
                o.job_id.clone().unwrap_or_default(),
                result,
                o.error(),
                field("started_at"),
                field("ended_at"),
            ]
            .into_iter(),
        );
    }
    std::fs::write(&path, out).map_err(|e| format!("cannot write the results to {}: {e}", path.display()))?;
    Ok(path)
}

/// One CSV line, each field quoted when it must be.
fn push_row(out: &mut String, fields: impl Iterator<Item = String>) {
    for (i, f) in fields.enumerate() {
        if i > 0 {
            out.push(',');
        }
        if f.contains([',', '"', '\n', '\r']) || f.trim() != f {
            out.push('"');
            out.push_str(&f.replace('"', "\"\""));
            out.push('"');
        } else {
            out.push_str(&f);
        }
    }
    out.push('\n');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dev(host: &str, port: u16) -> Device {
        Device {
            line: 2,
            name: String::new(),
            vendor: "Cisco".into(),
            host: host.into(),
            port,
            device_type: "cisco_ios".into(),
            username: None,
            password: None,
            secret: None,
            keepalive: None,
        }
    }

    #[test]
    fn answers_are_matched_to_devices_in_order() {
        let devices = [dev("127.0.9.1", 22), dev("127.0.9.9", 22), dev("127.0.9.1", 2222)];
        let answer = json!({
            "succeeded": [{"id": "a", "host": "127.0.9.1"}, {"id": "b", "host": "127.0.9.1"}],
            "failed": [{"host": "127.0.9.9", "reason": "no driver plugin serves device_type \"x\""}],
        });
        let placed = place(&devices, &answer);
        assert_eq!(placed[0].job_id.as_deref(), Some("a"));
        assert_eq!(placed[1].job_id, None);
        assert_eq!(placed[1].status(), "not submitted");
        assert!(placed[1].error().contains("no driver plugin"));
        assert_eq!(placed[2].job_id.as_deref(), Some("b"));

        // One host on two ports, the first refused: the queue tells them apart.
        let devices = [dev("127.0.9.1", 2201), dev("127.0.9.1", 2202)];
        let answer = json!({
            "succeeded": [{"id": "c", "host": "127.0.9.1", "queue": "pinned_10.0.0.1:2202"}],
            "failed": [{"host": "127.0.9.1", "reason": "bad"}],
        });
        let placed = place(&devices, &answer);
        assert_eq!((placed[0].job_id.as_deref(), placed[1].job_id.as_deref()), (None, Some("c")));
    }

    #[test]
    fn rows_with_own_credentials_override_the_shared_ones() {
        let mut d = dev("127.0.9.1", 2222);
        d.password = Some("own".into());
        d.keepalive = Some(180);
        let e = device_entry(&d);
        assert_eq!(
            e,
            json!({"host": "127.0.9.1", "port": 2222, "device_type": "cisco_ios", "password": "own", "keepalive": 180})
        );
    }

    #[test]
    fn results_csv_quotes_what_needs_it_and_names_failures() {
        let dir = std::env::temp_dir().join(format!("netpulse-bulk-unit-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let devices = [dev("127.0.9.1", 22), dev("127.0.9.2", 22)];
        let done = json!({"id": "a", "status": "finished", "started_at": "t0", "ended_at": "t1",
            "result": {"type": "success", "retval": "line 1\nline, \"2\"", "error": null}});
        let bad = json!({"id": "b", "status": "failed",
            "result": {"type": "failed", "retval": null, "error": {"type": "ConnectionError", "message": "refused"}}});
        let outcomes = [
            Outcome { job_id: Some("a".into()), job: Some(done), problem: None },
            Outcome { job_id: Some("b".into()), job: Some(bad), problem: None },
        ];
        let file = write_results(&dir, &devices, &outcomes, "show version").unwrap();
        let text = std::fs::read_to_string(&file).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        assert!(
            text.starts_with("IP,Port,Name,Vendor,Payload,Status,Job ID,Result,Error,Start Time,End Time\n")
        );
        assert!(
            text.contains("127.0.9.1,22,,Cisco,show version,finished,a,\"line 1\nline, \"\"2\"\"\",,t0,t1\n"),
            "{text}"
        );
        assert!(
            text.contains("127.0.9.2,22,,Cisco,show version,failed,b,,ConnectionError: refused,,\n"),
            "{text}"
        );
    }
}
