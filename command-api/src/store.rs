//! Our event store: cqrs-es's [`EventStore`] over the postgres-es schema,
//! with snapshots that are correct, an in-process aggregate cache, and a
//! commit that joins the caller's transaction.
//!
//! Why not postgres-es's own stores: in cqrs-es 0.5 an aggregate's `handle`
//! applies each event as it writes it to the sink, and the snapshot and
//! aggregate stores apply the same events again on commit, so their saved
//! state drifts. Here the context's aggregate, already advanced by `handle`,
//! is what gets cached and snapshotted; nothing is applied twice. And
//! postgres-es's `persist` opens its own transaction, while a command must
//! write its events and its idempotency record atomically, so writes are our
//! SQL on the same tables. Reads go through postgres-es's repository.
//!
//! Loading: a cached aggregate is used as is (no round trip, no copy); a stale cache
//! cannot commit, because the next sequence number is then already taken and
//! the insert fails with a conflict, which evicts the entry and the command is
//! retried on fresh state. Otherwise the latest snapshot plus the events after
//! it are read. A snapshot is written every `snapshot_every` events.

use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::num::NonZeroUsize;
use std::sync::Mutex;

use cqrs_es::persist::{PersistedEventRepository, SerializedEvent};
use cqrs_es::{
    Aggregate, AggregateContext, AggregateError, DomainEvent, EventEnvelope, EventStore,
};
use events::EventMetadata;
use lru::LruCache;
use postgres_es::PostgresEventRepository;
use sqlx::{PgConnection, PgPool};

/// An aggregate as loaded: its state and the sequence of its last event.
#[derive(Debug, Clone)]
pub struct Loaded<A> {
    /// The aggregate's id.
    pub aggregate_id: String,
    /// Its state. `handle` advances it in place.
    pub aggregate: A,
    /// The sequence of the last stored event (0 for a new aggregate).
    pub sequence: u64,
    /// Whether it came from this process's cache (and may be stale) rather
    /// than from the database just now.
    pub from_cache: bool,
}

impl<A: Aggregate> AggregateContext<A> for Loaded<A> {
    fn aggregate(&mut self) -> &mut A {
        &mut self.aggregate
    }
}

/// How the store behaves.
#[derive(Debug, Clone, Copy)]
pub struct StoreConfig {
    /// Write a snapshot each time an aggregate's sequence crosses a multiple
    /// of this. 0 disables snapshots.
    pub snapshot_every: u64,
    /// Aggregates kept in memory per aggregate type.
    pub cache_capacity: usize,
}

type AggError<A> = AggregateError<<A as Aggregate>::Error>;

/// The event store of one aggregate type.
pub struct PgEventStore<A: Aggregate> {
    pool: PgPool,
    repository: PostgresEventRepository,
    config: StoreConfig,
    cache: Option<Mutex<LruCache<String, (A, u64)>>>,
    stripes: Vec<tokio::sync::Mutex<()>>,
    outcomes: Option<prometheus::IntCounterVec>,
}

const STRIPES: usize = 256;

fn persistence<E: std::error::Error>(error: impl Into<anyhow::Error>) -> AggregateError<E> {
    let error: anyhow::Error = error.into();
    AggregateError::UnexpectedError(error.into())
}

fn database<E: std::error::Error>(error: sqlx::Error) -> AggregateError<E> {
    AggregateError::DatabaseConnectionError(Box::new(error))
}

impl<A> PgEventStore<A>
where
    A: Aggregate + Clone,
{
    /// A store over `pool`.
    pub fn new(pool: PgPool, config: StoreConfig) -> Self {
        Self {
            repository: PostgresEventRepository::new(pool.clone()),
            pool,
            config,
            cache: NonZeroUsize::new(config.cache_capacity).map(|n| Mutex::new(LruCache::new(n))),
            stripes: (0..STRIPES).map(|_| tokio::sync::Mutex::new(())).collect(),
            outcomes: None,
        }
    }

    /// Counts command outcomes in `commands_total{aggregate, outcome}`.
    pub fn with_metrics(mut self, commands_total: prometheus::IntCounterVec) -> Self {
        self.outcomes = Some(commands_total);
        self
    }

    /// Counts one outcome of a command attempt on this aggregate type:
    /// `committed`, `refused`, `replayed`, `conflict` (retried), `gave_up`,
    /// `failed`.
    pub fn observe(&self, outcome: &str) {
        if let Some(outcomes) = &self.outcomes {
            outcomes.with_label_values(&[A::TYPE, outcome]).inc();
        }
    }

    /// The pool the store writes with.
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Serializes commands on one aggregate within this process, so that
    /// concurrent requests queue instead of racing to a conflict; replicas
    /// still rely on optimistic concurrency.
    pub async fn lock(&self, aggregate_id: &str) -> tokio::sync::MutexGuard<'_, ()> {
        let mut hasher = DefaultHasher::new();
        aggregate_id.hash(&mut hasher);
        self.stripes[(hasher.finish() as usize) % STRIPES]
            .lock()
            .await
    }

    fn take_cached(&self, aggregate_id: &str) -> Option<(A, u64)> {
        let cache = self.cache.as_ref()?;
        cache.lock().ok()?.pop(aggregate_id)
    }

    /// Keeps an aggregate, as committed (or as loaded, when a command was
    /// refused without changing it), for the next command.
    pub fn remember(&self, loaded: Loaded<A>) {
        if let Some(cache) = &self.cache {
            if let Ok(mut cache) = cache.lock() {
                // Never replace a newer picture with an older one.
                if cache
                    .peek(&loaded.aggregate_id)
                    .is_some_and(|(_, s)| *s > loaded.sequence)
                {
                    return;
                }
                cache.put(loaded.aggregate_id, (loaded.aggregate, loaded.sequence));
            }
        }
    }

    /// Drops a cached aggregate (after a conflict or a failed commit).
    pub fn forget(&self, aggregate_id: &str) {
        if let Some(cache) = &self.cache {
            if let Ok(mut cache) = cache.lock() {
                cache.pop(aggregate_id);
            }
        }
    }

    /// Loads from the database, bypassing the cache.
    pub async fn load_fresh(&self, aggregate_id: &str) -> Result<Loaded<A>, AggError<A>> {
        let snapshot = self
            .repository
            .get_snapshot::<A>(aggregate_id)
            .await
            .map_err(persistence)?;
        let (mut aggregate, mut sequence, stored) = match snapshot {
            Some(snapshot) => {
                let aggregate: A =
                    serde_json::from_value(snapshot.aggregate).map_err(persistence)?;
                let stored = self
                    .repository
                    .get_last_events::<A>(aggregate_id, snapshot.current_sequence)
                    .await
                    .map_err(persistence)?;
                (aggregate, snapshot.current_sequence as u64, stored)
            }
            None => {
                let stored = self
                    .repository
                    .get_events::<A>(aggregate_id)
                    .await
                    .map_err(persistence)?;
                (A::default(), 0, stored)
            }
        };
        let upcasters = events::upcast::upcasters();
        for event in stored {
            let event = events::upcast::upcast(event, &upcasters);
            sequence = event.sequence as u64;
            let envelope: EventEnvelope<A> = event.try_into().map_err(persistence)?;
            aggregate.apply(envelope.payload);
        }
        Ok(Loaded {
            aggregate_id: aggregate_id.to_owned(),
            aggregate,
            sequence,
            from_cache: false,
        })
    }

    /// A read-only copy of an aggregate (for lookups such as a launch's
    /// rocket): the cached one when there is one, else loaded and cached.
    pub async fn read(&self, aggregate_id: &str) -> Result<A, AggError<A>> {
        if let Some(cache) = &self.cache {
            if let Some((aggregate, _)) = cache
                .lock()
                .ok()
                .and_then(|mut c| c.get(aggregate_id).cloned())
            {
                return Ok(aggregate);
            }
        }
        let loaded = self.load_fresh(aggregate_id).await?;
        let aggregate = loaded.aggregate.clone();
        // A copy cached here may be overtaken by a later commit; it then
        // cannot commit (sequence conflict) and is reloaded.
        self.remember(loaded);
        Ok(aggregate)
    }

    /// Takes the aggregate out of the cache, else loads it from the
    /// database. Taking, not cloning: a launch with thousands of bookings is
    /// not copied per command. The caller holds [`PgEventStore::lock`] and
    /// gives the aggregate back with [`PgEventStore::remember`] when it is
    /// still a true picture of the store.
    pub async fn load(&self, aggregate_id: &str) -> Result<Loaded<A>, AggError<A>> {
        if let Some((aggregate, sequence)) = self.take_cached(aggregate_id) {
            return Ok(Loaded {
                aggregate_id: aggregate_id.to_owned(),
                aggregate,
                sequence,
                from_cache: true,
            });
        }
        self.load_fresh(aggregate_id).await
    }

    /// Whether appending `count` events to `loaded` writes a snapshot (then
    /// the append needs a transaction of its own or the caller's).
    pub fn needs_snapshot(&self, loaded: &Loaded<A>, count: usize) -> bool {
        let every = self.config.snapshot_every;
        every > 0 && (loaded.sequence + count as u64) / every > loaded.sequence / every
    }

    /// Appends `events`, produced by `handle` on `loaded` (whose aggregate
    /// they have already advanced), on `conn`: the caller's transaction, or a
    /// plain connection when [`PgEventStore::needs_snapshot`] is false (the
    /// events and their outbox rows are then one atomic statement, saving
    /// the BEGIN and COMMIT round trips). Returns the stored envelopes;
    /// `loaded.sequence` is advanced. A sequence already taken is
    /// `AggregateConflict`.
    pub async fn append(
        &self,
        conn: &mut PgConnection,
        loaded: &mut Loaded<A>,
        events: &[A::Event],
        metadata: &EventMetadata,
    ) -> Result<Vec<EventEnvelope<A>>, AggError<A>> {
        if events.is_empty() {
            return Ok(Vec::new());
        }
        let first = loaded.sequence + 1;
        let n = events.len();
        let mut sequences = Vec::with_capacity(n);
        let mut types = Vec::with_capacity(n);
        let mut versions = Vec::with_capacity(n);
        let mut payloads = Vec::with_capacity(n);
        let mut metadatas = Vec::with_capacity(n);
        let mut ids = Vec::with_capacity(n);
        let mut envelopes = Vec::with_capacity(n);
        for (offset, event) in events.iter().enumerate() {
            let sequence = first + offset as u64;
            let mut event_metadata = metadata.clone();
            if offset > 0 {
                event_metadata.event_id = uuid::Uuid::now_v7();
            }
            let map = event_metadata.to_map();
            sequences.push(sequence as i64);
            types.push(event.event_type());
            versions.push(event.event_version());
            payloads.push(serde_json::to_string(event).map_err(persistence)?);
            metadatas.push(serde_json::to_string(&map).map_err(persistence)?);
            ids.push(event_metadata.event_id);
            envelopes.push(EventEnvelope {
                aggregate_id: loaded.aggregate_id.clone(),
                sequence: sequence as usize,
                payload: event.clone(),
                metadata: map,
            });
        }
        let inserted = sqlx::query(
            "INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type, event_version,
                                 payload, metadata, event_id, occurred_at)
             SELECT $1, $2, s, t, v, p::json, m::json, e, $9
               FROM UNNEST($3::bigint[], $4::text[], $5::text[], $6::text[], $7::text[], $8::uuid[])
                    AS x(s, t, v, p, m, e)",
        )
        .bind(A::TYPE)
        .bind(&loaded.aggregate_id)
        .bind(&sequences)
        .bind(&types)
        .bind(&versions)
        .bind(&payloads)
        .bind(&metadatas)
        .bind(&ids)
        .bind(metadata.occurred_at)
        .execute(&mut *conn)
        .await;
        match inserted {
            Ok(_) => {}
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
                return Err(AggregateError::AggregateConflict)
            }
            Err(e) => return Err(database(e)),
        }
        let snapshot = self.needs_snapshot(loaded, n);
        loaded.sequence += n as u64;
        if snapshot {
            self.write_snapshot(conn, loaded).await?;
        }
        Ok(envelopes)
    }

    async fn write_snapshot(
        &self,
        conn: &mut PgConnection,
        loaded: &Loaded<A>,
    ) -> Result<(), AggError<A>> {
        let payload = serde_json::to_value(&loaded.aggregate).map_err(persistence)?;
        sqlx::query(
            "INSERT INTO snapshots (aggregate_type, aggregate_id, last_sequence, current_snapshot, payload)
             VALUES ($1, $2, $3, 1, $4)
             ON CONFLICT (aggregate_type, aggregate_id) DO UPDATE
                SET last_sequence = EXCLUDED.last_sequence,
                    current_snapshot = snapshots.current_snapshot + 1,
                    payload = EXCLUDED.payload
              WHERE snapshots.last_sequence < EXCLUDED.last_sequence",
        )
        .bind(A::TYPE)
        .bind(&loaded.aggregate_id)
        .bind(loaded.sequence as i64)
        .bind(payload)
        .execute(&mut *conn)
        .await
        .map_err(database)?;
        Ok(())
    }

    /// Every stored event of one aggregate, upcast, in sequence order.
    pub async fn events_of(&self, aggregate_id: &str) -> Result<Vec<SerializedEvent>, AggError<A>> {
        let upcasters = events::upcast::upcasters();
        Ok(self
            .repository
            .get_events::<A>(aggregate_id)
            .await
            .map_err(persistence)?
            .into_iter()
            .map(|e| events::upcast::upcast(e, &upcasters))
            .collect())
    }
}

impl<A> EventStore<A> for PgEventStore<A>
where
    A: Aggregate + Clone,
    A::Error: Send,
{
    type AC = Loaded<A>;

    async fn load_events(&self, aggregate_id: &str) -> Result<Vec<EventEnvelope<A>>, AggError<A>> {
        self.events_of(aggregate_id)
            .await?
            .into_iter()
            .map(|e| e.try_into().map_err(persistence))
            .collect()
    }

    async fn load_aggregate(&self, aggregate_id: &str) -> Result<Self::AC, AggError<A>> {
        self.load(aggregate_id).await
    }

    /// Commits in a transaction of its own. Commands with an idempotency key
    /// use [`PgEventStore::append`] inside the command's transaction instead.
    async fn commit(
        &self,
        events: Vec<A::Event>,
        mut context: Self::AC,
        metadata: HashMap<String, String>,
    ) -> Result<Vec<EventEnvelope<A>>, AggError<A>> {
        let metadata = EventMetadata::from_map(&metadata).map_err(persistence)?;
        let mut tx = self.pool.begin().await.map_err(database)?;
        let result = self.append(&mut tx, &mut context, &events, &metadata).await;
        let envelopes = match result {
            Ok(envelopes) => envelopes,
            Err(e) => {
                self.forget(&context.aggregate_id);
                return Err(e);
            }
        };
        if let Err(e) = tx.commit().await {
            self.forget(&context.aggregate_id);
            return Err(database(e));
        }
        self.remember(context);
        Ok(envelopes)
    }
}
