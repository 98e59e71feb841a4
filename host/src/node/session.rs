//! A device session held by a worker: the SSH shell, the driver that prepared it,
//! and the state the driver handed back. Driver calls run on blocking threads
//! (wasmtime calls are synchronous) with the shell moved in and back out.

use std::sync::Arc;
use std::time::Duration;

use tokio::runtime::Handle;

use crate::plugin::SessionState;
use crate::plugin::{DriverPlugin, StopSignal, Transport, TransportReadError};
use crate::ssh::{ReadError, SshShell};

/// The SSH shell as a blocking [`Transport`] for plugin calls.
pub struct BlockingShell {
    pub shell: SshShell,
    rt: Handle,
    /// The running job's stop switch: a raised one ends a read at once and
    /// refuses writes, so a stopped job sends the device nothing more.
    pub stop: Option<Arc<StopSignal>>,
    /// Time spent waiting on the device (writes and reads) since last reset.
    pub waited: Duration,
}

impl BlockingShell {
    pub fn new(shell: SshShell) -> Self {
        Self { shell, rt: Handle::current(), stop: None, waited: Duration::ZERO }
    }

    fn stopped(&self) -> bool {
        self.stop.as_ref().is_some_and(|s| s.is_stopped())
    }
}

impl Transport for BlockingShell {
    fn write(&mut self, data: &str) -> Result<(), String> {
        if self.stopped() {
            return Err(crate::plugin::STOPPED.into());
        }
        if self.stop.as_ref().is_some_and(|s| !s.may_write()) {
            return Err(crate::plugin::FENCED.into());
        }
        let started = std::time::Instant::now();
        let r = self.rt.block_on(self.shell.write(data));
        self.waited += started.elapsed();
        r
    }

    fn read_until(
        &mut self,
        pattern: &str,
        timeout: Duration,
    ) -> Result<(String, String), TransportReadError> {
        let stop = self.stop.clone();
        let shell = &mut self.shell;
        let read = async move {
            let Some(stop) = stop else { return shell.read_until(pattern, timeout).await };
            let woken = stop.wake().notified();
            tokio::pin!(woken);
            woken.as_mut().enable();
            if stop.is_stopped() {
                return Err(ReadError::Closed(crate::plugin::STOPPED.into()));
            }
            tokio::select! {
                r = shell.read_until(pattern, timeout) => r,
                _ = woken => Err(ReadError::Closed(crate::plugin::STOPPED.into())),
            }
        };
        let started = std::time::Instant::now();
        let r = self.rt.block_on(read);
        self.waited += started.elapsed();
        r.map_err(|e| match e {
            ReadError::Timeout(s) => TransportReadError::Timeout(s),
            ReadError::Closed(s) => TransportReadError::Closed(s),
            ReadError::BadPattern(s) => TransportReadError::BadPattern(s),
        })
    }

    fn drain(&mut self) -> String {
        self.rt.block_on(self.shell.drain())
    }
}

/// An open, prepared device session.
pub struct DeviceSession {
    pub shell: Option<BlockingShell>,
    pub state: SessionState,
    pub plugin: Arc<DriverPlugin>,
    /// Identifies the credentials the session was opened with.
    pub fingerprint: u64,
}

impl DeviceSession {
    pub fn is_open(&self) -> bool {
        self.shell.as_ref().is_some_and(|s| s.shell.is_open())
    }

    /// Check that an idle session still answers (the driver's probe). False when not.
    pub async fn probe(&mut self, device: &str) -> bool {
        if !self.is_open() {
            return false;
        }
        let Some(shell) = self.shell.take() else { return false };
        let (plugin, state) = (self.plugin.clone(), self.state.clone());
        let ctx = crate::plugin::CallContext {
            job: String::new(),
            device: device.to_string(),
            job_deadline: Some(std::time::Instant::now() + Duration::from_secs(10)),
            stop: None,
        };
        match tokio::task::spawn_blocking(move || plugin.probe(shell, &ctx, &state, 10_000)).await {
            Ok((shell, r)) => {
                self.shell = Some(shell);
                matches!(r, Ok(Ok(())))
            }
            Err(_) => false,
        }
    }

    /// Leave the device politely and close the connection.
    pub async fn close(mut self, job: &str, device: &str) {
        let Some(shell) = self.shell.take() else {
            return;
        };
        let plugin = self.plugin.clone();
        let state = self.state.clone();
        let ctx = crate::plugin::CallContext {
            job: job.to_string(),
            device: device.to_string(),
            job_deadline: Some(std::time::Instant::now() + Duration::from_secs(5)),
            stop: None,
        };
        let shell = tokio::task::spawn_blocking(move || plugin.close(shell, &ctx, &state)).await;
        if let Ok(shell) = shell {
            shell.shell.close().await;
        }
    }
}
