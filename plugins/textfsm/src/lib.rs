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

/// Templates with one fingerprint: (text, compiled template) pairs.
type Bucket = Vec<(String, Rc<Template>)>;

thread_local! {
    static CACHE: RefCell<HashMap<u64, Bucket>> = RefCell::new(HashMap::new());
}

/// A fingerprint of a template's text: its length and up to 64 bytes taken
/// across it. The host passes the text in with every call, so this is cheap, and
/// [`same`] settles it.
fn fingerprint(text: &str) -> u64 {
    let bytes = text.as_bytes();
    let step = (bytes.len() / 64).max(1);
    bytes.iter().step_by(step).fold(bytes.len() as u64, |h, &b| {
        (h.rotate_left(5) ^ u64::from(b)).wrapping_mul(0x517c_c1b7_2722_0a95)
    })
}

/// Whether two texts are equal, compared eight bytes at a time.
fn same(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    a.len() == b.len()
        && a.chunks(8).zip(b.chunks(8)).all(|(x, y)| {
            if x.len() == 8 {
                u64::from_le_bytes(x.try_into().unwrap()) == u64::from_le_bytes(y.try_into().unwrap())
            } else {
                x == y
            }
        })
}

fn compiled(text: &str, index: u32) -> Result<Rc<Template>, ParseError> {
    let key = fingerprint(text);
    let hit = CACHE.with(|c| {
        c.borrow().get(&key).and_then(|v| v.iter().find(|(t, _)| same(t, text)).map(|(_, t)| t.clone()))
    });
    if let Some(t) = hit {
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
        c.entry(key).or_default().push((text.to_string(), t.clone()));
    });
    Ok(t)
}

struct Parser;

impl Guest for Parser {
    fn metadata() -> PluginMeta {
        PluginMeta {
            name: "textfsm".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            wit_version: "0.2.0".into(),
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
