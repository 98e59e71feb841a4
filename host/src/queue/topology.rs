//! Where the Redis primary that holds a deployment's keys is, and finding it
//! again when it moves.
//!
//! The URL (`model::redis_url`) names one server, Redis Sentinel (the
//! sentinels are asked for the primary of the named master) or a Redis Cluster
//! (every key of a deployment carries one hash tag, the `{...}` of its prefix,
//! so all of them live in one slot; a seed node is asked which primary serves
//! it). A lost connection to one server is made again to the same address.
//!
//! For Sentinel and Cluster, an error that says the primary is gone or is no
//! longer the primary (connection refused or dropped, `READONLY`, `MOVED`,
//! `MASTERDOWN`) makes [`Link`] look for the primary again in the background,
//! while the failing call returns its error to its caller (who retries, as it
//! does for any Redis outage). Calls made after the new primary is found go to
//! it; blocking pops and subscriptions reconnect through [`Link::client`].

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use redis::aio::{ConnectionLike, ConnectionManager, ConnectionManagerConfig};
use redis::{Cmd, ErrorKind, RedisError, RedisFuture, Value};

use super::store::StoreError;
pub use crate::model::redis_url::{Auth, Topology};

/// How long to wait for a sentinel or seed node, and for a primary to accept.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);

/// A client for the primary that `topology` names now (a sentinel or seed that
/// does not answer is skipped). `slot_key` is any key of the deployment (Cluster only).
async fn primary(topology: &Topology, slot_key: &str) -> Result<redis::Client, StoreError> {
    match topology {
        Topology::Single(url) => redis::Client::open(url.as_str())
            .map_err(|e| StoreError::Unavailable(format!("bad Redis URL {url:?}: {e}"))),
        Topology::Sentinel { sentinels, master, auth } => {
            let mut why = Vec::new();
            for (host, port) in sentinels {
                match ask_sentinel(host, *port, master).await {
                    Ok((h, p)) => match checked_primary(&h, p, auth).await {
                        Ok(c) => return Ok(c),
                        Err(e) => why.push(format!("{h}:{p} (named by {host}:{port}): {e}")),
                    },
                    Err(e) => why.push(format!("sentinel {host}:{port}: {e}")),
                }
            }
            Err(StoreError::Unavailable(format!("no primary for {master:?}: {}", why.join("; "))))
        }
        Topology::Cluster { seeds, auth } => {
            let mut why = Vec::new();
            for (host, port) in seeds {
                match ask_cluster(host, *port, auth, slot_key).await {
                    Ok((h, p)) => match checked_primary(&h, p, auth).await {
                        Ok(c) => return Ok(c),
                        Err(e) => why.push(format!("{h}:{p}: {e}")),
                    },
                    Err(e) => why.push(format!("seed {host}:{port}: {e}")),
                }
            }
            Err(StoreError::Unavailable(format!("no cluster node serves our keys: {}", why.join("; "))))
        }
    }
}

fn client_for(host: &str, port: u16, auth: &Auth) -> Result<redis::Client, RedisError> {
    let info = redis::ConnectionInfo {
        addr: redis::ConnectionAddr::Tcp(host.to_string(), port),
        redis: redis::RedisConnectionInfo {
            db: auth.db,
            username: auth.username.clone(),
            password: auth.password.clone(),
            ..Default::default()
        },
    };
    redis::Client::open(info)
}

async fn connect(client: &redis::Client) -> Result<redis::aio::MultiplexedConnection, RedisError> {
    let cfg = redis::AsyncConnectionConfig::new()
        .set_connection_timeout(CONNECT_TIMEOUT)
        .set_response_timeout(CONNECT_TIMEOUT);
    client.get_multiplexed_async_connection_with_config(&cfg).await
}

/// The address a sentinel gives for `master`.
async fn ask_sentinel(host: &str, port: u16, master: &str) -> Result<(String, u16), RedisError> {
    let mut c = connect(&client_for(host, port, &Auth::default())?).await?;
    let addr: Option<(String, String)> =
        redis::cmd("SENTINEL").arg("get-master-addr-by-name").arg(master).query_async(&mut c).await?;
    let (h, p) = addr.ok_or_else(|| RedisError::from((ErrorKind::ClientError, "unknown master name")))?;
    let p = p.parse().map_err(|_| RedisError::from((ErrorKind::ParseError, "bad port from sentinel")))?;
    Ok((h, p))
}

/// The primary that serves `slot_key`'s slot, as a cluster node says.
async fn ask_cluster(
    host: &str,
    port: u16,
    auth: &Auth,
    slot_key: &str,
) -> Result<(String, u16), RedisError> {
    let mut c = connect(&client_for(host, port, auth)?).await?;
    let slot: i64 = redis::cmd("CLUSTER").arg("KEYSLOT").arg(slot_key).query_async(&mut c).await?;
    // [[start, end, [ip, port, id, ...], replicas...], ...]
    let ranges: Vec<Vec<Value>> = redis::cmd("CLUSTER").arg("SLOTS").query_async(&mut c).await?;
    for r in ranges {
        let (Some(Value::Int(start)), Some(Value::Int(end)), Some(Value::Array(primary))) =
            (r.first(), r.get(1), r.get(2))
        else {
            continue;
        };
        if (*start..=*end).contains(&slot) {
            let ip = match primary.first() {
                Some(Value::BulkString(b)) => String::from_utf8_lossy(b).to_string(),
                Some(Value::SimpleString(s)) => s.clone(),
                _ => break,
            };
            let Some(Value::Int(p)) = primary.get(1) else { break };
            // An empty ip means "the address you reached me on".
            let ip = if ip.is_empty() { host.to_string() } else { ip };
            return Ok((ip, *p as u16));
        }
    }
    Err(RedisError::from((ErrorKind::ClientError, "no node serves the slot of our keys")))
}

/// A client for `host:port` once it says it is a primary (a sentinel may name
/// the old one for a moment during a failover).
async fn checked_primary(host: &str, port: u16, auth: &Auth) -> Result<redis::Client, RedisError> {
    let client = client_for(host, port, auth)?;
    let mut c = connect(&client).await?;
    let role: Vec<Value> = redis::cmd("ROLE").query_async(&mut c).await?;
    match role.first() {
        Some(Value::BulkString(b)) if b == b"master" => Ok(client),
        Some(Value::SimpleString(s)) if s == "master" => Ok(client),
        _ => Err(RedisError::from((ErrorKind::ReadOnly, "not a primary (yet)"))),
    }
}

/// A live way to the primary: the client, and one shared connection that
/// reconnects by itself, both replaced when the primary moves.
pub struct Link {
    topology: Topology,
    slot_key: String,
    current: RwLock<Current>,
    generation: AtomicU64,
    searching: AtomicBool,
}

#[derive(Clone)]
struct Current {
    client: redis::Client,
    manager: ConnectionManager,
    generation: u64,
}

impl Link {
    /// Finds the primary and connects; fails fast with `Unavailable` when nothing answers.
    pub async fn open(topology: Topology, slot_key: &str) -> Result<Arc<Self>, StoreError> {
        let (client, manager) = Self::reach(&topology, slot_key).await?;
        Ok(Arc::new(Self {
            topology,
            slot_key: slot_key.to_string(),
            current: RwLock::new(Current { client, manager, generation: 0 }),
            generation: AtomicU64::new(0),
            searching: AtomicBool::new(false),
        }))
    }

    async fn reach(
        topology: &Topology,
        slot_key: &str,
    ) -> Result<(redis::Client, ConnectionManager), StoreError> {
        let client = primary(topology, slot_key).await?;
        Ok((client.clone(), Self::manage(client).await?))
    }

    /// The shared, self-reconnecting connection to `client`'s server.
    async fn manage(client: redis::Client) -> Result<ConnectionManager, StoreError> {
        // One reconnect attempt, no retry schedule: while Redis is down a request
        // fails at once (the API's 503) instead of waiting through backoff delays
        // of a second or more; the next request tries to reconnect again, so a
        // Redis restart needs no restart here. Nodes back off in their own loops.
        let cfg = ConnectionManagerConfig::new()
            .set_connection_timeout(CONNECT_TIMEOUT)
            .set_response_timeout(Duration::from_secs(5))
            .set_number_of_retries(0);
        let manager =
            tokio::time::timeout(Duration::from_secs(5), client.get_connection_manager_with_config(cfg))
                .await
                .map_err(|_| {
                    StoreError::Unavailable("no answer from the Redis primary within 5 s".into())
                })??;
        Ok(manager)
    }

    pub fn topology(&self) -> &Topology {
        &self.topology
    }

    /// Which primary the link talks to now (changes each time it is found again).
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// A client for the primary as last found (for blocking pops and subscriptions,
    /// which need connections of their own).
    pub fn client(&self) -> redis::Client {
        self.current.read().expect("link lock").client.clone()
    }

    /// The shared connection to the primary as last found.
    pub fn conn(self: &Arc<Self>) -> Conn {
        let c = self.current.read().expect("link lock");
        Conn { link: self.clone(), manager: c.manager.clone(), generation: c.generation }
    }

    /// `e` came from a connection of `generation`: look for the primary again if
    /// it says the primary is gone or moved (once at a time, in the background).
    pub fn saw_error(self: &Arc<Self>, generation: u64, e: &RedisError) {
        if moved(e) {
            self.suspect(generation);
        }
    }

    /// The primary of `generation` may not be the primary any more (a change did
    /// not reach its replicas, its replicas left it): look for it again, once at
    /// a time, in the background.
    pub fn suspect(self: &Arc<Self>, generation: u64) {
        if !self.topology.follows_failover() {
            return;
        }
        if self.generation.load(Ordering::Acquire) != generation
            || self.searching.swap(true, Ordering::AcqRel)
        {
            return;
        }
        let link = self.clone();
        tokio::spawn(async move {
            let mut delay = Duration::from_millis(50);
            loop {
                let found = match primary(&link.topology, &link.slot_key).await {
                    // Still the same server: its connection reconnects by itself.
                    Ok(client)
                        if client.get_connection_info().addr == link.client().get_connection_info().addr =>
                    {
                        break;
                    }
                    Ok(client) => Self::manage(client.clone()).await.map(|manager| (client, manager)),
                    Err(e) => Err(e),
                };
                match found {
                    Ok((client, manager)) => {
                        let generation = link.generation.fetch_add(1, Ordering::AcqRel) + 1;
                        let addr = client.get_connection_info().addr.to_string();
                        *link.current.write().expect("link lock") = Current { client, manager, generation };
                        tracing::warn!(primary = addr, "Redis primary found again");
                        break;
                    }
                    Err(e) => {
                        tracing::warn!("looking for the Redis primary: {e}");
                        tokio::time::sleep(delay).await;
                        delay = (delay * 2).min(Duration::from_secs(1));
                    }
                }
            }
            link.searching.store(false, Ordering::Release);
        });
    }
}

/// Whether an error says the primary is not where we talk to any more.
fn moved(e: &RedisError) -> bool {
    e.is_io_error()
        || e.is_connection_dropped()
        || e.is_connection_refusal()
        || e.is_timeout()
        || matches!(
            e.kind(),
            ErrorKind::ReadOnly
                | ErrorKind::Moved
                | ErrorKind::Ask
                | ErrorKind::MasterDown
                | ErrorKind::ClusterDown
        )
}

/// The shared connection to the primary: every command of the store goes
/// through it, and its errors tell the [`Link`] when the primary moved.
#[derive(Clone)]
pub struct Conn {
    link: Arc<Link>,
    manager: ConnectionManager,
    generation: u64,
}

impl ConnectionLike for Conn {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a Cmd) -> RedisFuture<'a, Value> {
        Box::pin(async move {
            let r = self.manager.req_packed_command(cmd).await;
            if let Err(e) = &r {
                self.link.saw_error(self.generation, e);
            }
            r
        })
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        cmd: &'a redis::Pipeline,
        offset: usize,
        count: usize,
    ) -> RedisFuture<'a, Vec<Value>> {
        Box::pin(async move {
            let r = self.manager.req_packed_commands(cmd, offset, count).await;
            if let Err(e) = &r {
                self.link.saw_error(self.generation, e);
            }
            r
        })
    }

    fn get_db(&self) -> i64 {
        self.manager.get_db()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_that_mean_the_primary_moved() {
        assert!(moved(&RedisError::from((ErrorKind::ReadOnly, "READONLY"))));
        assert!(moved(&RedisError::from(std::io::Error::from(std::io::ErrorKind::ConnectionRefused))));
        assert!(!moved(&RedisError::from((ErrorKind::ResponseError, "WRONGTYPE"))));
    }
}
