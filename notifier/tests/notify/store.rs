//! The sender's queue in `core.notifications` on the real server: who holds
//! a notification, and what the planner's inserts report.

use std::time::Duration;

use bson::DateTime as BsonDateTime;
use notifier::store::{Claim, NotificationStore};
use read_models::core_db::{
    notification_id, NotificationDoc, NotificationKind, NotificationStatus, RecipientRole,
};
use testkit::mongodb_uri;
use uuid::Uuid;

const LEASE: Duration = Duration::from_secs(60);

/// A store on a database of its own (dropped by [`drop_store`]).
async fn store() -> (NotificationStore, mongodb::Database) {
    let client = mongodb::Client::with_uri_str(mongodb_uri())
        .await
        .expect("MongoDB");
    let database = client.database(&format!("core_test_{}", Uuid::new_v4().simple()));
    let store = NotificationStore::new(&database);
    store.ensure_indexes().await.expect("the indexes");
    (store, database)
}

/// A pending notification to `recipient`, planned and due at `due`.
fn pending(recipient: &str, due: BsonDateTime) -> NotificationDoc {
    let event_id = Uuid::now_v7();
    NotificationDoc {
        id: notification_id(&event_id, recipient),
        event_id: event_id.to_string(),
        event_type: "SeatsBooked".into(),
        kind: NotificationKind::BookingConfirmed,
        correlation_id: "corr".into(),
        launch_id: Uuid::now_v7().to_string(),
        booking_id: None,
        recipient: recipient.into(),
        recipient_name: "Ada".into(),
        recipient_role: RecipientRole::Traveler,
        subject: "Booking confirmed".into(),
        text: "text".into(),
        html: "<p>html</p>".into(),
        status: NotificationStatus::Pending,
        attempts: 0,
        last_error: None,
        created_at: due,
        updated_at: due,
        next_attempt_at: Some(due),
        locked_until: None,
        sent_at: None,
        dead_at: None,
        requeued: 0,
    }
}

fn at(base: BsonDateTime, offset_ms: i64) -> BsonDateTime {
    BsonDateTime::from_millis(base.timestamp_millis() + offset_ms)
}

fn held(claim: Claim) -> NotificationDoc {
    match claim {
        Claim::Held(doc) => *doc,
        other => panic!("expected to hold it, got {other:?}"),
    }
}

#[tokio::test]
async fn two_senders_claiming_one_notification_at_once_hold_it_once() {
    let (store, database) = store().await;
    let now = BsonDateTime::now();
    let doc = pending("ada@example.com", at(now, -1_000));
    store.insert_planned([&doc]).await.expect("inserted");

    let (a, b) = tokio::join!(
        store.claim_due(Some(&doc.id), now, LEASE),
        store.claim_due(Some(&doc.id), now, LEASE),
    );
    let claims = [a.expect("a claim"), b.expect("a claim")];
    let holders = claims
        .iter()
        .filter(|c| matches!(c, Claim::Held(_)))
        .count();
    assert_eq!(holders, 1, "{claims:?}");
    let holder = claims
        .into_iter()
        .find_map(|c| match c {
            Claim::Held(doc) => Some(*doc),
            _ => None,
        })
        .expect("one holder");
    assert_eq!(holder.locked_until, Some(at(now, LEASE.as_millis() as i64)));

    // Held: nobody takes it, by id or from the queue, until the lease ends.
    assert!(matches!(
        store
            .claim_due(Some(&doc.id), at(now, 1_000), LEASE)
            .await
            .unwrap(),
        Claim::Nothing
    ));
    assert!(matches!(
        store.claim_due(None, at(now, 1_000), LEASE).await.unwrap(),
        Claim::Nothing
    ));
    // The holder crashed: after its lease another sender takes it over, and
    // the first one's outcome is no longer recorded.
    let later = at(now, LEASE.as_millis() as i64 + 1_000);
    let takeover = held(store.claim_due(None, later, LEASE).await.unwrap());
    assert_eq!(takeover.id, doc.id);
    assert!(!store.mark_sent(&holder, later).await.unwrap());
    assert!(store.mark_sent(&takeover, later).await.unwrap());
    database.drop().await.expect("dropping the database");
}

#[tokio::test]
async fn the_queue_gives_the_most_overdue_first_and_nothing_not_yet_due() {
    let (store, database) = store().await;
    let now = BsonDateTime::now();
    let older = pending("old@example.com", at(now, -5_000));
    let newer = pending("new@example.com", at(now, -1_000));
    let future = pending("later@example.com", at(now, 60_000));
    store
        .insert_planned([&newer, &future, &older])
        .await
        .expect("inserted");

    assert_eq!(
        held(store.claim_due(None, now, LEASE).await.unwrap()).id,
        older.id
    );
    assert_eq!(
        held(store.claim_due(None, now, LEASE).await.unwrap()).id,
        newer.id
    );
    assert!(matches!(
        store.claim_due(None, now, LEASE).await.unwrap(),
        Claim::Nothing
    ));
    assert!(matches!(
        store.claim_due(Some(&future.id), now, LEASE).await.unwrap(),
        Claim::Nothing
    ));
    database.drop().await.expect("dropping the database");
}

#[tokio::test]
async fn the_planners_insert_reports_which_notifications_are_new() {
    let (store, database) = store().await;
    let now = BsonDateTime::now();
    let [a, b, c] = ["a@example.com", "b@example.com", "c@example.com"].map(|r| pending(r, now));

    assert_eq!(store.insert_planned([&a, &b]).await.unwrap(), [true, true]);
    // A redelivered event's notifications among new ones.
    assert_eq!(
        store.insert_planned([&b, &c, &a]).await.unwrap(),
        [false, true, false]
    );
    assert!(store.insert_planned([]).await.unwrap().is_empty());
    assert_eq!(store.backlog().await.unwrap(), 3);
    database.drop().await.expect("dropping the database");
}
