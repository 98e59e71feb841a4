//! Plugin runtime: the wasmtime engine, loading driver components, the host side
//! of the WIT `channel` interface, and calling driver operations under a deadline
//! and a memory cap; parser components (the `parser` world) the same way.

mod bindings;
mod engine;
mod host;
mod live;
mod parser;
mod registry;
mod transport;

pub use bindings::{
    CommandOptions, ConfigOptions, ConfigReply, Contract, DriverError, PluginMeta, SessionOptions,
    SessionState,
};
pub use engine::{CallContext, CallError, SandboxLimits};
pub use live::{LivePlugins, watch_folder};
pub use parser::{ParseError, ParserPlugin};
pub use registry::{DriverPlugin, LoadProblem, Plugins, check_file, folder_signature};
pub use transport::{Transport, TransportReadError};

/// The current contract version (`wit/netpulse-plugin.wit`); plugins built for
/// the older ones in `wit/since_v*/` load too (see [`Contract`]).
pub use bindings::latest::VERSION as WIT_VERSION;

/// The sandbox limits from settings.
pub fn sandbox_limits(s: &crate::config::Settings) -> SandboxLimits {
    SandboxLimits {
        deadline: std::time::Duration::from_secs_f64(s.plugins.deadline_s),
        memory_bytes: s.plugins.memory_mib << 20,
    }
}

/// Load the built-in plugins and those in the configured folder, with the
/// configured sandbox limits and compile cache.
pub fn load_configured(s: &crate::config::Settings) -> anyhow::Result<(Plugins, Vec<LoadProblem>)> {
    let cache = s.plugins.cache_dir.clone().unwrap_or_else(|| crate::config::data_dir().join("cache"));
    Plugins::load(crate::builtin::BUILTIN_PLUGINS, s.plugins_dir.as_deref(), sandbox_limits(s), Some(&cache))
}
