//! Templates: finding TextFSM templates in the configured templates folder (its
//! CliTable `index` picks them by platform and command), turning a job's
//! `parsing` option into the template texts the parser component receives, and
//! rendering Jinja2 configuration (`rendering`).

mod library;
mod render;

pub use library::{LookupError, NamedTemplate, Templates};
pub use render::{RenderError, render};

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
/// JSON, never rebuilt as values: a job stores them as they are), with each
/// record's keys lower-cased when asked.
pub fn parse_records(
    parser: &ParserPlugin,
    templates: &[&NamedTemplate],
    platform: &str,
    command: &str,
    output: &str,
    lower_keys: bool,
) -> Result<Box<RawValue>, ParseFailure> {
    let texts: Vec<String> = templates.iter().map(|t| t.text.clone()).collect();
    let json = match parser.parse(&texts, platform, command, output) {
        Err(call) => return Err(ParseFailure::Plugin(call.to_string())),
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
    if lower_keys { lower_record_keys(records).map_err(invalid) } else { Ok(records) }
}

/// Lower-case the keys of each record (each object directly inside the top-level
/// array), as ntc-templates returns them. Objects deeper down (from a List
/// value's named groups) keep their keys. `json` is valid JSON.
fn lower_record_keys(json: Box<RawValue>) -> Result<Box<RawValue>, serde_json::Error> {
    let mut text = String::from(Box::<str>::from(json));
    if lower_ascii_keys(&mut text) {
        return RawValue::from_string(text);
    }
    // A key with an escape or a non-ASCII letter: lower-cased as Python does it.
    let mut records: Value = serde_json::from_str(&text)?;
    for record in records.as_array_mut().into_iter().flatten() {
        if let Value::Object(m) = record {
            *m = std::mem::take(m).into_iter().map(|(k, v)| (k.to_lowercase(), v)).collect();
        }
    }
    serde_json::value::to_raw_value(&records)
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
    use super::lower_record_keys;
    use serde_json::value::RawValue;
    use serde_json::{Value, json};

    fn lowered(text: &str) -> Value {
        let raw = lower_record_keys(RawValue::from_string(text.to_string()).unwrap()).unwrap();
        serde_json::from_str(raw.get()).unwrap()
    }

    #[test]
    fn record_keys_are_lowered_and_the_rest_kept() {
        let text = r#"[{"Name":"Gi0/1","LIST":[{"Inner":1}, null, true, 2.5, "X"]}, {"A": {"B": "{\"Q\": [\"R\"]}"}}, [{"C": 1}], "D"]"#;
        assert_eq!(
            lowered(text),
            json!([{"name": "Gi0/1", "list": [{"Inner": 1}, null, true, 2.5, "X"]}, {"a": {"B": "{\"Q\": [\"R\"]}"}}, [{"C": 1}], "D"])
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
