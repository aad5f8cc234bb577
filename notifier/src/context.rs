//! What the rules need to know besides the event: the launch as it was just
//! before it (folded from the event store, the one source of truth, so an
//! email tells exactly what was true at that event) and the holders'
//! addresses (the profiles in PostgreSQL).
//!
//! Folded launches are kept in a small LRU cache: consecutive events of a
//! launch read only the events in between, not the whole history again.

use std::collections::HashMap;
use std::sync::Mutex;

use events::HolderKind;
use lru::LruCache;
use projectors::source;
use sqlx::PgPool;
use uuid::Uuid;

use crate::plan::{Contact, Inconsistent, LaunchFacts};

/// Reading the context failed.
#[derive(Debug, thiserror::Error)]
pub enum ContextError {
    /// PostgreSQL did not answer: try again later.
    #[error("reading the event store or the profiles failed: {0}")]
    Database(#[from] sqlx::Error),
    /// The store holds what these rules cannot read: trying again does not
    /// help.
    #[error("{0}")]
    Unreadable(String),
}

impl From<Inconsistent> for ContextError {
    fn from(error: Inconsistent) -> Self {
        Self::Unreadable(error.to_string())
    }
}

/// The event store, the profiles, and the cache of folded launches.
pub struct Context {
    pool: PgPool,
    cache: Mutex<LruCache<Uuid, LaunchFacts>>,
}

impl Context {
    /// Reads through `pool`, keeping up to `cache_size` launches folded.
    pub fn new(pool: PgPool, cache_size: usize) -> Self {
        let size = std::num::NonZeroUsize::new(cache_size.max(1)).expect("at least 1");
        Self {
            pool,
            cache: Mutex::new(LruCache::new(size)),
        }
    }

    /// The launch as its events `1..sequence` (excluded) left it.
    pub async fn before(
        &self,
        launch_id: Uuid,
        sequence: u64,
    ) -> Result<LaunchFacts, ContextError> {
        let cached = self
            .cache
            .lock()
            .expect("the cache lock is never poisoned")
            .get(&launch_id)
            .filter(|facts| facts.sequence < sequence)
            .cloned();
        let after = cached.as_ref().map_or(0, |facts| facts.sequence);
        let rows = source::aggregate_events(
            &self.pool,
            "Launch",
            &launch_id.to_string(),
            after,
            Some(sequence),
        )
        .await?;
        let mut facts = cached;
        for row in rows {
            let envelope = row
                .into_envelope()
                .and_then(source::decode_launch)
                .map_err(|e| ContextError::Unreadable(e.to_string()))?;
            facts = Some(LaunchFacts::fold(
                facts,
                envelope.sequence,
                &envelope.payload,
            )?);
        }
        match facts {
            Some(facts) if facts.sequence + 1 == sequence => Ok(facts),
            Some(facts) => Err(ContextError::Unreadable(format!(
                "launch {launch_id}: the store has events up to {} before event {sequence}",
                facts.sequence
            ))),
            None => Err(ContextError::Unreadable(format!(
                "launch {launch_id}: no history before event {sequence}"
            ))),
        }
    }

    /// Keeps `facts` (the launch after an event) for the next event.
    pub fn remember(&self, facts: LaunchFacts) {
        let mut cache = self.cache.lock().expect("the cache lock is never poisoned");
        let newer = cache
            .peek(&facts.launch_id)
            .is_none_or(|cached| cached.sequence < facts.sequence);
        if newer {
            cache.put(facts.launch_id, facts);
        }
    }

    /// The addresses of `holders` known to the profiles (a holder whose
    /// registration has not arrived yet is missing).
    pub async fn contacts(
        &self,
        holders: &[(Uuid, HolderKind)],
    ) -> Result<HashMap<Uuid, Contact>, ContextError> {
        let ids = |kind: HolderKind| -> Vec<Uuid> {
            holders
                .iter()
                .filter(|(_, k)| *k == kind)
                .map(|(id, _)| *id)
                .collect()
        };
        let mut contacts = HashMap::new();
        for (kind, sql) in [
            (
                HolderKind::Traveler,
                "SELECT user_id, email, full_name FROM travelers \
                 WHERE user_id = ANY($1) AND email IS NOT NULL",
            ),
            (
                HolderKind::Agency,
                "SELECT user_id, email, legal_name FROM agencies \
                 WHERE user_id = ANY($1) AND email IS NOT NULL",
            ),
        ] {
            let wanted = ids(kind);
            if wanted.is_empty() {
                continue;
            }
            let rows: Vec<(Uuid, String, String)> = sqlx::query_as(sql)
                .bind(&wanted)
                .fetch_all(&self.pool)
                .await?;
            contacts.extend(
                rows.into_iter()
                    .map(|(id, email, name)| (id, Contact { email, name })),
            );
        }
        Ok(contacts)
    }
}
