//! TextFSM benchmark: parse every case of the ntc-templates corpus with our engine
//! (through the `textfsm` parser component, templates picked by the index) and
//! with Python `textfsm` in the same run, and print both times and the ratios.
//!
//!   pip install textfsm ntc-templates   # for the Python side
//!   cargo run --release -p netpulse-e2e --example textfsm_bench [CORPUS_DIR]
//!
//! Three figures each side (the CliTable index is read before timing on both):
//! - cold: every template read from its file and compiled on first use, each case
//!   parsed once; the fastest of three runs, each from a fresh start on both
//!   sides (ours: a new parser instance and templates folder; Python: a new
//!   process, so its `re` cache is empty too);
//! - warm: the same cases parsed again with the compiled templates (a running
//!   service keeps them: our parser instances cache them, and so would a Python
//!   service that kept its TextFSM objects); the fastest of three passes, on
//!   both sides;
//! - ours only, warm, the component call alone: the records as the JSON text the
//!   component returns, before the host reads them into values with lower-cased
//!   keys (the other two figures include that, as a job's result does);
//! - NetPulse's way (Python only): `clitable.CliTable.ParseCmd` per case, as
//!   ntc_templates' `parse_output` does for every job.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use netpulse::plugin::{Plugins, SandboxLimits};
use netpulse::template::{NamedTemplate, Templates, parse_records};

/// Warm passes on each side; the fastest is reported (the machine's noise only
/// ever adds time).
const WARM_PASSES: usize = 3;
/// Cold runs on each side, each from a fresh start; the fastest is reported.
const COLD_RUNS: usize = 3;

const PYTHON: &str = r#"
import glob, io, os, sys, time
import textfsm
from textfsm import clitable
root = sys.argv[1]; WARM_PASSES = int(sys.argv[2]); tdir = os.path.join(root, "templates")
cases = []
for raw in sorted(glob.glob(os.path.join(root, "tests", "*", "*", "*.raw"))):
    d = os.path.dirname(raw)
    cases.append((os.path.basename(os.path.dirname(d)), os.path.basename(d).replace("_", " "),
                  open(raw, encoding="utf-8", errors="replace").read()))
idx = clitable.CliTable("index", tdir)
t0 = time.perf_counter()
fsms = {}
for platform, command, text in cases:
    row = idx.index.GetRowMatch({"Command": command, "Platform": platform})
    for n in idx.index.index[row]["Template"].split(":"):
        if n not in fsms:
            fsms[n] = textfsm.TextFSM(open(os.path.join(tdir, n)))
        f = fsms[n]; f.Reset(); f.ParseText(text)
t1 = time.perf_counter()
warm = []
for _ in range(WARM_PASSES):
    w0 = time.perf_counter()
    for platform, command, text in cases:
        row = idx.index.GetRowMatch({"Command": command, "Platform": platform})
        for n in idx.index.index[row]["Template"].split(":"):
            f = fsms[n]; f.Reset(); f.ParseText(text)
    warm.append(time.perf_counter() - w0)
t2 = time.perf_counter()
for platform, command, text in cases:
    t = clitable.CliTable("index", tdir)
    t.ParseCmd(text, {"Command": command, "Platform": platform})
t3 = time.perf_counter()
print(f"{t1-t0} {min(warm)} {t3-t2}")
"#;

fn main() {
    let root = std::env::args()
        .nth(1)
        .map(PathBuf::from)
        .or_else(netpulse_e2e::corpus)
        .expect("the ntc-templates corpus: pass its folder or set NETPULSE_CORPUS");
    let mut cases = Vec::new();
    for p in std::fs::read_dir(root.join("tests")).unwrap().flatten() {
        for c in std::fs::read_dir(p.path()).unwrap().flatten() {
            for f in std::fs::read_dir(c.path()).unwrap().flatten() {
                if f.path().extension().is_some_and(|e| e == "raw") {
                    let platform = p.file_name().into_string().unwrap();
                    let command = c.file_name().into_string().unwrap().replace('_', " ");
                    let text = String::from_utf8_lossy(&std::fs::read(f.path()).unwrap()).into_owned();
                    cases.push((platform, command, text));
                }
            }
        }
    }
    // Compiled components are kept between runs, as a service's data folder keeps them.
    let cache = std::env::temp_dir().join("netpulse-textfsm-bench-cache");
    // A fresh start: a parser with no instance yet (so no template compiled) and a
    // templates folder with nothing read but its index (Python reads its index
    // before timing too).
    let fresh = || {
        let (plugins, _) =
            Plugins::load(netpulse::builtin::BUILTIN_PLUGINS, None, SandboxLimits::default(), Some(&cache))
                .unwrap();
        let templates = Templates::new(Some(root.join("templates")));
        templates.load_index().expect("the corpus index");
        (plugins.parser("textfsm").expect("built-in textfsm parser"), templates)
    };
    let run = |parser: &netpulse::plugin::ParserPlugin, templates: &Templates| {
        let start = Instant::now();
        let mut failed = 0;
        for (platform, command, text) in &cases {
            let found = templates.resolve(platform, command).expect("template in index");
            let refs: Vec<&NamedTemplate> = found.iter().collect();
            if parse_records(parser, &refs, platform, command, text, true).is_err() {
                failed += 1;
            }
        }
        (start.elapsed(), failed)
    };
    let cold = (0..COLD_RUNS)
        .map(|_| {
            let (parser, templates) = fresh();
            run(&parser, &templates).0
        })
        .min()
        .unwrap();
    let (parser, templates) = fresh();
    let (_, failed) = run(&parser, &templates);
    let warm = (0..WARM_PASSES).map(|_| run(&parser, &templates).0).min().unwrap();
    let call_alone = || {
        let start = Instant::now();
        for (platform, command, text) in &cases {
            let found = templates.resolve(platform, command).expect("template in index");
            let texts: Vec<String> = found.into_iter().map(|t| t.text).collect();
            let json = parser.parse(&texts, platform, command, text).expect("the component runs");
            assert!(json.is_ok_and(|j| j.starts_with('[')));
        }
        start.elapsed()
    };
    let call = (0..WARM_PASSES).map(|_| call_alone()).min().unwrap();
    let t = Instant::now();
    for (platform, command, _) in &cases {
        let _ = templates.resolve(platform, command);
    }
    eprintln!("(of which template lookup: {:.1} ms a pass)", ms(t.elapsed()));
    let lines: usize = cases.iter().map(|c| c.2.lines().count()).sum();
    println!("corpus: {} cases, {lines} lines of output ({} parse errors)", cases.len(), failed);
    println!(
        "netpulse-rs (wasm component)  cold {:>8.1} ms   warm {:>8.1} ms   warm, component call alone {:>8.1} ms",
        ms(cold),
        ms(warm),
        ms(call)
    );

    let script = std::env::temp_dir().join(format!("np-textfsm-bench-{}.py", std::process::id()));
    std::fs::write(&script, PYTHON).unwrap();
    // One process per cold run; each figure is the fastest of the runs.
    let runs: Option<Vec<Vec<f64>>> = (0..COLD_RUNS)
        .map(|_| {
            let out = std::process::Command::new("python3")
                .arg(&script)
                .arg(&root)
                .arg(WARM_PASSES.to_string())
                .output()
                .ok()
                .filter(|o| o.status.success())?;
            let figures: Option<Vec<f64>> =
                String::from_utf8_lossy(&out.stdout).split_whitespace().map(|x| x.parse().ok()).collect();
            figures.filter(|f| f.len() == 3)
        })
        .collect();
    std::fs::remove_file(&script).ok();
    let Some(runs) = runs else {
        println!("python textfsm: not run (needs python3 with `pip install textfsm ntc-templates`)");
        return;
    };
    let py: Vec<f64> = (0..3).map(|i| runs.iter().map(|r| r[i]).fold(f64::INFINITY, f64::min)).collect();
    let (py_cold, py_warm, py_netpulse) = (py[0] * 1e3, py[1] * 1e3, py[2] * 1e3);
    println!(
        "python textfsm 2.x            cold {py_cold:>8.1} ms   warm {py_warm:>8.1} ms   per-case CliTable (NetPulse's way) {py_netpulse:>8.1} ms"
    );
    println!(
        "ratio (python / ours)         cold {:>7.1}x    warm {:>7.1}x    warm vs the call alone {:>7.1}x    NetPulse's way vs our cold {:>7.1}x",
        py_cold / ms(cold),
        py_warm / ms(warm),
        py_warm / ms(call),
        py_netpulse / ms(cold)
    );
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}
