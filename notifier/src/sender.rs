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
//! at a time (`locked_until`, `holder`), and taken over only after a crash.
//!
//! MongoDB is written in batches of whatever is ready: every free send slot
//! is filled by one claim, and the outcomes that finished meanwhile are
//! recorded by one command. When MongoDB is the slower side, slots and
//! outcomes pile up while it works, so the batches grow with the load.

use std::sync::Arc;
use std::time::{Duration, Instant};

use async_nats::jetstream;
use async_nats::HeaderMap;
use bson::DateTime as BsonDateTime;
use futures::FutureExt;
use read_models::core_db::{NotificationDoc, NotificationStatus};
use tokio::sync::{mpsc, watch, OwnedSemaphorePermit, Semaphore};
use tokio::task::JoinSet;
use tracing::Instrument;

use crate::mail::{panic_message, Mailer};
use crate::metrics::NotifierMetrics;
use crate::store::{add, after_failure, AfterFailure, Fresh, NotificationStore, Outcome};

/// The backlog gauge is counted at most this often, when nothing is due.
const BACKLOG_COUNT_INTERVAL: Duration = Duration::from_secs(10);

/// The most outcomes recorded by one command.
const RECORD_BATCH: usize = 256;

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
    /// finish (within the grace) and records their outcomes.
    ///
    /// Fresh ids (from the planner) are claimed by `_id`. The queue itself
    /// (retries, re-queues, other replicas' work) is queried once per poll
    /// interval, and back to back only while it keeps filling every free
    /// slot and no fresh id waits: a query over the queue costs far more
    /// than a lookup by `_id`, so it must not run for every email.
    pub async fn run(self: Arc<Self>, mut shutdown: watch::Receiver<bool>) {
        let concurrency = self.config.concurrency.max(1);
        let slots = Arc::new(Semaphore::new(concurrency));
        let (outcomes, to_record) = mpsc::channel(concurrency * 4);
        let recorder = tokio::spawn(Arc::clone(&self).record(to_record));
        let mut in_flight = JoinSet::new();
        let mut backoff = Duration::from_millis(100);
        // When the queue is to be queried next (at once on start).
        let mut next_query = tokio::time::Instant::now();
        // When the backlog was last counted (a count costs a scan).
        let mut counted: Option<tokio::time::Instant> = None;
        while !*shutdown.borrow() && shutdown.has_changed().is_ok() {
            // Wait for a free slot, then take every free one.
            let mut permits = tokio::select! {
                permit = slots.clone().acquire_owned() => vec![permit.expect("the semaphore is never closed")],
                _ = shutdown.changed() => break,
            };
            while let Ok(permit) = slots.clone().try_acquire_owned() {
                permits.push(permit);
            }
            // Reap finished sends so the set does not grow.
            while in_flight.try_join_next().is_some() {}
            let querying = tokio::time::Instant::now() >= next_query;
            let fresh = if querying {
                None
            } else {
                Some(self.fresh.pop(permits.len()))
            };
            if fresh.as_ref().is_some_and(Vec::is_empty) {
                drop(permits);
                tokio::select! {
                    () = self.fresh.notified() => {}
                    () = tokio::time::sleep_until(next_query) => {}
                    _ = shutdown.changed() => {}
                }
                continue;
            }
            let timer = self
                .metrics
                .store_seconds
                .with_label_values(&[if querying { "query" } else { "claim" }])
                .start_timer();
            let claimed = self
                .store
                .claim(fresh, permits.len(), BsonDateTime::now(), self.config.lease)
                .await;
            timer.observe_duration();
            match claimed {
                Ok(docs) => {
                    backoff = Duration::from_millis(100);
                    if querying && (docs.len() < permits.len() || !self.fresh.is_empty()) {
                        // Nothing more due, or fresh ids first: query
                        // again after the interval.
                        next_query = tokio::time::Instant::now() + self.config.poll_interval;
                        let count_due =
                            counted.is_none_or(|at| at.elapsed() >= BACKLOG_COUNT_INTERVAL);
                        if docs.is_empty() && count_due {
                            counted = Some(tokio::time::Instant::now());
                            if let Ok(backlog) = self.store.backlog().await {
                                self.metrics.backlog.set(backlog as i64);
                            }
                        }
                    }
                    for (doc, permit) in docs.into_iter().zip(permits) {
                        self.spawn_send(&mut in_flight, doc, permit, outcomes.clone());
                    }
                }
                Err(error) => {
                    drop(permits);
                    tracing::warn!(%error, "notifier: reading the queue failed; retrying");
                    tokio::select! {
                        () = tokio::time::sleep(backoff) => {}
                        _ = shutdown.changed() => {}
                    }
                    backoff = (backoff * 2).min(Duration::from_secs(5));
                }
            }
        }
        let grace = tokio::time::Instant::now() + self.config.shutdown_grace;
        let drained = tokio::time::timeout_at(grace, async {
            while in_flight.join_next().await.is_some() {}
        })
        .await;
        if drained.is_err() {
            tracing::warn!(
                "notifier: sends still in flight at shutdown; they are retried after their lease"
            );
            in_flight.abort_all();
        }
        drop(in_flight);
        drop(outcomes);
        if tokio::time::timeout_at(grace, recorder).await.is_err() {
            tracing::warn!(
                "notifier: outcomes not recorded at shutdown; those notifications are retried after their lease"
            );
        }
    }

    fn spawn_send(
        self: &Arc<Self>,
        in_flight: &mut JoinSet<()>,
        doc: NotificationDoc,
        permit: OwnedSemaphorePermit,
        outcomes: mpsc::Sender<Outcome>,
    ) {
        let sender = Arc::clone(self);
        let span = tracing::info_span!(
            "notification",
            notification_id = %doc.id,
            correlation_id = %doc.correlation_id,
            kind = ?doc.kind,
        );
        in_flight.spawn(
            async move {
                let outcome = sender.send_contained(doc).await;
                // The recorder may lag (MongoDB slow or down): the slot
                // stays taken until it has room.
                let _ = outcomes.send(outcome).await;
                drop(permit);
            }
            .instrument(span),
        );
    }

    /// [`Self::send_one`], with a panic on the way turned into `doc` dead
    /// with the panic as its reason: a task that panicked would record
    /// nothing, so the notification would be claimed, and panic, again
    /// after every lease, for ever.
    async fn send_contained(&self, doc: NotificationDoc) -> Outcome {
        let attempted = doc.clone();
        match contain(self.send_one(doc)).await {
            Ok(outcome) => outcome,
            Err(panic) => {
                let reason = format!("sending panicked: {panic}");
                self.metrics
                    .notifications
                    .with_label_values(&["dead"])
                    .inc();
                tracing::error!(error = %reason,
                    "a notification is dead: its send panicked (IT can re-queue it)");
                let now = BsonDateTime::now();
                self.dead_letter(&attempted, &reason, now).await;
                Outcome::dead(&attempted, &reason, now)
            }
        }
    }

    /// Sends `doc` and says what to record.
    async fn send_one(&self, doc: NotificationDoc) -> Outcome {
        let started = Instant::now();
        let result = self.mailer.send(&doc).await;
        self.metrics
            .send_seconds
            .observe(started.elapsed().as_secs_f64());
        let now = BsonDateTime::now();
        let attempt = doc.attempts + 1;
        match result {
            Ok(()) => {
                self.metrics
                    .notifications
                    .with_label_values(&["sent"])
                    .inc();
                tracing::info!(attempt, "notification sent");
                Outcome::sent(&doc, now)
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
                    Outcome::failed(&doc, &error.message, now, add(now, wait))
                }
                AfterFailure::Dead => {
                    self.metrics
                        .notifications
                        .with_label_values(&["dead"])
                        .inc();
                    tracing::error!(attempt, error = %error.message, permanent = error.permanent,
                        "a notification is dead: no more attempts (IT can re-queue it)");
                    self.dead_letter(&doc, &error.message, now).await;
                    Outcome::dead(&doc, &error.message, now)
                }
            },
        }
    }

    /// Records the outcomes as they come, all those ready in one command.
    async fn record(self: Arc<Self>, mut outcomes: mpsc::Receiver<Outcome>) {
        let mut batch = Vec::new();
        while outcomes.recv_many(&mut batch, RECORD_BATCH).await > 0 {
            let timer = self
                .metrics
                .store_seconds
                .with_label_values(&["record"])
                .start_timer();
            let recorded = self.store.record(&batch).await;
            timer.observe_duration();
            match recorded {
                Ok(n) if n as usize == batch.len() => {}
                Ok(n) => tracing::warn!(
                    not_recorded = batch.len() - n as usize,
                    "outcomes not recorded: those notifications' leases were taken over by another sender"
                ),
                Err(error) => {
                    let ids: Vec<&str> = batch.iter().map(|o| o.id.as_str()).collect();
                    tracing::warn!(%error, notification_ids = ?ids,
                        "recording outcomes failed; those notifications are tried again after their lease");
                }
            }
            batch.clear();
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
        summary.holder = None;
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

/// Runs `future`, catching a panic as its message.
async fn contain<T>(future: impl std::future::Future<Output = T>) -> Result<T, String> {
    std::panic::AssertUnwindSafe(future)
        .catch_unwind()
        .await
        .map_err(|payload| panic_message(payload.as_ref()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_panicking_send_is_caught_with_its_message() {
        let caught = contain(async { panic!("Mailboxes\r\ndisplay") }).await;
        assert_eq!(caught, Err::<(), _>("Mailboxes  display".to_owned()));
        assert_eq!(contain(async { 7 }).await, Ok(7));
    }
}
