//! NetPulse driver for Cisco NX-OS: usually lands in privileged mode (`#`); a session
//! that starts at `>` enters `enable` with the secret. Its colour escapes are removed
//! by the host. `copy running-config startup-config` to save.

use netpulse_driver_kit::cli::{CliDriver, Dialect};

struct CiscoNxos;

impl CliDriver for CiscoNxos {
    const NAME: &'static str = "cisco_nxos";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");
    const PLATFORMS: &'static [&'static str] = &["cisco_nxos"];
    const DIALECT: Dialect = Dialect {
        prompt: r"[A-Za-z0-9][\w.\-/:]*(?:\([\w.\-]+\))?[>#]",
        config_prompt: Some(r"[A-Za-z0-9][\w.\-/:]*\(conf[^)\r\n]*\)#"),
        pager: Some(r"--More--"),
        questions: &[],
        errors: &["% Invalid", "% Incomplete", "% Ambiguous", "% Permission denied", "ERROR:"],
        setup: &["terminal length 0", "terminal width 511"],
        enable: Some(("enable", ">")),
        config_enter: &["configure terminal"],
        config_exit: &["end"],
        save: &["copy running-config startup-config"],
        context_lines: &[],
    };
}

netpulse_driver_kit::export!(CiscoNxos);
