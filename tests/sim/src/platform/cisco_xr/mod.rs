//! Cisco IOS XR: the fleet-wide catalog (built-in outputs, exec command tree), the per-device
//! model (the committed running configuration and a pending `commit confirmed`) and, in
//! `shell`, the CLI session with its candidate configuration.

mod builtin;
mod config;
mod shell;

use std::sync::Arc;
use std::time::Instant;

use crate::SimConfig;
use crate::parser::{Args, CommandTree};
use crate::platform::blocks::Blocks;
use crate::platform::device::{Device, State, expired};
use crate::platform::exec::Exec;
use crate::platform::filter::{PipeSyntax, Stage, piped_output};
use crate::platform::outputs::Outputs;
use crate::platform::{Catalog, DeviceModel, Shell};

/// What a `show` typed in configuration mode does.
#[derive(Debug, Clone, PartialEq, Eq)]
enum ConfigShow {
    /// The uncommitted changes.
    Changes,
    /// The running configuration with the changes applied.
    Merge,
    ShowRunning,
}

/// The `|` stages XR knows.
const PIPES: PipeSyntax = PipeSyntax {
    stages: &[
        ("begin", Stage::Begin),
        ("count", Stage::Count),
        ("exclude", Stage::Exclude),
        ("include", Stage::Include),
        ("section", Stage::Section),
    ],
    count: |n| format!("Number of lines which match regexp = {n}"),
};

/// Fleet-wide XR data.
pub(crate) struct XrCatalog {
    outputs: Outputs,
    tree: CommandTree<Exec>,
    config_show: CommandTree<ConfigShow>,
    username: String,
}

impl XrCatalog {
    pub fn load(cfg: &SimConfig) -> anyhow::Result<XrCatalog> {
        // The ntc-templates corpus has no cisco_xr folder.
        let outputs = Outputs::builtin(builtin::OUTPUTS);
        let tree = outputs.tree(
            Exec::Canned,
            &[],
            &[
                ("show running-config", Exec::ShowRunning, Args::Words { min: 0 }),
                ("exit", Exec::Exit, Args::None),
                ("logout", Exec::Exit, Args::None),
                ("terminal length", Exec::TerminalLength, Args::Number { max: 512 }),
                ("terminal width", Exec::TerminalWidth, Args::Number { max: 512 }),
                ("terminal monitor", Exec::TerminalOther, Args::None),
                ("terminal exec", Exec::TerminalOther, Args::Words { min: 1 }),
                ("configure", Exec::Configure, Args::None),
                ("configure terminal", Exec::Configure, Args::None),
                ("configure exclusive", Exec::Configure, Args::None),
            ],
        );
        let mut config_show = CommandTree::default();
        config_show.insert_all(&[
            ("show configuration", ConfigShow::Changes, Args::None),
            ("show configuration merge", ConfigShow::Merge, Args::None),
            ("show running-config", ConfigShow::ShowRunning, Args::Words { min: 0 }),
        ]);
        Ok(XrCatalog { outputs, tree, config_show, username: cfg.username.clone() })
    }
}

impl Catalog for XrCatalog {
    fn new_device(self: Arc<Self>, _index: usize, name: &str) -> Arc<dyn DeviceModel> {
        let running = config::initial(name, &self.username);
        Arc::new(Device::new(self, XrState { running, confirm: None }))
    }
}

/// One XR device: the committed configuration shared by all its sessions.
type XrDevice = Device<XrCatalog, XrState>;

struct XrState {
    running: Blocks,
    /// After `commit confirmed`: when it rolls back, and to what.
    confirm: Option<(Instant, Blocks)>,
}

impl State for XrState {
    fn hostname(&self) -> String {
        self.running.hostname.clone()
    }

    /// Rolls back a `commit confirmed` whose time ran out.
    fn settle(&mut self) {
        if let Some(before) = expired(&mut self.confirm) {
            self.running = before;
        }
    }
}

impl XrDevice {
    /// The output of a show-like action (`args`: the words after its keywords), `None` for
    /// actions that are not outputs.
    fn output(&self, action: &Exec, args: &[&str]) -> Option<String> {
        Some(match action {
            Exec::Canned(command) => self.catalog.outputs.get(command, &self.hostname()).unwrap_or_default(),
            Exec::ShowRunning => config::running_text(&self.state().running, &args.join(" ")),
            _ => return None,
        })
    }
}

impl DeviceModel for XrDevice {
    fn running_config(&self) -> String {
        config::running_text(&self.state().running, "")
    }

    fn canned_output(&self, command: &str) -> Option<String> {
        piped_output(&self.catalog.tree, &PIPES, command, |action, args| self.output(action, args))
    }

    fn new_shell(self: Arc<Self>) -> Box<dyn Shell> {
        Box::new(shell::XrShell::new(self))
    }
}

#[cfg(test)]
mod tests {
    use crate::platform::Platform;
    use crate::platform::testing::shell;

    #[test]
    fn canned_output_and_running_config() {
        let (d, _) = shell(Platform::CiscoXr);
        let version = d.canned_output("show version").unwrap();
        assert!(version.contains("\nxr1 uptime is 2 weeks"), "{version}");
        assert!(version.lines().count() > 30);
        assert_eq!(d.canned_output("sh ver"), Some(version));
        assert_eq!(d.canned_output("show run"), Some(d.running_config()));
        assert_eq!(d.canned_output("show run | include ^hostname").unwrap(), "hostname xr1");
        assert_eq!(
            d.canned_output("show running-config interface GigabitEthernet0/0/0/1").unwrap(),
            "Mon Mar  2 09:14:27.123 UTC\nBuilding configuration...\n!! IOS XR Configuration 6.4.2\n\
             !! Last configuration change at Mon Mar  2 09:14:27 2020 by admin\n!\n\
             interface GigabitEthernet0/0/0/1\n shutdown\n!\nend"
        );
        assert_eq!(d.canned_output("configure"), None);
        let run = d.running_config();
        assert!(run.contains("\nusername admin\n group root-lr\n"), "{run}");
        assert!(run.ends_with("\nssh server v2\nend"), "{run}");
    }
}
