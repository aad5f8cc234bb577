//! The planner: a JetStream durable consumer of the launches' events that
//! turns each event into notification documents in `core.notifications`
//! (rendered, `pending`), then acknowledges it.
//!
//! Events are taken in chunks of whatever the pull has ready (up to
//! `NOTIFIER_PLAN_BATCH`): each event is planned on its own (its launch's
//! history and its holders' addresses), then the whole chunk's
//! notifications are stored with one `insert_many` and its events
//! acknowledged. Under load chunks grow, so the round trips to MongoDB do
//! not grow with the events.
//!
//! Nothing is lost: an event is acknowledged only after its notifications
//! are stored; a crash before that redelivers it, and the deterministic ids
//! make the second planning a no-op. A database that does not answer, or a
//! holder whose profile has not arrived yet, nacks the event with a growing
//! delay. An event that cannot be read is retried `DEAD_LETTER_AFTER` times
//! (a newer replica may read it during a rolling deployment), then parked
//! for IT ([`projectors::parking`]) and logged as an error; planning goes
//! on.

use std::sync::Arc;
use std::time::Duration;

use async_nats::jetstream::consumer::{pull, DeliverPolicy};
use async_nats::jetstream::message::AckKind;
use async_nats::jetstream::{self, Message};
use bson::DateTime as BsonDateTime;
use events::Envelope;
use futures::StreamExt;
use read_models::core_db::{notification_id, NotificationDoc, NotificationStatus};
use tokio::sync::watch;
use tracing::Instrument;
use uuid::Uuid;

use projectors::consume;
use projectors::parking::Parking;

use crate::context::{Context, ContextError};
use crate::metrics::NotifierMetrics;
use crate::plan::{self, LaunchFacts};
use crate::store::{Fresh, NotificationStore};
use crate::templates::Templates;

const INITIAL_BACKOFF: Duration = Duration::from_millis(100);

/// The name the planner parks events under.
pub const PROJECTION: &str = "notifier-planning";

/// What the planner is configured with.
#[derive(Debug, Clone)]
pub struct ConsumerConfig {
    /// The events stream (as the relay creates it).
    pub stream: jetstream::stream::Config,
    /// `<prefix>.Launch.>`.
    pub filter: String,
    /// The durable consumer's name.
    pub consumer: String,
    /// Whether a new consumer starts at new events (else at the first the
    /// stream holds).
    pub start_from_new: bool,
    /// Redelivery wait.
    pub ack_wait: Duration,
    /// How long an event waits for its holder's profile.
    pub profile_wait: Duration,
    /// The longest nack delay.
    pub max_backoff: Duration,
    /// The most events planned and stored together.
    pub batch_size: usize,
    /// Deliveries of an unreadable event before it is parked.
    pub dead_letter_after: i64,
}

/// The running planner.
pub struct Planner {
    jetstream: jetstream::Context,
    parking: Parking,
    context: Context,
    store: NotificationStore,
    templates: Templates,
    config: ConsumerConfig,
    fresh: Arc<Fresh>,
    metrics: NotifierMetrics,
}

/// How planning one event ended.
enum Outcome {
    /// Its notifications (maybe none), to be stored with the chunk's.
    Planned(Vec<NotificationDoc>),
    /// Nothing to store.
    Settled(Settled),
}

/// How handling one event ended, which says how it is acknowledged.
enum Settled {
    /// Its notifications are stored, this many of them new.
    Stored(usize),
    /// It notifies nobody.
    Ignored,
    /// Not now: nacked, delivered again later.
    Retry(String),
    /// It cannot be read: nacked, then parked after `dead_letter_after`
    /// deliveries.
    Unreadable(String),
}

impl From<Settled> for Outcome {
    fn from(settled: Settled) -> Self {
        Self::Settled(settled)
    }
}

impl Planner {
    /// A planner; the ids of the notifications it stores go to `fresh`,
    /// and what it cannot read is parked with `parking`.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        jetstream: jetstream::Context,
        parking: Parking,
        context: Context,
        store: NotificationStore,
        templates: Templates,
        config: ConsumerConfig,
        fresh: Arc<Fresh>,
        metrics: NotifierMetrics,
    ) -> Self {
        Self {
            jetstream,
            parking,
            context,
            store,
            templates,
            config,
            fresh,
            metrics,
        }
    }

    async fn prepare(&self) -> anyhow::Result<pull::Stream> {
        let deliver = if self.config.start_from_new {
            DeliverPolicy::New
        } else {
            DeliverPolicy::All
        };
        let consumer = consume::durable(
            &self.config.consumer,
            "notifier: emails about bookings",
            self.config.filter.clone(),
            self.config.ack_wait,
            deliver,
        );
        consume::subscribe(&self.jetstream, self.config.stream.clone(), consumer, None).await
    }

    /// Plans until `shutdown` turns true; the event in hand is finished
    /// first.
    pub async fn run(&self, mut shutdown: watch::Receiver<bool>) {
        let mut backoff = INITIAL_BACKOFF;
        while !*shutdown.borrow() && shutdown.has_changed().is_ok() {
            let messages = match self.prepare().await {
                Ok(messages) => {
                    backoff = INITIAL_BACKOFF;
                    messages
                }
                Err(error) => {
                    tracing::warn!(%error, "notifier: cannot consume the events; retrying");
                    tokio::select! {
                        () = tokio::time::sleep(backoff) => {}
                        _ = shutdown.changed() => {}
                    }
                    backoff = (backoff * 2).min(self.config.max_backoff);
                    continue;
                }
            };
            let mut chunks = messages.ready_chunks(self.config.batch_size.max(1));
            loop {
                let chunk = tokio::select! {
                    _ = shutdown.changed() => break,
                    chunk = chunks.next() => chunk,
                };
                let Some(chunk) = chunk else { break };
                let mut received = Vec::with_capacity(chunk.len());
                let mut failed = None;
                for message in chunk {
                    match message {
                        Ok(message) => received.push(message),
                        Err(error) => failed = Some(error),
                    }
                }
                self.handle(received).await;
                if let Some(error) = failed {
                    tracing::warn!(%error, "notifier: consuming failed; resubscribing");
                    break;
                }
            }
        }
    }

    /// Plans a chunk of events, stores all their notifications at once,
    /// then acknowledges each event (or nacks it, to be tried again).
    async fn handle(&self, messages: Vec<Message>) {
        let mut planned = Vec::with_capacity(messages.len());
        for message in messages {
            let (span, outcome) = self.plan_message(&message).await;
            planned.push((message, span, outcome));
        }
        let docs: Vec<&NotificationDoc> = planned
            .iter()
            .flat_map(|(_, _, outcome)| match outcome {
                Outcome::Planned(docs) => docs.as_slice(),
                _ => &[],
            })
            .collect();
        let stored = if docs.is_empty() {
            Ok(Vec::new())
        } else {
            let _timer = self
                .metrics
                .store_seconds
                .with_label_values(&["insert"])
                .start_timer();
            self.store.insert_planned(docs.iter().copied()).await
        };
        let mut new_flags = match &stored {
            Ok(new) => new.iter().copied(),
            Err(_) => Default::default(),
        };
        if let Ok(new) = &stored {
            let fresh: Vec<String> = docs
                .iter()
                .zip(new)
                .filter(|(_, new)| **new)
                .map(|(doc, _)| doc.id.clone())
                .collect();
            if !fresh.is_empty() {
                self.fresh.push(fresh);
            }
        }
        for (message, span, outcome) in planned {
            let settled = match (outcome, &stored) {
                (Outcome::Planned(docs), Ok(_)) => {
                    Settled::Stored(new_flags.by_ref().take(docs.len()).filter(|n| *n).count())
                }
                (Outcome::Planned(_), Err(error)) => {
                    Settled::Retry(format!("storing the notifications failed: {error}"))
                }
                (Outcome::Settled(settled), _) => settled,
            };
            self.finish(message, settled).instrument(span).await;
        }
    }

    /// Decodes and plans one event, in a span naming it.
    async fn plan_message(&self, message: &Message) -> (tracing::Span, Outcome) {
        let published = message.info().map_or_else(
            |_| chrono::Utc::now().timestamp(),
            |i| i.published.unix_timestamp(),
        );
        let envelope: Result<Envelope<serde_json::Value>, _> =
            serde_json::from_slice(&message.payload);
        match envelope {
            Ok(envelope) => {
                let span = tracing::info_span!(
                    "event",
                    correlation_id = %envelope.metadata.correlation_id,
                    event_id = %envelope.metadata.event_id,
                    event_type = %envelope.event_type,
                    launch_id = %envelope.aggregate_id,
                    sequence = envelope.sequence,
                );
                let age = chrono::Utc::now().timestamp().saturating_sub(published);
                let waited_long = age >= self.config.profile_wait.as_secs() as i64;
                let outcome = self
                    .plan(envelope, waited_long)
                    .instrument(span.clone())
                    .await;
                (span, outcome)
            }
            Err(error) => (
                tracing::info_span!("event"),
                Settled::Unreadable(format!("unreadable envelope: {error}")).into(),
            ),
        }
    }

    /// Counts, logs and acknowledges one event as its outcome says.
    async fn finish(&self, message: Message, settled: Settled) {
        let delivered = message.info().map_or(1, |i| i.delivered);
        let kind = match settled {
            Settled::Stored(new) => {
                self.metrics.events.with_label_values(&["planned"]).inc();
                self.metrics
                    .notifications
                    .with_label_values(&["planned"])
                    .inc_by(new as u64);
                if new > 0 {
                    tracing::info!(notifications = new, "notifications planned");
                }
                AckKind::Ack
            }
            Settled::Ignored => {
                self.metrics.events.with_label_values(&["ignored"]).inc();
                AckKind::Ack
            }
            Settled::Retry(reason) => {
                tracing::warn!(
                    reason,
                    delivered,
                    "notifier: cannot plan the event yet; will retry"
                );
                self.metrics.events.with_label_values(&["retried"]).inc();
                AckKind::Nak(Some(self.delay(delivered)))
            }
            Settled::Unreadable(reason) if delivered >= self.config.dead_letter_after => {
                self.park(&message, &reason, delivered).await
            }
            Settled::Unreadable(reason) => {
                tracing::warn!(
                    reason,
                    delivered,
                    "notifier: cannot read the event; will retry"
                );
                self.metrics.events.with_label_values(&["retried"]).inc();
                AckKind::Nak(Some(self.delay(delivered)))
            }
        };
        if let Err(error) = message.ack_with(kind).await {
            tracing::warn!(%error, "acknowledging an event failed; it will be redelivered");
        }
    }

    async fn plan(&self, envelope: Envelope<serde_json::Value>, waited_long: bool) -> Outcome {
        if envelope.aggregate_type != "Launch" {
            return Settled::Ignored.into();
        }
        let envelope = match projectors::source::decode_launch(envelope) {
            Ok(envelope) => envelope,
            Err(error) => return Settled::Unreadable(error.to_string()).into(),
        };
        if !plan::notifies(&envelope.payload) {
            return Settled::Ignored.into();
        }
        let Ok(launch_id) = Uuid::parse_str(&envelope.aggregate_id) else {
            return Settled::Unreadable(format!("launch id {:?}", envelope.aggregate_id)).into();
        };
        let before = match self.context.before(launch_id, envelope.sequence).await {
            Ok(before) => before,
            Err(ContextError::Database(error)) => return Settled::Retry(error.to_string()).into(),
            Err(ContextError::Unreadable(reason)) => return Settled::Unreadable(reason).into(),
        };
        let holders = plan::holders_needed(&before, &envelope.payload);
        let contacts = match self.context.contacts(&holders).await {
            Ok(contacts) => contacts,
            Err(error) => return Settled::Retry(error.to_string()).into(),
        };
        let emails = match plan::plan(&before, &envelope.payload, &contacts, waited_long) {
            Ok(emails) => emails,
            Err(unknown) => return Settled::Retry(unknown.to_string()).into(),
        };
        for (holder, _) in holders.iter().filter(|(h, _)| !contacts.contains_key(h)) {
            tracing::error!(holder_id = %holder,
                "no email known for a holder after waiting for their profile; the holder is not told");
        }
        let after =
            match LaunchFacts::fold(Some(before.clone()), envelope.sequence, &envelope.payload) {
                Ok(after) => after,
                Err(error) => return Settled::Unreadable(error.to_string()).into(),
            };
        let now = BsonDateTime::now();
        let mut docs = Vec::with_capacity(emails.len());
        for email in &emails {
            let rendered = match self.templates.render(email, &before) {
                Ok(rendered) => rendered,
                Err(error) => {
                    return Settled::Unreadable(format!("a template failed: {error}")).into()
                }
            };
            docs.push(NotificationDoc {
                id: notification_id(&envelope.metadata.event_id, &email.recipient),
                event_id: envelope.metadata.event_id.to_string(),
                event_type: envelope.event_type.clone(),
                kind: email.kind,
                correlation_id: envelope.metadata.correlation_id.clone(),
                launch_id: launch_id.to_string(),
                booking_id: email.booking_id.map(|id| id.to_string()),
                recipient: email.recipient.clone(),
                recipient_name: email.recipient_name.clone(),
                recipient_role: email.role,
                subject: rendered.subject,
                text: rendered.text,
                html: rendered.html,
                status: NotificationStatus::Pending,
                attempts: 0,
                last_error: None,
                created_at: now,
                updated_at: now,
                next_attempt_at: Some(now),
                locked_until: None,
                holder: None,
                sent_at: None,
                dead_at: None,
                requeued: 0,
            });
        }
        // The launch after this event is true whether or not its
        // notifications get stored: the chunk's next event of this launch
        // reads on from it.
        self.context.remember(after);
        Outcome::Planned(docs)
    }

    /// Parks an event that cannot be read; how to acknowledge it then
    /// (terminated, or nacked when parking failed: parked on a later
    /// delivery).
    async fn park(&self, message: &Message, reason: &str, delivered: i64) -> AckKind {
        let launch = message
            .headers
            .as_ref()
            .and_then(|h| h.get("Astro-Aggregate-Id"))
            .map(|v| v.as_str().to_owned());
        match self
            .parking
            .park(PROJECTION, launch.as_deref(), message, reason, delivered)
            .await
        {
            Ok(subject) => {
                tracing::error!(reason, %subject, original = %message.subject, delivered,
                    "notifier: cannot read an event: parked for IT (GET /v1/ops/parked); nobody is told until it is replayed");
                self.metrics.events.with_label_values(&["parked"]).inc();
                AckKind::Term
            }
            Err(error) => {
                tracing::warn!(%error, "parking an event failed; will retry");
                AckKind::Nak(Some(self.config.max_backoff))
            }
        }
    }

    /// 100 ms doubling with each delivery, at most the configured maximum.
    fn delay(&self, delivered: i64) -> Duration {
        let exponent = (delivered.max(1) - 1).min(16) as u32;
        (INITIAL_BACKOFF * 2_u32.pow(exponent)).min(self.config.max_backoff)
    }
}
