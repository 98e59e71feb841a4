//! Platforms the simulator can imitate, and the two traits each platform implements:
//! [`DeviceModel`] (per-device state shared by its sessions) and [`Shell`] (one interactive
//! CLI session). Adding a platform = a new module here plus its arms in [`Platform`].
//! Helpers shared by several platforms: [`device`] (a device's catalog and shared state),
//! [`outputs`] (canned outputs and the exec command trees made from them), [`filter`] (output
//! pipes), [`caret`] (errors marked under the typed line), [`exec`] and [`blocks`] (exec mode
//! and block configurations of the Cisco-style CLIs) and, for unit tests, [`testing`].

mod arista_eos;
mod blocks;
mod caret;
mod cisco_ios;
mod cisco_nxos;
mod cisco_xr;
mod device;
mod exec;
pub(crate) mod filter;
mod huawei_vrp;
mod juniper_junos;
mod linux;
mod outputs;
#[cfg(test)]
mod testing;

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use crate::SimConfig;

/// What the simulated devices behave like.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Platform {
    /// Cisco IOS / IOS XE (`cisco_ios`).
    CiscoIos,
    /// Cisco NX-OS (`cisco_nxos`).
    CiscoNxos,
    /// Cisco IOS XR (`cisco_xr`).
    CiscoXr,
    /// Juniper Junos (`juniper_junos`).
    JuniperJunos,
    /// Arista EOS (`arista_eos`).
    AristaEos,
    /// Huawei VRP (`huawei_vrp`).
    HuaweiVrp,
    /// A Linux host with bash (`linux`).
    Linux,
}

impl Platform {
    /// Every platform, in the order they are listed in messages.
    pub const ALL: &'static [Platform] = &[
        Platform::CiscoIos,
        Platform::CiscoNxos,
        Platform::CiscoXr,
        Platform::JuniperJunos,
        Platform::AristaEos,
        Platform::HuaweiVrp,
        Platform::Linux,
    ];

    /// The ntc-templates / netmiko name, e.g. `cisco_ios`.
    pub fn name(self) -> &'static str {
        match self {
            Platform::CiscoIos => "cisco_ios",
            Platform::CiscoNxos => "cisco_nxos",
            Platform::CiscoXr => "cisco_xr",
            Platform::JuniperJunos => "juniper_junos",
            Platform::AristaEos => "arista_eos",
            Platform::HuaweiVrp => "huawei_vrp",
            Platform::Linux => "linux",
        }
    }

    /// The start-time hostname of device number `index` (0-based) among this platform's
    /// devices: `R1`, `nxos1`, `xr1`, `junos1`, `eos1`, `vrp1`, `linux1`, ...
    pub(crate) fn hostname(self, index: usize) -> String {
        let prefix = match self {
            Platform::CiscoIos => "R",
            Platform::CiscoNxos => "nxos",
            Platform::CiscoXr => "xr",
            Platform::JuniperJunos => "junos",
            Platform::AristaEos => "eos",
            Platform::HuaweiVrp => "vrp",
            Platform::Linux => "linux",
        };
        format!("{prefix}{}", index + 1)
    }

    /// The SSH identification string its devices send.
    pub(crate) fn ssh_id(self) -> &'static str {
        match self {
            Platform::CiscoIos => "SSH-2.0-Cisco-1.25",
            Platform::CiscoNxos => "SSH-2.0-OpenSSH_7.3",
            Platform::CiscoXr => "SSH-2.0-Cisco-2.0",
            Platform::JuniperJunos => "SSH-2.0-OpenSSH_7.5",
            Platform::AristaEos => "SSH-2.0-OpenSSH_7.6",
            Platform::HuaweiVrp => "SSH-2.0-HUAWEI-1.5",
            Platform::Linux => "SSH-2.0-OpenSSH_8.9p1 Ubuntu-3ubuntu0.6",
        }
    }

    /// Everything this platform's devices share within a fleet (canned outputs, command
    /// trees), built once by [`crate::Fleet::start`].
    pub(crate) fn catalog(self, cfg: &SimConfig) -> anyhow::Result<Arc<dyn Catalog>> {
        Ok(match self {
            Platform::CiscoIos => Arc::new(cisco_ios::IosCatalog::load(cfg)?),
            Platform::CiscoNxos => Arc::new(cisco_nxos::NxosCatalog::load(cfg)?),
            Platform::CiscoXr => Arc::new(cisco_xr::XrCatalog::load(cfg)?),
            Platform::JuniperJunos => Arc::new(juniper_junos::JunosCatalog::load(cfg)?),
            Platform::AristaEos => Arc::new(arista_eos::EosCatalog::load(cfg)?),
            Platform::HuaweiVrp => Arc::new(huawei_vrp::VrpCatalog::load(cfg)?),
            Platform::Linux => Arc::new(linux::LinuxCatalog::load(cfg)?),
        })
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
    /// Do not page this answer (`| no-more`).
    pub no_more: bool,
}

impl Reply {
    pub fn text(text: impl Into<String>) -> Reply {
        Reply { text: text.into(), ..Reply::default() }
    }

    /// Sends `text`, then ends the session.
    pub fn close(text: impl Into<String>) -> Reply {
        Reply { text: text.into(), close: true, no_more: false }
    }

    pub fn empty() -> Reply {
        Reply::default()
    }
}

/// One interactive CLI session; pure state machine, no I/O.
pub(crate) trait Shell: Send {
    /// Lines sent when the shell starts, before the first prompt (`\n` separated).
    fn greeting(&self) -> String;
    /// The prompt to show now, sent as is (no newline added), e.g. `R1#` or `Password: `. It may
    /// hold several lines (`\r\n` endings), e.g. Junos's `[edit]` line.
    fn prompt(&self) -> String;
    /// Runs one complete input line (without its line ending).
    fn execute(&mut self, line: &str) -> Reply;
    /// Runs the line typed as Ctrl-Z (config mode: like `end`). Default: nothing happens.
    fn ctrl_z(&mut self) -> Reply {
        Reply::empty()
    }
    /// Ctrl-C: abandons the line (and any question being asked).
    fn ctrl_c(&mut self) -> Reply {
        Reply::empty()
    }
    /// Bytes sent as they are before the greeting (a banner with its own line endings).
    fn raw_banner(&self) -> String {
        String::new()
    }
    /// Bytes sent right after Enter, before the answer (bash's `ESC[?2004l\r`).
    fn after_enter(&self) -> String {
        String::new()
    }
    /// False while the input is a secret (e.g. the `enable` password): no echo. Default: true.
    fn echo(&self) -> bool {
        true
    }
    /// Screen length for paging, including the pager line; 0 = paging off (the default).
    fn page_length(&self) -> usize {
        0
    }
    /// The pager prompt. Default: Cisco's ` --More-- `.
    fn more_prompt(&self) -> &'static str {
        " --More-- "
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_platform_names() {
        assert_eq!("cisco_ios".parse::<Platform>(), Ok(Platform::CiscoIos));
        assert_eq!(" CISCO_IOS".parse::<Platform>(), Ok(Platform::CiscoIos));
        let err = "junos".parse::<Platform>().unwrap_err();
        assert!(err.contains("supported: cisco_ios, cisco_nxos, cisco_xr, juniper_junos"), "{err}");
        assert_eq!(Platform::CiscoIos.to_string(), "cisco_ios");
        for p in Platform::ALL {
            assert_eq!(p.name().parse::<Platform>(), Ok(*p));
        }
        assert_eq!(Platform::JuniperJunos.hostname(1), "junos2");
    }
}
