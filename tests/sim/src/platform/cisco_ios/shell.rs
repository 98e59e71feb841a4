//! One IOS CLI session: user / privileged / configuration modes, `enable` with its secret,
//! terminal settings, IOS error messages, and configuration commands applied to the device.

use std::sync::Arc;

use super::IosDevice;
use super::config::{BARE_KEYWORDS, GLOBAL_KEYWORDS, SubMode};
use crate::parser::{Match, ParseError, Word, match_keyword, words};
use crate::platform::exec::{Exec, Screen};
use crate::platform::filter::{Filter, split_pipe};
use crate::platform::{Reply, Shell};

const INVALID: &str = "% Invalid input detected at '^' marker.";
const INCOMPLETE: &str = "% Incomplete command.\n";
const UNKNOWN: &str = "% Unknown command or computer name, or unable to find computer address";
const BAD_SECRET: &str = "% Bad secrets\n";
const CONFIG_BANNER: &str = "Enter configuration commands, one per line.  End with CNTL/Z.";

#[derive(Debug, Clone, PartialEq, Eq)]
enum Mode {
    User,
    Privileged,
    Config,
    Sub { kind: SubMode, parent: String },
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Pending {
    None,
    /// `enable` asked for the secret.
    Secret,
    /// A multi-line `banner` being typed, ended by `delimiter`.
    Banner {
        delimiter: char,
        text: String,
    },
}

pub(super) struct IosShell {
    device: Arc<IosDevice>,
    mode: Mode,
    pending: Pending,
    screen: Screen,
}

impl IosShell {
    pub fn new(device: Arc<IosDevice>) -> IosShell {
        IosShell { device, mode: Mode::User, pending: Pending::None, screen: Screen::default() }
    }

    fn privileged(&self) -> bool {
        self.mode != Mode::User
    }

    /// The two-line invalid-input message with the caret under `column` of the typed line.
    fn invalid(&self, prompt_len: usize, column: usize) -> Reply {
        Reply::text(format!("{}^\n{INVALID}\n", " ".repeat(prompt_len + column)))
    }

    fn parse_error(&self, error: ParseError, line: &str, prompt_len: usize) -> Reply {
        match error {
            ParseError::Empty => Reply::empty(),
            ParseError::Invalid { column, .. } => self.invalid(prompt_len, column),
            ParseError::Ambiguous => ambiguous(line),
            ParseError::Incomplete => Reply::text(INCOMPLETE),
        }
    }

    /// An exec command (also `do ...` in configuration mode); `all` are the line's words.
    fn exec(&mut self, line: &str, all: &[Word<'_>], prompt_len: usize) -> Reply {
        let privileged = self.privileged();
        let catalog = &self.device.catalog;
        let (command, filter) = split_pipe(all);
        let parsed = match catalog.modes.tree(privileged).parse_words(command) {
            Ok(parsed) => parsed,
            Err(ParseError::Invalid { index: 0, .. })
                if all.len() == 1 && matches!(self.mode, Mode::User | Mode::Privileged) =>
            {
                return Reply::text(UNKNOWN);
            }
            Err(ParseError::Empty) if filter.is_some() => {
                return self.invalid(prompt_len, all[0].column);
            }
            Err(e) => return self.parse_error(e, line, prompt_len),
        };
        let filter = match filter.map(Filter::parse).transpose() {
            Ok(f) => f,
            Err(e) => return self.parse_error(e, line, prompt_len),
        };
        if let Some(text) = self.device.output(parsed.action, privileged) {
            return Reply::text(match filter {
                Some(f) => f.apply(&text),
                None => text,
            });
        }
        if let Some(reply) = self.screen.run(parsed.action, parsed.number()) {
            return reply;
        }
        match parsed.action {
            Exec::Enable if !privileged => self.pending = Pending::Secret,
            Exec::Disable => self.mode = Mode::User,
            Exec::Configure => {
                self.mode = Mode::Config;
                return Reply::text(CONFIG_BANNER);
            }
            Exec::WriteMemory => {
                self.device.state().save();
                return Reply::text("Building configuration...\n[OK]");
            }
            _ => {}
        }
        Reply::empty()
    }

    /// A configuration-mode line.
    fn config(&mut self, line: &str, all: &[Word<'_>], prompt_len: usize) -> Reply {
        let Some(first) = all.first() else {
            return Reply::empty();
        };
        let sub = match &self.mode {
            Mode::Sub { kind, .. } => Some(*kind),
            _ => None,
        };
        // Inside a sub-mode, a command of the parent (global) mode leaves the sub-mode.
        let keyword = match resolve(first.text, sub) {
            Ok(k) => k,
            Err(Match::Ambiguous) => return ambiguous(line),
            Err(_) => return self.invalid(prompt_len, first.column),
        };
        let (keyword, global) = keyword;
        if global && sub.is_some() && !matches!(keyword, "end" | "exit" | "do" | "no" | "default") {
            self.mode = Mode::Config;
        }
        let rest = &all[1..];
        match keyword {
            "end" => {
                self.mode = Mode::Privileged;
                return Reply::empty();
            }
            "exit" => {
                self.mode = match self.mode {
                    Mode::Sub { .. } => Mode::Config,
                    _ => Mode::Privileged,
                };
                return Reply::empty();
            }
            "do" => {
                if rest.is_empty() {
                    return Reply::text(INCOMPLETE);
                }
                return self.exec(line, rest, prompt_len);
            }
            "no" | "default" => return self.negate(line, rest, prompt_len),
            "banner" => return self.banner(line, rest),
            _ => {}
        }
        if rest.is_empty() && !BARE_KEYWORDS.contains(&keyword) {
            return Reply::text(INCOMPLETE);
        }
        let text = canonical(keyword, rest);
        let mut state = self.device.state();
        if keyword == "hostname" {
            state.running.hostname = rest[0].text.to_string();
        } else if let Some(kind) = SubMode::for_keyword(keyword).filter(|_| self.mode == Mode::Config) {
            state.running.enter_block(&text);
            self.mode = Mode::Sub { kind, parent: text };
        } else if let Mode::Sub { parent, .. } = &self.mode {
            state.running.add_child(parent, text);
        } else {
            state.running.add_global(text);
        }
        Reply::empty()
    }

    /// `no ...` / `default ...`: removes the matching lines.
    fn negate(&mut self, line: &str, rest: &[Word<'_>], prompt_len: usize) -> Reply {
        let Some(first) = rest.first() else {
            return Reply::text(INCOMPLETE);
        };
        let sub = match &self.mode {
            Mode::Sub { kind, .. } => Some(*kind),
            _ => None,
        };
        let (keyword, global) = match resolve(first.text, sub) {
            Ok(k) if !matches!(k.0, "no" | "default" | "do" | "end" | "exit") => k,
            Err(Match::Ambiguous) => return ambiguous(line),
            _ => return self.invalid(prompt_len, first.column),
        };
        if global && sub.is_some() {
            self.mode = Mode::Config;
        }
        let target = canonical(keyword, &rest[1..]);
        let mut state = self.device.state();
        if keyword == "hostname" {
            state.running.hostname = "Router".into();
        } else if let Mode::Sub { parent, .. } = &self.mode {
            state.running.remove_child(parent, &target);
        } else {
            state.running.remove_global(&target);
        }
        Reply::empty()
    }

    /// `banner <type> <d>text<d>`, on one line or over several.
    fn banner(&mut self, line: &str, rest: &[Word<'_>]) -> Reply {
        let (Some(kind), Some(start)) = (rest.first(), rest.get(1)) else {
            return Reply::text(INCOMPLETE);
        };
        let offset = start.text.as_ptr() as usize - line.as_ptr() as usize;
        let body = line[offset..].trim_end();
        let mut chars = body.chars();
        let Some(delimiter) = chars.next() else {
            return Reply::text(INCOMPLETE);
        };
        let head = format!("banner {} {body}", kind.text.to_ascii_lowercase());
        if chars.as_str().contains(delimiter) {
            self.device.state().running.add_global(head);
            return Reply::empty();
        }
        self.pending = Pending::Banner { delimiter, text: head };
        Reply::text(format!("Enter TEXT message.  End with the character '{delimiter}'."))
    }
}

/// Builds the stored form of a configuration line: full keyword + the other words.
fn canonical(keyword: &str, rest: &[Word<'_>]) -> String {
    std::iter::once(keyword).chain(rest.iter().map(|w| w.text)).collect::<Vec<_>>().join(" ")
}

/// Resolves a configuration keyword in the current sub-mode, then in global mode.
/// Returns the keyword and whether it is a global one.
fn resolve(typed: &str, sub: Option<SubMode>) -> Result<(&'static str, bool), Match<'static>> {
    if let Some(kind) = sub {
        match match_keyword(typed, kind.keywords().iter().copied()) {
            Match::One(k) => return Ok((k, false)),
            Match::Ambiguous => return Err(Match::Ambiguous),
            Match::None => {}
        }
    }
    match match_keyword(typed, GLOBAL_KEYWORDS.iter().copied()) {
        Match::One(k) => Ok((k, true)),
        other => Err(other),
    }
}

fn ambiguous(line: &str) -> Reply {
    Reply::text(format!("% Ambiguous command:  \"{}\"", line.trim()))
}

impl Shell for IosShell {
    fn greeting(&self) -> String {
        format!("\n{} - NetPulse simulated Cisco IOS device\n", self.device.hostname())
    }

    fn prompt(&self) -> String {
        match self.pending {
            Pending::Secret => return "Password: ".into(),
            Pending::Banner { .. } => return String::new(),
            Pending::None => {}
        }
        let host = self.device.hostname();
        match &self.mode {
            Mode::User => format!("{host}>"),
            Mode::Privileged => format!("{host}#"),
            Mode::Config => format!("{host}(config)#"),
            Mode::Sub { kind, .. } => format!("{host}({})#", kind.tag()),
        }
    }

    fn execute(&mut self, line: &str) -> Reply {
        match std::mem::replace(&mut self.pending, Pending::None) {
            Pending::Secret => {
                if line == self.device.catalog.secret {
                    self.mode = Mode::Privileged;
                    return Reply::empty();
                }
                return Reply::text(BAD_SECRET);
            }
            Pending::Banner { delimiter, mut text } => {
                text.push('\n');
                text.push_str(line);
                if line.contains(delimiter) {
                    self.device.state().running.add_global(text);
                } else {
                    self.pending = Pending::Banner { delimiter, text };
                }
                return Reply::empty();
            }
            Pending::None => {}
        }
        let prompt_len = self.prompt().chars().count();
        let all = words(line);
        match self.mode {
            Mode::User | Mode::Privileged => self.exec(line, &all, prompt_len),
            Mode::Config | Mode::Sub { .. } => self.config(line, &all, prompt_len),
        }
    }

    fn ctrl_z(&mut self) -> Reply {
        self.pending = Pending::None;
        if matches!(self.mode, Mode::Config | Mode::Sub { .. }) {
            self.mode = Mode::Privileged;
        }
        Reply::empty()
    }

    fn echo(&self) -> bool {
        self.pending != Pending::Secret
    }

    fn page_length(&self) -> usize {
        self.screen.length
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::platform::Platform;
    use crate::platform::testing::{run, shell};

    fn enable(shell: &mut Box<dyn Shell>) {
        assert_eq!(run(shell, "enable"), "");
        assert_eq!(shell.prompt(), "Password: ");
        assert!(!shell.echo());
        assert_eq!(run(shell, "enable"), "");
        assert_eq!(shell.prompt(), "R1#");
    }

    #[test]
    fn enable_with_good_and_bad_secret() {
        let (_, mut s) = shell(Platform::CiscoIos);
        assert_eq!(s.prompt(), "R1>");
        assert!(s.echo());
        run(&mut s, "en");
        assert_eq!(run(&mut s, "wrong"), "% Bad secrets\n");
        assert_eq!(s.prompt(), "R1>");
        enable(&mut s);
        assert_eq!(run(&mut s, "show privilege"), "Current privilege level is 15");
        assert_eq!(run(&mut s, "disable"), "");
        assert_eq!(s.prompt(), "R1>");
    }

    #[test]
    fn error_messages() {
        let (_, mut s) = shell(Platform::CiscoIos);
        assert_eq!(run(&mut s, "show"), "% Incomplete command.\n");
        assert_eq!(run(&mut s, "s"), "% Ambiguous command:  \"s\"");
        assert_eq!(run(&mut s, "foo"), UNKNOWN);
        // caret under the bad word, counting the prompt "R1>"
        assert_eq!(run(&mut s, "show versoin"), "        ^\n% Invalid input detected at '^' marker.\n");
        // privileged commands are unknown in user mode
        assert_eq!(run(&mut s, "conf t"), "   ^\n% Invalid input detected at '^' marker.\n");
        assert_eq!(run(&mut s, ""), "");
        assert!(run(&mut s, "sh ver").contains("R1 uptime is"));
        assert!(run(&mut s, "sh ip int br").starts_with("Interface "));
        assert_eq!(run(&mut s, "show run"), "        ^\n% Invalid input detected at '^' marker.\n");
        assert_eq!(run(&mut s, "terminal length"), "% Incomplete command.\n");
        assert_eq!(
            run(&mut s, "terminal length x"),
            "                   ^\n% Invalid input detected at '^' marker.\n"
        );
        assert_eq!(run(&mut s, "ter len 0"), "");
        assert_eq!(s.page_length(), 0);
        assert_eq!(run(&mut s, "terminal width 511"), "");
    }

    #[test]
    fn config_mode_edits_running_config() {
        let (device, mut s) = shell(Platform::CiscoIos);
        enable(&mut s);
        assert_eq!(run(&mut s, "conf t"), CONFIG_BANNER);
        assert_eq!(s.prompt(), "R1(config)#");
        assert_eq!(run(&mut s, "int GigabitEthernet0/1"), "");
        assert_eq!(s.prompt(), "R1(config-if)#");
        assert_eq!(run(&mut s, "description uplink to core"), "");
        assert_eq!(run(&mut s, "ip address 10.1.1.1 255.255.255.0"), "");
        assert_eq!(run(&mut s, "no shut"), "");
        assert_eq!(run(&mut s, "bogus thing"), "              ^\n% Invalid input detected at '^' marker.\n");
        assert_eq!(run(&mut s, "exit"), "");
        assert_eq!(s.prompt(), "R1(config)#");
        assert_eq!(run(&mut s, "router ospf 1"), "");
        assert_eq!(s.prompt(), "R1(config-router)#");
        assert_eq!(run(&mut s, "network 10.0.0.0 0.255.255.255 area 0"), "");
        // a global command leaves the sub-mode
        assert_eq!(run(&mut s, "line vty 0 4"), "");
        assert_eq!(s.prompt(), "R1(config-line)#");
        assert_eq!(run(&mut s, "exec-timeout 0 0"), "");
        assert_eq!(run(&mut s, "vlan 10"), "");
        assert_eq!(s.prompt(), "R1(config-vlan)#");
        assert_eq!(run(&mut s, "name users"), "");
        assert_eq!(run(&mut s, "exit"), "");
        assert_eq!(run(&mut s, "ntp server 10.0.0.1"), "");
        assert_eq!(run(&mut s, "interface"), "% Incomplete command.\n");
        assert_eq!(run(&mut s, "show version"), "           ^\n% Invalid input detected at '^' marker.\n");
        assert!(run(&mut s, "do show clock").starts_with('*'));
        assert_eq!(
            run(&mut s, "do show versoin"),
            "                   ^\n% Invalid input detected at '^' marker.\n"
        );
        assert_eq!(run(&mut s, "e"), "% Ambiguous command:  \"e\"");
        assert_eq!(run(&mut s, "hostname CORE1"), "");
        assert_eq!(s.prompt(), "CORE1(config)#");
        assert_eq!(run(&mut s, "end"), "");
        assert_eq!(s.prompt(), "CORE1#");

        let config = device.running_config();
        for expected in [
            "hostname CORE1\n",
            "interface GigabitEthernet0/1\n duplex auto\n speed auto\n \
             description uplink to core\n ip address 10.1.1.1 255.255.255.0\n!\n",
            "router ospf 1\n network 10.0.0.0 0.255.255.255 area 0\n!\n",
            "line vty 0 4\n login local\n transport input ssh\n exec-timeout 0 0\n!\n",
            "vlan 10\n name users\n!\n",
            "ntp server 10.0.0.1\n",
        ] {
            assert!(config.contains(expected), "missing {expected:?} in\n{config}");
        }
        assert!(!config.contains("bogus"));
        assert_eq!(run(&mut s, "show running-config"), config);
        assert_eq!(run(&mut s, "wr"), "Building configuration...\n[OK]".to_string());
        assert!(run(&mut s, "show startup-config").contains("hostname CORE1"));
    }

    #[test]
    fn no_removes_and_ctrl_z_ends() {
        let (device, mut s) = shell(Platform::CiscoIos);
        enable(&mut s);
        run(&mut s, "configure terminal");
        run(&mut s, "ntp server 10.0.0.1");
        run(&mut s, "interface GigabitEthernet0/2");
        run(&mut s, "no shutdown");
        assert!(device.running_config().contains("ntp server 10.0.0.1"));
        run(&mut s, "no ntp server 10.0.0.1");
        run(&mut s, "no interface GigabitEthernet0/0");
        assert_eq!(s.prompt(), "R1(config)#");
        let config = device.running_config();
        assert!(!config.contains("ntp server"), "{config}");
        assert!(!config.contains("interface GigabitEthernet0/0"), "{config}");
        assert!(config.contains("interface GigabitEthernet0/2\n no ip address\n duplex auto"), "{config}");
        s.ctrl_z();
        assert_eq!(s.prompt(), "R1#");
    }

    #[test]
    fn banners_single_and_multi_line() {
        let (device, mut s) = shell(Platform::CiscoIos);
        enable(&mut s);
        run(&mut s, "conf t");
        assert_eq!(run(&mut s, "banner login #Authorised only#"), "");
        assert_eq!(run(&mut s, "banner motd ^"), "Enter TEXT message.  End with the character '^'.");
        assert_eq!(s.prompt(), "");
        run(&mut s, "Line one");
        run(&mut s, "^");
        assert_eq!(s.prompt(), "R1(config)#");
        let config = device.running_config();
        assert!(config.contains("banner login #Authorised only#\n"), "{config}");
        assert!(config.contains("banner motd ^\nLine one\n^\n"), "{config}");
    }

    #[test]
    fn exit_closes_and_write_memory_saves() {
        let (_, mut s) = shell(Platform::CiscoIos);
        assert!(s.execute("exit").close);
        let (_, mut s) = shell(Platform::CiscoIos);
        enable(&mut s);
        assert_eq!(run(&mut s, "copy running-config startup-config"), "Building configuration...\n[OK]");
        assert_eq!(run(&mut s, "write memory"), "Building configuration...\n[OK]");
        assert!(s.execute("logout").close);
    }
}
