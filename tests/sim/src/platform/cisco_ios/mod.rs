//! Cisco IOS: the fleet-wide catalog (canned outputs and exec command trees), the per-device
//! model (hostname, running and startup configuration) and, in `shell`, the CLI session.

mod builtin;
mod config;
mod shell;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};

use crate::SimConfig;
use crate::corpus;
use crate::parser::{Args, CommandTree, words};
use crate::platform::filter::{Filter, split_pipe};
use crate::platform::{Catalog, DeviceModel, Shell};

use config::Config;

/// What an exec-mode command does.
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
    /// Fixed text (commands the simulator only pretends to run).
    Text(&'static str),
}

/// Canned commands that take free arguments after their keywords.
const ARGUMENT_COMMANDS: &[&str] = &["ping", "traceroute", "dir", "show running-config interface"];

/// Canned commands that only privileged mode has.
fn privileged_only(command: &str) -> bool {
    command.starts_with("show running-config")
        || command.starts_with("show startup-config")
        || command.starts_with("dir")
}

/// Fleet-wide IOS data.
pub(crate) struct IosCatalog {
    /// Command → (text, whether `{hostname}` is substituted).
    outputs: BTreeMap<String, (String, bool)>,
    user: CommandTree<Exec>,
    privileged: CommandTree<Exec>,
    username: String,
    secret: String,
}

impl IosCatalog {
    pub fn load(cfg: &SimConfig) -> anyhow::Result<IosCatalog> {
        let mut outputs: BTreeMap<String, (String, bool)> =
            builtin::OUTPUTS.iter().map(|(c, t)| (c.to_string(), (t.to_string(), true))).collect();
        if let Some(root) = &cfg.corpus {
            for (command, text) in corpus::load(root, "cisco_ios")? {
                // IOS has only `show interfaces ...`; a few corpus folders use the singular,
                // which would make `sh int` ambiguous.
                let command = match command.strip_prefix("show interface ") {
                    Some(rest) => format!("show interfaces {rest}"),
                    None => command,
                };
                outputs.insert(command, (text, false));
            }
        }
        let mut user = CommandTree::default();
        let mut privileged = CommandTree::default();
        for command in outputs.keys() {
            let args = if ARGUMENT_COMMANDS.contains(&command.as_str()) {
                Args::Words { min: 0 }
            } else {
                Args::None
            };
            let action = Exec::Canned(command.clone());
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
            ("terminal length", Exec::TerminalLength, Args::Number { max: 512 }),
            ("terminal width", Exec::TerminalWidth, Args::Number { max: 512 }),
            ("terminal monitor", Exec::TerminalOther, Args::None),
            ("terminal no", Exec::TerminalOther, Args::Words { min: 1 }),
            ("ssh", Exec::Text("% Connection refused by remote host"), Args::Words { min: 1 }),
            ("telnet", Exec::Text("% Connection refused by remote host"), Args::Words { min: 1 }),
            ("systat", Exec::Text(SYSTAT), Args::None),
        ];
        let privileged_extra: &[(&str, Exec, Args)] = &[
            ("show running-config", Exec::ShowRunning, Args::None),
            ("show startup-config", Exec::ShowStartup, Args::None),
            ("write terminal", Exec::ShowRunning, Args::None),
            ("disable", Exec::Disable, Args::None),
            ("configure", Exec::Configure, Args::None),
            ("configure terminal", Exec::Configure, Args::None),
            ("configure memory", Exec::Text("[OK]"), Args::None),
            ("write", Exec::WriteMemory, Args::None),
            ("write memory", Exec::WriteMemory, Args::None),
            ("copy running-config startup-config", Exec::WriteMemory, Args::None),
        ];
        for (keywords, action, args) in common {
            if !user.contains(keywords) {
                user.insert(keywords, action.clone(), *args);
            }
            if !privileged.contains(keywords) {
                privileged.insert(keywords, action.clone(), *args);
            }
        }
        for (keywords, action, args) in privileged_extra {
            privileged.insert(keywords, action.clone(), *args);
        }
        Ok(IosCatalog {
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

    fn canned(&self, command: &str, hostname: &str) -> String {
        match self.outputs.get(command) {
            Some((text, true)) => text.replace("{hostname}", hostname),
            Some((text, false)) => text.clone(),
            None => String::new(),
        }
    }
}

const SYSTAT: &str = "    Line       User       Host(s)              Idle       Location\n\
*  2 vty 0     admin      idle                 00:00:00 127.0.0.1\n\
\n  Interface    User               Mode         Idle     Peer Address";

impl Catalog for IosCatalog {
    fn new_device(self: Arc<Self>, _index: usize, name: &str) -> Arc<dyn DeviceModel> {
        let config = Config::initial(name, &self.username);
        Arc::new(IosDevice {
            catalog: self,
            state: Mutex::new(IosState { running: config.clone(), startup: config }),
        })
    }
}

/// One IOS device: configuration shared by all its sessions.
pub(crate) struct IosDevice {
    catalog: Arc<IosCatalog>,
    state: Mutex<IosState>,
}

struct IosState {
    running: Config,
    startup: Config,
}

impl IosDevice {
    fn state(&self) -> MutexGuard<'_, IosState> {
        // A panic while holding the lock cannot leave the config half-written in a way that
        // matters for a simulator: keep going with whatever is there.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn hostname(&self) -> String {
        self.state().running.hostname.clone()
    }

    /// The output of a show-like action, `None` for actions that are not outputs.
    fn output(&self, action: &Exec, privileged: bool) -> Option<String> {
        Some(match action {
            Exec::Canned(command) => self.catalog.canned(command, &self.hostname()),
            Exec::ShowRunning => self.state().running.running_text(),
            Exec::ShowStartup => self.state().startup.startup_text(),
            Exec::ShowPrivilege => {
                format!("Current privilege level is {}", if privileged { 15 } else { 1 })
            }
            Exec::Text(text) => text.to_string(),
            _ => return None,
        })
    }
}

impl DeviceModel for IosDevice {
    fn running_config(&self) -> String {
        self.state().running.running_text()
    }

    fn canned_output(&self, command: &str) -> Option<String> {
        let all = words(command);
        let (command_words, filter) = split_pipe(&all);
        let parsed = self.catalog.tree(true).parse_words(command_words).ok()?;
        if !parsed.args.is_empty() && !matches!(parsed.action, Exec::Canned(_)) {
            return None;
        }
        let text = self.output(parsed.action, true)?;
        match filter {
            None => Some(text),
            Some(filter) => Filter::parse(filter).ok().map(|f| f.apply(&text)),
        }
    }

    fn new_shell(self: Arc<Self>) -> Box<dyn Shell> {
        Box::new(shell::IosShell::new(self))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn device() -> Arc<IosDevice> {
        let catalog = Arc::new(IosCatalog::load(&SimConfig::default()).unwrap());
        let config = Config::initial("R1", "admin");
        Arc::new(IosDevice {
            catalog,
            state: Mutex::new(IosState { running: config.clone(), startup: config }),
        })
    }

    #[test]
    fn canned_output_resolves_abbreviations_and_filters() {
        let d = device();
        let version = d.canned_output("show version").unwrap();
        assert!(version.contains("R1 uptime is"), "{version}");
        assert!(version.lines().count() > 30);
        assert_eq!(d.canned_output("sh ver"), Some(version));
        assert_eq!(d.canned_output("show clock").unwrap(), "*09:14:27.123 UTC Mon Mar 2 2020");
        assert_eq!(d.canned_output("show run"), Some(d.running_config()));
        assert_eq!(d.canned_output("show running-config | include ^hostname").unwrap(), "hostname R1");
        assert_eq!(
            d.canned_output("sh run | sec vty").unwrap(),
            "line vty 0 4\n login local\n transport input ssh"
        );
        assert_eq!(
            d.canned_output("show ip int brief | count Gigabit").unwrap(),
            "Number of lines which match regexp = 3"
        );
        assert_eq!(d.canned_output("show nothing"), None);
        assert_eq!(d.canned_output("configure terminal"), None);
        assert_eq!(d.canned_output("show"), None);
    }

    #[test]
    fn corpus_commands_join_the_trees() {
        let root = std::env::temp_dir().join(format!("netpulse-sim-ios-{}", std::process::id()));
        for (dir, text) in [
            ("show_version", "Cisco IOS from corpus\r\n\r\n"),
            ("ping", "!!!!!\r\n"),
            ("show_mac-address-table", "mac table\n"),
        ] {
            let d = root.join("tests/cisco_ios").join(dir);
            std::fs::create_dir_all(&d).unwrap();
            std::fs::write(d.join(format!("cisco_ios_{dir}.raw")), text).unwrap();
        }
        let cfg = SimConfig { corpus: Some(root.clone()), ..SimConfig::default() };
        let catalog = IosCatalog::load(&cfg);
        std::fs::remove_dir_all(&root).unwrap();
        let catalog = catalog.unwrap();
        assert_eq!(catalog.canned("show version", "R1"), "Cisco IOS from corpus");
        let p = catalog.user.parse("ping 10.0.0.1").unwrap();
        assert_eq!(*p.action, Exec::Canned("ping".into()));
        let p = catalog.user.parse("sh mac-address").unwrap();
        assert_eq!(*p.action, Exec::Canned("show mac-address-table".into()));
        // built-ins the corpus lacks stay available
        assert!(catalog.user.parse("show clock").is_ok());
    }
}
