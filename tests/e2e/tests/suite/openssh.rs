//! The `linux` driver against a real OpenSSH server (Debian's `openssh-server`),
//! started privately by the test on a loopback port with its own host key and
//! configuration, and three stock accounts: bash (bracketed paste on, as bash 5.1+
//! has it), bash with bracketed paste turned off, and dash as `/bin/sh`.
//! Skips, saying why, where `sshd` is not installed or the test is not root
//! (`.ci/run` installs the package).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use netpulse_e2e::{TestSystem, free_port, temp_dir};
use serde_json::{Value, json};

const SSHD: &str = "/usr/sbin/sshd";
const WAIT: Duration = Duration::from_secs(60);

/// (account, login shell, what its shell says for an unknown command).
const ACCOUNTS: &[(&str, &str, &str)] = &[
    ("np-bash", "/bin/bash", "bash: frobnicate: command not found"),
    ("np-nobp", "/bin/bash", "bash: frobnicate: command not found"),
    ("np-dash", "/bin/sh", "frobnicate: not found"),
];

/// A private sshd; killed and its accounts removed when dropped.
struct Sshd {
    child: Child,
    port: u16,
    dir: PathBuf,
}

impl Drop for Sshd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        for (user, _, _) in ACCOUNTS {
            let _ = Command::new("userdel").args(["-r", user]).stderr(Stdio::null()).status();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn ok(cmd: &mut Command) -> bool {
    cmd.stdout(Stdio::null()).stderr(Stdio::null()).status().is_ok_and(|s| s.success())
}

/// Why this machine cannot run the test, if it cannot.
fn unavailable() -> Option<String> {
    if !Path::new(SSHD).is_file() {
        return Some(format!("{SSHD} is not installed (apt-get install openssh-server)"));
    }
    let uid = Command::new("id").arg("-u").output().ok()?;
    if String::from_utf8_lossy(&uid.stdout).trim() != "0" {
        return Some("not root: cannot create the test accounts".into());
    }
    None
}

fn start_sshd(password: &str) -> Sshd {
    let dir = temp_dir("sshd");
    for (user, shell, _) in ACCOUNTS {
        if !ok(Command::new("id").arg(user)) {
            assert!(ok(Command::new("useradd").args(["-m", "-s", shell, user])), "useradd {user}");
        }
        let mut chpasswd = Command::new("chpasswd").stdin(Stdio::piped()).spawn().unwrap();
        use std::io::Write;
        writeln!(chpasswd.stdin.take().unwrap(), "{user}:{password}").unwrap();
        assert!(chpasswd.wait().unwrap().success(), "chpasswd {user}");
    }
    // The one non-stock setting: an account that turned bracketed paste off.
    std::fs::write("/home/np-nobp/.inputrc", "set enable-bracketed-paste off\n").unwrap();
    let key = dir.join("host_key");
    assert!(ok(Command::new("ssh-keygen").args(["-q", "-t", "ed25519", "-N", "", "-f"]).arg(&key)));
    std::fs::create_dir_all("/run/sshd").unwrap();
    let port = free_port();
    let config = dir.join("sshd_config");
    std::fs::write(
        &config,
        format!(
            "Port {port}\nListenAddress 127.0.0.1\nHostKey {}\nPidFile {}\n\
             PasswordAuthentication yes\nKbdInteractiveAuthentication no\nUsePAM yes\n\
             PermitRootLogin no\nAllowUsers np-bash np-nobp np-dash\nPrintMotd yes\nPrintLastLog yes\n",
            key.display(),
            dir.join("sshd.pid").display()
        ),
    )
    .unwrap();
    let child = Command::new(SSHD)
        .arg("-D")
        .arg("-e")
        .arg("-f")
        .arg(&config)
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(dir.join("sshd.log")).unwrap())
        .spawn()
        .expect("sshd starts");
    let sshd = Sshd { child, port, dir };
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            Instant::now() < deadline,
            "sshd did not listen: {:?}",
            std::fs::read_to_string(sshd.dir.join("sshd.log"))
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    sshd
}

fn body(port: u16, user: &str, password: &str, extra: Value) -> Value {
    let mut b = json!({
        "driver": "netmiko",
        "connection_args": {
            "device_type": "linux", "host": "127.0.0.1", "port": port,
            "username": user, "password": password,
        },
    });
    for (k, v) in extra.as_object().unwrap() {
        b[k] = v.clone();
    }
    b
}

async fn run(sys: &TestSystem, body: Value) -> Value {
    let id = sys.submit(&body).await;
    sys.wait_ended(&id, WAIT).await
}

fn local(cmd: &str, args: &[&str]) -> String {
    String::from_utf8(Command::new(cmd).args(args).output().unwrap().stdout).unwrap().trim_end().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn linux_driver_works_on_a_stock_openssh_server_with_bash_and_dash() {
    if let Some(why) = unavailable() {
        eprintln!("SKIPPED linux_driver_works_on_a_stock_openssh_server_with_bash_and_dash: {why}");
        return;
    }
    let password = format!("Np-{}", uuid::Uuid::new_v4().simple());
    let sshd = start_sshd(&password);
    let sys = TestSystem::start().await;
    let uname = local("uname", &["-a"]);
    for (user, _, not_found) in ACCOUNTS {
        let b = |extra: Value| body(sshd.port, user, &password, extra);
        let started = Instant::now();
        let job =
            run(&sys, b(json!({"command": ["uname -a", "id -un", "printf 'a\\tb\\n%s\\n' 100%"]}))).await;
        assert_eq!(job["status"], "finished", "{user}: {job}");
        let out = &job["result"]["retval"];
        assert_eq!(out["uname -a"], json!(uname), "{user}: {job}");
        assert_eq!(out["id -un"], json!(user), "{user}: {job}");
        assert_eq!(out["printf 'a\\tb\\n%s\\n' 100%"], json!("a\tb\n100%"), "{user}: {job}");
        assert!(started.elapsed() < Duration::from_secs(10), "{user}: took {:?}", started.elapsed());

        let job = run(&sys, b(json!({"command": "frobnicate"}))).await;
        assert_eq!(job["result"]["error"]["type"], "CommandRejected", "{user}: {job}");
        assert!(job["result"]["error"]["message"].as_str().unwrap().contains(not_found), "{user}: {job}");

        let job = run(
            &sys,
            b(json!({"command": "ls /nonexistent-np", "driver_args": {"check_exit_status": true}})),
        )
        .await;
        assert_eq!(job["result"]["error"]["type"], "CommandRejected", "{user}: {job}");
        assert!(
            job["result"]["error"]["message"].as_str().unwrap().contains("exited with status 2"),
            "{user}: {job}"
        );

        let job = run(&sys, b(json!({"config": ["echo np-config > np-file", "test -s np-file"]}))).await;
        assert_eq!(job["status"], "finished", "{user}: {job}");
        let job = run(&sys, b(json!({"command": "cat np-file"}))).await;
        assert_eq!(job["result"]["retval"], json!("np-config"), "{user}: {job}");
        let job = run(&sys, b(json!({"config": ["false"]}))).await;
        assert!(
            job["result"]["error"]["message"].as_str().unwrap().contains("exited with status 1"),
            "{user}: {job}"
        );
    }
    sys.stop().await;
    drop(sshd);
}
