//! Wake-ups for long polls (`GET /job?id=&wait=`): one Pub/Sub subscription per
//! process for all its waiters, never a polling loop.
//!
//! A waiter registers locally, then marks the job as waited for in Redis
//! (`<p>:wait:<id>`) before it reads the job; the `end_job` chunk of every
//! script that ends a job publishes the id on `<p>:ended` when that mark
//! exists. So a job that ends after the read always wakes its waiter, and jobs
//! nobody waits for cost no message. When the subscription drops, every waiter
//! is woken to read again (a message may have been missed), and it is renewed.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::StreamExt;
use tokio::sync::oneshot;

use super::store::{JobStore, StoreError};

type Waiters = Arc<Mutex<HashMap<String, Vec<oneshot::Sender<()>>>>>;

/// The process's waiters, and the subscription that wakes them.
#[derive(Clone)]
pub struct Wakeups {
    store: JobStore,
    waiters: Waiters,
}

/// One registered wait; dropping it forgets the registration.
pub struct Waiter {
    id: String,
    rx: oneshot::Receiver<()>,
    waiters: Waiters,
}

impl Wakeups {
    /// Start the subscription (renewed in the background for as long as the
    /// process runs).
    pub fn start(store: JobStore) -> Self {
        let waiters: Waiters = Arc::default();
        let me = Self { store, waiters };
        let bg = me.clone();
        tokio::spawn(async move { bg.subscribe_forever().await });
        me
    }

    async fn subscribe_forever(self) {
        let channel = self.store.keys().ended_channel();
        loop {
            match self.store.pubsub().await {
                Ok(mut pubsub) => match pubsub.subscribe(&channel).await {
                    Ok(()) => {
                        // Anything published while there was no subscription is lost:
                        // every waiter reads again.
                        self.wake_all();
                        let mut messages = pubsub.on_message();
                        while let Some(msg) = messages.next().await {
                            if let Ok(id) = msg.get_payload::<String>() {
                                self.wake(&id);
                            }
                        }
                        tracing::warn!("the long-poll subscription to Redis dropped; renewing it");
                    }
                    Err(e) => tracing::warn!("cannot subscribe to {channel}: {e}"),
                },
                Err(e) => tracing::debug!("no Pub/Sub connection to Redis yet: {e}"),
            }
            self.wake_all();
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }

    fn wake(&self, id: &str) {
        let senders = self.waiters.lock().expect("waiters lock").remove(id);
        for tx in senders.into_iter().flatten() {
            let _ = tx.send(());
        }
    }

    fn wake_all(&self) {
        let all = std::mem::take(&mut *self.waiters.lock().expect("waiters lock"));
        for tx in all.into_values().flatten() {
            let _ = tx.send(());
        }
    }

    /// Register a wait of at most `limit` for job `id`. Read the job only after
    /// this returns, then [`Waiter::woken`].
    pub async fn register(&self, id: &str, limit: Duration) -> Result<Waiter, StoreError> {
        let (tx, rx) = oneshot::channel();
        self.waiters.lock().expect("waiters lock").entry(id.to_string()).or_default().push(tx);
        let waiter = Waiter { id: id.to_string(), rx, waiters: self.waiters.clone() };
        // A shorter wait of another client must not shorten this one's mark.
        let (key, ttl) = (self.store.keys().wait(id), limit.as_secs() + 5);
        let _: () = redis::pipe()
            .cmd("SET")
            .arg(&key)
            .arg(1)
            .arg("EX")
            .arg(ttl)
            .arg("NX")
            .ignore()
            .cmd("EXPIRE")
            .arg(&key)
            .arg(ttl)
            .arg("GT")
            .ignore()
            .query_async(&mut self.store.conn())
            .await?;
        Ok(waiter)
    }
}

impl Waiter {
    /// Wait until the job may have ended, or `until`. True when woken.
    pub async fn woken(&mut self, until: tokio::time::Instant) -> bool {
        matches!(tokio::time::timeout_at(until, &mut self.rx).await, Ok(Ok(())))
    }
}

impl Drop for Waiter {
    fn drop(&mut self) {
        self.rx.close();
        let mut map = self.waiters.lock().expect("waiters lock");
        if let Some(list) = map.get_mut(&self.id) {
            list.retain(|tx| !tx.is_closed());
            if list.is_empty() {
                map.remove(&self.id);
            }
        }
    }
}
