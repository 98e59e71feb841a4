//! A minimal NetPulse driver to copy when adding a vendor: it finds a prompt ending
//! in `>` or `#`, runs commands, and reports lines starting with `%` or `Error` as
//! rejections. Replace the constants and the marked parts with your platform's.

use netpulse_driver_kit::{
    self as kit, CommandOptions, ConfigOptions, ConfigReply, DriverError, Guest, PluginMeta, SessionOptions,
    SessionState,
};

struct Driver;

/// The `device_type` values this driver serves. CHANGE ME.
const DEVICE_TYPES: &[&str] = &["template_os"];
/// Any prompt of the platform (multi-line regex). CHANGE ME.
const PROMPT: &str = r"(?m)^[\w.\-/:@()\[\]~<]+[>#\]$][ \t]*$";
/// How the platform starts an error message. CHANGE ME.
const ERRORS: &[&str] = &["% ", "Error", "error:"];
/// Commands that turn paging off, sent once per session. CHANGE ME.
const SETUP: &[&str] = &["terminal length 0"];

/// Send one line, read to the prompt, return the output without echo.
fn exchange(line: &str, timeout_ms: u32) -> Result<String, DriverError> {
    kit::send_line(line)?;
    let m = kit::read_until(PROMPT, timeout_ms, "the prompt")?;
    let out = kit::clean(&m.before);
    let out = kit::strip_echo(&out, line).trim_end().to_string();
    match kit::find_error(&out, ERRORS) {
        Some(words) => Err(DriverError::CommandRejected(format!("the device rejected {line:?}: {words}"))),
        None => Ok(out),
    }
}

impl Guest for Driver {
    fn metadata() -> PluginMeta {
        PluginMeta {
            name: env!("CARGO_PKG_NAME").into(),
            version: env!("CARGO_PKG_VERSION").into(),
            wit_version: kit::WIT_VERSION.into(),
            platforms: DEVICE_TYPES.iter().map(|s| s.to_string()).collect(),
        }
    }

    fn prepare_session(options: SessionOptions) -> Result<SessionState, DriverError> {
        let m = kit::read_until(PROMPT, options.timeout_ms, "the first prompt")?;
        kit::channel::drain();
        for line in SETUP {
            exchange(line, options.timeout_ms)?;
        }
        kit::log(kit::LogLevel::Debug, "session ready");
        Ok(SessionState { prompt: kit::clean(&m.matched).trim().to_string(), data: String::new() })
    }

    fn send_command(_state: SessionState, command: String, o: CommandOptions) -> Result<String, DriverError> {
        exchange(&command, o.read_timeout_ms)
    }

    fn send_config(
        state: SessionState,
        lines: Vec<String>,
        o: ConfigOptions,
    ) -> Result<ConfigReply, DriverError> {
        // CHANGE ME: enter and leave your platform's configuration mode.
        let mut transcript = String::new();
        for line in
            ["configure terminal"].iter().map(|s| s.to_string()).chain(lines).chain(["end".to_string()])
        {
            transcript.push_str(&format!("{line}\n{}\n", exchange(&line, o.read_timeout_ms)?));
        }
        Ok(ConfigReply { transcript, state })
    }

    fn probe(_state: SessionState, timeout_ms: u32) -> Result<(), DriverError> {
        exchange("", timeout_ms).map(|_| ())
    }

    fn close(_state: SessionState) {
        let _ = kit::send_line("exit");
    }
}

netpulse_driver_kit::export!(Driver);
