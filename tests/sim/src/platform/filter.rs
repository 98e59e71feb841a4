//! Output filters after a `|`: the single IOS-style [`Filter`] (`| include X`) and the
//! multi-stage [`Pipeline`] of the other platforms (`| include X | exclude Y`, Junos
//! `| match X | count`, `| no-more`), each platform naming its stages with a [`PipeSyntax`];
//! and a command line resolved with its pipeline: in a session ([`resolve`]) and for
//! `canned_output` ([`piped_output`]).

use crate::parser::{CommandTree, Match, ParseError, Parsed, Word, match_keyword, words};
use crate::platform::Reply;

/// Splits words at a `|` word: the command and the output filter (starting at the `|`).
pub(crate) fn split_pipe<'a, 'l>(all: &'a [Word<'l>]) -> (&'a [Word<'l>], Option<&'a [Word<'l>]>) {
    match all.iter().position(|w| w.text == "|") {
        Some(i) => (&all[..i], Some(&all[i..])),
        None => (all, None),
    }
}

/// Why a command line with a [`Pipeline`] did not parse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum PipedError {
    /// The line starts with its `|`.
    NoCommand,
    /// The words before the `|`.
    Command(ParseError),
    /// The pipeline.
    Pipe(ParseError),
}

/// Resolves the words of a line in `tree`, and the pipeline after them in `syntax`.
pub(crate) fn parse_piped<'t, 'l, A>(
    tree: &'t CommandTree<A>,
    all: &[Word<'l>],
    syntax: &PipeSyntax,
) -> Result<(Parsed<'t, 'l, A>, Pipeline), PipedError> {
    let (command, pipe) = split_pipe(all);
    let parsed = match tree.parse_words(command) {
        Ok(parsed) => parsed,
        Err(ParseError::Empty) if pipe.is_some() => return Err(PipedError::NoCommand),
        Err(e) => return Err(PipedError::Command(e)),
    };
    let pipeline = Pipeline::parse(pipe, syntax).map_err(PipedError::Pipe)?;
    Ok((parsed, pipeline))
}

/// Resolves an exec line (`all`, its words) in `tree` with its pipeline in `syntax`. An
/// action that is an output (`output` gives its text from the action and the words after
/// its keywords) is answered through the pipeline: `Err` with that reply, as with the reply
/// `refused` words for a line that did not parse; any other action is handed back.
pub(crate) fn resolve<'t, 'l, A>(
    tree: &'t CommandTree<A>,
    syntax: &PipeSyntax,
    all: &[Word<'l>],
    output: impl FnOnce(&A, &[&str]) -> Option<String>,
    refused: impl FnOnce(PipedError) -> Reply,
) -> Result<Parsed<'t, 'l, A>, Reply> {
    let (parsed, pipeline) = parse_piped(tree, all, syntax).map_err(refused)?;
    match output(parsed.action, &parsed.arg_texts()) {
        Some(text) => Err(pipeline.reply(&text, syntax)),
        None => Ok(parsed),
    }
}

/// What a show-like `command` prints in privileged mode: resolved in `tree`, its action and
/// argument words given to `output` (`None`: not an output), then piped in `syntax`.
pub(crate) fn piped_output<A>(
    tree: &CommandTree<A>,
    syntax: &PipeSyntax,
    command: &str,
    output: impl FnOnce(&A, &[&str]) -> Option<String>,
) -> Option<String> {
    let all = words(command);
    let (parsed, pipeline) = parse_piped(tree, &all, syntax).ok()?;
    let text = output(parsed.action, &parsed.arg_texts())?;
    Some(pipeline.apply(&text, syntax))
}

/// True when `line` matches `pattern`: literal text, optionally anchored with `^` and `$`
/// (no other regex syntax).
fn matches_literal(pattern: &str, line: &str) -> bool {
    let p = pattern;
    match (p.strip_prefix('^'), p.strip_suffix('$')) {
        (Some(rest), _) if rest.ends_with('$') => line == &rest[..rest.len() - 1],
        (Some(rest), _) => line.starts_with(rest),
        (None, Some(rest)) => line.ends_with(rest),
        (None, None) => line.contains(p),
    }
}

/// An output filter: `| include X`, `| exclude X`, `| begin X`, `| section X`, `| count X`.
/// Patterns are literal text, optionally anchored with `^` and `$` (no other regex syntax).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Filter {
    kind: &'static str,
    pattern: String,
}

impl Filter {
    const KINDS: &'static [&'static str] = &["begin", "count", "exclude", "include", "section"];

    /// Parses the words from the `|` on.
    pub fn parse(words: &[Word<'_>]) -> Result<Filter, ParseError> {
        let Some(kind) = words.get(1) else {
            return Err(ParseError::Incomplete);
        };
        let kind = match match_keyword(kind.text, Filter::KINDS.iter().copied()) {
            Match::One(k) => k,
            Match::Ambiguous => return Err(ParseError::Ambiguous),
            Match::None => {
                return Err(ParseError::Invalid { index: 1, column: kind.column });
            }
        };
        if words.len() < 3 {
            return Err(ParseError::Incomplete);
        }
        let pattern = words[2..].iter().map(|w| w.text).collect::<Vec<_>>().join(" ");
        Ok(Filter { kind, pattern })
    }

    fn matches(&self, line: &str) -> bool {
        matches_literal(&self.pattern, line)
    }

    pub fn apply(&self, text: &str) -> String {
        let lines = text.lines();
        let kept: Vec<&str> = match self.kind {
            "include" => lines.filter(|l| self.matches(l)).collect(),
            "exclude" => lines.filter(|l| !self.matches(l)).collect(),
            "begin" => lines.skip_while(|l| !self.matches(l)).collect(),
            "section" => {
                let mut inside = false;
                lines
                    .filter(|l| {
                        if !l.starts_with(' ') {
                            inside = self.matches(l);
                        }
                        inside || self.matches(l)
                    })
                    .collect()
            }
            _ => {
                let n = lines.filter(|l| self.matches(l)).count();
                return format!("Number of lines which match regexp = {n}");
            }
        };
        kept.join("\n")
    }
}

/// What one stage of a [`Pipeline`] does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stage {
    /// Keeps the lines that match (IOS `include`, Junos `match`).
    Include,
    /// Drops the lines that match (IOS `exclude`, Junos `except`).
    Exclude,
    /// Starts at the first line that matches (IOS `begin`, Junos `find`).
    Begin,
    /// Keeps the top-level sections (a line and its indented lines) that match.
    Section,
    /// Replaces the text by a line count (no pattern).
    Count,
    /// Turns paging off for this command (no pattern).
    NoMore,
    /// Changes nothing (Junos `display set`: the simulator already shows `set` lines).
    Display,
    /// Keeps the last N lines.
    Last,
}

/// A platform's names for the pipeline stages, and how it words a count.
pub(crate) struct PipeSyntax {
    pub stages: &'static [(&'static str, Stage)],
    pub count: fn(usize) -> String,
}

/// Output filters chained with `|`. Patterns are literal text, optionally anchored with `^`
/// and `$`, optionally quoted; `a|b` (inside one word) matches either alternative.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Pipeline {
    steps: Vec<(Stage, String)>,
    /// A `no-more` stage was given: do not page this output.
    pub no_more: bool,
}

impl Pipeline {
    /// Parses the words from the first `|` on (`None` = no pipe: an empty pipeline). Error
    /// indexes count from that `|`; columns are the line's.
    pub fn parse(words: Option<&[Word<'_>]>, syntax: &PipeSyntax) -> Result<Pipeline, ParseError> {
        let mut pipeline = Pipeline::default();
        let Some(words) = words else {
            return Ok(pipeline);
        };
        let mut index = 0;
        while index < words.len() {
            // words[index] is a `|`
            let start = index + 1;
            let end = words[start..].iter().position(|w| w.text == "|").map_or(words.len(), |i| start + i);
            let segment = &words[start..end];
            let Some(kind) = segment.first() else {
                return Err(ParseError::Incomplete);
            };
            let names = syntax.stages.iter().map(|(name, _)| *name);
            let stage = match match_keyword(kind.text, names) {
                Match::One(name) => syntax.stages.iter().find(|(n, _)| *n == name).map(|(_, s)| *s),
                Match::Ambiguous => return Err(ParseError::Ambiguous),
                Match::None => None,
            };
            let Some(stage) = stage else {
                return Err(ParseError::Invalid { index: start, column: kind.column });
            };
            let args = &segment[1..];
            match stage {
                Stage::Count | Stage::NoMore => {
                    if let Some(extra) = args.first() {
                        return Err(ParseError::Invalid { index: start + 1, column: extra.column });
                    }
                    pipeline.no_more |= stage == Stage::NoMore;
                }
                Stage::Last => {
                    let Some(n) = args.first() else {
                        return Err(ParseError::Incomplete);
                    };
                    if n.text.parse::<usize>().is_err() {
                        return Err(ParseError::Invalid { index: start + 1, column: n.column });
                    }
                    if let Some(extra) = args.get(1) {
                        return Err(ParseError::Invalid { index: start + 2, column: extra.column });
                    }
                }
                _ if args.is_empty() => return Err(ParseError::Incomplete),
                _ => {}
            }
            let pattern = args.iter().map(|w| w.text).collect::<Vec<_>>().join(" ");
            let pattern = pattern.trim_matches('"').to_string();
            pipeline.steps.push((stage, pattern));
            index = end;
        }
        Ok(pipeline)
    }

    /// The reply that prints `text` through the pipeline (unpaged after `no-more`).
    pub fn reply(&self, text: &str, syntax: &PipeSyntax) -> Reply {
        Reply { no_more: self.no_more, ..Reply::text(self.apply(text, syntax)) }
    }

    /// Runs every stage over `text`.
    pub fn apply(&self, text: &str, syntax: &PipeSyntax) -> String {
        let mut text = text.to_string();
        for (stage, pattern) in &self.steps {
            let hit = |line: &str| pattern.split('|').any(|alt| matches_literal(alt, line));
            let lines = text.lines();
            let kept: Vec<&str> = match stage {
                Stage::Include => lines.filter(|l| hit(l)).collect(),
                Stage::Exclude => lines.filter(|l| !hit(l)).collect(),
                Stage::Begin => lines.skip_while(|l| !hit(l)).collect(),
                Stage::Section => {
                    let mut inside = false;
                    lines
                        .filter(|l| {
                            if !l.starts_with(' ') {
                                inside = hit(l);
                            }
                            inside || hit(l)
                        })
                        .collect()
                }
                Stage::Count => {
                    text = (syntax.count)(text.lines().count());
                    continue;
                }
                Stage::Last => {
                    let n: usize = pattern.parse().unwrap_or(0);
                    let all: Vec<&str> = lines.collect();
                    all[all.len().saturating_sub(n)..].to_vec()
                }
                Stage::NoMore | Stage::Display => continue,
            };
            text = kept.join("\n");
        }
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SYNTAX: PipeSyntax = PipeSyntax {
        stages: &[
            ("count", Stage::Count),
            ("except", Stage::Exclude),
            ("last", Stage::Last),
            ("match", Stage::Include),
            ("no-more", Stage::NoMore),
        ],
        count: |n| format!("Count: {n} lines"),
    };

    fn run(line: &str, text: &str) -> Result<(String, bool), ParseError> {
        let all = words(line);
        let (_, pipe) = split_pipe(&all);
        let p = Pipeline::parse(pipe, &SYNTAX)?;
        Ok((p.apply(text, &SYNTAX), p.no_more))
    }

    #[test]
    fn stages_chain() {
        let text = "ge-0/0/0 up\nge-0/0/1 down\nxe-0/0/0 up\nlo0 up";
        assert_eq!(run("show | match up", text).unwrap().0, "ge-0/0/0 up\nxe-0/0/0 up\nlo0 up");
        assert_eq!(run("show | match up | except lo", text).unwrap().0, "ge-0/0/0 up\nxe-0/0/0 up");
        assert_eq!(run("show | m \"ge-|xe-\" | count", text).unwrap().0, "Count: 3 lines");
        assert_eq!(run("show | match ^lo", text).unwrap().0, "lo0 up");
        assert_eq!(run("show | last 1 | no-more", text).unwrap(), ("lo0 up".into(), true));
        assert_eq!(run("show", text).unwrap(), (text.into(), false));
    }

    #[test]
    fn errors() {
        assert_eq!(run("show |", "").unwrap_err(), ParseError::Incomplete);
        assert_eq!(run("show | match", "").unwrap_err(), ParseError::Incomplete);
        assert_eq!(run("show | frob x", "").unwrap_err(), ParseError::Invalid { index: 1, column: 7 });
        assert_eq!(run("show | count x", "").unwrap_err(), ParseError::Invalid { index: 2, column: 13 });
        assert_eq!(run("show | last x", "").unwrap_err(), ParseError::Invalid { index: 2, column: 12 });
    }
}
