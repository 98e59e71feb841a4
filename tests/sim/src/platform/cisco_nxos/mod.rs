//! Cisco NX-OS: the fleet-wide catalog (canned outputs and the exec command tree), the
//! per-device model (running and startup configuration) and, in `shell`, the CLI session.

mod builtin;
mod config;
mod shell;

use std::sync::Arc;

use crate::SimConfig;
use crate::parser::{Args, CommandTree};
use crate::platform::blocks::Blocks;
use crate::platform::device::{Device, Saved};
use crate::platform::exec::Exec;
use crate::platform::filter::{PipeSyntax, Stage, piped_output};
use crate::platform::outputs::Outputs;
use crate::platform::{Catalog, DeviceModel, Shell};

/// Canned commands that take free arguments after their keywords.
const ARGUMENT_COMMANDS: &[&str] = &["dir", "ping", "traceroute"];

/// The `|` stages NX-OS knows.
const PIPES: PipeSyntax = PipeSyntax {
    stages: &[
        ("begin", Stage::Begin),
        ("count", Stage::Count),
        ("egrep", Stage::Include),
        ("exclude", Stage::Exclude),
        ("grep", Stage::Include),
        ("include", Stage::Include),
        ("last", Stage::Last),
        ("no-more", Stage::NoMore),
        ("section", Stage::Section),
    ],
    count: |n| n.to_string(),
};

/// Fleet-wide NX-OS data.
pub(crate) struct NxosCatalog {
    outputs: Outputs,
    tree: CommandTree<Exec>,
    username: String,
}

impl NxosCatalog {
    pub fn load(cfg: &SimConfig) -> anyhow::Result<NxosCatalog> {
        let outputs = Outputs::load(builtin::OUTPUTS, cfg.corpus.as_deref(), "cisco_nxos", |c| c)?;
        let tree = outputs.tree(
            Exec::Canned,
            ARGUMENT_COMMANDS,
            &[
                ("show running-config", Exec::ShowRunning, Args::None),
                ("show startup-config", Exec::ShowStartup, Args::None),
                ("exit", Exec::Exit, Args::None),
                ("logout", Exec::Exit, Args::None),
                ("terminal length", Exec::TerminalLength, Args::Number { max: 511 }),
                ("terminal width", Exec::TerminalWidth, Args::Number { max: 511 }),
                ("terminal monitor", Exec::TerminalOther, Args::None),
                ("terminal session-timeout", Exec::TerminalOther, Args::Number { max: 525600 }),
                ("terminal no", Exec::TerminalOther, Args::Words { min: 1 }),
                ("configure", Exec::Configure, Args::None),
                ("configure terminal", Exec::Configure, Args::None),
                ("copy running-config startup-config", Exec::WriteMemory, Args::None),
            ],
        );
        Ok(NxosCatalog { outputs, tree, username: cfg.username.clone() })
    }
}

impl Catalog for NxosCatalog {
    fn new_device(self: Arc<Self>, _index: usize, name: &str) -> Arc<dyn DeviceModel> {
        let config = config::initial(name, &self.username);
        Arc::new(Device::new(self, Saved::new(config)))
    }
}

/// One NX-OS device: configuration shared by all its sessions.
type NxosDevice = Device<NxosCatalog, Saved<Blocks>>;

impl NxosDevice {
    /// The output of a show-like action, `None` for actions that are not outputs.
    fn output(&self, action: &Exec) -> Option<String> {
        Some(match action {
            Exec::Canned(command) => self.catalog.outputs.get(command, &self.hostname()).unwrap_or_default(),
            Exec::ShowRunning => config::running_text(&self.state().running),
            Exec::ShowStartup => config::startup_text(&self.state().startup),
            _ => return None,
        })
    }
}

impl DeviceModel for NxosDevice {
    fn running_config(&self) -> String {
        config::running_text(&self.state().running)
    }

    fn canned_output(&self, command: &str) -> Option<String> {
        piped_output(&self.catalog.tree, &PIPES, command, |action, _| self.output(action))
    }

    fn new_shell(self: Arc<Self>) -> Box<dyn Shell> {
        Box::new(shell::NxosShell::new(self))
    }
}

#[cfg(test)]
mod tests {
    use crate::platform::Platform;
    use crate::platform::testing::shell;

    #[test]
    fn canned_output_resolves_abbreviations_and_pipes() {
        let (d, _) = shell(Platform::CiscoNxos);
        let version = d.canned_output("show version").unwrap();
        assert!(version.contains("Device name: nxos1"), "{version}");
        assert!(version.lines().count() > 30);
        assert_eq!(d.canned_output("sh ver"), Some(version));
        assert_eq!(d.canned_output("show run"), Some(d.running_config()));
        assert_eq!(d.canned_output("sh run | inc hostname").unwrap(), "hostname nxos1");
        assert_eq!(d.canned_output("show interface brief | count").unwrap(), "14");
        assert_eq!(
            d.canned_output("show running-config | section mgmt0").unwrap(),
            "interface mgmt0\n  vrf member management\n  ip address 192.168.1.11/24"
        );
        assert_eq!(d.canned_output("show nothing"), None);
        assert_eq!(d.canned_output("configure terminal"), None);
        let run = d.running_config();
        assert!(run.starts_with("\n!Command: show running-config\n"), "{run}");
        assert!(run.contains("\nhostname nxos1\n"), "{run}");
        assert!(run.contains("\n\ninterface Ethernet1/1\n\ninterface Ethernet1/2\n"), "{run}");
    }
}
