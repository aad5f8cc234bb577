//! `/health`, `/ready`, `/metrics`, `/openapi.json`, and a MongoDB that does
//! not answer.

use std::time::Duration;

use platform::Role;

use crate::helpers::{spawn_app, spawn_app_with, wait_for};

#[tokio::test]
async fn health_and_ready_answer_200_when_the_databases_answer_and_revocations_are_synced() {
    let app = spawn_app().await;

    app.get("/health").await.assert_status(200);
    // Ready once the token revocations have been read from NATS.
    wait_for(Duration::from_secs(10), "/ready to answer 200", || async {
        app.get("/ready").await.status == 200
    })
    .await;
    let ready = app.get("/ready").await;

    assert_eq!(ready.json["status"], "ready");
    assert_eq!(ready.json["mongo"], "up");
    assert_eq!(ready.json["postgres"], "up");
    assert_eq!(ready.json["revocations"], "synced");
}

#[tokio::test]
async fn a_token_revoked_by_a_logout_is_refused() {
    let app = spawn_app().await;
    let (user_id, token) = app.token(Role::Traveler);
    let (_, other) = app.token(Role::Traveler);
    app.get_with("/v1/me/bookings", Some(&token), &[])
        .await
        .assert_status(200);

    testkit::revoke_token(&token, &app.public_key_hex, user_id).await;

    wait_for(
        Duration::from_secs(10),
        "the revoked token to be refused",
        || async {
            app.get_with("/v1/me/bookings", Some(&token), &[])
                .await
                .status
                == 401
        },
    )
    .await;
    let refused = app.get_with("/v1/me/bookings", Some(&token), &[]).await;
    refused.assert_problem(401, "unauthorized");
    assert!(refused.text.contains("revoked"), "{}", refused.text);
    app.get_with("/v1/me/bookings", Some(&other), &[])
        .await
        .assert_status(200);
}

#[tokio::test]
async fn without_mongodb_reads_are_503_with_retry_after_and_not_ready() {
    // Nothing listens on port 9; the driver gives up after 300 ms.
    let app = spawn_app_with(|s| {
        s.mongodb_uri =
            "mongodb://127.0.0.1:9/?serverSelectionTimeoutMS=300&connectTimeoutMS=300".into();
    })
    .await;

    let ready = app.get("/ready").await;
    ready.assert_status(503);
    assert_eq!(ready.json["mongo"], "down");
    for path in [
        "/v1/launches",
        &format!("/v1/launches/{}", uuid::Uuid::now_v7()),
    ] {
        let response = app.get(path).await;
        response.assert_problem(503, "service-unavailable");
        assert_eq!(response.header("retry-after"), Some("1"));
        assert!(!response.text.contains("127.0.0.1"), "{}", response.text);
    }
    // The metrics still render, without the read model's progress.
    app.get("/metrics").await.assert_status(200);
}

#[tokio::test]
async fn metrics_expose_the_cache_read_your_writes_and_the_read_models_progress() {
    let app = spawn_app().await;
    let occurred_at = chrono::Utc::now() - chrono::Duration::seconds(30);
    app.database
        .collection::<read_models::sales::CheckpointDoc>(read_models::sales::CHECKPOINTS)
        .insert_one(read_models::sales::CheckpointDoc {
            id: read_models::sales::CHECKPOINT_ID.into(),
            global_position: 42,
            occurred_at: mongodb::bson::DateTime::from_chrono(occurred_at),
        })
        .await
        .unwrap();
    app.get("/v1/launches").await.assert_status(200);

    let text = app.get("/metrics").await.text;

    for name in [
        "http_requests_total",
        "http_request_duration_seconds",
        "query_listing_cache_total",
        "query_read_your_writes_total",
        "query_read_your_writes_wait_seconds",
        "sales_read_model_global_position",
        "sales_read_model_last_event_age_seconds",
    ] {
        assert!(text.contains(name), "{name} missing from:\n{text}");
    }
    assert!(text.contains(r#"service="query-api""#));
    assert_eq!(
        app.metric("sales_read_model_global_position").await,
        Some(42.0)
    );
    let age = app
        .metric("sales_read_model_last_event_age_seconds")
        .await
        .expect("an age");
    assert!((29.0..120.0).contains(&age), "{age}");
}

#[tokio::test]
async fn openapi_lists_every_path_parameter_and_schema() {
    let app = spawn_app().await;

    let response = app.get("/openapi.json").await;

    response.assert_status(200);
    let paths = &response.json["paths"];
    for path in [
        "/v1/launches",
        "/v1/launches/{launch_id}",
        "/v1/me/bookings",
        "/ready",
    ] {
        assert!(paths[path]["get"].is_object(), "GET {path} missing");
    }
    let parameters = |path: &str| -> Vec<String> {
        paths[path]["get"]["parameters"]
            .as_array()
            .map(|ps| {
                ps.iter()
                    .filter_map(|p| p["name"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    };
    for name in [
        "destination",
        "departure_from",
        "departure_to",
        "min_free_seats",
        "sort",
        "all",
        "page",
        "page_size",
        "Astro-Min-Version",
    ] {
        assert!(
            parameters("/v1/launches").iter().any(|p| p == name),
            "{name}"
        );
    }
    for name in ["launch_id", "min_version", "wait_ms"] {
        assert!(
            parameters("/v1/launches/{launch_id}")
                .iter()
                .any(|p| p == name),
            "{name}"
        );
    }
    for name in ["status", "launch_id", "page", "page_size"] {
        assert!(
            parameters("/v1/me/bookings").iter().any(|p| p == name),
            "{name}"
        );
    }
    let schemas = &response.json["components"]["schemas"];
    for schema in ["Launch", "Booking", "Passenger", "LaunchSummary"] {
        assert!(schemas[schema].is_object(), "schema {schema} missing");
    }
    assert!(response.json["components"]["securitySchemes"]["bearer"].is_object());
}

#[tokio::test]
async fn an_unknown_route_answers_a_404_problem() {
    let app = spawn_app().await;

    app.get("/v1/nowhere")
        .await
        .assert_problem(404, "not-found");
}

#[tokio::test]
async fn a_web_app_on_an_allowed_origin_may_call_the_api_and_no_other_origin_may() {
    let app = spawn_app().await;
    testkit::cors::assert_cors(
        &app.client,
        &app.address,
        "/v1/launches",
        crate::helpers::WEB_APP_ORIGIN,
    )
    .await;
}
