//! `POST /v1/rockets`: operations register rockets.

use domain::rocket::MAX_ROCKET_CAPACITY;
use platform::{Department, Role};
use serde_json::json;

use crate::helpers::{assert_envelope, rocket_body, spawn_app, Body, OPERATIONS};

#[tokio::test]
async fn registering_a_rocket_returns_201_and_stores_rocket_registered_with_its_envelope() {
    let app = spawn_app().await;
    let (ops_id, ops) = app.token(OPERATIONS);

    let response = app
        .post_json(
            "/v1/rockets",
            &ops,
            &json!({ "name": "  Selene IV  ", "capacity": 12, "range": "moon" }),
            &[("X-Correlation-Id", "fleet-onboarding-7")],
        )
        .await;

    response.assert_status(201);
    assert_eq!(response.content_type(), "application/json");
    let rocket_id = response.uuid("rocket_id");
    assert_eq!(response.json["name"], "Selene IV");
    assert_eq!(response.json["capacity"], 12);
    assert_eq!(response.json["range"], "moon");
    assert_eq!(response.json["version"], 1);

    let events = app.events_of(rocket_id).await;
    assert_eq!(events.len(), 1);
    let event = &events[0];
    assert_eq!(event.aggregate_type, "Rocket");
    assert_eq!(event.aggregate_id, rocket_id.to_string());
    assert_eq!(event.sequence, 1);
    assert_eq!(event.event_type, "RocketRegistered");
    assert_eq!(
        *event.data(),
        json!({ "rocket_id": rocket_id, "name": "Selene IV", "capacity": 12, "range": "moon" })
    );
    assert_envelope(
        event,
        &response,
        "fleet-onboarding-7",
        ops_id,
        "employee:operations",
    );
    assert_eq!(app.outbox_count().await, 1);
}

#[tokio::test]
async fn a_rocket_capacity_of_zero_or_above_the_maximum_is_422_naming_capacity() {
    let app = spawn_app().await;
    let ops = app.ops_token();

    for capacity in [0, MAX_ROCKET_CAPACITY + 1] {
        app.register_rocket(&ops, &rocket_body(capacity, "mars"))
            .await
            .assert_invalid_field("capacity");
    }
    app.register_rocket(
        &ops,
        &json!({ "name": "R", "capacity": -1, "range": "mars" }),
    )
    .await
    .assert_invalid_field("capacity");
    app.register_rocket(&ops, &rocket_body(MAX_ROCKET_CAPACITY, "mars"))
        .await
        .assert_status(201);
    assert_eq!(app.count_events("RocketRegistered").await, 1);
}

#[tokio::test]
async fn a_blank_or_overlong_rocket_name_is_422_naming_name() {
    let app = spawn_app().await;
    let ops = app.ops_token();

    for name in ["   ".to_owned(), "x".repeat(101)] {
        let response = app
            .register_rocket(
                &ops,
                &json!({ "name": name, "capacity": 4, "range": "moon" }),
            )
            .await;
        response.assert_invalid_field("name");
    }
    // Every invalid field is reported at once.
    let response = app
        .register_rocket(&ops, &json!({ "name": "", "capacity": 0, "range": "moon" }))
        .await;
    response
        .assert_invalid_field("name")
        .assert_invalid_field("capacity");
    assert_eq!(
        response.error_code("capacity").as_deref(),
        Some("out-of-range")
    );
    assert_eq!(app.event_count().await, 0);
}

#[tokio::test]
async fn an_unknown_range_a_missing_field_or_an_unknown_field_is_422_naming_it() {
    let app = spawn_app().await;
    let ops = app.ops_token();

    app.register_rocket(
        &ops,
        &json!({ "name": "R", "capacity": 4, "range": "jupiter" }),
    )
    .await
    .assert_invalid_field("range");
    app.register_rocket(&ops, &json!({ "name": "R", "range": "moon" }))
        .await
        .assert_invalid_field("capacity");
    let response = app
        .register_rocket(
            &ops,
            &json!({ "name": "R", "capacity": 4, "range": "moon", "colour": "red" }),
        )
        .await;
    response.assert_problem(422, "validation-failed");
    assert!(response.text.contains("colour"), "{}", response.text);
    assert_eq!(app.event_count().await, 0);
}

#[tokio::test]
async fn malformed_json_is_400_and_another_media_type_is_415() {
    let app = spawn_app().await;
    let ops = app.ops_token();
    let json_type = [("content-type", "application/json")];

    for broken in [
        r#"{"name": "R", "capacity": 4,"#,
        "",
        "[1, 2",
        r#"{"name":"R","capacity":4,"range":"moon"} {}"#,
    ] {
        app.post_raw("/v1/rockets", Some(&ops), Body::Raw(broken), &json_type)
            .await
            .assert_problem(400, "malformed-request");
    }
    let valid = r#"{"name": "R", "capacity": 4, "range": "moon"}"#;
    app.post_raw(
        "/v1/rockets",
        Some(&ops),
        Body::Raw(valid),
        &[("content-type", "text/plain")],
    )
    .await
    .assert_problem(415, "unsupported-media-type");
    app.post_raw("/v1/rockets", Some(&ops), Body::Raw(valid), &[])
        .await
        .assert_problem(415, "unsupported-media-type");
    assert_eq!(app.event_count().await, 0);
}

#[tokio::test]
async fn registering_without_a_valid_token_is_401() {
    let app = spawn_app().await;
    let body = rocket_body(4, "moon");

    let missing = app
        .post_raw("/v1/rockets", None, Body::Json(&body), &[])
        .await;
    missing.assert_problem(401, "unauthorized");
    let expired = app
        .register_rocket(&app.expired_token(OPERATIONS), &body)
        .await;
    expired.assert_problem(401, "unauthorized");
    assert_eq!(expired.json["detail"], "expired token");
    let foreign = app
        .register_rocket(&app.foreign_token(OPERATIONS), &body)
        .await;
    foreign.assert_problem(401, "unauthorized");
    assert_eq!(foreign.json["detail"], "invalid token");
    app.post_raw(
        "/v1/rockets",
        None,
        Body::Json(&body),
        &[("authorization", "Basic YTpi")],
    )
    .await
    .assert_problem(401, "unauthorized");
    assert_eq!(app.event_count().await, 0);
}

#[tokio::test]
async fn only_operations_employees_register_rockets() {
    let app = spawn_app().await;
    let body = rocket_body(4, "moon");

    for role in [
        Role::Traveler,
        Role::Agency,
        Role::Employee(Department::Finance),
        Role::Employee(Department::It),
    ] {
        let (_, token) = app.token(role);
        app.register_rocket(&token, &body)
            .await
            .assert_problem(403, "forbidden");
    }
    assert_eq!(app.event_count().await, 0);
}

#[tokio::test]
async fn a_token_revoked_by_a_logout_is_refused_and_nothing_is_registered() {
    let app = spawn_app().await;
    let (ops_id, ops) = app.token(OPERATIONS);
    let body = json!({ "name": "Selene V", "capacity": 6, "range": "moon" });
    app.post_json("/v1/rockets", &ops, &body, &[])
        .await
        .assert_status(201);

    testkit::revoke_token(&ops, &app.public_key_hex, ops_id).await;

    crate::helpers::wait_for(
        std::time::Duration::from_secs(10),
        "the revoked token to be refused",
        || async {
            app.post_json("/v1/rockets", &ops, &json!({}), &[])
                .await
                .status
                == 401
        },
    )
    .await;
    let refused = app.post_json("/v1/rockets", &ops, &body, &[]).await;
    refused.assert_problem(401, "unauthorized");
    assert!(refused.text.contains("revoked"), "{}", refused.text);
    let rockets: i64 =
        sqlx::query_scalar("SELECT count(*) FROM events WHERE aggregate_type = 'Rocket'")
            .fetch_one(&app.pool)
            .await
            .expect("counting rockets");
    assert_eq!(rockets, 1, "the refused request registered nothing");
}
