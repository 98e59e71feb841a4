//! Helpers shared by the SSH tests: a russh client that logs in to a simulated device and
//! drives an interactive shell through a PTY (vt100, 511x1000), reading until a prompt.

#![allow(dead_code)] // each test file uses its own subset

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use russh::client::{self, Handle, Msg};
use russh::keys::PublicKeyOrCertificate;
use russh::{Channel, ChannelMsg};

/// Upper bound for anything a test waits for; reached only when something is broken.
pub const PATIENCE: Duration = Duration::from_secs(20);

pub struct Client;

impl client::Handler for Client {
    type Error = russh::Error;

    async fn check_server_key(&mut self, _key: &PublicKeyOrCertificate) -> Result<bool, Self::Error> {
        Ok(true)
    }
}

/// Connects and tries the password of user `admin`; returns the session and whether it was
/// accepted.
pub async fn connect(addr: SocketAddr, password: &str) -> anyhow::Result<(Handle<Client>, bool)> {
    let cfg = client::Config { nodelay: true, ..Default::default() };
    let mut session = client::connect(Arc::new(cfg), addr, Client).await?;
    let ok = session.authenticate_password("admin", password).await?.success();
    Ok((session, ok))
}

/// `text` with `\n` line endings turned into `\r\n`, as the device sends it.
pub fn crlf(text: &str) -> String {
    text.replace('\n', "\r\n")
}

/// A logged-in PTY shell.
pub struct Shell {
    _session: Handle<Client>,
    pub channel: Channel<Msg>,
}

impl Shell {
    /// Logs in as admin/admin, opens a PTY shell and reads the greeting up to the first prompt
    /// (what the received text ends with when the prompt is there).
    pub async fn open(addr: SocketAddr, prompt: &str) -> anyhow::Result<(Shell, String)> {
        let (session, ok) = connect(addr, "admin").await?;
        anyhow::ensure!(ok, "login refused");
        let channel = session.channel_open_session().await?;
        channel.request_pty(true, "vt100", 511, 1000, 0, 0, &[]).await?;
        channel.request_shell(true).await?;
        let mut shell = Shell { _session: session, channel };
        let greeting = shell.read_until(prompt).await?;
        Ok((shell, greeting))
    }

    /// Reads until the received text ends with `end`; errors if the channel closes first.
    pub async fn read_until(&mut self, end: &str) -> anyhow::Result<String> {
        let mut got = Vec::new();
        tokio::time::timeout(PATIENCE, async {
            while !got.ends_with(end.as_bytes()) {
                match self.channel.wait().await {
                    Some(ChannelMsg::Data { data }) => got.extend_from_slice(&data),
                    Some(ChannelMsg::Close | ChannelMsg::Eof) | None => {
                        anyhow::bail!("channel closed; got {:?}", String::from_utf8_lossy(&got))
                    }
                    Some(_) => {}
                }
            }
            Ok(())
        })
        .await
        .map_err(|_| {
            anyhow::anyhow!("timed out waiting for {end:?}; got {:?}", String::from_utf8_lossy(&got))
        })??;
        Ok(String::from_utf8(got)?)
    }

    /// Reads everything until the device closes the channel.
    pub async fn read_to_close(&mut self) -> anyhow::Result<String> {
        let mut got = Vec::new();
        tokio::time::timeout(PATIENCE, async {
            loop {
                match self.channel.wait().await {
                    Some(ChannelMsg::Data { data }) => got.extend_from_slice(&data),
                    Some(ChannelMsg::Close) | None => break,
                    Some(_) => {}
                }
            }
        })
        .await
        .map_err(|_| {
            anyhow::anyhow!("timed out waiting for the close; got {:?}", String::from_utf8_lossy(&got))
        })?;
        Ok(String::from_utf8(got)?)
    }

    pub async fn send(&mut self, text: &str) -> anyhow::Result<()> {
        self.channel.data(text.as_bytes()).await?;
        Ok(())
    }

    /// Sends `command` and a newline, and reads until the text ends with `prompt`.
    pub async fn run(&mut self, command: &str, prompt: &str) -> anyhow::Result<String> {
        self.send(&format!("{command}\n")).await?;
        self.read_until(prompt).await
    }
}
