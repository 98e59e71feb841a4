//! The `netpulse` command line as the end-to-end tests run it: the same entry
//! point as `host/src/main.rs`, built with this crate so that its tests find it
//! through `CARGO_BIN_EXE_netpulse-e2e-cli` (a dependency's binaries are not built
//! for another package's tests).

#[tokio::main]
async fn main() {
    std::process::exit(netpulse::cli::main().await);
}
