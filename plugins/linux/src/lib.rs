//! NetPulse driver for Linux hosts over SSH: bash (with or without bracketed paste,
//! whose escapes the host removes), dash/sh, zsh with a plain theme and root `#`
//! prompts. With `driver_args.check_exit_status: true` a command job reads each
//! command's exit status and fails on a non-zero one, naming it; `config` lines run
//! as shell commands, each failing the job on a non-zero exit status.

use netpulse_driver_kit::cli::{CliDriver, Dialect, Transcript};
use netpulse_driver_kit::{
    CommandOptions, ConfigOptions, ConfigReply, DriverError, LogLevel, SessionState, log,
};

struct Linux;

/// Prints the last command's exit status between markers that its own output
/// cannot contain by accident (the echo of this line has `"_NP_RC"` split by quotes).
const STATUS: &str = "echo \"_NP_RC\"$?\"_\"";

/// The exit status in the output of [`STATUS`].
fn parse_status(output: &str) -> Option<i32> {
    output.lines().rev().find_map(|l| {
        let rest = l.trim().strip_prefix("_NP_RC")?;
        rest.strip_suffix('_')?.parse().ok()
    })
}

/// The exit status of the last command.
fn status(d: &Dialect, timeout_ms: u32) -> Result<i32, DriverError> {
    let r = d.exchange(STATUS, timeout_ms)?;
    parse_status(&r.output)
        .ok_or_else(|| DriverError::Protocol(format!("cannot read the exit status from {:?}", r.output)))
}

/// The exit status of the last line of a configuration transcript.
fn transcript_status(tr: &mut Transcript) -> Result<i32, DriverError> {
    let r = tr.run(STATUS)?;
    parse_status(&r.output)
        .ok_or_else(|| DriverError::Protocol(format!("cannot read the exit status from {:?}", r.output)))
}

impl CliDriver for Linux {
    const NAME: &'static str = "linux";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");
    const PLATFORMS: &'static [&'static str] = &["linux"];
    const DIALECT: Dialect = Dialect {
        // user@host:~$, [user@host ~]$, root@host:/etc#, bash-5.2$, $ (dash), host% (zsh).
        prompt: r"[^\r\n]*?[$#%]",
        config_prompt: None,
        pager: None,
        questions: &[],
        errors: &["bash: ", "-bash: ", "sh: ", "-sh: ", "dash: ", "zsh: ", "-zsh: "],
        setup: &[],
        enable: None,
        config_enter: &[],
        config_exit: &[],
        save: &[],
        context_lines: &[],
    };

    fn send_command(command: &str, o: &CommandOptions) -> Result<String, DriverError> {
        let d = Self::DIALECT;
        let confirm = o.extra_bool("confirm");
        let output =
            d.command(command, o.expect_string.as_deref(), o.strip_prompt, o.read_timeout_ms, confirm)?;
        // One more round trip, so only when asked for.
        if o.extra_bool("check_exit_status") && o.expect_string.is_none() {
            let code = status(&d, o.read_timeout_ms)?;
            if code != 0 {
                return Err(DriverError::CommandRejected(format!(
                    "{command:?} exited with status {code}: {}",
                    netpulse_driver_kit::tail(output.trim(), 500)
                )));
            }
            log(LogLevel::Debug, &format!("{command:?} exited with status 0"));
        }
        Ok(output)
    }

    fn send_config(
        state: SessionState,
        lines: Vec<String>,
        options: ConfigOptions,
    ) -> Result<ConfigReply, DriverError> {
        let d = Self::DIALECT;
        d.config(state, &[], &options, |_, tr| {
            for line in &lines {
                let out = tr.run(line)?.output;
                let code = transcript_status(tr)?;
                if code != 0 {
                    return Err(DriverError::CommandRejected(format!(
                        "{line:?} exited with status {code}: {}",
                        out.trim()
                    )));
                }
            }
            Ok(())
        })
    }
}

netpulse_driver_kit::export!(Linux);
