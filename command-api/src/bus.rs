//! Executes one command against one aggregate: load, decide, append, with
//! idempotency keys, in-process serialization per aggregate and retries of
//! optimistic-concurrency conflicts, so that a client only ever sees a
//! business refusal, never a race.

use std::time::Duration;

use cqrs_es::event_sink::EventSink;
use cqrs_es::{Aggregate, AggregateError};
use events::EventMetadata;
use platform::Problem;
use sqlx::{Postgres, Transaction};
use uuid::Uuid;

use crate::errors::{refusal_problem, store_problem, Refusal};
use crate::store::{Loaded, PgEventStore};

/// An `Idempotency-Key` of one user, with a fingerprint of the request it
/// was first used for.
#[derive(Debug, Clone)]
pub struct Idempotency {
    /// Keys are scoped per user.
    pub user_id: Uuid,
    /// The client's key.
    pub key: String,
    /// SHA-256 of the request (method, path, body).
    pub request_hash: Vec<u8>,
}

/// A response as stored for idempotent replay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// HTTP status.
    pub status: u16,
    /// JSON body (a problem document when status ≥ 400).
    pub body: Vec<u8>,
    /// True when this is the stored answer to an earlier request.
    pub replayed: bool,
}

impl Reply {
    /// A JSON reply.
    pub fn json(status: u16, body: &impl serde::Serialize) -> Self {
        Self {
            status,
            body: serde_json::to_vec(body).unwrap_or_default(),
            replayed: false,
        }
    }

    /// A problem reply.
    pub fn problem(problem: &Problem) -> Self {
        Self::json(problem.status, problem)
    }
}

/// What a successful command left behind, for the response.
pub struct Committed<'a, A: Aggregate> {
    /// The aggregate after the command.
    pub aggregate: &'a A,
    /// The events it produced (possibly none).
    pub events: &'a [A::Event],
    /// The aggregate's sequence after the command: the stream version a
    /// client can give the query side to read its own write.
    pub version: u64,
}

/// How many times a conflicting command is retried, and the base back-off.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    /// Attempts in all.
    pub attempts: u32,
    /// Back-off before the second attempt; doubles each time, with jitter.
    pub base_backoff: Duration,
}

/// Executes `command` on `aggregate_id` and renders a success with `render`.
/// Business refusals become problem replies here (and are stored under an
/// idempotency key like any answer); only infrastructure failures are `Err`.
pub async fn execute<A, R>(
    store: &PgEventStore<A>,
    aggregate_id: &str,
    command: A::Command,
    metadata: &EventMetadata,
    idempotency: Option<&Idempotency>,
    retry: RetryPolicy,
    render: R,
) -> Result<Reply, Problem>
where
    A: Aggregate<Services = ()> + Clone,
    A::Command: Clone,
    A::Error: Refusal,
    R: Fn(Committed<'_, A>) -> Reply,
{
    let _serialized = store.lock(aggregate_id).await;
    let mut backoff = retry.base_backoff;
    for attempt in 1..=retry.attempts.max(1) {
        match attempt_once(
            store,
            aggregate_id,
            command.clone(),
            metadata,
            idempotency,
            &render,
        )
        .await
        {
            Err(AggregateError::AggregateConflict) => {
                store.forget(aggregate_id);
                store.observe("conflict");
                tracing::info!(aggregate_id, attempt, "concurrency conflict; retrying");
                tokio::time::sleep(jitter(backoff)).await;
                backoff = backoff.saturating_mul(2).min(Duration::from_millis(200));
            }
            Err(e) => {
                store.forget(aggregate_id);
                store.observe("failed");
                return Err(store_problem(&e));
            }
            Ok(reply) => {
                store.observe(match (reply.replayed, reply.status) {
                    (true, _) => "replayed",
                    (false, status) if status < 400 => "committed",
                    _ => "refused",
                });
                return Ok(reply);
            }
        }
    }
    store.observe("gave_up");
    tracing::warn!(aggregate_id, "gave up after repeated concurrency conflicts");
    Err(Problem::unavailable("the resource is busy; retry shortly"))
}

fn jitter(base: Duration) -> Duration {
    // Half to full `base`, from the random bits of a v4 UUID (no RNG needed).
    let random = Uuid::new_v4().as_u128() as u64 % 1_000;
    base / 2 + base * random as u32 / 2_000
}

async fn attempt_once<A, R>(
    store: &PgEventStore<A>,
    aggregate_id: &str,
    command: A::Command,
    metadata: &EventMetadata,
    idempotency: Option<&Idempotency>,
    render: &R,
) -> Result<Reply, AggregateError<A::Error>>
where
    A: Aggregate<Services = ()> + Clone,
    A::Error: Refusal,
    R: Fn(Committed<'_, A>) -> Reply,
{
    let db = |e: sqlx::Error| AggregateError::DatabaseConnectionError(Box::new(e));
    // With a key, the transaction starts first: a concurrent duplicate then
    // waits on our key row and replays our answer once we commit.
    let mut tx: Option<Transaction<'_, Postgres>> = None;
    if let Some(key) = idempotency {
        let mut open = store.pool().begin().await.map_err(db)?;
        if let Some(stored) = claim_key(&mut open, key).await.map_err(db)? {
            return Ok(stored);
        }
        tx = Some(open);
    }
    let mut loaded: Loaded<A> = store.load(aggregate_id).await?;
    let sink = EventSink::<A>::default();
    let decided = loaded.aggregate.handle(command, &(), &sink).await;
    let events = sink.collect().await;
    let reply = match &decided {
        Ok(()) => render(Committed {
            aggregate: &loaded.aggregate,
            events: &events,
            version: loaded.sequence + events.len() as u64,
        }),
        Err(refusal) => Reply::problem(&refusal_problem(refusal)),
    };
    if decided.is_err() && loaded.from_cache {
        // A refusal must hold against the store, not just against a cached
        // copy that another replica has overtaken (a booking it took, seats
        // it freed): if the stream has moved on, retry on fresh state.
        let stored: Option<i64> = sqlx::query_scalar(
            "SELECT max(sequence) FROM events WHERE aggregate_type = $1 AND aggregate_id = $2",
        )
        .bind(A::TYPE)
        .bind(aggregate_id)
        .fetch_one(store.pool())
        .await
        .map_err(db)?;
        if stored.unwrap_or(0) as u64 != loaded.sequence {
            return Err(AggregateError::AggregateConflict);
        }
    }
    if decided.is_err() {
        // `decide` validates before any event is written, so the aggregate
        // is untouched and goes back to the cache; the refusal is still
        // recorded under the key.
        store.remember(loaded);
        if let (Some(mut open), Some(key)) = (tx, idempotency) {
            save_reply(&mut open, key, &reply).await.map_err(db)?;
            open.commit().await.map_err(db)?;
        }
        return Ok(reply);
    }
    if events.is_empty() && tx.is_none() {
        store.remember(loaded);
        return Ok(reply);
    }
    if tx.is_none() && !store.needs_snapshot(&loaded, events.len()) {
        let mut conn = store.pool().acquire().await.map_err(db)?;
        store
            .append(&mut conn, &mut loaded, &events, metadata)
            .await?;
        store.remember(loaded);
        return Ok(reply);
    }
    let mut open = match tx {
        Some(open) => open,
        None => store.pool().begin().await.map_err(db)?,
    };
    store
        .append(&mut open, &mut loaded, &events, metadata)
        .await?;
    if let Some(key) = idempotency {
        save_reply(&mut open, key, &reply).await.map_err(db)?;
    }
    open.commit().await.map_err(db)?;
    store.remember(loaded);
    Ok(reply)
}

/// Inserts the key row; if it already exists (committed by an earlier or a
/// concurrent request we waited for), returns the stored answer instead.
async fn claim_key(
    tx: &mut Transaction<'_, Postgres>,
    key: &Idempotency,
) -> Result<Option<Reply>, sqlx::Error> {
    let inserted = sqlx::query(
        "INSERT INTO idempotency (user_id, idempotency_key, request_hash)
         VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
    )
    .bind(key.user_id)
    .bind(&key.key)
    .bind(&key.request_hash)
    .execute(&mut **tx)
    .await?;
    if inserted.rows_affected() == 1 {
        return Ok(None);
    }
    let (hash, status, body): (Vec<u8>, Option<i16>, Option<Vec<u8>>) = sqlx::query_as(
        "SELECT request_hash, response_status, response_body
           FROM idempotency WHERE user_id = $1 AND idempotency_key = $2",
    )
    .bind(key.user_id)
    .bind(&key.key)
    .fetch_one(&mut **tx)
    .await?;
    if hash != key.request_hash {
        // A 422 names its field (the documented 422 body): here the header.
        let mut problem = Problem::new(422, "idempotency-key-reused", "Idempotency key reused")
            .with_detail("this Idempotency-Key was already used for a different request");
        problem.errors = vec![platform::FieldError::new(
            "Idempotency-Key",
            "reused",
            "was already used for a different request",
        )];
        return Ok(Some(Reply::problem(&problem)));
    }
    Ok(Some(Reply {
        status: status.map_or(500, |s| s as u16),
        body: body.unwrap_or_default(),
        replayed: true,
    }))
}

async fn save_reply(
    tx: &mut Transaction<'_, Postgres>,
    key: &Idempotency,
    reply: &Reply,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE idempotency SET response_status = $3, response_body = $4
          WHERE user_id = $1 AND idempotency_key = $2",
    )
    .bind(key.user_id)
    .bind(&key.key)
    .bind(reply.status as i16)
    .bind(&reply.body)
    .execute(&mut **tx)
    .await?;
    Ok(())
}
