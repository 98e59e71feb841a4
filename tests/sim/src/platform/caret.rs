//! Caret lines under refused input (`   ^` then the message), as NX-OS, IOS XR, Junos and
//! VRP print them, and the errors of the platforms that mark every refusal that way
//! ([`CaretErrors`]). Columns count from the start of the prompt line.

use crate::parser::{CommandTree, ParseError, Word};
use crate::platform::Reply;
use crate::platform::blocks::ConfigError;
use crate::platform::filter::{PipedError, split_pipe};

/// The caret line under `column`.
pub(crate) fn caret(column: usize) -> String {
    format!("{}^", " ".repeat(column))
}

/// The caret line under `column`, then `message`.
pub(crate) fn marked(column: usize, message: &str) -> Reply {
    Reply::text(format!("{}\n{message}", caret(column)))
}

/// The column one past the end of `line` typed after a prompt of `prompt_len` characters,
/// where an incomplete command is marked.
pub(crate) fn past_end(line: &str, prompt_len: usize) -> usize {
    prompt_len + line.trim_end().chars().count() + 1
}

/// A platform's messages for the lines it refuses, each under a caret line (NX-OS, VRP).
pub(crate) struct CaretErrors {
    pub invalid: &'static str,
    pub incomplete: &'static str,
    pub ambiguous: &'static str,
}

impl CaretErrors {
    /// The answer to an exec `line` (typed after a prompt of `prompt_len` characters, split
    /// into `all`) that did not parse in `tree`. An invalid word is marked where it starts, an
    /// ambiguous one too, an incomplete command one past the line's end.
    pub fn refused<A>(
        &self,
        error: PipedError,
        line: &str,
        tree: &CommandTree<A>,
        all: &[Word<'_>],
        prompt_len: usize,
    ) -> Reply {
        let (error, command) = match error {
            PipedError::NoCommand => return marked(prompt_len + all[0].column, self.invalid),
            PipedError::Command(e) => (e, split_pipe(all).0),
            PipedError::Pipe(e) => (e, &[][..]),
        };
        let end = past_end(line, prompt_len);
        match error {
            ParseError::Empty => Reply::empty(),
            ParseError::Invalid { column, .. } => marked(prompt_len + column, self.invalid),
            ParseError::Incomplete => marked(end, self.incomplete),
            ParseError::Ambiguous => {
                let column = tree.ambiguity(command).map(|(i, _)| command[i].column);
                marked(column.map_or(end, |c| prompt_len + c), self.ambiguous)
            }
        }
    }

    /// The answer to a configuration line refused with `error`.
    pub fn config(&self, error: ConfigError, line: &str, prompt_len: usize) -> Reply {
        match error {
            ConfigError::Invalid { column } => marked(prompt_len + column, self.invalid),
            ConfigError::Ambiguous { column } => marked(prompt_len + column, self.ambiguous),
            ConfigError::Incomplete => self.incomplete(line, prompt_len),
        }
    }

    /// The answer to an incomplete `line`.
    pub fn incomplete(&self, line: &str, prompt_len: usize) -> Reply {
        marked(past_end(line, prompt_len), self.incomplete)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn carets_count_the_prompt() {
        assert_eq!(caret(3), "   ^");
        assert_eq!(marked(2, "% Bad").text, "  ^\n% Bad");
        assert_eq!(past_end("show  ", 6), 11);
    }
}
