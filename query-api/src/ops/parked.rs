//! The parking lot: events a consumer could not apply after
//! `DEAD_LETTER_AFTER` deliveries, kept on the dead-letter stream
//! (`ASTRO_DEAD_LETTERS`, subjects `<prefix>.<projection>.<key>`) with the
//! original payload and headers plus why and from where. IT lists them,
//! replays them on their original subject once the cause is fixed, or
//! discards them.
//!
//! The same stream carries the notifier's dead notifications
//! (`<prefix>.notifier.<launch>`): alerts whose replay is the notifications'
//! re-queue, so they are never listed or replayed here. Every read is
//! bounded: an ephemeral consumer filtered on the projections' subjects
//! (its pending count says how many match without reading them) and at
//! most one page of messages, or one message by its stream sequence.

use std::time::Duration;

use async_nats::jetstream::{self, consumer, context, stream};
use async_nats::HeaderMap;
use bytes::Bytes;
use chrono::{DateTime, Utc};
use futures::StreamExt;
use serde::Serialize;
use utoipa::ToSchema;

/// The projections that park events, as named in the subjects and in
/// `Astro-Projection`.
pub const PROJECTIONS: [&str; 3] = ["sales", "profiles", "notifier-planning"];

/// Headers the consumer adds when it parks an event: dropped on replay.
pub const PARKING_HEADERS: [&str; 4] = [
    "Astro-Dead-Letter-Reason",
    "Astro-Projection",
    "Astro-Original-Subject",
    "Astro-Deliveries",
];

/// One parked event, as its headers describe it (a header a consumer did
/// not write is null).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ParkedEvent {
    /// Its sequence in the dead-letter stream: the id to replay or
    /// discard it with.
    pub id: u64,
    /// The projection that parked it (`sales`, `profiles`,
    /// `notifier-planning`).
    #[schema(example = "sales")]
    pub projection: String,
    /// When it was parked (the dead-letter message's time).
    pub parked_at: DateTime<Utc>,
    /// Its subject on the dead-letter stream.
    pub subject: String,
    /// Where it came from, where a replay publishes it again.
    pub original_subject: Option<String>,
    /// `Astro-Aggregate-Type`.
    pub aggregate_type: Option<String>,
    /// `Astro-Aggregate-Id`.
    pub aggregate_id: Option<String>,
    /// `Astro-Sequence`: the event's sequence in its aggregate.
    pub sequence: Option<i64>,
    /// `Astro-Event-Type`.
    pub event_type: Option<String>,
    /// `Astro-Event-Version`.
    pub event_version: Option<String>,
    /// `Astro-Global-Position`, for an event of the event store.
    pub global_position: Option<i64>,
    /// `Astro-Dead-Letter-Reason`: why it could not be applied.
    pub reason: Option<String>,
    /// `Astro-Deliveries`: how many times it was delivered before it was
    /// parked.
    pub deliveries: Option<i64>,
}

/// What a consumer parked, or a dead notification.
#[derive(Debug, Clone)]
pub struct Stored {
    /// The dead-letter message's sequence.
    pub sequence: u64,
    /// Its subject.
    pub subject: String,
    /// Its headers.
    pub headers: HeaderMap,
    /// The original payload.
    pub payload: Bytes,
    /// When it was stored.
    pub time: DateTime<Utc>,
}

impl Stored {
    fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .map(|value| value.as_str().to_owned())
    }

    /// The view of it.
    pub fn view(&self, lot: &ParkingLot) -> ParkedEvent {
        let number = |name: &str| self.header(name).and_then(|v| v.trim().parse().ok());
        ParkedEvent {
            id: self.sequence,
            projection: self
                .header("Astro-Projection")
                .or_else(|| lot.projection_of(&self.subject).map(str::to_owned))
                .unwrap_or_default(),
            parked_at: self.time,
            subject: self.subject.clone(),
            original_subject: self.header("Astro-Original-Subject"),
            aggregate_type: self.header("Astro-Aggregate-Type"),
            aggregate_id: self.header("Astro-Aggregate-Id"),
            sequence: number("Astro-Sequence"),
            event_type: self.header("Astro-Event-Type"),
            event_version: self.header("Astro-Event-Version"),
            global_position: number("Astro-Global-Position"),
            reason: self.header("Astro-Dead-Letter-Reason"),
            deliveries: number("Astro-Deliveries"),
        }
    }

    /// The headers a replay publishes: the original ones, without what
    /// parking added, with the replay's own message id.
    pub fn replay_headers(&self, message_id: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for (name, values) in self.headers.iter() {
            let name_str: &str = name.as_ref();
            if name_str == "Nats-Msg-Id" || PARKING_HEADERS.contains(&name_str) {
                continue;
            }
            for value in values {
                headers.append(name.clone(), value.clone());
            }
        }
        headers.insert("Nats-Msg-Id", message_id);
        headers
    }
}

/// The errors of the parking lot.
#[derive(Debug, thiserror::Error)]
pub enum ParkedError {
    /// NATS is not connected, or JetStream did not answer in time or
    /// failed.
    #[error("NATS is unavailable: {0}")]
    Unavailable(String),
    /// The original subject belongs to no stream: nothing would store the
    /// replay.
    #[error("no stream takes the subject {0}")]
    NoStream(String),
}

fn unavailable(error: impl std::fmt::Display) -> ParkedError {
    ParkedError::Unavailable(error.to_string())
}

/// One page of parked events, in stream order (the order they were
/// parked).
#[derive(Debug, Clone)]
pub struct Page {
    /// At most the limit asked for.
    pub items: Vec<Stored>,
    /// How many more match after this page.
    pub remaining: u64,
}

/// What a replay did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Replayed {
    /// The sequence of the copy in the stream that took it.
    pub stream_sequence: u64,
    /// That stream.
    pub stream: String,
    /// Whether JetStream recognised the message id (an earlier attempt of
    /// the same replay published it already).
    pub duplicate: bool,
    /// The message id it was published with.
    pub message_id: String,
}

/// The dead-letter stream, seen from the IT endpoints.
#[derive(Debug, Clone)]
pub struct ParkingLot {
    client: async_nats::Client,
    jetstream: jetstream::Context,
    stream: String,
    prefix: String,
    timeout: Duration,
}

impl ParkingLot {
    /// The lot on `stream`, whose subjects start with `prefix`
    /// (`astro.events-dead`), every NATS call bounded by `timeout`.
    pub fn new(client: &async_nats::Client, stream: &str, prefix: &str, timeout: Duration) -> Self {
        Self {
            client: client.clone(),
            jetstream: jetstream::new(client.clone()),
            stream: stream.to_owned(),
            prefix: prefix.to_owned(),
            timeout,
        }
    }

    /// The dead-letter stream's name.
    pub fn stream_name(&self) -> &str {
        &self.stream
    }

    /// The projection of a dead-letter subject, when it is one of
    /// [`PROJECTIONS`].
    pub fn projection_of(&self, subject: &str) -> Option<&'static str> {
        let rest = subject.strip_prefix(&self.prefix)?.strip_prefix('.')?;
        let (projection, key) = rest.split_once('.')?;
        if key.is_empty() {
            return None;
        }
        PROJECTIONS.iter().copied().find(|p| *p == projection)
    }

    /// The subjects of `projections`, of one key when `key` is given.
    pub fn subjects(&self, projections: &[&str], key: Option<&str>) -> Vec<String> {
        projections
            .iter()
            .map(|p| format!("{}.{p}.{}", self.prefix, key.unwrap_or(">")))
            .collect()
    }

    /// The id a replay of `sequence` is published with: the same for
    /// every attempt, so that JetStream drops a second copy within its
    /// duplicate window, and never the original's (which the window may
    /// still hold).
    pub fn replay_id(&self, sequence: u64) -> String {
        format!("replay:{}:{sequence}", self.stream)
    }

    async fn bounded<T, E: std::fmt::Display>(
        &self,
        future: impl std::future::Future<Output = Result<T, E>>,
    ) -> Result<T, ParkedError> {
        if self.client.connection_state() != async_nats::connection::State::Connected {
            return Err(ParkedError::Unavailable("NATS is not connected".into()));
        }
        match tokio::time::timeout(self.timeout, future).await {
            Ok(result) => result.map_err(unavailable),
            Err(_) => Err(ParkedError::Unavailable("no answer in time".into())),
        }
    }

    /// The dead-letter stream, or `None` when it does not exist (nothing
    /// was ever parked).
    async fn stream(&self) -> Result<Option<stream::Stream>, ParkedError> {
        let found = self
            .bounded(async {
                match self.jetstream.get_stream(&self.stream).await {
                    Ok(stream) => Ok(Some(stream)),
                    Err(error)
                        if matches!(
                            error.kind(),
                            context::GetStreamErrorKind::JetStream(e)
                                if e.error_code() == jetstream::ErrorCode::STREAM_NOT_FOUND
                        ) =>
                    {
                        Ok(None)
                    }
                    Err(error) => Err(error),
                }
            })
            .await?;
        Ok(found)
    }

    /// At most `limit` messages on `subjects` from the stream sequence
    /// `from` on, in stream order, and how many more match. One ephemeral
    /// consumer (in memory, acknowledging nothing, gone after the
    /// request or, should the request die, after a few seconds idle).
    pub async fn page(
        &self,
        subjects: Vec<String>,
        from: u64,
        limit: u64,
    ) -> Result<Page, ParkedError> {
        let Some(stream) = self.stream().await? else {
            return Ok(Page {
                items: Vec::new(),
                remaining: 0,
            });
        };
        let config = consumer::pull::Config {
            filter_subjects: subjects,
            deliver_policy: consumer::DeliverPolicy::ByStartSequence {
                start_sequence: from.max(1),
            },
            ack_policy: consumer::AckPolicy::None,
            inactive_threshold: Duration::from_secs(5),
            memory_storage: true,
            num_replicas: 1,
            description: Some("query-api: the parked events, one page".into()),
            ..Default::default()
        };
        let mut consumer: consumer::PullConsumer =
            self.bounded(stream.create_consumer(config)).await?;
        let name = consumer.cached_info().name.clone();
        let read = async {
            let pending = consumer.info().await.map_err(unavailable)?.num_pending;
            let wanted = pending.min(limit);
            let mut items = Vec::with_capacity(wanted as usize);
            if wanted > 0 {
                let mut messages = consumer
                    .fetch()
                    .max_messages(wanted as usize)
                    .expires(self.timeout)
                    .messages()
                    .await
                    .map_err(unavailable)?;
                while let Some(message) = messages.next().await {
                    let message = message.map_err(unavailable)?;
                    let info = message.info().map_err(unavailable)?;
                    items.push(Stored {
                        sequence: info.stream_sequence,
                        subject: message.subject.to_string(),
                        headers: message.headers.clone().unwrap_or_default(),
                        payload: message.payload.clone(),
                        time: utc(info.published),
                    });
                    if items.len() as u64 == wanted {
                        break;
                    }
                }
            }
            Ok::<_, ParkedError>(Page {
                remaining: pending - items.len() as u64,
                items,
            })
        };
        let page = match tokio::time::timeout(self.timeout, read).await {
            Ok(page) => page,
            Err(_) => Err(ParkedError::Unavailable("no answer in time".into())),
        };
        // Best effort: an ephemeral consumer goes away by itself anyway.
        let _ = tokio::time::timeout(self.timeout, stream.delete_consumer(&name)).await;
        page
    }

    /// The message at `sequence`, or `None` when there is none (never was,
    /// replayed or discarded).
    pub async fn get(&self, sequence: u64) -> Result<Option<Stored>, ParkedError> {
        let Some(stream) = self.stream().await? else {
            return Ok(None);
        };
        let found = self
            .bounded(async {
                match stream.get_raw_message(sequence).await {
                    Ok(message) => Ok(Some(message)),
                    Err(error) if error.kind() == stream::RawMessageErrorKind::NoMessageFound => {
                        Ok(None)
                    }
                    // A sequence the server cannot look up at all (0) is
                    // answered "bad request": no such message either.
                    Err(error)
                        if matches!(
                            error.kind(),
                            stream::RawMessageErrorKind::JetStream(ref e) if e.code() == 400
                        ) =>
                    {
                        Ok(None)
                    }
                    Err(error) => Err(error),
                }
            })
            .await?;
        Ok(found.map(|message| Stored {
            sequence: message.sequence,
            subject: message.subject.to_string(),
            headers: message.headers,
            payload: message.payload,
            time: utc(message.time),
        }))
    }

    /// Publishes `parked` on its original subject with its original
    /// headers and the replay's message id, waits for the stream to store
    /// it, then deletes it from the dead-letter stream. A second attempt
    /// (a retried request, a concurrent one) publishes nothing new within
    /// the duplicate window and finds it deleted.
    pub async fn replay(
        &self,
        parked: &Stored,
        original_subject: &str,
    ) -> Result<Replayed, ParkedError> {
        let message_id = self.replay_id(parked.sequence);
        let headers = parked.replay_headers(&message_id);
        let ack = self
            .bounded(async {
                match self
                    .jetstream
                    .publish_with_headers(
                        original_subject.to_owned(),
                        headers,
                        parked.payload.clone(),
                    )
                    .await
                {
                    Ok(ack) => ack.await.map(Ok),
                    Err(error) => Err(error),
                }
                .or_else(|error| match error.kind() {
                    context::PublishErrorKind::StreamNotFound => Ok(Err(())),
                    _ => Err(error),
                })
            })
            .await?
            .map_err(|()| ParkedError::NoStream(original_subject.to_owned()))?;
        self.discard(parked.sequence).await?;
        Ok(Replayed {
            stream_sequence: ack.sequence,
            stream: ack.stream,
            duplicate: ack.duplicate,
            message_id,
        })
    }

    /// Deletes the message at `sequence`; `false` when it was gone already.
    pub async fn discard(&self, sequence: u64) -> Result<bool, ParkedError> {
        let Some(stream) = self.stream().await? else {
            return Ok(false);
        };
        self.bounded(async {
            match stream.delete_message(sequence).await {
                Ok(deleted) => Ok(deleted),
                // What the server answers for a sequence it does not hold.
                Err(error)
                    if matches!(
                        error.kind(),
                        stream::DeleteMessageErrorKind::JetStream(e)
                            if e.error_code() == jetstream::ErrorCode::STREAM_MESSAGE_DELETE_FAILED
                    ) =>
                {
                    Ok(false)
                }
                Err(error) => Err(error),
            }
        })
        .await
    }

    /// How many events `projection` has parked and when the oldest was
    /// parked (a consumer's pending count, and the first message by
    /// subject).
    pub async fn census(
        &self,
        projection: &str,
    ) -> Result<(u64, Option<DateTime<Utc>>), ParkedError> {
        let page = self.page(self.subjects(&[projection], None), 1, 1).await?;
        let oldest = page.items.first().map(|m| m.time);
        Ok((page.remaining + page.items.len() as u64, oldest))
    }
}

/// A JetStream time as a UTC instant.
fn utc(time: async_nats::datetime::DateTime) -> DateTime<Utc> {
    DateTime::from_timestamp_nanos(time.unix_timestamp_nanos() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn lot() -> ParkingLot {
        // Never connects: only the naming is exercised.
        let client = async_nats::ConnectOptions::new()
            .retry_on_initial_connect()
            .connect("nats://127.0.0.1:1")
            .await
            .expect("a client that connects in the background");
        ParkingLot::new(
            &client,
            "ASTRO_DEAD_LETTERS",
            "astro.events-dead",
            Duration::from_secs(1),
        )
    }

    #[tokio::test]
    async fn only_the_projections_subjects_hold_parked_events() {
        let lot = lot().await;
        assert_eq!(
            lot.projection_of("astro.events-dead.sales.l1"),
            Some("sales")
        );
        assert_eq!(
            lot.projection_of("astro.events-dead.notifier-planning.unknown"),
            Some("notifier-planning")
        );
        assert_eq!(lot.projection_of("astro.events-dead.notifier.l1"), None);
        assert_eq!(lot.projection_of("astro.events-dead.sales."), None);
        assert_eq!(lot.projection_of("astro.events.sales.l1"), None);
        assert_eq!(
            lot.subjects(&["sales", "profiles"], Some("u1")),
            [
                "astro.events-dead.sales.u1",
                "astro.events-dead.profiles.u1"
            ]
        );
        assert_eq!(lot.replay_id(7), "replay:ASTRO_DEAD_LETTERS:7");
    }

    #[test]
    fn a_replay_keeps_the_original_headers_and_drops_the_parkings() {
        let mut headers = HeaderMap::new();
        headers.insert("Astro-Aggregate-Id", "l1");
        headers.insert("Astro-Sequence", "3");
        headers.insert("Nats-Msg-Id", "l1:3");
        for name in PARKING_HEADERS {
            headers.insert(name, "x");
        }
        let parked = Stored {
            sequence: 9,
            subject: "astro.events-dead.sales.l1".into(),
            headers,
            payload: Bytes::new(),
            time: Utc::now(),
        };
        let replayed = parked.replay_headers("replay:D:9");
        assert_eq!(replayed.get("Nats-Msg-Id").unwrap().as_str(), "replay:D:9");
        assert_eq!(replayed.get("Astro-Aggregate-Id").unwrap().as_str(), "l1");
        assert_eq!(replayed.get("Astro-Sequence").unwrap().as_str(), "3");
        for name in PARKING_HEADERS {
            assert!(replayed.get(name).is_none(), "{name}");
        }
    }
}
