//! The rebuild part: `projectors rebuild sales` over a synthetic event store
//! (see [`testkit::synthetic`]) in its own database (`astro_bench_rebuild`,
//! read model `sales_bench_rebuild`), against two floors measured in the
//! same run on the same data:
//!
//! 1. the read floor: streaming the launch events in global order with sqlx
//!    and decoding each payload into a [`LaunchEvent`] — the least a replay
//!    must do;
//! 2. the write floor: `insert_many` of the very documents the rebuild
//!    writes, with the rebuild's batching (1,000 per insert, 4 in flight,
//!    unordered), into `sales_bench_raw`.

use std::process::Stdio;
use std::time::Instant;

use anyhow::{bail, Context};
use bson::Document;
use futures::{StreamExt, TryStreamExt};
use mongodb::options::InsertManyOptions;
use mongodb::Database;
use read_models::sales::{BOOKINGS, LAUNCHES};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sqlx::postgres::PgConnectOptions;
use sqlx::{ConnectOptions, Connection};

use events::LaunchEvent;

use testkit::synthetic::{self, Synthetic};

use crate::stack;
use crate::{database_url, drop_database, fresh_database, Config};

/// The synthetic event store.
const DB: &str = "astro_bench_rebuild";
/// The rebuilt read model.
const REBUILD_MONGO_DB: &str = "sales_bench_rebuild";
/// The raw insert baseline's database.
const RAW_MONGO_DB: &str = "sales_bench_raw";
/// Issue 3's target.
const TARGET_EVENTS_PER_SEC: f64 = 20_000.0;
/// The rebuild's batching, mirrored by the raw insert.
const INSERT_BATCH: usize = 1_000;
const INSERTS_IN_FLIGHT: usize = 4;

/// The repository's migrations (the event store and the finance tables).
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../migrations");

/// The JSON line `projectors rebuild sales` prints at the end.
#[derive(Debug, Clone, Deserialize)]
pub struct RebuildReport {
    /// Events replayed.
    pub events: u64,
    /// Launch documents written.
    pub launches: u64,
    /// Booking documents written.
    pub bookings: u64,
    /// Launches brought up to date after the switch.
    pub reconciled: u64,
    /// Events that reconciliation applied.
    pub reconciled_events: u64,
    /// Reading and folding.
    pub replay_secs: f64,
    /// Writing the side collections and their indexes.
    pub write_secs: f64,
    /// Start to end.
    pub total_secs: f64,
    /// `events / total_secs`.
    pub events_per_sec: f64,
}

/// Runs the part and returns its markdown table. The databases are dropped
/// at the end, also after a failure.
pub async fn run(config: &Config) -> anyhow::Result<String> {
    println!();
    println!(
        "## Rebuild — {} synthetic events over {} launches",
        config.rebuild_events, config.rebuild_launches
    );
    let mongo = stack::mongo(config).await?;
    for name in [REBUILD_MONGO_DB, RAW_MONGO_DB] {
        stack::drop_mongo_database(&mongo, name).await?;
    }
    let db = fresh_database(&config.server, DB).await?;
    let result = measure(config, &db, &mongo).await;
    let cleanup = async {
        for name in [REBUILD_MONGO_DB, RAW_MONGO_DB] {
            stack::drop_mongo_database(&mongo, name).await?;
        }
        drop_database(&config.server, DB).await
    }
    .await;
    let table = result?;
    cleanup?;
    Ok(table)
}

async fn measure(
    config: &Config,
    db: &PgConnectOptions,
    mongo: &mongodb::Client,
) -> anyhow::Result<String> {
    let mut conn = db.clone().connect().await?;
    MIGRATOR
        .run(&mut conn)
        .await
        .context("migrating the event store")?;
    let synthetic =
        synthetic::build(&mut conn, config.rebuild_events, config.rebuild_launches).await?;
    conn.close().await?;
    println!(
        "synthetic store: {} events ({} launches, {} bookings, {} cancellations) written in {:.1} s",
        synthetic.events,
        synthetic.launches.len(),
        synthetic.bookings.len(),
        synthetic.cancellations,
        synthetic.secs
    );

    let (floor_events, floor_secs) = read_floor(db).await?;
    println!(
        "read floor: {floor_events} events in {floor_secs:.2} s = {:.0} events/s",
        floor_events as f64 / floor_secs
    );

    let wall = Instant::now();
    let report = rebuild(config).await?;
    let wall_secs = wall.elapsed().as_secs_f64();
    println!(
        "rebuild: {} events in {:.2} s = {:.0} events/s (replay {:.2} s, write {:.2} s; process {:.2} s)",
        report.events,
        report.total_secs,
        report.events_per_sec,
        report.replay_secs,
        report.write_secs,
        wall_secs
    );
    if report.events != synthetic.events
        || report.launches != synthetic.launches.len() as u64
        || report.bookings != synthetic.bookings.len() as u64
    {
        bail!(
            "the rebuild wrote {} launches and {} bookings from {} events; expected {}, {} from {}",
            report.launches,
            report.bookings,
            report.events,
            synthetic.launches.len(),
            synthetic.bookings.len(),
            synthetic.events
        );
    }

    let (raw_docs, raw_secs) = raw_insert(&mongo.database(RAW_MONGO_DB), synthetic).await?;
    println!(
        "raw insert_many: {raw_docs} documents in {raw_secs:.2} s = {:.0} docs/s",
        raw_docs as f64 / raw_secs
    );
    let table = markdown(
        &report,
        floor_events,
        floor_secs,
        raw_docs,
        raw_secs,
        wall_secs,
    );
    println!();
    println!("{table}");
    Ok(table)
}

/// Streams every launch event in global order and decodes its payload;
/// returns the events read and the seconds it took.
pub async fn read_floor(db: &PgConnectOptions) -> anyhow::Result<(u64, f64)> {
    type Row = (i64, String, i64, String, String, Value, Value);
    let mut conn = db.clone().connect().await?;
    let started = Instant::now();
    let mut read = 0u64;
    {
        let mut rows = sqlx::query_as::<_, Row>(
            "SELECT global_position, aggregate_id, sequence, event_type, event_version, payload, metadata
               FROM events WHERE aggregate_type = 'Launch' ORDER BY global_position",
        )
        .fetch(&mut conn);
        while let Some((position, _, _, _, _, payload, metadata)) = rows.try_next().await? {
            let event: LaunchEvent = serde_json::from_value(payload)
                .with_context(|| format!("decoding the event at global position {position}"))?;
            std::hint::black_box((event, metadata));
            read += 1;
        }
    }
    let secs = started.elapsed().as_secs_f64();
    conn.close().await?;
    Ok((read, secs))
}

/// Runs `projectors rebuild sales` and reads its report line.
async fn rebuild(config: &Config) -> anyhow::Result<RebuildReport> {
    let output = tokio::process::Command::new(&config.projectors_bin)
        .args(["rebuild", "sales"])
        .env("DATABASE_URL", database_url(DB))
        .env("MONGODB_URI", &config.mongodb_uri)
        .env("MONGODB_SALES_DB", REBUILD_MONGO_DB)
        .env("NATS_URL", &config.nats_url)
        .env("EVENTS_STREAM", stack::EVENTS_STREAM)
        .env("EVENTS_SUBJECT_PREFIX", stack::SUBJECT_PREFIX)
        .env("DEAD_LETTER_STREAM", stack::DEAD_LETTER_STREAM)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .await
        .with_context(|| {
            format!(
                "running {} rebuild sales (build it: cargo build --release -p projectors)",
                config.projectors_bin
            )
        })?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        bail!(
            "projectors rebuild sales failed ({}): {stdout}",
            output.status
        );
    }
    parse_report(&stdout)
        .with_context(|| format!("no report line in the rebuild's output: {stdout}"))
}

/// The last line of `stdout` that is a rebuild report (log lines may come
/// before it).
fn parse_report(stdout: &str) -> Option<RebuildReport> {
    stdout
        .lines()
        .rev()
        .find_map(|line| serde_json::from_str::<RebuildReport>(line.trim()).ok())
}

/// Inserts the documents a rebuild writes into `database`, as the rebuild
/// batches them; returns the documents and the seconds it took.
async fn raw_insert(database: &Database, synthetic: Synthetic) -> anyhow::Result<(u64, f64)> {
    let started = Instant::now();
    let mut written = insert_all(database, LAUNCHES, synthetic.launches).await?;
    written += insert_all(database, BOOKINGS, synthetic.bookings).await?;
    Ok((written, started.elapsed().as_secs_f64()))
}

async fn insert_all<T: Serialize>(
    database: &Database,
    name: &str,
    documents: Vec<T>,
) -> anyhow::Result<u64> {
    database
        .create_collection(name)
        .await
        .with_context(|| format!("creating {name}"))?;
    let collection = database.collection::<Document>(name);
    let mut batches = Vec::new();
    for chunk in documents.chunks(INSERT_BATCH) {
        batches.push(
            chunk
                .iter()
                .map(bson::to_document)
                .collect::<Result<Vec<_>, _>>()?,
        );
    }
    let mut inserts = futures::stream::iter(batches.into_iter().map(|batch| {
        let collection = collection.clone();
        async move {
            let count = batch.len() as u64;
            let options = InsertManyOptions::builder().ordered(false).build();
            collection.insert_many(batch).with_options(options).await?;
            Ok::<_, mongodb::error::Error>(count)
        }
    }))
    .buffer_unordered(INSERTS_IN_FLIGHT);
    let mut written = 0;
    while let Some(count) = inserts.next().await {
        written += count.with_context(|| format!("inserting into {name}"))?;
    }
    Ok(written)
}

fn markdown(
    report: &RebuildReport,
    floor_events: u64,
    floor_secs: f64,
    raw_docs: u64,
    raw_secs: f64,
    wall_secs: f64,
) -> String {
    let floor_rate = floor_events as f64 / floor_secs.max(1e-9);
    let docs = report.launches + report.bookings;
    let write_rate = docs as f64 / report.write_secs.max(1e-9);
    let raw_rate = raw_docs as f64 / raw_secs.max(1e-9);
    let replay_rate = report.events as f64 / report.replay_secs.max(1e-9);
    let pct = |a: f64, b: f64| format!("{:.0}%", a / b.max(1e-9) * 100.0);
    let mut out = format!(
        "### Rebuild of the sales read model — {} events, {} launches, {} bookings\n\n\
         | measured | items | seconds | per second | ratio |\n|---|---:|---:|---:|---:|\n",
        report.events, report.launches, report.bookings
    );
    out.push_str(&format!(
        "| read floor: sqlx stream + `LaunchEvent` decode | {floor_events} events | {floor_secs:.2} | {floor_rate:.0} | 100% |\n"
    ));
    out.push_str(&format!(
        "| `projectors rebuild sales`, total | {} events | {:.2} | {:.0} | {} of read floor |\n",
        report.events,
        report.total_secs,
        report.events_per_sec,
        pct(report.events_per_sec, floor_rate)
    ));
    out.push_str(&format!(
        "| — replay (read, decode, fold) | {} events | {:.2} | {replay_rate:.0} | {} of read floor |\n",
        report.events,
        report.replay_secs,
        pct(replay_rate, floor_rate)
    ));
    out.push_str(&format!(
        "| — write (side collections, indexes) | {docs} docs | {:.2} | {write_rate:.0} | {} of raw insert |\n",
        report.write_secs,
        pct(write_rate, raw_rate)
    ));
    out.push_str(&format!(
        "| — switch (renames), checkpoint, reconcile | | {:.2} | | |\n",
        (report.total_secs - report.replay_secs - report.write_secs).max(0.0)
    ));
    out.push_str(&format!(
        "| raw `insert_many` of the same documents | {raw_docs} docs | {raw_secs:.2} | {raw_rate:.0} | 100% |\n"
    ));
    out.push_str(&format!(
        "\nTarget ≥ {TARGET_EVENTS_PER_SEC:.0} events/s: {}. The process took {wall_secs:.2} s \
         (with start-up, the switch and reconciling {} launches / {} events).\n",
        if report.events_per_sec >= TARGET_EVENTS_PER_SEC {
            "met"
        } else {
            "NOT met"
        },
        report.reconciled,
        report.reconciled_events
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::parse_report;

    #[test]
    fn the_report_is_the_last_json_line() {
        let stdout = "{\"level\":\"WARN\",\"message\":\"x\"}\n\
            {\"events\":10,\"launches\":2,\"bookings\":7,\"reconciled\":0,\"reconciled_events\":0,\
             \"replay_secs\":0.1,\"write_secs\":0.2,\"total_secs\":0.4,\"events_per_sec\":25.0}\n";
        let report = parse_report(stdout).unwrap();
        assert_eq!(report.events, 10);
        assert_eq!(report.bookings, 7);
        assert!(parse_report("nothing\n").is_none());
    }
}
