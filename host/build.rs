//! Builds the built-in plugins (the `plugins/` workspace: drivers and the textfsm parser) for
//! wasm32-wasip2 and embeds them in the `netpulse` binary, so one binary runs the
//! whole system. Set `NETPULSE_SKIP_PLUGIN_BUILD=1` to embed none.

use std::path::{Path, PathBuf};
use std::process::Command;

const BUILTIN: &[&str] =
    &["cisco_ios", "cisco_nxos", "cisco_xr", "juniper_junos", "arista_eos", "huawei_vrp", "linux", "textfsm"];

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap());
    let root = manifest.parent().unwrap().to_path_buf();
    let plugins = root.join("plugins");
    let out = PathBuf::from(std::env::var("OUT_DIR").unwrap());
    // The whole folder: the current contract and the frozen `since_v*/` ones.
    println!("cargo:rerun-if-changed={}", root.join("wit").display());
    println!("cargo:rerun-if-env-changed=NETPULSE_SKIP_PLUGIN_BUILD");
    for entry in ["Cargo.toml", "Cargo.lock", ".cargo/config.toml"] {
        println!("cargo:rerun-if-changed={}", plugins.join(entry).display());
    }
    // Every member crate, the test-only ones under `testing/` too (some carry their own `wit/`).
    let members = |d: &Path| std::fs::read_dir(d).into_iter().flatten().flatten().map(|e| e.path());
    for dir in members(&plugins).chain(members(&plugins.join("testing"))) {
        if dir.join("src").is_dir() {
            for entry in ["src", "Cargo.toml", "wit"] {
                if dir.join(entry).exists() {
                    println!("cargo:rerun-if-changed={}", dir.join(entry).display());
                }
            }
        }
    }

    let list: Vec<(String, PathBuf)> = if std::env::var_os("NETPULSE_SKIP_PLUGIN_BUILD").is_some() {
        Vec::new()
    } else {
        build_plugins(&root, &plugins)
    };
    let mut code = String::from(
        "/// Built-in plugin components (the drivers and the textfsm parser): (name, bytes).\npub const BUILTIN_PLUGINS: &[(&str, &[u8])] = &[\n",
    );
    for (name, path) in &list {
        code.push_str(&format!("    ({name:?}, include_bytes!({:?})),\n", path.display().to_string()));
    }
    code.push_str("];\n");
    std::fs::write(out.join("builtin_plugins.rs"), code).unwrap();
}

fn build_plugins(root: &Path, plugins: &Path) -> Vec<(String, PathBuf)> {
    let target_dir = root.join("target").join("plugins");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(plugins)
        .args(["build", "--release", "--target", "wasm32-wasip2", "--target-dir"])
        .arg(&target_dir);
    // The outer build's settings are for the host, not for the wasm guests.
    for var in [
        "RUSTFLAGS",
        "CARGO_ENCODED_RUSTFLAGS",
        "CARGO_TARGET_DIR",
        "CARGO_BUILD_TARGET",
        "RUSTC_WORKSPACE_WRAPPER",
        "RUSTC_WRAPPER",
        "CARGO_MAKEFLAGS",
        "MAKEFLAGS",
        "MFLAGS",
        "CARGO_PRIMARY_PACKAGE",
        "CARGO_MANIFEST_DIR",
        "CARGO_PKG_NAME",
    ] {
        cmd.env_remove(var);
    }
    for (k, _) in std::env::vars() {
        if k.starts_with("CARGO_PROFILE_") || k.starts_with("CARGO_CFG_") || k.starts_with("DEP_") {
            cmd.env_remove(k);
        }
    }
    let status = cmd.status();
    match status {
        Ok(s) if s.success() => {}
        Ok(_) | Err(_) => panic!(
            "building the built-in plugins failed (see above). They need the wasm32-wasip2 target: \
             `rustup target add wasm32-wasip2`. To build the host without them, set NETPULSE_SKIP_PLUGIN_BUILD=1."
        ),
    }
    BUILTIN
        .iter()
        .map(|name| {
            let p = target_dir.join("wasm32-wasip2/release").join(format!("{name}.wasm"));
            assert!(p.is_file(), "plugin {name} was built but {} is missing", p.display());
            (name.to_string(), p)
        })
        .collect()
}
