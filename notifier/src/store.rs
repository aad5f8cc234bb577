//! `core.notifications`: planning (idempotent inserts), the sender's queue
//! (claiming due notifications under a lease) and recording outcomes; and
//! the pure retry rule.

use std::time::Duration;

use bson::{doc, DateTime as BsonDateTime, Document};
use futures::TryStreamExt;
use mongodb::options::InsertManyOptions;
use mongodb::{Collection, Database};
use read_models::core_db::{
    notification_indexes, NotificationDoc, NotificationStatus, NOTIFICATIONS,
};

/// What happens after a failed attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterFailure {
    /// Try again after this long.
    Retry(Duration),
    /// Give up: the notification is dead.
    Dead,
}

/// The retry rule: after the `attempts`-th failed attempt (counting from
/// 1), wait `base · 2^(attempts − 1)`, at most `max`; after `max_attempts`
/// attempts, or at once when the server refused for good, it is dead.
pub fn after_failure(
    attempts: i32,
    max_attempts: i32,
    permanent: bool,
    base: Duration,
    max: Duration,
) -> AfterFailure {
    if permanent || attempts >= max_attempts {
        return AfterFailure::Dead;
    }
    let exponent = (attempts.max(1) - 1).min(30) as u32;
    let wait = base.saturating_mul(2_u32.saturating_pow(exponent)).min(max);
    AfterFailure::Retry(wait)
}

/// The outcome of one attempt, to be recorded by
/// [`NotificationStore::record`].
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    /// The notification.
    pub id: String,
    /// The token of the claim that held it.
    pub holder: String,
    /// The change.
    pub update: Document,
}

impl Outcome {
    fn of(doc: &NotificationDoc, update: Document) -> Self {
        Self {
            id: doc.id.clone(),
            holder: doc.holder.clone().unwrap_or_default(),
            update,
        }
    }

    /// The server accepted `doc` at `now`.
    pub fn sent(doc: &NotificationDoc, now: BsonDateTime) -> Self {
        Self::of(
            doc,
            doc! {
                "$set": {
                    "status": NotificationStatus::Sent.as_str(),
                    "attempts": doc.attempts + 1,
                    "sent_at": now,
                    "updated_at": now,
                },
                "$unset": { "locked_until": "", "holder": "", "next_attempt_at": "" },
            },
        )
    }

    /// An attempt failed with `error`: try again at `next`.
    pub fn failed(
        doc: &NotificationDoc,
        error: &str,
        now: BsonDateTime,
        next: BsonDateTime,
    ) -> Self {
        Self::of(
            doc,
            doc! {
                "$set": {
                    "status": NotificationStatus::Failed.as_str(),
                    "attempts": doc.attempts + 1,
                    "last_error": error,
                    "next_attempt_at": next,
                    "updated_at": now,
                },
                "$unset": { "locked_until": "", "holder": "" },
            },
        )
    }

    /// The last attempt failed with `error`: it is dead.
    pub fn dead(doc: &NotificationDoc, error: &str, now: BsonDateTime) -> Self {
        Self::of(
            doc,
            doc! {
                "$set": {
                    "status": NotificationStatus::Dead.as_str(),
                    "attempts": doc.attempts + 1,
                    "last_error": error,
                    "dead_at": now,
                    "updated_at": now,
                },
                "$unset": { "locked_until": "", "holder": "", "next_attempt_at": "" },
            },
        )
    }
}

/// The notifications collection.
#[derive(Clone)]
pub struct NotificationStore {
    database: Database,
    collection: Collection<NotificationDoc>,
}

impl NotificationStore {
    /// The store in `database`.
    pub fn new(database: &Database) -> Self {
        Self {
            database: database.clone(),
            collection: database.collection(NOTIFICATIONS),
        }
    }

    /// Creates the indexes (idempotent).
    pub async fn ensure_indexes(&self) -> mongodb::error::Result<()> {
        self.collection
            .create_indexes(notification_indexes())
            .await
            .map(|_| ())
    }

    /// Whether MongoDB answers.
    pub async fn ping(&self) -> mongodb::error::Result<()> {
        self.collection
            .client()
            .database("admin")
            .run_command(doc! { "ping": 1 })
            .await
            .map(|_| ())
    }

    /// Inserts the planned notifications in one `insert_many`; those
    /// already there (a redelivered event) are left as they are. Returns,
    /// for each document in order, whether it is new.
    pub async fn insert_planned<'a>(
        &self,
        docs: impl IntoIterator<Item = &'a NotificationDoc>,
    ) -> mongodb::error::Result<Vec<bool>> {
        let docs: Vec<&NotificationDoc> = docs.into_iter().collect();
        if docs.is_empty() {
            return Ok(Vec::new());
        }
        let options = InsertManyOptions::builder().ordered(false).build();
        let error = match self
            .collection
            .insert_many(docs.iter().copied())
            .with_options(options)
            .await
        {
            Ok(_) => return Ok(vec![true; docs.len()]),
            Err(error) => error,
        };
        match error.kind.as_ref() {
            mongodb::error::ErrorKind::InsertMany(failure)
                if read_models::mongo::is_duplicate_key(&error) =>
            {
                let mut new = vec![true; docs.len()];
                for duplicate in failure.write_errors.iter().flatten() {
                    if let Some(slot) = new.get_mut(duplicate.index) {
                        *slot = false;
                    }
                }
                Ok(new)
            }
            _ => Err(error),
        }
    }

    /// Takes up to `limit` due notifications (pending or failed, their
    /// time come, nobody holding them) and holds them until `now + lease`:
    /// those of `ids` when given (fresh ones, by `_id`), else the most
    /// overdue (a query over the queue). Returns those it holds, each with
    /// its `holder` token.
    ///
    /// One `updateMany` marks them held — atomic per document, so two
    /// senders never both hold one — and one `find` reads back those
    /// marked with this claim's token: two round trips for the lot instead
    /// of two per notification (each write costs SecantusDB about 12 ms
    /// alone, 4 ms per document in a batch of 8).
    pub async fn claim(
        &self,
        ids: Option<Vec<String>>,
        limit: usize,
        now: BsonDateTime,
        lease: Duration,
    ) -> mongodb::error::Result<Vec<NotificationDoc>> {
        let due = doc! {
            "status": { "$in": [NotificationStatus::Pending.as_str(), NotificationStatus::Failed.as_str()] },
            "next_attempt_at": { "$lte": now },
            // Free: never held (no field, or null) or its lease has passed.
            "locked_until": { "$not": { "$gt": now } },
        };
        let ids = match ids {
            Some(ids) => ids,
            None => {
                let mut found = self
                    .collection
                    .clone_with_type::<Document>()
                    .find(due.clone())
                    .sort(doc! { "next_attempt_at": 1 })
                    .limit(limit as i64)
                    .projection(doc! { "_id": 1 })
                    .await?;
                let mut ids = Vec::new();
                while let Some(doc) = found.try_next().await? {
                    if let Ok(id) = doc.get_str("_id") {
                        ids.push(id.to_owned());
                    }
                }
                ids
            }
        };
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let holder = uuid::Uuid::new_v4().to_string();
        let mut filter = due;
        filter.insert("_id", doc! { "$in": &ids });
        let marked = self
            .collection
            .update_many(
                filter,
                doc! { "$set": { "locked_until": add(now, lease), "holder": &holder } },
            )
            .await?;
        if marked.modified_count == 0 {
            return Ok(Vec::new());
        }
        self.collection
            .find(doc! { "_id": { "$in": &ids }, "holder": &holder })
            .sort(doc! { "next_attempt_at": 1 })
            .await?
            .try_collect()
            .await
    }

    /// Records the outcomes of attempts, each only if its sender still
    /// holds the notification (its lease was not taken over after a
    /// crash), in one `update` command of many statements. Returns how many
    /// were recorded.
    pub async fn record(&self, outcomes: &[Outcome]) -> mongodb::error::Result<u64> {
        if outcomes.is_empty() {
            return Ok(0);
        }
        let updates: Vec<Document> = outcomes
            .iter()
            .map(|outcome| {
                doc! {
                    "q": { "_id": &outcome.id, "holder": &outcome.holder },
                    "u": outcome.update.clone(),
                }
            })
            .collect();
        let reply = self
            .database
            .run_command(doc! {
                "update": self.collection.name(),
                "updates": updates,
                "ordered": false,
            })
            .await?;
        if let Ok(errors) = reply.get_array("writeErrors") {
            if !errors.is_empty() {
                return Err(mongodb::error::Error::custom(format!(
                    "recording outcomes: {} write errors, the first {:?}",
                    errors.len(),
                    errors[0]
                )));
            }
        }
        Ok(reply
            .get_i32("n")
            .map(i64::from)
            .or_else(|_| reply.get_i64("n"))
            .unwrap_or(0) as u64)
    }

    /// Pending and failed notifications (the sender's backlog).
    pub async fn backlog(&self) -> mongodb::error::Result<u64> {
        self.collection
            .count_documents(doc! {
                "status": { "$in": [NotificationStatus::Pending.as_str(), NotificationStatus::Failed.as_str()] }
            })
            .await
    }
}

/// The ids of notifications the planner has just stored, handed to the
/// sender in-process so that it claims each by its id (a point lookup)
/// instead of querying the queue for every email; the periodic query still
/// finds everything else (retries, re-queues, other replicas' work, ids
/// that did not fit here).
#[derive(Default)]
pub struct Fresh {
    ids: std::sync::Mutex<std::collections::VecDeque<String>>,
    wake: tokio::sync::Notify,
}

/// The most ids [`Fresh`] holds; beyond, the periodic query finds them.
const FRESH_CAPACITY: usize = 10_000;

impl Fresh {
    /// Hands `ids` over and wakes the sender.
    pub fn push(&self, ids: impl IntoIterator<Item = String>) {
        {
            let mut queue = self
                .ids
                .lock()
                .expect("the fresh ids' lock is never poisoned");
            for id in ids {
                if queue.len() < FRESH_CAPACITY {
                    queue.push_back(id);
                }
            }
        }
        self.wake.notify_one();
    }

    /// The oldest ids handed over, at most `n`.
    pub fn pop(&self, n: usize) -> Vec<String> {
        let mut queue = self
            .ids
            .lock()
            .expect("the fresh ids' lock is never poisoned");
        let n = n.min(queue.len());
        queue.drain(..n).collect()
    }

    /// Whether no id waits.
    pub fn is_empty(&self) -> bool {
        self.ids
            .lock()
            .expect("the fresh ids' lock is never poisoned")
            .is_empty()
    }

    /// Waits until ids are handed over.
    pub async fn notified(&self) {
        self.wake.notified().await;
    }
}

/// `at + by`.
pub fn add(at: BsonDateTime, by: Duration) -> BsonDateTime {
    BsonDateTime::from_millis(at.timestamp_millis().saturating_add(by.as_millis() as i64))
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: Duration = Duration::from_secs(2);
    const MAX: Duration = Duration::from_secs(300);

    #[test]
    fn the_wait_doubles_from_the_base_up_to_the_maximum() {
        let waits: Vec<_> = (1..=9)
            .map(|attempts| after_failure(attempts, 10, false, BASE, MAX))
            .collect();
        let secs = [2, 4, 8, 16, 32, 64, 128, 256, 300];
        for (wait, secs) in waits.iter().zip(secs) {
            assert_eq!(*wait, AfterFailure::Retry(Duration::from_secs(secs)));
        }
    }

    #[test]
    fn the_last_attempt_makes_it_dead() {
        assert_eq!(after_failure(10, 10, false, BASE, MAX), AfterFailure::Dead);
        assert_eq!(after_failure(3, 3, false, BASE, MAX), AfterFailure::Dead);
        assert!(matches!(
            after_failure(2, 3, false, BASE, MAX),
            AfterFailure::Retry(_)
        ));
    }

    #[test]
    fn a_permanent_refusal_is_dead_at_once() {
        assert_eq!(after_failure(1, 10, true, BASE, MAX), AfterFailure::Dead);
    }

    #[test]
    fn fresh_ids_come_out_in_order_and_are_bounded() {
        let fresh = Fresh::default();
        fresh.push(["a", "b", "c"].map(String::from));
        assert_eq!(fresh.pop(2), ["a", "b"]);
        assert!(!fresh.is_empty());
        assert_eq!(fresh.pop(2), ["c"]);
        assert!(fresh.pop(2).is_empty());
        assert!(fresh.is_empty());
        fresh.push((0..FRESH_CAPACITY + 5).map(|i| i.to_string()));
        let mut count = 0;
        loop {
            let ids = fresh.pop(7);
            if ids.is_empty() {
                break;
            }
            count += ids.len();
        }
        assert_eq!(count, FRESH_CAPACITY);
    }

    #[test]
    fn huge_attempt_counts_do_not_overflow() {
        assert_eq!(
            after_failure(999, 1_000, false, BASE, MAX),
            AfterFailure::Retry(MAX)
        );
    }
}
