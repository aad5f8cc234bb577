//! The sender: takes due notifications from `core.notifications` under a
//! lease, sends them over SMTP, and records the outcome — `sent`; `failed`
//! with the next attempt after an exponential backoff; or, after the last
//! attempt (or a permanent refusal), `dead`, published on the dead-letter
//! stream for alerting. IT re-queues a dead one through the query API
//! (`POST /v1/ops/notifications/{id}/retry`), which makes it due again.
//!
//! An SMTP server that is down only makes attempts fail and wait: nothing
//! is lost, and with the default backoff a notification survives about a
//! quarter of an hour of outage before it is dead (and can be re-queued).
//! Several replicas share the queue: a notification is held by one sender
//! at a time (`locked_until`), and taken over only after a crash.

use std::sync::Arc;
use std::time::{Duration, Instant};

use async_nats::jetstream;
use async_nats::HeaderMap;
use bson::DateTime as BsonDateTime;
use read_models::core_db::{NotificationDoc, NotificationStatus};
use tokio::sync::{watch, Semaphore};
use tokio::task::JoinSet;
use tracing::Instrument;

use crate::mail::Mailer;
use crate::metrics::NotifierMetrics;
use crate::store::{add, after_failure, AfterFailure, Claim, Fresh, NotificationStore};

/// What the sender is configured with.
#[derive(Debug, Clone)]
pub struct SenderConfig {
    /// Attempts before a notification is dead.
    pub max_attempts: i32,
    /// The wait after the first failure (doubling).
    pub backoff_base: Duration,
    /// The longest wait.
    pub backoff_max: Duration,
    /// Emails sent at once.
    pub concurrency: usize,
    /// How often to look for due notifications when not woken.
    pub poll_interval: Duration,
    /// How long a claimed notification is held.
    pub lease: Duration,
    /// The dead-letter subject prefix (`<prefix>.notifier.<launch id>`).
    pub dead_letter_prefix: String,
    /// How long the in-flight sends may take on shutdown.
    pub shutdown_grace: Duration,
}

/// The running sender.
pub struct Sender {
    store: NotificationStore,
    mailer: Mailer,
    jetstream: jetstream::Context,
    config: SenderConfig,
    fresh: Arc<Fresh>,
    metrics: NotifierMetrics,
}

impl Sender {
    /// A sender; `fresh` hands it the ids of new notifications.
    pub fn new(
        store: NotificationStore,
        mailer: Mailer,
        jetstream: jetstream::Context,
        config: SenderConfig,
        fresh: Arc<Fresh>,
        metrics: NotifierMetrics,
    ) -> Self {
        Self {
            store,
            mailer,
            jetstream,
            config,
            fresh,
            metrics,
        }
    }

    /// Sends until `shutdown` turns true, then lets the sends in flight
    /// finish (within the grace).
    ///
    /// Fresh ids (from the planner) are claimed one by one by `_id`. The
    /// queue itself (retries, re-queues, other replicas' work) is queried
    /// once per poll interval, and back to back only while it keeps finding
    /// work and no fresh id waits: a query over the queue costs far more
    /// than a point lookup, so it must not run for every email.
    pub async fn run(self: Arc<Self>, mut shutdown: watch::Receiver<bool>) {
        let slots = Arc::new(Semaphore::new(self.config.concurrency.max(1)));
        let mut in_flight = JoinSet::new();
        let mut backoff = Duration::from_millis(100);
        // When the queue is to be queried next (at once on start).
        let mut next_query = tokio::time::Instant::now();
        while !*shutdown.borrow() && shutdown.has_changed().is_ok() {
            let permit = tokio::select! {
                permit = slots.clone().acquire_owned() => permit.expect("the semaphore is never closed"),
                _ = shutdown.changed() => break,
            };
            // Reap finished sends so the set does not grow.
            while in_flight.try_join_next().is_some() {}
            let querying = tokio::time::Instant::now() >= next_query;
            let fresh = if querying { None } else { self.fresh.pop() };
            if !querying && fresh.is_none() {
                drop(permit);
                tokio::select! {
                    () = self.fresh.notified() => {}
                    () = tokio::time::sleep_until(next_query) => {}
                    _ = shutdown.changed() => {}
                }
                continue;
            }
            match self
                .store
                .claim_due(fresh.as_deref(), BsonDateTime::now(), self.config.lease)
                .await
            {
                Ok(Claim::Held(doc)) => {
                    backoff = Duration::from_millis(100);
                    if querying && !self.fresh.is_empty() {
                        // Fresh ids first; the query again after the interval.
                        next_query = tokio::time::Instant::now() + self.config.poll_interval;
                    }
                    let sender = Arc::clone(&self);
                    let span = tracing::info_span!(
                        "notification",
                        notification_id = %doc.id,
                        correlation_id = %doc.correlation_id,
                        kind = ?doc.kind,
                    );
                    in_flight.spawn(
                        async move {
                            sender.send_one(*doc).await;
                            drop(permit);
                        }
                        .instrument(span),
                    );
                }
                // Taken by another sender between the read and the update.
                Ok(Claim::Lost) => drop(permit),
                // Already taken (another replica, a redelivery) or not due.
                Ok(Claim::Nothing) if !querying => drop(permit),
                // Nothing due: query again after the interval.
                Ok(Claim::Nothing) => {
                    drop(permit);
                    next_query = tokio::time::Instant::now() + self.config.poll_interval;
                    if let Ok(backlog) = self.store.backlog().await {
                        self.metrics.backlog.set(backlog as i64);
                    }
                }
                Err(error) => {
                    drop(permit);
                    tracing::warn!(%error, "notifier: reading the queue failed; retrying");
                    tokio::select! {
                        () = tokio::time::sleep(backoff) => {}
                        _ = shutdown.changed() => {}
                    }
                    backoff = (backoff * 2).min(Duration::from_secs(5));
                }
            }
        }
        let drained = tokio::time::timeout(self.config.shutdown_grace, async {
            while in_flight.join_next().await.is_some() {}
        })
        .await;
        if drained.is_err() {
            tracing::warn!(
                "notifier: sends still in flight at shutdown; they are retried after their lease"
            );
        }
    }

    async fn send_one(&self, doc: NotificationDoc) {
        let started = Instant::now();
        let result = self.mailer.send(&doc).await;
        self.metrics
            .send_seconds
            .observe(started.elapsed().as_secs_f64());
        let now = BsonDateTime::now();
        let attempt = doc.attempts + 1;
        let recorded = match result {
            Ok(()) => {
                self.metrics
                    .notifications
                    .with_label_values(&["sent"])
                    .inc();
                tracing::info!(attempt, "notification sent");
                self.store.mark_sent(&doc, now).await
            }
            Err(error) => match after_failure(
                attempt,
                self.config.max_attempts,
                error.permanent,
                self.config.backoff_base,
                self.config.backoff_max,
            ) {
                AfterFailure::Retry(wait) => {
                    self.metrics
                        .notifications
                        .with_label_values(&["failed"])
                        .inc();
                    tracing::warn!(attempt, error = %error.message, retry_in_ms = wait.as_millis() as u64,
                        "sending a notification failed; will retry");
                    self.store
                        .mark_failed(&doc, &error.message, now, add(now, wait))
                        .await
                }
                AfterFailure::Dead => {
                    self.metrics
                        .notifications
                        .with_label_values(&["dead"])
                        .inc();
                    tracing::error!(attempt, error = %error.message, permanent = error.permanent,
                        "a notification is dead: no more attempts (IT can re-queue it)");
                    let recorded = self.store.mark_dead(&doc, &error.message, now).await;
                    self.dead_letter(&doc, &error.message, now).await;
                    recorded
                }
            },
        };
        match recorded {
            Ok(true) => {}
            Ok(false) => tracing::warn!(
                "the notification's lease was taken over before its outcome was recorded"
            ),
            Err(error) => tracing::warn!(%error,
                "recording a notification's outcome failed; it is tried again after its lease"),
        }
    }

    /// Publishes a dead notification (without its bodies) on the
    /// dead-letter stream. The document in MongoDB is the record; this
    /// message is for alerting, so a failed publish is only logged.
    async fn dead_letter(&self, doc: &NotificationDoc, reason: &str, now: BsonDateTime) {
        let subject = format!(
            "{}.notifier.{}",
            self.config.dead_letter_prefix, doc.launch_id
        );
        // The document as `mark_dead` left it, without the bodies.
        let mut summary = doc.clone();
        summary.text.clear();
        summary.html.clear();
        summary.status = NotificationStatus::Dead;
        summary.attempts += 1;
        summary.last_error = Some(reason.to_owned());
        summary.dead_at = Some(now);
        summary.updated_at = now;
        summary.locked_until = None;
        summary.next_attempt_at = None;
        let payload = match serde_json::to_vec(&summary) {
            Ok(payload) => payload,
            Err(error) => {
                tracing::warn!(%error, "encoding a dead letter failed");
                return;
            }
        };
        let mut headers = HeaderMap::new();
        headers.insert("Astro-Notification-Id", doc.id.as_str());
        headers.insert(
            "Astro-Dead-Letter-Reason",
            reason.replace(['\r', '\n'], " ").as_str(),
        );
        headers.insert("Astro-Projection", "notifier");
        let published = async {
            self.jetstream
                .publish_with_headers(subject, headers, payload.into())
                .await?
                .await?;
            Ok::<_, async_nats::Error>(())
        };
        if let Err(error) = published.await {
            tracing::warn!(%error, "publishing a dead letter failed (the notification stays dead in MongoDB)");
        }
    }
}
