//! The command API's process: configuration from the environment, telemetry,
//! then serve until SIGTERM or SIGINT (graceful: in-flight requests finish).

use anyhow::Context;
use command_api::{Application, Settings};

#[actix_web::main]
async fn main() -> anyhow::Result<()> {
    platform::telemetry::init("command-api");
    let settings = Settings::from_env().context("reading configuration")?;
    let application = Application::build(settings).await?;
    tracing::info!(port = application.port(), "command-api listening");
    application.run_until_stopped().await?;
    tracing::info!("command-api stopped");
    Ok(())
}
