//! One set of generated bindings per contract version this host supports, each
//! from its own WIT folder, and the enums that call a plugin through the set it
//! was built against.
//!
//! - `v0_1`: `netpulse:plugin@0.1.0`, from `wit/since_v0.1.0/` (frozen).
//! - `v0_2`: `netpulse:plugin@0.2.0`, from `wit/` (the current contract).
//!
//! The host's own types are those of the current contract ([`latest`]); an older
//! version's module converts its types to and from them. A new contract version
//! gets a module here, a case in [`Contract`], [`DriverPre`], [`Driver`],
//! [`ParserPre`] and [`Parser`], and its bindings added to the linker.

use wasmtime::Store;
use wasmtime::component::{Component, HasSelf, Linker};

use super::host::PluginCtx;

/// Implements a contract version's `types` and `channel` host traits for
/// [`PluginCtx`] by forwarding to the host's one implementation (`PluginCtx::channel_*`
/// in `host.rs`). `$np` names the version's generated `netpulse::plugin` module. The
/// `channel` interface has the same shape in every version so far; a version that
/// changes it gets its own impl instead.
macro_rules! channel_host {
    ($np:ident) => {
        impl $np::types::Host for $crate::plugin::host::PluginCtx {}

        impl $np::channel::Host for $crate::plugin::host::PluginCtx {
            fn write(&mut self, data: String) -> Result<(), String> {
                self.channel_write(&data)
            }

            fn read_until(
                &mut self,
                pattern: String,
                timeout_ms: u32,
            ) -> Result<$np::channel::ReadMatch, $np::channel::ReadError> {
                use $crate::plugin::TransportReadError as E;
                use $np::channel::ReadError;
                match self.channel_read_until(&pattern, timeout_ms) {
                    Ok((before, matched)) => Ok($np::channel::ReadMatch { before, matched }),
                    Err(E::Timeout(s)) => Err(ReadError::Timeout(s)),
                    Err(E::Closed(s)) => Err(ReadError::Closed(s)),
                    Err(E::BadPattern(s)) => Err(ReadError::BadPattern(s)),
                }
            }

            fn drain(&mut self) -> String {
                self.channel_drain()
            }

            fn search(&mut self, pattern: String, text: String) -> Result<Option<String>, String> {
                self.channel_search(&pattern, &text)
            }

            fn log(&mut self, level: $np::channel::LogLevel, message: String) {
                use $np::channel::LogLevel as L;
                let level = match level {
                    L::Trace => tracing::Level::TRACE,
                    L::Debug => tracing::Level::DEBUG,
                    L::Info => tracing::Level::INFO,
                    L::Warn => tracing::Level::WARN,
                    L::Error => tracing::Level::ERROR,
                };
                self.channel_log(level, &message)
            }
        }
    };
}

pub mod v0_1;
pub mod v0_2;

/// The current contract: its types are the host's own.
pub use v0_2 as latest;

pub use latest::{
    CommandOptions, ConfigOptions, ConfigReply, DriverError, ParseError, PluginMeta, SessionOptions,
    SessionState,
};

/// A contract version this host implements.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Contract {
    V0_1,
    V0_2,
}

impl Contract {
    /// Every supported version, oldest first.
    pub const ALL: [Contract; 2] = [Contract::V0_1, Contract::V0_2];
    /// The current contract (`wit/netpulse-plugin.wit`).
    pub const LATEST: Contract = Contract::V0_2;

    /// Its package version, as its WIT file names it.
    pub const fn version(self) -> semver::Version {
        match self {
            Contract::V0_1 => v0_1::VERSION,
            Contract::V0_2 => v0_2::VERSION,
        }
    }

    /// The supported contract a plugin built for `version` runs as: the one with
    /// the same major, and for 0.x also the same minor (so a 0.1.x plugin runs as
    /// 0.1.0, and 0.2.0 or 1.0.0 is another contract).
    pub fn for_version(version: &semver::Version) -> Option<Contract> {
        Contract::ALL.into_iter().rev().find(|c| compatible(&c.version(), version))
    }

    /// The supported versions, for messages: "0.1.0, 0.2.0".
    pub fn supported() -> String {
        Contract::ALL.iter().map(|c| c.version().to_string()).collect::<Vec<_>>().join(", ")
    }
}

/// Whether a plugin built for `plugin` can run on contract `host`: semver's caret
/// rule on the host's major (and for 0.x, its minor).
fn compatible(host: &semver::Version, plugin: &semver::Version) -> bool {
    let req = semver::Comparator {
        op: semver::Op::Caret,
        major: host.major,
        minor: Some(host.minor).filter(|_| host.major == 0),
        patch: None,
        pre: semver::Prerelease::EMPTY,
    };
    // A pre-release is judged by its release's number.
    let plain = semver::Version::new(plugin.major, plugin.minor, plugin.patch);
    req.matches(&plain)
}

/// The contract a component was built against, from the `netpulse:plugin` version
/// its imports and exports name; `Ok(None)` when it names none (then it is not a
/// NetPulse plugin, which linking it will say).
pub fn contract_of(engine: &wasmtime::Engine, component: &Component) -> Result<Option<Contract>, String> {
    let ty = component.component_type();
    let mut named: Vec<String> = ty
        .imports(engine)
        .chain(ty.exports(engine))
        .filter_map(|(name, _)| {
            name.strip_prefix("netpulse:plugin/").and_then(|r| r.split_once('@')).map(|(_, v)| v.to_string())
        })
        .collect();
    named.sort();
    named.dedup();
    match named.as_slice() {
        [] => Ok(None),
        [one] => {
            let version = semver::Version::parse(one)
                .map_err(|e| format!("names netpulse:plugin@{one}, which is not a version: {e}"))?;
            Contract::for_version(&version).map(Some).ok_or_else(|| {
                format!(
                    "built for netpulse:plugin@{version}, but this host provides netpulse:plugin@{} \
                     (and runs plugins built for {}); rebuild the plugin against wit/ of this release",
                    Contract::LATEST.version(),
                    Contract::supported()
                )
            })
        }
        many => Err(format!("mixes netpulse:plugin versions {}; build it against one WIT", many.join(", "))),
    }
}

/// Check the version a plugin's metadata says it was built for (`wit-version`)
/// against the contract its imports and exports link it to: a version this host
/// runs no plugins of is refused; a different supported one is only logged (the
/// names it links by decide how it is called).
pub fn check_claim(meta: &PluginMeta, linked: Contract) -> Result<(), String> {
    let claim = semver::Version::parse(meta.wit_version.trim()).map_err(|e| {
        format!(
            "plugin {} says it was built for netpulse:plugin@{:?}, which is not a version: {e}",
            meta.name, meta.wit_version
        )
    })?;
    match Contract::for_version(&claim) {
        None => Err(format!(
            "plugin {} says it was built for netpulse:plugin@{claim}, but this host provides \
             netpulse:plugin@{} (and runs plugins built for {})",
            meta.name,
            Contract::LATEST.version(),
            Contract::supported()
        )),
        Some(c) if c != linked => {
            tracing::warn!(
                "plugin {} says it was built for netpulse:plugin@{claim}, but its imports and exports \
                 name {}, which it runs as",
                meta.name,
                linked.version()
            );
            Ok(())
        }
        Some(_) => Ok(()),
    }
}

/// Add every supported version's imports (the `channel` interface) to `linker`.
pub fn add_to_linker(linker: &mut Linker<PluginCtx>) -> wasmtime::Result<()> {
    v0_1::Driver::add_to_linker::<PluginCtx, HasSelf<PluginCtx>>(linker, |c| c)?;
    v0_2::Driver::add_to_linker::<PluginCtx, HasSelf<PluginCtx>>(linker, |c| c)?;
    Ok(())
}

/// A driver component linked and ready to instantiate, for its contract version.
pub enum DriverPre {
    V0_1(v0_1::DriverPre<PluginCtx>),
    V0_2(v0_2::DriverPre<PluginCtx>),
}

/// One instance of a driver component.
pub enum Driver {
    V0_1(v0_1::Driver),
    V0_2(v0_2::Driver),
}

impl DriverPre {
    /// Link `component` as a driver of `contract`.
    pub fn new(
        contract: Contract,
        linker: &Linker<PluginCtx>,
        component: &Component,
    ) -> wasmtime::Result<Self> {
        let pre = linker.instantiate_pre(component)?;
        Ok(match contract {
            Contract::V0_1 => DriverPre::V0_1(v0_1::DriverPre::new(pre)?),
            Contract::V0_2 => DriverPre::V0_2(v0_2::DriverPre::new(pre)?),
        })
    }

    pub fn instantiate(&self, store: &mut Store<PluginCtx>) -> wasmtime::Result<Driver> {
        Ok(match self {
            DriverPre::V0_1(p) => Driver::V0_1(p.instantiate(store)?),
            DriverPre::V0_2(p) => Driver::V0_2(p.instantiate(store)?),
        })
    }
}

/// What a driver call returns: a wasmtime failure, or the driver's own answer.
type DriverCall<R> = wasmtime::Result<Result<R, DriverError>>;

impl Driver {
    pub fn metadata(&self, store: &mut Store<PluginCtx>) -> wasmtime::Result<PluginMeta> {
        match self {
            Driver::V0_1(d) => d.netpulse_plugin_driver_api().call_metadata(store).map(Into::into),
            Driver::V0_2(d) => d.netpulse_plugin_driver_api().call_metadata(store),
        }
    }

    pub fn prepare_session(
        &self,
        store: &mut Store<PluginCtx>,
        options: &SessionOptions,
    ) -> DriverCall<SessionState> {
        match self {
            Driver::V0_1(d) => d
                .netpulse_plugin_driver_api()
                .call_prepare_session(store, &options.into())
                .map(|r| r.map(Into::into).map_err(Into::into)),
            Driver::V0_2(d) => d.netpulse_plugin_driver_api().call_prepare_session(store, options),
        }
    }

    pub fn send_command(
        &self,
        store: &mut Store<PluginCtx>,
        state: &SessionState,
        command: &str,
        options: &CommandOptions,
    ) -> DriverCall<String> {
        match self {
            Driver::V0_1(d) => d
                .netpulse_plugin_driver_api()
                .call_send_command(store, &state.into(), command, &options.into())
                .map(|r| r.map_err(Into::into)),
            Driver::V0_2(d) => {
                d.netpulse_plugin_driver_api().call_send_command(store, state, command, options)
            }
        }
    }

    pub fn send_config(
        &self,
        store: &mut Store<PluginCtx>,
        state: &SessionState,
        lines: &[String],
        options: &ConfigOptions,
    ) -> DriverCall<ConfigReply> {
        match self {
            Driver::V0_1(d) => d
                .netpulse_plugin_driver_api()
                .call_send_config(store, &state.into(), lines, &options.into())
                .map(|r| r.map(Into::into).map_err(Into::into)),
            Driver::V0_2(d) => d.netpulse_plugin_driver_api().call_send_config(store, state, lines, options),
        }
    }

    pub fn probe(
        &self,
        store: &mut Store<PluginCtx>,
        state: &SessionState,
        timeout_ms: u32,
    ) -> DriverCall<()> {
        match self {
            Driver::V0_1(d) => d
                .netpulse_plugin_driver_api()
                .call_probe(store, &state.into(), timeout_ms)
                .map(|r| r.map_err(Into::into)),
            Driver::V0_2(d) => d.netpulse_plugin_driver_api().call_probe(store, state, timeout_ms),
        }
    }

    pub fn close(&self, store: &mut Store<PluginCtx>, state: &SessionState) -> wasmtime::Result<()> {
        match self {
            Driver::V0_1(d) => d.netpulse_plugin_driver_api().call_close(store, &state.into()),
            Driver::V0_2(d) => d.netpulse_plugin_driver_api().call_close(store, state),
        }
    }
}

/// A parser component linked and ready to instantiate, for its contract version.
pub enum ParserPre {
    V0_1(v0_1::ParserPre<PluginCtx>),
    V0_2(v0_2::ParserPre<PluginCtx>),
}

/// One instance of a parser component.
pub enum Parser {
    V0_1(v0_1::Parser),
    V0_2(v0_2::Parser),
}

impl ParserPre {
    /// Link `component` as a parser of `contract`.
    pub fn new(
        contract: Contract,
        linker: &Linker<PluginCtx>,
        component: &Component,
    ) -> wasmtime::Result<Self> {
        let pre = linker.instantiate_pre(component)?;
        Ok(match contract {
            Contract::V0_1 => ParserPre::V0_1(v0_1::ParserPre::new(pre)?),
            Contract::V0_2 => ParserPre::V0_2(v0_2::ParserPre::new(pre)?),
        })
    }

    pub fn instantiate(&self, store: &mut Store<PluginCtx>) -> wasmtime::Result<Parser> {
        Ok(match self {
            ParserPre::V0_1(p) => Parser::V0_1(p.instantiate(store)?),
            ParserPre::V0_2(p) => Parser::V0_2(p.instantiate(store)?),
        })
    }
}

impl Parser {
    pub fn metadata(&self, store: &mut Store<PluginCtx>) -> wasmtime::Result<PluginMeta> {
        match self {
            Parser::V0_1(p) => p.netpulse_plugin_parser_api().call_metadata(store).map(Into::into),
            Parser::V0_2(p) => p.netpulse_plugin_parser_api().call_metadata(store),
        }
    }

    pub fn parse(
        &self,
        store: &mut Store<PluginCtx>,
        templates: &[String],
        platform: &str,
        command: &str,
        output: &str,
    ) -> wasmtime::Result<Result<String, ParseError>> {
        match self {
            Parser::V0_1(p) => p
                .netpulse_plugin_parser_api()
                .call_parse(store, templates, platform, command, output)
                .map(|r| r.map_err(Into::into)),
            Parser::V0_2(p) => {
                p.netpulse_plugin_parser_api().call_parse(store, templates, platform, command, output)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Contract;
    use semver::Version;

    fn v(s: &str) -> Version {
        Version::parse(s).unwrap()
    }

    #[test]
    fn plugins_run_as_the_compatible_contract() {
        assert_eq!(Contract::for_version(&v("0.1.0")), Some(Contract::V0_1));
        assert_eq!(Contract::for_version(&v("0.1.7")), Some(Contract::V0_1));
        assert_eq!(Contract::for_version(&v("0.2.0")), Some(Contract::V0_2));
        assert_eq!(Contract::for_version(&v("0.2.3-rc.1")), Some(Contract::V0_2));
        assert_eq!(Contract::for_version(&v("0.3.0")), None);
        assert_eq!(Contract::for_version(&v("1.0.0")), None);
        assert_eq!(Contract::for_version(&v("0.0.9")), None);
    }

    #[test]
    fn a_claimed_version_no_contract_serves_is_refused() {
        let meta = |wit: &str| super::PluginMeta {
            name: "acme".into(),
            version: "1.0.0".into(),
            wit_version: wit.into(),
            platforms: vec!["acme".into()],
        };
        assert!(super::check_claim(&meta("0.2.0"), Contract::V0_2).is_ok());
        assert!(super::check_claim(&meta("0.1.0"), Contract::V0_1).is_ok());
        // Another supported version than it links to: it runs as the one it links to.
        assert!(super::check_claim(&meta("0.1.0"), Contract::V0_2).is_ok());
        let refused = super::check_claim(&meta("1.0.0"), Contract::V0_2).unwrap_err();
        assert!(refused.contains("plugin acme") && refused.contains("@1.0.0"), "{refused}");
        assert!(refused.contains("0.2.0") && refused.contains("0.1.0"), "{refused}");
        assert!(super::check_claim(&meta("one"), Contract::V0_2).unwrap_err().contains("not a version"));
    }

    #[test]
    fn each_version_matches_its_wit_file() {
        let files = [
            (Contract::V0_1, include_str!("../../../../wit/since_v0.1.0/netpulse-plugin.wit")),
            (Contract::V0_2, include_str!("../../../../wit/netpulse-plugin.wit")),
        ];
        for (contract, text) in files {
            let package = format!("\npackage netpulse:plugin@{};\n", contract.version());
            assert!(text.contains(&package), "{contract:?}: the WIT file does not declare {package:?}");
        }
        assert_eq!(Contract::LATEST, *Contract::ALL.last().unwrap());
    }
}
