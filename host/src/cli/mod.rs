//! The `netpulse` command line: `up` (default), `serve`, `node`, `plugin list|check`,
//! `template parse`, and the shell client (`exec`, `bulk`, `jobs`, `workers`, `cancel`).

mod client;
mod local_redis;

use std::path::PathBuf;
use std::time::Duration;

use clap::{Parser, Subcommand};

use crate::app::{self, Roles};
use crate::config::Settings;
use crate::model::NamedTemplate;

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
    /// TextFSM templates.
    Template {
        #[command(subcommand)]
        command: TemplateCommand,
    },
    /// The shell client of a running server (`NETPULSE_URL`, `NETPULSE_API_KEY`).
    #[command(flatten)]
    Client(Box<client::ClientCommand>),
}

#[derive(Subcommand, Debug)]
pub enum TemplateCommand {
    /// Parse command output with a TextFSM template (through the parser component)
    /// and print the records as JSON: keys are the template's Value names, or,
    /// for a template found through the index, lower-cased as ntc-templates gives them.
    Parse {
        /// The template file.
        #[arg(long, conflicts_with_all = ["platform", "command"])]
        template: Option<PathBuf>,
        /// Platform, to pick the template from the templates index (with --command).
        #[arg(long, requires = "command")]
        platform: Option<String>,
        /// Command whose output is parsed, to pick the template (with --platform).
        #[arg(long, requires = "platform")]
        command: Option<String>,
        /// Templates folder with its `index` (default: the configured `templates_dir`).
        #[arg(long)]
        templates: Option<PathBuf>,
        /// The output to parse (default: standard input).
        #[arg(long)]
        input: Option<PathBuf>,
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

/// Parse this process's arguments and run them; returns the exit code.
pub async fn main() -> i32 {
    run(Cli::parse()).await
}

/// Run the command line; returns the process exit code.
pub async fn run(cli: Cli) -> i32 {
    let command = match cli.command.unwrap_or(Command::Up) {
        // The client needs no server settings: only the server's URL and key.
        Command::Client(c) => return client::run(*c).await,
        other => other,
    };
    let mut settings = match Settings::load(cli.config.as_deref()) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("netpulse: {e}");
            return 2;
        }
    };
    init_logs(settings.log_json);
    let signals = StopSignals::install();
    let roles = match command {
        Command::Up => Roles { api: true, node: true },
        Command::Serve => Roles { api: true, node: false },
        Command::Node => Roles { api: false, node: true },
        Command::Plugin { command: PluginCommand::List } => return plugin_list(&settings),
        Command::Plugin { command: PluginCommand::Check { file } } => return plugin_check(&settings, &file),
        Command::Template { command } => return template_command(&settings, command),
        Command::Client(_) => unreachable!("the client commands returned above"),
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
                Ok(key) => settings.api_keys = vec![key.into()],
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
    // `up` on one machine (a private or loopback Redis) seals credentials with a
    // key of its own; against a shared Redis other nodes would lack it, so there
    // the key must be configured (the API warns when it is not).
    let local = _private_redis.is_some() || local_redis::is_loopback(&settings.redis_url);
    if roles.api && roles.node && settings.credential_key.is_none() && local {
        match local_redis::credential_key_for_laptop() {
            Ok(key) => settings.credential_key = Some(key),
            Err(e) => {
                eprintln!("netpulse: {e}");
                return 1;
            }
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
            println!("{:<16} {:<10} {:<6} {:<30} FILE", "NAME", "VERSION", "WIT", "DEVICE TYPES");
            for p in plugins.drivers() {
                println!(
                    "{:<16} {:<10} {:<6} {:<30} {}",
                    p.meta.name,
                    p.meta.version,
                    p.contract.version().to_string(),
                    p.meta.platforms.join(","),
                    p.file
                );
            }
            for p in plugins.parsers() {
                let serves = format!("parser: {}", p.meta.platforms.join(","));
                let wit = p.contract.version().to_string();
                println!("{:<16} {:<10} {:<6} {:<30} {}", p.meta.name, p.meta.version, wit, serves, p.file);
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

fn template_command(settings: &Settings, command: TemplateCommand) -> i32 {
    let TemplateCommand::Parse { template, platform, command, templates, input } = command;
    let fail = |msg: String| {
        eprintln!("netpulse: {msg}");
        2
    };
    let output = match &input {
        Some(path) => match std::fs::read(path) {
            Ok(b) => String::from_utf8_lossy(&b).into_owned(),
            Err(e) => return fail(format!("cannot read {}: {e}", path.display())),
        },
        None => {
            let mut buf = Vec::new();
            if let Err(e) = std::io::Read::read_to_end(&mut std::io::stdin(), &mut buf) {
                return fail(format!("cannot read standard input: {e}"));
            }
            String::from_utf8_lossy(&buf).into_owned()
        }
    };
    // A template from the index gives records as ntc-templates does (lower-cased
    // keys), as `POST /template/parse` and `parsing.use_ntc_template` do.
    let (named, lower_keys) = match (template, &platform, &command) {
        (Some(path), _, _) => match std::fs::read_to_string(&path) {
            Ok(text) => (vec![NamedTemplate { name: path.display().to_string(), text }], false),
            Err(e) => return fail(format!("cannot read template {}: {e}", path.display())),
        },
        (None, Some(p), Some(c)) => {
            let lib = crate::template::Templates::new(templates.or_else(|| settings.templates_dir.clone()));
            match lib.resolve(p, c) {
                Ok(found) => (found, true),
                Err(e) => return fail(e.to_string()),
            }
        }
        _ => {
            return fail(
                "give --template FILE, or --platform P --command \"C\" (with --templates DIR)".into(),
            );
        }
    };
    let plugins = match app::load_plugins(settings) {
        Ok((plugins, _)) => plugins,
        Err(e) => return fail(format!("{e:#}")),
    };
    let Some(parser) = plugins.parser("textfsm") else {
        return fail("the textfsm parser plugin is not available in this build".into());
    };
    let refs: Vec<&NamedTemplate> = named.iter().collect();
    let (p, c) = (platform.unwrap_or_default(), command.unwrap_or_default());
    match crate::template::parse_records(&parser, &refs, &p, &c, &output, lower_keys) {
        Ok(records) => {
            let records: serde_json::Value = serde_json::from_str(records.get()).unwrap_or_default();
            println!("{}", serde_json::to_string_pretty(&records).unwrap_or_default());
            0
        }
        Err(e) => fail(e.to_string()),
    }
}

fn plugin_check(settings: &Settings, file: &std::path::Path) -> i32 {
    match crate::plugin::check_file(file, app::plugin_setup(settings).limits) {
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
