//! Pinned queue leases: a dispatcher takes a queue (`TAKE`), its node renews
//! the lease every heartbeat (`RENEW`), and the worker gives it back when it
//! leaves (`RELEASE`), re-offering the queue when jobs still wait.

use super::scripts;
use super::store::{Call, JobStore, StoreError};

impl JobStore {
    /// Take `queue` for lease `token` for `lease_s` seconds, if nobody holds it;
    /// `from_offer` ends its offer in the same step (it was popped from `unowned`).
    pub async fn take_queue(
        &self,
        queue: &str,
        token: &str,
        lease_s: u64,
        from_offer: bool,
    ) -> Result<bool, StoreError> {
        // A lease a failover could undo must not let the worker talk to the device.
        let taken: i64 = self
            .run(
                Call::new(&scripts::TAKE)
                    .key(self.keys().owner(queue))
                    .key(self.keys().offered())
                    .arg(token)
                    .arg(lease_s)
                    .arg(queue)
                    .arg(if from_offer { "1" } else { "0" }),
            )
            .await?;
        Ok(taken == 1)
    }

    /// Renew `token`'s lease on `queue`; false when another token holds it.
    pub async fn renew_lease(&self, queue: &str, token: &str, lease_s: u64) -> Result<bool, StoreError> {
        let renewed: i64 = self
            .run(Call::new(&scripts::RENEW).key(self.keys().owner(queue)).arg(token).arg(lease_s))
            .await?;
        Ok(renewed == 1)
    }

    /// `queue` was popped from `unowned` by a node already serving it: its offer ends.
    pub async fn withdraw_offer(&self, queue: &str) -> Result<(), StoreError> {
        let _: i64 = redis::AsyncCommands::srem(&mut self.conn(), self.keys().offered(), queue).await?;
        Ok(())
    }

    /// Give `queue` up if `token` holds it, offering it again when jobs wait.
    pub async fn release_queue(&self, queue: &str, token: &str) -> Result<bool, StoreError> {
        let released: i64 = scripts::RELEASE
            .key(self.keys().owner(queue))
            .key(self.keys().queue(queue))
            .key(self.keys().offered())
            .key(self.keys().unowned())
            .arg(queue)
            .arg(token)
            .invoke_async(&mut self.conn())
            .await?;
        Ok(released == 1)
    }
}
