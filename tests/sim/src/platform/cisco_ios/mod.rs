//! Cisco IOS: the fleet-wide catalog (canned outputs and exec command trees), the per-device
//! model (hostname, running and startup configuration) and, in `shell`, the CLI session.

mod builtin;
mod config;
mod shell;

use std::sync::Arc;

use crate::SimConfig;
use crate::parser::{Args, words};
use crate::platform::device::{Device, Saved, State};
use crate::platform::exec::{Exec, Modes};
use crate::platform::filter::{Filter, split_pipe};
use crate::platform::outputs::Outputs;
use crate::platform::{Catalog, DeviceModel, Shell};

use config::Config;

/// Canned commands that take free arguments after their keywords.
const ARGUMENT_COMMANDS: &[&str] = &["ping", "traceroute", "dir", "show running-config interface"];

/// Canned commands that only privileged mode has.
fn privileged_only(command: &str) -> bool {
    command.starts_with("show running-config")
        || command.starts_with("show startup-config")
        || command.starts_with("dir")
}

/// IOS has only `show interfaces ...`; a few corpus folders use the singular, which would
/// make `sh int` ambiguous.
fn rename(command: String) -> String {
    match command.strip_prefix("show interface ") {
        Some(rest) => format!("show interfaces {rest}"),
        None => command,
    }
}

/// Fleet-wide IOS data.
pub(crate) struct IosCatalog {
    outputs: Outputs,
    modes: Modes,
    username: String,
    secret: String,
}

impl IosCatalog {
    pub fn load(cfg: &SimConfig) -> anyhow::Result<IosCatalog> {
        let outputs = Outputs::load(builtin::OUTPUTS, cfg.corpus.as_deref(), "cisco_ios", rename)?;
        let mut modes = Modes::default();
        modes.add_both(&[
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
        ]);
        // Canned commands win over the ones above.
        modes.add_canned(&outputs, ARGUMENT_COMMANDS, privileged_only);
        modes.add_privileged(&[
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
        ]);
        Ok(IosCatalog { outputs, modes, username: cfg.username.clone(), secret: cfg.secret.clone() })
    }
}

const SYSTAT: &str = "    Line       User       Host(s)              Idle       Location\n\
*  2 vty 0     admin      idle                 00:00:00 127.0.0.1\n\
\n  Interface    User               Mode         Idle     Peer Address";

impl Catalog for IosCatalog {
    fn new_device(self: Arc<Self>, _index: usize, name: &str) -> Arc<dyn DeviceModel> {
        let config = Config::initial(name, &self.username);
        Arc::new(Device::new(self, Saved::new(config)))
    }
}

/// One IOS device: configuration shared by all its sessions.
type IosDevice = Device<IosCatalog, Saved<Config>>;

impl State for Saved<Config> {
    fn hostname(&self) -> String {
        self.running.hostname.clone()
    }
}

impl IosDevice {
    /// The output of a show-like action, `None` for actions that are not outputs.
    fn output(&self, action: &Exec, privileged: bool) -> Option<String> {
        Some(match action {
            Exec::Canned(command) => self.catalog.outputs.get(command, &self.hostname()).unwrap_or_default(),
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
        let parsed = self.catalog.modes.tree(true).parse_words(command_words).ok()?;
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
    use crate::platform::Platform;
    use crate::platform::testing::shell;

    #[test]
    fn canned_output_resolves_abbreviations_and_filters() {
        let (d, _) = shell(Platform::CiscoIos);
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
        assert_eq!(catalog.outputs.get("show version", "R1").unwrap(), "Cisco IOS from corpus");
        let p = catalog.modes.tree(false).parse("ping 10.0.0.1").unwrap();
        assert_eq!(*p.action, Exec::Canned("ping".into()));
        let p = catalog.modes.tree(false).parse("sh mac-address").unwrap();
        assert_eq!(*p.action, Exec::Canned("show mac-address-table".into()));
        // built-ins the corpus lacks stay available
        assert!(catalog.modes.tree(false).parse("show clock").is_ok());
    }
}
