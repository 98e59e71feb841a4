//! `netpulse-sim`: a russh SSH server that behaves like network devices (today Cisco IOS),
//! used by NetPulse's end-to-end tests and benchmarks.
//!
//! Start a fleet in-process with [`Fleet::start`]; every device listens on its own loopback
//! address (`listen + i`) and answers like a router over an interactive PTY shell: banner,
//! prompt, `enable` with a secret, `--More--` paging until `terminal length 0`, abbreviations,
//! IOS error messages, configuration mode, and canned `show` outputs (from an ntc-templates
//! corpus or a small built-in set).
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
//! With paging on (the default, 24 lines), only the first 23 lines come before ` --More-- `;
//! each key then sends 10 backspaces, 10 spaces and 10 backspaces before the next lines.
//!
//! So a driver's output (paging off) with the echo line and the prompt removed and `\r\n` turned into `\n`,
//! less its one trailing `\n`, equals `canned_output` exactly. `canned_output` is the corpus
//! file's text with line endings normalised to `\n` and trailing whitespace removed
//! (`str::trim_end`); leading blank lines are kept.

mod corpus;
mod fleet;
mod parser;
mod platform;
mod server;
mod terminal;

use std::net::Ipv4Addr;
use std::path::PathBuf;
use std::time::Duration;

pub use fleet::{Device, Fleet};
pub use platform::Platform;

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
    /// What the devices behave like.
    pub platform: Platform,
    /// Number of devices.
    pub count: usize,
    /// First device's address; device `i` listens on `listen + i` (127.0.1.1, 127.0.1.2, ...).
    pub listen: Ipv4Addr,
    /// Same port for every device; 0 gives each device its own ephemeral port.
    pub port: u16,
    /// SSH login user name.
    pub username: String,
    /// SSH login password.
    pub password: String,
    /// Secret asked by `enable`.
    pub secret: String,
    /// ntc-templates root (the folder that has `tests/<platform>/...`); `None` = built-in outputs.
    pub corpus: Option<PathBuf>,
    /// Delay before answering each line typed at the shell.
    pub latency: Duration,
    /// Faults to inject.
    pub faults: Faults,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            platform: Platform::CiscoIos,
            count: 1,
            listen: Ipv4Addr::new(127, 0, 1, 1),
            port: 2222,
            username: "admin".into(),
            password: "admin".into(),
            secret: "enable".into(),
            corpus: None,
            latency: Duration::ZERO,
            faults: Faults::default(),
        }
    }
}
