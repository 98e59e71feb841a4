//! SSH transport: a russh client session with one interactive PTY shell, and
//! reading until a pattern matches. Knows bytes and time, nothing about vendors.

mod shell;

pub use shell::{ConnectParams, ReadError, SshError, SshShell};
