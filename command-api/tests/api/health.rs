//! `/health`, `/ready`, `/metrics`, `/openapi.json`, unknown routes, and the
//! request and correlation ids every response carries.

use crate::helpers::{spawn_app, Body};

#[tokio::test]
async fn health_answers_200_ok() {
    let app = spawn_app().await;

    let response = app.get("/health").await;

    response.assert_status(200);
    assert_eq!(response.json["status"], "ok");
}

#[tokio::test]
async fn ready_answers_200_when_the_event_store_answers() {
    let app = spawn_app().await;

    let response = app.get("/ready").await;

    response.assert_status(200);
    assert_eq!(response.json["status"], "ready");
    assert_eq!(response.json["postgres"], "up");
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
