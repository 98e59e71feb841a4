//! Reading a TextFSM template: the `Value` block, then states with their rules,
//! checked the way Python `textfsm` checks them (same errors, with line numbers).

use std::collections::HashMap;
use std::fmt;

use crate::pyre::Pattern;

/// A template that cannot be used, and the line that says why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TemplateError {
    pub message: String,
    /// 1-based template line, when the error belongs to one.
    pub line: Option<u32>,
}

impl fmt::Display for TemplateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(l) => write!(f, "line {l}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for TemplateError {}

fn err(line: u32, message: impl Into<String>) -> TemplateError {
    TemplateError { message: message.into(), line: Some(line) }
}

/// A `Value` option.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Opt {
    Required,
    Filldown,
    Fillup,
    Key,
    List,
}

/// One `Value` declaration.
#[derive(Debug)]
pub(crate) struct ValueDef {
    pub name: String,
    /// Options in the order written (they act in that order).
    pub options: Vec<Opt>,
    /// For a `List` value whose regex has more than one group: the regex, to take
    /// its named groups apart into an object per item.
    pub list_regex: Option<Pattern>,
}

impl ValueDef {
    pub fn has(&self, o: Opt) -> bool {
        self.options.contains(&o)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum LineOp {
    Next,
    Continue,
    Error,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum RecordOp {
    NoRecord,
    Record,
    Clear,
    Clearall,
}

/// Where a rule goes after it matched.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Target {
    Stay,
    State(usize),
    End,
    Eof,
}

/// One rule of a state.
#[derive(Debug)]
pub(crate) struct Rule {
    pub regex: Pattern,
    /// The template line it was written on.
    pub line: u32,
    pub line_op: LineOp,
    pub record_op: RecordOp,
    pub target: Target,
    /// The message of an `Error` action.
    pub message: Option<String>,
    /// Named groups of the regex that are Values: (group index, value index), in group order.
    pub assigns: Vec<(usize, usize)>,
}

/// A parsed template, ready to run over text.
#[derive(Debug)]
pub struct Template {
    pub(crate) values: Vec<ValueDef>,
    pub(crate) states: Vec<Vec<Rule>>,
    pub(crate) start: usize,
    /// The template declares an (empty) `EOF` state: no implicit record at the end.
    pub(crate) has_eof_state: bool,
}

impl Template {
    /// The Value names, in declaration order (the record's columns).
    pub fn header(&self) -> Vec<String> {
        self.values.iter().map(|v| v.name.clone()).collect()
    }

    /// The names of the `Key` values.
    pub fn keys(&self) -> Vec<String> {
        self.values.iter().filter(|v| v.has(Opt::Key)).map(|v| v.name.clone()).collect()
    }

    /// Read a template.
    pub fn new(text: &str) -> Result<Template, TemplateError> {
        if text.is_empty() {
            return Err(TemplateError { message: "Null template.".into(), line: None });
        }
        let lines: Vec<&str> = text.lines().collect();
        let mut n = 0usize;
        let mut values: Vec<ValueDef> = Vec::new();
        let mut value_map: HashMap<String, String> = HashMap::new();

        // The Value block ends at the first blank line.
        while let Some((num, line)) = next_in_block(&lines, &mut n) {
            if line.starts_with("Value ") {
                let (def, regex_template) = parse_value(line, num)?;
                if values.iter().any(|v| v.name == def.name) {
                    return Err(err(num, format!("Duplicate declarations for Value '{}'.", def.name)));
                }
                value_map.insert(def.name.clone(), regex_template);
                values.push(def);
            } else if values.is_empty() {
                return Err(err(num, "No Value definitions found."));
            } else {
                return Err(err(num, "Expected blank line after last Value entry."));
            }
        }

        // States: a name line, then rules up to a blank line.
        struct RawRule {
            regex: Pattern,
            line: u32,
            line_op: LineOp,
            record_op: RecordOp,
            new_state: Option<String>,
        }
        let mut names: Vec<String> = Vec::new();
        let mut raw: Vec<Vec<RawRule>> = Vec::new();
        loop {
            let mut name = None;
            while n < lines.len() {
                let line = lines[n].trim_end();
                n += 1;
                if line.is_empty() || is_comment(line) {
                    continue;
                }
                let num = n as u32;
                let valid = !line.is_empty()
                    && line.chars().all(|c| c.is_alphanumeric() || c == '_')
                    && line.chars().count() <= 48
                    && !["Continue", "Next", "Error", "Clear", "Clearall", "Record", "NoRecord"]
                        .contains(&line);
                if !valid {
                    return Err(err(num, format!("Invalid state name: '{line}'.")));
                }
                if names.iter().any(|s| s == line) {
                    return Err(err(num, format!("Duplicate state name: '{line}'.")));
                }
                name = Some(line.to_string());
                break;
            }
            let Some(name) = name else { break };
            names.push(name);
            let mut rules = Vec::new();
            while let Some((num, line)) = next_in_block(&lines, &mut n) {
                if !(line.starts_with(" ^") || line.starts_with("  ^") || line.starts_with("\t^")) {
                    return Err(err(num, "Missing white space or carat ('^') before rule."));
                }
                let (pattern, action) = split_rule(line.trim());
                let regex_text = substitute(pattern, &value_map).ok_or_else(|| {
                    err(num, format!("Duplicate or invalid variable substitution: '{pattern}'."))
                })?;
                let regex = Pattern::new(&regex_text)
                    .map_err(|e| err(num, format!("Invalid regular expression: '{regex_text}': {e}")))?;
                let (line_op, record_op, new_state) = match action {
                    None => (LineOp::Next, RecordOp::NoRecord, None),
                    Some(a) => parse_action(a)
                        .ok_or_else(|| err(num, format!("Badly formatted rule '{}'.", line.trim())))?,
                };
                if line_op == LineOp::Continue && new_state.is_some() {
                    return Err(err(num, "Action 'Continue' with new state specified."));
                }
                rules.push(RawRule { regex, line: num, line_op, record_op, new_state });
            }
            raw.push(rules);
        }

        let Some(start) = names.iter().position(|s| s == "Start") else {
            return Err(TemplateError { message: "Missing state 'Start'.".into(), line: None });
        };
        for special in ["End", "EOF"] {
            if let Some(i) = names.iter().position(|s| s == special)
                && !raw[i].is_empty()
            {
                return Err(TemplateError { message: format!("Non-Empty '{special}' state."), line: None });
            }
        }
        let has_eof_state = names.iter().any(|s| s == "EOF");
        let mut states = Vec::with_capacity(raw.len());
        for (si, rules) in raw.into_iter().enumerate() {
            let mut out = Vec::with_capacity(rules.len());
            for r in rules {
                let (target, message) = match (r.line_op, r.new_state) {
                    (LineOp::Error, msg) => (Target::Stay, msg.map(|m| m.trim_matches('"').to_string())),
                    (_, None) => (Target::Stay, None),
                    (_, Some(s)) if s == "End" => (Target::End, None),
                    (_, Some(s)) if s == "EOF" => (Target::Eof, None),
                    (_, Some(s)) => match names.iter().position(|x| *x == s) {
                        Some(i) => (Target::State(i), None),
                        None => {
                            return Err(err(
                                r.line,
                                format!("State '{s}' not found, referenced in state '{}'.", names[si]),
                            ));
                        }
                    },
                };
                let assigns = r
                    .regex
                    .names()
                    .iter()
                    .filter_map(|(gi, g)| values.iter().position(|v| v.name == *g).map(|vi| (*gi, vi)))
                    .collect();
                out.push(Rule {
                    regex: r.regex,
                    line: r.line,
                    line_op: r.line_op,
                    record_op: r.record_op,
                    target,
                    message,
                    assigns,
                });
            }
            states.push(out);
        }
        Ok(Template { values, states, start, has_eof_state })
    }
}

/// The next line of a block (the Value block, a state's rules) from line `n` on:
/// its 1-based number and text, comments skipped; `None` at the blank line that
/// ends the block (consumed) or at the end of the template.
fn next_in_block<'a>(lines: &[&'a str], n: &mut usize) -> Option<(u32, &'a str)> {
    while *n < lines.len() {
        let line = lines[*n].trim_end();
        *n += 1;
        if line.is_empty() {
            return None;
        }
        if !is_comment(line) {
            return Some((*n as u32, line));
        }
    }
    None
}

fn is_comment(line: &str) -> bool {
    line.trim_start().starts_with('#')
}

/// Parse what follows `Value `: options, name, regex. Returns the definition and
/// the regex with its first group named after the value (for `${NAME}`).
fn parse_value(line: &str, num: u32) -> Result<(ValueDef, String), TemplateError> {
    // Python splits on single spaces: the regex keeps its own spacing.
    let tokens: Vec<&str> = line.split(' ').collect();
    if tokens.len() < 3 {
        return Err(err(num, "Expect at least 3 tokens on line."));
    }
    let (options, name, regex) = if !tokens[2].starts_with('(') {
        let mut options = Vec::new();
        for o in tokens[1].split(',') {
            let opt = match o {
                "Required" => Opt::Required,
                "Filldown" => Opt::Filldown,
                "Fillup" => Opt::Fillup,
                "Key" => Opt::Key,
                "List" => Opt::List,
                _ => return Err(err(num, format!("Unknown option \"{o}\""))),
            };
            if options.contains(&opt) {
                return Err(err(num, format!("Duplicate option \"{o}\"")));
            }
            options.push(opt);
        }
        (options, tokens[2], tokens[3..].join(" "))
    } else {
        (Vec::new(), tokens[1], tokens[2..].join(" "))
    };
    if name.chars().count() > 48 || name.is_empty() {
        return Err(err(num, format!("Invalid Value name '{name}' or name too long.")));
    }
    let b = regex.as_bytes();
    if b.len() < 2 || b[0] != b'(' || b[b.len() - 1] != b')' || b[b.len() - 2] == b'\\' {
        return Err(err(num, format!("Value '{regex}' must be contained within a '()' pair.")));
    }
    let compiled = Pattern::new(&regex).map_err(|e| err(num, e.to_string()))?;
    let list_regex = (options.contains(&Opt::List) && compiled.groups() > 1).then_some(compiled);
    let named = format!("(?P<{name}>{}", &regex[1..]);
    Ok((ValueDef { name: name.to_string(), options, list_regex }, named))
}

/// Split a rule at its last ` -> `: (regex, action).
fn split_rule(line: &str) -> (&str, Option<&str>) {
    // Python: `(?P<match>.*)(\s->(?P<action>.*))`, greedy, so the last `\s->`.
    let bytes = line.as_bytes();
    let mut i = line.len();
    while let Some(pos) = line[..i].rfind("->") {
        if pos > 0 && (bytes[pos - 1] as char).is_whitespace() {
            return (&line[..pos - 1], Some(&line[pos + 2..]));
        }
        i = pos;
    }
    (line, None)
}

/// Parse an action: `Op[.RecOp] [State]`, `RecOp [State]` or `State`.
fn parse_action(a: &str) -> Option<(LineOp, RecordOp, Option<String>)> {
    let line_op = |s: &str| match s {
        "Next" => Some(LineOp::Next),
        "Continue" => Some(LineOp::Continue),
        "Error" => Some(LineOp::Error),
        _ => None,
    };
    let record_op = |s: &str| match s {
        "Record" => Some(RecordOp::Record),
        "NoRecord" => Some(RecordOp::NoRecord),
        "Clear" => Some(RecordOp::Clear),
        "Clearall" => Some(RecordOp::Clearall),
        _ => None,
    };
    // Python requires whitespace before the action (`\s+`), except for a bare empty one.
    if a.trim().is_empty() {
        return Some((LineOp::Next, RecordOp::NoRecord, None));
    }
    if !a.starts_with(char::is_whitespace) {
        return None;
    }
    let a = a.trim();
    let (op, state) = match a.split_once(char::is_whitespace) {
        Some((op, rest)) => (op, Some(rest.trim())),
        None => (a, None),
    };
    let state_ok = |s: &str| {
        (s.starts_with('"') && s.ends_with('"') && s.len() >= 2)
            || (!s.is_empty() && s.chars().all(|c| c.is_alphanumeric() || c == '_'))
    };
    if let Some(s) = state
        && !state_ok(s)
    {
        return None;
    }
    let state = state.map(str::to_string);
    let (first, second) = match op.split_once('.') {
        Some((l, r)) => (l, Some(r)),
        None => (op, None),
    };
    if let Some(l) = line_op(first) {
        let r = match second {
            None => RecordOp::NoRecord,
            Some(r) => record_op(r)?,
        };
        return Some((l, r, state));
    }
    if second.is_none()
        && let Some(r) = record_op(first)
    {
        return Some((LineOp::Next, r, state));
    }
    // A bare state name.
    if second.is_none() && state.is_none() && state_ok(first) {
        return Some((LineOp::Next, RecordOp::NoRecord, Some(first.to_string())));
    }
    None
}

/// Python `string.Template.substitute`: `$$` is `$`, `$name` and `${name}` are the
/// value's regex; anything else after `$`, or an unknown name, is an error (None).
fn substitute(text: &str, map: &HashMap<String, String>) -> Option<String> {
    let mut out = String::with_capacity(text.len() * 2);
    let mut rest = text;
    while let Some(pos) = rest.find('$') {
        out.push_str(&rest[..pos]);
        let after = &rest[pos + 1..];
        let ident_len = |s: &str| {
            let mut n = 0;
            for (i, c) in s.char_indices() {
                let ok = c == '_' || c.is_ascii_alphabetic() || (i > 0 && c.is_ascii_digit());
                if !ok {
                    break;
                }
                n = i + c.len_utf8();
            }
            n
        };
        if let Some(r) = after.strip_prefix('$') {
            out.push('$');
            rest = r;
        } else if let Some(r) = after.strip_prefix('{') {
            let n = ident_len(r);
            if n == 0 || !r[n..].starts_with('}') {
                return None;
            }
            out.push_str(map.get(&r[..n])?);
            rest = &r[n + 1..];
        } else {
            let n = ident_len(after);
            if n == 0 {
                return None;
            }
            out.push_str(map.get(&after[..n])?);
            rest = &after[n..];
        }
    }
    out.push_str(rest);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actions() {
        assert_eq!(parse_action(" Next.Record"), Some((LineOp::Next, RecordOp::Record, None)));
        assert_eq!(parse_action(" Record Foo"), Some((LineOp::Next, RecordOp::Record, Some("Foo".into()))));
        assert_eq!(parse_action(" Foo"), Some((LineOp::Next, RecordOp::NoRecord, Some("Foo".into()))));
        assert_eq!(
            parse_action(" Error \"bad thing\""),
            Some((LineOp::Error, RecordOp::NoRecord, Some("\"bad thing\"".into())))
        );
        assert_eq!(parse_action(" Continue.Clearall"), Some((LineOp::Continue, RecordOp::Clearall, None)));
        assert_eq!(parse_action(" Next.Bogus"), None);
    }

    #[test]
    fn rules_split_at_the_last_arrow() {
        assert_eq!(split_rule("^a -> b -> Next"), ("^a -> b", Some(" Next")));
        assert_eq!(split_rule("^a->b"), ("^a->b", None));
    }

    #[test]
    fn substitution_follows_string_template() {
        let map = HashMap::from([("A".to_string(), "(?P<A>x)".to_string())]);
        assert_eq!(substitute("^${A} $A$$", &map).as_deref(), Some("^(?P<A>x) (?P<A>x)$"));
        assert_eq!(substitute("^x$", &map), None);
        assert_eq!(substitute("^${B}", &map), None);
    }

    #[test]
    fn template_errors_name_the_line() {
        let e = Template::new("Value A (\\d+)\n\nStart\n  ^${A} -> Nowhere\n").unwrap_err();
        assert_eq!(e.line, Some(4));
        assert!(e.message.contains("Nowhere"), "{e}");
        let e = Template::new("Value A \\d+\n\nStart\n").unwrap_err();
        assert_eq!(e.line, Some(1));
        let e = Template::new("Value A (x)\n\nBegin\n  ^x\n").unwrap_err();
        assert!(e.message.contains("Start"), "{e}");
    }
}
