//! Plugin runtime: the wasmtime engine, loading driver components, the host side
//! of the WIT `channel` interface, and calling driver operations under a deadline
//! and a memory cap; parser components (the `parser` world) the same way.
//!
//! It is handed what it needs ([`PluginSetup`]: limits and folders), never the
//! settings, and knows nothing of jobs, queues or templates.

use std::path::PathBuf;

mod bindings;
mod cache;
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
pub use engine::{CallContext, CallError, FENCED, Fence, STOPPED, SandboxLimits, StopSignal};
pub use live::{LivePlugins, watch_folder};
pub use parser::{ParseError, ParserPlugin};
pub use registry::{DriverPlugin, LoadProblem, Plugins, check_file, folder_signature};
pub use transport::{Transport, TransportReadError};

/// The current contract version (`wit/netpulse-plugin.wit`); plugins built for
/// the older ones in `wit/since_v*/` load too (see [`Contract`]).
pub use bindings::latest::VERSION as WIT_VERSION;

/// What loading plugins needs from the configuration, and nothing else: the
/// sandbox limits and the folders. `app` builds it from the settings.
#[derive(Clone, Debug, Default)]
pub struct PluginSetup {
    pub limits: SandboxLimits,
    /// Extra components (`*.wasm`) beside the built-in ones; watched for changes
    /// by [`watch_folder`].
    pub plugins_dir: Option<PathBuf>,
    /// Where compiled machine code is cached (see `cache.rs`); none: no cache.
    pub cache_dir: Option<PathBuf>,
}

/// Load the built-in plugins and those in the setup's folder, with its sandbox
/// limits and compile cache.
pub fn load(setup: &PluginSetup) -> anyhow::Result<(Plugins, Vec<LoadProblem>)> {
    let loaded = Plugins::load(
        crate::builtin::BUILTIN_PLUGINS,
        setup.plugins_dir.as_deref(),
        setup.limits,
        setup.cache_dir.as_deref(),
    );
    give_back_freed_memory();
    loaded
}

/// Return the heap Cranelift freed to the system: after compiling the plugins
/// (a first start, or a reload), glibc kept about 80 MiB of it resident in an
/// idle process (measured: 102-108 MiB against 27 MiB from the cache).
fn give_back_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        unsafe extern "C" {
            fn malloc_trim(pad: usize) -> i32;
        }
        // SAFETY: glibc's malloc_trim only releases free heap memory; any thread
        // may call it at any time.
        unsafe {
            malloc_trim(0);
        }
    }
}
