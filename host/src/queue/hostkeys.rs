//! SSH host key pins (`<p>:hostkeys`): the first key a node saw for a device's
//! `host:port`, shared by every node, under `ssh.host_key_policy = "accept-new"`.
//! Pins are stored as `<algorithm> <SHA256 fingerprint>`, have no TTL and are
//! forgotten only through `DELETE /hostkey`.

use redis::AsyncCommands;

use super::store::{JobStore, StoreError};

/// What pinning an offered key found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PinOutcome {
    /// No pin existed: this key is now the pin.
    Pinned,
    /// The pin is this key.
    Matches,
    /// Another key is pinned: the pin.
    Differs(String),
}

/// The field of a device in `<p>:hostkeys`: `host:port`, `[host]:port` for an
/// IPv6 address (as OpenSSH writes it).
pub fn pin_field(host: &str, port: u16) -> String {
    if host.contains(':') { format!("[{host}]:{port}") } else { format!("{host}:{port}") }
}

/// A `host[:port]` as clients give it (`DELETE /hostkey?host=`): the port is 22
/// unless given; an IPv6 address takes a port only in brackets (`[::1]:2222`).
pub fn parse_host_port(text: &str) -> Option<(String, u16)> {
    let text = text.trim();
    if let Some(rest) = text.strip_prefix('[') {
        let (host, after) = rest.split_once(']')?;
        let port = match after {
            "" => 22,
            p => p.strip_prefix(':')?.parse().ok()?,
        };
        return (!host.is_empty()).then(|| (host.to_string(), port));
    }
    match text.matches(':').count() {
        0 => (!text.is_empty()).then(|| (text.to_string(), 22)),
        1 => {
            let (host, port) = text.split_once(':')?;
            (!host.is_empty()).then_some(())?;
            Some((host.to_string(), port.parse().ok()?))
        }
        _ => Some((text.to_string(), 22)),
    }
}

impl JobStore {
    /// Pin `key` for `host`:`port` unless a key is pinned already, and compare with
    /// the pin. One `MULTI`: of two nodes offered different keys at once, exactly
    /// one pins its key and the other sees it differ.
    pub async fn pin_host_key(&self, host: &str, port: u16, key: &str) -> Result<PinOutcome, StoreError> {
        let hash = self.keys().hostkeys();
        let field = pin_field(host, port);
        let (set, pinned): (bool, Option<String>) = redis::pipe()
            .atomic()
            .hset_nx(&hash, &field, key)
            .hget(&hash, &field)
            .query_async(&mut self.conn())
            .await?;
        Ok(match pinned {
            _ if set => PinOutcome::Pinned,
            Some(p) if p == key => PinOutcome::Matches,
            Some(p) => PinOutcome::Differs(p),
            // Cannot happen inside MULTI; treat as a fresh pin.
            None => PinOutcome::Pinned,
        })
    }

    /// The pin of `host`:`port`, if any.
    pub async fn host_key_pin(&self, host: &str, port: u16) -> Result<Option<String>, StoreError> {
        Ok(self.conn().hget(self.keys().hostkeys(), pin_field(host, port)).await?)
    }

    /// Forget the pin of `host`:`port`; false when there was none.
    pub async fn forget_host_key(&self, host: &str, port: u16) -> Result<bool, StoreError> {
        let n: i64 = self.conn().hdel(self.keys().hostkeys(), pin_field(host, port)).await?;
        Ok(n == 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_port_forms() {
        assert_eq!(parse_host_port("127.0.9.1"), Some(("127.0.9.1".into(), 22)));
        assert_eq!(parse_host_port("127.0.9.1:2222"), Some(("127.0.9.1".into(), 2222)));
        assert_eq!(parse_host_port("[::1]:2222"), Some(("::1".into(), 2222)));
        assert_eq!(parse_host_port("[::1]"), Some(("::1".into(), 22)));
        assert_eq!(parse_host_port("fe80::1"), Some(("fe80::1".into(), 22)));
        assert_eq!(parse_host_port("r1:x"), None);
        assert_eq!(parse_host_port(":22"), None);
        assert_eq!(parse_host_port(""), None);
        assert_eq!(pin_field("::1", 22), "[::1]:22");
        assert_eq!(pin_field("r1", 2222), "r1:2222");
    }
}
