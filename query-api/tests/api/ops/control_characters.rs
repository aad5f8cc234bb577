//! Free-text query parameters of the IT console refuse control characters
//! (Unicode Cc: NUL, TAB, LF, CR, DEL, C1) with a 422 naming the parameter,
//! as every edge does; the OpenAPI document says so with a `pattern`.

use super::{spawn_ops_app, spawn_ops_app_with};

/// NUL, TAB, LF, CR, DEL and a C1 control (CSI), percent-encoded. A
/// trailing TAB or LF is refused too, not trimmed away.
const CONTROLS: [&str; 6] = ["%00", "%09", "%0A", "%0D", "%7F", "%C2%9B"];

#[tokio::test]
async fn log_search_text_and_ids_with_a_control_character_are_422_naming_each() {
    let ops = spawn_ops_app().await;

    for control in CONTROLS {
        for field in ["q", "correlation_id", "request_id"] {
            let response = ops
                .get(&format!("/v1/ops/logs?{field}=timed{control}out"))
                .await;
            response.assert_problem(422, "validation-failed");
            assert_eq!(response.error_fields(), [field], "{}", response.text);
            assert_eq!(
                response.error_code(field).as_deref(),
                Some("control-character")
            );
        }
        ops.get(&format!("/v1/ops/logs?q=timed%20out{control}"))
            .await
            .assert_invalid_field("q");
    }
    ops.get("/v1/ops/logs?q=timed%20out")
        .await
        .assert_status(200);
}

#[tokio::test]
async fn a_notification_recipient_with_a_control_character_is_422_naming_it() {
    let ops = spawn_ops_app().await;

    for control in CONTROLS {
        let response = ops
            .get(&format!(
                "/v1/ops/notifications?recipient=ada%40example.com{control}"
            ))
            .await;
        response.assert_problem(422, "validation-failed");
        assert_eq!(
            response.error_code("recipient").as_deref(),
            Some("control-character")
        );
    }
}

#[tokio::test]
async fn an_event_log_aggregate_id_with_a_control_character_is_422_naming_it() {
    let ops = spawn_ops_app_with(true, |_| {}).await;

    for control in CONTROLS {
        let response = ops
            .get(&format!("/v1/ops/events?aggregate_id=launch{control}"))
            .await;
        response.assert_problem(422, "validation-failed");
        assert_eq!(
            response.error_code("aggregate_id").as_deref(),
            Some("control-character")
        );
    }
}

#[tokio::test]
async fn the_openapi_document_states_the_rule_on_every_free_text_parameter() {
    let ops = spawn_ops_app().await;

    let response = ops.get("/openapi.json").await;

    response.assert_status(200);
    let pattern = serde_json::json!("^[^\\u0000-\\u001F\\u007F-\\u009F]*$");
    for (path, name) in [
        ("/v1/ops/logs", "q"),
        ("/v1/ops/logs", "correlation_id"),
        ("/v1/ops/logs", "request_id"),
        ("/v1/ops/notifications", "recipient"),
        ("/v1/ops/events", "aggregate_id"),
    ] {
        let parameter = response.json["paths"][path]["get"]["parameters"]
            .as_array()
            .and_then(|ps| ps.iter().find(|p| p["name"] == name))
            .unwrap_or_else(|| panic!("{path} has no parameter {name}"));
        assert_eq!(
            parameter["schema"]["pattern"], pattern,
            "{path} {name}: {parameter}"
        );
    }
}
