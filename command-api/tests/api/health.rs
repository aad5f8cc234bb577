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

/// The statuses each command documents, beyond its success: every command
/// can be refused for the token (401, 403 but for the profile, which any
/// user may set), for a bad field or `Idempotency-Key` (422) and for a
/// database that does not answer (503); those with a body also for the
/// body (400, 413, 415); those about a launch for its absence (404) and
/// its state (409).
#[tokio::test]
async fn openapi_documents_every_status_a_command_can_answer_with_shared_problem_responses() {
    let app = spawn_app().await;

    let document = app.get("/openapi.json").await.json;

    let body = ["400", "413", "415"];
    let launch = ["404", "409"];
    for (path, method, success, extra) in [
        ("/v1/rockets", "post", "201", &body[..]),
        ("/v1/launches", "post", "201", &body[..]),
        (
            "/v1/launches/{launch_id}/confirm",
            "post",
            "200",
            &launch[..],
        ),
        (
            "/v1/launches/{launch_id}/launched",
            "post",
            "200",
            &launch[..],
        ),
        (
            "/v1/launches/{launch_id}/delay",
            "post",
            "200",
            &[&body[..], &launch[..]].concat()[..],
        ),
        (
            "/v1/launches/{launch_id}/abort",
            "post",
            "200",
            &[&body[..], &launch[..]].concat()[..],
        ),
        (
            "/v1/launches/{launch_id}/bookings",
            "post",
            "201",
            &[&body[..], &launch[..]].concat()[..],
        ),
        (
            "/v1/launches/{launch_id}/bookings/{booking_id}/cancel",
            "post",
            "200",
            &launch[..],
        ),
        ("/v1/profiles/me", "put", "200", &body[..]),
    ] {
        let responses = &document["paths"][path][method]["responses"];
        assert!(
            responses[success]["content"]["application/json"].is_object(),
            "{method} {path} {success}"
        );
        let forbidden: &[&str] = if path == "/v1/profiles/me" {
            &[]
        } else {
            &["403"]
        };
        for status in ["401", "422", "503"].iter().chain(forbidden).chain(extra) {
            let reference = responses[*status]["$ref"].as_str().unwrap_or_default();
            assert!(
                reference.starts_with("#/components/responses/"),
                "{method} {path} documents {status}: {}",
                responses[*status]
            );
        }
        assert!(
            document["paths"][path][method]["security"][0]["bearer"].is_array(),
            "{method} {path} needs a token"
        );
    }
    let components = &document["components"];
    let invalid =
        &components["responses"]["Invalid"]["content"]["application/problem+json"]["schema"];
    assert_eq!(invalid["allOf"][1]["required"][0], "errors");
    assert!(components["schemas"]["Problem"]["properties"]["type"].is_object());
    // Request bodies are as strict as the validation.
    let schemas = &components["schemas"];
    assert_eq!(schemas["RegisterRocket"]["additionalProperties"], false);
    assert_eq!(
        schemas["RegisterRocket"]["properties"]["capacity"]["maximum"],
        10000
    );
    assert_eq!(
        schemas["RegisterRocket"]["properties"]["range"]["enum"][3],
        "mars"
    );
    assert!(schemas["AbortLaunch"]["properties"]["reason"]["pattern"].is_string());
    assert_eq!(
        schemas["ScheduleLaunch"]["properties"]["departure_at"]["format"],
        "date-time"
    );
    assert_eq!(
        schemas["BookSeats"]["properties"]["passengers"]["minItems"],
        1
    );
    assert_eq!(
        schemas["BookSeats"]["properties"]["passengers"]["maxItems"],
        6
    );
    assert_eq!(
        schemas["PassengerRequest"]["properties"]["birth_date"]["format"],
        "date"
    );
    let profile = &schemas["UpdateProfile"]["properties"]["profile"];
    assert_eq!(profile["oneOf"].as_array().map(Vec::len), Some(3));
    assert!(profile["oneOf"][0]["required"]
        .as_array()
        .unwrap()
        .contains(&serde_json::json!("kind")));
}

#[tokio::test]
async fn a_method_a_path_does_not_serve_answers_405_with_allow() {
    let app = spawn_app().await;

    for (method, path, allow) in [
        ("TRACE", "/v1/rockets", "POST"),
        (
            "GET",
            "/v1/launches/00000000-0000-0000-0000-000000000000/confirm",
            "POST",
        ),
        ("DELETE", "/v1/profiles/me", "PUT"),
        ("TRACE", "/health", "GET"),
        ("POST", "/openapi.json", "GET"),
    ] {
        let response = app
            .client
            .request(method.parse().unwrap(), format!("{}{path}", app.address))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 405, "{method} {path}");
        assert_eq!(response.headers()["allow"], allow, "{method} {path}");
        assert_eq!(
            response.headers()["content-type"],
            "application/problem+json"
        );
    }
    // An unknown path is still 404, whatever the method.
    let unknown = app
        .client
        .request(
            "TRACE".parse().unwrap(),
            format!("{}/v1/nowhere", app.address),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 404);
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

#[tokio::test]
async fn a_web_app_on_an_allowed_origin_may_call_the_api_and_no_other_origin_may() {
    let app = spawn_app().await;
    testkit::cors::assert_cors(
        &app.client,
        &app.address,
        "/health",
        crate::helpers::WEB_APP_ORIGIN,
    )
    .await;
}
