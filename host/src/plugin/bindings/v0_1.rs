//! `netpulse:plugin@0.1.0`, as released (`wit/since_v0.1.0/`, frozen), and its
//! types converted to and from the host's own (those of the current contract).
//! What 0.1 lacks is dropped on the way in: `command-options.extra`.

use super::latest;

/// The contract version these bindings are generated from (checked against the
/// file by `super::each_version_matches_its_wit_file`).
pub const VERSION: semver::Version = semver::Version::new(0, 1, 0);

mod driver {
    wasmtime::component::bindgen!({ path: "../wit/since_v0.1.0", world: "driver" });
}

mod parser {
    wasmtime::component::bindgen!({
        path: "../wit/since_v0.1.0",
        world: "parser",
        with: { "netpulse:plugin/types": super::driver::netpulse::plugin::types },
    });
}

use driver::netpulse::plugin as np;
channel_host!(np);

pub use driver::{Driver, DriverPre};
pub use parser::{Parser, ParserPre};

use driver::exports::netpulse::plugin::driver_api as api;
use driver::netpulse::plugin::types;
use parser::exports::netpulse::plugin::parser_api;

impl From<types::PluginMeta> for latest::PluginMeta {
    fn from(m: types::PluginMeta) -> Self {
        Self { name: m.name, version: m.version, wit_version: m.wit_version, platforms: m.platforms }
    }
}

impl From<types::DriverError> for latest::DriverError {
    fn from(e: types::DriverError) -> Self {
        use types::DriverError as E;
        match e {
            E::CommandRejected(m) => Self::CommandRejected(m),
            E::Timeout(m) => Self::Timeout(m),
            E::Connection(m) => Self::Connection(m),
            E::Authentication(m) => Self::Authentication(m),
            E::Protocol(m) => Self::Protocol(m),
        }
    }
}

impl From<&latest::SessionOptions> for api::SessionOptions {
    fn from(o: &latest::SessionOptions) -> Self {
        Self {
            device_type: o.device_type.clone(),
            host: o.host.clone(),
            username: o.username.clone(),
            secret: o.secret.clone(),
            timeout_ms: o.timeout_ms,
        }
    }
}

impl From<&latest::SessionState> for api::SessionState {
    fn from(s: &latest::SessionState) -> Self {
        Self { prompt: s.prompt.clone(), data: s.data.clone() }
    }
}

impl From<api::SessionState> for latest::SessionState {
    fn from(s: api::SessionState) -> Self {
        Self { prompt: s.prompt, data: s.data }
    }
}

/// 0.1 has no `extra` for commands: vendor driver_args are not passed.
impl From<&latest::CommandOptions> for api::CommandOptions {
    fn from(o: &latest::CommandOptions) -> Self {
        Self {
            read_timeout_ms: o.read_timeout_ms,
            expect_string: o.expect_string.clone(),
            strip_prompt: o.strip_prompt,
            strip_command: o.strip_command,
        }
    }
}

impl From<&latest::ConfigOptions> for api::ConfigOptions {
    fn from(o: &latest::ConfigOptions) -> Self {
        Self {
            read_timeout_ms: o.read_timeout_ms,
            save: o.save,
            exit_config_mode: o.exit_config_mode,
            error_pattern: o.error_pattern.clone(),
            extra: o.extra.clone(),
        }
    }
}

impl From<api::ConfigReply> for latest::ConfigReply {
    fn from(r: api::ConfigReply) -> Self {
        Self { transcript: r.transcript, state: r.state.into() }
    }
}

impl From<parser_api::ParseError> for latest::ParseError {
    fn from(e: parser_api::ParseError) -> Self {
        Self { message: e.message, template: e.template, line: e.line }
    }
}
