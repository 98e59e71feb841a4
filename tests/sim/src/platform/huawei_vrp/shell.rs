//! One VRP CLI session: the user view (`<host>`), the system view (`[host]`) and its
//! sub-views (`[host-GigabitEthernet0/0/1]`), `screen-length 0 temporary`, the `save`
//! question, `display` commands in every view, and VRP's `Error: ... at '^' position.`
//! messages.

use std::sync::Arc;

use super::config::{DIALECT, this_text};
use super::{Exec, PIPES, VrpDevice};
use crate::parser::{Match, Word, match_keyword, words};
use crate::platform::blocks::{Configured, Cursor, configure};
use crate::platform::caret::{CaretErrors, marked, past_end};
use crate::platform::filter::resolve;
use crate::platform::{Reply, Shell};

const UNRECOGNIZED: &str = "Error: Unrecognized command found at '^' position.";
const INCOMPLETE: &str = "Error: Incomplete command found at '^' position.";
const AMBIGUOUS: &str = "Error: Ambiguous command found at '^' position.";
const ERRORS: CaretErrors =
    CaretErrors { invalid: UNRECOGNIZED, incomplete: INCOMPLETE, ambiguous: AMBIGUOUS };
const WRONG_PARAMETER: &str = "Error: Wrong parameter found at '^' position.";
const SCREEN_LENGTH_INFO: &str =
    "Info: The configuration takes effect on the current user terminal interface only.";
const SYSTEM_VIEW: &str = "Enter system view, return user view with return command.";
pub(super) const SAVE_QUESTION: &str =
    "The current configuration will be written to the device. Are you sure to continue? [Y/N]:";
const SAVED: &str = "Save the configuration successfully.";

pub(super) struct VrpShell {
    device: Arc<VrpDevice>,
    /// `None` in the user view; the position in the system view otherwise.
    view: Option<Cursor>,
    /// `save` asked its question; the next line answers it.
    saving: bool,
    length: usize,
}

impl VrpShell {
    pub fn new(device: Arc<VrpDevice>) -> VrpShell {
        VrpShell { device, view: None, saving: false, length: 24 }
    }

    /// `screen-length N temporary`; `args` are the words after `screen-length`.
    fn screen_length(&mut self, line: &str, args: &[Word<'_>], prompt_len: usize) -> Reply {
        let end = past_end(line, prompt_len);
        let Some(number) = args.first() else {
            return marked(end, INCOMPLETE);
        };
        let Some(length) = number.text.parse::<usize>().ok().filter(|n| *n <= 512) else {
            return marked(prompt_len + number.column, WRONG_PARAMETER);
        };
        let Some(temporary) = args.get(1) else {
            return marked(end, INCOMPLETE);
        };
        if !matches!(match_keyword(temporary.text, ["temporary"]), Match::One(_)) {
            return marked(prompt_len + temporary.column, UNRECOGNIZED);
        }
        if let Some(extra) = args.get(2) {
            return marked(prompt_len + extra.column, UNRECOGNIZED);
        }
        self.length = length;
        Reply::text(SCREEN_LENGTH_INFO)
    }

    /// A user-view command (also `display ...` / `save` in the system views).
    fn exec(&mut self, line: &str, all: &[Word<'_>], prompt_len: usize) -> Reply {
        let tree = &self.device.catalog.tree;
        let refused = |e| ERRORS.refused(e, line, tree, all, prompt_len);
        let parsed = match resolve(tree, &PIPES, all, |action, _| self.device.output(action), refused) {
            Ok(parsed) => parsed,
            Err(reply) => return reply,
        };
        match parsed.action {
            Exec::ScreenLength => return self.screen_length(line, &parsed.args, prompt_len),
            Exec::SystemView => {
                self.view = Some(Cursor::default());
                return Reply::text(SYSTEM_VIEW);
            }
            Exec::Save => self.saving = true,
            Exec::Quit => return Reply::close(""),
            _ => {}
        }
        Reply::empty()
    }

    /// A line typed in the system view or a sub-view.
    fn config(&mut self, line: &str, all: &[Word<'_>], prompt_len: usize) -> Reply {
        match configure(&DIALECT, &mut self.view, all, |change| self.device.apply(&change)) {
            Configured::Done => Reply::empty(),
            Configured::Refused(e) => ERRORS.config(e, line, prompt_len),
            Configured::Control("display")
                if all.get(1).is_some_and(|w| matches!(match_keyword(w.text, ["this"]), Match::One(_)))
                    && all.len() == 2 =>
            {
                let block = self.view.as_ref().and_then(|c| c.sub.as_ref()).map(|(_, line)| line.as_str());
                Reply::text(this_text(&self.device.state().running, block))
            }
            Configured::Control(_) => self.exec(line, all, prompt_len),
        }
    }
}

impl Shell for VrpShell {
    fn greeting(&self) -> String {
        "\nInfo: The max number of VTY users is 5, and the number\n      of current VTY users on line is 1.\n      \
         The current login time is 2020-03-02 09:14:27."
            .into()
    }

    fn prompt(&self) -> String {
        if self.saving {
            return SAVE_QUESTION.into();
        }
        let host = self.device.hostname();
        match &self.view {
            None => format!("<{host}>"),
            Some(Cursor { sub: None }) => format!("[{host}]"),
            Some(Cursor { sub: Some((mode, line)) }) => format!("[{host}-{}]", DIALECT.tag(*mode, line)),
        }
    }

    fn execute(&mut self, line: &str) -> Reply {
        if std::mem::take(&mut self.saving) {
            if line.trim().to_ascii_lowercase().starts_with('y') {
                self.device.state().save();
                return Reply::text(SAVED);
            }
            return Reply::empty();
        }
        let prompt_len = self.prompt().chars().count();
        let all = words(line);
        if self.view.is_some() {
            self.config(line, &all, prompt_len)
        } else {
            self.exec(line, &all, prompt_len)
        }
    }

    fn ctrl_z(&mut self) -> Reply {
        self.saving = false;
        self.view = None;
        Reply::empty()
    }

    fn page_length(&self) -> usize {
        self.length
    }

    fn more_prompt(&self) -> &'static str {
        "  ---- More ----"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::platform::Platform;
    use crate::platform::testing::{err, run, shell};

    #[test]
    fn user_view_paging_and_errors() {
        let (device, mut s) = shell(Platform::HuaweiVrp);
        assert_eq!(s.prompt(), "<vrp1>");
        assert_eq!(s.page_length(), 24);
        assert_eq!(s.more_prompt(), "  ---- More ----");
        assert_eq!(run(&mut s, "screen-length 0 temporary"), SCREEN_LENGTH_INFO);
        assert_eq!(s.page_length(), 0);
        assert_eq!(run(&mut s, "screen-length x temporary"), err(6 + 14, WRONG_PARAMETER));
        assert_eq!(run(&mut s, "screen-length 0"), err(6 + 16, INCOMPLETE));
        assert_eq!(run(&mut s, "dis versoin"), err(6 + 4, UNRECOGNIZED));
        assert_eq!(run(&mut s, "foo"), err(6, UNRECOGNIZED));
        assert_eq!(run(&mut s, "display"), err(6 + 8, INCOMPLETE));
        assert_eq!(run(&mut s, "dis c"), err(6 + 4, AMBIGUOUS));
        assert_eq!(run(&mut s, "dis ver"), device.canned_output("display version").unwrap());
        assert!(s.execute("dis cur | no-more").no_more);
        assert!(s.execute("quit").close);
    }

    #[test]
    fn system_view_edits_the_configuration() {
        let (device, mut s) = shell(Platform::HuaweiVrp);
        assert_eq!(run(&mut s, "system-view"), SYSTEM_VIEW);
        assert_eq!(s.prompt(), "[vrp1]");
        assert_eq!(run(&mut s, "interface GigabitEthernet 0/0/1"), "");
        assert_eq!(s.prompt(), "[vrp1-GigabitEthernet0/0/1]");
        assert_eq!(run(&mut s, "description to core"), "");
        assert_eq!(run(&mut s, "ip address 10.1.1.1 24"), "");
        assert_eq!(run(&mut s, "bogus"), err("[vrp1-GigabitEthernet0/0/1]".len(), UNRECOGNIZED));
        assert_eq!(
            run(&mut s, "display this"),
            "#\ninterface GigabitEthernet0/0/1\n description to core\n ip address 10.1.1.1 24\n#\nreturn"
        );
        assert_eq!(run(&mut s, "quit"), "");
        assert_eq!(s.prompt(), "[vrp1]");
        assert_eq!(run(&mut s, "ospf 1"), "");
        assert_eq!(s.prompt(), "[vrp1-ospf-1]");
        assert_eq!(run(&mut s, "vlan batch 10 20"), "");
        assert_eq!(s.prompt(), "[vrp1]");
        assert_eq!(run(&mut s, "vlan 10"), "");
        assert_eq!(s.prompt(), "[vrp1-vlan10]");
        assert_eq!(run(&mut s, "user-interface vty 0 4"), "");
        assert_eq!(s.prompt(), "[vrp1-ui-vty0-4]");
        assert_eq!(run(&mut s, "sysname core1"), "");
        assert_eq!(s.prompt(), "[core1]");
        assert_eq!(run(&mut s, "undo stelnet server enable"), "");
        assert!(
            run(&mut s, "dis cur").contains("\n#\ninterface GigabitEthernet0/0/1\n description to core\n")
        );
        assert_eq!(run(&mut s, "return"), "");
        assert_eq!(s.prompt(), "<core1>");
        let current = device.running_config();
        assert!(current.contains("\n#\n sysname core1\n"), "{current}");
        assert!(current.contains("\n vlan batch 10 20\n"), "{current}");
        assert!(!current.contains("stelnet server enable"), "{current}");
        run(&mut s, "system-view");
        s.ctrl_z();
        assert_eq!(s.prompt(), "<core1>");
    }

    #[test]
    fn save_asks_first() {
        let (_, mut s) = shell(Platform::HuaweiVrp);
        assert!(!run(&mut s, "display saved-configuration").contains("sysname core1"));
        run(&mut s, "system-view");
        run(&mut s, "sysname core1");
        run(&mut s, "return");
        assert_eq!(run(&mut s, "save"), "");
        assert_eq!(s.prompt(), SAVE_QUESTION);
        assert_eq!(run(&mut s, "n"), "");
        assert_eq!(s.prompt(), "<core1>");
        assert!(!run(&mut s, "display saved-configuration").contains("sysname core1"));
        run(&mut s, "save");
        assert_eq!(run(&mut s, "y"), SAVED);
        assert!(run(&mut s, "display saved-configuration").contains(" sysname core1\n"));
    }
}
