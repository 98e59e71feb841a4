//! `netpulse:plugin@0.2.0`, the current contract (`wit/netpulse-plugin.wit`). Its
//! types are the host's own.

/// The contract version these bindings are generated from: the one place the host
/// names it (`super::each_version_matches_its_wit_file` checks it against the file).
pub const VERSION: semver::Version = semver::Version::new(0, 2, 0);

mod driver {
    wasmtime::component::bindgen!({ path: "../wit", world: "driver" });
}

mod parser {
    wasmtime::component::bindgen!({
        path: "../wit",
        world: "parser",
        with: { "netpulse:plugin/types": super::driver::netpulse::plugin::types },
    });
}

use driver::netpulse::plugin as np;
channel_host!(np);

pub use driver::exports::netpulse::plugin::driver_api::{
    CommandOptions, ConfigOptions, ConfigReply, SessionOptions, SessionState,
};
pub use driver::netpulse::plugin::types::{DriverError, PluginMeta};
pub use driver::{Driver, DriverPre};
pub use parser::exports::netpulse::plugin::parser_api::ParseError;
pub use parser::{Parser, ParserPre};
