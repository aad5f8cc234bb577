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
    /// `SHUTDOWN_TIMEOUT_SECS` (30): grace for in-flight requests on SIGTERM.
    pub shutdown_timeout_secs: u64,
    /// The finance endpoints: PostgreSQL and the invoices' PDF.
    pub finance: FinanceSettings,
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
            shutdown_timeout_secs: config::parse("SHUTDOWN_TIMEOUT_SECS", 30)?,
            finance: FinanceSettings::from_env()?,
        })
    }
}
