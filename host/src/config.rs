//! Settings: defaults that work on a laptop, then a TOML file, then `NETPULSE_*`
//! environment variables. Bad values are errors with the name of the setting.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

/// Everything configurable.
#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// API listen address. `NETPULSE_LISTEN`.
    pub listen: SocketAddr,
    /// One server (`redis://`, `rediss://`, `unix://`), Redis Sentinel
    /// (`redis+sentinel://host1:26379,host2:26379/mymaster`) or a Redis Cluster
    /// (`redis+cluster://host1:7000,host2:7001`). `NETPULSE_REDIS_URL`.
    pub redis_url: String,
    /// Prefix of every Redis key; its `{...}` hash tag keeps every key in one
    /// Cluster slot (required on a Cluster). `NETPULSE_REDIS_PREFIX`.
    pub redis_prefix: String,
    /// Replicas every job state change (submit, claim, finish, cancel) must reach
    /// before it is acknowledged (`WAIT`). Unset: 1 with Sentinel or a Cluster, else 0.
    /// `NETPULSE_REDIS_MIN_REPLICAS`.
    pub redis_min_replicas: Option<u32>,
    /// How long to wait for those replicas; a change not confirmed in time is
    /// answered like Redis being unreachable (503, or retried by a node).
    /// `NETPULSE_REDIS_REPLICA_TIMEOUT_S`.
    pub redis_replica_timeout_s: f64,
    /// Folder of extra plugin components (`*.wasm`). `NETPULSE_PLUGINS_DIR`.
    pub plugins_dir: Option<PathBuf>,
    /// TextFSM templates folder with its CliTable `index` (the layout of
    /// ntc-templates' `templates/`). `NETPULSE_TEMPLATES_DIR`.
    pub templates_dir: Option<PathBuf>,
    /// Accepted API keys, each with a role: `["key"]` (admin) or `[{key = "...",
    /// role = "read" | "operate" | "admin"}]`. `NETPULSE_API_KEYS` (comma separated,
    /// `KEY` or `KEY:ROLE`) or `NETPULSE_API_KEY`.
    pub api_keys: Vec<ApiKey>,
    /// Seals job credentials while they wait in Redis (AES-256-GCM); the API and
    /// every node must share it. `NETPULSE_CREDENTIAL_KEY`.
    pub credential_key: Option<String>,
    /// Sign every webhook delivery with HMAC-SHA256 of its body under this secret
    /// (`X-NetPulse-Signature: sha256=<hex>`). `NETPULSE_WEBHOOK_SECRET`.
    pub webhook_secret: Option<String>,
    /// Serve `GET /metrics` without an API key (otherwise a `read` key is needed).
    /// `NETPULSE_METRICS_PUBLIC`.
    pub metrics_public: bool,
    /// Log lines as JSON. `NETPULSE_LOG_JSON`.
    pub log_json: bool,
    pub node: NodeSettings,
    pub jobs: JobDefaults,
    pub plugins: PluginSettings,
    pub api: ApiSettings,
    pub limits: LimitSettings,
    pub render: RenderSettings,
    pub ssh: SshSettings,
    /// Answer the device routes in another API's shapes: `"netpulse-0.4"` makes
    /// `/device/exec`, `/device/bulk` and `/device/test` answer NetPulse 0.4's
    /// flattened models (no envelope), for clients that cannot ask for a shape.
    /// Unset: the spec's envelope. `NETPULSE_COMPAT` (empty or `none` unsets it).
    pub compat: Option<Compat>,
}

/// The shapes [`Settings::compat`] can ask for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
pub enum Compat {
    /// NetPulse 0.4's flattened `JobInResponse`, `BatchSubmitJobResponse` and
    /// `ConnectionTestResponse`, errors as `{"detail": ...}`.
    #[serde(rename = "netpulse-0.4")]
    NetPulse04,
}

impl std::str::FromStr for Compat {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim() {
            "netpulse-0.4" => Ok(Compat::NetPulse04),
            other => Err(format!("unknown compat mode {other:?}; valid values: netpulse-0.4 (or none)")),
        }
    }
}

/// The node daemon.
#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NodeSettings {
    /// Node id; default `<hostname>-<pid>`. `NETPULSE_NODE_NAME`.
    pub name: Option<String>,
    /// FIFO workers. `NETPULSE_FIFO_WORKERS`.
    pub fifo_workers: usize,
    /// Most pinned workers (device sessions) this node holds. `NETPULSE_CAPACITY`.
    pub capacity: usize,
    /// Heartbeat interval, seconds. `NETPULSE_HEARTBEAT_S`.
    pub heartbeat_s: f64,
    /// A pinned worker idle this long closes its session, seconds. `NETPULSE_PINNED_IDLE_S`.
    pub pinned_idle_s: f64,
    /// An idle pinned session is probed this often, seconds. `NETPULSE_PROBE_S`.
    pub probe_s: f64,
}

/// Defaults for jobs that do not say otherwise.
#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct JobDefaults {
    /// Longest wait in a queue, seconds (1-86400). `NETPULSE_JOB_TTL_S`.
    pub ttl_s: u64,
    /// Longest run once started, seconds (1-86400). `NETPULSE_EXECUTION_TIMEOUT_S`.
    pub execution_timeout_s: u64,
    /// How long ended jobs are kept, seconds (60-604800). `NETPULSE_RESULT_TTL_S`.
    pub result_ttl_s: u64,
    /// Per-command read timeout, seconds. `NETPULSE_READ_TIMEOUT_S`.
    pub read_timeout_s: f64,
    /// SSH connect timeout, seconds. `NETPULSE_CONNECT_TIMEOUT_S`.
    pub connect_timeout_s: f64,
}

/// The plugin sandbox.
#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PluginSettings {
    /// CPU deadline per call, seconds. `NETPULSE_PLUGIN_DEADLINE_S`.
    pub deadline_s: f64,
    /// Memory cap per instance, MiB. `NETPULSE_PLUGIN_MEMORY_MIB`.
    pub memory_mib: usize,
    /// Where compiled plugins are cached; default `<data dir>/cache`. `NETPULSE_PLUGIN_CACHE_DIR`.
    pub cache_dir: Option<PathBuf>,
    /// Reload plugins when the plugins folder changes. `NETPULSE_PLUGIN_RELOAD`.
    pub hot_reload: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:9000".parse().expect("valid default"),
            redis_url: "redis://127.0.0.1:6379".into(),
            redis_prefix: "{netpulse}".into(),
            redis_min_replicas: None,
            redis_replica_timeout_s: 1.0,
            plugins_dir: None,
            templates_dir: None,
            api_keys: Vec::new(),
            credential_key: None,
            webhook_secret: None,
            metrics_public: false,
            log_json: false,
            node: NodeSettings::default(),
            jobs: JobDefaults::default(),
            plugins: PluginSettings::default(),
            api: ApiSettings::default(),
            limits: LimitSettings::default(),
            render: RenderSettings::default(),
            ssh: SshSettings::default(),
            compat: None,
        }
    }
}

/// What an API key may do; each role includes the ones before it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// GET endpoints and `/metrics`.
    Read,
    /// Submit, cancel, parse, render, test.
    Operate,
    /// Delete workers, forget host keys.
    Admin,
}

impl Role {
    pub fn name(self) -> &'static str {
        match self {
            Role::Read => "read",
            Role::Operate => "operate",
            Role::Admin => "admin",
        }
    }
}

impl std::str::FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim() {
            "read" => Ok(Role::Read),
            "operate" => Ok(Role::Operate),
            "admin" => Ok(Role::Admin),
            other => Err(format!("unknown role {other:?}; valid roles: read, operate, admin")),
        }
    }
}

/// An API key and its role. A plain string in the settings is an `admin` key.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum ApiKey {
    Plain(String),
    WithRole { key: String, role: Role },
}

impl ApiKey {
    pub fn key(&self) -> &str {
        match self {
            ApiKey::Plain(k) | ApiKey::WithRole { key: k, .. } => k,
        }
    }

    pub fn role(&self) -> Role {
        match self {
            ApiKey::Plain(_) => Role::Admin,
            ApiKey::WithRole { role, .. } => *role,
        }
    }

    /// `KEY` (admin) or `KEY:ROLE`, as `NETPULSE_API_KEYS` gives them.
    fn from_env(item: &str) -> Result<ApiKey, String> {
        match item.rsplit_once(':') {
            Some((key, role)) if ["read", "operate", "admin"].contains(&role.trim()) => {
                Ok(ApiKey::WithRole { key: key.trim().to_string(), role: role.parse()? })
            }
            _ => Ok(ApiKey::Plain(item.trim().to_string())),
        }
    }
}

impl std::fmt::Debug for ApiKey {
    // Never print a key.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ApiKey(<{} key>)", self.role().name())
    }
}

impl From<&str> for ApiKey {
    fn from(k: &str) -> Self {
        ApiKey::Plain(k.to_string())
    }
}

impl From<String> for ApiKey {
    fn from(k: String) -> Self {
        ApiKey::Plain(k)
    }
}

/// The HTTP server's own limits.
#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ApiSettings {
    /// How long a client may take to send a request's headers, seconds.
    /// `NETPULSE_HEADER_READ_TIMEOUT_S`.
    pub header_read_timeout_s: f64,
    /// Connections served at once; more are answered 503 and closed.
    /// `NETPULSE_MAX_CONNECTIONS`.
    pub max_connections: usize,
    /// CPU deadline of a `/template/parse` call, seconds (jobs use
    /// `plugins.deadline_s`). `NETPULSE_PARSE_DEADLINE_S`.
    pub parse_deadline_s: f64,
}

impl Default for ApiSettings {
    fn default() -> Self {
        Self { header_read_timeout_s: 10.0, max_connections: 10_000, parse_deadline_s: 5.0 }
    }
}

/// Sizes a job may have.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LimitSettings {
    /// One command or configuration line, bytes. `NETPULSE_MAX_LINE_BYTES`.
    pub max_line_bytes: usize,
    /// Command or configuration lines in one job. `NETPULSE_MAX_LINES`.
    pub max_lines: usize,
    /// Configuration a template may render, bytes. `NETPULSE_MAX_RENDERED_BYTES`.
    pub max_rendered_bytes: usize,
}

impl Default for LimitSettings {
    fn default() -> Self {
        Self { max_line_bytes: 64 << 10, max_lines: 10_000, max_rendered_bytes: 4 << 20 }
    }
}

/// Jinja2 rendering's budget.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RenderSettings {
    /// Wall-clock budget of one render, milliseconds. `NETPULSE_RENDER_BUDGET_MS`.
    pub budget_ms: u64,
    /// Largest output of one render, bytes. `NETPULSE_RENDER_MAX_OUTPUT_BYTES`.
    pub max_output_bytes: usize,
}

impl Default for RenderSettings {
    fn default() -> Self {
        Self { budget_ms: 2000, max_output_bytes: 1 << 20 }
    }
}

/// How device host keys are checked (as OpenSSH's `StrictHostKeyChecking`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum HostKeyPolicy {
    /// The first key seen for host:port is pinned (in Redis, for every node); a
    /// different key later fails the job with `HostKeyMismatch`.
    #[default]
    AcceptNew,
    /// Only keys in `ssh.known_hosts`.
    Strict,
    /// Any key (logged as a warning).
    Off,
}

impl std::str::FromStr for HostKeyPolicy {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim() {
            "accept-new" => Ok(HostKeyPolicy::AcceptNew),
            "strict" => Ok(HostKeyPolicy::Strict),
            "off" => Ok(HostKeyPolicy::Off),
            other => Err(format!("unknown host key policy {other:?}; valid values: accept-new, strict, off")),
        }
    }
}

/// SSH client settings.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SshSettings {
    /// `NETPULSE_HOST_KEY_POLICY`: accept-new (default), strict or off.
    pub host_key_policy: HostKeyPolicy,
    /// An OpenSSH known_hosts file, for `strict`. `NETPULSE_KNOWN_HOSTS`.
    pub known_hosts: Option<PathBuf>,
}

impl Default for NodeSettings {
    fn default() -> Self {
        Self {
            name: None,
            fifo_workers: 4,
            capacity: 1000,
            heartbeat_s: 5.0,
            pinned_idle_s: 600.0,
            probe_s: 60.0,
        }
    }
}

impl Default for JobDefaults {
    fn default() -> Self {
        Self {
            ttl_s: 300,
            execution_timeout_s: 300,
            result_ttl_s: 3600,
            read_timeout_s: 30.0,
            connect_timeout_s: 10.0,
        }
    }
}

impl Default for PluginSettings {
    fn default() -> Self {
        Self { deadline_s: 30.0, memory_mib: 64, cache_dir: None, hot_reload: true }
    }
}

/// The folder for NetPulse's own files on this machine: `NETPULSE_DATA_DIR`, else
/// `$XDG_DATA_HOME/netpulse`, else `~/.local/share/netpulse`.
pub fn data_dir() -> PathBuf {
    std::env::var_os("NETPULSE_DATA_DIR")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("XDG_DATA_HOME").map(|d| PathBuf::from(d).join("netpulse")))
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share/netpulse")))
        .unwrap_or_else(|| std::env::temp_dir().join("netpulse"))
}

/// A setting could not be used.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ConfigError(String);

impl Settings {
    /// Defaults, then `file` (if given), then the environment.
    pub fn load(file: Option<&Path>) -> Result<Settings, ConfigError> {
        let mut s = match file {
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .map_err(|e| ConfigError(format!("cannot read config file {}: {e}", path.display())))?;
                toml::from_str(&text)
                    .map_err(|e| ConfigError(format!("config file {}: {e}", path.display())))?
            }
            None => Settings::default(),
        };
        s.apply_env(|k| std::env::var(k).ok())?;
        s.validate()?;
        Ok(s)
    }

    /// Apply `NETPULSE_*` variables read through `get`.
    pub fn apply_env(&mut self, get: impl Fn(&str) -> Option<String>) -> Result<(), ConfigError> {
        fn parse<T: std::str::FromStr>(name: &str, v: &str) -> Result<T, ConfigError>
        where
            T::Err: std::fmt::Display,
        {
            v.trim().parse().map_err(|e| ConfigError(format!("{name}={v:?}: {e}")))
        }
        let get = |k: &str| get(k).filter(|v| !v.trim().is_empty());
        if let Some(v) = get("NETPULSE_LISTEN") {
            self.listen = parse("NETPULSE_LISTEN", &v)?;
        }
        if let Some(v) = get("NETPULSE_REDIS_URL") {
            self.redis_url = v;
        }
        if let Some(v) = get("NETPULSE_REDIS_PREFIX") {
            self.redis_prefix = v;
        }
        if let Some(v) = get("NETPULSE_REDIS_MIN_REPLICAS") {
            self.redis_min_replicas = Some(parse("NETPULSE_REDIS_MIN_REPLICAS", &v)?);
        }
        if let Some(v) = get("NETPULSE_REDIS_REPLICA_TIMEOUT_S") {
            self.redis_replica_timeout_s = parse("NETPULSE_REDIS_REPLICA_TIMEOUT_S", &v)?;
        }
        if let Some(v) = get("NETPULSE_PLUGINS_DIR") {
            self.plugins_dir = Some(PathBuf::from(v));
        }
        if let Some(v) = get("NETPULSE_TEMPLATES_DIR") {
            self.templates_dir = Some(PathBuf::from(v));
        }
        if let Some(v) = get("NETPULSE_API_KEYS").or_else(|| get("NETPULSE_API_KEY")) {
            self.api_keys = v
                .split(',')
                .filter(|k| !k.trim().is_empty())
                .map(ApiKey::from_env)
                .collect::<Result<_, _>>()
                .map_err(|e| ConfigError(format!("NETPULSE_API_KEYS: {e}")))?;
        }
        if let Some(v) = get("NETPULSE_CREDENTIAL_KEY") {
            self.credential_key = Some(v).filter(|k| !k.is_empty());
        }
        if let Some(v) = get("NETPULSE_WEBHOOK_SECRET") {
            self.webhook_secret = Some(v).filter(|k| !k.is_empty());
        }
        if let Some(v) = get("NETPULSE_METRICS_PUBLIC") {
            self.metrics_public = parse("NETPULSE_METRICS_PUBLIC", &v)?;
        }
        if let Some(v) = get("NETPULSE_LOG_JSON") {
            self.log_json = matches!(v.trim(), "1" | "true" | "yes");
        }
        if let Some(v) = get("NETPULSE_NODE_NAME") {
            self.node.name = Some(v);
        }
        if let Some(v) = get("NETPULSE_FIFO_WORKERS") {
            self.node.fifo_workers = parse("NETPULSE_FIFO_WORKERS", &v)?;
        }
        if let Some(v) = get("NETPULSE_CAPACITY") {
            self.node.capacity = parse("NETPULSE_CAPACITY", &v)?;
        }
        if let Some(v) = get("NETPULSE_HEARTBEAT_S") {
            self.node.heartbeat_s = parse("NETPULSE_HEARTBEAT_S", &v)?;
        }
        if let Some(v) = get("NETPULSE_PINNED_IDLE_S") {
            self.node.pinned_idle_s = parse("NETPULSE_PINNED_IDLE_S", &v)?;
        }
        if let Some(v) = get("NETPULSE_PROBE_S") {
            self.node.probe_s = parse("NETPULSE_PROBE_S", &v)?;
        }
        if let Some(v) = get("NETPULSE_JOB_TTL_S") {
            self.jobs.ttl_s = parse("NETPULSE_JOB_TTL_S", &v)?;
        }
        if let Some(v) = get("NETPULSE_EXECUTION_TIMEOUT_S") {
            self.jobs.execution_timeout_s = parse("NETPULSE_EXECUTION_TIMEOUT_S", &v)?;
        }
        if let Some(v) = get("NETPULSE_RESULT_TTL_S") {
            self.jobs.result_ttl_s = parse("NETPULSE_RESULT_TTL_S", &v)?;
        }
        if let Some(v) = get("NETPULSE_READ_TIMEOUT_S") {
            self.jobs.read_timeout_s = parse("NETPULSE_READ_TIMEOUT_S", &v)?;
        }
        if let Some(v) = get("NETPULSE_CONNECT_TIMEOUT_S") {
            self.jobs.connect_timeout_s = parse("NETPULSE_CONNECT_TIMEOUT_S", &v)?;
        }
        if let Some(v) = get("NETPULSE_PLUGIN_DEADLINE_S") {
            self.plugins.deadline_s = parse("NETPULSE_PLUGIN_DEADLINE_S", &v)?;
        }
        if let Some(v) = get("NETPULSE_PLUGIN_CACHE_DIR") {
            self.plugins.cache_dir = Some(PathBuf::from(v));
        }
        if let Some(v) = get("NETPULSE_PLUGIN_RELOAD") {
            self.plugins.hot_reload = matches!(v.trim(), "1" | "true" | "yes");
        }
        if let Some(v) = get("NETPULSE_PLUGIN_MEMORY_MIB") {
            self.plugins.memory_mib = parse("NETPULSE_PLUGIN_MEMORY_MIB", &v)?;
        }
        if let Some(v) = get("NETPULSE_HEADER_READ_TIMEOUT_S") {
            self.api.header_read_timeout_s = parse("NETPULSE_HEADER_READ_TIMEOUT_S", &v)?;
        }
        if let Some(v) = get("NETPULSE_MAX_CONNECTIONS") {
            self.api.max_connections = parse("NETPULSE_MAX_CONNECTIONS", &v)?;
        }
        if let Some(v) = get("NETPULSE_PARSE_DEADLINE_S") {
            self.api.parse_deadline_s = parse("NETPULSE_PARSE_DEADLINE_S", &v)?;
        }
        if let Some(v) = get("NETPULSE_MAX_LINE_BYTES") {
            self.limits.max_line_bytes = parse("NETPULSE_MAX_LINE_BYTES", &v)?;
        }
        if let Some(v) = get("NETPULSE_MAX_LINES") {
            self.limits.max_lines = parse("NETPULSE_MAX_LINES", &v)?;
        }
        if let Some(v) = get("NETPULSE_MAX_RENDERED_BYTES") {
            self.limits.max_rendered_bytes = parse("NETPULSE_MAX_RENDERED_BYTES", &v)?;
        }
        if let Some(v) = get("NETPULSE_RENDER_BUDGET_MS") {
            self.render.budget_ms = parse("NETPULSE_RENDER_BUDGET_MS", &v)?;
        }
        if let Some(v) = get("NETPULSE_RENDER_MAX_OUTPUT_BYTES") {
            self.render.max_output_bytes = parse("NETPULSE_RENDER_MAX_OUTPUT_BYTES", &v)?;
        }
        if let Some(v) = get("NETPULSE_HOST_KEY_POLICY") {
            self.ssh.host_key_policy = v.parse().map_err(ConfigError)?;
        }
        if let Some(v) = get("NETPULSE_KNOWN_HOSTS") {
            self.ssh.known_hosts = Some(PathBuf::from(v));
        }
        if let Some(v) = get("NETPULSE_COMPAT") {
            self.compat = match v.trim() {
                "" | "none" => None,
                other => Some(other.parse().map_err(|e| ConfigError(format!("NETPULSE_COMPAT: {e}")))?),
            };
        }
        Ok(())
    }

    /// Reject values that cannot work.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let bad = |m: String| Err(ConfigError(m));
        let topology = match crate::model::redis_url::Topology::parse(&self.redis_url) {
            Ok(t) => t,
            Err(e) => return bad(format!("redis_url {e}")),
        };
        if self.redis_prefix.is_empty() || self.redis_prefix.contains(char::is_whitespace) {
            return bad("redis_prefix must be a non-empty word".into());
        }
        if topology.is_cluster() && !crate::model::redis_url::has_hash_tag(&self.redis_prefix) {
            return bad(format!(
                "redis_prefix {:?} needs a hash tag on a Redis Cluster (e.g. {{{}}}), so that every key lives on one node",
                self.redis_prefix, self.redis_prefix
            ));
        }
        // Below the 5 s a Redis answer may take: a longer WAIT would read as Redis gone.
        if !(0.01..=4.0).contains(&self.redis_replica_timeout_s) {
            return bad(format!(
                "redis_replica_timeout_s {} must be between 0.01 and 4",
                self.redis_replica_timeout_s
            ));
        }
        if !(0.05..=3600.0).contains(&self.node.heartbeat_s) {
            return bad(format!("node.heartbeat_s {} must be between 0.05 and 3600", self.node.heartbeat_s));
        }
        if self.node.pinned_idle_s <= 0.0 || !self.node.pinned_idle_s.is_finite() {
            return bad("node.pinned_idle_s must be a positive number of seconds".into());
        }
        if !(1..=86400).contains(&self.jobs.ttl_s) {
            return bad(format!("jobs.ttl_s {} must be between 1 and 86400", self.jobs.ttl_s));
        }
        if !(1..=86400).contains(&self.jobs.execution_timeout_s) {
            return bad(format!(
                "jobs.execution_timeout_s {} must be between 1 and 86400",
                self.jobs.execution_timeout_s
            ));
        }
        if !(60..=604800).contains(&self.jobs.result_ttl_s) {
            return bad(format!(
                "jobs.result_ttl_s {} must be between 60 and 604800",
                self.jobs.result_ttl_s
            ));
        }
        for (name, v) in [
            ("jobs.read_timeout_s", self.jobs.read_timeout_s),
            ("jobs.connect_timeout_s", self.jobs.connect_timeout_s),
            ("plugins.deadline_s", self.plugins.deadline_s),
            ("node.probe_s", self.node.probe_s),
        ] {
            if !(v > 0.0 && v <= 86400.0) {
                return bad(format!("{name} {v} must be between 0 and 86400 seconds"));
            }
        }
        if self.plugins.memory_mib == 0 {
            return bad("plugins.memory_mib must be at least 1".into());
        }
        for (name, v) in [
            ("api.header_read_timeout_s", self.api.header_read_timeout_s),
            ("api.parse_deadline_s", self.api.parse_deadline_s),
        ] {
            if !(v > 0.0 && v <= 3600.0) {
                return bad(format!("{name} {v} must be between 0 and 3600 seconds"));
            }
        }
        for (name, v) in [
            ("api.max_connections", self.api.max_connections),
            ("limits.max_line_bytes", self.limits.max_line_bytes),
            ("limits.max_lines", self.limits.max_lines),
            ("limits.max_rendered_bytes", self.limits.max_rendered_bytes),
            ("render.max_output_bytes", self.render.max_output_bytes),
            ("render.budget_ms", self.render.budget_ms as usize),
        ] {
            if v == 0 {
                return bad(format!("{name} must be at least 1"));
            }
        }
        if self.ssh.host_key_policy == HostKeyPolicy::Strict && self.ssh.known_hosts.is_none() {
            return bad(
                "ssh.host_key_policy = \"strict\" needs ssh.known_hosts (an OpenSSH known_hosts file)".into(),
            );
        }
        Ok(())
    }

    pub fn heartbeat(&self) -> Duration {
        Duration::from_secs_f64(self.node.heartbeat_s)
    }

    /// The node id: configured, or `<hostname>-<pid>`.
    pub fn node_name(&self) -> String {
        self.node
            .name
            .clone()
            .unwrap_or_else(|| format!("{}-{}", crate::model::hostname(), std::process::id()))
    }
}

impl Settings {
    /// Replicas a job state change must reach: `redis_min_replicas`, or 1 with
    /// Sentinel or a Cluster (whose failovers promote a replica) and 0 with one
    /// server.
    pub fn min_replicas(&self) -> u32 {
        self.redis_min_replicas.unwrap_or_else(|| {
            let moves =
                crate::model::redis_url::Topology::parse(&self.redis_url).is_ok_and(|t| t.follows_failover());
            u32::from(moves)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_overrides_defaults_and_bad_values_name_the_variable() {
        let mut s = Settings::default();
        s.apply_env(|k| match k {
            "NETPULSE_LISTEN" => Some("0.0.0.0:9100".into()),
            "NETPULSE_API_KEYS" => Some("a, b:read,".into()),
            _ => None,
        })
        .unwrap();
        assert_eq!(s.listen.port(), 9100);
        assert_eq!(
            s.api_keys,
            vec![ApiKey::from("a"), ApiKey::WithRole { key: "b".into(), role: Role::Read }]
        );
        let err = s.apply_env(|k| (k == "NETPULSE_CAPACITY").then(|| "many".into())).unwrap_err().to_string();
        assert!(err.contains("NETPULSE_CAPACITY"), "{err}");
    }

    #[test]
    fn api_keys_are_plain_strings_or_keys_with_roles() {
        let s: Settings = toml::from_str(
            "api_keys = [\"old\", {key = \"ro\", role = \"read\"}, {key = \"op\", role = \"operate\"}]",
        )
        .unwrap();
        let roles: Vec<(&str, Role)> = s.api_keys.iter().map(|k| (k.key(), k.role())).collect();
        assert_eq!(roles, vec![("old", Role::Admin), ("ro", Role::Read), ("op", Role::Operate)]);
        assert!(toml::from_str::<Settings>("api_keys = [{key = \"x\", role = \"root\"}]").is_err());
        assert_eq!(format!("{:?}", s.api_keys[0]), "ApiKey(<admin key>)");
    }

    #[test]
    fn compat_mode_from_file_and_environment() {
        let s: Settings = toml::from_str("compat = \"netpulse-0.4\"").unwrap();
        assert_eq!(s.compat, Some(Compat::NetPulse04));
        assert!(toml::from_str::<Settings>("compat = \"netpulse-0.3\"").is_err());
        let mut s = Settings::default();
        s.apply_env(|k| (k == "NETPULSE_COMPAT").then(|| "netpulse-0.4".into())).unwrap();
        assert_eq!(s.compat, Some(Compat::NetPulse04));
        s.apply_env(|k| (k == "NETPULSE_COMPAT").then(|| "none".into())).unwrap();
        assert_eq!(s.compat, None);
        let err = s.apply_env(|k| (k == "NETPULSE_COMPAT").then(|| "rq".into())).unwrap_err().to_string();
        assert!(err.contains("NETPULSE_COMPAT") && err.contains("netpulse-0.4"), "{err}");
    }

    #[test]
    fn file_with_unknown_key_is_rejected() {
        let dir = std::env::temp_dir().join(format!("np-cfg-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let f = dir.join("c.toml");
        std::fs::write(&f, "listen = \"127.0.0.1:9001\"\nlisten_port = 3\n").unwrap();
        let err = Settings::load(Some(&f)).unwrap_err().to_string();
        assert!(err.contains("listen_port"), "{err}");
        std::fs::remove_dir_all(dir).ok();
    }
}
