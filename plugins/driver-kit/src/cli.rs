//! A generic engine for prompt-driven CLIs. Most vendors differ only in their
//! prompts, pager, questions, error markers and a few commands; a driver describes
//! those in a [`Dialect`] and adds hooks where its platform really differs
//! (commit, save questions, exit statuses).
//!
//! What the engine does for every platform (learned from netmiko's base connection):
//! - The host removes terminal escape sequences before any pattern sees the text;
//!   prompts are matched at a line start or after a bare carriage return (line
//!   redraws), and the first prompt only at the very end of what the device sent,
//!   so banner and `Last login:` lines that contain `>`, `#` or `$` never count.
//! - Privileged mode is entered with `enable` when the session starts unprivileged
//!   and a secret was given; a refused secret is an `authentication` error.
//! - Setup commands (paging off, width) are best effort: a refused one is logged and
//!   the session goes on; pagers that show up anyway are answered.
//! - Questions a command asks (`[confirm]`, `Destination filename [...]?`,
//!   `[y/n]`) are answered only when the job said so (`driver_args.confirm`);
//!   otherwise the question is cancelled and the job fails at once, saying so.
//! - Configuration mode is checked by its prompt after entering and after leaving.
//! - Platform context lines (`{master:0}`, `[edit]`) are removed from output.

use crate::{
    ConfigOptions, ConfigReply, DriverError, LogLevel, SessionOptions, SessionState, channel, clean,
    escape_raw, find_error, log, read_until, send_line, strip_echo,
};

/// How a platform's CLI looks.
#[derive(Clone, Copy, Debug)]
pub struct Dialect {
    /// Any prompt of the platform: a regex for the prompt text, without anchors or
    /// trailing blanks (the engine anchors it to a line start or a bare `\r`, and
    /// allows blanks after it).
    pub prompt: &'static str,
    /// The prompt in configuration mode (same form), when the platform has one.
    pub config_prompt: Option<&'static str>,
    /// The platform's own pager prompt, answered with a space (the common pagers
    /// of [`PAGERS`] are always recognised too).
    pub pager: Option<&'static str>,
    /// Questions the engine's own steps cause, always answered: (regex, answer
    /// without newline).
    pub questions: &'static [(&'static str, &'static str)],
    /// How the platform starts an error message (compared without case).
    pub errors: &'static [&'static str],
    /// Commands sent once per session (paging off, width); best effort.
    pub setup: &'static [&'static str],
    /// Privilege step: (command, prompt suffix that means unprivileged).
    pub enable: Option<(&'static str, &'static str)>,
    /// Enter configuration mode.
    pub config_enter: &'static [&'static str],
    /// Leave configuration mode.
    pub config_exit: &'static [&'static str],
    /// Save the configuration (`driver_args.save`).
    pub save: &'static [&'static str],
    /// Context lines the platform prints before its prompt (regexes for a whole
    /// line), removed from the end of output.
    pub context_lines: &'static [&'static str],
}

/// Pagers that appear on many platforms even with paging off: (regex, key to send).
/// Every read's pattern holds these and [`QUESTIONS`]: kept to ASCII classes and
/// unbounded runs, so the matcher's automaton stays small (bounded repeats of a
/// Unicode class doubled the cost of a command).
pub const PAGERS: &[(&str, &str)] = &[
    (r"-{2,4} ?\(?[Mm]ore[ -~]*?\)? ?-{2,4}[ \t]*", " "),
    (r"<-+ ?More ?-+>[ \t]*", " "),
    (r"\(END\)[ \t]*", "q"),
    (r"Press any key[ -~]*", " "),
];

/// Questions commands ask, answered only when the job asked for it
/// (`driver_args.confirm`): (regex, answer).
pub const QUESTIONS: &[(&str, &str)] = &[
    (r"\[confirm\][ \t]*", ""),
    (r"Destination filename \[[^\]\r\n]*\]\?[ \t]*", ""),
    (r"(?:\[(?:[yY]/[nN]|[yY]es/[nN]o)\]|\((?:[yY]/[nN]|[yY]es/[nN]o)\))[ \t]*[?:]?[ \t]*", "y"),
    (r"(?:[Pp]roceed|[Cc]ontinue)\?[ \t]*", "y"),
];

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
/// How long to wait for the prompt after cancelling a question with Ctrl-C.
const CANCEL_MS: u32 = 5_000;

/// A prompt pattern anchored to a line start or a bare carriage return.
fn anchored(prompt: &str, end: &str) -> String {
    format!(r"(?:^|\r)(?:{prompt})[ \t]*{end}")
}

/// A prompt pattern for the reply to a line we sent: the prompt follows a line
/// break, never the start of the reply, so the echo of a command that ends like a
/// prompt (`... 100%`, `echo $`), read before its line end arrived, is not one.
fn after_break(prompt: &str) -> String {
    format!(r"[\r\n](?:{prompt})[ \t]*$")
}

/// What a read stopped at.
enum Stop {
    Prompt,
    Pager(&'static str),
    /// A question to answer with this.
    Answer(&'static str),
    /// A question the job gave no answer for.
    Unanswered,
}

impl Dialect {
    /// The regex of a prompt line of this platform (for `read_until`).
    pub fn prompt_pattern(&self) -> String {
        format!("(?m){}", anchored(self.prompt, "$"))
    }

    fn pagers(&self) -> impl Iterator<Item = (&'static str, &'static str)> + '_ {
        self.pager.map(|p| (p, " ")).into_iter().chain(PAGERS.iter().copied())
    }

    fn pattern(&self, until: Option<&str>) -> String {
        let mut alts = vec![match until {
            Some(u) => format!("(?:{u})"),
            None => after_break(self.prompt),
        }];
        for (p, _) in self.pagers() {
            alts.push(format!("(?:{p})$"));
        }
        for (q, _) in self.questions.iter().chain(QUESTIONS) {
            alts.push(format!("(?:{q})$"));
        }
        format!("(?m){}", alts.join("|"))
    }

    fn is(&self, pattern: &str, text: &str) -> bool {
        matches!(channel::search(&format!("(?m)(?:{pattern})$"), text), Ok(Some(_)))
    }

    fn stop(&self, matched: &str, confirm: bool) -> Stop {
        // Most reads end at the prompt: one check settles them.
        if self.is(&after_break(self.prompt), matched) {
            return Stop::Prompt;
        }
        if let Some((_, key)) = self.pagers().find(|(p, _)| self.is(p, matched)) {
            return Stop::Pager(key);
        }
        if let Some((_, a)) = self.questions.iter().find(|(q, _)| self.is(q, matched)) {
            return Stop::Answer(a);
        }
        match QUESTIONS.iter().find(|(q, _)| self.is(q, matched)) {
            Some((_, a)) if confirm => Stop::Answer(a),
            Some(_) => Stop::Unanswered,
            None => Stop::Prompt,
        }
    }

    /// Read until the prompt (or `until`), paging through and answering the
    /// dialect's questions (and the common ones when `confirm`).
    pub fn read_answering(
        &self,
        until: Option<&str>,
        timeout_ms: u32,
        confirm: bool,
    ) -> Result<Reply, DriverError> {
        let pattern = self.pattern(until);
        let mut text = String::new();
        loop {
            let m = read_until(&pattern, timeout_ms, "the prompt")?;
            text.push_str(&m.before);
            match self.stop(&m.matched, confirm) {
                Stop::Pager(key) => {
                    // Keep the pager text: the device's erase sequence that follows
                    // (backspaces, carriage return, cursor-back) removes it in `clean`.
                    text.push_str(&m.matched);
                    channel::write(key).map_err(DriverError::Connection)?;
                }
                Stop::Answer(answer) => {
                    text.push_str(&m.matched);
                    send_line(answer)?;
                }
                Stop::Unanswered => {
                    let question = clean(&m.matched).trim().to_string();
                    let before = clean(&text);
                    let asked = crate::tail(before.trim_end(), 200).to_string();
                    // Ctrl-C backs out of the question; the session stays usable.
                    channel::write("\x03").map_err(DriverError::Connection)?;
                    let _ = read_until(&self.prompt_pattern(), CANCEL_MS.min(timeout_ms), "the prompt");
                    return Err(DriverError::CommandRejected(format!(
                        "the device asked {question:?} (after {asked:?}) and the job gave no answer; \
                         it was cancelled. Set driver_args.confirm: true to answer such questions"
                    )));
                }
                Stop::Prompt => {
                    let mut output = clean(&text);
                    self.strip_context(&mut output);
                    return Ok(Reply { output, prompt: clean(&m.matched).trim().to_string() });
                }
            }
        }
    }

    /// Read until the prompt (or `until`), paging through and answering the
    /// dialect's own questions; a common question fails the read.
    pub fn read(&self, until: Option<&str>, timeout_ms: u32) -> Result<Reply, DriverError> {
        self.read_answering(until, timeout_ms, false)
    }

    /// Remove the platform's context lines (and blank lines among them) from the end.
    fn strip_context(&self, output: &mut String) {
        if self.context_lines.is_empty() {
            return;
        }
        let pattern = format!("^(?:{})$", self.context_lines.join("|"));
        loop {
            let trimmed = output.trim_end_matches(['\n', ' ', '\t']).len();
            output.truncate(trimmed);
            let start = output.rfind('\n').map_or(0, |i| i + 1);
            let last = output[start..].trim();
            if last.is_empty() || !matches!(channel::search(&pattern, last), Ok(Some(_))) {
                return;
            }
            output.truncate(start);
        }
    }

    /// Send `line` and read its reply (echo removed).
    pub fn exchange(&self, line: &str, timeout_ms: u32) -> Result<Reply, DriverError> {
        self.exchange_answering(line, timeout_ms, false)
    }

    fn exchange_answering(&self, line: &str, timeout_ms: u32, confirm: bool) -> Result<Reply, DriverError> {
        send_line(line)?;
        let mut r = self.read_answering(None, timeout_ms, confirm)?;
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

    /// True when `prompt` is this platform's configuration-mode prompt.
    pub fn in_config_mode(&self, prompt: &str) -> Option<bool> {
        let p = self.config_prompt?;
        Some(matches!(channel::search(&format!("^(?:{p})[ \t]*$"), prompt.trim()), Ok(Some(_))))
    }

    /// The first prompt: the last line the device sent, once it waits for input.
    fn first_prompt(&self, timeout_ms: u32) -> Result<String, DriverError> {
        let at_end = format!("(?m){}", anchored(self.prompt, r"\z"));
        let first = match channel::read_until(&at_end, FIRST_PROMPT_MS.min(timeout_ms)) {
            Ok(m) => m,
            Err(_) => {
                send_line("")?;
                read_until(&at_end, timeout_ms, "prompt after login").map_err(|e| match e {
                    DriverError::Timeout(m) => DriverError::Timeout(format!(
                        "{m} (expected the last line to be a prompt matching {:?})",
                        self.prompt
                    )),
                    other => other,
                })?
            }
        };
        // A second prompt still in flight must not answer our next command.
        channel::drain();
        Ok(clean(&first.matched).trim().to_string())
    }

    /// Enter privileged mode with `secret` from `prompt`; returns the new prompt.
    fn enable(&self, command: &str, user_suffix: &str, secret: &str, t: u32) -> Result<String, DriverError> {
        send_line(command)?;
        let asks = format!(r"(?mi)(?:password:[ \t]*$|{})", anchored(self.prompt, "$"));
        let m = read_until(&asks, t, "the enable password prompt")?;
        let said = clean(&m.before);
        if !m.matched.to_ascii_lowercase().contains("password") {
            let prompt = clean(&m.matched).trim().to_string();
            if prompt.ends_with(user_suffix) {
                return Err(DriverError::Authentication(format!(
                    "{command:?} was refused: {:?}; the session stays unprivileged",
                    strip_echo(&said, command).trim()
                )));
            }
            return Ok(prompt);
        }
        channel::write(&format!("{secret}\n")).map_err(DriverError::Connection)?;
        // Some devices ask again after a wrong secret: that is a refusal too.
        let again = format!(r"(?mi)(?:password:[ \t]*$|{})", anchored(self.prompt, "$"));
        let m = read_until(&again, t, "the prompt after the enable secret")?;
        let prompt = clean(&m.matched).trim().to_string();
        if prompt.to_ascii_lowercase().contains("password") || prompt.ends_with(user_suffix) {
            // Back out of a repeated question; then fail.
            if prompt.to_ascii_lowercase().contains("password") {
                let _ = channel::write("\x03\n");
                let _ = read_until(&self.prompt_pattern(), CANCEL_MS.min(t), "the prompt");
            }
            return Err(DriverError::Authentication(format!(
                "the enable secret was refused: {:?}",
                clean(&m.before).trim()
            )));
        }
        Ok(prompt)
    }

    /// First prompt, privilege, setup commands.
    pub fn prepare(&self, options: &SessionOptions) -> Result<SessionState, DriverError> {
        let t = options.timeout_ms;
        let mut prompt = self.first_prompt(t)?;
        if let Some((command, user_suffix)) = self.enable
            && prompt.ends_with(user_suffix)
        {
            match options.secret.as_deref() {
                Some(secret) => prompt = self.enable(command, user_suffix, secret, t)?,
                None => log(LogLevel::Warn, "no `secret` given: staying in unprivileged mode"),
            }
        }
        for line in self.setup {
            match self.run(line, t, None) {
                Ok(_) => {}
                Err(DriverError::CommandRejected(why)) => {
                    log(LogLevel::Warn, &format!("setup command refused, going on without it: {why}"))
                }
                Err(e) => return Err(e),
            }
        }
        log(LogLevel::Debug, &format!("session ready at prompt {prompt}"));
        Ok(SessionState { prompt, data: String::new() })
    }

    /// Run one show/exec command; `confirm` answers the questions it asks.
    pub fn command(
        &self,
        command: &str,
        expect: Option<&str>,
        strip_prompt: bool,
        timeout_ms: u32,
        confirm: bool,
    ) -> Result<String, DriverError> {
        send_line(command)?;
        let r = self.read_answering(expect, timeout_ms, confirm)?;
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
        let confirm = options.extra_bool("confirm");
        let mut tr = Transcript::new(self, t, extra, confirm);
        for line in self.config_enter {
            let r = tr.run(line)?;
            if self.in_config_mode(&r.prompt) == Some(false) && Some(line) == self.config_enter.last() {
                return Err(DriverError::CommandRejected(format!(
                    "configuration mode was not entered: the device answered {line:?} with {:?} at prompt {:?}",
                    r.output.trim(),
                    r.prompt
                )));
            }
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
            if self.in_config_mode(&tr.last_prompt) == Some(true) {
                return Err(DriverError::CommandRejected(format!(
                    "configuration mode was not left: the prompt is still {:?} after {:?}",
                    tr.last_prompt,
                    self.config_exit.join("; ")
                )));
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
    confirm: bool,
    pub text: String,
    pub last_prompt: String,
}

impl<'a> Transcript<'a> {
    fn new(dialect: &'a Dialect, timeout_ms: u32, extra: Option<&'a str>, confirm: bool) -> Self {
        Self { dialect, timeout_ms, extra, confirm, text: String::new(), last_prompt: String::new() }
    }

    /// Send a line, record it, fail on an error in its output.
    pub fn run(&mut self, line: &str) -> Result<Reply, DriverError> {
        let r = self.dialect.exchange_answering(line, self.timeout_ms, self.confirm)?;
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

/// The raw text of `seen`, escaped, for error messages (see [`escape_raw`]).
pub fn shown(seen: &str) -> String {
    escape_raw(seen, 200)
}

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

    /// Run one command; the default reads to the prompt and checks for errors.
    fn send_command(command: &str, o: &crate::CommandOptions) -> Result<String, DriverError> {
        Self::DIALECT.command(
            command,
            o.expect_string.as_deref(),
            o.strip_prompt,
            o.read_timeout_ms,
            o.extra_bool("confirm"),
        )
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
        <T as CliDriver>::send_command(&command, &o)
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
