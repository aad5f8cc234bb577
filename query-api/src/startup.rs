//! Builds the application: MongoDB client, PostgreSQL pool, caches, metrics,
//! HTTP server.

use std::time::Duration;

use actix_web::dev::Server;
use actix_web::web;
use anyhow::Context;
use platform::http::ServerSettings;
use platform::metrics::Metrics;
use platform::TokenVerifier;
use secrecy::ExposeSecret;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

use crate::cache::ListingCache;
use crate::finance::FinanceStore;
use crate::freshness::{VersionWatch, POLL_INTERVAL};
use crate::metrics::QueryMetrics;
use crate::ops::follow::FOLLOW_POOL_SIZE;
use crate::ops::OpsState;
use crate::pdf::Issuer;
use crate::routes;
use crate::settings::Settings;
use crate::store::SalesStore;

/// What every handler shares.
pub struct AppState {
    /// The sales read model.
    pub store: SalesStore,
    /// Rendered launch listings.
    pub cache: ListingCache,
    /// The query API's own metrics.
    pub metrics: QueryMetrics,
    /// `READ_YOUR_WRITES_MAX_WAIT_MS`.
    pub max_wait: Duration,
    /// The launches read-your-writes requests wait for (one poller).
    pub versions: VersionWatch,
    /// The finance projection, the profiles and the event store's order.
    pub finance: FinanceStore,
    /// Who issues the invoices (their PDF).
    pub issuer: Issuer,
    /// The IT endpoints' clients and configuration.
    pub ops: OpsState,
}

/// A built, bound, not yet running query API.
pub struct Application {
    port: u16,
    server: Server,
}

impl Application {
    /// Prepares the MongoDB client and the PostgreSQL pool (both connect on
    /// first use, so the API starts while they are still coming up and
    /// `/ready` says so) and binds the listener.
    ///
    /// The read model's indexes are the projector's to create, before it
    /// writes: this API only reads. (SecantusDB deadlocks when `createIndexes`
    /// runs while another client's inserts create the collection, so a
    /// reader must not create them.)
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let client = read_models::mongo::client(&settings.mongodb_uri, "query-api")
            .await
            .context("MONGODB_URI is not a valid MongoDB connection string")?;
        let store = SalesStore::new(client.database(&settings.sales_database));
        let finance = &settings.finance;
        let options: PgConnectOptions = finance
            .database_url
            .expose_secret()
            .parse()
            .context("DATABASE_URL is not a valid PostgreSQL URL")?;
        let pool = PgPoolOptions::new()
            .max_connections(finance.database_max_connections)
            .acquire_timeout(finance.database_acquire_timeout)
            // As in the command API: no ping per acquire (a broken
            // connection surfaces as an error, 503, and is replaced), and
            // the connections are opened by the pool's own task on this
            // (the main) runtime, which outlives the actix workers, so a
            // worker stopping during a graceful shutdown does not break
            // connections the others still use. Lazy: a PostgreSQL that is
            // down only makes the finance reads and `/ready` fail.
            .test_before_acquire(false)
            .min_connections(finance.database_max_connections)
            .idle_timeout(None)
            .max_lifetime(None)
            .connect_lazy_with(options);
        let revocations =
            platform::revocation::start_following(&settings.nats_url, "query-api").await?;
        let verifier = TokenVerifier::from_public_key_hex(&settings.auth_public_key)
            .context("AUTH_PUBLIC_KEY")?
            .with_revocations(revocations);
        let ops = ops_state(&client, &settings).await?;
        let metrics = Metrics::new("query-api");
        let versions = VersionWatch::new();
        let poller_store = store.clone();
        versions.spawn_poller(POLL_INTERVAL, move |ids| {
            let store = poller_store.clone();
            async move { store.launch_versions(ids).await }
        });
        let state = web::Data::new(AppState {
            versions,
            store,
            cache: ListingCache::new(settings.listing_cache_ttl, settings.listing_cache_size),
            metrics: QueryMetrics::register(&metrics),
            max_wait: settings.read_your_writes_max_wait,
            finance: FinanceStore::new(pool),
            issuer: settings.finance.issuer.clone(),
            ops,
        });
        let (port, server) = platform::http::api_server(
            &ServerSettings {
                addr: settings.addr.clone(),
                workers: settings.http_workers,
                shutdown_timeout_secs: settings.shutdown_timeout_secs,
                // Only GETs: no body is expected.
                max_body_bytes: 16_384,
                cors: settings.cors_allowed_origins.clone(),
            },
            state,
            metrics,
            verifier,
            routes::configure,
        )?;
        Ok(Self { port, server })
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Serves until SIGTERM/SIGINT, then drains in-flight requests.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}

/// The IT endpoints' state: MongoDB `core` on the same client (and on a
/// small client of its own for the log followers), an HTTP
/// client for the status page's probes, and a NATS client of its own for
/// the JetStream consumers' state (it connects in the background, so the
/// API starts while NATS is down; the status page then says so).
async fn ops_state(client: &mongodb::Client, settings: &Settings) -> anyhow::Result<OpsState> {
    let ops = &settings.ops;
    let http = reqwest::Client::builder()
        .timeout(ops.probe_timeout)
        .connect_timeout(ops.probe_timeout)
        .user_agent("astro-query-api-status")
        .build()
        .context("building the status page's HTTP client")?;
    let nats = async_nats::ConnectOptions::new()
        .name("query-api-ops")
        .retry_on_initial_connect()
        .connect(&settings.nats_url)
        .await
        .map_err(|e| anyhow::anyhow!("NATS_URL {}: {e}", settings.nats_url))?;
    // The followers' change stream gets a client of its own: its `getMore`
    // waits on the server while it holds a connection, and on the shared
    // client that connection is one a sales read would wait for.
    let mut options = read_models::mongo::options(&settings.mongodb_uri, "query-api-follow")
        .await
        .context("MONGODB_URI is not a valid MongoDB connection string")?;
    options.max_pool_size = Some(FOLLOW_POOL_SIZE);
    let follow_client =
        mongodb::Client::with_options(options).context("building the followers' MongoDB client")?;
    Ok(OpsState::new(
        &client.database(&ops.core_database),
        &follow_client.database(&ops.core_database),
        http,
        nats,
        ops.clone(),
    ))
}
