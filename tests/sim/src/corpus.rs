//! Canned command outputs read from an ntc-templates tree:
//! `<root>/tests/<platform>/<command_with_underscores>/*.raw`.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, bail};

/// Normalises an output the way the simulator keeps it: `\n` line endings, no trailing
/// whitespace (leading blank lines are kept).
pub(crate) fn normalise(text: &str) -> String {
    text.replace("\r\n", "\n").trim_end().to_string()
}

/// Reads every command folder of `<root>/tests/<platform_dir>/`: the command is the folder
/// name with `_` turned into spaces, its output the first `.raw` file in sorted order.
/// Folders without a `.raw` file are skipped.
pub(crate) fn load(root: &Path, platform_dir: &str) -> anyhow::Result<BTreeMap<String, String>> {
    let dir = root.join("tests").join(platform_dir);
    if !dir.is_dir() {
        bail!(
            "corpus {} has no tests/{platform_dir} folder (expected an ntc-templates checkout)",
            root.display()
        );
    }
    let mut outputs = BTreeMap::new();
    let entries = std::fs::read_dir(&dir).with_context(|| format!("reading {}", dir.display()))?;
    for entry in entries {
        let entry = entry.with_context(|| format!("reading {}", dir.display()))?;
        if !entry.file_type()?.is_dir() {
            continue;
        }
        let Some(name) = entry.file_name().to_str().map(str::to_owned) else {
            continue;
        };
        let mut raws: Vec<_> = std::fs::read_dir(entry.path())
            .with_context(|| format!("reading {}", entry.path().display()))?
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "raw") && p.is_file())
            .collect();
        raws.sort();
        let Some(first) = raws.first() else { continue };
        let bytes = std::fs::read(first).with_context(|| format!("reading {}", first.display()))?;
        let command = name.replace('_', " ").to_ascii_lowercase();
        outputs.insert(command, normalise(&String::from_utf8_lossy(&bytes)));
    }
    Ok(outputs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_line_endings_and_trailing_space() {
        assert_eq!(normalise("\na\r\nb  \r\n\r\n"), "\na\nb");
    }

    #[test]
    fn loads_first_raw_in_sorted_order() {
        let root = std::env::temp_dir().join(format!("netpulse-sim-corpus-{}", std::process::id()));
        let dir = root.join("tests/cisco_ios/show_version");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("cisco_ios_show_version1.raw"), "second\n").unwrap();
        std::fs::write(dir.join("cisco_ios_show_version.raw"), "first\r\nline\r\n").unwrap();
        std::fs::write(dir.join("cisco_ios_show_version.yml"), "x").unwrap();
        std::fs::create_dir_all(root.join("tests/cisco_ios/show_empty")).unwrap();
        let loaded = load(&root, "cisco_ios").unwrap();
        std::fs::remove_dir_all(&root).unwrap();
        assert_eq!(loaded.len(), 1);
        assert_eq!(loaded["show version"], "first\nline");
        assert!(load(&root, "cisco_ios").is_err());
    }
}
