//! One EOS CLI session: user (`>`) and privileged (`#`) modes, `enable` with the secret (no
//! question when the secret is empty), configuration mode with its named sub-modes, terminal
//! settings and EOS's error messages (no `^` marker lines).

use std::sync::Arc;

use super::config::DIALECT;
use super::{EosDevice, PIPES};
use crate::parser::{ParseError, Word, words};
use crate::platform::blocks::{ConfigError, Configured, Cursor, configure};
use crate::platform::exec::{Exec, Screen, run_exec};
use crate::platform::filter::{PipedError, split_pipe};
use crate::platform::{Reply, Shell};

const INVALID: &str = "% Invalid input";
const PRIVILEGED_REQUIRED: &str = "% Invalid input (privileged mode required)";
const INCOMPLETE: &str = "% Incomplete command";
const AMBIGUOUS: &str = "% Ambiguous command";
const ACCESS_DENIED: &str = "% Access denied";
const COPY_DONE: &str = "Copy completed successfully.";

pub(super) struct EosShell {
    device: Arc<EosDevice>,
    /// At `#` (`enable` done), not `>`.
    privileged: bool,
    /// The position in configuration mode, `None` outside it.
    config: Option<Cursor>,
    /// `enable` asked for the secret.
    secret_pending: bool,
    screen: Screen,
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
        EosShell { device, privileged: false, config: None, secret_pending: false, screen: Screen::default() }
    }

    /// An exec command (also `do ...` and `show ...` in configuration mode).
    fn exec(&mut self, all: &[Word<'_>]) -> Reply {
        let privileged = self.privileged;
        let catalog = &self.device.catalog;
        let refuse = |error| match error {
            PipedError::NoCommand => Reply::text(INVALID),
            // a command privileged mode has
            PipedError::Command(_)
                if !privileged && catalog.modes.tree(true).parse_words(split_pipe(all).0).is_ok() =>
            {
                Reply::text(PRIVILEGED_REQUIRED)
            }
            PipedError::Command(e) | PipedError::Pipe(e) => parse_error(e),
        };
        let output = |action: &Exec, _: &[&str]| self.device.output(action, privileged);
        let action =
            match run_exec(catalog.modes.tree(privileged), &PIPES, all, &mut self.screen, output, refuse) {
                Ok(action) => action,
                Err(reply) => return reply,
            };
        match action {
            Exec::Enable if !privileged => {
                if self.device.catalog.secret.is_empty() {
                    self.privileged = true;
                } else {
                    self.secret_pending = true;
                }
            }
            Exec::Disable => (self.privileged, self.config) = (false, None),
            Exec::Configure => self.config = Some(Cursor::default()),
            Exec::WriteMemory => {
                self.device.state().save();
                return Reply::text(COPY_DONE);
            }
            _ => {}
        }
        Reply::empty()
    }

    /// A configuration-mode line.
    fn config(&mut self, all: &[Word<'_>]) -> Reply {
        match configure(&DIALECT, &mut self.config, all, |change| self.device.apply(&change)) {
            Configured::Done => Reply::empty(),
            Configured::Refused(ConfigError::Invalid { .. }) => Reply::text(INVALID),
            Configured::Refused(ConfigError::Ambiguous { .. }) => Reply::text(AMBIGUOUS),
            Configured::Refused(ConfigError::Incomplete) => Reply::text(INCOMPLETE),
            Configured::Control("do") if all.len() < 2 => Reply::text(INCOMPLETE),
            Configured::Control("do") => self.exec(&all[1..]),
            Configured::Control(_) => self.exec(all),
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
        match &self.config {
            None if self.privileged => format!("{host}#"),
            None => format!("{host}>"),
            Some(Cursor { sub: None }) => format!("{host}(config)#"),
            Some(Cursor { sub: Some((mode, line)) }) => format!("{host}({})#", DIALECT.tag(*mode, line)),
        }
    }

    fn execute(&mut self, line: &str) -> Reply {
        if std::mem::take(&mut self.secret_pending) {
            if line == self.device.catalog.secret {
                self.privileged = true;
                return Reply::empty();
            }
            return Reply::text(ACCESS_DENIED);
        }
        let all = words(line);
        if self.config.is_some() { self.config(&all) } else { self.exec(&all) }
    }

    fn ctrl_z(&mut self) -> Reply {
        self.secret_pending = false;
        self.config = None;
        Reply::empty()
    }

    fn echo(&self) -> bool {
        !self.secret_pending
    }

    fn page_length(&self) -> usize {
        self.screen.length
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SimConfig;
    use crate::platform::testing::{run, shell_with};
    use crate::platform::{DeviceModel, Platform};

    fn eos_with(secret: &str) -> (Arc<dyn DeviceModel>, Box<dyn Shell>) {
        shell_with(Platform::AristaEos, &SimConfig { secret: secret.into(), ..SimConfig::default() })
    }

    #[test]
    fn enable_with_secret_or_without() {
        let (_, mut s) = eos_with("enable");
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

        let (_, mut s) = eos_with("");
        assert_eq!(run(&mut s, "enable"), "");
        assert_eq!(s.prompt(), "eos1#");
    }

    #[test]
    fn errors_paging_and_terminal() {
        let (device, mut s) = eos_with("");
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
        let (device, mut s) = eos_with("");
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
