//! `/openapi.json` says exactly what the API answers: every error status of
//! every operation as the one problem schema, parameters as strict as the
//! validation, the event stream of a followed log and the PDF's bytes; and
//! a method a path does not serve is 405 with `Allow`.

use serde_json::Value;

use crate::helpers::{spawn_app, spawn_app_with};

/// `value`, or what its `$ref` points to in `document`.
fn resolve<'a>(document: &'a Value, value: &'a Value) -> &'a Value {
    match value["$ref"].as_str() {
        Some(reference) => {
            let pointer = reference.trim_start_matches('#');
            document.pointer(pointer).unwrap_or(&Value::Null)
        }
        None => value,
    }
}

/// Every operation of `document`: (method, path, operation).
fn operations(document: &Value) -> Vec<(String, String, &Value)> {
    let mut found = Vec::new();
    for (path, item) in document["paths"].as_object().expect("paths") {
        for (method, operation) in item.as_object().expect("a path item") {
            found.push((method.clone(), path.clone(), operation));
        }
    }
    found
}

/// The schema of the query parameter `name` of `method path`.
fn parameter<'a>(document: &'a Value, method: &str, path: &str, name: &str) -> &'a Value {
    document["paths"][path][method]["parameters"]
        .as_array()
        .and_then(|ps| ps.iter().find(|p| p["name"] == name))
        .map(|p| &p["schema"])
        .unwrap_or_else(|| panic!("{method} {path}: no parameter {name}"))
}

#[tokio::test]
async fn every_error_status_of_every_operation_is_the_one_problem_schema() {
    let app = spawn_app().await;

    let response = app.get("/openapi.json").await;

    response.assert_status(200);
    let document = &response.json;
    let schemas = &document["components"]["schemas"];
    assert_eq!(
        schemas["Problem"]["required"],
        serde_json::json!(["type", "title", "status"])
    );
    assert_eq!(
        schemas["ValidationProblem"]["properties"]["errors"]["items"]["$ref"],
        "#/components/schemas/FieldError"
    );
    let mut errors = 0;
    for (method, path, operation) in operations(document) {
        let responses = operation["responses"].as_object().expect("responses");
        for (status, response) in responses {
            let code: u16 = status.parse().expect("a status");
            // `/ready` answers its JSON report whether ready or not.
            if code < 400 || path == "/ready" {
                continue;
            }
            errors += 1;
            let response = resolve(document, response);
            let content = response["content"].as_object().expect("content");
            assert_eq!(
                content.keys().collect::<Vec<_>>(),
                ["application/problem+json"],
                "{method} {path} {status}"
            );
            let schema = &content["application/problem+json"]["schema"]["$ref"];
            let expected = if code == 422 {
                "#/components/schemas/ValidationProblem"
            } else {
                "#/components/schemas/Problem"
            };
            assert_eq!(schema, expected, "{method} {path} {status}");
            if code == 429 || code == 503 {
                assert!(
                    response["headers"]["Retry-After"].is_object(),
                    "{method} {path} {status}: no Retry-After"
                );
            }
        }
        let has = |status: &str| responses.contains_key(status);
        if operation["security"].is_array() {
            for status in ["401", "403"] {
                assert!(has(status), "{method} {path}: no {status}");
            }
            assert_eq!(
                responses["401"]["$ref"], "#/components/responses/Unauthorized",
                "{method} {path}"
            );
        }
        let takes_query = operation["parameters"]
            .as_array()
            .is_some_and(|ps| ps.iter().any(|p| p["in"] == "query" || p["in"] == "header"));
        if takes_query {
            assert_eq!(
                responses["422"]["$ref"], "#/components/responses/ValidationFailed",
                "{method} {path}"
            );
        }
    }
    assert!(errors > 60, "only {errors} error responses");
}

#[tokio::test]
async fn every_reference_of_the_document_resolves() {
    let app = spawn_app().await;

    let document = app.get("/openapi.json").await.json;

    fn references<'a>(value: &'a Value, found: &mut Vec<&'a str>) {
        match value {
            Value::Object(map) => {
                if let Some(Value::String(reference)) = map.get("$ref") {
                    found.push(reference);
                }
                map.values().for_each(|v| references(v, found));
            }
            Value::Array(items) => items.iter().for_each(|v| references(v, found)),
            _ => {}
        }
    }
    let mut found = Vec::new();
    references(&document, &mut found);
    assert!(found.len() > 100, "{}", found.len());
    for reference in found {
        let pointer = reference.trim_start_matches('#');
        assert!(document.pointer(pointer).is_some(), "dangling {reference}");
    }
}

#[tokio::test]
async fn parameters_are_as_strict_as_their_validation() {
    let app = spawn_app_with(|settings| settings.ops.parked_replay_max = 7).await;

    let document = app.get("/openapi.json").await.json;

    let listing = |name| parameter(&document, "get", "/v1/launches", name);
    let formats: Vec<&Value> = listing("departure_from")["anyOf"]
        .as_array()
        .expect("date-time or date")
        .iter()
        .map(|s| &s["format"])
        .collect();
    assert_eq!(formats, ["date-time", "date"]);
    assert_eq!(
        listing("departure_to")["anyOf"][0]["pattern"],
        "^(19[7-9][0-9]|[2-9][0-9]{3})-"
    );
    assert_eq!(listing("min_free_seats")["maximum"], 1_000_000);
    assert_eq!(listing("page_size")["maximum"], 100);
    assert_eq!(listing("page")["maximum"], 10_000);
    let destination = resolve(&document, listing("destination"));
    assert_eq!(
        destination["enum"],
        serde_json::json!(["suborbital", "low_earth_orbit", "moon", "mars"])
    );
    let sort = resolve(&document, listing("sort"));
    assert_eq!(
        sort["enum"],
        serde_json::json!(["departure_at", "-departure_at", "price", "-price"])
    );
    assert_eq!(listing("all")["type"], "boolean");
    let header = parameter(&document, "get", "/v1/launches", "Astro-Min-Version");
    assert_eq!(header["type"], "string", "not nullable: {header}");
    assert!(header["pattern"].is_string());

    let as_of = parameter(&document, "get", "/v1/invoices", "as_of");
    assert_eq!(as_of["format"], "date-time");
    assert_eq!(
        parameter(&document, "get", "/v1/invoices", "year")["maximum"],
        9999
    );
    let number = parameter(&document, "get", "/v1/invoices/{number}.pdf", "number");
    assert_eq!(number["pattern"], "^(INV|CN)-[0-9]{4}-[0-9]{6,}$");
    assert_eq!(
        parameter(&document, "get", "/v1/ops/logs", "page_size")["maximum"],
        500
    );
    assert!(parameter(&document, "get", "/v1/ops/logs", "level")["pattern"].is_string());
    assert_eq!(
        parameter(&document, "get", "/v1/ops/events", "after_position")["maximum"],
        i64::MAX
    );
    assert_eq!(
        parameter(&document, "get", "/v1/ops/parked", "after_id")["maximum"],
        i64::MAX
    );
    // The configured bound, not the default one.
    assert_eq!(
        parameter(&document, "post", "/v1/ops/parked/replay", "limit")["maximum"],
        7
    );
}

#[tokio::test]
async fn the_fleet_documents_its_parameters_page_and_operations_only_403() {
    let app = spawn_app().await;

    let document = app.get("/openapi.json").await.json;

    let operation = &document["paths"]["/v1/rockets"]["get"];
    assert_eq!(operation["operationId"], "list_rockets");
    let q = parameter(&document, "get", "/v1/rockets", "q");
    assert_eq!(q["maxLength"], 100);
    assert!(q["pattern"].is_string());
    assert_eq!(
        parameter(&document, "get", "/v1/rockets", "page")["maximum"],
        10_000
    );
    assert_eq!(
        parameter(&document, "get", "/v1/rockets", "page_size")["maximum"],
        100
    );
    let responses = &operation["responses"];
    assert_eq!(
        responses["403"]["$ref"],
        "#/components/responses/NotOperations"
    );
    let page = resolve(
        &document,
        &responses["200"]["content"]["application/json"]["schema"],
    );
    let mut required: Vec<&str> = page["required"]
        .as_array()
        .expect("required")
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    required.sort();
    assert_eq!(required, ["items", "page", "page_size", "total"]);
    let rocket = resolve(&document, &page["properties"]["items"]["items"]);
    assert_eq!(
        rocket["properties"]["range"]["enum"],
        serde_json::json!(["suborbital", "low_earth_orbit", "moon", "mars"])
    );
    assert_eq!(rocket["properties"]["registered_at"]["format"], "date-time");
}

#[tokio::test]
async fn the_bulk_retry_declares_exactly_the_parameters_it_accepts() {
    let app = spawn_app().await;

    let document = app.get("/openapi.json").await.json;

    let names = |method: &str, path: &str| -> Vec<String> {
        document["paths"][path][method]["parameters"]
            .as_array()
            .expect("parameters")
            .iter()
            .map(|p| p["name"].as_str().expect("a name").to_owned())
            .collect()
    };
    let list = names("get", "/v1/ops/notifications");
    let retry = names("post", "/v1/ops/notifications/retry");
    assert!(list.contains(&"include".to_owned()));
    assert!(!retry.contains(&"include".to_owned()), "{retry:?}");
    for name in [
        "status",
        "recipient",
        "booking_id",
        "event_id",
        "from",
        "to",
    ] {
        assert!(retry.contains(&name.to_owned()), "{name}");
    }
    // The re-queue takes only the statuses it can re-queue.
    let status = parameter(&document, "post", "/v1/ops/notifications/retry", "status");
    assert_eq!(status["pattern"], "^,*(failed|dead)(,+(failed|dead))*,*$");
}

#[tokio::test]
async fn the_followed_log_and_the_pdf_document_their_media_types() {
    let app = spawn_app().await;

    let document = app.get("/openapi.json").await.json;

    let logs = &document["paths"]["/v1/ops/logs"]["get"]["responses"]["200"]["content"];
    assert_eq!(
        logs["application/json"]["schema"]["$ref"],
        "#/components/schemas/LogPage"
    );
    let event = resolve(&document, &logs["text/event-stream"]["schema"]);
    assert_eq!(
        event["properties"]["event"]["enum"],
        serde_json::json!(["message", "lagged", "gap", "error", "end"])
    );
    assert_eq!(event["required"], serde_json::json!(["event", "data"]));
    let pdf = &document["paths"]["/v1/invoices/{number}.pdf"]["get"]["responses"]["200"]["content"];
    assert_eq!(pdf["application/pdf"]["schema"]["format"], "binary");
    let ops = &document["paths"]["/v1/ops/logs"]["get"]["responses"];
    assert_eq!(
        ops["429"]["$ref"],
        "#/components/responses/TooManyFollowers"
    );
    for path in ["/health", "/ready", "/metrics", "/openapi.json"] {
        assert!(document["paths"][path]["get"].is_object(), "{path}");
    }
}

#[tokio::test]
async fn a_method_a_path_does_not_serve_is_405_with_allow_and_an_unknown_path_404() {
    let app = spawn_app().await;
    let send = |method: &str, path: &str| {
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("a method");
        app.client
            .request(method, format!("{}{path}", app.address))
            .send()
    };

    for (method, path, allow) in [
        ("TRACE", "/v1/launches", "GET"),
        (
            "POST",
            "/v1/launches/0193a0d6-0000-7000-8000-000000000001",
            "GET",
        ),
        ("DELETE", "/health", "GET"),
        ("GET", "/v1/ops/notifications/retry", "POST"),
        ("PUT", "/v1/ops/parked/1", "GET, DELETE"),
        ("TRACE", "/v1/invoices/INV-2026-000001.pdf", "GET"),
    ] {
        let response = send(method, path).await.expect("an answer");
        let response = testkit::ApiResponse::read(response).await;
        response.assert_problem(405, "method-not-allowed");
        assert_eq!(response.header("allow"), Some(allow), "{method} {path}");
    }
    let response = send("TRACE", "/v1/nowhere").await.expect("an answer");
    testkit::ApiResponse::read(response)
        .await
        .assert_problem(404, "not-found");
}
