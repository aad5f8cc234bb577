//! `projectors rebuild finance [--verify [--swap]]`: replays the event store
//! into fresh tables (schema `finance_rebuild`, created by the same
//! `finance_create_schema` as the live ones) with the same reader and rules
//! as the live projector, then, under the live projection's lock:
//!
//! 1. brings both to the same position (the rebuild applies what the live
//!    projection has applied since; a live projection behind the rebuild
//!    is advanced to it by the same code);
//! 2. with `--verify`, compares every table row by row and reports each
//!    difference;
//! 3. swaps the rebuild in (renaming schemas; the old tables are dropped) —
//!    always for a plain rebuild, only with `--swap` after `--verify`.
//!
//! The live projector keeps running during the replay: the rebuild commits
//! batch by batch, so the live reader never waits on it for long, and the
//! swap is one short transaction. Only one rebuild runs at a time.

use std::collections::HashMap;
use std::time::Instant;

use serde::Serialize;
use sqlx::PgPool;

use super::store::{self, Schema, TableDifference};
use super::{apply_batch, Applied, FinanceError, LIVE_LOCK};
use crate::sales::rebuild::{measure, Progress};
use crate::source;

/// Held for the whole of a rebuild: a second one is refused.
pub const REBUILD_LOCK: i64 = 0x00A5_7F1A_0002;

/// What to do after the replay.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Options {
    /// Compare with the live tables and report.
    pub verify: bool,
    /// Replace the live tables (always when not verifying).
    pub swap: bool,
    /// Events per transaction.
    pub batch_size: i64,
}

/// Why a rebuild failed.
#[derive(Debug, thiserror::Error)]
pub enum RebuildError {
    /// Another rebuild holds the lock.
    #[error("another finance rebuild is running")]
    AlreadyRunning,
    /// Replaying failed.
    #[error(transparent)]
    Finance(#[from] FinanceError),
}

impl From<sqlx::Error> for RebuildError {
    fn from(error: sqlx::Error) -> Self {
        Self::Finance(error.into())
    }
}

/// What a rebuild did.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// Events replayed.
    pub events: u64,
    /// Invoices issued by the replay.
    pub invoices: u64,
    /// Credit notes issued by the replay.
    pub credit_notes: u64,
    /// The position both projections stood at when compared / swapped.
    pub position: i64,
    /// Seconds the replay took (up to the final transaction).
    pub replay_secs: f64,
    /// Seconds building the keys and indexes after the replay.
    pub index_secs: f64,
    /// Events per second of the replay.
    pub events_per_sec: f64,
    /// With `--verify`: whether the rebuild equals the live tables.
    pub identical: Option<bool>,
    /// With `--verify`: every table that differs.
    pub differences: Vec<TableDifference>,
    /// Rows per table in the rebuild.
    pub rows: HashMap<&'static str, i64>,
    /// Whether the live tables were replaced.
    pub swapped: bool,
    /// Whether `finance_rebuild` was kept for inspection (differences
    /// found and not swapped).
    pub kept_rebuild_schema: bool,
}

/// Rebuilds the finance projection; `progress` is called after each batch.
pub async fn rebuild(
    pool: &PgPool,
    options: Options,
    mut progress: impl FnMut(Progress),
) -> Result<Report, RebuildError> {
    let mut guard = pool.acquire().await?;
    let locked: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
        .bind(REBUILD_LOCK)
        .fetch_one(&mut *guard)
        .await?;
    if !locked {
        return Err(RebuildError::AlreadyRunning);
    }
    let result = run(pool, options, &mut progress).await;
    let _ = sqlx::query("SELECT pg_advisory_unlock($1)")
        .bind(REBUILD_LOCK)
        .execute(&mut *guard)
        .await;
    result
}

async fn run(
    pool: &PgPool,
    options: Options,
    progress: &mut impl FnMut(Progress),
) -> Result<Report, RebuildError> {
    let rebuilt = Schema::Rebuild.name();
    sqlx::query(&format!("DROP SCHEMA IF EXISTS {rebuilt} CASCADE"))
        .execute(pool)
        .await?;
    // The keys and indexes the projector does not read through are built
    // after loading, which is several times faster than row by row.
    sqlx::query("SELECT finance_create_tables($1)")
        .bind(rebuilt)
        .execute(pool)
        .await?;
    let total: i64 = sqlx::query_scalar("SELECT count(*) FROM events")
        .fetch_one(pool)
        .await?;
    let began = Instant::now();
    let mut done = Applied::default();
    let mut counted = (0_u64, 0_u64, 0_u64);
    loop {
        let settled = source::settled_after(pool, done.position, options.batch_size).await?;
        if settled.up_to == done.position {
            break;
        }
        let mut tx = pool.begin().await?;
        // A crash only means running the rebuild again: no need to wait for
        // each batch to reach the disk.
        sqlx::query("SET LOCAL synchronous_commit = off")
            .execute(&mut *tx)
            .await?;
        let applied = apply_batch(&mut tx, Schema::Rebuild, settled.events, settled.up_to).await?;
        tx.commit().await?;
        counted.0 += applied.events as u64;
        counted.1 += applied.invoices as u64;
        counted.2 += applied.credit_notes as u64;
        done = applied;
        progress(measure("replaying", counted.0, total.max(0) as u64, began));
    }
    let replay_secs = began.elapsed().as_secs_f64();
    let indexing = Instant::now();
    sqlx::query("SELECT finance_create_indexes($1)")
        .bind(rebuilt)
        .execute(pool)
        .await?;
    let index_secs = indexing.elapsed().as_secs_f64();
    let swap = !options.verify || options.swap;
    if options.verify {
        // Bring the live projection up to date batch by batch first, so
        // that what is left to do under its lock is small.
        super::catch_up(pool, options.batch_size).await?;
    }

    let mut tx = pool.begin().await?;
    sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(LIVE_LOCK)
        .execute(&mut *tx)
        .await?;
    let live = store::checkpoint(&mut tx, Schema::Live).await?;
    let mut position = done.position;
    // Everything up to either checkpoint was read through `settled_after`,
    // so a plain read of the range between them is final.
    let (behind, ahead) = if live > position {
        (Schema::Rebuild, live)
    } else {
        (Schema::Live, position)
    };
    let from = position.min(live);
    // A live projection behind the rebuild needs no advancing when it is
    // about to be replaced.
    let needed = behind == Schema::Rebuild || !swap;
    if ahead > from && needed {
        let events = source::events_between(&mut *tx, from, ahead).await?;
        if behind == Schema::Rebuild {
            counted.0 += events.len() as u64;
        } else {
            tracing::info!(
                from,
                to = ahead,
                "finance rebuild: advancing the live projection to the rebuild's position"
            );
        }
        let applied = apply_batch(&mut tx, behind, events, ahead).await?;
        if behind == Schema::Rebuild {
            counted.1 += applied.invoices as u64;
            counted.2 += applied.credit_notes as u64;
        }
        position = ahead;
    }
    let differences = if options.verify {
        store::compare(&mut tx).await?
    } else {
        Vec::new()
    };
    let rows = store::counts(&mut tx, Schema::Rebuild).await?;
    let mut kept = false;
    if swap {
        sqlx::raw_sql(
            "ALTER SCHEMA finance RENAME TO finance_replaced;
             ALTER SCHEMA finance_rebuild RENAME TO finance;
             DROP SCHEMA finance_replaced CASCADE;",
        )
        .execute(&mut *tx)
        .await?;
    } else if differences.is_empty() {
        sqlx::query(&format!("DROP SCHEMA {rebuilt} CASCADE"))
            .execute(&mut *tx)
            .await?;
    } else {
        kept = true;
    }
    tx.commit().await?;
    Ok(Report {
        events: counted.0,
        invoices: counted.1,
        credit_notes: counted.2,
        position,
        replay_secs,
        index_secs,
        events_per_sec: counted.0 as f64 / replay_secs.max(1e-9),
        identical: options.verify.then_some(differences.is_empty()),
        differences,
        rows,
        swapped: swap,
        kept_rebuild_schema: kept,
    })
}
