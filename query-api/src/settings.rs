//! Configuration, from environment variables only. See `docs/configuration.md`.

use std::time::Duration;

use platform::config::{self, ConfigError};

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
        })
    }
}
