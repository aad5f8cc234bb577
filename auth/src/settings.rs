//! Configuration, from environment variables only. See `docs/configuration.md`.

use std::time::Duration;

use platform::config::{self, positive, ConfigError};
use secrecy::SecretString;

use crate::password::HashParams;
use crate::throttle::Limits;

/// The first IT account, created at start-up when no IT employee exists.
#[derive(Debug, Clone)]
pub struct Bootstrap {
    /// `AUTH_BOOTSTRAP_IT_EMAIL`.
    pub email: String,
    /// `AUTH_BOOTSTRAP_IT_PASSWORD` (a secret: never logged).
    pub password: SecretString,
}

/// Everything the auth service is configured with.
#[derive(Debug, Clone)]
pub struct Settings {
    /// `AUTH_API_ADDR`: where to listen (`127.0.0.1:8083`; port 0 picks one).
    pub addr: String,
    /// `MONGODB_URI`: the server holding `core` (may carry credentials).
    pub mongodb_uri: SecretString,
    /// `MONGODB_CORE_DB` (`core`): users, refresh tokens, throttle, outbox.
    pub core_database: String,
    /// `NATS_URL`: JetStream, for user events and revocations.
    pub nats_url: String,
    /// `AUTH_PRIVATE_KEY`: hex Ed25519 private key that signs tokens.
    pub private_key: SecretString,
    /// `ACCESS_TOKEN_TTL_SECS` (900): lifetime of an access token.
    pub access_token_ttl: Duration,
    /// `REFRESH_TOKEN_TTL_SECS` (604800): lifetime of a refresh token.
    pub refresh_token_ttl: Duration,
    /// `ARGON2_MEMORY_KIB`, `ARGON2_ITERATIONS`, `ARGON2_PARALLELISM`.
    pub argon2: HashParams,
    /// `ARGON2_MAX_CONCURRENT` (number of cores): hashes computed at once;
    /// more wait, bounding memory (`ARGON2_MEMORY_KIB` each) under a flood.
    pub argon2_max_concurrent: usize,
    /// `LOGIN_FREE_FAILURES_PER_PAIR` (5), `LOGIN_FREE_FAILURES_PER_ADDRESS`
    /// (20), `LOGIN_FREE_FAILURES_PER_ACCOUNT` (100), `LOGIN_BASE_DELAY_SECS`
    /// (5), `LOGIN_MAX_DELAY_SECS` (900), `LOGIN_WINDOW_SECS` (900).
    pub login_limits: Limits,
    /// `TRUST_FORWARDED_FOR` (false): take the client address from the first
    /// `X-Forwarded-For` entry (only behind a proxy that sets it).
    pub trust_forwarded_for: bool,
    /// `AUTH_BOOTSTRAP_IT_EMAIL` and `AUTH_BOOTSTRAP_IT_PASSWORD`, when both set.
    pub bootstrap: Option<Bootstrap>,
    /// `USER_OUTBOX_POLL_MS` (1000): how often the outbox publisher looks
    /// for work it was not woken for (another replica's crash).
    pub outbox_poll_interval: Duration,
    /// `USER_OUTBOX_LEASE_SECS` (30): how long a claimed outbox message is
    /// left to its publisher before another replica may take it.
    pub outbox_lease: Duration,
    /// `USERS_STREAM` (`ASTRO_USERS`): the JetStream stream user messages
    /// are published to (created if missing).
    pub users_stream: String,
    /// `USERS_SUBJECT_PREFIX` (`astro.users`): user messages go to
    /// `<prefix>.<user id>`; the stream holds `<prefix>.>`. Another value
    /// is for tests.
    pub users_subject_prefix: String,
    /// `HTTP_WORKERS` (number of cores).
    pub http_workers: usize,
    /// `MAX_BODY_BYTES` (16384): largest request body.
    pub max_body_bytes: usize,
    /// `CORS_ALLOWED_ORIGINS` (the local web apps; empty: none): the
    /// origins whose pages may call this API (see `platform::cors`).
    pub cors_allowed_origins: platform::cors::AllowedOrigins,
    /// `SHUTDOWN_TIMEOUT_SECS` (30): grace for in-flight requests on SIGTERM.
    pub shutdown_timeout_secs: u64,
    /// `AUTH_CLIENTS` (the local web apps): the web apps that may sign
    /// users in, with their exact redirect URIs.
    pub clients: crate::sso::Clients,
    /// `AUTH_CODE_TTL_SECONDS` (60): how long an authorization code works.
    pub code_ttl: Duration,
}

fn cores() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get())
}

impl Settings {
    /// Reads the environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Ok(Self {
            addr: config::string("AUTH_API_ADDR", "127.0.0.1:8083"),
            mongodb_uri: config::string("MONGODB_URI", read_models::mongo::DEFAULT_MONGODB_URI)
                .into(),
            core_database: config::string("MONGODB_CORE_DB", "core"),
            nats_url: config::string("NATS_URL", "nats://127.0.0.1:4222"),
            private_key: config::required("AUTH_PRIVATE_KEY")?.into(),
            access_token_ttl: Duration::from_secs(positive("ACCESS_TOKEN_TTL_SECS", 900)?),
            refresh_token_ttl: Duration::from_secs(positive("REFRESH_TOKEN_TTL_SECS", 604_800)?),
            argon2: HashParams {
                memory_kib: config::parse("ARGON2_MEMORY_KIB", 19_456)?,
                iterations: config::parse("ARGON2_ITERATIONS", 2)?,
                parallelism: config::parse("ARGON2_PARALLELISM", 1)?,
            },
            argon2_max_concurrent: positive("ARGON2_MAX_CONCURRENT", cores() as u64)? as usize,
            login_limits: login_limits()?,
            trust_forwarded_for: config::parse("TRUST_FORWARDED_FOR", false)?,
            bootstrap: bootstrap()?,
            outbox_poll_interval: Duration::from_millis(positive("USER_OUTBOX_POLL_MS", 1_000)?),
            outbox_lease: Duration::from_secs(positive("USER_OUTBOX_LEASE_SECS", 30)?),
            users_stream: config::string("USERS_STREAM", events::user::USERS_STREAM),
            users_subject_prefix: config::string(
                "USERS_SUBJECT_PREFIX",
                events::user::ALL_USERS.trim_end_matches(".>"),
            ),
            http_workers: config::parse("HTTP_WORKERS", cores())?,
            max_body_bytes: config::parse("MAX_BODY_BYTES", 16_384)?,
            cors_allowed_origins: platform::cors::AllowedOrigins::from_env()?,
            shutdown_timeout_secs: config::parse("SHUTDOWN_TIMEOUT_SECS", 30)?,
            clients: crate::sso::Clients::from_env()?,
            code_ttl: Duration::from_secs(positive("AUTH_CODE_TTL_SECONDS", 60)?),
        })
    }
}

/// The login throttle's limits; the defaults are [`Limits::default`].
fn login_limits() -> Result<Limits, ConfigError> {
    let defaults = Limits::default();
    let count = |name, default: u32| -> Result<u32, ConfigError> {
        u32::try_from(positive(name, u64::from(default))?).map_err(|_| ConfigError::Invalid {
            name,
            reason: "too large".into(),
        })
    };
    let seconds =
        |name, default: Duration| positive(name, default.as_secs()).map(Duration::from_secs);
    let limits = Limits {
        per_pair: count("LOGIN_FREE_FAILURES_PER_PAIR", defaults.per_pair)?,
        per_address: count("LOGIN_FREE_FAILURES_PER_ADDRESS", defaults.per_address)?,
        per_account: count("LOGIN_FREE_FAILURES_PER_ACCOUNT", defaults.per_account)?,
        base_delay: seconds("LOGIN_BASE_DELAY_SECS", defaults.base_delay)?,
        max_delay: seconds("LOGIN_MAX_DELAY_SECS", defaults.max_delay)?,
        window: seconds("LOGIN_WINDOW_SECS", defaults.window)?,
    };
    if limits.max_delay < limits.base_delay {
        return Err(ConfigError::Invalid {
            name: "LOGIN_MAX_DELAY_SECS",
            reason: "must be at least LOGIN_BASE_DELAY_SECS".into(),
        });
    }
    // The variables that meant a hard lockout are refused rather than
    // silently ignored: their values would mean something else now.
    for old in [
        "LOGIN_MAX_FAILURES_PER_ACCOUNT",
        "LOGIN_MAX_FAILURES_PER_ADDRESS",
    ] {
        if std::env::var_os(old).is_some() {
            return Err(ConfigError::Invalid {
                name: old,
                reason: "replaced by LOGIN_FREE_FAILURES_PER_PAIR, _PER_ADDRESS and _PER_ACCOUNT (see docs/auth.md)".into(),
            });
        }
    }
    Ok(limits)
}

/// Both bootstrap variables, or neither.
fn bootstrap() -> Result<Option<Bootstrap>, ConfigError> {
    let email = config::string("AUTH_BOOTSTRAP_IT_EMAIL", "");
    let password = config::string("AUTH_BOOTSTRAP_IT_PASSWORD", "");
    match (email.is_empty(), password.is_empty()) {
        (true, true) => Ok(None),
        (false, false) => Ok(Some(Bootstrap {
            email,
            password: password.into(),
        })),
        (true, false) => Err(ConfigError::Missing("AUTH_BOOTSTRAP_IT_EMAIL")),
        (false, true) => Err(ConfigError::Missing("AUTH_BOOTSTRAP_IT_PASSWORD")),
    }
}
