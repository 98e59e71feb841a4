//! The CliTable `index` file: which templates parse a command on a platform.
//!
//! The first non-comment line names the columns (`Template, Hostname, Platform,
//! Command`); each further line with as many comma-separated cells is a row
//! (others are dropped, as CliTable drops them). Every column but `Template` is a
//! Python regex matched at the start of the attribute; in `Command`, `abc[[xyz]]`
//! is completion syntax for `abc(x(y(z)?)?)?`. The first matching row wins.

use crate::pyre::{Groups, Pattern};

/// An index file that cannot be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IndexError {
    pub message: String,
    pub line: Option<u32>,
}

impl std::fmt::Display for IndexError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.line {
            Some(l) => write!(f, "index line {l}: {}", self.message),
            None => write!(f, "index: {}", self.message),
        }
    }
}

impl std::error::Error for IndexError {}

struct Row {
    templates: Vec<String>,
    platform: Option<Pattern>,
    command: Option<Pattern>,
}

/// A parsed index.
pub struct Index {
    rows: Vec<Row>,
}

impl Index {
    /// Read an index file's text.
    pub fn new(text: &str) -> Result<Index, IndexError> {
        let mut lines = text.lines().enumerate();
        let header: Vec<String> = loop {
            let Some((_, line)) = lines.next() else {
                return Err(IndexError { message: "no header line (Template, ...)".into(), line: None });
            };
            let h = line.split('#').next().unwrap_or("").trim();
            if !h.is_empty() {
                break h.split(',').map(|c| c.trim().to_string()).collect();
            }
        };
        let col = |name: &str| header.iter().position(|h| h == name);
        let Some(template_col) = col("Template") else {
            return Err(IndexError { message: "the header has no `Template` column".into(), line: None });
        };
        let (platform_col, command_col) = (col("Platform"), col("Command"));
        let mut rows = Vec::new();
        for (i, line) in lines {
            if line.starts_with('#') {
                continue;
            }
            let cells: Vec<&str> = line.split(',').map(str::trim).collect();
            if cells.len() != header.len() {
                continue;
            }
            let num = i as u32 + 1;
            let compile = |c: Option<usize>, completion: bool| -> Result<Option<Pattern>, IndexError> {
                let Some(c) = c else { return Ok(None) };
                let text = cells[c];
                if text.is_empty() {
                    return Ok(None);
                }
                let text = if completion { expand_completion(text) } else { text.to_string() };
                Pattern::new(&text)
                    .map(Some)
                    .map_err(|e| IndexError { message: format!("bad regex {text:?}: {e}"), line: Some(num) })
            };
            rows.push(Row {
                templates: cells[template_col].split(':').map(|t| t.trim().to_string()).collect(),
                platform: compile(platform_col, false)?,
                command: compile(command_col, true)?,
            });
        }
        Ok(Index { rows })
    }

    /// The templates (file names) for `command` on `platform`, or None when no row matches.
    pub fn find(&self, platform: &str, command: &str) -> Option<&[String]> {
        // The cells are read as template rules are, by the same matcher.
        let mut groups = Groups::default();
        let mut hit = |p: &Option<Pattern>, s: &str| {
            p.as_ref().is_none_or(|p| p.match_start(s, s.is_ascii(), &mut groups).unwrap_or(false))
        };
        self.rows
            .iter()
            .find(|r| hit(&r.platform, platform) && hit(&r.command, command))
            .map(|r| r.templates.as_slice())
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }
}

/// `sh[[ow]]` -> `sh(o(w)?)?`.
fn expand_completion(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 2);
    let mut rest = text;
    while let Some(start) = rest.find("[[") {
        let Some(len) = rest[start + 2..].find("]]") else { break };
        out.push_str(&rest[..start]);
        let word: Vec<char> = rest[start + 2..start + 2 + len].chars().collect();
        if word.is_empty() {
            // `[[]]` does not match Python's `\[\[.+?\]\]`: keep it as written.
            out.push_str("[[]]");
        } else {
            out.push('(');
            let joined: Vec<String> = word.iter().map(|c| c.to_string()).collect();
            out.push_str(&joined.join("("));
            out.push_str(&")?".repeat(word.len()));
        }
        rest = &rest[start + 2 + len + 2..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const INDEX: &str = "# comment\n\nTemplate, Hostname, Platform, Command\n\n\
        a_show_ip_int_brief.textfsm, .*, cisco_ios, sh[[ow]] ip int[[erface]] br[[ief]]\n\
        a_show_mod.textfsm:a_show_mod_status.textfsm, .*, cisco_ios, sh[[ow]] mod[[ule]]\n\
        b_show_ver.textfsm, .*, cisco_nxos, sh[[ow]] ver[[sion]]\n";

    #[test]
    fn completion() {
        assert_eq!(expand_completion("sh[[ow]] ver[[sion]]"), "sh(o(w)?)? ver(s(i(o(n)?)?)?)?");
    }

    #[test]
    fn finds_by_platform_and_abbreviated_command() {
        let idx = Index::new(INDEX).unwrap();
        assert_eq!(idx.len(), 3);
        assert_eq!(idx.find("cisco_ios", "show ip int br").unwrap(), ["a_show_ip_int_brief.textfsm"]);
        assert_eq!(idx.find("cisco_ios", "sh ip interface brief").unwrap(), ["a_show_ip_int_brief.textfsm"]);
        assert_eq!(idx.find("cisco_ios", "show module").unwrap().len(), 2);
        assert!(idx.find("cisco_ios", "show version").is_none());
        assert!(idx.find("juniper_junos", "show ver").is_none());
    }
}
