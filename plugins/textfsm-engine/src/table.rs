//! Parse results: a table of records (one cell per Value), and the CliTable merge
//! of several templates' tables on their `Key` values.

/// One item of a `List` value: a string, or an object of the value regex's named
/// groups (`Value List ((?P<name>\w+)\s+(?P<age>\d+))`), or nothing when the value's
/// group did not take part in the match.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Item<'a> {
    Null,
    Str(&'a str),
    Object(Vec<(String, Option<&'a str>)>),
}

/// One cell of a record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Cell<'a> {
    Str(&'a str),
    List(Vec<Item<'a>>),
}

impl Cell<'_> {
    /// Python truthiness: an empty string or list is false.
    pub fn is_truthy(&self) -> bool {
        match self {
            Cell::Str(s) => !s.is_empty(),
            Cell::List(l) => !l.is_empty(),
        }
    }
}

/// Records with their column names; the strings are slices of the parsed text.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Table<'a> {
    pub header: Vec<String>,
    pub rows: Vec<Vec<Cell<'a>>>,
}

impl Table<'_> {
    /// The records as a JSON array of objects, keys in column order (lower-cased
    /// when `lower_keys`, as ntc-templates returns them).
    pub fn to_json(&self, lower_keys: bool) -> String {
        // Each key is written once, quoted with its colon, and copied per record.
        let keys: Vec<String> = self
            .header
            .iter()
            .map(|h| {
                let mut k = String::new();
                json_str(&mut k, &if lower_keys { h.to_lowercase() } else { h.clone() });
                k.push(':');
                k
            })
            .collect();
        let mut out = String::with_capacity(64 * self.rows.len() * (keys.len() + 1) + 2);
        out.push('[');
        for (ri, row) in self.rows.iter().enumerate() {
            if ri > 0 {
                out.push(',');
            }
            out.push('{');
            for (ci, (k, cell)) in keys.iter().zip(row).enumerate() {
                if ci > 0 {
                    out.push(',');
                }
                out.push_str(k);
                match cell {
                    Cell::Str(s) => json_str(&mut out, s),
                    Cell::List(items) => {
                        out.push('[');
                        for (ii, item) in items.iter().enumerate() {
                            if ii > 0 {
                                out.push(',');
                            }
                            match item {
                                Item::Null => out.push_str("null"),
                                Item::Str(s) => json_str(&mut out, s),
                                Item::Object(fields) => {
                                    out.push('{');
                                    for (fi, (name, v)) in fields.iter().enumerate() {
                                        if fi > 0 {
                                            out.push(',');
                                        }
                                        json_str(&mut out, name);
                                        out.push(':');
                                        match v {
                                            Some(v) => json_str(&mut out, v),
                                            None => out.push_str("null"),
                                        }
                                    }
                                    out.push('}');
                                }
                            }
                        }
                        out.push(']');
                    }
                }
            }
            out.push('}');
        }
        out.push(']');
        out
    }
}

/// Bytes a JSON string must escape: `"`, `\` and control characters.
const ESCAPED: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 0x20 {
        t[b] = true;
        b += 1;
    }
    t[b'"' as usize] = true;
    t[b'\\' as usize] = true;
    t
};

fn json_str(out: &mut String, s: &str) {
    out.push('"');
    // Copy the runs that need no escape in one go (all escaped bytes are ASCII,
    // so a run always ends on a char boundary).
    let bytes = s.as_bytes();
    let mut start = 0;
    while let Some(n) = bytes[start..].iter().position(|&b| ESCAPED[b as usize]) {
        let i = start + n;
        out.push_str(&s[start..i]);
        match bytes[i] {
            b'"' => out.push_str("\\\""),
            b'\\' => out.push_str("\\\\"),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b'\t' => out.push_str("\\t"),
            b => out.push_str(&format!("\\u{b:04x}")),
        }
        start = i + 1;
    }
    out.push_str(&s[start..]);
    out.push('"');
}

/// Merge the table of a further template into `base`, as CliTable does for an
/// index row naming several templates: columns `base` lacks are added (empty by
/// default); with `keys`, each base row takes them from the first row of `other`
/// whose key columns are equal; without keys, rows are paired by position.
/// A key that is not a column of `base` is an error.
pub fn merge<'a>(base: &mut Table<'a>, other: &Table<'a>, keys: &[String]) -> Result<(), String> {
    let mut key_cols = Vec::new();
    for k in keys {
        match base.header.iter().position(|h| h == k) {
            Some(i) => key_cols.push((i, other.header.iter().position(|h| h == k))),
            None => return Err(format!("Unknown key: '{k}'")),
        }
    }
    let extend: Vec<usize> =
        (0..other.header.len()).filter(|&i| !base.header.contains(&other.header[i])).collect();
    if extend.is_empty() {
        return Ok(());
    }
    for &i in &extend {
        base.header.push(other.header[i].clone());
    }
    for row in &mut base.rows {
        row.extend(extend.iter().map(|_| Cell::Str("")));
    }
    let width = base.header.len();
    let first_new = width - extend.len();
    if key_cols.is_empty() {
        for (row, o) in base.rows.iter_mut().zip(&other.rows) {
            for (j, &i) in extend.iter().enumerate() {
                row[first_new + j] = o[i].clone();
            }
        }
        return Ok(());
    }
    for row in &mut base.rows {
        let found = other.rows.iter().find(|o| {
            key_cols.iter().all(|&(bi, oi)| match oi {
                Some(oi) => row[bi] == o[oi],
                None => false,
            })
        });
        if let Some(o) = found {
            for (j, &i) in extend.iter().enumerate() {
                row[first_new + j] = o[i].clone();
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &str) -> Cell<'_> {
        Cell::Str(v)
    }

    #[test]
    fn merge_on_keys_adds_columns() {
        let mut a = Table {
            header: vec!["K".into(), "A".into()],
            rows: vec![vec![s("1"), s("a")], vec![s("2"), s("b")]],
        };
        let b = Table { header: vec!["K".into(), "B".into()], rows: vec![vec![s("2"), s("y")]] };
        merge(&mut a, &b, &["K".into()]).unwrap();
        assert_eq!(a.header, ["K", "A", "B"]);
        assert_eq!(a.rows[0][2], s(""));
        assert_eq!(a.rows[1][2], s("y"));
        assert!(merge(&mut a, &b, &["Z".into()]).is_err());
    }

    #[test]
    fn json_keeps_order_and_escapes() {
        let t = Table {
            header: vec!["Name".into(), "L".into()],
            rows: vec![vec![s("a\"b"), Cell::List(vec![Item::Null, Item::Object(vec![("x".into(), None)])])]],
        };
        assert_eq!(t.to_json(true), r#"[{"name":"a\"b","l":[null,{"x":null}]}]"#);
        let t = Table { header: vec!["A".into()], rows: vec![vec![s("é\\\n\x01\tz")]] };
        assert_eq!(t.to_json(false), r#"[{"A":"é\\\n\u0001\tz"}]"#);
    }
}
