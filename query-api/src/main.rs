//! The query API's process: configuration from the environment, telemetry,
//! then serve until SIGTERM or SIGINT (graceful: in-flight requests finish),
//! then ship the logs still buffered to MongoDB `core.logs`.

use anyhow::Context;
use query_api::{Application, Settings};

#[actix_web::main]
async fn main() -> anyhow::Result<()> {
    let logs = platform::telemetry::init("query-api").context("reading the log configuration")?;
    let result = serve().await;
    if let Err(error) = &result {
        tracing::error!(error = %format!("{error:#}"), "query-api failed");
    }
    // Ship what is still buffered to core.logs, within a bounded time.
    logs.shutdown(platform::telemetry::EXIT_FLUSH_TIMEOUT);
    result
}

async fn serve() -> anyhow::Result<()> {
    let settings = Settings::from_env().context("reading configuration")?;
    let application = Application::build(settings).await?;
    tracing::info!(port = application.port(), "query-api listening");
    application.run_until_stopped().await?;
    tracing::info!("query-api stopped");
    Ok(())
}
