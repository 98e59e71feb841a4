//! The byte stream a driver talks through. The node adapts its SSH shell to this;
//! tests and benchmarks use an in-memory one.

use std::any::Any;
use std::time::Duration;

/// Why a read ended without a match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TransportReadError {
    /// Nothing matched in time; what was read meanwhile.
    Timeout(String),
    /// The session closed; what was read before.
    Closed(String),
    BadPattern(String),
}

/// A blocking, line-oriented device session as plugins see it.
pub trait Transport: Any + Send {
    fn write(&mut self, data: &str) -> Result<(), String>;
    /// Read until `pattern` (multi-line regex) matches; (text before, matched text).
    fn read_until(
        &mut self,
        pattern: &str,
        timeout: Duration,
    ) -> Result<(String, String), TransportReadError>;
    /// Whatever arrived and was not read yet.
    fn drain(&mut self) -> String;
}
