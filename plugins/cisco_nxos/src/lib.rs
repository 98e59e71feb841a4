//! NetPulse driver for Cisco NX-OS: lands in privileged mode, colours its prompt
//! with ANSI escapes (stripped), `copy running-config startup-config` to save.

use netpulse_driver_kit::cli::{CliDriver, Dialect};

struct CiscoNxos;

impl CliDriver for CiscoNxos {
    const NAME: &'static str = "cisco_nxos";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");
    const PLATFORMS: &'static [&'static str] = &["cisco_nxos"];
    const DIALECT: Dialect = Dialect {
        prompt: r"^(?:\x1b\[[0-9;?]*[A-Za-z])*[A-Za-z0-9][\w.\-/:]*(?:\([\w.\-]+\))?#(?:\x1b\[[0-9;?]*[A-Za-z]|[ \t])*$",
        pager: Some(r"--More--"),
        questions: &[],
        errors: &["% Invalid", "% Incomplete", "% Ambiguous", "% Permission denied", "ERROR:"],
        setup: &["terminal length 0", "terminal width 511"],
        enable: None,
        config_enter: &["configure terminal"],
        config_exit: &["end"],
        save: &["copy running-config startup-config"],
    };
}

netpulse_driver_kit::export!(CiscoNxos);
