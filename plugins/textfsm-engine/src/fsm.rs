//! Running a template over text: the state machine and the Value options'
//! behaviour (Required, Filldown, Fillup, Key, List), as Python `textfsm` does it.

use crate::ParseError;
use crate::pyre::{Groups, Pattern};
use crate::table::{Cell, Item, Table};
use crate::template::{LineOp, Opt, RecordOp, Target, Template, ValueDef};

/// The current value of one Value while parsing (Python's `None` / str / list).
/// Strings are slices of the parsed text: a value costs no allocation.
#[derive(Clone, Debug)]
enum Val<'a> {
    None,
    Str(&'a str),
    List(Vec<Item<'a>>),
}

impl Val<'_> {
    fn truthy(&self) -> bool {
        match self {
            Val::None => false,
            Val::Str(s) => !s.is_empty(),
            Val::List(l) => !l.is_empty(),
        }
    }
}

/// Per-Value state: the value, the Filldown memory, the List accumulator.
struct Slot<'a> {
    value: Val<'a>,
    filldown: Val<'a>,
    list: Vec<Item<'a>>,
}

struct Run<'t, 'a> {
    t: &'t Template,
    slots: Vec<Slot<'a>>,
    rows: Vec<Vec<Cell<'a>>>,
    /// The groups of the rule that matched last.
    groups: Groups,
}

impl Template {
    /// Parse `text` (split into lines as Python's `str.splitlines` does).
    pub fn parse<'a>(&self, text: &'a str) -> Result<Table<'a>, ParseError> {
        let mut run = Run {
            t: self,
            slots: self
                .values
                .iter()
                .map(|_| Slot { value: Val::None, filldown: Val::None, list: Vec::new() })
                .collect(),
            rows: Vec::new(),
            groups: Groups::default(),
        };
        let mut state = self.start;
        let mut finished = None;
        for line in split_lines(text) {
            match run.check_line(state, line)? {
                Some(Target::State(s)) => state = s,
                Some(t @ (Target::End | Target::Eof)) => {
                    finished = Some(t);
                    break;
                }
                _ => {}
            }
        }
        if finished != Some(Target::End) && !self.has_eof_state {
            run.append_record();
        }
        Ok(Table { header: self.header(), rows: run.rows })
    }
}

impl<'a> Run<'_, 'a> {
    /// Try the state's rules on one line; the state to go to, if any.
    fn check_line(&mut self, state: usize, line: &'a str) -> Result<Option<Target>, ParseError> {
        let t = self.t;
        let ascii = line.is_ascii();
        for rule in &t.states[state] {
            match rule.regex.match_start(line, ascii, &mut self.groups) {
                Ok(true) => {}
                Ok(false) => continue,
                Err(e) => {
                    return Err(ParseError {
                        message: format!("Invalid regular expression: {e}"),
                        line: rule.line,
                    });
                }
            }
            for &(gi, vi) in &rule.assigns {
                let v = self.groups.get(line, gi);
                self.assign(vi, v);
            }
            match rule.record_op {
                RecordOp::Record => self.append_record(),
                RecordOp::Clear => self.clear_record(),
                RecordOp::Clearall => self.clear_all(),
                RecordOp::NoRecord => {}
            }
            match rule.line_op {
                LineOp::Error => {
                    let message = match &rule.message {
                        Some(m) => format!("Error: {m}. Input line: {line:?}"),
                        None => format!("State Error raised. Input line: {line:?}"),
                    };
                    return Err(ParseError { message, line: rule.line });
                }
                LineOp::Continue => continue,
                LineOp::Next => return Ok(Some(rule.target)),
            }
        }
        Ok(None)
    }

    fn assign(&mut self, vi: usize, v: Option<&'a str>) {
        let def: &ValueDef = &self.t.values[vi];
        let value = match v {
            Some(s) => Val::Str(s),
            None => Val::None,
        };
        if def.options.is_empty() {
            self.slots[vi].value = value;
            return;
        }
        self.slots[vi].value = value.clone();
        for opt in &def.options {
            match opt {
                Opt::Filldown => self.slots[vi].filldown = value.clone(),
                Opt::Fillup => {
                    if value.truthy() {
                        let Val::Str(s) = &value else { continue };
                        for row in self.rows.iter_mut().rev() {
                            if row[vi].is_truthy() {
                                break;
                            }
                            row[vi] = Cell::Str(s);
                        }
                    }
                }
                Opt::List => {
                    let item = match (&def.list_regex, v) {
                        (Some(re), Some(s)) => list_object(re, s).unwrap_or(Item::Str(s)),
                        (_, Some(s)) => Item::Str(s),
                        (_, None) => Item::Null,
                    };
                    self.slots[vi].list.push(item);
                }
                Opt::Required | Opt::Key => {}
            }
        }
    }

    /// Python `_AppendRecord`: options' save hooks, skip empty records.
    fn append_record(&mut self) {
        if self.t.values.is_empty() {
            return;
        }
        for (vi, def) in self.t.values.iter().enumerate() {
            for opt in &def.options {
                match opt {
                    Opt::Required if !self.slots[vi].value.truthy() => {
                        self.clear_record();
                        return;
                    }
                    Opt::List => self.slots[vi].value = Val::List(self.slots[vi].list.clone()),
                    _ => {}
                }
            }
        }
        let empty = self
            .slots
            .iter()
            .all(|s| matches!(s.value, Val::None) || matches!(&s.value, Val::List(l) if l.is_empty()));
        if empty {
            return;
        }
        // The values move into the row: clearing the record next resets them all
        // (Filldown ones from their own memory).
        let row = self
            .slots
            .iter_mut()
            .map(|s| match std::mem::replace(&mut s.value, Val::None) {
                Val::None => Cell::Str(""),
                Val::Str(v) => Cell::Str(v),
                Val::List(l) => Cell::List(l),
            })
            .collect();
        self.rows.push(row);
        self.clear_record();
    }

    /// Python `_ClearRecord`: every value back to empty, except Filldown ones.
    fn clear_record(&mut self) {
        for (vi, def) in self.t.values.iter().enumerate() {
            let slot = &mut self.slots[vi];
            slot.value = Val::None;
            for opt in &def.options {
                match opt {
                    Opt::Filldown => slot.value = slot.filldown.clone(),
                    Opt::List if !def.has(Opt::Filldown) => slot.list.clear(),
                    _ => {}
                }
            }
        }
    }

    /// Python `_ClearAllRecord`: every value and memory back to empty.
    fn clear_all(&mut self) {
        for slot in &mut self.slots {
            slot.value = Val::None;
            slot.filldown = Val::None;
            slot.list.clear();
        }
    }
}

/// A List item as an object of the value regex's named groups, when it has any and matches.
fn list_object<'a>(re: &Pattern, s: &'a str) -> Option<Item<'a>> {
    let mut groups = Groups::default();
    if !re.match_start(s, s.is_ascii(), &mut groups).unwrap_or(false) {
        return None;
    }
    let fields: Vec<(String, Option<&str>)> =
        re.names().iter().map(|(i, n)| (n.clone(), groups.get(s, *i))).collect();
    (!fields.is_empty()).then_some(Item::Object(fields))
}

/// Python `str.splitlines()`: every line boundary Python knows, no trailing empty line.
fn split_lines(text: &str) -> impl Iterator<Item = &str> {
    let mut rest = text;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        // Boundaries are control characters or start with byte 0xC2 (U+0085) or
        // 0xE2 (U+2028, U+2029): other bytes are skipped without decoding.
        let bytes = rest.as_bytes();
        let mut i = 0;
        while let Some(n) = bytes[i..].iter().position(|&b| b < 0x20 || b == 0xC2 || b == 0xE2) {
            i += n;
            let end = match bytes[i] {
                b'\r' if bytes.get(i + 1) == Some(&b'\n') => i + 2,
                b'\n' | b'\r' | 0x0b | 0x0c | 0x1c | 0x1d | 0x1e => i + 1,
                0xC2 if bytes.get(i + 1) == Some(&0x85) => i + 2,
                0xE2 if bytes.get(i + 1) == Some(&0x80) && matches!(bytes.get(i + 2), Some(0xA8 | 0xA9)) => {
                    i + 3
                }
                _ => {
                    i += 1;
                    continue;
                }
            };
            let line = &rest[..i];
            rest = &rest[end..];
            return Some(line);
        }
        let line = rest;
        rest = "";
        Some(line)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse<'a>(template: &str, text: &'a str) -> Table<'a> {
        Template::new(template).unwrap().parse(text).unwrap()
    }

    fn strs(t: &Table) -> Vec<Vec<String>> {
        t.rows
            .iter()
            .map(|r| {
                r.iter()
                    .map(|c| match c {
                        Cell::Str(s) => s.to_string(),
                        Cell::List(l) => format!("{l:?}"),
                    })
                    .collect()
            })
            .collect()
    }

    #[test]
    fn splitlines_like_python() {
        let v: Vec<&str> = split_lines("a\r\nb\rc\n\nd\x0ce\n").collect();
        assert_eq!(v, ["a", "b", "c", "", "d", "e"]);
        // Python's other boundaries, and non-ASCII text that is not one.
        let v: Vec<&str> = split_lines("é\u{85}x\x1cy\u{2028}z\u{2029}\u{2027}\u{a0}w\t\x1fv").collect();
        assert_eq!(v, ["é", "x", "y", "z", "\u{2027}\u{a0}w\t\x1fv"]);
    }

    #[test]
    fn filldown_required_and_implicit_eof_record() {
        let t = "Value Filldown Chassis (\\S+)\nValue Required Slot (\\d+)\nValue Model (\\S+)\n\nStart\n  ^Chassis ${Chassis}\n  ^${Slot} ${Model} -> Record\n";
        let out = parse(t, "Chassis c1\n1 m1\n2 m2\nChassis c2\n3 m3\n");
        assert_eq!(strs(&out), [["c1", "1", "m1"], ["c1", "2", "m2"], ["c2", "3", "m3"]]);
    }

    #[test]
    fn fillup_and_list_objects() {
        let t = "Value Fillup Area (\\d+)\nValue Name (\\S+)\n\nStart\n  ^name ${Name} -> Record\n  ^area ${Area}\n";
        let out = parse(t, "name a\nname b\narea 7\n");
        assert_eq!(strs(&out), [["7", "a"], ["7", "b"], ["7", ""]]);
        let t = "Value List People ((?P<name>\\w+)\\s+(?P<age>\\d+))\n\nStart\n  ^${People}\n";
        let out = parse(t, "bob 32\nann 4\n");
        assert_eq!(
            out.rows[0][0],
            Cell::List(vec![
                Item::Object(vec![("name".into(), Some("bob")), ("age".into(), Some("32"))]),
                Item::Object(vec![("name".into(), Some("ann")), ("age".into(), Some("4"))]),
            ])
        );
    }

    #[test]
    fn continue_states_and_eof() {
        let t = "Value A (\\S+)\nValue B (\\S+)\n\nStart\n  ^${A} -> Continue\n  ^\\S+ ${B} -> Record Second\n\nSecond\n  ^stop -> End\n  ^${A} -> Record\n";
        let out = parse(t, "x y\nz\nstop\nw\n");
        assert_eq!(strs(&out), [["x", "y"], ["z", ""]]);
        // An explicit EOF state turns the implicit last record off.
        let t = "Value A (\\S+)\n\nStart\n  ^${A}\n\nEOF\n";
        assert!(parse(t, "x\n").rows.is_empty());
    }

    #[test]
    fn error_action_names_the_rule_line() {
        let t = "Value A (\\S+)\n\nStart\n  ^ok ${A}\n  ^. -> Error \"unexpected line\"\n";
        let e = Template::new(t).unwrap().parse("ok 1\nboom\n").unwrap_err();
        assert_eq!(e.line, 5);
        assert!(e.message.contains("unexpected line") && e.message.contains("boom"), "{e}");
    }

    #[test]
    fn a_rule_no_engine_can_build_fails_the_parse_with_its_line() {
        let t = "Value A (\\w+)\n\nStart\n  ^${A} -> Next\n  ^(?:(?:a|\\w){1000}){1000}\n";
        let t = Template::new(t).unwrap();
        assert_eq!(strs(&t.parse("ok\n").unwrap()), [["ok"]], "lines that never reach the rule parse");
        let e = Template::new("Value A (\\w+)\n\nStart\n  ^(?:(?:a|\\w){1000}){1000}\n")
            .unwrap()
            .parse("x\n")
            .unwrap_err();
        assert_eq!(e.line, 4);
        assert!(e.message.contains("Invalid regular expression"), "{e}");
    }

    #[test]
    fn clear_and_clearall() {
        let t = "Value Filldown A (\\S+)\nValue B (\\S+)\n\nStart\n  ^a ${A}\n  ^b ${B} -> Record\n  ^c -> Clearall\n";
        let out = parse(t, "a 1\nb 2\nb 3\nc\nb 4\n");
        assert_eq!(strs(&out), [["1", "2"], ["1", "3"], ["", "4"]]);
    }
}
