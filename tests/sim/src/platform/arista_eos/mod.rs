//! Arista EOS: the fleet-wide catalog (canned outputs, user and privileged command trees),
//! the per-device model (running and startup configuration) and, in `shell`, the CLI session.

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

/// What an exec command does.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Exec {
    /// Prints the canned output of this command.
    Canned(String),
    ShowRunning,
    ShowStartup,
    ShowPrivilege,
    Enable,
    Disable,
    Exit,
    TerminalLength,
    TerminalWidth,
    /// Other `terminal` settings: accepted, no effect.
    TerminalOther,
    Configure,
    WriteMemory,
}

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
    user: CommandTree<Exec>,
    privileged: CommandTree<Exec>,
    username: String,
    secret: String,
}

impl EosCatalog {
    pub fn load(cfg: &SimConfig) -> anyhow::Result<EosCatalog> {
        let outputs = Outputs::load(builtin::OUTPUTS, cfg.corpus.as_deref(), "arista_eos", |c| c)?;
        let mut user = CommandTree::default();
        let mut privileged = CommandTree::default();
        for command in outputs.commands() {
            let args = if ARGUMENT_COMMANDS.contains(&command) { Args::Words { min: 0 } } else { Args::None };
            let action = Exec::Canned(command.to_string());
            if !privileged_only(command) {
                user.insert(command, action.clone(), args);
            }
            privileged.insert(command, action, args);
        }
        let common: &[(&str, Exec, Args)] = &[
            ("show privilege", Exec::ShowPrivilege, Args::None),
            ("enable", Exec::Enable, Args::Words { min: 0 }),
            ("exit", Exec::Exit, Args::None),
            ("logout", Exec::Exit, Args::None),
            ("terminal length", Exec::TerminalLength, Args::Number { max: 32767 }),
            ("terminal width", Exec::TerminalWidth, Args::Number { max: 32767 }),
            ("terminal monitor", Exec::TerminalOther, Args::None),
            ("terminal dont-ask", Exec::TerminalOther, Args::None),
            ("terminal no", Exec::TerminalOther, Args::Words { min: 1 }),
        ];
        let privileged_extra: &[(&str, Exec, Args)] = &[
            ("show running-config", Exec::ShowRunning, Args::None),
            ("show startup-config", Exec::ShowStartup, Args::None),
            ("disable", Exec::Disable, Args::None),
            ("configure", Exec::Configure, Args::None),
            ("configure terminal", Exec::Configure, Args::None),
            ("write", Exec::WriteMemory, Args::None),
            ("write memory", Exec::WriteMemory, Args::None),
            ("copy running-config startup-config", Exec::WriteMemory, Args::None),
        ];
        for (keywords, action, args) in common {
            user.insert(keywords, action.clone(), *args);
            privileged.insert(keywords, action.clone(), *args);
        }
        for (keywords, action, args) in privileged_extra {
            privileged.insert(keywords, action.clone(), *args);
        }
        Ok(EosCatalog {
            outputs,
            user,
            privileged,
            username: cfg.username.clone(),
            secret: cfg.secret.clone(),
        })
    }

    fn tree(&self, privileged: bool) -> &CommandTree<Exec> {
        if privileged { &self.privileged } else { &self.user }
    }
}

impl Catalog for EosCatalog {
    fn new_device(self: Arc<Self>, _index: usize, name: &str) -> Arc<dyn DeviceModel> {
        let running = config::initial(name, &self.username);
        Arc::new(EosDevice {
            catalog: self,
            state: Mutex::new(EosState { startup: running.clone(), running }),
        })
    }
}

/// One EOS device: configuration shared by all its sessions.
pub(crate) struct EosDevice {
    catalog: Arc<EosCatalog>,
    state: Mutex<EosState>,
}

struct EosState {
    running: Blocks,
    startup: Blocks,
}

impl EosDevice {
    fn state(&self) -> MutexGuard<'_, EosState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn hostname(&self) -> String {
        self.state().running.hostname.clone()
    }

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
        let all = words(command);
        let (command_words, pipe) = split_pipe(&all);
        let parsed = self.catalog.tree(true).parse_words(command_words).ok()?;
        let text = self.output(parsed.action, true)?;
        let pipeline = Pipeline::parse(pipe, &PIPES).ok()?;
        Some(pipeline.apply(&text, &PIPES))
    }

    fn new_shell(self: Arc<Self>) -> Box<dyn Shell> {
        Box::new(shell::EosShell::new(self))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canned_output_resolves_abbreviations_and_pipes() {
        let catalog = Arc::new(EosCatalog::load(&SimConfig::default()).unwrap());
        let d = catalog.new_device(0, "eos1");
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
