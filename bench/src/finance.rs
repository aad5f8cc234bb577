//! The finance part: `projectors rebuild finance` over a synthetic event
//! store (see [`testkit::synthetic`]) in its own database
//! (`astro_bench_finance`, migrated with the repository's migrations),
//! against floors measured in the same run on the same data:
//!
//! 1. the read floor: streaming the events in global order with sqlx and
//!    decoding each payload into a `LaunchEvent` (the sales rebuild's floor,
//!    [`crate::rebuild::read_floor`]) — the least a replay must do;
//! 2. the insert floor: the store's invoices (one per `SeatsBooked`) and
//!    their lines (one per passenger), prepared in memory beforehand, then
//!    inserted into a scratch copy of the finance tables
//!    (`finance_create_schema('finance_bench_raw')`: the same columns,
//!    keys and indexes) with one `UNNEST` insert of 1,000 invoices and one
//!    of their lines per transaction — the least writing them costs;
//! 3. both together, one after the other: what a replay that neither
//!    overlapped reading with writing nor wrote anything else would take.
//!
//! Then the release binary runs twice: `projectors rebuild finance` (the
//! live tables are empty: it replays into `finance_rebuild` and swaps it
//! in), whose invoices and credit notes are checked against the store —
//! counts per year, numbers gapless from 1 — and `projectors rebuild
//! finance --verify` (replays again and compares with the first run's
//! tables), which must report `identical: true`.
//!
//! The store straddles a new year ([`Clock::NewYear`]): half the events
//! occur on 31 December 2025 and half on 1 January 2026, so both years'
//! numbering is exercised. The database is dropped at the end, also after
//! a failure (unless `BENCH_FINANCE_KEEP=true` after a success).
//!
//! [`Clock::NewYear`]: testkit::synthetic::Clock::NewYear

use std::collections::{BTreeMap, HashMap};
use std::process::Stdio;
use std::time::Instant;

use anyhow::{bail, Context};
use chrono::{DateTime, Datelike, Utc};
use events::HolderKind;
use read_models::sales::{BookingDoc, LaunchDoc};
use serde::Deserialize;
use serde_json::Value;
use sqlx::postgres::PgConnectOptions;
use sqlx::{ConnectOptions, Connection, PgConnection, Row};
use testkit::synthetic::{self, Spec, Synthetic};
use uuid::Uuid;

use crate::rebuild::{read_floor, MIGRATOR};
use crate::{database_url, drop_database, fresh_database, Config};

/// The synthetic event store and the finance tables.
const DB: &str = "astro_bench_finance";
/// The insert floor's scratch tables.
const RAW_SCHEMA: &str = "finance_bench_raw";
/// Invoices per transaction in the insert floor.
const RAW_BATCH: usize = 1_000;
/// The year whose last day holds the first half of the events.
const YEAR: i32 = 2025;
/// The finance rebuild's target.
const TARGET_EVENTS_PER_SEC: f64 = 20_000.0;

/// The JSON line `projectors rebuild finance` prints last.
#[derive(Debug, Clone, Deserialize)]
pub struct FinanceReport {
    /// Events replayed.
    pub events: u64,
    /// Invoices issued by the replay.
    pub invoices: u64,
    /// Credit notes issued by the replay.
    pub credit_notes: u64,
    /// Where both projections stood at the end.
    pub position: i64,
    /// Seconds of the replay (up to the final transaction).
    pub replay_secs: f64,
    /// `events / replay_secs`.
    pub events_per_sec: f64,
    /// With `--verify`: whether the replay equals the live tables.
    pub identical: Option<bool>,
    /// With `--verify`: the tables that differ.
    #[serde(default)]
    pub differences: Vec<Value>,
    /// Rows per table of the replay.
    #[serde(default)]
    pub rows: BTreeMap<String, i64>,
    /// Whether the live tables were replaced.
    pub swapped: bool,
    /// Whether `finance_rebuild` was kept for inspection.
    pub kept_rebuild_schema: bool,
}

/// One run of the binary.
#[derive(Debug, Clone)]
struct Run {
    report: FinanceReport,
    /// Process start to exit.
    wall_secs: f64,
}

/// Runs the part and returns its markdown table. The database is dropped
/// at the end, also after a failure.
pub async fn run(config: &Config) -> anyhow::Result<String> {
    println!();
    println!(
        "## Finance rebuild — {} synthetic events over {} launches, FINANCE_BATCH_SIZE={}",
        config.finance_events, config.finance_launches, config.finance_batch_size
    );
    let db = fresh_database(&config.server, DB).await?;
    let result = measure(config, &db).await;
    if result.is_ok() && config.finance_keep {
        println!(
            "BENCH_FINANCE_KEEP: kept the database {DB} ({})",
            database_url(DB)
        );
        return result;
    }
    let cleanup = drop_database(&config.server, DB).await;
    let table = result?;
    cleanup?;
    Ok(table)
}

async fn measure(config: &Config, db: &PgConnectOptions) -> anyhow::Result<String> {
    let mut conn = db.clone().connect().await?;
    MIGRATOR
        .run(&mut conn)
        .await
        .context("migrating the event store")?;
    let spec = Spec::new(config.finance_events, config.finance_launches).across_new_year(YEAR);
    let synthetic = synthetic::build_with(&mut conn, spec).await?;
    println!(
        "synthetic store: {} events ({} launches, {} bookings, {} cancellations; {} to {}) written in {:.1} s",
        synthetic.events,
        synthetic.launches.len(),
        synthetic.bookings.len(),
        synthetic.cancellations,
        synthetic.occurred.0.format("%Y-%m-%d %H:%M:%S%.3f"),
        synthetic.occurred.1.format("%Y-%m-%d %H:%M:%S%.3f"),
        synthetic.secs
    );

    let (floor_events, floor_secs) = read_floor(db).await?;
    println!(
        "read floor: {floor_events} events in {floor_secs:.2} s = {:.0} events/s",
        floor_events as f64 / floor_secs
    );
    let raw = raw_insert(&mut conn, &synthetic, Keys::During).await?;
    println!(
        "insert floor: {} invoices + {} lines in {:.2} s = {:.0} invoices/s",
        raw.invoices,
        raw.lines,
        raw.secs,
        raw.invoices as f64 / raw.secs
    );
    let deferred = raw_insert(&mut conn, &synthetic, Keys::After).await?;
    println!(
        "insert floor, keys and indexes built after the load: {:.2} s (of which building them {:.2} s) = {:.0} invoices/s",
        deferred.secs,
        deferred.keys_secs,
        deferred.invoices as f64 / deferred.secs
    );

    let plain = rebuild(config, false).await?;
    print_run("rebuild finance", &plain);
    let expected = (
        synthetic.events,
        synthetic.bookings.len() as u64,
        synthetic.cancellations,
    );
    let got = (
        plain.report.events,
        plain.report.invoices,
        plain.report.credit_notes,
    );
    if got != expected || !plain.report.swapped || plain.report.identical.is_some() {
        bail!(
            "the rebuild replayed {} events into {} invoices and {} credit notes (swapped: {}); \
             expected {} events, {} invoices, {} credit notes, swapped",
            got.0,
            got.1,
            got.2,
            plain.report.swapped,
            expected.0,
            expected.1,
            expected.2
        );
    }
    let rows = |table: &str| plain.report.rows.get(table).copied().unwrap_or(-1);
    if plain.report.position != synthetic.events as i64
        || rows("invoices") != synthetic.bookings.len() as i64
        || rows("invoice_lines") != raw.lines as i64
        || rows("credit_notes") != synthetic.cancellations as i64
        || plain.report.kept_rebuild_schema
    {
        bail!(
            "the rebuild stands at position {} with rows {:?} (kept its schema: {}); expected \
             position {}, {} invoices, {} lines, {} credit notes",
            plain.report.position,
            plain.report.rows,
            plain.report.kept_rebuild_schema,
            synthetic.events,
            synthetic.bookings.len(),
            raw.lines,
            synthetic.cancellations
        );
    }
    let numbering = check_numbering(&mut conn, &synthetic).await?;
    println!("numbering: {numbering}");
    conn.close().await?;

    let verify = rebuild(config, true).await?;
    print_run("rebuild finance --verify", &verify);
    if verify.report.identical != Some(true)
        || verify.report.events != synthetic.events
        || verify.report.kept_rebuild_schema
        || verify.report.swapped
    {
        bail!(
            "rebuild finance --verify: identical {:?} after {} events; differences: {}",
            verify.report.identical,
            verify.report.events,
            serde_json::to_string(&verify.report.differences)?
        );
    }

    let floors = Floors {
        read: (floor_events, floor_secs),
        insert: raw,
        deferred,
    };
    let table = markdown(config, &synthetic, &floors, &plain, &verify, &numbering);
    println!();
    println!("{table}");
    Ok(table)
}

fn print_run(what: &str, run: &Run) {
    let report = &run.report;
    println!(
        "{what}: {} events in {:.2} s = {:.0} events/s (replay); process {:.2} s; \
         {} invoices, {} credit notes; identical: {:?}",
        report.events,
        report.replay_secs,
        report.events_per_sec,
        run.wall_secs,
        report.invoices,
        report.credit_notes,
        report.identical
    );
}

/// Runs `projectors rebuild finance [--verify]` and reads its report.
async fn rebuild(config: &Config, verify: bool) -> anyhow::Result<Run> {
    let mut args = vec!["rebuild", "finance"];
    if verify {
        args.push("--verify");
    }
    let command = args.join(" ");
    let started = Instant::now();
    let output = tokio::process::Command::new(&config.projectors_bin)
        .args(&args)
        .env("DATABASE_URL", database_url(DB))
        .env("FINANCE_BATCH_SIZE", config.finance_batch_size.to_string())
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .output()
        .await
        .with_context(|| {
            format!(
                "running {} {command} (build it: cargo build --release -p projectors)",
                config.projectors_bin
            )
        })?;
    let wall_secs = started.elapsed().as_secs_f64();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    // The progress lines (one per batch) go to stderr: show the last.
    if let Some(last) = stderr.lines().rev().find(|l| !l.trim().is_empty()) {
        println!("  {last}");
    }
    let report = parse_report(&stdout);
    match report {
        Some(report) if output.status.success() || report.identical == Some(false) => {
            Ok(Run { report, wall_secs })
        }
        _ => bail!(
            "projectors {command} failed ({}): {stdout}\n{}",
            output.status,
            tail(&stderr, 20)
        ),
    }
}

/// The last `n` lines of `text`.
fn tail(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

/// The last line of `stdout` that is a finance report (log lines may come
/// before it).
fn parse_report(stdout: &str) -> Option<FinanceReport> {
    stdout
        .lines()
        .rev()
        .find_map(|line| serde_json::from_str::<FinanceReport>(line.trim()).ok())
}

/// What the insert floor did.
#[derive(Debug, Clone, Copy)]
struct RawInsert {
    invoices: u64,
    lines: u64,
    /// Inserting, and building the keys and indexes after the load.
    secs: f64,
    /// Of which building the keys and indexes.
    keys_secs: f64,
}

/// When the insert floor's tables get their keys, foreign keys and
/// indexes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Keys {
    /// As the finance tables have them: from the start.
    During,
    /// Dropped before the load, built again after it.
    After,
}

/// The columns of 1,000 invoices and of their lines.
#[derive(Default)]
struct RawBatch {
    number: Vec<String>,
    year: Vec<i32>,
    seq: Vec<i32>,
    position: Vec<i64>,
    event_id: Vec<Uuid>,
    issued_at: Vec<DateTime<Utc>>,
    booking_id: Vec<Uuid>,
    launch_id: Vec<Uuid>,
    holder_id: Vec<Uuid>,
    holder_kind: Vec<&'static str>,
    seats: Vec<i32>,
    unit_price: Vec<i64>,
    total: Vec<i64>,
    rocket: Vec<String>,
    spaceport: Vec<String>,
    destination: Vec<String>,
    departure: Vec<DateTime<Utc>>,
    line_invoice: Vec<String>,
    line_no: Vec<i32>,
    line_description: Vec<String>,
    line_passenger: Vec<String>,
    line_quantity: Vec<i32>,
    line_unit_price: Vec<i64>,
    line_amount: Vec<i64>,
}

impl RawBatch {
    fn push(
        &mut self,
        booking: &BookingDoc,
        launch: &LaunchDoc,
        seq: i32,
        position: i64,
    ) -> anyhow::Result<()> {
        let issued_at = booking.booked_at.to_chrono();
        let year = issued_at.year();
        let number = format!("INV-{year:04}-{seq:06}");
        let departure = launch.departure_at.to_chrono();
        let description = format!(
            "Seat to {} on {} from {}, departing {}",
            launch.destination,
            launch.rocket_name,
            launch.spaceport,
            departure.format("%Y-%m-%d %H:%M UTC")
        );
        for (i, passenger) in booking.passengers.iter().enumerate() {
            self.line_invoice.push(number.clone());
            self.line_no.push(i as i32 + 1);
            self.line_description.push(description.clone());
            self.line_passenger.push(passenger.name.clone());
            self.line_quantity.push(1);
            self.line_unit_price.push(booking.unit_price_cents);
            self.line_amount.push(booking.unit_price_cents);
        }
        self.number.push(number);
        self.year.push(year);
        self.seq.push(seq);
        self.position.push(position);
        self.event_id.push(Uuid::now_v7());
        self.issued_at.push(issued_at);
        self.booking_id.push(booking.id.parse()?);
        self.launch_id.push(booking.launch_id.parse()?);
        self.holder_id.push(booking.holder_id.parse()?);
        self.holder_kind.push(match booking.holder_kind {
            HolderKind::Traveler => "traveler",
            HolderKind::Agency => "agency",
        });
        self.seats.push(i32::try_from(booking.seats)?);
        self.unit_price.push(booking.unit_price_cents);
        self.total.push(booking.total_cents);
        self.rocket.push(launch.rocket_name.clone());
        self.spaceport.push(launch.spaceport.clone());
        self.destination.push(launch.destination.clone());
        self.departure.push(departure);
        Ok(())
    }

    async fn insert(&self, conn: &mut PgConnection) -> anyhow::Result<()> {
        let mut tx = conn.begin().await?;
        sqlx::query(&format!(
            "INSERT INTO {RAW_SCHEMA}.invoices (number, year, seq, position, event_id, issued_at,
                    booking_id, launch_id, holder_id, holder_kind, seats, unit_price_cents,
                    total_cents, rocket_name, spaceport, destination, departure_at)
             SELECT * FROM UNNEST($1::text[], $2::int[], $3::int[], $4::bigint[], $5::uuid[],
                    $6::timestamptz[], $7::uuid[], $8::uuid[], $9::uuid[], $10::text[], $11::int[],
                    $12::bigint[], $13::bigint[], $14::text[], $15::text[], $16::text[],
                    $17::timestamptz[])"
        ))
        .bind(&self.number)
        .bind(&self.year)
        .bind(&self.seq)
        .bind(&self.position)
        .bind(&self.event_id)
        .bind(&self.issued_at)
        .bind(&self.booking_id)
        .bind(&self.launch_id)
        .bind(&self.holder_id)
        .bind(&self.holder_kind)
        .bind(&self.seats)
        .bind(&self.unit_price)
        .bind(&self.total)
        .bind(&self.rocket)
        .bind(&self.spaceport)
        .bind(&self.destination)
        .bind(&self.departure)
        .execute(&mut *tx)
        .await
        .context("inserting raw invoices")?;
        sqlx::query(&format!(
            "INSERT INTO {RAW_SCHEMA}.invoice_lines (invoice_number, line_no, description,
                    passenger_name, quantity, unit_price_cents, amount_cents)
             SELECT * FROM UNNEST($1::text[], $2::int[], $3::text[], $4::text[], $5::int[],
                    $6::bigint[], $7::bigint[])"
        ))
        .bind(&self.line_invoice)
        .bind(&self.line_no)
        .bind(&self.line_description)
        .bind(&self.line_passenger)
        .bind(&self.line_quantity)
        .bind(&self.line_unit_price)
        .bind(&self.line_amount)
        .execute(&mut *tx)
        .await
        .context("inserting raw invoice lines")?;
        tx.commit().await?;
        Ok(())
    }
}

/// The insert floor: the store's invoices and lines, prepared first, then
/// inserted 1,000 invoices per transaction into a scratch copy of the
/// finance tables (dropped after), with their keys and indexes during the
/// load or built after it.
async fn raw_insert(
    conn: &mut PgConnection,
    synthetic: &Synthetic,
    keys: Keys,
) -> anyhow::Result<RawInsert> {
    sqlx::query("SELECT finance_create_schema($1)")
        .bind(RAW_SCHEMA)
        .execute(&mut *conn)
        .await
        .context("creating the insert floor's tables")?;
    let rebuild_keys = match keys {
        Keys::During => Vec::new(),
        Keys::After => drop_keys(conn).await?,
    };
    let launches: HashMap<&str, &LaunchDoc> = synthetic
        .launches
        .iter()
        .map(|l| (l.id.as_str(), l))
        .collect();
    let mut seqs: HashMap<i32, i32> = HashMap::new();
    let mut batches = Vec::new();
    let mut lines = 0u64;
    for (i, chunk) in synthetic.bookings.chunks(RAW_BATCH).enumerate() {
        let mut batch = RawBatch::default();
        for (j, booking) in chunk.iter().enumerate() {
            let launch = launches
                .get(booking.launch_id.as_str())
                .with_context(|| format!("no launch {}", booking.launch_id))?;
            let seq = seqs
                .entry(booking.booked_at.to_chrono().year())
                .or_default();
            *seq += 1;
            batch.push(booking, launch, *seq, (i * RAW_BATCH + j + 1) as i64)?;
        }
        lines += batch.line_no.len() as u64;
        batches.push(batch);
    }
    let started = Instant::now();
    for batch in &batches {
        batch.insert(conn).await?;
    }
    let keys_started = Instant::now();
    for statement in &rebuild_keys {
        sqlx::query(statement)
            .execute(&mut *conn)
            .await
            .with_context(|| format!("building a key after the load: {statement}"))?;
    }
    let raw = RawInsert {
        invoices: synthetic.bookings.len() as u64,
        lines,
        secs: started.elapsed().as_secs_f64(),
        keys_secs: keys_started.elapsed().as_secs_f64(),
    };
    sqlx::query(&format!("DROP SCHEMA {RAW_SCHEMA} CASCADE"))
        .execute(&mut *conn)
        .await?;
    Ok(raw)
}

/// Drops every primary key, unique and foreign key constraint and every
/// other index of the scratch schema (whatever the migrations define);
/// returns the statements that build them again, in order.
async fn drop_keys(conn: &mut PgConnection) -> anyhow::Result<Vec<String>> {
    let constraints = sqlx::query(
        "SELECT conrelid::regclass::text AS rel, quote_ident(conname) AS name,
                pg_get_constraintdef(oid) AS def, contype::text AS kind
           FROM pg_constraint
          WHERE connamespace = $1::regnamespace AND contype IN ('p', 'u', 'f')
          ORDER BY CASE contype WHEN 'f' THEN 0 ELSE 1 END, conname",
    )
    .bind(RAW_SCHEMA)
    .fetch_all(&mut *conn)
    .await?;
    let indexes = sqlx::query(
        "SELECT i.indexrelid::regclass::text AS name, pg_get_indexdef(i.indexrelid) AS def
           FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
          WHERE c.relnamespace = $1::regnamespace
            AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)
          ORDER BY 1",
    )
    .bind(RAW_SCHEMA)
    .fetch_all(&mut *conn)
    .await?;
    let mut build = Vec::new();
    let mut foreign = Vec::new();
    // Foreign keys first (they depend on the keys they reference).
    for row in &constraints {
        let (rel, name, def, kind): (String, String, String, String) = (
            row.try_get("rel")?,
            row.try_get("name")?,
            row.try_get("def")?,
            row.try_get("kind")?,
        );
        sqlx::query(&format!("ALTER TABLE {rel} DROP CONSTRAINT {name}"))
            .execute(&mut *conn)
            .await?;
        let add = format!("ALTER TABLE {rel} ADD CONSTRAINT {name} {def}");
        if kind == "f" {
            foreign.push(add);
        } else {
            build.push(add);
        }
    }
    for row in &indexes {
        let (name, def): (String, String) = (row.try_get("name")?, row.try_get("def")?);
        sqlx::query(&format!("DROP INDEX {name}"))
            .execute(&mut *conn)
            .await?;
        build.push(def);
    }
    build.extend(foreign);
    Ok(build)
}

/// Per year: the invoices and credit notes the rebuild wrote match the
/// store, numbered 1..=n without gaps. Returns a summary.
async fn check_numbering(conn: &mut PgConnection, synthetic: &Synthetic) -> anyhow::Result<String> {
    let mut summary = Vec::new();
    for (table, prefix) in [("invoices", "INV"), ("credit_notes", "CN")] {
        let rows = sqlx::query(&format!(
            "SELECT year, count(*) AS n, min(seq) AS first, max(seq) AS last,
                    count(DISTINCT seq) AS distinct_seqs
               FROM finance.{table} GROUP BY year ORDER BY year"
        ))
        .fetch_all(&mut *conn)
        .await?;
        let mut found = BTreeMap::new();
        for row in rows {
            let year: i32 = row.try_get("year")?;
            let n: i64 = row.try_get("n")?;
            let first: i32 = row.try_get("first")?;
            let last: i32 = row.try_get("last")?;
            let distinct: i64 = row.try_get("distinct_seqs")?;
            if first != 1 || i64::from(last) != n || distinct != n {
                bail!("finance.{table} {year}: {n} rows numbered {first}..{last} ({distinct} distinct): not gapless from 1");
            }
            found.insert(year, n as u64);
        }
        let expected: BTreeMap<i32, u64> = synthetic
            .years
            .iter()
            .map(|(year, tally)| {
                let n = if prefix == "INV" {
                    tally.bookings
                } else {
                    tally.cancellations
                };
                (*year, n)
            })
            .filter(|(_, n)| *n > 0)
            .collect();
        if found != expected {
            bail!("finance.{table} per year: {found:?}, expected {expected:?}");
        }
        for (year, n) in found {
            summary.push(format!("{prefix}-{year} 1..{n}"));
        }
    }
    Ok(format!("{}, gapless", summary.join(", ")))
}

/// The baselines of one run.
struct Floors {
    /// Events read and decoded, seconds.
    read: (u64, f64),
    /// The insert floor, keys during the load.
    insert: RawInsert,
    /// The insert floor, keys after the load.
    deferred: RawInsert,
}

fn markdown(
    config: &Config,
    synthetic: &Synthetic,
    floors: &Floors,
    plain: &Run,
    verify: &Run,
    numbering: &str,
) -> String {
    let (floor_events, floor_secs) = floors.read;
    let (raw, deferred) = (&floors.insert, &floors.deferred);
    let events = synthetic.events as f64;
    let rate = |secs: f64| events / secs.max(1e-9);
    let read_rate = floor_events as f64 / floor_secs.max(1e-9);
    let insert_rate = rate(raw.secs);
    let both_secs = floor_secs + raw.secs;
    let both_rate = rate(both_secs);
    let pct = |a: f64, b: f64| format!("{:.0}%", a / b.max(1e-9) * 100.0);
    let ratios = |r: f64| {
        format!(
            "{} | {} | {}",
            pct(r, read_rate),
            pct(r, insert_rate),
            pct(r, both_rate)
        )
    };
    let mut out = format!(
        "### Finance rebuild — {} events ({} launches), {} invoices, {} credit notes, FINANCE_BATCH_SIZE={}\n\n\
         | measured | events | invoices | credit notes | seconds | events/s | vs read floor | vs insert floor | vs read + insert |\n\
         |---|---:|---:|---:|---:|---:|---:|---:|---:|\n",
        synthetic.events,
        synthetic.launches.len(),
        synthetic.bookings.len(),
        synthetic.cancellations,
        config.finance_batch_size
    );
    out.push_str(&format!(
        "| read floor: sqlx stream + `LaunchEvent` decode | {floor_events} | | | {floor_secs:.2} | {read_rate:.0} | 100% | | |\n"
    ));
    out.push_str(&format!(
        "| insert floor: invoices + {} lines, `UNNEST` per 1,000 | | {} | | {:.2} | {insert_rate:.0} | | 100% | |\n",
        raw.lines, raw.invoices, raw.secs
    ));
    out.push_str(&format!(
        "| read floor + insert floor | | | | {both_secs:.2} | {both_rate:.0} | | | 100% |\n"
    ));
    let deferred_rate = rate(deferred.secs);
    out.push_str(&format!(
        "| insert floor, keys and indexes built after the load (of which {:.2} s) | | {} | | {:.2} | {deferred_rate:.0} | | {} | |\n",
        deferred.keys_secs,
        deferred.invoices,
        deferred.secs,
        pct(deferred_rate, insert_rate)
    ));
    let deferred_both = floor_secs + deferred.secs;
    out.push_str(&format!(
        "| read floor + that insert floor | | | | {deferred_both:.2} | {:.0} | | | {} |\n",
        rate(deferred_both),
        pct(rate(deferred_both), both_rate)
    ));
    for (name, run) in [
        ("`projectors rebuild finance`", plain),
        ("`projectors rebuild finance --verify`", verify),
    ] {
        let r = &run.report;
        out.push_str(&format!(
            "| {name}: replay | {} | {} | {} | {:.2} | {:.0} | {} |\n",
            r.events,
            r.invoices,
            r.credit_notes,
            r.replay_secs,
            r.events_per_sec,
            ratios(r.events_per_sec)
        ));
        out.push_str(&format!(
            "| — the whole process{} | {} | | | {:.2} | {:.0} | {} |\n",
            if r.identical.is_some() {
                " (with the comparison)"
            } else {
                " (with the swap)"
            },
            r.events,
            run.wall_secs,
            rate(run.wall_secs),
            ratios(rate(run.wall_secs))
        ));
    }
    let met = |r: f64| {
        if r >= TARGET_EVENTS_PER_SEC {
            "met"
        } else {
            "NOT met"
        }
    };
    out.push_str(&format!(
        "\nTarget ≥ {TARGET_EVENTS_PER_SEC:.0} events/s (the replay): {} ({:.0} events/s; \
         the whole process: {}). `--verify`: identical, in {:.2} s. Numbering: {numbering}.\n",
        met(plain.report.events_per_sec),
        plain.report.events_per_sec,
        met(rate(plain.wall_secs)),
        verify.wall_secs,
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::parse_report;

    #[test]
    fn the_report_is_the_last_json_line() {
        let stdout = "{\"level\":\"WARN\",\"message\":\"x\"}\n\
            {\"events\":10,\"invoices\":7,\"credit_notes\":1,\"position\":10,\"replay_secs\":0.1,\
             \"events_per_sec\":100.0,\"identical\":true,\"differences\":[],\
             \"rows\":{\"invoices\":7,\"checkpoint\":1},\"swapped\":false,\"kept_rebuild_schema\":false}\n";
        let report = parse_report(stdout).unwrap();
        assert_eq!(report.events, 10);
        assert_eq!(report.invoices, 7);
        assert_eq!(report.identical, Some(true));
        assert_eq!(report.rows["invoices"], 7);
        let plain = stdout.replace("\"identical\":true", "\"identical\":null");
        assert_eq!(parse_report(&plain).unwrap().identical, None);
        assert!(parse_report("nothing\n").is_none());
    }
}
