//! The wait between attempts at something that fails while Redis is out of reach:
//! 100 ms, doubling up to 5 s, and 100 ms again after a success.

use std::time::Duration;

use tokio::sync::watch;

const FIRST: Duration = Duration::from_millis(100);
const LONGEST: Duration = Duration::from_secs(5);

/// The delay before the next attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Backoff {
    next: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff { next: FIRST }
    }
}

impl Backoff {
    /// After a success: the next failure waits the shortest delay again.
    pub fn reset(&mut self) {
        self.next = FIRST;
    }

    /// The delay to wait now; the one after it is twice as long, up to 5 s.
    pub fn next_delay(&mut self) -> Duration {
        let delay = self.next;
        self.next = (delay * 2).min(LONGEST);
        delay
    }

    /// Waits the delay.
    pub async fn wait(&mut self) {
        tokio::time::sleep(self.next_delay()).await;
    }

    /// Waits the delay, cut short when `shutdown` changes (the node is stopping).
    pub async fn wait_unless_stopping(&mut self, shutdown: &mut watch::Receiver<bool>) {
        tokio::select! {
            _ = self.wait() => {}
            _ = shutdown.changed() => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_up_to_five_seconds_and_resets() {
        let mut b = Backoff::default();
        let delays: Vec<u64> = (0..8).map(|_| b.next_delay().as_millis() as u64).collect();
        assert_eq!(delays, vec![100, 200, 400, 800, 1600, 3200, 5000, 5000]);
        b.reset();
        assert_eq!(b.next_delay(), Duration::from_millis(100));
    }
}
