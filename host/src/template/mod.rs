//! Templates: finding TextFSM templates in the configured templates folder (its
//! CliTable `index` picks them by platform and command), turning a job's
//! `parsing` option into the template texts the parser component receives, and
//! rendering Jinja2 configuration (`rendering`).

mod library;
mod render;

pub use library::{LookupError, NamedTemplate, Templates};
pub use render::{RenderError, render};

use serde_json::Value;

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
/// async threads). Returns the records as JSON, keys lower-cased when asked.
pub fn parse_records(
    parser: &ParserPlugin,
    templates: &[&NamedTemplate],
    platform: &str,
    command: &str,
    output: &str,
    lower_keys: bool,
) -> Result<Value, ParseFailure> {
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
    if !lower_keys {
        return serde_json::from_str(&json).map_err(invalid);
    }
    let mut de = serde_json::Deserializer::from_str(&json);
    let records = serde::de::DeserializeSeed::deserialize(KeysLowered { depth: 0, keys: 0 }, &mut de)
        .map_err(invalid)?;
    de.end().map_err(invalid)?;
    Ok(records)
}

/// Reads the records (a JSON array of objects) into a [`Value`] with each
/// record's keys lower-cased on the way, as ntc-templates returns them (objects
/// inside a record, from a List value's named groups, keep their keys), without
/// building the records twice.
struct KeysLowered {
    /// 0: the array of records; 1: a record.
    depth: u8,
    /// Room to make for a record's keys (the previous record's count).
    keys: usize,
}

impl<'de> serde::de::DeserializeSeed<'de> for KeysLowered {
    type Value = Value;
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> serde::de::Visitor<'de> for KeysLowered {
    type Value = Value;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("JSON")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_string()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        if self.depth == 0 {
            let mut keys = 0;
            while let Some(v) = seq.next_element_seed(KeysLowered { depth: 1, keys })? {
                keys = v.as_object().map_or(0, |o| o.len());
                out.push(v);
            }
        } else {
            while let Some(v) = seq.next_element::<Value>()? {
                out.push(v);
            }
        }
        Ok(Value::Array(out))
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut out = serde_json::Map::with_capacity(self.keys);
        while let Some(k) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            let v = map.next_value::<Value>()?;
            let k = match k {
                k if self.depth != 1 => k.into_owned(),
                k if k.is_ascii() => {
                    let mut k = k.into_owned();
                    k.make_ascii_lowercase();
                    k
                }
                k => k.to_lowercase(),
            };
            out.insert(k, v);
        }
        Ok(Value::Object(out))
    }
}

#[cfg(test)]
mod tests {
    use super::KeysLowered;
    use serde::de::DeserializeSeed;
    use serde_json::json;

    #[test]
    fn record_keys_are_lowered_and_the_rest_kept() {
        let text = r#"[{"Name":"Gi0/1","LIST":[{"Inner":1}, null, true, 2.5, "X"]}, {"A": {"B": 1}}]"#;
        let mut de = serde_json::Deserializer::from_str(text);
        let v = KeysLowered { depth: 0, keys: 0 }.deserialize(&mut de).unwrap();
        assert_eq!(
            v,
            json!([{"name": "Gi0/1", "list": [{"Inner": 1}, null, true, 2.5, "X"]}, {"a": {"B": 1}}])
        );
    }
}
