//! `GET /v1/launches/{launch_id}`: one launch, its ETag, and read-your-writes
//! (`min_version`, `wait_ms`, `Astro-Min-Version`).

use std::time::Duration;

use crate::helpers::{now, spawn_app, spawn_app_with, LaunchFixture};

#[tokio::test]
async fn a_launch_is_found_by_id_with_its_version_and_etag() {
    let app = spawn_app().await;
    let mut launch = LaunchFixture::in_days(30);
    launch.book(uuid::Uuid::now_v7(), 3, now());
    launch.confirm();
    app.insert(&[&launch]).await;

    let response = app.get(&format!("/v1/launches/{}", launch.id())).await;

    response.assert_status(200);
    assert_eq!(response.json["id"], launch.id());
    assert_eq!(response.json["status"], "confirmed");
    assert_eq!(response.json["seats_booked"], 3);
    assert_eq!(response.json["free_seats"], 7);
    assert_eq!(response.json["bookable"], true);
    assert_eq!(response.json["version"], 3);
    assert_eq!(response.header("astro-read-version"), Some("3"));
    assert_eq!(response.header("astro-stale"), None);
    let etag = response.header("etag").expect("an ETag");
    let again = app
        .get_with(
            &format!("/v1/launches/{}", launch.id()),
            None,
            &[("If-None-Match", etag)],
        )
        .await;
    again.assert_status(304);
    assert_eq!(again.header("astro-read-version"), Some("3"));
}

#[tokio::test]
async fn an_unknown_or_malformed_id_is_a_404_problem() {
    let app = spawn_app().await;

    app.get(&format!("/v1/launches/{}", uuid::Uuid::now_v7()))
        .await
        .assert_problem(404, "launch-not-found");
    app.get("/v1/launches/not-a-uuid")
        .await
        .assert_problem(404, "not-found");
}

#[tokio::test]
async fn min_version_waits_for_the_projector_to_apply_that_version() {
    let app = spawn_app().await;
    let mut launch = LaunchFixture::in_days(30);
    app.insert(&[&launch]).await;
    launch.book(uuid::Uuid::now_v7(), 2, now());
    let writer = app.save_later(&launch, Duration::from_millis(200));

    let response = app
        .get(&format!("/v1/launches/{}?min_version=2", launch.id()))
        .await;
    writer.await.unwrap();

    response.assert_status(200);
    assert_eq!(response.json["version"], 2);
    assert_eq!(response.json["free_seats"], 8);
    assert_eq!(response.header("astro-read-version"), Some("2"));
    assert_eq!(response.header("astro-stale"), None);
    assert_eq!(response.header("cache-control"), Some("no-store"));
    assert_eq!(
        app.metric(r#"query_read_your_writes_total{outcome="waited"}"#)
            .await,
        Some(1.0)
    );
}

#[tokio::test]
async fn a_version_already_applied_is_answered_at_once_as_fresh() {
    let app = spawn_app().await;
    let launch = LaunchFixture::in_days(30);
    app.insert(&[&launch]).await;

    let response = app
        .get(&format!("/v1/launches/{}?min_version=1", launch.id()))
        .await;

    response.assert_status(200);
    assert_eq!(response.header("astro-stale"), None);
    assert_eq!(
        app.metric(r#"query_read_your_writes_total{outcome="fresh"}"#)
            .await,
        Some(1.0)
    );
}

#[tokio::test]
async fn a_version_not_reached_in_time_answers_what_there_is_marked_stale() {
    let app = spawn_app_with(|s| s.read_your_writes_max_wait = Duration::from_millis(150)).await;
    let launch = LaunchFixture::in_days(30);
    app.insert(&[&launch]).await;

    // wait_ms above the configured bound is capped at it.
    let started = std::time::Instant::now();
    let response = app
        .get(&format!(
            "/v1/launches/{}?min_version=5&wait_ms=60000",
            launch.id()
        ))
        .await;

    response.assert_status(200);
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(response.json["version"], 1);
    assert_eq!(response.header("astro-stale"), Some("true"));
    assert_eq!(response.header("astro-read-version"), Some("1"));
    assert_eq!(
        app.metric(r#"query_read_your_writes_total{outcome="stale"}"#)
            .await,
        Some(1.0)
    );
    assert!(
        app.metric("query_read_your_writes_wait_seconds_count")
            .await
            >= Some(1.0)
    );
}

#[tokio::test]
async fn a_launch_not_yet_projected_is_waited_for_then_404_on_timeout() {
    let app = spawn_app().await;
    let launch = LaunchFixture::in_days(30);
    let writer = app.save_later(&launch, Duration::from_millis(100));

    let response = app
        .get(&format!("/v1/launches/{}?min_version=1", launch.id()))
        .await;
    writer.await.unwrap();
    response.assert_status(200);
    assert_eq!(response.json["id"], launch.id());

    let missing = uuid::Uuid::now_v7();
    app.get(&format!("/v1/launches/{missing}?min_version=1&wait_ms=50"))
        .await
        .assert_problem(404, "launch-not-found");
}

#[tokio::test]
async fn astro_min_version_on_the_launch_itself_is_a_min_version() {
    let app = spawn_app().await;
    let mut launch = LaunchFixture::in_days(30);
    app.insert(&[&launch]).await;
    launch.confirm();
    let writer = app.save_later(&launch, Duration::from_millis(100));
    let path = format!("/v1/launches/{}", launch.id());

    let header = format!("{}:2", launch.id());
    let response = app
        .get_with(&path, None, &[("Astro-Min-Version", &header)])
        .await;
    writer.await.unwrap();
    response.assert_status(200);
    assert_eq!(response.json["status"], "confirmed");

    // A version of another launch does not concern this one.
    let other = format!("{}:99", uuid::Uuid::now_v7());
    let response = app
        .get_with(
            &format!("{path}?wait_ms=0"),
            None,
            &[("Astro-Min-Version", &other)],
        )
        .await;
    response.assert_status(200);
    assert_eq!(response.header("astro-stale"), None);
}

#[tokio::test]
async fn invalid_read_your_writes_parameters_are_422() {
    let app = spawn_app().await;
    let path = format!("/v1/launches/{}", uuid::Uuid::now_v7());

    app.get(&format!("{path}?min_version=0"))
        .await
        .assert_invalid_field("min_version");
    app.get(&format!("{path}?min_version=1&wait_ms=soon"))
        .await
        .assert_invalid_field("wait_ms");
    app.get_with(&path, None, &[("Astro-Min-Version", "42")])
        .await
        .assert_invalid_field("Astro-Min-Version");
}
