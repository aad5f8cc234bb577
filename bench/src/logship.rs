//! The log shipping part: the cost of shipping logs to MongoDB `core.logs`
//! (`platform::logship`) on the release command API's booking throughput.
//!
//! One database; the service is started in turn (each time on 64 fresh
//! launches: a launch's snapshot grows with its bookings) with
//! `LOG_SHIPPING=off`, `on` (shipping to MongoDB) and `on` with MongoDB
//! unreachable (`down`: the buffer fills, then every event is dropped and
//! counted — an outage), `LOGSHIP_ROUNDS` times (2 by default: off, on,
//! down, off, on, down). Each run is warmed up for 2 s, then `POST
//! /v1/launches/{id}/bookings` at concurrency 32 for `BENCH_SECONDS`, spread
//! over the launches. Every request logs one event at `info` (the HTTP
//! middleware's "request served"); stdout is at `warn` in all modes, so the
//! only difference is the shipping. The on runs ship to the MongoDB
//! database `core_bench_logs` (dropped before and after) of
//! `BENCH_LOGSHIP_MONGODB_URI` (`MONGODB_URI`: e.g. a MongoDB on another
//! machine); each run reports what was shipped and dropped (from
//! `/metrics`), and the command API's CPU time per booking (from `/proc`:
//! what the service itself spends, whatever else the machine runs — the
//! shipping's own cost, while bookings/s also pays for a MongoDB on the same
//! cores). Then the same bookings at a fixed rate (`LOGSHIP_RATE`, 800/s,
//! open loop) for `BENCH_SECONDS`, and the service's CPU per booking again:
//! at the same throughput in every mode, the difference is the shipping's
//! own cost. Target: on at most 5 % slower than off.

use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use serde_json::json;
use tokio::process::{Child, Command};

use crate::api::{self, free_port, wait_ready, Keys};
use crate::report::Latency;
use crate::{database_url, drop_database, fresh_database, Config, SPREAD_LAUNCHES};

/// Clients booking at once.
const CONCURRENCY: usize = 32;
/// The PostgreSQL database of the part.
const DATABASE: &str = "astro_bench_logship";
/// The MongoDB database the on runs ship to.
const CORE_DB: &str = "core_bench_logs";

/// How the service ships its logs in a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// `LOG_SHIPPING=off`.
    Off,
    /// Shipping to MongoDB.
    On,
    /// Shipping on, MongoDB unreachable (an outage).
    Down,
}

impl Mode {
    fn name(self) -> &'static str {
        match self {
            Self::Off => "off",
            Self::On => "on",
            Self::Down => "on, MongoDB unreachable",
        }
    }
}

/// One measurement.
struct Run {
    mode: Mode,
    per_second: f64,
    /// The command API's CPU time (all threads) per booking, µs.
    cpu_us: f64,
    /// The same at the fixed rate.
    paced_cpu_us: f64,
    latency: Latency,
    shipped: f64,
    dropped: f64,
}

/// The command API with log shipping on or off; killed when dropped.
struct Service {
    child: Child,
    base: String,
}

impl Service {
    async fn start(config: &Config, public_key: &str, mode: Mode) -> anyhow::Result<Self> {
        let port = free_port()?;
        let ship_to = match mode {
            // Port 1 on the loopback: refused at once.
            Mode::Down => "mongodb://127.0.0.1:1/?directConnection=true".to_owned(),
            _ => platform::config::string("BENCH_LOGSHIP_MONGODB_URI", &config.mongodb_uri),
        };
        let child = Command::new(&config.command_api_bin)
            .env("DATABASE_URL", database_url(DATABASE))
            .env("COMMAND_API_ADDR", format!("127.0.0.1:{port}"))
            .env("AUTH_PUBLIC_KEY", public_key)
            .env("DATABASE_MAX_CONNECTIONS", "32")
            .env("NATS_URL", &config.nats_url)
            .env("RUST_LOG", "warn")
            .env("LOG_SHIPPING", if mode == Mode::Off { "off" } else { "on" })
            .env("LOG_SHIPPING_MONGODB_URI", ship_to)
            .env("MONGODB_CORE_DB", CORE_DB)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .with_context(|| {
                format!(
                    "starting {} (build it: cargo build --release -p command-api)",
                    config.command_api_bin
                )
            })?;
        let service = Self {
            child,
            base: format!("http://127.0.0.1:{port}"),
        };
        wait_ready(&service.base, "the command API", Duration::from_secs(30)).await?;
        Ok(service)
    }

    async fn metric(&self, client: &reqwest::Client, name: &str) -> anyhow::Result<f64> {
        let text = client
            .get(format!("{}/metrics", self.base))
            .send()
            .await?
            .text()
            .await?;
        Ok(metric_sum(&text, name))
    }

    /// The process's CPU time so far (user + system, all threads), from
    /// `/proc` (Linux; clock ticks of 10 ms). NaN elsewhere.
    fn cpu_secs(&self) -> f64 {
        let stat = self
            .child
            .id()
            .and_then(|pid| std::fs::read_to_string(format!("/proc/{pid}/stat")).ok());
        let ticks = stat.and_then(|stat| {
            let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
            Some(fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?)
        });
        ticks.map_or(f64::NAN, |t| t / 100.0)
    }

    async fn stop(mut self) {
        let _ = self.child.kill().await;
    }
}

/// The sum of the samples of metric `name` (all label sets) in a
/// Prometheus text.
fn metric_sum(text: &str, name: &str) -> f64 {
    text.lines()
        .filter(|line| {
            line.strip_prefix(name)
                .is_some_and(|rest| rest.starts_with('{') || rest.starts_with(' '))
        })
        .filter_map(|line| line.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

/// Runs the part and returns its markdown table.
pub async fn run(config: &Config) -> anyhow::Result<String> {
    let seconds = config.seconds;
    let rounds: usize = platform::config::parse("LOGSHIP_ROUNDS", 2)?;
    let rate: u32 = platform::config::parse("LOGSHIP_RATE", 800)?;
    if rate == 0 {
        bail!("LOGSHIP_RATE must be at least 1");
    }
    if rounds == 0 {
        bail!("LOGSHIP_ROUNDS must be at least 1");
    }
    println!();
    println!(
        "## Log shipping — booking at concurrency {CONCURRENCY}, shipping off/on/down × {rounds}"
    );
    let mongo = crate::stack::mongo(config).await?;
    crate::stack::drop_mongo_database(&mongo, CORE_DB).await?;
    fresh_database(&config.server, DATABASE).await?;
    let keys = Keys::generate()?;
    let client = api::client(CONCURRENCY)?;

    // The rocket, once (shipping off).
    let rocket = {
        let service = Service::start(config, &keys.public, Mode::Off).await?;
        let rocket = api::rocket(&client, &service.base, &keys.operations).await?;
        service.stop().await;
        rocket
    };

    let mut runs = Vec::new();
    for mode in (0..rounds).flat_map(|_| [Mode::Off, Mode::On, Mode::Down]) {
        let service = Service::start(config, &keys.public, mode).await?;
        // Fresh launches for every run: a launch's snapshot grows with its
        // bookings, so later runs on the same launches would cost more.
        let mut launches = Vec::new();
        for _ in 0..SPREAD_LAUNCHES {
            launches.push(api::launch(&client, &service.base, &keys.operations, &rocket).await?);
        }
        api::load(
            &client,
            &service.base,
            &launches,
            &keys.travelers,
            8,
            Duration::from_secs(2),
        )
        .await;
        let shipped_before = service
            .metric(&client, "log_shipping_shipped_total")
            .await?;
        let dropped_before = service
            .metric(&client, "log_shipping_dropped_total")
            .await?;
        let duration = Duration::from_secs(seconds);
        let cpu_before = service.cpu_secs();
        let result = api::load(
            &client,
            &service.base,
            &launches,
            &keys.travelers,
            CONCURRENCY,
            duration,
        )
        .await;
        let cpu = service.cpu_secs() - cpu_before;
        if result.other > 0 || result.conflicts > 0 {
            bail!(
                "{} requests failed unexpectedly ({} sold out)",
                result.other,
                result.conflicts
            );
        }
        // Let the shipper catch up (at most 10 s) before reading its counters.
        let settle = Instant::now() + Duration::from_secs(10);
        while mode == Mode::On
            && service.metric(&client, "log_shipping_buffered").await? > 0.0
            && Instant::now() < settle
        {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        // The same bookings at a fixed rate, well below capacity: the CPU
        // each costs the service, at the same throughput in every mode.
        let cpu_before = service.cpu_secs();
        let booked = paced(
            &client,
            &service.base,
            &launches,
            &keys.travelers,
            rate,
            duration,
        )
        .await?;
        let paced_cpu = service.cpu_secs() - cpu_before;
        let settle = Instant::now() + Duration::from_secs(10);
        while mode == Mode::On
            && service.metric(&client, "log_shipping_buffered").await? > 0.0
            && Instant::now() < settle
        {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let run = Run {
            mode,
            paced_cpu_us: paced_cpu * 1e6 / booked.max(1) as f64,
            per_second: result.latencies_ms.len() as f64 / duration.as_secs_f64(),
            cpu_us: cpu * 1e6 / result.latencies_ms.len().max(1) as f64,
            latency: Latency::of(&result.latencies_ms),
            shipped: service
                .metric(&client, "log_shipping_shipped_total")
                .await?
                - shipped_before,
            dropped: service
                .metric(&client, "log_shipping_dropped_total")
                .await?
                - dropped_before,
        };
        service.stop().await;
        println!(
            "shipping {:<23} {:>8.0} bookings/s  {:>5.0} µs CPU/booking ({:>5.0} at {rate}/s)  p50 {:>6.2} ms  p99 {:>7.2} ms  shipped {:>7.0}  dropped {:>6.0}",
            mode.name(),
            run.per_second,
            run.cpu_us,
            run.paced_cpu_us,
            run.latency.p50,
            run.latency.p99,
            run.shipped,
            run.dropped
        );
        runs.push(run);
    }

    let stored = mongo
        .database(CORE_DB)
        .collection::<bson::Document>(read_models::core_db::LOGS)
        .count_documents(bson::doc! {})
        .await
        .context("counting the shipped logs")?;
    let table = markdown(&runs, stored, rate);
    println!();
    println!("{table}");
    drop_database(&config.server, DATABASE).await?;
    crate::stack::drop_mongo_database(&mongo, CORE_DB).await?;
    Ok(format!("## Log shipping\n\n{table}"))
}

/// Books one seat every `1 / rate` s for `duration` (open loop: a request
/// is sent on time whatever the previous ones do); the bookings made.
async fn paced(
    client: &reqwest::Client,
    base: &str,
    launches: &[String],
    tokens: &[String],
    rate: u32,
    duration: Duration,
) -> anyhow::Result<u64> {
    let mut tick = tokio::time::interval(Duration::from_secs(1) / rate);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let deadline = Instant::now() + duration;
    let body = json!({ "passengers": [{ "name": "Bench Traveler", "birth_date": "1990-01-01" }] });
    let mut requests = tokio::task::JoinSet::new();
    let mut n = 0_usize;
    while Instant::now() < deadline {
        tick.tick().await;
        let request = client
            .post(format!(
                "{base}/v1/launches/{}/bookings",
                launches[n % launches.len()]
            ))
            .bearer_auth(&tokens[n % tokens.len()])
            .json(&body)
            .send();
        requests.spawn(async move {
            let response = request.await?;
            let status = response.status().as_u16();
            response.bytes().await.map(|_| status)
        });
        n += 1;
    }
    let mut booked = 0;
    while let Some(answer) = requests.join_next().await {
        match answer? {
            Ok(201) => booked += 1,
            other => bail!("a paced booking failed: {other:?}"),
        }
    }
    Ok(booked)
}

fn mean(runs: &[Run], mode: Mode, figure: impl Fn(&Run) -> f64) -> f64 {
    let values: Vec<f64> = runs.iter().filter(|r| r.mode == mode).map(figure).collect();
    values.iter().sum::<f64>() / values.len().max(1) as f64
}

fn markdown(runs: &[Run], stored: u64, rate: u32) -> String {
    let mut out = format!(
        "| run | shipping | bookings/s (c=32) | p50 ms | p99 ms | command-api CPU µs/booking (c=32) | CPU µs/booking at {rate}/s | logs shipped | logs dropped |\n\
         |---:|---|---:|---:|---:|---:|---:|---:|---:|\n",
    );
    for (n, run) in runs.iter().enumerate() {
        let (shipped, dropped) = if run.mode == Mode::Off {
            ("—".to_owned(), "—".to_owned())
        } else {
            (format!("{:.0}", run.shipped), format!("{:.0}", run.dropped))
        };
        out.push_str(&format!(
            "| {} | {} | {:.0} | {:.2} | {:.2} | {:.0} | {:.0} | {shipped} | {dropped} |\n",
            n + 1,
            run.mode.name(),
            run.per_second,
            run.latency.p50,
            run.latency.p99,
            run.cpu_us,
            run.paced_cpu_us,
        ));
    }
    let off = mean(runs, Mode::Off, |r| r.per_second);
    let off_cpu = mean(runs, Mode::Off, |r| r.cpu_us);
    let off_paced = mean(runs, Mode::Off, |r| r.paced_cpu_us);
    out.push('\n');
    for mode in [Mode::Off, Mode::On, Mode::Down] {
        let per_second = mean(runs, mode, |r| r.per_second);
        let ratio = per_second / off;
        out.push_str(&format!(
            "- {}: {per_second:.0} bookings/s ({:.1}% of off), {:.0} µs of command-api CPU per booking ({:+.1}%), {:.0} µs at {rate}/s ({:+.1}%), p50 {:.2} ms, p99 {:.2} ms{}\n",
            mode.name(),
            ratio * 100.0,
            mean(runs, mode, |r| r.cpu_us),
            (mean(runs, mode, |r| r.cpu_us) / off_cpu - 1.0) * 100.0,
            mean(runs, mode, |r| r.paced_cpu_us),
            (mean(runs, mode, |r| r.paced_cpu_us) / off_paced - 1.0) * 100.0,
            mean(runs, mode, |r| r.latency.p50),
            mean(runs, mode, |r| r.latency.p99),
            match mode {
                Mode::Off => String::new(),
                _ => format!(
                    " — target at most 5% slower: {}",
                    if ratio >= 0.95 { "met" } else { "NOT met" }
                ),
            }
        ));
    }
    out.push_str(&format!("- documents in core_bench_logs.logs: {stored}\n"));
    out
}

#[cfg(test)]
mod tests {
    use super::metric_sum;

    #[test]
    fn a_metric_is_summed_over_its_labels_and_not_confused_with_a_longer_name() {
        let text = "# HELP log_shipping_dropped_total x\n\
                    log_shipping_dropped_total{reason=\"buffer_full\",service=\"command-api\"} 3\n\
                    log_shipping_dropped_total{reason=\"shutdown\",service=\"command-api\"} 2\n\
                    log_shipping_dropped_total_other 7\n\
                    log_shipping_buffered{service=\"command-api\"} 0\n";
        assert_eq!(metric_sum(text, "log_shipping_dropped_total"), 5.0);
        assert_eq!(metric_sum(text, "log_shipping_buffered"), 0.0);
    }
}
