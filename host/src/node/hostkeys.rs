//! The node's host key policy (`ssh.host_key_policy`, like OpenSSH's
//! `StrictHostKeyChecking`), as the [`HostKeyCheck`] each connection is given:
//!
//! - `accept-new`: the first key seen for a device's host:port is pinned in Redis
//!   (`<p>:hostkeys`, shared by every node); a different key later is refused.
//! - `strict`: only keys listed for the host in `ssh.known_hosts`.
//! - `off`, or `driver_args.host_key_check: false` on a job: any key, with a warning.

use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;

use crate::config::{HostKeyPolicy, Settings};
use crate::queue::hostkeys::{PinOutcome, pin_field};
use crate::queue::{JobStore, StoreError};
use crate::ssh::{HostKey, HostKeyCheck, HostKeyVerdict, KnownHosts, known_hosts_lookup};

/// The policy of one node, or of one job that turned checking off.
pub enum HostKeys {
    Pin(Box<JobStore>),
    KnownHosts(PathBuf),
    /// Any key; the text says why (logged with each connection).
    Off(&'static str),
}

impl HostKeys {
    /// The node's policy.
    pub fn from_settings(settings: &Settings, store: &JobStore) -> Arc<dyn HostKeyCheck> {
        Arc::new(match (settings.ssh.host_key_policy, &settings.ssh.known_hosts) {
            (HostKeyPolicy::AcceptNew, _) => HostKeys::Pin(Box::new(store.clone())),
            (HostKeyPolicy::Strict, Some(path)) => HostKeys::KnownHosts(path.clone()),
            // Settings validation refuses strict without a file; refuse every key rather than trust any.
            (HostKeyPolicy::Strict, None) => HostKeys::KnownHosts(PathBuf::new()),
            (HostKeyPolicy::Off, _) => HostKeys::Off("ssh.host_key_policy is off"),
        })
    }

    /// For a job with `driver_args.host_key_check: false`.
    pub fn off_for_job() -> Arc<dyn HostKeyCheck> {
        Arc::new(HostKeys::Off("the job's driver_args.host_key_check is false"))
    }

    async fn decide(&self, host: &str, port: u16, key: &HostKey) -> HostKeyVerdict {
        let addr = pin_field(host, port);
        match self {
            HostKeys::Off(why) => {
                tracing::warn!(
                    device = addr,
                    key = key.pin(),
                    "host key not checked ({why}): a man in the middle would not be noticed"
                );
                HostKeyVerdict::Accept
            }
            HostKeys::Pin(store) => match pin_riding_out_failover(store, host, port, &key.pin()).await {
                Ok(PinOutcome::Pinned) => {
                    tracing::info!(device = addr, key = key.pin(), "host key pinned (first seen)");
                    HostKeyVerdict::Accept
                }
                Ok(PinOutcome::Matches) => HostKeyVerdict::Accept,
                Ok(PinOutcome::Differs(pinned)) => {
                    let pinned_fp = pinned.rsplit(' ').next().unwrap_or(&pinned);
                    HostKeyVerdict::Refuse(format!(
                        "the host key of {addr} changed: pinned {pinned_fp}, offered {} ({}); if the device \
                         was replaced, clear the pin with DELETE /hostkey?host={addr}",
                        key.fingerprint(),
                        key.algorithm()
                    ))
                }
                Err(e) => HostKeyVerdict::Unavailable(format!("cannot read the host key pins: {e}")),
            },
            HostKeys::KnownHosts(path) => {
                let (path, h, k) = (path.clone(), host.to_string(), key.clone());
                let found = tokio::task::spawn_blocking(move || known_hosts_lookup(&path, &h, port, &k))
                    .await
                    .unwrap_or_else(|e| Err(format!("known_hosts lookup failed: {e}")));
                let file = match self {
                    HostKeys::KnownHosts(p) => p.display().to_string(),
                    _ => String::new(),
                };
                match found {
                    Ok(KnownHosts::Listed) => HostKeyVerdict::Accept,
                    Ok(KnownHosts::Changed { fingerprint }) => HostKeyVerdict::Refuse(format!(
                        "the host key of {addr} is not the one in {file}: listed {fingerprint}, \
                         offered {} ({}); ssh.host_key_policy is strict",
                        key.fingerprint(),
                        key.algorithm()
                    )),
                    Ok(KnownHosts::NotListed) => HostKeyVerdict::Refuse(format!(
                        "{addr} is not in the known_hosts file {file} with a {} key (offered {}); \
                         ssh.host_key_policy is strict: add its key there as `{} {}`",
                        key.algorithm(),
                        key.fingerprint(),
                        if port == 22 { host.to_string() } else { format!("[{host}]:{port}") },
                        key.openssh()
                    )),
                    Err(e) => HostKeyVerdict::Refuse(e),
                }
            }
        }
    }
}

impl HostKeyCheck for HostKeys {
    fn check<'a>(
        &'a self,
        host: &'a str,
        port: u16,
        key: &'a HostKey,
    ) -> Pin<Box<dyn Future<Output = HostKeyVerdict> + Send + 'a>> {
        Box::pin(self.decide(host, port, key))
    }
}

/// Pin (or check) a host key; while Redis is unreachable (a restart, a
/// failover) the lookup is tried again for up to 5 s before the job fails:
/// a blip of the store is not the device's fault.
async fn pin_riding_out_failover(
    store: &JobStore,
    host: &str,
    port: u16,
    pin: &str,
) -> Result<PinOutcome, StoreError> {
    let start = std::time::Instant::now();
    let mut delay = std::time::Duration::from_millis(50);
    loop {
        match store.pin_host_key(host, port, pin).await {
            Err(StoreError::Unavailable(e)) if start.elapsed() < std::time::Duration::from_secs(5) => {
                tracing::warn!(device = pin_field(host, port), "cannot read the host key pins yet: {e}");
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(std::time::Duration::from_millis(500));
            }
            other => return other,
        }
    }
}
