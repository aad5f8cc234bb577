//! `chaos`: the chaos run of Astro Bookings (see the `chaos` library and
//! `scripts/chaos.sh`). Exits 1 when an invariant did not hold.

use std::path::PathBuf;

use clap::{Parser, ValueEnum};

use chaos::{Profile, Settings};

#[derive(Debug, Clone, Copy, ValueEnum)]
enum ProfileArg {
    Short,
    Long,
}

/// Booking and cancelling load while every process is killed and MongoDB
/// and SMTP go down; then every invariant is checked.
#[derive(Debug, Parser)]
#[command(name = "chaos")]
struct Cli {
    /// `short` (the test command's) or `long`.
    #[arg(long, env = "CHAOS_PROFILE", value_enum, default_value = "short")]
    profile: ProfileArg,
    /// Seconds of load (the profile's when unset: 60 short, 900 long).
    #[arg(long, env = "CHAOS_SECONDS")]
    seconds: Option<u64>,
    /// The seed of the schedule and of the clients (random when unset;
    /// printed, so a run can be repeated).
    #[arg(long, env = "CHAOS_SEED")]
    seed: Option<u64>,
    /// Concurrent clients.
    #[arg(long, env = "CHAOS_CLIENTS", default_value_t = 8)]
    clients: usize,
    /// Where the service binaries are.
    #[arg(long, env = "CHAOS_BIN_DIR", default_value = "target/debug")]
    bin_dir: PathBuf,
    /// SecantusDB's server command (`secantusd_bin` of scripts/lib.sh).
    #[arg(long, env = "SECANTUSD_BIN")]
    secantusd: PathBuf,
    /// Keep the run's directory (logs, MongoDB data, mail) after a pass.
    #[arg(long, env = "CHAOS_KEEP")]
    keep: bool,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let profile = match cli.profile {
        ProfileArg::Short => Profile::Short,
        ProfileArg::Long => Profile::Long,
    };
    let settings = Settings::new(
        profile,
        cli.seconds,
        cli.seed.unwrap_or_else(rand::random),
        cli.clients,
        cli.bin_dir,
        cli.secantusd,
        cli.keep,
    )?;
    if !chaos::run(settings).await? {
        std::process::exit(1);
    }
    Ok(())
}
