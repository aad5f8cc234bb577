//! The auth service's process: configuration from the environment,
//! telemetry, then serve until SIGTERM or SIGINT (graceful: in-flight
//! requests finish).

use anyhow::Context;
use auth::{Application, Settings};

#[actix_web::main]
async fn main() -> anyhow::Result<()> {
    platform::telemetry::init("auth");
    let settings = Settings::from_env().context("reading configuration")?;
    let application = Application::build(settings).await?;
    tracing::info!(port = application.port(), "auth listening");
    application.run_until_stopped().await?;
    tracing::info!("auth stopped");
    Ok(())
}
