//! Huawei VRP: the fleet-wide catalog (built-in outputs, user-view command tree), the
//! per-device model (current and saved configuration) and, in `shell`, the CLI session.

mod builtin;
mod config;
mod shell;

use std::sync::{Arc, Mutex, MutexGuard};

use crate::SimConfig;
use crate::parser::{Args, CommandTree, words};
use crate::platform::blocks::Blocks;
use crate::platform::filter::{PipeSyntax, Pipeline, Stage, split_pipe};
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
        // The ntc-templates corpus has no huawei_vrp folder: built-ins only.
        let outputs = Outputs::load(builtin::OUTPUTS, None, "huawei_vrp", |c| c)?;
        let mut tree = CommandTree::default();
        for command in outputs.commands() {
            tree.insert(command, Exec::Canned(command.to_string()), Args::None);
        }
        let fixed: &[(&str, Exec, Args)] = &[
            ("display current-configuration", Exec::DisplayCurrent, Args::None),
            ("display saved-configuration", Exec::DisplaySaved, Args::None),
            ("screen-length", Exec::ScreenLength, Args::Words { min: 0 }),
            ("system-view", Exec::SystemView, Args::None),
            ("save", Exec::Save, Args::None),
            ("quit", Exec::Quit, Args::None),
        ];
        for (keywords, action, args) in fixed {
            tree.insert(keywords, action.clone(), *args);
        }
        Ok(VrpCatalog { outputs, tree, username: cfg.username.clone() })
    }
}

impl Catalog for VrpCatalog {
    fn new_device(self: Arc<Self>, _index: usize, name: &str) -> Arc<dyn DeviceModel> {
        let current = config::initial(name, &self.username);
        Arc::new(VrpDevice { catalog: self, state: Mutex::new(VrpState { saved: current.clone(), current }) })
    }
}

/// One VRP device: configuration shared by all its sessions.
pub(crate) struct VrpDevice {
    catalog: Arc<VrpCatalog>,
    state: Mutex<VrpState>,
}

struct VrpState {
    current: Blocks,
    saved: Blocks,
}

impl VrpDevice {
    fn state(&self) -> MutexGuard<'_, VrpState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn hostname(&self) -> String {
        self.state().current.hostname.clone()
    }

    /// The output of a display action, `None` for actions that are not outputs.
    fn output(&self, action: &Exec) -> Option<String> {
        Some(match action {
            Exec::Canned(command) => self.catalog.outputs.get(command, &self.hostname()).unwrap_or_default(),
            Exec::DisplayCurrent => config::current_text(&self.state().current),
            Exec::DisplaySaved => config::current_text(&self.state().saved),
            _ => return None,
        })
    }
}

impl DeviceModel for VrpDevice {
    fn running_config(&self) -> String {
        config::current_text(&self.state().current)
    }

    fn canned_output(&self, command: &str) -> Option<String> {
        let all = words(command);
        let (command_words, pipe) = split_pipe(&all);
        let parsed = self.catalog.tree.parse_words(command_words).ok()?;
        let text = self.output(parsed.action)?;
        let pipeline = Pipeline::parse(pipe, &PIPES).ok()?;
        Some(pipeline.apply(&text, &PIPES))
    }

    fn new_shell(self: Arc<Self>) -> Box<dyn Shell> {
        Box::new(shell::VrpShell::new(self))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canned_output_and_current_configuration() {
        let catalog = Arc::new(VrpCatalog::load(&SimConfig::default()).unwrap());
        let d = catalog.new_device(0, "vrp1");
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
