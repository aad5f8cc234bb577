//! The sales projector: a JetStream durable pull consumer of the launches'
//! events that keeps the MongoDB read model `sales` (see
//! [`read_models::sales`]) up to date, and its rebuild from the event store
//! ([`rebuild`]).
//!
//! Delivery is at least once; the effect is exactly once because every
//! document remembers the last sequence applied (see [`store`]). Messages
//! arrive in stream order and are taken in chunks of whatever is ready (up
//! to `SALES_BATCH_SIZE`): one chunk's events are grouped by launch and the
//! whole chunk is written in a few round trips whatever its size (one read
//! of its launches, one bulk insert of its bookings, one multi-statement
//! conditional update of its launch documents; see
//! [`SalesStore::apply_many`]), then every message is acknowledged
//! explicitly. Under load chunks grow, so the rate grows with the load.
//!
//! Failures:
//! - MongoDB or Postgres unreachable: the messages are nacked with a delay
//!   that doubles up to `RELAY_MAX_BACKOFF_MS`; they wait however long the
//!   outage lasts (the consumer has no delivery limit, so nothing is lost).
//! - An event that cannot be applied (unreadable, contradicting the model,
//!   refused by MongoDB) is nacked too, but after `DEAD_LETTER_AFTER`
//!   deliveries it is published on the dead-letter stream with the reason,
//!   and terminated. Its launch's later events then cannot be applied either
//!   and follow it: the launch's document stays at its last good version
//!   until the cause is fixed and the model rebuilt.

pub mod rebuild;
pub mod store;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_nats::jetstream::consumer::{pull, DeliverPolicy};
use async_nats::jetstream::message::AckKind;
use async_nats::jetstream::{self, stream, Message};
use events::{Envelope, LaunchEvent};
use futures::StreamExt;
use tokio::sync::watch;

use crate::consume;
use crate::metrics::ProjectorMetrics;
use crate::parking::Parking;
use crate::relay::events_stream_config;
use crate::settings::Settings;
use crate::source::decode_launch;
pub use store::{Applied, ProjectError, SalesStore};

const INITIAL_BACKOFF: Duration = Duration::from_millis(100);

/// The name the sales projector parks events under.
pub const PROJECTION: &str = "sales";

/// How the sales projector behaves; see [`Settings`] for each field.
#[derive(Debug, Clone)]
pub struct SalesConfig {
    /// The events stream.
    pub stream: stream::Config,
    /// The durable consumer's name.
    pub consumer: String,
    /// Subjects of the launches' events.
    pub filter_subject: String,
    /// Most messages per chunk.
    pub batch_size: usize,
    /// Redelivery of an unacknowledged message.
    pub ack_wait: Duration,
    /// Deliveries before a rejected event is a dead letter.
    pub dead_letter_after: i64,
    /// Longest nack delay.
    pub max_backoff: Duration,
}

impl From<&Settings> for SalesConfig {
    fn from(settings: &Settings) -> Self {
        Self {
            stream: events_stream_config(settings),
            consumer: settings.sales_consumer.clone(),
            filter_subject: format!("{}.Launch.>", settings.subject_prefix),
            batch_size: settings.sales_batch_size,
            ack_wait: settings.sales_ack_wait,
            dead_letter_after: settings.dead_letter_after,
            max_backoff: settings.max_backoff,
        }
    }
}

/// One received message, read.
struct Received {
    message: Message,
    delivered: i64,
    event: Result<Envelope<LaunchEvent>, Unread>,
}

/// A message whose event cannot be read: what is known of it.
#[derive(Debug, Clone)]
struct Unread {
    /// Its launch, from the envelope or the headers.
    launch_id: Option<String>,
    /// Its sequence, likewise.
    sequence: Option<u64>,
    /// What is wrong.
    reason: String,
}

/// The sales projector of one process. Cheap to clone.
#[derive(Clone)]
pub struct SalesProjector {
    store: SalesStore,
    jetstream: jetstream::Context,
    parking: Parking,
    config: Arc<SalesConfig>,
    metrics: ProjectorMetrics,
    indexes_ready: Arc<AtomicBool>,
}

impl SalesProjector {
    /// A projector writing through `store`, reading from `client`,
    /// parking what it cannot apply with `parking`.
    pub fn new(
        store: SalesStore,
        client: async_nats::Client,
        parking: Parking,
        config: SalesConfig,
        metrics: ProjectorMetrics,
    ) -> Self {
        Self {
            store,
            jetstream: jetstream::new(client),
            parking,
            config: Arc::new(config),
            metrics,
            indexes_ready: Arc::new(AtomicBool::new(false)),
        }
    }

    /// The durable consumer's configuration: explicit acks, no delivery
    /// limit (the projector decides when an event is a dead letter), from
    /// the stream's first message.
    pub fn consumer_config(&self) -> pull::Config {
        pull::Config {
            max_ack_pending: (self.config.batch_size * 4) as i64,
            ..consume::durable(
                &self.config.consumer,
                "sales read model (MongoDB)",
                self.config.filter_subject.clone(),
                self.config.ack_wait,
                DeliverPolicy::All,
            )
        }
    }

    /// Creates (idempotently) the events stream, the dead-letter stream,
    /// the durable consumer and the indexes.
    pub async fn prepare(&self) -> anyhow::Result<pull::Stream> {
        self.parking.ensure_stream().await?;
        self.ensure_indexes().await;
        consume::subscribe(
            &self.jetstream,
            self.config.stream.clone(),
            self.consumer_config(),
            Some(self.config.batch_size),
        )
        .await
    }

    /// Creates the indexes unless done already. A failure (MongoDB down) is
    /// logged and tried again with the next chunk: consuming goes on, and
    /// the events wait in the stream until MongoDB answers.
    async fn ensure_indexes(&self) {
        if self.indexes_ready.load(Ordering::Relaxed) {
            return;
        }
        match self.store.ensure_indexes().await {
            Ok(()) => self.indexes_ready.store(true, Ordering::Relaxed),
            Err(error) => tracing::warn!(%error, "creating the sales indexes failed; will retry"),
        }
    }

    /// Projects until `shutdown` turns true. The chunk in flight is finished
    /// first; messages received but not yet handled are redelivered after
    /// the acknowledgement wait.
    pub async fn run(&self, mut shutdown: watch::Receiver<bool>) {
        let mut backoff = INITIAL_BACKOFF;
        while !*shutdown.borrow() && shutdown.has_changed().is_ok() {
            let messages = match self.prepare().await {
                Ok(messages) => {
                    backoff = INITIAL_BACKOFF;
                    tracing::info!(consumer = %self.config.consumer, "sales projector consuming");
                    messages
                }
                Err(error) => {
                    tracing::warn!(%error, ?backoff, "sales projector cannot start; retrying");
                    tokio::select! {
                        () = tokio::time::sleep(backoff) => {}
                        _ = shutdown.changed() => {}
                    }
                    backoff = (backoff * 2).min(self.config.max_backoff);
                    continue;
                }
            };
            let mut chunks = messages.ready_chunks(self.config.batch_size);
            loop {
                let chunk = tokio::select! {
                    chunk = chunks.next() => chunk,
                    _ = shutdown.changed() => break,
                };
                let Some(chunk) = chunk else { break };
                let mut received = Vec::with_capacity(chunk.len());
                for message in chunk {
                    match message {
                        Ok(message) => received.push(read(message)),
                        Err(error) => tracing::warn!(%error, "receiving from JetStream"),
                    }
                }
                if let Some(pause) = self.handle(received, &mut backoff).await {
                    tokio::select! {
                        () = tokio::time::sleep(pause) => {}
                        _ = shutdown.changed() => break,
                    }
                }
            }
        }
        tracing::info!("sales projector stopped");
    }

    /// Applies one chunk and acknowledges every message. Returns a pause
    /// when a database was unavailable.
    async fn handle(&self, received: Vec<Received>, backoff: &mut Duration) -> Option<Duration> {
        let started = Instant::now();
        self.ensure_indexes().await;
        let mut by_launch: HashMap<String, Vec<Received>> = HashMap::new();
        let mut order = Vec::new();
        for item in received {
            let key = match &item.event {
                Ok(event) => event.aggregate_id.clone(),
                Err(Unread {
                    launch_id: Some(id),
                    ..
                }) => id.clone(),
                // Unknown launch: its own group, rejected alone.
                Err(_) => format!("\0{}", order.len()),
            };
            if !by_launch.contains_key(&key) {
                order.push(key.clone());
            }
            by_launch.entry(key).or_default().push(item);
        }
        let mut groups: Vec<(String, Vec<Received>)> = order
            .into_iter()
            .filter_map(|k| by_launch.remove(&k).map(|v| (k, v)))
            .collect();
        // Events before a launch's first unreadable one are applied; it and
        // the later ones are rejected.
        let mut batch = Vec::new();
        let mut limits = Vec::with_capacity(groups.len());
        for (index, (launch_id, items)) in groups.iter().enumerate() {
            let unread = items
                .iter()
                .filter_map(|item| item.event.as_ref().err())
                .min_by_key(|u| u.sequence.unwrap_or(0))
                .cloned();
            let limit = unread
                .as_ref()
                .map_or(u64::MAX, |u| u.sequence.unwrap_or(0));
            let events: Vec<Envelope<LaunchEvent>> = items
                .iter()
                .filter_map(|item| item.event.as_ref().ok())
                .filter(|e| e.sequence < limit)
                .cloned()
                .collect();
            if !events.is_empty() {
                batch.push((index, launch_id.clone(), events));
            }
            limits.push(unread);
        }
        let mut results: Vec<Result<Applied, ProjectError>> =
            groups.iter().map(|_| Ok(Applied::default())).collect();
        let indexes: Vec<usize> = batch.iter().map(|(i, ..)| *i).collect();
        let applied = self
            .store
            .apply_many(
                batch
                    .into_iter()
                    .map(|(_, id, events)| (id, events))
                    .collect(),
            )
            .await;
        for (index, result) in indexes.into_iter().zip(applied) {
            results[index] = result;
        }
        let mut outcomes = Vec::with_capacity(groups.len());
        for (((launch_id, items), mut result), unread) in groups.drain(..).zip(results).zip(limits)
        {
            if let (Ok(_), Some(unread)) = (&result, unread) {
                result = Err(ProjectError::Rejected {
                    sequence: unread.sequence,
                    reason: unread.reason,
                });
            }
            outcomes.push(self.settle(launch_id, items, result).await);
        }
        let mut unavailable = false;
        let mut last: Option<(i64, bson::DateTime)> = None;
        for (applied, was_unavailable) in outcomes {
            unavailable |= was_unavailable;
            if let Some((position, at)) = applied.and_then(|a| a.last) {
                if last.is_none_or(|(p, _)| position > p) {
                    last = Some((position, at));
                }
            }
        }
        if let Some((position, at)) = last {
            if let Err(error) = self.store.checkpoint(position, at).await {
                tracing::warn!(%error, "moving the sales checkpoint");
            }
            let lag = (bson::DateTime::now().timestamp_millis() - at.timestamp_millis()) as f64;
            self.metrics.lag.set(lag / 1e3);
        }
        self.metrics
            .batch_latency
            .observe(started.elapsed().as_secs_f64());
        if unavailable {
            let pause = *backoff;
            *backoff = (*backoff * 2).min(self.config.max_backoff);
            Some(pause)
        } else {
            *backoff = INITIAL_BACKOFF;
            None
        }
    }

    /// Acknowledges one launch's messages according to `result`. Returns
    /// what was applied and whether a database was unavailable.
    async fn settle(
        &self,
        launch_id: String,
        items: Vec<Received>,
        result: Result<Applied, ProjectError>,
    ) -> (Option<Applied>, bool) {
        let now = bson::DateTime::now().timestamp_millis();
        match &result {
            Ok(applied) => {
                for item in &items {
                    let duplicate = item
                        .event
                        .as_ref()
                        .map_or(true, |e| e.sequence <= applied.previous);
                    if let Ok(event) = &item.event {
                        let at = event.metadata.occurred_at.timestamp_millis();
                        self.metrics
                            .event_lag
                            .observe((now - at).max(0) as f64 / 1e3);
                    }
                    let outcome = if duplicate { "duplicate" } else { "applied" };
                    self.metrics.events.with_label_values(&[outcome]).inc();
                    ack(&item.message, AckKind::Ack).await;
                }
                // Events read from the store to fill a gap.
                let delivered = items.len();
                if applied.applied > delivered {
                    self.metrics
                        .events
                        .with_label_values(&["filled"])
                        .inc_by((applied.applied - delivered) as u64);
                }
                (Some(*applied), false)
            }
            Err(ProjectError::Transient(reason)) => {
                tracing::warn!(%launch_id, %reason, "sales projection paused; will retry");
                for item in &items {
                    self.metrics.events.with_label_values(&["retried"]).inc();
                    let delay = self.nack_delay(item.delivered);
                    ack(&item.message, AckKind::Nak(Some(delay))).await;
                }
                (None, true)
            }
            Err(ProjectError::Rejected { sequence, reason }) => {
                for item in &items {
                    let seq = item.event.as_ref().ok().map(|e| e.sequence);
                    let before_rejected = matches!((seq, sequence), (Some(s), Some(r)) if s < *r);
                    if before_rejected {
                        self.metrics.events.with_label_values(&["applied"]).inc();
                        ack(&item.message, AckKind::Ack).await;
                    } else if item.delivered >= self.config.dead_letter_after {
                        self.dead_letter(&launch_id, item, reason).await;
                    } else {
                        tracing::warn!(%launch_id, ?seq, delivered = item.delivered, %reason,
                            "sales projection rejected an event; will retry");
                        self.metrics.events.with_label_values(&["retried"]).inc();
                        let delay = self.nack_delay(item.delivered);
                        ack(&item.message, AckKind::Nak(Some(delay))).await;
                    }
                }
                (None, false)
            }
        }
    }

    /// The delay before delivery number `delivered + 1`: 100 ms doubling,
    /// at most the longest backoff.
    fn nack_delay(&self, delivered: i64) -> Duration {
        let doublings = delivered.clamp(1, 16) as u32 - 1;
        (INITIAL_BACKOFF * 2u32.pow(doublings)).min(self.config.max_backoff)
    }

    /// Parks `item` with `reason`, then terminates it. If parking fails
    /// it is nacked instead, and parked on a later delivery.
    async fn dead_letter(&self, launch_id: &str, item: &Received, reason: &str) {
        let key = (!launch_id.starts_with('\0')).then_some(launch_id);
        match self
            .parking
            .park(PROJECTION, key, &item.message, reason, item.delivered)
            .await
        {
            Ok(subject) => {
                tracing::error!(%launch_id, %subject, %reason, delivered = item.delivered,
                    "sales projection gave up on an event: parked for IT (GET /v1/ops/parked)");
                self.metrics
                    .events
                    .with_label_values(&["dead_lettered"])
                    .inc();
                ack(&item.message, AckKind::Term).await;
            }
            Err(error) => {
                tracing::warn!(%error, "parking an event failed; will retry");
                ack(&item.message, AckKind::Nak(Some(self.config.max_backoff))).await;
            }
        }
    }
}

/// Reads a message: its delivery count and its event.
fn read(message: Message) -> Received {
    let delivered = message.info().map_or(1, |info| info.delivered);
    let header = |name: &str| {
        message
            .headers
            .as_ref()
            .and_then(|h| h.get(name))
            .map(|v| v.as_str().to_owned())
    };
    let mut unread = Unread {
        launch_id: header("Astro-Aggregate-Id"),
        sequence: header("Astro-Sequence").and_then(|s| s.parse().ok()),
        reason: String::new(),
    };
    let event = match serde_json::from_slice::<Envelope<serde_json::Value>>(&message.payload) {
        Err(error) => {
            unread.reason = format!("unreadable envelope: {error}");
            Err(unread)
        }
        Ok(envelope) if envelope.aggregate_type != "Launch" => {
            unread.reason = format!("not a launch event: {}", envelope.aggregate_type);
            Err(unread)
        }
        Ok(envelope) => {
            unread.launch_id = Some(envelope.aggregate_id.clone());
            unread.sequence = Some(envelope.sequence);
            decode_launch(envelope).map_err(|error| {
                unread.reason = error.to_string();
                unread
            })
        }
    };
    Received {
        message,
        delivered,
        event,
    }
}

/// Acknowledges (or nacks, or terminates); a lost acknowledgement only
/// means a redelivery, which changes nothing.
async fn ack(message: &Message, kind: AckKind) {
    if let Err(error) = message.ack_with(kind).await {
        tracing::warn!(%error, "acknowledging a message failed; it will be redelivered");
    }
}
