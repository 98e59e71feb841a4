//! The canned outputs of a platform other than IOS: its built-in texts (where `{hostname}`
//! stands for the device's current hostname), overlaid by the corpus files of the platform's
//! ntc-templates folder when a corpus is given and the corpus has that folder.

use std::collections::BTreeMap;
use std::path::Path;

use crate::corpus;

/// Command → text, with whether `{hostname}` is substituted (built-ins only).
#[derive(Debug, Clone, Default)]
pub(crate) struct Outputs {
    map: BTreeMap<String, (String, bool)>,
}

impl Outputs {
    /// Loads `builtin` then, if `corpus` is given, `<corpus>/tests/<platform_dir>/` (an error
    /// if that folder is missing). `rename` maps a corpus command to the name it is served as.
    pub fn load(
        builtin: &[(&str, &str)],
        corpus: Option<&Path>,
        platform_dir: &str,
        rename: fn(String) -> String,
    ) -> anyhow::Result<Outputs> {
        let mut map: BTreeMap<String, (String, bool)> =
            builtin.iter().map(|(c, t)| (c.to_string(), (t.to_string(), true))).collect();
        if let Some(root) = corpus {
            for (command, text) in corpus::load(root, platform_dir)? {
                map.insert(rename(command), (text, false));
            }
        }
        Ok(Outputs { map })
    }

    /// The commands, sorted.
    pub fn commands(&self) -> impl Iterator<Item = &str> {
        self.map.keys().map(String::as_str)
    }

    /// The text of `command` on a device called `hostname`.
    pub fn get(&self, command: &str, hostname: &str) -> Option<String> {
        self.map.get(command).map(|(text, substitute)| {
            if *substitute { text.replace("{hostname}", hostname) } else { text.clone() }
        })
    }
}

/// The caret line under `column` (counted from the start of the prompt line).
pub(crate) fn caret(column: usize) -> String {
    format!("{}^", " ".repeat(column))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtins_substitute_and_corpus_overrides() {
        let root = std::env::temp_dir().join(format!("netpulse-sim-outputs-{}", std::process::id()));
        let dir = root.join("tests/arista_eos/show_version");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("arista_eos_show_version.raw"), "from corpus {hostname}\r\n").unwrap();
        let builtin = [("show version", "built-in {hostname}"), ("show clock", "{hostname} clock")];
        let outputs = Outputs::load(&builtin, Some(&root), "arista_eos", |c| c.to_uppercase());
        let missing = Outputs::load(&builtin, Some(&root), "cisco_nxos", |c| c);
        std::fs::remove_dir_all(&root).unwrap();
        let outputs = outputs.unwrap();
        assert!(missing.is_err());
        assert_eq!(outputs.get("show clock", "eos1").as_deref(), Some("eos1 clock"));
        assert_eq!(outputs.get("show version", "eos1").as_deref(), Some("built-in eos1"));
        assert_eq!(outputs.get("SHOW VERSION", "eos1").as_deref(), Some("from corpus {hostname}"));
        assert_eq!(
            outputs.commands().collect::<Vec<_>>(),
            vec!["SHOW VERSION", "show clock", "show version"]
        );
        assert_eq!(caret(3), "   ^");
    }
}
