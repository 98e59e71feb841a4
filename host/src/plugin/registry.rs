//! Loading plugin components (built-in ones and every `*.wasm` in the plugins
//! folder), checking their WIT version, and indexing drivers by `device_type`
//! and parsers by name.

use std::any::Any;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use wasmtime::component::Component;
use wasmtime::{Engine, Store};

use super::bindings::{Contract, Driver, DriverPre, check_claim, contract_of};
use super::cache::{Cache, compile};
use super::engine::{
    CallContext, CallError, EngineKind, Engines, SandboxLimits, describe_failure, kind_of, new_store,
};
use super::host::PluginCtx;
use super::parser::ParserPlugin;
use super::transport::Transport;
use super::{
    CommandOptions, ConfigOptions, ConfigReply, DriverError, PluginMeta, SessionOptions, SessionState,
};

/// A file that could not be used as a plugin, and why.
#[derive(Clone, Debug)]
pub struct LoadProblem {
    pub file: String,
    pub reason: String,
}

/// One loaded driver component.
pub struct DriverPlugin {
    pub meta: PluginMeta,
    /// Where it came from: `builtin:<name>` or a path.
    pub file: String,
    /// The contract version it was built against and runs as.
    pub contract: Contract,
    pre: DriverPre,
    engine: Engine,
    limits: SandboxLimits,
    patterns: super::host::PatternCache,
}

/// Result of a driver operation: the sandbox may fail (`CallError`), or the driver
/// may report a device problem (`DriverError`).
pub type DriverResult<R> = Result<Result<R, DriverError>, CallError>;

impl DriverPlugin {
    /// Run `f` on a fresh instance that talks through `transport`; hands the
    /// transport back whatever happened.
    fn call<T: Transport, R>(
        &self,
        transport: T,
        ctx: &CallContext,
        f: impl FnOnce(&Driver, &mut Store<PluginCtx>) -> wasmtime::Result<R>,
    ) -> (T, Result<R, CallError>) {
        let start = std::time::Instant::now();
        let mut store = new_store(
            &self.engine,
            self.limits,
            &self.meta.name,
            Some(Box::new(transport)),
            ctx,
            self.patterns.clone(),
        );
        let result = self
            .pre
            .instantiate(&mut store)
            .and_then(|driver| f(&driver, &mut store))
            .map_err(|e| describe_failure(&self.meta.name, self.limits, &e));
        let boxed: Box<dyn Any> = store.into_data().transport.take().expect("transport is kept");
        let transport = *boxed.downcast::<T>().expect("same transport type comes back");
        crate::metrics::plugin_call(&self.meta.name, start.elapsed());
        (transport, result)
    }

    pub fn prepare_session<T: Transport>(
        &self,
        t: T,
        ctx: &CallContext,
        options: &SessionOptions,
    ) -> (T, DriverResult<SessionState>) {
        self.call(t, ctx, |d, s| d.prepare_session(s, options))
    }

    pub fn send_command<T: Transport>(
        &self,
        t: T,
        ctx: &CallContext,
        state: &SessionState,
        command: &str,
        options: &CommandOptions,
    ) -> (T, DriverResult<String>) {
        self.call(t, ctx, |d, s| d.send_command(s, state, command, options))
    }

    pub fn send_config<T: Transport>(
        &self,
        t: T,
        ctx: &CallContext,
        state: &SessionState,
        lines: &[String],
        options: &ConfigOptions,
    ) -> (T, DriverResult<ConfigReply>) {
        self.call(t, ctx, |d, s| d.send_config(s, state, lines, options))
    }

    pub fn probe<T: Transport>(
        &self,
        t: T,
        ctx: &CallContext,
        state: &SessionState,
        timeout_ms: u32,
    ) -> (T, DriverResult<()>) {
        self.call(t, ctx, |d, s| d.probe(s, state, timeout_ms))
    }

    pub fn close<T: Transport>(&self, t: T, ctx: &CallContext, state: &SessionState) -> T {
        self.call(t, ctx, |d, s| d.close(s, state)).0
    }
}

/// Every loaded driver, by `device_type`, and every parser, by name.
pub struct Plugins {
    drivers: Vec<Arc<DriverPlugin>>,
    by_type: HashMap<String, Arc<DriverPlugin>>,
    parsers: Vec<Arc<ParserPlugin>>,
    parser_by_name: HashMap<String, Arc<ParserPlugin>>,
    _engines: Engines,
}

/// A component compiled by the engine of its kind, or why it could not be.
type Compiled = Result<(EngineKind, Component), String>;

/// A loaded component of either world.
enum Loaded {
    Driver(DriverPlugin),
    Parser(ParserPlugin),
}

impl Plugins {
    /// Load the built-in components, then every `*.wasm` in `dir`. A file that is
    /// not a usable plugin is reported in the problems and skipped. A folder plugin
    /// that serves a built-in's `device_type` replaces the built-in; two folder
    /// plugins serving the same one is a problem naming both files (the first wins).
    pub fn load(
        builtin: &[(&str, &[u8])],
        dir: Option<&Path>,
        limits: SandboxLimits,
        cache: Option<&Path>,
    ) -> anyhow::Result<(Plugins, Vec<LoadProblem>)> {
        let wt = |e: wasmtime::Error| anyhow::anyhow!("cannot set up the WebAssembly engine: {e:#}");
        let engines = Engines::new(limits).map_err(wt)?;
        let cache = cache.and_then(Cache::open);
        let mut problems = Vec::new();
        let mut sources: Vec<(String, Compiled, bool)> = Vec::new();
        let compile_any = |bytes: &[u8]| {
            let kind = kind_of(bytes);
            compile(engines.get(kind).0, bytes, cache.as_ref()).map(|c| (kind, c))
        };
        for (name, bytes) in builtin {
            sources.push((format!("builtin:{name}"), compile_any(bytes), true));
        }
        if let Some(dir) = dir {
            for path in wasm_files(dir)? {
                let c = std::fs::read(&path)
                    .map_err(|e| format!("cannot read: {e}"))
                    .and_then(|bytes| compile_any(&bytes));
                sources.push((path.display().to_string(), c, false));
            }
        }
        let mut drivers: Vec<Arc<DriverPlugin>> = Vec::new();
        let mut by_type: HashMap<String, Arc<DriverPlugin>> = HashMap::new();
        let mut parsers: Vec<Arc<ParserPlugin>> = Vec::new();
        let mut parser_by_name: HashMap<String, Arc<ParserPlugin>> = HashMap::new();
        for (file, component, is_builtin) in sources {
            let plugin = component.and_then(|(kind, c)| {
                let (engine, linker) = engines.get(kind);
                load_one(engine, linker, &c, &file, limits)
            });
            match plugin {
                Ok(Loaded::Driver(p)) => {
                    drivers.push(index(World::Driver, Arc::new(p), &mut by_type, is_builtin, &mut problems))
                }
                Ok(Loaded::Parser(p)) => {
                    parsers.push(index(
                        World::Parser,
                        Arc::new(p),
                        &mut parser_by_name,
                        is_builtin,
                        &mut problems,
                    ));
                }
                Err(reason) => {
                    tracing::error!(file, "plugin skipped: {reason}");
                    problems.push(LoadProblem { file, reason });
                }
            }
        }
        Ok((Plugins { drivers, by_type, parsers, parser_by_name, _engines: engines }, problems))
    }

    /// The driver for `device_type`.
    pub fn driver_for(&self, device_type: &str) -> Option<Arc<DriverPlugin>> {
        self.by_type.get(device_type).cloned()
    }

    /// device_type -> `plugin@version`, sorted.
    pub fn device_types(&self) -> Vec<(String, String)> {
        let mut v: Vec<_> = self
            .by_type
            .iter()
            .map(|(t, p)| (t.clone(), format!("{}@{}", p.meta.name, p.meta.version)))
            .collect();
        v.sort();
        v
    }

    /// Every loaded driver.
    pub fn drivers(&self) -> &[Arc<DriverPlugin>] {
        &self.drivers
    }

    /// The parser serving `name` (`parsing.name`, e.g. "textfsm").
    pub fn parser(&self, name: &str) -> Option<Arc<ParserPlugin>> {
        self.parser_by_name.get(name).cloned()
    }

    /// Every loaded parser.
    pub fn parsers(&self) -> &[Arc<ParserPlugin>] {
        &self.parsers
    }
}

/// Check one component file without installing it: compile, link, read metadata.
pub fn check_file(path: &Path, limits: SandboxLimits) -> Result<PluginMeta, String> {
    let wt = |e: wasmtime::Error| format!("cannot set up the WebAssembly engine: {e:#}");
    let engines = Engines::new(limits).map_err(wt)?;
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let (engine, linker) = engines.get(kind_of(&bytes));
    let component = compile(engine, &bytes, None)?;
    match load_one(engine, linker, &component, &path.display().to_string(), limits)? {
        Loaded::Driver(p) => Ok(p.meta),
        Loaded::Parser(p) => Ok(p.meta),
    }
}

/// What the plugins folder holds now (names, sizes, modification times), to notice changes.
pub fn folder_signature(dir: &Path) -> Vec<(PathBuf, u64, Option<std::time::SystemTime>)> {
    wasm_files(dir)
        .unwrap_or_default()
        .into_iter()
        .map(|p| {
            let m = std::fs::metadata(&p).ok();
            let len = m.as_ref().map(|m| m.len()).unwrap_or(0);
            let modified = m.and_then(|m| m.modified().ok());
            (p, len, modified)
        })
        .collect()
}

/// `*.wasm` files in `dir`, sorted by name.
fn wasm_files(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let entries = std::fs::read_dir(dir)
        .map_err(|e| anyhow::anyhow!("cannot read plugins folder {}: {e}", dir.display()))?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "wasm") && p.is_file())
        .collect();
    files.sort();
    Ok(files)
}

/// The two worlds a component may export, for the words of logs and problems.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum World {
    Driver,
    Parser,
}

impl World {
    /// What the component is called: `plugin` (a driver) or `parser`.
    fn kind(self) -> &'static str {
        match self {
            World::Driver => "plugin",
            World::Parser => "parser",
        }
    }

    /// What one of the names it serves is called.
    fn served(self) -> &'static str {
        match self {
            World::Driver => "device_type",
            World::Parser => "parser",
        }
    }
}

/// Calls `metadata` on a fresh store and checks what it says: the contract version it
/// claims (see [`check_claim`]) and at least one name served (`device_type`s of a driver,
/// parser names of a parser).
pub(super) fn checked_metadata(
    world: World,
    engine: &Engine,
    limits: SandboxLimits,
    file: &str,
    contract: Contract,
    metadata: impl FnOnce(&mut Store<PluginCtx>) -> wasmtime::Result<PluginMeta>,
) -> Result<PluginMeta, String> {
    let mut store = new_store(engine, limits, file, None, &CallContext::default(), Default::default());
    let meta = metadata(&mut store).map_err(|e| describe_failure(file, limits, &e).to_string())?;
    check_claim(&meta, contract)?;
    if meta.platforms.is_empty() {
        let what = match world {
            World::Driver => "device_type",
            World::Parser => "parser name",
        };
        return Err(format!("{} {} declares no {what}", world.kind(), meta.name));
    }
    Ok(meta)
}

/// What the index needs of a loaded component: its metadata, file and contract version.
trait Served {
    fn parts(&self) -> (&PluginMeta, &str, Contract);
}

impl Served for DriverPlugin {
    fn parts(&self) -> (&PluginMeta, &str, Contract) {
        (&self.meta, &self.file, self.contract)
    }
}

impl Served for ParserPlugin {
    fn parts(&self) -> (&PluginMeta, &str, Contract) {
        (&self.meta, &self.file, self.contract)
    }
}

/// Indexes `plugin` (of `world`) under every name it serves and hands it back. A name
/// already served by a folder plugin, or by a built-in when `plugin` is built in too, stays
/// with it: a problem naming both files. A folder plugin replaces a built-in.
fn index<P: Served>(
    world: World,
    plugin: Arc<P>,
    by_name: &mut HashMap<String, Arc<P>>,
    is_builtin: bool,
    problems: &mut Vec<LoadProblem>,
) -> Arc<P> {
    let (meta, file, contract) = plugin.parts();
    for name in &meta.platforms {
        match by_name.get(name) {
            Some(prev) if !prev.parts().1.starts_with("builtin:") || is_builtin => {
                let prev = prev.parts().1;
                let verb = match world {
                    World::Driver => "is claimed by",
                    World::Parser => "is provided by",
                };
                let reason =
                    format!("{} {name:?} {verb} both {prev} and {file}; keeping {prev}", world.served());
                tracing::error!("{reason}");
                problems.push(LoadProblem { file: file.to_string(), reason });
            }
            prev => {
                if let Some(prev) = prev {
                    tracing::info!("{} {name:?}: {file} replaces {}", world.served(), prev.parts().1);
                }
                by_name.insert(name.clone(), plugin.clone());
            }
        }
    }
    tracing::info!(
        file,
        "{} {} {} (netpulse:plugin@{}) serves {}",
        world.kind(),
        meta.name,
        meta.version,
        contract.version(),
        meta.platforms.join(", ")
    );
    plugin
}

/// Link a component of either world to the contract version it was built
/// against, read its metadata and check the version it claims.
fn load_one(
    engine: &Engine,
    linker: &wasmtime::component::Linker<PluginCtx>,
    component: &Component,
    file: &str,
    limits: SandboxLimits,
) -> Result<Loaded, String> {
    // A component naming no `netpulse:plugin` version is not a plugin: linking
    // it against the current contract says what it lacks.
    let contract = contract_of(engine, component)?.unwrap_or(Contract::LATEST);
    let is_parser = component
        .component_type()
        .exports(engine)
        .any(|(name, _)| name.starts_with("netpulse:plugin/parser-api"));
    if is_parser {
        return super::parser::instantiate(engine, linker, component, contract, file, limits)
            .map(Loaded::Parser);
    }
    let pre = DriverPre::new(contract, linker, component)
        .map_err(|e| format!("is not a NetPulse driver for netpulse:plugin@{}: {e:#}", contract.version()))?;
    let metadata =
        |store: &mut Store<PluginCtx>| pre.instantiate(&mut *store).and_then(|d| d.metadata(store));
    let meta = checked_metadata(World::Driver, engine, limits, file, contract, metadata)?;
    Ok(Loaded::Driver(DriverPlugin {
        meta,
        file: file.to_string(),
        contract,
        pre,
        engine: engine.clone(),
        limits,
        patterns: Default::default(),
    }))
}
