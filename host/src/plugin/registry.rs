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
        let mut problems = Vec::new();
        let mut sources: Vec<(String, Compiled, bool)> = Vec::new();
        let compile_any = |bytes: &[u8]| {
            let kind = kind_of(bytes);
            compile(engines.get(kind).0, bytes, cache).map(|c| (kind, c))
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
            let plugin = match plugin {
                Ok(Loaded::Driver(p)) => Arc::new(p),
                Ok(Loaded::Parser(p)) => {
                    let p = Arc::new(p);
                    for name in &p.meta.platforms {
                        match parser_by_name.get(name) {
                            Some(prev) if !prev.file.starts_with("builtin:") || is_builtin => {
                                let reason = format!(
                                    "parser {name:?} is provided by both {} and {}; keeping {}",
                                    prev.file, p.file, prev.file
                                );
                                tracing::error!("{reason}");
                                problems.push(LoadProblem { file: p.file.clone(), reason });
                            }
                            _ => {
                                parser_by_name.insert(name.clone(), p.clone());
                            }
                        }
                    }
                    tracing::info!(
                        file = p.file,
                        "parser {} {} (netpulse:plugin@{}) serves {}",
                        p.meta.name,
                        p.meta.version,
                        p.contract.version(),
                        p.meta.platforms.join(", ")
                    );
                    parsers.push(p);
                    continue;
                }
                Err(reason) => {
                    tracing::error!(file, "plugin skipped: {reason}");
                    problems.push(LoadProblem { file, reason });
                    continue;
                }
            };
            for platform in &plugin.meta.platforms {
                match by_type.get(platform) {
                    Some(prev) if !prev.file.starts_with("builtin:") || is_builtin => {
                        let reason = format!(
                            "device_type {platform:?} is claimed by both {} and {}; keeping {}",
                            prev.file, plugin.file, prev.file
                        );
                        tracing::error!("{reason}");
                        problems.push(LoadProblem { file: plugin.file.clone(), reason });
                    }
                    prev => {
                        if let Some(prev) = prev {
                            tracing::info!(
                                "device_type {platform:?}: {} replaces {}",
                                plugin.file,
                                prev.file
                            );
                        }
                        by_type.insert(platform.clone(), plugin.clone());
                    }
                }
            }
            tracing::info!(
                file = plugin.file,
                "plugin {} {} (netpulse:plugin@{}) serves {}",
                plugin.meta.name,
                plugin.meta.version,
                plugin.contract.version(),
                plugin.meta.platforms.join(", ")
            );
            drivers.push(plugin);
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
    pub fn all(&self) -> &[Arc<DriverPlugin>] {
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

/// Compile a component, using the on-disk cache of machine code when given: the
/// key is the file's SHA-256 and the engine's compatibility hash, so a restart does
/// not recompile and a different wasmtime or CPU setting never loads stale code.
fn compile(engine: &Engine, bytes: &[u8], cache: Option<&Path>) -> Result<Component, String> {
    let fresh =
        || Component::new(engine, bytes).map_err(|e| format!("not a usable WebAssembly component: {e:#}"));
    let Some(dir) = cache else { return fresh() };
    let key = {
        use sha2::Digest;
        use std::hash::{Hash, Hasher};
        let mut h = std::hash::DefaultHasher::new();
        engine.precompile_compatibility_hash().hash(&mut h);
        let digest = sha2::Sha256::digest(bytes);
        let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
        format!("{hex}-{:016x}", h.finish())
    };
    let path = dir.join(format!("{key}.cwasm"));
    if path.is_file() {
        // SAFETY: the file was written by `Component::serialize` of this engine
        // configuration (the key carries its compatibility hash), in a folder of ours.
        match unsafe { Component::deserialize_file(engine, &path) } {
            Ok(c) => return Ok(c),
            Err(e) => tracing::warn!("ignoring unusable cache entry {}: {e:#}", path.display()),
        }
    }
    let component = fresh()?;
    let stored = component.serialize().map_err(|e| e.to_string()).and_then(|code| {
        std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
        let tmp = dir.join(format!("{key}.{}.tmp", std::process::id()));
        std::fs::write(&tmp, code).map_err(|e| e.to_string())?;
        std::fs::rename(&tmp, &path).map_err(|e| e.to_string())
    });
    if let Err(e) = stored {
        tracing::warn!("cannot cache compiled plugin in {}: {e}", dir.display());
    }
    Ok(component)
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
    let mut store = new_store(engine, limits, file, None, &CallContext::default(), Default::default());
    let meta = pre
        .instantiate(&mut store)
        .and_then(|d| d.metadata(&mut store))
        .map_err(|e| describe_failure(file, limits, &e).to_string())?;
    check_claim(&meta, contract)?;
    if meta.platforms.is_empty() {
        return Err(format!("plugin {} declares no device_type", meta.name));
    }
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
