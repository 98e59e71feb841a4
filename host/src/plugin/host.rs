//! The host side of the WIT `channel` interface: what a plugin may do with the
//! device session, and nothing else (no files, network, environment or clock).

use std::collections::HashMap;
use std::time::{Duration, Instant};

use regex::{Regex, RegexBuilder};
use wasmtime::StoreLimits;
use wasmtime::component::ResourceTable;
use wasmtime_wasi::{HostMonotonicClock, HostWallClock, WasiCtx, WasiCtxView, WasiView};

use super::transport::{Transport, TransportReadError};

/// Store data for one plugin call.
pub struct PluginCtx {
    pub(super) wasi: WasiCtx,
    pub(super) table: ResourceTable,
    pub(super) limits: StoreLimits,
    pub(super) transport: Option<Box<dyn Transport>>,
    /// Who is calling, for logs.
    pub(super) plugin: String,
    pub(super) job: String,
    pub(super) device: String,
    /// The job's own deadline: no read may wait past it.
    pub(super) job_deadline: Option<Instant>,
    /// Time spent inside host calls (waiting on the device), which does not count
    /// against the plugin's CPU deadline.
    pub(super) host_time: Duration,
    /// Compiled `search` patterns, shared by every call of the plugin.
    patterns: PatternCache,
    /// The job's stop switch: once raised, the channel refuses to write or read.
    pub(super) stop: Option<std::sync::Arc<super::engine::StopSignal>>,
}

/// Compiled regexes shared across calls (plugins ask for the same few patterns).
pub type PatternCache = std::sync::Arc<std::sync::Mutex<HashMap<String, std::sync::Arc<Regex>>>>;

impl PluginCtx {
    pub(super) fn new(
        limits: StoreLimits,
        transport: Option<Box<dyn Transport>>,
        plugin: &str,
        job: &str,
        device: &str,
        job_deadline: Option<Instant>,
        patterns: PatternCache,
    ) -> Self {
        Self {
            wasi: sandboxed_wasi(),
            table: ResourceTable::new(),
            limits,
            transport,
            plugin: plugin.to_string(),
            job: job.to_string(),
            device: device.to_string(),
            job_deadline,
            host_time: Duration::ZERO,
            patterns,
            stop: None,
        }
    }
}

/// A clock that never moves: plugins get no time beyond what the WIT grants.
struct FrozenClock;

impl HostWallClock for FrozenClock {
    fn resolution(&self) -> Duration {
        Duration::from_secs(1)
    }
    fn now(&self) -> Duration {
        Duration::ZERO
    }
}

impl HostMonotonicClock for FrozenClock {
    fn resolution(&self) -> u64 {
        1_000_000_000
    }
    fn now(&self) -> u64 {
        0
    }
}

/// WASI as std Rust guests need it linked, with nothing granted: no preopened
/// files, no environment or arguments, no sockets or name lookups, a frozen clock,
/// closed stdio.
fn sandboxed_wasi() -> WasiCtx {
    let mut b = WasiCtx::builder();
    b.allow_tcp(false)
        .allow_udp(false)
        .allow_ip_name_lookup(false)
        .wall_clock(FrozenClock)
        .monotonic_clock(FrozenClock);
    b.build()
}

impl WasiView for PluginCtx {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView { ctx: &mut self.wasi, table: &mut self.table }
    }
}

/// The `channel` interface, implemented once for every contract version: each
/// version's generated `channel::Host` forwards here (`bindings::channel_host!`).
impl PluginCtx {
    fn stopped(&self) -> bool {
        self.stop.as_ref().is_some_and(|s| s.is_stopped())
    }

    pub(super) fn channel_write(&mut self, data: &str) -> Result<(), String> {
        if self.stopped() {
            return Err(super::engine::STOPPED.into());
        }
        let start = Instant::now();
        let r = match self.transport.as_mut() {
            Some(t) => t.write(data),
            None => Err("no device session in this call".into()),
        };
        self.host_time += start.elapsed();
        r
    }

    /// (text before the match, matched text).
    pub(super) fn channel_read_until(
        &mut self,
        pattern: &str,
        timeout_ms: u32,
    ) -> Result<(String, String), TransportReadError> {
        if self.stopped() {
            return Err(TransportReadError::Closed(super::engine::STOPPED.into()));
        }
        let start = Instant::now();
        let mut timeout = Duration::from_millis(u64::from(timeout_ms));
        if let Some(d) = self.job_deadline {
            timeout = timeout.min(d.saturating_duration_since(start));
        }
        let r = match self.transport.as_mut() {
            Some(t) => t.read_until(pattern, timeout),
            None => Err(TransportReadError::Closed(String::new())),
        };
        self.host_time += start.elapsed();
        r
    }

    pub(super) fn channel_drain(&mut self) -> String {
        self.transport.as_mut().map(|t| t.drain()).unwrap_or_default()
    }

    pub(super) fn channel_search(&mut self, pattern: &str, text: &str) -> Result<Option<String>, String> {
        let re = {
            let mut cache = self.patterns.lock().unwrap_or_else(|e| e.into_inner());
            match cache.get(pattern) {
                Some(re) => re.clone(),
                None => {
                    // Shared, not cloned: a cloned `Regex` starts with empty match caches.
                    let re = std::sync::Arc::new(
                        RegexBuilder::new(pattern)
                            .multi_line(true)
                            .size_limit(1 << 20)
                            .build()
                            .map_err(|e| e.to_string())?,
                    );
                    if cache.len() > 256 {
                        cache.clear();
                    }
                    cache.insert(pattern.to_string(), re.clone());
                    re
                }
            }
        };
        Ok(re.find(text).map(|m| m.as_str().to_string()))
    }

    pub(super) fn channel_log(&mut self, level: tracing::Level, message: &str) {
        use tracing::Level;
        let (plugin, job, device) = (&self.plugin, &self.job, &self.device);
        if level == Level::ERROR {
            tracing::error!(plugin, job, device, "{message}")
        } else if level == Level::WARN {
            tracing::warn!(plugin, job, device, "{message}")
        } else if level == Level::INFO {
            tracing::info!(plugin, job, device, "{message}")
        } else if level == Level::DEBUG {
            tracing::debug!(plugin, job, device, "{message}")
        } else {
            tracing::trace!(plugin, job, device, "{message}")
        }
    }
}
