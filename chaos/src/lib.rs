//! The chaos run (issue 13, run by `scripts/chaos.sh`): the whole system on
//! loopback — command-api, projectors, query-api, auth and notifier, a
//! private SecantusDB and a private maildev, on free ports, with a
//! PostgreSQL database and NATS streams of the run's own on the shared
//! servers — under booking and cancelling load ([`load`]) while a seeded
//! schedule ([`schedule`]) SIGKILLs and restarts every service and stops
//! MongoDB and SMTP for a while (the processes of a [`stack::Stack`]). Then the load stops, the run
//! waits until the system has settled and checks every invariant
//! ([`checks`]), prints a summary and fails naming what did not hold.

pub mod checks;
pub mod load;
pub mod schedule;

pub use stack::procs;

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{bail, Context};
use futures::TryStreamExt;
use platform::{Department, Principal, Role, TokenIssuer};
use serde_json::json;
use sqlx::postgres::PgPoolOptions;
use sqlx::PgPool;
use tokio::time::Instant;
use uuid::Uuid;

use checks::Check;
use procs::{Supervised, START_TIMEOUT};
use schedule::{Fault, Service, Step};
use stack::{Names, Stack};

/// How much chaos.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Profile {
    /// The test command's: one round of faults in a minute of load, under
    /// three minutes in all.
    Short,
    /// One round of faults per two and a half minutes of load (15 min).
    Long,
}

/// What a run does.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The profile.
    pub profile: Profile,
    /// Length of the load.
    pub load: Duration,
    /// Rounds of faults (each kills every service and stops MongoDB and
    /// SMTP once).
    pub rounds: u32,
    /// Seed of the schedule and the clients.
    pub seed: u64,
    /// Concurrent clients.
    pub clients: usize,
    /// Longest wait for the system to settle after the load.
    pub settle_timeout: Duration,
    /// Where `command-api`, `projectors`, `query-api`, `auth`, `notifier`
    /// are.
    pub bin_dir: PathBuf,
    /// SecantusDB's server command.
    pub secantusd: PathBuf,
    /// Keep the run's directory after a pass.
    pub keep: bool,
}

impl Settings {
    /// The settings of `profile`, with `seconds` of load if given.
    pub fn new(
        profile: Profile,
        seconds: Option<u64>,
        seed: u64,
        clients: usize,
        bin_dir: PathBuf,
        secantusd: PathBuf,
        keep: bool,
    ) -> anyhow::Result<Self> {
        let (default_secs, settle) = match profile {
            Profile::Short => (60, 75),
            Profile::Long => (900, 300),
        };
        let secs = seconds.unwrap_or(default_secs);
        if secs < 20 {
            bail!("CHAOS_SECONDS must be at least 20 (the faults need room)");
        }
        if clients == 0 {
            bail!("CHAOS_CLIENTS must be at least 1");
        }
        let rounds = match profile {
            Profile::Short => 1,
            Profile::Long => (secs / 150).max(1) as u32,
        };
        Ok(Self {
            profile,
            load: Duration::from_secs(secs),
            rounds,
            seed,
            clients,
            settle_timeout: Duration::from_secs(settle),
            bin_dir,
            secantusd,
            keep,
        })
    }
}

/// The processes, shared by the schedule and the watchdog.
type Processes = Arc<tokio::sync::Mutex<Vec<Supervised>>>;

/// What happened to the processes during the run.
#[derive(Debug, Default)]
struct Incidents {
    /// Faults carried out, with when they started.
    done: Vec<String>,
    /// Processes that ended without the run killing them, or did not come
    /// back.
    failures: Vec<String>,
}

/// Runs the chaos and the checks; `Ok(false)` when an invariant failed.
pub async fn run(settings: Settings) -> anyhow::Result<bool> {
    let began = Instant::now();
    println!(
        "# chaos run — profile {:?}, {} s of load, {} round(s) of faults, {} clients, seed {}",
        settings.profile,
        settings.load.as_secs(),
        settings.rounds,
        settings.clients,
        settings.seed
    );
    let mut stack = Stack::create(&stack::Options {
        kind: "chaos".to_owned(),
        bin_dir: settings.bin_dir.clone(),
        secantusd: settings.secantusd.clone(),
        // Shorter than the defaults, so that the run settles in seconds
        // after a notifier kill or an SMTP outage (a claimed email is taken
        // again after the lease, an unacknowledged event redelivered after
        // the ack wait). A debug notifier sends about 4 emails/s at the
        // default concurrency of 4 on this 2-core machine; the backlog of
        // an SMTP outage must drain within the short profile.
        env: [
            ("NOTIFIER_LEASE_SECS", "10"),
            ("NOTIFIER_ACK_WAIT_SECS", "10"),
            ("NOTIFIER_BACKOFF_MAX_MS", "5000"),
            ("NOTIFIER_SEND_CONCURRENCY", "16"),
        ]
        .iter()
        .map(|(k, v)| (Service::Notifier, (*k).to_owned(), (*v).to_owned()))
        .collect(),
    })
    .await?;
    println!("logs and data: {}", stack.dir.display());
    let result = chaos(&settings, &mut stack, began).await;
    // The verdict first: dropping the database waits for a checkpoint,
    // which can take a minute on a busy shared server.
    let passed = match result {
        Ok(checks) => report(&checks),
        Err(error) => {
            println!("the run could not complete: {error:#}");
            println!("chaos result: 0 passed, 1 failed");
            false
        }
    };
    // What the run did not take down itself (it failed before it could).
    stack.kill().await;
    stack.drop_data().await?;
    if passed && !settings.keep {
        stack.remove_dir();
    } else {
        println!("kept {}", stack.dir.display());
    }
    println!("wall clock {:.0} s", began.elapsed().as_secs_f64());
    Ok(passed)
}

fn report(checks: &[Check]) -> bool {
    println!();
    println!("| invariant | result | detail |");
    println!("|---|---|---|");
    for check in checks {
        let verdict = if check.passed { "passed" } else { "FAILED" };
        println!("| {} | {verdict} | {} |", check.name, check.detail);
    }
    println!();
    for check in checks {
        let verdict = if check.passed { "passed" } else { "failed" };
        println!("check {}: {verdict}", check.name);
    }
    let failed = checks.iter().filter(|c| !c.passed).count();
    println!(
        "chaos result: {} passed, {failed} failed",
        checks.len() - failed
    );
    failed == 0
}

#[allow(clippy::too_many_lines)]
async fn chaos(
    settings: &Settings,
    stack: &mut Stack,
    began: Instant,
) -> anyhow::Result<Vec<Check>> {
    let names = &stack.names.clone();
    let (db_url, nats_url) = (stack.db_url.clone(), stack.nats_url.clone());
    let (mongodb_uri, private_key) = (stack.mongodb_uri.clone(), stack.private_key.clone());
    let dir = &stack.dir.clone();
    let endpoints = load::Endpoints {
        command: stack.base(Service::CommandApi),
        query: stack.base(Service::QueryApi),
        auth: stack.base(Service::Auth),
    };
    stack.start().await?;
    println!(
        "started MongoDB, maildev and the five services in {:.1} s",
        began.elapsed().as_secs_f64()
    );
    let processes: Processes = Arc::new(tokio::sync::Mutex::new(std::mem::take(
        &mut stack.processes,
    )));

    // The world: rockets and launches, and the clients' accounts.
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .pool_max_idle_per_host(settings.clients * 2)
        .build()?;
    let issuer = TokenIssuer::from_private_key_hex(&private_key)?;
    let operations = issuer.issue(
        &Principal {
            user_id: Uuid::now_v7(),
            role: Role::Employee(Department::Operations),
        },
        Duration::from_secs(24 * 3600),
    );
    let launches = schedule_launches(&http, &endpoints.command, &operations).await?;
    let tally: load::Shared = Arc::new(Mutex::new(load::Tally::default()));
    let accounts = load::register(&http, &endpoints, &tally, settings.clients).await?;
    let pool = PgPoolOptions::new()
        .max_connections(4)
        .connect(&db_url)
        .await
        .context("connecting to the run's database")?;
    let want = accounts.len() as i64;
    checks::settle(Duration::from_secs(60), || async {
        let (n,): (i64,) = sqlx::query_as(
            "SELECT (SELECT count(*) FROM travelers) + (SELECT count(*) FROM agencies)",
        )
        .fetch_one(&pool)
        .await?;
        Ok((n < want).then(|| format!("{n} of {want} profiles")))
    })
    .await
    .map_err(|why| anyhow::anyhow!("the clients' profiles did not arrive: {why}"))?;

    // The load and the chaos.
    let steps = schedule::plan(settings.seed, settings.load, settings.rounds);
    println!("schedule (seed {}):", settings.seed);
    for step in &steps {
        println!("  +{:>5.1} s  {}", step.at.as_secs_f64(), step.fault);
    }
    let incidents = Arc::new(Mutex::new(Incidents::default()));
    let start = Instant::now();
    let plan = load::Plan {
        launches: launches.clone(),
        until: start + settings.load,
        give_up: start + settings.load + Duration::from_secs(60),
        think_ms: (500, 1500),
    };
    let clients: Vec<_> = accounts
        .iter()
        .enumerate()
        .map(|(i, account)| {
            tokio::spawn(load::client(
                http.clone(),
                endpoints.clone(),
                account.clone(),
                plan.clone(),
                tally.clone(),
                settings.seed.wrapping_add(i as u64 + 1),
            ))
        })
        .collect();
    let watchdog = tokio::spawn(watch(processes.clone(), incidents.clone()));
    carry_out(&steps, start, &processes, &incidents).await;
    for client in clients {
        client.await.context("a client panicked")?;
    }
    let load_secs = start.elapsed().as_secs_f64();
    println!("load ended after {load_secs:.1} s; settling");

    // Everything up again, then settled.
    let probes: Vec<_> = processes
        .lock()
        .await
        .iter()
        .map(Supervised::probe)
        .collect();
    for (name, base, port) in probes {
        if let Err(e) = procs::wait_up(&name, base.as_deref(), port, START_TIMEOUT).await {
            lock(&incidents)
                .failures
                .push(format!("{name} is not up after the load: {e:#}"));
        }
    }
    let mongo = read_models::mongo::client(&mongodb_uri, "chaos").await?;
    let core = mongo.database(read_models::core_db::DATABASE);
    let sales = mongo.database(read_models::sales::DATABASE);
    let jetstream = async_nats::jetstream::new(
        async_nats::connect(&nats_url)
            .await
            .context("connecting to NATS")?,
    );
    let settling = Instant::now();
    let settled = checks::settle(settings.settle_timeout, || {
        unsettled(&pool, &jetstream, names, &core)
    })
    .await;
    let settle_secs = settling.elapsed().as_secs_f64();
    watchdog.abort();

    // The invariants.
    let tally = std::mem::take(&mut *lock(&tally));
    let incidents = std::mem::take(&mut *lock(&incidents));
    let holders: HashMap<Uuid, String> = accounts
        .iter()
        .map(|a| (a.user_id, a.email.clone()))
        .collect();
    let store = checks::read_store(&pool, &holders).await?;
    let mut results = Vec::new();
    results.push(Check::new(
        "no 5xx but 503",
        tally.unexpected_5xx() == 0,
        format!(
            "{} answers, {} × 503, {} × 429, {} without an answer (connection), {} other 5xx{}",
            tally.statuses.values().sum::<u64>(),
            tally.count(503),
            tally.count(429),
            tally.transport_errors.values().sum::<u64>(),
            tally.unexpected_5xx(),
            if tally.server_errors.is_empty() {
                String::new()
            } else {
                format!(": {}", tally.server_errors.join("; "))
            }
        ),
    ));
    results.push(Check::new(
        "every process up but for the faults",
        incidents.failures.is_empty(),
        if incidents.failures.is_empty() {
            format!("{} faults carried out", incidents.done.len())
        } else {
            incidents.failures.join("; ")
        },
    ));
    results.push(Check::new(
        "settled",
        settled.is_ok(),
        match &settled {
            Ok(()) => format!("in {settle_secs:.1} s"),
            Err(why) => format!("not within {} s: {why}", settings.settle_timeout.as_secs()),
        },
    ));
    let client_bookings: HashSet<Uuid> = tally.booked.keys().copied().collect();
    let store_bookings: HashSet<Uuid> = store.bookings.keys().copied().collect();
    let store_cancelled: HashSet<Uuid> = store.cancellations.keys().copied().collect();
    results.push(Check::new(
        "the clients know every booking",
        client_bookings == store_bookings && tally.cancelled == store_cancelled && tally.abandoned == 0,
        format!(
            "{} bookings and {} cancellations answered, {} and {} in the event store, {} requests abandoned",
            client_bookings.len(),
            tally.cancelled.len(),
            store_bookings.len(),
            store_cancelled.len(),
            tally.abandoned
        ),
    ));
    let oversold: Vec<String> = store
        .capacity
        .iter()
        .filter_map(|(launch, capacity)| {
            let seats: i64 = store
                .bookings
                .values()
                .filter(|b| b.launch == *launch && !b.cancelled)
                .map(|b| b.seats)
                .sum();
            (seats > *capacity).then(|| format!("{launch}: {seats} of {capacity}"))
        })
        .collect();
    results.push(Check::new(
        "no launch oversold",
        oversold.is_empty(),
        if oversold.is_empty() {
            format!(
                "{} launches, {} × 409",
                store.capacity.len(),
                tally.count(409)
            )
        } else {
            oversold.join("; ")
        },
    ));
    let seats = checks::seat_differences(&sales, &store).await?;
    results.push(Check::new(
        "seats in MongoDB = seats from the event store",
        seats.is_empty(),
        if seats.is_empty() {
            format!("{} launches", store.capacity.len())
        } else {
            seats.join("; ")
        },
    ));
    let invoiced: Vec<Uuid> = sqlx::query_scalar("SELECT booking_id FROM finance.invoices")
        .fetch_all(&pool)
        .await?;
    let invoiced_set: HashSet<Uuid> = invoiced.iter().copied().collect();
    results.push(Check::new(
        "one invoice per booking",
        invoiced.len() == invoiced_set.len() && invoiced_set == store_bookings,
        format!(
            "{} invoices ({} distinct bookings), {} bookings",
            invoiced.len(),
            invoiced_set.len(),
            store_bookings.len()
        ),
    ));
    let credited: Vec<Uuid> = sqlx::query_scalar("SELECT booking_id FROM finance.credit_notes")
        .fetch_all(&pool)
        .await?;
    let credited_set: HashSet<Uuid> = credited.iter().copied().collect();
    let refunds: HashSet<Uuid> = store
        .cancellations
        .iter()
        .filter(|(_, cents)| **cents > 0)
        .map(|(b, _)| *b)
        .collect();
    results.push(Check::new(
        "one credit note per refund",
        credited.len() == credited_set.len() && credited_set == refunds,
        format!(
            "{} credit notes ({} distinct bookings), {} refunds",
            credited.len(),
            credited_set.len(),
            refunds.len()
        ),
    ));
    results.push(verify_finance(settings, &db_url, dir).await);
    let received = checks::emails_received(&dir.join("mail"))?;
    let emails = checks::tally_emails(&store.emails, &received);
    let statuses = checks::notification_statuses(&core).await?;
    let dead = statuses.get("dead").copied().unwrap_or(0);
    results.push(Check::new(
        "one email per (event, recipient)",
        emails.missing.is_empty() && emails.unexpected == 0 && dead == 0,
        format!(
            "{} expected, {} received, {} missing{}, {} duplicates on {} pairs (at-least-once), {} unexpected; notifications {:?}",
            emails.expected,
            received.values().sum::<u32>(),
            emails.missing.len(),
            if emails.missing.is_empty() {
                String::new()
            } else {
                format!(
                    " (e.g. {})",
                    emails.missing.iter().take(3).cloned().collect::<Vec<_>>().join(", ")
                )
            },
            emails.duplicates,
            emails.duplicated_pairs,
            emails.unexpected,
            statuses
        ),
    ));

    println!();
    println!("faults carried out:");
    for done in &incidents.done {
        println!("  {done}");
    }
    let restarts: Vec<String> = processes
        .lock()
        .await
        .iter()
        .map(|p| format!("{} {}", p.name, p.starts))
        .collect();
    println!("starts per process: {}", restarts.join(", "));
    println!("answers by operation and status:");
    for ((op, status), n) in &tally.statuses {
        println!("  {op:<12} {status}  {n}");
    }
    println!(
        "figures: load {load_secs:.0} s, {} bookings, {} cancellations, {} × 503, {} retries, {} transport errors, {} duplicate emails, settled in {settle_secs:.1} s",
        client_bookings.len(),
        tally.cancelled.len(),
        tally.count(503),
        tally.retries,
        tally.transport_errors.values().sum::<u64>(),
        emails.duplicates
    );
    for process in processes.lock().await.iter_mut() {
        process.kill().await;
    }
    Ok(results)
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Why the system has not settled yet, or `None` once: the outbox empty,
/// every consumer of the run's streams with nothing pending or
/// unacknowledged, the finance projection at the end of the store, and
/// every notification sent or dead.
async fn unsettled(
    pool: &PgPool,
    jetstream: &async_nats::jetstream::Context,
    names: &Names,
    core: &mongodb::Database,
) -> anyhow::Result<Option<String>> {
    let (outbox,): (i64,) = sqlx::query_as("SELECT count(*) FROM outbox")
        .fetch_one(pool)
        .await?;
    if outbox > 0 {
        return Ok(Some(format!("{outbox} events in the outbox")));
    }
    for stream in [&names.events_stream, &names.users_stream] {
        let stream = jetstream.get_stream(stream).await?;
        let consumers: Vec<_> = stream.consumers().try_collect().await?;
        for c in consumers {
            if c.num_pending > 0 || c.num_ack_pending > 0 {
                return Ok(Some(format!(
                    "consumer {}: {} pending, {} unacknowledged",
                    c.name, c.num_pending, c.num_ack_pending
                )));
            }
        }
    }
    let (behind,): (i64,) = sqlx::query_as(
        "SELECT coalesce((SELECT max(global_position) FROM events), 0)
              - (SELECT position FROM finance.checkpoint)",
    )
    .fetch_one(pool)
    .await?;
    if behind > 0 {
        return Ok(Some(format!("finance {behind} events behind")));
    }
    let statuses = checks::notification_statuses(core).await?;
    let open: u64 = ["pending", "failed"]
        .iter()
        .filter_map(|s| statuses.get(*s))
        .sum();
    if open > 0 {
        return Ok(Some(format!("{open} notifications not sent yet")));
    }
    Ok(None)
}

/// `projectors rebuild finance --verify`: the live projection against a
/// fresh replay.
async fn verify_finance(settings: &Settings, db_url: &str, dir: &Path) -> Check {
    const NAME: &str = "finance = a fresh replay";
    let log = dir.join("rebuild-finance.log");
    let Ok(file) = std::fs::File::create(&log) else {
        return Check::new(NAME, false, format!("cannot create {}", log.display()));
    };
    let Ok(err) = file.try_clone() else {
        return Check::new(NAME, false, "cannot open the log twice");
    };
    let status = tokio::process::Command::new(settings.bin_dir.join("projectors"))
        .args(["rebuild", "finance", "--verify"])
        .env("DATABASE_URL", db_url)
        .env("LOG_SHIPPING", "off")
        .stdout(file)
        .stderr(err)
        .status()
        .await;
    match status {
        Ok(s) if s.success() => Check::new(NAME, true, "rebuild --verify: identical"),
        Ok(s) => Check::new(
            NAME,
            false,
            format!("rebuild --verify {s}; see {}", log.display()),
        ),
        Err(e) => Check::new(NAME, false, format!("cannot run projectors: {e}")),
    }
}

/// Carries out the schedule, one step after the other.
async fn carry_out(
    steps: &[Step],
    start: Instant,
    stack: &Processes,
    incidents: &Arc<Mutex<Incidents>>,
) {
    for step in steps {
        tokio::time::sleep_until(start + step.at).await;
        let began = start.elapsed().as_secs_f64();
        let (name, down) = match step.fault {
            Fault::Kill { service, down } => (service.name(), down),
            Fault::MongoOutage(down) => ("mongodb", down),
            Fault::SmtpOutage(down) => ("maildev", down),
        };
        {
            let mut processes = stack.lock().await;
            let Some(p) = processes.iter_mut().find(|p| p.name == name) else {
                continue;
            };
            match step.fault {
                Fault::Kill { .. } => p.kill().await,
                _ => p.stop().await,
            }
        }
        tokio::time::sleep(down).await;
        let probe = {
            let mut processes = stack.lock().await;
            let p = processes
                .iter_mut()
                .find(|p| p.name == name)
                .expect("found above");
            if let Err(e) = p.spawn() {
                lock(incidents)
                    .failures
                    .push(format!("{name} did not restart: {e:#}"));
                continue;
            }
            p.probe()
        };
        let back = procs::wait_up(&probe.0, probe.1.as_deref(), probe.2, START_TIMEOUT).await;
        let up = start.elapsed().as_secs_f64();
        let line = format!("+{began:>5.1} s  {}; up again at +{up:.1} s", step.fault);
        println!("  {line}");
        let mut incidents = lock(incidents);
        incidents.done.push(line);
        if let Err(e) = back {
            incidents
                .failures
                .push(format!("{name} did not come back: {e:#}"));
        }
    }
}

/// Restarts a process that ended without the run taking it down, and
/// records it: no fault should make a process exit.
async fn watch(stack: Processes, incidents: Arc<Mutex<Incidents>>) {
    loop {
        tokio::time::sleep(Duration::from_millis(500)).await;
        let mut processes = stack.lock().await;
        for p in processes.iter_mut() {
            if let Some(status) = p.exited() {
                lock(&incidents).failures.push(format!(
                    "{} exited on its own ({status}); see {}",
                    p.name,
                    p.log().display()
                ));
                let _ = p.spawn();
            }
        }
    }
}

/// Two rockets and six launches 500 days ahead: five large ones and one
/// of twelve seats, which sells out (409s).
async fn schedule_launches(
    http: &reqwest::Client,
    api: &str,
    token: &str,
) -> anyhow::Result<Vec<Uuid>> {
    let post = |path: &'static str, body: serde_json::Value| {
        let request = http
            .post(format!("{api}{path}"))
            .bearer_auth(token)
            .json(&body);
        async move {
            let response = request.send().await?;
            let status = response.status();
            let body: serde_json::Value = response.json().await.unwrap_or_default();
            if !status.is_success() {
                bail!("POST {path}: {status} {body}");
            }
            Ok::<_, anyhow::Error>(body)
        }
    };
    let mut launches = Vec::new();
    for (name, capacity, count) in [("Chaos Heavy", 5_000, 5), ("Chaos Hopper", 12, 1)] {
        let rocket = post(
            "/v1/rockets",
            json!({ "name": name, "capacity": capacity, "range": "mars" }),
        )
        .await?;
        for _ in 0..count {
            let launch = post(
                "/v1/launches",
                json!({
                    "rocket_id": rocket["rocket_id"],
                    "spaceport": "Chaos Port",
                    "destination": "moon",
                    "departure_at": chrono::Utc::now() + chrono::Duration::days(500),
                    "price_per_seat_cents": 10_000_000,
                }),
            )
            .await?;
            launches.push(
                launch["launch_id"]
                    .as_str()
                    .and_then(|s| s.parse().ok())
                    .with_context(|| format!("no launch_id in {launch}"))?,
            );
        }
    }
    Ok(launches)
}
