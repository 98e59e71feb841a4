//! `Vt100Filter`: what a terminal would make of a device's byte stream, before any
//! pattern sees it. Escape sequences are removed (colours, cursor moves, bracketed
//! paste `ESC[?2004h`, `ESC[K` line erases, OSC titles, keypad modes), cursor-back
//! `ESC[nD` becomes `n` backspaces (pagers erase their prompt with it), `ESC E`
//! becomes a newline, and NUL and BEL are dropped. Carriage returns and backspaces
//! stay for the driver, which applies them to its text. Sequences split across
//! reads are held until they complete.

/// A streaming filter; feed it every chunk in order.
#[derive(Debug, Default)]
pub struct Vt100Filter {
    state: State,
    /// Parameter bytes of the CSI sequence being read (digits and `;` only kept).
    params: Vec<u8>,
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
enum State {
    #[default]
    Text,
    /// After ESC.
    Escape,
    /// After `ESC [`: parameters until a final byte.
    Csi,
    /// After `ESC ]` (or `ESC P`, `ESC _`, `ESC ^`): a string ended by BEL or `ESC \`.
    Str,
    /// ESC seen inside a string: `\` ends it.
    StrEscape,
    /// After `ESC (`, `ESC )`, `ESC #` ...: one more byte names a character set.
    Charset,
}

/// The longest parameter list kept; longer ones are garbage, not sequences.
const MAX_PARAMS: usize = 32;

impl Vt100Filter {
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends the filtered form of `input` to `out`.
    pub fn feed(&mut self, input: &[u8], out: &mut Vec<u8>) {
        out.reserve(input.len());
        for &b in input {
            match self.state {
                State::Text => match b {
                    0x1b => self.state = State::Escape,
                    // C1 CSI as one byte is not used by devices (it would be UTF-8 here).
                    0x00 | 0x07 => {}
                    _ => out.push(b),
                },
                State::Escape => {
                    self.state = match b {
                        b'[' => {
                            self.params.clear();
                            State::Csi
                        }
                        b']' | b'P' | b'_' | b'^' | b'X' => State::Str,
                        b'(' | b')' | b'*' | b'+' | b'#' | b'%' => State::Charset,
                        b'E' => {
                            out.extend_from_slice(b"\r\n");
                            State::Text
                        }
                        // ESC ESC: the first was stray; the second starts anew.
                        0x1b => State::Escape,
                        // `ESC 7`, `ESC 8`, `ESC =`, `ESC >`, `ESC M`, ...: dropped.
                        _ => State::Text,
                    }
                }
                State::Csi => match b {
                    0x40..=0x7e => {
                        if b == b'D' {
                            let n = std::str::from_utf8(&self.params)
                                .ok()
                                .and_then(|p| p.parse::<usize>().ok())
                                .unwrap_or(1)
                                .clamp(1, 1024);
                            out.extend(std::iter::repeat_n(0x08, n));
                        }
                        self.state = State::Text;
                    }
                    0x20..=0x3f => {
                        if self.params.len() < MAX_PARAMS {
                            self.params.push(b);
                        } else {
                            // Not a terminal sequence after all: show what it was.
                            self.state = State::Text;
                        }
                    }
                    // A control byte inside a sequence ends it (as terminals do).
                    _ => {
                        self.state = State::Text;
                        if b != 0x1b {
                            out.push(b);
                        } else {
                            self.state = State::Escape;
                        }
                    }
                },
                State::Str => match b {
                    0x07 => self.state = State::Text,
                    0x1b => self.state = State::StrEscape,
                    _ => {}
                },
                State::StrEscape => self.state = if b == b'\\' { State::Text } else { State::Str },
                State::Charset => self.state = State::Text,
            }
        }
    }

    /// The filtered form of one complete text (tests and one-off use).
    #[cfg(test)]
    pub fn filter(input: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        Vt100Filter::new().feed(input, &mut out);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(s: &str) -> String {
        String::from_utf8(Vt100Filter::filter(s.as_bytes())).unwrap()
    }

    #[test]
    fn removes_colours_bracketed_paste_and_line_erases() {
        assert_eq!(f("\x1b[?2004hadmin@host:~$ "), "admin@host:~$ ");
        assert_eq!(f("uname\r\n\x1b[?2004l\rLinux\r\n"), "uname\r\n\rLinux\r\n");
        assert_eq!(f("\x1b[1;32mR1\x1b[0m#"), "R1#");
        assert_eq!(f("\r\x1b[Kswitch# "), "\rswitch# ");
        assert_eq!(f("\x1b]0;admin@host: ~\x07admin@host:~$ "), "admin@host:~$ ");
        assert_eq!(f("\x1b]2;title\x1b\\$ "), "$ ");
        assert_eq!(f("\x1b(Bplain\x1b=\x1b>"), "plain");
        assert_eq!(f("a\x00b\x07c"), "abc");
    }

    #[test]
    fn cursor_back_becomes_backspaces() {
        assert_eq!(f("----\x1b[4D    \x1b[4Dx"), "----\x08\x08\x08\x08    \x08\x08\x08\x08x");
        assert_eq!(f("ab\x1b[Dc"), "ab\x08c");
    }

    #[test]
    fn sequences_split_across_reads_are_joined() {
        let mut filter = Vt100Filter::new();
        let mut out = Vec::new();
        for chunk in ["R1\x1b", "[0", ";3", "2m#", " \x1b]0;t", "itle\x07x"] {
            filter.feed(chunk.as_bytes(), &mut out);
        }
        assert_eq!(String::from_utf8(out).unwrap(), "R1# x");
    }

    #[test]
    fn text_with_brackets_and_escape_like_words_is_kept() {
        assert_eq!(f("[edit]\r\n{master:0}\r\nuser@r1> "), "[edit]\r\n{master:0}\r\nuser@r1> ");
        assert_eq!(f("50% [=====>   ]"), "50% [=====>   ]");
    }
}
