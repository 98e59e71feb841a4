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
    let mut records: Value = serde_json::from_str(&json).map_err(|e| {
        ParseFailure::Plugin(format!("parser {} returned invalid JSON: {e}", parser.meta.name))
    })?;
    if lower_keys && let Value::Array(rows) = &mut records {
        for row in rows {
            if let Value::Object(m) = row {
                *m = std::mem::take(m).into_iter().map(|(k, v)| (k.to_lowercase(), v)).collect();
            }
        }
    }
    Ok(records)
}
