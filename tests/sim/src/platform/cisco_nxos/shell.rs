//! One NX-OS CLI session: exec mode (logins land at `#`, there is no user mode), configuration
//! mode with its sub-modes, terminal settings, NX-OS error messages with `^` markers, and the
//! colour reset (`ESC[0m`) NX-OS sends before some prompts.

use std::sync::Arc;

use super::config::DIALECT;
use super::{Exec, NxosDevice, PIPES};
use crate::parser::{ParseError, Word, words};
use crate::platform::blocks::{ConfigError, ConfigLine, Cursor, interpret};
use crate::platform::filter::{Pipeline, split_pipe};
use crate::platform::outputs::caret;
use crate::platform::{Reply, Shell};

const INVALID: &str = "% Invalid command at '^' marker.";
const INCOMPLETE: &str = "% Incomplete command at '^' marker.";
const AMBIGUOUS: &str = "% Ambiguous command at '^' marker.";
const CONFIG_BANNER: &str = "Enter configuration commands, one per line. End with CNTL/Z.";
const COPY_DONE: &str = "[########################################] 100%\nCopy complete.";
/// Sent before the prompt after the greeting and after every answer that printed something.
pub(super) const COLOUR_RESET: &str = "\x1b[0m";

pub(super) struct NxosShell {
    device: Arc<NxosDevice>,
    /// `None` in exec mode, the position in configuration mode otherwise.
    config: Option<Cursor>,
    length: usize,
    width: usize,
    /// The next prompt is preceded by [`COLOUR_RESET`].
    colour: bool,
}

/// `text` as an error: the caret line under `column`, then `message`.
fn marked(column: usize, message: &str) -> Reply {
    Reply::text(format!("{}\n{message}", caret(column)))
}

impl NxosShell {
    pub fn new(device: Arc<NxosDevice>) -> NxosShell {
        NxosShell { device, config: None, length: 24, width: 80, colour: true }
    }

    /// The prompt without the colour reset.
    fn plain_prompt(&self) -> String {
        let host = self.device.hostname();
        match &self.config {
            None => format!("{host}#"),
            Some(Cursor { sub: None }) => format!("{host}(config)#"),
            Some(Cursor { sub: Some((mode, line)) }) => format!("{host}({})#", DIALECT.tag(*mode, line)),
        }
    }

    /// The error for a line that did not parse; `command` are the words before any `|`.
    fn parse_error(&self, error: ParseError, line: &str, command: &[Word<'_>], prompt_len: usize) -> Reply {
        let end = prompt_len + line.trim_end().chars().count() + 1;
        match error {
            ParseError::Empty => Reply::empty(),
            ParseError::Invalid { column, .. } => marked(prompt_len + column, INVALID),
            ParseError::Incomplete => marked(end, INCOMPLETE),
            ParseError::Ambiguous => {
                let column = self.device.catalog.tree.ambiguity(command).map(|(i, _)| command[i].column);
                marked(column.map_or(end, |c| prompt_len + c), AMBIGUOUS)
            }
        }
    }

    /// An exec command (also `do ...` and `show ...` in configuration mode).
    fn exec(&mut self, line: &str, all: &[Word<'_>], prompt_len: usize) -> Reply {
        let (command, pipe) = split_pipe(all);
        let parsed = match self.device.catalog.tree.parse_words(command) {
            Ok(parsed) => parsed,
            Err(ParseError::Empty) if pipe.is_some() => return marked(prompt_len + all[0].column, INVALID),
            Err(e) => return self.parse_error(e, line, command, prompt_len),
        };
        let pipeline = match Pipeline::parse(pipe, &PIPES) {
            Ok(p) => p,
            Err(e) => return self.parse_error(e, line, &[], prompt_len),
        };
        let action = parsed.action.clone();
        if let Some(text) = self.device.output(&action) {
            return Reply { no_more: pipeline.no_more, ..Reply::text(pipeline.apply(&text, &PIPES)) };
        }
        let number = || parsed.args.first().and_then(|w| w.text.parse::<usize>().ok()).unwrap_or_default();
        match action {
            Exec::Exit => return Reply::close(""),
            Exec::TerminalLength => self.length = number(),
            Exec::TerminalWidth => self.width = number(),
            Exec::Configure => {
                self.config = Some(Cursor::default());
                return Reply::text(CONFIG_BANNER);
            }
            Exec::CopyRunStart => {
                let mut state = self.device.state();
                state.startup = state.running.clone();
                return Reply::text(COPY_DONE);
            }
            _ => {}
        }
        Reply::empty()
    }

    /// A configuration-mode line.
    fn config(&mut self, line: &str, all: &[Word<'_>], prompt_len: usize) -> Reply {
        let Some(cursor) = self.config.as_mut() else {
            return Reply::empty();
        };
        match interpret(&DIALECT, cursor.mode(), all) {
            ConfigLine::Empty => Reply::empty(),
            ConfigLine::Error(ConfigError::Invalid { column }) => marked(prompt_len + column, INVALID),
            ConfigLine::Error(ConfigError::Ambiguous { column }) => marked(prompt_len + column, AMBIGUOUS),
            ConfigLine::Error(ConfigError::Incomplete) => {
                marked(prompt_len + line.trim_end().chars().count() + 1, INCOMPLETE)
            }
            ConfigLine::Control("end") => {
                self.config = None;
                Reply::empty()
            }
            ConfigLine::Control("exit") => {
                if cursor.sub.take().is_none() {
                    self.config = None;
                }
                Reply::empty()
            }
            ConfigLine::Control("do") => {
                if all.len() < 2 {
                    return marked(prompt_len + line.trim_end().chars().count() + 1, INCOMPLETE);
                }
                self.exec(line, &all[1..], prompt_len)
            }
            ConfigLine::Control(_) => self.exec(line, all, prompt_len),
            ConfigLine::Statement(statement) => {
                let change = cursor.step(&statement);
                self.device.state().running.apply(&change);
                Reply::empty()
            }
        }
    }
}

impl Shell for NxosShell {
    fn greeting(&self) -> String {
        format!(
            "Cisco NX-OS Software\nCopyright (c) 2002-2021, Cisco Systems, Inc. All rights reserved.\n\
             {} - NetPulse simulated Cisco NX-OS device\n",
            self.device.hostname()
        )
    }

    fn prompt(&self) -> String {
        let colour = if self.colour { COLOUR_RESET } else { "" };
        format!("{colour}{}", self.plain_prompt())
    }

    fn execute(&mut self, line: &str) -> Reply {
        let prompt_len = self.plain_prompt().chars().count();
        let all = words(line);
        let reply = if self.config.is_some() {
            self.config(line, &all, prompt_len)
        } else {
            self.exec(line, &all, prompt_len)
        };
        self.colour = !reply.text.is_empty();
        reply
    }

    fn ctrl_z(&mut self) -> Reply {
        self.config = None;
        self.colour = false;
        Reply::empty()
    }

    fn echo(&self) -> bool {
        true
    }

    fn page_length(&self) -> usize {
        self.length
    }

    fn more_prompt(&self) -> &'static str {
        " --More-- "
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SimConfig;
    use crate::platform::cisco_nxos::NxosCatalog;
    use crate::platform::{Catalog, DeviceModel};

    fn shell() -> (Arc<dyn DeviceModel>, Box<dyn Shell>) {
        let catalog = Arc::new(NxosCatalog::load(&SimConfig::default()).unwrap());
        let device = catalog.new_device(0, "nxos1");
        let shell = device.clone().new_shell();
        (device, shell)
    }

    fn run(shell: &mut Box<dyn Shell>, line: &str) -> String {
        shell.execute(line).text
    }

    fn err(column: usize, message: &str) -> String {
        format!("{}^\n{message}", " ".repeat(column))
    }

    #[test]
    fn lands_at_hash_with_colour_reset_and_paging() {
        let (device, mut s) = shell();
        assert_eq!(s.prompt(), "\x1b[0mnxos1#");
        assert_eq!(s.page_length(), 24);
        assert_eq!(run(&mut s, "terminal length 0"), "");
        assert_eq!(s.prompt(), "nxos1#");
        assert_eq!(s.page_length(), 0);
        assert_eq!(run(&mut s, "terminal width 511"), "");
        assert_eq!(run(&mut s, "sh ver"), device.canned_output("show version").unwrap());
        assert_eq!(s.prompt(), "\x1b[0mnxos1#");
        assert!(s.execute("show running-config | no-more").no_more);
        assert!(s.execute("exit").close);
    }

    #[test]
    fn error_messages() {
        let (_, mut s) = shell();
        // "nxos1#" is 6 characters; the caret counts them
        assert_eq!(run(&mut s, "show versoin"), "           ^\n% Invalid command at '^' marker.");
        assert_eq!(run(&mut s, "foo"), err(6, INVALID));
        // incomplete: the caret one past the end of the line
        assert_eq!(run(&mut s, "show"), "           ^\n% Incomplete command at '^' marker.");
        assert_eq!(run(&mut s, "terminal length"), err(6 + 16, INCOMPLETE));
        assert_eq!(run(&mut s, "sh i"), err(6 + 3, AMBIGUOUS));
        assert_eq!(run(&mut s, "show version | frob"), err(6 + 15, INVALID));
        assert_eq!(run(&mut s, ""), "");
    }

    #[test]
    fn config_mode_edits_running_config() {
        let (device, mut s) = shell();
        assert_eq!(run(&mut s, "conf t"), CONFIG_BANNER);
        assert_eq!(s.prompt(), "\x1b[0mnxos1(config)#");
        assert_eq!(run(&mut s, "interface Ethernet1/2"), "");
        assert_eq!(s.prompt(), "nxos1(config-if)#");
        assert_eq!(run(&mut s, "description uplink"), "");
        assert_eq!(run(&mut s, "no shut"), "");
        assert_eq!(run(&mut s, "bogus"), err("nxos1(config-if)#".len(), INVALID));
        assert_eq!(run(&mut s, "vlan 10"), "");
        assert_eq!(s.prompt(), "nxos1(config-vlan)#");
        assert_eq!(run(&mut s, "name users"), "");
        assert_eq!(run(&mut s, "exit"), "");
        assert_eq!(s.prompt(), "nxos1(config)#");
        assert_eq!(run(&mut s, "line console"), "");
        assert_eq!(s.prompt(), "nxos1(config-console)#");
        assert_eq!(run(&mut s, "hostname core1"), "");
        assert_eq!(s.prompt(), "core1(config)#");
        assert_eq!(run(&mut s, "interface"), err("core1(config)#".len() + 10, INCOMPLETE));
        assert!(
            run(&mut s, "show running-config").contains("\ninterface Ethernet1/2\n  description uplink\n")
        );
        assert!(run(&mut s, "do show clock").contains("UTC"));
        assert_eq!(run(&mut s, "end"), "");
        assert_eq!(s.prompt(), "core1#");
        let config = device.running_config();
        assert!(config.contains("\nhostname core1\n"), "{config}");
        assert!(config.contains("\nvlan 10\n  name users"), "{config}");
        assert!(!config.contains("bogus"));
        assert_eq!(run(&mut s, "copy run start"), COPY_DONE);
        assert!(run(&mut s, "show startup-config").contains("\nhostname core1\n"));
        run(&mut s, "configure terminal");
        s.ctrl_z();
        assert_eq!(s.prompt(), "core1#");
    }
}
