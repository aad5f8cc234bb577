//! The read side under load, on one running system: command-api,
//! `projectors serve relay sales` and query-api on a fresh database
//! (`astro_bench_sync`, read model `sales_bench`, stream `BENCH_EVENTS`),
//! with 64 launches.
//!
//! - **Lag** (`lag`): an open-loop ticker offers `BENCH_SYNC_RATE` bookings
//!   per second, spread over the launches (each in its own task, up to
//!   [`MAX_IN_FLIGHT`] at once, so a slow answer does not slow the ticker).
//!   After the 201 (stream version `V`) of every `BENCH_SYNC_SAMPLE`-th
//!   booking the client asks the query-api for
//!   `GET /v1/launches/{id}?min_version=V`: the time from the 201 to that
//!   answer is the projection lag a client sees (relay, JetStream,
//!   projector, MongoDB, and the query-api's polling). Answers marked
//!   `Astro-Stale: true` (more than 2 s) are counted apart. Right after, a
//!   plain `GET /v1/launches/{id}` measures what the read itself costs.
//!   Sampling keeps the observer from loading MongoDB more than the system
//!   under test does (each waiting request polls it). After the load, the
//!   time until the read model has every booking is measured too.
//! - **Listing** (`listing`): the default `GET /v1/launches` from
//!   `BENCH_LISTING_CONCURRENCY` closed-loop clients, with the listing cache
//!   on (`LISTING_CACHE_TTL_MS=1000`) and off (0), against a raw MongoDB
//!   driver loop at the same concurrency doing the query-api's work for
//!   that listing: the page (`find`, sorted by departure then id, limit 20)
//!   and its `count_documents`, concurrently.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use bson::{doc, DateTime as BsonDateTime};
use chrono::Utc;
use futures::TryStreamExt;
use mongodb::Collection;
use read_models::sales::{LaunchDoc, LAUNCHES};
use serde_json::{json, Value};
use tokio::sync::Semaphore;
use tokio::task::{JoinError, JoinSet};
use tokio::time::MissedTickBehavior;

use crate::api::{self, Keys};
use crate::report::Latency;
use crate::stack::{self, Process, SALES_DB};
use crate::{drop_database, fresh_database, ms_since, Config, SPREAD_LAUNCHES};

/// The bench's event store for this part.
const DB: &str = "astro_bench_sync";
/// Bookings in flight at most in the lag part.
pub const MAX_IN_FLIGHT: usize = 1024;
/// The query-api's default listing cache TTL.
const CACHE_TTL_MS: u64 = 1_000;
/// The lag a client should see at most (issue 3's target), in ms.
const LAG_TARGET_P99_MS: f64 = 100.0;

/// Runs the lag and/or listing parts and returns their markdown tables.
/// The databases and streams are deleted at the end, also after a failure.
pub async fn run(config: &Config) -> anyhow::Result<Vec<String>> {
    println!();
    println!("## Read side under load — command-api + projectors + query-api");
    let mongo = stack::mongo(config).await?;
    stack::delete_streams(
        &config.nats_url,
        &[stack::EVENTS_STREAM, stack::DEAD_LETTER_STREAM],
    )
    .await?;
    stack::drop_mongo_database(&mongo, SALES_DB).await?;
    fresh_database(&config.server, DB).await?;
    let result = measure(config, &mongo).await;
    let cleanup = async {
        stack::delete_streams(
            &config.nats_url,
            &[stack::EVENTS_STREAM, stack::DEAD_LETTER_STREAM],
        )
        .await?;
        stack::drop_mongo_database(&mongo, SALES_DB).await?;
        drop_database(&config.server, DB).await
    }
    .await;
    let tables = result?;
    cleanup?;
    Ok(tables)
}

async fn measure(config: &Config, mongo: &mongodb::Client) -> anyhow::Result<Vec<String>> {
    let duration = Duration::from_secs(config.seconds);
    let keys = Keys::generate()?;
    let db = config.server.clone().database(DB);
    let mut command = api::Service::start(&config.command_api_bin, &db, &keys.public).await?;
    let projectors = Process::projectors(config, DB).await?;
    let mut query = Process::query_api(config, &keys.public, CACHE_TTL_MS).await?;
    let client = api::client(MAX_IN_FLIGHT)?;
    let rocket = command.rocket(&client, &keys.operations).await?;
    let mut launches = Vec::with_capacity(SPREAD_LAUNCHES);
    for _ in 0..SPREAD_LAUNCHES {
        launches.push(command.launch(&client, &keys.operations, &rocket).await?);
    }
    wait_projected(&client, &query.base, &launches).await?;
    println!(
        "{} launches scheduled and projected (query-api logs: {})",
        launches.len(),
        query.log.display()
    );

    let mut tables = Vec::new();
    if config.parts.lag {
        let target = Arc::new(Target {
            client: client.clone(),
            command: command.base.clone(),
            query: query.base.clone(),
            launches: launches.clone(),
            tokens: keys.travelers.clone(),
        });
        let (rate, sample) = (config.sync_rate, config.sync_sample);
        let warm_up = lag_load(&target, rate, sample, Duration::from_secs(2)).await?;
        warm_up.check()?;
        wait_caught_up(&client, &query.base, &launches, &warm_up.heads).await?;
        let mut lag = lag_load(&target, rate, sample, duration).await?;
        lag.check()?;
        lag.catch_up_secs = wait_caught_up(&client, &query.base, &launches, &lag.heads).await?;
        let table = lag.markdown(rate, sample, launches.len());
        println!();
        println!("{table}");
        tables.push(table);
    }
    if config.parts.listing {
        let c = config.listing_concurrency;
        check_listing(&client, &query.base, launches.len()).await?;
        let cached = listing_http(&client, &query.base, c, duration).await?;
        println!("{}", cached.line("query-api, cache on"));
        let collection = mongo.database(SALES_DB).collection::<LaunchDoc>(LAUNCHES);
        let raw = listing_raw(&collection, c, duration).await?;
        println!("{}", raw.line("raw driver"));
        query.stop().await;
        query = Process::query_api(config, &keys.public, 0).await?;
        check_listing(&client, &query.base, launches.len()).await?;
        let uncached = listing_http(&client, &query.base, c, duration).await?;
        println!("{}", uncached.line("query-api, cache off"));
        let table = listing_markdown(c, &raw, &cached, &uncached);
        println!();
        println!("{table}");
        tables.push(table);
    }
    query.stop().await;
    projectors.stop().await;
    command.stop().await;
    Ok(tables)
}

/// Waits until the read model has every launch (at most 60 s).
async fn wait_projected(
    client: &reqwest::Client,
    query: &str,
    launches: &[String],
) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(60);
    for launch in launches {
        loop {
            let response = client
                .get(format!("{query}/v1/launches/{launch}?min_version=1"))
                .send()
                .await
                .context("GET /v1/launches/{id}")?;
            let status = response.status().as_u16();
            let stale = is_stale(&response);
            let _ = response.bytes().await;
            match status {
                200 if !stale => break,
                200 | 404 if Instant::now() < deadline => {}
                200 | 404 => bail!("launch {launch} was not projected within 60 s"),
                other => bail!("GET /v1/launches/{launch}?min_version=1: unexpected {other}"),
            }
        }
    }
    Ok(())
}

fn is_stale(response: &reqwest::Response) -> bool {
    response
        .headers()
        .get("astro-stale")
        .is_some_and(|v| v.as_bytes() == b"true")
}

/// Where the lag load goes.
struct Target {
    client: reqwest::Client,
    command: String,
    query: String,
    launches: Vec<String>,
    tokens: Vec<String>,
}

/// Waits until the read model has every launch at the version in `heads`
/// (by launch index), at most 300 s; returns the seconds it took.
async fn wait_caught_up(
    client: &reqwest::Client,
    query: &str,
    launches: &[String],
    heads: &HashMap<usize, i64>,
) -> anyhow::Result<f64> {
    let started = Instant::now();
    let deadline = started + Duration::from_secs(300);
    for (&index, &version) in heads {
        let launch = &launches[index];
        loop {
            let url = format!("{query}/v1/launches/{launch}?min_version={version}");
            let response = client
                .get(&url)
                .send()
                .await
                .context("GET /v1/launches/{id}")?;
            let status = response.status();
            let stale = is_stale(&response);
            let _ = response.bytes().await;
            if status.as_u16() != 200 {
                bail!("GET {url}: unexpected {status}");
            }
            if !stale {
                break;
            }
            if Instant::now() > deadline {
                bail!("the read model did not catch up within 300 s ({url} is stale)");
            }
        }
    }
    Ok(started.elapsed().as_secs_f64())
}

/// The reads after a sampled booking.
struct Reads {
    lag_ms: f64,
    read_ms: f64,
    stale: bool,
}

/// One booking, and its reads if it was sampled.
struct Sample {
    launch: usize,
    version: i64,
    booked_at: Instant,
    booking_ms: f64,
    reads: Option<Reads>,
}

/// What a lag run observed.
#[derive(Debug, Default)]
struct LagRun {
    issued: u64,
    issue_secs: f64,
    booked_secs: f64,
    booking_ms: Vec<f64>,
    lag_ms: Vec<f64>,
    read_ms: Vec<f64>,
    stale: u64,
    errors: u64,
    first_error: Option<String>,
    /// The last version booked on each launch (by index).
    heads: HashMap<usize, i64>,
    /// Seconds after the load until the read model had every booking.
    catch_up_secs: f64,
}

/// An index into `len` items that spreads consecutive `n`s.
fn spread(n: u64, len: usize) -> usize {
    (n.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 40) as usize % len.max(1)
}

/// Offers `rate` bookings per second for `duration` (open loop); every
/// `sample`-th is followed by the reads.
async fn lag_load(
    target: &Arc<Target>,
    rate: u32,
    sample: u64,
    duration: Duration,
) -> anyhow::Result<LagRun> {
    let mut ticker = tokio::time::interval(Duration::from_secs_f64(1.0 / f64::from(rate)));
    // Late ticks are issued at once: the offered rate holds on average.
    ticker.set_missed_tick_behavior(MissedTickBehavior::Burst);
    let slots = Arc::new(Semaphore::new(MAX_IN_FLIGHT));
    let total = (f64::from(rate) * duration.as_secs_f64()).round() as u64;
    let mut run = LagRun::default();
    let mut tasks = JoinSet::new();
    let started = Instant::now();
    let mut last_booked = started;
    for n in 0..total {
        ticker.tick().await;
        let slot = slots
            .clone()
            .acquire_owned()
            .await
            .context("the in-flight limit closed")?;
        let target = target.clone();
        tasks.spawn(async move {
            let sample = book_and_read(&target, n, n % sample == 0).await;
            drop(slot);
            sample
        });
        while let Some(done) = tasks.try_join_next() {
            run.record(done, &mut last_booked);
        }
    }
    run.issued = total;
    run.issue_secs = started.elapsed().as_secs_f64();
    while let Some(done) = tasks.join_next().await {
        run.record(done, &mut last_booked);
    }
    run.booked_secs = (last_booked - started).as_secs_f64();
    Ok(run)
}

/// Books one seat, then (when `read`) reads the launch with `min_version`
/// and plainly.
async fn book_and_read(target: &Target, n: u64, read: bool) -> anyhow::Result<Sample> {
    let index = spread(n, target.launches.len());
    let launch = &target.launches[index];
    let token = &target.tokens[n as usize % target.tokens.len()];
    let body = json!({ "passengers": [{ "name": "Bench Traveler", "birth_date": "1990-01-01" }] });
    let started = Instant::now();
    let response = target
        .client
        .post(format!("{}/v1/launches/{launch}/bookings", target.command))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .context("POST /v1/launches/{id}/bookings")?;
    let status = response.status();
    if status.as_u16() != 201 {
        let text = response.text().await.unwrap_or_default();
        bail!("POST /v1/launches/{launch}/bookings: unexpected {status} {text}");
    }
    let booked: Value = response
        .json()
        .await
        .context("reading the booking's answer")?;
    let booked_at = Instant::now();
    let booking_ms = (booked_at - started).as_secs_f64() * 1e3;
    let version = booked["version"]
        .as_i64()
        .with_context(|| format!("the booking's answer has no version: {booked}"))?;
    let mut sample = Sample {
        launch: index,
        version,
        booked_at,
        booking_ms,
        reads: None,
    };
    if !read {
        return Ok(sample);
    }

    let url = format!("{}/v1/launches/{launch}", target.query);
    let response = target
        .client
        .get(format!("{url}?min_version={version}"))
        .send()
        .await
        .context("GET /v1/launches/{id}?min_version")?;
    let status = response.status();
    if status.as_u16() != 200 {
        bail!("GET {url}?min_version={version}: unexpected {status}");
    }
    let stale = is_stale(&response);
    let read_version = response
        .headers()
        .get("astro-read-version")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<i64>().ok());
    response.bytes().await.context("reading the launch")?;
    let lag_ms = ms_since(booked_at);
    if !stale && read_version.is_none_or(|v| v < version) {
        bail!(
            "GET {url}?min_version={version} answered version {read_version:?} without Astro-Stale"
        );
    }

    let read = Instant::now();
    let response = target
        .client
        .get(&url)
        .send()
        .await
        .context("GET /v1/launches/{id}")?;
    let status = response.status();
    if status.as_u16() != 200 {
        bail!("GET {url}: unexpected {status}");
    }
    response.bytes().await.context("reading the launch")?;
    sample.reads = Some(Reads {
        lag_ms,
        read_ms: ms_since(read),
        stale,
    });
    Ok(sample)
}

impl LagRun {
    fn record(
        &mut self,
        done: Result<anyhow::Result<Sample>, JoinError>,
        last_booked: &mut Instant,
    ) {
        match done {
            Ok(Ok(sample)) => {
                *last_booked = (*last_booked).max(sample.booked_at);
                self.booking_ms.push(sample.booking_ms);
                let head = self.heads.entry(sample.launch).or_default();
                *head = (*head).max(sample.version);
                if let Some(reads) = sample.reads {
                    self.lag_ms.push(reads.lag_ms);
                    self.read_ms.push(reads.read_ms);
                    self.stale += u64::from(reads.stale);
                }
            }
            Ok(Err(error)) => self.fail(format!("{error:#}")),
            Err(error) => self.fail(error.to_string()),
        }
    }

    fn fail(&mut self, error: String) {
        self.errors += 1;
        self.first_error.get_or_insert(error);
    }

    /// Fails on any unexpected answer.
    fn check(&self) -> anyhow::Result<()> {
        match &self.first_error {
            Some(first) => bail!(
                "{} of {} bookings failed unexpectedly; the first: {first}",
                self.errors,
                self.issued
            ),
            None => Ok(()),
        }
    }

    fn markdown(&self, rate: u32, sample: u64, launches: usize) -> String {
        let lag = Latency::of(&self.lag_ms);
        let read = Latency::of(&self.read_ms);
        let booking = Latency::of(&self.booking_ms);
        let offered = self.issued as f64 / self.issue_secs.max(1e-9);
        let booked = self.booking_ms.len() as f64 / self.booked_secs.max(1e-9);
        let row = |name: &str, l: Latency| {
            format!(
                "| {name} | {} | {:.2} | {:.2} | {:.2} |\n",
                l.count, l.p50, l.p99, l.max
            )
        };
        let sampled = if sample == 1 {
            "reads after every booking".to_owned()
        } else {
            format!("reads after every {sample}th booking")
        };
        let mut out = format!(
            "### Projection lag — {rate} bookings/s offered over {launches} launches, {sampled}\n\n\
             | measured | count | p50 ms | p99 ms | max ms |\n|---|---:|---:|---:|---:|\n"
        );
        out.push_str(&row(
            "lag: 201 → `GET /v1/launches/{id}?min_version=V` answered",
            lag,
        ));
        out.push_str(&row("plain `GET /v1/launches/{id}` (read cost)", read));
        out.push_str(&row("`POST /v1/launches/{id}/bookings` → 201", booking));
        out.push_str(&format!(
            "\nOffered {offered:.0} bookings/s ({} in {:.1} s), booked {booked:.0}/s; \
             stale answers (> 2 s): {}; lag minus read cost: p50 {:.2} ms, p99 {:.2} ms; \
             the read model had every booking {:.2} s after the load. \
             Target lag p99 < {LAG_TARGET_P99_MS:.0} ms at 500 bookings/s: {}.\n",
            self.issued,
            self.issue_secs,
            self.stale,
            lag.p50 - read.p50,
            lag.p99 - read.p99,
            self.catch_up_secs,
            if lag.p99 < LAG_TARGET_P99_MS {
                "met"
            } else {
                "NOT met"
            },
        ));
        out
    }
}

/// What a closed-loop listing run observed.
#[derive(Debug, Default)]
struct ListingRun {
    latencies_ms: Vec<f64>,
    secs: f64,
}

impl ListingRun {
    fn per_sec(&self) -> f64 {
        self.latencies_ms.len() as f64 / self.secs.max(1e-9)
    }

    fn line(&self, name: &str) -> String {
        let l = Latency::of(&self.latencies_ms);
        format!(
            "listing {name:<22} {:>8.0} req/s  p50 {:>6.2} ms  p99 {:>7.2} ms",
            self.per_sec(),
            l.p50,
            l.p99
        )
    }
}

/// Checks the default listing's shape once: a page of up to 20 of the
/// `launches` (at least) on sale.
async fn check_listing(
    client: &reqwest::Client,
    query: &str,
    launches: usize,
) -> anyhow::Result<()> {
    let response = client
        .get(format!("{query}/v1/launches"))
        .send()
        .await
        .context("GET /v1/launches")?;
    let status = response.status();
    let body: Value = response.json().await.unwrap_or(Value::Null);
    let items = body["items"].as_array().map_or(0, Vec::len);
    let total = body["total"].as_u64().unwrap_or(0);
    if status.as_u16() != 200 || total < launches as u64 || items != launches.min(20) {
        bail!("GET /v1/launches: unexpected {status}, {items} items of {total} (expected {launches} launches)");
    }
    Ok(())
}

/// Closed-loop clients running `request` until `duration` has passed;
/// fails on the first error.
async fn closed_loop<F, Fut>(
    concurrency: usize,
    duration: Duration,
    request: F,
) -> anyhow::Result<ListingRun>
where
    F: Fn() -> Fut + Clone + Send + 'static,
    Fut: std::future::Future<Output = anyhow::Result<()>> + Send,
{
    let started = Instant::now();
    let deadline = started + duration;
    let mut tasks = JoinSet::new();
    for _ in 0..concurrency {
        let request = request.clone();
        tasks.spawn(async move {
            let mut latencies = Vec::new();
            while Instant::now() < deadline {
                let sent = Instant::now();
                request().await?;
                latencies.push(ms_since(sent));
            }
            Ok::<_, anyhow::Error>(latencies)
        });
    }
    let mut run = ListingRun::default();
    while let Some(done) = tasks.join_next().await {
        run.latencies_ms.extend(done??);
    }
    run.secs = started.elapsed().as_secs_f64();
    Ok(run)
}

/// The default listing over HTTP.
async fn listing_http(
    client: &reqwest::Client,
    query: &str,
    concurrency: usize,
    duration: Duration,
) -> anyhow::Result<ListingRun> {
    let client = client.clone();
    let url = Arc::new(format!("{query}/v1/launches"));
    closed_loop(concurrency, duration, move || {
        let client = client.clone();
        let url = url.clone();
        async move {
            let response = client.get(url.as_str()).send().await?;
            let status = response.status();
            if status.as_u16() != 200 {
                bail!("GET /v1/launches: unexpected {status}");
            }
            response.bytes().await?;
            Ok(())
        }
    })
    .await
}

/// The query-api's MongoDB work for the default listing, with the driver.
async fn listing_raw(
    launches: &Collection<LaunchDoc>,
    concurrency: usize,
    duration: Duration,
) -> anyhow::Result<ListingRun> {
    let launches = launches.clone();
    closed_loop(concurrency, duration, move || {
        let launches = launches.clone();
        async move {
            let filter = doc! {
                "bookable": true,
                "departure_at": { "$gt": BsonDateTime::from_chrono(Utc::now()) },
                "free_seats": { "$gte": 1_i64 },
            };
            let page = async {
                launches
                    .find(filter.clone())
                    .sort(doc! { "departure_at": 1, "_id": 1 })
                    .limit(20)
                    .await?
                    .try_collect::<Vec<LaunchDoc>>()
                    .await
            };
            let count = launches.count_documents(filter.clone());
            let (page, total) = futures::try_join!(page, async { count.await })?;
            std::hint::black_box((page, total));
            Ok(())
        }
    })
    .await
}

fn listing_markdown(
    concurrency: usize,
    raw: &ListingRun,
    cached: &ListingRun,
    uncached: &ListingRun,
) -> String {
    let mut out = format!(
        "### Default listing (`GET /v1/launches`) at concurrency {concurrency}\n\n\
         | client | requests | req/s | p50 ms | p99 ms | vs raw |\n|---|---:|---:|---:|---:|---:|\n"
    );
    for (name, run) in [
        (
            "raw driver: `find` (sort, limit 20) + `count_documents`",
            raw,
        ),
        ("query-api, listing cache on (1000 ms)", cached),
        ("query-api, listing cache off", uncached),
    ] {
        let l = Latency::of(&run.latencies_ms);
        out.push_str(&format!(
            "| {name} | {} | {:.0} | {:.2} | {:.2} | {:.2}× |\n",
            l.count,
            run.per_sec(),
            l.p50,
            l.p99,
            run.per_sec() / raw.per_sec().max(1e-9)
        ));
    }
    out.push_str("\nTarget: query-api ≥ 1× raw.\n");
    out
}

#[cfg(test)]
mod tests {
    use super::spread;

    #[test]
    fn consecutive_bookings_spread_over_every_launch() {
        let mut seen = [0u32; 64];
        for n in 0..64 * 100 {
            seen[spread(n, 64)] += 1;
        }
        assert!(seen.iter().all(|&count| count > 50), "{seen:?}");
    }
}
