//! Notifications end to end (issue 6): event → email captured by the SMTP
//! server.
//!
//! On a fresh event store (`astro_bench_notify`) the release command-api and
//! `projectors serve relay` run on streams of their own
//! (`BENCH_NOTIFY_EVENTS` on `bench.notify.events.>`,
//! `BENCH_NOTIFY_DEAD_LETTERS`), with a private maildev on free ports
//! (started from `MAILDEV_NODE`/`MAILDEV_JS`) and the MongoDB database
//! `core_bench_notify`; all are deleted or stopped at the end.
//!
//! 1. **Load**: `BENCH_NOTIFY_BOOKINGS` travelers get a profile (a row in
//!    `travelers`, each with its own address) and book one seat each, one
//!    passenger without an address, over [`LAUNCHES`] launches, at
//!    [`BOOKING_CONCURRENCY`] through the command API — with no notifier
//!    running, so the events wait in the stream: exactly one email per
//!    booking.
//! 2. **Drain**: the release `notifier` starts (`NOTIFIER_SEND_CONCURRENCY`
//!    = `BENCH_NOTIFY_CONCURRENCY`, `RUST_LOG=warn`, `LOG_SHIPPING=off`);
//!    from its spawn, its counter of planned notifications
//!    (`notifications_total{outcome="planned"}`: new documents in
//!    `core_bench_notify.notifications`; counting the collection would cost
//!    SecantusDB ~75 ms a poll) and maildev's total are polled every
//!    [`POLL`]: the time until all are **planned**, until maildev holds all
//!    the **emails**, and until all are recorded `sent` in MongoDB (polled
//!    every 250 ms once the emails are there). The collection must then
//!    hold exactly one document per booking, and maildev one email.
//! 3. **Latency**: on the idle, caught-up notifier, [`LATENCY_SAMPLES`]
//!    sequential bookings, each timed from its 201 until maildev holds its
//!    email (polled every 5 ms).
//! 4. **Floors**, same run, notifier stopped: the SMTP server's — the same
//!    number of pre-rendered emails (the subject, text and HTML of a real
//!    notification) sent straight to the same maildev (emptied first) with
//!    lettre's pooled transport at the same concurrency, until maildev
//!    holds them all; and MongoDB's — the same number of such documents
//!    inserted one `insert_many` of one document at a time, sequentially,
//!    unordered, into a scratch collection with the notifications' indexes,
//!    as the planner stores an event's notifications.
//!
//! Every child process runs with `LOG_SHIPPING=off`: log shipping to
//! MongoDB `core.logs` (on by default, at `info` whatever `RUST_LOG` says)
//! would add MongoDB writes per email to the figures; its cost is measured
//! apart.

use std::path::PathBuf;
use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use bson::doc;
use futures::StreamExt;
use lettre::message::header::{HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use mongodb::options::InsertManyOptions;
use mongodb::Collection;
use platform::{Department, Principal, Role, TokenIssuer};
use read_models::core_db::{notification_indexes, NotificationDoc, NOTIFICATIONS};
use serde_json::{json, Value};
use sqlx::{ConnectOptions, Connection};
use tokio::process::{Child, Command};
use uuid::Uuid;

use crate::api::{free_port, wait_ready};
use crate::report::Latency;
use crate::{database_url, drop_database, fresh_database, ms_since, post_ok, stack, Config};

/// The bench's event store for this part.
const DB: &str = "astro_bench_notify";
/// The notifier's `core` database in this part.
const CORE_DB: &str = "core_bench_notify";
/// The scratch collection of the MongoDB floor (in [`CORE_DB`]).
const FLOOR_COLLECTION: &str = "floor_notifications";
/// This part's events stream, subjects and dead letters (its own: the
/// other parts' `BENCH_EVENTS` may be in use).
const EVENTS_STREAM: &str = "BENCH_NOTIFY_EVENTS";
const SUBJECT_PREFIX: &str = "bench.notify.events";
const DEAD_LETTER_STREAM: &str = "BENCH_NOTIFY_DEAD_LETTERS";
/// Launches the bookings are spread over.
pub const LAUNCHES: usize = 20;
/// Bookings in flight while loading.
pub const BOOKING_CONCURRENCY: usize = 32;
/// Sequential bookings of the latency measurement.
pub const LATENCY_SAMPLES: usize = 20;
/// How often the drain is polled.
pub const POLL: Duration = Duration::from_millis(50);
/// How often the latency measurement polls maildev.
const LATENCY_POLL: Duration = Duration::from_millis(5);

/// What this part is configured with (environment).
#[derive(Debug, Clone)]
struct Settings {
    /// `BENCH_NOTIFY_BOOKINGS` (2000): bookings, so emails.
    bookings: usize,
    /// `BENCH_NOTIFY_CONCURRENCY` (8): the notifier's
    /// `NOTIFIER_SEND_CONCURRENCY`, and the SMTP floor's.
    concurrency: usize,
    /// `NOTIFIER_BIN` (`target/release/notifier`).
    notifier_bin: String,
    /// `MAILDEV_NODE`, `MAILDEV_JS` (exported by `scripts/lib.sh`).
    maildev_node: String,
    maildev_js: String,
}

impl Settings {
    fn from_env() -> anyhow::Result<Self> {
        use platform::config::{parse, string};
        let settings = Self {
            bookings: parse("BENCH_NOTIFY_BOOKINGS", 2_000)?,
            concurrency: parse("BENCH_NOTIFY_CONCURRENCY", 8)?,
            notifier_bin: string("NOTIFIER_BIN", "target/release/notifier"),
            maildev_node: string("MAILDEV_NODE", ""),
            maildev_js: string("MAILDEV_JS", ""),
        };
        if settings.bookings == 0 || settings.concurrency == 0 {
            bail!("BENCH_NOTIFY_BOOKINGS and BENCH_NOTIFY_CONCURRENCY must be at least 1");
        }
        if settings.bookings + LATENCY_SAMPLES > LAUNCHES * crate::CAPACITY as usize {
            bail!(
                "BENCH_NOTIFY_BOOKINGS must be at most {}",
                LAUNCHES * crate::CAPACITY as usize - LATENCY_SAMPLES
            );
        }
        if settings.maildev_node.is_empty() || settings.maildev_js.is_empty() {
            bail!("MAILDEV_NODE and MAILDEV_JS are not set: run ./scripts/bench.sh (or `source scripts/lib.sh; ensure_maildev` first)");
        }
        Ok(settings)
    }
}

/// Runs the part and returns its markdown tables. The databases, streams
/// and processes are deleted or stopped at the end, also after a failure.
pub async fn run(config: &Config) -> anyhow::Result<String> {
    let settings = Settings::from_env()?;
    println!();
    println!(
        "## Notifications — {} bookings → notifier (send concurrency {}) → maildev",
        settings.bookings, settings.concurrency
    );
    let mongo = stack::mongo(config).await?;
    cleanup(config, &mongo).await?;
    fresh_database(&config.server, DB).await?;
    let result = measure(config, &settings, &mongo).await;
    let cleaned = cleanup(config, &mongo).await;
    let table = result?;
    cleaned?;
    Ok(table)
}

async fn cleanup(config: &Config, mongo: &mongodb::Client) -> anyhow::Result<()> {
    crate::stack::delete_streams(&config.nats_url, &[EVENTS_STREAM, DEAD_LETTER_STREAM]).await?;
    stack::drop_mongo_database(mongo, CORE_DB).await?;
    drop_database(&config.server, DB).await
}

/// A child process of this part, logging to a file; killed when stopped or
/// dropped (the log is kept after a failure).
struct Proc {
    name: &'static str,
    child: Child,
    log: PathBuf,
}

impl Proc {
    fn spawn(
        name: &'static str,
        program: &str,
        args: &[&str],
        env: &[(&str, String)],
    ) -> anyhow::Result<Self> {
        let log = std::env::temp_dir().join(format!(
            "astro-bench-notify-{name}-{}.log",
            std::process::id()
        ));
        let file =
            std::fs::File::create(&log).with_context(|| format!("creating {}", log.display()))?;
        let child = Command::new(program)
            .args(args)
            .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
            .env("RUST_LOG", "warn")
            .env("LOG_SHIPPING", "off")
            .stdin(Stdio::null())
            .stdout(file.try_clone()?)
            .stderr(file)
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("starting {name} ({program})"))?;
        Ok(Self { name, child, log })
    }

    /// Fails if the process has exited.
    fn check_alive(&mut self) -> anyhow::Result<()> {
        if let Some(status) = self.child.try_wait()? {
            bail!(
                "{} exited ({status}); see {}",
                self.name,
                self.log.display()
            );
        }
        Ok(())
    }

    async fn stop(mut self) {
        let _ = self.child.kill().await;
        let _ = std::fs::remove_file(&self.log);
    }
}

/// A service with an HTTP port of its own.
async fn service(
    name: &'static str,
    bin: &str,
    args: &[&str],
    addr_var: &str,
    env: &[(&str, String)],
) -> anyhow::Result<(Proc, String)> {
    let port = free_port()?;
    let mut env = env.to_vec();
    env.push((addr_var, format!("127.0.0.1:{port}")));
    let process = Proc::spawn(name, bin, args, &env)
        .with_context(|| format!("build it: cargo build --release -p {name}"))?;
    let base = format!("http://127.0.0.1:{port}");
    wait_ready(&base, name, Duration::from_secs(30))
        .await
        .with_context(|| format!("see {}", process.log.display()))?;
    Ok((process, base))
}

/// The private SMTP capture server.
struct Maildev {
    process: Proc,
    smtp_url: String,
    api: String,
    http: reqwest::Client,
}

impl Maildev {
    async fn start(settings: &Settings) -> anyhow::Result<Self> {
        let (smtp, web) = (free_port()?, free_port()?);
        let (smtp_arg, web_arg) = (smtp.to_string(), web.to_string());
        let process = Proc::spawn(
            "maildev",
            &settings.maildev_node,
            &[
                &settings.maildev_js,
                "--smtp",
                &smtp_arg,
                "--web",
                &web_arg,
                "--ip",
                "127.0.0.1",
                "--web-ip",
                "127.0.0.1",
                "--silent",
            ],
            &[],
        )?;
        let maildev = Self {
            process,
            smtp_url: format!("smtp://127.0.0.1:{smtp}"),
            api: format!("http://127.0.0.1:{web}"),
            http: crate::api::client(4)?,
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let healthy = maildev
                .http
                .get(format!("{}/api/healthz", maildev.api))
                .send()
                .await
                .is_ok_and(|r| r.status().is_success());
            if healthy
                && tokio::net::TcpStream::connect(("127.0.0.1", smtp))
                    .await
                    .is_ok()
            {
                return Ok(maildev);
            }
            if Instant::now() > deadline {
                bail!(
                    "maildev did not answer within 30 s; see {}",
                    maildev.process.log.display()
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// How many emails it holds.
    async fn total(&self) -> anyhow::Result<u64> {
        let url = format!("{}/api/email/summary?limit=1", self.api);
        let body: Value = self
            .http
            .get(&url)
            .send()
            .await
            .context("GET maildev summary")?
            .error_for_status()?
            .json()
            .await?;
        body["total"]
            .as_u64()
            .with_context(|| format!("GET {url}: no total in {body}"))
    }

    /// Deletes every email it holds.
    async fn clear(&self) -> anyhow::Result<()> {
        self.http
            .delete(format!("{}/api/email/all", self.api))
            .send()
            .await
            .context("DELETE maildev's emails")?
            .error_for_status()?;
        if self.total().await? != 0 {
            bail!("maildev still holds emails after DELETE /api/email/all");
        }
        Ok(())
    }
}

/// Everything measured.
#[derive(Debug, Default)]
struct Figures {
    bookings: usize,
    concurrency: usize,
    load_secs: f64,
    relayed_secs: f64,
    ready_secs: f64,
    planned_secs: f64,
    captured_secs: f64,
    /// Emails captured when the last notification was planned.
    captured_at_planned: u64,
    recorded_secs: f64,
    /// Mean SMTP send (`notifier_send_seconds`) and MongoDB operations
    /// (`notifier_store_seconds`: insert, claim, query, record) during the
    /// drain, in ms.
    notifier_ms: [f64; 5],
    latency_ms: Vec<f64>,
    booking_ms: Vec<f64>,
    smtp_sent_secs: f64,
    smtp_captured_secs: f64,
    mongo_secs: f64,
    email_bytes: usize,
}

async fn measure(
    config: &Config,
    settings: &Settings,
    mongo: &mongodb::Client,
) -> anyhow::Result<String> {
    let n = settings.bookings;
    let mut figures = Figures {
        bookings: n,
        concurrency: settings.concurrency,
        ..Figures::default()
    };
    let maildev = Maildev::start(settings).await?;
    let (private, public) = platform::auth::generate_key_pair();
    let issuer = TokenIssuer::from_private_key_hex(&private)?;
    let day = Duration::from_secs(24 * 3600);
    let operations = issuer.issue(
        &Principal {
            user_id: Uuid::now_v7(),
            role: Role::Employee(Department::Operations),
        },
        day,
    );
    let db_url = database_url(DB);
    let (command, api) = service(
        "command-api",
        &config.command_api_bin,
        &[],
        "COMMAND_API_ADDR",
        &[
            ("DATABASE_URL", db_url.clone()),
            ("AUTH_PUBLIC_KEY", public.clone()),
            ("DATABASE_MAX_CONNECTIONS", "32".to_owned()),
            ("NATS_URL", config.nats_url.clone()),
        ],
    )
    .await?;
    let (relay, _) = service(
        "projectors",
        &config.projectors_bin,
        &["serve", "relay"],
        "PROJECTORS_ADDR",
        &[
            ("DATABASE_URL", db_url.clone()),
            ("NATS_URL", config.nats_url.clone()),
            ("MONGODB_URI", config.mongodb_uri.clone()),
            ("EVENTS_STREAM", EVENTS_STREAM.to_owned()),
            ("EVENTS_SUBJECT_PREFIX", SUBJECT_PREFIX.to_owned()),
            ("DEAD_LETTER_STREAM", DEAD_LETTER_STREAM.to_owned()),
        ],
    )
    .await?;
    let client = crate::api::client(BOOKING_CONCURRENCY)?;
    let launches = schedule(&client, &api, &operations).await?;

    // Travelers with profiles (as the profiles projector writes them), one
    // per booking and per latency sample.
    let travelers: Vec<Uuid> = (0..n + LATENCY_SAMPLES).map(|_| Uuid::now_v7()).collect();
    let emails: Vec<String> = (0..travelers.len())
        .map(|i| format!("traveler-{i}@bench.example"))
        .collect();
    let mut conn = config.server.clone().database(DB).connect().await?;
    sqlx::query(
        "INSERT INTO travelers (user_id, email, full_name, birth_date, registered_at, updated_at)
         SELECT id, email, 'Bench Traveler ' || ordinality, '1985-12-10', now(), now()
           FROM unnest($1::uuid[], $2::text[]) WITH ORDINALITY AS t(id, email, ordinality)",
    )
    .bind(&travelers)
    .bind(&emails)
    .execute(&mut conn)
    .await
    .context("inserting the travelers' profiles")?;
    let tokens: Vec<String> = travelers
        .iter()
        .map(|&user_id| {
            issuer.issue(
                &Principal {
                    user_id,
                    role: Role::Traveler,
                },
                day,
            )
        })
        .collect();

    // The load, with no notifier running.
    let started = Instant::now();
    let target = Arc::new((client.clone(), api.clone(), launches.clone()));
    let results: Vec<anyhow::Result<f64>> = futures::stream::iter(0..n)
        .map(|i| {
            let target = Arc::clone(&target);
            let token = tokens[i].clone();
            async move { book(&target.0, &target.1, &target.2[i % LAUNCHES], &token).await }
        })
        .buffer_unordered(BOOKING_CONCURRENCY)
        .collect()
        .await;
    for result in results {
        result?;
    }
    figures.load_secs = started.elapsed().as_secs_f64();
    wait_outbox_empty(&mut conn).await?;
    figures.relayed_secs = started.elapsed().as_secs_f64();
    println!(
        "{n} bookings on {LAUNCHES} launches in {:.2} s ({:.0}/s, concurrency {BOOKING_CONCURRENCY}); all relayed after {:.2} s",
        figures.load_secs,
        n as f64 / figures.load_secs,
        figures.relayed_secs
    );

    // The drain.
    let notifications = mongo
        .database(CORE_DB)
        .collection::<NotificationDoc>(NOTIFICATIONS);
    let port = free_port()?;
    let notifier_base = format!("http://127.0.0.1:{port}");
    let started = Instant::now();
    let mut notifier = Proc::spawn(
        "notifier",
        &settings.notifier_bin,
        &[],
        &[
            ("NOTIFIER_ADDR", format!("127.0.0.1:{port}")),
            ("DATABASE_URL", db_url.clone()),
            ("NATS_URL", config.nats_url.clone()),
            ("EVENTS_STREAM", EVENTS_STREAM.to_owned()),
            ("EVENTS_SUBJECT_PREFIX", SUBJECT_PREFIX.to_owned()),
            ("DEAD_LETTER_STREAM", DEAD_LETTER_STREAM.to_owned()),
            ("NOTIFIER_CONSUMER", "notifier_bench".to_owned()),
            ("MONGODB_URI", config.mongodb_uri.clone()),
            ("MONGODB_CORE_DB", CORE_DB.to_owned()),
            ("SMTP_URL", maildev.smtp_url.clone()),
            (
                "NOTIFIER_SEND_CONCURRENCY",
                settings.concurrency.to_string(),
            ),
        ],
    )
    .context("build it: cargo build --release -p notifier")?;
    drain(
        &mut notifier,
        &notifier_base,
        &notifications,
        &maildev,
        n,
        started,
        &mut figures,
    )
    .await?;
    figures.notifier_ms = mean_ms(&client, &notifier_base).await?;

    // One notification at a time on the idle notifier.
    for i in 0..LATENCY_SAMPLES {
        notifier.check_alive()?;
        let before = (n + i) as u64;
        let posted = Instant::now();
        book(&client, &api, &launches[i % LAUNCHES], &tokens[n + i]).await?;
        let booked = Instant::now();
        let deadline = booked + Duration::from_secs(30);
        loop {
            let total = maildev.total().await?;
            if total > before {
                if total > before + 1 {
                    bail!("maildev holds {total} emails, expected {}", before + 1);
                }
                break;
            }
            if Instant::now() > deadline {
                bail!("the email of latency booking {i} was not captured within 30 s");
            }
            tokio::time::sleep(LATENCY_POLL).await;
        }
        figures.latency_ms.push(ms_since(booked));
        figures
            .booking_ms
            .push((booked - posted).as_secs_f64() * 1e3);
    }
    let latency = Latency::of(&figures.latency_ms);
    println!(
        "latency, one booking's 201 → email captured (idle notifier): p50 {:.1} ms, max {:.1} ms",
        latency.p50, latency.max
    );
    notifier.stop().await;

    // The floors, with a real notification's content.
    let sample = notifications
        .find_one(doc! {})
        .await?
        .context("no notification stored")?;
    figures.email_bytes = sample.subject.len() + sample.text.len() + sample.html.len();
    maildev.clear().await?;
    smtp_floor(&maildev, &sample, n, settings.concurrency, &mut figures).await?;
    mongo_floor(
        &mongo.database(CORE_DB).collection(FLOOR_COLLECTION),
        &sample,
        n,
        &mut figures,
    )
    .await?;

    conn.close().await?;
    relay.stop().await;
    command.stop().await;
    maildev.process.stop().await;
    let table = figures.markdown();
    println!();
    println!("{table}");
    Ok(table)
}

/// The rocket and the launches.
async fn schedule(
    client: &reqwest::Client,
    api: &str,
    operations: &str,
) -> anyhow::Result<Vec<String>> {
    let rocket = crate::api::rocket(client, api, operations).await?;
    let mut launches = Vec::with_capacity(LAUNCHES);
    for _ in 0..LAUNCHES {
        launches.push(crate::api::launch(client, api, operations, &rocket).await?);
    }
    Ok(launches)
}

/// Books one seat for a passenger without an address; the answer's time in
/// milliseconds.
async fn book(
    client: &reqwest::Client,
    api: &str,
    launch: &str,
    token: &str,
) -> anyhow::Result<f64> {
    let started = Instant::now();
    post_ok(
        client,
        &format!("{api}/v1/launches/{launch}/bookings"),
        token,
        json!({ "passengers": [{ "name": "Bench Passenger", "birth_date": "1990-01-01" }] }),
    )
    .await?;
    Ok(ms_since(started))
}

/// Waits until the relay has published every event (at most 120 s).
async fn wait_outbox_empty(conn: &mut sqlx::PgConnection) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let (left,): (i64,) = sqlx::query_as("SELECT count(*) FROM outbox")
            .fetch_one(&mut *conn)
            .await?;
        if left == 0 {
            return Ok(());
        }
        if Instant::now() > deadline {
            bail!("the relay left {left} events unpublished after 120 s");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Polls until every notification is planned, captured by maildev and
/// recorded `sent`, from `started` (the notifier's spawn).
async fn drain(
    notifier: &mut Proc,
    base: &str,
    notifications: &Collection<NotificationDoc>,
    maildev: &Maildev,
    n: usize,
    started: Instant,
    figures: &mut Figures,
) -> anyhow::Result<()> {
    let n = n as u64;
    // Generous: the slowest rate seen is far above 5 emails/s.
    let timeout = Duration::from_secs(120) + Duration::from_millis(200) * n as u32;
    let probe = crate::api::client(1)?;
    let (mut ready, mut planned, mut captured, mut recorded) = (None, None, None, None);
    let (mut stored, mut held) = (0, 0);
    let mut next_report = Duration::from_secs(5);
    let mut next_count = Duration::ZERO;
    while recorded.is_none() {
        notifier.check_alive()?;
        let now = started.elapsed();
        if ready.is_none()
            && probe
                .get(format!("{base}/ready"))
                .send()
                .await
                .is_ok_and(|r| r.status().is_success())
        {
            ready = Some(now);
        }
        if planned.is_none() {
            // The notifier's counter of new documents: counting the
            // collection costs SecantusDB ~75 ms a poll, which would slow
            // the notifier it measures.
            if let Ok(text) = scrape(&probe, base).await {
                stored = metric(&text, "notifications_total", "outcome=\"planned\"") as u64;
            }
            if stored > n {
                bail!("{stored} notifications planned for {n} bookings");
            }
            if stored == n {
                planned = Some(now);
                figures.captured_at_planned = maildev.total().await?;
            }
        }
        if captured.is_none() {
            held = maildev.total().await?;
            if held > n {
                bail!("maildev holds {held} emails for {n} bookings");
            }
            if held == n {
                captured = Some(now);
            }
        }
        if captured.is_some() && planned.is_some() && now >= next_count {
            next_count = now + Duration::from_millis(250);
            let sent = notifications
                .count_documents(doc! { "status": "sent" })
                .await?;
            if sent == n {
                recorded = Some(now);
            }
        }
        if now >= next_report {
            println!(
                "  {:>5.1} s: {stored} planned, {held} emails captured",
                now.as_secs_f64()
            );
            next_report += Duration::from_secs(5);
        }
        if now > timeout {
            bail!(
                "the notifier did not drain within {} s: {stored} of {n} planned, {held} captured; see {}",
                timeout.as_secs(),
                notifier.log.display()
            );
        }
        tokio::time::sleep(POLL).await;
    }
    let documents = notifications.count_documents(doc! {}).await?;
    if documents != n {
        bail!("{documents} documents in {CORE_DB}.{NOTIFICATIONS}, expected {n}");
    }
    let secs = |d: Option<Duration>| d.map_or(f64::NAN, |d| d.as_secs_f64());
    figures.ready_secs = secs(ready);
    figures.planned_secs = secs(planned);
    figures.captured_secs = secs(captured);
    figures.recorded_secs = secs(recorded);
    println!(
        "notifier: ready {:.2} s, all {n} planned {:.2} s ({:.0}/s), captured {:.2} s ({:.0} emails/s), recorded sent {:.2} s",
        figures.ready_secs,
        figures.planned_secs,
        n as f64 / figures.planned_secs,
        figures.captured_secs,
        n as f64 / figures.captured_secs,
        figures.recorded_secs
    );
    Ok(())
}

/// The notifier's `/metrics` text.
async fn scrape(client: &reqwest::Client, base: &str) -> anyhow::Result<String> {
    Ok(client
        .get(format!("{base}/metrics"))
        .send()
        .await?
        .error_for_status()?
        .text()
        .await?)
}

/// The value of the first sample of metric `name` whose labels contain
/// `label` (`key="value"`, or empty for any); NaN if none.
fn metric(text: &str, name: &str, label: &str) -> f64 {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .find_map(|l| {
            let (key, value) = l.rsplit_once(' ')?;
            let (metric, labels) = key.split_once('{').unwrap_or((key, ""));
            (metric == name && labels.contains(label)).then(|| value.parse::<f64>().ok())?
        })
        .unwrap_or(f64::NAN)
}

/// The notifier's mean SMTP send (`notifier_send_seconds`) and its mean
/// operation on `core.notifications` by op (`notifier_store_seconds`) so
/// far, in ms: send, insert, claim, query, record.
async fn mean_ms(client: &reqwest::Client, base: &str) -> anyhow::Result<[f64; 5]> {
    let text = scrape(client, base).await?;
    let mean = |name: &str, label: &str| {
        metric(&text, &format!("{name}_sum"), label)
            / metric(&text, &format!("{name}_count"), label)
            * 1e3
    };
    Ok([
        mean("notifier_send_seconds", ""),
        mean("notifier_store_seconds", "op=\"insert\""),
        mean("notifier_store_seconds", "op=\"claim\""),
        mean("notifier_store_seconds", "op=\"query\""),
        mean("notifier_store_seconds", "op=\"record\""),
    ])
}

/// `n` emails like `sample`, to distinct addresses, straight to maildev at
/// `concurrency` with a pooled transport built as the notifier builds its.
async fn smtp_floor(
    maildev: &Maildev,
    sample: &NotificationDoc,
    n: usize,
    concurrency: usize,
    figures: &mut Figures,
) -> anyhow::Result<()> {
    let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(&maildev.smtp_url)?
        .timeout(Some(Duration::from_secs(10)))
        .build();
    let from: Mailbox = "Astro Bookings <no-reply@astro.example>".parse()?;
    let messages = (0..n)
        .map(|i| {
            let id = Uuid::new_v4().to_string();
            Message::builder()
                .from(from.clone())
                .to(Mailbox::new(
                    Some(sample.recipient_name.clone()),
                    format!("floor-{i}@bench.example").parse()?,
                ))
                .subject(sample.subject.clone())
                .message_id(Some(format!("<{id}@astro.example>")))
                .raw_header(HeaderValue::new(
                    HeaderName::new_from_ascii_str("X-Astro-Notification-Id"),
                    id,
                ))
                .multipart(MultiPart::alternative_plain_html(
                    sample.text.clone(),
                    sample.html.clone(),
                ))
                .context("building an email")
        })
        .collect::<anyhow::Result<Vec<Message>>>()?;
    let started = Instant::now();
    let results: Vec<_> = futures::stream::iter(messages)
        .map(|message| {
            let transport = transport.clone();
            async move { transport.send(message).await }
        })
        .buffer_unordered(concurrency)
        .collect()
        .await;
    for result in results {
        result.context("the SMTP floor: sending")?;
    }
    figures.smtp_sent_secs = started.elapsed().as_secs_f64();
    let deadline = Instant::now() + Duration::from_secs(60);
    while maildev.total().await? < n as u64 {
        if Instant::now() > deadline {
            bail!("maildev did not hold the floor's {n} emails 60 s after they were sent");
        }
        tokio::time::sleep(POLL).await;
    }
    figures.smtp_captured_secs = started.elapsed().as_secs_f64();
    println!(
        "SMTP floor: {n} emails sent in {:.2} s, all captured {:.2} s ({:.0} emails/s)",
        figures.smtp_sent_secs,
        figures.smtp_captured_secs,
        n as f64 / figures.smtp_captured_secs
    );
    Ok(())
}

/// `n` documents like `sample`, one `insert_many` of one document at a
/// time, sequentially, into `collection` (with the notifications' indexes).
async fn mongo_floor(
    collection: &Collection<NotificationDoc>,
    sample: &NotificationDoc,
    n: usize,
    figures: &mut Figures,
) -> anyhow::Result<()> {
    collection.drop().await?;
    collection.create_indexes(notification_indexes()).await?;
    let docs: Vec<NotificationDoc> = (0..n)
        .map(|i| NotificationDoc {
            id: Uuid::new_v4().to_string(),
            event_id: Uuid::now_v7().to_string(),
            booking_id: Some(Uuid::now_v7().to_string()),
            recipient: format!("floor-{i}@bench.example"),
            ..sample.clone()
        })
        .collect();
    let options = InsertManyOptions::builder().ordered(false).build();
    let started = Instant::now();
    for doc in &docs {
        collection
            .insert_many(std::slice::from_ref(doc))
            .with_options(options.clone())
            .await
            .context("the MongoDB floor: inserting")?;
    }
    figures.mongo_secs = started.elapsed().as_secs_f64();
    println!(
        "MongoDB floor: {n} documents, one insert_many each, in {:.2} s ({:.0}/s)",
        figures.mongo_secs,
        n as f64 / figures.mongo_secs
    );
    Ok(())
}

impl Figures {
    fn markdown(&self) -> String {
        let n = self.bookings as f64;
        let rate = |secs: f64| n / secs;
        let smtp = rate(self.smtp_captured_secs);
        let mongo = rate(self.mongo_secs);
        let sender_alone = (self.bookings as u64 - self.captured_at_planned) as f64
            / (self.captured_secs - self.planned_secs);
        let mut out = format!(
            "| measured | items | seconds | per second | ratio |\n|---|---:|---:|---:|---:|\n\
             | SMTP floor: lettre (pooled, c={c}) → maildev, until captured | {b} emails | {:.2} | {smtp:.0} | 100% |\n\
             | MongoDB floor: `insert_many` of 1 doc, sequential | {b} docs | {:.2} | {mongo:.0} | 100% |\n\
             | notifier: spawn → all planned in `notifications` | {b} | {:.2} | {:.0} | {:.0}% of MongoDB floor |\n\
             | notifier: spawn → all emails captured (end to end) | {b} emails | {:.2} | {:.0} | {:.0}% of SMTP floor |\n\
             | — its sender alone, from the last planned to the last captured | {} emails | {:.2} | {:.0} | {:.0}% of SMTP floor |\n\
             | notifier: spawn → all recorded `sent` | {b} | {:.2} | {:.0} | |\n",
            self.smtp_captured_secs,
            self.mongo_secs,
            self.planned_secs,
            rate(self.planned_secs),
            rate(self.planned_secs) / mongo * 100.0,
            self.captured_secs,
            rate(self.captured_secs),
            rate(self.captured_secs) / smtp * 100.0,
            self.bookings as u64 - self.captured_at_planned,
            self.captured_secs - self.planned_secs,
            sender_alone,
            sender_alone / smtp * 100.0,
            self.recorded_secs,
            rate(self.recorded_secs),
            c = self.concurrency,
            b = self.bookings,
        );
        let latency = Latency::of(&self.latency_ms);
        let booking = Latency::of(&self.booking_ms);
        out.push_str(&format!(
            "\n| latency (idle notifier) | count | p50 ms | p99 ms | max ms |\n|---|---:|---:|---:|---:|\n\
             | booking 201 → its email captured | {} | {:.1} | {:.1} | {:.1} |\n\
             | `POST /v1/launches/{{id}}/bookings` → 201 | {} | {:.1} | {:.1} | {:.1} |\n",
            latency.count,
            latency.p50,
            latency.p99,
            latency.max,
            booking.count,
            booking.p50,
            booking.p99,
            booking.max,
        ));
        out.push_str(&format!(
            "\nLoad: {} bookings in {:.2} s, all relayed after {:.2} s; notifier ready after {:.2} s; \
             its mean SMTP send {:.1} ms; its mean MongoDB insert of a chunk {:.1} ms, claim of fresh ids {:.1} ms, \
             claim from the queue {:.1} ms, record of the finished outcomes {:.1} ms; email {} bytes (subject, text, HTML).\n",
            self.bookings,
            self.load_secs,
            self.relayed_secs,
            self.ready_secs,
            self.notifier_ms[0],
            self.notifier_ms[1],
            self.notifier_ms[2],
            self.notifier_ms[3],
            self.notifier_ms[4],
            self.email_bytes,
        ));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::metric;

    #[test]
    fn a_metric_is_found_by_name_and_label() {
        let text = "# HELP notifications_total x\n\
                    notifications_total{outcome=\"planned\",service=\"notifier\"} 12\n\
                    notifications_total{outcome=\"sent\",service=\"notifier\"} 7\n\
                    notifier_send_seconds_sum{service=\"notifier\"} 0.5\n\
                    notifier_send_seconds_count 4\n";
        assert_eq!(metric(text, "notifications_total", "outcome=\"sent\""), 7.0);
        assert_eq!(
            metric(text, "notifications_total", "outcome=\"planned\""),
            12.0
        );
        assert_eq!(metric(text, "notifier_send_seconds_sum", ""), 0.5);
        assert_eq!(metric(text, "notifier_send_seconds_count", ""), 4.0);
        assert!(metric(text, "notifications", "").is_nan());
    }
}
