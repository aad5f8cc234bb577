//! Configuration, from environment variables only. See `docs/configuration.md`.

use std::time::Duration;

use platform::config::{self, ConfigError};
use secrecy::SecretString;

/// Everything the command API is configured with.
#[derive(Debug, Clone)]
pub struct Settings {
    /// `COMMAND_API_ADDR`: where to listen (`127.0.0.1:8081`; port 0 picks one).
    pub addr: String,
    /// `DATABASE_URL`: the event store.
    pub database_url: SecretString,
    /// `DATABASE_MAX_CONNECTIONS` (20).
    pub database_max_connections: u32,
    /// `DATABASE_ACQUIRE_TIMEOUT_MS` (3000): beyond it a request gets 503.
    pub database_acquire_timeout: Duration,
    /// `RUN_MIGRATIONS` (true): apply pending migrations at start-up, under
    /// sqlx's advisory lock, so several replicas may start at once.
    pub run_migrations: bool,
    /// `AUTH_PUBLIC_KEY`: hex Ed25519 public key of the auth service.
    pub auth_public_key: String,
    /// `NATS_URL` (`nats://127.0.0.1:4222`): where token revocations are
    /// followed (see `platform::revocation`).
    pub nats_url: String,
    /// `SNAPSHOT_EVERY` (100): events between two snapshots of an aggregate.
    pub snapshot_every: u64,
    /// `AGGREGATE_CACHE_SIZE` (10000): aggregates kept in memory per type.
    pub aggregate_cache_size: usize,
    /// `COMMAND_MAX_ATTEMPTS` (20): tries of a command on concurrency conflicts.
    pub command_max_attempts: u32,
    /// `HTTP_WORKERS` (number of cores).
    pub http_workers: usize,
    /// `MAX_BODY_BYTES` (65536).
    pub max_body_bytes: usize,
    /// `CORS_ALLOWED_ORIGINS` (the local web apps; empty: none): the
    /// origins whose pages may call this API (see `platform::cors`).
    pub cors_allowed_origins: platform::cors::AllowedOrigins,
    /// `SHUTDOWN_TIMEOUT_SECS` (30): grace for in-flight requests on SIGTERM.
    pub shutdown_timeout_secs: u64,
    /// `IDEMPOTENCY_RETENTION_HOURS` (168): how long a stored answer is
    /// replayed to a retry with the same `Idempotency-Key`.
    pub idempotency_retention: Duration,
}

/// The local development database.
pub const DEFAULT_DATABASE_URL: &str = "postgres://astro:astro@127.0.0.1:5432/astro";

impl Settings {
    /// Reads the environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Ok(Self {
            addr: config::string("COMMAND_API_ADDR", "127.0.0.1:8081"),
            database_url: config::string("DATABASE_URL", DEFAULT_DATABASE_URL).into(),
            database_max_connections: config::parse("DATABASE_MAX_CONNECTIONS", 20)?,
            database_acquire_timeout: Duration::from_millis(config::parse(
                "DATABASE_ACQUIRE_TIMEOUT_MS",
                3_000,
            )?),
            run_migrations: config::parse("RUN_MIGRATIONS", true)?,
            auth_public_key: config::required("AUTH_PUBLIC_KEY")?,
            nats_url: config::string("NATS_URL", "nats://127.0.0.1:4222"),
            snapshot_every: config::parse("SNAPSHOT_EVERY", 100)?,
            aggregate_cache_size: config::parse("AGGREGATE_CACHE_SIZE", 10_000)?,
            command_max_attempts: config::parse("COMMAND_MAX_ATTEMPTS", 20)?,
            http_workers: config::parse(
                "HTTP_WORKERS",
                std::thread::available_parallelism().map_or(2, |n| n.get()),
            )?,
            max_body_bytes: config::parse("MAX_BODY_BYTES", 65_536)?,
            cors_allowed_origins: platform::cors::AllowedOrigins::from_env()?,
            shutdown_timeout_secs: config::parse("SHUTDOWN_TIMEOUT_SECS", 30)?,
            idempotency_retention: Duration::from_secs(
                3600 * config::parse::<u64>("IDEMPOTENCY_RETENTION_HOURS", 168)?,
            ),
        })
    }
}
