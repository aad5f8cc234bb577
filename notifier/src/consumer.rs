//! The planner: a JetStream durable consumer of the launches' events that
//! turns each event into notification documents in `core.notifications`
//! (rendered, `pending`), then acknowledges it.
//!
//! Nothing is lost: an event is acknowledged only after its notifications
//! are stored; a crash before that redelivers it, and the deterministic ids
//! make the second planning a no-op. A database that does not answer, or a
//! holder whose profile has not arrived yet, nacks the event with a growing
//! delay. An event that cannot be read is terminated and logged as an error
//! (it would never become readable).

use std::sync::Arc;
use std::time::Duration;

use async_nats::jetstream::consumer::{pull, AckPolicy, DeliverPolicy};
use async_nats::jetstream::message::AckKind;
use async_nats::jetstream::{self, Message};
use bson::DateTime as BsonDateTime;
use events::Envelope;
use futures::StreamExt;
use read_models::core_db::{notification_id, NotificationDoc, NotificationStatus};
use tokio::sync::watch;
use tracing::Instrument;
use uuid::Uuid;

use crate::context::{Context, ContextError};
use crate::metrics::NotifierMetrics;
use crate::plan::{self, LaunchFacts};
use crate::store::{Fresh, NotificationStore};
use crate::templates::Templates;

const INITIAL_BACKOFF: Duration = Duration::from_millis(100);

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
}

/// The running planner.
pub struct Planner {
    jetstream: jetstream::Context,
    context: Context,
    store: NotificationStore,
    templates: Templates,
    config: ConsumerConfig,
    fresh: Arc<Fresh>,
    metrics: NotifierMetrics,
}

/// How handling one event ended.
enum Outcome {
    Planned(usize),
    Ignored,
    Retry(String),
    Unreadable(String),
}

impl Planner {
    /// A planner; the ids of the notifications it stores go to `fresh`.
    pub fn new(
        jetstream: jetstream::Context,
        context: Context,
        store: NotificationStore,
        templates: Templates,
        config: ConsumerConfig,
        fresh: Arc<Fresh>,
        metrics: NotifierMetrics,
    ) -> Self {
        Self {
            jetstream,
            context,
            store,
            templates,
            config,
            fresh,
            metrics,
        }
    }

    async fn prepare(&self) -> anyhow::Result<pull::Stream> {
        let stream = self
            .jetstream
            .get_or_create_stream(self.config.stream.clone())
            .await?;
        let consumer = stream
            .get_or_create_consumer(
                &self.config.consumer,
                pull::Config {
                    durable_name: Some(self.config.consumer.clone()),
                    description: Some("notifier: emails about bookings".into()),
                    deliver_policy: if self.config.start_from_new {
                        DeliverPolicy::New
                    } else {
                        DeliverPolicy::All
                    },
                    ack_policy: AckPolicy::Explicit,
                    ack_wait: self.config.ack_wait,
                    max_deliver: -1,
                    filter_subject: self.config.filter.clone(),
                    ..Default::default()
                },
            )
            .await?;
        Ok(consumer
            .stream()
            .heartbeat(Duration::from_secs(5))
            .messages()
            .await?)
    }

    /// Plans until `shutdown` turns true; the event in hand is finished
    /// first.
    pub async fn run(&self, mut shutdown: watch::Receiver<bool>) {
        let mut backoff = INITIAL_BACKOFF;
        while !*shutdown.borrow() && shutdown.has_changed().is_ok() {
            let mut messages = match self.prepare().await {
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
            loop {
                tokio::select! {
                    _ = shutdown.changed() => break,
                    next = messages.next() => match next {
                        Some(Ok(message)) => self.handle(message).await,
                        Some(Err(error)) => {
                            tracing::warn!(%error, "notifier: consuming failed; resubscribing");
                            break;
                        }
                        None => break,
                    },
                }
            }
        }
    }

    async fn handle(&self, message: Message) {
        let info = message
            .info()
            .ok()
            .map(|i| (i.delivered, i.published.unix_timestamp()));
        let (delivered, published) = info.unwrap_or((1, chrono::Utc::now().timestamp()));
        let envelope: Result<Envelope<serde_json::Value>, _> =
            serde_json::from_slice(&message.payload);
        let (span, outcome) = match envelope {
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
                Outcome::Unreadable(format!("unreadable envelope: {error}")),
            ),
        };
        let _entered = span.enter();
        let kind = match outcome {
            Outcome::Planned(new) => {
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
            Outcome::Ignored => {
                self.metrics.events.with_label_values(&["ignored"]).inc();
                AckKind::Ack
            }
            Outcome::Retry(reason) => {
                tracing::warn!(
                    reason,
                    delivered,
                    "notifier: cannot plan the event yet; will retry"
                );
                self.metrics.events.with_label_values(&["retried"]).inc();
                AckKind::Nak(Some(self.delay(delivered)))
            }
            Outcome::Unreadable(reason) => {
                tracing::error!(reason, subject = %message.subject, delivered,
                    "notifier: an unreadable event is dropped (terminated); nobody is told about it");
                self.metrics.events.with_label_values(&["unreadable"]).inc();
                AckKind::Term
            }
        };
        if let Err(error) = message.ack_with(kind).await {
            tracing::warn!(%error, "acknowledging an event failed; it will be redelivered");
        }
    }

    async fn plan(&self, envelope: Envelope<serde_json::Value>, waited_long: bool) -> Outcome {
        if envelope.aggregate_type != "Launch" {
            return Outcome::Ignored;
        }
        let envelope = match projectors::source::decode_launch(envelope) {
            Ok(envelope) => envelope,
            Err(error) => return Outcome::Unreadable(error.to_string()),
        };
        if !plan::notifies(&envelope.payload) {
            return Outcome::Ignored;
        }
        let Ok(launch_id) = Uuid::parse_str(&envelope.aggregate_id) else {
            return Outcome::Unreadable(format!("launch id {:?}", envelope.aggregate_id));
        };
        let before = match self.context.before(launch_id, envelope.sequence).await {
            Ok(before) => before,
            Err(ContextError::Database(error)) => return Outcome::Retry(error.to_string()),
            Err(ContextError::Unreadable(reason)) => return Outcome::Unreadable(reason),
        };
        let holders = plan::holders_needed(&before, &envelope.payload);
        let contacts = match self.context.contacts(&holders).await {
            Ok(contacts) => contacts,
            Err(error) => return Outcome::Retry(error.to_string()),
        };
        let emails = match plan::plan(&before, &envelope.payload, &contacts, waited_long) {
            Ok(emails) => emails,
            Err(unknown) => return Outcome::Retry(unknown.to_string()),
        };
        for (holder, _) in holders.iter().filter(|(h, _)| !contacts.contains_key(h)) {
            tracing::error!(holder_id = %holder,
                "no email known for a holder after waiting for their profile; the holder is not told");
        }
        let after =
            match LaunchFacts::fold(Some(before.clone()), envelope.sequence, &envelope.payload) {
                Ok(after) => after,
                Err(error) => return Outcome::Unreadable(error.to_string()),
            };
        let now = BsonDateTime::now();
        let mut docs = Vec::with_capacity(emails.len());
        for email in &emails {
            let rendered = match self.templates.render(email, &before) {
                Ok(rendered) => rendered,
                Err(error) => return Outcome::Unreadable(format!("a template failed: {error}")),
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
                sent_at: None,
                dead_at: None,
                requeued: 0,
            });
        }
        match self.store.insert_planned(&docs).await {
            Ok(new) => {
                self.context.remember(after);
                if new > 0 {
                    self.fresh.push(docs.into_iter().map(|doc| doc.id));
                }
                Outcome::Planned(new)
            }
            Err(error) => Outcome::Retry(format!("storing the notifications failed: {error}")),
        }
    }

    /// 100 ms doubling with each delivery, at most the configured maximum.
    fn delay(&self, delivered: i64) -> Duration {
        let exponent = (delivered.max(1) - 1).min(16) as u32;
        (INITIAL_BACKOFF * 2_u32.pow(exponent)).min(self.config.max_backoff)
    }
}
