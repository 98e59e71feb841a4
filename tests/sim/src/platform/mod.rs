//! Platforms the simulator can imitate, and the two traits each platform implements:
//! [`DeviceModel`] (per-device state shared by its sessions) and [`Shell`] (one interactive
//! CLI session). Adding a platform = a new module here plus its arms in [`Platform`].

mod cisco_ios;

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use crate::SimConfig;

/// What the simulated devices behave like.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Platform {
    /// Cisco IOS / IOS XE (`cisco_ios`).
    CiscoIos,
}

impl Platform {
    /// Every platform, in the order they are listed in messages.
    pub const ALL: &'static [Platform] = &[Platform::CiscoIos];

    /// The ntc-templates / netmiko name, e.g. `cisco_ios`.
    pub fn name(self) -> &'static str {
        match self {
            Platform::CiscoIos => "cisco_ios",
        }
    }

    /// The start-time hostname of device number `index` (0-based).
    pub(crate) fn hostname(self, index: usize) -> String {
        match self {
            Platform::CiscoIos => format!("R{}", index + 1),
        }
    }

    /// Everything this platform's devices share within a fleet (canned outputs, command
    /// trees), built once by [`crate::Fleet::start`].
    pub(crate) fn catalog(self, cfg: &SimConfig) -> anyhow::Result<Arc<dyn Catalog>> {
        match self {
            Platform::CiscoIos => Ok(Arc::new(cisco_ios::IosCatalog::load(cfg)?)),
        }
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Platform {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Platform::ALL.iter().copied().find(|p| p.name().eq_ignore_ascii_case(s.trim())).ok_or_else(|| {
            let known: Vec<_> = Platform::ALL.iter().map(|p| p.name()).collect();
            format!("unknown platform {s:?} (supported: {})", known.join(", "))
        })
    }
}

/// Fleet-wide, read-only data of a platform; makes the per-device models.
pub(crate) trait Catalog: Send + Sync {
    /// The model of device number `index` (0-based) called `name`.
    fn new_device(self: Arc<Self>, index: usize, name: &str) -> Arc<dyn DeviceModel>;
}

/// One device's state, shared by all its SSH sessions.
pub(crate) trait DeviceModel: Send + Sync {
    /// What `show running-config` prints now (`\n` endings, no trailing newline).
    fn running_config(&self) -> String;
    /// The text answered to `command` in privileged mode, if it is a show-like command.
    fn canned_output(&self, command: &str) -> Option<String>;
    /// A new CLI session (after login).
    fn new_shell(self: Arc<Self>) -> Box<dyn Shell>;
}

/// What a shell answers to one line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Reply {
    /// Output lines joined by `\n`; empty = nothing. A trailing `\n` means a trailing blank line.
    pub text: String,
    /// End the session after sending `text`.
    pub close: bool,
}

impl Reply {
    pub fn text(text: impl Into<String>) -> Reply {
        Reply { text: text.into(), close: false }
    }

    pub fn empty() -> Reply {
        Reply::default()
    }
}

/// One interactive CLI session; pure state machine, no I/O.
pub(crate) trait Shell: Send {
    /// Lines sent when the shell starts, before the first prompt (`\n` separated).
    fn greeting(&self) -> String;
    /// The prompt to show now (no newline), e.g. `R1#` or `Password: `.
    fn prompt(&self) -> String;
    /// Runs one complete input line (without its line ending).
    fn execute(&mut self, line: &str) -> Reply;
    /// Runs the line typed as Ctrl-Z (config mode: like `end`).
    fn ctrl_z(&mut self) -> Reply;
    /// False while the input is a secret (e.g. the `enable` password): no echo.
    fn echo(&self) -> bool;
    /// Screen length for paging, including the pager line; 0 = paging off.
    fn page_length(&self) -> usize;
    /// The pager prompt, e.g. ` --More-- `.
    fn more_prompt(&self) -> &'static str;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_platform_names() {
        assert_eq!("cisco_ios".parse::<Platform>(), Ok(Platform::CiscoIos));
        assert_eq!(" CISCO_IOS".parse::<Platform>(), Ok(Platform::CiscoIos));
        let err = "junos".parse::<Platform>().unwrap_err();
        assert!(err.contains("supported: cisco_ios"), "{err}");
        assert_eq!(Platform::CiscoIos.to_string(), "cisco_ios");
    }
}
