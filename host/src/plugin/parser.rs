//! Parser components (WIT `parser` world): pure computation over text. Unlike a
//! driver call, a parser instance is kept and reused (a small pool per plugin),
//! so the templates it compiled stay compiled; an instance that traps is dropped.

use std::sync::Mutex;

use wasmtime::component::Linker;
use wasmtime::{Engine, Store};

use super::PluginMeta;
use super::bindings::{Contract, Parser, ParserPre};
use super::engine::{self, CallContext, CallError, SandboxLimits, describe_failure, new_store};
use super::host::PluginCtx;
use super::registry::{World, checked_metadata};

pub use super::bindings::ParseError;

/// Idle instances kept per parser plugin.
const IDLE_INSTANCES: usize = 8;

/// One loaded parser component.
pub struct ParserPlugin {
    pub meta: PluginMeta,
    /// Where it came from: `builtin:<name>` or a path.
    pub file: String,
    /// The contract version it was built against and runs as.
    pub contract: Contract,
    pre: ParserPre,
    engine: Engine,
    limits: SandboxLimits,
    idle: Mutex<Vec<(Store<PluginCtx>, Parser)>>,
}

impl ParserPlugin {
    /// Parse `output` of `command` on `platform` with `templates` (their text).
    /// Returns the records as JSON text, or the parser's error.
    pub fn parse(
        &self,
        templates: &[String],
        platform: &str,
        command: &str,
        output: &str,
    ) -> Result<Result<String, ParseError>, CallError> {
        let start = std::time::Instant::now();
        let r = self.parse_within(templates, platform, command, output, None);
        crate::metrics::plugin_call(&self.meta.name, start.elapsed());
        r
    }

    /// [`parse`](Self::parse) with a CPU deadline shorter than the plugin's
    /// (`/template/parse` answers a person waiting).
    pub fn parse_within(
        &self,
        templates: &[String],
        platform: &str,
        command: &str,
        output: &str,
        deadline: Option<std::time::Duration>,
    ) -> Result<Result<String, ParseError>, CallError> {
        let limits = match deadline {
            Some(d) => SandboxLimits { deadline: d.min(self.limits.deadline), ..self.limits },
            None => self.limits,
        };
        let reused = self.idle.lock().expect("parser pool").pop();
        let (mut store, parser) = match reused {
            Some(p) => p,
            None => {
                let mut store = new_store(
                    &self.engine,
                    self.limits,
                    &self.meta.name,
                    None,
                    &CallContext::default(),
                    Default::default(),
                );
                let parser = self
                    .pre
                    .instantiate(&mut store)
                    .map_err(|e| describe_failure(&self.meta.name, self.limits, &e))?;
                (store, parser)
            }
        };
        engine::arm_deadline(&mut store, limits);
        let r = parser.parse(&mut store, templates, platform, command, output);
        match r {
            Ok(v) => {
                let mut idle = self.idle.lock().expect("parser pool");
                if idle.len() < IDLE_INSTANCES {
                    idle.push((store, parser));
                }
                Ok(v)
            }
            // A trapped instance is not reused.
            Err(e) => Err(describe_failure(&self.meta.name, limits, &e)),
        }
    }
}

/// Make a parser plugin from a component that exports the parser world of `contract`.
pub(super) fn instantiate(
    engine: &Engine,
    linker: &Linker<PluginCtx>,
    component: &wasmtime::component::Component,
    contract: Contract,
    file: &str,
    limits: SandboxLimits,
) -> Result<ParserPlugin, String> {
    let pre = ParserPre::new(contract, linker, component)
        .map_err(|e| format!("is not a NetPulse parser for netpulse:plugin@{}: {e:#}", contract.version()))?;
    let metadata =
        |store: &mut Store<PluginCtx>| pre.instantiate(&mut *store).and_then(|p| p.metadata(store));
    let meta = checked_metadata(World::Parser, engine, limits, file, contract, metadata)?;
    Ok(ParserPlugin {
        meta,
        file: file.to_string(),
        contract,
        pre,
        engine: engine.clone(),
        limits,
        idle: Mutex::new(Vec::new()),
    })
}
