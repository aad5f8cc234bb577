//! The operational documents of MongoDB `core` that more than one service
//! reads or writes: the system logs every service ships
//! ([`LOGS`], written by `platform::logship`) and the notifications the
//! notifier sends ([`NOTIFICATIONS`]). The query API's `/v1/ops/*`
//! endpoints read both, and re-queue dead notifications.
//!
//! (The auth service's own collections of `core` — users, refresh tokens,
//! throttling, its outbox — are private to it and live in `auth/`.)

use bson::{doc, DateTime as BsonDateTime, Document};
use mongodb::options::IndexOptions;
use mongodb::IndexModel;
use serde::{Deserialize, Serialize};

/// The database (`MONGODB_CORE_DB` may name another, e.g. in tests).
pub const DATABASE: &str = "core";
/// The system logs: one [`LogDoc`] per log event of any service.
pub const LOGS: &str = "logs";
/// The notifications: one [`NotificationDoc`] per (event, recipient).
pub const NOTIFICATIONS: &str = "notifications";

/// One log event of one service, as shipped to [`LOGS`].
///
/// `_id` is left to the server (an ObjectId), so the shipper's batches are
/// plain inserts. Secrets never reach it: the shipper redacts fields whose
/// name says they hold one (`password`, `token`, `secret`, …).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LogDoc {
    /// When the event was logged (millisecond precision). The TTL index on
    /// it removes entries older than the retention.
    pub time: BsonDateTime,
    /// `error`, `warn`, `info`, `debug` or `trace`.
    pub level: String,
    /// The service (`command-api`, `query-api`, `auth`, `projectors`,
    /// `notifier`).
    pub service: String,
    /// The process instance (host name and pid), to tell replicas apart.
    pub instance: String,
    /// The Rust module that logged it (`command_api::routes::bookings`).
    pub target: String,
    /// The message.
    pub message: String,
    /// The event's other fields and those of the spans it happened in
    /// (innermost wins), secrets redacted.
    #[serde(default)]
    pub fields: Document,
    /// The HTTP request it happened in, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// The correlation id (the client's `X-Correlation-Id`, or the request
    /// id; for a consumer, the event's correlation id).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub correlation_id: Option<String>,
    /// The authenticated user, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
}

/// The indexes of [`LOGS`]: the TTL on `time` (named `ttl_time`; its
/// `expireAfterSeconds` is the retention) and one per filter of
/// `GET /v1/ops/logs`, all newest first. The listing's order is
/// `(time, _id)` descending (`_id` tells apart the entries of one
/// millisecond, for its keyset cursor), so every index ends with both: an
/// index without `_id` would leave a blocking sort of every match. The
/// request and user indexes are partial: only entries that have the field.
pub fn log_indexes(retention_secs: u64) -> Vec<IndexModel> {
    vec![
        IndexModel::builder()
            .keys(doc! { "time": 1 })
            .options(
                IndexOptions::builder()
                    .name("ttl_time".to_owned())
                    .expire_after(std::time::Duration::from_secs(retention_secs))
                    .build(),
            )
            .build(),
        index(doc! { "time": -1, "_id": -1 }, "time_id"),
        index(doc! { "service": 1, "time": -1, "_id": -1 }, "service_time"),
        index(doc! { "level": 1, "time": -1, "_id": -1 }, "level_time"),
        index(
            doc! { "correlation_id": 1, "time": -1, "_id": -1 },
            "correlation_time",
        ),
        partial_index(
            doc! { "request_id": 1, "time": -1, "_id": -1 },
            "request_time",
            doc! { "request_id": { "$exists": true } },
        ),
        partial_index(
            doc! { "user_id": 1, "time": -1, "_id": -1 },
            "user_time",
            doc! { "user_id": { "$exists": true } },
        ),
    ]
}

/// Where a notification is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NotificationStatus {
    /// Planned, not sent yet (also after IT re-queued it).
    Pending,
    /// The SMTP server accepted it.
    Sent,
    /// The last attempt failed; it is tried again at `next_attempt_at`.
    Failed,
    /// Every attempt failed; published to the dead letters. IT can re-queue it.
    Dead,
}

impl NotificationStatus {
    /// Every status, in the order of a notification's life.
    pub const ALL: [NotificationStatus; 4] = [Self::Pending, Self::Sent, Self::Failed, Self::Dead];

    /// The stable wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Sent => "sent",
            Self::Failed => "failed",
            Self::Dead => "dead",
        }
    }
}

/// Why a notification is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NotificationKind {
    /// Seats were booked (`SeatsBooked`).
    BookingConfirmed,
    /// The holder cancelled a booking (`BookingCancelled`), with the refund.
    BookingCancelled,
    /// The launch was aborted: the booking is cancelled and refunded in full
    /// (`BookingCancelled` with reason `launch_aborted`).
    LaunchAborted,
    /// The launch was moved to a new departure (`LaunchDelayed`).
    LaunchDelayed,
}

/// Who a recipient is to the booking.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecipientRole {
    /// The traveler who holds the booking.
    Traveler,
    /// The agency that holds the booking.
    Agency,
    /// A passenger of the booking who gave an email (and is not the holder).
    Passenger,
}

/// One email to one recipient about one event, in [`NOTIFICATIONS`].
///
/// `_id` is deterministic, [`notification_id`] of the event id and the
/// recipient's address, so a redelivered event plans the same documents and
/// inserting them again changes nothing: nothing is sent twice.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NotificationDoc {
    /// [`notification_id`]`(event_id, recipient)`.
    #[serde(rename = "_id")]
    pub id: String,
    /// The event that caused it.
    pub event_id: String,
    /// The event's type (`SeatsBooked`, `BookingCancelled`, `LaunchDelayed`).
    pub event_type: String,
    /// Why it is sent.
    pub kind: NotificationKind,
    /// The event's correlation id (ties it to the request that caused it).
    pub correlation_id: String,
    /// The launch.
    pub launch_id: String,
    /// The booking, for a booking's notification.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub booking_id: Option<String>,
    /// The recipient's address, lower-cased.
    pub recipient: String,
    /// The recipient's name, as the email addresses them.
    pub recipient_name: String,
    /// Who the recipient is to the booking.
    pub recipient_role: RecipientRole,
    /// The email's subject.
    pub subject: String,
    /// The plain-text body.
    pub text: String,
    /// The HTML body.
    pub html: String,
    /// The status.
    pub status: NotificationStatus,
    /// Attempts made so far (since it was last re-queued).
    pub attempts: i32,
    /// The last attempt's error (the SMTP server's answer), if it failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    /// When it was planned.
    pub created_at: BsonDateTime,
    /// When it last changed.
    pub updated_at: BsonDateTime,
    /// When the sender may take it next (pending and failed only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_attempt_at: Option<BsonDateTime>,
    /// A sender holds it until then (it is being sent); another sender takes
    /// it only after this has passed (the first crashed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locked_until: Option<BsonDateTime>,
    /// Who holds it until `locked_until`: a token unique to one claim by
    /// one sender, so that a sender records an outcome only on what it
    /// still holds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub holder: Option<String>,
    /// When the SMTP server accepted it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sent_at: Option<BsonDateTime>,
    /// When it became dead.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dead_at: Option<BsonDateTime>,
    /// How many times IT re-queued it.
    #[serde(default)]
    pub requeued: i32,
}

/// The deterministic id of the notification of `event_id` to `recipient`:
/// a UUID v5 (URL-safe, so it can stand in a path) of both, the address
/// compared without case.
pub fn notification_id(event_id: &uuid::Uuid, recipient: &str) -> String {
    let name = format!("{event_id}/{}", recipient.trim().to_lowercase());
    uuid::Uuid::new_v5(&NOTIFICATION_NAMESPACE, name.as_bytes()).to_string()
}

/// The UUID v5 namespace of [`notification_id`] (fixed forever: changing it
/// would re-send every notification of a replayed event).
const NOTIFICATION_NAMESPACE: uuid::Uuid =
    uuid::Uuid::from_u128(0x6a5c_0b1e_93f4_4c2e_8d51_7e0a_2f4b_9c13);

/// The indexes of [`NOTIFICATIONS`]: the sender's queue (due pending and
/// failed ones), the IT console's filters (status, recipient, time), the
/// summary's "failed in the last hour", a booking's notifications and an
/// event's.
pub fn notification_indexes() -> Vec<IndexModel> {
    vec![
        index(doc! { "status": 1, "next_attempt_at": 1 }, "status_due"),
        index(doc! { "status": 1, "created_at": -1 }, "status_created"),
        index(
            doc! { "recipient": 1, "created_at": -1 },
            "recipient_created",
        ),
        index(doc! { "created_at": -1 }, "created"),
        index(doc! { "updated_at": -1 }, "updated"),
        index(doc! { "booking_id": 1 }, "booking"),
        index(doc! { "event_id": 1 }, "event"),
    ]
}

fn index(keys: Document, name: &str) -> IndexModel {
    IndexModel::builder()
        .keys(keys)
        .options(IndexOptions::builder().name(name.to_owned()).build())
        .build()
}

fn partial_index(keys: Document, name: &str, filter: Document) -> IndexModel {
    IndexModel::builder()
        .keys(keys)
        .options(
            IndexOptions::builder()
                .name(name.to_owned())
                .partial_filter_expression(filter)
                .build(),
        )
        .build()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_notification_id_is_the_same_for_the_same_event_and_address_whatever_the_case() {
        let event = uuid::Uuid::parse_str("0193a0d6-0000-7000-8000-000000000001").unwrap();
        let a = notification_id(&event, "Ada@Example.com");
        assert_eq!(a, notification_id(&event, " ada@example.com "));
        assert_ne!(a, notification_id(&event, "bob@example.com"));
        let other = uuid::Uuid::parse_str("0193a0d6-0000-7000-8000-000000000002").unwrap();
        assert_ne!(a, notification_id(&other, "ada@example.com"));
        assert!(uuid::Uuid::parse_str(&a).is_ok());
    }

    #[test]
    fn statuses_have_stable_wire_names() {
        let names: Vec<_> = NotificationStatus::ALL.iter().map(|s| s.as_str()).collect();
        assert_eq!(names, ["pending", "sent", "failed", "dead"]);
        assert_eq!(
            bson::to_bson(&NotificationStatus::Dead).unwrap(),
            bson::Bson::String("dead".into())
        );
    }

    #[test]
    fn the_log_ttl_index_expires_after_the_retention() {
        let indexes = log_indexes(7 * 86_400);
        let ttl = indexes[0].options.as_ref().unwrap();
        assert_eq!(ttl.name.as_deref(), Some("ttl_time"));
        assert_eq!(
            ttl.expire_after,
            Some(std::time::Duration::from_secs(604_800))
        );
    }
}
