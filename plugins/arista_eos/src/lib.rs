//! NetPulse driver for Arista EOS: IOS-like modes, `enable`, `terminal width 511`
//! (some releases refuse wider; setup is best effort), `write memory` to save.

use netpulse_driver_kit::cli::{CliDriver, Dialect};

struct AristaEos;

impl CliDriver for AristaEos {
    const NAME: &'static str = "arista_eos";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");
    const PLATFORMS: &'static [&'static str] = &["arista_eos"];
    const DIALECT: Dialect = Dialect {
        prompt: r"[A-Za-z0-9][\w.\-/:]*(?:\([\w.\-]+\))?[>#]",
        config_prompt: Some(r"[A-Za-z0-9][\w.\-/:]*\(conf[^)\r\n]*\)#"),
        pager: Some(r"--More--"),
        questions: &[],
        errors: &["% Invalid input", "% Incomplete command", "% Ambiguous command", "% Unknown", "% Error"],
        setup: &["terminal length 0", "terminal width 511"],
        enable: Some(("enable", ">")),
        config_enter: &["configure terminal"],
        config_exit: &["end"],
        save: &["write memory"],
        context_lines: &[],
    };
}

netpulse_driver_kit::export!(AristaEos);
