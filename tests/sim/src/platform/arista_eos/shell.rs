//! One EOS CLI session: user (`>`) and privileged (`#`) modes, `enable` with the secret (no
//! question when the secret is empty), configuration mode with its named sub-modes, terminal
//! settings and EOS's error messages (no `^` marker lines).

use std::sync::Arc;

use super::config::DIALECT;
use super::{EosDevice, Exec, PIPES};
use crate::parser::{ParseError, Word, words};
use crate::platform::blocks::{ConfigError, ConfigLine, Cursor, interpret};
use crate::platform::filter::{Pipeline, split_pipe};
use crate::platform::{Reply, Shell};

const INVALID: &str = "% Invalid input";
const PRIVILEGED_REQUIRED: &str = "% Invalid input (privileged mode required)";
const INCOMPLETE: &str = "% Incomplete command";
const AMBIGUOUS: &str = "% Ambiguous command";
const ACCESS_DENIED: &str = "% Access denied";
const COPY_DONE: &str = "Copy completed successfully.";

#[derive(Debug, Clone, PartialEq, Eq)]
enum Mode {
    User,
    Privileged,
    Config(Cursor),
}

pub(super) struct EosShell {
    device: Arc<EosDevice>,
    mode: Mode,
    /// `enable` asked for the secret.
    secret_pending: bool,
    length: usize,
    width: usize,
}

fn parse_error(error: ParseError) -> Reply {
    Reply::text(match error {
        ParseError::Empty => return Reply::empty(),
        ParseError::Invalid { .. } => INVALID,
        ParseError::Incomplete => INCOMPLETE,
        ParseError::Ambiguous => AMBIGUOUS,
    })
}

impl EosShell {
    pub fn new(device: Arc<EosDevice>) -> EosShell {
        EosShell { device, mode: Mode::User, secret_pending: false, length: 24, width: 80 }
    }

    fn privileged(&self) -> bool {
        self.mode != Mode::User
    }

    /// An exec command (also `do ...` and `show ...` in configuration mode).
    fn exec(&mut self, all: &[Word<'_>]) -> Reply {
        let privileged = self.privileged();
        let catalog = &self.device.catalog;
        let (command, pipe) = split_pipe(all);
        let parsed = match catalog.tree(privileged).parse_words(command) {
            Ok(parsed) => parsed,
            Err(ParseError::Empty) if pipe.is_some() => return Reply::text(INVALID),
            // a command privileged mode has
            Err(_) if !privileged && catalog.tree(true).parse_words(command).is_ok() => {
                return Reply::text(PRIVILEGED_REQUIRED);
            }
            Err(e) => return parse_error(e),
        };
        let pipeline = match Pipeline::parse(pipe, &PIPES) {
            Ok(p) => p,
            Err(e) => return parse_error(e),
        };
        let action = parsed.action.clone();
        if let Some(text) = self.device.output(&action, privileged) {
            return Reply { no_more: pipeline.no_more, ..Reply::text(pipeline.apply(&text, &PIPES)) };
        }
        let number = || parsed.args.first().and_then(|w| w.text.parse::<usize>().ok()).unwrap_or_default();
        match action {
            Exec::Enable if !privileged => {
                if self.device.catalog.secret.is_empty() {
                    self.mode = Mode::Privileged;
                } else {
                    self.secret_pending = true;
                }
            }
            Exec::Disable => self.mode = Mode::User,
            Exec::Exit => return Reply::close(""),
            Exec::TerminalLength => self.length = number(),
            Exec::TerminalWidth => self.width = number(),
            Exec::Configure => self.mode = Mode::Config(Cursor::default()),
            Exec::WriteMemory => {
                let mut state = self.device.state();
                state.startup = state.running.clone();
                return Reply::text(COPY_DONE);
            }
            _ => {}
        }
        Reply::empty()
    }

    /// A configuration-mode line.
    fn config(&mut self, all: &[Word<'_>]) -> Reply {
        let Mode::Config(cursor) = &mut self.mode else {
            return Reply::empty();
        };
        match interpret(&DIALECT, cursor.mode(), all) {
            ConfigLine::Empty => Reply::empty(),
            ConfigLine::Error(ConfigError::Invalid { .. }) => Reply::text(INVALID),
            ConfigLine::Error(ConfigError::Ambiguous { .. }) => Reply::text(AMBIGUOUS),
            ConfigLine::Error(ConfigError::Incomplete) => Reply::text(INCOMPLETE),
            ConfigLine::Control("end") => {
                self.mode = Mode::Privileged;
                Reply::empty()
            }
            ConfigLine::Control("exit") => {
                if cursor.sub.take().is_none() {
                    self.mode = Mode::Privileged;
                }
                Reply::empty()
            }
            ConfigLine::Control("do") => {
                if all.len() < 2 {
                    return Reply::text(INCOMPLETE);
                }
                self.exec(&all[1..])
            }
            ConfigLine::Control(_) => self.exec(all),
            ConfigLine::Statement(statement) => {
                let change = cursor.step(&statement);
                self.device.state().running.apply(&change);
                Reply::empty()
            }
        }
    }
}

impl Shell for EosShell {
    fn greeting(&self) -> String {
        format!(
            "Last login: Mon Mar  2 09:14:27 2020 from 127.0.0.1\n{} - NetPulse simulated Arista EOS device\n",
            self.device.hostname()
        )
    }

    fn prompt(&self) -> String {
        if self.secret_pending {
            return "Password: ".into();
        }
        let host = self.device.hostname();
        match &self.mode {
            Mode::User => format!("{host}>"),
            Mode::Privileged => format!("{host}#"),
            Mode::Config(Cursor { sub: None }) => format!("{host}(config)#"),
            Mode::Config(Cursor { sub: Some((mode, line)) }) => {
                format!("{host}({})#", DIALECT.tag(*mode, line))
            }
        }
    }

    fn execute(&mut self, line: &str) -> Reply {
        if std::mem::take(&mut self.secret_pending) {
            if line == self.device.catalog.secret {
                self.mode = Mode::Privileged;
                return Reply::empty();
            }
            return Reply::text(ACCESS_DENIED);
        }
        let all = words(line);
        match self.mode {
            Mode::Config(_) => self.config(&all),
            _ => self.exec(&all),
        }
    }

    fn ctrl_z(&mut self) -> Reply {
        self.secret_pending = false;
        if matches!(self.mode, Mode::Config(_)) {
            self.mode = Mode::Privileged;
        }
        Reply::empty()
    }

    fn echo(&self) -> bool {
        !self.secret_pending
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
    use crate::platform::arista_eos::EosCatalog;
    use crate::platform::{Catalog, DeviceModel};

    fn shell_with(secret: &str) -> (Arc<dyn DeviceModel>, Box<dyn Shell>) {
        let cfg = SimConfig { secret: secret.into(), ..SimConfig::default() };
        let catalog = Arc::new(EosCatalog::load(&cfg).unwrap());
        let device = catalog.new_device(0, "eos1");
        let shell = device.clone().new_shell();
        (device, shell)
    }

    fn run(shell: &mut Box<dyn Shell>, line: &str) -> String {
        shell.execute(line).text
    }

    #[test]
    fn enable_with_secret_or_without() {
        let (_, mut s) = shell_with("enable");
        assert_eq!(s.prompt(), "eos1>");
        assert_eq!(run(&mut s, "show running-config"), PRIVILEGED_REQUIRED);
        assert_eq!(run(&mut s, "conf t"), PRIVILEGED_REQUIRED);
        assert_eq!(run(&mut s, "en"), "");
        assert_eq!(s.prompt(), "Password: ");
        assert!(!s.echo());
        assert_eq!(run(&mut s, "wrong"), ACCESS_DENIED);
        assert_eq!(s.prompt(), "eos1>");
        run(&mut s, "enable");
        assert_eq!(run(&mut s, "enable"), "");
        assert_eq!(s.prompt(), "eos1#");
        assert_eq!(run(&mut s, "disable"), "");
        assert_eq!(s.prompt(), "eos1>");

        let (_, mut s) = shell_with("");
        assert_eq!(run(&mut s, "enable"), "");
        assert_eq!(s.prompt(), "eos1#");
    }

    #[test]
    fn errors_paging_and_terminal() {
        let (device, mut s) = shell_with("");
        assert_eq!(run(&mut s, "show versoin"), INVALID);
        assert_eq!(run(&mut s, "show"), INCOMPLETE);
        assert_eq!(run(&mut s, "sh i"), AMBIGUOUS);
        assert_eq!(run(&mut s, "foo"), INVALID);
        assert_eq!(s.page_length(), 24);
        assert_eq!(run(&mut s, "terminal length 0"), "");
        assert_eq!(run(&mut s, "terminal width 32767"), "");
        assert_eq!(s.page_length(), 0);
        assert_eq!(run(&mut s, "show version"), device.canned_output("show version").unwrap());
        assert!(s.execute("show interfaces | no-more").no_more);
        assert!(s.execute("exit").close);
    }

    #[test]
    fn config_mode_edits_running_config() {
        let (device, mut s) = shell_with("");
        run(&mut s, "enable");
        assert_eq!(run(&mut s, "configure terminal"), "");
        assert_eq!(s.prompt(), "eos1(config)#");
        assert_eq!(run(&mut s, "interface Ethernet2"), "");
        assert_eq!(s.prompt(), "eos1(config-if-Et2)#");
        assert_eq!(run(&mut s, "description to spine"), "");
        assert_eq!(run(&mut s, "bogus"), INVALID);
        assert_eq!(run(&mut s, "router bgp 65001"), "");
        assert_eq!(s.prompt(), "eos1(config-router-bgp)#");
        assert_eq!(run(&mut s, "neighbor 10.0.0.1 remote-as 65000"), "");
        assert_eq!(run(&mut s, "vlan 20"), "");
        assert_eq!(s.prompt(), "eos1(config-vlan-20)#");
        assert_eq!(run(&mut s, "exit"), "");
        assert_eq!(run(&mut s, "hostname leaf1"), "");
        assert_eq!(s.prompt(), "leaf1(config)#");
        assert_eq!(run(&mut s, "interface"), INCOMPLETE);
        assert!(
            run(&mut s, "show running-config")
                .contains("\ninterface Ethernet2\n   description to spine\n!\n")
        );
        assert_eq!(run(&mut s, "end"), "");
        assert_eq!(s.prompt(), "leaf1#");
        let config = device.running_config();
        assert!(config.contains("\nrouter bgp 65001\n   neighbor 10.0.0.1 remote-as 65000\n!\n"), "{config}");
        assert!(config.contains("\nhostname leaf1\n"), "{config}");
        assert_eq!(run(&mut s, "write memory"), COPY_DONE);
        assert_eq!(run(&mut s, "copy running-config startup-config"), COPY_DONE);
        assert!(run(&mut s, "show startup-config").contains("\nhostname leaf1\n"));
    }
}
