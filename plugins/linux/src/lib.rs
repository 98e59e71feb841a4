//! NetPulse driver for Linux hosts over SSH: `user@host:~$` / `#` prompts; `config`
//! lines run as shell commands, each failing the job on a non-zero exit status.

use netpulse_driver_kit::cli::{CliDriver, Dialect, Transcript};
use netpulse_driver_kit::{ConfigOptions, ConfigReply, DriverError, SessionState};

struct Linux;

/// The exit status of the last command, as `echo $?` prints it.
fn status(tr: &mut Transcript) -> Result<i32, DriverError> {
    let r = tr.run("echo $?")?;
    r.output
        .lines()
        .rev()
        .find_map(|l| l.trim().parse().ok())
        .ok_or_else(|| DriverError::Protocol(format!("cannot read the exit status from {:?}", r.output)))
}

impl CliDriver for Linux {
    const NAME: &'static str = "linux";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");
    const PLATFORMS: &'static [&'static str] = &["linux"];
    const DIALECT: Dialect = Dialect {
        prompt: r"^[\w.\-]+@[\w.\-]+:[^\r\n]*[$#][ \t]*$",
        pager: None,
        questions: &[],
        errors: &["bash: ", "-bash: ", "sh: "],
        setup: &[],
        enable: None,
        config_enter: &[],
        config_exit: &[],
        save: &[],
    };

    fn send_config(
        state: SessionState,
        lines: Vec<String>,
        options: ConfigOptions,
    ) -> Result<ConfigReply, DriverError> {
        let d = Self::DIALECT;
        d.config(state, &[], &options, |_, tr| {
            for line in &lines {
                let out = tr.run(line)?.output;
                let code = status(tr)?;
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
