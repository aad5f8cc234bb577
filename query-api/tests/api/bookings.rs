//! `GET /v1/me/bookings`: authentication, roles, only the caller's own
//! bookings, filters, pagination, the joined launch, read-your-writes.

use std::time::Duration;

use platform::Role;

use crate::helpers::{now, spawn_app, LaunchFixture, OPERATIONS};

#[tokio::test]
async fn bookings_need_a_valid_token_of_a_traveler_or_an_agency() {
    let app = spawn_app().await;
    let (user_id, _) = app.token(Role::Traveler);

    app.get("/v1/me/bookings")
        .await
        .assert_problem(401, "unauthorized");
    app.get_with("/v1/me/bookings", Some("garbage"), &[])
        .await
        .assert_problem(401, "unauthorized");
    app.get_with("/v1/me/bookings", Some(&app.expired_token(user_id)), &[])
        .await
        .assert_problem(401, "unauthorized");
    app.get_with("/v1/me/bookings", Some(&app.token(OPERATIONS).1), &[])
        .await
        .assert_problem(403, "forbidden");
    let agency = app.token(Role::Agency).1;
    let response = app.get_with("/v1/me/bookings", Some(&agency), &[]).await;
    response.assert_status(200);
    assert_eq!(response.json["total"], 0);
    assert_eq!(response.header("cache-control"), Some("private, no-store"));
}

#[tokio::test]
async fn a_holder_sees_only_their_own_bookings_newest_first_with_their_launch() {
    let app = spawn_app().await;
    let (me, token) = app.token(Role::Traveler);
    let (someone_else, _) = app.token(Role::Traveler);
    let mut moon = LaunchFixture::in_days(30);
    let mut mars = LaunchFixture::new(events::RocketRange::Mars, crate::helpers::in_days(90), 7, 6);
    let older = moon.book(me, 2, now() - chrono::Duration::hours(2));
    let theirs = moon.book(someone_else, 1, now() - chrono::Duration::hours(1));
    let newer = mars.book(me, 1, now() - chrono::Duration::minutes(5));
    moon.cancel(&older);
    mars.confirm();
    app.insert(&[&moon, &mars]).await;

    let response = app.get_with("/v1/me/bookings", Some(&token), &[]).await;

    response.assert_status(200);
    assert_eq!(response.ids("booking_id"), [newer.as_str(), older.as_str()]);
    assert!(!response.text.contains(&theirs));
    assert_eq!(response.json["total"], 2);
    let newest = &response.json["items"][0];
    assert_eq!(newest["launch_id"], mars.id());
    assert_eq!(newest["holder_kind"], "traveler");
    assert_eq!(newest["seats"], 1);
    assert_eq!(newest["unit_price_cents"], 7);
    assert_eq!(newest["total_cents"], 7);
    assert_eq!(newest["status"], "active");
    assert_eq!(newest["passengers"][0]["name"], "Passenger 0");
    assert_eq!(newest["passengers"][0]["birth_date"], "1990-02-28");
    assert_eq!(newest["passengers"][0]["email"], "first@example.com");
    assert_eq!(newest["version"], 2);
    assert_eq!(newest["launch"]["destination"], "mars");
    assert_eq!(newest["launch"]["status"], "confirmed");
    assert_eq!(newest["launch"]["rocket_name"], "Starhopper");
    assert_eq!(newest["launch"]["spaceport"], "Kourou");
    assert!(newest["launch"]["departure_at"].is_string());
    assert!(newest.get("cancelled_at").is_none());
    let cancelled = &response.json["items"][1];
    assert_eq!(cancelled["status"], "cancelled");
    assert_eq!(cancelled["cancellation_reason"], "holder_cancelled");
    assert_eq!(cancelled["refund_percent"], 90);
    assert_eq!(cancelled["refund_cents"], 45_000_000);
    assert!(cancelled["cancelled_at"].is_string());
    assert_eq!(cancelled["version"], 4);
    assert_eq!(cancelled["launch"]["destination"], "moon");
}

#[tokio::test]
async fn bookings_are_filtered_by_status_and_launch_and_paginated() {
    let app = spawn_app().await;
    let (me, token) = app.token(Role::Agency);
    let mut moon = LaunchFixture::in_days(30);
    let mut mars = LaunchFixture::in_days(60);
    let first = moon.book(me, 1, now() - chrono::Duration::minutes(30));
    let second = moon.book(me, 1, now() - chrono::Duration::minutes(20));
    let third = mars.book(me, 1, now() - chrono::Duration::minutes(10));
    moon.cancel(&first);
    app.insert(&[&moon, &mars]).await;
    let ids = |query: String| {
        let app = &app;
        let token = token.clone();
        async move {
            let response = app
                .get_with(&format!("/v1/me/bookings?{query}"), Some(&token), &[])
                .await;
            (response.ids("booking_id"), response.json["total"].as_u64())
        }
    };

    assert_eq!(
        ids("status=active".into()).await,
        (vec![third.clone(), second.clone()], Some(2))
    );
    assert_eq!(
        ids("status=cancelled".into()).await,
        (vec![first.clone()], Some(1))
    );
    assert_eq!(
        ids(format!("launch_id={}", moon.id())).await,
        (vec![second.clone(), first.clone()], Some(2))
    );
    assert_eq!(
        ids("page_size=2&page=2".into()).await,
        (vec![first], Some(3))
    );
    assert_eq!(ids("page_size=1".into()).await, (vec![third], Some(3)));

    for (query, field) in [
        ("status=lost", "status"),
        ("launch_id=moon", "launch_id"),
        ("page=0", "page"),
        ("page_size=1000", "page_size"),
    ] {
        app.get_with(&format!("/v1/me/bookings?{query}"), Some(&token), &[])
            .await
            .assert_invalid_field(field);
    }
}

#[tokio::test]
async fn astro_min_version_waits_until_the_new_booking_is_projected() {
    let app = spawn_app().await;
    let (me, token) = app.token(Role::Traveler);
    let mut launch = LaunchFixture::in_days(30);
    app.insert(&[&launch]).await;
    let booking = launch.book(me, 2, now());
    let projector = app.save_later(&launch, Duration::from_millis(200));

    let header = format!("{}:2", launch.id());
    let response = app
        .get_with(
            "/v1/me/bookings",
            Some(&token),
            &[("Astro-Min-Version", &header)],
        )
        .await;
    projector.await.unwrap();

    response.assert_status(200);
    assert_eq!(response.ids("booking_id"), [booking]);
    assert_eq!(response.header("astro-stale"), None);
    assert_eq!(response.header("astro-read-version"), Some("2"));

    let ahead = format!("{}:3", launch.id());
    let stale = app
        .get_with(
            "/v1/me/bookings",
            Some(&token),
            &[("Astro-Min-Version", &ahead)],
        )
        .await;
    stale.assert_status(200);
    assert_eq!(stale.header("astro-stale"), Some("true"));
}
