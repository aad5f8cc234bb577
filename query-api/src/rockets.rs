//! The fleet, read from the event store: every `RocketRegistered` event of
//! aggregate type `Rocket`, newest first.
//!
//! No read model holds rockets: a rocket is one event that never changes,
//! the fleet is small (tens to hundreds), and operations need a rocket they
//! just registered in the picker at once, which a projection would only
//! give them eventually. The index `(event_type, global_position)` serves
//! both the count and the page; the name filter reads the payloads of the
//! registrations only.

use chrono::{DateTime, Utc};
use cqrs_es::persist::SerializedEvent;
use events::{RocketEvent, RocketRange};
use serde::Serialize;
use sqlx::postgres::PgPool;
use utoipa::ToSchema;
use uuid::Uuid;

/// The event that registers a rocket.
const REGISTERED: &str = "RocketRegistered";

/// One registered rocket.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Rocket {
    /// Its id (the aggregate id).
    pub rocket_id: Uuid,
    /// Its name.
    #[schema(example = "Starhopper")]
    pub name: String,
    /// Passenger seats it carries.
    #[schema(example = 12, minimum = 1)]
    pub capacity: u32,
    /// How far it flies: a launch may go to this destination or a nearer
    /// one.
    #[schema(value_type = String, schema_with = range_schema)]
    pub range: RocketRange,
    /// When it was registered (the event's `occurred_at`).
    pub registered_at: DateTime<Utc>,
}

/// The schema of `range`.
fn range_schema() -> utoipa::openapi::Object {
    platform::openapi::string_enum(
        &["suborbital", "low_earth_orbit", "moon", "mars"],
        "How far the rocket flies: a launch may go to this destination or a nearer one.",
    )
}

/// A stored registration that cannot be read as one (a defect of the
/// writer or of an upcaster: the command API writes only typed events).
#[derive(Debug, thiserror::Error)]
#[error("the registration of rocket {aggregate_id} ({event_version}) cannot be read: {reason}")]
pub struct Unreadable {
    /// The rocket's aggregate id.
    pub aggregate_id: String,
    /// The stored payload's version.
    pub event_version: String,
    /// Why.
    pub reason: String,
}

/// Why the fleet cannot be listed.
#[derive(Debug, thiserror::Error)]
pub enum FleetError {
    /// PostgreSQL failed.
    #[error(transparent)]
    Store(#[from] sqlx::Error),
    /// A stored registration is unreadable.
    #[error(transparent)]
    Unreadable(#[from] Unreadable),
}

#[derive(Debug, sqlx::FromRow)]
struct Row {
    aggregate_id: String,
    sequence: i64,
    event_version: String,
    payload: serde_json::Value,
    occurred_at: DateTime<Utc>,
}

impl TryFrom<Row> for Rocket {
    type Error = Unreadable;

    fn try_from(row: Row) -> Result<Self, Unreadable> {
        let unreadable = |reason: String| Unreadable {
            aggregate_id: row.aggregate_id.clone(),
            event_version: row.event_version.clone(),
            reason,
        };
        let serialized = SerializedEvent {
            aggregate_id: row.aggregate_id.clone(),
            sequence: usize::try_from(row.sequence).unwrap_or_default(),
            aggregate_type: "Rocket".into(),
            event_type: REGISTERED.into(),
            event_version: row.event_version.clone(),
            payload: row.payload.clone(),
            metadata: serde_json::Value::Null,
        };
        let current = events::upcast::upcast(serialized, &events::upcast::upcasters());
        let RocketEvent::RocketRegistered(registered) =
            serde_json::from_value(current.payload).map_err(|e| unreadable(e.to_string()))?;
        Ok(Self {
            rocket_id: registered.rocket_id,
            name: registered.name,
            capacity: registered.capacity,
            range: registered.range,
            registered_at: row.occurred_at,
        })
    }
}

/// The `LIKE` pattern of "contains `text`", taken literally: `%`, `_` and
/// the escape character itself are escaped.
pub fn contains_pattern(text: &str) -> String {
    let mut pattern = String::with_capacity(text.len() + 2);
    pattern.push('%');
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

/// The rockets whose name contains `name` (case-insensitive; every rocket
/// when `None`), newest first: `limit` of them after skipping `offset`,
/// and how many match in all.
pub async fn page(
    pool: &PgPool,
    name: Option<&str>,
    limit: i64,
    offset: i64,
) -> Result<(Vec<Rocket>, i64), FleetError> {
    // The name of a version-1.0 payload: every stored registration is at
    // that version today (see `events::upcast`). When one changes, this
    // filter must read the old shapes too.
    const WHERE: &str = "WHERE event_type = 'RocketRegistered' AND aggregate_type = 'Rocket' \
                         AND ($1::text IS NULL \
                              OR payload -> 'RocketRegistered' ->> 'name' ILIKE $1 ESCAPE '\\')";
    let pattern = name.map(contains_pattern);
    let count_sql = format!("SELECT count(*) FROM events {WHERE}");
    let page_sql = format!(
        "SELECT aggregate_id, sequence, event_version, payload, occurred_at \
         FROM events {WHERE} ORDER BY global_position DESC LIMIT $2 OFFSET $3"
    );
    let count = sqlx::query_scalar::<_, i64>(&count_sql)
        .bind(&pattern)
        .fetch_one(pool);
    let rows = sqlx::query_as::<_, Row>(&page_sql)
        .bind(&pattern)
        .bind(limit)
        .bind(offset)
        .fetch_all(pool);
    let (total, rows) = futures::join!(count, rows);
    let rockets = rows?
        .into_iter()
        .map(Rocket::try_from)
        .collect::<Result<_, _>>()?;
    Ok((rockets, total?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_filter_takes_like_wildcards_literally() {
        assert_eq!(contains_pattern("Star"), "%Star%");
        assert_eq!(contains_pattern("100%_a\\b"), r"%100\%\_a\\b%");
    }

    #[test]
    fn a_stored_registration_is_read_into_a_rocket() {
        let id = Uuid::now_v7();
        let row = Row {
            aggregate_id: id.to_string(),
            sequence: 1,
            event_version: "1.0".into(),
            payload: serde_json::json!({ "RocketRegistered": {
                "rocket_id": id, "name": "Starhopper", "capacity": 12, "range": "moon" } }),
            occurred_at: Utc::now(),
        };

        let rocket = Rocket::try_from(row).expect("a readable registration");

        assert_eq!(rocket.rocket_id, id);
        assert_eq!(rocket.name, "Starhopper");
        assert_eq!(rocket.capacity, 12);
        assert_eq!(rocket.range, RocketRange::Moon);
    }

    #[test]
    fn an_unreadable_registration_names_its_rocket() {
        let row = Row {
            aggregate_id: "r-1".into(),
            sequence: 1,
            event_version: "1.0".into(),
            payload: serde_json::json!({ "RocketRegistered": { "name": "x" } }),
            occurred_at: Utc::now(),
        };

        let error = Rocket::try_from(row).unwrap_err();

        assert_eq!(error.aggregate_id, "r-1");
        assert!(error.to_string().contains("r-1"), "{error}");
    }
}
