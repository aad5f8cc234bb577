//! Writing the sales read model: applies a launch's events to its MongoDB
//! documents, exactly once in effect, whatever the redeliveries, the order
//! of arrival, or the number of projector replicas.
//!
//! How one launch's events are applied ([`SalesStore::apply`]):
//! 1. Read the launch document; its `version` is the last sequence applied.
//!    Events at or below it are duplicates.
//! 2. If the events to apply do not start right after `version` (one is
//!    missing: still in flight, or nacked earlier), read the missing ones
//!    from the event store, which has every committed event, instead of
//!    waiting for their redelivery.
//! 3. Fold them with [`read_models::sales::apply`] (the same fold as the
//!    rebuild), then write: new bookings (insert; a duplicate key means
//!    already there), cancellations (update where still active), and last
//!    the launch document, replaced only if its `version` is still the one
//!    read (else another replica got there first: start over).
//!
//! A crash between the writes leaves bookings ahead of their launch
//! document; the redelivery redoes the same writes, which are idempotent.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use bson::{doc, Document};
use events::{Envelope, LaunchEvent};
use futures::TryStreamExt;
use mongodb::options::{InsertManyOptions, UpdateOptions};
use mongodb::{Collection, Database};
use read_models::mongo::{is_duplicate_key, is_transient};
use read_models::sales::{
    self, ApplyError, BookingChange, BookingDoc, Cancellation, LaunchDoc, BOOKINGS, CHECKPOINTS,
    CHECKPOINT_ID, LAUNCHES,
};
use sqlx::PgPool;

use crate::source::{self, Unreadable};

/// Attempts when other replicas keep updating the same launch.
const MAX_CONFLICTS: usize = 8;

/// Why a launch's events were not (all) applied.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProjectError {
    /// A database did not answer, or a write raced: try the same events
    /// again later. Never a reason to give up on an event.
    #[error("transient: {0}")]
    Transient(String),
    /// The events cannot be applied, now or later: one is unreadable or
    /// contradicts the read model, or MongoDB refuses the write itself.
    /// With a `sequence`, the events before it were applied, and it and the
    /// launch's later events were not; without, none of them may have been.
    #[error("rejected: {reason}")]
    Rejected {
        /// The first event that cannot be applied, when known.
        sequence: Option<u64>,
        /// Why.
        reason: String,
    },
}

impl From<mongodb::error::Error> for ProjectError {
    fn from(error: mongodb::error::Error) -> Self {
        // A write MongoDB refuses outright (not a connectivity problem)
        // would be refused again.
        if is_transient(&error) {
            Self::Transient(format!("mongodb unavailable: {error}"))
        } else {
            Self::Rejected {
                sequence: None,
                reason: format!("mongodb refused the write: {error}"),
            }
        }
    }
}

impl From<sqlx::Error> for ProjectError {
    fn from(error: sqlx::Error) -> Self {
        Self::Transient(format!("event store: {error}"))
    }
}

/// What applying a launch's events did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Applied {
    /// The launch's version before (events up to it were duplicates).
    pub previous: u64,
    /// The highest sequence of the launch now applied (0: none).
    pub version: u64,
    /// Events newly applied (including any read from the event store).
    pub applied: usize,
    /// The global position and time of the last event applied.
    pub last: Option<(i64, bson::DateTime)>,
}

/// What applying a launch's events would write.
#[derive(Debug, Clone)]
struct Plan {
    /// The document's version before.
    have: u64,
    /// The document as read.
    current: Option<LaunchDoc>,
    /// The document after the events applied.
    next: Option<LaunchDoc>,
    /// New bookings.
    inserts: Vec<BookingDoc>,
    /// Cancellations.
    cancels: Vec<(String, Cancellation)>,
    /// Events applied.
    applied: usize,
    /// The first event that could not be applied: sequence, reason, and
    /// whether a later try may succeed.
    poison: Option<(u64, String, bool)>,
}

impl Plan {
    /// The document to write (there is one once an event applied).
    fn next(&self) -> &LaunchDoc {
        self.next
            .as_ref()
            .expect("an applied event leaves a document")
    }

    /// The result once the writes are done.
    fn outcome(self) -> Result<Applied, ProjectError> {
        match self.poison {
            Some((sequence, reason, true)) => Err(ProjectError::Transient(format!(
                "event {sequence}: {reason}"
            ))),
            Some((sequence, reason, false)) => Err(ProjectError::Rejected {
                sequence: Some(sequence),
                reason,
            }),
            None => Ok(match &self.next {
                Some(next) if self.applied > 0 => Applied {
                    previous: self.have,
                    version: next.version as u64,
                    applied: self.applied,
                    last: Some((next.global_position, next.updated_at)),
                },
                _ => Applied {
                    previous: self.have,
                    version: self.have,
                    ..Applied::default()
                },
            }),
        }
    }
}

/// Sorts a launch's events by sequence and drops repeated ones.
fn normalize(events: &mut Vec<Envelope<LaunchEvent>>) {
    events.sort_by_key(|e| e.sequence);
    events.dedup_by_key(|e| e.sequence);
}

/// The sales read model in one MongoDB database, plus the event store for
/// filling gaps. Cheap to clone.
#[derive(Clone)]
pub struct SalesStore {
    database: Database,
    launches: Collection<LaunchDoc>,
    bookings: Collection<BookingDoc>,
    pool: PgPool,
}

impl SalesStore {
    /// The read model in `database`; `pool` is the event store.
    pub fn new(database: Database, pool: PgPool) -> Self {
        Self {
            launches: database.collection(LAUNCHES),
            bookings: database.collection(BOOKINGS),
            database,
            pool,
        }
    }

    /// The database.
    pub fn database(&self) -> &Database {
        &self.database
    }

    /// Creates the collections' indexes (idempotent).
    pub async fn ensure_indexes(&self) -> Result<(), mongodb::error::Error> {
        sales::ensure_indexes(&self.database, LAUNCHES, BOOKINGS).await
    }

    /// Applies `events` (all of launch `launch_id`, in any order, duplicates
    /// allowed) and every missing predecessor. See the module docs.
    pub async fn apply(
        &self,
        launch_id: &str,
        mut events: Vec<Envelope<LaunchEvent>>,
    ) -> Result<Applied, ProjectError> {
        normalize(&mut events);
        for attempt in 0..MAX_CONFLICTS {
            if attempt > 0 {
                tokio::time::sleep(Duration::from_millis(2 * attempt as u64)).await;
            }
            let current = self.launches.find_one(doc! { "_id": launch_id }).await?;
            let plan = self.plan(launch_id, &events, current).await?;
            if plan.applied > 0 {
                self.write_bookings(plan.inserts.clone(), plan.cancels.clone())
                    .await?;
                if !self
                    .write_launch(plan.current.as_ref(), plan.next())
                    .await?
                {
                    continue;
                }
            }
            return plan.outcome();
        }
        Err(ProjectError::Transient(format!(
            "launch {launch_id}: other writers kept updating it"
        )))
    }

    /// Applies the events of several launches at once (one chunk), in four
    /// round trips whatever their number: one read of every launch
    /// document, one bulk insert of the new bookings, one multi-statement
    /// conditional update of the launch documents, and the cancellations.
    /// A launch whose document another replica changed meanwhile (or that
    /// is new) goes through [`Self::apply`]. One result per group, in order.
    pub async fn apply_many(
        &self,
        groups: Vec<(String, Vec<Envelope<LaunchEvent>>)>,
    ) -> Vec<Result<Applied, ProjectError>> {
        let ids: Vec<&str> = groups.iter().map(|(id, _)| id.as_str()).collect();
        let current: HashMap<String, LaunchDoc> = match self.read_launches(&ids).await {
            Ok(current) => current,
            Err(error) => {
                let error = ProjectError::from(error);
                return groups.iter().map(|_| Err(error.clone())).collect();
            }
        };
        let mut results: Vec<Option<Result<Applied, ProjectError>>> = vec![None; groups.len()];
        let mut plans = Vec::new();
        let mut fallback = Vec::new();
        for (index, (launch_id, mut events)) in groups.into_iter().enumerate() {
            normalize(&mut events);
            match current.get(&launch_id) {
                // New launches are rare: the per-launch path inserts them.
                None => fallback.push((index, launch_id, events)),
                Some(doc) => match self.plan(&launch_id, &events, Some(doc.clone())).await {
                    Ok(plan) if plan.applied > 0 => plans.push((index, launch_id, events, plan)),
                    Ok(plan) => results[index] = Some(plan.outcome()),
                    Err(error) => results[index] = Some(Err(error)),
                },
            }
        }
        if !plans.is_empty() {
            let inserts = plans.iter().flat_map(|(.., p)| p.inserts.clone()).collect();
            let cancels = plans.iter().flat_map(|(.., p)| p.cancels.clone()).collect();
            let written = match self.write_bookings(inserts, cancels).await {
                Ok(()) => self.write_launches(&plans).await,
                Err(error) => Err(error),
            };
            match written {
                Ok(lost) => {
                    for (index, launch_id, events, plan) in plans {
                        if lost.contains(&launch_id) {
                            fallback.push((index, launch_id, events));
                        } else {
                            results[index] = Some(plan.outcome());
                        }
                    }
                }
                Err(error) => {
                    for (index, ..) in plans {
                        results[index] = Some(Err(error.clone()));
                    }
                }
            }
        }
        for (index, launch_id, events) in fallback {
            results[index] = Some(self.apply(&launch_id, events).await);
        }
        results
            .into_iter()
            .map(|r| r.unwrap_or_else(|| Err(ProjectError::Transient("not applied".into()))))
            .collect()
    }

    /// The launch documents of `ids` that exist.
    async fn read_launches(
        &self,
        ids: &[&str],
    ) -> Result<HashMap<String, LaunchDoc>, mongodb::error::Error> {
        let mut cursor = self.launches.find(doc! { "_id": { "$in": ids } }).await?;
        let mut found = HashMap::with_capacity(ids.len());
        while let Some(doc) = cursor.try_next().await? {
            found.insert(doc.id.clone(), doc);
        }
        Ok(found)
    }

    /// Replaces every planned launch document in one `update` command, each
    /// statement conditional on the version read. Returns the launches whose
    /// statement matched nothing (another replica got there first).
    async fn write_launches(
        &self,
        plans: &[(usize, String, Vec<Envelope<LaunchEvent>>, Plan)],
    ) -> Result<HashSet<String>, ProjectError> {
        let mut updates = Vec::with_capacity(plans.len());
        for (.., plan) in plans {
            let current = plan.current.as_ref().expect("planned on a document");
            let replacement =
                bson::to_document(plan.next()).map_err(|e| ProjectError::Rejected {
                    sequence: None,
                    reason: format!("a launch document does not serialize: {e}"),
                })?;
            updates.push(doc! {
                "q": { "_id": &current.id, "version": current.version },
                "u": replacement,
                "upsert": false,
            });
        }
        let expected = updates.len() as i64;
        let answer = self
            .database
            .run_command(doc! {
                "update": LAUNCHES,
                "updates": updates,
                "ordered": false,
            })
            .await?;
        if let Ok(errors) = answer.get_array("writeErrors") {
            if !errors.is_empty() {
                return Err(ProjectError::Rejected {
                    sequence: None,
                    reason: format!("mongodb refused a launch update: {errors:?}"),
                });
            }
        }
        let matched = answer
            .get_i32("n")
            .map(i64::from)
            .or_else(|_| answer.get_i64("n"))
            .unwrap_or(0);
        if matched == expected {
            return Ok(HashSet::new());
        }
        // Some statement lost a race: find which by reading the versions.
        let ids: Vec<&str> = plans.iter().map(|(_, id, ..)| id.as_str()).collect();
        let now = self.read_launches(&ids).await?;
        Ok(plans
            .iter()
            .filter(|(_, id, _, plan)| now.get(id) != Some(plan.next()))
            .map(|(_, id, ..)| id.clone())
            .collect())
    }

    /// What applying `events` (sorted, deduplicated) to `current` would
    /// write, reading from the event store the events missing before them.
    async fn plan(
        &self,
        launch_id: &str,
        events: &[Envelope<LaunchEvent>],
        current: Option<LaunchDoc>,
    ) -> Result<Plan, ProjectError> {
        let have = current.as_ref().map_or(0, |l| l.version.max(0) as u64);
        let last = events.last().map_or(0, |e| e.sequence);
        let mut plan = Plan {
            have,
            next: current.clone(),
            current,
            inserts: Vec::new(),
            cancels: Vec::new(),
            applied: 0,
            poison: None,
        };
        if last <= have {
            return Ok(plan);
        }
        let pending: Vec<&Envelope<LaunchEvent>> =
            events.iter().filter(|e| e.sequence > have).collect();
        let contiguous = pending
            .iter()
            .enumerate()
            .all(|(i, e)| e.sequence == have + 1 + i as u64);
        let run: Vec<Result<Envelope<LaunchEvent>, (u64, String)>> = if contiguous {
            pending.into_iter().cloned().map(Ok).collect()
        } else {
            self.read_store(launch_id, have, last).await?
        };
        for event in run {
            let event = match event {
                Ok(event) => event,
                Err((sequence, reason)) => {
                    plan.poison = Some((sequence, reason, false));
                    break;
                }
            };
            match sales::apply(&mut plan.next, &event) {
                Ok(None) => {}
                Ok(Some(BookingChange::Insert(booking))) => plan.inserts.push(booking),
                Ok(Some(BookingChange::Cancel { booking_id, set })) => {
                    plan.cancels.push((booking_id, set))
                }
                Err(ApplyError::AlreadyApplied { .. }) => continue,
                Err(error @ ApplyError::Gap { .. }) => {
                    // The store lacks an event a message carried: only a
                    // replica's read racing a rebuild's rename can cause it.
                    // The next try reads again.
                    plan.poison = Some((event.sequence, error.to_string(), true));
                    break;
                }
                Err(error @ ApplyError::Inconsistent { .. }) => {
                    plan.poison = Some((event.sequence, error.to_string(), false));
                    break;
                }
            }
            plan.applied += 1;
        }
        Ok(plan)
    }

    /// The launch's events after `have`, up to `last`, from the event store;
    /// an unreadable one as its sequence and the reason.
    async fn read_store(
        &self,
        launch_id: &str,
        have: u64,
        last: u64,
    ) -> Result<Vec<Result<Envelope<LaunchEvent>, (u64, String)>>, ProjectError> {
        let rows =
            source::aggregate_events(&self.pool, "Launch", launch_id, have, Some(last + 1)).await?;
        tracing::debug!(
            launch_id,
            from = have + 1,
            to = last,
            found = rows.len(),
            "filling a gap from the event store"
        );
        Ok(rows
            .iter()
            .map(|row| {
                row.envelope()
                    .and_then(source::decode_launch)
                    .map_err(|e: Unreadable| (row.sequence as u64, e.to_string()))
            })
            .collect())
    }

    /// Inserts new bookings (those already there are kept) and applies
    /// cancellations to bookings still active. Idempotent.
    pub async fn write_bookings(
        &self,
        inserts: Vec<BookingDoc>,
        cancels: Vec<(String, Cancellation)>,
    ) -> Result<(), ProjectError> {
        if !inserts.is_empty() {
            let options = InsertManyOptions::builder().ordered(false).build();
            match self
                .bookings
                .insert_many(inserts)
                .with_options(options)
                .await
            {
                Ok(_) => {}
                Err(error) if is_duplicate_key(&error) => {}
                Err(error) => return Err(error.into()),
            }
        }
        for (booking_id, set) in cancels {
            self.bookings
                .update_one(
                    doc! { "_id": &booking_id, "status": "active" },
                    doc! { "$set": set.to_set() },
                )
                .await?;
        }
        Ok(())
    }

    /// Writes the launch document if nobody changed it since `current` was
    /// read; `false` when someone did.
    async fn write_launch(
        &self,
        current: Option<&LaunchDoc>,
        next: &LaunchDoc,
    ) -> Result<bool, ProjectError> {
        match current {
            None => match self.launches.insert_one(next).await {
                Ok(_) => Ok(true),
                Err(error) if is_duplicate_key(&error) => Ok(false),
                Err(error) => Err(error.into()),
            },
            Some(current) => {
                let result = self
                    .launches
                    .replace_one(doc! { "_id": &next.id, "version": current.version }, next)
                    .await?;
                Ok(result.matched_count == 1)
            }
        }
    }

    /// Moves the checkpoint forward to `position` (never back).
    pub async fn checkpoint(
        &self,
        position: i64,
        occurred_at: bson::DateTime,
    ) -> Result<(), mongodb::error::Error> {
        self.database
            .collection::<Document>(CHECKPOINTS)
            .update_one(
                doc! { "_id": CHECKPOINT_ID },
                doc! { "$max": { "global_position": position, "occurred_at": occurred_at } },
            )
            .with_options(UpdateOptions::builder().upsert(true).build())
            .await?;
        Ok(())
    }
}
