//! Run the ntc-templates corpus natively through the engine and print every
//! failure (a quick loop for engine work; the real test runs the component:
//! tests/e2e/tests/suite/textfsm.rs).
//!
//!   cargo run --release --target x86_64-unknown-linux-gnu --example corpus [CORPUS_DIR]

use std::path::{Path, PathBuf};

use netpulse_textfsm::{Index, Template, merge};

fn yaml_to_json(y: &yaml_rust2::Yaml) -> serde_json::Value {
    use serde_json::Value;
    use yaml_rust2::Yaml;
    match y {
        Yaml::String(s) => Value::String(s.clone()),
        Yaml::Integer(i) => Value::from(*i),
        Yaml::Real(r) => serde_json::from_str(r).unwrap_or(Value::String(r.clone())),
        Yaml::Boolean(b) => Value::Bool(*b),
        Yaml::Array(a) => Value::Array(a.iter().map(yaml_to_json).collect()),
        Yaml::Hash(h) => Value::Object(
            h.iter().map(|(k, v)| (k.as_str().unwrap_or_default().to_string(), yaml_to_json(v))).collect(),
        ),
        _ => Value::Null,
    }
}

fn main() {
    let root =
        PathBuf::from(std::env::args().nth(1).unwrap_or("../../../shared/corpus/ntc-templates".into()));
    let tdir = root.join("templates");
    let index = Index::new(&std::fs::read_to_string(tdir.join("index")).unwrap()).unwrap();
    let mut cases = Vec::new();
    for platform in std::fs::read_dir(root.join("tests")).unwrap().flatten() {
        for cmd in std::fs::read_dir(platform.path()).unwrap().flatten() {
            for f in std::fs::read_dir(cmd.path()).unwrap().flatten() {
                if f.path().extension().is_some_and(|e| e == "raw") {
                    cases.push(f.path());
                }
            }
        }
    }
    cases.sort();
    let (mut pass, mut fail) = (0, 0);
    let started = std::time::Instant::now();
    for raw in &cases {
        match run(&tdir, &index, raw) {
            Ok(()) => pass += 1,
            Err(e) => {
                fail += 1;
                println!("FAIL {}: {e}", raw.strip_prefix(&root).unwrap().display());
            }
        }
    }
    println!("{pass} passed, {fail} failed of {} in {:?}", cases.len(), started.elapsed());
}

fn run(tdir: &Path, index: &Index, raw: &Path) -> Result<(), String> {
    let cmd_dir = raw.parent().unwrap();
    let platform = cmd_dir.parent().unwrap().file_name().unwrap().to_str().unwrap();
    let command = cmd_dir.file_name().unwrap().to_str().unwrap().replace('_', " ");
    let text = String::from_utf8_lossy(&std::fs::read(raw).unwrap()).into_owned();
    let yml = std::fs::read_to_string(raw.with_extension("yml")).map_err(|e| format!("no yml: {e}"))?;
    let docs = yaml_rust2::YamlLoader::load_from_str(&yml).map_err(|e| format!("yml: {e}"))?;
    let expected = yaml_to_json(&docs[0]["parsed_sample"]);
    let names = index.find(platform, &command).ok_or("no template in index")?;
    let mut table = None;
    let mut keys: Vec<String> = Vec::new();
    for name in names {
        let t = Template::new(&std::fs::read_to_string(tdir.join(name)).map_err(|e| e.to_string())?)
            .map_err(|e| format!("{name}: {e}"))?;
        let out = t.parse(&text).map_err(|e| format!("{name}: {e}"))?;
        if keys.is_empty() {
            keys = t.keys();
        }
        match &mut table {
            None => table = Some(out),
            Some(base) => merge(base, &out, &keys)?,
        }
    }
    let got: serde_json::Value = serde_json::from_str(&table.unwrap().to_json(true)).unwrap();
    if got == expected {
        return Ok(());
    }
    let (g, e) = (got.as_array().unwrap(), expected.as_array().cloned().unwrap_or_default());
    if g.len() != e.len() {
        return Err(format!("{} records, expected {}", g.len(), e.len()));
    }
    for (i, (a, b)) in g.iter().zip(&e).enumerate() {
        if a != b {
            let a = a.as_object().unwrap();
            let b = b.as_object().unwrap();
            for (k, v) in b {
                if a.get(k) != Some(v) {
                    return Err(format!("record {i} `{k}`: got {:?}, expected {v}", a.get(k)));
                }
            }
            return Err(format!(
                "record {i}: extra keys {:?}",
                a.keys().filter(|k| !b.contains_key(*k)).collect::<Vec<_>>()
            ));
        }
    }
    Err("differs".into())
}
