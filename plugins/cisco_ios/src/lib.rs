//! NetPulse driver for Cisco IOS and IOS-XE: prompt detection, privileged mode with the
//! enable secret, paging off, configuration mode, `write memory`, and the IOS error
//! messages. The host owns the SSH session; this component decides what to send and
//! how to read the answers.

use netpulse_driver_kit::cli::{CliDriver, Dialect};

struct CiscoIos;

impl CliDriver for CiscoIos {
    const NAME: &'static str = "cisco_ios";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");
    const PLATFORMS: &'static [&'static str] = &["cisco_ios", "cisco_xe"];
    const DIALECT: Dialect = Dialect {
        prompt: r"[A-Za-z0-9][\w.\-/:]*(?:\([\w.\-]+\))?[>#]",
        config_prompt: Some(r"[A-Za-z0-9][\w.\-/:]*\(conf[^)\r\n]*\)#"),
        pager: Some(r"--More--"),
        questions: &[],
        errors: &[
            "% Invalid input",
            "% Incomplete command",
            "% Ambiguous command",
            "% Unknown command",
            "% Invalid command",
            "% Bad ",
            "% Error",
        ],
        setup: &["terminal length 0", "terminal width 511"],
        enable: Some(("enable", ">")),
        config_enter: &["configure terminal"],
        config_exit: &["end"],
        save: &["write memory"],
        context_lines: &[],
    };
}

netpulse_driver_kit::export!(CiscoIos);
