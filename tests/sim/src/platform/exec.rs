//! Exec mode of the Cisco-style CLIs (IOS, NX-OS, IOS XR, EOS): what their exec commands
//! do ([`Exec`], each platform using the ones it has), the command trees of the CLIs with a
//! user and a privileged mode ([`Modes`]), the session's terminal settings ([`Screen`]), and
//! an exec line run up to what only the session can do ([`run_exec`]).

use crate::parser::{Args, CommandTree, Word};
use crate::platform::Reply;
use crate::platform::filter::{PipeSyntax, PipedError, resolve};
use crate::platform::outputs::Outputs;

/// What an exec command does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Exec {
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
    /// Saves the running configuration for startup (`write memory`, `copy run start`).
    WriteMemory,
    /// Fixed text (commands the simulator only pretends to run).
    Text(&'static str),
}

/// The exec command trees of a CLI with a user mode (`>`) and a privileged mode (`#`, after
/// `enable`), built command by command: a later command replaces an earlier one of the same
/// keywords.
#[derive(Debug, Default)]
pub(crate) struct Modes {
    user: CommandTree<Exec>,
    privileged: CommandTree<Exec>,
}

impl Modes {
    /// Adds `commands` to both modes.
    pub fn add_both(&mut self, commands: &[(&str, Exec, Args)]) {
        self.user.insert_all(commands);
        self.privileged.insert_all(commands);
    }

    /// Adds the canned commands of `outputs` (see [`Outputs::insert_into`]); those that
    /// `privileged_only` accepts to privileged mode only.
    pub fn add_canned(
        &mut self,
        outputs: &Outputs,
        with_arguments: &[&str],
        privileged_only: fn(&str) -> bool,
    ) {
        outputs.insert_into(&mut self.user, Exec::Canned, with_arguments, |c| !privileged_only(c));
        outputs.insert_into(&mut self.privileged, Exec::Canned, with_arguments, |_| true);
    }

    /// Adds `commands` to privileged mode.
    pub fn add_privileged(&mut self, commands: &[(&str, Exec, Args)]) {
        self.privileged.insert_all(commands);
    }

    /// The tree of the mode a session is in.
    pub fn tree(&self, privileged: bool) -> &CommandTree<Exec> {
        if privileged { &self.privileged } else { &self.user }
    }
}

/// A session's terminal: page length (0 = no paging) and width, 24 x 80 at login.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Screen {
    pub length: usize,
    pub width: usize,
}

impl Default for Screen {
    fn default() -> Self {
        Screen { length: 24, width: 80 }
    }
}

impl Screen {
    /// Carries out `action` when every session does it alike (`exit`, the terminal settings;
    /// `number`: the command's argument) and returns the answer; `None` for other actions.
    pub fn run(&mut self, action: &Exec, number: usize) -> Option<Reply> {
        match action {
            Exec::Exit => return Some(Reply::close("")),
            Exec::TerminalLength => self.length = number,
            Exec::TerminalWidth => self.width = number,
            Exec::TerminalOther => {}
            _ => return None,
        }
        Some(Reply::empty())
    }
}

/// Runs an exec line (`all`, its words) resolved in `tree` with its pipes in `syntax`: outputs
/// (see [`resolve`]), refusals (worded by `refused`), `exit` and the terminal settings are
/// answered (`Err`); any other action is handed back for the session to carry out.
pub(crate) fn run_exec<'t>(
    tree: &'t CommandTree<Exec>,
    syntax: &PipeSyntax,
    all: &[Word<'_>],
    screen: &mut Screen,
    output: impl FnOnce(&Exec, &[&str]) -> Option<String>,
    refused: impl FnOnce(PipedError) -> Reply,
) -> Result<&'t Exec, Reply> {
    let parsed = resolve(tree, syntax, all, output, refused)?;
    match screen.run(parsed.action, parsed.number()) {
        Some(reply) => Err(reply),
        None => Ok(parsed.action),
    }
}
