//! `projectors rebuild sales`: rebuilds the sales read model from zero by
//! replaying the event store, while the live system keeps running, and
//! switches over without a moment where the site shows nothing.
//!
//! 1. Take a Postgres advisory lock (one rebuild of a database at a time).
//! 2. Read every launch event in global order in one REPEATABLE READ
//!    snapshot and fold them in memory with [`read_models::sales::apply`],
//!    the live projector's own fold. Progress (events/s, ETA) is reported
//!    every second.
//! 3. Write the documents into side collections (`launches_rebuild`,
//!    `bookings_rebuild`) with bulk inserts, and create their indexes.
//! 4. Rename each side collection over the live one (`renameCollection`
//!    with `dropTarget`): each switch is atomic, so readers see the old
//!    complete collection, then the new complete one.
//! 5. Reconcile: events that committed after the snapshot (the live
//!    projector may have put them in the old collections only) are applied
//!    to the new documents through the live path, launch by launch, by
//!    comparing each document's version with the store's last sequence.
//!
//! Memory: the fold holds every launch and booking document (about 1 KB per
//! booking), so a million bookings need about a gigabyte.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use bson::{doc, Document};
use futures::{StreamExt, TryStreamExt};
use mongodb::options::InsertManyOptions;
use mongodb::Database;
use read_models::sales::{self, BookingChange, BookingDoc, LaunchDoc, BOOKINGS, LAUNCHES};
use serde::Serialize;
use sqlx::{Connection, PgPool};

use super::store::SalesStore;
use crate::source::{self, StoredEvent, COLUMNS};

/// Documents per bulk insert.
const INSERT_BATCH: usize = 1_000;
/// Bulk inserts in flight.
const INSERTS_IN_FLIGHT: usize = 4;

/// Where a rebuild is, reported about every second.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Progress {
    /// `replaying` or `writing`.
    pub phase: &'static str,
    /// Items done in this phase (events, then documents).
    pub done: u64,
    /// Items in this phase.
    pub total: u64,
    /// Items per second since the phase began.
    pub rate: f64,
    /// Seconds left in this phase at that rate.
    pub eta_secs: f64,
}

/// What a rebuild did.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// Events replayed from the snapshot.
    pub events: u64,
    /// Launch documents written.
    pub launches: usize,
    /// Booking documents written.
    pub bookings: usize,
    /// Launches brought up to date after the switch.
    pub reconciled: usize,
    /// Events applied by that reconciliation.
    pub reconciled_events: usize,
    /// Seconds spent replaying (reading and folding).
    pub replay_secs: f64,
    /// Seconds spent writing the side collections and their indexes.
    pub write_secs: f64,
    /// Seconds from start to end.
    pub total_secs: f64,
    /// `events / total_secs`.
    pub events_per_sec: f64,
}

/// Why a rebuild stopped. The live read model is untouched unless the
/// error happened after the switch (then it is complete but may lag until
/// the live projector catches up).
#[derive(Debug, thiserror::Error)]
pub enum RebuildError {
    /// Another rebuild of the same database holds the lock.
    #[error("another rebuild of this read model is running")]
    Busy,
    /// The event store.
    #[error("event store: {0}")]
    Database(#[from] sqlx::Error),
    /// MongoDB.
    #[error("mongodb: {0}")]
    Mongo(#[from] mongodb::error::Error),
    /// An event that cannot be read or applied.
    #[error("{0}")]
    Event(String),
}

/// Rebuilds the sales read model of `store` from the event store `pool`,
/// calling `progress` about every second. See the module docs.
pub async fn rebuild(
    pool: &PgPool,
    store: &SalesStore,
    mut progress: impl FnMut(Progress),
) -> Result<Report, RebuildError> {
    let started = Instant::now();
    let database = store.database().clone();
    let mut lock = pool.acquire().await?;
    let key = format!("rebuild:sales:{}", database.name());
    let locked: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock(hashtextextended($1, 0))")
        .bind(&key)
        .fetch_one(&mut *lock)
        .await?;
    if !locked {
        return Err(RebuildError::Busy);
    }
    let result = replay_and_switch(pool, store, &database, &mut progress, started).await;
    // Also released when the connection closes.
    let _ = sqlx::query("SELECT pg_advisory_unlock(hashtextextended($1, 0))")
        .bind(&key)
        .execute(&mut *lock)
        .await;
    result
}

async fn replay_and_switch(
    pool: &PgPool,
    store: &SalesStore,
    database: &Database,
    progress: &mut impl FnMut(Progress),
    started: Instant,
) -> Result<Report, RebuildError> {
    let (launches, bookings, events, last) = replay(pool, progress).await?;
    let rebuilt: HashMap<String, LaunchDoc> =
        launches.iter().map(|l| (l.id.clone(), l.clone())).collect();
    let replay_secs = started.elapsed().as_secs_f64();
    let writing = Instant::now();
    let side_launches = format!("{LAUNCHES}_rebuild");
    let side_bookings = format!("{BOOKINGS}_rebuild");
    let launch_count = launches.len();
    let booking_count = bookings.len();
    let total = (launch_count + booking_count) as u64;
    let mut written = 0;
    write_side(
        database,
        &side_launches,
        launches,
        &mut written,
        total,
        writing,
        progress,
    )
    .await?;
    write_side(
        database,
        &side_bookings,
        bookings,
        &mut written,
        total,
        writing,
        progress,
    )
    .await?;
    sales::ensure_indexes(database, &side_launches, &side_bookings).await?;
    let write_secs = writing.elapsed().as_secs_f64();
    // The switch: each rename is atomic.
    for (side, live) in [(&side_bookings, BOOKINGS), (&side_launches, LAUNCHES)] {
        database
            .client()
            .database("admin")
            .run_command(doc! {
                "renameCollection": format!("{}.{side}", database.name()),
                "to": format!("{}.{live}", database.name()),
                "dropTarget": true,
            })
            .await?;
    }
    if let Some((position, at)) = last {
        store.checkpoint(position, at).await?;
    }
    tracing::info!(
        launches = launch_count,
        bookings = booking_count,
        "sales read model switched"
    );
    let (reconciled, reconciled_events) = reconcile(pool, store, &rebuilt).await?;
    let total_secs = started.elapsed().as_secs_f64();
    Ok(Report {
        events,
        launches: launch_count,
        bookings: booking_count,
        reconciled,
        reconciled_events,
        replay_secs,
        write_secs,
        total_secs,
        events_per_sec: events as f64 / total_secs.max(1e-9),
    })
}

type Replayed = (
    Vec<LaunchDoc>,
    Vec<BookingDoc>,
    u64,
    Option<(i64, bson::DateTime)>,
);

/// Reads and folds every launch event of one snapshot.
async fn replay(
    pool: &PgPool,
    progress: &mut impl FnMut(Progress),
) -> Result<Replayed, RebuildError> {
    let mut connection = pool.acquire().await?;
    let mut tx = connection.begin().await?;
    sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        .execute(&mut *tx)
        .await?;
    let total: i64 =
        sqlx::query_scalar("SELECT count(*) FROM events WHERE aggregate_type = 'Launch'")
            .fetch_one(&mut *tx)
            .await?;
    let total = total as u64;
    let mut launches: HashMap<String, Option<LaunchDoc>> = HashMap::new();
    let mut bookings: HashMap<String, BookingDoc> = HashMap::new();
    let mut done = 0u64;
    let mut last = None;
    let began = Instant::now();
    let mut reported = Instant::now();
    {
        let sql = format!(
            "SELECT {COLUMNS} FROM events WHERE aggregate_type = 'Launch' ORDER BY global_position"
        );
        let mut rows = sqlx::query_as::<_, StoredEvent>(&sql).fetch(&mut *tx);
        while let Some(row) = rows.try_next().await? {
            let event = row
                .envelope()
                .and_then(source::decode_launch)
                .map_err(|e| RebuildError::Event(e.to_string()))?;
            let launch = launches.entry(event.aggregate_id.clone()).or_default();
            match sales::apply(launch, &event) {
                Ok(None) => {}
                Ok(Some(BookingChange::Insert(booking))) => {
                    bookings.insert(booking.id.clone(), booking);
                }
                Ok(Some(BookingChange::Cancel { booking_id, set })) => {
                    let booking = bookings.get_mut(&booking_id).ok_or_else(|| {
                        RebuildError::Event(format!(
                            "event at global position {} cancels unknown booking {booking_id}",
                            event.global_position
                        ))
                    })?;
                    set.apply_to(booking);
                }
                Err(error) => {
                    return Err(RebuildError::Event(format!(
                        "event at global position {}: {error}",
                        event.global_position
                    )))
                }
            }
            last = Some((
                event.global_position,
                bson::DateTime::from_chrono(event.metadata.occurred_at),
            ));
            done += 1;
            if reported.elapsed() >= Duration::from_secs(1) {
                reported = Instant::now();
                progress(measure("replaying", done, total, began));
            }
        }
    }
    tx.rollback().await?;
    progress(measure("replaying", done, total.max(done), began));
    Ok((
        launches.into_values().flatten().collect(),
        bookings.into_values().collect(),
        done,
        last,
    ))
}

/// Progress of a phase that has done `done` of `total` items since `began`.
pub fn measure(phase: &'static str, done: u64, total: u64, began: Instant) -> Progress {
    let rate = done as f64 / began.elapsed().as_secs_f64().max(1e-9);
    let eta_secs = if rate > 0.0 {
        total.saturating_sub(done) as f64 / rate
    } else {
        0.0
    };
    Progress {
        phase,
        done,
        total,
        rate,
        eta_secs,
    }
}

/// Replaces collection `name` with `documents`, in parallel bulk inserts.
async fn write_side<T: Serialize + Send + Sync>(
    database: &Database,
    name: &str,
    documents: Vec<T>,
    written: &mut u64,
    total: u64,
    began: Instant,
    progress: &mut impl FnMut(Progress),
) -> Result<(), RebuildError> {
    let collection = database.collection::<Document>(name);
    collection.drop().await?;
    database.create_collection(name).await?;
    let mut batches = Vec::new();
    let mut batch = Vec::with_capacity(INSERT_BATCH);
    for document in documents {
        batch.push(bson::to_document(&document).map_err(|e| RebuildError::Event(e.to_string()))?);
        if batch.len() == INSERT_BATCH {
            batches.push(std::mem::replace(
                &mut batch,
                Vec::with_capacity(INSERT_BATCH),
            ));
        }
    }
    if !batch.is_empty() {
        batches.push(batch);
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
    let mut reported = Instant::now();
    while let Some(count) = inserts.next().await {
        *written += count?;
        if reported.elapsed() >= Duration::from_secs(1) {
            reported = Instant::now();
            progress(measure("writing", *written, total, began));
        }
    }
    progress(measure("writing", *written, total, began));
    Ok(())
}

/// Brings every launch up to the store's last sequence after the switch.
///
/// For each launch whose store has events after the version the rebuild
/// wrote (`rebuilt`), those events are applied again: their booking writes
/// unconditionally (they are idempotent: an insert of a booking already
/// there is ignored, a cancellation only changes an active booking), then
/// the launch document through the live path (which skips what it has).
/// Re-writing the bookings matters: the live projector may have written a
/// booking into the old collection just before the switch and its launch
/// into the new one just after, so the new launch document can be current
/// while the new bookings lack that booking. Returns the launches and events
/// that needed it.
async fn reconcile(
    pool: &PgPool,
    store: &SalesStore,
    rebuilt: &HashMap<String, LaunchDoc>,
) -> Result<(usize, usize), RebuildError> {
    let heads: Vec<(String, i64)> = sqlx::query_as(
        "SELECT aggregate_id, max(sequence) FROM events
          WHERE aggregate_type = 'Launch' GROUP BY aggregate_id",
    )
    .fetch_all(pool)
    .await?;
    let mut launches = 0;
    let mut applied = 0;
    for (launch_id, head) in heads {
        let base = rebuilt.get(&launch_id);
        let have = base.map_or(0, |l| l.version);
        if have >= head {
            continue;
        }
        let rows = source::aggregate_events(pool, "Launch", &launch_id, have as u64, None).await?;
        let events = rows
            .iter()
            .map(|row| row.envelope().and_then(source::decode_launch))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| RebuildError::Event(e.to_string()))?;
        let mut state = base.cloned();
        let mut inserts = Vec::new();
        let mut cancels = Vec::new();
        for event in &events {
            match sales::apply(&mut state, event) {
                Ok(None) => {}
                Ok(Some(BookingChange::Insert(booking))) => inserts.push(booking),
                Ok(Some(BookingChange::Cancel { booking_id, set })) => {
                    cancels.push((booking_id, set))
                }
                Err(error) => {
                    return Err(RebuildError::Event(format!(
                        "reconciling launch {launch_id}: {error}"
                    )))
                }
            }
        }
        let failed = |e: super::ProjectError| {
            RebuildError::Event(format!("reconciling launch {launch_id}: {e}"))
        };
        store
            .write_bookings(inserts, cancels)
            .await
            .map_err(failed)?;
        let done = store.apply(&launch_id, events).await.map_err(failed)?;
        launches += 1;
        applied += done.applied;
    }
    Ok((launches, applied))
}
