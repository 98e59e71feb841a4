//! One NX-OS CLI session: exec mode (logins land at `#`, there is no user mode), configuration
//! mode with its sub-modes, terminal settings, NX-OS error messages with `^` markers, and the
//! colour reset (`ESC[0m`) NX-OS sends before some prompts.

use std::sync::Arc;

use super::config::DIALECT;
use super::{NxosDevice, PIPES};
use crate::parser::{Word, words};
use crate::platform::blocks::{Configured, Cursor, configure};
use crate::platform::caret::CaretErrors;
use crate::platform::exec::{Exec, Screen, run_exec};
use crate::platform::{Reply, Shell};

const INVALID: &str = "% Invalid command at '^' marker.";
const INCOMPLETE: &str = "% Incomplete command at '^' marker.";
const AMBIGUOUS: &str = "% Ambiguous command at '^' marker.";
const ERRORS: CaretErrors = CaretErrors { invalid: INVALID, incomplete: INCOMPLETE, ambiguous: AMBIGUOUS };
const CONFIG_BANNER: &str = "Enter configuration commands, one per line. End with CNTL/Z.";
const COPY_DONE: &str = "[########################################] 100%\nCopy complete.";
/// Sent before the prompt after the greeting and after every answer that printed something.
pub(super) const COLOUR_RESET: &str = "\x1b[0m";

pub(super) struct NxosShell {
    device: Arc<NxosDevice>,
    /// `None` in exec mode, the position in configuration mode otherwise.
    config: Option<Cursor>,
    screen: Screen,
    /// The next prompt is preceded by [`COLOUR_RESET`].
    colour: bool,
}

impl NxosShell {
    pub fn new(device: Arc<NxosDevice>) -> NxosShell {
        NxosShell { device, config: None, screen: Screen::default(), colour: true }
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

    /// An exec command (also `do ...` and `show ...` in configuration mode).
    fn exec(&mut self, line: &str, all: &[Word<'_>], prompt_len: usize) -> Reply {
        let tree = &self.device.catalog.tree;
        let refused = |e| ERRORS.refused(e, line, tree, all, prompt_len);
        let output = |action: &Exec, _: &[&str]| self.device.output(action);
        match run_exec(tree, &PIPES, all, &mut self.screen, output, refused) {
            Ok(Exec::Configure) => {
                self.config = Some(Cursor::default());
                Reply::text(CONFIG_BANNER)
            }
            Ok(Exec::WriteMemory) => {
                self.device.state().save();
                Reply::text(COPY_DONE)
            }
            Ok(_) => Reply::empty(),
            Err(reply) => reply,
        }
    }

    /// A configuration-mode line.
    fn config(&mut self, line: &str, all: &[Word<'_>], prompt_len: usize) -> Reply {
        match configure(&DIALECT, &mut self.config, all, |change| self.device.apply(&change)) {
            Configured::Done => Reply::empty(),
            Configured::Refused(e) => ERRORS.config(e, line, prompt_len),
            Configured::Control("do") if all.len() < 2 => ERRORS.incomplete(line, prompt_len),
            Configured::Control("do") => self.exec(line, &all[1..], prompt_len),
            Configured::Control(_) => self.exec(line, all, prompt_len),
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

    fn page_length(&self) -> usize {
        self.screen.length
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::platform::Platform;
    use crate::platform::testing::{err, run, shell};

    #[test]
    fn lands_at_hash_with_colour_reset_and_paging() {
        let (device, mut s) = shell(Platform::CiscoNxos);
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
        let (_, mut s) = shell(Platform::CiscoNxos);
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
        let (device, mut s) = shell(Platform::CiscoNxos);
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
