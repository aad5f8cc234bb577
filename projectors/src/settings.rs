//! Configuration, from environment variables only. See `docs/configuration.md`.

use std::time::Duration;

use platform::config::{self, ConfigError};
use secrecy::SecretString;

/// Everything the relay is configured with.
#[derive(Debug, Clone)]
pub struct Settings {
    /// `PROJECTORS_ADDR` (`127.0.0.1:8085`; port 0 picks one): `/health`,
    /// `/ready`, `/metrics`.
    pub addr: String,
    /// `DATABASE_URL`: the event store.
    pub database_url: SecretString,
    /// `NATS_URL` (`nats://127.0.0.1:4222`).
    pub nats_url: String,
    /// `RELAY_BATCH_SIZE` (500): outbox rows published per transaction.
    pub batch_size: i64,
    /// `RELAY_POLL_INTERVAL_MS` (100): when idle, look at the outbox this
    /// often (sooner on a `NOTIFY outbox`).
    pub poll_interval: Duration,
    /// `RELAY_PUBLISH_TIMEOUT_MS` (5000): wait for JetStream's acknowledgements.
    pub publish_timeout: Duration,
    /// `RELAY_MAX_BACKOFF_MS` (10000): longest pause between retries after an
    /// error (the pause doubles from 100 ms).
    pub max_backoff: Duration,
    /// `EVENTS_STREAM` (`events::subjects::STREAM`): the JetStream stream.
    pub stream: String,
    /// `EVENTS_SUBJECT_PREFIX` (`astro.events`): the prefix of every event
    /// subject, which `events::subjects` defines; another value is for tests.
    pub subject_prefix: String,
    /// `EVENTS_STREAM_MAX_AGE_DAYS` (365; 0 keeps events forever).
    pub stream_max_age: Duration,
    /// `EVENTS_DUPLICATE_WINDOW_SECS` (120): how long JetStream remembers
    /// message ids to drop re-publications.
    pub duplicate_window: Duration,
    /// `SHUTDOWN_TIMEOUT_SECS` (30): grace for in-flight HTTP requests.
    pub shutdown_timeout_secs: u64,
}

/// The local development database.
pub const DEFAULT_DATABASE_URL: &str = "postgres://astro:astro@127.0.0.1:5432/astro";
/// The local NATS.
pub const DEFAULT_NATS_URL: &str = "nats://127.0.0.1:4222";

/// The subject prefix of `events::subjects` (`astro.events`).
pub fn default_subject_prefix() -> String {
    events::subjects::ALL_EVENTS
        .trim_end_matches('>')
        .trim_end_matches('.')
        .to_owned()
}

impl Settings {
    /// Reads the environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        let batch_size: i64 = config::parse("RELAY_BATCH_SIZE", 500)?;
        if !(1..=10_000).contains(&batch_size) {
            return Err(ConfigError::Invalid {
                name: "RELAY_BATCH_SIZE",
                reason: "must be between 1 and 10000".into(),
            });
        }
        let days: u64 = config::parse("EVENTS_STREAM_MAX_AGE_DAYS", 365)?;
        Ok(Self {
            addr: config::string("PROJECTORS_ADDR", "127.0.0.1:8085"),
            database_url: config::string("DATABASE_URL", DEFAULT_DATABASE_URL).into(),
            nats_url: config::string("NATS_URL", DEFAULT_NATS_URL),
            batch_size,
            poll_interval: Duration::from_millis(config::parse("RELAY_POLL_INTERVAL_MS", 100)?),
            publish_timeout: Duration::from_millis(config::parse(
                "RELAY_PUBLISH_TIMEOUT_MS",
                5_000,
            )?),
            max_backoff: Duration::from_millis(config::parse("RELAY_MAX_BACKOFF_MS", 10_000)?),
            stream: config::string("EVENTS_STREAM", events::subjects::STREAM),
            subject_prefix: config::string("EVENTS_SUBJECT_PREFIX", &default_subject_prefix()),
            stream_max_age: Duration::from_secs(days * 24 * 3600),
            duplicate_window: Duration::from_secs(config::parse(
                "EVENTS_DUPLICATE_WINDOW_SECS",
                120,
            )?),
            shutdown_timeout_secs: config::parse("SHUTDOWN_TIMEOUT_SECS", 30)?,
        })
    }
}
