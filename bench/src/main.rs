//! The benchmark of Astro Bookings, run with `./scripts/bench.sh`.
//!
//! Every figure is measured next to a baseline taken in the same run on the
//! same machine, and reported as a ratio, since machines are noisy. Parts
//! (`BENCH_PARTS`, comma-separated; each runs alone too):
//!
//! - `booking` — the write path ([`booking`]): pgbench running the minimal
//!   durable booking transaction (the floor), then `POST
//!   /v1/launches/{id}/bookings` against the release command API at the same
//!   concurrencies, spread over many launches and on one hot launch; checks
//!   in the event store that no launch was oversold.
//! - `sync` — the whole read side, the same as `lag,listing,rebuild`:
//!   - `lag` ([`sync`]): command-api, `projectors serve relay sales` and
//!     query-api on a fresh database; open-loop bookings at
//!     `BENCH_SYNC_RATE`, each followed by `GET /v1/launches/{id}?min_version=V`
//!     (the projection lag a client sees) and by a plain `GET` (the read's
//!     own cost).
//!   - `listing` ([`sync`]): `GET /v1/launches` at `BENCH_LISTING_CONCURRENCY`
//!     with the listing cache on and off, against a raw MongoDB driver loop
//!     doing the same queries on the same data.
//!   - `rebuild` ([`rebuild`]): `projectors rebuild sales` over a synthetic
//!     event store of `BENCH_REBUILD_EVENTS` events, against the floor of
//!     reading and decoding those events with sqlx and of inserting the same
//!     documents with the raw driver.
//!
//! - `finance` ([`finance`]): `projectors rebuild finance` over a synthetic
//!   event store of `BENCH_FINANCE_EVENTS` events (half on 31 December,
//!   half on 1 January), into empty tables, then again with `--verify`
//!   (which must find them identical), against the floors of reading and
//!   decoding those events and of inserting the invoices and their lines
//!   with one `UNNEST` per 1,000 rows. Not in the default set, nor in
//!   `sync` (a Postgres-only projection, not the NATS/MongoDB read path):
//!   name it, e.g. `BENCH_PARTS=finance`.
//!
//! - `auth` ([`auth`]): logins/s and their latency through the release auth
//!   service at concurrency 8, against a bare argon2id verification loop
//!   with the same parameters on 8 blocking threads; and the cost of a token
//!   verification per request, uncached and cached. Not in the default set.
//!
//! - `logship` ([`logship`]): the release command API's booking throughput
//!   and latency at concurrency 32, and its CPU per booking (also at a
//!   fixed rate), with log shipping to MongoDB off, on, and on with MongoDB
//!   down, in turn (`LOGSHIP_ROUNDS` rounds), and the logs shipped and
//!   dropped. Target: on at most 5% slower. Not in the default set:
//!   `BENCH_PARTS=logship`.
//!
//! - `notify` ([`notify`]): notifications end to end — `BENCH_NOTIFY_BOOKINGS`
//!   bookings (one email each) wait in the stream, then the release
//!   notifier drains them into a private maildev: planned/s and emails/s
//!   against the floors of lettre sending the same emails straight to that
//!   maildev and of one-document `insert_many`s on MongoDB; and one
//!   booking's 201 → email captured on the idle notifier. Not in the
//!   default set: `BENCH_PARTS=notify`.
//!
//! Each part prints a markdown table; all tables are printed again at the
//! end. Every part creates its own databases and streams and drops them when
//! it ends. An unexpected HTTP status fails the run (non-zero exit).
//!
//! Configuration (environment):
//! - `BENCH_PARTS` (`booking,sync`): the parts to run, see above.
//! - `BENCH_SECONDS` (10): the length of each measurement.
//! - `BENCH_CONCURRENCY` (`8,32,64`): the booking part's concurrencies.
//! - `BENCH_SYNC_RATE` (500): bookings per second offered in the lag part.
//! - `BENCH_SYNC_SAMPLE` (10): in the lag part, every this many bookings one
//!   is followed by the lag read and the plain read (1: every booking).
//! - `BENCH_LISTING_CONCURRENCY` (32): clients in the listing part.
//! - `BENCH_REBUILD_EVENTS` (100000): events in the synthetic event store.
//! - `BENCH_REBUILD_LAUNCHES` (200): launches they are spread over.
//! - `BENCH_FINANCE_EVENTS` (100000), `BENCH_FINANCE_LAUNCHES` (200): the
//!   same for the finance part.
//! - `FINANCE_BATCH_SIZE` (1000): passed to `projectors rebuild finance`
//!   (events per transaction).
//! - `LOGSHIP_ROUNDS` (2), `LOGSHIP_RATE` (800), `BENCH_LOGSHIP_MONGODB_URI`
//!   (`MONGODB_URI`): the logship part's off/on/down rounds, the fixed rate
//!   of its CPU measurement, and where its on runs ship.
//! - `BENCH_NOTIFY_BOOKINGS` (2000), `BENCH_NOTIFY_CONCURRENCY` (8, the
//!   notifier's `NOTIFIER_SEND_CONCURRENCY` and the SMTP floor's): the
//!   notify part; it needs `MAILDEV_NODE` and `MAILDEV_JS` (`bench.sh`
//!   exports them), uses and drops `astro_bench_notify`, the MongoDB
//!   database `core_bench_notify` and the streams `BENCH_NOTIFY_EVENTS`
//!   and `BENCH_NOTIFY_DEAD_LETTERS`, and runs its processes with
//!   `LOG_SHIPPING=off`.
//! - `BENCH_FINANCE_KEEP` (`false`): `true` keeps the finance part's
//!   database after a successful run, to profile by hand (the next run
//!   drops it first).
//! - `DATABASE_URL` (`postgres://astro:astro@127.0.0.1:5432/astro`): the
//!   PostgreSQL server; the bench creates and drops its own databases there
//!   (`astro_bench_floor`, `astro_bench_api`, `astro_bench_sync`,
//!   `astro_bench_rebuild`, `astro_bench_finance`).
//! - `MONGODB_URI` (the local SecantusDB): the bench uses and drops the
//!   databases `sales_bench`, `sales_bench_rebuild` and `sales_bench_raw`.
//! - `NATS_URL` (`nats://127.0.0.1:4222`): the bench uses and deletes the
//!   streams `BENCH_EVENTS` (subjects `bench.events.>`) and
//!   `BENCH_DEAD_LETTERS`.
//! - `ARGON2_MEMORY_KIB`, `ARGON2_ITERATIONS`, `ARGON2_PARALLELISM`: the
//!   auth part's argon2id parameters (the service's defaults when unset); it
//!   uses and drops the MongoDB database `core_bench`. The logship part
//!   uses and drops `core_bench_logs` (and the PostgreSQL database
//!   `astro_bench_logship`).
//! - `COMMAND_API_BIN`, `PROJECTORS_BIN`, `QUERY_API_BIN`, `AUTH_BIN`
//!   (`target/release/<name>`), `NOTIFIER_BIN`: the release binaries to
//!   start.

use std::time::Instant;

use anyhow::{bail, Context};
use serde_json::Value;
use sqlx::postgres::PgConnectOptions;
use sqlx::{ConnectOptions, Connection, PgConnection};

mod api;
mod auth;
mod booking;
mod finance;
mod floor;
mod logship;
mod notify;
mod rebuild;
mod report;
mod stack;
mod sync;

/// Seats of each benchmark launch: far more than a run sells.
pub const CAPACITY: u32 = 10_000;
/// Launches the spread load is distributed over.
pub const SPREAD_LAUNCHES: usize = 64;

/// Which parts of the benchmark run (`BENCH_PARTS`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Parts {
    /// The booking path against pgbench's floor.
    pub booking: bool,
    /// Projection lag under steady load.
    pub lag: bool,
    /// `GET /v1/launches` against the raw driver.
    pub listing: bool,
    /// The rebuild of the sales read model.
    pub rebuild: bool,
    /// Logins against bare argon2, and token verification.
    pub auth: bool,
    /// The rebuild of the finance projection.
    pub finance: bool,
    /// Booking throughput with log shipping off and on.
    pub logship: bool,
    /// Notifications end to end against SMTP and MongoDB floors.
    pub notify: bool,
}

impl std::fmt::Display for Parts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names = [
            (self.booking, "booking"),
            (self.lag, "lag"),
            (self.listing, "listing"),
            (self.rebuild, "rebuild"),
            (self.finance, "finance"),
            (self.auth, "auth"),
            (self.logship, "logship"),
            (self.notify, "notify"),
        ];
        let on: Vec<&str> = names
            .iter()
            .filter(|(on, _)| *on)
            .map(|(_, n)| *n)
            .collect();
        f.write_str(&on.join(","))
    }
}

impl Parts {
    /// Parses a comma-separated list of part names.
    pub fn parse(list: &str) -> anyhow::Result<Self> {
        let mut parts = Self::default();
        for name in list.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            match name {
                "booking" => parts.booking = true,
                "sync" => {
                    parts.lag = true;
                    parts.listing = true;
                    parts.rebuild = true;
                }
                "lag" => parts.lag = true,
                "listing" => parts.listing = true,
                "rebuild" => parts.rebuild = true,
                "auth" => parts.auth = true,
                "finance" => parts.finance = true,
                "logship" => parts.logship = true,
                "notify" => parts.notify = true,
                other => bail!(
                    "BENCH_PARTS: unknown part `{other}` (known: booking, sync, lag, listing, rebuild, finance, auth, logship, notify)"
                ),
            }
        }
        if parts == Self::default() {
            bail!("BENCH_PARTS names no part");
        }
        Ok(parts)
    }
}

/// Everything the benchmark is configured with (see the module docs).
#[derive(Debug, Clone)]
pub struct Config {
    /// The PostgreSQL server (`DATABASE_URL`).
    pub server: PgConnectOptions,
    /// `BENCH_SECONDS`.
    pub seconds: u64,
    /// `BENCH_CONCURRENCY`.
    pub levels: Vec<usize>,
    /// `BENCH_PARTS`.
    pub parts: Parts,
    /// `BENCH_SYNC_RATE`.
    pub sync_rate: u32,
    /// `BENCH_SYNC_SAMPLE`.
    pub sync_sample: u64,
    /// `BENCH_LISTING_CONCURRENCY`.
    pub listing_concurrency: usize,
    /// `BENCH_REBUILD_EVENTS`.
    pub rebuild_events: u64,
    /// `BENCH_REBUILD_LAUNCHES`.
    pub rebuild_launches: u64,
    /// `BENCH_FINANCE_EVENTS`.
    pub finance_events: u64,
    /// `BENCH_FINANCE_LAUNCHES`.
    pub finance_launches: u64,
    /// `FINANCE_BATCH_SIZE`.
    pub finance_batch_size: u64,
    /// `BENCH_FINANCE_KEEP`.
    pub finance_keep: bool,
    /// `COMMAND_API_BIN`.
    pub command_api_bin: String,
    /// `PROJECTORS_BIN`.
    pub projectors_bin: String,
    /// `QUERY_API_BIN`.
    pub query_api_bin: String,
    /// `AUTH_BIN`.
    pub auth_bin: String,
    /// `NATS_URL`.
    pub nats_url: String,
    /// `MONGODB_URI`.
    pub mongodb_uri: String,
}

impl Config {
    /// Reads the environment.
    pub fn from_env() -> anyhow::Result<Self> {
        use platform::config::{parse, string};
        let levels: Vec<usize> = string("BENCH_CONCURRENCY", "8,32,64")
            .split(',')
            .map(|c| c.trim().parse())
            .collect::<Result<_, _>>()
            .context("BENCH_CONCURRENCY must be a list of numbers")?;
        let config = Self {
            server: server_url().parse().context("DATABASE_URL")?,
            seconds: parse("BENCH_SECONDS", 10)?,
            levels,
            parts: Parts::parse(&string("BENCH_PARTS", "booking,sync"))?,
            sync_rate: parse("BENCH_SYNC_RATE", 500)?,
            sync_sample: parse("BENCH_SYNC_SAMPLE", 10)?,
            listing_concurrency: parse("BENCH_LISTING_CONCURRENCY", 32)?,
            rebuild_events: parse("BENCH_REBUILD_EVENTS", 100_000)?,
            rebuild_launches: parse("BENCH_REBUILD_LAUNCHES", 200)?,
            finance_events: parse("BENCH_FINANCE_EVENTS", 100_000)?,
            finance_launches: parse("BENCH_FINANCE_LAUNCHES", 200)?,
            finance_batch_size: parse("FINANCE_BATCH_SIZE", 1_000)?,
            finance_keep: parse("BENCH_FINANCE_KEEP", false)?,
            command_api_bin: string("COMMAND_API_BIN", "target/release/command-api"),
            projectors_bin: string("PROJECTORS_BIN", "target/release/projectors"),
            query_api_bin: string("QUERY_API_BIN", "target/release/query-api"),
            auth_bin: string("AUTH_BIN", "target/release/auth"),
            nats_url: string("NATS_URL", "nats://127.0.0.1:4222"),
            mongodb_uri: string("MONGODB_URI", read_models::mongo::DEFAULT_MONGODB_URI),
        };
        if config.seconds == 0 {
            bail!("BENCH_SECONDS must be at least 1");
        }
        if config.levels.is_empty() || config.levels.contains(&0) {
            bail!("BENCH_CONCURRENCY must list concurrencies of at least 1");
        }
        if config.sync_rate == 0 || config.sync_sample == 0 || config.listing_concurrency == 0 {
            bail!("BENCH_SYNC_RATE, BENCH_SYNC_SAMPLE and BENCH_LISTING_CONCURRENCY must be at least 1");
        }
        if config.rebuild_launches == 0 || config.rebuild_events < config.rebuild_launches {
            bail!("BENCH_REBUILD_EVENTS must be at least BENCH_REBUILD_LAUNCHES (at least 1)");
        }
        if config.finance_launches == 0 || config.finance_events < config.finance_launches {
            bail!("BENCH_FINANCE_EVENTS must be at least BENCH_FINANCE_LAUNCHES (at least 1)");
        }
        if config.finance_batch_size == 0 {
            bail!("FINANCE_BATCH_SIZE must be at least 1");
        }
        Ok(config)
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let config = Config::from_env()?;
    println!(
        "# Astro Bookings benchmark — parts {}, {} s per measurement",
        config.parts, config.seconds
    );
    println!(
        "machine: {} cores",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );

    let mut tables = Vec::new();
    if config.parts.booking {
        tables.push(booking::run(&config).await?);
    }
    if config.parts.lag || config.parts.listing {
        tables.extend(sync::run(&config).await?);
    }
    if config.parts.rebuild {
        tables.push(rebuild::run(&config).await?);
    }
    if config.parts.finance {
        tables.push(finance::run(&config).await?);
    }
    if config.parts.auth {
        tables.push(auth::run(&config).await?);
    }
    if config.parts.logship {
        tables.push(logship::run(&config).await?);
    }
    if config.parts.notify {
        tables.push(notify::run(&config).await?);
    }
    println!();
    println!("# All figures");
    for table in tables {
        println!();
        println!("{table}");
    }
    Ok(())
}

async fn admin(server: &PgConnectOptions) -> anyhow::Result<PgConnection> {
    server
        .clone()
        .connect()
        .await
        .context("connecting to PostgreSQL")
}

/// Drops database `name` if it exists and creates it empty.
pub async fn fresh_database(
    server: &PgConnectOptions,
    name: &str,
) -> anyhow::Result<PgConnectOptions> {
    drop_database(server, name).await?;
    let mut conn = admin(server).await?;
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut conn)
        .await?;
    conn.close().await?;
    Ok(server.clone().database(name))
}

/// Drops database `name` (closing its connections) if it exists.
pub async fn drop_database(server: &PgConnectOptions, name: &str) -> anyhow::Result<()> {
    let mut conn = admin(server).await?;
    sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .execute(&mut conn)
        .await?;
    conn.close().await?;
    Ok(())
}

fn server_url() -> String {
    platform::config::string(
        "DATABASE_URL",
        "postgres://astro:astro@127.0.0.1:5432/astro",
    )
}

/// The URL of database `name` on the `DATABASE_URL` server (any query
/// string of `DATABASE_URL` is dropped).
pub fn database_url(name: &str) -> String {
    let base = server_url();
    let base = base.split('?').next().unwrap_or_default();
    let server = base.rsplit_once('/').map_or(base, |(server, _)| server);
    format!("{server}/{name}")
}

/// A JSON POST that must succeed.
pub async fn post_ok(
    client: &reqwest::Client,
    url: &str,
    token: &str,
    body: Value,
) -> anyhow::Result<Value> {
    let response = client
        .post(url)
        .bearer_auth(token)
        .json(&body)
        .send()
        .await?;
    let status = response.status();
    let body: Value = response.json().await.unwrap_or(Value::Null);
    if !status.is_success() {
        bail!("POST {url}: {status} {body}");
    }
    Ok(body)
}

/// Time since `start` in milliseconds.
pub fn ms_since(start: Instant) -> f64 {
    start.elapsed().as_secs_f64() * 1e3
}

#[cfg(test)]
mod tests {
    use super::Parts;

    #[test]
    fn sync_is_every_read_side_part() {
        let parts = Parts::parse("booking, sync").unwrap();
        assert!(parts.booking && parts.lag && parts.listing && parts.rebuild);
        let parts = Parts::parse("rebuild").unwrap();
        assert!(!parts.booking && !parts.lag && !parts.listing && parts.rebuild);
        let parts = Parts::parse("auth").unwrap();
        assert!(parts.auth && !parts.booking && !parts.rebuild);
        let parts = Parts::parse("finance").unwrap();
        assert!(parts.finance && !parts.rebuild && !parts.auth);
        assert!(!Parts::parse("sync").unwrap().finance);
        let parts = Parts::parse("logship").unwrap();
        assert!(parts.logship && !parts.booking);
        assert!(!Parts::parse("booking,sync").unwrap().logship);
        assert!(Parts::parse("notify").unwrap().notify);
        assert!(!Parts::parse("booking,sync").unwrap().notify);
        assert_eq!(
            Parts::parse("finance,rebuild").unwrap().to_string(),
            "rebuild,finance"
        );
    }

    #[test]
    fn unknown_or_no_parts_are_refused() {
        assert!(Parts::parse("bookings").is_err());
        assert!(Parts::parse(" , ").is_err());
    }
}
