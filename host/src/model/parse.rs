//! Structured output: the templates a job's output is parsed with, carried in the
//! job so that a node needs no templates folder.

use serde::{Deserialize, Serialize};

/// A template's file name and text, as handed to the parser.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NamedTemplate {
    pub name: String,
    pub text: String,
}

/// How a job's command output is parsed: the parser and, for each command, the
/// templates it runs (texts carried in the job, so a node needs no templates folder).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ParsePlan {
    /// The parser plugin (`parsing.name`), e.g. "textfsm".
    pub parser: String,
    /// Every distinct template of the job.
    pub templates: Vec<NamedTemplate>,
    /// For command `i`, the indexes into `templates` it is parsed with.
    pub per_command: Vec<Vec<usize>>,
    /// Record keys lower-cased (the ntc-templates convention, with `use_ntc_template`).
    pub lower_keys: bool,
}
