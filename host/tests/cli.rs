//! The `netpulse` command line as a user meets it: bad settings give one clear line
//! and a non-zero exit (never a panic), plugins can be listed and checked, and `up`
//! on a laptop without Redis starts a private one.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn netpulse() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_netpulse"));
    // Nothing from the caller's environment leaks into these runs.
    for (k, _) in std::env::vars() {
        if k.starts_with("NETPULSE_") {
            c.env_remove(k);
        }
    }
    c
}

fn run(c: &mut Command) -> (i32, String) {
    let out = c.output().expect("netpulse runs");
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(!text.contains("panicked"), "netpulse panicked: {text}");
    (out.status.code().unwrap_or(-1), text)
}

#[test]
fn bad_settings_are_one_clear_line_and_a_non_zero_exit() {
    let (code, text) = run(netpulse().arg("serve").env("NETPULSE_LISTEN", "nowhere"));
    assert_eq!(code, 2, "{text}");
    assert!(text.contains("NETPULSE_LISTEN"), "{text}");

    let (code, text) = run(netpulse().args(["--config", "/nonexistent/netpulse.toml", "serve"]));
    assert_eq!(code, 2);
    assert!(text.contains("/nonexistent/netpulse.toml"), "{text}");

    let dir = std::env::temp_dir().join(format!("np-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let cfg = dir.join("bad.toml");
    std::fs::write(&cfg, "[jobs]\nttl_s = 0\n").unwrap();
    let (code, text) = run(netpulse().args(["--config", cfg.to_str().unwrap(), "node"]));
    assert_eq!(code, 2);
    assert!(text.contains("jobs.ttl_s"), "{text}");
    std::fs::remove_dir_all(dir).ok();

    let (code, text) = run(netpulse().arg("serve"));
    assert_eq!(code, 2);
    assert!(text.contains("NETPULSE_API_KEYS"), "{text}");

    // Redis that does not answer, and no redis-server to start: one line saying what to do.
    let (code, text) = run(netpulse()
        .arg("up")
        .env("NETPULSE_REDIS_URL", "redis://127.0.0.1:1")
        .env("NETPULSE_API_KEYS", "k")
        .env("PATH", "/nonexistent"));
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("redis://127.0.0.1:1") && text.contains("start Redis"), "{text}");
}

#[test]
fn plugins_are_listed_and_checked() {
    let (code, text) = run(netpulse().args(["plugin", "list"]));
    assert_eq!(code, 0, "{text}");
    for t in ["cisco_ios", "cisco_nxos", "cisco_xr", "juniper_junos", "arista_eos", "huawei_vrp", "linux"] {
        assert!(text.contains(t), "{t} missing from:\n{text}");
    }
    let garbage = std::env::temp_dir().join(format!("np-garbage-{}.wasm", std::process::id()));
    std::fs::write(&garbage, b"not wasm").unwrap();
    let (code, text) = run(netpulse().args(["plugin", "check"]).arg(&garbage));
    assert_eq!(code, 1);
    assert!(text.contains("not usable"), "{text}");
    std::fs::remove_file(garbage).ok();
    let built = concat!(env!("CARGO_MANIFEST_DIR"), "/../target/plugins/wasm32-wasip2/release/template.wasm");
    let (code, text) = run(netpulse().args(["plugin", "check", built]));
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("ok: template") && text.contains("template_os"), "{text}");
}

#[test]
fn up_without_redis_starts_a_private_one_and_serves() {
    if Command::new("redis-server").arg("--version").output().is_err() {
        eprintln!("SKIPPED: redis-server is not installed");
        return;
    }
    let data = std::env::temp_dir().join(format!("np-up-{}", std::process::id()));
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut child = netpulse()
        .arg("up")
        .env("NETPULSE_REDIS_URL", "redis://127.0.0.1:1")
        .env("NETPULSE_DATA_DIR", &data)
        .env("NETPULSE_LISTEN", format!("127.0.0.1:{port}"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = BufReader::new(child.stderr.take().unwrap());
    let stdout = BufReader::new(child.stdout.take().unwrap());
    let (tx, rx) = std::sync::mpsc::channel();
    let tx2 = tx.clone();
    std::thread::spawn(move || stderr.lines().map_while(Result::ok).for_each(|l| drop(tx.send(l))));
    std::thread::spawn(move || stdout.lines().map_while(Result::ok).for_each(|l| drop(tx2.send(l))));
    let start = Instant::now();
    let (mut private, mut key, mut listening) = (false, None, false);
    while !(private && key.is_some() && listening) {
        let line = rx
            .recv_timeout(Duration::from_secs(30))
            .unwrap_or_else(|_| panic!("netpulse up did not come up"));
        assert!(!line.contains("panicked"), "{line}");
        private |= line.contains("started a private redis-server") && line.contains(data.to_str().unwrap());
        if let Some(k) = line.strip_prefix("Generated API key").and_then(|l| l.rsplit(' ').next()) {
            key = Some(k.to_string());
        }
        listening |= line.contains(&format!("http://127.0.0.1:{port}"));
        assert!(start.elapsed() < Duration::from_secs(60));
    }
    // The generated key is kept for the next start.
    let kept = std::fs::read_to_string(data.join("api_key")).unwrap();
    assert_eq!(Some(kept.trim().to_string()), key);
    unsafe { libc_kill(child.id() as i32, 15) };
    let status = child.wait().unwrap();
    assert!(status.success(), "graceful stop on SIGTERM: {status:?}");
    std::fs::remove_dir_all(data).ok();
}

unsafe extern "C" {
    #[link_name = "kill"]
    fn libc_kill(pid: i32, sig: i32) -> i32;
}
