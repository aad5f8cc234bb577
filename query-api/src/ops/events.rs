//! The event store as IT reads it (`events`, see
//! `migrations/20261125000001_event_store.sql`): filters that an index
//! serves, newest first by global position, keyset pages.
//!
//! The store holds millions of rows, so nothing here counts them or skips
//! with an offset: a page is the `limit` events just below `before` (or
//! just above `after`) in global order, which the unique index on
//! `global_position` reaches directly. The filters use the indexes that
//! exist: `(aggregate_type, aggregate_id, sequence)` (the primary key),
//! `(event_type, global_position)` and `(occurred_at)`. An aggregate id
//! without its type is looked up under each aggregate type (the few types
//! are read first by a loose index scan of the primary key), so it still
//! uses the primary key. The correlation id lives only in the metadata
//! JSON, which no index covers: it is not a filter here (the logs have it).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use events::EventMetadata;
use serde::Serialize;
use sqlx::postgres::PgPool;
use sqlx::{Postgres, QueryBuilder};
use utoipa::ToSchema;

/// Which events to read; every `None` matches anything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventFilter {
    /// `Launch`, `Rocket`, `Profile`.
    pub aggregate_type: Option<String>,
    /// One aggregate's id.
    pub aggregate_id: Option<String>,
    /// `SeatsBooked`, …
    pub event_type: Option<String>,
    /// Occurred at or after.
    pub from: Option<DateTime<Utc>>,
    /// Occurred before.
    pub to: Option<DateTime<Utc>>,
    /// Global position strictly below.
    pub before: Option<i64>,
    /// Global position strictly above.
    pub after: Option<i64>,
}

/// One stored event with its envelope, as the API shows it: the shape of
/// `events::Envelope` (the payload as stored), plus the raw metadata and
/// why it cannot be read when it is unreadable.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct StoredEventView {
    /// `Launch`, `Rocket`, `Profile`.
    pub aggregate_type: String,
    /// The aggregate's id.
    pub aggregate_id: String,
    /// Its sequence within the aggregate, from 1.
    pub sequence: i64,
    /// Its position in the store's total order.
    pub global_position: i64,
    /// The payload's type.
    pub event_type: String,
    /// The payload's version.
    pub event_version: String,
    /// Event id, `occurred_at`, correlation and causation ids, actor
    /// (`{id, role}`); null when the stored metadata cannot be read (then
    /// `metadata_error` says why and `raw_metadata` shows it).
    #[schema(value_type = Option<Object>)]
    pub metadata: Option<EventMetadata>,
    /// Why the metadata cannot be read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metadata_error: Option<String>,
    /// The stored metadata, when it cannot be read.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub raw_metadata: Option<serde_json::Value>,
    /// The payload as stored (`{"<event type>": {...}}`), before any
    /// upcasting.
    #[schema(value_type = Object)]
    pub payload: serde_json::Value,
}

#[derive(Debug, sqlx::FromRow)]
struct Row {
    aggregate_type: String,
    aggregate_id: String,
    sequence: i64,
    global_position: i64,
    event_type: String,
    event_version: String,
    payload: String,
    metadata: String,
}

impl From<Row> for StoredEventView {
    fn from(row: Row) -> Self {
        let payload = serde_json::from_str(&row.payload).unwrap_or(serde_json::Value::Null);
        let (metadata, metadata_error, raw_metadata) =
            match serde_json::from_str::<HashMap<String, String>>(&row.metadata) {
                Ok(map) => match EventMetadata::from_map(&map) {
                    Ok(metadata) => (Some(metadata), None, None),
                    Err(error) => (None, Some(error.to_string()), raw(&row.metadata)),
                },
                Err(error) => (None, Some(error.to_string()), raw(&row.metadata)),
            };
        Self {
            aggregate_type: row.aggregate_type,
            aggregate_id: row.aggregate_id,
            sequence: row.sequence,
            global_position: row.global_position,
            event_type: row.event_type,
            event_version: row.event_version,
            metadata,
            metadata_error,
            raw_metadata,
            payload,
        }
    }
}

fn raw(text: &str) -> Option<serde_json::Value> {
    serde_json::from_str(text).ok()
}

/// The aggregate types in the store, by a loose index scan of the primary
/// key (one index probe per type, however many events).
async fn aggregate_types(pool: &PgPool) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar(
        "WITH RECURSIVE types (t) AS (
             (SELECT aggregate_type FROM events ORDER BY aggregate_type LIMIT 1)
             UNION ALL
             SELECT (SELECT aggregate_type FROM events WHERE aggregate_type > types.t
                     ORDER BY aggregate_type LIMIT 1)
             FROM types WHERE types.t IS NOT NULL
         )
         SELECT t FROM types WHERE t IS NOT NULL",
    )
    .fetch_all(pool)
    .await
}

/// Up to `limit` events matching `filter`, newest first, and whether more
/// match beyond the page in the direction read (older ones, or with only
/// `after`, newer ones).
pub async fn page(
    pool: &PgPool,
    filter: &EventFilter,
    limit: u64,
) -> Result<(Vec<StoredEventView>, bool), sqlx::Error> {
    let types = match (&filter.aggregate_type, &filter.aggregate_id) {
        (None, Some(_)) => Some(aggregate_types(pool).await?),
        _ => None,
    };
    // Only `after`: the events just above it, read upwards, shown newest
    // first; else the events just below `before` (or the head), downwards.
    let upwards = filter.after.is_some() && filter.before.is_none();
    let mut query: QueryBuilder<Postgres> = QueryBuilder::new(
        "SELECT aggregate_type, aggregate_id, sequence, global_position, event_type, \
         event_version, payload::text AS payload, metadata::text AS metadata \
         FROM events WHERE true",
    );
    if let Some(aggregate_type) = &filter.aggregate_type {
        query
            .push(" AND aggregate_type = ")
            .push_bind(aggregate_type);
    }
    if let Some(types) = types {
        query
            .push(" AND aggregate_type = ANY(")
            .push_bind(types)
            .push(")");
    }
    if let Some(aggregate_id) = &filter.aggregate_id {
        query.push(" AND aggregate_id = ").push_bind(aggregate_id);
    }
    if let Some(event_type) = &filter.event_type {
        query.push(" AND event_type = ").push_bind(event_type);
    }
    if let Some(from) = filter.from {
        query.push(" AND occurred_at >= ").push_bind(from);
    }
    if let Some(to) = filter.to {
        query.push(" AND occurred_at < ").push_bind(to);
    }
    if let Some(before) = filter.before {
        query.push(" AND global_position < ").push_bind(before);
    }
    if let Some(after) = filter.after {
        query.push(" AND global_position > ").push_bind(after);
    }
    query.push(if upwards {
        " ORDER BY global_position ASC LIMIT "
    } else {
        " ORDER BY global_position DESC LIMIT "
    });
    query.push_bind(i64::try_from(limit + 1).unwrap_or(i64::MAX));
    let mut rows: Vec<Row> = query.build_query_as().fetch_all(pool).await?;
    let more = rows.len() as u64 > limit;
    rows.truncate(limit as usize);
    if upwards {
        rows.reverse();
    }
    Ok((rows.into_iter().map(StoredEventView::from).collect(), more))
}

/// The store's head: the highest global position and when that event
/// occurred (`None` when the store is empty).
pub async fn head(pool: &PgPool) -> Result<Option<(i64, DateTime<Utc>)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT global_position, occurred_at FROM events ORDER BY global_position DESC LIMIT 1",
    )
    .fetch_optional(pool)
    .await
}

/// The last event of `aggregate_type`: its global position and when it
/// occurred (`None` when there is none). Read backwards from the head
/// (the unique index on `global_position`), so it is cheap as long as that
/// type's events are frequent near the head.
pub async fn head_of(
    pool: &PgPool,
    aggregate_type: &str,
) -> Result<Option<(i64, DateTime<Utc>)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT global_position, occurred_at FROM events WHERE aggregate_type = $1
         ORDER BY global_position DESC LIMIT 1",
    )
    .bind(aggregate_type)
    .fetch_optional(pool)
    .await
}

/// When the event at `position` occurred.
pub async fn occurred_at(
    pool: &PgPool,
    position: i64,
) -> Result<Option<DateTime<Utc>>, sqlx::Error> {
    sqlx::query_scalar("SELECT occurred_at FROM events WHERE global_position = $1")
        .bind(position)
        .fetch_optional(pool)
        .await
}
