//! Block-structured configurations shared by the Cisco-style platforms (NX-OS, IOS XR, EOS,
//! VRP): the store ([`Blocks`]: global lines and blocks such as `interface X` with their
//! indented lines, plus the hostname), the keyword tables of a CLI ([`Dialect`]), the
//! interpretation of one configuration line ([`interpret`]) and the session's position in the
//! sub-modes ([`Cursor`]), which turns statements into [`Change`]s to apply to a store.
//! Each platform renders a store its own way.

use crate::parser::{Match, Word, match_keyword};

/// The per-platform rules of a store.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Rules {
    /// The global keyword that sets the hostname (`hostname`, VRP `sysname`).
    pub hostname_keyword: &'static str,
    /// The hostname after `no hostname`.
    pub default_hostname: &'static str,
    /// The negation word (`no`, VRP `undo`).
    pub negation: &'static str,
    /// Line prefixes that hold one value: a new line with the prefix replaces the old one.
    pub single_valued: &'static [&'static str],
}

/// A global line or a block (a line opening a sub-mode) with its indented lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Entry {
    pub line: String,
    pub children: Vec<String>,
    pub block: bool,
}

/// A configuration: hostname, then global lines and blocks in the order they were added.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Blocks {
    rules: &'static Rules,
    pub hostname: String,
    entries: Vec<Entry>,
}

/// True when `line` starts with the words of `prefix` (whole words).
pub(crate) fn starts_with_words(line: &str, prefix: &str) -> bool {
    line == prefix || line.strip_prefix(prefix).is_some_and(|rest| rest.starts_with(' '))
}

/// One edit of a [`Blocks`] store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Change {
    /// Adds a line, globally or under the block `parent` (created if missing).
    Add { parent: Option<String>, line: String },
    /// Finds or creates the block `line`.
    Enter { line: String },
    /// Removes the lines (and blocks) starting with the words of `prefix`.
    Remove { parent: Option<String>, prefix: String },
}

impl Blocks {
    pub fn new(rules: &'static Rules, hostname: &str) -> Blocks {
        Blocks { rules, hostname: hostname.to_string(), entries: Vec::new() }
    }

    /// The global lines and blocks, in order.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// The block whose line is `line`.
    pub fn block(&self, line: &str) -> Option<&Entry> {
        self.entries.iter().find(|e| e.block && e.line == line)
    }

    /// True when adding `new` drops `old`: a single-valued setting replaces its old value,
    /// and a line supersedes a negated form of its prefix (`no X`).
    fn supersedes(&self, new: &str, old: &str) -> bool {
        let secondary = |l: &str| l.ends_with(" secondary") || l.ends_with(" sub");
        let replaced = !secondary(new)
            && !secondary(old)
            && self
                .rules
                .single_valued
                .iter()
                .any(|p| starts_with_words(new, p) && starts_with_words(old, p));
        let negated = old
            .strip_prefix(self.rules.negation)
            .and_then(|rest| rest.strip_prefix(' '))
            .is_some_and(|neg| starts_with_words(new, neg));
        replaced || negated
    }

    fn add_line(&self, lines: &mut Vec<String>, line: String) {
        if lines.contains(&line) {
            return;
        }
        lines.retain(|old| !self.supersedes(&line, old));
        lines.push(line);
    }

    /// Adds a global line (the hostname line sets the hostname).
    pub fn add_global(&mut self, line: String) {
        if let Some(name) = line.strip_prefix(self.rules.hostname_keyword).and_then(|r| r.strip_prefix(' ')) {
            self.hostname = name.trim().to_string();
            return;
        }
        if self.entries.iter().any(|e| !e.block && e.line == line) {
            return;
        }
        let entries = std::mem::take(&mut self.entries);
        self.entries = entries.into_iter().filter(|e| e.block || !self.supersedes(&line, &e.line)).collect();
        self.entries.push(Entry { line, children: Vec::new(), block: false });
    }

    /// Finds or creates the block `line`.
    pub fn enter(&mut self, line: &str) {
        if !self.entries.iter().any(|e| e.block && e.line == line) {
            self.entries.push(Entry { line: line.to_string(), children: Vec::new(), block: true });
        }
    }

    /// Adds `line` under the block `parent` (created if missing).
    pub fn add_child(&mut self, parent: &str, line: String) {
        self.enter(parent);
        let Some(index) = self.entries.iter().position(|e| e.block && e.line == parent) else {
            return;
        };
        let mut children = std::mem::take(&mut self.entries[index].children);
        self.add_line(&mut children, line);
        self.entries[index].children = children;
    }

    /// Removes global lines and blocks starting with `prefix` (`hostname` resets it).
    pub fn remove_global(&mut self, prefix: &str) -> bool {
        if starts_with_words(prefix, self.rules.hostname_keyword) {
            self.hostname = self.rules.default_hostname.to_string();
            return true;
        }
        let before = self.entries.len();
        self.entries.retain(|e| !starts_with_words(&e.line, prefix));
        self.entries.len() != before
    }

    /// Removes the lines starting with `prefix` inside the block `parent`.
    pub fn remove_child(&mut self, parent: &str, prefix: &str) -> bool {
        self.entries.iter_mut().find(|e| e.block && e.line == parent).is_some_and(|e| {
            let before = e.children.len();
            e.children.retain(|l| !starts_with_words(l, prefix));
            e.children.len() != before
        })
    }

    /// Applies one change.
    pub fn apply(&mut self, change: &Change) {
        match change {
            Change::Add { parent: None, line } => self.add_global(line.clone()),
            Change::Add { parent: Some(parent), line } => self.add_child(parent, line.clone()),
            Change::Enter { line } => self.enter(line),
            Change::Remove { parent: None, prefix } => {
                self.remove_global(prefix);
            }
            Change::Remove { parent: Some(parent), prefix } => {
                self.remove_child(parent, prefix);
            }
        }
    }
}

/// A configuration sub-mode of a [`Dialect`].
#[derive(Debug)]
pub(crate) struct SubMode {
    /// The words that open it: a global keyword, then words that must follow it exactly
    /// (e.g. `["router", "bgp"]`).
    pub opener: &'static [&'static str],
    /// Words needed after the opener words (e.g. 1 for `interface X`).
    pub args: usize,
    /// Keywords of the mode (besides the control words; global keywords leave the mode).
    pub keywords: &'static [&'static str],
    /// The prompt tag, from the words of the canonical opening line.
    pub tag: fn(&[&str]) -> String,
}

/// The keyword tables of a Cisco-style configuration CLI.
#[derive(Debug)]
pub(crate) struct Dialect {
    /// Keywords of the global configuration mode.
    pub global: &'static [&'static str],
    pub modes: &'static [SubMode],
    /// Keywords that are complete on their own (every other keyword needs arguments).
    pub bare: &'static [&'static str],
    /// Negation words (`no`, `default` / `undo`).
    pub negate: &'static [&'static str],
    /// Control words, valid in every configuration mode (`end`, `exit`, `do`, `commit`, ...).
    pub control: &'static [&'static str],
    /// The control word that ends configuration mode (`end`, VRP `return`).
    pub end: &'static str,
    /// The control word that leaves a sub-mode, or configuration mode from the top (`exit`,
    /// VRP `quit`).
    pub exit: &'static str,
    /// Rewrites a statement into the form the configuration stores.
    pub canonical: fn(&mut Statement),
}

/// Why a configuration line was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ConfigError {
    /// The word at this column is not valid there.
    Invalid { column: usize },
    /// The line stops before the command is complete.
    Incomplete,
    /// The word at this column abbreviates several keywords.
    Ambiguous { column: usize },
}

/// A configuration statement, with its first keyword spelled out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Statement {
    /// Negated (`no ...`): remove what `text` starts with.
    pub negate: bool,
    /// The full first keyword (after the negation word).
    pub keyword: &'static str,
    /// The keyword and the other words as typed (without the negation word).
    pub text: String,
    /// The keyword is a global one (typed in a sub-mode, it leaves the sub-mode).
    pub global: bool,
    /// The sub-mode it opens (index into [`Dialect::modes`]).
    pub opens: Option<usize>,
}

/// What one configuration line is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ConfigLine {
    Empty,
    /// A control word of [`Dialect::control`]; the line's other words start at index 1.
    Control(&'static str),
    Statement(Statement),
    Error(ConfigError),
}

impl Dialect {
    /// Resolves `typed` in sub-mode `sub` (its keywords first), then globally. Returns the
    /// keyword and whether it is a global one.
    fn resolve(
        &self,
        typed: &str,
        sub: Option<usize>,
        control: bool,
    ) -> Result<(&'static str, bool), Match<'static>> {
        let extra: &[&'static str] = if control { self.control } else { &[] };
        let negate: &[&'static str] = if control { self.negate } else { &[] };
        if let Some(mode) = sub.and_then(|i| self.modes.get(i)) {
            let all = mode.keywords.iter().chain(extra).chain(negate).copied();
            match match_keyword(typed, all) {
                Match::One(k) => return Ok((k, false)),
                Match::Ambiguous => return Err(Match::Ambiguous),
                Match::None => {}
            }
        }
        match match_keyword(typed, self.global.iter().chain(extra).chain(negate).copied()) {
            Match::One(k) => Ok((k, true)),
            other => Err(other),
        }
    }

    /// The sub-mode that the canonical line `words` opens.
    fn opens(&self, words: &[&str]) -> Option<usize> {
        self.modes.iter().position(|m| {
            words.len() >= m.opener.len() + m.args
                && m.opener.iter().zip(words).all(|(o, w)| o.eq_ignore_ascii_case(w))
        })
    }

    /// The prompt tag of sub-mode `mode` opened by `line`.
    pub fn tag(&self, mode: usize, line: &str) -> String {
        let words: Vec<&str> = line.split_whitespace().collect();
        (self.modes[mode].tag)(&words)
    }
}

/// Interprets one configuration line typed in sub-mode `sub` (`None` = global mode).
pub(crate) fn interpret(dialect: &Dialect, sub: Option<usize>, words: &[Word<'_>]) -> ConfigLine {
    let Some(first) = words.first() else {
        return ConfigLine::Empty;
    };
    let (keyword, global) = match dialect.resolve(first.text, sub, true) {
        Ok(k) => k,
        Err(Match::Ambiguous) => return ConfigLine::Error(ConfigError::Ambiguous { column: first.column }),
        Err(_) => return ConfigLine::Error(ConfigError::Invalid { column: first.column }),
    };
    if dialect.control.contains(&keyword) {
        return ConfigLine::Control(keyword);
    }
    let negate = dialect.negate.contains(&keyword);
    let (keyword, global, rest) = if negate {
        let Some(second) = words.get(1) else {
            return ConfigLine::Error(ConfigError::Incomplete);
        };
        match dialect.resolve(second.text, sub, false) {
            Ok((k, g)) => (k, g, &words[2..]),
            Err(Match::Ambiguous) => {
                return ConfigLine::Error(ConfigError::Ambiguous { column: second.column });
            }
            Err(_) => return ConfigLine::Error(ConfigError::Invalid { column: second.column }),
        }
    } else {
        (keyword, global, &words[1..])
    };
    if !negate && rest.is_empty() && !dialect.bare.contains(&keyword) {
        return ConfigLine::Error(ConfigError::Incomplete);
    }
    let all: Vec<&str> = std::iter::once(keyword).chain(rest.iter().map(|w| w.text)).collect();
    let opens = if negate || !(global || sub.is_none()) { None } else { dialect.opens(&all) };
    let mut statement = Statement { negate, keyword, text: all.join(" "), global, opens };
    (dialect.canonical)(&mut statement);
    ConfigLine::Statement(statement)
}

/// What a line typed in configuration mode comes to, once what every block CLI does alike
/// is done (see [`configure`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Configured {
    /// Nothing to print: an empty line, a statement applied, a mode left.
    Done,
    Refused(ConfigError),
    /// Another control word, for the session; the line's other words start at index 1.
    Control(&'static str),
}

/// Runs `words` typed in configuration mode at `config` (`None`: not in configuration mode).
/// A statement moves the cursor and its change goes to `apply`; the dialect's `end` leaves
/// configuration mode (`config` becomes `None`), its `exit` the sub-mode or, from the top,
/// configuration mode.
pub(crate) fn configure(
    dialect: &Dialect,
    config: &mut Option<Cursor>,
    words: &[Word<'_>],
    apply: impl FnOnce(Change),
) -> Configured {
    let Some(cursor) = config.as_mut() else {
        return Configured::Done;
    };
    match interpret(dialect, cursor.mode(), words) {
        ConfigLine::Empty => {}
        ConfigLine::Error(e) => return Configured::Refused(e),
        ConfigLine::Control(word) if word == dialect.end => *config = None,
        ConfigLine::Control(word) if word == dialect.exit => {
            if cursor.sub.take().is_none() {
                *config = None;
            }
        }
        ConfigLine::Control(word) => return Configured::Control(word),
        ConfigLine::Statement(statement) => apply(cursor.step(&statement)),
    }
    Configured::Done
}

/// Where a configuration session is: global mode or a sub-mode opened by a block line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Cursor {
    /// The sub-mode (index into [`Dialect::modes`]) and the block line that opened it.
    pub sub: Option<(usize, String)>,
}

impl Cursor {
    /// The sub-mode index, for [`interpret`].
    pub fn mode(&self) -> Option<usize> {
        self.sub.as_ref().map(|(m, _)| *m)
    }

    /// Moves for `statement` (a global keyword leaves the sub-mode, an opener enters one) and
    /// returns the change it makes.
    pub fn step(&mut self, statement: &Statement) -> Change {
        if statement.global && self.sub.is_some() {
            self.sub = None;
        }
        let parent = self.sub.as_ref().map(|(_, p)| p.clone());
        if statement.negate {
            return Change::Remove { parent, prefix: statement.text.clone() };
        }
        if let Some(mode) = statement.opens {
            self.sub = Some((mode, statement.text.clone()));
            return Change::Enter { line: statement.text.clone() };
        }
        Change::Add { parent, line: statement.text.clone() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parser::words;

    static RULES: Rules = Rules {
        hostname_keyword: "hostname",
        default_hostname: "switch",
        negation: "no",
        single_valued: &["description", "ip address"],
    };

    static DIALECT: Dialect = Dialect {
        global: &["hostname", "interface", "ip", "ntp", "router"],
        modes: &[
            SubMode {
                opener: &["interface"],
                args: 1,
                keywords: &["description", "ip", "shutdown"],
                tag: |_| "config-if".into(),
            },
            SubMode {
                opener: &["router", "bgp"],
                args: 1,
                keywords: &["neighbor"],
                tag: |w| format!("bgp-{}", w[2]),
            },
        ],
        bare: &["shutdown"],
        negate: &["no", "default"],
        control: &["do", "end", "exit"],
        end: "end",
        exit: "exit",
        canonical: |_| {},
    };

    fn line(sub: Option<usize>, text: &str) -> ConfigLine {
        interpret(&DIALECT, sub, &words(text))
    }

    #[test]
    fn interprets_lines() {
        assert_eq!(line(None, ""), ConfigLine::Empty);
        assert_eq!(line(Some(0), "ex"), ConfigLine::Control("exit"));
        assert_eq!(line(None, "e"), ConfigLine::Error(ConfigError::Ambiguous { column: 0 }));
        assert_eq!(line(None, "  bogus"), ConfigLine::Error(ConfigError::Invalid { column: 2 }));
        assert_eq!(line(None, "interface"), ConfigLine::Error(ConfigError::Incomplete));
        assert_eq!(line(None, "no"), ConfigLine::Error(ConfigError::Incomplete));
        assert_eq!(line(None, "no bogus"), ConfigLine::Error(ConfigError::Invalid { column: 3 }));
        let ConfigLine::Statement(s) = line(None, "int Ethernet1/1") else { panic!() };
        assert_eq!((s.keyword, s.text.as_str(), s.opens), ("interface", "interface Ethernet1/1", Some(0)));
        let ConfigLine::Statement(s) = line(None, "router bgp 65000") else { panic!() };
        assert_eq!(s.opens, Some(1));
        assert_eq!(DIALECT.tag(1, &s.text), "bgp-65000");
        let ConfigLine::Statement(s) = line(None, "router ospf 1") else { panic!() };
        assert_eq!(s.opens, None);
        let ConfigLine::Statement(s) = line(Some(0), "shut") else { panic!() };
        assert_eq!((s.text.as_str(), s.global), ("shutdown", false));
        let ConfigLine::Statement(s) = line(Some(0), "no ip address") else { panic!() };
        assert!(s.negate && !s.global);
        let ConfigLine::Statement(s) = line(Some(0), "ntp server 1.1.1.1") else { panic!() };
        assert!(s.global);
    }

    #[test]
    fn cursor_and_store() {
        let mut store = Blocks::new(&RULES, "sw1");
        let mut cursor = Cursor::default();
        for text in [
            "hostname core",
            "interface Ethernet1/1",
            "description one",
            "description two",
            "shutdown",
            "no shutdown",
            "ntp server 10.0.0.1",
            "ip route 0.0.0.0/0 10.0.0.254",
        ] {
            let ConfigLine::Statement(s) = interpret(&DIALECT, cursor.mode(), &words(text)) else {
                panic!("{text}")
            };
            store.apply(&cursor.step(&s));
        }
        assert_eq!(store.hostname, "core");
        assert_eq!(cursor, Cursor::default());
        let gi = store.block("interface Ethernet1/1").unwrap();
        assert_eq!(gi.children, vec!["description two"]);
        let globals: Vec<&str> =
            store.entries().iter().filter(|e| !e.block).map(|e| e.line.as_str()).collect();
        assert_eq!(globals, vec!["ntp server 10.0.0.1", "ip route 0.0.0.0/0 10.0.0.254"]);
        store.apply(&Change::Add { parent: None, line: "no ip domain-lookup".into() });
        store.apply(&Change::Add { parent: None, line: "ip domain-lookup".into() });
        assert!(!store.entries().iter().any(|e| e.line == "no ip domain-lookup"));
        assert!(store.remove_global("interface Ethernet1/1"));
        assert!(store.block("interface Ethernet1/1").is_none());
        assert!(store.remove_global("hostname"));
        assert_eq!(store.hostname, "switch");
    }
}
