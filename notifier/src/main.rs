//! The notifier's process: configuration from the environment, telemetry,
//! then plan and send until SIGTERM or SIGINT (graceful: the event in hand
//! and the sends in flight finish), then ship the logs still buffered to
//! MongoDB `core.logs`.

use anyhow::Context;
use notifier::{Application, Settings};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let logs = platform::telemetry::init("notifier").context("reading the log configuration")?;
    let result = serve().await;
    if let Err(error) = &result {
        tracing::error!(error = %format!("{error:#}"), "notifier failed");
    }
    logs.shutdown(platform::telemetry::EXIT_FLUSH_TIMEOUT);
    result
}

async fn serve() -> anyhow::Result<()> {
    let settings = Settings::from_env().context("reading configuration")?;
    let application = Application::build(settings).await?;
    tracing::info!(port = application.port(), "notifier listening");
    application.run_until_stopped().await?;
    tracing::info!("notifier stopped");
    Ok(())
}
