//! The sender's queue in `core.notifications` on the real server: who holds
//! a notification, and what the planner's inserts report.

use std::time::Duration;

use bson::DateTime as BsonDateTime;
use notifier::store::{NotificationStore, Outcome};
use read_models::core_db::{
    notification_id, NotificationDoc, NotificationKind, NotificationStatus, RecipientRole,
    NOTIFICATIONS,
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
        holder: None,
        sent_at: None,
        dead_at: None,
        requeued: 0,
    }
}

fn at(base: BsonDateTime, offset_ms: i64) -> BsonDateTime {
    BsonDateTime::from_millis(base.timestamp_millis() + offset_ms)
}

fn ids(docs: &[NotificationDoc]) -> Vec<&str> {
    docs.iter().map(|d| d.id.as_str()).collect()
}

#[tokio::test]
async fn two_senders_claiming_one_notification_at_once_hold_it_once() {
    let (store, database) = store().await;
    let now = BsonDateTime::now();
    let doc = pending("ada@example.com", at(now, -1_000));
    store.insert_planned([&doc]).await.expect("inserted");
    let by_id = || Some(vec![doc.id.clone()]);

    let (a, b) = tokio::join!(
        store.claim(by_id(), 1, now, LEASE),
        store.claim(by_id(), 1, now, LEASE),
    );
    let mut holders: Vec<NotificationDoc> = [a.expect("a claim"), b.expect("a claim")].concat();
    assert_eq!(ids(&holders), [doc.id.as_str()], "held once");
    let holder = holders.pop().expect("one holder");
    assert_eq!(holder.locked_until, Some(at(now, LEASE.as_millis() as i64)));
    assert!(holder.holder.is_some());

    // Held: nobody takes it, by id or from the queue, until the lease ends.
    let soon = at(now, 1_000);
    assert!(store
        .claim(by_id(), 1, soon, LEASE)
        .await
        .unwrap()
        .is_empty());
    assert!(store.claim(None, 5, soon, LEASE).await.unwrap().is_empty());
    // The holder crashed: after its lease another sender takes it over, and
    // the first one's outcome is no longer recorded.
    let later = at(now, LEASE.as_millis() as i64 + 1_000);
    let takeover = store.claim(None, 5, later, LEASE).await.unwrap();
    assert_eq!(ids(&takeover), [doc.id.as_str()]);
    assert_ne!(takeover[0].holder, holder.holder);
    assert_eq!(
        store
            .record(&[Outcome::sent(&holder, later)])
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        store
            .record(&[Outcome::sent(&takeover[0], later)])
            .await
            .unwrap(),
        1
    );
    database.drop().await.expect("dropping the database");
}

#[tokio::test]
async fn the_queue_gives_the_most_overdue_first_and_nothing_not_yet_due() {
    let (store, database) = store().await;
    let now = BsonDateTime::now();
    let oldest = pending("old@example.com", at(now, -5_000));
    let older = pending("older@example.com", at(now, -3_000));
    let newer = pending("new@example.com", at(now, -1_000));
    let future = pending("later@example.com", at(now, 60_000));
    store
        .insert_planned([&newer, &future, &oldest, &older])
        .await
        .expect("inserted");

    let first = store.claim(None, 2, now, LEASE).await.unwrap();
    assert_eq!(ids(&first), [oldest.id.as_str(), older.id.as_str()]);
    assert_eq!(first[0].holder, first[1].holder, "one claim, one token");
    let second = store.claim(None, 5, now, LEASE).await.unwrap();
    assert_eq!(ids(&second), [newer.id.as_str()]);
    assert!(store.claim(None, 5, now, LEASE).await.unwrap().is_empty());
    let not_due = Some(vec![future.id.clone()]);
    assert!(store
        .claim(not_due, 1, now, LEASE)
        .await
        .unwrap()
        .is_empty());
    database.drop().await.expect("dropping the database");
}

#[tokio::test]
async fn outcomes_are_recorded_together_and_free_the_notifications() {
    let (store, database) = store().await;
    let now = BsonDateTime::now();
    let docs = ["a@example.com", "b@example.com", "c@example.com"].map(|r| pending(r, now));
    store.insert_planned(&docs).await.expect("inserted");
    let held = store
        .claim(
            Some(docs.iter().map(|d| d.id.clone()).collect()),
            3,
            now,
            LEASE,
        )
        .await
        .unwrap();
    assert_eq!(held.len(), 3);
    let later = at(now, 1_000);
    let retry_at = at(now, 5_000);

    let recorded = store
        .record(&[
            Outcome::sent(&held[0], later),
            Outcome::failed(&held[1], "451 try later", later, retry_at),
            Outcome::dead(&held[2], "550 no such user", later),
        ])
        .await
        .unwrap();

    assert_eq!(recorded, 3);
    let stored = |id: String| {
        let collection = database.collection::<NotificationDoc>(NOTIFICATIONS);
        async move {
            collection
                .find_one(bson::doc! { "_id": id })
                .await
                .unwrap()
                .expect("stored")
        }
    };
    let sent = stored(held[0].id.clone()).await;
    assert_eq!((sent.status, sent.attempts), (NotificationStatus::Sent, 1));
    assert_eq!(sent.sent_at, Some(later));
    let failed = stored(held[1].id.clone()).await;
    assert_eq!(
        (failed.status, failed.attempts),
        (NotificationStatus::Failed, 1)
    );
    assert_eq!(failed.next_attempt_at, Some(retry_at));
    assert_eq!(failed.last_error.as_deref(), Some("451 try later"));
    let dead = stored(held[2].id.clone()).await;
    assert_eq!(
        (dead.status, dead.dead_at),
        (NotificationStatus::Dead, Some(later))
    );
    for doc in [&sent, &failed, &dead] {
        assert!(
            doc.locked_until.is_none() && doc.holder.is_none(),
            "{doc:?}"
        );
    }
    // The failed one is due again at its time, not before.
    assert!(store.claim(None, 5, later, LEASE).await.unwrap().is_empty());
    let again = store.claim(None, 5, retry_at, LEASE).await.unwrap();
    assert_eq!(ids(&again), [held[1].id.as_str()]);
    assert_eq!(store.record(&[]).await.unwrap(), 0);
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
