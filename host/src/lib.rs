//! NetPulse-rs: run commands and push configuration to network devices through
//! one REST API. Data flows one way: `api` -> `queue` (Redis) -> `node` (workers)
//! -> `plugin` (WASM drivers) -> `ssh`.

pub mod api;
pub mod app;
pub mod cli;
pub mod config;
pub mod node;
pub mod plugin;
pub mod queue;
pub mod ssh;
pub mod template;

/// The driver components built from `plugins/` and embedded in the binary.
pub mod builtin {
    include!(concat!(env!("OUT_DIR"), "/builtin_plugins.rs"));
}
