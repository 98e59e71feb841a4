//! For `netpulse up` on a laptop: start a private `redis-server` when nothing
//! answers at the configured URL, and keep a generated API key and credential
//! key in the data folder.

use std::process::Stdio;
use std::time::Duration;

use tokio::process::{Child, Command};

use crate::config::data_dir;

/// A redis-server this process started; stopped when dropped.
pub struct PrivateRedis {
    pub url: String,
    _child: Child,
}

async fn answers(url: &str) -> bool {
    let Ok(client) = redis::Client::open(url) else {
        return false;
    };
    let attempt = async {
        let mut c = client.get_multiplexed_async_connection().await.ok()?;
        redis::cmd("PING").query_async::<String>(&mut c).await.ok()
    };
    matches!(tokio::time::timeout(Duration::from_secs(2), attempt).await, Ok(Some(_)))
}

/// `Ok(None)` when Redis answers at `url`; a started private server when it did
/// not and `redis-server` is on the PATH; otherwise a one-line explanation.
pub async fn ensure(url: &str) -> Result<Option<PrivateRedis>, String> {
    // Sentinel and Cluster deployments are never stood in for by a private server.
    let single = matches!(
        crate::model::redis_url::Topology::parse(url),
        Ok(crate::model::redis_url::Topology::Single(_))
    );
    if !single || answers(url).await {
        return Ok(None);
    }
    let has_server = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).any(|d| d.join("redis-server").is_file()))
        .unwrap_or(false);
    if !has_server {
        return Err(format!(
            "nothing answers at {url}: start Redis (e.g. `redis-server --daemonize yes`) or set NETPULSE_REDIS_URL"
        ));
    }
    let dir = data_dir().join("redis");
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| format!("cannot find a free port for a private Redis: {e}"))?;
    let child = Command::new("redis-server")
        .args(["--bind", "127.0.0.1", "--port", &port.to_string(), "--appendonly", "yes", "--save", ""])
        .arg("--dir")
        .arg(&dir)
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| format!("cannot start redis-server: {e}"))?;
    let private = format!("redis://127.0.0.1:{port}");
    for _ in 0..100 {
        if answers(&private).await {
            eprintln!(
                "netpulse: nothing answered at {url}; started a private redis-server on {private}, data in {}",
                dir.display()
            );
            return Ok(Some(PrivateRedis { url: private, _child: child }));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Err(format!("started redis-server on port {port} but it did not answer within 5 s"))
}

/// Whether `url` names a Redis on this machine (loopback address or Unix socket).
pub fn is_loopback(url: &str) -> bool {
    let Ok(client) = redis::Client::open(url) else { return false };
    match &client.get_connection_info().addr {
        redis::ConnectionAddr::Tcp(host, _) | redis::ConnectionAddr::TcpTls { host, .. } => {
            host == "localhost" || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
        }
        _ => true,
    }
}

/// The API key for `up` without a configured key: generated once, kept in the
/// data folder (mode 0600), printed when generated.
pub fn api_key_for_laptop() -> Result<String, String> {
    let (key, generated, path) = kept_secret("api_key")?;
    if generated {
        println!("Generated API key (kept in {}): {key}", path.display());
    } else {
        eprintln!("netpulse: using the API key kept in {}", path.display());
    }
    Ok(key)
}

/// The credential key for `up` without a configured one (API and node share the
/// process): generated once and kept in the data folder (mode 0600), never printed.
pub fn credential_key_for_laptop() -> Result<String, String> {
    let (key, generated, path) = kept_secret("credential_key")?;
    if generated {
        eprintln!("netpulse: generated a credential key (kept in {})", path.display());
    }
    Ok(key)
}

/// The secret kept in the data folder file `name`, generated when missing:
/// (secret, whether it was generated now, file).
fn kept_secret(name: &str) -> Result<(String, bool, std::path::PathBuf), String> {
    let path = data_dir().join(name);
    if let Ok(k) = std::fs::read_to_string(&path) {
        let k = k.trim().to_string();
        if !k.is_empty() {
            return Ok((k, false, path));
        }
    }
    let key: String = {
        use rand::Rng;
        let mut rng = rand::rng();
        (0..32).map(|_| format!("{:02x}", rng.random::<u8>())).collect()
    };
    std::fs::create_dir_all(data_dir())
        .map_err(|e| format!("cannot create {}: {e}", data_dir().display()))?;
    // Created readable by the owner only from the start.
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let write = |mut f: std::fs::File| std::io::Write::write_all(&mut f, key.as_bytes());
    options.open(&path).and_then(write).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok((key, true, path))
}

#[cfg(test)]
mod tests {
    #[test]
    fn loopback_redis_urls_are_told_from_shared_ones() {
        for url in
            ["redis://127.0.0.1:6379", "redis://localhost", "redis://[::1]:6380/2", "unix:///tmp/r.sock"]
        {
            assert!(super::is_loopback(url), "{url}");
        }
        for url in ["redis://10.0.0.5:6379", "redis://redis.example.net", "not a url"] {
            assert!(!super::is_loopback(url), "{url}");
        }
    }

    #[test]
    fn sentinel_and_cluster_urls_get_no_private_server() {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        // Nothing listens on port 1: a single-server URL would start a private server.
        for url in ["redis+sentinel://127.0.0.1:1/mymaster", "redis+cluster://127.0.0.1:1"] {
            assert!(matches!(rt.block_on(super::ensure(url)), Ok(None)), "{url}");
        }
    }
}
