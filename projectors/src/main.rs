//! The projectors process.
//!
//! - `projectors serve [relay] [sales] [profiles]`: runs the named components (all of
//!   them when none is named) until SIGTERM or SIGINT (graceful: the batch
//!   in flight is finished or rolled back). `projectors relay` and
//!   `projectors sales` are `serve relay` and `serve sales`.
//! - `projectors rebuild sales`: rebuilds the sales read model from the
//!   event store while the system runs, printing progress, then exits.

use anyhow::Context;
use projectors::sales::rebuild::{self, Progress};
use projectors::sales::SalesStore;
use projectors::settings::Component;
use projectors::{Application, Settings};
use secrecy::ExposeSecret;

const USAGE: &str = "usage: projectors serve [relay] [sales] [profiles]
       projectors relay | sales | profiles      (one component)
       projectors rebuild sales                (rebuild the read model from the event store)";

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
        _ => usage(),
    };
    platform::telemetry::init("projectors");
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
    }
    Ok(())
}

enum Command {
    Serve(Vec<Component>),
    RebuildSales,
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

async fn rebuild_sales(settings: &Settings) -> anyhow::Result<()> {
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(3)
        .connect(settings.database_url.expose_secret())
        .await
        .context("connecting to the event store (DATABASE_URL)")?;
    let client =
        read_models::mongo::client(settings.mongodb_uri.expose_secret(), "projectors-rebuild")
            .await
            .context("MONGODB_URI")?;
    let store = SalesStore::new(client.database(&settings.sales_database), pool.clone());
    tracing::info!(database = %settings.sales_database, "rebuilding the sales read model");
    let report = rebuild::rebuild(&pool, &store, |p: Progress| {
        tracing::info!(
            phase = p.phase,
            done = p.done,
            total = p.total,
            per_sec = p.rate.round(),
            eta_secs = (p.eta_secs * 10.0).round() / 10.0,
            "rebuild progress"
        );
        eprintln!(
            "rebuild sales: {:<9} {:>9}/{:<9} {:>8.0}/s  ETA {:.1} s",
            p.phase, p.done, p.total, p.rate, p.eta_secs
        );
    })
    .await
    .context("rebuilding the sales read model")?;
    tracing::info!(report = ?report, "sales read model rebuilt");
    println!("{}", serde_json::to_string(&report)?);
    Ok(())
}
