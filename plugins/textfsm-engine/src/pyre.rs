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

use std::sync::OnceLock;

use regex_automata::util::primitives::NonMaxUsize;
use regex_automata::{Anchored, Input, meta};
use regex_syntax::hir::{Class, Hir, HirKind, Look};

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
fn required_literal(hir: &Hir) -> Option<Vec<u8>> {
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
    let mut best = Vec::new();
    walk(hir, &mut best);
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

    use regex_automata::{Anchored, Input};

    #[test]
    fn required_literals() {
        let lit = |p: &str| super::required_literal(&super::ascii_hir(p).unwrap());
        assert_eq!(lit(r"\A(?:^\s*Interface\s+(?P<X>\S+) is up)").unwrap(), b"Interface");
        assert_eq!(lit(r"^(?i)interface"), None);
        assert_eq!(lit(r"^(foo|bar)"), None);
    }

    /// `pattern` on `line` through `match_start`, groups as text.
    fn run(pattern: &super::Pattern, line: &str) -> Option<Vec<Option<String>>> {
        let mut g = super::Groups::default();
        let hit = pattern.match_start(line, line.is_ascii(), &mut g).unwrap();
        hit.then(|| (0..=pattern.groups()).map(|i| g.get(line, i).map(str::to_string)).collect())
    }

    /// The checks before matching never change an answer: every line gets the
    /// same match and groups as the ASCII matcher alone gives.
    fn agree(py: &str, lines: &[&str]) {
        let p = super::Pattern::new(py).unwrap();
        let re = super::ascii_regex(p.hir.as_ref().unwrap()).unwrap();
        for line in lines {
            let mut caps = re.create_captures();
            re.search_captures(&Input::new(*line).anchored(Anchored::Yes), &mut caps);
            let want = caps.is_match().then(|| {
                (0..=p.groups()).map(|i| caps.get_group(i).map(|s| line[s.range()].to_string())).collect()
            });
            assert_eq!(run(&p, line), want, "{py} on {line:?}");
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

    /// Over the whole corpus (when present): every rule on every line of its
    /// template's outputs gives the same answer with and without the checks.
    #[test]
    fn prefilters_agree_with_the_matcher_on_the_corpus() {
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
                    for rule in t.states.iter().flatten().filter(|r| r.regex.hir.is_some()) {
                        let re = super::ascii_regex(rule.regex.hir.as_ref().unwrap()).unwrap();
                        for line in &lines {
                            let mut g = super::Groups::default();
                            let with = rule.regex.match_start(line, true, &mut g).unwrap();
                            let without = re.is_match(Input::new(*line).anchored(Anchored::Yes));
                            assert_eq!(with, without, "{} on {line:?}", rule.regex.anchored);
                            checked += 1;
                        }
                    }
                }
            }
        }
        eprintln!("{checked} rule-line pairs agree");
        assert!(checked > 100_000, "the corpus was read ({checked} pairs)");
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

/// Parse a (translated) pattern the way the ASCII matcher reads it: Unicode off.
fn ascii_hir(pattern: &str) -> Option<Hir> {
    regex_syntax::ParserBuilder::new().unicode(false).utf8(false).build().parse(pattern).ok()
}

/// A set of bytes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct ByteSet([u64; 4]);

impl ByteSet {
    fn add(&mut self, b: u8) {
        self.0[(b >> 6) as usize] |= 1 << (b & 63);
    }
    fn add_range(&mut self, lo: u8, hi: u8) {
        for b in lo..=hi {
            self.add(b);
        }
    }
    fn union(&mut self, o: ByteSet) {
        for i in 0..4 {
            self.0[i] |= o.0[i];
        }
    }
    fn contains(&self, b: u8) -> bool {
        self.0[(b >> 6) as usize] & (1 << (b & 63)) != 0
    }
}

/// The bytes a match can start with, and whether the pattern can match the empty
/// string (then any line may match and the set says nothing).
fn first_bytes(h: &Hir) -> (ByteSet, bool) {
    let mut set = ByteSet::default();
    match h.kind() {
        HirKind::Empty | HirKind::Look(_) => (set, true),
        HirKind::Literal(l) => {
            set.add(l.0[0]);
            (set, false)
        }
        HirKind::Class(c) => (class_bytes(c), false),
        HirKind::Repetition(r) => {
            let (s, empty) = first_bytes(&r.sub);
            (s, empty || r.min == 0)
        }
        HirKind::Capture(c) => first_bytes(&c.sub),
        HirKind::Concat(parts) => {
            for p in parts {
                let (s, empty) = first_bytes(p);
                set.union(s);
                if !empty {
                    return (set, false);
                }
            }
            (set, true)
        }
        HirKind::Alternation(alts) => {
            let mut any_empty = false;
            for a in alts {
                let (s, empty) = first_bytes(a);
                set.union(s);
                any_empty |= empty;
            }
            (set, any_empty)
        }
    }
}

/// What every match starts with: a run of bytes from `pad` (at least `min` of
/// them, as many as the line has), then `lit`. Read from patterns like
/// `^\s+Internet address is ...`, the common shape of a TextFSM rule.
#[derive(Debug)]
struct Prefix {
    pad: ByteSet,
    min: usize,
    lit: Vec<u8>,
}

impl Prefix {
    fn admits(&self, line: &[u8]) -> bool {
        let pad = line.iter().take_while(|&&b| self.pad.contains(b)).count();
        pad >= self.min && line[pad..].starts_with(&self.lit)
    }
}

/// The byte set of a one-byte class or literal.
fn byte_class(h: &Hir) -> Option<ByteSet> {
    match h.kind() {
        HirKind::Class(c) => Some(class_bytes(c)),
        HirKind::Literal(l) if l.0.len() == 1 => {
            let mut set = ByteSet::default();
            set.add(l.0[0]);
            Some(set)
        }
        _ => None,
    }
}

/// The bytes that can start a match of a class: its ASCII members exactly, and
/// every byte from 0x80 when it has non-ASCII members (the checks using this only
/// look at ASCII lines).
fn class_bytes(c: &Class) -> ByteSet {
    let mut set = ByteSet::default();
    let mut add = |lo: u32, hi: u32| {
        if lo < 0x80 {
            set.add_range(lo as u8, hi.min(0x7f) as u8);
        }
        if hi >= 0x80 {
            set.add_range(0x80, 0xff);
        }
    };
    match c {
        Class::Bytes(c) => c.ranges().iter().for_each(|r| add(r.start().into(), r.end().into())),
        Class::Unicode(c) => c.ranges().iter().for_each(|r| add(r.start().into(), r.end().into())),
    }
    set
}

/// The [`Prefix`] of a pattern, when it has that shape. The padding must be an
/// unbounded repetition and the literal must not start with a padding byte: then
/// the padding takes exactly the line's leading run of such bytes.
fn prefix(h: &Hir) -> Option<Prefix> {
    let parts = match h.kind() {
        HirKind::Concat(p) => p.as_slice(),
        _ => std::slice::from_ref(h),
    };
    let starts = [Look::Start, Look::StartLF, Look::StartCRLF];
    let mut rest = parts.iter().skip_while(|p| matches!(p.kind(), HirKind::Look(l) if starts.contains(l)));
    let mut next = rest.next();
    let (mut pad, mut min) = (ByteSet::default(), 0);
    if let Some(HirKind::Repetition(r)) = next.map(Hir::kind)
        && r.max.is_none()
        && let Some(set) = byte_class(&r.sub)
    {
        (pad, min) = (set, r.min as usize);
        next = rest.next();
    }
    let mut lit = Vec::new();
    while let Some(HirKind::Literal(l)) = next.map(Hir::kind) {
        lit.extend_from_slice(&l.0);
        next = rest.next();
    }
    (!lit.is_empty() && !pad.contains(lit[0])).then_some(Prefix { pad, min, lit })
}

/// Capture groups of a syntax tree: (group index, name) of the named ones, and
/// the number of groups.
fn capture_names(h: &Hir, out: &mut Vec<(usize, String)>, count: &mut usize) {
    match h.kind() {
        HirKind::Capture(c) => {
            *count = (*count).max(c.index as usize);
            if let Some(n) = &c.name {
                out.push((c.index as usize, n.to_string()));
            }
            capture_names(&c.sub, out, count);
        }
        HirKind::Repetition(r) => capture_names(&r.sub, out, count),
        HirKind::Concat(parts) | HirKind::Alternation(parts) => {
            for p in parts {
                capture_names(p, out, count);
            }
        }
        _ => {}
    }
}

/// A Python pattern, matched at the start of a line.
///
/// Device output is nearly always ASCII, and on ASCII text the ASCII classes
/// (`\w`, `\d`, `\s`, case folding) match exactly what Python's Unicode classes
/// match. So a pattern without lookaround or backreferences is matched on ASCII
/// lines by `regex-automata`'s meta engine with Unicode off (one-pass DFA where
/// the pattern allows, else bounded backtracker and PikeVM: no catastrophic
/// backtracking, and cheap to build); the full
/// `fancy-regex` (Unicode classes, lookaround, backreferences) is built the first
/// time a line is not ASCII, or up front for patterns the meta engine does not
/// accept.
///
/// Reading a pattern only parses it (syntax errors show at once); the matcher is
/// built the first time an ASCII line gets past three cheap checks taken from the
/// syntax tree: the bytes a match can start with, leading padding then a literal,
/// and a literal every match contains. A template's rules that never meet a
/// candidate line are never compiled.
#[derive(Debug)]
pub struct Pattern {
    /// The syntax tree the ASCII matcher is built from (`None`: not accepted,
    /// only `full` can run it).
    hir: Option<Hir>,
    ascii: OnceLock<Option<meta::Regex>>,
    full: OnceLock<Result<fancy_regex::Regex, String>>,
    anchored: String,
    /// Named groups: (group index, name), in group order.
    names: Vec<(usize, String)>,
    groups: usize,
    /// A literal every match contains: a line without it is skipped unmatched.
    required: Option<memchr::memmem::Finder<'static>>,
    /// Bytes an ASCII line must start with to match; `None` when the pattern can
    /// match the empty string.
    first: Option<ByteSet>,
    /// How an ASCII line that matches must start, when the pattern says.
    prefix: Option<Prefix>,
}

/// Where the groups of the last match are: reused from match to match, so
/// matching a line allocates nothing.
#[derive(Debug, Default)]
pub struct Groups {
    slots: Vec<Option<NonMaxUsize>>,
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

/// Build the ASCII matcher from its syntax tree.
fn ascii_regex(hir: &Hir) -> Option<meta::Regex> {
    let syntax = regex_automata::util::syntax::Config::new().unicode(false).utf8(false);
    // Lines are short: a one-pass DFA where the pattern allows one, else the
    // bounded backtracker (and the PikeVM past its budget). A lazy DFA costs more
    // to build (and a reverse NFA with it) than it saves on lines this short
    // (measured on the corpus: cold parse 72 -> 135 ms, warm no better).
    let config = meta::Config::new().utf8_empty(false).onepass(true).hybrid(false);
    meta::Builder::new().syntax(syntax).configure(config).build_from_hir(hir).ok()
}

impl Pattern {
    /// Read a Python pattern (matched like Python's `re.match`). Errors are
    /// syntax errors; nothing is compiled yet unless only `fancy-regex` can run it.
    pub fn new(py: &str) -> Result<Pattern, String> {
        let anchored = format!(r"\A(?:{})", translate(py));
        let full = OnceLock::new();
        let hir = ascii_hir(&anchored);
        let (mut names, mut groups) = (Vec::new(), 0);
        match &hir {
            Some(h) => capture_names(h, &mut names, &mut groups),
            // Only `fancy-regex` runs it: compiled now (to report errors), and
            // without the checks below.
            None => {
                let re = fancy_regex::Regex::new(&anchored).map_err(|e| e.to_string())?;
                names =
                    re.capture_names().enumerate().filter_map(|(i, n)| Some((i, n?.to_string()))).collect();
                groups = re.captures_len() - 1;
                let _ = full.set(Ok(re));
            }
        }
        let prefix = hir.as_ref().and_then(prefix);
        // A required literal inside the prefix is already checked by it (on ASCII
        // lines; other lines are rare, and the matcher decides for them).
        let required = hir
            .as_ref()
            .and_then(required_literal)
            .filter(|l| !prefix.as_ref().is_some_and(|p| p.lit.windows(l.len()).any(|w| w == l.as_slice())))
            .map(|l| memchr::memmem::Finder::new(&l).into_owned());
        let first = hir.as_ref().map(first_bytes).and_then(|(set, empty)| (!empty).then_some(set));
        Ok(Pattern { hir, ascii: OnceLock::new(), full, anchored, names, groups, required, first, prefix })
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
    /// groups in `out`. A pattern that gives up (backtracking limit) counts as no
    /// match; one that no engine can build (too large) is an error, reported the
    /// first time a line gets that far.
    pub fn match_start(&self, line: &str, ascii: bool, out: &mut Groups) -> Result<bool, String> {
        let bytes = line.as_bytes();
        // The checks hold for ASCII lines; the few other lines go straight to the
        // full engine, whose Unicode classes and case folding they do not model.
        if ascii {
            if let Some(set) = &self.first
                && !bytes.first().is_some_and(|&b| set.contains(b))
            {
                return Ok(false);
            }
            if let Some(p) = &self.prefix
                && !p.admits(bytes)
            {
                return Ok(false);
            }
            if let Some(f) = &self.required
                && f.find(bytes).is_none()
            {
                return Ok(false);
            }
            if let Some(re) =
                self.hir.as_ref().and_then(|h| self.ascii.get_or_init(|| ascii_regex(h)).as_ref())
            {
                out.reset(self.groups);
                // The answer is the returned pattern, not the slots: an engine may
                // leave slots written by a search that failed (the one-pass DFA does).
                return Ok(re
                    .search_slots(&Input::new(line).anchored(Anchored::Yes), &mut out.slots)
                    .is_some());
            }
        }
        let full =
            self.full.get_or_init(|| fancy_regex::Regex::new(&self.anchored).map_err(|e| e.to_string()));
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
