//! The driver author's kit: bindings for the current `netpulse:plugin` WIT package
//! (`wit/netpulse-plugin.wit`, driver world) and the text and session helpers every
//! vendor driver needs. A driver built with it runs on hosts of this contract
//! version or later (hosts keep the older versions in `wit/since_v*/`).
//!
//! A driver crate implements [`Guest`] and calls `netpulse_driver_kit::export!(MyDriver);`.

wit_bindgen::generate!({
    path: "../../wit",
    world: "driver",
    pub_export_macro: true,
    default_bindings_module: "netpulse_driver_kit",
});

pub use exports::netpulse::plugin::driver_api::{
    CommandOptions, ConfigOptions, ConfigReply, Guest, SessionOptions, SessionState,
};
pub use netpulse::plugin::channel::{self, LogLevel, ReadError, ReadMatch};
pub use netpulse::plugin::types::{DriverError, PluginMeta};

pub mod cli;

/// The WIT package version this kit was built from (`package netpulse:plugin@...`
/// in `wit/netpulse-plugin.wit`; a unit test checks they agree).
pub const WIT_VERSION: &str = "0.2.0";

/// Write `line` followed by a newline.
pub fn send_line(line: &str) -> Result<(), DriverError> {
    channel::write(&format!("{line}\n")).map_err(DriverError::Connection)
}

/// Read until `pattern` matches, mapping channel errors to driver errors.
/// `what` names what we waited for, for the error message, which shows the tail
/// of what the device sent as it came (escaped), not a cleaned version of it.
pub fn read_until(pattern: &str, timeout_ms: u32, what: &str) -> Result<ReadMatch, DriverError> {
    channel::read_until(pattern, timeout_ms).map_err(|e| match e {
        ReadError::Timeout(seen) => DriverError::Timeout(format!(
            "no {what} within {:.1} s; the device's last output: {}",
            f64::from(timeout_ms) / 1000.0,
            escape_raw(&seen, 200)
        )),
        ReadError::Closed(seen) => DriverError::Connection(format!(
            "the device closed the session while we waited for {what}; its last output: {}",
            escape_raw(&seen, 200)
        )),
        ReadError::BadPattern(msg) => DriverError::Protocol(format!("bad pattern for {what}: {msg}")),
    })
}

/// The last `n` characters of `raw` as a quoted, escaped string (`"\r\n"`,
/// `"\u{1b}"`), or `nothing` when it is empty.
pub fn escape_raw(raw: &str, n: usize) -> String {
    if raw.is_empty() { "nothing".to_string() } else { format!("{:?}", tail(raw, n)) }
}

/// Normalise device text as a terminal would show it: CRLF to LF, ANSI escape
/// sequences removed (cursor-back `ESC[nD` erases like backspaces), backspaces
/// applied, and a lone carriage return going back to the start of the line (how
/// pagers erase their prompt).
pub fn clean(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\x1b' => {
                // CSI: ESC [ params final-byte; other escapes: ESC + one char.
                if chars.peek() == Some(&'[') {
                    chars.next();
                    let mut params = String::new();
                    for n in chars.by_ref() {
                        if ('@'..='~').contains(&n) {
                            if n == 'D' {
                                let count = params.parse::<usize>().unwrap_or(1);
                                for _ in 0..count {
                                    out.pop();
                                }
                            }
                            break;
                        }
                        params.push(n);
                    }
                } else {
                    chars.next();
                }
            }
            '\x08' => {
                out.pop();
            }
            '\r' => {
                if !matches!(chars.peek(), Some('\r' | '\n') | None) {
                    let start = out.rfind('\n').map(|i| i + 1).unwrap_or(0);
                    out.truncate(start);
                }
            }
            '\x07' | '\0' => {}
            _ => out.push(c),
        }
    }
    out
}

/// Remove the echoed command (the first line, when it carries the command).
pub fn strip_echo<'a>(output: &'a str, command: &str) -> &'a str {
    let (first, rest) = match output.find('\n') {
        Some(i) => (&output[..i], &output[i + 1..]),
        None => (output, ""),
    };
    let cmd = command.trim();
    let echoed = if cmd.is_empty() { first.trim().is_empty() } else { first.trim_end().ends_with(cmd) };
    if echoed { rest } else { output }
}

/// The last `n` characters of `s`.
pub fn tail(s: &str, n: usize) -> &str {
    let count = s.chars().count();
    if count <= n {
        return s;
    }
    let skip = s.char_indices().nth(count - n).map(|(i, _)| i).unwrap_or(0);
    &s[skip..]
}

/// Escape regex metacharacters in `s`.
pub fn escape_regex(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if "\\.+*?()|[]{}^$#&-~".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Find the first line of `output` that starts (after blanks) with one of `markers`,
/// compared without case (platforms vary: `unknown command` / `Unknown command`);
/// returns that line and everything after it, trimmed.
pub fn find_error<'a>(output: &'a str, markers: &[&str]) -> Option<&'a str> {
    let mut offset = 0;
    for line in output.split_inclusive('\n') {
        let t = line.trim_start();
        if markers.iter().any(|m| t.get(..m.len()).is_some_and(|head| head.eq_ignore_ascii_case(m))) {
            return Some(output[offset + (line.len() - t.len())..].trim_end());
        }
        offset += line.len();
    }
    None
}

/// A boolean vendor option from `extra` driver_args (JSON `true`/`false`).
pub fn extra_bool(extra: &[(String, String)], key: &str) -> bool {
    extra.iter().any(|(k, v)| k == key && v.trim() == "true")
}

/// A string vendor option from `extra` driver_args (a JSON string is unquoted).
pub fn extra_str(extra: &[(String, String)], key: &str) -> Option<String> {
    extra.iter().find(|(k, _)| k == key).map(|(_, v)| {
        let v = v.trim();
        v.strip_prefix('"').and_then(|s| s.strip_suffix('"')).unwrap_or(v).to_string()
    })
}

impl CommandOptions {
    /// A boolean vendor option of this command's `driver_args` (see [`extra_bool`]).
    pub fn extra_bool(&self, key: &str) -> bool {
        extra_bool(&self.extra, key)
    }

    /// A string vendor option of this command's `driver_args` (see [`extra_str`]).
    pub fn extra_str(&self, key: &str) -> Option<String> {
        extra_str(&self.extra, key)
    }
}

impl ConfigOptions {
    /// A boolean vendor option of this change's `driver_args` (see [`extra_bool`]).
    pub fn extra_bool(&self, key: &str) -> bool {
        extra_bool(&self.extra, key)
    }

    /// A string vendor option of this change's `driver_args` (see [`extra_str`]).
    pub fn extra_str(&self, key: &str) -> Option<String> {
        extra_str(&self.extra, key)
    }
}

/// Log through the host.
pub fn log(level: LogLevel, message: &str) {
    channel::log(level, message);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_strips_ansi_cr_and_backspaces() {
        assert_eq!(
            clean("a\x1b[0mb\r\nc\r\n --More-- \x08\x08\x08\x08\x08\x08\x08\x08\x08\x08d"),
            "ab\nc\nd"
        );
        assert_eq!(clean("x\r\n---(more)---\r            \rnext\r\r\n"), "x\nnext\n");
        assert_eq!(clean("  ---- More ----\x1b[16D                \x1b[16Dline"), "line");
    }

    #[test]
    fn strip_echo_removes_command_line_only() {
        assert_eq!(strip_echo("show ver\nout\n", "show ver"), "out\n");
        assert_eq!(strip_echo("out\n", "show ver"), "out\n");
    }

    #[test]
    fn wit_version_is_the_wit_package_version() {
        let wit = include_str!("../../../wit/netpulse-plugin.wit");
        assert!(
            wit.contains(&format!("\npackage netpulse:plugin@{WIT_VERSION};\n")),
            "WIT_VERSION {WIT_VERSION}"
        );
    }

    #[test]
    fn command_options_read_vendor_args() {
        let o = CommandOptions {
            read_timeout_ms: 1000,
            expect_string: None,
            strip_prompt: true,
            strip_command: true,
            extra: vec![("confirm".into(), "true".into()), ("mode".into(), "\"shell\"".into())],
        };
        assert!(o.extra_bool("confirm") && !o.extra_bool("mode") && !o.extra_bool("absent"));
        assert_eq!(o.extra_str("mode").as_deref(), Some("shell"));
        assert_eq!(o.extra_str("absent"), None);
    }

    #[test]
    fn find_error_returns_from_marker() {
        let out = "   ^\n% Invalid input detected at '^' marker.\n";
        assert_eq!(find_error(out, &["% Invalid"]), Some("% Invalid input detected at '^' marker."));
        assert_eq!(find_error("x\nUnknown command.\n", &["unknown command"]), Some("Unknown command."));
        assert_eq!(find_error("é\n", &["e"]), None);
    }

    #[test]
    fn escape_raw_shows_control_characters() {
        assert_eq!(escape_raw("", 10), "nothing");
        assert_eq!(escape_raw("ab\x1b[?2004h$ ", 10), "\"\\u{1b}[?2004h$ \"");
    }
}
