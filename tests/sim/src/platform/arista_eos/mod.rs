//! Arista EOS: the fleet-wide catalog (canned outputs, user and privileged command trees),
//! the per-device model (running and startup configuration) and, in `shell`, the CLI session.

mod builtin;
mod config;
mod shell;

use std::sync::Arc;

use crate::SimConfig;
use crate::parser::Args;
use crate::platform::blocks::Blocks;
use crate::platform::device::{Device, Saved};
use crate::platform::exec::{Exec, Modes};
use crate::platform::filter::{PipeSyntax, Stage, piped_output};
use crate::platform::outputs::Outputs;
use crate::platform::{Catalog, DeviceModel, Shell};

/// Canned commands that take free arguments after their keywords.
const ARGUMENT_COMMANDS: &[&str] = &["dir", "ping", "traceroute"];

/// Canned commands that only privileged mode has.
fn privileged_only(command: &str) -> bool {
    command.starts_with("dir") || command.starts_with("bash")
}

/// The `|` stages EOS knows.
const PIPES: PipeSyntax = PipeSyntax {
    stages: &[
        ("begin", Stage::Begin),
        ("exclude", Stage::Exclude),
        ("grep", Stage::Include),
        ("include", Stage::Include),
        ("no-more", Stage::NoMore),
        ("section", Stage::Section),
    ],
    count: |n| n.to_string(),
};

/// Fleet-wide EOS data.
pub(crate) struct EosCatalog {
    outputs: Outputs,
    modes: Modes,
    username: String,
    secret: String,
}

impl EosCatalog {
    pub fn load(cfg: &SimConfig) -> anyhow::Result<EosCatalog> {
        let outputs = Outputs::load(builtin::OUTPUTS, cfg.corpus.as_deref(), "arista_eos", |c| c)?;
        let mut modes = Modes::default();
        modes.add_canned(&outputs, ARGUMENT_COMMANDS, privileged_only);
        modes.add_both(&[
            ("show privilege", Exec::ShowPrivilege, Args::None),
            ("enable", Exec::Enable, Args::Words { min: 0 }),
            ("exit", Exec::Exit, Args::None),
            ("logout", Exec::Exit, Args::None),
            ("terminal length", Exec::TerminalLength, Args::Number { max: 32767 }),
            ("terminal width", Exec::TerminalWidth, Args::Number { max: 32767 }),
            ("terminal monitor", Exec::TerminalOther, Args::None),
            ("terminal dont-ask", Exec::TerminalOther, Args::None),
            ("terminal no", Exec::TerminalOther, Args::Words { min: 1 }),
        ]);
        modes.add_privileged(&[
            ("show running-config", Exec::ShowRunning, Args::None),
            ("show startup-config", Exec::ShowStartup, Args::None),
            ("disable", Exec::Disable, Args::None),
            ("configure", Exec::Configure, Args::None),
            ("configure terminal", Exec::Configure, Args::None),
            ("write", Exec::WriteMemory, Args::None),
            ("write memory", Exec::WriteMemory, Args::None),
            ("copy running-config startup-config", Exec::WriteMemory, Args::None),
        ]);
        Ok(EosCatalog { outputs, modes, username: cfg.username.clone(), secret: cfg.secret.clone() })
    }
}

impl Catalog for EosCatalog {
    fn new_device(self: Arc<Self>, _index: usize, name: &str) -> Arc<dyn DeviceModel> {
        let config = config::initial(name, &self.username);
        Arc::new(Device::new(self, Saved::new(config)))
    }
}

/// One EOS device: configuration shared by all its sessions.
type EosDevice = Device<EosCatalog, Saved<Blocks>>;

impl EosDevice {
    /// The output of a show-like action, `None` for actions that are not outputs.
    fn output(&self, action: &Exec, privileged: bool) -> Option<String> {
        Some(match action {
            Exec::Canned(command) => self.catalog.outputs.get(command, &self.hostname()).unwrap_or_default(),
            Exec::ShowRunning => config::running_text(&self.state().running),
            Exec::ShowStartup => config::startup_text(&self.state().startup),
            Exec::ShowPrivilege => format!("Current privilege level is {}", if privileged { 15 } else { 1 }),
            _ => return None,
        })
    }
}

impl DeviceModel for EosDevice {
    fn running_config(&self) -> String {
        config::running_text(&self.state().running)
    }

    fn canned_output(&self, command: &str) -> Option<String> {
        piped_output(self.catalog.modes.tree(true), &PIPES, command, |action, _| self.output(action, true))
    }

    fn new_shell(self: Arc<Self>) -> Box<dyn Shell> {
        Box::new(shell::EosShell::new(self))
    }
}

#[cfg(test)]
mod tests {
    use crate::platform::Platform;
    use crate::platform::testing::shell;

    #[test]
    fn canned_output_resolves_abbreviations_and_pipes() {
        let (d, _) = shell(Platform::AristaEos);
        let version = d.canned_output("show version").unwrap();
        assert!(version.starts_with("Arista vEOS-lab\n"), "{version}");
        assert_eq!(d.canned_output("sh ver"), Some(version));
        assert!(d.canned_output("show interfaces").unwrap().lines().count() > 30);
        assert_eq!(d.canned_output("show run"), Some(d.running_config()));
        assert_eq!(d.canned_output("sh run | i ^hostname").unwrap(), "hostname eos1");
        assert_eq!(d.canned_output("show hostname").unwrap(), "Hostname: eos1\nFQDN:     eos1");
        assert_eq!(d.canned_output("show privilege").unwrap(), "Current privilege level is 15");
        assert_eq!(d.canned_output("write memory"), None);
        let run = d.running_config();
        assert!(run.starts_with("! Command: show running-config\n! device: eos1 (vEOS-lab, EOS-4.28.3M)\n"));
        assert!(run.contains("\ninterface Management1\n   ip address 192.168.1.12/24\n!\n"), "{run}");
        assert!(run.ends_with("\n!\nend"), "{run}");
    }
}
