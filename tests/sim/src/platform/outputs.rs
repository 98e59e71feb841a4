//! The canned outputs of a platform: its built-in texts (where `{hostname}` stands for the
//! device's current hostname), overlaid by the corpus files of the platform's ntc-templates
//! folder when a corpus is given and the corpus has that folder; and the exec command trees
//! made of them.

use std::collections::BTreeMap;
use std::path::Path;

use crate::corpus;
use crate::parser::{Args, CommandTree};

/// Command → text, with whether `{hostname}` is substituted (built-ins only).
#[derive(Debug, Clone, Default)]
pub(crate) struct Outputs {
    map: BTreeMap<String, (String, bool)>,
}

impl Outputs {
    /// The built-in outputs only, for a platform the corpus has no folder for.
    pub fn builtin(builtin: &[(&str, &str)]) -> Outputs {
        Outputs { map: builtin.iter().map(|(c, t)| (c.to_string(), (t.to_string(), true))).collect() }
    }

    /// Loads `builtin` then, if `corpus` is given, `<corpus>/tests/<platform_dir>/` (an error
    /// if that folder is missing). `rename` maps a corpus command to the name it is served as.
    pub fn load(
        builtin: &[(&str, &str)],
        corpus: Option<&Path>,
        platform_dir: &str,
        rename: fn(String) -> String,
    ) -> anyhow::Result<Outputs> {
        let mut outputs = Outputs::builtin(builtin);
        if let Some(root) = corpus {
            for (command, text) in corpus::load(root, platform_dir)? {
                outputs.map.insert(rename(command), (text, false));
            }
        }
        Ok(outputs)
    }

    /// Adds every canned command that `keep` accepts to `tree`, its action `canned(command)`;
    /// the commands in `with_arguments` take any words after their keywords.
    pub fn insert_into<A>(
        &self,
        tree: &mut CommandTree<A>,
        canned: fn(String) -> A,
        with_arguments: &[&str],
        keep: impl Fn(&str) -> bool,
    ) {
        for command in self.commands().filter(|c| keep(c)) {
            let args = if with_arguments.contains(&command) { Args::Words { min: 0 } } else { Args::None };
            tree.insert(command, canned(command.to_string()), args);
        }
    }

    /// A command tree of every canned command (see [`Outputs::insert_into`]), then the
    /// `fixed` commands, which replace canned ones of the same keywords.
    pub fn tree<A: Clone>(
        &self,
        canned: fn(String) -> A,
        with_arguments: &[&str],
        fixed: &[(&str, A, Args)],
    ) -> CommandTree<A> {
        let mut tree = CommandTree::default();
        self.insert_into(&mut tree, canned, with_arguments, |_| true);
        tree.insert_all(fixed);
        tree
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
    }
}
