//! One VRP CLI session: the user view (`<host>`), the system view (`[host]`) and its
//! sub-views (`[host-GigabitEthernet0/0/1]`), `screen-length 0 temporary`, the `save`
//! question, `display` commands in every view, and VRP's `Error: ... at '^' position.`
//! messages.

use std::sync::Arc;

use super::config::{DIALECT, this_text};
use super::{Exec, PIPES, VrpDevice};
use crate::parser::{Match, ParseError, Word, match_keyword, words};
use crate::platform::blocks::{ConfigError, ConfigLine, Cursor, interpret};
use crate::platform::filter::{Pipeline, split_pipe};
use crate::platform::outputs::caret;
use crate::platform::{Reply, Shell};

const UNRECOGNIZED: &str = "Error: Unrecognized command found at '^' position.";
const INCOMPLETE: &str = "Error: Incomplete command found at '^' position.";
const AMBIGUOUS: &str = "Error: Ambiguous command found at '^' position.";
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

/// The caret line under `column`, then `message`.
fn marked(column: usize, message: &str) -> Reply {
    Reply::text(format!("{}\n{message}", caret(column)))
}

impl VrpShell {
    pub fn new(device: Arc<VrpDevice>) -> VrpShell {
        VrpShell { device, view: None, saving: false, length: 24 }
    }

    fn parse_error(&self, error: ParseError, line: &str, command: &[Word<'_>], prompt_len: usize) -> Reply {
        let end = prompt_len + line.trim_end().chars().count() + 1;
        match error {
            ParseError::Empty => Reply::empty(),
            ParseError::Invalid { column, .. } => marked(prompt_len + column, UNRECOGNIZED),
            ParseError::Incomplete => marked(end, INCOMPLETE),
            ParseError::Ambiguous => {
                let column = self.device.catalog.tree.ambiguity(command).map(|(i, _)| command[i].column);
                marked(column.map_or(end, |c| prompt_len + c), AMBIGUOUS)
            }
        }
    }

    /// `screen-length N temporary`; `args` are the words after `screen-length`.
    fn screen_length(&mut self, line: &str, args: &[Word<'_>], prompt_len: usize) -> Reply {
        let end = prompt_len + line.trim_end().chars().count() + 1;
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
        let (command, pipe) = split_pipe(all);
        let parsed = match self.device.catalog.tree.parse_words(command) {
            Ok(parsed) => parsed,
            Err(ParseError::Empty) if pipe.is_some() => {
                return marked(prompt_len + all[0].column, UNRECOGNIZED);
            }
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
        match action {
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
        let Some(cursor) = self.view.as_mut() else {
            return Reply::empty();
        };
        match interpret(&DIALECT, cursor.mode(), all) {
            ConfigLine::Empty => Reply::empty(),
            ConfigLine::Error(ConfigError::Invalid { column }) => marked(prompt_len + column, UNRECOGNIZED),
            ConfigLine::Error(ConfigError::Ambiguous { column }) => marked(prompt_len + column, AMBIGUOUS),
            ConfigLine::Error(ConfigError::Incomplete) => {
                marked(prompt_len + line.trim_end().chars().count() + 1, INCOMPLETE)
            }
            ConfigLine::Control("return") => {
                self.view = None;
                Reply::empty()
            }
            ConfigLine::Control("quit") => {
                if cursor.sub.take().is_none() {
                    self.view = None;
                }
                Reply::empty()
            }
            ConfigLine::Control("display")
                if all.get(1).is_some_and(|w| matches!(match_keyword(w.text, ["this"]), Match::One(_)))
                    && all.len() == 2 =>
            {
                let block = cursor.sub.as_ref().map(|(_, line)| line.as_str());
                Reply::text(this_text(&self.device.state().current, block))
            }
            ConfigLine::Control(_) => self.exec(line, all, prompt_len),
            ConfigLine::Statement(mut statement) => {
                if statement.keyword == "interface" && !statement.negate {
                    // `interface GigabitEthernet 0/0/1` is `interface GigabitEthernet0/0/1`
                    statement.text =
                        format!("interface {}", statement.text["interface ".len()..].replace(' ', ""));
                }
                if statement.text.starts_with("vlan batch") {
                    statement.opens = None;
                }
                let change = cursor.step(&statement);
                self.device.state().current.apply(&change);
                Reply::empty()
            }
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
                let mut state = self.device.state();
                state.saved = state.current.clone();
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

    fn echo(&self) -> bool {
        true
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
    use crate::SimConfig;
    use crate::platform::huawei_vrp::VrpCatalog;
    use crate::platform::{Catalog, DeviceModel};

    fn shell() -> (Arc<dyn DeviceModel>, Box<dyn Shell>) {
        let catalog = Arc::new(VrpCatalog::load(&SimConfig::default()).unwrap());
        let device = catalog.new_device(0, "vrp1");
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
    fn user_view_paging_and_errors() {
        let (device, mut s) = shell();
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
        let (device, mut s) = shell();
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
        let (_, mut s) = shell();
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
