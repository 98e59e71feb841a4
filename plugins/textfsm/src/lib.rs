//! The built-in `textfsm` parser component: runs the TextFSM engine
//! (`netpulse-textfsm`) on the text the host passes in. The instance keeps the
//! templates it compiled, keyed by their text, so a host that reuses instances
//! compiles a template once.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use netpulse_textfsm::{Template, merge};

wit_bindgen::generate!({ path: "../../wit", world: "parser" });

use exports::netpulse::plugin::parser_api::{Guest, ParseError};
use netpulse::plugin::types::PluginMeta;

/// Compiled templates kept by one instance.
const CACHE_LIMIT: usize = 512;

thread_local! {
    static CACHE: RefCell<HashMap<String, Rc<Template>>> = RefCell::new(HashMap::new());
}

fn compiled(text: &str, index: u32) -> Result<Rc<Template>, ParseError> {
    if let Some(t) = CACHE.with(|c| c.borrow().get(text).cloned()) {
        return Ok(t);
    }
    let t = Rc::new(Template::new(text).map_err(|e| ParseError {
        message: format!("template error: {}", e.message),
        template: index,
        line: e.line,
    })?);
    CACHE.with(|c| {
        let mut c = c.borrow_mut();
        if c.len() >= CACHE_LIMIT {
            c.clear();
        }
        c.insert(text.to_string(), t.clone());
    });
    Ok(t)
}

struct Parser;

impl Guest for Parser {
    fn metadata() -> PluginMeta {
        PluginMeta {
            name: "textfsm".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            wit_version: "0.1.0".into(),
            platforms: vec!["textfsm".into()],
        }
    }

    fn parse(
        templates: Vec<String>,
        _platform: String,
        _command: String,
        output: String,
    ) -> Result<String, ParseError> {
        let mut table = None;
        let mut keys: Vec<String> = Vec::new();
        for (i, text) in templates.iter().enumerate() {
            let i = i as u32;
            let t = compiled(text, i)?;
            let records = t.parse(&output).map_err(|e| ParseError {
                message: e.message,
                template: i,
                line: Some(e.line),
            })?;
            // CliTable takes the keys of the first template that has any.
            if keys.is_empty() {
                keys = t.keys();
            }
            match &mut table {
                None => table = Some(records),
                Some(base) => merge(base, &records, &keys).map_err(|message| ParseError {
                    message,
                    template: i,
                    line: None,
                })?,
            }
        }
        let table = table.ok_or_else(|| ParseError {
            message: "no template given".into(),
            template: 0,
            line: None,
        })?;
        Ok(table.to_json(false))
    }
}

export!(Parser);
