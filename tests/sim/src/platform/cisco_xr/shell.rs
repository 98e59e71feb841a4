//! One IOS XR CLI session: exec mode (logins land at `#`), configuration mode where lines go
//! to the session's candidate until `commit` (`commit comment TEXT`, `commit confirmed
//! [SECONDS]`), the uncommitted-changes question when leaving, `abort`, terminal settings and
//! XR's error messages.

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::config::{DIALECT, changes_text, running_text};
use super::{ConfigShow, PIPES, XrDevice};
use crate::parser::{ParseError, Word, words};
use crate::platform::blocks::{Change, ConfigError, ConfigLine, Cursor, interpret};
use crate::platform::caret::marked;
use crate::platform::exec::{Exec, Screen, run_exec};
use crate::platform::filter::{PipedError, parse_piped};
use crate::platform::{Reply, Shell};

const INVALID: &str = "% Invalid input detected at '^' marker.";
const INCOMPLETE: &str = "% Incomplete command.";
const NO_CHANGES: &str = "% No configuration changes to commit.";
pub(super) const UNCOMMITTED: &str =
    "Uncommitted changes found, commit them before exiting(yes/no/cancel)? [cancel]:";
const PREFIX: &str = "RP/0/RSP0/CPU0:";
/// `commit confirmed` without a time.
const DEFAULT_CONFIRM: Duration = Duration::from_secs(600);

/// Configuration mode: where the session is and what it has not committed yet.
struct Edit {
    cursor: Cursor,
    changes: Vec<Change>,
    /// Leaving with uncommitted changes asked the question; the next line answers it.
    asking: bool,
}

pub(super) struct XrShell {
    device: Arc<XrDevice>,
    /// `None` in exec mode.
    edit: Option<Edit>,
    screen: Screen,
}

fn ambiguous(line: &str) -> Reply {
    Reply::text(format!("% Ambiguous command:  \"{}\"", line.trim()))
}

/// The answer to `line` (typed after a prompt of `prompt_len` characters, split into `all`)
/// that did not parse.
fn refused(error: PipedError, line: &str, all: &[Word<'_>], prompt_len: usize) -> Reply {
    match error {
        PipedError::NoCommand => marked(prompt_len + all[0].column, INVALID),
        PipedError::Command(e) | PipedError::Pipe(e) => parse_error(e, line, prompt_len),
    }
}

fn parse_error(error: ParseError, line: &str, prompt_len: usize) -> Reply {
    match error {
        ParseError::Empty => Reply::empty(),
        ParseError::Invalid { column, .. } => marked(prompt_len + column, INVALID),
        ParseError::Incomplete => Reply::text(INCOMPLETE),
        ParseError::Ambiguous => ambiguous(line),
    }
}

impl XrShell {
    pub fn new(device: Arc<XrDevice>) -> XrShell {
        XrShell { device, edit: None, screen: Screen::default() }
    }

    /// An exec command (also `do ...` in configuration mode).
    fn exec(&mut self, line: &str, all: &[Word<'_>], prompt_len: usize) -> Reply {
        let output = |action: &Exec, args: &[&str]| self.device.output(action, args);
        let refuse = |e| refused(e, line, all, prompt_len);
        match run_exec(&self.device.catalog.tree, &PIPES, all, &mut self.screen, output, refuse) {
            Ok(Exec::Configure) => {
                self.edit = Some(Edit { cursor: Cursor::default(), changes: Vec::new(), asking: false });
                Reply::empty()
            }
            Ok(_) => Reply::empty(),
            Err(reply) => reply,
        }
    }

    /// `commit [comment TEXT] [confirmed [SECONDS]] [label NAME]`; `rest` are the words after
    /// `commit`. Returns the answer, and whether the commit happened.
    fn commit(&mut self, rest: &[Word<'_>], prompt_len: usize) -> (Reply, bool) {
        let mut confirmed = None;
        let mut index = 0;
        while let Some(word) = rest.get(index) {
            let keyword = word.text.to_ascii_lowercase();
            if "comment".starts_with(&keyword) && keyword.len() >= 2 {
                if rest.len() == index + 1 {
                    return (Reply::text(INCOMPLETE), false);
                }
                break; // the comment is the rest of the line
            } else if "confirmed".starts_with(&keyword) && keyword.len() >= 2 {
                confirmed = Some(DEFAULT_CONFIRM);
                if let Some(seconds) = rest.get(index + 1).and_then(|w| w.text.parse::<u64>().ok()) {
                    if !(30..=65535).contains(&seconds) {
                        return (marked(prompt_len + rest[index + 1].column, INVALID), false);
                    }
                    confirmed = Some(Duration::from_secs(seconds));
                    index += 1;
                }
            } else if "label".starts_with(&keyword) && keyword.len() >= 2 && rest.len() > index + 1 {
                index += 1;
            } else {
                return (marked(prompt_len + word.column, INVALID), false);
            }
            index += 1;
        }
        let Some(edit) = self.edit.as_mut() else {
            return (Reply::empty(), false);
        };
        let mut state = self.device.state();
        if edit.changes.is_empty() {
            // a plain commit confirms a pending `commit confirmed`
            if state.confirm.is_some() && confirmed.is_none() {
                state.confirm = None;
                return (Reply::empty(), true);
            }
            return (Reply::text(NO_CHANGES), false);
        }
        let before = state.running.clone();
        for change in edit.changes.drain(..) {
            state.running.apply(&change);
        }
        state.confirm = confirmed.map(|wait| (Instant::now() + wait, before));
        (Reply::empty(), true)
    }

    /// Leaves configuration mode, first asking about uncommitted changes.
    fn leave(&mut self) -> Reply {
        match self.edit.as_mut() {
            Some(edit) if !edit.changes.is_empty() => edit.asking = true,
            _ => self.edit = None,
        }
        Reply::empty()
    }

    /// The answer to [`UNCOMMITTED`].
    fn answer(&mut self, line: &str, prompt_len: usize) -> Reply {
        let answer = line.trim().to_ascii_lowercase();
        let is = |word: &str| !answer.is_empty() && word.starts_with(&answer);
        if answer.is_empty() || is("cancel") {
            return Reply::empty();
        }
        if is("yes") {
            let (reply, _) = self.commit(&[], prompt_len);
            self.edit = None;
            return reply;
        }
        if is("no") {
            self.edit = None;
            return Reply::empty();
        }
        if let Some(edit) = self.edit.as_mut() {
            edit.asking = true;
        }
        Reply::empty()
    }

    /// A configuration-mode line.
    fn config(&mut self, line: &str, all: &[Word<'_>], prompt_len: usize) -> Reply {
        let Some(edit) = self.edit.as_mut() else {
            return Reply::empty();
        };
        match interpret(&DIALECT, edit.cursor.mode(), all) {
            ConfigLine::Empty => Reply::empty(),
            ConfigLine::Error(ConfigError::Invalid { column }) => marked(prompt_len + column, INVALID),
            ConfigLine::Error(ConfigError::Ambiguous { .. }) => ambiguous(line),
            ConfigLine::Error(ConfigError::Incomplete) => Reply::text(INCOMPLETE),
            ConfigLine::Control("end") => self.leave(),
            ConfigLine::Control("exit") => {
                if edit.cursor.sub.take().is_some() {
                    return Reply::empty();
                }
                self.leave()
            }
            ConfigLine::Control("root") => {
                edit.cursor.sub = None;
                Reply::empty()
            }
            ConfigLine::Control("abort") => {
                self.edit = None;
                Reply::empty()
            }
            ConfigLine::Control("commit") => self.commit(&all[1..], prompt_len).0,
            ConfigLine::Control("do") => {
                if all.len() < 2 {
                    return Reply::text(INCOMPLETE);
                }
                self.exec(line, &all[1..], prompt_len)
            }
            ConfigLine::Control(_) => self.config_show(line, all, prompt_len),
            ConfigLine::Statement(statement) => {
                let change = edit.cursor.step(&statement);
                edit.changes.push(change);
                Reply::empty()
            }
        }
    }

    /// `show configuration [merge]` / `show running-config` in configuration mode.
    fn config_show(&mut self, line: &str, all: &[Word<'_>], prompt_len: usize) -> Reply {
        let (parsed, pipeline) = match parse_piped(&self.device.catalog.config_show, all, &PIPES) {
            Ok(p) => p,
            Err(e) => return refused(e, line, all, prompt_len),
        };
        let changes = self.edit.as_ref().map(|e| e.changes.as_slice()).unwrap_or_default();
        let state = self.device.state();
        let text = match parsed.action {
            ConfigShow::Changes => changes_text(changes),
            ConfigShow::Merge => {
                let mut merged = state.running.clone();
                changes.iter().for_each(|c| merged.apply(c));
                running_text(&merged, "")
            }
            ConfigShow::ShowRunning => running_text(&state.running, &parsed.arg_texts().join(" ")),
        };
        Reply::text(pipeline.apply(&text, &PIPES))
    }
}

impl Shell for XrShell {
    fn greeting(&self) -> String {
        format!(
            "\nIMPORTANT:  READ CAREFULLY\n{} - NetPulse simulated Cisco IOS XR device\n",
            self.device.hostname()
        )
    }

    fn prompt(&self) -> String {
        let host = self.device.hostname();
        match &self.edit {
            None => format!("{PREFIX}{host}#"),
            Some(Edit { asking: true, .. }) => UNCOMMITTED.into(),
            Some(Edit { cursor: Cursor { sub: None }, .. }) => format!("{PREFIX}{host}(config)#"),
            Some(Edit { cursor: Cursor { sub: Some((mode, line)) }, .. }) => {
                format!("{PREFIX}{host}({})#", DIALECT.tag(*mode, line))
            }
        }
    }

    fn execute(&mut self, line: &str) -> Reply {
        let prompt_len = self.prompt().chars().count();
        if let Some(edit) = self.edit.as_mut()
            && std::mem::take(&mut edit.asking)
        {
            return self.answer(line, prompt_len);
        }
        let all = words(line);
        if self.edit.is_some() {
            self.config(line, &all, prompt_len)
        } else {
            self.exec(line, &all, prompt_len)
        }
    }

    fn ctrl_z(&mut self) -> Reply {
        match self.edit.as_mut() {
            Some(edit) if edit.asking => Reply::empty(),
            Some(_) => self.leave(),
            None => Reply::empty(),
        }
    }

    fn page_length(&self) -> usize {
        self.screen.length
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SimConfig;
    use crate::platform::cisco_xr::XrCatalog;
    use crate::platform::testing::{err, run, shell};
    use crate::platform::{DeviceModel, Platform};
    use std::time::Instant;

    fn invalid(column: usize) -> String {
        err(column, INVALID)
    }

    const EXEC: &str = "RP/0/RSP0/CPU0:xr1#";
    const CONFIG: &str = "RP/0/RSP0/CPU0:xr1(config)#";

    #[test]
    fn exec_mode_paging_and_errors() {
        let (device, mut s) = shell(Platform::CiscoXr);
        assert_eq!(s.prompt(), EXEC);
        assert_eq!(s.page_length(), 24);
        assert_eq!(run(&mut s, "terminal length 0"), "");
        assert_eq!(run(&mut s, "terminal width 512"), "");
        assert_eq!(s.page_length(), 0);
        assert_eq!(run(&mut s, "show versoin"), invalid(EXEC.len() + 5));
        assert_eq!(run(&mut s, "terminal length 513"), invalid(EXEC.len() + 16));
        assert_eq!(run(&mut s, "show"), INCOMPLETE);
        assert_eq!(run(&mut s, "sh i"), "% Ambiguous command:  \"sh i\"");
        assert_eq!(run(&mut s, "sh int br"), device.canned_output("show interfaces brief").unwrap());
        assert!(s.execute("exit").close);
    }

    #[test]
    fn lines_wait_for_commit() {
        let (device, mut s) = shell(Platform::CiscoXr);
        assert_eq!(run(&mut s, "configure terminal"), "");
        assert_eq!(s.prompt(), CONFIG);
        assert_eq!(run(&mut s, "interface GigabitEthernet0/0/0/1"), "");
        assert_eq!(s.prompt(), "RP/0/RSP0/CPU0:xr1(config-if)#");
        assert_eq!(run(&mut s, "description to core"), "");
        assert_eq!(run(&mut s, "no shutdown"), "");
        assert_eq!(run(&mut s, "bogus"), invalid("RP/0/RSP0/CPU0:xr1(config-if)#".len()));
        assert_eq!(run(&mut s, "router bgp 65000"), "");
        assert_eq!(s.prompt(), "RP/0/RSP0/CPU0:xr1(config-bgp)#");
        assert_eq!(run(&mut s, "root"), "");
        assert_eq!(run(&mut s, "hostname edge1"), "");
        // nothing is applied yet
        assert!(!device.running_config().contains("to core"));
        assert_eq!(s.prompt(), CONFIG);
        assert_eq!(
            run(&mut s, "show configuration"),
            "Mon Mar  2 09:14:27.123 UTC\nBuilding configuration...\n!! IOS XR Configuration 6.4.2\n\
             interface GigabitEthernet0/0/0/1\n description to core\n no shutdown\n!\n\
             router bgp 65000\n!\nhostname edge1\nend"
        );
        assert!(run(&mut s, "show configuration merge").contains("\nhostname edge1\n"));
        assert!(!run(&mut s, "show running-config").contains("to core"));
        assert_eq!(run(&mut s, "commit comment first change"), "");
        assert_eq!(s.prompt(), "RP/0/RSP0/CPU0:edge1(config)#");
        let config = device.running_config();
        assert!(config.contains("\ninterface GigabitEthernet0/0/0/1\n description to core\n!\n"), "{config}");
        assert!(config.contains("\nrouter bgp 65000\n!\n"), "{config}");
        assert_eq!(run(&mut s, "commit"), NO_CHANGES);
        assert_eq!(run(&mut s, "commit bogus"), invalid("RP/0/RSP0/CPU0:edge1(config)#".len() + 7));
        assert_eq!(run(&mut s, "end"), "");
        assert_eq!(s.prompt(), "RP/0/RSP0/CPU0:edge1#");
    }

    #[test]
    fn end_asks_about_uncommitted_changes() {
        let (device, mut s) = shell(Platform::CiscoXr);
        run(&mut s, "conf t");
        run(&mut s, "ntp server 10.0.0.1");
        assert_eq!(run(&mut s, "end"), "");
        assert_eq!(s.prompt(), UNCOMMITTED);
        // cancel (the default) stays in configuration mode with the changes
        assert_eq!(run(&mut s, ""), "");
        assert_eq!(s.prompt(), CONFIG);
        s.ctrl_z();
        assert_eq!(s.prompt(), UNCOMMITTED);
        assert_eq!(run(&mut s, "no"), "");
        assert_eq!(s.prompt(), EXEC);
        assert!(!device.running_config().contains("ntp server"));

        run(&mut s, "conf t");
        run(&mut s, "ntp server 10.0.0.2");
        run(&mut s, "exit");
        assert_eq!(s.prompt(), UNCOMMITTED);
        assert_eq!(run(&mut s, "maybe"), "");
        assert_eq!(s.prompt(), UNCOMMITTED);
        assert_eq!(run(&mut s, "yes"), "");
        assert_eq!(s.prompt(), EXEC);
        assert!(device.running_config().contains("\nntp server 10.0.0.2\n"));

        // no changes: no question; abort discards without asking
        run(&mut s, "conf t");
        assert_eq!(run(&mut s, "end"), "");
        assert_eq!(s.prompt(), EXEC);
        run(&mut s, "conf t");
        run(&mut s, "ntp server 10.0.0.3");
        assert_eq!(run(&mut s, "abort"), "");
        assert_eq!(s.prompt(), EXEC);
        assert!(!device.running_config().contains("10.0.0.3"));
    }

    #[test]
    fn commit_confirmed_rolls_back_unless_confirmed() {
        let catalog = Arc::new(XrCatalog::load(&SimConfig::default()).unwrap());
        let running = crate::platform::cisco_xr::config::initial("xr1", "admin");
        let device =
            Arc::new(XrDevice::new(catalog, crate::platform::cisco_xr::XrState { running, confirm: None }));
        let mut s: Box<dyn Shell> = Box::new(XrShell::new(device.clone()));
        run(&mut s, "conf t");
        assert_eq!(run(&mut s, "commit confirmed 10"), invalid(CONFIG.len() + 17));
        run(&mut s, "ntp server 10.0.0.9");
        assert_eq!(run(&mut s, "commit confirmed 30"), "");
        assert!(device.running_config().contains("ntp server 10.0.0.9"));
        // a plain commit confirms
        assert_eq!(run(&mut s, "commit"), "");
        assert_eq!(run(&mut s, "commit"), NO_CHANGES);
        // an unconfirmed commit rolls back when its time is up
        run(&mut s, "ntp server 10.0.0.10");
        run(&mut s, "commit confirmed");
        assert!(device.running_config().contains("10.0.0.10"));
        device.state().confirm.as_mut().unwrap().0 = Instant::now();
        let config = device.running_config();
        assert!(config.contains("ntp server 10.0.0.9") && !config.contains("10.0.0.10"), "{config}");
        assert_eq!(run(&mut s, "commit"), NO_CHANGES);
    }
}
