//! The plugins in use, one set for the whole process, replaced as a whole when
//! the plugins folder changes. The API and the node read the same set, so a parser
//! dropped into the folder is accepted by the API as soon as the node can run it;
//! calls already running keep the set they started with.

use std::sync::{Arc, RwLock};
use std::time::Duration;

use tokio::sync::watch;

use super::PluginSetup;
use super::registry::{Plugins, folder_signature};

/// The current plugins, and a counter that moves each time they are replaced.
pub struct LivePlugins {
    current: RwLock<Arc<Plugins>>,
    generation: watch::Sender<u64>,
}

impl LivePlugins {
    pub fn new(plugins: Plugins) -> Arc<Self> {
        Arc::new(Self { current: RwLock::new(Arc::new(plugins)), generation: watch::channel(0).0 })
    }

    /// The plugins in use now.
    pub fn get(&self) -> Arc<Plugins> {
        self.current.read().expect("plugins lock").clone()
    }

    /// Told each time the plugins are replaced.
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.generation.subscribe()
    }

    fn replace(&self, plugins: Plugins) {
        *self.current.write().expect("plugins lock") = Arc::new(plugins);
        self.generation.send_modify(|g| *g += 1);
    }
}

/// Reload the plugins when files in the setup's plugins folder are added,
/// replaced or removed, until `stop` turns true (at once without a folder). A
/// reload that fails keeps the plugins in use.
pub async fn watch_folder(live: Arc<LivePlugins>, setup: PluginSetup, mut stop: watch::Receiver<bool>) {
    let Some(dir) = setup.plugins_dir.clone() else { return };
    let mut last = folder_signature(&dir);
    loop {
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_millis(500)) => {}
            _ = stop.changed() => return,
        }
        let now = folder_signature(&dir);
        if now == last {
            continue;
        }
        last = now;
        let s = setup.clone();
        match tokio::task::spawn_blocking(move || super::load(&s)).await {
            Ok(Ok((plugins, problems))) => {
                for p in &problems {
                    tracing::error!(file = p.file, "plugin not loaded: {}", p.reason);
                }
                let types = plugins.device_types();
                let parsers: Vec<String> =
                    plugins.parsers().iter().flat_map(|p| p.meta.platforms.clone()).collect();
                live.replace(plugins);
                tracing::info!(
                    "plugins reloaded: drivers {}; parsers {}",
                    types.iter().map(|(t, p)| format!("{t}={p}")).collect::<Vec<_>>().join(", "),
                    parsers.join(", ")
                );
            }
            Ok(Err(e)) => tracing::error!("plugin reload failed, keeping the plugins in use: {e:#}"),
            Err(e) => tracing::error!("plugin reload aborted: {e}"),
        }
    }
}
