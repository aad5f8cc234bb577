//! Configuration, from environment variables only. See `docs/configuration.md`.

use std::time::Duration;

use platform::config::{self, ConfigError};
use secrecy::SecretString;

/// A part of the process that `projectors serve` can run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Component {
    /// The outbox relay.
    Relay,
    /// The sales projector (Mongo `sales`).
    Sales,
    /// The profiles projector (Postgres `travelers`, `agencies`,
    /// `employees`).
    Profiles,
    /// The finance projector (Postgres schema `finance`).
    Finance,
}

impl Component {
    /// Every component, in the order they start.
    pub const ALL: [Component; 4] = [
        Component::Relay,
        Component::Sales,
        Component::Profiles,
        Component::Finance,
    ];

    /// Its name on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Relay => "relay",
            Self::Sales => "sales",
            Self::Profiles => "profiles",
            Self::Finance => "finance",
        }
    }

    /// The component named `name`.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == name)
    }
}

/// Everything the projectors process is configured with.
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
    /// `MONGODB_URI` (the local SecantusDB): the read models.
    pub mongodb_uri: SecretString,
    /// `MONGODB_SALES_DB` (`sales`): the sales read model's database.
    pub sales_database: String,
    /// `SALES_CONSUMER` (`sales`): the sales projector's durable consumer.
    pub sales_consumer: String,
    /// `SALES_BATCH_SIZE` (500): most messages applied together.
    pub sales_batch_size: usize,
    /// `SALES_ACK_WAIT_SECS` (10): a message not acknowledged within this
    /// time (a projector died holding it) is delivered again.
    pub sales_ack_wait: Duration,
    /// `DEAD_LETTER_AFTER` (5): deliveries of an event that cannot be
    /// applied (unreadable, or contradicting the read model) before it goes
    /// to the dead letters. Unreachable databases never count: such events
    /// wait, however long the outage.
    pub dead_letter_after: i64,
    /// `DEAD_LETTER_STREAM` (`ASTRO_DEAD_LETTERS`): where dead letters are
    /// kept, on subjects `<EVENTS_SUBJECT_PREFIX>-dead.<projection>.<aggregate id>`.
    pub dead_letter_stream: String,
    /// `PROFILES_CONSUMER` (`profiles`): the profiles projector's durable
    /// consumer on the events stream; `<name>-users` is its consumer on the
    /// user messages stream.
    pub profiles_consumer: String,
    /// `USERS_STREAM` (`ASTRO_USERS`): the auth service's user messages.
    pub users_stream: String,
    /// `USERS_SUBJECT_PREFIX` (`astro.users`): the prefix of the user
    /// messages' subjects, which `events::user` defines; another value is
    /// for tests.
    pub users_subject_prefix: String,
    /// `FINANCE_CONSUMER` (`finance`): the finance projector's durable
    /// consumer (on `<EVENTS_SUBJECT_PREFIX>.Launch.>`); its messages only
    /// wake the projector, which reads the event store in global order.
    pub finance_consumer: String,
    /// `FINANCE_BATCH_SIZE` (1000): most events applied per transaction
    /// (by the projector and by `rebuild finance`).
    pub finance_batch_size: i64,
    /// `FINANCE_POLL_INTERVAL_MS` (1000): the finance projector reads the
    /// store at least this often even when no message arrives.
    pub finance_poll_interval: Duration,
    /// The components to run (`projectors serve [relay] [sales] [profiles] [finance]`;
    /// all when none is named).
    pub components: Vec<Component>,
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
        let batch_size = bounded("RELAY_BATCH_SIZE", 500, 1..=10_000)? as i64;
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
            mongodb_uri: config::string("MONGODB_URI", read_models::mongo::DEFAULT_MONGODB_URI)
                .into(),
            sales_database: config::string("MONGODB_SALES_DB", read_models::sales::DATABASE),
            sales_consumer: config::string("SALES_CONSUMER", "sales"),
            sales_batch_size: bounded("SALES_BATCH_SIZE", 500, 1..=10_000)?,
            sales_ack_wait: Duration::from_secs(
                bounded("SALES_ACK_WAIT_SECS", 10, 1..=3600)? as u64
            ),
            dead_letter_after: bounded("DEAD_LETTER_AFTER", 5, 1..=1000)? as i64,
            dead_letter_stream: config::string("DEAD_LETTER_STREAM", "ASTRO_DEAD_LETTERS"),
            profiles_consumer: config::string("PROFILES_CONSUMER", "profiles"),
            users_stream: config::string("USERS_STREAM", events::user::USERS_STREAM),
            users_subject_prefix: config::string(
                "USERS_SUBJECT_PREFIX",
                events::user::ALL_USERS.trim_end_matches(".>"),
            ),
            finance_consumer: config::string("FINANCE_CONSUMER", "finance"),
            finance_batch_size: bounded("FINANCE_BATCH_SIZE", 1_000, 1..=50_000)? as i64,
            finance_poll_interval: Duration::from_millis(bounded(
                "FINANCE_POLL_INTERVAL_MS",
                1_000,
                10..=3_600_000,
            )? as u64),
            components: Component::ALL.to_vec(),
        })
    }
}

/// `name` parsed, within `range`.
fn bounded(
    name: &'static str,
    default: usize,
    range: std::ops::RangeInclusive<usize>,
) -> Result<usize, ConfigError> {
    let value: usize = config::parse(name, default)?;
    if range.contains(&value) {
        Ok(value)
    } else {
        Err(ConfigError::Invalid {
            name,
            reason: format!("must be between {} and {}", range.start(), range.end()),
        })
    }
}

impl Settings {
    /// The dead-letter subject prefix: `<EVENTS_SUBJECT_PREFIX>-dead`.
    pub fn dead_letter_prefix(&self) -> String {
        format!("{}-dead", self.subject_prefix)
    }
}
