//! The `netpulse` binary.

use clap::Parser;

#[tokio::main]
async fn main() {
    let cli = netpulse::cli::Cli::parse();
    std::process::exit(netpulse::cli::run(cli).await);
}
