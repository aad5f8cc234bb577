//! The envelope around every stored event: who did it, when, why, and where
//! it sits in the store.
//!
//! cqrs-es keeps metadata as a `HashMap<String, String>`; [`EventMetadata`]
//! is its typed form, and [`Envelope`] is what readers of the store get.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Metadata keys, stable on the wire and in the `events.metadata` column.
mod keys {
    pub const EVENT_ID: &str = "event_id";
    pub const OCCURRED_AT: &str = "occurred_at";
    pub const CORRELATION_ID: &str = "correlation_id";
    pub const CAUSATION_ID: &str = "causation_id";
    pub const ACTOR_ID: &str = "actor_id";
    pub const ACTOR_ROLE: &str = "actor_role";
}

/// Who caused an event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    /// The user's id, or `system` for the system itself.
    pub id: String,
    /// The user's role (`traveler`, `agency`, `employee:operations`, …).
    pub role: String,
}

/// The typed metadata of one event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventMetadata {
    /// Unique id of this event (UUID v7, time-ordered).
    pub event_id: Uuid,
    /// When the command that produced it was executed.
    pub occurred_at: DateTime<Utc>,
    /// Shared by everything one user action caused, across services.
    pub correlation_id: String,
    /// The id of what directly caused this event: the HTTP request id for a
    /// command, or the event id for a reaction to an event.
    pub causation_id: String,
    /// Who did it.
    pub actor: Actor,
}

/// Metadata that cannot be read back.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum MetadataError {
    /// A key is absent.
    #[error("event metadata lacks `{0}`")]
    Missing(&'static str),
    /// A key holds a value of the wrong shape.
    #[error("event metadata `{0}` is malformed")]
    Malformed(&'static str),
}

impl EventMetadata {
    /// Metadata for the `index`-th event of one command: every event of a
    /// command shares time, correlation, causation and actor, and gets its
    /// own id.
    pub fn for_command(
        occurred_at: DateTime<Utc>,
        correlation_id: &str,
        causation_id: &str,
        actor: &Actor,
    ) -> Self {
        Self {
            event_id: Uuid::now_v7(),
            occurred_at,
            correlation_id: correlation_id.to_owned(),
            causation_id: causation_id.to_owned(),
            actor: actor.clone(),
        }
    }

    /// The cqrs-es representation.
    pub fn to_map(&self) -> HashMap<String, String> {
        HashMap::from([
            (keys::EVENT_ID.into(), self.event_id.to_string()),
            (keys::OCCURRED_AT.into(), self.occurred_at.to_rfc3339()),
            (keys::CORRELATION_ID.into(), self.correlation_id.clone()),
            (keys::CAUSATION_ID.into(), self.causation_id.clone()),
            (keys::ACTOR_ID.into(), self.actor.id.clone()),
            (keys::ACTOR_ROLE.into(), self.actor.role.clone()),
        ])
    }

    /// Reads the cqrs-es representation back.
    pub fn from_map(map: &HashMap<String, String>) -> Result<Self, MetadataError> {
        let get = |key: &'static str| map.get(key).ok_or(MetadataError::Missing(key));
        Ok(Self {
            event_id: get(keys::EVENT_ID)?
                .parse()
                .map_err(|_| MetadataError::Malformed(keys::EVENT_ID))?,
            occurred_at: DateTime::parse_from_rfc3339(get(keys::OCCURRED_AT)?)
                .map_err(|_| MetadataError::Malformed(keys::OCCURRED_AT))?
                .with_timezone(&Utc),
            correlation_id: get(keys::CORRELATION_ID)?.clone(),
            causation_id: get(keys::CAUSATION_ID)?.clone(),
            actor: Actor {
                id: get(keys::ACTOR_ID)?.clone(),
                role: get(keys::ACTOR_ROLE)?.clone(),
            },
        })
    }
}

/// One stored event as readers see it: payload plus its place in the store.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Envelope<E> {
    /// The aggregate's type (`Launch`, `Rocket`).
    pub aggregate_type: String,
    /// The aggregate's id.
    pub aggregate_id: String,
    /// The event's sequence within its aggregate, from 1, without gaps.
    pub sequence: u64,
    /// The event's position in the one total order of the whole store.
    pub global_position: i64,
    /// The payload's type name.
    pub event_type: String,
    /// The payload's version.
    pub event_version: String,
    /// Who, when, why.
    pub metadata: EventMetadata,
    /// The event itself.
    pub payload: E,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> EventMetadata {
        EventMetadata::for_command(
            DateTime::parse_from_rfc3339("2026-11-25T10:00:00.123456Z")
                .unwrap()
                .with_timezone(&Utc),
            "corr-1",
            "req-1",
            &Actor {
                id: "0193a0d6-0000-7000-8000-000000000001".into(),
                role: "traveler".into(),
            },
        )
    }

    #[test]
    fn metadata_survives_the_cqrs_es_map_round_trip() {
        let metadata = sample();
        assert_eq!(EventMetadata::from_map(&metadata.to_map()), Ok(metadata));
    }

    #[test]
    fn each_event_of_a_command_gets_its_own_id() {
        assert_ne!(sample().event_id, sample().event_id);
    }

    #[test]
    fn missing_and_malformed_metadata_are_named() {
        let mut map = sample().to_map();
        map.remove("correlation_id");
        assert_eq!(
            EventMetadata::from_map(&map),
            Err(MetadataError::Missing("correlation_id"))
        );
        let mut map = sample().to_map();
        map.insert("occurred_at".into(), "yesterday".into());
        assert_eq!(
            EventMetadata::from_map(&map),
            Err(MetadataError::Malformed("occurred_at"))
        );
    }
}
