//! The shell client: `netpulse exec`, `bulk`, `jobs`, `workers` and `cancel` talk
//! to a NetPulse server over its REST API. This module owns what they share: the
//! server flags (`--url`/`NETPULSE_URL`, `--api-key`/`NETPULSE_API_KEY`), the HTTP
//! calls and how their failures read, waiting for a job to end, and the device
//! password prompt.

mod bulk;
mod devices;
mod exec;
mod listing;

use std::fmt;
use std::time::{Duration, Instant};

use clap::{Args, Subcommand};
use serde_json::Value;

/// Where `netpulse up` listens unless configured otherwise.
pub const DEFAULT_URL: &str = "http://127.0.0.1:9000";

/// How often a job's record is read while waiting for it to end.
const POLL_EVERY: Duration = Duration::from_millis(200);

/// The client's subcommands (flattened into the top-level command line).
#[derive(Subcommand, Debug)]
pub enum ClientCommand {
    /// Run commands (or push configuration) on one device and print the output.
    Exec(exec::ExecArgs),
    /// Run commands on every device of a CSV file and write the results to a CSV file.
    Bulk(bulk::BulkArgs),
    /// List jobs, newest first.
    Jobs(listing::JobsArgs),
    /// List the workers of every node.
    Workers(listing::WorkersArgs),
    /// Cancel a job that has not started yet.
    Cancel(listing::CancelArgs),
}

/// Run a client command; returns the process exit code.
pub async fn run(command: ClientCommand) -> i32 {
    let outcome = match command {
        ClientCommand::Exec(a) => exec::run(a).await,
        ClientCommand::Bulk(a) => bulk::run(a).await,
        ClientCommand::Jobs(a) => listing::jobs(a).await,
        ClientCommand::Workers(a) => listing::workers(a).await,
        ClientCommand::Cancel(a) => listing::cancel(a).await,
    };
    match outcome {
        Ok(code) => code,
        Err(e) => {
            eprintln!("netpulse: {e}");
            e.exit_code()
        }
    }
}

/// The server to talk to; shared by every client subcommand.
#[derive(Args, Debug, Clone)]
pub struct ServerArgs {
    /// The NetPulse API's base URL.
    #[arg(long, env = "NETPULSE_URL", default_value = DEFAULT_URL, value_name = "URL")]
    pub url: String,
    /// The API key, sent as the X-API-KEY header.
    #[arg(long, env = "NETPULSE_API_KEY", hide_env_values = true, value_name = "KEY")]
    pub api_key: Option<String>,
    /// Seconds to wait for each HTTP answer.
    #[arg(long, default_value_t = 30.0, value_name = "SECONDS")]
    pub http_timeout: f64,
}

/// Why a client command could not do its work.
#[derive(Debug)]
pub enum ClientError {
    /// Bad flags or input files: nothing was sent. Exit code 2.
    Usage(String),
    /// The server could not be reached, or gave an answer that makes no sense. Exit code 1.
    Server(String),
    /// The server answered with an HTTP error (its message). Exit code 1.
    Refused(String),
}

impl ClientError {
    pub fn exit_code(&self) -> i32 {
        match self {
            ClientError::Usage(_) => 2,
            ClientError::Server(_) | ClientError::Refused(_) => 1,
        }
    }
}

impl fmt::Display for ClientError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClientError::Usage(m) | ClientError::Server(m) | ClientError::Refused(m) => f.write_str(m),
        }
    }
}

/// The NetPulse REST API at one URL, with one key.
pub struct Api {
    http: reqwest::Client,
    base: reqwest::Url,
    key: Option<String>,
    timeout_s: f64,
}

impl Api {
    pub fn new(server: &ServerArgs) -> Result<Self, ClientError> {
        let raw = server.url.trim();
        let bad_url = || {
            ClientError::Usage(format!(
                "--url / NETPULSE_URL must be an http:// or https:// URL, like {DEFAULT_URL}; got {raw:?}"
            ))
        };
        let mut base = reqwest::Url::parse(raw).map_err(|_| bad_url())?;
        if !matches!(base.scheme(), "http" | "https") || base.host_str().is_none() {
            return Err(bad_url());
        }
        // A base with a path prefix (behind a proxy) keeps it: `join` needs the trailing slash.
        if !base.path().ends_with('/') {
            base.set_path(&format!("{}/", base.path()));
        }
        if !(server.http_timeout.is_finite() && server.http_timeout > 0.0) {
            return Err(ClientError::Usage("--http-timeout must be a positive number of seconds".into()));
        }
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs_f64(server.http_timeout))
            .user_agent(concat!("netpulse-cli/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| ClientError::Usage(format!("cannot set up the HTTP client: {}", chain(&e))))?;
        let key = server.api_key.clone().filter(|k| !k.is_empty());
        Ok(Self { http, base, key, timeout_s: server.http_timeout })
    }

    /// The server's address as the user gave it, for messages.
    pub fn url(&self) -> &str {
        self.base.as_str().trim_end_matches('/')
    }

    fn endpoint(&self, path: &str) -> reqwest::Url {
        self.base.join(path.trim_start_matches('/')).unwrap_or_else(|_| self.base.clone())
    }

    /// `GET path?query`; the envelope's `data`.
    pub async fn get(&self, path: &str, query: &[(&str, String)]) -> Result<Value, ClientError> {
        self.send(self.http.get(self.endpoint(path)).query(query)).await
    }

    /// `POST path` with a JSON body; the envelope's `data`.
    pub async fn post(&self, path: &str, body: &Value) -> Result<Value, ClientError> {
        self.send(self.http.post(self.endpoint(path)).json(body)).await
    }

    /// `DELETE path?query`; the envelope's `data`.
    pub async fn delete(&self, path: &str, query: &[(&str, String)]) -> Result<Value, ClientError> {
        self.send(self.http.delete(self.endpoint(path)).query(query)).await
    }

    async fn send(&self, mut req: reqwest::RequestBuilder) -> Result<Value, ClientError> {
        if let Some(k) = &self.key {
            req = req.header("X-API-KEY", k);
        }
        let resp = req.send().await.map_err(|e| self.transport(&e))?;
        let status = resp.status();
        let bytes = resp.bytes().await.map_err(|e| self.transport(&e))?;
        let body: Option<Value> = serde_json::from_slice(&bytes).ok();
        if status.is_success() {
            return match body {
                Some(v) => Ok(unwrap_envelope(v)),
                None => Err(ClientError::Server(format!(
                    "{} answered HTTP {status} with a body that is not JSON: is this a NetPulse server?",
                    self.url()
                ))),
            };
        }
        let said = body.as_ref().and_then(server_message).unwrap_or_else(|| {
            let text = String::from_utf8_lossy(&bytes);
            let text = text.trim();
            if text.is_empty() { status.canonical_reason().unwrap_or("").to_string() } else { cut(text, 300) }
        });
        let hint = match status.as_u16() {
            401 | 403 if self.key.is_none() => " (no API key given: set NETPULSE_API_KEY or --api-key)",
            401 | 403 => " (check NETPULSE_API_KEY / --api-key)",
            _ => "",
        };
        Err(ClientError::Refused(format!("the server answered HTTP {}: {said}{hint}", status.as_u16())))
    }

    /// A request that got no HTTP answer, said so that the user knows what to check.
    fn transport(&self, e: &reqwest::Error) -> ClientError {
        let url = self.url();
        let msg = if e.is_connect() {
            format!(
                "cannot connect to NetPulse at {url}: {} (is the server running? set --url or NETPULSE_URL)",
                root_cause(e)
            )
        } else if e.is_timeout() {
            format!("NetPulse at {url} did not answer within {} s (--http-timeout)", self.timeout_s)
        } else {
            format!("the request to NetPulse at {url} failed: {}", chain(e))
        };
        ClientError::Server(msg)
    }

    /// One job's record (`GET /job?id=`).
    pub async fn job(&self, id: &str) -> Result<Value, ClientError> {
        let data = self.get("/job", &[("id", id.to_string())]).await?;
        match data {
            Value::Array(mut jobs) if !jobs.is_empty() => Ok(jobs.swap_remove(0)),
            Value::Object(_) => Ok(data),
            other => Err(ClientError::Server(format!("unexpected answer to GET /job?id={id}: {other}"))),
        }
    }

    /// Wait until the job has ended; `None` when it is still queued or running
    /// after `limit`. Uses the server's long poll (`wait=`), each request held
    /// at most a little less than the HTTP time limit; a server without it is
    /// polled.
    pub async fn wait_job(&self, id: &str, limit: Duration) -> Result<Option<Value>, ClientError> {
        let start = Instant::now();
        let mut long_poll = true;
        loop {
            let left = limit.saturating_sub(start.elapsed());
            let hold = left.min(Duration::from_secs_f64((self.timeout_s - 1.0).clamp(0.0, 60.0)));
            let job = if long_poll && !hold.is_zero() {
                let query = [("id", id.to_string()), ("wait", format!("{:.3}", hold.as_secs_f64()))];
                match self.get("/job", &query).await {
                    Ok(Value::Array(mut jobs)) if !jobs.is_empty() => jobs.swap_remove(0),
                    Ok(_) | Err(_) => {
                        // An older server refuses `wait`: poll it instead.
                        long_poll = false;
                        self.job(id).await?
                    }
                }
            } else {
                self.job(id).await?
            };
            if is_ended(&job) {
                return Ok(Some(job));
            }
            if start.elapsed() >= limit {
                return Ok(None);
            }
            if !long_poll || hold.is_zero() {
                tokio::time::sleep(POLL_EVERY.min(limit.saturating_sub(start.elapsed()))).await;
            }
        }
    }
}

/// The spec's envelope `{"code", "message", "data"}` gives its `data`; a flat
/// answer (a server in NetPulse 0.4 mode) is itself the data.
fn unwrap_envelope(v: Value) -> Value {
    match v {
        Value::Object(mut o) if o.contains_key("code") && o.contains_key("data") => {
            o.remove("data").unwrap_or(Value::Null)
        }
        other => other,
    }
}

/// What the server said went wrong: the envelope's `message`, or NetPulse's `detail`.
fn server_message(body: &Value) -> Option<String> {
    let said = body.get("message").filter(|m| !m.is_null()).or_else(|| body.get("detail"))?;
    Some(match said {
        Value::String(s) => s.clone(),
        // FastAPI-style validation details: each entry's location and message.
        Value::Array(items) => items
            .iter()
            .map(|i| match (i.get("loc"), i.get("msg").and_then(Value::as_str)) {
                (Some(loc), Some(msg)) => format!("{loc}: {msg}"),
                _ => i.to_string(),
            })
            .collect::<Vec<_>>()
            .join("; "),
        other => other.to_string(),
    })
}

/// A job's status as text (`""` when absent).
pub fn status_of(job: &Value) -> &str {
    job.get("status").and_then(Value::as_str).unwrap_or("")
}

/// Whether the job has ended: finished, failed, cancelled (or expired).
pub fn is_ended(job: &Value) -> bool {
    matches!(status_of(job), "finished" | "failed" | "cancelled" | "expired")
}

/// `result.error` as `Type: message`, when the job has one.
pub fn job_error(job: &Value) -> Option<String> {
    let err = job.get("result")?.get("error").filter(|e| !e.is_null())?;
    let kind = err.get("type").and_then(Value::as_str).unwrap_or("Error");
    let msg = err.get("message").and_then(Value::as_str).unwrap_or("");
    Some(if msg.is_empty() { kind.to_string() } else { format!("{kind}: {msg}") })
}

/// Whether the job ended well: finished, with no `result.error`.
pub fn succeeded(job: &Value) -> bool {
    status_of(job) == "finished" && job_error(job).is_none()
}

/// Why a job that ended did not succeed, in one line.
pub fn failure_reason(job: &Value) -> String {
    match (status_of(job), job_error(job)) {
        (_, Some(e)) => e,
        ("cancelled", None) => "the job was cancelled before it started".into(),
        ("expired", None) => "the job expired before a worker took it".into(),
        (s, None) => format!("the job ended {s} without an error"),
    }
}

/// The device password: the flag or `NETPULSE_DEVICE_PASSWORD` (clap reads both
/// into `given`), else asked for on the terminal when there is one, else none.
pub fn device_password(given: Option<String>, prompt: &str) -> Result<Option<String>, ClientError> {
    if given.is_some() {
        return Ok(given);
    }
    use std::io::IsTerminal;
    if !std::io::stdin().is_terminal() {
        return Ok(None);
    }
    rpassword::prompt_password(prompt)
        .map(Some)
        .map_err(|e| ClientError::Usage(format!("cannot read the password from the terminal: {e}")))
}

/// An error and its causes, `a: b: c`.
fn chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        let s = c.to_string();
        if !out.contains(&s) {
            out.push_str(": ");
            out.push_str(&s);
        }
        cur = c.source();
    }
    out
}

/// The innermost cause (e.g. `Connection refused (os error 111)`).
fn root_cause(e: &dyn std::error::Error) -> String {
    let mut cur = e;
    while let Some(next) = cur.source() {
        cur = next;
    }
    cur.to_string()
}

/// At most `max` characters of `s`, with `…` when cut.
pub fn cut(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn envelope_gives_its_data_and_flat_answers_stay() {
        assert_eq!(unwrap_envelope(json!({"code": 200, "message": "success", "data": [1]})), json!([1]));
        assert_eq!(unwrap_envelope(json!({"id": "x", "status": "queued"}))["id"], "x");
    }

    #[test]
    fn server_messages_read_from_message_or_detail() {
        assert_eq!(server_message(&json!({"code": 404, "message": "no job"})).unwrap(), "no job");
        assert_eq!(server_message(&json!({"detail": "bad key"})).unwrap(), "bad key");
        let d = json!({"detail": [{"loc": ["body", "host"], "msg": "field required"}]});
        assert_eq!(server_message(&d).unwrap(), r#"["body","host"]: field required"#);
        assert!(server_message(&json!({"other": 1})).is_none());
    }

    #[test]
    fn failures_name_the_error_type() {
        let job = json!({"status": "failed", "result": {"error": {"type": "AuthenticationError", "message": "denied"}}});
        assert!(!succeeded(&job));
        assert_eq!(failure_reason(&job), "AuthenticationError: denied");
        // A finished job that carries an error is not a success either.
        let job =
            json!({"status": "finished", "result": {"error": {"type": "CommandRejected", "message": "x"}}});
        assert!(!succeeded(&job));
        assert!(succeeded(&json!({"status": "finished", "result": {"retval": "ok", "error": null}})));
        assert!(failure_reason(&json!({"status": "cancelled"})).contains("cancelled"));
    }

    #[test]
    fn urls_must_be_http() {
        let args = |url: &str| ServerArgs { url: url.into(), api_key: None, http_timeout: 5.0 };
        assert!(Api::new(&args("localhost:9000")).is_err());
        assert!(Api::new(&args("ftp://x")).is_err());
        let api = Api::new(&args("http://127.0.0.1:9000")).unwrap();
        assert_eq!(api.endpoint("/job").as_str(), "http://127.0.0.1:9000/job");
        let api = Api::new(&args("https://gw.example/netpulse")).unwrap();
        assert_eq!(api.endpoint("/job").as_str(), "https://gw.example/netpulse/job");
        assert_eq!(api.url(), "https://gw.example/netpulse");
    }

    #[test]
    fn cut_marks_what_it_drops() {
        assert_eq!(cut("abcdef", 3), "abc…");
        assert_eq!(cut("abc", 3), "abc");
    }
}
