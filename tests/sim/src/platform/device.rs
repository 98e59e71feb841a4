//! What every platform's device model is made of: the fleet-wide catalog and the state all
//! the device's sessions share ([`Device`]); a platform's state says what its hostname is
//! and what happens before each use ([`State`]). Most keep a running configuration and the
//! one saved for startup ([`Saved`]).

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

use crate::platform::blocks::{Blocks, Change};

/// The state a device's sessions share (configurations, files).
pub(crate) trait State: Send {
    /// The device's hostname now.
    fn hostname(&self) -> String;

    /// Brings the state up to date before each use, e.g. rolls back a `commit confirmed`
    /// whose time ran out. Default: nothing to do.
    fn settle(&mut self) {}
}

/// One device: its platform's catalog `C` and its state `S`.
pub(crate) struct Device<C, S> {
    pub catalog: Arc<C>,
    state: Mutex<S>,
}

impl<C, S: State> Device<C, S> {
    pub fn new(catalog: Arc<C>, state: S) -> Device<C, S> {
        Device { catalog, state: Mutex::new(state) }
    }

    /// The state, settled.
    pub fn state(&self) -> MutexGuard<'_, S> {
        // A panic while holding the lock cannot leave the state half-written in a way that
        // matters for a simulator: keep going with whatever is there.
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        state.settle();
        state
    }

    pub fn hostname(&self) -> String {
        self.state().hostname()
    }
}

/// A running configuration and the one saved for startup (`write memory`, VRP `save`).
pub(crate) struct Saved<T> {
    pub running: T,
    pub startup: T,
}

impl<T: Clone> Saved<T> {
    /// A device that starts with `config`, saved.
    pub fn new(config: T) -> Saved<T> {
        Saved { startup: config.clone(), running: config }
    }

    /// Saves the running configuration for startup.
    pub fn save(&mut self) {
        self.startup = self.running.clone();
    }
}

impl State for Saved<Blocks> {
    fn hostname(&self) -> String {
        self.running.hostname.clone()
    }
}

impl<C> Device<C, Saved<Blocks>> {
    /// Applies a configuration-mode change to the running configuration.
    pub fn apply(&self, change: &Change) {
        self.state().running.apply(change);
    }
}

/// What a `commit confirmed` whose time is up rolls back to (taken out of `confirm`, which
/// holds the deadline and that configuration).
pub(crate) fn expired<T>(confirm: &mut Option<(Instant, T)>) -> Option<T> {
    confirm.take_if(|(deadline, _)| Instant::now() >= *deadline).map(|(_, before)| before)
}
