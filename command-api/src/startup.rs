//! Builds the application: database pool, migrations, stores, HTTP server.

use std::time::Duration;

use actix_web::dev::Server;
use actix_web::web;
use anyhow::Context;
use domain::{Launch, Rocket, UserProfile};
use platform::http::ServerSettings;
use platform::metrics::Metrics;
use platform::TokenVerifier;
use secrecy::ExposeSecret;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::PgPool;

use crate::bus::RetryPolicy;
use crate::routes;
use crate::settings::Settings;
use crate::store::{PgEventStore, StoreConfig};

/// What every handler shares.
pub struct AppState {
    /// The pool (readiness checks).
    pub pool: PgPool,
    /// Launch aggregates.
    pub launches: PgEventStore<Launch>,
    /// Rocket aggregates.
    pub rockets: PgEventStore<Rocket>,
    /// Users' profiles.
    pub profiles: PgEventStore<UserProfile>,
    /// Conflict retries.
    pub retry: RetryPolicy,
}

/// Deletes idempotency records older than `retention`, hourly and once at
/// start-up, in bounded batches. Every replica may run it: deletes are
/// idempotent.
fn spawn_idempotency_sweeper(pool: PgPool, retention: Duration) {
    tokio::spawn(async move {
        let mut every_hour = tokio::time::interval(Duration::from_secs(3600));
        loop {
            every_hour.tick().await;
            loop {
                let deleted = sqlx::query(
                    "DELETE FROM idempotency WHERE ctid IN (
                         SELECT ctid FROM idempotency
                          WHERE created_at < now() - make_interval(secs => $1)
                          LIMIT 10000)",
                )
                .bind(retention.as_secs_f64())
                .execute(&pool)
                .await;
                match deleted {
                    Ok(done) if done.rows_affected() == 10_000 => continue,
                    Ok(done) => {
                        if done.rows_affected() > 0 {
                            tracing::info!(
                                deleted = done.rows_affected(),
                                "expired idempotency records deleted"
                            );
                        }
                        break;
                    }
                    Err(error) => {
                        tracing::warn!(%error, "could not delete expired idempotency records");
                        break;
                    }
                }
            }
        }
    });
}

/// Opens every connection of the pool now, on the calling runtime (see
/// [`Application::build`]). A database that does not answer yet is not fatal:
/// readiness reports it, and the pool opens connections when it returns.
async fn fill_pool(pool: &PgPool, size: u32) {
    let opened = futures::future::join_all((0..size).map(|_| pool.acquire())).await;
    if let Some(Err(error)) = opened.iter().find(|c| c.is_err()) {
        tracing::warn!(%error, "could not open the whole database pool at start-up");
    }
}

/// A built, bound, not yet running command API.
pub struct Application {
    port: u16,
    server: Server,
}

/// The migrations of the event store, embedded in the binary.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../migrations");

impl Application {
    /// Connects, migrates (when configured), binds the listener.
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let options: PgConnectOptions = settings
            .database_url
            .expose_secret()
            .parse()
            .context("DATABASE_URL is not a valid PostgreSQL URL")?;
        let pool = PgPoolOptions::new()
            .max_connections(settings.database_max_connections)
            .acquire_timeout(settings.database_acquire_timeout)
            // A ping before every acquire is a round trip per command; broken
            // connections surface as errors (503) and are replaced instead.
            .test_before_acquire(false)
            // Every actix worker runs its own runtime, and a connection's
            // socket belongs to the runtime that opened it: when a worker
            // stops during a graceful shutdown, connections it had opened
            // break under the workers still draining their requests. So the
            // pool's connections are opened and kept on this (the main)
            // runtime, which outlives the workers: a full pool, kept full by
            // sqlx's maintenance task, and no expiry.
            .min_connections(settings.database_max_connections)
            .idle_timeout(None)
            .max_lifetime(None)
            .connect_lazy_with(options);
        if settings.run_migrations {
            MIGRATOR
                .run(&pool)
                .await
                .context("applying database migrations")?;
        }
        fill_pool(&pool, settings.database_max_connections).await;
        let revocations =
            platform::revocation::start_following(&settings.nats_url, "command-api").await?;
        let verifier = TokenVerifier::from_public_key_hex(&settings.auth_public_key)
            .context("AUTH_PUBLIC_KEY")?
            .with_revocations(revocations);
        let store_config = StoreConfig {
            snapshot_every: settings.snapshot_every,
            cache_capacity: settings.aggregate_cache_size,
        };
        let metrics = Metrics::new("command-api");
        let commands_total = prometheus::IntCounterVec::new(
            prometheus::Opts::new(
                "commands_total",
                "Command attempts by aggregate type and outcome",
            ),
            &["aggregate", "outcome"],
        )
        .expect("static metric definition");
        metrics
            .registry
            .register(Box::new(commands_total.clone()))
            .expect("registered once");
        spawn_idempotency_sweeper(pool.clone(), settings.idempotency_retention);
        let state = web::Data::new(AppState {
            launches: PgEventStore::new(pool.clone(), store_config)
                .with_metrics(commands_total.clone()),
            rockets: PgEventStore::new(pool.clone(), store_config)
                .with_metrics(commands_total.clone()),
            profiles: PgEventStore::new(pool.clone(), store_config).with_metrics(commands_total),
            pool,
            retry: RetryPolicy {
                attempts: settings.command_max_attempts,
                base_backoff: Duration::from_millis(2),
            },
        });
        let (port, server) = platform::http::api_server(
            &ServerSettings {
                addr: settings.addr.clone(),
                workers: settings.http_workers,
                shutdown_timeout_secs: settings.shutdown_timeout_secs,
                max_body_bytes: settings.max_body_bytes,
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
