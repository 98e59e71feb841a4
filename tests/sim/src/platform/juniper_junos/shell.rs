//! One Junos CLI session: operational mode (`user@host> `) with `set cli ...` settings, and
//! configuration mode (`user@host# `, each prompt preceded by a blank line and the `[edit ...]`
//! line) where `set` / `delete` change the session's candidate until `commit`, with `edit`,
//! `top`, `up`, `exit`, `rollback`, `run`, `show`, and Junos's caret error messages.

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::config::{Statements, TOP_STATEMENTS, level_len, top_statement};
use super::{JunosDevice, Op, PIPES};
use crate::parser::{Match, ParseError, Word, match_keyword, quoted_words, words};
use crate::platform::caret::{caret, marked, past_end};
use crate::platform::filter::{PipedError, Pipeline, resolve, split_pipe};
use crate::platform::{Reply, Shell};

const UNKNOWN: &str = "unknown command.";
const SYNTAX: &str = "syntax error, expecting <command>.";
const BAD_STATEMENT: &str = "syntax error.";
const EXPECTING_STATEMENT: &str = "syntax error, expecting <statement> or <identifier>.";
const ENTERING: &str = "Entering configuration mode";
const EXITING: &str = "Exiting configuration mode\n";
const NOT_COMMITTED: &str = "The configuration has been changed but not committed";
pub(super) const EXIT_QUESTION: &str = "Exit with uncommitted changes? [yes,no] (yes) ";
const COMMIT_COMPLETE: &str = "commit complete";
const CHECK_SUCCEEDS: &str = "configuration check succeeds";
const NOT_FOUND: &str = "warning: statement not found";

/// Commands of configuration mode.
const CONFIG_COMMANDS: &[&str] =
    &["commit", "delete", "edit", "exit", "quit", "rollback", "run", "set", "show", "top", "up"];

/// A change to the candidate, replayed on the committed configuration.
#[derive(Debug, Clone)]
enum Change {
    Set(Vec<String>),
    Delete(Vec<String>),
    /// `rollback`: the whole configuration.
    Load(Statements),
}

/// Configuration mode.
struct Edit {
    changes: Vec<Change>,
    /// The `[edit ...]` level.
    path: Vec<String>,
    /// `exit` asked [`EXIT_QUESTION`]; the next line answers it.
    asking: bool,
}

pub(super) struct JunosShell {
    device: Arc<JunosDevice>,
    /// `None` in operational mode.
    edit: Option<Edit>,
    length: usize,
    width: usize,
    complete_on_space: bool,
}

/// The answer to a pipeline that did not parse (`end`: the column past the line's end).
fn pipe_error(error: ParseError, prompt_len: usize, end: usize) -> Reply {
    match error {
        ParseError::Invalid { column, .. } => marked(prompt_len + column, SYNTAX),
        _ => marked(end, SYNTAX),
    }
}

/// A keyword typed as a prefix of one of `keywords`.
fn keyword(typed: &str, keywords: &[&'static str]) -> Option<&'static str> {
    match match_keyword(typed, keywords.iter().copied()) {
        Match::One(k) => Some(k),
        _ => None,
    }
}

impl JunosShell {
    pub fn new(device: Arc<JunosDevice>) -> JunosShell {
        JunosShell { device, edit: None, length: 24, width: 80, complete_on_space: true }
    }

    /// The last line of the prompt (what carets count).
    fn prompt_line(&self) -> String {
        let user = &self.device.catalog.username;
        let host = self.device.hostname();
        if self.edit.is_some() { format!("{user}@{host}# ") } else { format!("{user}@{host}> ") }
    }

    /// The candidate: the committed configuration with this session's changes.
    fn candidate(&self) -> Statements {
        let mut candidate = self.device.state().committed.clone();
        for change in self.edit.iter().flat_map(|e| &e.changes) {
            match change {
                Change::Set(path) => candidate.set(path.clone()),
                Change::Delete(path) => {
                    candidate.delete(path);
                }
                Change::Load(all) => candidate = all.clone(),
            }
        }
        candidate
    }

    /// `'x' is ambiguous.` with the keywords it could be.
    fn ambiguous(column: usize, typed: &str, candidates: &[&str]) -> Reply {
        let mut text = format!("{}\n'{typed}' is ambiguous.\nPossible completions:", caret(column));
        for c in candidates {
            text.push_str(&format!("\n  {c}"));
        }
        Reply::text(text)
    }

    /// An operational-mode command (also `run ...` in configuration mode).
    fn op(&mut self, line: &str, all: &[Word<'_>], prompt_len: usize) -> Reply {
        let end = past_end(line, prompt_len);
        let tree = &self.device.catalog.tree;
        let refuse = |error| match error {
            PipedError::NoCommand => marked(prompt_len + all[0].column, UNKNOWN),
            PipedError::Command(ParseError::Empty) => Reply::empty(),
            PipedError::Command(ParseError::Invalid { index: 0, column }) => {
                marked(prompt_len + column, UNKNOWN)
            }
            PipedError::Command(ParseError::Invalid { column, .. }) => marked(prompt_len + column, SYNTAX),
            PipedError::Command(ParseError::Incomplete) => marked(end, SYNTAX),
            PipedError::Command(ParseError::Ambiguous) => {
                let command = split_pipe(all).0;
                match tree.ambiguity(command) {
                    Some((i, candidates)) => {
                        JunosShell::ambiguous(prompt_len + command[i].column, command[i].text, &candidates)
                    }
                    None => marked(end, SYNTAX),
                }
            }
            PipedError::Pipe(e) => pipe_error(e, prompt_len, end),
        };
        let output = |action: &Op, args: &[&str]| self.device.output(action, args);
        let parsed = match resolve(tree, &PIPES, all, output, refuse) {
            Ok(parsed) => parsed,
            Err(reply) => return reply,
        };
        let args = parsed.arg_texts();
        match parsed.action {
            Op::ScreenLength => {
                self.length = parsed.number();
                Reply::text(format!("Screen length set to {}", self.length))
            }
            Op::ScreenWidth => {
                self.width = parsed.number();
                Reply::text(format!("Screen width set to {}", self.width))
            }
            Op::CompleteOnSpace => match (parsed.args.as_slice(), keyword(args[0], &["off", "on"])) {
                ([_], Some(setting)) => {
                    self.complete_on_space = setting == "on";
                    Reply::text(if self.complete_on_space {
                        "Enabling complete-on-space"
                    } else {
                        "Disabling complete-on-space"
                    })
                }
                ([bad], None) | ([_, bad, ..], _) => marked(prompt_len + bad.column, SYNTAX),
                _ => marked(end, SYNTAX),
            },
            Op::Configure => {
                let kind = parsed.args.first().map(|w| (w, keyword(w.text, &["exclusive", "private"])));
                match (kind, parsed.args.get(1)) {
                    (Some((bad, None)), _) | (_, Some(bad)) => marked(prompt_len + bad.column, SYNTAX),
                    (kind, None) => {
                        self.edit = Some(Edit { changes: Vec::new(), path: Vec::new(), asking: false });
                        Reply::text(match kind {
                            Some((_, Some("private"))) => {
                                format!("warning: uncommitted changes will be discarded on exit\n{ENTERING}")
                            }
                            _ => ENTERING.to_string(),
                        })
                    }
                }
            }
            Op::Exit => Reply::close(""),
            Op::Canned(_) | Op::ShowConfiguration => Reply::empty(),
        }
    }

    /// Leaves configuration mode; with uncommitted changes `exit` asks first, while `force`
    /// (`exit configuration-mode`) warns and discards them.
    fn leave(&mut self, force: bool) -> Reply {
        let changed = self.candidate() != self.device.state().committed;
        if changed && !force {
            if let Some(edit) = self.edit.as_mut() {
                edit.asking = true;
            }
            return Reply::text(NOT_COMMITTED);
        }
        self.edit = None;
        Reply::text(if changed { format!("{NOT_COMMITTED}\n{EXITING}") } else { EXITING.to_string() })
    }

    /// The answer to [`EXIT_QUESTION`].
    fn answer(&mut self, line: &str) -> Reply {
        let answer = line.trim().to_ascii_lowercase();
        if answer.is_empty() || "yes".starts_with(&answer) {
            self.edit = None;
            return Reply::text(EXITING);
        }
        if !"no".starts_with(&answer)
            && let Some(edit) = self.edit.as_mut()
        {
            edit.asking = true;
        }
        Reply::empty()
    }

    /// The absolute path of `words` typed at the current level, with a top-level statement
    /// spelled out. `Err` is the reply for a bad statement.
    fn statement_path(&self, words: &[Word<'_>], prompt_len: usize) -> Result<Vec<String>, Reply> {
        let mut path = self.edit.as_ref().map(|e| e.path.clone()).unwrap_or_default();
        for (i, word) in words.iter().enumerate() {
            if i == 0 && path.is_empty() {
                match top_statement(word.text) {
                    Match::One(statement) => path.push(statement.to_string()),
                    Match::Ambiguous => {
                        let typed = word.text.to_ascii_lowercase();
                        let candidates: Vec<&str> =
                            TOP_STATEMENTS.iter().copied().filter(|s| s.starts_with(&typed)).collect();
                        return Err(JunosShell::ambiguous(prompt_len + word.column, word.text, &candidates));
                    }
                    Match::None => return Err(marked(prompt_len + word.column, BAD_STATEMENT)),
                }
            } else {
                path.push(word.text.to_string());
            }
        }
        Ok(path)
    }

    /// `commit ...`; `rest` are the words after `commit`.
    fn commit(&mut self, rest: &[Word<'_>], prompt_len: usize, end: usize) -> Reply {
        let option =
            rest.first().map(|w| (w, keyword(w.text, &["and-quit", "check", "comment", "confirmed"])));
        let confirmed = match option {
            None => None,
            Some((_, Some("check"))) if rest.len() == 1 => return Reply::text(CHECK_SUCCEEDS),
            Some((_, Some("and-quit"))) if rest.len() == 1 => None,
            Some((_, Some("comment"))) if rest.len() == 2 => None,
            Some((_, Some("comment"))) if rest.len() == 1 => return marked(end, SYNTAX),
            Some((_, Some("confirmed"))) if rest.len() == 1 => Some(10),
            Some((_, Some("confirmed"))) if rest.len() == 2 => match rest[1].text.parse::<u64>() {
                Ok(minutes @ 1..=65535) => Some(minutes),
                _ => return marked(prompt_len + rest[1].column, SYNTAX),
            },
            Some((word, None)) => return marked(prompt_len + word.column, SYNTAX),
            Some(_) => return marked(prompt_len + rest.last().map_or(0, |w| w.column), SYNTAX),
        };
        let candidate = self.candidate();
        let mut state = self.device.state();
        let before = state.committed.clone();
        state.commit(candidate);
        state.confirm = confirmed.map(|minutes| (Instant::now() + Duration::from_secs(minutes * 60), before));
        drop(state);
        if let Some(edit) = self.edit.as_mut() {
            edit.changes.clear();
        }
        let mut text = COMMIT_COMPLETE.to_string();
        if let Some(minutes) = confirmed {
            text = format!(
                "commit confirmed will be automatically rolled back in {minutes} minutes unless confirmed\n{text}"
            );
        }
        if option.is_some_and(|(_, k)| k == Some("and-quit")) {
            self.edit = None;
            text = format!("{text}\n{EXITING}");
        }
        Reply::text(text)
    }

    /// A configuration-mode line, split into `all`.
    fn config(&mut self, line: &str, all: &[Word<'_>], prompt_len: usize) -> Reply {
        let end = past_end(line, prompt_len);
        let Some(first) = all.first() else {
            return Reply::empty();
        };
        let command = match match_keyword(first.text, CONFIG_COMMANDS.iter().copied()) {
            Match::One(c) => c,
            Match::Ambiguous => {
                let typed = first.text.to_ascii_lowercase();
                let candidates: Vec<&str> =
                    CONFIG_COMMANDS.iter().copied().filter(|c| c.starts_with(&typed)).collect();
                return JunosShell::ambiguous(prompt_len + first.column, first.text, &candidates);
            }
            Match::None => return marked(prompt_len + first.column, UNKNOWN),
        };
        let rest = &all[1..];
        let at_top = self.edit.as_ref().is_none_or(|e| e.path.is_empty());
        match command {
            "set" | "delete" | "edit" => {
                if rest.is_empty() || (command == "set" && at_top && rest.len() < 2) {
                    return marked(end, EXPECTING_STATEMENT);
                }
                let path = match self.statement_path(rest, prompt_len) {
                    Ok(path) => path,
                    Err(reply) => return reply,
                };
                if command == "delete" && !self.candidate().clone().delete(&path) {
                    return Reply::text(NOT_FOUND);
                }
                if let Some(edit) = self.edit.as_mut() {
                    match command {
                        "set" => edit.changes.push(Change::Set(path)),
                        "delete" => edit.changes.push(Change::Delete(path)),
                        _ => edit.path = path,
                    }
                }
                Reply::empty()
            }
            "top" => {
                let Some(edit) = self.edit.as_mut() else { return Reply::empty() };
                if rest.is_empty() {
                    edit.path.clear();
                    return Reply::empty();
                }
                let saved = std::mem::take(&mut edit.path);
                let reply = self.config(line, rest, prompt_len);
                if let Some(edit) = self.edit.as_mut() {
                    edit.path = saved;
                }
                reply
            }
            "up" => {
                let levels = match rest {
                    [] => 1,
                    [n] => match n.text.parse::<usize>() {
                        Ok(n) => n,
                        Err(_) => return marked(prompt_len + n.column, SYNTAX),
                    },
                    [_, extra, ..] => return marked(prompt_len + extra.column, SYNTAX),
                };
                if let Some(edit) = self.edit.as_mut() {
                    for _ in 0..levels {
                        let keep = edit.path.len() - level_len(&edit.path);
                        edit.path.truncate(keep);
                    }
                }
                Reply::empty()
            }
            "exit" | "quit" => match rest {
                [] if !at_top => {
                    if let Some(edit) = self.edit.as_mut() {
                        let keep = edit.path.len() - level_len(&edit.path);
                        edit.path.truncate(keep);
                    }
                    Reply::empty()
                }
                [] => self.leave(false),
                [mode] if keyword(mode.text, &["configuration-mode"]).is_some() => self.leave(true),
                [bad, ..] => marked(prompt_len + bad.column, SYNTAX),
            },
            "commit" => self.commit(rest, prompt_len, end),
            "rollback" => {
                let n = match rest {
                    [] => 0,
                    [n] => match n.text.parse::<usize>() {
                        Ok(n) => n,
                        Err(_) => return marked(prompt_len + n.column, SYNTAX),
                    },
                    [_, extra, ..] => return marked(prompt_len + extra.column, SYNTAX),
                };
                let Some(config) = self.device.state().history.get(n).cloned() else {
                    return Reply::text(format!("error: rollback {n} does not exist"));
                };
                if let Some(edit) = self.edit.as_mut() {
                    edit.changes.push(Change::Load(config));
                }
                Reply::text("load complete")
            }
            "run" => {
                if rest.is_empty() {
                    return marked(end, SYNTAX);
                }
                self.op(line, rest, prompt_len)
            }
            _ => {
                // show [PATH] [| ...]: the candidate under the current level
                let (path_words, pipe) = split_pipe(rest);
                let path = match self.statement_path(path_words, prompt_len) {
                    Ok(path) => path,
                    Err(reply) => return reply,
                };
                let pipeline = match Pipeline::parse(pipe, &PIPES) {
                    Ok(p) => p,
                    Err(e) => return pipe_error(e, prompt_len, end),
                };
                pipeline.reply(&self.candidate().set_lines(&path), &PIPES)
            }
        }
    }
}

impl Shell for JunosShell {
    fn greeting(&self) -> String {
        "Last login: Mon Mar  2 09:14:27 2020 from 127.0.0.1\n--- JUNOS 20.4R3.8 Kernel 64-bit  JNPR-12.1-20210901.8fb9c6f_buil"
            .into()
    }

    fn prompt(&self) -> String {
        match &self.edit {
            None => self.prompt_line(),
            Some(Edit { asking: true, .. }) => EXIT_QUESTION.into(),
            Some(Edit { path, .. }) => {
                let level = if path.is_empty() { String::new() } else { format!(" {}", path.join(" ")) };
                format!("\r\n[edit{level}]\r\n{}", self.prompt_line())
            }
        }
    }

    fn execute(&mut self, line: &str) -> Reply {
        if let Some(edit) = self.edit.as_mut()
            && std::mem::take(&mut edit.asking)
        {
            return self.answer(line);
        }
        let prompt_len = self.prompt_line().chars().count();
        if self.edit.is_some() {
            self.config(line, &quoted_words(line), prompt_len)
        } else {
            self.op(line, &words(line), prompt_len)
        }
    }

    fn page_length(&self) -> usize {
        self.length
    }

    fn more_prompt(&self) -> &'static str {
        "---(more)---"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SimConfig;
    use crate::platform::juniper_junos::{JunosCatalog, JunosState};
    use crate::platform::testing::{err, run, shell};
    use crate::platform::{DeviceModel, Platform};

    const OP: &str = "admin@junos1> ";
    const EDIT: &str = "\r\n[edit]\r\nadmin@junos1# ";

    #[test]
    fn operational_mode_cli_settings_and_errors() {
        let (device, mut s) = shell(Platform::JuniperJunos);
        assert_eq!(s.prompt(), OP);
        assert_eq!(s.page_length(), 24);
        assert_eq!(s.more_prompt(), "---(more)---");
        assert_eq!(run(&mut s, "set cli screen-length 0"), "Screen length set to 0");
        assert_eq!(s.page_length(), 0);
        assert_eq!(run(&mut s, "set cli screen-width 511"), "Screen width set to 511");
        assert_eq!(run(&mut s, "set cli complete-on-space off"), "Disabling complete-on-space");
        assert_eq!(run(&mut s, "set cli complete-on-space maybe"), err(OP.len() + 26, SYNTAX));
        assert_eq!(run(&mut s, "show versoin"), err(OP.len() + 5, SYNTAX));
        assert_eq!(run(&mut s, "foo"), err(OP.len(), UNKNOWN));
        assert_eq!(run(&mut s, "show"), err(OP.len() + 5, SYNTAX));
        assert_eq!(
            run(&mut s, "show c"),
            format!(
                "{}^\n'c' is ambiguous.\nPossible completions:\n  chassis\n  configuration",
                " ".repeat(OP.len() + 5)
            )
        );
        assert_eq!(run(&mut s, "sh ver"), device.canned_output("show version").unwrap());
        assert_eq!(run(&mut s, "show configuration"), device.running_config());
        assert!(s.execute("show configuration | no-more").no_more);
        assert!(s.execute("quit").close);
    }

    #[test]
    fn set_waits_for_commit() {
        let (device, mut s) = shell(Platform::JuniperJunos);
        assert_eq!(run(&mut s, "configure"), ENTERING);
        assert_eq!(s.prompt(), EDIT);
        assert_eq!(run(&mut s, "set system host-name core1"), "");
        assert_eq!(run(&mut s, "set interfaces ge-0/0/1 description \"to core\""), "");
        assert_eq!(run(&mut s, "set interfaces"), err(14 + 15, EXPECTING_STATEMENT));
        assert_eq!(run(&mut s, "set bogus thing"), err(14 + 4, BAD_STATEMENT));
        assert_eq!(run(&mut s, "set system"), err(14 + 11, EXPECTING_STATEMENT));
        assert_eq!(run(&mut s, "frobnicate"), err(14, UNKNOWN));
        assert_eq!(run(&mut s, "delete snmp"), NOT_FOUND);
        // not committed yet
        assert!(!device.running_config().contains("core1"));
        assert_eq!(run(&mut s, "show system host-name"), "set system host-name core1");
        assert_eq!(run(&mut s, "run show configuration system host-name"), "set system host-name junos1");
        assert_eq!(run(&mut s, "commit check"), CHECK_SUCCEEDS);
        assert!(!device.running_config().contains("core1"));
        assert_eq!(run(&mut s, "commit"), COMMIT_COMPLETE);
        assert_eq!(s.prompt(), "\r\n[edit]\r\nadmin@core1# ");
        let config = device.running_config();
        assert!(config.contains("\nset system host-name core1\n"), "{config}");
        assert!(config.contains("\nset interfaces ge-0/0/1 description \"to core\""), "{config}");
        assert_eq!(run(&mut s, "exit"), EXITING);
        assert_eq!(s.prompt(), "admin@core1> ");
    }

    #[test]
    fn edit_levels() {
        let (device, mut s) = shell(Platform::JuniperJunos);
        run(&mut s, "configure");
        assert_eq!(run(&mut s, "edit interfaces ge-0/0/2 unit 0"), "");
        assert_eq!(s.prompt(), "\r\n[edit interfaces ge-0/0/2 unit 0]\r\nadmin@junos1# ");
        assert_eq!(run(&mut s, "set family inet address 10.2.2.2/24"), "");
        assert_eq!(run(&mut s, "up"), "");
        assert_eq!(s.prompt(), "\r\n[edit interfaces ge-0/0/2]\r\nadmin@junos1# ");
        assert_eq!(run(&mut s, "set description lab"), "");
        assert_eq!(
            run(&mut s, "show"),
            "set interfaces ge-0/0/2 unit 0 family inet address 10.2.2.2/24\nset interfaces ge-0/0/2 description lab"
        );
        assert_eq!(run(&mut s, "top set system domain-name example.net"), "");
        assert_eq!(s.prompt(), "\r\n[edit interfaces ge-0/0/2]\r\nadmin@junos1# ");
        assert_eq!(run(&mut s, "top"), "");
        assert_eq!(s.prompt(), EDIT);
        assert_eq!(run(&mut s, "delete interfaces ge-0/0/2 description"), "");
        assert_eq!(run(&mut s, "commit and-quit"), format!("{COMMIT_COMPLETE}\n{EXITING}"));
        assert_eq!(s.prompt(), OP);
        let config = device.running_config();
        assert!(
            config.contains("\nset interfaces ge-0/0/2 unit 0 family inet address 10.2.2.2/24"),
            "{config}"
        );
        assert!(config.contains("\nset system domain-name example.net"), "{config}");
        assert!(!config.contains("description lab"), "{config}");
    }

    #[test]
    fn leaving_with_uncommitted_changes() {
        let (device, mut s) = shell(Platform::JuniperJunos);
        let before = device.running_config();
        run(&mut s, "configure");
        run(&mut s, "set system domain-name a.example");
        assert_eq!(run(&mut s, "exit"), NOT_COMMITTED);
        assert_eq!(s.prompt(), EXIT_QUESTION);
        assert_eq!(run(&mut s, "no"), "");
        assert_eq!(s.prompt(), EDIT);
        assert_eq!(run(&mut s, "exit"), NOT_COMMITTED);
        assert_eq!(run(&mut s, "yes"), EXITING);
        assert_eq!(s.prompt(), OP);
        assert_eq!(device.running_config(), before);

        run(&mut s, "configure");
        // the previous session's changes are gone
        assert_eq!(run(&mut s, "show system domain-name"), "");
        run(&mut s, "set system domain-name b.example");
        assert_eq!(run(&mut s, "exit configuration-mode"), format!("{NOT_COMMITTED}\n{EXITING}"));
        assert_eq!(s.prompt(), OP);
        assert_eq!(device.running_config(), before);
    }

    #[test]
    fn rollback_and_commit_confirmed() {
        let catalog = Arc::new(JunosCatalog::load(&SimConfig::default()).unwrap());
        let committed = super::super::config::initial("junos1", "admin");
        let device = Arc::new(JunosDevice::new(catalog, JunosState::new("junos1", committed)));
        let mut s: Box<dyn Shell> = Box::new(JunosShell::new(device.clone()));
        let before = device.running_config();
        run(&mut s, "configure");
        run(&mut s, "set system domain-name a.example");
        assert_eq!(run(&mut s, "rollback"), "load complete");
        assert_eq!(run(&mut s, "show system domain-name"), "");
        run(&mut s, "set system domain-name b.example");
        assert_eq!(
            run(&mut s, "commit confirmed 5"),
            format!(
                "commit confirmed will be automatically rolled back in 5 minutes unless confirmed\n{COMMIT_COMPLETE}"
            )
        );
        assert!(device.running_config().contains("b.example"));
        device.state().confirm.as_mut().unwrap().0 = Instant::now();
        assert_eq!(device.running_config(), before);
        // history: 0 = the rolled-back configuration, 1 = the confirmed commit, 2 = the first
        assert_eq!(run(&mut s, "rollback 1"), "load complete");
        assert!(run(&mut s, "show system domain-name").contains("b.example"));
        assert_eq!(run(&mut s, "rollback 9"), "error: rollback 9 does not exist");
    }
}
