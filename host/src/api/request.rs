//! The NetPulse request body of `POST /device/exec`, validated into a job spec.
//! Accepts what NetPulse 0.2-0.4 clients send; every rejection names the field.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::{Map, Value};

use super::error::ApiError;
use super::limits::{self, Limits};
use crate::config::JobDefaults;
use crate::model::{Webhook, WebhookMethod};
use crate::queue::{Credentials, DeviceTarget, DriverArgs, JobSpec, ParsePlan, QueueStrategy, Work};
use crate::template::{LookupError, NamedTemplate, Templates};

/// What validation needs beyond the body: the templates folder and the parsers
/// the system has.
pub struct Tools<'a> {
    pub templates: &'a Templates,
    /// Names a `parsing.name` may take.
    pub parsers: &'a [String],
    /// Sizes a job may have.
    pub limits: Limits,
    /// What a `rendering` may use.
    pub render: crate::template::RenderBudget,
}

/// True when `body` may ask for rendering (validation then runs off the async
/// threads, within the render budget).
pub fn mentions_rendering(body: &[u8]) -> bool {
    body.windows(11).any(|w| w == b"\"rendering\"")
}

/// A string or a list of strings.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum Lines {
    One(String),
    Many(Vec<String>),
}

/// `connection_args`: the device and how to log in. `device_type`, `host` and
/// `username` are required (`device_type` defaults to `linux` with the
/// `paramiko` driver); other fields are ignored with a warning.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[schema(example = json!({"device_type": "cisco_ios", "host": "127.0.0.1", "username": "admin", "password": "admin", "secret": "enable"}))]
pub struct RawConnectionArgs {
    /// The platform, which picks the driver plugin (e.g. `cisco_ios`, `juniper_junos`, `linux`).
    pub device_type: Option<String>,
    /// Host name or address (`[v6]` accepted).
    pub host: Option<String>,
    /// SSH port (22).
    #[schema(minimum = 1)]
    pub port: Option<u16>,
    pub username: Option<String>,
    pub password: Option<String>,
    /// Enable secret.
    pub secret: Option<String>,
    /// Connect timeout, seconds (0-3600).
    pub timeout: Option<f64>,
    /// SSH keepalive interval, seconds (60 for pinned jobs, else off).
    pub keepalive: Option<u64>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `driver`: how NetPulse reaches the device.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, utoipa::ToSchema)]
#[serde(try_from = "String")]
#[schema(rename_all = "lowercase")]
pub enum Driver {
    /// CLI over SSH through the vendor plugin chosen by `device_type`.
    Netmiko,
    /// A Linux host over SSH (FIFO by default, `device_type` defaults to linux).
    Paramiko,
}

impl TryFrom<String> for Driver {
    type Error = String;

    fn try_from(s: String) -> Result<Self, String> {
        match s.as_str() {
            "netmiko" => Ok(Driver::Netmiko),
            "paramiko" => Ok(Driver::Paramiko),
            "napalm" | "pyeapi" => Err(format!(
                "driver {s:?} is not supported: use \"netmiko\" (CLI over SSH through the vendor plugin chosen by connection_args.device_type)"
            )),
            other => Err(format!("unknown driver {other:?}; valid values: netmiko (default), paramiko")),
        }
    }
}

/// `parsing`: structured output for a command job.
#[derive(Debug, Default, Clone, Deserialize, utoipa::ToSchema)]
#[serde(
    expecting = "an object: {\"name\": \"textfsm\", \"template\": ...} or {\"name\": \"textfsm\", \"use_ntc_template\": true}"
)]
#[schema(example = json!({"name": "textfsm", "use_ntc_template": true}))]
pub struct ParsingOption {
    /// The parser (`textfsm`).
    pub name: Option<String>,
    /// TextFSM text, or a file name in the templates folder.
    pub template: Option<String>,
    /// Find the template in the templates index by platform and command.
    pub use_ntc_template: Option<bool>,
    pub ntc_template_args: Option<NtcTemplateArgs>,
}

/// `parsing.ntc_template_args`: the index lookup's platform and command.
#[derive(Debug, Default, Clone, Deserialize, utoipa::ToSchema)]
pub struct NtcTemplateArgs {
    pub platform: Option<String>,
    pub command: Option<String>,
}

/// `rendering`: configuration from a Jinja2 template.
#[derive(Debug, Default, Clone, Deserialize, utoipa::ToSchema)]
#[serde(expecting = "an object: {\"name\": \"jinja2\", \"template\": ..., \"context\": {...}}")]
pub struct RenderingOption {
    /// The renderer (`jinja2`).
    pub name: Option<String>,
    /// Jinja2 text, or a file name in the templates folder.
    pub template: Option<String>,
    /// The template's variables (a `config` object wins over it).
    pub context: Option<Map<String, Value>>,
}

/// The job's options, at the top level (NetPulse 0.3+) or inside `options` (0.2).
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct RawOptions {
    /// `pinned` (one resident session per device, the default) or `fifo` (a fresh
    /// session per job; the default for `paramiko`).
    pub queue_strategy: Option<QueueStrategy>,
    /// Longest wait in the queue, seconds (1-86400; 300).
    pub ttl: Option<i64>,
    /// Longest run once started, seconds (1-86400; 300).
    pub execution_timeout: Option<i64>,
    /// How long the result is kept, seconds (60-604800; 3600).
    pub result_ttl: Option<i64>,
    pub parsing: Option<ParsingOption>,
    pub rendering: Option<RenderingOption>,
    /// Called when the job ends (NetPulse's `webhook`).
    #[schema(value_type = Option<RawWebhook>)]
    pub webhook: Option<Value>,
}

/// The body as sent: `connection_args` and exactly one of `command` or `config`
/// (a connection test needs neither).
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct RawExecRequest {
    pub driver: Option<Driver>,
    pub connection_args: Option<RawConnectionArgs>,
    /// Commands to run: one (the result is its output) or a list (an object of
    /// command -> output).
    pub command: Option<Lines>,
    /// Configuration lines (a string, one line per line, or a list); with
    /// `rendering`, an object: the template's context.
    #[schema(schema_with = super::openapi::config_schema)]
    pub config: Option<Value>,
    /// Netmiko's names: `read_timeout`, `expect_string`, `strip_prompt`,
    /// `strip_command`, `error_pattern`, `save`, `exit_config_mode`,
    /// `host_key_check`; others go to the plugin.
    #[schema(schema_with = super::openapi::driver_args_schema)]
    pub driver_args: Option<Map<String, Value>>,
    /// Save the configuration after a `config` job (also `driver_args.save`).
    pub save: Option<bool>,
    /// NetPulse 0.2's place for the options; the top-level ones win.
    pub options: Option<RawOptions>,
    #[serde(flatten)]
    pub top: RawOptions,
}

/// What a body is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// `/device/exec` and `/device/bulk`: a command or config job.
    Exec,
    /// `/device/test`: a connection test (no command or config).
    Test,
}

/// The body as a JSON object: 400 when it is not JSON, 422 when not an object.
pub fn json_body(body: &[u8]) -> Result<Value, ApiError> {
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| ApiError::MalformedBody(format!("the body is not valid JSON: {e}")))?;
    if !value.is_object() {
        return Err(ApiError::unprocessable("the body must be a JSON object"));
    }
    Ok(value)
}

/// Parse and validate an exec body. Returns the job to run and its credentials.
pub fn parse_exec(
    body: &[u8],
    defaults: &JobDefaults,
    tools: &Tools,
) -> Result<(JobSpec, Credentials), ApiError> {
    from_value(json_body(body)?, defaults, Kind::Exec, tools)
}

/// Validate a body already parsed as JSON.
pub fn from_value(
    value: Value,
    defaults: &JobDefaults,
    kind: Kind,
    tools: &Tools,
) -> Result<(JobSpec, Credentials), ApiError> {
    let raw: RawExecRequest = serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        ApiError::unprocessable(format!("field `{path}`: {}", e.into_inner()))
    })?;
    validate(raw, defaults, kind, tools)
}

/// One device of a bulk request: its job, or why it was not accepted.
pub type BulkItem = Result<(JobSpec, Credentials), (String, String)>;

/// Most devices in one bulk request.
pub const MAX_BULK: usize = 10_000;

/// Split a `/device/bulk` body into one validated job per device. Each entry of
/// `devices` overrides `connection_args`; an entry may bring its own `command`
/// or `config` (not both).
pub fn parse_bulk(body: &[u8], defaults: &JobDefaults, tools: &Tools) -> Result<Vec<BulkItem>, ApiError> {
    let mut value = json_body(body)?;
    let obj = value.as_object_mut().expect("json_body returns objects");
    let devices = match obj.remove("devices") {
        Some(Value::Array(d)) if !d.is_empty() => d,
        Some(Value::Array(_)) => return Err(bad("`devices` is empty: list at least one device")),
        Some(_) => return Err(bad("`devices` must be a list of objects")),
        None => return Err(bad("`devices` is required: a list of objects overriding `connection_args`")),
    };
    if devices.len() > MAX_BULK {
        return Err(bad(format!("`devices` has {} entries; at most {MAX_BULK} per request", devices.len())));
    }
    let base_ca = obj.remove("connection_args").unwrap_or_else(|| Value::Object(Map::new()));
    if !base_ca.is_object() {
        return Err(bad("`connection_args` must be an object"));
    }
    let mut items = Vec::with_capacity(devices.len());
    for (i, d) in devices.into_iter().enumerate() {
        let Value::Object(mut entry) = d else {
            return Err(bad(format!("`devices[{i}]` must be an object")));
        };
        if entry.contains_key("command") && entry.contains_key("config") {
            return Err(bad(format!("`devices[{i}]` has both `command` and `config`: give one")));
        }
        let mut body = obj.clone();
        for key in ["command", "config"] {
            if let Some(v) = entry.remove(key) {
                body.remove("command");
                body.remove("config");
                body.insert(key.to_string(), v);
            }
        }
        let mut ca = base_ca.clone();
        let ca_obj = ca.as_object_mut().expect("checked above");
        for (k, v) in entry {
            ca_obj.insert(k, v);
        }
        let host = ca_obj.get("host").and_then(|h| h.as_str()).unwrap_or("").to_string();
        body.insert("connection_args".into(), ca);
        items.push(
            from_value(Value::Object(body), defaults, Kind::Exec, tools).map_err(|e| (host, e.to_string())),
        );
    }
    Ok(items)
}

fn bad(msg: impl Into<String>) -> ApiError {
    ApiError::unprocessable(msg)
}

fn lines(field: &str, v: Lines) -> Result<(Vec<String>, bool), ApiError> {
    let (list, single) = match v {
        Lines::One(s) => (vec![s], true),
        Lines::Many(l) => (l, false),
    };
    if list.is_empty() {
        return Err(bad(format!("`{field}` must not be empty")));
    }
    if let Some(i) = list.iter().position(|l| l.trim().is_empty()) {
        return Err(bad(format!("`{field}[{i}]` is empty")));
    }
    if let Some(i) = list.iter().position(|l| l.contains('\n') || l.contains('\r')) {
        if single && field == "config" {
            // A multi-line config string is a list of lines.
            let l: Vec<String> =
                list[0].lines().filter(|l| !l.trim().is_empty()).map(str::to_string).collect();
            return Ok((l, false));
        }
        return Err(bad(format!("`{field}[{i}]` contains a line break: send one line per list item")));
    }
    Ok((list, single))
}

fn ranged(field: &str, v: Option<i64>, default: u64, lo: u64, hi: u64) -> Result<u64, ApiError> {
    match v {
        None => Ok(default),
        Some(n) if n >= lo as i64 && n <= hi as i64 => Ok(n as u64),
        Some(n) => Err(bad(format!("`{field}` is {n}; it must be between {lo} and {hi} seconds"))),
    }
}

fn validate(
    raw: RawExecRequest,
    defaults: &JobDefaults,
    kind: Kind,
    tools: &Tools,
) -> Result<(JobSpec, Credentials), ApiError> {
    // Driver: netmiko (CLI over SSH through the vendor plugin) or paramiko (linux, FIFO).
    let paramiko = raw.driver == Some(Driver::Paramiko);
    let ca = raw
        .connection_args
        .ok_or_else(|| bad("`connection_args` is required (device_type, host, username, password)"))?;
    if !ca.extra.is_empty() {
        // One line per request, names escaped: a client cannot forge or flood log lines.
        tracing::warn!(
            "connection_args fields not used by NetPulse were ignored: {}",
            limits::summarise_names(ca.extra.keys(), 10)
        );
    }
    if let Some(secret) = &ca.secret {
        limits::check_text("connection_args.secret", secret).map_err(bad)?;
    }
    let host = ca.host.map(|h| h.trim().to_string()).unwrap_or_default();
    // `[fe80::1]` as in a URL is the address itself.
    let host = match host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        Some(inner) if inner.contains(':') => inner.to_string(),
        _ => host,
    };
    if host.is_empty() {
        return Err(bad("`connection_args.host` is required"));
    }
    if host.contains(|c: char| c.is_whitespace() || c == '"' || c == '\'' || c == '/') {
        return Err(bad(format!("`connection_args.host` {host:?} is not a host name or address")));
    }
    let device_type = match (ca.device_type.map(|t| t.trim().to_string()), paramiko) {
        (Some(t), _) if !t.is_empty() => t,
        (_, true) => "linux".to_string(),
        _ => {
            return Err(bad("`connection_args.device_type` is required (e.g. \"cisco_ios\")"));
        }
    };
    let username = ca.username.unwrap_or_default();
    if username.is_empty() {
        return Err(bad("`connection_args.username` is required"));
    }
    let port = ca.port.unwrap_or(22);
    if port == 0 {
        return Err(bad("`connection_args.port` must be between 1 and 65535"));
    }
    let timeout_s = ca.timeout.unwrap_or(defaults.connect_timeout_s);
    if !(timeout_s > 0.0 && timeout_s <= 3600.0) {
        return Err(bad("`connection_args.timeout` must be between 0 and 3600 seconds"));
    }

    // Options: top level wins over the 0.2-style `options` object.
    let opts = raw.options.unwrap_or_default();
    let top = raw.top;
    let parsing = top.parsing.or(opts.parsing);
    let rendering = top.rendering.or(opts.rendering);
    let webhook = match top.webhook.or(opts.webhook) {
        None | Some(Value::Null) => None,
        Some(w) => Some(webhook(w)?),
    };

    // Exactly one of command / config.
    let work_single = match (raw.command, raw.config) {
        _ if kind == Kind::Test => (Work::Test, true),
        (Some(_), Some(_)) => {
            return Err(bad("give either `command` or `config`, not both"));
        }
        (None, None) if rendering.is_some() => {
            (Work::Config(rendered(rendering.clone(), None, tools)?), false)
        }
        (None, None) => return Err(bad("one of `command` or `config` is required")),
        (Some(_), None) if rendering.is_some() => {
            return Err(bad("`rendering` renders `config`; a `command` job cannot use it"));
        }
        (Some(c), None) => {
            let (l, single) = lines("command", c)?;
            (Work::Commands(l), single)
        }
        (None, Some(Value::Object(ctx))) => {
            if rendering.is_none() {
                return Err(bad(
                    "`config` is an object, which is a rendering context: add `rendering` with the Jinja2 `template`, or send configuration lines",
                ));
            }
            (Work::Config(rendered(rendering.clone(), Some(ctx), tools)?), false)
        }
        (None, Some(_)) if rendering.is_some() => {
            return Err(bad(
                "with `rendering`, `config` is the rendering context (an object) or absent (then `rendering.context` is used)",
            ));
        }
        (None, Some(cfg)) => {
            let l = match cfg {
                Value::String(s) => Lines::One(s),
                Value::Array(items) => Lines::Many(
                    items
                        .into_iter()
                        .enumerate()
                        .map(|(i, v)| match v {
                            Value::String(s) => Ok(s),
                            _ => Err(bad(format!("`config[{i}]` must be a string"))),
                        })
                        .collect::<Result<_, _>>()?,
                ),
                _ => return Err(bad("`config` must be a string or a list of strings")),
            };
            let (l, _) = lines("config", l)?;
            (Work::Config(l), false)
        }
    };
    let (work, single) = work_single;
    match &work {
        Work::Commands(l) => limits::check_lines("command", l, &tools.limits).map_err(bad)?,
        Work::Config(l) => limits::check_lines("config", l, &tools.limits).map_err(bad)?,
        Work::Test | Work::Stored(_) => {}
    }
    let parsing = match parsing {
        None => None,
        Some(p) => Some(parse_plan(p, &work, &device_type, tools)?),
    };
    let strategy = match top.queue_strategy.or(opts.queue_strategy) {
        // A connection test always opens a fresh session.
        _ if kind == Kind::Test => QueueStrategy::Fifo,
        None if paramiko => QueueStrategy::Fifo,
        None => QueueStrategy::Pinned,
        Some(s) => s,
    };
    let ttl_s = ranged("ttl", top.ttl.or(opts.ttl), defaults.ttl_s, 1, 86400)?;
    let execution_timeout_s = ranged(
        "execution_timeout",
        top.execution_timeout.or(opts.execution_timeout),
        defaults.execution_timeout_s,
        1,
        86400,
    )?;
    let result_ttl_s =
        ranged("result_ttl", top.result_ttl.or(opts.result_ttl), defaults.result_ttl_s, 60, 604800)?;

    let mut driver_args = driver_args(raw.driver_args.unwrap_or_default())?;
    for (k, v) in &driver_args.extra {
        let v: Value = serde_json::from_str(v).unwrap_or(Value::Null);
        limits::check_text("driver_args key", k).map_err(bad)?;
        limits::check_value(&format!("driver_args.{k}"), &v).map_err(bad)?;
    }
    if raw.save == Some(true) {
        driver_args.save = true;
    }
    if matches!(work, Work::Commands(_)) && driver_args.save {
        return Err(bad("`save` applies to `config` jobs only"));
    }

    let spec = JobSpec {
        device: DeviceTarget {
            device_type,
            host,
            port,
            username,
            connect_timeout_s: timeout_s,
            keepalive_s: ca.keepalive.unwrap_or(if strategy == QueueStrategy::Pinned { 60 } else { 0 }),
        },
        work,
        single,
        driver_args,
        strategy,
        ttl_s,
        execution_timeout_s,
        result_ttl_s,
        parsing,
        webhook,
    };
    let credentials = Credentials { password: ca.password.unwrap_or_default(), secret: ca.secret };
    Ok((spec, credentials))
}

/// A template given as text (it has a line break) or as a file name in the templates folder.
fn template_text(field: &str, v: &str, tools: &Tools) -> Result<NamedTemplate, ApiError> {
    tools.templates.text_or_file(v).map_err(|e| bad(format!("`{field}`: {e}")))
}

/// Render the `rendering` option into configuration lines; `context` (the
/// `config` object) wins over `rendering.context`.
fn rendered(
    rendering: Option<RenderingOption>,
    context: Option<Map<String, Value>>,
    tools: &Tools,
) -> Result<Vec<String>, ApiError> {
    let r = rendering.expect("called with a rendering option");
    match r.name.as_deref().unwrap_or("jinja2") {
        "jinja2" => {}
        other => return Err(bad(format!("unknown `rendering.name` {other:?}; valid values: jinja2"))),
    }
    let template = match r.template.as_deref() {
        Some(t) if !t.trim().is_empty() => template_text("rendering.template", t, tools)?,
        _ => {
            return Err(bad(
                "`rendering.template` is required: the Jinja2 text or a file name in the templates folder",
            ));
        }
    };
    let context = Value::Object(context.or(r.context).unwrap_or_default());
    let text = crate::template::render_within(&template.text, &context, tools.render).map_err(|e| {
        bad(format!("`rendering.template` ({}) did not render: {}", template.name, e.message))
    })?;
    if text.len() > tools.limits.max_rendered_bytes {
        return Err(bad(format!(
            "`rendering.template` rendered {} bytes of configuration; at most {} (setting `limits.max_rendered_bytes`)",
            text.len(),
            tools.limits.max_rendered_bytes
        )));
    }
    let lines: Vec<String> = text.lines().filter(|l| !l.trim().is_empty()).map(str::to_string).collect();
    if lines.is_empty() {
        return Err(bad("`rendering.template` rendered no configuration lines"));
    }
    limits::check_lines("config (rendered)", &lines, &tools.limits).map_err(bad)?;
    Ok(lines)
}

/// Resolve the `parsing` option into the templates each command is parsed with.
fn parse_plan(
    p: ParsingOption,
    work: &Work,
    device_type: &str,
    tools: &Tools,
) -> Result<ParsePlan, ApiError> {
    let Work::Commands(commands) = work else {
        return Err(bad("`parsing` applies to `command` jobs (it parses their output)"));
    };
    let parser = p.name.clone().unwrap_or_else(|| "textfsm".to_string());
    if !tools.parsers.contains(&parser) {
        return Err(bad(format!(
            "unknown `parsing.name` {parser:?}; available parsers: {}",
            tools.parsers.join(", ")
        )));
    }
    let use_ntc = p.use_ntc_template.unwrap_or(false);
    let mut templates: Vec<NamedTemplate> = Vec::new();
    let mut per_command = Vec::with_capacity(commands.len());
    let mut add = |t: NamedTemplate| match templates.iter().position(|x| *x == t) {
        Some(i) => i,
        None => {
            templates.push(t);
            templates.len() - 1
        }
    };
    match (p.template.as_deref(), use_ntc) {
        (Some(_), true) => {
            return Err(bad("give `parsing.template` or `parsing.use_ntc_template`, not both"));
        }
        (Some(t), false) if !t.trim().is_empty() => {
            let i = add(template_text("parsing.template", t, tools)?);
            per_command.extend(commands.iter().map(|_| vec![i]));
        }
        (None, true) => {
            let args = p.ntc_template_args.clone().unwrap_or_default();
            let platform = args.platform.unwrap_or_else(|| device_type.to_string());
            for command in commands {
                let command = args.command.clone().unwrap_or_else(|| command.clone());
                let found = tools.templates.resolve(&platform, &command).map_err(|e| match e {
                    LookupError::NoMatch { .. } => bad(format!(
                        "`parsing.use_ntc_template`: {e}; give `parsing.template` or `parsing.ntc_template_args`"
                    )),
                    other => bad(format!("`parsing.use_ntc_template`: {other}")),
                })?;
                per_command.push(found.into_iter().map(&mut add).collect());
            }
        }
        _ => {
            return Err(bad(
                "`parsing` needs `template` (TextFSM text or a file name in the templates folder) or `use_ntc_template: true`",
            ));
        }
    }
    Ok(ParsePlan { parser, templates, per_command, lower_keys: use_ntc })
}

fn driver_args(map: Map<String, Value>) -> Result<DriverArgs, ApiError> {
    let mut a =
        DriverArgs { strip_prompt: true, strip_command: true, exit_config_mode: true, ..Default::default() };
    for (k, v) in map {
        let want_bool =
            |v: &Value| v.as_bool().ok_or_else(|| bad(format!("`driver_args.{k}` must be true or false")));
        let want_regex = |v: &Value| -> Result<String, ApiError> {
            let s = v
                .as_str()
                .ok_or_else(|| bad(format!("`driver_args.{k}` must be a string (a regular expression)")))?;
            regex::Regex::new(s)
                .map_err(|e| bad(format!("`driver_args.{k}` is not a valid regular expression: {e}")))?;
            Ok(s.to_string())
        };
        match k.as_str() {
            "read_timeout" => {
                let t = v.as_f64().filter(|t| *t > 0.0 && *t <= 86400.0).ok_or_else(|| {
                    bad("`driver_args.read_timeout` must be a number of seconds between 0 and 86400")
                })?;
                a.read_timeout_s = Some(t);
            }
            "expect_string" => a.expect_string = Some(want_regex(&v)?),
            "error_pattern" => a.error_pattern = Some(want_regex(&v)?),
            "strip_prompt" => a.strip_prompt = want_bool(&v)?,
            "strip_command" => a.strip_command = want_bool(&v)?,
            "save" => a.save = want_bool(&v)?,
            "exit_config_mode" => a.exit_config_mode = want_bool(&v)?,
            "host_key_check" => a.skip_host_key_check = !want_bool(&v)?,
            // Accepted for Netmiko compatibility; the drivers pace themselves.
            "delay_factor" | "cmd_verify" | "enable_mode" | "max_loops" | "auto_find_prompt" => {}
            _ => a.extra.push((k.clone(), v.to_string())),
        }
    }
    Ok(a)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(body: &str) -> Result<(JobSpec, Credentials), ApiError> {
        let tools = Tools {
            templates: &Templates::none(),
            parsers: &["textfsm".to_string()],
            limits: Limits::default(),
            render: Default::default(),
        };
        parse_exec(body.as_bytes(), &JobDefaults::default(), &tools)
    }

    fn msg(r: Result<(JobSpec, Credentials), ApiError>) -> (u16, String) {
        let e = r.unwrap_err();
        (e.status().as_u16(), e.to_string())
    }

    const CA: &str = r#""connection_args": {"device_type": "cisco_ios", "host": "127.0.9.1", "username": "u", "password": "p"}"#;

    #[test]
    fn minimal_show_command_goes_to_pinned_queue() {
        let (spec, cred) = parse(&format!(r#"{{{CA}, "command": "show version"}}"#)).unwrap();
        assert_eq!(spec.queue_name(), "pinned_127.0.9.1");
        assert!(spec.single);
        assert_eq!(spec.work, Work::Commands(vec!["show version".into()]));
        assert_eq!(cred.password, "p");
        assert_eq!(spec.ttl_s, 300);
    }

    #[test]
    fn options_object_and_top_level_both_accepted() {
        let (spec, _) = parse(&format!(
            r#"{{{CA}, "command": ["a", "b"], "options": {{"queue_strategy": "fifo", "ttl": 10}}}}"#
        ))
        .unwrap();
        assert_eq!(spec.queue_name(), "FifoQ");
        assert_eq!(spec.ttl_s, 10);
        let (spec, _) = parse(&format!(
            r#"{{{CA}, "command": "a", "queue_strategy": "fifo", "options": {{"queue_strategy": "pinned"}}}}"#
        ))
        .unwrap();
        assert_eq!(spec.strategy, QueueStrategy::Fifo);
    }

    #[test]
    fn errors_name_the_field() {
        assert_eq!(msg(parse("{not json")).0, 400);
        let (code, m) = msg(parse(
            r#"{"connection_args": {"device_type": "cisco_ios", "username": "u"}, "command": "x"}"#,
        ));
        assert_eq!(code, 422);
        assert!(m.contains("connection_args.host"), "{m}");
        let (code, m) = msg(parse(&format!(r#"{{{CA}, "command": "a", "config": ["b"]}}"#)));
        assert_eq!(code, 422);
        assert!(m.contains("command") && m.contains("config"), "{m}");
        let (_, m) = msg(parse(&format!(r#"{{{CA}, "command": "a", "ttl": 0}}"#)));
        assert!(m.contains("ttl"), "{m}");
        let (_, m) = msg(parse(&format!(r#"{{{CA}, "driver": "napalm", "command": "a"}}"#)));
        assert!(m.contains("netmiko"), "{m}");
        let (_, m) = msg(parse(r#"{"connection_args": {"host": 5}, "command": "a"}"#));
        assert!(m.contains("connection_args.host"), "{m}");
    }

    #[test]
    fn control_characters_never_reach_a_device() {
        for (body, field) in [
            (
                r#""command": "show clock\u001awrite memory""#,
                "`command[0]` contains U+001A (SUB) at column 11",
            ),
            (r#""command": ["show a", "show\u007f b"]"#, "`command[1]` contains U+007F (DEL)"),
            (
                r#""config": ["hostname a", "x", "y", "int\u0015 lo0"]"#,
                "`config[3]` contains U+0015 (NAK) at column 4",
            ),
            (r#""config": "hostname a\rreload""#, "`config[0]` contains U+000D (CR)"),
            (r#""config": ["x\u2028y"]"#, "U+2028 (LINE SEPARATOR)"),
            (r#""config": ["x\u0085y"]"#, "U+0085 (NEL)"),
            (
                r#""command": "a", "driver_args": {"commit_comment": "ok\u0008"}"#,
                "`driver_args.commit_comment`",
            ),
        ] {
            let (code, m) = msg(parse(&format!(r#"{{{CA}, {body}}}"#)));
            assert_eq!(code, 422, "{body}: {m}");
            assert!(m.contains(field), "{body}: {m}");
        }
        let body = r#"{"connection_args": {"device_type": "cisco_ios", "host": "h", "username": "u", "secret": "s\nwrite"}, "command": "a"}"#;
        assert!(msg(parse(body)).1.contains("connection_args.secret"));
        assert!(parse(&format!(r#"{{{CA}, "command": "show\tinterfaces \u00e9t\u00e9"}}"#)).is_ok());
    }

    #[test]
    fn sizes_are_limited_naming_the_setting() {
        let long = "x".repeat(65 * 1024);
        let (code, m) = msg(parse(&format!(r#"{{{CA}, "command": "{long}"}}"#)));
        assert_eq!(code, 422);
        assert!(m.contains("limits.max_line_bytes"), "{m}");
        let many = vec!["\"a\""; 10_001].join(",");
        let (_, m) = msg(parse(&format!(r#"{{{CA}, "config": [{many}]}}"#)));
        assert!(m.contains("limits.max_lines"), "{m}");
    }

    #[test]
    fn ipv6_hosts_have_unambiguous_queues() {
        let body = r#"{"connection_args": {"device_type": "cisco_ios", "host": "[fe80::1]", "port": 2222, "username": "u"}, "command": "x"}"#;
        let (spec, _) = parse(body).unwrap();
        assert_eq!(spec.device.host, "fe80::1");
        assert_eq!(spec.queue_name(), "pinned_[fe80::1]:2222");
        let body = r#"{"connection_args": {"device_type": "cisco_ios", "host": "fe80::1:2222", "username": "u"}, "command": "x"}"#;
        assert_eq!(parse(body).unwrap().0.queue_name(), "pinned_[fe80::1:2222]");
    }

    #[test]
    fn port_other_than_22_is_part_of_the_queue() {
        let body = r#"{"connection_args": {"device_type": "cisco_ios", "host": "h", "port": 2222, "username": "u"}, "config": "hostname x\ninterface lo0"}"#;
        let (spec, _) = parse(body).unwrap();
        assert_eq!(spec.queue_name(), "pinned_h:2222");
        assert_eq!(spec.work, Work::Config(vec!["hostname x".into(), "interface lo0".into()]));
    }
}

/// NetPulse's `webhook` object as sent: where to deliver the job's JSON when it ends.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"url": "https://hooks.example.net/netpulse", "method": "POST", "headers": {"Authorization": "Bearer t0ken"}}))]
struct RawWebhook {
    /// The caller: only `basic`.
    name: Option<String>,
    /// An `http` or `https` URL (required).
    url: Option<String>,
    /// GET, POST (default), PUT, DELETE or PATCH.
    method: Option<String>,
    headers: Option<BTreeMap<String, String>>,
    cookies: Option<BTreeMap<String, String>>,
    /// Basic auth: `[user, password]`.
    #[schema(value_type = Option<Vec<String>>, min_items = 2, max_items = 2)]
    auth: Option<(String, String)>,
    /// Time limit of one attempt, seconds (0.5-120; 5).
    timeout: Option<f64>,
    /// Attempts after the first (0-10; 3).
    max_retries: Option<i64>,
    /// Seconds before each retry (10, 30, 120); the last is reused.
    retry_intervals: Option<Vec<f64>>,
}

/// Validate a `webhook` object: an http(s) URL with a host, a known method,
/// headers and cookies that cannot break a request, bounded time limits.
fn webhook(v: Value) -> Result<Webhook, ApiError> {
    let raw: RawWebhook = serde_json::from_value(v).map_err(|e| {
        bad(format!(
            "`webhook`: {e} (fields: url, method, headers, cookies, auth [user, password], timeout, max_retries, retry_intervals)"
        ))
    })?;
    if let Some(name) = raw.name.filter(|n| n != "basic") {
        return Err(bad(format!(
            "`webhook.name` {name:?} is not a webhook caller here; the one there is is \"basic\""
        )));
    }
    let url = raw.url.ok_or_else(|| bad("`webhook.url` is required (an http or https URL)"))?;
    limits::check_text("webhook.url", &url).map_err(bad)?;
    let parsed = reqwest::Url::parse(url.trim())
        .map_err(|e| bad(format!("`webhook.url` {url:?} is not a URL: {e}")))?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none_or(str::is_empty) {
        return Err(bad(format!("`webhook.url` {url:?} must be an http:// or https:// URL with a host")));
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(bad(
            "`webhook.url` carries a user name or password: give them as `webhook.auth` [user, password]",
        ));
    }
    let method = match raw.method.as_deref().map(str::trim) {
        None => WebhookMethod::Post,
        Some(m) => serde_json::from_value(Value::String(m.to_ascii_uppercase())).map_err(|_| {
            bad(format!("`webhook.method` {m:?} is not one of GET, POST, PUT, DELETE, PATCH"))
        })?,
    };
    let headers = raw.headers.unwrap_or_default();
    for (k, v) in &headers {
        const RESERVED: [&str; 7] = [
            "host",
            "content-length",
            "transfer-encoding",
            "connection",
            "cookie",
            "x-netpulse-signature",
            "x-netpulse-delivery",
        ];
        if RESERVED.contains(&k.to_ascii_lowercase().as_str()) {
            return Err(bad(format!(
                "`webhook.headers` cannot set {k:?}: NetPulse sets it (cookies go in `webhook.cookies`)"
            )));
        }
        if reqwest::header::HeaderName::from_bytes(k.as_bytes()).is_err() {
            return Err(bad(format!("`webhook.headers` has {k:?}, which is not an HTTP header name")));
        }
        if reqwest::header::HeaderValue::from_str(v).is_err() {
            return Err(bad(format!(
                "`webhook.headers.{k}` is not a valid header value (control characters?)"
            )));
        }
    }
    let cookies = raw.cookies.unwrap_or_default();
    let joined: Vec<String> = cookies.iter().map(|(k, v)| format!("{k}={v}")).collect();
    if reqwest::header::HeaderValue::from_str(&joined.join("; ")).is_err()
        || !joined.iter().all(|c| c.is_ascii())
    {
        return Err(bad(
            "`webhook.cookies` cannot be sent as a Cookie header (control or non-ASCII characters?)",
        ));
    }
    for (k, v) in &cookies {
        let bad_char = |c: char| c.is_control() || matches!(c, ';' | ',' | ' ' | '"' | '\\');
        if k.is_empty() || k.contains(bad_char) || k.contains('=') || v.contains(bad_char) {
            return Err(bad(format!("`webhook.cookies.{k}` cannot be sent as a cookie")));
        }
    }
    if let Some((user, pass)) = &raw.auth {
        limits::check_text("webhook.auth", user).map_err(bad)?;
        limits::check_text("webhook.auth", pass).map_err(bad)?;
    }
    let timeout_s = raw.timeout.unwrap_or(Webhook::DEFAULT_TIMEOUT_S);
    if !(0.5..=120.0).contains(&timeout_s) {
        return Err(bad(format!("`webhook.timeout` is {timeout_s}; it must be between 0.5 and 120 seconds")));
    }
    let max_retries = match raw.max_retries {
        None => Webhook::DEFAULT_MAX_RETRIES,
        Some(n @ 0..=10) => n as u32,
        Some(n) => return Err(bad(format!("`webhook.max_retries` is {n}; it must be between 0 and 10"))),
    };
    let retry_intervals_s =
        raw.retry_intervals.unwrap_or_else(|| Webhook::DEFAULT_RETRY_INTERVALS_S.to_vec());
    if let Some(i) = retry_intervals_s.iter().position(|s| !(0.0..=86400.0).contains(s)) {
        return Err(bad(format!("`webhook.retry_intervals[{i}]` must be between 0 and 86400 seconds")));
    }
    if retry_intervals_s.is_empty() && max_retries > 0 {
        return Err(bad("`webhook.retry_intervals` is empty but `max_retries` asks for retries"));
    }
    Ok(Webhook {
        url: parsed.to_string(),
        method,
        headers,
        cookies,
        auth: raw.auth,
        timeout_s,
        max_retries,
        retry_intervals_s,
    })
}
