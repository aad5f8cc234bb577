//! The projectors process.
//!
//! - `projectors serve [relay] [sales] [profiles] [finance]`: runs the named components (all of
//!   them when none is named) until SIGTERM or SIGINT (graceful: the batch
//!   in flight is finished or rolled back). `projectors relay` and
//!   `projectors sales` are `serve relay` and `serve sales`.
//! - `projectors rebuild sales`: rebuilds the sales read model from the
//!   event store while the system runs, printing progress, then exits.
//! - `projectors rebuild finance [--verify [--swap]]`: replays the event
//!   store into fresh finance tables; replaces the live ones, or with
//!   `--verify` compares them (exit status 1 on a difference) and replaces
//!   them only with `--swap`.

use anyhow::Context;
use projectors::finance;
use projectors::sales::rebuild::{self, Progress};
use projectors::sales::SalesStore;
use projectors::settings::Component;
use projectors::{Application, Settings};
use secrecy::ExposeSecret;

const USAGE: &str = "usage: projectors serve [relay] [sales] [profiles] [finance]
       projectors relay | sales | profiles | finance   (one component)
       projectors rebuild sales                        (rebuild the read model from the event store)
       projectors rebuild finance [--verify [--swap]]  (replay invoices; compare; replace)";

#[actix_web::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let command = match args.as_slice() {
        ["-h" | "--help"] => {
            println!("{USAGE}");
            return Ok(());
        }
        ["serve", names @ ..] => match parse_components(names) {
            Some(components) => Command::Serve(components),
            None => usage(),
        },
        [name] => match Component::parse(name) {
            Some(component) => Command::Serve(vec![component]),
            None => usage(),
        },
        ["rebuild", "sales"] => Command::RebuildSales,
        ["rebuild", "finance"] => Command::RebuildFinance(false, false),
        ["rebuild", "finance", "--verify"] => Command::RebuildFinance(true, false),
        ["rebuild", "finance", "--verify", "--swap"]
        | ["rebuild", "finance", "--swap", "--verify"] => Command::RebuildFinance(true, true),
        _ => usage(),
    };
    // Every command ships its logs, the one-off rebuilds too (their progress
    // and report are worth keeping in core.logs).
    let logs = platform::telemetry::init("projectors").context("reading the log configuration")?;
    let result = run(command).await;
    if let Err(error) = &result {
        tracing::error!(error = %format!("{error:#}"), "projectors failed");
    }
    // Ship what is still buffered to core.logs, within a bounded time.
    logs.shutdown(platform::telemetry::EXIT_FLUSH_TIMEOUT);
    if !result? {
        std::process::exit(1);
    }
    Ok(())
}

/// Runs `command`; `false` when `rebuild finance --verify` found a difference.
async fn run(command: Command) -> anyhow::Result<bool> {
    let mut settings = Settings::from_env().context("reading configuration")?;
    match command {
        Command::Serve(components) => {
            settings.components = components;
            let names: Vec<&str> = settings.components.iter().map(|c| c.as_str()).collect();
            let application = Application::build(settings).await?;
            tracing::info!(port = application.port(), components = ?names, "projectors listening");
            application.run_until_stopped().await?;
            tracing::info!("projectors stopped");
        }
        Command::RebuildSales => rebuild_sales(&settings).await?,
        Command::RebuildFinance(verify, swap) => {
            return rebuild_finance(&settings, verify, swap).await;
        }
    }
    Ok(true)
}

enum Command {
    Serve(Vec<Component>),
    RebuildSales,
    /// `--verify`, `--swap`.
    RebuildFinance(bool, bool),
}

fn usage() -> ! {
    eprintln!("{USAGE}");
    std::process::exit(2);
}

/// The components named (all when none is), or `None` for an unknown name.
fn parse_components(names: &[&str]) -> Option<Vec<Component>> {
    if names.is_empty() {
        return Some(Component::ALL.to_vec());
    }
    let mut components = Vec::new();
    for name in names {
        let component = Component::parse(name)?;
        if !components.contains(&component) {
            components.push(component);
        }
    }
    Some(components)
}

async fn connect(settings: &Settings) -> anyhow::Result<sqlx::PgPool> {
    sqlx::postgres::PgPoolOptions::new()
        .max_connections(4)
        .connect(settings.database_url.expose_secret())
        .await
        .context("connecting to the event store (DATABASE_URL)")
}

fn print_progress(what: &str, p: &Progress) {
    tracing::info!(
        phase = p.phase,
        done = p.done,
        total = p.total,
        per_sec = p.rate.round(),
        eta_secs = (p.eta_secs * 10.0).round() / 10.0,
        "rebuild progress"
    );
    eprintln!(
        "rebuild {what}: {:<9} {:>9}/{:<9} {:>8.0}/s  ETA {:.1} s",
        p.phase, p.done, p.total, p.rate, p.eta_secs
    );
}

/// `rebuild finance`; `false` when `--verify` found a difference.
async fn rebuild_finance(settings: &Settings, verify: bool, swap: bool) -> anyhow::Result<bool> {
    let pool = connect(settings).await?;
    tracing::info!(verify, swap, "rebuilding the finance projection");
    let options = finance::rebuild::Options {
        verify,
        swap,
        batch_size: settings.finance_batch_size,
    };
    let report = finance::rebuild::rebuild(&pool, options, |p| print_progress("finance", &p))
        .await
        .context("rebuilding the finance projection")?;
    for difference in &report.differences {
        tracing::error!(table = difference.table, only_live = difference.only_live,
            only_rebuilt = difference.only_rebuilt, examples = ?difference.examples,
            "finance rebuild: the live table differs from the replay");
        eprintln!(
            "DIFFERENT finance.{}: {} rows only in the live table, {} only in the replay; e.g. {}",
            difference.table,
            difference.only_live,
            difference.only_rebuilt,
            difference.examples.join(", ")
        );
    }
    tracing::info!(report = ?report, "finance projection rebuilt");
    println!("{}", serde_json::to_string(&report)?);
    Ok(report.identical != Some(false))
}

async fn rebuild_sales(settings: &Settings) -> anyhow::Result<()> {
    let pool = connect(settings).await?;
    let client =
        read_models::mongo::client(settings.mongodb_uri.expose_secret(), "projectors-rebuild")
            .await
            .context("MONGODB_URI")?;
    let store = SalesStore::new(client.database(&settings.sales_database), pool.clone());
    tracing::info!(database = %settings.sales_database, "rebuilding the sales read model");
    let report = rebuild::rebuild(&pool, &store, |p: Progress| print_progress("sales", &p))
        .await
        .context("rebuilding the sales read model")?;
    tracing::info!(report = ?report, "sales read model rebuilt");
    println!("{}", serde_json::to_string(&report)?);
    Ok(())
}
