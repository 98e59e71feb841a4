//! SSH transport: a russh client session with one interactive PTY shell, the
//! terminal filter in front of it, and reading until a pattern matches. Whether
//! a host key is trusted is decided by the `HostKeyCheck` the caller hands in. Knows
//! bytes and time, nothing about vendors.

mod hostkey;
mod shell;
mod terminal;

pub use hostkey::{AcceptAnyKey, HostKey, HostKeyCheck, HostKeyVerdict, KnownHosts, known_hosts_lookup};
pub use shell::{ConnectParams, ReadError, SshError, SshShell};
pub use terminal::Vt100Filter;
