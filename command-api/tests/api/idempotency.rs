//! `Idempotency-Key`: a retried command returns the first answer and does
//! nothing twice.

use chrono::Duration;
use futures::future::join_all;
use platform::Role;
use serde_json::json;

use crate::helpers::{booking_body, launch_body, rocket_body, spawn_app, Body, PRICE_CENTS};

const KEY: &str = "idempotency-key";
const REPLAYED: &str = "idempotent-replayed";

#[tokio::test]
async fn the_same_booking_twice_with_one_key_books_once_and_replays_the_first_answer() {
    let app = spawn_app().await;
    let launch = app.scheduled_launch(10, Duration::days(200)).await;
    let (_, traveler) = app.token(Role::Traveler);
    let body = booking_body(2);
    let key = [(KEY, "booking-attempt-1")];

    let first = app.book_with(&traveler, launch.id, &body, &key).await;
    let second = app.book_with(&traveler, launch.id, &body, &key).await;

    first.assert_status(201);
    assert_eq!(first.header(REPLAYED), None);
    assert_eq!(second.status, first.status);
    assert_eq!(second.text, first.text);
    assert_eq!(second.header(REPLAYED), Some("true"));
    assert_eq!(second.content_type(), "application/json");
    assert_eq!(app.count_events("SeatsBooked").await, 1);
    // Without the key, the same request books again.
    app.book_with(&traveler, launch.id, &body, &[])
        .await
        .assert_status(201);
    assert_eq!(app.count_events("SeatsBooked").await, 2);
}

#[tokio::test]
async fn the_same_key_for_a_different_request_is_422_idempotency_key_reused() {
    let app = spawn_app().await;
    let launch = app.scheduled_launch(10, Duration::days(200)).await;
    let other = app.scheduled_launch(10, Duration::days(200)).await;
    let (_, traveler) = app.token(Role::Traveler);
    let key = [(KEY, "k-1")];
    app.book_with(&traveler, launch.id, &booking_body(1), &key)
        .await
        .assert_status(201);

    let other_body = app
        .book_with(&traveler, launch.id, &booking_body(2), &key)
        .await;
    let other_launch = app
        .book_with(&traveler, other.id, &booking_body(1), &key)
        .await;

    other_body.assert_problem(422, "idempotency-key-reused");
    other_launch.assert_problem(422, "idempotency-key-reused");
    // Like every 422, it names the field.
    assert_eq!(other_body.json["errors"][0]["field"], "Idempotency-Key");
    assert_eq!(app.count_events("SeatsBooked").await, 1);
}

#[tokio::test]
async fn a_key_used_by_another_user_is_independent() {
    let app = spawn_app().await;
    let launch = app.scheduled_launch(10, Duration::days(200)).await;
    let (_, alice) = app.token(Role::Traveler);
    let (_, bob) = app.token(Role::Agency);
    let body = booking_body(1);
    let key = [(KEY, "shared-key")];

    let for_alice = app.book_with(&alice, launch.id, &body, &key).await;
    let for_bob = app.book_with(&bob, launch.id, &body, &key).await;

    for_alice.assert_status(201);
    for_bob.assert_status(201);
    assert_eq!(for_bob.header(REPLAYED), None);
    assert_ne!(for_alice.uuid("booking_id"), for_bob.uuid("booking_id"));
    assert_eq!(app.count_events("SeatsBooked").await, 2);
}

#[tokio::test]
async fn a_refused_booking_is_replayed_as_the_same_409_even_once_seats_are_free() {
    let app = spawn_app().await;
    let launch = app.scheduled_launch(1, Duration::days(200)).await;
    let (_, early) = app.token(Role::Traveler);
    let (_, late) = app.token(Role::Traveler);
    let taken = app.booked(&early, launch.id, 1).await;
    let key = [(KEY, "late-attempt")];
    let body = booking_body(1);

    let refused = app.book_with(&late, launch.id, &body, &key).await;
    refused.assert_problem(409, "not-enough-seats");
    app.cancel(&early, launch.id, taken)
        .await
        .assert_status(200);
    let retried = app.book_with(&late, launch.id, &body, &key).await;

    assert_eq!(retried.status, 409);
    assert_eq!(retried.text, refused.text);
    assert_eq!(retried.header(REPLAYED), Some("true"));
    assert_eq!(retried.content_type(), "application/problem+json");
    assert_eq!(app.count_events("SeatsBooked").await, 1);
    // A new key is a new request, and the seat is free again.
    app.book_with(&late, launch.id, &body, &[(KEY, "second-try")])
        .await
        .assert_status(201);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_concurrent_identical_requests_with_one_key_make_one_booking() {
    let app = spawn_app().await;
    let launch = app.scheduled_launch(20, Duration::days(200)).await;
    let (_, traveler) = app.token(Role::Traveler);
    let body = booking_body(2);
    let key = [(KEY, "double-click")];

    let answers = join_all((0..10).map(|_| app.book_with(&traveler, launch.id, &body, &key))).await;

    let first = &answers[0];
    first.assert_status(201);
    for answer in &answers {
        assert_eq!((answer.status, &answer.text), (first.status, &first.text));
    }
    let replayed = answers
        .iter()
        .filter(|a| a.header(REPLAYED) == Some("true"))
        .count();
    assert_eq!(replayed, 9);
    assert_eq!(app.count_events("SeatsBooked").await, 1);
    let version = first.json["version"].as_i64().unwrap();
    assert_eq!(version, 2);
}

#[tokio::test]
async fn an_unusable_idempotency_key_is_422() {
    let app = spawn_app().await;
    let launch = app.scheduled_launch(10, Duration::days(200)).await;
    let (_, traveler) = app.token(Role::Traveler);
    let too_long = "k".repeat(256);

    for key in ["", "has space", too_long.as_str()] {
        app.book_with(&traveler, launch.id, &booking_body(1), &[(KEY, key)])
            .await
            .assert_invalid_field("Idempotency-Key");
    }
    app.book_with(
        &traveler,
        launch.id,
        &booking_body(1),
        &[(KEY, &"k".repeat(255))],
    )
    .await
    .assert_status(201);
    assert_eq!(app.count_events("SeatsBooked").await, 1);
}

#[tokio::test]
async fn registering_scheduling_and_cancelling_honour_the_key_too() {
    let app = spawn_app().await;
    let ops = app.ops_token();
    let key = [(KEY, "ops-1")];

    let rocket = app
        .post_json("/v1/rockets", &ops, &rocket_body(5, "moon"), &key)
        .await;
    let rocket_again = app
        .post_json("/v1/rockets", &ops, &rocket_body(5, "moon"), &key)
        .await;
    rocket.assert_status(201);
    assert_eq!(rocket_again.text, rocket.text);
    assert_eq!(app.count_events("RocketRegistered").await, 1);

    let body = launch_body(
        rocket.uuid("rocket_id"),
        chrono::Utc::now() + Duration::days(100),
        PRICE_CENTS,
    );
    let key = [(KEY, "ops-2")];
    let launch = app.post_json("/v1/launches", &ops, &body, &key).await;
    let launch_again = app.post_json("/v1/launches", &ops, &body, &key).await;
    launch.assert_status(201);
    assert_eq!(launch_again.text, launch.text);
    assert_eq!(launch_again.header(REPLAYED), Some("true"));
    assert_eq!(app.count_events("LaunchScheduled").await, 1);

    let launch_id = launch.uuid("launch_id");
    let (_, holder) = app.token(Role::Traveler);
    let booking = app.booked(&holder, launch_id, 1).await;
    let path = format!("/v1/launches/{launch_id}/bookings/{booking}/cancel");
    let key = [(KEY, "cancel-1")];
    let cancelled = app.post_raw(&path, Some(&holder), Body::Empty, &key).await;
    let cancelled_again = app.post_raw(&path, Some(&holder), Body::Empty, &key).await;
    cancelled.assert_status(200);
    assert_eq!(
        cancelled_again.status, 200,
        "a retry is not 'already cancelled'"
    );
    assert_eq!(cancelled_again.text, cancelled.text);
    assert_eq!(app.count_events("BookingCancelled").await, 1);

    // Confirming with a key: the retry replays 200, not 409 wrong status.
    let confirm = format!("/v1/launches/{launch_id}/confirm");
    let key = [(KEY, "confirm-1")];
    let confirmed = app.post_raw(&confirm, Some(&ops), Body::Empty, &key).await;
    let confirmed_again = app.post_raw(&confirm, Some(&ops), Body::Empty, &key).await;
    confirmed.assert_status(200);
    assert_eq!(confirmed_again.text, confirmed.text);
    assert_eq!(app.count_events("LaunchConfirmed").await, 1);
    assert_eq!(json!(confirmed.json["status"]), json!("confirmed"));
}
