//! Templates: finding TextFSM templates in the configured templates folder (its
//! CliTable `index` picks them by platform and command), turning a job's
//! `parsing` option into the template texts the parser component receives, and
//! rendering Jinja2 configuration (`rendering`).

mod library;
mod render;

pub use crate::model::NamedTemplate;
pub use library::{LookupError, Templates};
pub use render::{RenderBudget, RenderError, render, render_off_thread, render_within, run_budgeted};

use serde_json::Value;
use serde_json::value::RawValue;

use crate::plugin::ParserPlugin;

/// Why output could not be turned into records.
#[derive(Debug, thiserror::Error)]
pub enum ParseFailure {
    /// The template is wrong, or its `Error` action fired: the message names the
    /// template and its line.
    #[error("{0}")]
    Template(String),
    /// The parser component itself failed (trap, deadline, bad output).
    #[error("{0}")]
    Plugin(String),
}

/// Parse `output` with `templates` through `parser` (blocking: call it off the
/// async threads). Returns the records as the component wrote them (checked to be
/// JSON, never rebuilt as values: a job stores them as they are). `ntc` (a
/// template resolved through the CliTable index) applies ntc-templates'
/// conventions: see [`ntc_convention`].
pub fn parse_records(
    parser: &ParserPlugin,
    templates: &[&NamedTemplate],
    platform: &str,
    command: &str,
    output: &str,
    ntc: bool,
) -> Result<Box<RawValue>, ParseFailure> {
    parse_records_within(parser, templates, platform, command, output, ntc, None)
}

/// [`parse_records`] with a CPU deadline shorter than the plugin's.
pub fn parse_records_within(
    parser: &ParserPlugin,
    templates: &[&NamedTemplate],
    platform: &str,
    command: &str,
    output: &str,
    ntc: bool,
    deadline: Option<std::time::Duration>,
) -> Result<Box<RawValue>, ParseFailure> {
    let texts: Vec<String> = templates.iter().map(|t| t.text.clone()).collect();
    let json = match parser.parse_within(&texts, platform, command, output, deadline) {
        Err(call) => {
            let names: Vec<&str> = templates.iter().map(|t| t.name.as_str()).collect();
            return Err(ParseFailure::Plugin(format!("parsing with {}: {call}", names.join(", "))));
        }
        Ok(Err(e)) => {
            let name = templates.get(e.template as usize).map(|t| t.name.as_str()).unwrap_or("template");
            let at = e.line.map(|l| format!(" line {l}")).unwrap_or_default();
            return Err(ParseFailure::Template(format!("{name}{at}: {}", e.message)));
        }
        Ok(Ok(json)) => json,
    };
    let invalid = |e: serde_json::Error| {
        ParseFailure::Plugin(format!("parser {} returned invalid JSON: {e}", parser.meta.name))
    };
    let records = RawValue::from_string(json).map_err(invalid)?;
    if ntc { ntc_convention(records).map_err(invalid) } else { Ok(records) }
}

/// What `ntc_templates.parse_output` returns for the same records: the keys of
/// each record (each object directly inside the top-level array) lower-cased,
/// and every List item a string, as CliTable's table rows hold them (Python's
/// `str()`: an unmatched optional group is `"None"`, a named-group item the
/// Python repr of its dict). Objects deeper down keep their keys. `json` is
/// valid JSON.
fn ntc_convention(json: Box<RawValue>) -> Result<Box<RawValue>, serde_json::Error> {
    let mut text = String::from(Box::<str>::from(json));
    // Only List items can be null or objects (the fast path keeps the text).
    let plain_items = !text.contains("null") && !text.contains(":[{");
    if plain_items && lower_ascii_keys(&mut text) {
        return RawValue::from_string(text);
    }
    // A key with an escape or a non-ASCII letter is lower-cased as Python does it.
    let mut records: Value = serde_json::from_str(&text)?;
    for record in records.as_array_mut().into_iter().flatten() {
        if let Value::Object(m) = record {
            *m = std::mem::take(m)
                .into_iter()
                .map(|(k, mut v)| {
                    for item in v.as_array_mut().into_iter().flatten() {
                        if !item.is_string() {
                            *item = Value::String(python_str(item));
                        }
                    }
                    (k.to_lowercase(), v)
                })
                .collect();
        }
    }
    serde_json::value::to_raw_value(&records)
}

/// Python's `str()` of a parsed value: `None`, a string as is, a dict as its repr.
fn python_str(v: &Value) -> String {
    match v {
        Value::Null => "None".into(),
        Value::String(s) => s.clone(),
        Value::Bool(b) => if *b { "True" } else { "False" }.into(),
        Value::Number(n) => n.to_string(),
        Value::Array(items) => {
            let inner: Vec<String> = items.iter().map(python_repr).collect();
            format!("[{}]", inner.join(", "))
        }
        Value::Object(m) => {
            let inner: Vec<String> =
                m.iter().map(|(k, v)| format!("{}: {}", python_str_repr(k), python_repr(v))).collect();
            format!("{{{}}}", inner.join(", "))
        }
    }
}

/// Python's `repr()` of a parsed value.
fn python_repr(v: &Value) -> String {
    match v {
        Value::String(s) => python_str_repr(s),
        other => python_str(other),
    }
}

/// Python's `repr()` of a string: single quotes unless it holds one and no double
/// quote; backslash, the quote and control characters escaped.
fn python_str_repr(s: &str) -> String {
    let quote = if s.contains('\'') && !s.contains('"') { '"' } else { '\'' };
    let mut out = String::with_capacity(s.len() + 2);
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if (c as u32) < 0x20 || (0x7f..0xa0).contains(&(c as u32)) => {
                out.push_str(&format!("\\x{:02x}", c as u32))
            }
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}

/// Lower-case the record keys of `json` (valid JSON) in place, in one pass over
/// its bytes. False (with `json` partly changed) when a key has an escape or a
/// non-ASCII byte: those need decoding first.
fn lower_ascii_keys(json: &mut str) -> bool {
    let bytes = |s: &str, i: usize| s.as_bytes()[i];
    let (mut i, n) = (0, json.len());
    // Containers open around the current byte; whether the top level is an array
    // and the one at depth 2 an object (a record).
    let (mut depth, mut top_array, mut in_record) = (0usize, false, false);
    // In a record, where a key comes next (after `{` or `,`).
    let mut key_next = false;
    while i < n {
        match bytes(json, i) {
            b'"' => {
                let start = i + 1;
                i = start;
                let mut plain = true;
                loop {
                    match bytes(json, i) {
                        b'"' => break,
                        b'\\' => {
                            plain = false;
                            i += 1;
                        }
                        b if b >= 0x80 => plain = false,
                        _ => {}
                    }
                    i += 1;
                }
                if key_next && depth == 2 && in_record {
                    if !plain {
                        return false;
                    }
                    json[start..i].make_ascii_lowercase();
                }
                key_next = false;
            }
            open @ (b'[' | b'{') => {
                depth += 1;
                match depth {
                    1 => top_array = open == b'[',
                    2 => in_record = top_array && open == b'{',
                    _ => {}
                }
                key_next = depth == 2 && in_record;
            }
            b']' | b'}' => depth -= 1,
            b',' => key_next = depth == 2 && in_record,
            _ => {}
        }
        i += 1;
    }
    true
}

#[cfg(test)]
mod tests {
    use super::ntc_convention as lower_record_keys;
    use serde_json::value::RawValue;
    use serde_json::{Value, json};

    fn lowered(text: &str) -> Value {
        let raw = lower_record_keys(RawValue::from_string(text.to_string()).unwrap()).unwrap();
        serde_json::from_str(raw.get()).unwrap()
    }

    #[test]
    fn record_keys_are_lowered_and_the_rest_kept() {
        let text =
            r#"[{"Name":"Gi0/1","LIST":["X", ""]}, {"A": {"B": "{\"Q\": [\"R\"]}"}}, [{"C": 1}], "D"]"#;
        assert_eq!(
            lowered(text),
            json!([{"name": "Gi0/1", "list": ["X", ""]}, {"a": {"B": "{\"Q\": [\"R\"]}"}}, [{"C": 1}], "D"])
        );
    }

    #[test]
    fn list_items_are_the_strings_clitable_gives() {
        let text = r#"[{"NEXTHOP":["10.0.0.1", null],"GROUPS":[{"Ip":"1.1.1.1","If":null},{"Ip":"it's","If":"a\tb\\"}]}]"#;
        assert_eq!(
            lowered(text),
            json!([{
                "nexthop": ["10.0.0.1", "None"],
                "groups": ["{'Ip': '1.1.1.1', 'If': None}", "{'Ip': \"it's\", 'If': 'a\\tb\\\\'}"]
            }])
        );
    }

    #[test]
    fn keys_that_need_decoding_are_lowered_as_python_does() {
        assert_eq!(
            lowered(r#"[{"\u0041B": 1, "ÉTAT": "UP"}, {"X\"Y": 2}]"#),
            json!([{"ab": 1, "état": "UP"}, {"x\"y": 2}])
        );
    }

    #[test]
    fn a_top_level_object_keeps_its_keys() {
        assert_eq!(lowered(r#"{"A": [{"B": 1}]}"#), json!({"A": [{"B": 1}]}));
    }
}
