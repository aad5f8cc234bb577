//! The finance projector: invoices and credit notes in Postgres (schema
//! `finance`), from the `Launch` events.
//!
//! Numbers must be gapless per year and identical on every replay, so they
//! are given in the event store's global order — which no message order
//! gives (JetStream orders per aggregate, by commit). The projector
//! therefore reads the store itself, through [`settled_after`] from its
//! checkpoint; the JetStream durable consumer (`FINANCE_CONSUMER` on
//! `<prefix>.Launch.>`) only wakes it, and a message is acknowledged once
//! the checkpoint has passed it. Each batch is written with the checkpoint
//! in one transaction, under an advisory lock, so replicas take turns and
//! a crash re-applies nothing twice: effectively exactly once.
//!
//! An event that cannot be applied (unreadable, contradicting the
//! projection, or refused by Postgres for its data) stops the projection at
//! that event: finance never skips one. After a failure the projector goes
//! on one event per transaction, so everything before the culprit is
//! applied and its position is exact; after `DEAD_LETTER_AFTER` failures in
//! a row the projection is **halted** ([`Halt`]): logged at ERROR, the
//! gauges `finance_projector_halted` and `finance_projector_halted_position`
//! set, `/ready` answers 503 `halted` with the position and the error (and so
//! does IT's `/v1/ops/status`). It keeps retrying at the longest backoff and
//! resumes by itself once the cause is fixed (a corrected release, a
//! repaired row). An unavailable database is only retried: it halts nothing.
//!
//! [`settled_after`]: crate::source::settled_after

pub mod ledger;
pub mod rebuild;
pub mod store;

use std::time::{Duration, Instant};

use async_nats::jetstream::consumer::{pull, DeliverPolicy};
use async_nats::jetstream::message::AckKind;
use async_nats::jetstream::{self, stream, Message};
use events::{Envelope, LaunchEvent};
use futures::{FutureExt, StreamExt};
use sqlx::{PgConnection, PgPool};
use tokio::sync::watch;

use crate::consume;
use crate::metrics::ProjectorMetrics;
use crate::relay::events_stream_config;
use crate::settings::Settings;
use crate::source::{self, RawEvent, Unreadable};
use ledger::LedgerError;
use store::Schema;

/// The advisory lock the live projection is written under (replicas and a
/// rebuild's swap take turns on it).
pub const LIVE_LOCK: i64 = 0x00A5_7F1A_0001;

const INITIAL_BACKOFF: Duration = Duration::from_millis(100);

/// Why applying failed.
#[derive(Debug, thiserror::Error)]
pub enum FinanceError {
    /// Postgres failed; retrying may help.
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    /// An event cannot be read.
    #[error(transparent)]
    Unreadable(#[from] Unreadable),
    /// An event contradicts the projection.
    #[error(transparent)]
    Ledger(#[from] LedgerError),
}

impl FinanceError {
    /// Whether it says the database cannot be used now (rather than that
    /// an event cannot be applied): see [`crate::parking::is_unavailable`].
    pub fn is_unavailable(&self) -> bool {
        match self {
            Self::Database(error) => crate::parking::is_unavailable(error),
            Self::Unreadable(_) | Self::Ledger(_) => false,
        }
    }
}

/// The position of the first event after the live checkpoint: the one a
/// failing one-event batch could not apply.
async fn next_position(pool: &PgPool) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT min(global_position) FROM events
          WHERE global_position > (SELECT position FROM finance.checkpoint)",
    )
    .fetch_one(pool)
    .await
}

/// What one batch did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Applied {
    /// Events read (of every aggregate type).
    pub events: usize,
    /// Invoices issued.
    pub invoices: usize,
    /// Credit notes issued.
    pub credit_notes: usize,
    /// The checkpoint after the batch.
    pub position: i64,
}

/// The `Launch` events among `events`, read; other aggregates are none of
/// finance's business.
pub fn launch_events(events: Vec<RawEvent>) -> Result<Vec<Envelope<LaunchEvent>>, Unreadable> {
    events
        .into_iter()
        .filter(|event| event.aggregate_type == "Launch")
        .map(RawEvent::decode_launch)
        .collect()
}

/// Plans and writes `events` (everything after the checkpoint of `schema`
/// up to `up_to`) in the caller's transaction.
pub async fn apply_batch(
    conn: &mut PgConnection,
    schema: Schema,
    events: Vec<RawEvent>,
    up_to: i64,
) -> Result<Applied, FinanceError> {
    let read = events.len();
    let launch = launch_events(events)?;
    let mut known = store::load_known(conn, schema, &launch).await?;
    let changes = ledger::plan(&mut known, &launch)?;
    store::write(conn, schema, &changes, up_to).await?;
    Ok(Applied {
        events: read,
        invoices: changes.invoices.len(),
        credit_notes: changes.credit_notes.len(),
        position: up_to,
    })
}

/// Brings the live projection up to the settled end of the store, one
/// batch of at most `limit` events per transaction; returns the total done.
pub async fn catch_up(pool: &PgPool, limit: i64) -> Result<Applied, FinanceError> {
    let mut total = Applied::default();
    loop {
        let mut tx = pool.begin().await?;
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(LIVE_LOCK)
            .execute(&mut *tx)
            .await?;
        let checkpoint = store::checkpoint(&mut tx, Schema::Live).await?;
        total.position = checkpoint;
        // Read before this transaction writes anything: it has no
        // transaction id yet, so `settled_after` does not wait for it.
        let settled = source::settled_after(pool, checkpoint, limit).await?;
        if settled.up_to == checkpoint {
            tx.rollback().await?;
            return Ok(total);
        }
        let read = settled.events.len() as i64;
        let applied = apply_batch(&mut tx, Schema::Live, settled.events, settled.up_to).await?;
        tx.commit().await?;
        total.events += applied.events;
        total.invoices += applied.invoices;
        total.credit_notes += applied.credit_notes;
        total.position = applied.position;
        if read < limit {
            return Ok(total);
        }
    }
}

/// What the finance projector is configured with.
#[derive(Debug, Clone)]
pub struct FinanceConfig {
    /// The events stream (created idempotently, as the relay does).
    pub events_stream: stream::Config,
    /// `<prefix>.Launch.>`.
    pub filter: String,
    /// `FINANCE_CONSUMER`: the durable consumer.
    pub consumer: String,
    /// `FINANCE_BATCH_SIZE`: most events per transaction.
    pub batch_size: i64,
    /// `FINANCE_POLL_INTERVAL_MS`: read the store this often even without
    /// a message (a safety net; messages wake it sooner).
    pub poll_interval: Duration,
    /// Redelivery wait for an unacknowledged message.
    pub ack_wait: Duration,
    /// Longest pause between retries.
    pub max_backoff: Duration,
    /// `DEAD_LETTER_AFTER`: failures in a row at one event before the
    /// projection is reported halted.
    pub halt_after: u32,
}

/// Where the finance projection is stopped, and why.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Halt {
    /// The global position of the event it cannot apply.
    pub position: i64,
    /// The last error.
    pub error: String,
    /// When it halted.
    pub since: chrono::DateTime<chrono::Utc>,
    /// Failed attempts at this event so far.
    pub attempts: u32,
}

/// Whether the live finance projection is halted; shared by the projector
/// and `/ready`. Cheap to clone.
#[derive(Clone)]
pub struct HaltState {
    current: std::sync::Arc<std::sync::Mutex<Option<Halt>>>,
    halted: prometheus::IntGauge,
    position: prometheus::IntGauge,
}

impl HaltState {
    /// A state that is not halted, with its gauges registered in `metrics`.
    pub fn register(metrics: &platform::metrics::Metrics) -> Self {
        let halted = prometheus::IntGauge::new(
            "finance_projector_halted",
            "1 while the finance projection is stopped at an event it cannot apply",
        )
        .expect("static metric definition");
        let position = prometheus::IntGauge::new(
            "finance_projector_halted_position",
            "the global position the finance projection is halted at (0 when it is not)",
        )
        .expect("static metric definition");
        for gauge in [&halted, &position] {
            metrics
                .registry
                .register(Box::new(gauge.clone()))
                .expect("registered once");
        }
        Self {
            current: Default::default(),
            halted,
            position,
        }
    }

    /// The halt, if it is halted.
    pub fn current(&self) -> Option<Halt> {
        self.current.lock().expect("not poisoned").clone()
    }

    fn set(&self, halt: Halt) {
        self.halted.set(1);
        self.position.set(halt.position);
        *self.current.lock().expect("not poisoned") = Some(halt);
    }

    fn clear(&self) -> Option<Halt> {
        self.halted.set(0);
        self.position.set(0);
        self.current.lock().expect("not poisoned").take()
    }
}

impl From<&Settings> for FinanceConfig {
    fn from(settings: &Settings) -> Self {
        Self {
            events_stream: events_stream_config(settings),
            filter: format!("{}.Launch.>", settings.subject_prefix),
            consumer: settings.finance_consumer.clone(),
            batch_size: settings.finance_batch_size,
            poll_interval: settings.finance_poll_interval,
            ack_wait: settings.sales_ack_wait,
            max_backoff: settings.max_backoff,
            halt_after: settings.dead_letter_after.clamp(1, i64::from(u32::MAX)) as u32,
        }
    }
}

/// The finance projector.
pub struct FinanceProjector {
    pool: PgPool,
    jetstream: jetstream::Context,
    config: FinanceConfig,
    metrics: ProjectorMetrics,
    halt: HaltState,
}

impl FinanceProjector {
    /// A projector writing through `pool` (which needs at least two
    /// connections: one holds the batch's transaction while the other
    /// reads the store).
    pub fn new(
        pool: PgPool,
        client: async_nats::Client,
        config: FinanceConfig,
        metrics: ProjectorMetrics,
        halt: HaltState,
    ) -> Self {
        Self {
            pool,
            jetstream: jetstream::new(client),
            config,
            metrics,
            halt,
        }
    }

    async fn prepare(&self) -> anyhow::Result<pull::Stream> {
        let consumer = consume::durable(
            &self.config.consumer,
            "finance (Postgres invoices) wake-ups",
            self.config.filter.clone(),
            self.config.ack_wait,
            DeliverPolicy::All,
        );
        consume::subscribe(
            &self.jetstream,
            self.config.events_stream.clone(),
            consumer,
            None,
        )
        .await
    }

    /// Projects until `shutdown` turns true; a batch in flight is finished
    /// or rolled back.
    pub async fn run(&self, mut shutdown: watch::Receiver<bool>) {
        let mut backoff = INITIAL_BACKOFF;
        let mut last_read = None::<Instant>;
        let mut consumer = None;
        // After an event failed: one event per batch, until it applies.
        let mut narrow = false;
        let mut failures = 0_u32;
        while !*shutdown.borrow() && shutdown.has_changed().is_ok() {
            if consumer.is_none() {
                match self.prepare().await {
                    Ok(prepared) => consumer = Some(prepared),
                    Err(error) => {
                        tracing::warn!(%error, "finance: cannot consume; reading the store meanwhile");
                    }
                }
            }
            let messages = match &mut consumer {
                Some(stream) => tokio::select! {
                    _ = shutdown.changed() => break,
                    fetched = next_messages(stream, self.config.batch_size as usize, self.config.poll_interval) => match fetched {
                        Ok(messages) => messages,
                        Err(error) => {
                            tracing::warn!(%error, "finance: fetching failed; resubscribing");
                            consumer = None;
                            Vec::new()
                        }
                    },
                },
                None => {
                    tokio::select! {
                        _ = shutdown.changed() => break,
                        () = tokio::time::sleep(self.config.poll_interval) => {}
                    }
                    Vec::new()
                }
            };
            let due = last_read.is_none_or(|at| at.elapsed() >= self.config.poll_interval);
            if messages.is_empty() && !due && consumer.is_some() && !narrow {
                continue;
            }
            let began = Instant::now();
            let limit = if narrow { 1 } else { self.config.batch_size };
            match catch_up(&self.pool, limit).await {
                Ok(applied) => {
                    backoff = INITIAL_BACKOFF;
                    last_read = Some(Instant::now());
                    narrow = false;
                    failures = 0;
                    if let Some(halt) = self.halt.clear() {
                        tracing::info!(
                            position = halt.position,
                            attempts = halt.attempts,
                            "finance: the projection resumed past the event it was halted at"
                        );
                    }
                    if applied.events > 0 {
                        self.record(&applied, began);
                    }
                    for message in &messages {
                        ack(message, AckKind::Ack).await;
                    }
                }
                Err(error) => {
                    if error.is_unavailable() {
                        tracing::warn!(%error, "finance: the database is unavailable; will retry");
                    } else {
                        narrow = true;
                        failures += 1;
                        self.failed_at_event(&error, failures).await;
                    }
                    self.metrics.events.with_label_values(&["retried"]).inc();
                    for message in &messages {
                        ack(message, AckKind::Nak(Some(backoff))).await;
                    }
                    tokio::select! {
                        () = tokio::time::sleep(backoff) => {}
                        _ = shutdown.changed() => {}
                    }
                    backoff = (backoff * 2).min(self.config.max_backoff);
                }
            }
        }
    }

    /// Counts a failure of the event after the checkpoint; past
    /// `halt_after` in a row the projection is reported halted there.
    async fn failed_at_event(&self, error: &FinanceError, failures: u32) {
        let position = match error {
            FinanceError::Unreadable(unreadable) => Some(unreadable.position),
            _ => next_position(&self.pool).await.ok().flatten(),
        };
        let Some(position) = position else {
            tracing::warn!(%error, "finance: a batch failed; will retry");
            return;
        };
        if failures < self.config.halt_after {
            tracing::warn!(%error, position, failures,
                "finance: an event cannot be applied; retrying it alone");
            return;
        }
        let since = match self.halt.current() {
            Some(halt) if halt.position == position => halt.since,
            _ => {
                tracing::error!(%error, position, failures,
                    "finance: the projection is HALTED at this event (nothing after it is \
                     invoiced) until it can be applied; retrying at the longest backoff");
                chrono::Utc::now()
            }
        };
        self.halt.set(Halt {
            position,
            error: error.to_string(),
            since,
            attempts: failures,
        });
    }

    fn record(&self, applied: &Applied, began: Instant) {
        self.metrics
            .events
            .with_label_values(&["applied"])
            .inc_by(applied.events as u64);
        self.metrics
            .batch_latency
            .observe(began.elapsed().as_secs_f64());
        tracing::debug!(
            events = applied.events,
            invoices = applied.invoices,
            credit_notes = applied.credit_notes,
            position = applied.position,
            "finance: applied"
        );
    }
}

/// Up to `max` messages: waits at most `wait` for the first, then takes
/// only what has already arrived.
async fn next_messages(
    messages: &mut pull::Stream,
    max: usize,
    wait: Duration,
) -> Result<Vec<Message>, String> {
    let mut taken = Vec::new();
    match tokio::time::timeout(wait, messages.next()).await {
        Err(_elapsed) => return Ok(taken),
        Ok(None) => return Err("the consumer's stream ended".into()),
        Ok(Some(Err(error))) => return Err(error.to_string()),
        Ok(Some(Ok(message))) => taken.push(message),
    }
    while taken.len() < max {
        match messages.next().now_or_never() {
            Some(Some(Ok(message))) => taken.push(message),
            Some(Some(Err(error))) => {
                tracing::warn!(%error, "finance: consuming failed after a message");
                break;
            }
            _ => break,
        }
    }
    Ok(taken)
}

/// Acknowledges; a lost acknowledgement only means a harmless redelivery.
async fn ack(message: &Message, kind: AckKind) {
    if let Err(error) = message.ack_with(kind).await {
        tracing::warn!(%error, "acknowledging a message failed; it will be redelivered");
    }
}
