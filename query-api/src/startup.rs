//! Builds the application: MongoDB client, caches, metrics, HTTP server.

use std::time::Duration;

use actix_web::dev::Server;
use actix_web::web;
use anyhow::Context;
use platform::http::ServerSettings;
use platform::metrics::Metrics;
use platform::TokenVerifier;

use crate::cache::ListingCache;
use crate::freshness::{VersionWatch, POLL_INTERVAL};
use crate::metrics::QueryMetrics;
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
}

/// A built, bound, not yet running query API.
pub struct Application {
    port: u16,
    server: Server,
}

impl Application {
    /// Prepares the MongoDB client (it connects on first use, so the API
    /// starts while MongoDB is still coming up and `/ready` says so) and
    /// binds the listener.
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
        let revocations =
            platform::revocation::start_following(&settings.nats_url, "query-api").await?;
        let verifier = TokenVerifier::from_public_key_hex(&settings.auth_public_key)
            .context("AUTH_PUBLIC_KEY")?
            .with_revocations(revocations);
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
        });
        let (port, server) = platform::http::api_server(
            &ServerSettings {
                addr: settings.addr.clone(),
                workers: settings.http_workers,
                shutdown_timeout_secs: settings.shutdown_timeout_secs,
                // Only GETs: no body is expected.
                max_body_bytes: 16_384,
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
