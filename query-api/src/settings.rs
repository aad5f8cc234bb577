//! Configuration, from environment variables only. See `docs/configuration.md`.

use std::time::Duration;

use platform::config::{self, ConfigError};
use secrecy::SecretString;

use crate::pdf::Issuer;

/// Everything the query API is configured with.
#[derive(Debug, Clone)]
pub struct Settings {
    /// `QUERY_API_ADDR`: where to listen (`127.0.0.1:8082`; port 0 picks one).
    pub addr: String,
    /// `MONGODB_URI`: the server holding the read models (it may carry
    /// credentials: never logged).
    pub mongodb_uri: String,
    /// `MONGODB_SALES_DB` (`sales`): the sales read model's database.
    pub sales_database: String,
    /// `AUTH_PUBLIC_KEY`: hex Ed25519 public key of the auth service.
    pub auth_public_key: String,
    /// `NATS_URL` (`nats://127.0.0.1:4222`): where token revocations are
    /// followed (see `platform::revocation`).
    pub nats_url: String,
    /// `READ_YOUR_WRITES_MAX_WAIT_MS` (2000): the longest a request waits for
    /// the read model to reach the version a client asked for.
    pub read_your_writes_max_wait: Duration,
    /// `LISTING_CACHE_TTL_MS` (1000; 0 disables the cache): how long a
    /// rendered listing is served from memory.
    pub listing_cache_ttl: Duration,
    /// `LISTING_CACHE_SIZE` (1024): listings kept in memory (least recently
    /// used ones are evicted first).
    pub listing_cache_size: usize,
    /// `HTTP_WORKERS` (number of cores).
    pub http_workers: usize,
    /// `CORS_ALLOWED_ORIGINS` (the local web apps; empty: none): the
    /// origins whose pages may call this API (see `platform::cors`).
    pub cors_allowed_origins: platform::cors::AllowedOrigins,
    /// `SHUTDOWN_TIMEOUT_SECS` (30): grace for in-flight requests on SIGTERM.
    pub shutdown_timeout_secs: u64,
    /// The finance endpoints: PostgreSQL and the invoices' PDF.
    pub finance: FinanceSettings,
    /// The IT endpoints (`/v1/ops/*`).
    pub ops: OpsSettings,
}

/// The local development PostgreSQL.
pub const DEFAULT_DATABASE_URL: &str = "postgres://astro:astro@127.0.0.1:5432/astro";

/// `INVOICE_ISSUER_ADDRESS`'s default: lines separated by `|`.
pub const DEFAULT_ISSUER_ADDRESS: &str =
    "12 Launchpad Way|Harwell Science Campus|Didcot OX11 0QX|United Kingdom";

/// What the finance endpoints (`/v1/invoices`) need: the finance projection
/// and the profiles in PostgreSQL, and who issues the invoices. Grouped so
/// that a caller building [`Settings`] by hand can take the local defaults
/// with `FinanceSettings::default()`.
#[derive(Debug, Clone)]
pub struct FinanceSettings {
    /// `DATABASE_URL` (`postgres://astro:astro@127.0.0.1:5432/astro`): the
    /// database of the finance projection (schema `finance`), the profiles
    /// and the event store (read for `as_of`). A secret: never logged.
    pub database_url: SecretString,
    /// `DATABASE_MAX_CONNECTIONS` (8): the pool's size.
    pub database_max_connections: u32,
    /// `DATABASE_ACQUIRE_TIMEOUT_MS` (2000): beyond it a request gets 503.
    pub database_acquire_timeout: Duration,
    /// Who issues the invoices, as their PDF shows it.
    pub issuer: Issuer,
}

impl Default for FinanceSettings {
    /// The local development defaults (what [`Settings::from_env`] reads
    /// from an empty environment).
    fn default() -> Self {
        Self {
            database_url: DEFAULT_DATABASE_URL.into(),
            database_max_connections: 8,
            database_acquire_timeout: Duration::from_millis(2_000),
            issuer: Issuer {
                name: "Astro Bookings Ltd.".into(),
                address: Issuer::address_lines(DEFAULT_ISSUER_ADDRESS),
                tax_id: None,
                currency: "EUR".into(),
            },
        }
    }
}

impl FinanceSettings {
    /// Reads the environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        let defaults = Self::default();
        let currency = config::string("INVOICE_CURRENCY", &defaults.issuer.currency)
            .trim()
            .to_owned();
        if currency.len() != 3 || !currency.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err(ConfigError::Invalid {
                name: "INVOICE_CURRENCY",
                reason: "must be an ISO 4217 code of three capital letters, e.g. EUR".into(),
            });
        }
        let tax_id = config::string("INVOICE_ISSUER_TAX_ID", "")
            .trim()
            .to_owned();
        Ok(Self {
            database_url: config::string("DATABASE_URL", DEFAULT_DATABASE_URL).into(),
            database_max_connections: config::parse("DATABASE_MAX_CONNECTIONS", 8)?,
            database_acquire_timeout: Duration::from_millis(config::parse(
                "DATABASE_ACQUIRE_TIMEOUT_MS",
                2_000,
            )?),
            issuer: Issuer {
                name: config::string("INVOICE_ISSUER_NAME", &defaults.issuer.name)
                    .trim()
                    .to_owned(),
                address: Issuer::address_lines(&config::string(
                    "INVOICE_ISSUER_ADDRESS",
                    DEFAULT_ISSUER_ADDRESS,
                )),
                tax_id: (!tax_id.is_empty()).then_some(tax_id),
                currency,
            },
        })
    }
}

impl Settings {
    /// Reads the environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Ok(Self {
            addr: config::string("QUERY_API_ADDR", "127.0.0.1:8082"),
            mongodb_uri: config::string("MONGODB_URI", read_models::mongo::DEFAULT_MONGODB_URI),
            sales_database: config::string("MONGODB_SALES_DB", read_models::sales::DATABASE),
            auth_public_key: config::required("AUTH_PUBLIC_KEY")?,
            nats_url: config::string("NATS_URL", "nats://127.0.0.1:4222"),
            read_your_writes_max_wait: Duration::from_millis(config::parse(
                "READ_YOUR_WRITES_MAX_WAIT_MS",
                2_000,
            )?),
            listing_cache_ttl: Duration::from_millis(config::parse("LISTING_CACHE_TTL_MS", 1_000)?),
            listing_cache_size: config::parse("LISTING_CACHE_SIZE", 1_024)?,
            http_workers: config::parse(
                "HTTP_WORKERS",
                std::thread::available_parallelism().map_or(2, |n| n.get()),
            )?,
            cors_allowed_origins: platform::cors::AllowedOrigins::from_env()?,
            shutdown_timeout_secs: config::parse("SHUTDOWN_TIMEOUT_SECS", 30)?,
            finance: FinanceSettings::from_env()?,
            ops: OpsSettings::from_env()?,
        })
    }
}

/// `OPS_SERVICES`' default: the local ports of `docs/system.md`.
pub const DEFAULT_OPS_SERVICES: &str = "command-api=http://127.0.0.1:8081,auth=http://127.0.0.1:8083,\
                                        notifier=http://127.0.0.1:8084,projectors=http://127.0.0.1:8085";

/// `DEAD_LETTER_STREAM`'s default.
pub const DEFAULT_DEAD_LETTER_STREAM: &str = "ASTRO_DEAD_LETTERS";

/// `OPS_STREAMS`' default.
pub const DEFAULT_OPS_STREAMS: &str = "ASTRO_EVENTS,ASTRO_USERS";

/// A service whose `/ready` the status page probes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProbedService {
    /// Its name on the status page (`command-api`).
    pub name: String,
    /// Its base URL (`http://127.0.0.1:8081`); `/ready` is appended.
    pub url: String,
}

/// What the IT endpoints (`/v1/ops/*`) need besides the pools every
/// endpoint shares. Grouped so that a caller building [`Settings`] by hand
/// can take the local defaults with `OpsSettings::default()`.
#[derive(Debug, Clone)]
pub struct OpsSettings {
    /// `MONGODB_CORE_DB` (`core`): the database of the system logs
    /// (`logs`) and the notifications (`notifications`), on `MONGODB_URI`.
    pub core_database: String,
    /// `OPS_SERVICES`: the services whose `/ready` `GET /v1/ops/status`
    /// probes, `name=url` separated by commas.
    pub services: Vec<ProbedService>,
    /// `OPS_STREAMS` (`ASTRO_EVENTS,ASTRO_USERS`): the JetStream streams
    /// whose consumers the status page reports.
    pub streams: Vec<String>,
    /// `OPS_PROBE_TIMEOUT_MS` (2000): the longest one probe of the status
    /// page (a service's `/ready`, JetStream) may take.
    pub probe_timeout: Duration,
    /// `OPS_FOLLOW_MAX_SECS` (300): how long `GET /v1/ops/logs?follow=true`
    /// streams before it ends (the client reconnects).
    pub follow_max: Duration,
    /// `OPS_FOLLOW_MAX_FOLLOWERS` (64): the follow streams one process
    /// serves at once; one more is 429.
    pub follow_max_followers: usize,
    /// `OPS_FOLLOW_MAX_PER_USER` (4): the follow streams one user may have
    /// open at once (on one process); one more is 429.
    pub follow_max_per_user: usize,
    /// `OPS_FOLLOW_BUFFER` (1024): the entries (of any filter) a follower
    /// may fall behind by before it loses the oldest (`event: lagged`).
    pub follow_buffer: usize,
    /// `DEAD_LETTER_STREAM` (`ASTRO_DEAD_LETTERS`): where the consumers
    /// park the events they cannot apply (`/v1/ops/parked`).
    pub dead_letter_stream: String,
    /// `<EVENTS_SUBJECT_PREFIX>-dead` (`astro.events-dead`): the parked
    /// events' subjects are `<it>.<projection>.<aggregate id>`.
    pub dead_letter_prefix: String,
    /// `OPS_PARKED_REPLAY_MAX` (100): the most parked events one
    /// `POST /v1/ops/parked/replay` replays.
    pub parked_replay_max: u64,
}

/// `<EVENTS_SUBJECT_PREFIX>-dead` of the default prefix, as the consumers
/// name it.
pub fn default_dead_letter_prefix() -> String {
    dead_letter_prefix(
        events::subjects::ALL_EVENTS
            .trim_end_matches(">")
            .trim_end_matches('.'),
    )
}

/// The dead-letter prefix of an events subject prefix.
pub fn dead_letter_prefix(events_prefix: &str) -> String {
    format!("{events_prefix}-dead")
}

impl Default for OpsSettings {
    /// The local development defaults.
    fn default() -> Self {
        Self {
            core_database: read_models::core_db::DATABASE.to_owned(),
            services: parse_services(DEFAULT_OPS_SERVICES).expect("the default services parse"),
            streams: parse_streams(DEFAULT_OPS_STREAMS),
            probe_timeout: Duration::from_millis(2_000),
            follow_max: Duration::from_secs(300),
            dead_letter_stream: DEFAULT_DEAD_LETTER_STREAM.to_owned(),
            dead_letter_prefix: default_dead_letter_prefix(),
            parked_replay_max: 100,
            follow_max_followers: 64,
            follow_max_per_user: 4,
            follow_buffer: 1_024,
        }
    }
}

impl OpsSettings {
    /// Reads the environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        let services = parse_services(&config::string("OPS_SERVICES", DEFAULT_OPS_SERVICES))
            .map_err(|reason| ConfigError::Invalid {
                name: "OPS_SERVICES",
                reason,
            })?;
        let positive = config::positive;
        let probe_timeout_ms = positive("OPS_PROBE_TIMEOUT_MS", 2_000)?;
        let follow_max_secs = positive("OPS_FOLLOW_MAX_SECS", 300)?;
        let follow_max_followers = positive("OPS_FOLLOW_MAX_FOLLOWERS", 64)?;
        let follow_max_per_user = positive("OPS_FOLLOW_MAX_PER_USER", 4)?;
        let follow_buffer = positive("OPS_FOLLOW_BUFFER", 1_024)?;
        let parked_replay_max: u64 = config::parse("OPS_PARKED_REPLAY_MAX", 100)?;
        if !(1..=1_000).contains(&parked_replay_max) {
            return Err(ConfigError::Invalid {
                name: "OPS_PARKED_REPLAY_MAX",
                reason: "must be from 1 to 1000".into(),
            });
        }
        let events_prefix = config::string("EVENTS_SUBJECT_PREFIX", "");
        let dead_letter_prefix = match events_prefix.trim() {
            "" => default_dead_letter_prefix(),
            prefix => dead_letter_prefix(prefix),
        };
        Ok(Self {
            core_database: config::string("MONGODB_CORE_DB", read_models::core_db::DATABASE),
            services,
            streams: parse_streams(&config::string("OPS_STREAMS", DEFAULT_OPS_STREAMS)),
            probe_timeout: Duration::from_millis(probe_timeout_ms),
            follow_max: Duration::from_secs(follow_max_secs),
            dead_letter_stream: config::string("DEAD_LETTER_STREAM", DEFAULT_DEAD_LETTER_STREAM),
            dead_letter_prefix,
            parked_replay_max,
            follow_max_followers: usize::try_from(follow_max_followers).unwrap_or(usize::MAX),
            follow_max_per_user: usize::try_from(follow_max_per_user).unwrap_or(usize::MAX),
            follow_buffer: usize::try_from(follow_buffer).unwrap_or(usize::MAX),
        })
    }
}

/// `name=url,name=url` (blanks around items ignored; an empty list is
/// allowed: nothing to probe). The URL must be `http://` or `https://`;
/// a trailing `/` is dropped.
pub fn parse_services(raw: &str) -> Result<Vec<ProbedService>, String> {
    raw.split(',')
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .map(|item| {
            let (name, url) = item
                .split_once('=')
                .ok_or_else(|| format!("`{item}` is not name=url"))?;
            let (name, url) = (name.trim(), url.trim().trim_end_matches('/'));
            if name.is_empty() {
                return Err(format!("`{item}` has no name"));
            }
            if !(url.starts_with("http://") || url.starts_with("https://")) {
                return Err(format!(
                    "the URL of `{name}` must start with http:// or https://"
                ));
            }
            Ok(ProbedService {
                name: name.to_owned(),
                url: url.to_owned(),
            })
        })
        .collect()
}

/// Stream names separated by commas.
pub fn parse_streams(raw: &str) -> Vec<String> {
    raw.split(',')
        .map(str::trim)
        .filter(|name| !name.is_empty())
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn services_are_name_equals_url_pairs() {
        let services = parse_services(" a=http://h:1/ , b=https://x ,").unwrap();
        assert_eq!(
            services,
            [
                ProbedService {
                    name: "a".into(),
                    url: "http://h:1".into()
                },
                ProbedService {
                    name: "b".into(),
                    url: "https://x".into()
                }
            ]
        );
        assert!(parse_services("").unwrap().is_empty());
        assert!(parse_services("a").is_err());
        assert!(parse_services("=http://h").is_err());
        assert!(parse_services("a=ftp://h").is_err());
        assert_eq!(OpsSettings::default().services.len(), 4);
        assert_eq!(parse_streams("A, B,,"), ["A", "B"]);
        assert_eq!(
            OpsSettings::default().dead_letter_prefix,
            "astro.events-dead"
        );
    }
}
