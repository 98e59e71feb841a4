//! Reading a Python `re` pattern into the syntax tree the backtracking matcher
//! compiles, with what that tree tells before any matching: the bytes a match can
//! start with, how it must start, and a literal every match contains.
//!
//! The tree is for ASCII lines, where Python's Unicode classes are the ASCII ones
//! (`\d` is `[0-9]`, `\w` is `[A-Za-z0-9_]`, case folding is ASCII folding); the
//! non-ASCII parts of a pattern can never match such a line. What this reader does
//! not take (backreferences, verbose mode, conditionals, atomic groups, possessive
//! quantifiers, a lookbehind of varying width, and every syntax error) gives
//! `None`, and the pattern is left to `fancy-regex`, which also reports the error.

use crate::backtrack::ByteSet;

/// Zero-width assertions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Assert {
    Start,
    End,
    StartLine,
    EndLine,
    Word,
    NotWord,
}

/// A pattern's syntax tree.
#[derive(Clone, Debug)]
pub(crate) enum Node {
    Empty,
    /// These bytes.
    Lit(Vec<u8>),
    /// One byte of the set.
    Set(ByteSet),
    Assert(Assert),
    /// Capture group `index` (1-based).
    Group {
        index: u32,
        sub: Box<Node>,
    },
    Concat(Vec<Node>),
    Alt(Vec<Node>),
    Repeat {
        sub: Box<Node>,
        min: u32,
        max: Option<u32>,
        greedy: bool,
    },
    /// Lookahead or (fixed-width) lookbehind, atomic as in Python.
    Look {
        sub: Box<Node>,
        ahead: bool,
        negate: bool,
    },
}

/// A pattern read: its tree, named groups (index, name) and number of groups.
#[derive(Debug)]
pub(crate) struct Parsed {
    pub node: Node,
    pub names: Vec<(usize, String)>,
    pub groups: usize,
}

#[derive(Clone, Copy, Default)]
struct Flags {
    icase: bool,
    multiline: bool,
    dotall: bool,
}

struct Reader<'a> {
    s: &'a [u8],
    i: usize,
    flags: Flags,
    groups: u32,
    names: Vec<(usize, String)>,
}

/// Read a Python pattern (matched at the start of a line, like `re.match`).
pub(crate) fn parse(py: &str) -> Option<Parsed> {
    let mut r = Reader { s: py.as_bytes(), i: 0, flags: Flags::default(), groups: 0, names: Vec::new() };
    let node = r.alternation()?;
    if r.i != r.s.len() {
        return None; // an unbalanced `)`
    }
    Some(Parsed { node, names: r.names, groups: r.groups as usize })
}

/// The set of bytes in `ranges` (evaluated at compile time for the classes below).
const fn set_of(ranges: &[(u8, u8)]) -> ByteSet {
    let mut words = [0u64; 4];
    let mut i = 0;
    while i < ranges.len() {
        let mut b = ranges[i].0 as usize;
        while b <= ranges[i].1 as usize {
            words[b >> 6] |= 1 << (b & 63);
            b += 1;
        }
        i += 1;
    }
    ByteSet(words)
}

const DIGIT: ByteSet = set_of(&[(b'0', b'9')]);
const WORD: ByteSet = set_of(&[(b'0', b'9'), (b'A', b'Z'), (b'_', b'_'), (b'a', b'z')]);
/// Python's `\s` on str patterns: `[\t-\r\x1c-\x1f ]`.
const SPACE: ByteSet = set_of(&[(b'\t', b'\r'), (0x1c, 0x1f), (b' ', b' ')]);

fn perl_class(c: u8) -> Option<ByteSet> {
    Some(match c {
        b'd' => DIGIT,
        b'D' => DIGIT.negated(),
        b's' => SPACE,
        b'S' => SPACE.negated(),
        b'w' => WORD,
        b'W' => WORD.negated(),
        _ => return None,
    })
}

/// Add the other case of every ASCII letter in the set.
fn fold(mut s: ByteSet) -> ByteSet {
    for b in b'a'..=b'z' {
        let u = b.to_ascii_uppercase();
        if s.contains(b) || s.contains(u) {
            s.add(b);
            s.add(u);
        }
    }
    s
}

impl Reader<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    fn eat(&mut self, b: u8) -> bool {
        if self.peek() == Some(b) {
            self.i += 1;
            true
        } else {
            false
        }
    }

    fn starts(&self, p: &[u8]) -> bool {
        self.s[self.i..].starts_with(p)
    }

    /// Branches up to the end of the pattern or of the enclosing group.
    fn alternation(&mut self) -> Option<Node> {
        let mut alts = vec![self.concat()?];
        while self.eat(b'|') {
            alts.push(self.concat()?);
        }
        Some(if alts.len() == 1 { alts.pop().unwrap() } else { Node::Alt(alts) })
    }

    fn concat(&mut self) -> Option<Node> {
        let mut items: Vec<Node> = Vec::new();
        while let Some(c) = self.peek() {
            if c == b'|' || c == b')' {
                break;
            }
            // A plain character with no quantifier joins the literal run in place:
            // most of a rule is such characters, and each would be a node.
            if self.plain(c) && !self.quantifier_next(self.i + 1) {
                self.i += 1;
                match items.last_mut() {
                    Some(Node::Lit(prev)) => prev.push(c),
                    _ => items.push(Node::Lit(vec![c])),
                }
                continue;
            }
            let Some(atom) = self.atom()? else { continue };
            let atom = self.quantified(atom)?;
            match (items.last_mut(), atom) {
                (Some(Node::Lit(prev)), Node::Lit(next)) => prev.extend_from_slice(&next),
                (_, Node::Empty) => {}
                (_, atom) => items.push(atom),
            }
        }
        Some(match items.len() {
            0 => Node::Empty,
            1 => items.pop().unwrap(),
            _ => Node::Concat(items),
        })
    }

    /// Whether `c` outside a class is an ASCII character that stands for itself.
    fn plain(&self, c: u8) -> bool {
        let special = matches!(
            c,
            b'\\' | b'(' | b')' | b'[' | b']' | b'{' | b'}' | b'.' | b'^' | b'$' | b'*' | b'+' | b'?' | b'|'
        );
        c.is_ascii() && !special && !(self.flags.icase && c.is_ascii_alphabetic())
    }

    /// Whether a quantifier starts at `at`.
    fn quantifier_next(&self, at: usize) -> bool {
        match self.s.get(at) {
            Some(b'*' | b'+' | b'?') => true,
            Some(b'{') => self.quantifier_at(at).is_some(),
            _ => false,
        }
    }

    /// A literal byte, honouring case folding.
    fn literal(&self, b: u8) -> Node {
        if self.flags.icase && b.is_ascii_alphabetic() {
            let mut s = ByteSet::default();
            s.add(b.to_ascii_lowercase());
            s.add(b.to_ascii_uppercase());
            Node::Set(s)
        } else {
            Node::Lit(vec![b])
        }
    }

    /// One atom; `Some(None)` for what matches nothing and takes no quantifier
    /// (a flag group, a comment).
    fn atom(&mut self) -> Option<Option<Node>> {
        let c = self.peek()?;
        self.i += 1;
        Some(Some(match c {
            b'(' => return self.group(),
            b'[' => Node::Set(self.class()?),
            b'.' => {
                let mut s = ByteSet::default().negated();
                if !self.flags.dotall {
                    s.remove(b'\n');
                }
                Node::Set(s)
            }
            b'^' => Node::Assert(if self.flags.multiline { Assert::StartLine } else { Assert::Start }),
            b'$' => Node::Assert(if self.flags.multiline { Assert::EndLine } else { Assert::End }),
            b'*' | b'+' | b'?' => return None, // nothing to repeat
            b'{' if self.quantifier_at(self.i - 1).is_some() => return None,
            b'\\' => self.escape()?,
            c if c.is_ascii() => self.literal(c),
            // Without case folding, a non-ASCII character never matches an ASCII
            // line; with it, some fold to ASCII letters: left to the full engine.
            _ if self.flags.icase => return None,
            _ => {
                let start = self.i - 1;
                while self.peek().is_some_and(|b| b & 0xC0 == 0x80) {
                    self.i += 1;
                }
                Node::Lit(self.s[start..self.i].to_vec())
            }
        }))
    }

    /// After `\` outside a class.
    fn escape(&mut self) -> Option<Node> {
        let c = self.peek()?;
        self.i += 1;
        if let Some(s) = perl_class(c) {
            return Some(Node::Set(s));
        }
        Some(match c {
            b'b' => Node::Assert(Assert::Word),
            b'B' => Node::Assert(Assert::NotWord),
            b'A' => Node::Assert(Assert::Start),
            b'Z' => Node::Assert(Assert::End),
            _ => {
                let b = self.char_escape(c)?;
                if b.is_ascii() {
                    self.literal(b as u8)
                } else if self.flags.icase {
                    // Some fold to ASCII letters (the Kelvin sign to `k`).
                    return None;
                } else {
                    Node::Lit(b.to_string().into_bytes())
                }
            }
        })
    }

    /// The character of an escape that stands for one (`\t`, `\x41`, `\.`), after
    /// the backslash and `c`.
    fn char_escape(&mut self, c: u8) -> Option<char> {
        Some(match c {
            b't' => '\t',
            b'n' => '\n',
            b'r' => '\r',
            b'f' => '\x0c',
            b'v' => '\x0b',
            b'a' => '\x07',
            b'x' => self.hex(2)?,
            b'u' => self.hex(4)?,
            b'U' => self.hex(8)?,
            b'0' => {
                // `\0` and up to two more octal digits.
                let mut v = 0u32;
                for _ in 0..2 {
                    match self.peek() {
                        Some(d @ b'0'..=b'7') => {
                            v = v * 8 + u32::from(d - b'0');
                            self.i += 1;
                        }
                        _ => break,
                    }
                }
                char::from_u32(v)?
            }
            // Backreferences, `\N{...}` and unknown letter escapes (errors in
            // Python) are left to the full engine.
            c if c.is_ascii_alphanumeric() => return None,
            c if c.is_ascii() => c as char,
            _ => return None,
        })
    }

    fn hex(&mut self, n: usize) -> Option<char> {
        let digits = self.s.get(self.i..self.i + n).filter(|d| d.iter().all(u8::is_ascii_hexdigit))?;
        let v = u32::from_str_radix(std::str::from_utf8(digits).ok()?, 16).ok()?;
        self.i += n;
        char::from_u32(v)
    }

    /// A class after its `[`.
    fn class(&mut self) -> Option<ByteSet> {
        let negate = self.eat(b'^');
        let mut set = ByteSet::default();
        let mut first = true;
        loop {
            let c = self.peek()?;
            if c == b']' && !first {
                self.i += 1;
                break;
            }
            first = false;
            // One member: a character, or a class escape.
            let lo = match self.class_member()? {
                Member::Set(s) => {
                    // `[\d-z]` is an error in Python.
                    if self.range_dash() {
                        return None;
                    }
                    set.union(s);
                    continue;
                }
                Member::Byte(b) => b,
            };
            if self.range_dash() {
                self.i += 1;
                let Member::Byte(hi) = self.class_member()? else { return None };
                if hi < lo {
                    return None;
                }
                set.add_range(lo, hi);
            } else {
                set.add(lo);
            }
        }
        if self.flags.icase {
            set = fold(set);
        }
        Some(if negate { set.negated() } else { set })
    }

    /// A `-` next that makes a range (not the class's last character).
    fn range_dash(&self) -> bool {
        self.peek() == Some(b'-') && self.s.get(self.i + 1).is_some_and(|&n| n != b']')
    }

    fn class_member(&mut self) -> Option<Member> {
        let c = self.peek()?;
        self.i += 1;
        if c != b'\\' {
            // Non-ASCII members never match an ASCII line; ranges over them are
            // left to the full engine.
            return c.is_ascii().then_some(Member::Byte(c));
        }
        let e = self.peek()?;
        self.i += 1;
        if let Some(s) = perl_class(e) {
            return Some(Member::Set(s));
        }
        if e == b'b' {
            return Some(Member::Byte(8));
        }
        let ch = self.char_escape(e)?;
        ch.is_ascii().then_some(Member::Byte(ch as u8))
    }

    /// After `(`.
    fn group(&mut self) -> Option<Option<Node>> {
        let saved = self.flags;
        let node = if self.eat(b'?') {
            if self.eat(b':') {
                self.alternation()?
            } else if self.starts(b"P<") {
                self.i += 2;
                let end = self.s[self.i..].iter().position(|&b| b == b'>')? + self.i;
                let name = std::str::from_utf8(&self.s[self.i..end]).ok()?;
                let valid = name.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
                    && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
                if !valid || self.names.iter().any(|(_, n)| n == name) {
                    return None;
                }
                self.i = end + 1;
                self.groups += 1;
                let index = self.groups;
                self.names.push((index as usize, name.to_string()));
                Node::Group { index, sub: Box::new(self.alternation()?) }
            } else if self.eat(b'#') {
                while self.peek()? != b')' {
                    self.i += 1;
                }
                self.i += 1;
                return Some(None);
            } else if let Some((ahead, negate)) = self.look_kind() {
                let sub = self.alternation()?;
                if !ahead && width(&sub).is_none() {
                    return None;
                }
                Node::Look { sub: Box::new(sub), ahead, negate }
            } else {
                // Flags: `(?im)` for the rest of the group, `(?i-m:...)` scoped.
                // Python's errors (a flag both set and cleared, `-` with nothing
                // after it or outside a scoped group, `a` with `u`) are left to the
                // full engine.
                let mut on = true;
                let mut flags = self.flags;
                let (mut seen, mut cleared) = (Vec::new(), 0);
                loop {
                    let c = self.peek()?;
                    if c.is_ascii_alphabetic() {
                        if seen.contains(&c) {
                            return None;
                        }
                        seen.push(c);
                        cleared += usize::from(!on);
                    }
                    match c {
                        b'i' => flags.icase = on,
                        b'm' => flags.multiline = on,
                        b's' => flags.dotall = on,
                        // ASCII or Unicode classes are the same on ASCII lines.
                        b'a' | b'u' if on && !(seen.contains(&b'a') && seen.contains(&b'u')) => {}
                        b'-' if on => on = false,
                        b')' if on => {
                            self.i += 1;
                            self.flags = flags;
                            return Some(None);
                        }
                        b':' if !on && cleared == 0 => return None,
                        b':' => {
                            self.i += 1;
                            break;
                        }
                        _ => return None,
                    }
                    self.i += 1;
                }
                self.flags = flags;
                self.alternation()?
            }
        } else {
            self.groups += 1;
            let index = self.groups;
            Node::Group { index, sub: Box::new(self.alternation()?) }
        };
        if !self.eat(b')') {
            return None;
        }
        self.flags = saved;
        Some(Some(node))
    }

    /// `=`, `!`, `<=`, `<!` after `(?`: (ahead, negate).
    fn look_kind(&mut self) -> Option<(bool, bool)> {
        let kind = match () {
            _ if self.starts(b"=") => (true, false, 1),
            _ if self.starts(b"!") => (true, true, 1),
            _ if self.starts(b"<=") => (false, false, 2),
            _ if self.starts(b"<!") => (false, true, 2),
            _ => return None,
        };
        self.i += kind.2;
        Some((kind.0, kind.1))
    }

    /// A quantifier `{m}`, `{m,}`, `{,n}`, `{m,n}` starting at `at`: (min, max, length).
    fn quantifier_at(&self, at: usize) -> Option<(u32, Option<u32>, usize)> {
        let rest = &self.s[at..];
        let close = rest.iter().position(|&b| b == b'}')?;
        let body = std::str::from_utf8(&rest[1..close]).ok()?;
        // A count Python cannot take (`MAXREPEAT` or more) reads as `u32::MAX`, which
        // `quantified` refuses.
        let num = |s: &str| -> Option<Option<u32>> {
            if s.is_empty() {
                Some(None)
            } else if s.bytes().all(|b| b.is_ascii_digit()) {
                Some(Some(s.parse::<u64>().map_or(u32::MAX, |n| n.min(u64::from(u32::MAX)) as u32)))
            } else {
                None
            }
        };
        let (min, max) = match body.split_once(',') {
            None => {
                let n = num(body)??;
                (n, Some(n))
            }
            // `{,}` is `*` in Python.
            Some((lo, hi)) => (num(lo)?.unwrap_or(0), num(hi)?),
        };
        Some((min, max, close + 1))
    }

    /// The atom with the quantifier that follows it, if any.
    fn quantified(&mut self, atom: Node) -> Option<Node> {
        let (min, max) = match self.peek() {
            Some(b'*') => (0, None),
            Some(b'+') => (1, None),
            Some(b'?') => (0, Some(1)),
            Some(b'{') => match self.quantifier_at(self.i) {
                Some((min, max, len)) => {
                    self.i += len - 1;
                    (min, max)
                }
                None => return Some(atom),
            },
            _ => return Some(atom),
        };
        self.i += 1;
        let greedy = !self.eat(b'?');
        // Possessive quantifiers and repeated repeats are left to the full engine.
        if matches!(self.peek(), Some(b'*' | b'+' | b'?'))
            || (self.peek() == Some(b'{') && self.quantifier_at(self.i).is_some())
        {
            return None;
        }
        if max.is_some_and(|m| m < min) || min == u32::MAX || max == Some(u32::MAX) {
            return None;
        }
        match atom {
            // One or more of a zero-width lookaround is the lookaround itself
            // (Python accepts `(?<=x)+`).
            Node::Look { .. } if min >= 1 => Some(atom),
            Node::Look { .. } | Node::Assert(_) | Node::Empty => None,
            // A quantifier binds to the last character of a literal run.
            atom => Some(Node::Repeat { sub: Box::new(atom), min, max, greedy }),
        }
    }
}

enum Member {
    Byte(u8),
    Set(ByteSet),
}

/// The length of every match of `n`, when they all have one length.
pub(crate) fn width(n: &Node) -> Option<usize> {
    match n {
        Node::Empty | Node::Assert(_) | Node::Look { .. } => Some(0),
        // Python counts characters: a non-ASCII literal is left to the full engine.
        Node::Lit(l) => l.is_ascii().then_some(l.len()),
        Node::Set(_) => Some(1),
        Node::Group { sub, .. } => width(sub),
        Node::Concat(parts) => parts.iter().map(width).sum(),
        Node::Alt(alts) => {
            let w = width(&alts[0])?;
            alts.iter().all(|a| width(a) == Some(w)).then_some(w)
        }
        Node::Repeat { sub, min, max, .. } => {
            (Some(*min) == *max).then(|| width(sub).map(|w| w * *min as usize))?
        }
    }
}

/// The shortest match of `n`.
pub(crate) fn min_len(n: &Node) -> usize {
    match n {
        Node::Empty | Node::Assert(_) | Node::Look { .. } => 0,
        Node::Lit(l) => l.len(),
        Node::Set(_) => 1,
        Node::Group { sub, .. } => min_len(sub),
        Node::Concat(parts) => parts.iter().map(min_len).sum(),
        Node::Alt(alts) => alts.iter().map(min_len).min().unwrap_or(0),
        Node::Repeat { sub, min, .. } => min_len(sub) * *min as usize,
    }
}

/// The bytes a match can start with, and whether the pattern can match the empty
/// string (then any line may match and the set says nothing).
pub(crate) fn first_bytes(n: &Node) -> (ByteSet, bool) {
    let mut set = ByteSet::default();
    match n {
        Node::Empty | Node::Assert(_) | Node::Look { .. } => (set, true),
        Node::Lit(l) => {
            set.add(l[0]);
            (set, false)
        }
        Node::Set(s) => (*s, false),
        Node::Repeat { sub, min, .. } => {
            let (s, empty) = first_bytes(sub);
            (s, empty || *min == 0)
        }
        Node::Group { sub, .. } => first_bytes(sub),
        Node::Concat(parts) => {
            for p in parts {
                let (s, empty) = first_bytes(p);
                set.union(s);
                if !empty {
                    return (set, false);
                }
            }
            (set, true)
        }
        Node::Alt(alts) => {
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
pub(crate) struct Prefix {
    pad: ByteSet,
    min: usize,
    pub(crate) lit: Vec<u8>,
}

impl Prefix {
    /// The padding's bytes.
    pub(crate) fn pad(&self) -> &ByteSet {
        &self.pad
    }

    /// Whether a line that starts with `pad` padding bytes can match.
    pub(crate) fn admits(&self, line: &[u8], pad: usize) -> bool {
        // Compared in line: a call to `memcmp` costs more than these few bytes.
        pad >= self.min
            && line.len() - pad >= self.lit.len()
            && self.lit.iter().zip(&line[pad..]).all(|(a, b)| a == b)
    }
}

/// How many of a line's leading bytes are in a set: kept for the line being
/// matched, as most rules of a template start with the same padding (`^\s+`).
#[derive(Debug, Default)]
pub(crate) struct Leading {
    /// The line (address and length) the counts are for.
    line: (usize, usize),
    counts: Vec<(ByteSet, usize)>,
}

impl Leading {
    pub(crate) fn count(&mut self, line: &[u8], pad: &ByteSet) -> usize {
        let key = (line.as_ptr() as usize, line.len());
        if self.line != key {
            self.line = key;
            self.counts.clear();
        }
        if let Some(&(_, n)) = self.counts.iter().find(|(s, _)| s == pad) {
            return n;
        }
        let n = line.iter().take_while(|&&b| pad.contains(b)).count();
        self.counts.push((*pad, n));
        n
    }
}

/// The [`Prefix`] of a pattern, when it has that shape. The padding must be an
/// unbounded repetition and the literal must not start with a padding byte: then
/// the padding takes exactly the line's leading run of such bytes.
pub(crate) fn prefix(n: &Node) -> Option<Prefix> {
    let parts = match n {
        Node::Concat(p) => p.as_slice(),
        _ => std::slice::from_ref(n),
    };
    let mut rest = parts.iter().skip_while(|p| matches!(p, Node::Assert(Assert::Start | Assert::StartLine)));
    let mut next = rest.next();
    let (mut pad, mut min) = (ByteSet::default(), 0);
    if let Some(Node::Repeat { sub, min: m, max: None, .. }) = next
        && let Some(set) = one_byte(sub)
    {
        (pad, min) = (set, *m as usize);
        next = rest.next();
    }
    let Some(Node::Lit(lit)) = next else { return None };
    (!pad.contains(lit[0])).then(|| Prefix { pad, min, lit: lit.clone() })
}

/// The set of a one-byte node.
pub(crate) fn one_byte(n: &Node) -> Option<ByteSet> {
    match n {
        Node::Set(s) => Some(*s),
        Node::Lit(l) if l.len() == 1 => {
            let mut s = ByteSet::default();
            s.add(l[0]);
            Some(s)
        }
        _ => None,
    }
}

/// The longest literal (two bytes or more) every match contains, if any.
pub(crate) fn required_literal(n: &Node) -> Option<Vec<u8>> {
    fn walk<'n>(n: &'n Node, best: &mut &'n [u8]) {
        match n {
            Node::Lit(l) if l.len() > best.len() => *best = l,
            Node::Group { sub, .. } => walk(sub, best),
            Node::Repeat { sub, min, .. } if *min >= 1 => walk(sub, best),
            Node::Concat(parts) => parts.iter().for_each(|p| walk(p, best)),
            _ => {}
        }
    }
    let mut best: &[u8] = &[];
    walk(n, &mut best);
    (best.len() >= 2).then(|| best.to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Option<Parsed> {
        parse(s)
    }

    #[test]
    fn reads_the_shapes_templates_use() {
        let x = p(r"^\s+Internet address is (?P<IP>\S+)/(\d+)\s*$").unwrap();
        assert_eq!(x.groups, 2);
        assert_eq!(x.names, [(1, "IP".to_string())]);
        let pre = prefix(&x.node).unwrap();
        assert_eq!(pre.lit, b"Internet address is ");
        let mut lead = Leading::default();
        let line = b"   Internet address is 1.2.3.4/24";
        assert!(pre.admits(line, lead.count(line, pre.pad())));
        assert_eq!(lead.count(line, pre.pad()), 3);
        let line = b"Internet addr";
        assert!(!pre.admits(line, lead.count(line, pre.pad())), "a new line is counted anew");
        assert_eq!(required_literal(&p(r"^(?P<A>\S+)\s+is\s+up").unwrap().node).unwrap(), b"is");
        assert!(required_literal(&p(r"(?i)interface").unwrap().node).is_none());
        assert!(p(r"x{,3}\{ {} a{2,}").is_some(), "braces that are not quantifiers are literal");
        assert!(p(r"(?<=[^()\s])+x").is_some());
    }

    #[test]
    fn leaves_what_it_does_not_take_to_the_full_engine() {
        for bad in [
            r"(a)\1",
            r"(?x) a",
            r"a**",
            r"a++",
            r"*a",
            r"(a",
            r"a)",
            r"[z-a]",
            r"\q",
            r"(?<=a+)b",
            r"(?P<n>a)(?P<n>b)",
            r"(?>a)",
            r"[a",
            r"\N{DIGIT ONE}",
            r"(?P=n)",
            r"^*",
        ] {
            assert!(p(bad).is_none(), "{bad}");
        }
    }
}
