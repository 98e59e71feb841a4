//! NetPulse driver for Juniper Junos: `user@host>` / `user@host#` prompts (the
//! `[edit]` and `{master:0}` context lines before them are removed from output),
//! CLI screen settings, `configure` ... `commit` (or `commit check` when
//! `driver_args.dry_run`), `exit configuration-mode`.

use netpulse_driver_kit::cli::{CliDriver, Dialect, Transcript, rejected};
use netpulse_driver_kit::{ConfigOptions, DriverError, extra_bool, extra_str};

struct JuniperJunos;

impl CliDriver for JuniperJunos {
    const NAME: &'static str = "juniper_junos";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");
    const PLATFORMS: &'static [&'static str] = &["juniper_junos", "juniper"];
    const DIALECT: Dialect = Dialect {
        prompt: r"[\w.\-]+@[\w.\-]+[>#%]",
        config_prompt: Some(r"[\w.\-]+@[\w.\-]+#"),
        pager: Some(r"---\(more[^)]*\)---"),
        questions: &[(r"Exit with uncommitted changes\? \[yes,no\][^\n]*$", "yes")],
        errors: &[
            "syntax error",
            "unknown command",
            "error:",
            "missing argument",
            "invalid value",
            "invalid interface",
        ],
        setup: &["set cli screen-length 0", "set cli screen-width 511", "set cli complete-on-space off"],
        enable: None,
        config_enter: &["configure"],
        config_exit: &["exit configuration-mode"],
        save: &[],
        context_lines: &[
            r"\[edit(?: [^\]]*)?\]",
            r"\{(?:master|backup|primary|secondary|linecard|line)(?::[^}]*)?\}",
        ],
    };

    fn finish_config(_d: &Dialect, tr: &mut Transcript, options: &ConfigOptions) -> Result<(), DriverError> {
        let (command, success) = if extra_bool(&options.extra, "dry_run") {
            ("commit check".to_string(), "configuration check succeeds")
        } else {
            match extra_str(&options.extra, "commit_comment") {
                Some(c) => (format!("commit comment \"{c}\""), "commit complete"),
                None => ("commit".to_string(), "commit complete"),
            }
        };
        let r = tr.run(&command)?;
        if r.output.contains(success) { Ok(()) } else { Err(rejected(&command, r.output.trim())) }
    }
}

netpulse_driver_kit::export!(JuniperJunos);
