//! Every vendor driver end to end against its simulated platform: show output,
//! paging, configuration visible afterwards (with commit semantics), errors
//! detected, and a mixed fleet of 100 devices.

use std::time::Duration;

use netpulse_e2e::{TestSystem, as_driver_gives, device_body as body, ios_fleet};
use netpulse_sim::{Fleet, Platform};
use serde_json::{Value, json};

const WAIT: Duration = Duration::from_secs(60);

struct Case {
    platform: &'static str,
    show: &'static str,
    /// Turns paging back on for the rest of the session.
    paging_on: Option<&'static str>,
    config: &'static [&'static str],
    running: &'static str,
    expect: &'static str,
    bad_command: &'static str,
    error_words: &'static str,
    bad_config: &'static str,
}

const CASES: &[Case] = &[
    Case {
        platform: "cisco_ios",
        show: "show version",
        paging_on: Some("terminal length 24"),
        config: &["interface Loopback9", "description np-e2e"],
        running: "show running-config",
        expect: "description np-e2e",
        bad_command: "show bogus thing",
        error_words: "% Invalid input",
        bad_config: "frobnicate now",
    },
    Case {
        platform: "cisco_nxos",
        show: "show version",
        paging_on: Some("terminal length 24"),
        config: &["interface loopback9", "description np-e2e"],
        running: "show running-config",
        expect: "description np-e2e",
        bad_command: "show bogus thing",
        error_words: "% Invalid",
        bad_config: "frobnicate now",
    },
    Case {
        platform: "cisco_xr",
        show: "show version",
        paging_on: Some("terminal length 24"),
        config: &["interface Loopback9", "description np-e2e"],
        running: "show running-config",
        expect: "description np-e2e",
        bad_command: "show bogus thing",
        error_words: "% Invalid input",
        bad_config: "frobnicate now",
    },
    Case {
        platform: "juniper_junos",
        show: "show version",
        paging_on: Some("set cli screen-length 24"),
        config: &["set interfaces lo0 description np-e2e"],
        running: "show configuration",
        expect: "np-e2e",
        bad_command: "show bogus thing",
        error_words: "",
        bad_config: "frobnicate now",
    },
    Case {
        platform: "arista_eos",
        show: "show version",
        paging_on: Some("terminal length 24"),
        config: &["interface Loopback9", "description np-e2e"],
        running: "show running-config",
        expect: "description np-e2e",
        bad_command: "show bogus thing",
        error_words: "% Invalid input",
        bad_config: "frobnicate now",
    },
    Case {
        platform: "huawei_vrp",
        show: "display version",
        paging_on: Some("screen-length 24 temporary"),
        config: &["interface LoopBack9", "description np-e2e"],
        running: "display current-configuration",
        expect: "description np-e2e",
        bad_command: "display bogus thing",
        error_words: "Error:",
        bad_config: "frobnicate now",
    },
    Case {
        platform: "linux",
        show: "uname -a",
        paging_on: None,
        config: &["touch np-e2e"],
        running: "ls",
        expect: "np-e2e",
        bad_command: "frobnicate",
        error_words: "command not found",
        bad_config: "false",
    },
];

fn norm(s: &str) -> String {
    s.replace("\r\n", "\n").trim_end().to_string()
}

async fn fleet_of(platform: &str, listen: &str) -> Fleet {
    let p: Platform = platform.parse().expect("simulator knows the platform");
    ios_fleet(1, |c| {
        c.platform = p;
        c.listen = listen.parse().unwrap();
    })
    .await
}

async fn run(sys: &TestSystem, body: Value) -> Value {
    let id = sys.submit(&body).await;
    sys.wait_ended(&id, WAIT).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_driver_runs_shows_pages_configures_and_detects_errors() {
    let sys = TestSystem::start().await;
    for (i, case) in CASES.iter().enumerate() {
        let fleet = fleet_of(case.platform, &format!("127.0.8.{}", i + 1)).await;
        let dev = &fleet.devices()[0];
        let p = case.platform;

        // Show command, output as the device printed it.
        let job = run(&sys, body(dev, p, json!({"command": case.show}))).await;
        assert_eq!(job["status"], "finished", "{p}: {job}");
        let canned = dev.canned_output(case.show).unwrap_or_else(|| panic!("{p}: no canned {}", case.show));
        let expected = as_driver_gives(p, &canned);
        assert_eq!(norm(job["result"]["retval"].as_str().unwrap()), norm(&expected), "{p}: {}", case.show);

        // Paging: turn it back on in the session and read a long output through the pager.
        if let Some(on) = case.paging_on {
            let job = run(&sys, body(dev, p, json!({"command": [on, case.show]}))).await;
            assert_eq!(job["status"], "finished", "{p}: {job}");
            let out = job["result"]["retval"][case.show].as_str().unwrap();
            assert_eq!(norm(out), norm(&expected), "{p}: paged output differs");
        }

        // Configuration, then visible in the running configuration.
        let job =
            run(&sys, body(dev, p, json!({"config": case.config, "driver_args": {"save": true}}))).await;
        assert_eq!(job["status"], "finished", "{p}: {job}");
        let job = run(&sys, body(dev, p, json!({"command": case.running}))).await;
        let running = job["result"]["retval"].as_str().unwrap_or_default().to_string();
        assert!(running.contains(case.expect), "{p}: {} lacks {:?}:\n{running}", case.running, case.expect);

        // A command the device refuses.
        let job = run(&sys, body(dev, p, json!({"command": case.bad_command}))).await;
        assert_eq!(job["status"], "failed", "{p}: {job}");
        assert_eq!(job["result"]["error"]["type"], "CommandRejected", "{p}: {job}");
        assert!(job["result"]["error"]["message"].as_str().unwrap().contains(case.error_words), "{p}: {job}");

        // A configuration line the device refuses; the session stays usable.
        let job = run(&sys, body(dev, p, json!({"config": [case.bad_config]}))).await;
        assert_eq!(job["result"]["error"]["type"], "CommandRejected", "{p}: {job}");
        let job = run(&sys, body(dev, p, json!({"command": case.show}))).await;
        assert_eq!(job["status"], "finished", "{p}: after a rejected config: {job}");
        assert_eq!(dev.logins(), 1, "{p}: one session for all jobs");
    }
    sys.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commit_platforms_apply_only_committed_changes() {
    let sys = TestSystem::start().await;
    // Junos `commit check` (dry run) validates without applying.
    let fleet = fleet_of("juniper_junos", "127.0.9.1").await;
    let dev = &fleet.devices()[0];
    let job = run(
        &sys,
        body(
            dev,
            "juniper_junos",
            json!({"config": ["set system host-name np-dry"], "driver_args": {"dry_run": true}}),
        ),
    )
    .await;
    assert_eq!(job["status"], "finished", "{job}");
    assert!(
        !dev.running_config().contains("np-dry"),
        "commit check must not apply:\n{}",
        dev.running_config()
    );
    let job =
        run(&sys, body(dev, "juniper_junos", json!({"config": ["set system host-name np-real"]}))).await;
    assert_eq!(job["status"], "finished", "{job}");
    assert!(dev.running_config().contains("np-real"));

    // IOS-XR commits with a comment; a rejected line leaves nothing half-applied.
    let fleet = fleet_of("cisco_xr", "127.0.9.2").await;
    let dev = &fleet.devices()[0];
    let job = run(
        &sys,
        body(
            dev,
            "cisco_xr",
            json!({"config": ["hostname np-xr"], "driver_args": {"commit_comment": "netpulse"}}),
        ),
    )
    .await;
    assert_eq!(job["status"], "finished", "{job}");
    assert!(dev.running_config().contains("np-xr"));
    let job =
        run(&sys, body(dev, "cisco_xr", json!({"config": ["interface Loopback7", "frobnicate now"]}))).await;
    assert_eq!(job["result"]["error"]["type"], "CommandRejected", "{job}");
    assert!(
        !dev.running_config().contains("Loopback7"),
        "uncommitted lines leaked:\n{}",
        dev.running_config()
    );
    sys.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mixed_fleet_of_100_devices_all_answer() {
    let platforms =
        ["cisco_ios", "cisco_nxos", "cisco_xr", "juniper_junos", "arista_eos", "huawei_vrp", "linux"];
    let shows: Vec<&str> =
        platforms.iter().map(|p| CASES.iter().find(|c| c.platform == *p).unwrap().show).collect();
    let mut cfg = netpulse_sim::SimConfig {
        listen: "127.0.10.1".parse().unwrap(),
        port: 0,
        corpus: netpulse_e2e::corpus(),
        ..Default::default()
    };
    let per = [15, 15, 14, 14, 14, 14, 14];
    cfg.fleet = platforms.iter().zip(per).map(|(p, n)| (p.parse().unwrap(), n)).collect();
    let fleet = Fleet::start(cfg).await.unwrap();
    assert_eq!(fleet.devices().len(), 100);
    let sys = TestSystem::start_with(|s| s.node.fifo_workers = 4).await;
    let mut jobs = Vec::new();
    for dev in fleet.devices() {
        let i = platforms.iter().position(|p| *p == dev.platform().to_string()).unwrap();
        let id = sys.submit(&body(dev, platforms[i], json!({"command": shows[i]}))).await;
        jobs.push((id, dev.clone(), shows[i]));
    }
    for (id, dev, show) in jobs {
        let job = sys.wait_ended(&id, WAIT).await;
        assert_eq!(job["status"], "finished", "{}: {job}", dev.platform());
        let expected = as_driver_gives(&dev.platform().to_string(), &dev.canned_output(show).unwrap());
        assert_eq!(norm(job["result"]["retval"].as_str().unwrap()), norm(&expected));
    }
    sys.stop().await;
}
