//! Where the time goes: compiling the corpus templates vs parsing with them.
use std::collections::HashMap;
fn main() {
    let root = std::path::PathBuf::from(
        std::env::args().nth(1).unwrap_or("../../../shared/corpus/ntc-templates".into()),
    );
    let tdir = root.join("templates");
    let index = netpulse_textfsm::Index::new(&std::fs::read_to_string(tdir.join("index")).unwrap()).unwrap();
    let mut jobs = Vec::new();
    for p in std::fs::read_dir(root.join("tests")).unwrap().flatten() {
        for c in std::fs::read_dir(p.path()).unwrap().flatten() {
            for f in std::fs::read_dir(c.path()).unwrap().flatten() {
                if f.path().extension().is_some_and(|e| e == "raw") {
                    let platform = p.file_name().into_string().unwrap();
                    let command = c.file_name().into_string().unwrap().replace('_', " ");
                    let names = index.find(&platform, &command).unwrap().to_vec();
                    jobs.push((
                        names,
                        String::from_utf8_lossy(&std::fs::read(f.path()).unwrap()).into_owned(),
                    ));
                }
            }
        }
    }
    let mut texts: HashMap<String, String> = HashMap::new();
    for (names, _) in &jobs {
        for n in names {
            texts.entry(n.clone()).or_insert_with(|| std::fs::read_to_string(tdir.join(n)).unwrap());
        }
    }
    let t0 = std::time::Instant::now();
    let compiled: HashMap<&String, netpulse_textfsm::Template> =
        texts.iter().map(|(n, t)| (n, netpulse_textfsm::Template::new(t).unwrap())).collect();
    let t1 = std::time::Instant::now();
    for (names, text) in &jobs {
        for n in names {
            let _ = compiled[n].parse(text);
        }
    }
    let t2 = std::time::Instant::now();
    let passes: usize = std::env::var("PASSES").ok().and_then(|p| p.parse().ok()).unwrap_or(1);
    let t3 = std::time::Instant::now();
    for (names, text) in std::iter::repeat_n(&jobs, passes).flatten() {
        for n in names {
            let _ = compiled[n].parse(text);
        }
    }
    println!("warm pass {:?}", t3.elapsed() / passes as u32);
    println!(
        "{} distinct templates compiled in {:?}; {} parses in {:?}",
        compiled.len(),
        t1 - t0,
        jobs.len(),
        t2 - t1
    );
}
