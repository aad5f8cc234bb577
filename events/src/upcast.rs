//! Upcasting: stored payloads of an old `event_version` are turned into the
//! current shape on read, never rewritten in the store.
//!
//! Every event is at version `1.0` today, so [`upcasters`] is empty; when a
//! payload changes, bump its `event_version`, add a
//! [`SemanticVersionEventUpcaster`] here, and a test reading the old JSON.

pub use cqrs_es::persist::SemanticVersionEventUpcaster;
use cqrs_es::persist::{EventUpcaster, SerializedEvent};

/// The upcasters every reader of the store applies, in order.
pub fn upcasters() -> Vec<Box<dyn EventUpcaster>> {
    Vec::new()
}

/// Applies every matching upcaster to one stored event.
pub fn upcast(mut event: SerializedEvent, upcasters: &[Box<dyn EventUpcaster>]) -> SerializedEvent {
    for upcaster in upcasters {
        if upcaster.can_upcast(&event.event_type, &event.event_version) {
            event = upcaster.upcast(event);
        }
    }
    event
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    fn rename_field(mut payload: Value) -> Value {
        let inner = payload["LaunchDelayed"].as_object_mut().unwrap();
        let old = inner.remove("why").unwrap();
        inner.insert("reason".into(), old);
        payload
    }

    #[test]
    fn an_old_payload_is_upcast_to_the_current_shape() {
        let upcasters: Vec<Box<dyn EventUpcaster>> = vec![Box::new(
            SemanticVersionEventUpcaster::new("LaunchDelayed", "1.0", Box::new(rename_field)),
        )];
        let old = SerializedEvent {
            aggregate_id: "l1".into(),
            sequence: 2,
            aggregate_type: "Launch".into(),
            event_type: "LaunchDelayed".into(),
            event_version: "0.9".into(),
            payload: json!({"LaunchDelayed": {"why": "weather"}}),
            metadata: json!({}),
        };
        let new = upcast(old, &upcasters);
        // cqrs-es writes the full semantic version.
        assert_eq!(new.event_version, "1.0.0");
        assert_eq!(new.payload, json!({"LaunchDelayed": {"reason": "weather"}}));
    }

    #[test]
    fn every_current_event_needs_no_upcasting() {
        assert!(upcasters().is_empty());
    }
}
