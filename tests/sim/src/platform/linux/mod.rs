//! A Linux host with bash: the fleet-wide catalog (canned command outputs), the per-device
//! model (hostname and the in-memory files created with `touch`, listed as its "running
//! configuration") and, in `shell`, the small shell interpreter.

mod builtin;
mod shell;

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::SimConfig;
use crate::platform::device::{Device, State};
use crate::platform::outputs::Outputs;
use crate::platform::{Catalog, DeviceModel, Shell};

/// Fleet-wide Linux data.
pub(crate) struct LinuxCatalog {
    outputs: Outputs,
    username: String,
}

impl LinuxCatalog {
    pub fn load(cfg: &SimConfig) -> anyhow::Result<LinuxCatalog> {
        let outputs = Outputs::load(builtin::OUTPUTS, cfg.corpus.as_deref(), "linux", |c| c)?;
        Ok(LinuxCatalog { outputs, username: cfg.username.clone() })
    }
}

impl Catalog for LinuxCatalog {
    fn new_device(self: Arc<Self>, _index: usize, name: &str) -> Arc<dyn DeviceModel> {
        Arc::new(Device::new(self, LinuxState { hostname: name.to_string(), files: BTreeMap::new() }))
    }
}

/// One Linux host: state shared by all its sessions.
type LinuxDevice = Device<LinuxCatalog, LinuxState>;

struct LinuxState {
    hostname: String,
    /// Files in the home folder: name → contents.
    files: BTreeMap<String, String>,
}

impl State for LinuxState {
    fn hostname(&self) -> String {
        self.hostname.clone()
    }
}

impl DeviceModel for LinuxDevice {
    /// The names of the files created so far, one per line, sorted.
    fn running_config(&self) -> String {
        self.state().files.keys().cloned().collect::<Vec<_>>().join("\n")
    }

    /// What a command that only reads prints (nothing that changes state, nothing that
    /// fails or prints nothing).
    fn canned_output(&self, command: &str) -> Option<String> {
        shell::read_only_output(self, command)
    }

    fn new_shell(self: Arc<Self>) -> Box<dyn Shell> {
        Box::new(shell::LinuxShell::new(self))
    }
}
