//! Structured output: the ntc-templates corpus parsed through the `textfsm`
//! parser component, `/template/parse` and `/template/render`, and `parsing` /
//! `rendering` in jobs run against the simulator.

use std::path::Path;
use std::time::Duration;

use netpulse::plugin::{Plugins, SandboxLimits};
use netpulse::template::{NamedTemplate, Templates, parse_records};
use netpulse_e2e::{TestSystem, corpus, exec_body, ios_fleet, temp_dir};
use serde_json::{Value, json};

const WAIT: Duration = Duration::from_secs(60);

/// Corpus cases whose expected parse we do not reproduce, and why. (A List value
/// whose group did not take part in the match was one: through the index it is the
/// string "None", as CliTable gives it.)
const EXPLAINED: &[(&str, &str)] = &[];

fn yaml_to_json(y: &yaml_rust2::Yaml) -> Value {
    use yaml_rust2::Yaml;
    match y {
        Yaml::String(s) => Value::String(s.clone()),
        Yaml::Integer(i) => json!(i),
        Yaml::Real(r) => serde_json::from_str(r).unwrap_or(Value::String(r.clone())),
        Yaml::Boolean(b) => json!(b),
        Yaml::Array(a) => Value::Array(a.iter().map(yaml_to_json).collect()),
        Yaml::Hash(h) => Value::Object(
            h.iter().map(|(k, v)| (k.as_str().unwrap_or("").to_string(), yaml_to_json(v))).collect(),
        ),
        _ => Value::Null,
    }
}

/// Every `.raw` test case of the corpus: (path relative to tests/, platform, command).
fn corpus_cases(root: &Path) -> Vec<(String, String, String)> {
    let mut cases = Vec::new();
    let tests = root.join("tests");
    for p in std::fs::read_dir(&tests).unwrap().flatten() {
        for c in std::fs::read_dir(p.path()).unwrap().flatten() {
            for f in std::fs::read_dir(c.path()).unwrap().flatten() {
                if f.path().extension().is_some_and(|e| e == "raw") {
                    let rel = f.path().strip_prefix(&tests).unwrap().display().to_string();
                    let platform = p.file_name().into_string().unwrap();
                    let command = c.file_name().into_string().unwrap().replace('_', " ");
                    cases.push((rel, platform, command));
                }
            }
        }
    }
    cases.sort();
    cases
}

/// One case: Ok, or why it differs from the corpus.
fn check_case(
    root: &Path,
    templates: &Templates,
    plugins: &Plugins,
    case: &(String, String, String),
) -> Result<(), String> {
    let (rel, platform, command) = case;
    let raw = root.join("tests").join(rel);
    let text = String::from_utf8_lossy(&std::fs::read(&raw).unwrap()).into_owned();
    let yml = std::fs::read_to_string(raw.with_extension("yml")).map_err(|e| format!("no .yml: {e}"))?;
    let docs = yaml_rust2::YamlLoader::load_from_str(&yml).map_err(|e| format!("bad .yml: {e}"))?;
    let expected = yaml_to_json(&docs[0]["parsed_sample"]);
    let found = templates.resolve(platform, command).map_err(|e| e.to_string())?;
    let refs: Vec<&NamedTemplate> = found.iter().collect();
    let parser = plugins.parser("textfsm").expect("textfsm parser is built in");
    let got = parse_records(&parser, &refs, platform, command, &text, true).map_err(|e| e.to_string())?;
    let got: serde_json::Value = serde_json::from_str(got.get()).map_err(|e| e.to_string())?;
    if got == expected {
        return Ok(());
    }
    let (g, e) =
        (got.as_array().cloned().unwrap_or_default(), expected.as_array().cloned().unwrap_or_default());
    if g.len() != e.len() {
        return Err(format!("{} records, expected {}", g.len(), e.len()));
    }
    for (i, (a, b)) in g.iter().zip(&e).enumerate() {
        if a != b {
            let (a, b) =
                (a.as_object().cloned().unwrap_or_default(), b.as_object().cloned().unwrap_or_default());
            let keys: Vec<String> = b
                .iter()
                .filter(|(k, v)| a.get(*k) != Some(*v))
                .map(|(k, v)| format!("`{k}` = {} (expected {v})", a.get(k).cloned().unwrap_or(Value::Null)))
                .chain(a.keys().filter(|k| !b.contains_key(*k)).map(|k| format!("`{k}` not expected")))
                .collect();
            return Err(format!("record {i}: {}", keys.join(", ")));
        }
    }
    Err("differs".into())
}

#[test]
fn ntc_templates_corpus_parses_through_the_component() {
    let Some(root) = corpus() else {
        eprintln!(
            "SKIPPED: the ntc-templates corpus is not at ../shared/corpus/ntc-templates (set NETPULSE_CORPUS to its folder)"
        );
        return;
    };
    let (plugins, problems) =
        Plugins::load(netpulse::builtin::BUILTIN_PLUGINS, None, SandboxLimits::default(), None).unwrap();
    assert!(problems.is_empty(), "{problems:?}");
    let templates = Templates::new(Some(root.join("templates")));
    let cases = corpus_cases(&root);
    assert!(cases.len() > 700, "corpus has {} cases", cases.len());
    let mut failures = Vec::new();
    for case in &cases {
        if let Err(why) = check_case(&root, &templates, &plugins, case) {
            failures.push((case.0.clone(), why));
        }
    }
    for (case, why) in &failures {
        let note = EXPLAINED.iter().find(|(c, _)| c == case).map(|(_, n)| *n).unwrap_or("NOT EXPLAINED");
        eprintln!("corpus failure {case}: {why}\n    explanation: {note}");
    }
    let passed = cases.len() - failures.len();
    let rate = passed as f64 * 100.0 / cases.len() as f64;
    eprintln!("ntc-templates corpus: {passed}/{} passed ({rate:.2}%)", cases.len());
    let unexplained: Vec<_> =
        failures.iter().filter(|(c, _)| !EXPLAINED.iter().any(|(e, _)| e == c)).collect();
    assert!(unexplained.is_empty(), "unexplained corpus failures: {unexplained:#?}");
    assert!(rate >= 99.5, "pass rate {rate:.2}% is below 99.5%");
    // An explained case that starts passing must leave the list.
    for (case, _) in EXPLAINED {
        assert!(failures.iter().any(|(c, _)| c == case), "{case} passes now: remove it from EXPLAINED");
    }
}

const INTF_TEMPLATE: &str = "Value Required INTF (\\S+)\nValue STATUS (up|down)\n\nStart\n  ^${INTF}\\s+${STATUS} -> Record\n  ^bad -> Error \"unexpected line\"\n";

/// A templates folder with an index, as a user would point `templates_dir` at.
fn templates_folder() -> std::path::PathBuf {
    let dir = temp_dir("templates");
    std::fs::write(
        dir.join("index"),
        "Template, Hostname, Platform, Command\n\n\
         x_show_intf.textfsm, .*, x_os, sh[[ow]] int[[erfaces]]\n\
         cisco_ios_show_version.textfsm, .*, cisco_ios, sh[[ow]] ver[[sion]]\n",
    )
    .unwrap();
    std::fs::write(dir.join("x_show_intf.textfsm"), INTF_TEMPLATE).unwrap();
    std::fs::write(
        dir.join("cisco_ios_show_version.textfsm"),
        "Value HOSTNAME (\\S+)\nValue UPTIME (.+)\n\nStart\n  ^${HOSTNAME}\\s+uptime\\s+is\\s+${UPTIME} -> Record\n",
    )
    .unwrap();
    dir
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn template_endpoints_parse_and_render() {
    let dir = templates_folder();
    let sys = TestSystem::start_with(|s| s.templates_dir = Some(dir.clone())).await;
    let text = "Gi0/1  up\nGi0/2  down\n";

    // Inline template: keys as the template names them.
    let (status, v) = sys.post("/template/parse", &json!({"template": INTF_TEMPLATE, "context": text})).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["data"], json!([{"INTF": "Gi0/1", "STATUS": "up"}, {"INTF": "Gi0/2", "STATUS": "down"}]));
    // Platform + command through the index (abbreviated command), keys lower-cased as ntc-templates does.
    let (status, v) = sys
        .post("/template/parse/textfsm", &json!({"platform": "x_os", "command": "sh int", "context": text}))
        .await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["data"][1], json!({"intf": "Gi0/2", "status": "down"}));
    // A template file of the folder by name.
    let (status, v) =
        sys.post("/template/parse", &json!({"template": "x_show_intf.textfsm", "context": text})).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["data"].as_array().unwrap().len(), 2);

    // The template's Error action, and a broken template: 400 naming the line.
    let (status, v) =
        sys.post("/template/parse", &json!({"template": INTF_TEMPLATE, "context": "bad line\n"})).await;
    assert_eq!(status, 400, "{v}");
    let msg = v["message"].as_str().unwrap_or_default().to_string() + &v.to_string();
    assert!(msg.contains("line 6") && msg.contains("unexpected line"), "{v}");
    let (status, v) = sys
        .post("/template/parse", &json!({"template": "Value A (\\d+)\n\nStart\n  ^${B}\n", "context": "1"}))
        .await;
    assert_eq!(status, 400, "{v}");
    assert!(v.to_string().contains("line 4"), "{v}");
    // Nothing in the index, a name outside the folder, a missing field: 422.
    let (status, v) = sys
        .post("/template/parse", &json!({"platform": "x_os", "command": "show clock", "context": text}))
        .await;
    assert_eq!(status, 422, "{v}");
    assert!(v.to_string().contains("no template in the index"), "{v}");
    let (status, _) = sys.post("/template/parse", &json!({"template": "../index", "context": text})).await;
    assert_eq!(status, 422);
    let (status, v) = sys.post("/template/parse", &json!({"template": INTF_TEMPLATE})).await;
    assert_eq!(status, 422, "{v}");
    let (status, _) =
        sys.post("/template/parse/nosuch", &json!({"template": INTF_TEMPLATE, "context": text})).await;
    assert_eq!(status, 404);

    // Rendering, and an undefined variable refused.
    let (status, v) = sys
        .post(
            "/template/render",
            &json!({"template": "hostname {{ name }}\n{% for v in vlans %}vlan {{ v }}\n{% endfor %}", "context": {"name": "r1", "vlans": [10, 20]}}),
        )
        .await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["data"], json!("hostname r1\nvlan 10\nvlan 20\n"));
    let (status, v) = sys
        .post(
            "/template/render/jinja2",
            &json!({"template": "hostname {{ nmae }}", "context": {"name": "r1"}}),
        )
        .await;
    assert_eq!(status, 400, "{v}");
    assert!(v.to_string().contains("undefined"), "{v}");
    sys.stop().await;
    std::fs::remove_dir_all(dir).ok();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jobs_parse_their_output_and_render_their_config() {
    let dir = templates_folder();
    let fleet = ios_fleet(1, |_| {}).await;
    let dev = &fleet.devices()[0];
    let sys = TestSystem::start_with(|s| s.templates_dir = Some(dir.clone())).await;

    // What the device prints for `show version`, parsed by hand.
    let version = dev.canned_output("show version").unwrap();
    let line = version.lines().find(|l| l.contains(" uptime is ")).expect("an uptime line").trim_end();
    let (host, uptime) = line.split_once(" uptime is ").unwrap();

    // use_ntc_template: the index picks the template from device_type + command.
    let id = sys
        .submit(&exec_body(
            dev,
            json!({"command": ["show version"], "parsing": {"name": "textfsm", "use_ntc_template": true}}),
        ))
        .await;
    let job = sys.wait_ended(&id, WAIT).await;
    assert_eq!(job["status"], "finished", "{job}");
    assert_eq!(
        job["result"]["retval"]["show version"],
        json!([{"hostname": host, "uptime": uptime}]),
        "{job}"
    );

    // An inline template on a single command: retval is the records.
    let tpl = "Value HOST (\\S+)\n\nStart\n  ^${HOST}\\s+uptime -> Record\n";
    let id = sys
        .submit(&exec_body(
            dev,
            json!({"command": "show version", "parsing": {"name": "textfsm", "template": tpl}}),
        ))
        .await;
    let job = sys.wait_ended(&id, WAIT).await;
    assert_eq!(job["result"]["retval"], json!([{"HOST": host}]), "{job}");

    // The template's Error action fails the job as ParseError naming the template line.
    let tpl = "Value HOST (\\S+)\n\nStart\n  ^${HOST}\\s+uptime -> Error \"no uptime wanted\"\n";
    let id =
        sys.submit(&exec_body(dev, json!({"command": "show version", "parsing": {"template": tpl}}))).await;
    let job = sys.wait_ended(&id, WAIT).await;
    assert_eq!(job["status"], "failed", "{job}");
    assert_eq!(job["result"]["error"]["type"], "ParseError", "{job}");
    let msg = job["result"]["error"]["message"].as_str().unwrap();
    assert!(msg.contains("line 4") && msg.contains("no uptime wanted"), "{msg}");

    // Refused at submit: no template for the command, parsing on a config job, unknown parser.
    let (status, v) = sys
        .post(
            "/device/exec",
            &exec_body(dev, json!({"command": "show clock", "parsing": {"use_ntc_template": true}})),
        )
        .await;
    assert_eq!(status, 422, "{v}");
    assert!(v.to_string().contains("show clock"), "{v}");
    let (status, _) = sys
        .post(
            "/device/exec",
            &exec_body(dev, json!({"config": ["hostname x"], "parsing": {"template": tpl}})),
        )
        .await;
    assert_eq!(status, 422);
    let (status, v) = sys
        .post(
            "/device/exec",
            &exec_body(dev, json!({"command": "show version", "parsing": {"name": "ttp", "template": tpl}})),
        )
        .await;
    assert_eq!(status, 422, "{v}");
    assert!(v.to_string().contains("textfsm"), "{v}");

    // Rendering: `config` as the context, rendered before it is sent; the device shows it.
    let body = exec_body(
        dev,
        json!({
            "config": {"desc": "rendered-by-np"},
            "rendering": {"name": "jinja2", "template": "interface Loopback7\n description {{ desc }}\n"},
        }),
    );
    let id = sys.submit(&body).await;
    let job = sys.wait_ended(&id, WAIT).await;
    assert_eq!(job["status"], "finished", "{job}");
    assert!(dev.running_config().contains("description rendered-by-np"), "{}", dev.running_config());
    // An undefined variable is refused at submit, nothing is sent.
    let body =
        exec_body(dev, json!({"config": {"dsc": "x"}, "rendering": {"template": "description {{ desc }}"}}));
    let (status, v) = sys.post("/device/exec", &body).await;
    assert_eq!(status, 422, "{v}");
    assert!(v.to_string().contains("undefined"), "{v}");
    sys.stop().await;
    std::fs::remove_dir_all(dir).ok();
}
