//! The wasmtime engine and how one driver call runs: a fresh store per call from a
//! pre-instantiated component, a CPU deadline by epoch interruption (time spent
//! waiting on the device does not count), and a linear memory cap.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use wasmtime::component::Linker;
use wasmtime::{
    Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig, Store, StoreLimitsBuilder, Trap,
    UpdateDeadline,
};

use super::host::PluginCtx;
use super::transport::Transport;

/// Limits every plugin call runs under.
#[derive(Clone, Copy, Debug)]
pub struct SandboxLimits {
    /// CPU time a single call may spend in plugin code.
    pub deadline: Duration,
    /// Largest linear memory a plugin may grow to, bytes.
    pub memory_bytes: usize,
}

impl Default for SandboxLimits {
    fn default() -> Self {
        Self { deadline: Duration::from_secs(30), memory_bytes: 64 << 20 }
    }
}

/// A plugin call failed in the sandbox (not a driver-reported error).
#[derive(Debug, thiserror::Error)]
#[error("plugin {plugin}: {what}")]
pub struct CallError {
    pub plugin: String,
    pub what: String,
}

/// Plugin instances that can be alive at once (concurrent driver calls on a node).
const POOL_SLOTS: u32 = 2048;

/// How often the epoch advances.
const TICK: Duration = Duration::from_millis(10);

/// Advances the engine's epoch every tick until dropped.
pub(super) struct EpochTicker(Arc<AtomicBool>);

impl Drop for EpochTicker {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

/// Which engine compiles and runs a component.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum EngineKind {
    /// Drivers: a fresh instance per call, thousands at once, so instances come
    /// from a pool of slots that each reserve only the memory cap.
    Driver,
    /// Parsers: a few long-lived instances, reused, doing pure computation. Each
    /// reserves 4 GiB of address space plus a 2 GiB guard, which lets Cranelift drop
    /// the bounds check on every memory access (about a quarter of the parse time).
    Parser,
}

/// The engines plugins run on, with their linkers, and the threads advancing
/// their epochs.
pub(super) struct Engines {
    driver: (Engine, Linker<PluginCtx>),
    parser: (Engine, Linker<PluginCtx>),
    _tickers: [EpochTicker; 2],
}

impl Engines {
    pub fn new(limits: SandboxLimits) -> wasmtime::Result<Engines> {
        let (driver, t1) = new_engine(limits, EngineKind::Driver)?;
        let (parser, t2) = new_engine(limits, EngineKind::Parser)?;
        let (dl, pl) = (new_linker(&driver)?, new_linker(&parser)?);
        Ok(Engines { driver: (driver, dl), parser: (parser, pl), _tickers: [t1, t2] })
    }

    /// The engine and linker for `kind`.
    pub fn get(&self, kind: EngineKind) -> (&Engine, &Linker<PluginCtx>) {
        let (e, l) = match kind {
            EngineKind::Driver => &self.driver,
            EngineKind::Parser => &self.parser,
        };
        (e, l)
    }
}

/// Which engine suits a component, read from its top-level exports without
/// compiling it: one exporting the `parser-api` interface is a parser. (A guess
/// only picks the engine: either engine can load either world.)
pub(super) fn kind_of(bytes: &[u8]) -> EngineKind {
    use wasmparser::{Parser, Payload};
    let mut depth = 0usize;
    for payload in Parser::new(0).parse_all(bytes) {
        match payload {
            Ok(Payload::Version { .. }) => depth += 1,
            Ok(Payload::End(_)) => depth = depth.saturating_sub(1),
            Ok(Payload::ComponentExportSection(exports)) if depth == 1 => {
                let parser = exports
                    .into_iter()
                    .flatten()
                    .any(|e| e.name.name.starts_with("netpulse:plugin/parser-api"));
                if parser {
                    return EngineKind::Parser;
                }
            }
            Ok(_) => {}
            Err(_) => break,
        }
    }
    EngineKind::Driver
}

/// Build an engine of `kind`, and start its epoch ticker.
fn new_engine(limits: SandboxLimits, kind: EngineKind) -> wasmtime::Result<(Engine, EpochTicker)> {
    let mut cfg = Config::new();
    cfg.wasm_component_model(true);
    cfg.epoch_interruption(true);
    match kind {
        EngineKind::Driver => {
            // Instances come from a pool of preallocated slots: instantiation per
            // call is then a few microseconds. Each slot reserves only the memory
            // cap (plus guard) of address space, so thousands of concurrent calls
            // stay cheap.
            let mut pool = PoolingAllocationConfig::default();
            pool.total_component_instances(POOL_SLOTS)
                .total_core_instances(POOL_SLOTS * 4)
                .total_memories(POOL_SLOTS * 2)
                .total_tables(POOL_SLOTS * 2)
                .max_memory_size(limits.memory_bytes)
                // A freed slot is reset by zeroing the pages the call dirtied (found
                // with the PAGEMAP_SCAN ioctl where the kernel has it) instead of
                // `madvise`, whose TLB shootdowns across threads were a tenth of the
                // load benchmark's CPU (perf).
                .pagemap_scan(wasmtime::Enabled::Auto)
                .linear_memory_keep_resident(1 << 20)
                .table_keep_resident(64 << 10);
            cfg.allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
            cfg.memory_reservation(limits.memory_bytes as u64);
            cfg.memory_guard_size(64 << 10);
        }
        EngineKind::Parser => {
            // The memory cap is still enforced, by the store's limiter.
            cfg.memory_reservation(4 << 30);
            cfg.memory_guard_size(2 << 30);
        }
    }
    let engine = Engine::new(&cfg)?;
    let stop = Arc::new(AtomicBool::new(false));
    let (e, flag) = (engine.clone(), stop.clone());
    std::thread::Builder::new().name("wasm-epoch".into()).spawn(move || {
        while !flag.load(Ordering::Relaxed) {
            std::thread::sleep(TICK);
            e.increment_epoch();
        }
    })?;
    Ok((engine, EpochTicker(stop)))
}

/// The linker with WASI (nothing granted) and the `channel` interface of every
/// supported contract version.
fn new_linker(engine: &Engine) -> wasmtime::Result<Linker<PluginCtx>> {
    let mut linker = Linker::new(engine);
    wasmtime_wasi::p2::add_to_linker_sync(&mut linker)?;
    super::bindings::add_to_linker(&mut linker)?;
    Ok(linker)
}

/// Who a call is for, for logs and deadlines.
#[derive(Clone, Debug, Default)]
pub struct CallContext {
    pub job: String,
    pub device: String,
    /// The job's execution deadline.
    pub job_deadline: Option<Instant>,
    /// Raised when the job is stopped (`DELETE /worker`): the call traps at its
    /// next epoch tick and its channel refuses to write or read any more.
    pub stop: Option<Arc<StopSignal>>,
}

/// A job's stop switch, shared by the worker that raises it, the plugin call
/// that checks it, and the transport whose reads it cuts short.
#[derive(Debug, Default)]
pub struct StopSignal {
    stopped: AtomicBool,
    wake: tokio::sync::Notify,
    /// Past this, the transport sends the device nothing more (a pinned worker's lease).
    fence: Option<std::sync::Arc<Fence>>,
}

/// A time limit on talking to a device that its owner pushes forward: a pinned
/// worker's lease as last renewed. A node paused past it (SIGSTOP, a long stall)
/// may have lost the device to another node, so nothing more is written until
/// the lease is renewed.
#[derive(Debug)]
pub struct Fence {
    epoch: Instant,
    until_ms: std::sync::atomic::AtomicU64,
}

impl Fence {
    /// Holds until `until`.
    pub fn new(until: Instant) -> Self {
        let f = Fence { epoch: Instant::now(), until_ms: Default::default() };
        f.extend_to(until);
        f
    }
    /// Holds until `until` at least.
    pub fn extend_to(&self, until: Instant) {
        let ms = until.saturating_duration_since(self.epoch).as_millis() as u64;
        self.until_ms.fetch_max(ms, Ordering::SeqCst);
    }
    pub fn holds(&self) -> bool {
        (self.epoch.elapsed().as_millis() as u64) < self.until_ms.load(Ordering::SeqCst)
    }
    /// Holds no more (the lease is another's).
    pub fn revoke(&self) {
        self.until_ms.store(0, Ordering::SeqCst);
    }
}

/// What a write past its job's [`Fence`] is told.
pub const FENCED: &str = "this node's lease on the device ran out (the node was paused or cut off from Redis), \
                          and another node may serve the device now: nothing more is sent to it";

impl StopSignal {
    /// A stop switch whose transport also refuses to write past `fence`.
    pub fn fenced(fence: Option<std::sync::Arc<Fence>>) -> Self {
        StopSignal { fence, ..Default::default() }
    }
    /// Whether the job may still write to the device (its fence, if any, holds).
    pub fn may_write(&self) -> bool {
        self.fence.as_ref().is_none_or(|f| f.holds())
    }
    /// Stop the job: raise the flag and wake a read waiting on the device.
    pub fn stop(&self) {
        self.stopped.store(true, Ordering::SeqCst);
        self.wake.notify_waiters();
    }
    pub fn is_stopped(&self) -> bool {
        self.stopped.load(Ordering::SeqCst)
    }
    /// Resolves once [`stop`](Self::stop) is called (register before checking
    /// [`is_stopped`](Self::is_stopped) to miss nothing).
    pub fn wake(&self) -> &tokio::sync::Notify {
        &self.wake
    }
}

/// What a stopped job's call is told.
pub const STOPPED: &str = "the job was stopped (DELETE /worker): nothing more is sent to the device";

/// Make a store for one call.
pub(super) fn new_store(
    engine: &Engine,
    limits: SandboxLimits,
    plugin: &str,
    transport: Option<Box<dyn Transport>>,
    ctx: &CallContext,
    patterns: super::host::PatternCache,
) -> Store<PluginCtx> {
    let store_limits = StoreLimitsBuilder::new()
        .memory_size(limits.memory_bytes)
        .instances(16)
        .trap_on_grow_failure(true)
        .build();
    let mut data =
        PluginCtx::new(store_limits, transport, plugin, &ctx.job, &ctx.device, ctx.job_deadline, patterns);
    data.stop = ctx.stop.clone();
    let mut store = Store::new(engine, data);
    store.limiter(|c| &mut c.limits);
    arm_deadline(&mut store, limits);
    store
}

/// Give the store's next call the full CPU budget, counted from now (time spent
/// in host calls does not count).
pub(super) fn arm_deadline(store: &mut Store<PluginCtx>, limits: SandboxLimits) {
    let started = Instant::now();
    let host_before = store.data().host_time;
    let budget = limits.deadline;
    store.set_epoch_deadline(ticks(budget));
    store.epoch_deadline_callback(move |cx| {
        if cx.data().stop.as_ref().is_some_and(|s| s.is_stopped()) {
            return Err(wasmtime::Error::msg(STOPPED));
        }
        let host = cx.data().host_time.saturating_sub(host_before);
        let guest = started.elapsed().saturating_sub(host);
        if guest >= budget {
            Ok(UpdateDeadline::Interrupt)
        } else {
            Ok(UpdateDeadline::Continue(ticks(budget - guest)))
        }
    });
}

fn ticks(d: Duration) -> u64 {
    (d.as_millis() / TICK.as_millis()).max(1) as u64
}

/// Turn a wasmtime error from a call into words a person can act on.
pub(super) fn describe_failure(plugin: &str, limits: SandboxLimits, err: &wasmtime::Error) -> CallError {
    let what = match err.downcast_ref::<Trap>() {
        Some(Trap::Interrupt) => {
            format!("ran past its CPU deadline of {:.1} s and was stopped", limits.deadline.as_secs_f64())
        }
        Some(Trap::UnreachableCodeReached) => {
            "trapped (unreachable code: usually a panic or an abort inside the plugin)".to_string()
        }
        Some(t) => format!("trapped: {t}"),
        None => {
            let text = format!("{err:#}");
            if text.contains("growing memory") || text.contains("memory growth failure") {
                format!(
                    "tried to grow its memory past the cap of {} MiB and was stopped",
                    limits.memory_bytes >> 20
                )
            } else {
                format!("failed: {text}")
            }
        }
    };
    CallError { plugin: plugin.to_string(), what }
}

#[cfg(test)]
mod tests {
    use super::{EngineKind, kind_of};

    #[test]
    fn parsers_are_told_from_drivers_before_compiling() {
        let kind = |name: &str| {
            let (_, bytes) = crate::builtin::BUILTIN_PLUGINS.iter().find(|(n, _)| *n == name).expect(name);
            kind_of(bytes)
        };
        assert_eq!(kind("textfsm"), EngineKind::Parser);
        assert_eq!(kind("cisco_ios"), EngineKind::Driver);
        assert_eq!(kind_of(b"not wasm at all"), EngineKind::Driver);
    }
}
