//! Plugin runtime: the wasmtime engine, loading driver components, the host side
//! of the WIT `channel` interface, and calling driver operations under a deadline
//! and a memory cap; parser components (the `parser` world) the same way.

mod engine;
mod host;
mod live;
mod parser;
mod registry;
mod transport;

pub use engine::{CallContext, CallError, SandboxLimits};
pub use live::{LivePlugins, watch_folder};
pub use parser::{ParseError, ParserPlugin};
pub use registry::{DriverPlugin, LoadProblem, Plugins, check_file, folder_signature};
pub use transport::{Transport, TransportReadError};

/// The contract version this host implements (`wit/netpulse-plugin.wit`).
pub const WIT_VERSION: &str = "0.1.0";

/// Bindings generated from the WIT package.
pub mod bindings {
    wasmtime::component::bindgen!({ path: "../wit", world: "driver" });
}

/// Bindings for the parser world.
mod parser_bindings {
    wasmtime::component::bindgen!({ path: "../wit", world: "parser" });
}

pub use bindings::exports::netpulse::plugin::driver_api::{
    CommandOptions, ConfigOptions, ConfigReply, SessionOptions, SessionState,
};
pub use bindings::netpulse::plugin::types::{DriverError, PluginMeta};

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

/// Whether a plugin built for WIT `version` can run on this host (semver: same
/// major, and for 0.x the same minor).
pub fn wit_compatible(version: &str) -> bool {
    let parse = |v: &str| -> Option<(u64, u64)> {
        let mut it = v.trim().split('.');
        Some((it.next()?.parse().ok()?, it.next()?.parse().ok()?))
    };
    match (parse(version), parse(WIT_VERSION)) {
        (Some((0, a)), Some((0, b))) => a == b,
        (Some((a, _)), Some((b, _))) => a == b,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn wit_compatibility_follows_semver() {
        assert!(super::wit_compatible("0.1.0"));
        assert!(super::wit_compatible("0.1.7"));
        assert!(!super::wit_compatible("0.2.0"));
        assert!(!super::wit_compatible("1.0.0"));
        assert!(!super::wit_compatible("garbage"));
    }
}
