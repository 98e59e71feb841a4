//! Where Redis is, as a URL names it: one server, Redis Sentinel, or a Redis
//! Cluster (plain data; `queue::topology` finds and follows the primary).
//!
//! - `redis://`, `rediss://`, `unix://`: one server.
//! - `redis+sentinel://[user:password@]host1:26379,host2:26379/mymaster[/db]`:
//!   the credentials and database are the data nodes' (sentinels are asked
//!   without).
//! - `redis+cluster://[user:password@]host1:7000,host2:7001`.

/// A data node's credentials and database, as the URL gives them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Auth {
    pub username: Option<String>,
    pub password: Option<String>,
    pub db: i64,
}

/// What the Redis URL names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Topology {
    /// One server.
    Single(String),
    /// The primary that these sentinels name for `master`.
    Sentinel { sentinels: Vec<(String, u16)>, master: String, auth: Auth },
    /// The primary that serves the deployment's slot, as these seed nodes know it.
    Cluster { seeds: Vec<(String, u16)>, auth: Auth },
}

impl Topology {
    /// Reads a Redis URL; the error says what is wrong with it.
    pub fn parse(url: &str) -> Result<Self, String> {
        let (rest, sentinel) = if let Some(r) = url.strip_prefix("redis+sentinel://") {
            (r, true)
        } else if let Some(r) = url.strip_prefix("redis+cluster://") {
            (r, false)
        } else if ["redis://", "rediss://", "unix://"].iter().any(|s| url.starts_with(s)) {
            return Ok(Topology::Single(url.to_string()));
        } else {
            return Err(format!(
                "{url:?} must start with redis://, rediss://, unix://, redis+sentinel:// or redis+cluster://"
            ));
        };
        let (userinfo, rest) = match rest.rsplit_once('@') {
            Some((u, r)) => (Some(u), r),
            None => (None, rest),
        };
        let mut auth = Auth::default();
        if let Some(u) = userinfo {
            let (user, pass) = match u.split_once(':') {
                Some((user, pass)) => (user, Some(pass)),
                None => ("", Some(u)),
            };
            auth.username = Some(user).filter(|u| !u.is_empty()).map(str::to_string);
            auth.password = pass.filter(|p| !p.is_empty()).map(str::to_string);
        }
        let (hosts, path) = rest.split_once('/').unwrap_or((rest, ""));
        let default_port = if sentinel { 26379 } else { 6379 };
        let mut nodes = Vec::new();
        for h in hosts.split(',').map(str::trim).filter(|h| !h.is_empty()) {
            nodes.push(host_port(h, default_port).ok_or_else(|| format!("bad host:port {h:?} in {url:?}"))?);
        }
        if nodes.is_empty() {
            return Err(format!("{url:?} names no host"));
        }
        let mut parts = path.split('/').filter(|p| !p.is_empty());
        if sentinel {
            let master = parts
                .next()
                .ok_or_else(|| format!("{url:?} names no master: add /<master name> after the sentinels"))?;
            if let Some(db) = parts.next() {
                auth.db = db.parse().map_err(|_| format!("bad database number {db:?} in {url:?}"))?;
            }
            Ok(Topology::Sentinel { sentinels: nodes, master: master.to_string(), auth })
        } else {
            if parts.next().is_some() {
                return Err(format!("{url:?}: a Redis Cluster has only database 0; remove the path"));
            }
            Ok(Topology::Cluster { seeds: nodes, auth })
        }
    }

    /// Whether the primary can move (so errors send us looking for it).
    pub fn follows_failover(&self) -> bool {
        !matches!(self, Topology::Single(_))
    }

    /// Whether every key must carry one hash tag.
    pub fn is_cluster(&self) -> bool {
        matches!(self, Topology::Cluster { .. })
    }
}

/// `host:port`, `[v6]:port` or a bare host.
fn host_port(s: &str, default_port: u16) -> Option<(String, u16)> {
    if let Some(rest) = s.strip_prefix('[') {
        let (h, after) = rest.split_once(']')?;
        let port = match after.strip_prefix(':') {
            Some(p) => p.parse().ok()?,
            None if after.is_empty() => default_port,
            None => return None,
        };
        return Some((h.to_string(), port));
    }
    match s.rsplit_once(':') {
        Some((h, p)) if !h.contains(':') => Some((h.to_string(), p.parse().ok()?)),
        Some(_) => None, // a bare IPv6 address needs brackets
        None => Some((s.to_string(), default_port)),
    }
}

/// Whether a key prefix holds a Redis Cluster hash tag (`{...}`, not empty), so
/// that every key made from it lives in one slot.
pub fn has_hash_tag(prefix: &str) -> bool {
    prefix.split_once('{').is_some_and(|(_, rest)| rest.find('}').is_some_and(|i| i > 0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_name_one_server_sentinels_or_a_cluster() {
        assert_eq!(
            Topology::parse("redis://127.0.0.1:6379/2"),
            Ok(Topology::Single("redis://127.0.0.1:6379/2".into()))
        );
        assert_eq!(
            Topology::parse("redis+sentinel://:pw@127.0.0.1:26379,127.0.0.2,[::1]:26380/mymaster/3"),
            Ok(Topology::Sentinel {
                sentinels: vec![
                    ("127.0.0.1".into(), 26379),
                    ("127.0.0.2".into(), 26379),
                    ("::1".into(), 26380)
                ],
                master: "mymaster".into(),
                auth: Auth { username: None, password: Some("pw".into()), db: 3 },
            })
        );
        assert_eq!(
            Topology::parse("redis+cluster://app:s3cret@127.0.0.1:7000,127.0.0.1:7001"),
            Ok(Topology::Cluster {
                seeds: vec![("127.0.0.1".into(), 7000), ("127.0.0.1".into(), 7001)],
                auth: Auth { username: Some("app".into()), password: Some("s3cret".into()), db: 0 },
            })
        );
        for (bad, says) in [
            ("http://x", "must start with"),
            ("redis+sentinel://127.0.0.1:26379", "names no master"),
            ("redis+sentinel:///mymaster", "names no host"),
            ("redis+sentinel://127.0.0.1:x/m", "bad host:port"),
            ("redis+sentinel://::1/m", "bad host:port"),
            ("redis+cluster://127.0.0.1:7000/1", "only database 0"),
        ] {
            let e = Topology::parse(bad).unwrap_err();
            assert!(e.contains(says), "{bad}: {e}");
        }
    }

    #[test]
    fn hash_tags() {
        assert!(has_hash_tag("{netpulse}"));
        assert!(has_hash_tag("app-{np}"));
        assert!(!has_hash_tag("netpulse"));
        assert!(!has_hash_tag("{}netpulse"));
    }
}
