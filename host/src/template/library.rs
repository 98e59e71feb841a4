//! The templates folder: its `index` (re-read when the file changes) and the
//! template files, by name. Names never leave the folder.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use netpulse_textfsm::Index;
use serde::{Deserialize, Serialize};

/// A template's file name and text, as handed to the parser.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NamedTemplate {
    pub name: String,
    pub text: String,
}

/// Why no template could be found.
#[derive(Debug, thiserror::Error)]
pub enum LookupError {
    #[error(
        "no templates folder is configured: set `templates_dir` (NETPULSE_TEMPLATES_DIR) to a folder with an `index`, such as ntc-templates' templates/"
    )]
    NoFolder,
    #[error("the templates index {path} cannot be used: {reason}")]
    BadIndex { path: String, reason: String },
    #[error("no template in the index matches platform {platform:?} and command {command:?}")]
    NoMatch { platform: String, command: String },
    #[error("template {0:?} is not a file name in the templates folder")]
    BadName(String),
    #[error("template {name:?} cannot be read from the templates folder: {reason}")]
    Unreadable { name: String, reason: String },
}

/// The configured templates folder.
pub struct Templates {
    dir: Option<PathBuf>,
    index: Mutex<Option<(Option<SystemTime>, Arc<Index>)>>,
}

impl Templates {
    pub fn new(dir: Option<PathBuf>) -> Self {
        Self { dir, index: Mutex::new(None) }
    }

    /// No folder: only inline templates work.
    pub fn none() -> Self {
        Self::new(None)
    }

    pub fn dir(&self) -> Option<&Path> {
        self.dir.as_deref()
    }

    /// The parsed index, re-read when its modification time changes.
    fn index(&self) -> Result<Arc<Index>, LookupError> {
        let dir = self.dir.as_ref().ok_or(LookupError::NoFolder)?;
        let path = dir.join("index");
        let bad = |reason: String| LookupError::BadIndex { path: path.display().to_string(), reason };
        let mtime = std::fs::metadata(&path).map_err(|e| bad(e.to_string()))?.modified().ok();
        let mut cached = self.index.lock().expect("index cache");
        if let Some((m, idx)) = cached.as_ref()
            && *m == mtime
            && mtime.is_some()
        {
            return Ok(idx.clone());
        }
        let text = std::fs::read_to_string(&path).map_err(|e| bad(e.to_string()))?;
        let idx = Arc::new(Index::new(&text).map_err(|e| bad(e.to_string()))?);
        *cached = Some((mtime, idx.clone()));
        Ok(idx)
    }

    /// The templates the index names for `command` on `platform`, in order.
    pub fn resolve(&self, platform: &str, command: &str) -> Result<Vec<NamedTemplate>, LookupError> {
        let idx = self.index()?;
        let names = idx.find(platform, command.trim()).ok_or_else(|| LookupError::NoMatch {
            platform: platform.to_string(),
            command: command.to_string(),
        })?;
        names.iter().map(|n| self.load(n)).collect()
    }

    /// A `template` field: the template text itself, or (one word, no line break,
    /// no template markup) the name of a file of the folder.
    pub fn text_or_file(&self, v: &str) -> Result<NamedTemplate, LookupError> {
        let w = v.trim();
        let file_name =
            !w.is_empty() && !w.contains(char::is_whitespace) && !w.contains(['{', '%', '$', '^']);
        if file_name {
            self.load(w)
        } else {
            Ok(NamedTemplate { name: "inline".into(), text: v.to_string() })
        }
    }

    /// A template file of the folder by its name (`cisco_ios_show_version.textfsm`).
    pub fn load(&self, name: &str) -> Result<NamedTemplate, LookupError> {
        let dir = self.dir.as_ref().ok_or(LookupError::NoFolder)?;
        let plain = !name.is_empty()
            && name != "."
            && name != ".."
            && !name.contains(['/', '\\', '\0'])
            && Path::new(name).file_name().is_some_and(|f| f == name);
        if !plain {
            return Err(LookupError::BadName(name.to_string()));
        }
        let text = std::fs::read_to_string(dir.join(name))
            .map_err(|e| LookupError::Unreadable { name: name.to_string(), reason: e.to_string() })?;
        Ok(NamedTemplate { name: name.to_string(), text })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_stay_in_the_folder() {
        let dir = std::env::temp_dir().join(format!("np-templates-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("index"),
            "Template, Hostname, Platform, Command\n\nx_show_thing.textfsm, .*, x_os, sh[[ow]] th[[ing]]\n",
        )
        .unwrap();
        std::fs::write(dir.join("x_show_thing.textfsm"), "Value A (\\S+)\n\nStart\n  ^${A}\n").unwrap();
        let t = Templates::new(Some(dir.clone()));
        assert_eq!(t.resolve("x_os", "sh thing").unwrap()[0].name, "x_show_thing.textfsm");
        assert!(matches!(t.resolve("x_os", "show other"), Err(LookupError::NoMatch { .. })));
        for bad in ["../etc/passwd", "/etc/passwd", "..", "a/b"] {
            assert!(matches!(t.load(bad), Err(LookupError::BadName(_))), "{bad}");
        }
        assert!(matches!(Templates::none().resolve("x_os", "show thing"), Err(LookupError::NoFolder)));
        std::fs::remove_dir_all(dir).unwrap();
    }
}
