//! What a request may carry toward a device: no control characters a line
//! editor acts on (they would make the device run something other than what
//! the job records), and sizes that keep Redis and listings bounded. Every
//! refusal names the field, the line and the character or limit.

use serde_json::Value;

/// Sizes a job may have (settings `limits.*`).
pub use crate::config::LimitSettings as Limits;

/// The name of a control character, as Unicode abbreviates it.
fn control_name(c: char) -> &'static str {
    const C0: [&str; 32] = [
        "NUL", "SOH", "STX", "ETX", "EOT", "ENQ", "ACK", "BEL", "BS", "HT", "LF", "VT", "FF", "CR", "SO",
        "SI", "DLE", "DC1", "DC2", "DC3", "DC4", "NAK", "SYN", "ETB", "CAN", "EM", "SUB", "ESC", "FS", "GS",
        "RS", "US",
    ];
    const C1: [&str; 32] = [
        "PAD", "HOP", "BPH", "NBH", "IND", "NEL", "SSA", "ESA", "HTS", "HTJ", "VTS", "PLD", "PLU", "RI",
        "SS2", "SS3", "DCS", "PU1", "PU2", "STS", "CCH", "MW", "SPA", "EPA", "SOS", "SGCI", "SCI", "CSI",
        "ST", "OSC", "PM", "APC",
    ];
    match c as u32 {
        n @ 0..=0x1f => C0[n as usize],
        0x7f => "DEL",
        n @ 0x80..=0x9f => C1[(n - 0x80) as usize],
        0x2028 => "LINE SEPARATOR",
        0x2029 => "PARAGRAPH SEPARATOR",
        _ => "control character",
    }
}

/// True for what a device's line editor may act on: C0 but tab, DEL, C1, and
/// the Unicode line and paragraph separators.
pub fn is_forbidden(c: char) -> bool {
    (c < ' ' && c != '\t') || ('\u{7f}'..='\u{9f}').contains(&c) || c == '\u{2028}' || c == '\u{2029}'
}

/// Refuse `text` (the value of `field`) if it holds a forbidden character:
/// "`config[3]` contains U+001A (SUB) at column 11".
pub fn check_text(field: &str, text: &str) -> Result<(), String> {
    match text.chars().enumerate().find(|(_, c)| is_forbidden(*c)) {
        None => Ok(()),
        Some((col, c)) => Err(format!(
            "`{field}` contains U+{:04X} ({}) at column {}: control characters are not sent to devices",
            c as u32,
            control_name(c),
            col + 1
        )),
    }
}

/// Check every string inside a JSON value sent to the device (`driver_args`).
pub fn check_value(field: &str, v: &Value) -> Result<(), String> {
    match v {
        Value::String(s) => check_text(field, s),
        Value::Array(items) => {
            items.iter().enumerate().try_for_each(|(i, item)| check_value(&format!("{field}[{i}]"), item))
        }
        Value::Object(m) => m.iter().try_for_each(|(k, item)| {
            check_text(&format!("{field} key"), k)?;
            check_value(&format!("{field}.{k}"), item)
        }),
        _ => Ok(()),
    }
}

/// Check the lines of `field` (commands or configuration): characters and sizes.
pub fn check_lines(field: &str, lines: &[String], limits: &Limits) -> Result<(), String> {
    if lines.len() > limits.max_lines {
        return Err(format!(
            "`{field}` has {} lines; a job takes at most {} (setting `limits.max_lines`)",
            lines.len(),
            limits.max_lines
        ));
    }
    for (i, line) in lines.iter().enumerate() {
        if line.len() > limits.max_line_bytes {
            return Err(format!(
                "`{field}[{i}]` is {} bytes; a line may have at most {} (setting `limits.max_line_bytes`)",
                line.len(),
                limits.max_line_bytes
            ));
        }
        check_text(&format!("{field}[{i}]"), line)?;
    }
    Ok(())
}

/// Field names for a log line: escaped, at most `n` of them, and how many more.
pub fn summarise_names<'a>(names: impl Iterator<Item = &'a String>, n: usize) -> String {
    let all: Vec<&String> = names.collect();
    let shown: Vec<String> =
        all.iter().take(n).map(|k| format!("{:?}", crate::api::limits::clip(k, 64))).collect();
    let more = all.len().saturating_sub(n);
    if more > 0 { format!("{} and {more} more", shown.join(", ")) } else { shown.join(", ") }
}

/// At most `n` characters of `s`.
pub fn clip(s: &str, n: usize) -> &str {
    s.char_indices().nth(n).map_or(s, |(i, _)| &s[..i])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_named_with_their_column() {
        assert_eq!(
            check_text("config[3]", "interface\u{1a}write").unwrap_err(),
            "`config[3]` contains U+001A (SUB) at column 10: control characters are not sent to devices"
        );
        for (c, name) in [
            ('\u{0}', "NUL"),
            ('\u{15}', "NAK"),
            ('\u{7f}', "DEL"),
            ('\u{8}', "BS"),
            ('\u{85}', "NEL"),
            ('\u{9b}', "CSI"),
            ('\u{2028}', "LINE SEPARATOR"),
            ('\u{2029}', "PARAGRAPH SEPARATOR"),
        ] {
            let e = check_text("command", &format!("show{c}")).unwrap_err();
            assert!(e.contains(&format!("U+{:04X} ({name}) at column 5", c as u32)), "{e}");
        }
        assert!(check_text("command", "show\tinterfaces ñ ü €").is_ok());
    }

    #[test]
    fn values_and_sizes() {
        let v = serde_json::json!({"comment": ["ok", "bad\u{3}"]});
        assert!(
            check_value("driver_args", &v)
                .unwrap_err()
                .contains("`driver_args.comment[1]` contains U+0003 (ETX)")
        );
        let limits = Limits { max_line_bytes: 4, max_lines: 2, max_rendered_bytes: 8 };
        assert!(
            check_lines("config", &vec!["a".to_string(); 3], &limits)
                .unwrap_err()
                .contains("limits.max_lines")
        );
        assert!(
            check_lines("config", &["abcde".into()], &limits).unwrap_err().contains("limits.max_line_bytes")
        );
        assert_eq!(summarise_names(["a\nb".to_string(), "c".to_string()].iter(), 1), "\"a\\nb\" and 1 more");
    }
}
