//! The module layering of `host/src` (docs/architecture.md, "Code map"): data
//! flows one way, so every top-level module may use only the modules listed for
//! it below, and the graph has no cycle. This test reads the sources: a
//! `crate::<module>` path (in a `use`, a `use crate::{..}` group, an expression or
//! a `$crate::` macro path) outside a module's allowed list fails it, naming the
//! file and line.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Each top-level module of `host/src` and the modules it may use. Keep in step
/// with the code map in docs/architecture.md. `builtin` (the embedded components,
/// generated into lib.rs) is data anyone may read.
const ALLOWED: &[(&str, &[&str])] = &[
    ("model", &[]),
    ("metrics", &[]),
    ("config", &["model"]),
    ("queue", &["model", "config", "metrics"]),
    ("ssh", &[]),
    ("plugin", &["model", "metrics"]),
    ("template", &["model", "plugin"]),
    ("node", &["model", "config", "queue", "plugin", "template", "ssh", "metrics"]),
    ("api", &["model", "config", "queue", "plugin", "template", "metrics"]),
    ("app", &["model", "config", "queue", "plugin", "node", "api"]),
    ("cli", &["model", "config", "plugin", "template", "app"]),
];

/// Modules anyone may use.
const SHARED: &[&str] = &["builtin"];

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// Every `.rs` file under `dir` (or `dir` itself when it is a file).
fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    if dir.is_file() {
        out.push(dir.to_path_buf());
        return;
    }
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The top-level modules of `host/src`: `x.rs` files and `x/` folders (not lib.rs, main.rs).
fn top_level_modules() -> BTreeMap<String, PathBuf> {
    let mut out = BTreeMap::new();
    for e in std::fs::read_dir(src()).unwrap() {
        let p = e.unwrap().path();
        let name = p.file_stem().unwrap().to_string_lossy().to_string();
        let is_module = p.is_dir() || p.extension().is_some_and(|x| x == "rs");
        if is_module && name != "lib" && name != "main" {
            out.insert(name, p);
        }
    }
    out
}

/// `text` with comments, string and character literals blanked out (line breaks
/// kept, so line numbers stay right).
fn code_only(text: &str) -> String {
    let c: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let blank = |out: &mut String, ch: char| out.push(if ch == '\n' { '\n' } else { ' ' });
    let mut i = 0;
    while i < c.len() {
        let next = c.get(i + 1).copied();
        if c[i] == '/' && next == Some('/') {
            while i < c.len() && c[i] != '\n' {
                blank(&mut out, c[i]);
                i += 1;
            }
        } else if c[i] == '/' && next == Some('*') {
            let mut depth = 0;
            loop {
                if c[i] == '/' && c.get(i + 1) == Some(&'*') {
                    depth += 1;
                    out.push_str("  ");
                    i += 2;
                } else if c[i] == '*' && c.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    out.push_str("  ");
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    blank(&mut out, c[i]);
                    i += 1;
                }
            }
        } else if c[i] == 'r'
            && (next == Some('"') || next == Some('#'))
            && (i == 0 || !(c[i - 1].is_alphanumeric() || c[i - 1] == '_'))
        {
            // A raw string r"..." or r#"..."#.
            let mut j = i + 1;
            while c.get(j) == Some(&'#') {
                j += 1;
            }
            if c.get(j) != Some(&'"') {
                out.push(c[i]);
                i += 1;
                continue;
            }
            let hashes = j - i - 1;
            let close: String = std::iter::once('"').chain(std::iter::repeat_n('#', hashes)).collect();
            let close: Vec<char> = close.chars().collect();
            while i <= j {
                blank(&mut out, c[i]);
                i += 1;
            }
            while i < c.len() && !c[i..].starts_with(&close) {
                blank(&mut out, c[i]);
                i += 1;
            }
            for _ in 0..close.len().min(c.len() - i) {
                blank(&mut out, c[i]);
                i += 1;
            }
        } else if c[i] == '"' {
            blank(&mut out, c[i]);
            i += 1;
            while i < c.len() && c[i] != '"' {
                if c[i] == '\\' {
                    blank(&mut out, c[i]);
                    i += 1;
                }
                if i < c.len() {
                    blank(&mut out, c[i]);
                    i += 1;
                }
            }
            if i < c.len() {
                blank(&mut out, c[i]);
                i += 1;
            }
        } else if c[i] == '\'' {
            // A character literal ('x', '\n', '\u{..}') or a lifetime ('a).
            let literal_end = if next == Some('\\') {
                (i + 2..c.len()).find(|&k| c[k] == '\'')
            } else if c.get(i + 2) == Some(&'\'') {
                Some(i + 2)
            } else {
                None
            };
            match literal_end {
                Some(end) => {
                    while i <= end {
                        blank(&mut out, c[i]);
                        i += 1;
                    }
                }
                None => {
                    out.push(c[i]);
                    i += 1;
                }
            }
        } else {
            out.push(c[i]);
            i += 1;
        }
    }
    out
}

/// The first segment of each path in a group `{a::b, c, d::{e, f}}` (`a`, `c`,
/// `d`), read from just after its `{`.
fn group_heads(code: &[char], mut i: usize) -> Vec<String> {
    let mut heads = Vec::new();
    let mut depth = 0;
    let mut at_item_start = true;
    while i < code.len() {
        let ch = code[i];
        match ch {
            '{' => depth += 1,
            '}' if depth == 0 => break,
            '}' => depth -= 1,
            ',' if depth == 0 => at_item_start = true,
            c if c.is_alphabetic() || c == '_' => {
                let start = i;
                while i < code.len() && (code[i].is_alphanumeric() || code[i] == '_') {
                    i += 1;
                }
                if at_item_start && depth == 0 {
                    heads.push(code[start..i].iter().collect());
                    at_item_start = false;
                }
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    heads
}

/// The crate's top-level items `code` (a file `depth` modules below the crate
/// root: `queue/store.rs` is 2, `config.rs` 1) refers to, with the line of each
/// reference: `crate::x` (and `$crate::x`, `crate::{x, ..}`) paths, and
/// `super::` chains that climb to the crate root (counting the inline modules,
/// such as `mod tests`, they are in).
fn references(code: &str, depth: usize) -> Vec<(String, usize)> {
    let c: Vec<char> = code.chars().collect();
    let ident_at = |i: usize| c[i].is_alphanumeric() || c[i] == '_';
    let word = |i: usize| -> (String, usize) {
        let mut j = i;
        while j < c.len() && ident_at(j) {
            j += 1;
        }
        (c[i..j].iter().collect(), j)
    };
    // `::` after optional blanks from `i`: the index after it.
    let colons = |mut i: usize| -> Option<usize> {
        while i < c.len() && c[i].is_whitespace() {
            i += 1;
        }
        (c.get(i) == Some(&':') && c.get(i + 1) == Some(&':')).then_some(i + 2)
    };
    let skip_blank = |mut i: usize| {
        while i < c.len() && c[i].is_whitespace() {
            i += 1;
        }
        i
    };
    let mut refs = Vec::new();
    // Brace depth, and the brace depths at which inline modules were opened.
    let (mut braces, mut inline_mods): (usize, Vec<usize>) = (0, Vec::new());
    let mut pending_mod = false;
    let mut i = 0;
    while i < c.len() {
        match c[i] {
            '{' => {
                braces += 1;
                if pending_mod {
                    inline_mods.push(braces);
                    pending_mod = false;
                }
                i += 1;
                continue;
            }
            '}' => {
                if inline_mods.last() == Some(&braces) {
                    inline_mods.pop();
                }
                braces = braces.saturating_sub(1);
                i += 1;
                continue;
            }
            ';' => pending_mod = false,
            _ => {}
        }
        if !ident_at(i) || (i > 0 && ident_at(i - 1)) {
            i += 1;
            continue;
        }
        let (w, after) = word(i);
        let target = match w.as_str() {
            "mod" => {
                pending_mod = true;
                None
            }
            "crate" => colons(after),
            "super" => {
                // Count the chain: super::super::...
                let (mut n, mut j) = (0, i);
                loop {
                    let (w2, a2) = word(skip_blank(j));
                    if w2 != "super" {
                        break;
                    }
                    match colons(a2) {
                        Some(k) => {
                            n += 1;
                            j = k;
                        }
                        None => break,
                    }
                }
                if n > 0 && n >= depth + inline_mods.len() { Some(j) } else { None }
            }
            _ => None,
        };
        let Some(at) = target else {
            i = after;
            continue;
        };
        let line = c[..i].iter().filter(|&&ch| ch == '\n').count() + 1;
        let at = skip_blank(at);
        if c.get(at) == Some(&'{') {
            for head in group_heads(&c, at + 1) {
                refs.push((head, line));
            }
        } else {
            let (name, _) = word(at);
            refs.push((name, line));
        }
        i = at;
    }
    refs
}

/// Module -> (used module -> first place it is used).
fn dependency_graph() -> BTreeMap<String, BTreeMap<String, String>> {
    let modules = top_level_modules();
    let mut graph = BTreeMap::new();
    for (name, path) in &modules {
        let mut deps: BTreeMap<String, String> = BTreeMap::new();
        let mut files = Vec::new();
        rust_files(path, &mut files);
        for file in files {
            let code = code_only(&std::fs::read_to_string(&file).unwrap());
            let rel = file.strip_prefix(src()).unwrap();
            // crate::m::a::b is three levels deep; a `mod.rs` is its folder's module.
            let mut depth = rel.components().count();
            if rel.file_name().is_some_and(|f| f == "mod.rs") {
                depth -= 1;
            }
            for (dep, line) in references(&code, depth) {
                if dep != *name && modules.contains_key(&dep) {
                    deps.entry(dep).or_insert_with(|| format!("host/src/{}:{line}", rel.display()));
                } else if dep != *name && !SHARED.contains(&dep.as_str()) && !dep.is_empty() && dep != "self"
                {
                    panic!("host/src/{}:{line}: crate::{dep} is not a module this test knows", rel.display());
                }
            }
        }
        graph.insert(name.clone(), deps);
    }
    graph
}

#[test]
fn every_module_uses_only_the_layers_below_it() {
    let graph = dependency_graph();
    let allowed: BTreeMap<&str, &[&str]> = ALLOWED.iter().copied().collect();
    let mut problems = Vec::new();
    for (module, deps) in &graph {
        let Some(may) = allowed.get(module.as_str()) else {
            problems.push(format!(
                "host/src/{module} is a new top-level module: give it a place in ALLOWED (host/tests/layers.rs) and in the code map of docs/architecture.md"
            ));
            continue;
        };
        for (dep, place) in deps {
            if !may.contains(&dep.as_str()) {
                problems.push(format!(
                    "{place}: `{module}` uses crate::{dep}, which it must never import (it may use: {})",
                    if may.is_empty() { "nothing else in the crate".to_string() } else { may.join(", ") }
                ));
            }
        }
    }
    assert!(
        problems.is_empty(),
        "layering broken (docs/architecture.md, Code map):\n{}",
        problems.join("\n")
    );
}

#[test]
fn the_module_graph_has_no_cycle() {
    let graph = dependency_graph();
    // Depth-first search; a module met again while still on the path closes a cycle.
    fn visit<'a>(
        m: &'a str,
        graph: &'a BTreeMap<String, BTreeMap<String, String>>,
        path: &mut Vec<&'a str>,
        done: &mut BTreeSet<&'a str>,
    ) -> Option<String> {
        if let Some(at) = path.iter().position(|p| *p == m) {
            let mut cycle: Vec<&str> = path[at..].to_vec();
            cycle.push(m);
            return Some(cycle.join(" -> "));
        }
        if done.contains(m) {
            return None;
        }
        path.push(m);
        for dep in graph.get(m).into_iter().flat_map(|d| d.keys()) {
            if let Some(c) = visit(dep, graph, path, done) {
                return Some(c);
            }
        }
        path.pop();
        done.insert(m);
        None
    }
    let mut done = BTreeSet::new();
    for m in graph.keys() {
        if let Some(cycle) = visit(m, &graph, &mut Vec::new(), &mut done) {
            let places: Vec<String> = cycle
                .split(" -> ")
                .collect::<Vec<_>>()
                .windows(2)
                .map(|w| format!("{} -> {}: {}", w[0], w[1], graph[w[0]][w[1]]))
                .collect();
            panic!("import cycle {cycle}:\n{}", places.join("\n"));
        }
    }
    // And the allowed table itself has none (a module listed below one that lists it).
    for (m, may) in ALLOWED {
        for d in *may {
            let back = ALLOWED.iter().find(|(n, _)| n == d).map(|(_, a)| *a).unwrap_or(&[]);
            assert!(!back.contains(m), "ALLOWED lets {m} and {d} use each other");
        }
    }
}

#[test]
fn the_scanner_sees_every_form_of_path() {
    let code = code_only(
        "use crate::queue::X;\n\
         use crate::{ model::{A, B}, plugin::C };\n\
         // crate::api in a comment\n\
         let s = \"crate::node in a string\";\n\
         let r = r#\"crate::cli \"in\" a raw string\"#;\n\
         let c = '\"'; let x = crate :: ssh::f();\n\
         impl $crate::template::T for U {}\n\
         fn f<'a>(x: &'a str) -> crate::config::S {}\n",
    );
    let refs: Vec<(String, usize)> = references(&code, 2);
    let names: Vec<&str> = refs.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["queue", "model", "plugin", "ssh", "template", "config"], "{code}");
    assert_eq!(refs[3].1, 6, "line numbers survive blanking");
    // In `queue/store.rs` (depth 2), `super::super::api` is `crate::api`; in its
    // `mod tests`, it takes three.
    let at = |code: &str| references(&code_only(code), 2);
    assert_eq!(at("use super::super::api::X;\nuse super::Y;"), [("api".to_string(), 1)]);
    assert!(at("mod tests {\n use super::super::X;\n}").is_empty());
    assert_eq!(at("mod tests {\n use super::super::super::{node, cli::Y};\n}").len(), 2);
    assert_eq!(at("mod a;\nuse super::super::ssh::Z;")[0].0, "ssh");
}

/// What the graph is now, for the curious: `cargo test -p netpulse --test layers -- --nocapture`.
#[test]
fn print_the_graph() {
    for (m, deps) in dependency_graph() {
        println!("{m} -> {}", deps.keys().cloned().collect::<Vec<_>>().join(", "));
    }
}
