//! `/health`, `/ready`, `/metrics`, `/openapi.json`, unknown routes, and the
//! request and correlation ids every response carries.

use std::time::Duration;

use crate::helpers::{spawn_app, wait_for, Body};

#[tokio::test]
async fn health_answers_200_ok() {
    let app = spawn_app().await;

    let response = app.get("/health").await;

    response.assert_status(200);
    assert_eq!(response.json["status"], "ok");
}

#[tokio::test]
async fn ready_answers_200_when_the_event_store_answers_and_revocations_are_synced() {
    let app = spawn_app().await;

    // Ready once the token revocations have been read from NATS.
    wait_for(Duration::from_secs(10), "/ready to answer 200", || async {
        app.get("/ready").await.status == 200
    })
    .await;
    let response = app.get("/ready").await;

    assert_eq!(response.json["status"], "ready");
    assert_eq!(response.json["postgres"], "up");
    assert_eq!(response.json["revocations"], "synced");
}

#[tokio::test]
async fn metrics_count_a_request_once_it_has_been_served() {
    let app = spawn_app().await;
    app.get("/health").await.assert_status(200);

    let response = app.get("/metrics").await;

    response.assert_status(200);
    assert!(response.content_type().starts_with("text/plain"));
    let health_line = response
        .text
        .lines()
        .find(|line| {
            line.starts_with("http_requests_total{")
                && line.contains(r#"route="/health""#)
                && line.contains(r#"status="200""#)
        })
        .unwrap_or_else(|| panic!("no counter of GET /health in:\n{}", response.text));
    assert!(health_line.contains(r#"method="GET""#), "{health_line}");
    assert!(
        health_line.contains(r#"service="command-api""#),
        "{health_line}"
    );
    assert!(health_line.ends_with(" 1"), "{health_line}");
    assert!(response.text.contains("http_request_duration_seconds"));
}

#[tokio::test]
async fn openapi_lists_every_command_path() {
    let app = spawn_app().await;

    let response = app.get("/openapi.json").await;

    response.assert_status(200);
    let paths = response.json["paths"]
        .as_object()
        .expect("an OpenAPI document has paths");
    for (path, method) in [
        ("/v1/rockets", "post"),
        ("/v1/launches", "post"),
        ("/v1/launches/{launch_id}/confirm", "post"),
        ("/v1/launches/{launch_id}/delay", "post"),
        ("/v1/launches/{launch_id}/abort", "post"),
        ("/v1/launches/{launch_id}/launched", "post"),
        ("/v1/launches/{launch_id}/bookings", "post"),
        (
            "/v1/launches/{launch_id}/bookings/{booking_id}/cancel",
            "post",
        ),
        ("/ready", "get"),
    ] {
        assert!(
            paths.get(path).and_then(|p| p.get(method)).is_some(),
            "{method} {path} missing from {:?}",
            paths.keys().collect::<Vec<_>>()
        );
    }
    assert!(response.json["components"]["securitySchemes"]["bearer"].is_object());
}

#[tokio::test]
async fn an_unknown_route_answers_a_404_problem() {
    let app = spawn_app().await;

    app.get("/v1/nowhere")
        .await
        .assert_problem(404, "not-found");
    app.post_raw("/v1/launches/x/y/z", None, Body::Empty, &[])
        .await
        .assert_problem(404, "not-found");
}

#[tokio::test]
async fn every_response_carries_a_request_id_and_echoes_a_well_formed_correlation_id() {
    let app = spawn_app().await;

    let first = app.get("/health").await;
    let second = app.get("/health").await;
    let request_id = first.request_id();
    assert_ne!(request_id, second.request_id());
    // Without a correlation id the request id stands in for it.
    assert_eq!(first.header("x-correlation-id"), Some(request_id.as_str()));

    let correlated = app
        .client
        .get(format!("{}/health", app.address))
        .header("X-Correlation-Id", "checkout-42")
        .send()
        .await
        .unwrap();
    assert_eq!(correlated.headers()["x-correlation-id"], "checkout-42");

    let garbage = app
        .client
        .get(format!("{}/health", app.address))
        .header("X-Correlation-Id", "has spaces and ; semicolons")
        .send()
        .await
        .unwrap();
    assert_eq!(
        garbage.headers()["x-correlation-id"],
        garbage.headers()["x-request-id"]
    );
}

#[tokio::test]
async fn metrics_count_commands_by_aggregate_and_outcome() {
    let app = spawn_app().await;
    let launch = app
        .scheduled_launch(1, chrono::Duration::days(200))
        .await
        .id;
    let (_, traveler) = app.token(platform::Role::Traveler);
    app.book(&traveler, launch, 1).await.assert_status(201);
    app.book(&traveler, launch, 1).await.assert_status(409);

    let text = app.get("/metrics").await.text;

    let value = |labels: &str| -> Option<f64> {
        text.lines()
            .find(|l| l.starts_with("commands_total{") && l.contains(labels))
            .and_then(|l| l.rsplit(' ').next())
            .and_then(|v| v.parse().ok())
    };
    assert_eq!(
        value(r#"aggregate="Launch",outcome="refused""#),
        Some(1.0),
        "{text}"
    );
    // The launch's scheduling and the booking.
    assert_eq!(
        value(r#"aggregate="Launch",outcome="committed""#),
        Some(2.0),
        "{text}"
    );
    assert_eq!(
        value(r#"aggregate="Rocket",outcome="committed""#),
        Some(1.0),
        "{text}"
    );
}

#[tokio::test]
async fn expired_idempotency_records_are_swept_at_start_up_and_recent_ones_kept() {
    let app = spawn_app().await;
    sqlx::query(
        "INSERT INTO idempotency (user_id, idempotency_key, request_hash, response_status,
                                  response_body, created_at)
         VALUES (gen_random_uuid(), 'old', '\\x00', 201, '\\x7b7d', now() - interval '8 days'),
                (gen_random_uuid(), 'recent', '\\x00', 201, '\\x7b7d', now() - interval '1 day')",
    )
    .execute(&app.pool)
    .await
    .unwrap();

    // A replica starting on the same database sweeps with the default
    // retention of 7 days.
    let _replica = app.spawn_replica(|_| {}).await;

    let pool = app.pool.clone();
    crate::helpers::wait_for(
        std::time::Duration::from_secs(10),
        "the old record to be swept",
        || {
            let pool = pool.clone();
            async move {
                let keys: Vec<String> =
                    sqlx::query_scalar("SELECT idempotency_key FROM idempotency")
                        .fetch_all(&pool)
                        .await
                        .unwrap();
                keys == ["recent"]
            }
        },
    )
    .await;
}

#[tokio::test]
async fn a_request_target_over_8_kib_answers_414_problem_json_with_its_request_id() {
    let app = spawn_app().await;

    let response = app
        .get(&format!("/health?padding={}", "x".repeat(100 * 1024 / 2)))
        .await;

    response.assert_problem(414, "uri-too-long");
    response.request_id();
}
