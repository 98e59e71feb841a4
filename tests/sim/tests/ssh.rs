//! End-to-end checks over real SSH: a russh client logs in to an in-process fleet, drives the
//! IOS shell through a PTY, and compares what comes back with the device's own accounts.

mod common;

use std::net::Ipv4Addr;
use std::time::Duration;

use common::{PATIENCE, Shell, connect};
use netpulse_sim::{Faults, Fleet, SimConfig};
use russh::ChannelMsg;

fn config(count: usize, faults: Faults) -> SimConfig {
    SimConfig { count, listen: Ipv4Addr::LOCALHOST, port: 0, faults, ..SimConfig::default() }
}

#[tokio::test]
async fn login_enable_and_show_version_over_ssh() -> anyhow::Result<()> {
    let fleet = Fleet::start(config(2, Faults::default())).await?;
    let [r1, r2] = fleet.devices() else { panic!("expected 2 devices") };
    assert_eq!(r1.hostname(), "R1");
    assert_eq!(r2.hostname(), "R2");
    assert_eq!(r1.addr().ip(), Ipv4Addr::new(127, 0, 0, 1));
    assert_eq!(r2.addr().ip(), Ipv4Addr::new(127, 0, 0, 2));
    assert_ne!(r1.addr().port(), 0);

    let (mut shell, greeting) = Shell::open(r1.addr(), ">").await?;
    assert!(greeting.ends_with("\r\nR1>"), "{greeting:?}");
    assert_eq!(shell.run("enable", "Password: ").await?, "enable\r\nPassword: ");
    // the secret is not echoed
    assert_eq!(shell.run("enable", "R1#").await?, "\r\nR1#");
    assert_eq!(shell.run("terminal length 0", "R1#").await?, "terminal length 0\r\nR1#");
    let got = shell.run("show version", "\r\nR1#").await?;

    let expected = r1.canned_output("show version").expect("show version exists");
    assert!(expected.lines().count() > 24, "long enough to page");
    assert_eq!(got, format!("show version\r\n{}\r\nR1#", expected.replace('\n', "\r\n")));
    // what a driver would extract: no echo, no prompt, \n endings
    let output = got
        .strip_prefix("show version\r\n")
        .and_then(|s| s.strip_suffix("R1#"))
        .unwrap()
        .replace("\r\n", "\n");
    assert_eq!(output.strip_suffix('\n'), Some(expected.as_str()));

    assert_eq!(r1.logins(), 1);
    assert_eq!(r1.commands(), 3);
    assert_eq!(r2.logins(), 0);
    fleet.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn paging_errors_and_config_over_ssh() -> anyhow::Result<()> {
    let fleet = Fleet::start(config(1, Faults::default())).await?;
    let r1 = &fleet.devices()[0];
    let (mut shell, _) = Shell::open(r1.addr(), ">").await?;
    // paging is on by default: 23 lines then --More--
    let page = shell.run("show version", " --More-- ").await?;
    assert_eq!(page.matches("\r\n").count(), 24, "echo + 23 lines: {page:?}");
    shell.send("q").await?;
    let rest = shell.read_until("R1>").await?;
    assert!(rest.starts_with('\x08'), "{rest:?}");

    let bad = shell.run("show versoin", "R1>").await?;
    assert_eq!(bad, "show versoin\r\n        ^\r\n% Invalid input detected at '^' marker.\r\n\r\nR1>");
    shell.run("en", "Password: ").await?;
    shell.run("enable", "R1#").await?;
    shell.run("conf t", "R1(config)#").await?;
    shell.run("interface Loopback7", "R1(config-if)#").await?;
    shell.run("description added over ssh", "R1(config-if)#").await?;
    shell.run("end", "R1#").await?;
    assert!(r1.running_config().contains("\ninterface Loopback7\n description added over ssh\n!\n"));
    shell.run("terminal length 0", "R1#").await?;
    let run = shell.run("show running-config", "\r\nR1#").await?;
    assert!(run.contains(&r1.running_config().replace('\n', "\r\n")));
    assert_eq!(r1.canned_output("show run"), Some(r1.running_config()));
    fleet.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn wrong_password_and_refused_login() -> anyhow::Result<()> {
    let fleet = Fleet::start(config(1, Faults::default())).await?;
    let r1 = &fleet.devices()[0];
    let (_session, ok) = connect(r1.addr(), "wrong").await?;
    assert!(!ok);
    assert_eq!(r1.logins(), 0);

    let refusing = Fleet::start(config(1, Faults { refuse_login: true, ..Faults::default() })).await?;
    let (_session, ok) = connect(refusing.devices()[0].addr(), "admin").await?;
    assert!(!ok);
    assert_eq!(refusing.devices()[0].logins(), 0);
    Ok(())
}

#[tokio::test]
async fn drop_and_hang_faults() -> anyhow::Result<()> {
    let fleet = Fleet::start(config(1, Faults { drop_after_commands: Some(1), ..Faults::default() })).await?;
    let r1 = &fleet.devices()[0];
    let (mut shell, _) = Shell::open(r1.addr(), ">").await?;
    shell.run("show clock", "R1>").await?;
    let err = shell.run("show clock", "R1>").await.unwrap_err();
    assert!(err.to_string().contains("closed"), "{err}");
    assert_eq!(r1.commands(), 2);
    // a new connection gets its own budget
    let (mut shell, _) = Shell::open(r1.addr(), ">").await?;
    shell.run("show clock", "R1>").await?;
    assert_eq!(r1.logins(), 2);

    let fleet = Fleet::start(config(1, Faults { hang_after_commands: Some(1), ..Faults::default() })).await?;
    let r1 = &fleet.devices()[0];
    let (mut shell, _) = Shell::open(r1.addr(), ">").await?;
    shell.run("show clock", "R1>").await?;
    shell.send("show clock\n").await?;
    // Nothing at all may come back: wait a little for the absence of data.
    let silent = tokio::time::timeout(Duration::from_millis(300), shell.channel.wait()).await;
    assert!(silent.is_err(), "device answered: {silent:?}");
    assert_eq!(r1.commands(), 2);
    Ok(())
}

#[tokio::test]
async fn exec_request_and_latency() -> anyhow::Result<()> {
    let fleet =
        Fleet::start(SimConfig { latency: Duration::from_millis(100), ..config(1, Faults::default()) })
            .await?;
    let r1 = &fleet.devices()[0];
    let (session, ok) = connect(r1.addr(), "admin").await?;
    assert!(ok);
    let mut channel = session.channel_open_session().await?;
    let started = std::time::Instant::now();
    channel.exec(true, "show clock").await?;
    let mut got = Vec::new();
    let mut status = None;
    tokio::time::timeout(PATIENCE, async {
        while let Some(msg) = channel.wait().await {
            match msg {
                ChannelMsg::Data { data } => got.extend_from_slice(&data),
                ChannelMsg::ExitStatus { exit_status } => status = Some(exit_status),
                _ => {}
            }
        }
    })
    .await?;
    assert!(started.elapsed() >= Duration::from_millis(100));
    assert_eq!(status, Some(0));
    let expected = r1.canned_output("show clock").unwrap();
    assert_eq!(String::from_utf8(got)?, format!("{expected}\r\n"));
    assert_eq!(r1.commands(), 1);
    Ok(())
}

/// The ntc-templates corpus kept beside the repository, when this checkout has it.
fn shared_corpus() -> Option<std::path::PathBuf> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus/ntc-templates");
    dir.join("tests/cisco_ios").is_dir().then_some(dir)
}

#[tokio::test]
async fn corpus_outputs_over_ssh() -> anyhow::Result<()> {
    let Some(corpus) = shared_corpus() else {
        eprintln!("no shared corpus beside the repository: checking built-ins only");
        return Ok(());
    };
    let raw = std::fs::read_to_string(
        corpus.join("tests/cisco_ios/show_ip_interface_brief/cisco_ios_show_ip_interface_brief.raw"),
    )?;
    let fleet =
        Fleet::start(SimConfig { corpus: Some(corpus.clone()), ..config(1, Faults::default()) }).await?;
    let r1 = &fleet.devices()[0];
    assert_eq!(
        r1.canned_output("show ip interface brief").as_deref(),
        Some(raw.replace("\r\n", "\n").trim_end())
    );
    // every corpus command answers, and "sh int" stays unambiguous
    for entry in std::fs::read_dir(corpus.join("tests/cisco_ios"))? {
        let command = entry?.file_name().to_string_lossy().replace('_', " ");
        assert!(r1.canned_output(&command).is_some(), "{command}");
    }
    assert!(r1.canned_output("sh int").is_some());

    let (mut shell, _) = Shell::open(r1.addr(), ">").await?;
    shell.run("terminal length 0", "R1>").await?;
    for command in ["show version", "sh ip int br", "show inventory", "sh int"] {
        let got = shell.run(command, "\r\nR1>").await?;
        let expected = r1.canned_output(command).unwrap().replace('\n', "\r\n");
        assert_eq!(got, format!("{command}\r\n{expected}\r\nR1>"));
    }
    Ok(())
}
