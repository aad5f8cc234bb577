//! Seats are never oversold, whatever the concurrency, within one instance
//! and across replicas on one database; conflicts are retried on the server,
//! so clients only ever see a business refusal.

use std::collections::BTreeSet;

use chrono::Duration;
use futures::future::join_all;
use platform::Role;
use uuid::Uuid;

use crate::helpers::{spawn_app, ApiResponse, TestApp};

/// Asserts that `answers` hold exactly `sold` 201s and otherwise only 409
/// `not-enough-seats`, and returns the booking ids sold.
#[track_caller]
fn sold_out_answers(answers: &[ApiResponse], sold: usize) -> BTreeSet<Uuid> {
    let mut ids = BTreeSet::new();
    for answer in answers {
        match answer.status {
            201 => {
                ids.insert(answer.uuid("booking_id"));
            }
            409 => {
                answer.assert_problem(409, "not-enough-seats");
            }
            other => panic!("unexpected status {other}: {}", answer.text),
        }
    }
    assert_eq!(ids.len(), sold, "bookings acknowledged");
    assert_eq!(
        answers.len() - sold,
        answers.iter().filter(|a| a.status == 409).count()
    );
    ids
}

/// Asserts the launch's stream: LaunchScheduled then exactly the bookings
/// `sold`, at sequences 2..=n+1 without gaps.
async fn assert_stream_holds_exactly(app: &TestApp, launch_id: Uuid, sold: &BTreeSet<Uuid>) {
    let events = app.events_of(launch_id).await;
    let sequences: Vec<i64> = events.iter().map(|e| e.sequence).collect();
    assert_eq!(sequences, (1..=sold.len() as i64 + 1).collect::<Vec<_>>());
    // The global order agrees with the launch's own.
    assert!(events
        .windows(2)
        .all(|w| w[0].global_position < w[1].global_position));
    assert_eq!(events[0].event_type, "LaunchScheduled");
    let stored: BTreeSet<Uuid> = events[1..]
        .iter()
        .map(|e| {
            assert_eq!(e.event_type, "SeatsBooked");
            e.data()["booking_id"].as_str().unwrap().parse().unwrap()
        })
        .collect();
    assert_eq!(&stored, sold);
}

/// Every event has its outbox row, and nothing else is in the outbox.
async fn assert_outbox_matches_events(app: &TestApp) {
    assert_eq!(app.outbox_count().await, app.event_count().await);
    let unmatched: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM events e
           FULL JOIN outbox o ON o.global_position = e.global_position
          WHERE e.global_position IS NULL OR o.global_position IS NULL
             OR o.aggregate_id <> e.aggregate_id OR o.sequence <> e.sequence
             OR o.aggregate_type <> e.aggregate_type",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(unmatched, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_hundred_concurrent_bookings_for_ten_seats_sell_exactly_ten() {
    let app = spawn_app().await;
    let launch = app.scheduled_launch(10, Duration::days(200)).await;
    let tokens: Vec<String> = (0..100).map(|_| app.token(Role::Traveler).1).collect();

    let answers = join_all(tokens.iter().map(|t| app.book(t, launch.id, 1))).await;

    let sold = sold_out_answers(&answers, launch.capacity as usize);
    assert_stream_holds_exactly(&app, launch.id, &sold).await;
    assert_outbox_matches_events(&app).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_replicas_booking_one_launch_concurrently_never_oversell() {
    let first = spawn_app().await;
    let second = first.spawn_replica(|_| {}).await;
    let launch = first.scheduled_launch(10, Duration::days(200)).await;
    // Both replicas cache the launch before the rush.
    let (_, early) = first.token(Role::Traveler);
    second.booked(&early, launch.id, 1).await;
    let tokens: Vec<String> = (0..80).map(|_| first.token(Role::Traveler).1).collect();

    let answers = join_all(tokens.iter().enumerate().map(|(i, token)| {
        let replica = if i % 2 == 0 { &first } else { &second };
        replica.book(token, launch.id, 1)
    }))
    .await;

    let mut sold = sold_out_answers(&answers, 9);
    sold.insert(
        first.events_of(launch.id).await[1].data()["booking_id"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap(),
    );
    assert_stream_holds_exactly(&first, launch.id, &sold).await;
    assert_outbox_matches_events(&first).await;
}

#[tokio::test]
async fn a_booking_made_on_one_replica_can_be_cancelled_on_another() {
    let first = spawn_app().await;
    let second = first.spawn_replica(|_| {}).await;
    let launch = first.scheduled_launch(10, Duration::days(400)).await;
    let (_, traveler) = first.token(Role::Traveler);
    // The second replica caches the launch with this booking...
    second.booked(&traveler, launch.id, 1).await;
    // ...and does not see the one booked on the first replica.
    let booking = first.booked(&traveler, launch.id, 2).await;

    let response = second.cancel(&traveler, launch.id, booking).await;

    response.assert_status(200);
    assert_eq!(response.json["seats_released"], 2);
    assert_eq!(response.json["version"], 4);
}

#[tokio::test]
async fn seats_freed_on_one_replica_can_be_sold_on_another() {
    let first = spawn_app().await;
    let second = first.spawn_replica(|_| {}).await;
    let launch = first.scheduled_launch(1, Duration::days(400)).await;
    let (_, early) = first.token(Role::Traveler);
    let (_, late) = first.token(Role::Traveler);
    // The second replica sees the launch full...
    let booking = second.booked(&early, launch.id, 1).await;
    // ...then the seat is freed on the first.
    first
        .cancel(&early, launch.id, booking)
        .await
        .assert_status(200);

    let response = second.book(&late, launch.id, 1).await;

    response.assert_status(201);
    assert_eq!(response.json["version"], 4);
    assert_eq!(first.count_events("SeatsBooked").await, 2);
}
