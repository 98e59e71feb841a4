//! A rule's Python `re` pattern ([`Pattern`]): matched on ASCII lines by our own
//! backtracking program (read by `pysyntax`, compiled by `backtrack`), and by
//! `fancy-regex` on other lines, in the syntax this module translates to.
//!
//! TextFSM templates are written for Python's `re`. Most of it means the same in
//! `fancy-regex` (and the `regex` crate under it); [`translate`] rewrites the parts
//! that do not:
//! - an escaped punctuation character is a literal in Python (`\<`, `\ `, `\/`,
//!   `\_`), while Rust gives some of them meaning (`\<` is a word boundary) and
//!   rejects others: they become plain or canonically escaped literals;
//! - `\Z` (end of text) is `\z`;
//! - a `{` that does not start a valid quantifier is a literal in Python, an error
//!   in Rust; `{,n}` means `{0,n}`;
//! - inside a character class `[` and the set operators `&&`, `--`, `~~` are
//!   literals in Python but nested classes and set operations in Rust; a `]` right
//!   after `[` or `[^` is a literal in both but is escaped to be sure;
//! - `(?#...)` comments are dropped.

use std::sync::OnceLock;

use regex_automata::util::primitives::NonMaxUsize;

use crate::backtrack::{ByteSet, Outcome, Program, Stack};
use crate::pysyntax::{self, Leading, Node, Prefix};

/// Characters that have a meaning in Rust regex syntax and so must stay escaped.
const META: &str = r"\.+*?()|[]{}^$#&-~";

/// Rewrite a Python `re` pattern into one `fancy-regex` compiles to the same matcher.
pub fn translate(py: &str) -> String {
    let c: Vec<char> = py.chars().collect();
    let mut out = String::with_capacity(py.len() + 8);
    let mut i = 0;
    let mut in_class = false;
    // For each open group: whether it is a lookaround (zero-width).
    let mut groups: Vec<bool> = Vec::new();
    while i < c.len() {
        let ch = c[i];
        if ch == '\\' {
            let Some(&d) = c.get(i + 1) else {
                // A trailing backslash is an error in Python too; keep it so it fails.
                out.push('\\');
                break;
            };
            i += 2;
            escape(&mut out, d, in_class);
            continue;
        }
        if in_class {
            match ch {
                ']' => {
                    in_class = false;
                    out.push(']');
                }
                '[' | '&' | '~' => {
                    out.push('\\');
                    out.push(ch);
                }
                '-' if c.get(i + 1) == Some(&'-') => out.push_str(r"\-"),
                _ => out.push(ch),
            }
            i += 1;
            continue;
        }
        match ch {
            '[' => {
                in_class = true;
                out.push('[');
                i += 1;
                if c.get(i) == Some(&'^') {
                    out.push('^');
                    i += 1;
                }
                if c.get(i) == Some(&']') {
                    out.push_str(r"\]");
                    i += 1;
                }
            }
            '{' => match quantifier(&c[i..]) {
                Some((text, len)) => {
                    out.push_str(&text);
                    i += len;
                }
                None => {
                    out.push_str(r"\{");
                    i += 1;
                }
            },
            '}' => {
                out.push_str(r"\}");
                i += 1;
            }
            '(' if c.get(i + 1) == Some(&'?') && c.get(i + 2) == Some(&'#') => {
                // An inline comment runs to the first `)`.
                while i < c.len() && c[i] != ')' {
                    i += 1;
                }
                i += 1;
            }
            '(' => {
                let ahead: String = c[i + 1..(i + 4).min(c.len())].iter().collect();
                let look = ["?=", "?!", "?<=", "?<!"].iter().any(|p| ahead.starts_with(p));
                groups.push(look);
                out.push('(');
                i += 1;
            }
            ')' => {
                out.push(')');
                i += 1;
                // Python lets a lookaround be repeated (`(?<=x)+`); one or more of a
                // zero-width assertion is the assertion itself.
                if groups.pop() == Some(true) && c.get(i) == Some(&'+') {
                    i += 1;
                    if matches!(c.get(i), Some('?' | '+')) {
                        i += 1;
                    }
                }
            }
            _ => {
                out.push(ch);
                i += 1;
            }
        }
    }
    out
}

/// Append the Rust form of the Python escape `\d`.
fn escape(out: &mut String, d: char, in_class: bool) {
    match d {
        'Z' if !in_class => out.push_str(r"\z"),
        // In a class Python's `\b` is a backspace.
        'b' if in_class => out.push_str(r"\x08"),
        _ if d.is_ascii_alphanumeric() => {
            out.push('\\');
            out.push(d);
        }
        _ if META.contains(d) => {
            out.push('\\');
            out.push(d);
        }
        // Any other escaped character is itself.
        _ => out.push(d),
    }
}

/// A Python quantifier `{m}`, `{m,}`, `{,n}`, `{m,n}` at the start of `c`: its
/// Rust text and how many characters it spans.
fn quantifier(c: &[char]) -> Option<(String, usize)> {
    let close = c.iter().position(|&x| x == '}')?;
    let body: String = c[1..close].iter().collect();
    let (lo, hi) = match body.split_once(',') {
        Some((lo, hi)) => (lo, Some(hi)),
        None => (body.as_str(), None),
    };
    let digits = |s: &str| s.chars().all(|x| x.is_ascii_digit());
    // `{,}` is `*` (but `{}` is literal).
    if !digits(lo) || !hi.is_none_or(digits) || (lo.is_empty() && hi.is_none()) {
        return None;
    }
    let lo = if lo.is_empty() { "0" } else { lo };
    let text = match hi {
        None => format!("{{{lo}}}"),
        Some(hi) => format!("{{{lo},{hi}}}"),
    };
    Some((text, close + 1))
}

/// Compile a Python pattern that must match at the start of the text (Python's
/// `re.match`).
pub fn compile_match(py: &str) -> Result<fancy_regex::Regex, String> {
    let rust = translate(py);
    fancy_regex::Regex::new(&format!(r"\A(?:{rust})")).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::translate;

    #[test]
    fn escaped_punctuation_is_literal() {
        assert_eq!(translate(r"\<\>\ \/\_\:"), "<> /_:");
        assert_eq!(translate(r"\.\-\(\)\#"), r"\.\-\(\)\#");
    }

    #[test]
    fn braces_and_anchors() {
        assert_eq!(translate(r"\S{2,}x{,3}{}\Z"), r"\S{2,}x{0,3}\{\}\z");
        assert_eq!(translate(r"a{3}b{1,2}"), r"a{3}b{1,2}");
        assert_eq!(translate(r"\s+{ foo"), r"\s+\{ foo");
    }

    #[test]
    fn classes() {
        assert_eq!(translate(r"[][a-z]"), r"[\]\[a-z]");
        assert_eq!(translate(r"[^]x]"), r"[^\]x]");
        assert_eq!(translate(r"[\w[&&~~]"), r"[\w\[\&\&\~\~]");
        assert_eq!(translate(r"[\b]"), r"[\x08]");
    }

    #[test]
    fn repeated_lookaround_is_the_lookaround() {
        assert_eq!(translate(r"x(?<=[^()\s])+(y)+"), r"x(?<=[^()\s])(y)+");
    }

    /// `pattern` on `line` through `match_start`, groups as text.
    fn run(pattern: &super::Pattern, line: &str) -> Option<Vec<Option<String>>> {
        let mut g = super::Groups::default();
        let hit = pattern.match_start(line, line.is_ascii(), &mut g).unwrap();
        hit.then(|| (0..=pattern.groups()).map(|i| g.get(line, i).map(str::to_string)).collect())
    }

    /// `fancy-regex` alone on `line`, groups as text.
    fn full(re: &fancy_regex::Regex, groups: usize, line: &str) -> Option<Vec<Option<String>>> {
        let caps = re.captures(line).unwrap()?;
        Some((0..=groups).map(|i| caps.get(i).map(|m| m.as_str().to_string())).collect())
    }

    /// The checks and the backtracking program never change an answer: every
    /// line gets the same match and groups as `fancy-regex` alone gives.
    fn agree(py: &str, lines: &[&str]) {
        let p = super::Pattern::new(py).unwrap();
        assert!(p.node.is_some(), "{py} is read");
        let re = super::compile_match(py).unwrap();
        for line in lines {
            assert_eq!(run(&p, line), full(&re, p.groups(), line), "{py} on {line:?}");
        }
    }

    #[test]
    fn prefilters_never_reject_a_match() {
        let lines = [
            "",
            " ",
            "  Vlan10",
            "  Vla",
            "xVlan10",
            "Vlan10 up",
            "- upx",
            "UPx",
            "Downx",
            "x",
            "ab",
            "b",
            "   Internet address is 10.0.0.1/24",
            "Internet address is 10.0.0.1/24",
            "----",
            "  --  ",
            "Mon Jan 14",
            "timezone is US/Central",
            "word boundary",
            "\tInterface Gi0/1",
            "interface gi0/1",
            "aaa",
            "aab a",
            "12 3",
            "123",
            "abc",
            "ab1c",
        ];
        for py in [
            r"^\s*Vlan(?P<V>\d+)",
            r"(?:-\s)?(?i)(?P<A>up|down)?x",
            r"(?P<A>\S*)",
            r"(?P<D>\w+)\s+(?P<M>\w+)\s+(?P<N>\d+)",
            r"^\s+Internet address is (?P<IP>\S+)",
            r"^ *-+\s*$",
            r"\bword\b",
            r"(?m)^\s*Interface",
            r"^\s+?(?i)interface\s+(\S+)",
            r"(|a)b",
            r"^(?i)\s*interface",
            r"^$",
            r"^\s*(?P<N>\S+)(?<=Vlan10)",
            r"^(?P<A>.{0,5}(?<! ))\s*(?P<B>\S+)",
            r"^(?=(?P<A>\S{0,4}))\S{2}",
            r"^\s+(?P<P>(?<!Inter)face|\S+)",
            r"^.*?(?P<D>\d+(?=\s+[a-z]))",
            r"^[^\s-]+\s+\S+",
            r"(?i)[a-c]+x",
            r"^(?:a|ab)(?:c|bcd)(?:\d{2,}|x)?",
            r"^(\w+)\s+(\w+)?\s*(?P<T>.*?)\s*$",
            // A greedy run followed by optional items: it gives bytes back only
            // where what follows could start with them.
            r"^(?P<A>\S+)\s*$",
            r"^(?P<A>a+)b?a",
            r"^(?P<A>\d+)(?:x|\s)*\d",
            r"^(?P<A>[a-z]+)[0-9]*[a-z]",
            r"^(?P<A>\w+)(?: \d)?(?:\s+a)?$",
        ] {
            agree(py, &lines);
        }
        let p = super::Pattern::new(r"^\s+Internet address is (?P<IP>\S+)").unwrap();
        assert!(p.prefix.is_some(), "padding then literal");
        assert!(super::Pattern::new(r"^\s* x").unwrap().prefix.is_none(), "a literal starting with padding");
        // Non-ASCII lines go to the full engine, with Unicode classes and case
        // folding the checks do not model.
        let p = super::Pattern::new(r"(?P<W>\w+) ok").unwrap();
        assert_eq!(run(&p, "été ok").unwrap()[1].as_deref(), Some("été"));
        let p = super::Pattern::new(r"(?i)état (?P<S>\S+)").unwrap();
        assert_eq!(run(&p, "ÉTAT actif").unwrap()[1].as_deref(), Some("actif"));
    }

    /// Over the whole corpus (when present): every rule on every ASCII line of its
    /// template's outputs gives the same match and groups through `match_start`
    /// (checks, then the backtracking program) as `fancy-regex` alone, and every
    /// rule of the corpus is read by the program's reader.
    #[test]
    fn matching_agrees_with_the_full_engine_on_the_corpus() {
        let root = std::env::var("NETPULSE_CORPUS")
            .map(std::path::PathBuf::from)
            .unwrap_or_else(|_| std::path::PathBuf::from("../../../shared/corpus/ntc-templates"));
        let Ok(index) = std::fs::read_to_string(root.join("templates/index")) else {
            eprintln!("SKIPPED: no ntc-templates corpus at {} (set NETPULSE_CORPUS)", root.display());
            return;
        };
        let index = crate::Index::new(&index).unwrap();
        let mut checked = 0usize;
        for platform in std::fs::read_dir(root.join("tests")).unwrap().flatten() {
            for command in std::fs::read_dir(platform.path()).unwrap().flatten() {
                let cmd = command.file_name().to_string_lossy().replace('_', " ");
                let Some(names) = index.find(&platform.file_name().to_string_lossy(), &cmd) else { continue };
                let mut text = String::new();
                for f in std::fs::read_dir(command.path()).unwrap().flatten() {
                    if f.path().extension().is_some_and(|e| e == "raw") {
                        text += &String::from_utf8_lossy(&std::fs::read(f.path()).unwrap());
                    }
                }
                let lines: Vec<&str> = text.lines().filter(|l| l.is_ascii()).collect();
                for name in names {
                    let t = std::fs::read_to_string(root.join("templates").join(name)).unwrap();
                    let t = crate::Template::new(&t).unwrap();
                    for rule in t.states.iter().flatten() {
                        assert!(rule.regex.node.is_some(), "{} is read", rule.regex.py);
                        let re = super::compile_match(&rule.regex.py).unwrap();
                        for line in &lines {
                            let ours = run(&rule.regex, line);
                            assert_eq!(
                                ours,
                                full(&re, rule.regex.groups(), line),
                                "{} on {line:?}",
                                rule.regex.py
                            );
                            checked += 1;
                        }
                    }
                }
            }
        }
        eprintln!("{checked} rule-line pairs agree");
        assert!(checked > 100_000, "the corpus was read ({checked} pairs)");
    }

    /// Where Python's `re` differs from `fancy-regex` on ASCII lines, the answer is
    /// Python's (checked against Python 3.11).
    #[test]
    fn python_answers_where_the_engines_differ() {
        let m = |py: &str, line: &str| {
            run(&super::Pattern::new(py).unwrap(), line).map(|g| g[0].clone().unwrap())
        };
        assert_eq!(m(r"a{,}b", "aab").as_deref(), Some("aab"), "{{,}} is *");
        assert_eq!(m(r"^\B", ""), None, "no \\B in an empty line");
        assert_eq!(m(r"^\b", ""), None);
        assert_eq!(m(r"^a\sb", "a\x1fb").as_deref(), Some("a\x1fb"), "\\s takes \\x1c-\\x1f");
        assert_eq!(m(r"^(\S+)", "ab\x1fc").as_deref(), Some("ab"));
        // Errors in Python stay errors (`fancy-regex` reports them, or runs them).
        for py in [r"(?-i)x", r"(?i-i:x)", r"(?au)x", r"a{4294967295}", r"(?<=é|ab)x", r"(?i-:x)", r"(?-a:x)"]
        {
            assert!(crate::pysyntax::parse(py).is_none(), "{py}");
        }
        // Some non-ASCII letters fold to ASCII ones: left to the full engine.
        assert_eq!(m(r"(?i)\u212a", "k").as_deref(), Some("k"));
    }

    #[test]
    fn comments_are_dropped() {
        assert_eq!(translate(r"a(?#note)b"), "ab");
    }

    #[test]
    fn anchored_at_start_only() {
        let re = super::compile_match(r"ab").unwrap();
        assert!(re.is_match("abc").unwrap());
        assert!(!re.is_match("xab").unwrap());
    }
}

/// A Python pattern, matched at the start of a line.
///
/// Device output is nearly always ASCII, and on ASCII text the ASCII classes
/// (`\w`, `\d`, `\s`, case folding) match exactly what Python's Unicode classes
/// match. So a pattern is read by [`pysyntax`](crate::pysyntax) and matched on
/// ASCII lines by the [`backtrack`](crate::backtrack) program compiled from it,
/// after three cheap checks taken from the syntax tree: the bytes a match can
/// start with, leading padding then a literal, and a literal every match contains.
/// The full `fancy-regex` (Unicode classes and case folding) is built the first
/// time a line is not ASCII, when the program gives up (its step budget), or up
/// front for a pattern the reader does not take (and which may be an error).
///
/// Reading a pattern only parses it; the program is compiled the first time an
/// ASCII line gets past the checks, so a template's rules that never meet a
/// candidate line are never compiled.
#[derive(Debug)]
pub struct Pattern {
    /// The syntax tree (`None`: only `full` can run it).
    node: Option<Node>,
    /// The backtracking matcher for ASCII lines (`None`: the pattern needs what
    /// it does not run).
    program: OnceLock<Option<Program>>,
    full: OnceLock<Result<fancy_regex::Regex, String>>,
    /// The pattern as written.
    py: String,
    /// Named groups: (group index, name), in group order.
    names: Vec<(usize, String)>,
    groups: usize,
    /// A literal every match contains: a line without it is skipped unmatched.
    required: Option<Vec<u8>>,
    /// Bytes an ASCII line must start with to match; `None` when the pattern can
    /// match the empty string.
    first: Option<ByteSet>,
    /// How an ASCII line that matches must start, when the pattern says.
    prefix: Option<Prefix>,
}

/// Where the groups of the last match are, and the matcher's backtracking stack:
/// reused from match to match, so matching a line allocates nothing.
#[derive(Debug, Default)]
pub struct Groups {
    slots: Vec<Option<NonMaxUsize>>,
    stack: Stack,
    leading: Leading,
}

impl Groups {
    /// The span of group `i` (0 is the whole match), when it took part.
    pub fn get<'h>(&self, line: &'h str, i: usize) -> Option<&'h str> {
        let (s, e) = (self.slots.get(2 * i)?.as_ref()?, self.slots.get(2 * i + 1)?.as_ref()?);
        line.get(s.get()..e.get())
    }

    fn reset(&mut self, groups: usize) {
        self.slots.clear();
        self.slots.resize(2 * (groups + 1), None);
    }
}

/// Whether `line` contains `lit` (two bytes or more). Lines are short: a scan for
/// the first byte and a compare in line beat a general searcher's set-up.
fn contains(line: &[u8], lit: &[u8]) -> bool {
    let (first, rest) = (lit[0], &lit[1..]);
    let Some(last_start) = line.len().checked_sub(lit.len()) else { return false };
    let mut i = 0;
    while let Some(n) = line[i..=last_start].iter().position(|&b| b == first) {
        let at = i + n;
        if rest.iter().zip(&line[at + 1..]).all(|(a, b)| a == b) {
            return true;
        }
        i = at + 1;
    }
    false
}

impl Pattern {
    /// Read a Python pattern (matched like Python's `re.match`). Errors are
    /// syntax errors; nothing is compiled yet unless only `fancy-regex` can run it.
    pub fn new(py: &str) -> Result<Pattern, String> {
        let full = OnceLock::new();
        let (node, names, groups) = match pysyntax::parse(py) {
            Some(p) => (Some(p.node), p.names, p.groups),
            // Only `fancy-regex` runs it: compiled now (to report errors), and
            // without the checks below.
            None => {
                let re = compile_match(py)?;
                let names =
                    re.capture_names().enumerate().filter_map(|(i, n)| Some((i, n?.to_string()))).collect();
                let groups = re.captures_len() - 1;
                let _ = full.set(Ok(re));
                (None, names, groups)
            }
        };
        let prefix = node.as_ref().and_then(pysyntax::prefix);
        // A required literal inside the prefix is already checked by it (on ASCII
        // lines; other lines are rare, and the matcher decides for them).
        let required = node
            .as_ref()
            .and_then(pysyntax::required_literal)
            .filter(|l| !prefix.as_ref().is_some_and(|p| p.lit.windows(l.len()).any(|w| w == l.as_slice())));
        let first = node.as_ref().map(pysyntax::first_bytes).and_then(|(set, empty)| (!empty).then_some(set));
        Ok(Pattern {
            node,
            program: OnceLock::new(),
            full,
            py: py.to_string(),
            names,
            groups,
            required,
            first,
            prefix,
        })
    }

    /// Named groups: (group index, name), in group order.
    pub fn names(&self) -> &[(usize, String)] {
        &self.names
    }

    /// Number of groups (Python's `groups`).
    pub fn groups(&self) -> usize {
        self.groups
    }

    /// Match at the start of `line` (`ascii`: the line is all ASCII), leaving the
    /// groups in `out`. A pattern that no engine can build (too large) is an
    /// error, reported the first time a line gets that far.
    ///
    /// The first-byte check, which turns most rules away from most lines, is
    /// inlined into the caller's loop; the rest is a call.
    #[inline]
    pub fn match_start(&self, line: &str, ascii: bool, out: &mut Groups) -> Result<bool, String> {
        // The checks hold for ASCII lines; the few other lines go straight to the
        // full engine, whose Unicode classes and case folding they do not model.
        if !ascii {
            return self.match_full(line, out);
        }
        if let Some(set) = &self.first
            && !line.as_bytes().first().is_some_and(|&b| set.contains(b))
        {
            return Ok(false);
        }
        self.match_ascii(line, out)
    }

    /// An ASCII line past the first-byte check: the other two checks, then the
    /// program (or the full engine when there is none or it gives up).
    #[inline(never)]
    fn match_ascii(&self, line: &str, out: &mut Groups) -> Result<bool, String> {
        let bytes = line.as_bytes();
        if let Some(p) = &self.prefix
            && !p.admits(bytes, out.leading.count(bytes, p.pad()))
        {
            return Ok(false);
        }
        if let Some(lit) = &self.required
            && !contains(bytes, lit)
        {
            return Ok(false);
        }
        let program = self
            .node
            .as_ref()
            .and_then(|n| self.program.get_or_init(|| Program::new(n, self.groups)).as_ref());
        if let Some(p) = program {
            match p.run(bytes, &mut out.slots, &mut out.stack) {
                Outcome::Match => return Ok(true),
                Outcome::NoMatch => return Ok(false),
                Outcome::GaveUp => {}
            }
        }
        self.match_full(line, out)
    }

    /// `fancy-regex` on the line.
    #[inline(never)]
    fn match_full(&self, line: &str, out: &mut Groups) -> Result<bool, String> {
        let full = self.full.get_or_init(|| compile_match(&self.py));
        let re = full.as_ref().map_err(|e| format!("the pattern cannot be compiled: {e}"))?;
        let Some(caps) = re.captures(line).ok().flatten() else {
            return Ok(false);
        };
        out.reset(self.groups);
        for i in 0..=self.groups {
            if let Some(m) = caps.get(i) {
                out.slots[2 * i] = NonMaxUsize::new(m.start());
                out.slots[2 * i + 1] = NonMaxUsize::new(m.end());
            }
        }
        Ok(true)
    }
}
