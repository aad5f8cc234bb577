//! Reading the event store: stored rows into [`Envelope`]s, with the
//! upcasters applied, for the relay (which publishes them), the projectors
//! (which fill a gap from the store) and the rebuilds (which replay it).

use std::collections::HashMap;

use cqrs_es::persist::SerializedEvent;
use events::{Envelope, EventMetadata, LaunchEvent};
use serde_json::Value;
use sqlx::PgExecutor;

/// One event as stored (the `events` table's columns).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct StoredEvent {
    /// Position in the store's total order.
    pub global_position: i64,
    /// `Launch`, `Rocket`.
    pub aggregate_type: String,
    /// The aggregate's id.
    pub aggregate_id: String,
    /// Sequence within the aggregate.
    pub sequence: i64,
    /// The payload's type.
    pub event_type: String,
    /// The payload's version.
    pub event_version: String,
    /// The payload (`{"<event type>": {...}}`).
    pub payload: Value,
    /// The cqrs-es metadata map.
    pub metadata: Value,
}

/// An event that cannot be read: the store (or a message) holds something
/// this code does not understand. Retrying does not help.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("event at global position {position} is unreadable: {reason}")]
pub struct Unreadable {
    /// The event's global position.
    pub position: i64,
    /// What is wrong.
    pub reason: String,
}

impl StoredEvent {
    /// The envelope readers see, payload as stored.
    pub fn envelope(&self) -> Result<Envelope<Value>, Unreadable> {
        let unreadable = |reason: String| Unreadable {
            position: self.global_position,
            reason,
        };
        let map: HashMap<String, String> =
            serde_json::from_value(self.metadata.clone()).map_err(|e| unreadable(e.to_string()))?;
        let metadata = EventMetadata::from_map(&map).map_err(|e| unreadable(e.to_string()))?;
        let sequence = u64::try_from(self.sequence).map_err(|e| unreadable(e.to_string()))?;
        Ok(Envelope {
            aggregate_type: self.aggregate_type.clone(),
            aggregate_id: self.aggregate_id.clone(),
            sequence,
            global_position: self.global_position,
            event_type: self.event_type.clone(),
            event_version: self.event_version.clone(),
            metadata,
            payload: self.payload.clone(),
        })
    }
}

/// Upcasts a payload of an older version and reads it as a [`LaunchEvent`].
pub fn decode_launch(envelope: Envelope<Value>) -> Result<Envelope<LaunchEvent>, Unreadable> {
    let position = envelope.global_position;
    let upcasters = events::upcast::upcasters();
    let serialized = SerializedEvent {
        aggregate_id: envelope.aggregate_id,
        sequence: envelope.sequence as usize,
        aggregate_type: envelope.aggregate_type,
        event_type: envelope.event_type,
        event_version: envelope.event_version,
        payload: envelope.payload,
        metadata: Value::Null,
    };
    let current = events::upcast::upcast(serialized, &upcasters);
    let payload: LaunchEvent = serde_json::from_value(current.payload).map_err(|e| Unreadable {
        position,
        reason: format!("{} {}: {e}", current.event_type, current.event_version),
    })?;
    Ok(Envelope {
        aggregate_type: current.aggregate_type,
        aggregate_id: current.aggregate_id,
        sequence: current.sequence as u64,
        global_position: position,
        event_type: current.event_type,
        event_version: current.event_version,
        metadata: envelope.metadata,
        payload,
    })
}

/// The columns every query here selects.
pub const COLUMNS: &str = "global_position, aggregate_type, aggregate_id, sequence, \
                           event_type, event_version, payload, metadata";

/// The events of one aggregate with `after < sequence < before`, in order.
pub async fn aggregate_events<'e>(
    executor: impl PgExecutor<'e>,
    aggregate_type: &str,
    aggregate_id: &str,
    after: u64,
    before: Option<u64>,
) -> Result<Vec<StoredEvent>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM events
          WHERE aggregate_type = $1 AND aggregate_id = $2
            AND sequence > $3 AND ($4::bigint IS NULL OR sequence < $4)
          ORDER BY sequence"
    ))
    .bind(aggregate_type)
    .bind(aggregate_id)
    .bind(after as i64)
    .bind(before.map(|b| b as i64))
    .fetch_all(executor)
    .await
}
