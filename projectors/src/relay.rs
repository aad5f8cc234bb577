//! The relay: drains the transactional outbox of the event store into NATS
//! JetStream.
//!
//! Every event commits with an outbox row (a trigger writes it in the
//! inserting transaction). The relay, in one Postgres transaction, claims a
//! batch of rows, publishes their events, waits for every acknowledgement,
//! deletes the rows and commits. A relay that dies at any instant loses
//! nothing: before the commit the rows are still there and are published
//! again, and JetStream drops the copies because each message carries the
//! id `aggregate_id:sequence` (`Nats-Msg-Id`), remembered for the stream's
//! duplicate window. Readers must still tolerate a duplicate older than the
//! window (they key on aggregate id and sequence).
//!
//! Order: each aggregate's events are published in sequence order, and only
//! one relay at a time publishes a given aggregate's events. See
//! [`Relay::claim`] for how replicas share the outbox.

use std::future::IntoFuture;
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_nats::jetstream::{self, stream};
use async_nats::HeaderMap;
use bytes::Bytes;
use futures::future::try_join_all;
use sqlx::postgres::PgListener;
use sqlx::{PgConnection, PgPool};
use tokio::sync::{watch, Notify};

use crate::metrics::RelayMetrics;
use crate::settings::{default_subject_prefix, Settings};

/// The Postgres channel the relay listens on: a `NOTIFY outbox` wakes an
/// idle relay before its next poll.
///
/// Nothing notifies it yet, on purpose: a transaction that notifies takes a
/// cluster-wide lock through its commit, which serializes the commits of
/// every writer (measured with pgbench on the events insert: about half the
/// throughput). Polling an empty outbox every 100 ms costs one indexed query.
pub const CHANNEL: &str = "outbox";

/// How the relay behaves; see [`Settings`] for each field.
#[derive(Debug, Clone)]
pub struct RelayConfig {
    /// Rows per transaction.
    pub batch_size: i64,
    /// Longest idle wait without a notification.
    pub poll_interval: Duration,
    /// Wait for the acknowledgements of one batch.
    pub publish_timeout: Duration,
    /// Longest pause between retries.
    pub max_backoff: Duration,
    /// The stream's name.
    pub stream: String,
    /// The subject prefix (`astro.events`).
    pub subject_prefix: String,
    /// How long the stream keeps events (zero: forever).
    pub stream_max_age: Duration,
    /// JetStream's deduplication window.
    pub duplicate_window: Duration,
}

impl From<&Settings> for RelayConfig {
    fn from(settings: &Settings) -> Self {
        Self {
            batch_size: settings.batch_size,
            poll_interval: settings.poll_interval,
            publish_timeout: settings.publish_timeout,
            max_backoff: settings.max_backoff,
            stream: settings.stream.clone(),
            subject_prefix: settings.subject_prefix.clone(),
            stream_max_age: settings.stream_max_age,
            duplicate_window: settings.duplicate_window,
        }
    }
}

/// The events stream as `settings` describe it (the relay and every
/// projector create it the same way, whichever starts first).
pub fn events_stream_config(settings: &Settings) -> stream::Config {
    stream_config(
        &settings.stream,
        &settings.subject_prefix,
        settings.stream_max_age,
        settings.duplicate_window,
    )
}

/// The events stream's configuration: file storage, limits retention (each
/// reader has its own durable consumer), `max_age` and the duplicate window.
pub fn stream_config(
    name: &str,
    subject_prefix: &str,
    max_age: Duration,
    duplicate_window: Duration,
) -> stream::Config {
    stream::Config {
        name: name.to_owned(),
        subjects: vec![format!("{subject_prefix}.>")],
        retention: stream::RetentionPolicy::Limits,
        storage: stream::StorageType::File,
        max_age,
        duplicate_window,
        ..Default::default()
    }
}

/// What can fail in a batch. Every failure rolls the batch back.
#[derive(Debug, thiserror::Error)]
pub enum RelayError {
    /// The event store.
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    /// Creating or updating the stream.
    #[error("creating the stream: {0}")]
    Stream(String),
    /// Sending or acknowledging a message.
    #[error("publishing: {0}")]
    Publish(String),
    /// An event whose metadata cannot be read (it stays in the outbox).
    #[error("event at global position {position} has unreadable metadata: {reason}")]
    Metadata {
        /// The event's global position.
        position: i64,
        /// What is wrong.
        reason: String,
    },
}

/// One claimed outbox row with its event.
pub type OutboxEvent = crate::source::StoredEvent;

/// What one batch did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BatchOutcome {
    /// Events published and deleted from the outbox.
    pub published: usize,
    /// Of those, how many JetStream already had.
    pub duplicates: usize,
}

/// The relay of one process. Cheap to clone.
#[derive(Clone)]
pub struct Relay {
    pool: PgPool,
    jetstream: jetstream::Context,
    config: Arc<RelayConfig>,
    metrics: RelayMetrics,
}

const INITIAL_BACKOFF: Duration = Duration::from_millis(100);

impl Relay {
    /// A relay publishing from `pool`'s outbox through `client`.
    pub fn new(
        pool: PgPool,
        client: async_nats::Client,
        config: RelayConfig,
        metrics: RelayMetrics,
    ) -> Self {
        let mut jetstream = jetstream::new(client);
        jetstream.set_timeout(config.publish_timeout);
        Self {
            pool,
            jetstream,
            config: Arc::new(config),
            metrics,
        }
    }

    /// The stream's configuration: every event subject, kept on file with
    /// limits retention (each projector will have its own durable consumer,
    /// so a read must not remove a message).
    pub fn stream_config(&self) -> stream::Config {
        stream_config(
            &self.config.stream,
            &self.config.subject_prefix,
            self.config.stream_max_age,
            self.config.duplicate_window,
        )
    }

    /// Creates the stream, or updates it to [`Self::stream_config`];
    /// idempotent, so every replica does it at start.
    pub async fn ensure_stream(&self) -> Result<(), RelayError> {
        self.jetstream
            .create_or_update_stream(self.stream_config())
            .await
            .map_err(|e| RelayError::Stream(e.to_string()))?;
        Ok(())
    }

    /// The subject of one aggregate's events: `events::subjects` with the
    /// configured prefix.
    pub fn subject(&self, aggregate_type: &str, aggregate_id: &str) -> String {
        let subject = events::subjects::event_subject(aggregate_type, aggregate_id);
        match subject.strip_prefix(&default_subject_prefix()) {
            Some(rest) => format!("{}{rest}", self.config.subject_prefix),
            None => subject,
        }
    }

    /// Claims, in the caller's transaction, the next batch: whole aggregates'
    /// oldest outbox rows, in global order (so each aggregate's in sequence
    /// order), that no other relay is publishing.
    ///
    /// How replicas stay out of each other's way, and why order holds:
    /// 1. Among the aggregates of the `4 × batch_size` oldest rows, oldest
    ///    first, take a transaction-scoped advisory lock on each one free
    ///    (`pg_try_advisory_xact_lock` of its type and id), up to
    ///    `batch_size` aggregates. `OFFSET 0` keeps the lock attempt out of
    ///    the subquery (Postgres would otherwise push it into the grouping
    ///    and lock every candidate): it runs over the sorted candidates, the
    ///    `LIMIT` stops it, and the aggregates another relay holds are
    ///    passed over for the next ones, so replicas share the work. A lock is held
    ///    until this transaction commits or rolls back, i.e. until this
    ///    relay has published and deleted the rows or given up on them: two
    ///    relays never publish one aggregate's events concurrently, and a
    ///    relay never publishes an aggregate's later event while another
    ///    still holds an earlier one.
    /// 2. Then, in a new statement (READ COMMITTED: a fresh snapshot, taken
    ///    after the locks, so it sees every row a previous holder deleted),
    ///    select the rows of the won aggregates, oldest first. An aggregate's
    ///    events commit one after the other, so the snapshot holds a prefix of
    ///    its remaining events: nothing is skipped. The rows are also locked
    ///    `FOR UPDATE` (without SKIP LOCKED, which could skip an earlier row):
    ///    no wait arises between relays, which hold the aggregate lock first.
    ///
    /// Aggregates held by another relay are left for later; a relay that
    /// wins nothing waits for the next notification or poll.
    pub async fn claim(&self, tx: &mut PgConnection) -> Result<Vec<OutboxEvent>, sqlx::Error> {
        let won: Vec<(String, String)> = sqlx::query_as(
            "SELECT aggregate_type, aggregate_id
               FROM (SELECT aggregate_type, aggregate_id, min(global_position) AS first
                       FROM (SELECT aggregate_type, aggregate_id, global_position
                               FROM outbox ORDER BY global_position LIMIT $1) AS o
                      GROUP BY aggregate_type, aggregate_id
                      ORDER BY first OFFSET 0) AS candidates
              WHERE pg_try_advisory_xact_lock(
                        hashtextextended(aggregate_type || ':' || aggregate_id, 0))
              LIMIT $2",
        )
        .bind(self.config.batch_size * 4)
        .bind(self.config.batch_size)
        .fetch_all(&mut *tx)
        .await?;
        if won.is_empty() {
            return Ok(Vec::new());
        }
        let (types, ids): (Vec<String>, Vec<String>) = won.into_iter().unzip();
        sqlx::query_as(
            "SELECT o.global_position, o.aggregate_type, o.aggregate_id, o.sequence,
                    e.event_type, e.event_version, e.payload, e.metadata
               FROM outbox o
               JOIN events e ON e.global_position = o.global_position
              WHERE (o.aggregate_type, o.aggregate_id) IN
                    (SELECT * FROM UNNEST($1::text[], $2::text[]))
              ORDER BY o.global_position
              LIMIT $3
                FOR UPDATE OF o",
        )
        .bind(&types)
        .bind(&ids)
        .bind(self.config.batch_size)
        .fetch_all(&mut *tx)
        .await
    }

    /// The message of one event: its subject, headers and JSON envelope.
    pub fn message(&self, event: &OutboxEvent) -> Result<(String, HeaderMap, Bytes), RelayError> {
        let envelope = event.envelope().map_err(|e| RelayError::Metadata {
            position: e.position,
            reason: e.reason,
        })?;
        let sequence = envelope.sequence;
        let mut headers = HeaderMap::new();
        headers.insert(
            "Nats-Msg-Id",
            events::subjects::message_id(&event.aggregate_id, sequence).as_str(),
        );
        headers.insert("Content-Type", "application/json");
        headers.insert("Astro-Aggregate-Type", event.aggregate_type.as_str());
        headers.insert("Astro-Aggregate-Id", event.aggregate_id.as_str());
        headers.insert("Astro-Sequence", sequence.to_string().as_str());
        headers.insert("Astro-Event-Type", event.event_type.as_str());
        headers.insert("Astro-Event-Version", event.event_version.as_str());
        headers.insert(
            "Astro-Global-Position",
            event.global_position.to_string().as_str(),
        );
        headers.insert(
            "Astro-Correlation-Id",
            envelope.metadata.correlation_id.as_str(),
        );
        let body = serde_json::to_vec(&envelope).map_err(|e| RelayError::Metadata {
            position: event.global_position,
            reason: e.to_string(),
        })?;
        Ok((
            self.subject(&event.aggregate_type, &event.aggregate_id),
            headers,
            body.into(),
        ))
    }

    /// Publishes `events` in order, pipelined (all sent, then every
    /// acknowledgement awaited). Returns how many JetStream had already.
    pub async fn publish(&self, events: &[OutboxEvent]) -> Result<usize, RelayError> {
        let messages = events
            .iter()
            .map(|event| self.message(event))
            .collect::<Result<Vec<_>, _>>()?;
        let send_and_ack = async {
            let mut acks = Vec::with_capacity(messages.len());
            for (subject, headers, body) in messages {
                let ack = self
                    .jetstream
                    .publish_with_headers(subject, headers, body)
                    .await
                    .map_err(|e| RelayError::Publish(e.to_string()))?;
                acks.push(ack.into_future());
            }
            let acks = try_join_all(acks)
                .await
                .map_err(|e| RelayError::Publish(e.to_string()))?;
            Ok::<_, RelayError>(acks.iter().filter(|ack| ack.duplicate).count())
        };
        // Sending waits while the client is disconnected and its buffer full.
        tokio::time::timeout(self.config.publish_timeout * 2, send_and_ack)
            .await
            .map_err(|_| RelayError::Publish("timed out".into()))?
    }

    /// One batch: claim, publish, delete, commit. Any error rolls back (the
    /// rows stay for the next try).
    pub async fn relay_batch(&self) -> Result<BatchOutcome, RelayError> {
        let mut tx = self.pool.begin().await?;
        let claimed = self.claim(&mut tx).await?;
        if claimed.is_empty() {
            tx.rollback().await?;
            return Ok(BatchOutcome::default());
        }
        let started = Instant::now();
        let duplicates = self.publish(&claimed).await?;
        self.metrics
            .batch_latency
            .observe(started.elapsed().as_secs_f64());
        let positions: Vec<i64> = claimed.iter().map(|e| e.global_position).collect();
        sqlx::query("DELETE FROM outbox WHERE global_position = ANY($1)")
            .bind(&positions)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        self.metrics.published.inc_by(claimed.len() as u64);
        self.metrics.duplicates.inc_by(duplicates as u64);
        tracing::debug!(
            published = claimed.len(),
            duplicates,
            first_position = positions.first(),
            last_position = positions.last(),
            elapsed_ms = started.elapsed().as_secs_f64() * 1e3,
            "relay batch published"
        );
        Ok(BatchOutcome {
            published: claimed.len(),
            duplicates,
        })
    }

    /// Counts the outbox into the backlog gauge.
    pub async fn measure_backlog(&self) -> Result<i64, sqlx::Error> {
        let backlog: i64 = sqlx::query_scalar("SELECT count(*) FROM outbox")
            .fetch_one(&self.pool)
            .await?;
        self.metrics.backlog.set(backlog);
        Ok(backlog)
    }

    /// Relays until `shutdown` turns true: ensures the stream, then publishes
    /// batches back to back while there is anything to publish, and then waits for the
    /// poll interval or an outbox notification, whichever comes first. Errors are logged and
    /// retried with a doubling pause. Shutdown is looked at between batches,
    /// so the batch in flight is finished (or rolled back) first.
    pub async fn run(&self, mut shutdown: watch::Receiver<bool>) {
        let wake = Arc::new(Notify::new());
        // Ends with this function, even when it is cancelled mid-batch.
        let _listener = AbortOnDrop(tokio::spawn(listen(self.pool.clone(), wake.clone())));
        let mut backoff = INITIAL_BACKOFF;
        let mut stream_ready = false;
        let mut last_measure: Option<Instant> = None;
        // A dropped sender counts as a stop (else `changed()` would return
        // at once, forever).
        while !*shutdown.borrow() && shutdown.has_changed().is_ok() {
            // `None`: the stream was just made ready; relay at once.
            let result = if stream_ready {
                self.relay_batch().await.map(Some)
            } else {
                self.ensure_stream().await.map(|()| {
                    stream_ready = true;
                    tracing::info!(stream = %self.config.stream, "event stream ready");
                    None
                })
            };
            match result {
                Ok(outcome) => {
                    backoff = INITIAL_BACKOFF;
                    if last_measure.is_none_or(|t| t.elapsed() >= Duration::from_secs(1)) {
                        last_measure = Some(Instant::now());
                        if let Err(error) = self.measure_backlog().await {
                            tracing::warn!(%error, "counting the outbox failed");
                        }
                    }
                    let idle = outcome.is_some_and(|o| o.published == 0);
                    if idle {
                        tokio::select! {
                            () = wake.notified() => {}
                            () = tokio::time::sleep(self.config.poll_interval) => {}
                            _ = shutdown.changed() => {}
                        }
                    }
                }
                Err(error) => {
                    self.metrics.errors.inc();
                    match &error {
                        RelayError::Metadata { .. } => {
                            tracing::error!(%error, "relay batch failed; retrying")
                        }
                        _ => tracing::warn!(%error, ?backoff, "relay batch failed; retrying"),
                    }
                    // The stream may have been deleted: make sure of it again.
                    if matches!(error, RelayError::Publish(_)) {
                        stream_ready = false;
                    }
                    tokio::select! {
                        () = tokio::time::sleep(backoff) => {}
                        _ = shutdown.changed() => {}
                    }
                    backoff = (backoff * 2).min(self.config.max_backoff);
                }
            }
        }
        tracing::info!("relay stopped");
    }
}

/// Aborts a background task when dropped.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Forwards outbox notifications to `wake`, reconnecting as needed. A missed
/// notification only delays the relay until its next poll.
async fn listen(pool: PgPool, wake: Arc<Notify>) {
    loop {
        match PgListener::connect_with(&pool).await {
            Ok(mut listener) => match listener.listen(CHANNEL).await {
                Ok(()) => loop {
                    match listener.recv().await {
                        Ok(_) => wake.notify_one(),
                        Err(error) => {
                            tracing::warn!(%error, "outbox notifications interrupted");
                            break;
                        }
                    }
                },
                Err(error) => tracing::warn!(%error, "LISTEN outbox failed"),
            },
            Err(error) => tracing::warn!(%error, "connecting the outbox listener failed"),
        }
        // The poll interval covers the gap; retry the listener later.
        tokio::time::sleep(Duration::from_secs(1)).await;
        wake.notify_one();
    }
}
