//! Keyword trees with CLI-style abbreviation matching (unique word prefixes, exact match wins),
//! shared by the platforms whose CLIs work that way (IOS, NX-OS, IOS XR, EOS, Junos, VRP).

use std::collections::BTreeMap;

/// One word of an input line and where it starts (in characters, for caret markers).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Word<'a> {
    pub text: &'a str,
    pub column: usize,
}

/// Splits a line into whitespace-separated words, remembering each word's column.
pub(crate) fn words(line: &str) -> Vec<Word<'_>> {
    split(line, false)
}

/// Like [`words`], but a double-quoted string is one word (quotes kept), as in Junos
/// configuration lines.
pub(crate) fn quoted_words(line: &str) -> Vec<Word<'_>> {
    split(line, true)
}

fn split(line: &str, quotes: bool) -> Vec<Word<'_>> {
    let mut out = Vec::new();
    let mut start: Option<(usize, usize)> = None; // (byte offset, column)
    let mut quoted = false;
    for (column, (offset, ch)) in line.char_indices().enumerate() {
        if quotes && ch == '"' {
            quoted = !quoted;
        }
        if ch.is_whitespace() && !quoted {
            if let Some((s, c)) = start.take() {
                out.push(Word { text: &line[s..offset], column: c });
            }
        } else if start.is_none() {
            start = Some((offset, column));
        }
    }
    if let Some((s, c)) = start {
        out.push(Word { text: &line[s..], column: c });
    }
    out
}

/// What a command accepts after its keywords.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Args {
    /// Nothing: an extra word is invalid input.
    None,
    /// Exactly one number in `0..=max`.
    Number { max: u32 },
    /// Any words, at least `min` of them.
    Words { min: usize },
}

/// Why a line did not resolve to a command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ParseError {
    /// Nothing but whitespace.
    Empty,
    /// Word `index` (at `column`) is not valid there.
    Invalid { index: usize, column: usize },
    /// A word is the prefix of several keywords.
    Ambiguous,
    /// The keywords stop before a command is complete.
    Incomplete,
}

/// A resolved command: its action and the words after its keywords.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Parsed<'t, 'l, A> {
    pub action: &'t A,
    pub args: Vec<Word<'l>>,
}

impl<A> Parsed<'_, '_, A> {
    /// The first word after the keywords as a number (0 when there is none).
    pub fn number(&self) -> usize {
        self.args.first().and_then(|w| w.text.parse().ok()).unwrap_or_default()
    }

    /// The words after the keywords, as text.
    pub fn arg_texts(&self) -> Vec<&str> {
        self.args.iter().map(|w| w.text).collect()
    }
}

#[derive(Debug, Clone)]
struct Node<A> {
    children: BTreeMap<String, Node<A>>,
    action: Option<(A, Args)>,
}

impl<A> Default for Node<A> {
    fn default() -> Self {
        Node { children: BTreeMap::new(), action: None }
    }
}

/// A tree of keywords; each complete path may carry an action.
#[derive(Debug, Clone)]
pub(crate) struct CommandTree<A> {
    root: Node<A>,
}

impl<A> Default for CommandTree<A> {
    fn default() -> Self {
        CommandTree { root: Node::default() }
    }
}

/// The outcome of matching one typed word against a set of keywords.
pub(crate) enum Match<'k> {
    One(&'k str),
    None,
    Ambiguous,
}

/// Matches `typed` (case-insensitively) against `keywords`: an exact keyword wins, otherwise
/// the one keyword it is a prefix of.
pub(crate) fn match_keyword<'k, I>(typed: &str, keywords: I) -> Match<'k>
where
    I: IntoIterator<Item = &'k str>,
{
    let typed = typed.to_ascii_lowercase();
    let mut found = None;
    let mut several = false;
    for keyword in keywords {
        if keyword == typed {
            return Match::One(keyword);
        }
        if keyword.starts_with(&typed) {
            several |= found.is_some();
            found = Some(keyword);
        }
    }
    match (found, several) {
        (_, true) => Match::Ambiguous,
        (Some(k), false) => Match::One(k),
        (None, false) => Match::None,
    }
}

impl<A> CommandTree<A> {
    /// Adds (or replaces) the command made of `keywords` (space separated, lower case).
    pub fn insert(&mut self, keywords: &str, action: A, args: Args) {
        let mut node = &mut self.root;
        for word in keywords.split_whitespace() {
            node = node.children.entry(word.to_ascii_lowercase()).or_default();
        }
        node.action = Some((action, args));
    }

    /// Adds (or replaces) every command of `commands`: (keywords, action, arguments).
    pub fn insert_all(&mut self, commands: &[(&str, A, Args)])
    where
        A: Clone,
    {
        for (keywords, action, args) in commands {
            self.insert(keywords, action.clone(), *args);
        }
    }

    /// True when `keywords` is exactly a command of this tree.
    #[cfg(test)]
    pub fn contains(&self, keywords: &str) -> bool {
        let mut node = &self.root;
        for word in keywords.split_whitespace() {
            match node.children.get(word) {
                Some(child) => node = child,
                None => return false,
            }
        }
        node.action.is_some()
    }

    /// For words that fail with [`ParseError::Ambiguous`]: the index of the ambiguous word
    /// and the keywords it abbreviates (sorted).
    pub fn ambiguity(&self, words: &[Word<'_>]) -> Option<(usize, Vec<&str>)> {
        let mut node = &self.root;
        for (index, word) in words.iter().enumerate() {
            match match_keyword(word.text, node.children.keys().map(String::as_str)) {
                Match::One(keyword) => node = &node.children[keyword],
                Match::Ambiguous => {
                    let typed = word.text.to_ascii_lowercase();
                    let all = node.children.keys().map(String::as_str).filter(|k| k.starts_with(&typed));
                    return Some((index, all.collect()));
                }
                Match::None => return None,
            }
        }
        None
    }

    /// Resolves `line` to a command, accepting unique abbreviations of every keyword.
    #[cfg(test)]
    pub fn parse<'t, 'l>(&'t self, line: &'l str) -> Result<Parsed<'t, 'l, A>, ParseError> {
        self.parse_words(&words(line))
    }

    /// Like [`CommandTree::parse`] on an already split line.
    pub fn parse_words<'t, 'l>(&'t self, words: &[Word<'l>]) -> Result<Parsed<'t, 'l, A>, ParseError> {
        if words.is_empty() {
            return Err(ParseError::Empty);
        }
        let mut node = &self.root;
        let mut index = 0;
        while let Some(word) = words.get(index) {
            match match_keyword(word.text, node.children.keys().map(String::as_str)) {
                Match::One(keyword) => {
                    node = &node.children[keyword];
                    index += 1;
                }
                Match::Ambiguous => return Err(ParseError::Ambiguous),
                Match::None => match node.action {
                    Some((_, Args::None)) | None => {
                        return Err(ParseError::Invalid { index, column: word.column });
                    }
                    Some(_) => break,
                },
            }
        }
        let Some((action, spec)) = &node.action else {
            return Err(ParseError::Incomplete);
        };
        let args = words[index..].to_vec();
        match *spec {
            Args::None => {}
            Args::Number { max } => {
                let Some(first) = args.first() else {
                    return Err(ParseError::Incomplete);
                };
                let bad = if !first.text.parse::<u32>().is_ok_and(|n| n <= max) {
                    Some((index, first))
                } else {
                    args.get(1).map(|extra| (index + 1, extra))
                };
                if let Some((index, word)) = bad {
                    return Err(ParseError::Invalid { index, column: word.column });
                }
            }
            Args::Words { min } => {
                if args.len() < min {
                    return Err(ParseError::Incomplete);
                }
            }
        }
        Ok(Parsed { action, args })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree() -> CommandTree<&'static str> {
        let mut t = CommandTree::default();
        t.insert("show version", "ver", Args::None);
        t.insert("show ip interface brief", "brief", Args::None);
        t.insert("show ip interface", "ipint", Args::None);
        t.insert("show ipv6 route", "v6", Args::None);
        t.insert("show inventory", "inv", Args::None);
        t.insert("ssh", "ssh", Args::Words { min: 1 });
        t.insert("terminal length", "len", Args::Number { max: 512 });
        t
    }

    #[test]
    fn splits_words_with_columns() {
        let w = words("  sh  ver ");
        assert_eq!(w, vec![Word { text: "sh", column: 2 }, Word { text: "ver", column: 6 }]);
    }

    #[test]
    fn quoted_words_stay_together() {
        let w = quoted_words("set description \"to the core\" x");
        let texts: Vec<&str> = w.iter().map(|w| w.text).collect();
        assert_eq!(texts, vec!["set", "description", "\"to the core\"", "x"]);
        assert_eq!(w[3].column, 30);
    }

    #[test]
    fn abbreviations_resolve() {
        let t = tree();
        assert_eq!(*t.parse("sh ver").unwrap().action, "ver");
        assert_eq!(*t.parse("SH IP INT BR").unwrap().action, "brief");
        assert_eq!(*t.parse("show ip int").unwrap().action, "ipint");
        // "ip" is exact even though "ipv6" starts with it
        assert_eq!(*t.parse("sh ip interface").unwrap().action, "ipint");
        assert_eq!(*t.parse("sh ipv route").unwrap().action, "v6");
    }

    #[test]
    fn errors() {
        let t = tree();
        assert_eq!(t.parse("   ").unwrap_err(), ParseError::Empty);
        assert_eq!(t.parse("sh i").unwrap_err(), ParseError::Ambiguous);
        assert_eq!(t.parse("show").unwrap_err(), ParseError::Incomplete);
        assert_eq!(t.parse("show versoin").unwrap_err(), ParseError::Invalid { index: 1, column: 5 });
        assert_eq!(t.parse("show version now").unwrap_err(), ParseError::Invalid { index: 2, column: 13 });
        assert_eq!(t.parse("ssh").unwrap_err(), ParseError::Incomplete);
        assert_eq!(t.parse("ssh 10.0.0.1").unwrap().args.len(), 1);
        assert_eq!(t.ambiguity(&words("sh i")), Some((1, vec!["inventory", "ip", "ipv6"])));
        assert_eq!(t.ambiguity(&words("sh ver")), None);
    }

    #[test]
    fn numbers() {
        let t = tree();
        assert_eq!(t.parse("term len 0").unwrap().args[0].text, "0");
        assert_eq!(t.parse("term len").unwrap_err(), ParseError::Incomplete);
        assert!(matches!(t.parse("term len 999"), Err(ParseError::Invalid { column: 9, .. })));
        assert_eq!(t.parse("term len 1 2").unwrap_err(), ParseError::Invalid { index: 3, column: 11 });
        assert!(t.contains("terminal length"));
        assert!(!t.contains("terminal"));
    }
}
