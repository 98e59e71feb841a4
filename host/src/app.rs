//! Assembling the processes: the API, a node, or both in one process (`up`).

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::Context;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::config::Settings;
use crate::node::{self, NodeHandle};
use crate::plugin::{LivePlugins, LoadProblem, PluginSetup, Plugins, SandboxLimits};
use crate::queue::JobStore;

/// Which parts run in this process.
#[derive(Clone, Copy, Debug)]
pub struct Roles {
    pub api: bool,
    pub node: bool,
}

/// A running system; stop it with [`Running::shutdown`].
pub struct Running {
    /// Where the API listens (when it runs).
    pub api_addr: Option<SocketAddr>,
    pub node_id: Option<String>,
    pub store: JobStore,
    node: Option<NodeHandle>,
    api_stop: watch::Sender<bool>,
    api_task: Option<JoinHandle<()>>,
    /// The plugins folder watcher (hot reload), stopped with the API.
    reload_task: Option<JoinHandle<()>>,
}

/// What the plugin runtime gets from the settings: the sandbox limits and the
/// folders (the compile cache defaults to `<data dir>/cache`).
pub fn plugin_setup(s: &Settings) -> PluginSetup {
    PluginSetup {
        limits: SandboxLimits {
            deadline: Duration::from_secs_f64(s.plugins.deadline_s),
            memory_bytes: s.plugins.memory_mib << 20,
        },
        plugins_dir: s.plugins_dir.clone(),
        cache_dir: Some(
            s.plugins.cache_dir.clone().unwrap_or_else(|| crate::config::data_dir().join("cache")),
        ),
    }
}

/// Load the built-in plugins and those in the configured folder.
pub fn load_plugins(s: &Settings) -> anyhow::Result<(Plugins, Vec<LoadProblem>)> {
    crate::plugin::load(&plugin_setup(s))
}

/// Start the parts named in `roles`.
pub async fn start(settings: Settings, roles: Roles) -> anyhow::Result<Running> {
    let store = JobStore::connect(&settings.redis_url, &settings.redis_prefix)
        .await
        .with_context(|| format!("cannot use Redis at {}", settings.redis_url))?
        .with_credential_key(settings.credential_key.as_deref())
        .with_min_replicas(
            settings.min_replicas(),
            Duration::from_secs_f64(settings.redis_replica_timeout_s),
        );
    if roles.api && !store.seals_credentials() {
        tracing::warn!(
            "no credential_key: device passwords wait in Redis unsealed until a worker takes the job; set NETPULSE_CREDENTIAL_KEY (the same on the API and every node) to seal them"
        );
    }
    let (plugins, problems) = load_plugins(&settings)?;
    for p in &problems {
        tracing::error!(file = p.file, "plugin not loaded: {}", p.reason);
    }
    if roles.node && plugins.drivers().is_empty() {
        anyhow::bail!("no driver plugin could be loaded: the node would fail every job");
    }
    let plugins = LivePlugins::new(plugins);
    let node = if roles.node {
        Some(node::start(settings.clone(), store.clone(), plugins.clone()).await?)
    } else {
        None
    };
    let (api_stop, stop_rx) = watch::channel(false);
    let reload_task = (settings.plugins_dir.is_some() && settings.plugins.hot_reload).then(|| {
        tokio::spawn(crate::plugin::watch_folder(plugins.clone(), plugin_setup(&settings), stop_rx.clone()))
    });
    let (api_addr, api_task) = if roles.api {
        let listener = TcpListener::bind(settings.listen)
            .await
            .with_context(|| format!("cannot listen on {}", settings.listen))?;
        let addr = listener.local_addr()?;
        let state = crate::api::ApiState::new(store.clone(), settings.clone(), plugins.clone());
        let task = tokio::spawn(crate::api::serve(listener, state, stop_rx));
        tracing::info!("API listening on http://{addr}");
        (Some(addr), Some(task))
    } else {
        (None, None)
    };
    Ok(Running {
        api_addr,
        node_id: node.as_ref().map(|n| n.id.clone()),
        store,
        node,
        api_stop,
        api_task,
        reload_task,
    })
}

impl Running {
    /// Stop accepting requests and jobs, finish what runs (up to `grace`), deregister.
    pub async fn shutdown(self, grace: Duration) {
        let _ = self.api_stop.send(true);
        if let Some(n) = self.node {
            n.shutdown(grace).await;
        }
        if let Some(t) = self.api_task {
            let _ = t.await;
        }
        if let Some(t) = self.reload_task {
            let _ = t.await;
        }
    }
}
