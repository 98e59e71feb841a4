//! A fleet of simulated devices: binds one listener per device (`listen + i`), runs them until
//! the [`Fleet`] is dropped or shut down, and exposes each [`Device`]'s address and counters.

use std::collections::HashMap;
use std::fmt;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use anyhow::{Context, bail};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::platform::{Catalog, DeviceModel};
use crate::{Faults, Platform, Quirks, SimConfig, server};

/// Login and behaviour settings shared by every device of a fleet.
pub(crate) struct Settings {
    pub username: String,
    pub password: String,
    pub secret: String,
    pub latency: Duration,
    pub faults: Faults,
    pub quirks: Arc<Quirks>,
}

/// One device's shared state.
pub(crate) struct DeviceInner {
    pub addr: SocketAddr,
    pub platform: Platform,
    pub name: String,
    pub model: Arc<dyn DeviceModel>,
    pub logins: AtomicU64,
    pub commands: AtomicU64,
    /// Who talks to the device, session by session (see [`Sessions`]).
    pub sessions: Arc<Sessions>,
    pub settings: Arc<Settings>,
    /// The fleet's host key: OpenSSH text form (`ssh-ed25519 AAAA...`) and SHA256 fingerprint.
    pub host_key: (String, String),
}

impl DeviceInner {
    /// A new CLI session of this device, with the fleet's realism options on it.
    pub(crate) fn shell(&self) -> Box<dyn crate::platform::Shell> {
        let s = &self.settings;
        crate::quirks::QuirkShell::wrap(self.model.clone().new_shell(), &s.quirks, self.platform, &s.secret)
    }
}

/// Session accounting of one device: connections open now and at most, and who
/// sent commands when.
#[derive(Default)]
pub(crate) struct Sessions {
    /// Connections accepted so far; a connection's number is its place in this count.
    pub opened: AtomicU64,
    pub open: AtomicU64,
    pub peak: AtomicU64,
    /// The newest connection that has sent a command.
    pub newest_speaker: AtomicU64,
    pub interleaved: std::sync::Mutex<Vec<String>>,
    /// Command lines by text, with how many times each arrived.
    pub received: std::sync::Mutex<HashMap<String, u64>>,
}

impl Sessions {
    /// A connection starts: its number, and a guard that counts it open while it lives.
    pub(crate) fn open(self: &Arc<Self>) -> (u64, OpenSession) {
        let n = self.opened.fetch_add(1, Ordering::Relaxed) + 1;
        let now = self.open.fetch_add(1, Ordering::Relaxed) + 1;
        self.peak.fetch_max(now, Ordering::Relaxed);
        (n, OpenSession(self.clone()))
    }

    /// Connection `session` sent `line`.
    pub(crate) fn command(&self, session: u64, line: &str) {
        let line = line.trim();
        *self.received.lock().expect("sessions lock").entry(line.to_string()).or_default() += 1;
        if matches!(line, "exit" | "quit" | "logout") {
            return;
        }
        if self.newest_speaker.fetch_max(session, Ordering::Relaxed) > session {
            self.interleaved.lock().expect("sessions lock").push(format!("connection {session}: {line}"));
        }
    }
}

/// Counts a connection open until dropped.
pub(crate) struct OpenSession(Arc<Sessions>);

impl Drop for OpenSession {
    fn drop(&mut self) {
        self.0.open.fetch_sub(1, Ordering::Relaxed);
    }
}

/// A running set of simulated devices. Dropping it (or [`Fleet::shutdown`]) closes the
/// listeners and disconnects every session.
pub struct Fleet {
    devices: Vec<Device>,
    tasks: Vec<JoinHandle<()>>,
    stop: Option<watch::Sender<()>>,
}

impl Fleet {
    /// Binds every device and starts serving. Fails (with nothing left running) if an address
    /// cannot be bound or the corpus cannot be read.
    pub async fn start(cfg: SimConfig) -> anyhow::Result<Fleet> {
        let groups = cfg.groups();
        if let Some((platform, _)) = groups.iter().find(|(_, count)| *count == 0) {
            bail!("count must be at least 1 (got 0 {platform} devices)");
        }
        let total: usize = groups.iter().map(|(_, count)| count).sum();
        let first = u32::from(cfg.listen);
        u32::try_from(total - 1).ok().and_then(|extra| first.checked_add(extra)).with_context(|| {
            format!("{total} devices starting at {} run past 255.255.255.255", cfg.listen)
        })?;
        let key = server::host_key();
        let public = key.public_key().clone();
        let host_key = (
            format!(
                "{} {}",
                public.algorithm().as_str(),
                public.to_openssh()?.split(' ').nth(1).unwrap_or_default()
            ),
            public.fingerprint(russh::keys::HashAlg::Sha256).to_string(),
        );
        let mut platforms: HashMap<Platform, (Arc<dyn Catalog>, Arc<russh::server::Config>)> = HashMap::new();
        for (platform, _) in &groups {
            if !platforms.contains_key(platform) {
                let ssh = Arc::new(server::config(key.clone(), platform.ssh_id()));
                platforms.insert(*platform, (platform.catalog(&cfg)?, ssh));
            }
        }
        let settings = Arc::new(Settings {
            username: cfg.username.clone(),
            password: cfg.password.clone(),
            secret: cfg.secret.clone(),
            latency: cfg.latency,
            faults: cfg.faults.clone(),
            quirks: Arc::new(cfg.quirks.clone()),
        });
        let (stop, stopped) = watch::channel(());
        let mut fleet =
            Fleet { devices: Vec::with_capacity(total), tasks: Vec::with_capacity(total), stop: Some(stop) };
        // devices of a platform are numbered from 1 across its groups: R1, R2, ..., junos1, ...
        let mut numbers: HashMap<Platform, usize> = HashMap::new();
        let platform_of_each =
            groups.iter().flat_map(|(platform, count)| std::iter::repeat_n(*platform, *count));
        for (index, platform) in platform_of_each.enumerate() {
            // checked above: first + index fits
            let ip = Ipv4Addr::from(first + index as u32);
            let listener = TcpListener::bind((ip, cfg.port)).await.with_context(|| {
                format!("cannot listen on {ip}:{} for device {} of {total} ({platform})", cfg.port, index + 1)
            })?;
            let addr = listener.local_addr()?;
            let number = numbers.entry(platform).or_default();
            let name = platform.hostname(*number);
            let (catalog, ssh) = &platforms[&platform];
            let inner = Arc::new(DeviceInner {
                addr,
                platform,
                model: catalog.clone().new_device(*number, &name),
                name,
                logins: AtomicU64::new(0),
                commands: AtomicU64::new(0),
                sessions: Arc::default(),
                settings: settings.clone(),
                host_key: host_key.clone(),
            });
            *number += 1;
            fleet.tasks.push(tokio::spawn(server::serve(
                listener,
                inner.clone(),
                ssh.clone(),
                stopped.clone(),
            )));
            fleet.devices.push(Device { inner });
        }
        Ok(fleet)
    }

    /// The devices, in address order.
    pub fn devices(&self) -> &[Device] {
        &self.devices
    }

    /// Stops every device: listeners are closed when this returns, sessions are sent an SSH
    /// disconnect.
    pub async fn shutdown(mut self) {
        self.stop.take();
        for task in std::mem::take(&mut self.tasks) {
            task.abort();
            let _ = task.await;
        }
    }
}

impl Drop for Fleet {
    fn drop(&mut self) {
        self.stop.take();
        for task in &self.tasks {
            task.abort();
        }
    }
}

impl fmt::Debug for Fleet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Fleet").field("devices", &self.devices).finish()
    }
}

/// One simulated device. Cheap to clone.
#[derive(Clone)]
pub struct Device {
    inner: Arc<DeviceInner>,
}

impl Device {
    /// The address it actually listens on.
    pub fn addr(&self) -> SocketAddr {
        self.inner.addr
    }

    /// Its name at start, unique in the fleet: the platform's prefix and the device's number
    /// among that platform's devices (`R1`, `R2`, ..., `nxos1`, `xr1`, `junos1`, `eos1`,
    /// `vrp1`, `linux1`). A hostname configured over the CLI changes the prompt and the
    /// running config, not this.
    pub fn hostname(&self) -> &str {
        &self.inner.name
    }

    /// Its SSH host key in OpenSSH text form (`ssh-ed25519 AAAA...`), as a known_hosts
    /// line has it after the host. New each time a fleet starts; shared by the fleet.
    pub fn host_key(&self) -> &str {
        &self.inner.host_key.0
    }

    /// Its SSH host key's fingerprint, `SHA256:<base64>`.
    pub fn host_key_fingerprint(&self) -> &str {
        &self.inner.host_key.1
    }

    /// What it behaves like.
    pub fn platform(&self) -> Platform {
        self.inner.platform
    }

    /// Successful password authentications so far.
    pub fn logins(&self) -> u64 {
        self.inner.logins.load(Ordering::Relaxed)
    }

    /// Command lines received so far over all its connections (exec and config lines; not
    /// blank lines, passwords or `--More--` keys).
    pub fn commands(&self) -> u64 {
        self.inner.commands.load(Ordering::Relaxed)
    }

    /// SSH connections open to it now.
    pub fn open_sessions(&self) -> u64 {
        self.inner.sessions.open.load(Ordering::Relaxed)
    }

    /// The most SSH connections that were ever open to it at once.
    pub fn peak_sessions(&self) -> u64 {
        self.inner.sessions.peak.load(Ordering::Relaxed)
    }

    /// Commands that arrived on a connection older than one that had already sent a
    /// command: two clients driving the device in turn (a client that lost the device
    /// to another and went on talking). Leaving (`exit`, `quit`, `logout`) does not count.
    /// Each as `connection <n>: <line>`, in arrival order.
    pub fn interleaved_commands(&self) -> Vec<String> {
        self.inner.sessions.interleaved.lock().expect("sessions lock").clone()
    }

    /// How many times exactly this command line arrived, over all its connections.
    pub fn received(&self, command: &str) -> u64 {
        self.inner.sessions.received.lock().expect("sessions lock").get(command).copied().unwrap_or(0)
    }

    /// Its configuration as its show-config command prints it now (`\n` endings, no trailing
    /// newline): `show running-config` (IOS and EOS end with `end`, IOS XR too, showing only
    /// committed lines; NX-OS starts with a blank line), Junos `show configuration` (committed
    /// statements as `set` lines), VRP `display current-configuration` (ends with `return`);
    /// for Linux the names of the files created with `touch` / `>`, one per line, sorted.
    pub fn running_config(&self) -> String {
        self.inner.model.running_config()
    }

    /// The text the device answers to `command` (abbreviations and `| include`-style filters
    /// accepted) in privileged mode (Junos: operational mode, VRP: user view), with `\n`
    /// endings and no trailing newline; `None` when the command has no output of its own
    /// (unknown, incomplete, configuration, ...; Linux: state-changing or failing commands).
    ///
    /// On the wire the answer is this text with `\n` → `\r\n`, then `\r\n`, then the prompt.
    pub fn canned_output(&self, command: &str) -> Option<String> {
        self.inner.model.canned_output(command)
    }
}

impl fmt::Debug for Device {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Device")
            .field("hostname", &self.inner.name)
            .field("platform", &self.inner.platform)
            .field("addr", &self.inner.addr)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_older_session_speaking_after_a_newer_one_is_counted() {
        let s = Arc::new(Sessions::default());
        let (one, a) = s.open();
        let (two, b) = s.open();
        assert_eq!((one, two, s.open.load(Ordering::Relaxed)), (1, 2, 2));
        s.command(one, "show version");
        s.command(two, "show version"); // the newer one takes over: fine
        s.command(one, "exit"); // the older one leaving: fine
        assert!(s.interleaved.lock().unwrap().is_empty());
        s.command(one, "conf t"); // the older one goes on: counted
        assert_eq!(*s.interleaved.lock().unwrap(), vec!["connection 1: conf t".to_string()]);
        drop(a);
        drop(b);
        assert_eq!((s.open.load(Ordering::Relaxed), s.peak.load(Ordering::Relaxed)), (0, 2));
        assert_eq!(s.received.lock().unwrap()["show version"], 2);
    }
}
