//! `POST /v1/launches/{id}/bookings`: travelers and agencies book seats.

use chrono::{Duration, Months, Utc};
use platform::{Department, Role};
use serde_json::json;
use uuid::Uuid;

use crate::helpers::{assert_envelope, booking_body, passengers, spawn_app, Body, OPERATIONS};

fn bookings_path(launch_id: Uuid) -> String {
    format!("/v1/launches/{launch_id}/bookings")
}

#[tokio::test]
async fn booking_seats_returns_201_with_the_booking_and_stores_seats_booked() {
    let app = spawn_app().await;
    let launch = app.scheduled_launch(10, Duration::days(200)).await;
    let (traveler_id, traveler) = app.token(Role::Traveler);
    let body = json!({ "passengers": [
        { "name": "  Ada Lovelace ", "birth_date": "1990-12-10", "email": " Ada@Example.ORG " },
        { "name": "Charles Babbage", "birth_date": "1960-12-26" },
        { "name": "Mary Somerville", "birth_date": "1980-12-26", "email": null },
    ]});

    let response = app
        .book_with(
            &traveler,
            launch.id,
            &body,
            &[("X-Correlation-Id", "trip-planner-9")],
        )
        .await;

    response.assert_status(201);
    assert_eq!(response.content_type(), "application/json");
    let booking_id = response.uuid("booking_id");
    assert_eq!(response.uuid("launch_id"), launch.id);
    assert_eq!(response.json["seats"], 3);
    assert_eq!(response.json["unit_price_cents"], launch.price_cents);
    assert_eq!(response.json["total_cents"], 3 * launch.price_cents);
    assert_eq!(response.json["version"], 2);

    let events = app.events_of(launch.id).await;
    assert_eq!(events.len(), 2);
    let booked = &events[1];
    assert_eq!(
        (booked.sequence, booked.event_type.as_str()),
        (2, "SeatsBooked")
    );
    assert_eq!(
        *booked.data(),
        json!({
            "booking_id": booking_id,
            "holder_id": traveler_id,
            "holder_kind": "traveler",
            "passengers": [
                { "name": "Ada Lovelace", "birth_date": "1990-12-10", "email": "ada@example.org" },
                { "name": "Charles Babbage", "birth_date": "1960-12-26" },
                { "name": "Mary Somerville", "birth_date": "1980-12-26" },
            ],
            "seats": 3,
            "unit_price_cents": launch.price_cents,
            "total_cents": 3 * launch.price_cents,
            "booked_at": booked.data()["booked_at"],
        })
    );
    assert_envelope(booked, &response, "trip-planner-9", traveler_id, "traveler");
    assert_eq!(app.outbox_count().await, app.event_count().await);
}

#[tokio::test]
async fn an_agency_books_as_an_agency() {
    let app = spawn_app().await;
    let launch = app.scheduled_launch(10, Duration::days(200)).await;
    let (agency_id, agency) = app.token(Role::Agency);

    let response = app.book(&agency, launch.id, 6).await;

    response.assert_status(201);
    assert_eq!(response.json["seats"], 6);
    let events = app.events_of(launch.id).await;
    assert_eq!(events[1].data()["holder_kind"], "agency");
    assert_eq!(events[1].data()["holder_id"], agency_id.to_string());
    assert_eq!(events[1].metadata["actor_role"], "agency");
    // Without X-Correlation-Id the request id correlates the events.
    assert_eq!(events[1].metadata["correlation_id"], response.request_id());
}

#[tokio::test]
async fn booking_more_seats_than_free_returns_409() {
    let app = spawn_app().await;
    let launch = app.scheduled_launch(4, Duration::days(200)).await;
    let (_, traveler) = app.token(Role::Traveler);
    app.booked(&traveler, launch.id, 2).await;

    let response = app.book(&traveler, launch.id, 3).await;

    response.assert_problem(409, "not-enough-seats");
    assert_eq!(
        response.json["detail"],
        "only 2 seats are free, 3 requested"
    );
    app.book(&traveler, launch.id, 2).await.assert_status(201);
    app.book(&traveler, launch.id, 1)
        .await
        .assert_problem(409, "not-enough-seats");
    assert_eq!(app.count_events("SeatsBooked").await, 2);
}

#[tokio::test]
async fn booking_on_an_unknown_launch_or_a_malformed_launch_id_returns_404() {
    let app = spawn_app().await;
    let (_, traveler) = app.token(Role::Traveler);

    app.book(&traveler, Uuid::now_v7(), 1)
        .await
        .assert_problem(404, "launch-not-found");
    app.post_json(
        "/v1/launches/not-a-uuid/bookings",
        &traveler,
        &booking_body(1),
        &[],
    )
    .await
    .assert_problem(404, "not-found");
    assert_eq!(app.event_count().await, 0);
}

#[tokio::test]
async fn booking_on_a_launched_or_aborted_launch_returns_409_wrong_launch_status() {
    let app = spawn_app().await;
    let launch = app.scheduled_launch(4, Duration::days(200)).await;
    let (_, traveler) = app.token(Role::Traveler);
    app.launch_action(
        &launch.ops_token,
        launch.id,
        "abort",
        Some(&json!({ "reason": "fuel leak" })),
    )
    .await
    .assert_status(200);

    let response = app.book(&traveler, launch.id, 1).await;

    response.assert_problem(409, "wrong-launch-status");
    assert_eq!(
        response.json["detail"],
        "cannot book a launch that is aborted"
    );
    assert_eq!(app.count_events("SeatsBooked").await, 0);
}

#[tokio::test]
async fn too_many_or_no_passengers_return_422_naming_passengers() {
    let app = spawn_app().await;
    let launch = app.scheduled_launch(20, Duration::days(200)).await;
    let (_, traveler) = app.token(Role::Traveler);

    let seven = app.book(&traveler, launch.id, 7).await;
    seven.assert_invalid_field("passengers");
    assert_eq!(
        seven.error_code("passengers").as_deref(),
        Some("too-many-passengers")
    );
    let none = app.book(&traveler, launch.id, 0).await;
    none.assert_invalid_field("passengers");
    assert_eq!(
        none.error_code("passengers").as_deref(),
        Some("no-passengers")
    );
    app.book_with(&traveler, launch.id, &json!({}), &[])
        .await
        .assert_invalid_field("passengers");
    assert_eq!(app.count_events("SeatsBooked").await, 0);
}

#[tokio::test]
async fn a_passenger_too_young_or_too_old_at_departure_returns_422_naming_their_birth_date() {
    let app = spawn_app().await;
    let launch = app.scheduled_launch(20, Duration::days(200)).await;
    let (_, traveler) = app.token(Role::Traveler);
    let departure = launch.departure_at.date_naive();
    let years_before = |years: u32| {
        departure
            .checked_sub_months(Months::new(12 * years))
            .unwrap()
    };
    let eighteen = years_before(18);
    let seventeen = eighteen + Duration::days(1);
    let seventy_one = years_before(71);

    for (too_old_or_young, expected_age) in [(seventeen, 17), (seventy_one, 71)] {
        let mut people = passengers(3);
        people[1]["birth_date"] = json!(too_old_or_young.to_string());
        let response = app
            .book_with(&traveler, launch.id, &json!({ "passengers": people }), &[])
            .await;
        response.assert_invalid_field("passengers[1].birth_date");
        assert_eq!(
            response.error_code("passengers[1].birth_date").as_deref(),
            Some("passenger-age")
        );
        assert!(
            response
                .text
                .contains(&format!("would be {expected_age} at departure")),
            "{}",
            response.text
        );
    }
    let mut people = passengers(1);
    people[0]["birth_date"] = json!(eighteen.to_string());
    app.book_with(&traveler, launch.id, &json!({ "passengers": people }), &[])
        .await
        .assert_status(201);
    assert_eq!(app.count_events("SeatsBooked").await, 1);
}

#[tokio::test]
async fn unreadable_or_invalid_passenger_fields_return_422_naming_the_field() {
    let app = spawn_app().await;
    let launch = app.scheduled_launch(20, Duration::days(200)).await;
    let (_, traveler) = app.token(Role::Traveler);

    let mut people = passengers(2);
    people[1]["birth_date"] = json!("soon");
    app.book_with(&traveler, launch.id, &json!({ "passengers": people }), &[])
        .await
        .assert_invalid_field("passengers[1].birth_date");

    let mut people = passengers(2);
    people[0]["name"] = json!("   ");
    people[1]["email"] = json!("not an email");
    let response = app
        .book_with(&traveler, launch.id, &json!({ "passengers": people }), &[])
        .await;
    response
        .assert_invalid_field("passengers[0].name")
        .assert_invalid_field("passengers[1].email");

    let mut people = passengers(1);
    people[0]["name"] = json!("N".repeat(201));
    app.book_with(&traveler, launch.id, &json!({ "passengers": people }), &[])
        .await
        .assert_invalid_field("passengers[0].name");

    let mut people = passengers(1);
    people[0]["seat"] = json!("12A");
    app.book_with(&traveler, launch.id, &json!({ "passengers": people }), &[])
        .await
        .assert_problem(422, "validation-failed");

    let people = json!([{ "name": "No Birthday" }]);
    app.book_with(&traveler, launch.id, &json!({ "passengers": people }), &[])
        .await
        .assert_invalid_field("passengers[0].birth_date");
    assert_eq!(app.count_events("SeatsBooked").await, 0);
}

#[tokio::test]
async fn a_malformed_booking_body_is_400_and_another_media_type_is_415() {
    let app = spawn_app().await;
    let launch = app.scheduled_launch(4, Duration::days(200)).await;
    let (_, traveler) = app.token(Role::Traveler);
    let path = bookings_path(launch.id);

    app.post_raw(
        &path,
        Some(&traveler),
        Body::Raw(r#"{"passengers": [{"name": "A""#),
        &[("content-type", "application/json")],
    )
    .await
    .assert_problem(400, "malformed-request");
    let valid = booking_body(1).to_string();
    app.post_raw(
        &path,
        Some(&traveler),
        Body::Raw(&valid),
        &[("content-type", "application/x-www-form-urlencoded")],
    )
    .await
    .assert_problem(415, "unsupported-media-type");
    // A JSON media type with parameters or a +json suffix is JSON.
    app.post_raw(
        &path,
        Some(&traveler),
        Body::Raw(&valid),
        &[("content-type", "application/vnd.astro+json; charset=utf-8")],
    )
    .await
    .assert_status(201);
    assert_eq!(app.count_events("SeatsBooked").await, 1);
}

#[tokio::test]
async fn booking_without_a_valid_token_is_401() {
    let app = spawn_app().await;
    let launch = app.scheduled_launch(4, Duration::days(200)).await;
    let path = bookings_path(launch.id);
    let body = booking_body(1);

    app.post_raw(&path, None, Body::Json(&body), &[])
        .await
        .assert_problem(401, "unauthorized");
    let expired = app
        .book(&app.expired_token(Role::Traveler), launch.id, 1)
        .await;
    expired.assert_problem(401, "unauthorized");
    assert_eq!(expired.json["detail"], "expired token");
    app.book(&app.foreign_token(Role::Traveler), launch.id, 1)
        .await
        .assert_problem(401, "unauthorized");
    app.book("garbage", launch.id, 1)
        .await
        .assert_problem(401, "unauthorized");
    assert_eq!(app.count_events("SeatsBooked").await, 0);
}

#[tokio::test]
async fn employees_cannot_book_and_get_403() {
    let app = spawn_app().await;
    let launch = app.scheduled_launch(4, Duration::days(200)).await;

    for role in [
        OPERATIONS,
        Role::Employee(Department::Finance),
        Role::Employee(Department::It),
    ] {
        let (_, token) = app.token(role);
        let response = app.book(&token, launch.id, 1).await;
        assert_eq!(response.status, 403, "{role}: {}", response.text);
        response.assert_problem(403, "forbidden");
    }
    assert_eq!(app.count_events("SeatsBooked").await, 0);
}

#[tokio::test]
async fn the_price_is_the_one_of_the_launch_and_each_booking_gets_its_own_id() {
    let app = spawn_app().await;
    let launch = app.scheduled_launch(10, Duration::days(200)).await;
    let (_, traveler) = app.token(Role::Traveler);
    let before = Utc::now();

    let first = app.book(&traveler, launch.id, 1).await;
    let second = app.book(&traveler, launch.id, 2).await;

    first.assert_status(201);
    second.assert_status(201);
    assert_ne!(first.uuid("booking_id"), second.uuid("booking_id"));
    assert_eq!(first.json["version"], 2);
    assert_eq!(second.json["version"], 3);
    assert_eq!(second.json["total_cents"], 2 * launch.price_cents);
    let events = app.events_of(launch.id).await;
    for event in &events[1..] {
        assert!(event.occurred_at >= before - Duration::seconds(1));
        assert!(event.occurred_at <= Utc::now());
    }
}
