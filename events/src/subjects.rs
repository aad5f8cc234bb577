//! NATS JetStream names. The relay publishes every event to
//! `astro.events.<aggregate type>.<aggregate id>` on the stream [`STREAM`],
//! with the message id [`message_id`] so JetStream drops re-publications.

/// The JetStream stream holding every event.
pub const STREAM: &str = "ASTRO_EVENTS";

/// Subjects of every event: `astro.events.>`.
pub const ALL_EVENTS: &str = "astro.events.>";

/// The subject of one aggregate's events.
pub fn event_subject(aggregate_type: &str, aggregate_id: &str) -> String {
    format!("astro.events.{aggregate_type}.{aggregate_id}")
}

/// The JetStream message id (deduplication key) of one event.
pub fn message_id(aggregate_id: &str, sequence: u64) -> String {
    format!("{aggregate_id}:{sequence}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subjects_fall_under_the_stream_wildcard() {
        let subject = event_subject("Launch", "0193a0d6-aaaa");
        assert_eq!(subject, "astro.events.Launch.0193a0d6-aaaa");
        assert!(subject.starts_with(ALL_EVENTS.trim_end_matches('>')));
    }

    #[test]
    fn message_ids_are_aggregate_and_sequence() {
        assert_eq!(message_id("abc", 7), "abc:7");
    }
}
