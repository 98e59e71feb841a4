//! Realism options: the habits of real devices and shells that our own platforms do
//! not show by default, put on any platform's [`Shell`] by a wrapper. Each one
//! reproduces something seen on real targets: bracketed paste around bash prompts,
//! colour escapes and line redraws, banners with prompt-like lines, sessions that
//! start unprivileged, refused setup commands, a configuration mode that cannot be
//! entered, Junos context lines, dash and zsh accounts, pagers that appear although
//! paging was turned off, and commands that ask a question.

use std::fmt;
use std::str::FromStr;

use crate::Platform;
use crate::platform::{Reply, Shell};

/// Which shell a Linux account runs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ShellKind {
    /// bash: `user@host:~$ `, `bash: x: command not found`.
    #[default]
    Bash,
    /// dash as `/bin/sh`: `$ `, `sh: 1: x: not found`.
    Dash,
    /// zsh with a plain theme: `user@host ~ % `, PROMPT_SP redraws, `zsh: command not found: x`.
    Zsh,
}

impl FromStr for ShellKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim() {
            "bash" => Ok(ShellKind::Bash),
            "dash" | "sh" => Ok(ShellKind::Dash),
            "zsh" => Ok(ShellKind::Zsh),
            other => Err(format!("unknown shell {other:?} (bash, dash or zsh)")),
        }
    }
}

/// A pager that shows up although paging was turned off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StrayPager {
    /// ` --More-- `
    More,
    /// `  ---- More ----`
    Dashes,
    /// `Press any key to continue (Q to quit)`
    AnyKey,
}

impl StrayPager {
    fn prompt(self) -> &'static str {
        match self {
            StrayPager::More => " --More-- ",
            StrayPager::Dashes => "  ---- More ----",
            StrayPager::AnyKey => "Press any key to continue (Q to quit)",
        }
    }
}

impl FromStr for StrayPager {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim() {
            "more" => Ok(StrayPager::More),
            "dashes" => Ok(StrayPager::Dashes),
            "any-key" => Ok(StrayPager::AnyKey),
            other => Err(format!("unknown pager {other:?} (more, dashes or any-key)")),
        }
    }
}

impl fmt::Display for StrayPager {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.prompt())
    }
}

/// Realism options for every device of a fleet. `Default` adds none.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Quirks {
    /// `ESC[?2004h` before every prompt and `ESC[?2004l\r` after Enter (bash 5.1+).
    pub bracketed_paste: bool,
    /// Prompts coloured with SGR escapes and redrawn with `\r ESC[K`.
    pub ansi_prompt: bool,
    /// A banner and `Last login:` line holding prompt-like text (`Switch#`,
    /// `admin@bastion:~$`, `R1>`), some lines with bare LF endings.
    pub banner_prompts: bool,
    /// Sessions start at `>`; `enable` and the secret give `#`.
    pub start_unprivileged: bool,
    /// Lines the device refuses with its invalid-input error (e.g. `terminal width 32767`).
    pub refuse_setup: Vec<String>,
    /// Entering configuration mode is answered with a lock message (no error
    /// marker) and the prompt stays as it was.
    pub refuse_config_mode: bool,
    /// Junos: `{master:0}` before operational prompts, `{master:0}[edit]` in configuration mode.
    pub context_lines: bool,
    /// Linux: the account's shell.
    pub shell: ShellKind,
    /// Outputs longer than a screen page behind this pager even with paging off.
    pub stray_pager: Option<StrayPager>,
    /// Commands that ask a question before they run: (command, question). `y` or an
    /// empty line runs the command (it prints nothing); anything else, or Ctrl-C, aborts.
    pub ask: Vec<(String, String)>,
}

impl Quirks {
    /// True when no option is set.
    pub fn is_plain(&self) -> bool {
        *self == Quirks::default()
    }

    /// Parses an `--ask` value: `COMMAND=QUESTION`.
    pub fn parse_ask(spec: &str) -> Result<(String, String), String> {
        let (command, question) =
            spec.split_once('=').ok_or_else(|| format!("expected COMMAND=QUESTION, got {spec:?}"))?;
        Ok((command.trim().to_string(), question.to_string()))
    }
}

/// The lines a device refusing `line` prints, in its platform's words.
fn invalid_input(platform: Platform, shell: ShellKind, line: &str, prompt_len: usize) -> String {
    let first = line.split_whitespace().next().unwrap_or("");
    match platform {
        Platform::Linux => match shell {
            ShellKind::Bash => format!("bash: {first}: command not found"),
            ShellKind::Dash => format!("sh: 1: {first}: not found"),
            ShellKind::Zsh => format!("zsh: command not found: {first}"),
        },
        Platform::JuniperJunos => format!("{}^\nsyntax error, expecting <command>.", " ".repeat(prompt_len)),
        Platform::HuaweiVrp => "Error: Unrecognized command found at '^' position.".into(),
        _ => {
            let col = prompt_len + line.rfind(' ').map_or(0, |i| i + 1);
            format!("{}^\n% Invalid input detected at '^' marker.", " ".repeat(col))
        }
    }
}

/// True when `line` enters configuration mode on `platform`.
fn enters_config(platform: Platform, line: &str) -> bool {
    let first = line.split_whitespace().next().unwrap_or("");
    match platform {
        Platform::Linux => false,
        Platform::JuniperJunos => first == "configure" || first == "edit",
        Platform::HuaweiVrp => first == "system-view" || first == "sys",
        _ => first.len() >= 4 && "configure".starts_with(first),
    }
}

/// What a locked configuration says, without any error marker of the platform.
fn config_locked(platform: Platform) -> &'static str {
    match platform {
        Platform::JuniperJunos => {
            "Users currently editing the configuration:\n  netops terminal pts/1 (pid 4242) on since 2026-12-07 09:00:00 UTC"
        }
        Platform::HuaweiVrp => "The system is busy in building configuration. Please wait for a moment...",
        _ => "Configuration mode is locked by process '3' user 'netops' from terminal '2'. Please try later.",
    }
}

/// A [`Shell`] with realism options on top.
pub(crate) struct QuirkShell {
    inner: Box<dyn Shell>,
    quirks: std::sync::Arc<Quirks>,
    platform: Platform,
    secret: String,
    privileged: bool,
    /// `enable` asked for the secret; the next line is it.
    awaiting_secret: bool,
    /// A command that asked a question; the next line answers it.
    asked: Option<String>,
}

impl QuirkShell {
    /// `inner` as is when no option is set, else wrapped.
    pub fn wrap(
        inner: Box<dyn Shell>,
        quirks: &std::sync::Arc<Quirks>,
        platform: Platform,
        secret: &str,
    ) -> Box<dyn Shell> {
        if quirks.is_plain() {
            return inner;
        }
        // A platform with a user mode of its own (IOS, EOS) already starts there.
        let own_user_mode = inner.prompt().trim_end().ends_with('>');
        Box::new(QuirkShell {
            inner,
            quirks: quirks.clone(),
            platform,
            secret: secret.to_string(),
            privileged: !quirks.start_unprivileged || own_user_mode,
            awaiting_secret: false,
            asked: None,
        })
    }

    /// The inner prompt with the shell kind's and privilege's changes, no escapes.
    fn plain_prompt(&self) -> String {
        let p = self.inner.prompt();
        let p = match (self.platform, self.quirks.shell) {
            (Platform::Linux, ShellKind::Dash) => {
                if p.trim_end().ends_with('#') {
                    "# ".into()
                } else {
                    "$ ".into()
                }
            }
            (Platform::Linux, ShellKind::Zsh) => {
                let user_host = p.split(':').next().unwrap_or("user@host");
                format!("{user_host} ~ % ")
            }
            _ => p,
        };
        let p = if self.privileged {
            p
        } else {
            let trimmed = p.trim_end();
            match trimmed.strip_suffix('#') {
                Some(base) => format!("{base}>{}", &p[trimmed.len()..]),
                None => p,
            }
        };
        if self.quirks.context_lines && self.platform == Platform::JuniperJunos {
            if p.contains("[edit") {
                p.replacen("[edit", "{master:0}[edit", 1)
            } else {
                format!("\r\n{{master:0}}\r\n{p}")
            }
        } else {
            p
        }
    }

    fn rewrite_errors(&self, mut reply: Reply) -> Reply {
        if self.platform == Platform::Linux && self.quirks.shell != ShellKind::Bash {
            let lines: Vec<String> = reply
                .text
                .split('\n')
                .map(|l| match l.strip_prefix("bash: ").and_then(|r| r.strip_suffix(": command not found")) {
                    Some(cmd) => invalid_input(self.platform, self.quirks.shell, cmd, 0),
                    None => l.to_string(),
                })
                .collect();
            reply.text = lines.join("\n");
        }
        reply
    }
}

impl Shell for QuirkShell {
    fn greeting(&self) -> String {
        self.inner.greeting()
    }

    fn raw_banner(&self) -> String {
        if !self.quirks.banner_prompts {
            return self.inner.raw_banner();
        }
        // Bare LF endings, as a banner file printed without translation.
        "#####################################################\n\
         #  Authorised access only.  Switch#  R1>  router#   #\n\
         #####################################################\n\
         core-sw01#\n\
         admin@bastion:~$\n\
         Last login: Mon Dec  7 09:14:27 2026 from 127.0.0.1 on pts/0 #\r\n"
            .to_string()
    }

    fn prompt(&self) -> String {
        if self.awaiting_secret {
            return "Password: ".into();
        }
        if let Some(q) = &self.asked {
            return q.clone();
        }
        let mut p = self.plain_prompt();
        if self.quirks.ansi_prompt {
            let trimmed = p.trim_end_matches(' ').len();
            let (text, blanks) = p.split_at(trimmed);
            p = format!("\r\x1b[K\x1b[1;32m{text}\x1b[0m{blanks}");
        }
        if self.platform == Platform::Linux && self.quirks.shell == ShellKind::Zsh {
            // PROMPT_SP: a reverse-video `%`, a line of blanks, and back to the start.
            p = format!("\x1b[1m\x1b[7m%\x1b[27m\x1b[1m\x1b[0m{}\r \r{p}", " ".repeat(79));
        }
        if self.quirks.bracketed_paste {
            p = format!("\x1b[?2004h{p}");
        }
        p
    }

    fn after_enter(&self) -> String {
        if self.quirks.bracketed_paste { "\x1b[?2004l\r".into() } else { self.inner.after_enter() }
    }

    fn execute(&mut self, line: &str) -> Reply {
        if std::mem::take(&mut self.awaiting_secret) {
            if line == self.secret {
                self.privileged = true;
                return Reply::empty();
            }
            return Reply::text("% Access denied");
        }
        if self.asked.take().is_some() {
            return match line.trim() {
                "" | "y" | "Y" | "yes" => Reply::empty(),
                _ => Reply::text("%Aborted"),
            };
        }
        let trimmed = line.trim();
        let prompt_len = self.plain_prompt().trim_start_matches(['\r', '\n']).len();
        if self.quirks.refuse_setup.iter().any(|r| r == trimmed) {
            return Reply::text(invalid_input(self.platform, self.quirks.shell, trimmed, prompt_len));
        }
        if !self.privileged {
            let first = trimmed.split_whitespace().next().unwrap_or("");
            if first.len() >= 2 && "enable".starts_with(first) {
                if self.secret.is_empty() {
                    self.privileged = true;
                } else {
                    self.awaiting_secret = true;
                }
                return Reply::empty();
            }
            if enters_config(self.platform, trimmed) {
                return Reply::text(invalid_input(self.platform, self.quirks.shell, trimmed, prompt_len));
            }
        }
        if self.quirks.refuse_config_mode && enters_config(self.platform, trimmed) {
            return Reply::text(config_locked(self.platform));
        }
        if let Some((_, question)) = self.quirks.ask.iter().find(|(c, _)| c == trimmed) {
            self.asked = Some(question.clone());
            return Reply::empty();
        }
        let reply = self.inner.execute(line);
        self.rewrite_errors(reply)
    }

    fn ctrl_z(&mut self) -> Reply {
        self.inner.ctrl_z()
    }

    fn ctrl_c(&mut self) -> Reply {
        if self.asked.take().is_some() || std::mem::take(&mut self.awaiting_secret) {
            return Reply::empty();
        }
        self.inner.ctrl_c()
    }

    fn echo(&self) -> bool {
        !self.awaiting_secret && self.inner.echo()
    }

    fn page_length(&self) -> usize {
        match (self.inner.page_length(), self.quirks.stray_pager) {
            (0, Some(_)) => 24,
            (n, _) => n,
        }
    }

    fn more_prompt(&self) -> &'static str {
        match self.quirks.stray_pager {
            Some(p) => p.prompt(),
            None => self.inner.more_prompt(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::platform::Reply;

    struct Plain;
    impl Shell for Plain {
        fn greeting(&self) -> String {
            "hello".into()
        }
        fn prompt(&self) -> String {
            "nxos1# ".into()
        }
        fn execute(&mut self, line: &str) -> Reply {
            Reply::text(format!("ran {line}"))
        }
    }

    fn shell(q: Quirks, platform: Platform) -> Box<dyn Shell> {
        QuirkShell::wrap(Box::new(Plain), &std::sync::Arc::new(q), platform, "enable")
    }

    #[test]
    fn unprivileged_sessions_enable_with_the_secret() {
        let mut s = shell(Quirks { start_unprivileged: true, ..Quirks::default() }, Platform::CiscoNxos);
        assert_eq!(s.prompt(), "nxos1> ");
        assert!(s.execute("configure terminal").text.contains("% Invalid input"));
        s.execute("enable");
        assert_eq!(s.prompt(), "Password: ");
        assert!(!s.echo());
        assert_eq!(s.execute("wrong").text, "% Access denied");
        assert_eq!(s.prompt(), "nxos1> ");
        s.execute("enable");
        s.execute("enable");
        assert_eq!(s.prompt(), "nxos1# ");
        assert_eq!(s.execute("show clock").text, "ran show clock");
    }

    #[test]
    fn refusals_and_questions() {
        let q = Quirks {
            refuse_setup: vec!["terminal width 32767".into()],
            refuse_config_mode: true,
            ask: vec![("clear counters".into(), "Clear counters [confirm]".into())],
            ..Quirks::default()
        };
        let mut s = shell(q, Platform::AristaEos);
        assert!(s.execute("terminal width 32767").text.ends_with("% Invalid input detected at '^' marker."));
        assert!(s.execute("conf t").text.starts_with("Configuration mode is locked"));
        s.execute("clear counters");
        assert_eq!(s.prompt(), "Clear counters [confirm]");
        assert_eq!(s.ctrl_c(), Reply::empty());
        assert_eq!(s.prompt(), "nxos1# ");
    }

    #[test]
    fn stream_habits() {
        let s =
            shell(Quirks { bracketed_paste: true, ansi_prompt: true, ..Quirks::default() }, Platform::Linux);
        assert_eq!(s.prompt(), "\x1b[?2004h\r\x1b[K\x1b[1;32mnxos1#\x1b[0m ");
        assert_eq!(s.after_enter(), "\x1b[?2004l\r");
        let s = shell(Quirks { context_lines: true, ..Quirks::default() }, Platform::JuniperJunos);
        assert_eq!(s.prompt(), "\r\n{master:0}\r\nnxos1# ");
        let s = shell(Quirks { shell: ShellKind::Dash, ..Quirks::default() }, Platform::Linux);
        assert_eq!(s.prompt(), "# ");
    }
}
