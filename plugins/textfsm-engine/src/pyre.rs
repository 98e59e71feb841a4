//! Python `re` syntax to `fancy-regex` syntax.
//!
//! TextFSM templates are written for Python's `re`. Most of it means the same in
//! `fancy-regex` (and the `regex` crate under it); this module rewrites the parts
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

use regex_automata::{Anchored, Input, PatternID, meta};

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
    if !digits(lo) || !hi.is_none_or(digits) || (lo.is_empty() && hi.is_none_or(str::is_empty)) {
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

/// The longest literal that every match of `pattern` must contain, if any
/// (found on the syntax tree; case-insensitive parts give none).
fn required_literal(pattern: &str) -> Option<Vec<u8>> {
    use regex_syntax::hir::{Hir, HirKind};
    fn walk(h: &Hir, best: &mut Vec<u8>) {
        match h.kind() {
            HirKind::Literal(l) => keep(best, &l.0),
            HirKind::Capture(c) => walk(&c.sub, best),
            HirKind::Repetition(r) if r.min >= 1 => walk(&r.sub, best),
            HirKind::Concat(parts) => {
                let mut run: Vec<u8> = Vec::new();
                for p in parts {
                    match p.kind() {
                        HirKind::Literal(l) => run.extend_from_slice(&l.0),
                        _ => {
                            keep(best, &run);
                            run.clear();
                            walk(p, best);
                        }
                    }
                }
                keep(best, &run);
            }
            _ => {}
        }
    }
    fn keep(best: &mut Vec<u8>, candidate: &[u8]) {
        if candidate.len() > best.len() {
            *best = candidate.to_vec();
        }
    }
    let hir = regex_syntax::ParserBuilder::new().unicode(false).utf8(false).build().parse(pattern).ok()?;
    let mut best = Vec::new();
    walk(&hir, &mut best);
    (best.len() >= 2).then_some(best)
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

    #[test]
    fn required_literals() {
        assert_eq!(super::required_literal(r"\A(?:^\s*Interface\s+(?P<X>\S+) is up)").unwrap(), b"Interface");
        assert_eq!(super::required_literal(r"^(?i)interface"), None);
        assert_eq!(super::required_literal(r"^(foo|bar)"), None);
        let p = super::Pattern::new(r"^\s*Vlan(?P<V>\d+)").unwrap();
        assert!(p.captures("  Vlan10").is_some());
        assert!(p.captures("  Vla").is_none());
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

/// A compiled Python pattern, matched at the start of a line.
///
/// Device output is nearly always ASCII, and on ASCII text the ASCII classes
/// (`\w`, `\d`, `\s`, case folding) match exactly what Python's Unicode classes
/// match. So a pattern without lookaround or backreferences is compiled once
/// with Unicode off by `regex-automata`'s meta engine (bounded backtracker and
/// PikeVM: no catastrophic backtracking, and cheap to build) and used on ASCII
/// lines; the full `fancy-regex` (Unicode classes, lookaround,
/// backreferences) is built the first time a line is not ASCII, or up front for
/// patterns the meta engine does not accept.
#[derive(Debug)]
pub struct Pattern {
    ascii: Option<meta::Regex>,
    full: std::sync::OnceLock<Option<fancy_regex::Regex>>,
    anchored: String,
    names: Vec<String>,
    groups: usize,
    /// A literal every match contains: a line without it is skipped unmatched.
    required: Option<memchr::memmem::Finder<'static>>,
}

/// The groups of one match.
pub enum Caps<'h> {
    Ascii(&'h str, regex_automata::util::captures::Captures),
    Full(fancy_regex::Captures<'h, str>),
}

impl<'h> Caps<'h> {
    /// The text of the named group, when it took part in the match.
    pub fn name(&self, name: &str) -> Option<&'h str> {
        match self {
            Caps::Ascii(line, c) => c.get_group_by_name(name).map(|s| &line[s.range()]),
            Caps::Full(c) => c.name(name).map(|m| m.as_str()),
        }
    }
}

/// Compile `pattern` for ASCII text (Unicode off).
fn ascii_regex(pattern: &str) -> Result<meta::Regex, String> {
    let syntax = regex_automata::util::syntax::Config::new().unicode(false).utf8(false);
    // Lines are short and matched once each: the bounded backtracker (and the
    // PikeVM past its budget) beat building a lazy DFA or a one-pass DFA per rule,
    // which cost more at compile time than they saved (measured on the corpus).
    let config = meta::Config::new().utf8_empty(false).onepass(false).hybrid(false);
    meta::Builder::new().syntax(syntax).configure(config).build(pattern).map_err(|e| e.to_string())
}

impl Pattern {
    /// Compile a Python pattern (matched like Python's `re.match`).
    pub fn new(py: &str) -> Result<Pattern, String> {
        let anchored = format!(r"\A(?:{})", translate(py));
        let full = std::sync::OnceLock::new();
        let (ascii, names, groups) = match ascii_regex(&anchored) {
            Ok(re) => {
                let info = re.group_info();
                let names = info.pattern_names(PatternID::ZERO).flatten().map(str::to_string).collect();
                let groups = info.group_len(PatternID::ZERO) - 1;
                (Some(re), names, groups)
            }
            Err(_) => {
                let re = fancy_regex::Regex::new(&anchored).map_err(|e| e.to_string())?;
                let names = re.capture_names().flatten().map(str::to_string).collect();
                let groups = re.captures_len() - 1;
                let _ = full.set(Some(re));
                (None, names, groups)
            }
        };
        let required = required_literal(&anchored).map(|l| memchr::memmem::Finder::new(&l).into_owned());
        Ok(Pattern { ascii, full, anchored, names, groups, required })
    }

    /// Named groups, in order.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// Number of groups (Python's `groups`).
    pub fn groups(&self) -> usize {
        self.groups
    }

    /// Match at the start of `line`. A pattern that gives up (backtracking
    /// limit) counts as no match.
    pub fn captures<'h>(&self, line: &'h str) -> Option<Caps<'h>> {
        if let Some(f) = &self.required
            && f.find(line.as_bytes()).is_none()
        {
            return None;
        }
        if let Some(re) = &self.ascii
            && line.is_ascii()
        {
            let mut caps = re.create_captures();
            re.search_captures(&Input::new(line).anchored(Anchored::Yes), &mut caps);
            return caps.is_match().then_some(Caps::Ascii(line, caps));
        }
        let full = self.full.get_or_init(|| fancy_regex::Regex::new(&self.anchored).ok());
        full.as_ref()?.captures(line).ok().flatten().map(Caps::Full)
    }
}
