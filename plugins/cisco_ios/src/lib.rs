//! NetPulse driver for Cisco IOS and IOS-XE: prompt detection, privileged mode with the
//! enable secret, paging off, configuration mode and the IOS error messages.
//!
//! The host owns the SSH session; this component only decides what to send and how to
//! read the answers.

use netpulse_driver_kit::{
    self as kit, CommandOptions, ConfigOptions, ConfigReply, DriverError, Guest, LogLevel, PluginMeta,
    SessionOptions, SessionState,
};

struct CiscoIos;

/// Any IOS prompt: `host>`, `host#`, `host(config-if)#`.
const ANY_PROMPT: &str = r"(?m)^([A-Za-z0-9][\w.\-/:]*)(\([\w.\-]+\))?([>#])[ \t]*$";
/// How long the device may take to show its first prompt before we nudge it with a newline.
const FIRST_PROMPT_MS: u32 = 2_000;
/// The lines IOS starts a rejection with.
const ERROR_MARKERS: &[&str] = &[
    "% Invalid input",
    "% Incomplete command",
    "% Ambiguous command",
    "% Unknown command",
    "% Invalid command",
    "% Bad ",
    "% Error",
];
const PAGER: &str = "--More--";

/// The prompt of `host` in any mode, or the pager.
fn prompt_pattern(host: &str) -> String {
    format!(r"(?m)(^{}(\([\w.\-]+\))?[>#][ \t]*$|{PAGER})", kit::escape_regex(host))
}

/// Read until the prompt (or `expect`), answering the pager with a space. Returns the
/// cleaned text before the prompt and the prompt itself.
fn read_to_prompt(
    host: &str,
    expect: Option<&str>,
    timeout_ms: u32,
) -> Result<(String, String), DriverError> {
    let pattern = match expect {
        Some(e) => format!(r"(?m)({e}|{PAGER})"),
        None => prompt_pattern(host),
    };
    let mut text = String::new();
    loop {
        let m = kit::read_until(&pattern, timeout_ms, "the prompt")?;
        text.push_str(&m.before);
        if m.matched.contains(PAGER) {
            kit::channel::write(" ").map_err(DriverError::Connection)?;
            continue;
        }
        return Ok((kit::clean(&text), kit::clean(&m.matched)));
    }
}

/// Send one line and return what came back before the next prompt, echo removed.
fn exchange(host: &str, line: &str, timeout_ms: u32) -> Result<(String, String), DriverError> {
    kit::send_line(line)?;
    let (out, prompt) = read_to_prompt(host, None, timeout_ms)?;
    Ok((kit::strip_echo(&out, line).to_string(), prompt))
}

fn rejected(line: &str, words: &str) -> DriverError {
    DriverError::CommandRejected(format!("the device rejected {line:?}: {words}"))
}

fn check(line: &str, output: &str) -> Result<(), DriverError> {
    match kit::find_error(output, ERROR_MARKERS) {
        Some(words) => Err(rejected(line, words)),
        None => Ok(()),
    }
}

/// Hostname from a prompt such as `R1(config)#`.
fn host_of(prompt: &str) -> String {
    let p = prompt.trim();
    let p = p.trim_end_matches(['>', '#']);
    match p.find('(') {
        Some(i) => p[..i].to_string(),
        None => p.to_string(),
    }
}

impl Guest for CiscoIos {
    fn metadata() -> PluginMeta {
        PluginMeta {
            name: "cisco_ios".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            wit_version: kit::WIT_VERSION.into(),
            platforms: vec!["cisco_ios".into(), "cisco_xe".into()],
        }
    }

    fn prepare_session(options: SessionOptions) -> Result<SessionState, DriverError> {
        let t = options.timeout_ms;
        let first = match kit::channel::read_until(ANY_PROMPT, FIRST_PROMPT_MS.min(t)) {
            Ok(m) => m,
            Err(_) => {
                kit::send_line("")?;
                kit::read_until(ANY_PROMPT, t, "a prompt after login")?
            }
        };
        let mut prompt = kit::clean(&first.matched);
        let host = host_of(&prompt);
        // Anything still in flight (a second prompt) must not answer our next command.
        kit::channel::drain();

        if prompt.trim_end().ends_with('>') {
            match options.secret.as_deref() {
                Some(secret) => {
                    kit::send_line("enable")?;
                    let pat = format!(r"(?mi)(password:\s*$|{})", prompt_pattern(&host));
                    let m = kit::read_until(&pat, t, "the enable password prompt")?;
                    if m.matched.to_ascii_lowercase().contains("password") {
                        kit::channel::write(&format!("{secret}\n")).map_err(DriverError::Connection)?;
                        let (out, p) = read_to_prompt(&host, None, t)?;
                        prompt = p;
                        if prompt.trim_end().ends_with('>') {
                            return Err(DriverError::Authentication(format!(
                                "the enable secret was refused: {}",
                                out.trim()
                            )));
                        }
                    } else {
                        prompt = kit::clean(&m.matched);
                    }
                }
                None => kit::log(
                    LogLevel::Warn,
                    "no `secret` given: staying in user mode (some commands will be refused)",
                ),
            }
        }
        for setup in ["terminal length 0", "terminal width 511"] {
            let (out, _) = exchange(&host, setup, t)?;
            check(setup, &out)?;
        }
        kit::log(LogLevel::Debug, &format!("session ready at prompt {}", prompt.trim()));
        Ok(SessionState { prompt: host, data: String::new() })
    }

    fn send_command(
        state: SessionState,
        command: String,
        options: CommandOptions,
    ) -> Result<String, DriverError> {
        kit::send_line(&command)?;
        let (out, prompt) =
            read_to_prompt(&state.prompt, options.expect_string.as_deref(), options.read_timeout_ms)?;
        let body = if options.strip_command { kit::strip_echo(&out, &command) } else { &out };
        check(&command, body)?;
        let mut text = body.trim_end_matches('\n').to_string();
        if !options.strip_prompt {
            text.push('\n');
            text.push_str(&prompt);
        }
        Ok(text)
    }

    fn send_config(
        state: SessionState,
        lines: Vec<String>,
        options: ConfigOptions,
    ) -> Result<ConfigReply, DriverError> {
        let t = options.read_timeout_ms;
        let mut transcript = String::new();
        let mut host = state.prompt.clone();
        let (out, prompt) = exchange(&host, "configure terminal", t)?;
        check("configure terminal", &out)?;
        transcript.push_str(&format!("{}configure terminal\n{out}", "#"));
        let mut last_prompt = prompt;
        for line in &lines {
            kit::send_line(line)?;
            // `hostname X` changes the prompt: in config mode accept any IOS prompt.
            let m = read_any_prompt(t)?;
            let out = kit::strip_echo(&m.0, line).to_string();
            transcript.push_str(&format!("{}{line}\n{out}", last_prompt.trim()));
            last_prompt = m.1.clone();
            host = host_of(&m.1);
            let user_error = match &options.error_pattern {
                Some(p) => kit::channel::search(p, &out)
                    .map_err(|e| DriverError::Protocol(format!("bad error_pattern: {e}")))?,
                None => None,
            };
            let words = kit::find_error(&out, ERROR_MARKERS).map(str::to_string).or(user_error);
            if let Some(words) = words {
                // Leave configuration mode so the session stays usable, then report.
                let _ = exchange(&host, "end", t);
                return Err(rejected(line, &words));
            }
        }
        if options.exit_config_mode {
            let (out, p) = exchange(&host, "end", t)?;
            transcript.push_str(&format!("{}end\n{out}", last_prompt.trim()));
            last_prompt = p;
        }
        if options.save {
            let (out, p) = exchange(&host, "write memory", t)?;
            check("write memory", &out)?;
            transcript.push_str(&format!("{}write memory\n{out}", last_prompt.trim()));
            last_prompt = p;
        }
        transcript.push_str(last_prompt.trim());
        Ok(ConfigReply { transcript, state: SessionState { prompt: host, data: state.data } })
    }

    fn probe(state: SessionState, timeout_ms: u32) -> Result<(), DriverError> {
        kit::channel::drain();
        kit::send_line("")?;
        read_to_prompt(&state.prompt, None, timeout_ms).map(|_| ())
    }

    fn close(_state: SessionState) {
        let _ = kit::send_line("exit");
    }
}

/// Read until any IOS prompt; returns cleaned text and the prompt.
fn read_any_prompt(timeout_ms: u32) -> Result<(String, String), DriverError> {
    let m = kit::read_until(ANY_PROMPT, timeout_ms, "the prompt")?;
    Ok((kit::clean(&m.before), kit::clean(&m.matched)))
}

netpulse_driver_kit::export!(CiscoIos);
