//! `netpulse-sim`: a russh SSH server that behaves like network devices, used by NetPulse's
//! end-to-end tests and benchmarks. Platforms: Cisco IOS, NX-OS and IOS XR, Juniper Junos,
//! Arista EOS, Huawei VRP, and a Linux host with bash (see [`Platform`]).
//!
//! Start a fleet in-process with [`Fleet::start`]; every device listens on its own loopback
//! address (`listen + i`) and answers like its platform over an interactive PTY shell: banner,
//! prompts and modes, paging until it is turned off, abbreviations, the platform's error
//! messages, a configuration that the CLI changes (with `commit` on IOS XR and Junos), and
//! canned show outputs (from an ntc-templates corpus or a small built-in set). A fleet may mix
//! platforms ([`SimConfig::fleet`]).
//!
//! # What the wire carries for a command
//!
//! For a client that sends `show version\n` with paging off, the device sends:
//!
//! 1. the echo: `show version\r\n`;
//! 2. the answer: [`Device::canned_output`] with every `\n` replaced by `\r\n`, followed by
//!    `\r\n` (nothing at all when the answer is empty, e.g. for `terminal length 0`);
//! 3. the prompt, e.g. `R1#`, without a newline.
//!
//! With paging on (the default, 24 lines), only the first 23 lines come before the pager
//! prompt (` --More-- `; Junos `---(more)---`, VRP `  ---- More ----`); each key then sends
//! as many backspaces, spaces and backspaces as the pager prompt is long before the next lines.
//!
//! So a driver's output (paging off) with the echo line and the prompt removed and `\r\n` turned into `\n`,
//! less its one trailing `\n`, equals `canned_output` exactly. `canned_output` is the corpus
//! file's text with line endings normalised to `\n` and trailing whitespace removed
//! (`str::trim_end`); leading blank lines are kept. Two platforms add to the prompt: NX-OS
//! sends `ESC[0m` right before the prompt after the login banner and after every answer that
//! printed something, and Junos's configuration-mode prompt is `\r\n[edit]\r\nuser@host# `.

mod corpus;
mod fleet;
mod parser;
mod platform;
mod quirks;
mod server;
mod terminal;

use std::net::Ipv4Addr;
use std::path::PathBuf;
use std::time::Duration;

pub use fleet::{Device, Fleet};
pub use platform::Platform;
pub use quirks::{Quirks, ShellKind, StrayPager};

/// Faults a device injects on demand. `Default` injects none.
///
/// Command counts for `drop_after_commands` / `hang_after_commands` are per SSH connection:
/// every new connection gets `n` good commands before the fault strikes again.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Faults {
    /// Reject every authentication attempt.
    pub refuse_login: bool,
    /// Close the connection (SSH disconnect) when command `n + 1` of a connection arrives.
    pub drop_after_commands: Option<u32>,
    /// From command `n + 1` of a connection on, stop answering: no echo, no output, no prompt,
    /// but the connection stays open.
    pub hang_after_commands: Option<u32>,
}

/// How to start a [`Fleet`].
#[derive(Debug, Clone)]
pub struct SimConfig {
    /// What the devices behave like (when [`SimConfig::fleet`] is empty).
    pub platform: Platform,
    /// Number of devices (when [`SimConfig::fleet`] is empty).
    pub count: usize,
    /// A mixed fleet: `(platform, count)` groups, started in this order on consecutive
    /// addresses. Empty = `count` devices of `platform`.
    pub fleet: Vec<(Platform, usize)>,
    /// First device's address; device `i` listens on `listen + i` (127.0.1.1, 127.0.1.2, ...).
    pub listen: Ipv4Addr,
    /// Same port for every device; 0 gives each device its own ephemeral port.
    pub port: u16,
    /// SSH login user name.
    pub username: String,
    /// SSH login password.
    pub password: String,
    /// Secret asked by `enable` (IOS, EOS; EOS asks nothing when it is empty).
    pub secret: String,
    /// ntc-templates root (the folder that has `tests/<platform>/...`); `None` = built-in outputs.
    pub corpus: Option<PathBuf>,
    /// Delay before answering each line typed at the shell.
    pub latency: Duration,
    /// Faults to inject.
    pub faults: Faults,
    /// Habits of real devices to imitate (escapes, banners, refusals, ...).
    pub quirks: Quirks,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            platform: Platform::CiscoIos,
            count: 1,
            fleet: Vec::new(),
            listen: Ipv4Addr::new(127, 0, 1, 1),
            port: 2222,
            username: "admin".into(),
            password: "admin".into(),
            secret: "enable".into(),
            corpus: None,
            latency: Duration::ZERO,
            faults: Faults::default(),
            quirks: Quirks::default(),
        }
    }
}

impl SimConfig {
    /// The `(platform, count)` groups to start: [`SimConfig::fleet`], or `count` devices of
    /// `platform` when it is empty.
    pub fn groups(&self) -> Vec<(Platform, usize)> {
        if self.fleet.is_empty() { vec![(self.platform, self.count)] } else { self.fleet.clone() }
    }

    /// Parses a mixed-fleet description: `cisco_ios:100,juniper_junos:50` (a platform
    /// without `:COUNT` counts 1).
    pub fn parse_fleet(spec: &str) -> Result<Vec<(Platform, usize)>, String> {
        let mut groups = Vec::new();
        for part in spec.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (name, count) = match part.split_once(':') {
                Some((name, count)) => {
                    let count: usize =
                        count.trim().parse().ok().filter(|n| *n > 0).ok_or_else(|| {
                            format!("bad device count in {part:?} (expected a number from 1)")
                        })?;
                    (name, count)
                }
                None => (part, 1),
            };
            groups.push((name.parse::<Platform>()?, count));
        }
        if groups.is_empty() {
            return Err("empty fleet (expected e.g. cisco_ios:10,juniper_junos:5)".into());
        }
        Ok(groups)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_fleets() {
        assert_eq!(
            SimConfig::parse_fleet("cisco_ios:100, juniper_junos:50,linux"),
            Ok(vec![(Platform::CiscoIos, 100), (Platform::JuniperJunos, 50), (Platform::Linux, 1)])
        );
        assert!(SimConfig::parse_fleet("cisco_ios:0").unwrap_err().contains("bad device count"));
        assert!(SimConfig::parse_fleet("cisco_ios:x").unwrap_err().contains("bad device count"));
        assert!(SimConfig::parse_fleet("junos:1").unwrap_err().contains("unknown platform"));
        assert!(SimConfig::parse_fleet(" , ").is_err());
        let cfg = SimConfig { count: 3, ..SimConfig::default() };
        assert_eq!(cfg.groups(), vec![(Platform::CiscoIos, 3)]);
        let cfg = SimConfig { fleet: vec![(Platform::Linux, 2)], ..cfg };
        assert_eq!(cfg.groups(), vec![(Platform::Linux, 2)]);
    }
}
