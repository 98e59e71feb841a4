//! The `netpulse` command line: `up` (default), `serve`, `node`, `plugin list`.

mod local_redis;

use std::path::PathBuf;
use std::time::Duration;

use clap::{Parser, Subcommand};

use crate::app::{self, Roles};
use crate::config::Settings;

#[derive(Parser, Debug)]
#[command(
    name = "netpulse",
    version,
    about = "Run commands and push configuration to network devices through one REST API"
)]
pub struct Cli {
    /// Config file (TOML). Also `NETPULSE_CONFIG`.
    #[arg(long, short, global = true, env = "NETPULSE_CONFIG")]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// API and a node in one process (the default).
    Up,
    /// The API only.
    Serve,
    /// A node (workers) only.
    Node,
    /// Plugins.
    Plugin {
        #[command(subcommand)]
        command: PluginCommand,
    },
}

#[derive(Subcommand, Debug)]
pub enum PluginCommand {
    /// Show each loaded plugin: name, version, device types, file.
    List,
    /// Validate a component file without installing it.
    Check {
        /// The `.wasm` file.
        file: PathBuf,
    },
}

/// Run the command line; returns the process exit code.
pub async fn run(cli: Cli) -> i32 {
    let mut settings = match Settings::load(cli.config.as_deref()) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("netpulse: {e}");
            return 2;
        }
    };
    init_logs(settings.log_json);
    let signals = StopSignals::install();
    let command = cli.command.unwrap_or(Command::Up);
    let roles = match command {
        Command::Up => Roles { api: true, node: true },
        Command::Serve => Roles { api: true, node: false },
        Command::Node => Roles { api: false, node: true },
        Command::Plugin { command: PluginCommand::List } => return plugin_list(&settings),
        Command::Plugin { command: PluginCommand::Check { file } } => return plugin_check(&settings, &file),
    };
    // Keep a private Redis alive for the life of the process when `up` starts one.
    let mut _private_redis = None;
    if roles.api && roles.node {
        match local_redis::ensure(&settings.redis_url).await {
            Ok(None) => {}
            Ok(Some(r)) => {
                settings.redis_url = r.url.clone();
                _private_redis = Some(r);
            }
            Err(msg) => {
                eprintln!("netpulse: {msg}");
                return 1;
            }
        }
    }
    if roles.api && settings.api_keys.is_empty() {
        if roles.node {
            match local_redis::api_key_for_laptop() {
                Ok(key) => settings.api_keys = vec![key],
                Err(e) => {
                    eprintln!("netpulse: {e}");
                    return 1;
                }
            }
        } else {
            eprintln!(
                "netpulse: no API key configured: set NETPULSE_API_KEYS (or api_keys in the config file)"
            );
            return 2;
        }
    }
    let running = match app::start(settings, roles).await {
        Ok(r) => r,
        Err(e) => {
            eprintln!("netpulse: {e:#}");
            return 1;
        }
    };
    if let Some(addr) = running.api_addr {
        println!("NetPulse API on http://{addr}");
    }
    signals.wait().await;
    tracing::info!("stopping: finishing running jobs (up to 30 s)");
    running.shutdown(Duration::from_secs(30)).await;
    0
}

fn plugin_list(settings: &Settings) -> i32 {
    match app::load_plugins(settings) {
        Ok((plugins, problems)) => {
            println!("{:<16} {:<10} {:<30} FILE", "NAME", "VERSION", "DEVICE TYPES");
            for p in plugins.all() {
                println!(
                    "{:<16} {:<10} {:<30} {}",
                    p.meta.name,
                    p.meta.version,
                    p.meta.platforms.join(","),
                    p.file
                );
            }
            for p in &problems {
                println!("not loaded: {}: {}", p.file, p.reason);
            }
            if problems.is_empty() { 0 } else { 1 }
        }
        Err(e) => {
            eprintln!("netpulse: {e:#}");
            1
        }
    }
}

fn plugin_check(settings: &Settings, file: &std::path::Path) -> i32 {
    match crate::plugin::check_file(file, crate::plugin::sandbox_limits(settings)) {
        Ok(meta) => {
            println!(
                "ok: {} {} (netpulse:plugin@{}) serves {}",
                meta.name,
                meta.version,
                meta.wit_version,
                meta.platforms.join(", ")
            );
            0
        }
        Err(reason) => {
            println!("not usable: {}: {reason}", file.display());
            1
        }
    }
}

fn init_logs(json: bool) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("NETPULSE_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    use std::io::IsTerminal;
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal());
    if json {
        builder.json().init();
    } else {
        builder.init();
    }
}

/// Ctrl-C and SIGTERM, listened for from the start so that a stop request that
/// comes early is not lost (and does not kill the process ungracefully).
struct StopSignals {
    #[cfg(unix)]
    term: Option<tokio::signal::unix::Signal>,
}

impl StopSignals {
    fn install() -> Self {
        Self {
            #[cfg(unix)]
            term: tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok(),
        }
    }

    async fn wait(mut self) {
        #[cfg(unix)]
        if let Some(term) = self.term.as_mut() {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
        let _ = tokio::signal::ctrl_c().await;
    }
}
