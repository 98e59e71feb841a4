//! Cisco IOS XR: the fleet-wide catalog (built-in outputs, exec command tree), the per-device
//! model (the committed running configuration and a pending `commit confirmed`) and, in
//! `shell`, the CLI session with its candidate configuration.

mod builtin;
mod config;
mod shell;

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

use crate::SimConfig;
use crate::parser::{Args, CommandTree, words};
use crate::platform::blocks::Blocks;
use crate::platform::filter::{PipeSyntax, Pipeline, Stage, split_pipe};
use crate::platform::outputs::Outputs;
use crate::platform::{Catalog, DeviceModel, Shell};

/// What an exec command does.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Exec {
    /// Prints the canned output of this command.
    Canned(String),
    /// `show running-config [section]`.
    ShowRunning,
    Exit,
    TerminalLength,
    TerminalWidth,
    /// Other `terminal` settings: accepted, no effect.
    TerminalOther,
    Configure,
}

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
        // The ntc-templates corpus has no cisco_xr folder: built-ins only.
        let outputs = Outputs::load(builtin::OUTPUTS, None, "cisco_xr", |c| c)?;
        let mut tree = CommandTree::default();
        for command in outputs.commands() {
            tree.insert(command, Exec::Canned(command.to_string()), Args::None);
        }
        let fixed: &[(&str, Exec, Args)] = &[
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
        ];
        for (keywords, action, args) in fixed {
            tree.insert(keywords, action.clone(), *args);
        }
        let mut config_show = CommandTree::default();
        config_show.insert("show configuration", ConfigShow::Changes, Args::None);
        config_show.insert("show configuration merge", ConfigShow::Merge, Args::None);
        config_show.insert("show running-config", ConfigShow::ShowRunning, Args::Words { min: 0 });
        Ok(XrCatalog { outputs, tree, config_show, username: cfg.username.clone() })
    }
}

impl Catalog for XrCatalog {
    fn new_device(self: Arc<Self>, _index: usize, name: &str) -> Arc<dyn DeviceModel> {
        let running = config::initial(name, &self.username);
        Arc::new(XrDevice { catalog: self, state: Mutex::new(XrState { running, confirm: None }) })
    }
}

/// One XR device: the committed configuration shared by all its sessions.
pub(crate) struct XrDevice {
    catalog: Arc<XrCatalog>,
    state: Mutex<XrState>,
}

struct XrState {
    running: Blocks,
    /// After `commit confirmed`: when it rolls back, and to what.
    confirm: Option<(Instant, Blocks)>,
}

impl XrDevice {
    /// The state, after rolling back a `commit confirmed` whose time ran out.
    fn state(&self) -> MutexGuard<'_, XrState> {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if state.confirm.as_ref().is_some_and(|(deadline, _)| Instant::now() >= *deadline)
            && let Some((_, before)) = state.confirm.take()
        {
            state.running = before;
        }
        state
    }

    fn hostname(&self) -> String {
        self.state().running.hostname.clone()
    }

    /// The output of a show-like action (`args`: the words after its keywords), `None` for
    /// actions that are not outputs.
    fn output(&self, action: &Exec, args: &str) -> Option<String> {
        Some(match action {
            Exec::Canned(command) => self.catalog.outputs.get(command, &self.hostname()).unwrap_or_default(),
            Exec::ShowRunning => config::running_text(&self.state().running, args),
            _ => return None,
        })
    }
}

impl DeviceModel for XrDevice {
    fn running_config(&self) -> String {
        config::running_text(&self.state().running, "")
    }

    fn canned_output(&self, command: &str) -> Option<String> {
        let all = words(command);
        let (command_words, pipe) = split_pipe(&all);
        let parsed = self.catalog.tree.parse_words(command_words).ok()?;
        let args: Vec<&str> = parsed.args.iter().map(|w| w.text).collect();
        let text = self.output(parsed.action, &args.join(" "))?;
        let pipeline = Pipeline::parse(pipe, &PIPES).ok()?;
        Some(pipeline.apply(&text, &PIPES))
    }

    fn new_shell(self: Arc<Self>) -> Box<dyn Shell> {
        Box::new(shell::XrShell::new(self))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canned_output_and_running_config() {
        let catalog = Arc::new(XrCatalog::load(&SimConfig::default()).unwrap());
        let d = catalog.new_device(0, "xr1");
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
