//! The NetPulse request body of `POST /device/exec`, validated into a job spec.
//! Accepts what NetPulse 0.2-0.4 clients send; every rejection names the field.

use serde::Deserialize;
use serde_json::{Map, Value};

use super::error::ApiError;
use crate::config::JobDefaults;
use crate::queue::{Credentials, DeviceTarget, DriverArgs, JobSpec, ParsePlan, QueueStrategy, Work};
use crate::template::{LookupError, NamedTemplate, Templates};

/// What validation needs beyond the body: the templates folder and the parsers
/// the system has.
pub struct Tools<'a> {
    pub templates: &'a Templates,
    /// Names a `parsing.name` may take.
    pub parsers: &'a [String],
}

/// A string or a list of strings.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum Lines {
    One(String),
    Many(Vec<String>),
}

#[derive(Debug, Default, Deserialize)]
pub struct RawConnectionArgs {
    pub device_type: Option<String>,
    pub host: Option<String>,
    pub port: Option<u16>,
    pub username: Option<String>,
    pub password: Option<String>,
    pub secret: Option<String>,
    pub timeout: Option<f64>,
    pub keepalive: Option<u64>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[derive(Debug, Default, Deserialize)]
pub struct RawOptions {
    pub queue_strategy: Option<String>,
    pub ttl: Option<i64>,
    pub execution_timeout: Option<i64>,
    pub result_ttl: Option<i64>,
    pub parsing: Option<Value>,
    pub rendering: Option<Value>,
    pub webhook: Option<Value>,
}

/// The body as sent.
#[derive(Debug, Default, Deserialize)]
pub struct RawExecRequest {
    pub driver: Option<String>,
    pub connection_args: Option<RawConnectionArgs>,
    pub command: Option<Lines>,
    pub config: Option<Value>,
    pub driver_args: Option<Map<String, Value>>,
    pub save: Option<bool>,
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
    let driver = raw.driver.as_deref().unwrap_or("netmiko");
    let paramiko = match driver {
        "netmiko" => false,
        "paramiko" => true,
        "napalm" | "pyeapi" => {
            return Err(bad(format!(
                "driver {driver:?} is not supported: use \"netmiko\" (CLI over SSH through the vendor plugin chosen by connection_args.device_type)"
            )));
        }
        other => {
            return Err(bad(format!("unknown driver {other:?}; valid values: netmiko (default), paramiko")));
        }
    };
    let ca = raw
        .connection_args
        .ok_or_else(|| bad("`connection_args` is required (device_type, host, username, password)"))?;
    for k in ca.extra.keys() {
        tracing::warn!("connection_args.{k} is not used by NetPulse and was ignored");
    }
    let host = ca.host.map(|h| h.trim().to_string()).unwrap_or_default();
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
    let non_null = |v: Option<Value>| v.filter(|v| !v.is_null());
    let parsing = non_null(top.parsing.or(opts.parsing));
    let rendering = non_null(top.rendering.or(opts.rendering));
    if non_null(top.webhook.or(opts.webhook)).is_some() {
        return Err(bad("`webhook` is not available in this version of NetPulse-rs: poll GET /job"));
    }

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
            (Work::Config(rendered(rendering.clone(), Some(Value::Object(ctx)), tools)?), false)
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
    let parsing = match parsing {
        None => None,
        Some(p) => Some(parse_plan(p, &work, &device_type, tools)?),
    };
    let strategy = match top.queue_strategy.or(opts.queue_strategy).as_deref() {
        // A connection test always opens a fresh session.
        _ if kind == Kind::Test => QueueStrategy::Fifo,
        None => {
            if paramiko {
                QueueStrategy::Fifo
            } else {
                QueueStrategy::Pinned
            }
        }
        Some("pinned") => QueueStrategy::Pinned,
        Some("fifo") => QueueStrategy::Fifo,
        Some(other) => {
            return Err(bad(format!("unknown queue_strategy {other:?}; valid values: pinned, fifo")));
        }
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
            timeout_s,
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
    };
    let credentials = Credentials { password: ca.password.unwrap_or_default(), secret: ca.secret };
    Ok((spec, credentials))
}

/// A template given as text (it has a line break) or as a file name in the templates folder.
fn template_text(field: &str, v: &str, tools: &Tools) -> Result<NamedTemplate, ApiError> {
    tools.templates.text_or_file(v).map_err(|e| bad(format!("`{field}`: {e}")))
}

/// An optional string field of an option object; anything else is refused.
fn name_field<'a>(obj: &'a Map<String, Value>, field: &str, default: &'a str) -> Result<&'a str, ApiError> {
    match obj.get("name") {
        None | Some(Value::Null) => Ok(default),
        Some(Value::String(s)) => Ok(s),
        Some(_) => Err(bad(format!("`{field}.name` must be a string, e.g. {default:?}"))),
    }
}

/// Render the `rendering` option into configuration lines.
fn rendered(
    rendering: Option<Value>,
    context: Option<Value>,
    tools: &Tools,
) -> Result<Vec<String>, ApiError> {
    let Some(Value::Object(r)) = rendering else {
        return Err(bad(
            "`rendering` must be an object: {\"name\": \"jinja2\", \"template\": ..., \"context\": {...}}",
        ));
    };
    match name_field(&r, "rendering", "jinja2")? {
        "jinja2" => {}
        other => return Err(bad(format!("unknown `rendering.name` {other:?}; valid values: jinja2"))),
    }
    let template = match r.get("template") {
        Some(Value::String(t)) if !t.trim().is_empty() => template_text("rendering.template", t, tools)?,
        _ => {
            return Err(bad(
                "`rendering.template` is required: the Jinja2 text or a file name in the templates folder",
            ));
        }
    };
    let context = match context.or_else(|| r.get("context").cloned()) {
        Some(c @ Value::Object(_)) => c,
        None | Some(Value::Null) => Value::Object(Map::new()),
        Some(_) => return Err(bad("`rendering.context` must be an object")),
    };
    let text = crate::template::render(&template.text, &context).map_err(|e| {
        bad(format!("`rendering.template` ({}) did not render: {}", template.name, e.message))
    })?;
    let lines: Vec<String> = text.lines().filter(|l| !l.trim().is_empty()).map(str::to_string).collect();
    if lines.is_empty() {
        return Err(bad("`rendering.template` rendered no configuration lines"));
    }
    Ok(lines)
}

/// Resolve the `parsing` option into the templates each command is parsed with.
fn parse_plan(p: Value, work: &Work, device_type: &str, tools: &Tools) -> Result<ParsePlan, ApiError> {
    let Value::Object(p) = p else {
        return Err(bad(
            "`parsing` must be an object: {\"name\": \"textfsm\", \"template\": ...} or {\"name\": \"textfsm\", \"use_ntc_template\": true}",
        ));
    };
    let Work::Commands(commands) = work else {
        return Err(bad("`parsing` applies to `command` jobs (it parses their output)"));
    };
    let parser = name_field(&p, "parsing", "textfsm")?.to_string();
    if !tools.parsers.contains(&parser) {
        return Err(bad(format!(
            "unknown `parsing.name` {parser:?}; available parsers: {}",
            tools.parsers.join(", ")
        )));
    }
    let use_ntc = match p.get("use_ntc_template") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => return Err(bad("`parsing.use_ntc_template` must be true or false")),
    };
    let mut templates: Vec<NamedTemplate> = Vec::new();
    let mut per_command = Vec::with_capacity(commands.len());
    let mut add = |t: NamedTemplate| match templates.iter().position(|x| *x == t) {
        Some(i) => i,
        None => {
            templates.push(t);
            templates.len() - 1
        }
    };
    match (p.get("template"), use_ntc) {
        (Some(Value::String(_)), true) => {
            return Err(bad("give `parsing.template` or `parsing.use_ntc_template`, not both"));
        }
        (Some(Value::String(t)), false) if !t.trim().is_empty() => {
            let i = add(template_text("parsing.template", t, tools)?);
            per_command.extend(commands.iter().map(|_| vec![i]));
        }
        (None | Some(Value::Null), true) => {
            let args = p.get("ntc_template_args").and_then(Value::as_object);
            let arg = |k: &str| args.and_then(|a| a.get(k)).and_then(Value::as_str).map(str::to_string);
            let platform = arg("platform").unwrap_or_else(|| device_type.to_string());
            for command in commands {
                let command = arg("command").unwrap_or_else(|| command.clone());
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
        let tools = Tools { templates: &Templates::none(), parsers: &["textfsm".to_string()] };
        parse_exec(body.as_bytes(), &JobDefaults::default(), &tools)
    }

    fn msg(r: Result<(JobSpec, Credentials), ApiError>) -> (u16, String) {
        let e = r.unwrap_err();
        (e.status().as_u16(), e.to_string())
    }

    const CA: &str = r#""connection_args": {"device_type": "cisco_ios", "host": "10.0.0.1", "username": "u", "password": "p"}"#;

    #[test]
    fn minimal_show_command_goes_to_pinned_queue() {
        let (spec, cred) = parse(&format!(r#"{{{CA}, "command": "show version"}}"#)).unwrap();
        assert_eq!(spec.queue_name(), "pinned_10.0.0.1");
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
    fn port_other_than_22_is_part_of_the_queue() {
        let body = r#"{"connection_args": {"device_type": "cisco_ios", "host": "h", "port": 2222, "username": "u"}, "config": "hostname x\ninterface lo0"}"#;
        let (spec, _) = parse(body).unwrap();
        assert_eq!(spec.queue_name(), "pinned_h:2222");
        assert_eq!(spec.work, Work::Config(vec!["hostname x".into(), "interface lo0".into()]));
    }
}
