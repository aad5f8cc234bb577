//! Every `/v1/ops/*` endpoint is for IT employees only.

use platform::{Department, Role};

use super::spawn_ops_app;
use crate::helpers::OPERATIONS;

const ENDPOINTS: [(&str, &str); 9] = [
    ("GET", "/v1/ops/logs"),
    ("GET", "/v1/ops/logs?follow=true"),
    ("GET", "/v1/ops/notifications"),
    ("GET", "/v1/ops/notifications/summary"),
    (
        "GET",
        "/v1/ops/notifications/0193a0d6-0000-7000-8000-000000000001",
    ),
    (
        "POST",
        "/v1/ops/notifications/0193a0d6-0000-7000-8000-000000000001/retry",
    ),
    ("POST", "/v1/ops/notifications/retry?status=dead"),
    ("GET", "/v1/ops/events"),
    ("GET", "/v1/ops/status"),
];

#[tokio::test]
async fn every_ops_endpoint_is_401_without_a_token_and_403_for_every_role_but_it() {
    let ops = &spawn_ops_app().await;
    let app = &ops.app;
    let tokens: Vec<(Role, String)> = [
        Role::Traveler,
        Role::Agency,
        OPERATIONS,
        Role::Employee(Department::Finance),
    ]
    .into_iter()
    .map(|role| (role, app.token(role).1))
    .collect();
    let expired = app.expired_token(uuid::Uuid::now_v7());

    for (method, path) in ENDPOINTS {
        let send = |token: Option<String>| async move {
            if method == "POST" {
                ops.post(path, token.as_deref()).await
            } else {
                app.get_with(path, token.as_deref(), &[]).await
            }
        };
        let anonymous = send(None).await;
        anonymous.assert_problem(401, "unauthorized");
        send(Some(expired.clone()))
            .await
            .assert_problem(401, "unauthorized");
        send(Some("not-a-token".into()))
            .await
            .assert_problem(401, "unauthorized");
        for (role, token) in &tokens {
            let refused = send(Some(token.clone())).await;
            assert_eq!(
                refused.status, 403,
                "{method} {path} as {role}: {}",
                refused.text
            );
            refused.assert_problem(403, "forbidden");
        }
    }
}

#[tokio::test]
async fn it_employees_are_let_in() {
    let ops = spawn_ops_app().await;

    for (method, path) in ENDPOINTS {
        if path.contains("follow") {
            continue; // a stream: see `logs`
        }
        let response = if method == "POST" {
            ops.post(path, Some(&ops.it)).await
        } else {
            ops.get(path).await
        };
        assert!(
            ![401, 403].contains(&response.status),
            "{method} {path}: {} {}",
            response.status,
            response.text
        );
    }
}

#[tokio::test]
async fn openapi_describes_every_ops_endpoint_with_its_parameters_and_schemas() {
    let ops = spawn_ops_app().await;

    let response = ops.app.get("/openapi.json").await;

    response.assert_status(200);
    let json = &response.json;
    let parameters = |method: &str, path: &str| -> Vec<String> {
        let operation = &json["paths"][path][method];
        assert!(operation.is_object(), "{method} {path} missing");
        assert!(
            operation["responses"]["403"].is_object(),
            "{method} {path}: no 403"
        );
        assert!(
            operation["security"].is_array(),
            "{method} {path}: no security"
        );
        operation["parameters"]
            .as_array()
            .map(|ps| {
                ps.iter()
                    .filter_map(|p| p["name"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    };
    let has_parameters = |method: &str, path: &str, names: &[&str]| {
        let documented = parameters(method, path);
        for name in names {
            assert!(
                documented.iter().any(|p| p == name),
                "{method} {path}: {name} missing"
            );
        }
    };
    has_parameters(
        "get",
        "/v1/ops/logs",
        &[
            "level",
            "min_level",
            "service",
            "q",
            "from",
            "to",
            "correlation_id",
            "request_id",
            "user_id",
            "before",
            "page_size",
            "follow",
        ],
    );
    has_parameters(
        "get",
        "/v1/ops/notifications",
        &[
            "status",
            "recipient",
            "booking_id",
            "event_id",
            "from",
            "to",
            "include",
            "page",
            "page_size",
        ],
    );
    assert!(parameters("get", "/v1/ops/notifications/summary").is_empty());
    assert_eq!(parameters("get", "/v1/ops/notifications/{id}"), ["id"]);
    assert_eq!(
        parameters("post", "/v1/ops/notifications/{id}/retry"),
        ["id"]
    );
    has_parameters(
        "post",
        "/v1/ops/notifications/retry",
        &[
            "status",
            "recipient",
            "booking_id",
            "event_id",
            "from",
            "to",
        ],
    );
    has_parameters(
        "get",
        "/v1/ops/events",
        &[
            "aggregate_type",
            "aggregate_id",
            "event_type",
            "from",
            "to",
            "before_position",
            "after_position",
            "page_size",
        ],
    );
    parameters("get", "/v1/ops/status");
    let schemas = &json["components"]["schemas"];
    for schema in [
        "LogPage",
        "LogEntry",
        "NotificationPage",
        "Notification",
        "Summary",
        "EventPage",
        "StoredEventView",
        "StatusReport",
        "ServiceStatus",
        "JetStreamStatus",
        "ProjectionLag",
    ] {
        assert!(schemas[schema].is_object(), "schema {schema} missing");
    }
}
