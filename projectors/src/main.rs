//! The projectors process. `projectors relay` drains the Postgres outbox into
//! NATS JetStream until SIGTERM or SIGINT (graceful: the batch in flight is
//! finished or rolled back).

use anyhow::Context;
use projectors::{Application, Settings};

const USAGE: &str = "usage: projectors relay";

#[actix_web::main]
async fn main() -> anyhow::Result<()> {
    let command = std::env::args().nth(1);
    match command.as_deref() {
        Some("relay") => {}
        Some("-h" | "--help") => {
            println!("{USAGE}");
            return Ok(());
        }
        _ => {
            eprintln!("{USAGE}");
            std::process::exit(2);
        }
    }
    platform::telemetry::init("projectors");
    let settings = Settings::from_env().context("reading configuration")?;
    let application = Application::build(settings).await?;
    tracing::info!(port = application.port(), "projectors relay listening");
    application.run_until_stopped().await?;
    tracing::info!("projectors relay stopped");
    Ok(())
}
