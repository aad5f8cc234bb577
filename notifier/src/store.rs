//! `core.notifications`: planning (idempotent inserts), the sender's queue
//! (claiming due notifications under a lease) and recording outcomes; and
//! the pure retry rule.

use std::time::Duration;

use bson::{doc, DateTime as BsonDateTime, Document};
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

/// What [`NotificationStore::claim_due`] got.
#[derive(Debug)]
pub enum Claim {
    /// This sender holds it, until its `locked_until`.
    Held(Box<NotificationDoc>),
    /// Another sender took it (or it changed) between the read and the
    /// update: there may be more to take.
    Lost,
    /// Nothing due (or not that one).
    Nothing,
}

/// The notifications collection.
#[derive(Clone)]
pub struct NotificationStore {
    collection: Collection<NotificationDoc>,
}

impl NotificationStore {
    /// The store in `database`.
    pub fn new(database: &Database) -> Self {
        Self {
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

    /// Takes a due notification (pending or failed, its time come, nobody
    /// holding it) and holds it until `now + lease`: the one with `id` when
    /// given (a point lookup), else the most overdue (a query over the
    /// queue).
    ///
    /// Two round trips, a read then a conditional update, rather than one
    /// `findOneAndUpdate`: on SecantusDB the latter costs about three times
    /// both together (13 ms against 0.6 + 3.5 ms). The update holds it only
    /// if it is still free and unchanged since the read (same `attempts`
    /// and `updated_at`): two senders that read it at once cannot both
    /// hold it.
    pub async fn claim_due(
        &self,
        id: Option<&str>,
        now: BsonDateTime,
        lease: Duration,
    ) -> mongodb::error::Result<Claim> {
        let mut due = doc! {
            "status": { "$in": [NotificationStatus::Pending.as_str(), NotificationStatus::Failed.as_str()] },
            "next_attempt_at": { "$lte": now },
            // Free: never held (no field, or null) or its lease has passed.
            "locked_until": { "$not": { "$gt": now } },
        };
        let found = match id {
            Some(id) => {
                due.insert("_id", id);
                self.collection.find_one(due.clone()).await?
            }
            None => {
                self.collection
                    .find_one(due.clone())
                    .sort(doc! { "next_attempt_at": 1 })
                    .await?
            }
        };
        let Some(mut found) = found else {
            return Ok(Claim::Nothing);
        };
        let until = add(now, lease);
        due.insert("_id", &found.id);
        due.insert("attempts", found.attempts);
        due.insert("updated_at", found.updated_at);
        let held = self
            .collection
            .update_one(due, doc! { "$set": { "locked_until": until } })
            .await?;
        if held.modified_count == 1 {
            found.locked_until = Some(until);
            Ok(Claim::Held(Box::new(found)))
        } else {
            Ok(Claim::Lost)
        }
    }

    /// Records that the server accepted `doc` (claimed by this sender).
    pub async fn mark_sent(
        &self,
        doc: &NotificationDoc,
        now: BsonDateTime,
    ) -> mongodb::error::Result<bool> {
        self.finish(
            doc,
            doc! {
                "$set": {
                    "status": NotificationStatus::Sent.as_str(),
                    "attempts": doc.attempts + 1,
                    "sent_at": now,
                    "updated_at": now,
                },
                "$unset": { "locked_until": "", "next_attempt_at": "" },
            },
        )
        .await
    }

    /// Records a failed attempt, to be tried again at `next`.
    pub async fn mark_failed(
        &self,
        doc: &NotificationDoc,
        error: &str,
        now: BsonDateTime,
        next: BsonDateTime,
    ) -> mongodb::error::Result<bool> {
        self.finish(
            doc,
            doc! {
                "$set": {
                    "status": NotificationStatus::Failed.as_str(),
                    "attempts": doc.attempts + 1,
                    "last_error": error,
                    "next_attempt_at": next,
                    "updated_at": now,
                },
                "$unset": { "locked_until": "" },
            },
        )
        .await
    }

    /// Records the last failed attempt: the notification is dead.
    pub async fn mark_dead(
        &self,
        doc: &NotificationDoc,
        error: &str,
        now: BsonDateTime,
    ) -> mongodb::error::Result<bool> {
        self.finish(
            doc,
            doc! {
                "$set": {
                    "status": NotificationStatus::Dead.as_str(),
                    "attempts": doc.attempts + 1,
                    "last_error": error,
                    "dead_at": now,
                    "updated_at": now,
                },
                "$unset": { "locked_until": "", "next_attempt_at": "" },
            },
        )
        .await
    }

    /// Applies `update` if this sender still holds `doc` (its lease was not
    /// taken over); whether it did.
    async fn finish(
        &self,
        doc: &NotificationDoc,
        update: Document,
    ) -> mongodb::error::Result<bool> {
        let filter = doc! { "_id": &doc.id, "locked_until": doc.locked_until };
        let result = self.collection.update_one(filter, update).await?;
        Ok(result.matched_count == 1)
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

    /// The oldest id handed over, if any.
    pub fn pop(&self) -> Option<String> {
        self.ids
            .lock()
            .expect("the fresh ids' lock is never poisoned")
            .pop_front()
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
        fresh.push(["a".to_owned(), "b".to_owned()]);
        assert_eq!(fresh.pop().as_deref(), Some("a"));
        assert_eq!(fresh.pop().as_deref(), Some("b"));
        assert_eq!(fresh.pop(), None);
        fresh.push((0..FRESH_CAPACITY + 5).map(|i| i.to_string()));
        let mut count = 0;
        while fresh.pop().is_some() {
            count += 1;
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
