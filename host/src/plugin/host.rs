//! The host side of the WIT `channel` interface: what a plugin may do with the
//! device session, and nothing else (no files, network, environment or clock).

use std::collections::HashMap;
use std::time::{Duration, Instant};

use regex::{Regex, RegexBuilder};
use wasmtime::StoreLimits;
use wasmtime::component::ResourceTable;
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

use super::bindings::netpulse::plugin::channel::{self, LogLevel, ReadError, ReadMatch};
use super::bindings::netpulse::plugin::types;
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
    patterns: HashMap<String, Regex>,
}

impl PluginCtx {
    pub(super) fn new(
        limits: StoreLimits,
        transport: Option<Box<dyn Transport>>,
        plugin: &str,
        job: &str,
        device: &str,
        job_deadline: Option<Instant>,
    ) -> Self {
        Self {
            wasi: WasiCtx::builder().build(),
            table: ResourceTable::new(),
            limits,
            transport,
            plugin: plugin.to_string(),
            job: job.to_string(),
            device: device.to_string(),
            job_deadline,
            host_time: Duration::ZERO,
            patterns: HashMap::new(),
        }
    }
}

impl WasiView for PluginCtx {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView { ctx: &mut self.wasi, table: &mut self.table }
    }
}

impl types::Host for PluginCtx {}

impl channel::Host for PluginCtx {
    fn write(&mut self, data: String) -> Result<(), String> {
        let start = Instant::now();
        let r = match self.transport.as_mut() {
            Some(t) => t.write(&data),
            None => Err("no device session in this call".into()),
        };
        self.host_time += start.elapsed();
        r
    }

    fn read_until(&mut self, pattern: String, timeout_ms: u32) -> Result<ReadMatch, ReadError> {
        let start = Instant::now();
        let mut timeout = Duration::from_millis(u64::from(timeout_ms));
        if let Some(d) = self.job_deadline {
            timeout = timeout.min(d.saturating_duration_since(start));
        }
        let r = match self.transport.as_mut() {
            Some(t) => t.read_until(&pattern, timeout),
            None => Err(TransportReadError::Closed(String::new())),
        };
        self.host_time += start.elapsed();
        match r {
            Ok((before, matched)) => Ok(ReadMatch { before, matched }),
            Err(TransportReadError::Timeout(s)) => Err(ReadError::Timeout(s)),
            Err(TransportReadError::Closed(s)) => Err(ReadError::Closed(s)),
            Err(TransportReadError::BadPattern(s)) => Err(ReadError::BadPattern(s)),
        }
    }

    fn drain(&mut self) -> String {
        self.transport.as_mut().map(|t| t.drain()).unwrap_or_default()
    }

    fn search(&mut self, pattern: String, text: String) -> Result<Option<String>, String> {
        if !self.patterns.contains_key(&pattern) {
            let re = RegexBuilder::new(&pattern)
                .multi_line(true)
                .size_limit(1 << 20)
                .build()
                .map_err(|e| e.to_string())?;
            self.patterns.insert(pattern.clone(), re);
        }
        Ok(self.patterns[&pattern].find(&text).map(|m| m.as_str().to_string()))
    }

    fn log(&mut self, level: LogLevel, message: String) {
        let (plugin, job, device) = (&self.plugin, &self.job, &self.device);
        match level {
            LogLevel::Trace => tracing::trace!(plugin, job, device, "{message}"),
            LogLevel::Debug => tracing::debug!(plugin, job, device, "{message}"),
            LogLevel::Info => tracing::info!(plugin, job, device, "{message}"),
            LogLevel::Warn => tracing::warn!(plugin, job, device, "{message}"),
            LogLevel::Error => tracing::error!(plugin, job, device, "{message}"),
        }
    }
}
