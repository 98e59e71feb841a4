//! NetPulse driver for Huawei VRP: `<host>` user view, `[host]` system view,
//! `screen-length 0 temporary`, `system-view` ... `return`, `save` answering `[Y/N]`.

use netpulse_driver_kit::cli::{CliDriver, Dialect};

struct HuaweiVrp;

impl CliDriver for HuaweiVrp {
    const NAME: &'static str = "huawei_vrp";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");
    const PLATFORMS: &'static [&'static str] = &["huawei_vrp", "huawei"];
    const DIALECT: Dialect = Dialect {
        prompt: r"(?:<[~*]*[\w.\-/:]+>|\[[~*]*[\w.\-/:]+\])",
        config_prompt: Some(r"\[[~*]*[\w.\-/:]+\]"),
        pager: Some(r"-{2,4} ?More ?-{2,4}"),
        questions: &[(r"\[Y/N\]:?[ \t]*$", "y")],
        errors: &["Error:"],
        setup: &["screen-length 0 temporary"],
        enable: None,
        config_enter: &["system-view"],
        config_exit: &["return"],
        save: &["save"],
        context_lines: &[],
    };
}

netpulse_driver_kit::export!(HuaweiVrp);
