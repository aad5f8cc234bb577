//! Parking: what an order-free consumer (the sales and profiles projectors,
//! the notifier's planning) does with an event it cannot apply after
//! `DEAD_LETTER_AFTER` deliveries. It publishes a copy of the message on the
//! dead-letter stream (`DEAD_LETTER_STREAM`, subject
//! `<EVENTS_SUBJECT_PREFIX>-dead.<projection>.<key>`), with the original
//! headers but its message id plus why, then terminates the original and
//! goes on with the next events. IT lists, replays (after a fix) or
//! discards parked events through the query API (`/v1/ops/parked`); while
//! any is parked, the consumer's `/ready` says `degraded` and names them.
//!
//! The ordered finance projection never parks: it halts (see
//! [`crate::finance`]).

use std::collections::BTreeMap;

use async_nats::jetstream::{self, stream, Message};
use async_nats::HeaderMap;
use futures::TryStreamExt;

/// The headers a parked message carries besides the original's.
pub mod headers {
    /// Why it could not be applied (one line).
    pub const REASON: &str = "Astro-Dead-Letter-Reason";
    /// Which consumer parked it (`sales`, `profiles`, `notifier-planning`).
    pub const PROJECTION: &str = "Astro-Projection";
    /// The subject it was consumed from: where a replay publishes it again.
    pub const ORIGINAL_SUBJECT: &str = "Astro-Original-Subject";
    /// How many times it had been delivered.
    pub const DELIVERIES: &str = "Astro-Deliveries";
}

/// Where one process parks events. Cheap to clone.
#[derive(Clone)]
pub struct Parking {
    jetstream: jetstream::Context,
    stream: String,
    prefix: String,
}

impl Parking {
    /// Parking on stream `stream` under subjects `<prefix>.>` (`prefix` is
    /// `<EVENTS_SUBJECT_PREFIX>-dead`).
    pub fn new(client: async_nats::Client, stream: String, prefix: String) -> Self {
        Self {
            jetstream: jetstream::new(client),
            stream,
            prefix,
        }
    }

    /// The dead-letter stream's configuration (created idempotently by
    /// every process that parks).
    pub fn stream_config(&self) -> stream::Config {
        stream::Config {
            name: self.stream.clone(),
            subjects: vec![format!("{}.>", self.prefix)],
            storage: stream::StorageType::File,
            ..Default::default()
        }
    }

    /// Creates the dead-letter stream unless it exists.
    pub async fn ensure_stream(&self) -> anyhow::Result<()> {
        self.jetstream
            .get_or_create_stream(self.stream_config())
            .await
            .map_err(|e| anyhow::anyhow!("creating the dead-letter stream {}: {e}", self.stream))?;
        Ok(())
    }

    /// The subject `message` is parked on for `projection` and `key` (an
    /// aggregate id; `unknown` when there is none).
    pub fn subject(&self, projection: &str, key: Option<&str>) -> String {
        parked_subject(&self.prefix, projection, key)
    }

    /// Publishes a copy of `message` for `projection` with `reason` and
    /// waits for the stream's acknowledgement. The caller terminates the
    /// original once this succeeded, and nacks it otherwise (it is parked
    /// on a later delivery). Returns the subject.
    pub async fn park(
        &self,
        projection: &str,
        key: Option<&str>,
        message: &Message,
        reason: &str,
        delivered: i64,
    ) -> Result<String, async_nats::Error> {
        let subject = self.subject(projection, key);
        let headers = parked_headers(
            message.headers.as_ref(),
            projection,
            message.subject.as_str(),
            reason,
            delivered,
        );
        self.jetstream
            .publish_with_headers(subject.clone(), headers, message.payload.clone())
            .await?
            .await?;
        Ok(subject)
    }

    /// How many events are parked now, by projection (only those with
    /// any). Bounded by the number of distinct parked keys, which is small
    /// unless something is badly wrong.
    pub async fn counts(&self, projections: &[&str]) -> Result<BTreeMap<String, u64>, String> {
        let stream = self
            .jetstream
            .get_stream(&self.stream)
            .await
            .map_err(|e| e.to_string())?;
        let mut counts = BTreeMap::new();
        for projection in projections {
            let filter = format!("{}.{projection}.>", self.prefix);
            let subjects = stream
                .info_with_subjects(filter)
                .await
                .map_err(|e| e.to_string())?;
            let total: u64 = subjects
                .try_fold(0_u64, |sum, (_, n)| async move { Ok(sum + n as u64) })
                .await
                .map_err(|e| e.to_string())?;
            if total > 0 {
                counts.insert((*projection).to_owned(), total);
            }
        }
        Ok(counts)
    }
}

/// Whether `error` says the database cannot be used now (down, busy, out
/// of resources, a conflict to retry) rather than that it refuses this
/// event's data. Only a refusal of the data (SQLSTATE classes 22 data
/// exception, 23 integrity constraint, 54 program limit) is the event's
/// fault: anything else is retried for as long as it lasts, and a consumer
/// never parks events because of an outage or a misconfiguration.
pub fn is_unavailable(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::Database(database) => !database.code().is_some_and(|code| {
            ["22", "23", "54"]
                .iter()
                .any(|class| code.starts_with(class))
        }),
        sqlx::Error::Encode(_) | sqlx::Error::ColumnDecode { .. } | sqlx::Error::Decode(_) => false,
        _ => true,
    }
}

/// The headers of a parked copy: the original's but `Nats-Msg-Id` (a parked
/// message is a new message), plus why, by whom and from where.
fn parked_headers(
    original: Option<&HeaderMap>,
    projection: &str,
    subject: &str,
    reason: &str,
    delivered: i64,
) -> HeaderMap {
    let mut headers = HeaderMap::new();
    if let Some(original) = original {
        for (name, values) in original.iter() {
            if AsRef::<str>::as_ref(name) != "Nats-Msg-Id" {
                for value in values {
                    headers.append(name.clone(), value.clone());
                }
            }
        }
    }
    headers.insert(headers::REASON, one_line(reason).as_str());
    headers.insert(headers::PROJECTION, projection);
    headers.insert(headers::ORIGINAL_SUBJECT, subject);
    headers.insert(headers::DELIVERIES, delivered.to_string().as_str());
    headers
}

/// `text` as a header value: control characters (line breaks included)
/// become spaces, and it is cut at 1 KiB on a character boundary.
fn one_line(text: &str) -> String {
    let mut line: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if line.len() > 1024 {
        let mut end = 1024;
        while !line.is_char_boundary(end) {
            end -= 1;
        }
        line.truncate(end);
    }
    line
}

fn parked_subject(prefix: &str, projection: &str, key: Option<&str>) -> String {
    let key = key.filter(|k| is_subject_token(k)).unwrap_or("unknown");
    format!("{prefix}.{projection}.{key}")
}

/// Whether `key` can be one token of a NATS subject.
fn is_subject_token(key: &str) -> bool {
    !key.is_empty()
        && key
            .chars()
            .all(|c| !c.is_whitespace() && !c.is_control() && !matches!(c, '.' | '*' | '>'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_parked_copy_keeps_the_original_headers_but_its_message_id() {
        let mut original = HeaderMap::new();
        original.insert("Nats-Msg-Id", "launch-1:7");
        original.insert("Astro-Aggregate-Id", "launch-1");
        original.insert("Astro-Global-Position", "42");
        let headers = parked_headers(
            Some(&original),
            "sales",
            "astro.events.Launch.launch-1",
            "bad\r\nthing\0",
            5,
        );
        assert!(headers.get("Nats-Msg-Id").is_none());
        assert_eq!(
            headers.get("Astro-Aggregate-Id").unwrap().as_str(),
            "launch-1"
        );
        assert_eq!(headers.get("Astro-Global-Position").unwrap().as_str(), "42");
        assert_eq!(
            headers.get(headers::REASON).unwrap().as_str(),
            "bad  thing "
        );
        assert_eq!(headers.get(headers::PROJECTION).unwrap().as_str(), "sales");
        assert_eq!(
            headers.get(headers::ORIGINAL_SUBJECT).unwrap().as_str(),
            "astro.events.Launch.launch-1"
        );
        assert_eq!(headers.get(headers::DELIVERIES).unwrap().as_str(), "5");
    }

    #[test]
    fn a_long_reason_is_cut_on_a_character_boundary() {
        let reason = "é".repeat(1000);
        let line = one_line(&reason);
        assert!(line.len() <= 1024);
        assert!(line.chars().all(|c| c == 'é'));
    }

    #[test]
    fn a_key_that_is_no_subject_token_is_unknown() {
        let client_free = |key| parked_subject("astro.events-dead", "sales", key);
        assert_eq!(client_free(Some("abc")), "astro.events-dead.sales.abc");
        for bad in ["", "a.b", "a b", "*", ">", "a\0"] {
            assert_eq!(
                client_free(Some(bad)),
                "astro.events-dead.sales.unknown",
                "{bad:?}"
            );
        }
        assert_eq!(client_free(None), "astro.events-dead.sales.unknown");
    }
}
