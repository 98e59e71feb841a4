//! NetPulse driver for Cisco IOS-XR: `RP/0/RSP0/CPU0:host#` prompts, a candidate
//! configuration applied by `commit` (`driver_args.commit_comment`,
//! `commit_confirmed` seconds), and the uncommitted-changes question answered `no`
//! when a failed change is abandoned.

use netpulse_driver_kit::cli::{CliDriver, Dialect, Transcript};
use netpulse_driver_kit::{ConfigOptions, DriverError, extra_str};

struct CiscoXr;

impl CliDriver for CiscoXr {
    const NAME: &'static str = "cisco_xr";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");
    const PLATFORMS: &'static [&'static str] = &["cisco_xr"];
    const DIALECT: Dialect = Dialect {
        prompt: r"(?:RP/\d+/\w+/CPU\d+:)?[A-Za-z0-9][\w.\-]*(?:\([\w.\-/]+\))?[>#]",
        config_prompt: Some(r"(?:RP/\d+/\w+/CPU\d+:)?[A-Za-z0-9][\w.\-]*\(conf[^)\r\n]*\)#"),
        pager: Some(r"--More--"),
        questions: &[(r"Uncommitted changes found, commit them[^\n]*\?\s*\[cancel\]:\s*$", "no")],
        errors: &[
            "% Invalid input",
            "% Incomplete command",
            "% Ambiguous command",
            "% Failed to commit",
            "% Unknown",
        ],
        setup: &["terminal length 0", "terminal width 512"],
        enable: Some(("enable", ">")),
        config_enter: &["configure terminal"],
        config_exit: &["end"],
        save: &[],
        context_lines: &[],
    };

    fn finish_config(_d: &Dialect, tr: &mut Transcript, options: &ConfigOptions) -> Result<(), DriverError> {
        let mut commit = String::from("commit");
        if let Some(seconds) = extra_str(&options.extra, "commit_confirmed") {
            commit.push_str(&format!(" confirmed {seconds}"));
        }
        if let Some(comment) = extra_str(&options.extra, "commit_comment") {
            commit.push_str(&format!(" comment {comment}"));
        }
        tr.run(&commit).map(|_| ())
    }
}

netpulse_driver_kit::export!(CiscoXr);
