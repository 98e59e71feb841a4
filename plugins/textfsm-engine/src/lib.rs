//! A TextFSM engine with the semantics of Google's Python `textfsm` 2.x, for
//! templates written in Python `re` syntax (as the ntc-templates library is), and
//! the CliTable index that picks a template from a platform and a command.
//!
//! - `pysyntax` reads a rule's Python `re` pattern into a syntax tree, and
//!   `backtrack` compiles that into the program that matches ASCII lines (nearly
//!   all device output); [`pyre`] puts them together with `fancy-regex` (for the
//!   syntax it translates to) on other lines.
//! - [`Template`] parses a template (Values, states, rules) and reports errors with
//!   the template line; [`Template::parse`] runs the state machine over text.
//! - [`merge`] joins the tables of several templates on their `Key` values, as
//!   CliTable does for an index row naming `a.textfsm:b.textfsm`.
//! - [`Index`] reads a CliTable `index` file (`sh[[ow]]` completion) and finds the
//!   templates for a platform and command.
//!
//! It is plain Rust with no I/O, so it builds both for the host and for the
//! `wasm32-wasip2` parser component.

mod backtrack;
mod fsm;
mod index;
pub mod pyre;
mod pysyntax;
mod table;
mod template;

pub use index::{Index, IndexError};
pub use table::{Cell, Item, Table, merge};
pub use template::{Template, TemplateError};

/// A parse stopped by an `Error` action of the template.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    /// What the template says (or a generic text when the action carries none).
    pub message: String,
    /// The template line of the rule that raised it.
    pub line: u32,
}

impl std::fmt::Display for ParseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

impl std::error::Error for ParseError {}
