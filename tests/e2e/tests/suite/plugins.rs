//! The plugin platform: loading problems are reported and skipped, misbehaving
//! plugins fail only their job, hot reload takes effect for the next job, plugins
//! built for an older contract version keep working.

use std::time::{Duration, Instant};

use netpulse::plugin::{Contract, Plugins, SandboxLimits, WIT_VERSION};
use netpulse_e2e::{TestSystem, built_plugin, exec_body, ios_fleet, temp_dir};
use serde_json::{Value, json};

const WAIT: Duration = Duration::from_secs(30);

#[test]
fn bad_files_are_reported_and_skipped_and_the_rest_load() {
    let dir = temp_dir("plugins-bad");
    std::fs::copy(built_plugin("misbehave"), dir.join("a-misbehave.wasm")).unwrap();
    std::fs::copy(built_plugin("misbehave"), dir.join("b-misbehave-again.wasm")).unwrap();
    std::fs::copy(built_plugin("wrong_version"), dir.join("future.wasm")).unwrap();
    std::fs::write(dir.join("garbage.wasm"), b"\0asm this is not a component at all").unwrap();
    let (plugins, problems) =
        Plugins::load(netpulse::builtin::BUILTIN_PLUGINS, Some(&dir), SandboxLimits::default(), None)
            .unwrap();
    let about = |file: &str| {
        problems
            .iter()
            .find(|p| p.file.ends_with(file))
            .unwrap_or_else(|| panic!("no problem for {file}: {problems:?}"))
    };
    let dup = about("b-misbehave-again.wasm");
    assert!(dup.reason.contains("a-misbehave.wasm") && dup.reason.contains("misbehave"), "{dup:?}");
    // Built for netpulse:plugin@0.3.0: refused, naming its version and the host's.
    let future = about("future.wasm");
    assert!(future.reason.contains("@0.3.0") && future.reason.contains("@0.2.0"), "{future:?}");
    assert!(future.reason.contains("0.1.0") && future.reason.contains("rebuild"), "{future:?}");
    let garbage = about("garbage.wasm");
    assert!(garbage.reason.contains("not a usable WebAssembly component"), "{garbage:?}");
    assert_eq!(problems.len(), 3, "{problems:?}");
    // The good ones are in service.
    assert!(plugins.driver_for("cisco_ios").is_some());
    assert!(plugins.driver_for("misbehave").unwrap().file.ends_with("a-misbehave.wasm"));
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn compiled_plugins_are_cached_on_disk() {
    let cache = temp_dir("plugin-cache");
    let t = Instant::now();
    Plugins::load(netpulse::builtin::BUILTIN_PLUGINS, None, SandboxLimits::default(), Some(&cache)).unwrap();
    let cold = t.elapsed();
    let entries: Vec<_> = std::fs::read_dir(&cache).unwrap().flatten().map(|e| e.file_name()).collect();
    assert_eq!(entries.len(), netpulse::builtin::BUILTIN_PLUGINS.len(), "{entries:?}");
    let t = Instant::now();
    let (p, problems) =
        Plugins::load(netpulse::builtin::BUILTIN_PLUGINS, None, SandboxLimits::default(), Some(&cache))
            .unwrap();
    println!("plugin load: cold {cold:?}, from cache {:?}", t.elapsed());
    assert!(problems.is_empty() && p.driver_for("cisco_ios").is_some());
    std::fs::remove_dir_all(cache).ok();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn misbehaving_plugin_fails_only_its_job() {
    let dir = temp_dir("plugins-misbehave");
    std::fs::copy(built_plugin("misbehave"), dir.join("misbehave.wasm")).unwrap();
    let fleet = ios_fleet(2, |c| c.listen = "127.0.6.1".parse().unwrap()).await;
    let (dev, other) = (&fleet.devices()[0], &fleet.devices()[1]);
    let sys = TestSystem::start_with(|s| {
        s.plugins_dir = Some(dir.clone());
        s.plugins.deadline_s = 1.0;
        s.plugins.memory_mib = 16;
    })
    .await;
    let job = |command: &str| {
        let mut b = exec_body(dev, json!({"command": command}));
        b["connection_args"]["device_type"] = json!("misbehave");
        b
    };
    for (command, said) in [
        ("loop", "CPU deadline of 1.0 s"),
        ("bomb", "memory past the cap of 16 MiB"),
        ("trap", "trapped"),
        ("panic", "trapped"),
    ] {
        let id = sys.submit(&job(command)).await;
        let rec = sys.wait_ended(&id, WAIT).await;
        assert_eq!(rec["status"], "failed", "{rec}");
        assert_eq!(rec["result"]["error"]["type"], "PluginError", "{rec}");
        let msg = rec["result"]["error"]["message"].as_str().unwrap();
        assert!(msg.contains("plugin misbehave") && msg.contains(said), "{command}: {msg}");
        // Every other job is unaffected.
        let id = sys.submit(&exec_body(other, json!({"command": "show clock"}))).await;
        assert_eq!(sys.wait_ended(&id, WAIT).await["status"], "finished");
    }
    // The same worker and SSH session carry on after all of that.
    let id = sys.submit(&job("show clock")).await;
    let rec = sys.wait_ended(&id, WAIT).await;
    assert_eq!(rec["status"], "finished", "{rec}");
    assert_eq!(dev.logins(), 1, "the SSH session must survive plugin failures");
    sys.stop().await;
    std::fs::remove_dir_all(dir).ok();
}

/// The misbehave component with its version string replaced (same length).
fn misbehave_version(version: &str) -> Vec<u8> {
    let bytes = std::fs::read(built_plugin("misbehave")).unwrap();
    let (from, to) = (b"1.0.0-aaaa".as_slice(), version.as_bytes());
    assert_eq!(from.len(), to.len());
    let at = bytes.windows(from.len()).position(|w| w == from).expect("version string in the component");
    let mut out = bytes.clone();
    out[at..at + from.len()].copy_from_slice(to);
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plugins_reload_when_the_folder_changes() {
    let dir = temp_dir("plugins-reload");
    let fleet = ios_fleet(1, |_| {}).await;
    let dev = &fleet.devices()[0];
    let sys = TestSystem::start_with(|s| s.plugins_dir = Some(dir.clone())).await;
    let mut body = exec_body(dev, json!({"command": "plugin-version"}));
    body["connection_args"]["device_type"] = json!("misbehave");
    let (s, _) = sys.post("/device/exec", &body).await;
    assert_eq!(s, 422, "no plugin serves misbehave yet");

    std::fs::write(dir.join("driver.wasm"), misbehave_version("1.0.0-aaaa")).unwrap();
    let version_of_next_job = || async {
        let start = Instant::now();
        loop {
            let (s, v) = sys.post("/device/exec", &body).await;
            if s == 201 {
                let job = sys.wait_ended(v["data"]["id"].as_str().unwrap(), WAIT).await;
                return job["result"]["retval"].clone();
            }
            assert!(start.elapsed() < WAIT, "plugin never became available: {v}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    };
    assert_eq!(version_of_next_job().await, json!("1.0.0-aaaa"));

    // Replace the file: the next job runs the new version.
    std::fs::write(dir.join("driver.wasm"), misbehave_version("2.0.0-bbbb")).unwrap();
    let start = Instant::now();
    loop {
        let v = version_of_next_job().await;
        if v == json!("2.0.0-bbbb") {
            break;
        }
        assert_eq!(v, json!("1.0.0-aaaa"));
        assert!(start.elapsed() < WAIT, "the new version was never used");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // Remove it: jobs for that device type now fail with a clear error.
    std::fs::remove_file(dir.join("driver.wasm")).unwrap();
    let start = Instant::now();
    loop {
        let id = sys.submit(&body).await;
        let job = sys.wait_ended(&id, WAIT).await;
        if job["status"] == "failed" {
            assert_eq!(job["result"]["error"]["type"], "PluginError");
            assert!(job["result"]["error"]["message"].as_str().unwrap().contains("misbehave"), "{job}");
            break;
        }
        assert!(start.elapsed() < WAIT, "removal never took effect: {job}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let _: Value = Value::Null;
    sys.stop().await;
    std::fs::remove_dir_all(dir).ok();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_parser_dropped_into_the_folder_is_served_by_the_api_and_used_by_jobs() {
    let dir = temp_dir("parser-reload");
    let fleet = ios_fleet(1, |_| {}).await;
    let dev = &fleet.devices()[0];
    let sys = TestSystem::start_with(|s| s.plugins_dir = Some(dir.clone())).await;
    let template = "Value X (.*)\n\nStart\n  ^${X}\n";
    let request = json!({"template": template, "context": "show me"});
    let (s, v) = sys.post("/template/parse/upper", &request).await;
    assert_eq!(s, 404, "{v}");
    assert!(v["message"].as_str().unwrap().contains("textfsm"), "names the parsers there are: {v}");

    std::fs::copy(built_plugin("upper_parser"), dir.join("upper.wasm")).unwrap();
    let start = Instant::now();
    let v = loop {
        let (s, v) = sys.post("/template/parse/upper", &request).await;
        if s == 200 {
            break v;
        }
        assert!(start.elapsed() < WAIT, "the API never served the new parser: {v}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(v["data"], json!([{"text": "SHOW ME"}]));
    // A job may name it now, and its node runs it.
    let body =
        exec_body(dev, json!({"command": "show clock", "parsing": {"name": "upper", "template": template}}));
    let id = sys.submit(&body).await;
    let job = sys.wait_ended(&id, WAIT).await;
    assert_eq!(job["status"], "finished", "{job}");
    assert!(job["result"]["retval"].to_string().contains("\"text\""), "{job}");
    sys.stop().await;
    std::fs::remove_dir_all(dir).ok();
}

/// The released `cisco_ios` driver as built against `netpulse:plugin@0.1.0` (see
/// `tests/e2e/fixtures/README.md`).
const IOS_WIT_0_1: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/cisco_ios-wit-0.1.0.wasm");

#[test]
fn a_driver_built_for_wit_0_1_loads_as_such_beside_current_ones() {
    let dir = temp_dir("plugins-wit-0.1");
    std::fs::copy(IOS_WIT_0_1, dir.join("cisco_ios-wit-0.1.0.wasm")).unwrap();
    let (plugins, problems) =
        Plugins::load(netpulse::builtin::BUILTIN_PLUGINS, Some(&dir), SandboxLimits::default(), None)
            .unwrap();
    assert!(problems.is_empty(), "{problems:?}");
    let old = plugins.driver_for("cisco_ios").unwrap();
    assert!(
        old.file.ends_with("cisco_ios-wit-0.1.0.wasm"),
        "the folder plugin replaces the built-in: {}",
        old.file
    );
    assert_eq!(old.contract, Contract::V0_1);
    assert_eq!(old.contract.version().to_string(), "0.1.0");
    assert_eq!(old.meta.wit_version, "0.1.0");
    assert_eq!(old.meta.platforms, ["cisco_ios", "cisco_xe"]);
    // The built-ins are of the current contract.
    let nxos = plugins.driver_for("cisco_nxos").unwrap();
    assert_eq!((nxos.contract, nxos.contract.version()), (Contract::LATEST, WIT_VERSION));
    assert_eq!(nxos.meta.wit_version, WIT_VERSION.to_string());
    // And `plugin check` accepts it.
    let meta =
        netpulse::plugin::check_file(std::path::Path::new(IOS_WIT_0_1), SandboxLimits::default()).unwrap();
    assert_eq!((meta.name.as_str(), meta.wit_version.as_str()), ("cisco_ios", "0.1.0"));
    std::fs::remove_dir_all(dir).ok();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_driver_built_for_wit_0_1_runs_commands_and_config() {
    let dir = temp_dir("plugins-wit-0.1-run");
    std::fs::copy(IOS_WIT_0_1, dir.join("cisco_ios-wit-0.1.0.wasm")).unwrap();
    let fleet = ios_fleet(1, |_| {}).await;
    let dev = &fleet.devices()[0];
    let sys = TestSystem::start_with(|s| s.plugins_dir = Some(dir.clone())).await;
    // A vendor driver_arg goes into command-options.extra of 0.2; 0.1 has none, it
    // is left out and the command runs as before.
    let body = exec_body(dev, json!({"command": "show version", "driver_args": {"confirm": true}}));
    let job = sys.wait_ended(&sys.submit(&body).await, WAIT).await;
    assert_eq!(job["status"], "finished", "{job}");
    let out = job["result"]["retval"].as_str().unwrap();
    assert!(out.contains("Cisco") && !out.starts_with("show version"), "{out}");
    // Configuration (config-options and config-reply through the 0.1 shapes).
    let body = exec_body(dev, json!({"config": ["interface Loopback9", "description np-wit-0.1"]}));
    let job = sys.wait_ended(&sys.submit(&body).await, WAIT).await;
    assert_eq!(job["status"], "finished", "{job}");
    assert!(dev.running_config().contains(" description np-wit-0.1"), "{}", dev.running_config());
    // A device error still comes back as the 0.1 driver reported it.
    let job = sys
        .wait_ended(&sys.submit(&exec_body(dev, json!({"command": "show bogus thing"}))).await, WAIT)
        .await;
    assert_eq!(job["result"]["error"]["type"], "CommandRejected", "{job}");
    sys.stop().await;
    std::fs::remove_dir_all(dir).ok();
}
