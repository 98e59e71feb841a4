//! A generic engine for prompt-driven CLIs. Most vendors differ only in their
//! prompts, pager, questions, error markers and a few commands; a driver describes
//! those in a [`Dialect`] and adds hooks where its platform really differs
//! (commit, save questions, exit statuses).

use crate::{
    ConfigOptions, ConfigReply, DriverError, LogLevel, SessionOptions, SessionState, channel, clean,
    find_error, log, read_until, send_line, strip_echo,
};

/// How a platform's CLI looks.
#[derive(Clone, Copy, Debug)]
pub struct Dialect {
    /// Any prompt of the platform (a multi-line regex anchored to a line).
    pub prompt: &'static str,
    /// The pager's prompt, answered with a space.
    pub pager: Option<&'static str>,
    /// Questions the device may ask, as (regex, answer without newline).
    pub questions: &'static [(&'static str, &'static str)],
    /// How the platform starts an error message.
    pub errors: &'static [&'static str],
    /// Commands sent once per session (paging off, width).
    pub setup: &'static [&'static str],
    /// Privilege step: (command, prompt suffix that means unprivileged).
    pub enable: Option<(&'static str, &'static str)>,
    /// Enter configuration mode.
    pub config_enter: &'static [&'static str],
    /// Leave configuration mode.
    pub config_exit: &'static [&'static str],
    /// Save the configuration (`driver_args.save`).
    pub save: &'static [&'static str],
}

/// What came back for one line.
#[derive(Clone, Debug, Default)]
pub struct Reply {
    /// The output, cleaned, echo removed, without the trailing prompt.
    pub output: String,
    /// The prompt that ended it.
    pub prompt: String,
}

/// How long to wait for a first prompt before nudging the device with a newline.
const FIRST_PROMPT_MS: u32 = 2_000;

impl Dialect {
    fn pattern(&self, until: Option<&str>) -> String {
        let mut alts = vec![format!("(?:{})", until.unwrap_or(self.prompt))];
        if let Some(p) = self.pager {
            alts.push(format!("(?:{p})"));
        }
        for (q, _) in self.questions {
            alts.push(format!("(?:{q})"));
        }
        format!("(?m){}", alts.join("|"))
    }

    fn is(&self, pattern: &str, text: &str) -> bool {
        matches!(channel::search(pattern, text), Ok(Some(_)))
    }

    /// Read until the prompt (or `until`), paging through and answering questions.
    pub fn read(&self, until: Option<&str>, timeout_ms: u32) -> Result<Reply, DriverError> {
        let pattern = self.pattern(until);
        let mut text = String::new();
        loop {
            let m = read_until(&pattern, timeout_ms, "the prompt")?;
            text.push_str(&m.before);
            if let Some(p) = self.pager
                && self.is(p, &m.matched)
            {
                // Keep the pager text: the device's erase sequence that follows
                // (backspaces, carriage return, cursor-back) removes it in `clean`.
                text.push_str(&m.matched);
                channel::write(" ").map_err(DriverError::Connection)?;
                continue;
            }
            if let Some((_, answer)) = self.questions.iter().find(|(q, _)| self.is(q, &m.matched)) {
                text.push_str(&m.matched);
                send_line(answer)?;
                continue;
            }
            return Ok(Reply { output: clean(&text), prompt: clean(&m.matched).trim().to_string() });
        }
    }

    /// Send `line` and read its reply (echo removed).
    pub fn exchange(&self, line: &str, timeout_ms: u32) -> Result<Reply, DriverError> {
        send_line(line)?;
        let mut r = self.read(None, timeout_ms)?;
        r.output = strip_echo(&r.output, line).trim_end_matches('\n').to_string();
        Ok(r)
    }

    /// The device's error words in `output`, if any (the dialect's markers, then
    /// the user's `error_pattern`).
    pub fn error_in(&self, output: &str, extra: Option<&str>) -> Result<Option<String>, DriverError> {
        if let Some(w) = find_error(output, self.errors) {
            return Ok(Some(w.to_string()));
        }
        match extra {
            Some(p) => channel::search(p, output)
                .map_err(|e| DriverError::Protocol(format!("bad error_pattern: {e}"))),
            None => Ok(None),
        }
    }

    /// Like [`exchange`](Self::exchange), but an error in the output is a rejection.
    pub fn run(&self, line: &str, timeout_ms: u32, extra: Option<&str>) -> Result<Reply, DriverError> {
        let r = self.exchange(line, timeout_ms)?;
        match self.error_in(&r.output, extra)? {
            Some(words) => Err(rejected(line, &words)),
            None => Ok(r),
        }
    }

    /// First prompt, privilege, setup commands.
    pub fn prepare(&self, options: &SessionOptions) -> Result<SessionState, DriverError> {
        let t = options.timeout_ms;
        let first = match channel::read_until(&format!("(?m){}", self.prompt), FIRST_PROMPT_MS.min(t)) {
            Ok(m) => m,
            Err(_) => {
                send_line("")?;
                read_until(&format!("(?m){}", self.prompt), t, "a prompt after login")?
            }
        };
        // A second prompt still in flight must not answer our next command.
        channel::drain();
        let mut prompt = clean(&first.matched).trim().to_string();
        if let Some((command, user_suffix)) = self.enable
            && prompt.ends_with(user_suffix)
        {
            match options.secret.as_deref() {
                Some(secret) => {
                    send_line(command)?;
                    let asks = format!(r"(?mi)(password:\s*$|{})", self.prompt);
                    let m = read_until(&asks, t, "the enable password prompt")?;
                    if m.matched.to_ascii_lowercase().contains("password") {
                        channel::write(&format!("{secret}\n")).map_err(DriverError::Connection)?;
                        let r = self.read(None, t)?;
                        if r.prompt.ends_with(user_suffix) {
                            return Err(DriverError::Authentication(format!(
                                "the enable secret was refused: {}",
                                r.output.trim()
                            )));
                        }
                        prompt = r.prompt;
                    } else {
                        prompt = clean(&m.matched).trim().to_string();
                    }
                }
                None => log(LogLevel::Warn, "no `secret` given: staying in unprivileged mode"),
            }
        }
        for line in self.setup {
            self.run(line, t, None)?;
        }
        log(LogLevel::Debug, &format!("session ready at prompt {prompt}"));
        Ok(SessionState { prompt, data: String::new() })
    }

    /// Run one show/exec command.
    pub fn command(
        &self,
        command: &str,
        expect: Option<&str>,
        strip_prompt: bool,
        timeout_ms: u32,
    ) -> Result<String, DriverError> {
        send_line(command)?;
        let r = self.read(expect, timeout_ms)?;
        let body = strip_echo(&r.output, command);
        if let Some(words) = self.error_in(body, None)? {
            return Err(rejected(command, &words));
        }
        let mut text = body.trim_end_matches('\n').to_string();
        if !strip_prompt {
            text.push('\n');
            text.push_str(&r.prompt);
        }
        Ok(text)
    }

    /// Enter configuration mode, apply `lines`, run `finish` (commit, where the
    /// platform has one), leave, and save when asked. On a rejected line the
    /// configuration session is left (uncommitted changes discarded where the
    /// platform allows) before the error is returned.
    pub fn config(
        &self,
        state: SessionState,
        lines: &[String],
        options: &ConfigOptions,
        finish: impl FnOnce(&Dialect, &mut Transcript) -> Result<(), DriverError>,
    ) -> Result<ConfigReply, DriverError> {
        let t = options.read_timeout_ms;
        let extra = options.error_pattern.as_deref();
        let mut tr = Transcript::new(self, t, extra);
        for line in self.config_enter {
            tr.run(line)?;
        }
        for line in lines {
            if let Err(e) = tr.run(line) {
                self.abort(t);
                return Err(e);
            }
        }
        if let Err(e) = finish(self, &mut tr) {
            self.abort(t);
            return Err(e);
        }
        if options.exit_config_mode {
            for line in self.config_exit {
                tr.run(line)?;
            }
        }
        if options.save {
            for line in self.save {
                tr.run(line)?;
            }
        }
        let prompt = tr.last_prompt.clone();
        Ok(ConfigReply { transcript: tr.text, state: SessionState { prompt, data: state.data } })
    }

    /// Leave configuration mode after a failure, so the session stays usable.
    pub fn abort(&self, timeout_ms: u32) {
        for line in self.config_exit {
            if self.exchange(line, timeout_ms).is_err() {
                break;
            }
        }
    }
}

/// The growing transcript of a configuration session.
pub struct Transcript<'a> {
    dialect: &'a Dialect,
    timeout_ms: u32,
    extra: Option<&'a str>,
    pub text: String,
    pub last_prompt: String,
}

impl<'a> Transcript<'a> {
    fn new(dialect: &'a Dialect, timeout_ms: u32, extra: Option<&'a str>) -> Self {
        Self { dialect, timeout_ms, extra, text: String::new(), last_prompt: String::new() }
    }

    /// Send a line, record it, fail on an error in its output.
    pub fn run(&mut self, line: &str) -> Result<Reply, DriverError> {
        let r = self.dialect.exchange(line, self.timeout_ms)?;
        self.text.push_str(&format!("{}{line}\n", self.last_prompt));
        if !r.output.is_empty() {
            self.text.push_str(&r.output);
            self.text.push('\n');
        }
        self.last_prompt = r.prompt.clone();
        match self.dialect.error_in(&r.output, self.extra)? {
            Some(words) => Err(rejected(line, &words)),
            None => Ok(r),
        }
    }
}

/// A rejection quoting the line and the device's words.
pub fn rejected(line: &str, words: &str) -> DriverError {
    DriverError::CommandRejected(format!("the device rejected {line:?}: {words}"))
}

/// Leading or trailing terminal escape sequences around a prompt (NX-OS colours it).
pub const ANSI: &str = r"(?:\x1b\[[0-9;?]*[A-Za-z])*";

/// A driver that is a [`Dialect`] plus, where needed, a commit step and its own
/// command handling. Implementing it gives the WIT `Guest` implementation.
pub trait CliDriver {
    /// Plugin name.
    const NAME: &'static str;
    /// Plugin version.
    const VERSION: &'static str;
    /// The `device_type` values served.
    const PLATFORMS: &'static [&'static str];
    const DIALECT: Dialect;

    /// Called after the configuration lines, before leaving configuration mode:
    /// commit where the platform has a candidate configuration.
    fn finish_config(
        _d: &Dialect,
        _tr: &mut Transcript,
        _options: &ConfigOptions,
    ) -> Result<(), DriverError> {
        Ok(())
    }

    /// Apply configuration; the default enters, applies, finishes, exits and saves.
    fn send_config(
        state: SessionState,
        lines: Vec<String>,
        options: ConfigOptions,
    ) -> Result<ConfigReply, DriverError> {
        Self::DIALECT.config(state, &lines, &options, |d, tr| Self::finish_config(d, tr, &options))
    }
}

impl<T: CliDriver> crate::Guest for T {
    fn metadata() -> crate::PluginMeta {
        crate::PluginMeta {
            name: T::NAME.into(),
            version: T::VERSION.into(),
            wit_version: crate::WIT_VERSION.into(),
            platforms: T::PLATFORMS.iter().map(|s| s.to_string()).collect(),
        }
    }

    fn prepare_session(options: SessionOptions) -> Result<SessionState, DriverError> {
        T::DIALECT.prepare(&options)
    }

    fn send_command(
        _state: SessionState,
        command: String,
        o: crate::CommandOptions,
    ) -> Result<String, DriverError> {
        T::DIALECT.command(&command, o.expect_string.as_deref(), o.strip_prompt, o.read_timeout_ms)
    }

    fn send_config(
        state: SessionState,
        lines: Vec<String>,
        options: ConfigOptions,
    ) -> Result<ConfigReply, DriverError> {
        <T as CliDriver>::send_config(state, lines, options)
    }

    fn probe(_state: SessionState, timeout_ms: u32) -> Result<(), DriverError> {
        channel::drain();
        send_line("")?;
        T::DIALECT.read(None, timeout_ms).map(|_| ())
    }

    fn close(_state: SessionState) {
        let _ = send_line("exit");
    }
}
