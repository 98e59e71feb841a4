//! The SSH side: one accept loop per device, russh handler (password auth, PTY / shell / env /
//! exec requests), and the per-channel task that drives a [`Terminal`] with latency and faults.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use russh::keys::PrivateKey;
use russh::server::{Auth, ChannelOpenHandle, Handle, Handler, Msg, PublicKeyOffer, Session};
use russh::{Channel, ChannelId, ChannelMsg, Disconnect, MethodKind, MethodSet, SshId};
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::fleet::DeviceInner;
use crate::terminal::{Step, Terminal};

/// The russh server configuration shared by every device of a platform in a fleet; `id` is
/// the SSH identification string (e.g. `SSH-2.0-Cisco-1.25`).
pub(crate) fn config(key: PrivateKey, id: &'static str) -> russh::server::Config {
    russh::server::Config {
        server_id: SshId::Standard(id.into()),
        methods: MethodSet::from(&[MethodKind::Password][..]),
        // Rejections still take a fixed time, but short: fault tests should not crawl.
        auth_rejection_time: Duration::from_millis(20),
        auth_rejection_time_initial: Some(Duration::ZERO),
        keys: vec![key],
        // A hung device keeps its connections open; clients time out on their own.
        inactivity_timeout: None,
        // Without it every exchange stalls ~40 ms (Nagle + delayed ACK).
        nodelay: true,
        ..Default::default()
    }
}

/// A fresh ed25519 host key.
pub(crate) fn host_key() -> PrivateKey {
    let seed: [u8; 32] = rand::random();
    russh::keys::ssh_key::private::Ed25519Keypair::from_seed(&seed).into()
}

/// Accepts connections for one device until `stop` fires (or its sender is dropped).
pub(crate) async fn serve(
    listener: TcpListener,
    device: Arc<DeviceInner>,
    config: Arc<russh::server::Config>,
    mut stop: watch::Receiver<()>,
) {
    loop {
        let socket = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((socket, _peer)) => socket,
                Err(e) => {
                    // e.g. out of file descriptors: keep the device alive and retry.
                    tracing::warn!(device = %device.name, error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = stop.changed() => return,
        };
        if let Err(e) = socket.set_nodelay(config.nodelay) {
            tracing::debug!(error = %e, "set_nodelay failed");
        }
        let (session, open) = device.sessions.open();
        let handler = Connection { device: device.clone(), session };
        let config = config.clone();
        let mut stop = stop.clone();
        tokio::spawn(async move {
            let _open = open;
            let session = match russh::server::run_stream(config, socket, handler).await {
                Ok(session) => session,
                Err(e) => {
                    tracing::debug!(error = %e, "SSH setup failed");
                    return;
                }
            };
            let handle = session.handle();
            tokio::select! {
                result = session => {
                    if let Err(e) = result {
                        tracing::debug!(error = %e, "SSH session ended with an error");
                    }
                }
                _ = stop.changed() => {
                    let _ = handle
                        .disconnect(Disconnect::ByApplication, "simulator stopping".into(), String::new())
                        .await;
                }
            }
        });
    }
}

/// One SSH connection to a device.
struct Connection {
    device: Arc<DeviceInner>,
    /// This connection's number among the device's connections (from 1).
    session: u64,
}

impl Handler for Connection {
    type Error = russh::Error;

    async fn auth_password(&mut self, user: &str, password: &str) -> Result<Auth, Self::Error> {
        let s = &self.device.settings;
        if !s.faults.refuse_login && user == s.username && password == s.password {
            self.device.logins.fetch_add(1, Ordering::Relaxed);
            Ok(Auth::Accept)
        } else {
            Ok(Auth::reject())
        }
    }

    async fn auth_publickey_offered(
        &mut self,
        _user: &str,
        _offer: PublicKeyOffer<'_>,
    ) -> Result<Auth, Self::Error> {
        Ok(Auth::reject())
    }

    async fn channel_open_session(
        &mut self,
        channel: Channel<Msg>,
        reply: ChannelOpenHandle,
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        reply.accept().await;
        tokio::spawn(run_channel(self.device.clone(), self.session, channel, session.handle()));
        Ok(())
    }

    async fn pty_request(
        &mut self,
        channel: ChannelId,
        _term: &str,
        _col_width: u32,
        _row_height: u32,
        _pix_width: u32,
        _pix_height: u32,
        _modes: &[(russh::Pty, u32)],
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        session.channel_success(channel)
    }

    async fn env_request(
        &mut self,
        channel: ChannelId,
        _name: &str,
        _value: &str,
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        session.channel_success(channel)
    }

    async fn shell_request(&mut self, channel: ChannelId, session: &mut Session) -> Result<(), Self::Error> {
        session.channel_success(channel)
    }

    async fn exec_request(
        &mut self,
        channel: ChannelId,
        _data: &[u8],
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        session.channel_success(channel)
    }

    async fn subsystem_request(
        &mut self,
        channel: ChannelId,
        _name: &str,
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        session.channel_failure(channel)
    }
}

/// What a fault says about the command that just arrived.
enum Verdict {
    Answer,
    Drop,
    Hang,
}

/// Counts a command (device-wide and for this connection) and applies the faults.
fn count_command(device: &DeviceInner, session: u64, line: &str, connection_commands: &mut u32) -> Verdict {
    device.commands.fetch_add(1, Ordering::Relaxed);
    device.sessions.command(session, line);
    *connection_commands = connection_commands.saturating_add(1);
    let faults = &device.settings.faults;
    let n = *connection_commands;
    if faults.drop_after_commands.is_some_and(|limit| n > limit) {
        Verdict::Drop
    } else if faults.hang_after_commands.is_some_and(|limit| n > limit) {
        Verdict::Hang
    } else {
        Verdict::Answer
    }
}

async fn send(channel: &Channel<Msg>, bytes: Vec<u8>) -> Result<(), russh::Error> {
    if bytes.is_empty() {
        return Ok(());
    }
    channel.data_bytes(bytes).await
}

async fn disconnect(handle: &Handle, why: &str) {
    let _ = handle.disconnect(Disconnect::ByApplication, why.into(), String::new()).await;
}

/// Serves one session channel: a PTY shell or a single `exec` command.
async fn run_channel(device: Arc<DeviceInner>, session: u64, mut channel: Channel<Msg>, handle: Handle) {
    let latency = device.settings.latency;
    let mut terminal: Option<Terminal> = None;
    let mut commands = 0u32;
    let mut hung = false;
    while let Some(msg) = channel.wait().await {
        if hung {
            continue; // keep draining so the connection stays healthy, answer nothing
        }
        match msg {
            ChannelMsg::RequestShell { .. } if terminal.is_none() => {
                let t = Terminal::new(device.shell());
                if send(&channel, t.greeting()).await.is_err() {
                    return;
                }
                terminal = Some(t);
            }
            ChannelMsg::Exec { command, .. } if terminal.is_none() => {
                match count_command(&device, session, &String::from_utf8_lossy(&command), &mut commands) {
                    Verdict::Drop => return disconnect(&handle, "connection dropped").await,
                    Verdict::Hang => {
                        hung = true;
                        continue;
                    }
                    Verdict::Answer => {}
                }
                if !latency.is_zero() {
                    tokio::time::sleep(latency).await;
                }
                let mut t = Terminal::new(device.shell());
                let out = t.execute_once(String::from_utf8_lossy(&command).trim());
                let _ = send(&channel, out).await;
                let _ = channel.exit_status(0).await;
                let _ = channel.eof().await;
                let _ = channel.close().await;
                return;
            }
            ChannelMsg::Data { data } => {
                let Some(t) = terminal.as_mut() else {
                    continue;
                };
                t.push(&data);
                loop {
                    match t.step() {
                        Step::Idle(bytes) => {
                            if send(&channel, bytes).await.is_err() {
                                return;
                            }
                            break;
                        }
                        Step::Line(line) => {
                            if line.is_command() {
                                match count_command(&device, session, &line.text, &mut commands) {
                                    Verdict::Drop => {
                                        return disconnect(&handle, "connection dropped").await;
                                    }
                                    Verdict::Hang => {
                                        hung = true;
                                        break;
                                    }
                                    Verdict::Answer => {}
                                }
                            }
                            if send(&channel, line.echo.clone()).await.is_err() {
                                return;
                            }
                            if !latency.is_zero() {
                                tokio::time::sleep(latency).await;
                            }
                            let out = t.execute(&line);
                            if send(&channel, out).await.is_err() {
                                return;
                            }
                            if t.closed() {
                                let _ = channel.eof().await;
                                let _ = channel.close().await;
                                return disconnect(&handle, "logout").await;
                            }
                        }
                    }
                }
            }
            ChannelMsg::Eof => {
                let _ = channel.eof().await;
                let _ = channel.close().await;
                return;
            }
            ChannelMsg::Close => return,
            _ => {}
        }
    }
}
