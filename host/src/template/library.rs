//! The templates folder: its `index` (re-read when the file changes) and the
//! template files, by name. Names never leave the folder.
//!
//! Lookups are remembered: which templates a (platform, command) pair resolves
//! to, for as long as the index file is unchanged, and each file's text, for as
//! long as its size and modification time are. A bulk of a thousand devices
//! reads each template once, not a thousand times.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use netpulse_textfsm::Index;

use crate::model::NamedTemplate;

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

/// Entries kept in each of the lookup memos before they are dropped and refilled.
const MEMO_LIMIT: usize = 4096;

/// The index as last read, and the lookups made in it.
struct LoadedIndex {
    mtime: Option<SystemTime>,
    index: Arc<Index>,
    /// (platform, command) -> template names, or `None` when no row matches.
    found: HashMap<(String, String), Option<Arc<[String]>>>,
}

/// A template file's text and the metadata it was read with.
struct CachedFile {
    mtime: Option<SystemTime>,
    len: u64,
    text: String,
}

/// The configured templates folder.
pub struct Templates {
    dir: Option<PathBuf>,
    index: Mutex<Option<LoadedIndex>>,
    files: Mutex<HashMap<String, CachedFile>>,
}

impl Templates {
    pub fn new(dir: Option<PathBuf>) -> Self {
        Self { dir, index: Mutex::new(None), files: Mutex::new(HashMap::new()) }
    }

    /// No folder: only inline templates work.
    pub fn none() -> Self {
        Self::new(None)
    }

    /// Read (or re-read, when it changed) the index now; its number of rows.
    pub fn load_index(&self) -> Result<usize, LookupError> {
        let mut cached = self.index.lock().expect("index cache");
        Ok(self.current_index(&mut cached)?.index.len())
    }

    /// The parsed index, re-read when its modification time changes.
    fn current_index<'a>(
        &self,
        cached: &'a mut Option<LoadedIndex>,
    ) -> Result<&'a mut LoadedIndex, LookupError> {
        let dir = self.dir.as_ref().ok_or(LookupError::NoFolder)?;
        let path = dir.join("index");
        let bad = |reason: String| LookupError::BadIndex { path: path.display().to_string(), reason };
        let mtime = std::fs::metadata(&path).map_err(|e| bad(e.to_string()))?.modified().ok();
        let fresh = cached.as_ref().is_some_and(|c| c.mtime == mtime && mtime.is_some());
        if !fresh {
            let text = std::fs::read_to_string(&path).map_err(|e| bad(e.to_string()))?;
            let index = Arc::new(Index::new(&text).map_err(|e| bad(e.to_string()))?);
            *cached = Some(LoadedIndex { mtime, index, found: HashMap::new() });
        }
        Ok(cached.as_mut().expect("just set"))
    }

    /// The templates the index names for `command` on `platform`, in order.
    pub fn resolve(&self, platform: &str, command: &str) -> Result<Vec<NamedTemplate>, LookupError> {
        let command = command.trim();
        let names = {
            let mut cached = self.index.lock().expect("index cache");
            let loaded = self.current_index(&mut cached)?;
            let key = (platform.to_string(), command.to_string());
            match loaded.found.get(&key) {
                Some(names) => names.clone(),
                None => {
                    let names = loaded.index.find(platform, command).map(Arc::from);
                    if loaded.found.len() >= MEMO_LIMIT {
                        loaded.found.clear();
                    }
                    loaded.found.insert(key, names.clone());
                    names
                }
            }
        };
        let names = names.ok_or_else(|| LookupError::NoMatch {
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
        let unreadable =
            |e: std::io::Error| LookupError::Unreadable { name: name.to_string(), reason: e.to_string() };
        let path = dir.join(name);
        let meta = std::fs::metadata(&path).map_err(unreadable)?;
        let (mtime, len) = (meta.modified().ok(), meta.len());
        {
            let files = self.files.lock().expect("template file cache");
            if let Some(f) = files.get(name)
                && f.mtime == mtime
                && mtime.is_some()
                && f.len == len
            {
                return Ok(NamedTemplate { name: name.to_string(), text: f.text.clone() });
            }
        }
        // Read without holding the cache: other lookups go on meanwhile.
        let text = std::fs::read_to_string(&path).map_err(unreadable)?;
        let mut files = self.files.lock().expect("template file cache");
        if files.len() >= MEMO_LIMIT {
            files.clear();
        }
        files.insert(name.to_string(), CachedFile { mtime, len, text: text.clone() });
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
        // A changed file is read again (the remembered text is only reused while
        // size and modification time are the same).
        std::fs::write(dir.join("x_show_thing.textfsm"), "Value B (\\d+)\n\nStart\n  ^${B} -> Record\n")
            .unwrap();
        assert!(t.resolve("x_os", "show thing").unwrap()[0].text.starts_with("Value B"));
        std::fs::remove_dir_all(dir).unwrap();
    }
}
