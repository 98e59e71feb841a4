//! End-to-end checks of every platform other than IOS over real SSH (PTY vt100 511x1000,
//! shell): login and prompt, paging on by default and turned off, a show command compared
//! with `canned_output`, a configuration change seen in `running_config` (after `commit` on
//! IOS XR and Junos), an error message; then a mixed fleet of all seven platforms, and the
//! corpus outputs of the platforms the ntc-templates corpus has.

mod common;

use std::net::Ipv4Addr;

use common::{Shell, crlf};
use netpulse_sim::{Fleet, Platform, SimConfig};

/// Bytes that erase a pager prompt of `len` characters.
fn erase(len: usize) -> String {
    format!("{}{}{}", "\x08".repeat(len), " ".repeat(len), "\x08".repeat(len))
}

/// One device of `platform` on an ephemeral port of 127.0.0.1, built-in outputs.
async fn one(platform: Platform) -> anyhow::Result<Fleet> {
    Fleet::start(SimConfig { platform, listen: Ipv4Addr::LOCALHOST, port: 0, ..SimConfig::default() }).await
}

/// Checks that paging is on: `command` stops after 23 lines at `more`, and `q` ends it with
/// the erased pager prompt and `prompt`.
async fn check_paging(shell: &mut Shell, command: &str, more: &str, prompt: &str) -> anyhow::Result<()> {
    let page = shell.run(command, more).await?;
    assert_eq!(page.matches("\r\n").count(), 24, "echo + 23 lines: {page:?}");
    shell.send("q").await?;
    let rest = shell.read_until(prompt).await?;
    assert!(rest.starts_with(&erase(more.len())), "{rest:?}");
    Ok(())
}

#[tokio::test]
async fn cisco_nxos_over_ssh() -> anyhow::Result<()> {
    let fleet = one(Platform::CiscoNxos).await?;
    let d = &fleet.devices()[0];
    assert_eq!((d.hostname(), d.platform()), ("nxos1", Platform::CiscoNxos));
    let (mut sh, greeting) = Shell::open(d.addr(), "nxos1#").await?;
    // logins land at `#`; the colour reset comes before the prompt after output
    assert!(greeting.ends_with("\r\n\x1b[0mnxos1#"), "{greeting:?}");
    check_paging(&mut sh, "show version", " --More-- ", "\x1b[0mnxos1#").await?;
    assert_eq!(sh.run("terminal length 0", "nxos1#").await?, "terminal length 0\r\nnxos1#");
    assert_eq!(sh.run("terminal width 511", "nxos1#").await?, "terminal width 511\r\nnxos1#");

    let expected = d.canned_output("show version").unwrap();
    assert!(expected.lines().count() > 24);
    let got = sh.run("show version", "nxos1#").await?;
    assert_eq!(got, format!("show version\r\n{}\r\n\x1b[0mnxos1#", crlf(&expected)));

    let bad = sh.run("show versoin", "nxos1#").await?;
    assert_eq!(
        bad,
        format!("show versoin\r\n{}^\r\n% Invalid command at '^' marker.\r\n\x1b[0mnxos1#", " ".repeat(11))
    );

    let entered = sh.run("configure terminal", "nxos1(config)#").await?;
    assert_eq!(
        entered,
        "configure terminal\r\nEnter configuration commands, one per line. End with CNTL/Z.\r\n\x1b[0mnxos1(config)#"
    );
    sh.run("interface Ethernet1/3", "nxos1(config-if)#").await?;
    sh.run("description set over ssh", "nxos1(config-if)#").await?;
    assert_eq!(sh.run("end", "nxos1#").await?, "end\r\nnxos1#");
    let config = d.running_config();
    assert!(config.contains("\ninterface Ethernet1/3\n  description set over ssh"), "{config}");
    let run = sh.run("show running-config", "\r\n\x1b[0mnxos1#").await?;
    assert_eq!(run, format!("show running-config\r\n{}\r\n\x1b[0mnxos1#", crlf(&config)));
    assert_eq!(
        sh.run("copy running-config startup-config", "nxos1#").await?,
        "copy running-config startup-config\r\n[########################################] 100%\r\nCopy complete.\r\n\x1b[0mnxos1#"
    );
    Ok(())
}

#[tokio::test]
async fn cisco_xr_over_ssh() -> anyhow::Result<()> {
    const EXEC: &str = "RP/0/RSP0/CPU0:xr1#";
    const CONFIG_IF: &str = "RP/0/RSP0/CPU0:xr1(config-if)#";
    let fleet = one(Platform::CiscoXr).await?;
    let d = &fleet.devices()[0];
    let (mut sh, greeting) = Shell::open(d.addr(), EXEC).await?;
    assert!(greeting.ends_with(&format!("\r\n{EXEC}")), "{greeting:?}");
    check_paging(&mut sh, "show version", " --More-- ", EXEC).await?;
    assert_eq!(sh.run("terminal length 0", EXEC).await?, format!("terminal length 0\r\n{EXEC}"));
    assert_eq!(sh.run("terminal width 512", EXEC).await?, format!("terminal width 512\r\n{EXEC}"));

    let expected = d.canned_output("show version").unwrap();
    let got = sh.run("show version", &format!("\r\n{EXEC}")).await?;
    assert_eq!(got, format!("show version\r\n{}\r\n{EXEC}", crlf(&expected)));

    let bad = sh.run("show versoin", EXEC).await?;
    let caret = " ".repeat(EXEC.len() + 5);
    assert_eq!(bad, format!("show versoin\r\n{caret}^\r\n% Invalid input detected at '^' marker.\r\n{EXEC}"));

    assert_eq!(
        sh.run("configure terminal", "(config)#").await?,
        "configure terminal\r\nRP/0/RSP0/CPU0:xr1(config)#"
    );
    sh.run("interface GigabitEthernet0/0/0/1", CONFIG_IF).await?;
    sh.run("description set over ssh", CONFIG_IF).await?;
    // candidate only: not in the running configuration before commit
    assert!(!d.running_config().contains("set over ssh"));
    let candidate = sh.run("show configuration", CONFIG_IF).await?;
    assert!(
        candidate
            .contains("\r\ninterface GigabitEthernet0/0/0/1\r\n description set over ssh\r\n!\r\nend\r\n")
    );
    assert_eq!(sh.run("commit", CONFIG_IF).await?, format!("commit\r\n{CONFIG_IF}"));
    assert!(
        d.running_config()
            .contains("\ninterface GigabitEthernet0/0/0/1\n shutdown\n description set over ssh\n!\n")
    );

    // leaving with uncommitted changes asks; `no` discards them
    sh.run("description not committed", CONFIG_IF).await?;
    let question = sh.run("end", "[cancel]:").await?;
    assert_eq!(
        question,
        "end\r\nUncommitted changes found, commit them before exiting(yes/no/cancel)? [cancel]:"
    );
    assert_eq!(sh.run("no", EXEC).await?, format!("no\r\n{EXEC}"));
    let config = d.running_config();
    assert!(config.contains("description set over ssh") && !config.contains("not committed"), "{config}");
    let run = sh.run("show running-config", &format!("\r\n{EXEC}")).await?;
    assert_eq!(run, format!("show running-config\r\n{}\r\n{EXEC}", crlf(&config)));
    Ok(())
}

#[tokio::test]
async fn juniper_junos_over_ssh() -> anyhow::Result<()> {
    const OP: &str = "admin@junos1> ";
    const EDIT: &str = "\r\n[edit]\r\nadmin@junos1# ";
    let fleet = one(Platform::JuniperJunos).await?;
    let d = &fleet.devices()[0];
    let (mut sh, greeting) = Shell::open(d.addr(), OP).await?;
    assert!(greeting.ends_with(&format!("\r\n{OP}")), "{greeting:?}");
    check_paging(&mut sh, "show version", "---(more)---", OP).await?;
    for (command, answer) in [
        ("set cli screen-length 0", "Screen length set to 0"),
        ("set cli screen-width 511", "Screen width set to 511"),
        ("set cli complete-on-space off", "Disabling complete-on-space"),
    ] {
        assert_eq!(sh.run(command, OP).await?, format!("{command}\r\n{answer}\r\n{OP}"));
    }

    let expected = d.canned_output("show version").unwrap();
    let got = sh.run("show version", &format!("\r\n{OP}")).await?;
    assert_eq!(got, format!("show version\r\n{}\r\n{OP}", crlf(&expected)));

    let bad = sh.run("show versoin", OP).await?;
    let caret = " ".repeat(OP.len() + 5);
    assert_eq!(bad, format!("show versoin\r\n{caret}^\r\nsyntax error, expecting <command>.\r\n{OP}"));
    let unknown = sh.run("frobnicate", OP).await?;
    assert_eq!(unknown, format!("frobnicate\r\n{}^\r\nunknown command.\r\n{OP}", " ".repeat(OP.len())));

    assert_eq!(
        sh.run("configure", EDIT).await?,
        format!("configure\r\nEntering configuration mode\r\n{EDIT}")
    );
    let set = "set interfaces ge-0/0/1 description \"set over ssh\"";
    assert_eq!(sh.run(set, EDIT).await?, format!("{set}\r\n{EDIT}"));
    // candidate only: not in the running configuration before commit
    assert!(!d.running_config().contains("set over ssh"));
    assert_eq!(sh.run("commit", EDIT).await?, format!("commit\r\ncommit complete\r\n{EDIT}"));
    let config = d.running_config();
    assert!(config.contains("\nset interfaces ge-0/0/1 description \"set over ssh\""), "{config}");
    assert_eq!(sh.run("exit", OP).await?, format!("exit\r\nExiting configuration mode\r\n\r\n{OP}"));
    let shown = sh.run("show configuration", &format!("\r\n{OP}")).await?;
    assert_eq!(shown, format!("show configuration\r\n{}\r\n{OP}", crlf(&config)));
    Ok(())
}

#[tokio::test]
async fn arista_eos_over_ssh() -> anyhow::Result<()> {
    let fleet = one(Platform::AristaEos).await?;
    let d = &fleet.devices()[0];
    let (mut sh, greeting) = Shell::open(d.addr(), "eos1>").await?;
    assert!(greeting.ends_with("\r\neos1>"), "{greeting:?}");
    assert_eq!(sh.run("enable", "Password: ").await?, "enable\r\nPassword: ");
    assert_eq!(sh.run("enable", "eos1#").await?, "\r\neos1#");
    check_paging(&mut sh, "show interfaces", " --More-- ", "eos1#").await?;
    assert_eq!(sh.run("terminal length 0", "eos1#").await?, "terminal length 0\r\neos1#");
    assert_eq!(sh.run("terminal width 32767", "eos1#").await?, "terminal width 32767\r\neos1#");

    for command in ["show version", "show interfaces"] {
        let expected = d.canned_output(command).unwrap();
        let got = sh.run(command, "\r\neos1#").await?;
        assert_eq!(got, format!("{command}\r\n{}\r\neos1#", crlf(&expected)));
    }
    assert_eq!(sh.run("show versoin", "eos1#").await?, "show versoin\r\n% Invalid input\r\neos1#");
    assert_eq!(sh.run("show", "eos1#").await?, "show\r\n% Incomplete command\r\neos1#");

    assert_eq!(sh.run("configure terminal", "eos1(config)#").await?, "configure terminal\r\neos1(config)#");
    sh.run("interface Ethernet1", "eos1(config-if-Et1)#").await?;
    sh.run("description set over ssh", "eos1(config-if-Et1)#").await?;
    assert_eq!(sh.run("end", "eos1#").await?, "end\r\neos1#");
    let config = d.running_config();
    assert!(config.contains("\ninterface Ethernet1\n   description set over ssh\n!\n"), "{config}");
    assert_eq!(
        sh.run("write memory", "eos1#").await?,
        "write memory\r\nCopy completed successfully.\r\neos1#"
    );
    Ok(())
}

#[tokio::test]
async fn huawei_vrp_over_ssh() -> anyhow::Result<()> {
    let fleet = one(Platform::HuaweiVrp).await?;
    let d = &fleet.devices()[0];
    let (mut sh, greeting) = Shell::open(d.addr(), "<vrp1>").await?;
    assert!(greeting.ends_with("\r\n<vrp1>"), "{greeting:?}");
    check_paging(&mut sh, "display version", "  ---- More ----", "<vrp1>").await?;
    assert_eq!(
        sh.run("screen-length 0 temporary", "<vrp1>").await?,
        "screen-length 0 temporary\r\n\
         Info: The configuration takes effect on the current user terminal interface only.\r\n<vrp1>"
    );

    let expected = d.canned_output("display version").unwrap();
    assert_eq!(d.canned_output("dis ver").as_ref(), Some(&expected));
    let got = sh.run("display version", "\r\n<vrp1>").await?;
    assert_eq!(got, format!("display version\r\n{}\r\n<vrp1>", crlf(&expected)));

    let bad = sh.run("display versoin", "<vrp1>").await?;
    let caret = " ".repeat("<vrp1>".len() + 8);
    assert_eq!(
        bad,
        format!(
            "display versoin\r\n{caret}^\r\nError: Unrecognized command found at '^' position.\r\n<vrp1>"
        )
    );

    assert_eq!(
        sh.run("system-view", "[vrp1]").await?,
        "system-view\r\nEnter system view, return user view with return command.\r\n[vrp1]"
    );
    sh.run("interface GigabitEthernet0/0/1", "[vrp1-GigabitEthernet0/0/1]").await?;
    sh.run("description set over ssh", "[vrp1-GigabitEthernet0/0/1]").await?;
    assert_eq!(sh.run("return", "<vrp1>").await?, "return\r\n<vrp1>");
    let config = d.running_config();
    assert!(config.contains("\ninterface GigabitEthernet0/0/1\n description set over ssh\n#\n"), "{config}");
    let current = sh.run("dis cur", "\r\n<vrp1>").await?;
    assert_eq!(current, format!("dis cur\r\n{}\r\n<vrp1>", crlf(&config)));

    let question =
        "The current configuration will be written to the device. Are you sure to continue? [Y/N]:";
    assert_eq!(sh.run("save", "[Y/N]:").await?, format!("save\r\n{question}"));
    assert_eq!(sh.run("y", "<vrp1>").await?, "y\r\nSave the configuration successfully.\r\n<vrp1>");
    Ok(())
}

#[tokio::test]
async fn linux_over_ssh() -> anyhow::Result<()> {
    const PROMPT: &str = "admin@linux1:~$ ";
    let fleet = one(Platform::Linux).await?;
    let d = &fleet.devices()[0];
    let (mut sh, greeting) = Shell::open(d.addr(), PROMPT).await?;
    assert!(greeting.ends_with(&format!("\r\n{PROMPT}")), "{greeting:?}");

    for command in ["uname -a", "cat /etc/os-release", "ip addr"] {
        let expected = d.canned_output(command).unwrap();
        let got = sh.run(command, &format!("\r\n{PROMPT}")).await?;
        assert_eq!(got, format!("{command}\r\n{}\r\n{PROMPT}", crlf(&expected)));
    }
    assert_eq!(sh.run("touch over-ssh.txt", PROMPT).await?, format!("touch over-ssh.txt\r\n{PROMPT}"));
    assert_eq!(d.running_config(), "over-ssh.txt");
    assert_eq!(sh.run("ls", PROMPT).await?, format!("ls\r\nover-ssh.txt\r\n{PROMPT}"));
    assert_eq!(
        sh.run("nosuch", PROMPT).await?,
        format!("nosuch\r\nbash: nosuch: command not found\r\n{PROMPT}")
    );
    assert_eq!(sh.run("echo $?", PROMPT).await?, format!("echo $?\r\n127\r\n{PROMPT}"));
    assert_eq!(sh.run("rm over-ssh.txt", PROMPT).await?, format!("rm over-ssh.txt\r\n{PROMPT}"));
    assert_eq!(d.running_config(), "");
    sh.send("exit\n").await?;
    assert_eq!(sh.read_to_close().await?, "exit\r\nlogout\r\n");
    Ok(())
}

/// What the mixed-fleet test does on one device: the prompt marker, the command that turns
/// paging off (none for Linux) and the version command.
fn session_plan(platform: Platform, hostname: &str) -> (String, Option<&'static str>, &'static str) {
    match platform {
        Platform::CiscoIos => (format!("{hostname}>"), Some("terminal length 0"), "show version"),
        Platform::CiscoNxos => (format!("{hostname}#"), Some("terminal length 0"), "show version"),
        Platform::CiscoXr => {
            (format!("RP/0/RSP0/CPU0:{hostname}#"), Some("terminal length 0"), "show version")
        }
        Platform::JuniperJunos => {
            (format!("admin@{hostname}> "), Some("set cli screen-length 0"), "show version")
        }
        Platform::AristaEos => (format!("{hostname}>"), Some("terminal length 0"), "show version"),
        Platform::HuaweiVrp => {
            (format!("<{hostname}>"), Some("screen-length 0 temporary"), "display version")
        }
        Platform::Linux => (format!("admin@{hostname}:~$ "), None, "uname -a"),
    }
}

#[tokio::test]
async fn mixed_fleet_of_every_platform() -> anyhow::Result<()> {
    let mut fleet_spec: Vec<(Platform, usize)> = Platform::ALL.iter().map(|p| (*p, 1)).collect();
    fleet_spec[0].1 = 2; // two IOS devices
    let cfg = SimConfig { fleet: fleet_spec, listen: Ipv4Addr::LOCALHOST, port: 0, ..SimConfig::default() };
    let fleet = Fleet::start(cfg).await?;
    let devices = fleet.devices();
    let names: Vec<(&str, Platform)> = devices.iter().map(|d| (d.hostname(), d.platform())).collect();
    assert_eq!(
        names,
        vec![
            ("R1", Platform::CiscoIos),
            ("R2", Platform::CiscoIos),
            ("nxos1", Platform::CiscoNxos),
            ("xr1", Platform::CiscoXr),
            ("junos1", Platform::JuniperJunos),
            ("eos1", Platform::AristaEos),
            ("vrp1", Platform::HuaweiVrp),
            ("linux1", Platform::Linux),
        ]
    );
    for (i, d) in devices.iter().enumerate() {
        assert_eq!(d.addr().ip(), Ipv4Addr::new(127, 0, 0, 1 + i as u8));
    }
    // every device answers like its platform, all sessions open at once
    let mut sessions = Vec::new();
    for d in devices {
        let (prompt, _, _) = session_plan(d.platform(), d.hostname());
        let (sh, greeting) = Shell::open(d.addr(), &prompt).await?;
        assert!(greeting.ends_with(&prompt), "{}: {greeting:?}", d.hostname());
        sessions.push(sh);
    }
    for (d, sh) in devices.iter().zip(&mut sessions) {
        let (prompt, paging_off, version) = session_plan(d.platform(), d.hostname());
        if let Some(command) = paging_off {
            sh.run(command, &prompt).await?;
        }
        let expected = d.canned_output(version).unwrap();
        let got = sh.run(version, &prompt).await?;
        let body = got.strip_prefix(&format!("{version}\r\n")).unwrap();
        // NX-OS puts a colour reset before the prompt
        let body = body.strip_suffix(&prompt).unwrap().trim_end_matches("\x1b[0m");
        assert_eq!(body, format!("{}\r\n", crlf(&expected)), "{}", d.hostname());
        assert_eq!(d.logins(), 1);
    }
    fleet.shutdown().await;
    Ok(())
}

/// The ntc-templates corpus kept beside the repository, when this checkout has it.
fn shared_corpus() -> Option<std::path::PathBuf> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus/ntc-templates");
    dir.join("tests/juniper_junos").is_dir().then_some(dir)
}

#[tokio::test]
async fn corpus_outputs_of_every_corpus_platform() -> anyhow::Result<()> {
    let Some(corpus) = shared_corpus() else {
        eprintln!("no shared corpus beside the repository: built-ins only");
        return Ok(());
    };
    let platforms = [Platform::CiscoNxos, Platform::AristaEos, Platform::JuniperJunos, Platform::Linux];
    let cfg = SimConfig {
        fleet: platforms.iter().map(|p| (*p, 1)).collect(),
        // XR and VRP have no corpus folder: they keep their built-ins
        corpus: Some(corpus.clone()),
        listen: Ipv4Addr::LOCALHOST,
        port: 0,
        ..SimConfig::default()
    };
    let fleet = Fleet::start(cfg).await?;
    for d in fleet.devices() {
        let dir = corpus.join("tests").join(d.platform().name());
        let mut checked = 0;
        for entry in std::fs::read_dir(&dir)? {
            let entry = entry?;
            let command = entry.file_name().to_string_lossy().replace('_', " ");
            let mut raws: Vec<_> = std::fs::read_dir(entry.path())?
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|e| e == "raw"))
                .collect();
            raws.sort();
            let Some(first) = raws.first() else { continue };
            let raw = String::from_utf8_lossy(&std::fs::read(first)?).replace("\r\n", "\n");
            let raw = raw.trim_end();
            if raw.is_empty() {
                continue;
            }
            assert_eq!(d.canned_output(&command).as_deref(), Some(raw), "{}: {command}", d.platform());
            checked += 1;
        }
        assert!(checked > 10, "{}: only {checked} corpus commands", d.platform());
    }
    // and over SSH, with paging off
    let d = &fleet.devices()[2];
    assert_eq!(d.platform(), Platform::JuniperJunos);
    let (mut sh, _) = Shell::open(d.addr(), "admin@junos1> ").await?;
    sh.run("set cli screen-length 0", "admin@junos1> ").await?;
    for command in ["show version", "show interfaces", "sh bgp summary"] {
        let expected = d.canned_output(command).unwrap();
        let got = sh.run(command, "\r\nadmin@junos1> ").await?;
        assert_eq!(got, format!("{command}\r\n{}\r\nadmin@junos1> ", crlf(&expected)));
    }
    Ok(())
}
