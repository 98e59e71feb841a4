//! Test-only parser component `upper`: answers one record, `{"text": <output
//! upper-cased>}`, whatever the templates. The plugin reload tests drop it into a
//! plugins folder to see a new parser name appear without a restart.

wit_bindgen::generate!({ path: "../../../wit", world: "parser" });

use exports::netpulse::plugin::parser_api::{Guest, ParseError};
use netpulse::plugin::types::PluginMeta;

struct Upper;

impl Guest for Upper {
    fn metadata() -> PluginMeta {
        PluginMeta {
            name: "upper".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            wit_version: "0.2.0".into(),
            platforms: vec!["upper".into()],
        }
    }

    fn parse(_: Vec<String>, _: String, _: String, output: String) -> Result<String, ParseError> {
        let text: String =
            output.to_uppercase().chars().filter(|c| *c != '"' && *c != '\\' && !c.is_control()).collect();
        Ok(format!("[{{\"text\":\"{text}\"}}]"))
    }
}

export!(Upper);
