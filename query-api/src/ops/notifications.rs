//! The notifications (`core.notifications`, one
//! [`read_models::core_db::NotificationDoc`] per email, written by the
//! notifier): filters and pages, one notification, the summary, and the
//! re-queue of a dead (or failed) one, or of every one matching a filter.

use bson::{doc, Bson, DateTime as BsonDateTime, Document};
use chrono::{DateTime, Duration as ChronoDuration, Utc};
use futures::TryStreamExt;
use mongodb::options::ReturnDocument;
use mongodb::Collection;
use read_models::core_db::NotificationStatus;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::utc;
use crate::store::{page_of_projected, Paging};

/// Which notifications to list; every empty or `None` field matches
/// anything.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NotificationFilter {
    /// Only these statuses.
    pub statuses: Vec<NotificationStatus>,
    /// The recipient's address, lower-cased.
    pub recipient: Option<String>,
    /// The booking.
    pub booking_id: Option<String>,
    /// The event that caused it.
    pub event_id: Option<String>,
    /// Created at or after.
    pub from: Option<DateTime<Utc>>,
    /// Created before.
    pub to: Option<DateTime<Utc>>,
}

impl NotificationFilter {
    /// The MongoDB filter.
    pub fn to_document(&self) -> Document {
        let mut filter = Document::new();
        match self.statuses.as_slice() {
            [] => {}
            [one] => {
                filter.insert("status", one.as_str());
            }
            many => {
                let names: Vec<&str> = many.iter().map(|s| s.as_str()).collect();
                filter.insert("status", doc! { "$in": names });
            }
        }
        for (name, value) in [
            ("recipient", &self.recipient),
            ("booking_id", &self.booking_id),
            ("event_id", &self.event_id),
        ] {
            if let Some(value) = value {
                filter.insert(name, value.as_str());
            }
        }
        let mut created = Document::new();
        if let Some(from) = self.from {
            created.insert("$gte", BsonDateTime::from_chrono(from));
        }
        if let Some(to) = self.to {
            created.insert("$lt", BsonDateTime::from_chrono(to));
        }
        if !created.is_empty() {
            filter.insert("created_at", created);
        }
        filter
    }
}

/// A notification as stored, read leniently (a field the notifier has not
/// written reads as empty, never as an error).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
struct Stored {
    #[serde(rename = "_id")]
    id: String,
    event_id: String,
    event_type: String,
    kind: String,
    correlation_id: String,
    launch_id: String,
    booking_id: Option<String>,
    recipient: String,
    recipient_name: String,
    recipient_role: String,
    subject: String,
    text: Option<String>,
    html: Option<String>,
    status: String,
    attempts: i64,
    last_error: Option<String>,
    created_at: Option<BsonDateTime>,
    updated_at: Option<BsonDateTime>,
    next_attempt_at: Option<BsonDateTime>,
    locked_until: Option<BsonDateTime>,
    sent_at: Option<BsonDateTime>,
    dead_at: Option<BsonDateTime>,
    requeued: i64,
}

/// One notification as the API shows it. `text` and `html` only when asked
/// for (`include=body`, or one notification).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Notification {
    /// Its id (UUID v5 of the event id and the recipient).
    pub id: String,
    /// The event that caused it.
    pub event_id: String,
    /// That event's type (`SeatsBooked`, `BookingCancelled`, `LaunchDelayed`).
    pub event_type: String,
    /// `booking_confirmed`, `booking_cancelled`, `launch_aborted` or
    /// `launch_delayed`.
    pub kind: String,
    /// The event's correlation id.
    pub correlation_id: String,
    /// The launch.
    pub launch_id: String,
    /// The booking, for a booking's notification.
    pub booking_id: Option<String>,
    /// The address, lower-cased.
    pub recipient: String,
    /// The name the email addresses.
    pub recipient_name: String,
    /// `traveler`, `agency` or `passenger`.
    pub recipient_role: String,
    /// The subject.
    pub subject: String,
    /// The plain-text body (only with `include=body`, or one notification).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// The HTML body (only with `include=body`, or one notification).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub html: Option<String>,
    /// `pending`, `sent`, `failed` or `dead`.
    #[schema(example = "dead")]
    pub status: String,
    /// Attempts since it was planned or last re-queued.
    pub attempts: i64,
    /// The last failed attempt's error (kept after a re-queue).
    pub last_error: Option<String>,
    /// When it was planned.
    pub created_at: Option<DateTime<Utc>>,
    /// When it last changed.
    pub updated_at: Option<DateTime<Utc>>,
    /// When the sender may take it next (pending and failed).
    pub next_attempt_at: Option<DateTime<Utc>>,
    /// A sender holds it until then (being sent).
    pub locked_until: Option<DateTime<Utc>>,
    /// When the SMTP server accepted it.
    pub sent_at: Option<DateTime<Utc>>,
    /// When it became dead (kept after a re-queue, for the record).
    pub dead_at: Option<DateTime<Utc>>,
    /// How many times IT re-queued it.
    pub requeued: i64,
}

impl Notification {
    /// The view of a stored document.
    pub fn from_document(doc: Document) -> Result<Self, bson::de::Error> {
        let s: Stored = bson::from_document(doc)?;
        Ok(Self {
            id: s.id,
            event_id: s.event_id,
            event_type: s.event_type,
            kind: s.kind,
            correlation_id: s.correlation_id,
            launch_id: s.launch_id,
            booking_id: s.booking_id,
            recipient: s.recipient,
            recipient_name: s.recipient_name,
            recipient_role: s.recipient_role,
            subject: s.subject,
            text: s.text,
            html: s.html,
            status: s.status,
            attempts: s.attempts,
            last_error: s.last_error,
            created_at: s.created_at.map(utc),
            updated_at: s.updated_at.map(utc),
            next_attempt_at: s.next_attempt_at.map(utc),
            locked_until: s.locked_until.map(utc),
            sent_at: s.sent_at.map(utc),
            dead_at: s.dead_at.map(utc),
            requeued: s.requeued,
        })
    }
}

/// The errors of reading notifications.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// MongoDB failed.
    #[error(transparent)]
    Mongo(#[from] mongodb::error::Error),
    /// A stored document is not a notification.
    #[error("a stored notification cannot be read: {0}")]
    Shape(#[from] bson::de::Error),
}

/// One page of the notifications matching `filter`, newest first (by
/// `created_at`, then id), and how many match in all.
pub async fn page(
    notifications: &Collection<Document>,
    filter: &NotificationFilter,
    paging: Paging,
    bodies: bool,
) -> Result<(Vec<Notification>, u64), ReadError> {
    let projection = (!bodies).then(|| doc! { "text": 0, "html": 0 });
    let (docs, total) = page_of_projected(
        notifications,
        filter.to_document(),
        doc! { "created_at": -1, "_id": -1 },
        paging,
        projection,
    )
    .await?;
    let items = docs
        .into_iter()
        .map(Notification::from_document)
        .collect::<Result<_, _>>()?;
    Ok((items, total))
}

/// One notification, with its bodies.
pub async fn one(
    notifications: &Collection<Document>,
    id: &str,
) -> Result<Option<Notification>, ReadError> {
    match notifications.find_one(doc! { "_id": id }).await? {
        Some(doc) => Ok(Some(Notification::from_document(doc)?)),
        None => Ok(None),
    }
}

/// What a re-queue found.
#[derive(Debug)]
pub enum Requeue {
    /// Re-queued: the notification as it is now, and its status before.
    Done(Box<Notification>, String),
    /// No such notification.
    Unknown,
    /// It may not be re-queued: its status (and whether a sender holds it).
    NotRetryable(Box<Notification>),
}

/// Re-queues the notification `id` when it is `dead` or `failed` and no
/// sender holds it, in one atomic `findOneAndUpdate`: `status: pending`,
/// `attempts: 0`, `next_attempt_at` and `updated_at` now, `locked_until` (and `holder`)
/// removed, `requeued` + 1; `last_error` and `dead_at` are kept.
pub async fn requeue(
    notifications: &Collection<Document>,
    id: &str,
    now: DateTime<Utc>,
) -> Result<Requeue, ReadError> {
    let now = BsonDateTime::from_chrono(now);
    let retryable = [NotificationStatus::Dead, NotificationStatus::Failed].map(|s| s.as_str());
    // The status it had, read from the document before the update (one
    // round trip: `findOneAndUpdate` returns the document before).
    let before = notifications
        .find_one_and_update(
            doc! {
                "_id": id,
                "status": { "$in": retryable.to_vec() },
                "locked_until": { "$not": { "$gt": now } },
            },
            requeue_update(now),
        )
        .return_document(ReturnDocument::Before)
        .await?;
    match before {
        Some(before) => {
            let previous = before.get_str("status").unwrap_or_default().to_owned();
            let mut after = Notification::from_document(before)?;
            after.status = NotificationStatus::Pending.as_str().to_owned();
            after.attempts = 0;
            after.next_attempt_at = Some(utc(now));
            after.updated_at = Some(utc(now));
            after.locked_until = None;
            after.requeued += 1;
            Ok(Requeue::Done(Box::new(after), previous))
        }
        None => match one(notifications, id).await? {
            Some(found) => Ok(Requeue::NotRetryable(Box::new(found))),
            None => Ok(Requeue::Unknown),
        },
    }
}

/// Re-queues every notification matching `filter` (whose statuses are
/// `dead` or `failed`) that no sender holds, in one `updateMany` with the
/// same change as [`requeue`]; how many it changed.
pub async fn requeue_many(
    notifications: &Collection<Document>,
    filter: &NotificationFilter,
    now: DateTime<Utc>,
) -> Result<u64, ReadError> {
    let now = BsonDateTime::from_chrono(now);
    let mut query = filter.to_document();
    query.insert("locked_until", doc! { "$not": { "$gt": now } });
    let result = notifications
        .update_many(query, requeue_update(now))
        .await?;
    Ok(result.modified_count)
}

/// The change a re-queue makes.
fn requeue_update(now: BsonDateTime) -> Document {
    doc! {
        "$set": {
            "status": NotificationStatus::Pending.as_str(),
            "attempts": 0,
            "next_attempt_at": now,
            "updated_at": now,
        },
        "$unset": { "locked_until": "", "holder": "" },
        "$inc": { "requeued": 1 },
    }
}

/// The oldest notification still waiting to be sent.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct OldestPending {
    /// Its id.
    pub id: String,
    /// `pending` or `failed`.
    pub status: String,
    /// When it was planned.
    pub created_at: DateTime<Utc>,
    /// How long it has been waiting, in seconds.
    pub age_seconds: i64,
}

/// The counts by status.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct StatusCounts {
    /// Planned or re-queued, not sent yet.
    pub pending: u64,
    /// Accepted by the SMTP server.
    pub sent: u64,
    /// The last attempt failed; tried again later.
    pub failed: u64,
    /// Every attempt failed; waits for IT.
    pub dead: u64,
}

/// `GET /v1/ops/notifications/summary`.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Summary {
    /// When it was computed (the windows end here).
    pub as_of: DateTime<Utc>,
    /// Every status, 0 when none.
    pub counts: StatusCounts,
    /// Every notification.
    pub total: u64,
    /// The oldest `pending` or `failed` one, by `created_at`; null when
    /// none waits.
    pub oldest_pending: Option<OldestPending>,
    /// Sent (`sent_at`) in the last 60 minutes.
    pub sent_last_hour: u64,
    /// Sent in the last 15 minutes.
    pub sent_last_15_minutes: u64,
    /// `sent_last_15_minutes / 15`: the current send rate.
    pub send_rate_per_minute: f64,
    /// Failures in the last 60 minutes: the notifications that are `failed`
    /// now and whose last attempt (`updated_at`) was in it, plus those that
    /// became `dead` (`dead_at`) in it. One notification counts once,
    /// however many of its attempts failed; one that failed and was then
    /// sent does not count.
    pub failures_last_hour: u64,
    /// Dead letters: `counts.dead`, for the eye.
    pub dead: u64,
}

/// The summary at `now`, in one aggregation (`$facet`: one pass over the
/// collection).
pub async fn summary(
    notifications: &Collection<Document>,
    now: DateTime<Utc>,
) -> Result<Summary, ReadError> {
    let hour_ago = BsonDateTime::from_chrono(now - ChronoDuration::hours(1));
    let quarter_ago = BsonDateTime::from_chrono(now - ChronoDuration::minutes(15));
    let (sent, failed, dead) = ("sent", "failed", "dead");
    let pipeline = [doc! { "$facet": {
        "by_status": [ { "$group": { "_id": "$status", "n": { "$sum": 1 } } } ],
        "oldest_pending": [
            { "$match": { "status": { "$in": ["pending", failed] } } },
            { "$sort": { "created_at": 1, "_id": 1 } },
            { "$limit": 1 },
            { "$project": { "_id": 1, "status": 1, "created_at": 1 } },
        ],
        "sent_last_hour": [
            { "$match": { "status": sent, "sent_at": { "$gte": hour_ago } } },
            { "$count": "n" },
        ],
        "sent_last_15_minutes": [
            { "$match": { "status": sent, "sent_at": { "$gte": quarter_ago } } },
            { "$count": "n" },
        ],
        "failures_last_hour": [
            { "$match": { "$or": [
                { "status": failed, "updated_at": { "$gte": hour_ago } },
                { "status": dead, "dead_at": { "$gte": hour_ago } },
            ] } },
            { "$count": "n" },
        ],
    } }];
    let faceted = notifications
        .aggregate(pipeline)
        .await?
        .try_next()
        .await?
        .unwrap_or_default();
    let array = |name: &str| -> Vec<Document> {
        match faceted.get(name) {
            Some(Bson::Array(items)) => items
                .iter()
                .filter_map(|b| b.as_document().cloned())
                .collect(),
            _ => Vec::new(),
        }
    };
    let count_of = |d: &Document| -> u64 {
        match d.get("n") {
            Some(Bson::Int32(n)) => u64::try_from(*n).unwrap_or(0),
            Some(Bson::Int64(n)) => u64::try_from(*n).unwrap_or(0),
            Some(Bson::Double(n)) => *n as u64,
            _ => 0,
        }
    };
    let count = |name: &str| array(name).first().map_or(0, count_of);
    let mut counts = StatusCounts::default();
    for group in array("by_status") {
        let n = count_of(&group);
        match group.get_str("_id").unwrap_or_default() {
            "pending" => counts.pending += n,
            "sent" => counts.sent += n,
            "failed" => counts.failed += n,
            "dead" => counts.dead += n,
            other => tracing::warn!(status = other, "a notification of an unknown status"),
        }
    }
    let oldest_pending = array("oldest_pending").first().and_then(|d| {
        let created_at = utc(*d.get_datetime("created_at").ok()?);
        Some(OldestPending {
            id: d.get_str("_id").ok()?.to_owned(),
            status: d.get_str("status").unwrap_or_default().to_owned(),
            created_at,
            age_seconds: (now - created_at).num_seconds().max(0),
        })
    });
    let sent_last_15_minutes = count("sent_last_15_minutes");
    Ok(Summary {
        as_of: now,
        total: counts.pending + counts.sent + counts.failed + counts.dead,
        counts,
        oldest_pending,
        sent_last_hour: count("sent_last_hour"),
        sent_last_15_minutes,
        send_rate_per_minute: (sent_last_15_minutes as f64 / 15.0 * 100.0).round() / 100.0,
        failures_last_hour: count("failures_last_hour"),
        dead: counts.dead,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_filter_names_each_field() {
        let filter = NotificationFilter {
            statuses: vec![NotificationStatus::Dead, NotificationStatus::Failed],
            recipient: Some("ada@example.com".into()),
            ..NotificationFilter::default()
        };
        assert_eq!(
            filter.to_document(),
            doc! { "status": { "$in": ["dead", "failed"] }, "recipient": "ada@example.com" }
        );
        let one = NotificationFilter {
            statuses: vec![NotificationStatus::Sent],
            ..NotificationFilter::default()
        };
        assert_eq!(one.to_document(), doc! { "status": "sent" });
    }

    #[test]
    fn a_document_with_missing_fields_still_reads() {
        let view = Notification::from_document(doc! { "_id": "n1", "status": "dead" }).unwrap();
        assert_eq!(view.id, "n1");
        assert_eq!(view.status, "dead");
        assert!(view.text.is_none() && view.created_at.is_none());
    }
}
