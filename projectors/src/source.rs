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
    /// The envelope readers see, payload as stored, without copying it.
    pub fn into_envelope(self) -> Result<Envelope<Value>, Unreadable> {
        let unreadable = |reason: String| Unreadable {
            position: self.global_position,
            reason,
        };
        let map: HashMap<String, String> =
            serde_json::from_value(self.metadata).map_err(|e| unreadable(e.to_string()))?;
        let metadata = EventMetadata::from_map(&map).map_err(|e| unreadable(e.to_string()))?;
        let sequence = u64::try_from(self.sequence).map_err(|e| unreadable(e.to_string()))?;
        Ok(Envelope {
            aggregate_type: self.aggregate_type,
            aggregate_id: self.aggregate_id,
            sequence,
            global_position: self.global_position,
            event_type: self.event_type,
            event_version: self.event_version,
            metadata,
            payload: self.payload,
        })
    }

    /// The envelope readers see, payload as stored.
    pub fn envelope(&self) -> Result<Envelope<Value>, Unreadable> {
        self.clone().into_envelope()
    }
}

/// One event as stored with its JSON columns as text, for readers that
/// decode straight into typed values (no `serde_json::Value` on the way:
/// the finance projector and its replay).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RawEvent {
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
    /// The payload's JSON text.
    pub payload: String,
    /// The cqrs-es metadata map's JSON text.
    pub metadata: String,
}

/// The columns of a [`RawEvent`].
pub const RAW_COLUMNS: &str = "global_position, aggregate_type, aggregate_id, sequence, \
                               event_type, event_version, payload::text AS payload, \
                               metadata::text AS metadata";

impl RawEvent {
    /// Reads it as a `Launch` event: straight from the text when no
    /// upcaster applies to its version, through [`decode_launch`] when one
    /// does.
    pub fn decode_launch(self) -> Result<Envelope<LaunchEvent>, Unreadable> {
        let position = self.global_position;
        let unreadable = |reason: String| Unreadable { position, reason };
        let map: HashMap<String, String> =
            serde_json::from_str(&self.metadata).map_err(|e| unreadable(e.to_string()))?;
        let metadata = EventMetadata::from_map(&map).map_err(|e| unreadable(e.to_string()))?;
        let sequence = u64::try_from(self.sequence).map_err(|e| unreadable(e.to_string()))?;
        let upcast = events::upcast::upcasters()
            .iter()
            .any(|u| u.can_upcast(&self.event_type, &self.event_version));
        if upcast {
            let payload: Value =
                serde_json::from_str(&self.payload).map_err(|e| unreadable(e.to_string()))?;
            return decode_launch(Envelope {
                aggregate_type: self.aggregate_type,
                aggregate_id: self.aggregate_id,
                sequence,
                global_position: position,
                event_type: self.event_type,
                event_version: self.event_version,
                metadata,
                payload,
            });
        }
        let payload: LaunchEvent = serde_json::from_str(&self.payload)
            .map_err(|e| unreadable(format!("{} {}: {e}", self.event_type, self.event_version)))?;
        Ok(Envelope {
            aggregate_type: self.aggregate_type,
            aggregate_id: self.aggregate_id,
            sequence,
            global_position: position,
            event_type: self.event_type,
            event_version: self.event_version,
            metadata,
            payload,
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

/// A run of events in global order with nothing missing before its end.
#[derive(Debug, Clone)]
pub struct Settled {
    /// The events with `after < global_position <= up_to`, in order.
    pub events: Vec<RawEvent>,
    /// The position read up to: the next read starts after it (`after`
    /// itself when nothing was read).
    pub up_to: i64,
}

/// How often [`settled_after`] looks whether the transactions it waits for
/// have ended.
const SETTLE_POLL: std::time::Duration = std::time::Duration::from_millis(2);

/// Up to `limit` events after `after` in global order, such that no event
/// with a position up to the last one returned can appear later.
///
/// Positions are taken from an identity when a transaction inserts, and
/// transactions commit in another order, so a plain "position > after"
/// read can see 7 while 6 is still uncommitted, and a reader that moved on
/// would skip 6 for ever. A position below the highest one visible now was
/// taken before this read, by a transaction that already had its id (the
/// `events_take_xid` trigger gives it one before any position) and holds
/// the lock on that id until it ends. So when the positions read are not
/// contiguous, this collects the ids of the database's running writers,
/// waits until those have ended (committed or rolled back) and reads the
/// same range again: what it finds then is final, and gaps left are
/// rollbacks. Without a gap nothing is waited for.
///
/// The running writers are read from the lock table rather than from the
/// snapshot's in-progress list: a snapshot lists only ids below its `xmax`
/// (the latest completed id + 1), and a writer whose id is newer than
/// every completed one is missing from it although its position may be
/// older than a visible one. Projections that must see events in exactly
/// the global order (the finance numbering) read through this.
pub async fn settled_after(
    pool: &sqlx::PgPool,
    after: i64,
    limit: i64,
) -> Result<Settled, sqlx::Error> {
    let mut tx = pool.begin().await?;
    sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        .execute(&mut *tx)
        .await?;
    let page: Vec<RawEvent> = sqlx::query_as(&format!(
        "SELECT {RAW_COLUMNS} FROM events
          WHERE global_position > $1 ORDER BY global_position LIMIT $2"
    ))
    .bind(after)
    .bind(limit)
    .fetch_all(&mut *tx)
    .await?;
    let Some(up_to) = page.last().map(|e| e.global_position) else {
        tx.commit().await?;
        return Ok(Settled {
            events: Vec::new(),
            up_to: after,
        });
    };
    if up_to - after == page.len() as i64 {
        // Every position in the range is visible: none can appear later.
        tx.commit().await?;
        return Ok(Settled {
            events: page,
            up_to,
        });
    }
    let writers = running_writers(&mut tx).await?;
    tx.commit().await?;
    if !writers.is_empty() {
        wait_until_ended(pool, &writers).await?;
    }
    let events = events_between(pool, after, up_to).await?;
    Ok(Settled { events, up_to })
}

/// The ids of the transactions of this database that hold a transaction id
/// now, other than the caller's own.
async fn running_writers(conn: &mut sqlx::PgConnection) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT l.transactionid::text
           FROM pg_locks AS l JOIN pg_stat_activity AS a ON a.pid = l.pid
          WHERE l.locktype = 'transactionid' AND l.mode = 'ExclusiveLock' AND l.granted
            AND a.datname = current_database() AND l.pid <> pg_backend_pid()",
    )
    .fetch_all(conn)
    .await
}

/// Polls until none of the transactions `xids` holds the lock on its id,
/// which it releases only after its commit (or rollback) is visible.
async fn wait_until_ended(pool: &sqlx::PgPool, xids: &[String]) -> Result<(), sqlx::Error> {
    loop {
        let running: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM pg_locks
              WHERE locktype = 'transactionid' AND mode = 'ExclusiveLock' AND granted
                AND transactionid::text = ANY($1)",
        )
        .bind(xids)
        .fetch_one(pool)
        .await?;
        if running == 0 {
            return Ok(());
        }
        tokio::time::sleep(SETTLE_POLL).await;
    }
}

/// The events with `after < global_position <= until`, in global order.
/// Only for a range already known to be settled (a projection's
/// checkpoint was read through [`settled_after`]).
pub async fn events_between<'e>(
    executor: impl PgExecutor<'e>,
    after: i64,
    until: i64,
) -> Result<Vec<RawEvent>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {RAW_COLUMNS} FROM events
          WHERE global_position > $1 AND global_position <= $2
          ORDER BY global_position"
    ))
    .bind(after)
    .bind(until)
    .fetch_all(executor)
    .await
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};
    use cqrs_es::DomainEvent;
    use events::{Actor, LaunchConfirmed};

    use super::*;

    fn stored() -> (StoredEvent, RawEvent) {
        let event = LaunchEvent::LaunchConfirmed(LaunchConfirmed {
            confirmed_at: Utc.with_ymd_and_hms(2026, 11, 25, 10, 0, 0).unwrap(),
        });
        let metadata = EventMetadata::for_command(
            Utc.with_ymd_and_hms(2026, 11, 25, 10, 0, 0).unwrap(),
            "corr",
            "req",
            &Actor {
                id: "ops".into(),
                role: "employee:operations".into(),
            },
        );
        let payload = serde_json::to_value(&event).unwrap();
        let metadata = serde_json::to_value(metadata.to_map()).unwrap();
        let stored = StoredEvent {
            global_position: 7,
            aggregate_type: "Launch".into(),
            aggregate_id: "0193a0d6-0000-7000-8000-00000000000a".into(),
            sequence: 2,
            event_type: event.event_type(),
            event_version: event.event_version(),
            payload: payload.clone(),
            metadata: metadata.clone(),
        };
        let raw = RawEvent {
            global_position: 7,
            aggregate_type: "Launch".into(),
            aggregate_id: stored.aggregate_id.clone(),
            sequence: 2,
            event_type: stored.event_type.clone(),
            event_version: stored.event_version.clone(),
            payload: payload.to_string(),
            metadata: metadata.to_string(),
        };
        (stored, raw)
    }

    #[test]
    fn the_text_path_reads_what_the_value_path_reads() {
        let (stored, raw) = stored();
        let by_value = decode_launch(stored.envelope().unwrap()).unwrap();
        assert_eq!(raw.decode_launch().unwrap(), by_value);
    }

    #[test]
    fn an_unreadable_payload_is_named_with_its_position() {
        let (_, mut raw) = stored();
        raw.payload = r#"{"LaunchConfirmed": {}}"#.into();
        let error = raw.decode_launch().unwrap_err();
        assert_eq!(error.position, 7);
        assert!(error.reason.contains("LaunchConfirmed"), "{}", error.reason);
    }
}
