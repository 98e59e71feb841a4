//! Huawei VRP: the fleet-wide catalog (built-in outputs, user-view command tree), the
//! per-device model (current and saved configuration) and, in `shell`, the CLI session.

mod builtin;
mod config;
mod shell;

use std::sync::Arc;

use crate::SimConfig;
use crate::parser::{Args, CommandTree};
use crate::platform::blocks::Blocks;
use crate::platform::device::{Device, Saved};
use crate::platform::filter::{PipeSyntax, Stage, piped_output};
use crate::platform::outputs::Outputs;
use crate::platform::{Catalog, DeviceModel, Shell};

/// What a user-view command does.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Exec {
    /// Prints the canned output of this command.
    Canned(String),
    DisplayCurrent,
    DisplaySaved,
    /// `screen-length N temporary` (the words are checked by the shell).
    ScreenLength,
    SystemView,
    Save,
    Quit,
}

/// The `|` stages VRP knows.
const PIPES: PipeSyntax = PipeSyntax {
    stages: &[
        ("begin", Stage::Begin),
        ("count", Stage::Count),
        ("exclude", Stage::Exclude),
        ("include", Stage::Include),
        ("no-more", Stage::NoMore),
    ],
    count: |n| format!("Total lines: {n}"),
};

/// Fleet-wide VRP data.
pub(crate) struct VrpCatalog {
    outputs: Outputs,
    tree: CommandTree<Exec>,
    username: String,
}

impl VrpCatalog {
    pub fn load(cfg: &SimConfig) -> anyhow::Result<VrpCatalog> {
        // The ntc-templates corpus has no huawei_vrp folder.
        let outputs = Outputs::builtin(builtin::OUTPUTS);
        let tree = outputs.tree(
            Exec::Canned,
            &[],
            &[
                ("display current-configuration", Exec::DisplayCurrent, Args::None),
                ("display saved-configuration", Exec::DisplaySaved, Args::None),
                ("screen-length", Exec::ScreenLength, Args::Words { min: 0 }),
                ("system-view", Exec::SystemView, Args::None),
                ("save", Exec::Save, Args::None),
                ("quit", Exec::Quit, Args::None),
            ],
        );
        Ok(VrpCatalog { outputs, tree, username: cfg.username.clone() })
    }
}

impl Catalog for VrpCatalog {
    fn new_device(self: Arc<Self>, _index: usize, name: &str) -> Arc<dyn DeviceModel> {
        let config = config::initial(name, &self.username);
        Arc::new(Device::new(self, Saved::new(config)))
    }
}

/// One VRP device: the current and the saved configuration, shared by all its sessions.
type VrpDevice = Device<VrpCatalog, Saved<Blocks>>;

impl VrpDevice {
    /// The output of a display action, `None` for actions that are not outputs.
    fn output(&self, action: &Exec) -> Option<String> {
        Some(match action {
            Exec::Canned(command) => self.catalog.outputs.get(command, &self.hostname()).unwrap_or_default(),
            Exec::DisplayCurrent => config::current_text(&self.state().running),
            Exec::DisplaySaved => config::current_text(&self.state().startup),
            _ => return None,
        })
    }
}

impl DeviceModel for VrpDevice {
    fn running_config(&self) -> String {
        config::current_text(&self.state().running)
    }

    fn canned_output(&self, command: &str) -> Option<String> {
        piped_output(&self.catalog.tree, &PIPES, command, |action, _| self.output(action))
    }

    fn new_shell(self: Arc<Self>) -> Box<dyn Shell> {
        Box::new(shell::VrpShell::new(self))
    }
}

#[cfg(test)]
mod tests {
    use crate::platform::Platform;
    use crate::platform::testing::shell;

    #[test]
    fn canned_output_and_current_configuration() {
        let (d, _) = shell(Platform::HuaweiVrp);
        let version = d.canned_output("display version").unwrap();
        assert!(version.starts_with("Huawei Versatile Routing Platform Software\n"), "{version}");
        assert!(version.lines().count() >= 30);
        assert_eq!(d.canned_output("dis ver"), Some(version));
        assert_eq!(d.canned_output("dis cur"), Some(d.running_config()));
        assert_eq!(d.canned_output("dis cur | include sysname").unwrap(), " sysname vrp1");
        assert_eq!(d.canned_output("display interface brief | count").unwrap(), "Total lines: 14");
        assert_eq!(d.canned_output("system-view"), None);
        let current = d.running_config();
        assert!(
            current.starts_with("!Software Version V200R010C00SPC600\n#\n sysname vrp1\n#\naaa\n"),
            "{current}"
        );
        assert!(
            current.contains("\n#\ninterface GigabitEthernet0/0/2\n shutdown\n#\ninterface NULL0\n#\n stelnet server enable\n"),
            "{current}"
        );
        assert!(
            current.ends_with(
                "\n#\nuser-interface vty 0 4\n authentication-mode aaa\n protocol inbound ssh\n#\nreturn"
            ),
            "{current}"
        );
    }
}
