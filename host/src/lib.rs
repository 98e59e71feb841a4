//! NetPulse-rs: run commands and push configuration to network devices through
//! one REST API. Jobs flow `api` -> `queue` (Redis) -> `node` (workers) -> `plugin`
//! (WASM drivers) -> `ssh`; imports point down the layers, never back:
//! `model` <- `config` <- `queue` <- {`api`, `node`}; `plugin` <- `template` <-
//! {`api`, `node`}; `ssh` <- `node`; `app` and `cli` assemble them. The code map in
//! docs/architecture.md says what each module owns and must never import;
//! `host/tests/layers.rs` holds the code to it.

pub mod api;
pub mod app;
pub mod cli;
pub mod config;
pub mod metrics;
pub mod model;
pub mod node;
pub mod plugin;
pub mod queue;
pub mod ssh;
pub mod template;

/// The driver components built from `plugins/` and embedded in the binary.
pub mod builtin {
    include!(concat!(env!("OUT_DIR"), "/builtin_plugins.rs"));
}
