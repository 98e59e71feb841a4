//! Every driver against devices that behave like real ones rather than like our
//! simulator's defaults: escape sequences and redraws around prompts, banners with
//! prompt-like lines, sessions that start unprivileged, refused setup commands, a
//! configuration mode that cannot be entered, Junos context lines, dash and zsh
//! accounts, stray pagers and commands that ask questions. Each case is one of the
//! simulator's realism options (`netpulse_sim::Quirks`).

use std::time::{Duration, Instant};

use netpulse_e2e::{TestSystem, as_driver_gives, device_body as body, ios_fleet};
use netpulse_sim::{Fleet, Platform, Quirks, ShellKind, StrayPager};
use serde_json::{Value, json};

const WAIT: Duration = Duration::from_secs(60);

/// (platform, show command, configuration lines, what the running config then shows, its command).
const PLATFORMS: &[(&str, &str, &[&str], &str, &str)] = &[
    (
        "cisco_ios",
        "show version",
        &["interface Loopback9", "description np-real"],
        "np-real",
        "show running-config",
    ),
    (
        "cisco_nxos",
        "show version",
        &["interface loopback9", "description np-real"],
        "np-real",
        "show running-config",
    ),
    (
        "cisco_xr",
        "show version",
        &["interface Loopback9", "description np-real"],
        "np-real",
        "show running-config",
    ),
    (
        "juniper_junos",
        "show version",
        &["set interfaces lo0 description np-real"],
        "np-real",
        "show configuration",
    ),
    (
        "arista_eos",
        "show version",
        &["interface Loopback9", "description np-real"],
        "np-real",
        "show running-config",
    ),
    (
        "huawei_vrp",
        "display version",
        &["interface LoopBack9", "description np-real"],
        "np-real",
        "display current-configuration",
    ),
    ("linux", "uname -a", &["touch np-real"], "np-real", "ls"),
];

fn norm(s: &str) -> String {
    s.replace("\r\n", "\n").trim_end().to_string()
}

async fn fleet(platform: &str, listen: &str, quirks: Quirks) -> Fleet {
    let p: Platform = platform.parse().expect("simulator knows the platform");
    ios_fleet(1, |c| {
        c.platform = p;
        c.listen = listen.parse().unwrap();
        c.quirks = quirks;
    })
    .await
}

async fn run(sys: &TestSystem, body: Value) -> Value {
    let id = sys.submit(&body).await;
    sys.wait_ended(&id, WAIT).await
}

fn error(job: &Value) -> (&str, &str) {
    (
        job["result"]["error"]["type"].as_str().unwrap_or_default(),
        job["result"]["error"]["message"].as_str().unwrap_or_default(),
    )
}

/// A show command whose output equals the device's, and a configuration change
/// that lands, on device `dev`.
async fn show_and_configure(
    sys: &TestSystem,
    dev: &netpulse_sim::Device,
    case: &(&str, &str, &[&str], &str, &str),
) {
    let (p, show, config, expect, running) = *case;
    let job = run(sys, body(dev, p, json!({"command": show}))).await;
    assert_eq!(job["status"], "finished", "{p}: {job}");
    let expected = as_driver_gives(p, &dev.canned_output(show).unwrap());
    assert_eq!(norm(job["result"]["retval"].as_str().unwrap()), norm(&expected), "{p}: {show}");
    let job = run(sys, body(dev, p, json!({"config": config}))).await;
    assert_eq!(job["status"], "finished", "{p}: {job}");
    let job = run(sys, body(dev, p, json!({"command": running}))).await;
    let out = job["result"]["retval"].as_str().unwrap_or_default();
    assert!(out.contains(expect), "{p}: {running} lacks {expect}: {job}");
    assert!(!out.contains('\x1b'), "{p}: escape sequences reached the output: {out:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_driver_reads_through_escapes_redraws_banners_and_context_lines() {
    let sys = TestSystem::start().await;
    let quirks = Quirks {
        bracketed_paste: true,
        ansi_prompt: true,
        banner_prompts: true,
        context_lines: true,
        ..Quirks::default()
    };
    for (i, case) in PLATFORMS.iter().enumerate() {
        let f = fleet(case.0, &format!("127.0.21.{}", i + 1), quirks.clone()).await;
        show_and_configure(&sys, &f.devices()[0], case).await;
        assert_eq!(f.devices()[0].logins(), 1, "{}: one session for all jobs", case.0);
    }
    sys.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn linux_accounts_with_dash_zsh_or_root_prompts_work_and_report_exit_status() {
    let sys = TestSystem::start().await;
    let accounts = [
        (ShellKind::Dash, "admin", "sh: 1: frobnicate: not found"),
        (ShellKind::Zsh, "admin", "zsh: command not found: frobnicate"),
        (ShellKind::Bash, "root", "bash: frobnicate: command not found"),
        (ShellKind::Dash, "root", "sh: 1: frobnicate: not found"),
    ];
    for (i, (shell, user, error_words)) in accounts.into_iter().enumerate() {
        let f = ios_fleet(1, |c| {
            c.platform = Platform::Linux;
            c.listen = format!("127.0.22.{}", i + 1).parse().unwrap();
            c.quirks = Quirks { shell, bracketed_paste: true, ..Quirks::default() };
            c.username = user.into();
        })
        .await;
        let dev = &f.devices()[0];
        let mut b = body(dev, "linux", json!({"command": "frobnicate"}));
        b["connection_args"]["username"] = json!(user);
        let job = run(&sys, b.clone()).await;
        assert_eq!(error(&job).0, "CommandRejected", "{shell:?}/{user}: {job}");
        assert!(error(&job).1.contains(error_words), "{shell:?}/{user}: {job}");

        // A failing command: its output without check_exit_status, its status with it.
        b["command"] = json!("ls nothing-here");
        let job = run(&sys, b.clone()).await;
        assert_eq!(job["status"], "finished", "{shell:?}/{user}: {job}");
        b["driver_args"] = json!({"check_exit_status": true});
        let job = run(&sys, b.clone()).await;
        assert_eq!(error(&job).0, "CommandRejected", "{shell:?}/{user}: {job}");
        assert!(error(&job).1.contains("exited with status 2"), "{shell:?}/{user}: {job}");
        b["command"] = json!("uname -a");
        let job = run(&sys, b.clone()).await;
        assert_eq!(job["status"], "finished", "{shell:?}/{user}: {job}");
        assert_eq!(
            norm(job["result"]["retval"].as_str().unwrap()),
            norm(&dev.canned_output("uname -a").unwrap())
        );
        assert_eq!(dev.logins(), 1);
    }
    sys.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sessions_that_start_unprivileged_enter_enable_on_every_cisco_like_platform() {
    let sys = TestSystem::start().await;
    let quirks = Quirks { start_unprivileged: true, ..Quirks::default() };
    for (i, case) in PLATFORMS
        .iter()
        .filter(|c| ["cisco_nxos", "cisco_xr", "cisco_ios", "arista_eos"].contains(&c.0))
        .enumerate()
    {
        let p = case.0;
        let f = fleet(p, &format!("127.0.23.{}", i + 1), quirks.clone()).await;
        let dev = &f.devices()[0];
        show_and_configure(&sys, dev, case).await;

        // A wrong secret is an authentication error, at once.
        let mut b = body(dev, p, json!({"command": case.1, "queue_strategy": "fifo"}));
        b["connection_args"]["secret"] = json!("wrong");
        let started = Instant::now();
        let job = run(&sys, b).await;
        assert_eq!(error(&job).0, "AuthenticationError", "{p}: {job}");
        assert!(error(&job).1.contains("enable secret was refused"), "{p}: {job}");
        assert!(started.elapsed() < Duration::from_secs(8), "{p}: took {:?}", started.elapsed());
    }
    sys.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_setup_commands_do_not_stop_the_session() {
    let sys = TestSystem::start().await;
    let refuse = |lines: &[&str]| Quirks {
        refuse_setup: lines.iter().map(|s| s.to_string()).collect(),
        ..Quirks::default()
    };
    let cases = [
        ("arista_eos", refuse(&["terminal width 511", "terminal width 32767"])),
        // Paging cannot be turned off: the pager is answered instead.
        ("cisco_ios", refuse(&["terminal length 0", "terminal width 511"])),
        ("juniper_junos", refuse(&["set cli screen-width 511", "set cli complete-on-space off"])),
        ("huawei_vrp", refuse(&["screen-length 0 temporary"])),
    ];
    for (i, (p, quirks)) in cases.into_iter().enumerate() {
        let case = PLATFORMS.iter().find(|c| c.0 == p).unwrap();
        let f = fleet(p, &format!("127.0.24.{}", i + 1), quirks).await;
        show_and_configure(&sys, &f.devices()[0], case).await;
    }
    sys.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn config_jobs_fail_when_the_device_does_not_enter_configuration_mode() {
    let sys = TestSystem::start().await;
    let quirks = Quirks { refuse_config_mode: true, ..Quirks::default() };
    for (i, case) in PLATFORMS.iter().filter(|c| c.0 != "linux").enumerate() {
        let (p, show, config, expect, _) = *case;
        let f = fleet(p, &format!("127.0.25.{}", i + 1), quirks.clone()).await;
        let dev = &f.devices()[0];
        let job = run(&sys, body(dev, p, json!({"config": config}))).await;
        let (kind, message) = error(&job);
        assert_eq!(kind, "CommandRejected", "{p}: {job}");
        assert!(message.contains("configuration mode was not entered"), "{p}: {message}");
        assert!(message.contains("netops") || message.contains("busy"), "{p}: the device's words: {message}");
        assert!(!dev.running_config().contains(expect), "{p}: applied anyway");
        // The session is still usable.
        let job = run(&sys, body(dev, p, json!({"command": show}))).await;
        assert_eq!(job["status"], "finished", "{p}: {job}");
    }
    sys.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pagers_that_appear_with_paging_off_are_answered() {
    let sys = TestSystem::start().await;
    let pagers = [StrayPager::More, StrayPager::Dashes, StrayPager::AnyKey];
    let mut n = 0;
    for p in ["cisco_ios", "linux", "huawei_vrp"] {
        // A configuration long enough to page, then the command that shows it.
        let (config, show): (Vec<String>, &str) = match p {
            "cisco_ios" => (
                (0..20)
                    .flat_map(|i| [format!("interface Loopback{i}"), format!("description np-{i}")])
                    .collect(),
                "show running-config",
            ),
            "linux" => ((0..40).map(|i| format!("echo line-{i} >> long.txt")).collect(), "cat long.txt"),
            _ => (
                (0..20)
                    .flat_map(|i| [format!("interface LoopBack{i}"), format!("description np-{i}")])
                    .collect(),
                "display current-configuration",
            ),
        };
        for pager in pagers {
            n += 1;
            let f =
                fleet(p, &format!("127.0.26.{n}"), Quirks { stray_pager: Some(pager), ..Quirks::default() })
                    .await;
            let dev = &f.devices()[0];
            let job = run(&sys, body(dev, p, json!({"config": config}))).await;
            assert_eq!(job["status"], "finished", "{p} behind {pager:?}: {job}");
            let expected = dev.canned_output(show).unwrap();
            assert!(expected.lines().count() > 30, "{p}: {show} must be longer than a page");
            let job = run(&sys, body(dev, p, json!({"command": show}))).await;
            assert_eq!(job["status"], "finished", "{p} behind {pager:?}: {job}");
            assert_eq!(
                norm(job["result"]["retval"].as_str().unwrap()),
                norm(&expected),
                "{p} behind {pager:?}"
            );
        }
    }
    sys.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn questions_are_answered_only_when_the_job_asks_for_it() {
    let sys = TestSystem::start().await;
    let quirks = Quirks {
        ask: vec![
            ("clear counters".into(), "Clear \"show interface\" counters on all interfaces [confirm]".into()),
            ("copy running-config startup-config".into(), "Destination filename [startup-config]? ".into()),
            ("delete flash:old.bin".into(), "Delete flash:old.bin? [y/n]: ".into()),
        ],
        ..Quirks::default()
    };
    let f = fleet("cisco_ios", "127.0.27.1", quirks).await;
    let dev = &f.devices()[0];
    for command in ["clear counters", "copy running-config startup-config", "delete flash:old.bin"] {
        let started = Instant::now();
        let job = run(&sys, body(dev, "cisco_ios", json!({"command": command}))).await;
        let (kind, message) = error(&job);
        assert_eq!(kind, "CommandRejected", "{command}: {job}");
        assert!(message.contains("driver_args.confirm"), "{command}: {message}");
        assert!(started.elapsed() < Duration::from_secs(8), "{command}: took {:?}", started.elapsed());
        // Cancelled: the session goes on.
        let job = run(&sys, body(dev, "cisco_ios", json!({"command": "show version"}))).await;
        assert_eq!(job["status"], "finished", "after {command}: {job}");
        let job =
            run(&sys, body(dev, "cisco_ios", json!({"command": command, "driver_args": {"confirm": true}})))
                .await;
        assert_eq!(job["status"], "finished", "{command} with confirm: {job}");
    }
    assert_eq!(dev.logins(), 1);
    sys.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_prompt_that_never_comes_fails_saying_what_was_expected_and_what_came() {
    let sys = TestSystem::start().await;
    // An IOS driver on a Linux host: its prompt never matches.
    let f = fleet("linux", "127.0.28.1", Quirks { bracketed_paste: true, ..Quirks::default() }).await;
    let dev = &f.devices()[0];
    let started = Instant::now();
    let job = run(
        &sys,
        body(dev, "cisco_ios", json!({"command": "show version", "driver_args": {"read_timeout": 3}})),
    )
    .await;
    let (kind, message) = error(&job);
    assert_eq!(kind, "TimeoutError", "{job}");
    assert!(message.contains("no prompt after login"), "{message}");
    assert!(message.contains("expected the last line to be a prompt"), "{message}");
    assert!(message.contains("admin@linux1:~$ "), "the raw tail: {message}");
    assert!(started.elapsed() < Duration::from_secs(20), "took {:?}", started.elapsed());
    sys.stop().await;
}
