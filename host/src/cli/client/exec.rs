//! `netpulse exec`: one job on one device through `POST /device/exec`. It waits
//! for the job, prints the output (or, with `--parse`, the TextFSM records as
//! JSON) and exits non-zero with the error type when the job failed.

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;
use serde_json::{Map, Value, json};

use super::{Api, ClientError, ServerArgs, device_password};

#[derive(Args, Debug)]
pub struct ExecArgs {
    #[command(flatten)]
    pub server: ServerArgs,
    /// The device type, which picks the driver plugin (cisco_ios, arista_eos, juniper_junos, ...).
    #[arg(long, value_name = "TYPE")]
    pub device_type: String,
    /// The device's address.
    #[arg(long, value_name = "HOST")]
    pub host: String,
    /// The device's SSH port (default 22).
    #[arg(long)]
    pub port: Option<u16>,
    /// The login name.
    #[arg(long, short = 'u', env = "NETPULSE_DEVICE_USERNAME")]
    pub username: Option<String>,
    /// The login password; asked for on the terminal when not given (a password
    /// on the command line shows in the process list: prefer the variable).
    #[arg(long, env = "NETPULSE_DEVICE_PASSWORD", hide_env_values = true)]
    pub password: Option<String>,
    /// The enable secret.
    #[arg(long, env = "NETPULSE_DEVICE_SECRET", hide_env_values = true)]
    pub secret: Option<String>,
    /// Ask for the enable secret on the terminal.
    #[arg(long, conflicts_with = "secret")]
    pub ask_secret: bool,
    /// The commands to run, in order.
    #[arg(value_name = "COMMAND", required_unless_present = "cfg", conflicts_with = "cfg")]
    pub commands: Vec<String>,
    /// A configuration line to push instead of commands; repeat it for several, in order.
    #[arg(long = "cfg", value_name = "LINE")]
    pub cfg: Vec<String>,
    /// Save the configuration after pushing it (with --cfg).
    #[arg(long, requires = "cfg")]
    pub save: bool,
    /// Parse the output with TextFSM (the template picked from the server's
    /// templates index by device type and command) and print the records as JSON.
    #[arg(long)]
    pub parse: bool,
    /// Parse the output with this TextFSM template file instead of the index.
    #[arg(long, value_name = "FILE")]
    pub template: Option<PathBuf>,
    /// fifo, or pinned (one worker per device, the default for most drivers).
    #[arg(long, value_parser = ["fifo", "pinned"])]
    pub queue_strategy: Option<String>,
    /// The driver: netmiko (CLI through the device type's plugin) or paramiko (a Linux host).
    #[arg(long, default_value = "netmiko")]
    pub driver: String,
    /// Seconds to wait for the job to end.
    #[arg(long, default_value_t = 300, value_name = "SECONDS")]
    pub wait: u64,
    /// Print the whole job record as JSON.
    #[arg(long)]
    pub json: bool,
}

pub async fn run(a: ExecArgs) -> Result<i32, ClientError> {
    let api = Api::new(&a.server)?;
    let who = match &a.username {
        Some(u) => format!("{u}@{}", a.host),
        None => a.host.clone(),
    };
    let password = device_password(a.password.clone(), &format!("Password for {who}: "))?;
    let secret = if a.ask_secret {
        device_password(None, &format!("Enable secret for {}: ", a.host))?
    } else {
        a.secret.clone()
    };
    let body = request_body(&a, password, secret)?;
    let submitted = api.post("/device/exec", &body).await?;
    let Some(id) = submitted.get("id").and_then(Value::as_str) else {
        return Err(ClientError::Server(format!("the server accepted the job but gave no id: {submitted}")));
    };
    let Some(job) = api.wait_job(id, Duration::from_secs(a.wait)).await? else {
        eprintln!(
            "netpulse: job {id} has not ended after {} s (see `netpulse jobs --id {id}`, or wait longer with --wait)",
            a.wait
        );
        return Ok(1);
    };
    let ok = super::succeeded(&job);
    if a.json {
        println!("{}", serde_json::to_string_pretty(&job).unwrap_or_default());
    } else {
        let retval = job.get("result").and_then(|r| r.get("retval")).unwrap_or(&Value::Null);
        print_retval(retval, a.parse || a.template.is_some());
    }
    if ok {
        return Ok(0);
    }
    eprintln!("netpulse: job {id} on {}: {}", a.host, super::failure_reason(&job));
    Ok(1)
}

/// The `POST /device/exec` body for these flags.
fn request_body(
    a: &ExecArgs,
    password: Option<String>,
    secret: Option<String>,
) -> Result<Value, ClientError> {
    let mut ca = Map::new();
    ca.insert("device_type".into(), json!(a.device_type));
    ca.insert("host".into(), json!(a.host));
    let optional = [
        ("port", a.port.map(|p| json!(p))),
        ("username", a.username.as_ref().map(|u| json!(u))),
        ("password", password.map(Value::String)),
        ("secret", secret.map(Value::String)),
    ];
    for (k, v) in optional {
        if let Some(v) = v {
            ca.insert(k.into(), v);
        }
    }
    let mut body = json!({"driver": a.driver, "connection_args": ca});
    if !a.cfg.is_empty() {
        if a.parse || a.template.is_some() {
            return Err(ClientError::Usage("--parse and --template apply to commands, not to --cfg".into()));
        }
        body["config"] = json!(a.cfg);
        if a.save {
            body["save"] = json!(true);
        }
    } else {
        body["command"] = lines(&a.commands);
        if let Some(parsing) = parsing(a.parse, a.template.as_deref())? {
            body["parsing"] = parsing;
        }
    }
    if let Some(q) = &a.queue_strategy {
        body["queue_strategy"] = json!(q);
    }
    Ok(body)
}

/// One command as a string (its output is then a string), several as a list
/// (their outputs keyed by command).
pub fn lines(commands: &[String]) -> Value {
    match commands {
        [one] => json!(one),
        many => json!(many),
    }
}

/// The `parsing` option: a template file's text, or the templates index.
pub fn parsing(parse: bool, template: Option<&std::path::Path>) -> Result<Option<Value>, ClientError> {
    match template {
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|e| {
                ClientError::Usage(format!("cannot read the template {}: {e}", path.display()))
            })?;
            Ok(Some(json!({"name": "textfsm", "template": text})))
        }
        None if parse => Ok(Some(json!({"name": "textfsm", "use_ntc_template": true}))),
        None => Ok(None),
    }
}

/// The job's output on stdout: text as the device printed it, one section per
/// command when there were several, or the parsed records as JSON.
fn print_retval(retval: &Value, parsed: bool) {
    match retval {
        Value::Null => {}
        Value::String(text) => print_text(text),
        Value::Object(outputs) if !parsed && outputs.values().all(Value::is_string) => {
            for (i, (command, output)) in outputs.iter().enumerate() {
                if i > 0 {
                    println!();
                }
                println!("==> {command} <==");
                print_text(output.as_str().unwrap_or_default());
            }
        }
        other => println!("{}", serde_json::to_string_pretty(other).unwrap_or_default()),
    }
}

fn print_text(text: &str) {
    if text.ends_with('\n') {
        print!("{text}");
    } else {
        println!("{text}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct T {
        #[command(flatten)]
        a: ExecArgs,
    }

    fn args(extra: &[&str]) -> ExecArgs {
        let mut v = vec!["t", "--device-type", "cisco_ios", "--host", "127.0.9.1"];
        v.extend_from_slice(extra);
        T::try_parse_from(v).unwrap().a
    }

    #[test]
    fn one_command_is_a_string_and_several_a_list() {
        let b = request_body(&args(&["show version"]), Some("pw".into()), None).unwrap();
        assert_eq!(b["command"], "show version");
        assert_eq!(b["connection_args"]["password"], "pw");
        assert_eq!(b["connection_args"]["host"], "127.0.9.1");
        assert!(b["connection_args"].get("secret").is_none());
        assert!(b.get("parsing").is_none());
        let b = request_body(&args(&["--port", "2222", "show clock", "show version", "--parse"]), None, None)
            .unwrap();
        assert_eq!(b["command"], json!(["show clock", "show version"]));
        assert_eq!(b["connection_args"]["port"], 2222);
        assert_eq!(b["parsing"], json!({"name": "textfsm", "use_ntc_template": true}));
    }

    #[test]
    fn configuration_lines_replace_commands() {
        let b = request_body(
            &args(&["--cfg", "hostname a", "--cfg", "ntp server 1.1.1.1", "--save"]),
            None,
            None,
        )
        .unwrap();
        assert_eq!(b["config"], json!(["hostname a", "ntp server 1.1.1.1"]));
        assert_eq!(b["save"], true);
        assert!(b.get("command").is_none());
        let err = request_body(&args(&["--cfg", "x", "--parse"]), None, None).unwrap_err();
        assert!(err.to_string().contains("--parse"));
    }

    #[test]
    fn a_command_or_a_configuration_line_is_required() {
        let v = ["t", "--device-type", "cisco_ios", "--host", "h"];
        assert!(T::try_parse_from(v).is_err());
        assert!(T::try_parse_from(v.iter().copied().chain(["show x", "--cfg", "y"])).is_err());
    }

    #[test]
    fn a_missing_template_file_is_named() {
        let err = parsing(false, Some(std::path::Path::new("/nonexistent/t.textfsm"))).unwrap_err();
        assert!(err.to_string().contains("/nonexistent/t.textfsm"), "{err}");
    }
}
