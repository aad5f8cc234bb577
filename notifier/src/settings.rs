//! Configuration, from environment variables only. See
//! `docs/configuration.md`.

use std::time::Duration;

use platform::config::{self, ConfigError};
use secrecy::SecretString;

/// The local development PostgreSQL.
pub const DEFAULT_DATABASE_URL: &str = "postgres://astro:astro@127.0.0.1:5432/astro";
/// The local SMTP capture server (maildev), no TLS, no authentication.
pub const DEFAULT_SMTP_URL: &str = "smtp://127.0.0.1:1025";

/// Everything the notifier is configured with.
#[derive(Debug, Clone)]
pub struct Settings {
    /// `NOTIFIER_ADDR` (`127.0.0.1:8084`): health, readiness, metrics.
    pub addr: String,
    /// `DATABASE_URL`: the event store (launch histories) and the profiles
    /// (holders' addresses). A secret: never logged.
    pub database_url: SecretString,
    /// `DATABASE_MAX_CONNECTIONS` (4).
    pub database_max_connections: u32,
    /// `NATS_URL` (`nats://127.0.0.1:4222`).
    pub nats_url: String,
    /// `EVENTS_STREAM` (`ASTRO_EVENTS`): the stream the relay publishes to.
    pub stream: String,
    /// `EVENTS_SUBJECT_PREFIX` (`astro.events`).
    pub subject_prefix: String,
    /// `NOTIFIER_CONSUMER` (`notifier`): the durable consumer's name.
    pub consumer: String,
    /// `NOTIFIER_START_AT` (`all`): where a consumer that does not exist yet
    /// starts — `all` (every event the stream still holds) or `new` (only
    /// events published from now on: a first deployment next to a stream
    /// with history does not email past bookings). An existing consumer
    /// always resumes where it stopped.
    pub start_from_new: bool,
    /// `NOTIFIER_ACK_WAIT_SECS` (30): redelivery wait of an unacknowledged
    /// event.
    pub ack_wait: Duration,
    /// `DEAD_LETTER_STREAM` (`ASTRO_DEAD_LETTERS`): where dead notifications
    /// are published, on `<EVENTS_SUBJECT_PREFIX>-dead.notifier.<launch id>`,
    /// and events the planner cannot read are parked, on
    /// `<EVENTS_SUBJECT_PREFIX>-dead.notifier-planning.<launch id>`.
    pub dead_letter_stream: String,
    /// `DEAD_LETTER_AFTER` (5): deliveries of an event the planner cannot
    /// read before it is parked.
    pub dead_letter_after: i64,
    /// `MONGODB_URI`: the server of `core` (may hold credentials: never
    /// logged).
    pub mongodb_uri: SecretString,
    /// `MONGODB_CORE_DB` (`core`).
    pub core_database: String,
    /// `SMTP_URL` (`smtp://127.0.0.1:1025`): `smtp://` (plain, or
    /// `?tls=required` for STARTTLS) or `smtps://` (implicit TLS), with
    /// `user:password@` for authentication. A secret: never logged.
    pub smtp_url: SecretString,
    /// `SMTP_FROM` (`Astro Bookings <no-reply@astro.example>`).
    pub smtp_from: String,
    /// `SMTP_TIMEOUT_SECS` (10): one SMTP exchange's limit.
    pub smtp_timeout: Duration,
    /// `NOTIFIER_SUPPORT_EMAIL` (`support@astro.example`): where the
    /// emails send questions.
    pub support_email: String,
    /// `NOTIFIER_CURRENCY` (`EUR`): the currency amounts are shown in.
    pub currency: String,
    /// `NOTIFIER_MAX_ATTEMPTS` (10): failed sends before a notification is
    /// dead.
    pub max_attempts: i32,
    /// `NOTIFIER_BACKOFF_BASE_MS` (2000): the wait after the first failure;
    /// it doubles with each one.
    pub backoff_base: Duration,
    /// `NOTIFIER_BACKOFF_MAX_MS` (300000): the longest wait between two
    /// attempts.
    pub backoff_max: Duration,
    /// `NOTIFIER_SEND_CONCURRENCY` (4): emails sent at once.
    pub send_concurrency: usize,
    /// `NOTIFIER_POLL_INTERVAL_MS` (500): how often the sender looks for
    /// due notifications when nothing woke it (retries, re-queues by IT,
    /// other replicas' work).
    pub poll_interval: Duration,
    /// `NOTIFIER_LEASE_SECS` (60): how long a sender holds a notification
    /// it is sending; after a crash another takes it once this has passed.
    pub lease: Duration,
    /// `NOTIFIER_PROFILE_WAIT_SECS` (300): how long an event waits for its
    /// holder's profile (registrations reach the profiles table
    /// asynchronously); after that the holder is left out and an error is
    /// logged, and the passengers are still told.
    pub profile_wait: Duration,
    /// `NOTIFIER_PLAN_BATCH` (100): the most events planned together and
    /// their notifications stored in one insert (a chunk is whatever the
    /// pull has ready, so this bounds it under load only).
    pub plan_batch: usize,
    /// `NOTIFIER_CONTEXT_CACHE_SIZE` (1024): launch histories kept folded
    /// in memory.
    pub context_cache_size: usize,
    /// `SHUTDOWN_TIMEOUT_SECS` (30): grace for in-flight work on SIGTERM.
    pub shutdown_timeout_secs: u64,
}

impl Settings {
    /// Reads the environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        let currency = config::string("NOTIFIER_CURRENCY", "EUR").trim().to_owned();
        if currency.len() != 3 || !currency.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err(ConfigError::Invalid {
                name: "NOTIFIER_CURRENCY",
                reason: "must be an ISO 4217 code of three capital letters, e.g. EUR".into(),
            });
        }
        let smtp_from = config::string("SMTP_FROM", "Astro Bookings <no-reply@astro.example>");
        if smtp_from.parse::<lettre::message::Mailbox>().is_err() {
            return Err(ConfigError::Invalid {
                name: "SMTP_FROM",
                reason: "must be an address, optionally with a name: Name <user@host>".into(),
            });
        }
        let smtp_url = config::string("SMTP_URL", DEFAULT_SMTP_URL);
        crate::mail::Mailer::check_url(&smtp_url).map_err(|reason| ConfigError::Invalid {
            name: "SMTP_URL",
            reason,
        })?;
        let positive = config::positive;
        let start_from_new = start_at(&config::string("NOTIFIER_START_AT", "all"))?;
        Ok(Self {
            addr: config::string("NOTIFIER_ADDR", "127.0.0.1:8084"),
            database_url: config::string("DATABASE_URL", DEFAULT_DATABASE_URL).into(),
            database_max_connections: positive("DATABASE_MAX_CONNECTIONS", 4)? as u32,
            nats_url: config::string("NATS_URL", "nats://127.0.0.1:4222"),
            stream: config::string("EVENTS_STREAM", events::subjects::STREAM),
            subject_prefix: config::string("EVENTS_SUBJECT_PREFIX", "astro.events"),
            consumer: config::string("NOTIFIER_CONSUMER", "notifier"),
            start_from_new,
            ack_wait: Duration::from_secs(positive("NOTIFIER_ACK_WAIT_SECS", 30)?),
            dead_letter_stream: config::string("DEAD_LETTER_STREAM", "ASTRO_DEAD_LETTERS"),
            dead_letter_after: positive("DEAD_LETTER_AFTER", 5)?.min(1_000) as i64,
            mongodb_uri: config::string("MONGODB_URI", read_models::mongo::DEFAULT_MONGODB_URI)
                .into(),
            core_database: config::string("MONGODB_CORE_DB", read_models::core_db::DATABASE),
            smtp_url: smtp_url.into(),
            smtp_from,
            smtp_timeout: Duration::from_secs(positive("SMTP_TIMEOUT_SECS", 10)?),
            support_email: config::string("NOTIFIER_SUPPORT_EMAIL", "support@astro.example"),
            currency,
            max_attempts: positive("NOTIFIER_MAX_ATTEMPTS", 10)?.min(1_000) as i32,
            backoff_base: Duration::from_millis(positive("NOTIFIER_BACKOFF_BASE_MS", 2_000)?),
            backoff_max: Duration::from_millis(positive("NOTIFIER_BACKOFF_MAX_MS", 300_000)?),
            send_concurrency: positive("NOTIFIER_SEND_CONCURRENCY", 4)?.min(256) as usize,
            poll_interval: Duration::from_millis(positive("NOTIFIER_POLL_INTERVAL_MS", 500)?),
            lease: Duration::from_secs(positive("NOTIFIER_LEASE_SECS", 60)?),
            profile_wait: Duration::from_secs(config::parse("NOTIFIER_PROFILE_WAIT_SECS", 300)?),
            plan_batch: positive("NOTIFIER_PLAN_BATCH", 100)?.min(10_000) as usize,
            context_cache_size: positive("NOTIFIER_CONTEXT_CACHE_SIZE", 1_024)? as usize,
            shutdown_timeout_secs: config::parse("SHUTDOWN_TIMEOUT_SECS", 30)?,
        })
    }

    /// The dead-letter subject prefix: `<EVENTS_SUBJECT_PREFIX>-dead`.
    pub fn dead_letter_prefix(&self) -> String {
        format!("{}-dead", self.subject_prefix)
    }
}

/// `NOTIFIER_START_AT`: whether a new consumer starts at new events.
fn start_at(value: &str) -> Result<bool, ConfigError> {
    match value.trim() {
        "all" => Ok(false),
        "new" => Ok(true),
        _ => Err(ConfigError::Invalid {
            name: "NOTIFIER_START_AT",
            reason: "must be `all` or `new`".into(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_consumer_starts_at_every_event_or_only_new_ones_and_nothing_else() {
        assert!(!start_at("all").unwrap());
        assert!(start_at(" new ").unwrap());
        assert!(start_at("latest").is_err());
    }
}
