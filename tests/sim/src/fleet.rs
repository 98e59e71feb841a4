//! A fleet of simulated devices: binds one listener per device (`listen + i`), runs them until
//! the [`Fleet`] is dropped or shut down, and exposes each [`Device`]'s address and counters.

use std::fmt;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use anyhow::{Context, bail};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::platform::DeviceModel;
use crate::{Faults, SimConfig, server};

/// Login and behaviour settings shared by every device of a fleet.
pub(crate) struct Settings {
    pub username: String,
    pub password: String,
    pub latency: Duration,
    pub faults: Faults,
}

/// One device's shared state.
pub(crate) struct DeviceInner {
    pub addr: SocketAddr,
    pub name: String,
    pub model: Arc<dyn DeviceModel>,
    pub logins: AtomicU64,
    pub commands: AtomicU64,
    pub settings: Arc<Settings>,
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
        if cfg.count == 0 {
            bail!("count must be at least 1");
        }
        let first = u32::from(cfg.listen);
        u32::try_from(cfg.count - 1).ok().and_then(|extra| first.checked_add(extra)).with_context(|| {
            format!("{} devices starting at {} run past 255.255.255.255", cfg.count, cfg.listen)
        })?;
        let catalog = cfg.platform.catalog(&cfg)?;
        let ssh = Arc::new(server::config(server::host_key()));
        let settings = Arc::new(Settings {
            username: cfg.username.clone(),
            password: cfg.password.clone(),
            latency: cfg.latency,
            faults: cfg.faults.clone(),
        });
        let (stop, stopped) = watch::channel(());
        let mut fleet = Fleet {
            devices: Vec::with_capacity(cfg.count),
            tasks: Vec::with_capacity(cfg.count),
            stop: Some(stop),
        };
        for index in 0..cfg.count {
            // checked above: first + index fits
            let ip = Ipv4Addr::from(first + index as u32);
            let listener = TcpListener::bind((ip, cfg.port)).await.with_context(|| {
                format!("cannot listen on {ip}:{} for device {} of {}", cfg.port, index + 1, cfg.count)
            })?;
            let addr = listener.local_addr()?;
            let name = cfg.platform.hostname(index);
            let inner = Arc::new(DeviceInner {
                addr,
                model: catalog.clone().new_device(index, &name),
                name,
                logins: AtomicU64::new(0),
                commands: AtomicU64::new(0),
                settings: settings.clone(),
            });
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

    /// Its name at start (`R1`, `R2`, ...), unique in the fleet. A `hostname` configured over
    /// the CLI changes the prompt and the running config, not this.
    pub fn hostname(&self) -> &str {
        &self.inner.name
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

    /// What `show running-config` prints now (`\n` endings, ends with `end`, no newline).
    pub fn running_config(&self) -> String {
        self.inner.model.running_config()
    }

    /// The text the device answers to `command` (abbreviations and `| include`-style filters
    /// accepted) in privileged mode, with `\n` endings and no trailing newline; `None` when
    /// the command has no output of its own (unknown, incomplete, configuration, ...).
    ///
    /// On the wire the answer is this text with `\n` → `\r\n`, then `\r\n`, then the prompt.
    pub fn canned_output(&self, command: &str) -> Option<String> {
        self.inner.model.canned_output(command)
    }
}

impl fmt::Debug for Device {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Device").field("hostname", &self.inner.name).field("addr", &self.inner.addr).finish()
    }
}
