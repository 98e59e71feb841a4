//! The on-disk cache of compiled plugins. An entry is machine code this process
//! will run, so the cache is used only as far as it is ours alone:
//!
//! - the folder is created `0700`; a folder (or entry) that another user could
//!   write to (group or world writable, or owned by someone else) is not used:
//!   plugins are compiled afresh, with a warning naming the folder;
//! - each entry starts with the SHA-256 of its code, recorded when it was
//!   written, and is loaded only when the code still matches it (an entry that is
//!   truncated, damaged or swapped is compiled afresh and written again). The
//!   file is read once, and the bytes checked are the bytes loaded.
//!
//! An entry is named by the component's SHA-256 and the engine's compatibility
//! hash, so a restart does not recompile and another wasmtime version or CPU
//! setting never loads code compiled for a different one.

use std::io::Write;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use wasmtime::Engine;
use wasmtime::component::Component;

/// What an entry starts with, before the hex SHA-256 of the code and a line break.
const HEADER: &[u8] = b"netpulse-cwasm sha256:";
const HEX_LEN: usize = 64;

/// A cache folder found fit for use.
pub(super) struct Cache {
    dir: PathBuf,
}

impl Cache {
    /// The cache in `dir`, created `0700` when missing. `None`, with a warning that
    /// says why, when it cannot be created or another user could write to it.
    pub fn open(dir: &Path) -> Option<Cache> {
        match fit_folder(dir) {
            Ok(()) => Some(Cache { dir: dir.to_path_buf() }),
            Err(why) => {
                tracing::warn!(
                    "not using the plugin cache {}: {why}; plugins are compiled afresh",
                    dir.display()
                );
                None
            }
        }
    }
}

/// Compile a component, through `cache` when there is one.
pub(super) fn compile(engine: &Engine, bytes: &[u8], cache: Option<&Cache>) -> Result<Component, String> {
    let fresh =
        || Component::new(engine, bytes).map_err(|e| format!("not a usable WebAssembly component: {e:#}"));
    let Some(cache) = cache else { return fresh() };
    let key = {
        use std::hash::{Hash, Hasher};
        let mut h = std::hash::DefaultHasher::new();
        engine.precompile_compatibility_hash().hash(&mut h);
        format!("{}-{:016x}", hex(&Sha256::digest(bytes)), h.finish())
    };
    let path = cache.dir.join(format!("{key}.cwasm"));
    if path.is_file() {
        match trusted_code(&path) {
            // SAFETY: the code was written by `Component::serialize` of an engine
            // with this compatibility hash (it is in the name), into a folder only
            // this user can write to, and is the code whose SHA-256 was recorded
            // then (checked on these very bytes).
            Ok(code) => match unsafe { Component::deserialize(engine, &code) } {
                Ok(c) => return Ok(c),
                Err(e) => tracing::warn!("ignoring unusable cache entry {}: {e:#}", path.display()),
            },
            Err(why) => tracing::warn!("ignoring cache entry {}: {why}", path.display()),
        }
    }
    let component = fresh()?;
    if let Err(e) =
        component.serialize().map_err(|e| e.to_string()).and_then(|code| store(&cache.dir, &key, &code))
    {
        tracing::warn!("cannot cache compiled plugin in {}: {e}", cache.dir.display());
    }
    Ok(component)
}

/// Write an entry: header, SHA-256 of `code`, line break, `code`; readable by
/// this user only, and in place at once (renamed from a fresh file).
fn store(dir: &Path, key: &str, code: &[u8]) -> Result<(), String> {
    let tmp = dir.join(format!("{key}.{}.tmp", std::process::id()));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let written = options.open(&tmp).and_then(|mut f| {
        f.write_all(&entry(code))?;
        f.sync_all()
    });
    let renamed = written.and_then(|()| std::fs::rename(&tmp, dir.join(format!("{key}.cwasm"))));
    if renamed.is_err() {
        std::fs::remove_file(&tmp).ok();
    }
    renamed.map_err(|e| e.to_string())
}

/// An entry's bytes for `code`.
fn entry(code: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEADER.len() + HEX_LEN + 1 + code.len());
    out.extend_from_slice(HEADER);
    out.extend_from_slice(hex(&Sha256::digest(code)).as_bytes());
    out.push(b'\n');
    out.extend_from_slice(code);
    out
}

/// The code of the entry at `path`, if the file is ours alone and the code matches
/// the SHA-256 recorded in it.
fn trusted_code(path: &Path) -> Result<Vec<u8>, String> {
    only_ours(&std::fs::metadata(path).map_err(|e| e.to_string())?)?;
    let mut bytes = std::fs::read(path).map_err(|e| e.to_string())?;
    let code_at = verified(&bytes)?;
    Ok(bytes.split_off(code_at))
}

/// Where the code starts in an entry whose code matches its recorded SHA-256.
fn verified(entry: &[u8]) -> Result<usize, String> {
    let recorded = entry
        .strip_prefix(HEADER)
        .filter(|rest| rest.len() > HEX_LEN && rest[HEX_LEN] == b'\n')
        .map(|rest| &rest[..HEX_LEN])
        .ok_or("it has no recorded SHA-256 (written by an earlier release, or not by NetPulse)")?;
    let code_at = HEADER.len() + HEX_LEN + 1;
    if hex(&Sha256::digest(&entry[code_at..])).as_bytes() != recorded {
        return Err("its code does not match the SHA-256 recorded when it was written".into());
    }
    Ok(code_at)
}

/// Make `dir` (0700) when missing, then check that only this user can write to it.
fn fit_folder(dir: &Path) -> Result<(), String> {
    if !dir.exists() {
        let mut builder = std::fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        builder.create(dir).map_err(|e| format!("cannot create it: {e}"))?;
    }
    let meta = std::fs::metadata(dir).map_err(|e| e.to_string())?;
    if !meta.is_dir() {
        return Err("it is not a folder".into());
    }
    only_ours(&meta)
}

/// Refuse what another user could write to: group or world writable, or owned by
/// another user.
fn only_ours(meta: &std::fs::Metadata) -> Result<(), String> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        if meta.mode() & 0o022 != 0 {
            return Err(format!(
                "it is writable by other users (mode {:o}); make it 0700 (chmod go-w)",
                meta.mode() & 0o7777
            ));
        }
        if let Some(me) = effective_uid()
            && meta.uid() != me
        {
            return Err(format!("it belongs to user id {}, not to this user ({me})", meta.uid()));
        }
    }
    #[cfg(not(unix))]
    let _ = meta;
    Ok(())
}

/// This process's effective user id, where the system says (Linux's `/proc`).
#[cfg(unix)]
fn effective_uid() -> Option<u32> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let ids = status.lines().find_map(|l| l.strip_prefix("Uid:"))?;
    ids.split_whitespace().nth(1)?.parse().ok()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp(tag: &str) -> PathBuf {
        std::env::temp_dir().join(format!("np-cache-{tag}-{}-{}", std::process::id(), uuid::Uuid::new_v4()))
    }

    #[test]
    fn entries_are_checked_against_their_recorded_sha256() {
        let e = entry(b"machine code");
        let at = verified(&e).unwrap();
        assert_eq!(&e[at..], b"machine code");
        let mut swapped = e.clone();
        *swapped.last_mut().unwrap() ^= 1;
        assert!(verified(&swapped).unwrap_err().contains("does not match"));
        assert!(verified(b"\x7fELF raw code").unwrap_err().contains("no recorded SHA-256"));
        assert!(verified(&e[..HEADER.len() + 10]).is_err(), "a truncated header");
    }

    #[cfg(unix)]
    #[test]
    fn the_folder_is_made_private_and_a_shared_one_is_refused() {
        use std::os::unix::fs::PermissionsExt;
        let root = temp("perm");
        let dir = root.join("a/cache");
        assert!(Cache::open(&dir).is_some());
        assert_eq!(std::fs::metadata(&dir).unwrap().permissions().mode() & 0o777, 0o700);
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o777)).unwrap();
        assert!(fit_folder(&dir).unwrap_err().contains("writable by other users"));
        assert!(Cache::open(&dir).is_none());
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        assert!(Cache::open(&dir).is_some(), "readable by others is fine");
        std::fs::remove_dir_all(root).unwrap();
    }

    #[test]
    fn a_tampered_entry_is_compiled_afresh_and_rewritten() {
        let mut cfg = wasmtime::Config::new();
        cfg.wasm_component_model(true);
        let engine = Engine::new(&cfg).unwrap();
        let (_, bytes) = crate::builtin::BUILTIN_PLUGINS.iter().find(|(n, _)| *n == "linux").unwrap();
        let dir = temp("tamper");
        let cache = Cache::open(&dir).unwrap();
        compile(&engine, bytes, Some(&cache)).unwrap();
        let files: Vec<PathBuf> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
        assert_eq!(files.len(), 1, "{files:?}");
        assert!(trusted_code(&files[0]).is_ok());
        // One byte of the code changed, the recorded SHA-256 left as it was.
        let mut evil = std::fs::read(&files[0]).unwrap();
        let n = evil.len();
        evil[n - 1] ^= 0xff;
        std::fs::write(&files[0], &evil).unwrap();
        assert!(trusted_code(&files[0]).is_err());
        compile(&engine, bytes, Some(&cache)).unwrap();
        assert!(trusted_code(&files[0]).is_ok(), "written again from a fresh compile");
        std::fs::remove_dir_all(dir).unwrap();
    }
}
