//! Juniper Junos: the fleet-wide catalog (canned outputs and the operational command tree),
//! the per-device model (committed configuration, rollback history, a pending
//! `commit confirmed`) and, in `shell`, the CLI session with its candidate configuration.

mod builtin;
mod config;
mod shell;

use std::sync::Arc;
use std::time::Instant;

use crate::SimConfig;
use crate::parser::{Args, CommandTree, Match};
use crate::platform::device::{Device, State, expired};
use crate::platform::filter::{PipeSyntax, Stage, piped_output};
use crate::platform::outputs::Outputs;
use crate::platform::{Catalog, DeviceModel, Shell};

use config::{Statements, top_statement};

/// What an operational-mode command does.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Op {
    /// Prints the canned output of this command.
    Canned(String),
    /// `show configuration [PATH]`: committed statements as `set` lines.
    ShowConfiguration,
    ScreenLength,
    ScreenWidth,
    CompleteOnSpace,
    Configure,
    Exit,
}

/// The `|` stages Junos knows.
const PIPES: PipeSyntax = PipeSyntax {
    stages: &[
        ("count", Stage::Count),
        ("display", Stage::Display),
        ("except", Stage::Exclude),
        ("find", Stage::Begin),
        ("last", Stage::Last),
        ("match", Stage::Include),
        ("no-more", Stage::NoMore),
    ],
    count: |n| format!("Count: {n} lines"),
};

/// How many committed configurations `rollback N` can reach (0 = the current one).
const HISTORY: usize = 50;

/// Fleet-wide Junos data.
pub(crate) struct JunosCatalog {
    outputs: Outputs,
    tree: CommandTree<Op>,
    username: String,
}

impl JunosCatalog {
    pub fn load(cfg: &SimConfig) -> anyhow::Result<JunosCatalog> {
        let outputs = Outputs::load(builtin::OUTPUTS, cfg.corpus.as_deref(), "juniper_junos", |c| c)?;
        let tree = outputs.tree(
            Op::Canned,
            &[],
            &[
                ("show configuration", Op::ShowConfiguration, Args::Words { min: 0 }),
                ("set cli screen-length", Op::ScreenLength, Args::Number { max: 100_000 }),
                ("set cli screen-width", Op::ScreenWidth, Args::Number { max: 1024 }),
                ("set cli complete-on-space", Op::CompleteOnSpace, Args::Words { min: 1 }),
                ("configure", Op::Configure, Args::Words { min: 0 }),
                ("exit", Op::Exit, Args::None),
                ("quit", Op::Exit, Args::None),
            ],
        );
        Ok(JunosCatalog { outputs, tree, username: cfg.username.clone() })
    }
}

impl Catalog for JunosCatalog {
    fn new_device(self: Arc<Self>, _index: usize, name: &str) -> Arc<dyn DeviceModel> {
        let committed = config::initial(name, &self.username);
        Arc::new(Device::new(self, JunosState::new(name, committed)))
    }
}

/// One Junos device: the committed configuration shared by all its sessions.
type JunosDevice = Device<JunosCatalog, JunosState>;

struct JunosState {
    /// The start-time name (the hostname when `system host-name` is deleted).
    name: String,
    committed: Statements,
    /// Committed configurations, newest first (`rollback N` loads `history[N]`).
    history: Vec<Statements>,
    /// After `commit confirmed`: when it rolls back, and to what.
    confirm: Option<(Instant, Statements)>,
}

impl JunosState {
    /// A device called `name` that has committed `committed` once.
    fn new(name: &str, committed: Statements) -> JunosState {
        JunosState { name: name.to_string(), history: vec![committed.clone()], committed, confirm: None }
    }

    /// Commits `candidate`.
    fn commit(&mut self, candidate: Statements) {
        self.committed = candidate.clone();
        self.history.insert(0, candidate);
        self.history.truncate(HISTORY);
    }
}

impl State for JunosState {
    fn hostname(&self) -> String {
        self.committed.hostname().unwrap_or_else(|| self.name.clone())
    }

    /// Rolls back a `commit confirmed` whose time ran out.
    fn settle(&mut self) {
        if let Some(before) = expired(&mut self.confirm) {
            self.commit(before);
        }
    }
}

impl JunosDevice {
    /// The output of a show-like action (`args`: the words after its keywords), `None` for
    /// actions that are not outputs or bad arguments.
    fn output(&self, action: &Op, args: &[&str]) -> Option<String> {
        Some(match action {
            Op::Canned(command) => self.catalog.outputs.get(command, &self.hostname()).unwrap_or_default(),
            Op::ShowConfiguration => {
                let mut path: Vec<String> = args.iter().map(|a| a.to_string()).collect();
                if let Some(first) = path.first_mut() {
                    match top_statement(first) {
                        Match::One(statement) => *first = statement.to_string(),
                        _ => return Some(String::new()),
                    }
                }
                self.state().committed.set_lines(&path)
            }
            _ => return None,
        })
    }
}

impl DeviceModel for JunosDevice {
    fn running_config(&self) -> String {
        self.state().committed.set_lines(&[])
    }

    fn canned_output(&self, command: &str) -> Option<String> {
        piped_output(&self.catalog.tree, &PIPES, command, |action, args| self.output(action, args))
    }

    fn new_shell(self: Arc<Self>) -> Box<dyn Shell> {
        Box::new(shell::JunosShell::new(self))
    }
}

#[cfg(test)]
mod tests {
    use crate::platform::Platform;
    use crate::platform::testing::shell;

    #[test]
    fn canned_output_and_configuration() {
        let (d, _) = shell(Platform::JuniperJunos);
        let version = d.canned_output("show version").unwrap();
        assert!(version.starts_with("Hostname: junos1\nModel: vmx\n"), "{version}");
        assert!(version.lines().count() > 30);
        assert_eq!(d.canned_output("sh ver"), Some(version));
        assert_eq!(d.canned_output("show configuration"), Some(d.running_config()));
        assert_eq!(d.canned_output("show configuration | display set"), Some(d.running_config()));
        assert_eq!(
            d.canned_output("show configuration sys host-name").unwrap(),
            "set system host-name junos1"
        );
        assert_eq!(
            d.canned_output("show configuration | match host-name").unwrap(),
            "set system host-name junos1"
        );
        assert_eq!(d.canned_output("show interfaces terse | count").unwrap(), "Count: 10 lines");
        assert_eq!(d.canned_output("configure"), None);
        assert_eq!(d.canned_output("show nothing"), None);
        assert!(d.running_config().starts_with("set version 20.4R3.8\nset system host-name junos1\n"));
    }
}
