//! `SshShell`: connect, authenticate with a password, open a `vt100` PTY shell,
//! write text and read until a regex matches. What the device sends passes the
//! terminal filter (`terminal.rs`) first: patterns never see escape sequences.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex};
use std::time::{Duration, Instant};

use regex::bytes::{Regex, RegexBuilder};
use russh::client::{self, Handle, Msg};
use russh::keys::PublicKeyOrCertificate;
use russh::{Channel, ChannelMsg, Disconnect};

use super::hostkey::{HostKey, HostKeyCheck, HostKeyVerdict};
use super::terminal::Vt100Filter;

/// How to reach and log in to a device.
#[derive(Clone, Debug)]
pub struct ConnectParams {
    pub host: String,
    pub port: u16,
    pub username: String,
    pub password: String,
    pub connect_timeout: Duration,
    /// SSH keepalive interval; `None` turns keepalives off.
    pub keepalive: Option<Duration>,
    /// Decides whether the device's host key is trusted, before the password is sent.
    pub host_keys: Arc<dyn HostKeyCheck>,
}

/// Opening the session failed.
#[derive(Debug, thiserror::Error)]
pub enum SshError {
    #[error("cannot connect to {addr}: {reason}")]
    Connect { addr: String, reason: String },
    #[error("{addr} refused the login for user {user:?}")]
    Auth { addr: String, user: String },
    #[error("no answer from {addr} within {secs:.1} s")]
    Timeout { addr: String, secs: f64 },
    #[error("SSH session to {addr} failed: {reason}")]
    Session { addr: String, reason: String },
    /// The host key check refused the device's key; `reason` says why and what to do.
    #[error("{reason}")]
    HostKey { addr: String, reason: String },
}

/// Reading failed.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// Nothing matched in time; carries what was read meanwhile.
    #[error("timed out")]
    Timeout(String),
    /// The session closed; carries what was read before.
    #[error("session closed")]
    Closed(String),
    #[error("bad pattern: {0}")]
    BadPattern(String),
}

/// The russh handler: hands the offered host key to the connection's
/// [`HostKeyCheck`] and keeps its verdict for `connect` to report.
struct CheckKey {
    host: String,
    port: u16,
    check: Arc<dyn HostKeyCheck>,
    verdict: Arc<Mutex<Option<HostKeyVerdict>>>,
}

impl client::Handler for CheckKey {
    type Error = russh::Error;

    async fn check_server_key(&mut self, key: &PublicKeyOrCertificate) -> Result<bool, Self::Error> {
        let key = HostKey::from_offer(key);
        let verdict = self.check.check(&self.host, self.port, &key).await;
        let accept = verdict == HostKeyVerdict::Accept;
        *self.verdict.lock().unwrap_or_else(|e| e.into_inner()) = Some(verdict);
        Ok(accept)
    }
}

/// One SSH connection with an interactive shell.
pub struct SshShell {
    handle: Handle<CheckKey>,
    channel: Channel<Msg>,
    /// Received text not read yet, after the terminal filter.
    buf: Vec<u8>,
    filter: Vt100Filter,
    closed: bool,
}

/// The PTY size NetPulse asks for: wide lines, no wrapping.
const PTY_COLS: u32 = 511;
const PTY_ROWS: u32 = 1000;

impl SshShell {
    /// Connect, log in with the password, and start a shell on a `vt100` PTY.
    pub async fn connect(p: &ConnectParams) -> Result<SshShell, SshError> {
        let addr = format!("{}:{}", p.host, p.port);
        let config = Arc::new(client::Config {
            nodelay: true,
            keepalive_interval: p.keepalive,
            keepalive_max: 3,
            inactivity_timeout: None,
            ..Default::default()
        });
        let timeout = p.connect_timeout;
        let secs = timeout.as_secs_f64();
        let verdict = Arc::new(Mutex::new(None));
        let handler = CheckKey {
            host: p.host.clone(),
            port: p.port,
            check: p.host_keys.clone(),
            verdict: verdict.clone(),
        };
        let connect = client::connect(config, (p.host.as_str(), p.port), handler);
        let mut handle = match tokio::time::timeout(timeout, connect).await {
            Err(_) => return Err(SshError::Timeout { addr, secs }),
            Ok(Err(e)) => {
                let refused = verdict.lock().unwrap_or_else(|e| e.into_inner()).take();
                return Err(match refused {
                    Some(HostKeyVerdict::Refuse(reason)) => SshError::HostKey { addr, reason },
                    Some(HostKeyVerdict::Unavailable(reason)) => {
                        SshError::Connect { addr, reason: format!("cannot check its host key: {reason}") }
                    }
                    _ => SshError::Connect { addr, reason: describe(&e) },
                });
            }
            Ok(Ok(h)) => h,
        };
        let auth = tokio::time::timeout(
            timeout,
            handle.authenticate_password(p.username.clone(), p.password.clone()),
        )
        .await
        .map_err(|_| SshError::Timeout { addr: addr.clone(), secs })?
        .map_err(|e| SshError::Session { addr: addr.clone(), reason: describe(&e) })?;
        if !auth.success() {
            return Err(SshError::Auth { addr, user: p.username.clone() });
        }
        let session = async {
            let channel = handle.channel_open_session().await?;
            channel.request_pty(true, "vt100", PTY_COLS, PTY_ROWS, 0, 0, &[]).await?;
            channel.request_shell(true).await?;
            Ok::<_, russh::Error>(channel)
        };
        let channel = tokio::time::timeout(timeout, session)
            .await
            .map_err(|_| SshError::Timeout { addr: addr.clone(), secs })?
            .map_err(|e| SshError::Session { addr: addr.clone(), reason: describe(&e) })?;
        Ok(SshShell { handle, channel, buf: Vec::new(), filter: Vt100Filter::new(), closed: false })
    }

    /// False once the device closed the session or the connection broke.
    pub fn is_open(&self) -> bool {
        !self.closed && !self.handle.is_closed()
    }

    /// Send text as is.
    pub async fn write(&mut self, data: &str) -> Result<(), String> {
        if self.closed {
            return Err("the session is closed".into());
        }
        self.channel.data_bytes(data.as_bytes().to_vec()).await.map_err(|e| {
            self.closed = true;
            format!("write failed: {}", describe(&e))
        })
    }

    /// Read until `pattern` matches the unread text; returns (before, matched) and
    /// keeps what follows the match for the next read.
    pub async fn read_until(
        &mut self,
        pattern: &str,
        timeout: Duration,
    ) -> Result<(String, String), ReadError> {
        let re = Self::pattern(pattern)?;
        let deadline = Instant::now() + timeout;
        let mut scan_from = 0usize;
        loop {
            if let Some(m) = re.find_at(&self.buf, scan_from) {
                let before = String::from_utf8_lossy(&self.buf[..m.start()]).into_owned();
                let matched = String::from_utf8_lossy(&self.buf[m.start()..m.end()]).into_owned();
                self.buf.drain(..m.end());
                return Ok((before, matched));
            }
            // Only the tail can start a new match: prompts are short.
            scan_from = self.buf.len().saturating_sub(4096);
            if self.closed {
                return Err(ReadError::Closed(self.take_all()));
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(ReadError::Timeout(self.take_all()));
            }
            match tokio::time::timeout(left, self.channel.wait()).await {
                Err(_) => return Err(ReadError::Timeout(self.take_all())),
                Ok(msg) => self.absorb(msg),
            }
        }
    }

    /// Everything already received and not read yet; does not wait for more.
    pub async fn drain(&mut self) -> String {
        // Take what is ready, waiting for nothing. (Not a zero `timeout`: tokio's
        // timer rounds it up to its next millisecond tick, which cost every warm
        // job up to a millisecond, measured by the stage breakdown.)
        while !self.closed {
            match futures_util::FutureExt::now_or_never(self.channel.wait()) {
                Some(msg) => self.absorb(msg),
                None => break,
            }
        }
        self.take_all()
    }

    fn absorb(&mut self, msg: Option<ChannelMsg>) {
        match msg {
            Some(ChannelMsg::Data { data }) | Some(ChannelMsg::ExtendedData { data, .. }) => {
                self.filter.feed(&data, &mut self.buf)
            }
            Some(ChannelMsg::Eof) | Some(ChannelMsg::Close) | None => self.closed = true,
            Some(_) => {}
        }
    }

    fn take_all(&mut self) -> String {
        let s = String::from_utf8_lossy(&self.buf).into_owned();
        self.buf.clear();
        s
    }

    /// The compiled `pattern`, from a cache shared by every session of the process:
    /// devices of one platform wait for the same few patterns, and a compiled regex
    /// with its match caches costs hundreds of KiB, far more than an idle session
    /// should hold (each session had its own until measured). Shared as an `Arc`:
    /// a cloned `Regex` gets a new, empty pool of match caches, so every read
    /// built its lazy DFA again (a tenth of the load benchmark's CPU, by `perf`).
    fn pattern(pattern: &str) -> Result<Arc<Regex>, ReadError> {
        static PATTERNS: LazyLock<Mutex<HashMap<String, Arc<Regex>>>> = LazyLock::new(Default::default);
        if let Some(re) = PATTERNS.lock().unwrap_or_else(|e| e.into_inner()).get(pattern) {
            return Ok(re.clone());
        }
        let re = Arc::new(
            RegexBuilder::new(pattern)
                .multi_line(true)
                .build()
                .map_err(|e| ReadError::BadPattern(e.to_string()))?,
        );
        let mut cache = PATTERNS.lock().unwrap_or_else(|e| e.into_inner());
        if cache.len() >= 4096 {
            cache.clear();
        }
        cache.insert(pattern.to_string(), re.clone());
        Ok(re)
    }

    /// Close the shell and the connection.
    pub async fn close(self) {
        let _ = self.channel.eof().await;
        let _ = self.handle.disconnect(Disconnect::ByApplication, "netpulse closing the session", "en").await;
    }
}

/// A readable reason for a russh error.
fn describe(e: &russh::Error) -> String {
    match e {
        russh::Error::IO(io) => io.to_string(),
        other => other.to_string(),
    }
}
