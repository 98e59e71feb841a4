//! Host keys: what a device offered (`HostKey`), who decides whether to trust it
//! (`HostKeyCheck`, handed in through `ConnectParams`), and looking a key up in an
//! OpenSSH known_hosts file. The policy (pins, known_hosts, off) is the caller's.

use std::fmt;
use std::future::Future;
use std::path::Path;
use std::pin::Pin;

use russh::keys::{HashAlg, PublicKey, PublicKeyOrCertificate};

/// The host key a server offered during the handshake.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HostKey {
    key: PublicKey,
}

impl HostKey {
    pub fn new(key: PublicKey) -> Self {
        Self { key }
    }

    /// The offered key; for a host certificate, the key it certifies.
    pub fn from_offer(offer: &PublicKeyOrCertificate) -> Self {
        match offer {
            PublicKeyOrCertificate::PublicKey { key, .. } => Self::new(key.clone()),
            PublicKeyOrCertificate::Certificate(cert) => {
                Self::new(PublicKey::from(cert.public_key().clone()))
            }
        }
    }

    /// Its algorithm as OpenSSH names it (`ssh-ed25519`, `rsa-sha2-512` keys are `ssh-rsa`).
    pub fn algorithm(&self) -> String {
        self.key.algorithm().as_str().to_string()
    }

    /// `SHA256:<base64>`, as `ssh-keygen -lf` prints it.
    pub fn fingerprint(&self) -> String {
        self.key.fingerprint(HashAlg::Sha256).to_string()
    }

    /// `<algorithm> <SHA256 fingerprint>`: the form pins are stored and compared in.
    pub fn pin(&self) -> String {
        format!("{} {}", self.algorithm(), self.fingerprint())
    }

    /// The key in OpenSSH text form (`ssh-ed25519 AAAA...`), as in known_hosts.
    pub fn openssh(&self) -> String {
        let mut key = self.key.clone();
        key.set_comment("");
        key.to_openssh().unwrap_or_default().trim().to_string()
    }

    pub fn public_key(&self) -> &PublicKey {
        &self.key
    }
}

/// What a [`HostKeyCheck`] decided.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HostKeyVerdict {
    /// Trust the key: the connection goes on.
    Accept,
    /// Not the key expected (or not known): the connection is refused with this
    /// reason ([`SshError::HostKey`](super::SshError::HostKey)).
    Refuse(String),
    /// The check itself could not be made (its store is unreachable): the
    /// connection fails as a connection error with this reason.
    Unavailable(String),
}

/// Decides whether a device's host key is trusted. Called once per connection,
/// during the handshake, before any password is sent.
pub trait HostKeyCheck: Send + Sync {
    fn check<'a>(
        &'a self,
        host: &'a str,
        port: u16,
        key: &'a HostKey,
    ) -> Pin<Box<dyn Future<Output = HostKeyVerdict> + Send + 'a>>;
}

impl fmt::Debug for dyn HostKeyCheck {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("HostKeyCheck")
    }
}

/// Accepts every key (tests, and the `off` policy's callers that log it themselves).
pub struct AcceptAnyKey;

impl HostKeyCheck for AcceptAnyKey {
    fn check<'a>(
        &'a self,
        _host: &'a str,
        _port: u16,
        _key: &'a HostKey,
    ) -> Pin<Box<dyn Future<Output = HostKeyVerdict> + Send + 'a>> {
        Box::pin(async { HostKeyVerdict::Accept })
    }
}

/// What a known_hosts file says about a host's key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KnownHosts {
    /// The key is listed for the host.
    Listed,
    /// The host is listed with another key of the same algorithm: its fingerprint.
    Changed { fingerprint: String },
    /// The host has no key of this algorithm in the file.
    NotListed,
}

/// Look `key` up for `host`:`port` in the OpenSSH known_hosts file at `path`:
/// `host`, `[host]:port` (port not 22) and hashed `|1|salt|hash` names, several
/// names per line separated by commas; `#` comments. Markers (`@cert-authority`,
/// `@revoked`) and wildcards are not supported. A file that cannot be read or
/// has a key that cannot be parsed is an error.
pub fn known_hosts_lookup(path: &Path, host: &str, port: u16, key: &HostKey) -> Result<KnownHosts, String> {
    std::fs::metadata(path)
        .map_err(|e| format!("cannot read the known_hosts file {}: {e}", path.display()))?;
    let listed = russh::keys::known_hosts::known_host_keys_path(host, port, path)
        .map_err(|e| format!("cannot read the known_hosts file {}: {e}", path.display()))?;
    let mut changed = None;
    for (_line, recorded) in listed {
        if recorded.key_data() == key.key.key_data() {
            return Ok(KnownHosts::Listed);
        }
        if recorded.algorithm() == key.key.algorithm() && changed.is_none() {
            changed =
                Some(KnownHosts::Changed { fingerprint: recorded.fingerprint(HashAlg::Sha256).to_string() });
        }
    }
    Ok(changed.unwrap_or(KnownHosts::NotListed))
}
