//! The terminal line discipline in front of a [`Shell`]: echo, line assembly (`\r`, `\n` and
//! `\r\n` each end one line), backspace, Ctrl-Z, `\r\n` output, and the `--More--` pager.
//! Pure state machine: the SSH session feeds bytes in and sends what comes out.

use std::collections::VecDeque;

use crate::platform::Shell;

/// What the session should do next.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Step {
    /// All buffered input is consumed; send these bytes (may be empty).
    Idle(Vec<u8>),
    /// A complete line: send `echo`, then (after any latency) call [`Terminal::execute`].
    Line(Line),
}

/// A complete input line.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Line {
    /// Bytes to send first: the echo of what was typed since the last step, and the newline.
    pub echo: Vec<u8>,
    /// The line without its line ending.
    pub text: String,
    /// Typed while echo was off (a password): not a command.
    pub secret: bool,
    /// Ctrl-Z rather than Enter ended it.
    pub ctrl_z: bool,
    /// Ctrl-C abandoned it.
    pub ctrl_c: bool,
}

impl Line {
    /// True for lines that count as commands: not secrets, not blank.
    pub fn is_command(&self) -> bool {
        !self.secret && !self.ctrl_c && (self.ctrl_z || !self.text.trim().is_empty())
    }
}

/// Output still to be shown behind a `--More--` prompt.
struct Pager {
    lines: VecDeque<String>,
}

pub(crate) struct Terminal {
    shell: Box<dyn Shell>,
    input: VecDeque<u8>,
    line: Vec<u8>,
    /// The previous byte was a `\r` that ended something: a following `\n` belongs to it.
    skip_lf: bool,
    pager: Option<Pager>,
    closed: bool,
}

/// Appends `text` to `out` with `\r\n` line endings.
fn push_crlf(out: &mut Vec<u8>, text: &str) {
    for (i, part) in text.split('\n').enumerate() {
        if i > 0 {
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(part.as_bytes());
    }
}

impl Terminal {
    pub fn new(shell: Box<dyn Shell>) -> Terminal {
        Terminal {
            shell,
            input: VecDeque::new(),
            line: Vec::new(),
            skip_lf: false,
            pager: None,
            closed: false,
        }
    }

    /// The banner and first prompt.
    pub fn greeting(&self) -> Vec<u8> {
        let mut out = self.shell.raw_banner().into_bytes();
        push_crlf(&mut out, &self.shell.greeting());
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(self.shell.prompt().as_bytes());
        out
    }

    /// True once the shell asked to end the session.
    pub fn closed(&self) -> bool {
        self.closed
    }

    /// Queues bytes typed by the client.
    pub fn push(&mut self, data: &[u8]) {
        if !self.closed {
            self.input.extend(data);
        }
    }

    /// Consumes queued input up to the next complete line.
    pub fn step(&mut self) -> Step {
        let mut out = Vec::new();
        while let Some(b) = self.input.pop_front() {
            if std::mem::take(&mut self.skip_lf) && b == b'\n' {
                continue;
            }
            if self.pager.is_some() {
                self.pager_key(b, &mut out);
                continue;
            }
            let echo = self.shell.echo();
            match b {
                b'\r' | b'\n' => {
                    self.skip_lf = b == b'\r';
                    out.extend_from_slice(b"\r\n");
                    let text = String::from_utf8_lossy(&std::mem::take(&mut self.line)).into();
                    return Step::Line(Line { echo: out, text, secret: !echo, ctrl_z: false, ctrl_c: false });
                }
                0x1a => {
                    out.extend_from_slice(b"^Z\r\n");
                    self.line.clear();
                    return Step::Line(Line {
                        echo: out,
                        text: String::new(),
                        secret: !echo,
                        ctrl_z: true,
                        ctrl_c: false,
                    });
                }
                0x03 => {
                    out.extend_from_slice(b"^C\r\n");
                    self.line.clear();
                    return Step::Line(Line {
                        echo: out,
                        text: String::new(),
                        secret: !echo,
                        ctrl_z: false,
                        ctrl_c: true,
                    });
                }
                0x08 | 0x7f => {
                    if self.line.pop().is_some() && echo {
                        out.extend_from_slice(b"\x08 \x08");
                    }
                }
                0x15 => {
                    // Ctrl-U: erase the line
                    if echo {
                        for _ in 0..self.line.len() {
                            out.extend_from_slice(b"\x08 \x08");
                        }
                    }
                    self.line.clear();
                }
                b if b < 0x20 && b != b'\t' => {}
                b => {
                    self.line.push(b);
                    if echo {
                        out.push(b);
                    }
                }
            }
        }
        Step::Idle(out)
    }

    /// Runs a line returned by [`Terminal::step`]; returns the bytes to send (answer, then
    /// the prompt or the first page and `--More--`).
    pub fn execute(&mut self, line: &Line) -> Vec<u8> {
        let reply = if line.ctrl_c {
            self.shell.ctrl_c()
        } else if line.ctrl_z {
            self.shell.ctrl_z()
        } else {
            self.shell.execute(&line.text)
        };
        let mut out = self.shell.after_enter().into_bytes();
        let mut lines: VecDeque<String> = if reply.text.is_empty() {
            VecDeque::new()
        } else {
            reply.text.split('\n').map(str::to_owned).collect()
        };
        if reply.close {
            for l in lines {
                out.extend_from_slice(l.as_bytes());
                out.extend_from_slice(b"\r\n");
            }
            self.closed = true;
            self.input.clear();
            return out;
        }
        let length = if reply.no_more { 0 } else { self.shell.page_length() };
        let page = length.saturating_sub(1).max(1);
        if length > 0 && lines.len() > page {
            let rest = lines.split_off(page);
            self.pager = Some(Pager { lines: rest });
            for l in lines {
                out.extend_from_slice(l.as_bytes());
                out.extend_from_slice(b"\r\n");
            }
            out.extend_from_slice(self.shell.more_prompt().as_bytes());
        } else {
            for l in lines {
                out.extend_from_slice(l.as_bytes());
                out.extend_from_slice(b"\r\n");
            }
            out.extend_from_slice(self.shell.prompt().as_bytes());
        }
        out
    }

    /// Runs one command outside a terminal (SSH `exec` request): answer only, `\r\n` endings.
    pub fn execute_once(&mut self, command: &str) -> Vec<u8> {
        let reply = self.shell.execute(command);
        let mut out = Vec::new();
        if !reply.text.is_empty() {
            push_crlf(&mut out, &reply.text);
            out.extend_from_slice(b"\r\n");
        }
        out
    }

    /// A key pressed at `--More--`: space = next page, Enter = one more line, anything else
    /// stops. The pager prompt is erased with backspaces first, as IOS does.
    fn pager_key(&mut self, key: u8, out: &mut Vec<u8>) {
        let Some(pager) = self.pager.as_mut() else {
            return;
        };
        let more = self.shell.more_prompt().len();
        out.extend(std::iter::repeat_n(b'\x08', more));
        out.extend(std::iter::repeat_n(b' ', more));
        out.extend(std::iter::repeat_n(b'\x08', more));
        let count = match key {
            b' ' => self.shell.page_length().saturating_sub(1).max(1),
            b'\r' | b'\n' => {
                self.skip_lf = key == b'\r';
                1
            }
            _ => {
                pager.lines.clear();
                0
            }
        };
        for _ in 0..count {
            let Some(l) = pager.lines.pop_front() else {
                break;
            };
            out.extend_from_slice(l.as_bytes());
            out.extend_from_slice(b"\r\n");
        }
        if pager.lines.is_empty() {
            self.pager = None;
            out.extend_from_slice(self.shell.prompt().as_bytes());
        } else {
            out.extend_from_slice(self.shell.more_prompt().as_bytes());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::platform::Reply;

    /// A shell that prints `n` numbered lines for the command `n`, and asks a password for `pw`.
    struct Numbers {
        secret: bool,
        length: usize,
    }

    impl Shell for Numbers {
        fn greeting(&self) -> String {
            "hello".into()
        }
        fn prompt(&self) -> String {
            if self.secret { "Password: " } else { "R1#" }.into()
        }
        fn execute(&mut self, line: &str) -> Reply {
            if std::mem::take(&mut self.secret) {
                return Reply::text(format!("secret={line}"));
            }
            if line == "pw" {
                self.secret = true;
                return Reply::empty();
            }
            if line == "nomore" {
                return Reply { no_more: true, ..Reply::text("a\nb\nc") };
            }
            if line == "exit" {
                return Reply::close("bye");
            }
            let n: usize = line.trim().parse().unwrap_or(0);
            Reply::text((1..=n).map(|i| format!("line {i}")).collect::<Vec<_>>().join("\n"))
        }
        fn ctrl_z(&mut self) -> Reply {
            Reply::text("ctrl-z")
        }
        fn echo(&self) -> bool {
            !self.secret
        }
        fn page_length(&self) -> usize {
            self.length
        }
    }

    fn terminal(length: usize) -> Terminal {
        Terminal::new(Box::new(Numbers { secret: false, length }))
    }

    /// Feeds `input` and runs every complete line; returns everything sent.
    fn feed(t: &mut Terminal, input: &[u8]) -> String {
        t.push(input);
        let mut out = Vec::new();
        loop {
            match t.step() {
                Step::Idle(bytes) => {
                    out.extend(bytes);
                    break;
                }
                Step::Line(line) => {
                    out.extend(&line.echo);
                    out.extend(t.execute(&line));
                }
            }
        }
        String::from_utf8(out).unwrap()
    }

    fn numbered(range: std::ops::RangeInclusive<usize>) -> String {
        range.map(|i| format!("line {i}\r\n")).collect()
    }

    const ERASE: &str = "\x08\x08\x08\x08\x08\x08\x08\x08\x08\x08          \
                         \x08\x08\x08\x08\x08\x08\x08\x08\x08\x08";

    #[test]
    fn greeting_echo_and_line_endings() {
        let mut t = terminal(0);
        assert_eq!(t.greeting(), b"hello\r\nR1#");
        assert_eq!(feed(&mut t, b"2\n"), format!("2\r\n{}R1#", numbered(1..=2)));
        // \r\n is one line end, even split across packets
        assert_eq!(feed(&mut t, b"1\r"), "1\r\nline 1\r\nR1#");
        assert_eq!(feed(&mut t, b"\n"), "");
        assert_eq!(feed(&mut t, b"\r\n"), "\r\nR1#");
        assert_eq!(feed(&mut t, b"\n"), "\r\nR1#");
        // partial line: echo now, answer when complete
        assert_eq!(feed(&mut t, b"1"), "1");
        assert_eq!(feed(&mut t, b"x\x7f\n"), "x\x08 \x08\r\nline 1\r\nR1#");
        // pipelined commands are answered in order
        assert_eq!(feed(&mut t, b"1\n1\n"), "1\r\nline 1\r\nR1#1\r\nline 1\r\nR1#");
        assert_eq!(feed(&mut t, b"\x1a"), "^Z\r\nctrl-z\r\nR1#");
    }

    #[test]
    fn secrets_are_not_echoed() {
        let mut t = terminal(0);
        assert_eq!(feed(&mut t, b"pw\n"), "pw\r\nPassword: ");
        t.push(b"hunter2\n");
        let Step::Line(line) = t.step() else { panic!("expected a line") };
        assert!(line.secret && !line.is_command());
        assert_eq!(line.echo, b"\r\n");
        assert_eq!(t.execute(&line), b"secret=hunter2\r\nR1#");
    }

    #[test]
    fn pager_space_enter_and_q() {
        let mut t = terminal(24);
        // 23 lines fit on one screen
        assert_eq!(feed(&mut t, b"23\n"), format!("23\r\n{}R1#", numbered(1..=23)));
        // 50 lines: 23, --More--
        let first = feed(&mut t, b"50\n");
        assert_eq!(first, format!("50\r\n{} --More-- ", numbered(1..=23)));
        // Enter: one more line
        assert_eq!(feed(&mut t, b"\r"), format!("{ERASE}{} --More-- ", numbered(24..=24)));
        // the \n of \r\n is not a second key
        assert_eq!(feed(&mut t, b"\n"), "");
        // space: next page
        assert_eq!(feed(&mut t, b" "), format!("{ERASE}{} --More-- ", numbered(25..=47)));
        // space: the rest, then the prompt
        assert_eq!(feed(&mut t, b" "), format!("{ERASE}{}R1#", numbered(48..=50)));
        // q stops
        feed(&mut t, b"30\n");
        assert_eq!(feed(&mut t, b"q"), format!("{ERASE}R1#"));
        // a reply marked no_more is not paged
        let mut short = terminal(3);
        assert_eq!(feed(&mut short, b"nomore\n"), "nomore\r\na\r\nb\r\nc\r\nR1#");
        // a key typed ahead at --More-- is consumed by the pager
        assert_eq!(
            feed(&mut t, b"30\nq1\n"),
            format!("30\r\n{} --More-- {ERASE}R1#1\r\nline 1\r\nR1#", numbered(1..=23))
        );
    }

    #[test]
    fn close_sends_the_answer_and_stops() {
        let mut t = terminal(24);
        assert_eq!(feed(&mut t, b"exit\n1\n"), "exit\r\nbye\r\n");
        assert!(t.closed());
        assert_eq!(feed(&mut t, b"1\n"), "");
        assert_eq!(terminal(0).execute_once("2"), b"line 1\r\nline 2\r\n");
    }
}
