//! `POST /v1/launches/{id}/bookings/{booking_id}/cancel`: the holder cancels
//! and is refunded by policy.

use chrono::Duration;
use platform::{Department, Role};
use serde_json::json;
use uuid::Uuid;

use crate::helpers::{assert_envelope, spawn_app, Body, TestApp, OPERATIONS};

fn cancel_path(launch_id: Uuid, booking_id: Uuid) -> String {
    format!("/v1/launches/{launch_id}/bookings/{booking_id}/cancel")
}

/// Books `seats` on a launch departing in `days` and cancels as the holder;
/// checks the reply and the stored event; returns the refund percent.
async fn book_then_cancel(app: &TestApp, days: i64, seats: usize, role: Role) -> u64 {
    let launch = app.scheduled_launch(10, Duration::days(days)).await;
    let (holder_id, holder) = app.token(role);
    let booking_id = app.booked(&holder, launch.id, seats).await;
    let total = seats as i64 * launch.price_cents;

    let response = app
        .post_raw(
            &cancel_path(launch.id, booking_id),
            Some(&holder),
            Body::Empty,
            &[("X-Correlation-Id", "change-of-plans")],
        )
        .await;

    response.assert_status(200);
    assert_eq!(response.uuid("booking_id"), booking_id);
    assert_eq!(response.uuid("launch_id"), launch.id);
    assert_eq!(response.json["seats_released"], seats);
    assert_eq!(response.json["version"], 3);
    let percent = response.json["refund_percent"].as_u64().unwrap();
    assert_eq!(response.json["refund_cents"], total * percent as i64 / 100);

    let events = app.events_of(launch.id).await;
    assert_eq!(events.len(), 3);
    let cancelled = &events[2];
    assert_eq!(
        (cancelled.sequence, cancelled.event_type.as_str()),
        (3, "BookingCancelled")
    );
    let data = cancelled.data();
    assert_eq!(data["booking_id"], booking_id.to_string());
    assert_eq!(data["holder_id"], holder_id.to_string());
    assert_eq!(data["seats_released"], seats);
    assert_eq!(data["refund_percent"], percent);
    assert_eq!(data["refund_cents"], total * percent as i64 / 100);
    assert_eq!(data["reason"], "holder_cancelled");
    assert!(data["cancelled_at"].is_string());
    assert_envelope(
        cancelled,
        &response,
        "change-of-plans",
        holder_id,
        role.as_str(),
    );
    percent
}

#[tokio::test]
async fn cancelling_400_days_before_departure_refunds_90_percent() {
    let app = spawn_app().await;
    assert_eq!(book_then_cancel(&app, 400, 2, Role::Traveler).await, 90);
}

#[tokio::test]
async fn cancelling_100_days_before_departure_refunds_70_percent() {
    let app = spawn_app().await;
    assert_eq!(book_then_cancel(&app, 100, 3, Role::Agency).await, 70);
}

#[tokio::test]
async fn cancelling_30_days_before_departure_refunds_nothing() {
    let app = spawn_app().await;
    assert_eq!(book_then_cancel(&app, 30, 1, Role::Traveler).await, 0);
}

#[tokio::test]
async fn cancelled_seats_go_back_on_sale() {
    let app = spawn_app().await;
    let launch = app.scheduled_launch(2, Duration::days(100)).await;
    let (_, first) = app.token(Role::Traveler);
    let (_, second) = app.token(Role::Traveler);
    let booking = app.booked(&first, launch.id, 2).await;
    app.book(&second, launch.id, 1)
        .await
        .assert_problem(409, "not-enough-seats");

    app.cancel(&first, launch.id, booking)
        .await
        .assert_status(200);

    app.book(&second, launch.id, 2).await.assert_status(201);
    let confirmed = app
        .launch_action(&launch.ops_token, launch.id, "confirm", None)
        .await;
    assert_eq!(confirmed.json["free_seats"], 0);
}

#[tokio::test]
async fn cancelling_twice_returns_409_booking_already_cancelled() {
    let app = spawn_app().await;
    let launch = app.scheduled_launch(4, Duration::days(100)).await;
    let (_, holder) = app.token(Role::Traveler);
    let booking = app.booked(&holder, launch.id, 1).await;
    app.cancel(&holder, launch.id, booking)
        .await
        .assert_status(200);

    app.cancel(&holder, launch.id, booking)
        .await
        .assert_problem(409, "booking-already-cancelled");
    assert_eq!(app.count_events("BookingCancelled").await, 1);
}

#[tokio::test]
async fn a_booking_refunded_by_an_abort_cannot_be_cancelled_again() {
    let app = spawn_app().await;
    let launch = app.scheduled_launch(4, Duration::days(100)).await;
    let (_, holder) = app.token(Role::Traveler);
    let booking = app.booked(&holder, launch.id, 1).await;
    app.launch_action(
        &launch.ops_token,
        launch.id,
        "abort",
        Some(&json!({ "reason": "storm" })),
    )
    .await
    .assert_status(200);

    app.cancel(&holder, launch.id, booking)
        .await
        .assert_problem(409, "booking-already-cancelled");
    assert_eq!(app.count_events("BookingCancelled").await, 1);
}

#[tokio::test]
async fn cancelling_someone_elses_booking_is_404_like_an_unknown_one_and_leaves_it_active() {
    let app = spawn_app().await;
    let launch = app.scheduled_launch(4, Duration::days(100)).await;
    let (_, holder) = app.token(Role::Traveler);
    let booking = app.booked(&holder, launch.id, 1).await;

    for role in [Role::Traveler, Role::Agency] {
        let (_, stranger) = app.token(role);
        let theirs = app.cancel(&stranger, launch.id, booking).await;
        let unknown = app.cancel(&stranger, launch.id, Uuid::now_v7()).await;
        theirs.assert_problem(404, "booking-not-found");
        // Nothing tells the two apart.
        assert_eq!(theirs.json, unknown.json);
    }
    assert_eq!(app.count_events("BookingCancelled").await, 0);
    app.cancel(&holder, launch.id, booking)
        .await
        .assert_status(200);
}

#[tokio::test]
async fn employees_cannot_cancel_bookings_and_get_403() {
    let app = spawn_app().await;
    let launch = app.scheduled_launch(4, Duration::days(100)).await;
    let (_, holder) = app.token(Role::Traveler);
    let booking = app.booked(&holder, launch.id, 1).await;

    for role in [OPERATIONS, Role::Employee(Department::Finance)] {
        let (_, employee) = app.token(role);
        app.cancel(&employee, launch.id, booking)
            .await
            .assert_problem(403, "forbidden");
    }
    assert_eq!(app.count_events("BookingCancelled").await, 0);
}

#[tokio::test]
async fn cancelling_an_unknown_booking_or_on_an_unknown_launch_returns_404() {
    let app = spawn_app().await;
    let launch = app.scheduled_launch(4, Duration::days(100)).await;
    let (_, holder) = app.token(Role::Traveler);
    let booking = app.booked(&holder, launch.id, 1).await;

    app.cancel(&holder, launch.id, Uuid::now_v7())
        .await
        .assert_problem(404, "booking-not-found");
    app.cancel(&holder, Uuid::now_v7(), booking)
        .await
        .assert_problem(404, "launch-not-found");
    for path in [
        format!("/v1/launches/{}/bookings/not-a-uuid/cancel", launch.id),
        format!("/v1/launches/not-a-uuid/bookings/{booking}/cancel"),
    ] {
        app.post_raw(&path, Some(&holder), Body::Empty, &[])
            .await
            .assert_problem(404, "not-found");
    }
    // A booking of another launch is unknown on this one.
    let other = app.scheduled_launch(4, Duration::days(100)).await;
    app.cancel(&holder, other.id, booking)
        .await
        .assert_problem(404, "booking-not-found");
    assert_eq!(app.count_events("BookingCancelled").await, 0);
}

#[tokio::test]
async fn cancelling_without_a_valid_token_is_401() {
    let app = spawn_app().await;
    let launch = app.scheduled_launch(4, Duration::days(100)).await;
    let (_, holder) = app.token(Role::Traveler);
    let booking = app.booked(&holder, launch.id, 1).await;
    let path = cancel_path(launch.id, booking);

    app.post_raw(&path, None, Body::Empty, &[])
        .await
        .assert_problem(401, "unauthorized");
    for token in [
        app.expired_token(Role::Traveler),
        app.foreign_token(Role::Traveler),
    ] {
        app.post_raw(&path, Some(&token), Body::Empty, &[])
            .await
            .assert_problem(401, "unauthorized");
    }
    assert_eq!(app.count_events("BookingCancelled").await, 0);
}
