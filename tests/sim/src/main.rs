//! The `netpulse-sim` binary: starts a fleet of simulated devices (one platform, or a mixed
//! fleet with `--fleet`), prints one `ready` line per device on stdout, and serves until Ctrl-C.

use std::io::Write;
use std::net::Ipv4Addr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, bail};
use clap::Parser;
use netpulse_sim::{Faults, Fleet, Platform, Quirks, SimConfig};

/// Corpus used when neither --corpus nor NETPULSE_CORPUS is given, if it exists.
const DEFAULT_CORPUS: &str = "../shared/corpus/ntc-templates";

/// A `--fleet` value: `(platform, count)` groups.
#[derive(Debug, Clone)]
struct FleetSpec(Vec<(Platform, usize)>);

fn parse_fleet(spec: &str) -> Result<FleetSpec, String> {
    SimConfig::parse_fleet(spec).map(FleetSpec)
}

/// SSH servers that behave like network devices, for tests and benchmarks.
#[derive(Debug, Parser)]
#[command(name = "netpulse-sim", version)]
struct Cli {
    /// Platform to imitate: cisco_ios, cisco_nxos, cisco_xr, juniper_junos, arista_eos,
    /// huawei_vrp or linux.
    #[arg(long, default_value = "cisco_ios")]
    platform: Platform,
    /// Number of devices.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    count: u32,
    /// A mixed fleet instead of --platform/--count, e.g. cisco_ios:100,juniper_junos:50:
    /// the groups get consecutive addresses from --listen, in this order.
    #[arg(long, value_name = "PLATFORM:COUNT,...", value_parser = parse_fleet, conflicts_with_all = ["platform", "count"])]
    fleet: Option<FleetSpec>,
    /// First device's address; device i listens on this address + i.
    #[arg(long, default_value = "127.0.1.1")]
    listen: Ipv4Addr,
    /// Port of every device (0 = an ephemeral port each).
    #[arg(long, default_value_t = 2222)]
    port: u16,
    /// SSH user name.
    #[arg(long, default_value = "admin")]
    username: String,
    /// SSH password.
    #[arg(long, default_value = "admin")]
    password: String,
    /// Secret asked by `enable`.
    #[arg(long, default_value = "enable")]
    secret: String,
    /// ntc-templates root (has tests/<platform>/); default: $NETPULSE_CORPUS, else
    /// ../shared/corpus/ntc-templates if it exists, else built-in outputs.
    #[arg(long, env = "NETPULSE_CORPUS")]
    corpus: Option<PathBuf>,
    /// Delay before answering each command, in milliseconds.
    #[arg(long, default_value_t = 0)]
    latency_ms: u64,
    /// Reject every login.
    #[arg(long)]
    refuse_login: bool,
    /// Drop each connection when its command N+1 arrives.
    #[arg(long, value_name = "N")]
    drop_after: Option<u32>,
    /// Stop answering each connection from its command N+1 on.
    #[arg(long, value_name = "N")]
    hang_after: Option<u32>,
    /// Realism: `ESC[?2004h` before prompts, `ESC[?2004l` after Enter (bash 5.1+).
    #[arg(long)]
    bracketed_paste: bool,
    /// Realism: prompts in colour, redrawn with `\r ESC[K`.
    #[arg(long)]
    ansi_prompt: bool,
    /// Realism: a banner and `Last login:` line with prompt-like text.
    #[arg(long)]
    banner_prompts: bool,
    /// Realism: sessions start at `>`; `enable` with the secret gives `#`.
    #[arg(long)]
    start_unprivileged: bool,
    /// Realism: refuse this line with the platform's invalid-input error (repeatable),
    /// e.g. "terminal width 32767".
    #[arg(long, value_name = "LINE")]
    refuse_setup: Vec<String>,
    /// Realism: entering configuration mode answers a lock message.
    #[arg(long)]
    refuse_config_mode: bool,
    /// Realism (Junos): `{master:0}` context lines before prompts.
    #[arg(long)]
    context_lines: bool,
    /// Realism (linux): the account's shell: bash, dash or zsh.
    #[arg(long, default_value = "bash")]
    shell: netpulse_sim::ShellKind,
    /// Realism: page long outputs although paging is off: more, dashes or any-key.
    #[arg(long, value_name = "PAGER")]
    stray_pager: Option<netpulse_sim::StrayPager>,
    /// Realism: COMMAND=QUESTION: the command asks the question first (repeatable).
    #[arg(long, value_name = "COMMAND=QUESTION", value_parser = Quirks::parse_ask)]
    ask: Vec<(String, String)>,
}

impl Cli {
    fn into_config(self) -> anyhow::Result<SimConfig> {
        let corpus = match self.corpus {
            Some(dir) => {
                if !dir.is_dir() {
                    bail!("corpus folder {} does not exist", dir.display());
                }
                Some(dir)
            }
            None => Some(PathBuf::from(DEFAULT_CORPUS)).filter(|d| d.is_dir()),
        };
        Ok(SimConfig {
            platform: self.platform,
            count: self.count as usize,
            fleet: self.fleet.map(|f| f.0).unwrap_or_default(),
            listen: self.listen,
            port: self.port,
            username: self.username,
            password: self.password,
            secret: self.secret,
            corpus,
            latency: Duration::from_millis(self.latency_ms),
            faults: Faults {
                refuse_login: self.refuse_login,
                drop_after_commands: self.drop_after,
                hang_after_commands: self.hang_after,
            },
            quirks: Quirks {
                bracketed_paste: self.bracketed_paste,
                ansi_prompt: self.ansi_prompt,
                banner_prompts: self.banner_prompts,
                start_unprivileged: self.start_unprivileged,
                refuse_setup: self.refuse_setup,
                refuse_config_mode: self.refuse_config_mode,
                context_lines: self.context_lines,
                shell: self.shell,
                stray_pager: self.stray_pager,
                ask: self.ask,
            },
        })
    }
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    match run().await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("netpulse-sim: error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .init();
    let cfg = Cli::parse().into_config()?;
    if let Some(corpus) = &cfg.corpus {
        tracing::info!(corpus = %corpus.display(), "using corpus");
    }
    let fleet = Fleet::start(cfg.clone()).await?;
    let mut stdout = std::io::stdout().lock();
    for device in fleet.devices() {
        writeln!(
            stdout,
            "ready {} {} {} {}/{} secret={}",
            device.platform(),
            device.hostname(),
            device.addr(),
            cfg.username,
            cfg.password,
            cfg.secret
        )?;
    }
    stdout.flush()?;
    drop(stdout);
    tokio::signal::ctrl_c().await.context("waiting for Ctrl-C")?;
    fleet.shutdown().await;
    Ok(())
}
