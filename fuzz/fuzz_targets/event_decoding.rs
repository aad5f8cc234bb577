//! Arbitrary bytes as what the readers of events receive: a JetStream
//! message (the sales projector's and the notifier's envelope, the profiles
//! projector's user and profile messages) and a row of the event store
//! (read as JSON values, and as text by the finance projector), through the
//! upcasters.
//!
//! Invariants: nothing panics; the text path (`RawEvent::decode_launch`)
//! and the value path (`decode_launch` of `StoredEvent::envelope`) read the
//! same row alike; a decoded event re-encodes to an envelope that decodes
//! to the same event.
#![no_main]

use cqrs_es::persist::SerializedEvent;
use events::upcast::{self, SemanticVersionEventUpcaster};
use events::{Envelope, LaunchEvent};
use libfuzzer_sys::fuzz_target;
use projectors::profiles::{decode_profile_event, decode_user};
use projectors::source::{decode_launch, RawEvent, StoredEvent};
use serde_json::Value;

fuzz_target!(|data: &[u8]| {
    message(data);
    stored_row(data);
    upcasting(data);
});

/// What a consumer does with a message's payload.
fn message(data: &[u8]) {
    let _ = decode_user(data);
    let _ = decode_profile_event(data);
    if let Ok(envelope) = serde_json::from_slice::<Envelope<Value>>(data) {
        if let Ok(decoded) = decode_launch(envelope) {
            same_after_publishing(&decoded);
        }
    }
}

/// A decoded event, published again as the relay would, reads the same.
fn same_after_publishing(decoded: &Envelope<LaunchEvent>) {
    let published = serde_json::to_vec(decoded).expect("an envelope serializes");
    let envelope: Envelope<Value> =
        serde_json::from_slice(&published).expect("a published envelope reads back");
    let again = decode_launch(envelope).expect("a published event decodes");
    assert_eq!(&again, decoded);
}

/// The columns of one row, as JSON: `{"global_position", "aggregate_type",
/// "aggregate_id", "sequence", "event_type", "event_version", "payload",
/// "metadata"}`.
#[derive(serde::Deserialize)]
struct Row {
    global_position: i64,
    aggregate_type: String,
    aggregate_id: String,
    sequence: i64,
    event_type: String,
    event_version: String,
    payload: Value,
    metadata: Value,
}

/// A row of the store, read both ways. The text is what PostgreSQL gives
/// for `jsonb::text` (one key once), which `Value::to_string` also writes.
fn stored_row(data: &[u8]) {
    let Ok(row) = serde_json::from_slice::<Row>(data) else {
        return;
    };
    let raw = RawEvent {
        global_position: row.global_position,
        aggregate_type: row.aggregate_type.clone(),
        aggregate_id: row.aggregate_id.clone(),
        sequence: row.sequence,
        event_type: row.event_type.clone(),
        event_version: row.event_version.clone(),
        payload: row.payload.to_string(),
        metadata: row.metadata.to_string(),
    };
    let stored = StoredEvent {
        global_position: row.global_position,
        aggregate_type: row.aggregate_type,
        aggregate_id: row.aggregate_id,
        sequence: row.sequence,
        event_type: row.event_type,
        event_version: row.event_version,
        payload: row.payload,
        metadata: row.metadata,
    };
    let by_value = stored.envelope().and_then(decode_launch);
    let by_text = raw.decode_launch();
    match (&by_value, &by_text) {
        (Ok(value), Ok(text)) => {
            assert_eq!(value, text);
            same_after_publishing(value);
        }
        (Err(value), Err(text)) => assert_eq!(value.position, text.position),
        _ => panic!("the text and value paths disagree: {by_value:?} / {by_text:?}"),
    }
}

/// The upcasting machinery with an upcaster for every event type at a
/// version above today's, as a future payload change would add: versions
/// of any shape are compared without panicking, and an upcast event keeps
/// its identity.
fn upcasting(data: &[u8]) {
    let Ok(row) = serde_json::from_slice::<Row>(data) else {
        return;
    };
    let upcasters: Vec<Box<dyn cqrs_es::persist::EventUpcaster>> = vec![Box::new(
        SemanticVersionEventUpcaster::new(&row.event_type, "1.1", Box::new(|payload| payload)),
    )];
    let event = SerializedEvent {
        aggregate_id: row.aggregate_id.clone(),
        sequence: row.sequence as usize,
        aggregate_type: row.aggregate_type,
        event_type: row.event_type.clone(),
        event_version: row.event_version,
        payload: row.payload.clone(),
        metadata: row.metadata,
    };
    let current = upcast::upcast(event, &upcasters);
    assert_eq!(current.aggregate_id, row.aggregate_id);
    assert_eq!(current.event_type, row.event_type);
    assert_eq!(current.payload, row.payload);
    let _ = upcast::upcast(current, &upcast::upcasters());
}
