//! The booking API under load: the release binary as a child process, the
//! tokens the benchmark signs, and a closed-loop load generator.

use std::process::Stdio;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use chrono::Utc;
use platform::{Department, Principal, Role, TokenIssuer};
use serde_json::json;
use sqlx::postgres::PgConnectOptions;
use sqlx::{ConnectOptions, Connection};
use tokio::process::{Child, Command};
use uuid::Uuid;

use crate::post_ok;

/// A fresh signing key and the tokens the benchmark uses.
pub struct Keys {
    /// The public key (hex), for `AUTH_PUBLIC_KEY`.
    pub public: String,
    /// An operations employee's token.
    pub operations: String,
    /// Travelers' tokens (64 of them).
    pub travelers: Vec<String>,
}

impl Keys {
    /// Generates a key pair and signs the tokens, valid for a day.
    pub fn generate() -> anyhow::Result<Self> {
        let (private, public) = platform::auth::generate_key_pair();
        let issuer = TokenIssuer::from_private_key_hex(&private)?;
        let ttl = Duration::from_secs(24 * 3600);
        let token = |role| {
            issuer.issue(
                &Principal {
                    user_id: Uuid::now_v7(),
                    role,
                },
                ttl,
            )
        };
        Ok(Self {
            public,
            operations: token(Role::Employee(Department::Operations)),
            travelers: (0..64).map(|_| token(Role::Traveler)).collect(),
        })
    }
}

/// The command API, started for the benchmark.
pub struct Service {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    pub base: String,
}

/// An HTTP client with enough connections for `concurrency`.
pub fn client(concurrency: usize) -> anyhow::Result<reqwest::Client> {
    reqwest::Client::builder()
        .pool_max_idle_per_host(concurrency)
        .timeout(Duration::from_secs(30))
        .build()
        .context("building the HTTP client")
}

pub use testkit::process::{free_port, wait_ready};

impl Service {
    /// Starts `bin` on a free port against `db` and waits until it is ready.
    pub async fn start(bin: &str, db: &PgConnectOptions, public_key: &str) -> anyhow::Result<Self> {
        let port = free_port()?;
        let child = Command::new(bin)
            .env(
                "DATABASE_URL",
                crate::database_url(db.get_database().unwrap_or("postgres")),
            )
            .env("COMMAND_API_ADDR", format!("127.0.0.1:{port}"))
            .env("AUTH_PUBLIC_KEY", public_key)
            .env("DATABASE_MAX_CONNECTIONS", "32")
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .with_context(|| {
                format!("starting {bin} (build it: cargo build --release -p command-api)")
            })?;
        let service = Self {
            child,
            base: format!("http://127.0.0.1:{port}"),
        };
        wait_ready(&service.base, "the command API", Duration::from_secs(30)).await?;
        Ok(service)
    }

    /// Registers the benchmark rocket.
    pub async fn rocket(&self, client: &reqwest::Client, token: &str) -> anyhow::Result<String> {
        rocket(client, &self.base, token).await
    }

    /// Schedules a launch far enough ahead for every age and refund rule.
    pub async fn launch(
        &self,
        client: &reqwest::Client,
        token: &str,
        rocket: &str,
    ) -> anyhow::Result<String> {
        launch(client, &self.base, token, rocket).await
    }

    /// Stops the service.
    pub async fn stop(&mut self) {
        let _ = self.child.kill().await;
    }
}

/// What one load run observed.
#[derive(Debug, Default)]
pub struct LoadResult {
    /// Latencies of the 201 answers, in milliseconds.
    pub latencies_ms: Vec<f64>,
    /// 409 answers (sold out).
    pub conflicts: u64,
    /// Anything else.
    pub other: u64,
}

/// `concurrency` clients each booking one seat in a loop until `duration`
/// has passed, on random launches of `launches`.
pub async fn load(
    client: &reqwest::Client,
    base: &str,
    launches: &[String],
    tokens: &[String],
    concurrency: usize,
    duration: Duration,
) -> LoadResult {
    let deadline = Instant::now() + duration;
    let counter = Arc::new(AtomicU64::new(0));
    let mut tasks = Vec::new();
    for worker in 0..concurrency {
        let client = client.clone();
        let urls: Vec<String> = launches
            .iter()
            .map(|l| format!("{base}/v1/launches/{l}/bookings"))
            .collect();
        let token = tokens[worker % tokens.len()].clone();
        let counter = counter.clone();
        tasks.push(tokio::spawn(async move {
            let mut result = LoadResult::default();
            let body =
                json!({ "passengers": [{ "name": "Bench Traveler", "birth_date": "1990-01-01" }] });
            while Instant::now() < deadline {
                let n = counter.fetch_add(1, Ordering::Relaxed);
                // A multiplicative hash spreads consecutive requests.
                let url =
                    &urls[(n.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 40) as usize % urls.len()];
                let started = Instant::now();
                match client
                    .post(url)
                    .bearer_auth(&token)
                    .json(&body)
                    .send()
                    .await
                {
                    Ok(r) if r.status().as_u16() == 201 => {
                        let _ = r.bytes().await;
                        result.latencies_ms.push(crate::ms_since(started));
                    }
                    Ok(r) if r.status().as_u16() == 409 => {
                        let _ = r.bytes().await;
                        result.conflicts += 1;
                    }
                    _ => result.other += 1,
                }
            }
            result
        }));
    }
    let mut total = LoadResult::default();
    for task in tasks {
        if let Ok(part) = task.await {
            total.latencies_ms.extend(part.latencies_ms);
            total.conflicts += part.conflicts;
            total.other += part.other;
        }
    }
    total
}

/// Launches whose booked seats (from the event store) exceed their capacity.
pub async fn oversold_launches(db: &PgConnectOptions) -> anyhow::Result<i64> {
    let mut conn = db.clone().connect().await?;
    let (oversold,): (i64,) = sqlx::query_as(
        "WITH capacity AS (
             SELECT aggregate_id, (payload->'LaunchScheduled'->>'capacity')::bigint AS seats
               FROM events WHERE event_type = 'LaunchScheduled'),
         booked AS (
             SELECT aggregate_id,
                    sum(CASE event_type
                          WHEN 'SeatsBooked' THEN (payload->'SeatsBooked'->>'seats')::bigint
                          ELSE -(payload->'BookingCancelled'->>'seats_released')::bigint END) AS seats
               FROM events WHERE event_type IN ('SeatsBooked', 'BookingCancelled')
              GROUP BY aggregate_id)
         SELECT count(*) FROM booked JOIN capacity USING (aggregate_id)
          WHERE booked.seats > capacity.seats",
    )
    .fetch_one(&mut conn)
    .await?;
    conn.close().await?;
    Ok(oversold)
}

/// Registers the benchmark rocket on the command API at `base`.
pub async fn rocket(client: &reqwest::Client, base: &str, token: &str) -> anyhow::Result<String> {
    let body = post_ok(
        client,
        &format!("{base}/v1/rockets"),
        token,
        json!({ "name": "Bench Heavy", "capacity": crate::CAPACITY, "range": "mars" }),
    )
    .await?;
    body["rocket_id"]
        .as_str()
        .map(str::to_owned)
        .with_context(|| format!("POST /v1/rockets answered no rocket_id: {body}"))
}

/// Schedules a launch of `rocket` on the command API at `base`, far enough
/// ahead for every age and refund rule.
pub async fn launch(
    client: &reqwest::Client,
    base: &str,
    token: &str,
    rocket: &str,
) -> anyhow::Result<String> {
    let body = post_ok(
        client,
        &format!("{base}/v1/launches"),
        token,
        json!({
            "rocket_id": rocket,
            "spaceport": "Bench Port",
            "destination": "moon",
            "departure_at": Utc::now() + chrono::Duration::days(500),
            "price_per_seat_cents": 100_000_000,
        }),
    )
    .await?;
    body["launch_id"]
        .as_str()
        .map(str::to_owned)
        .with_context(|| format!("POST /v1/launches answered no launch_id: {body}"))
}
