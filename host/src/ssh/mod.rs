//! SSH transport: a russh client session with one interactive PTY shell, the
//! terminal filter in front of it, and reading until a pattern matches. Knows
//! bytes and time, nothing about vendors.

mod shell;
mod terminal;

pub use shell::{ConnectParams, ReadError, SshError, SshShell};
pub use terminal::Vt100Filter;
