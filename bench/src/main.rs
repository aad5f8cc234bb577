//! The benchmark of the booking path, run with `./scripts/bench.sh`.
//!
//! In one run on one machine it measures:
//! 1. the physical floor: pgbench running the minimal durable booking
//!    transaction (a conditional seat update plus one insert) at each
//!    concurrency, spread over many launches and on one hot launch;
//! 2. `POST /v1/launches/{id}/bookings` over HTTP against the release
//!    command API at the same concurrencies and spreads;
//!
//! and prints bookings/s, p50/p99 latency and the ratio to the floor, then
//! checks in the event store that no launch was oversold.
//!
//! Configuration (environment): `DATABASE_URL` (the server to use; the bench
//! creates and drops its own databases there), `BENCH_SECONDS` (10 per
//! measurement), `BENCH_CONCURRENCY` (`8,32,64`), `COMMAND_API_BIN`
//! (`target/release/command-api`).

use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use platform::{Department, Principal, Role, TokenIssuer};
use serde_json::Value;
use sqlx::postgres::PgConnectOptions;
use sqlx::{ConnectOptions, Connection, PgConnection};
use uuid::Uuid;

mod api;
mod floor;
mod report;

use report::{Figures, Row};

/// Seats of each benchmark launch: far more than a run sells.
pub const CAPACITY: u32 = 10_000;
/// Launches the spread load is distributed over.
pub const SPREAD_LAUNCHES: usize = 64;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let server: PgConnectOptions = server_url().parse().context("DATABASE_URL")?;
    let seconds: u64 = platform::config::parse("BENCH_SECONDS", 10)?;
    let levels: Vec<usize> = platform::config::string("BENCH_CONCURRENCY", "8,32,64")
        .split(',')
        .map(|c| c.trim().parse())
        .collect::<Result<_, _>>()
        .context("BENCH_CONCURRENCY must be a list of numbers")?;
    let api_bin = platform::config::string("COMMAND_API_BIN", "target/release/command-api");
    let duration = Duration::from_secs(seconds);

    println!(
        "# Booking benchmark — {} s per measurement, concurrency {levels:?}",
        seconds
    );
    println!(
        "machine: {} cores",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );

    let floor_db = fresh_database(&server, "astro_bench_floor").await?;
    let api_db = fresh_database(&server, "astro_bench_api").await?;

    let mut figures = Figures::default();
    for &spread in &[true, false] {
        for &c in &levels {
            let floor = floor::run(&floor_db, c, spread, seconds).await?;
            figures.floor.push((spread, c, floor));
            println!(
                "floor   {:<6} c={c:<3} {:>9.0} tx/s  avg {:>6.2} ms",
                if spread { "spread" } else { "hot" },
                floor.tps,
                floor.avg_ms
            );
        }
    }

    let (private, public) = platform::auth::generate_key_pair();
    let issuer = TokenIssuer::from_private_key_hex(&private)?;
    let mut service = api::Service::start(&api_bin, &api_db, &public).await?;
    let operations = issuer.issue(
        &Principal {
            user_id: Uuid::now_v7(),
            role: Role::Employee(Department::Operations),
        },
        Duration::from_secs(3600),
    );
    let travelers: Vec<String> = (0..64)
        .map(|_| {
            issuer.issue(
                &Principal {
                    user_id: Uuid::now_v7(),
                    role: Role::Traveler,
                },
                Duration::from_secs(3600),
            )
        })
        .collect();
    let client = api::client(levels.iter().copied().max().unwrap_or(64));
    let rocket = service.rocket(&client, &operations).await?;
    let mut spread_launches = Vec::new();
    for _ in 0..SPREAD_LAUNCHES {
        spread_launches.push(service.launch(&client, &operations, &rocket).await?);
    }
    // Warm-up: connections, caches, the JIT-free but cold page cache.
    api::load(
        &client,
        &service.base,
        &spread_launches,
        &travelers,
        8,
        Duration::from_secs(2),
    )
    .await;

    for &spread in &[true, false] {
        for &c in &levels {
            let launches = if spread {
                spread_launches.clone()
            } else {
                vec![service.launch(&client, &operations, &rocket).await?]
            };
            let result =
                api::load(&client, &service.base, &launches, &travelers, c, duration).await;
            if result.other > 0 {
                bail!(
                    "{} requests failed unexpectedly (status not 201/409)",
                    result.other
                );
            }
            let floor = figures.floor_of(spread, c);
            let row = Row::new(spread, c, &result, floor, duration);
            println!("{}", row.line());
            figures.rows.push(row);
        }
    }
    service.stop().await;

    let oversold = api::oversold_launches(&api_db).await?;
    println!();
    println!("{}", figures.markdown());
    if oversold > 0 {
        bail!("{oversold} launches were oversold");
    }
    println!("Oversold launches: 0 (checked from the event store).");

    drop_database(&server, "astro_bench_floor").await?;
    drop_database(&server, "astro_bench_api").await?;
    Ok(())
}

async fn admin(server: &PgConnectOptions) -> anyhow::Result<PgConnection> {
    server
        .clone()
        .connect()
        .await
        .context("connecting to PostgreSQL")
}

async fn fresh_database(server: &PgConnectOptions, name: &str) -> anyhow::Result<PgConnectOptions> {
    drop_database(server, name).await?;
    let mut conn = admin(server).await?;
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut conn)
        .await?;
    conn.close().await?;
    Ok(server.clone().database(name))
}

async fn drop_database(server: &PgConnectOptions, name: &str) -> anyhow::Result<()> {
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
