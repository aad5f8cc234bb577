//! Control characters (Unicode Cc: NUL, TAB, LF, CR, DEL, C1) are refused in
//! every text field of every command, with a 422 naming the field, and
//! nothing is stored. A NUL that got into an event once stopped the finance
//! projector for ever (PostgreSQL cannot hold it in `text`).

use chrono::{Duration, Utc};
use platform::Role;
use serde_json::{json, Value};

use crate::helpers::{launch_body, spawn_app, Body, TestApp, PRICE_CENTS};

/// The control characters each field is tried with: NUL, TAB, LF, CR, DEL
/// and a C1 control (CSI).
const CONTROLS: [char; 6] = ['\u{0}', '\t', '\n', '\r', '\u{7F}', '\u{9B}'];

/// Asserts a 422 whose `errors` name `field` with the rule's code.
fn assert_refused(response: &testkit::ApiResponse, field: &str, code: &str) {
    response.assert_problem(422, "validation-failed");
    response.assert_invalid_field(field);
    assert_eq!(
        response.error_code(field).as_deref(),
        Some(code),
        "{}",
        response.text
    );
}

async fn events_stored(app: &TestApp) -> i64 {
    app.event_count().await
}

#[tokio::test]
async fn a_rocket_name_with_a_control_character_is_422_naming_name() {
    let app = spawn_app().await;
    let ops = app.ops_token();

    for control in CONTROLS {
        for name in [format!("Selene{control}IV"), format!("Selene IV{control}")] {
            let response = app
                .register_rocket(
                    &ops,
                    &json!({ "name": name, "capacity": 4, "range": "moon" }),
                )
                .await;
            assert_refused(&response, "name", "control-character");
        }
    }
    assert_eq!(events_stored(&app).await, 0);
}

#[tokio::test]
async fn a_spaceport_with_a_control_character_is_422_naming_spaceport() {
    let app = spawn_app().await;
    let rocket_id = app.new_rocket(4, "moon").await;
    let before = events_stored(&app).await;
    let departure = Utc::now() + Duration::days(400);

    for control in CONTROLS {
        let mut body = launch_body(rocket_id, departure, PRICE_CENTS);
        body["spaceport"] = json!(format!("Kou{control}rou"));
        let response = app.schedule_launch(&app.ops_token(), &body).await;
        assert_refused(&response, "spaceport", "control-character");
    }
    assert_eq!(events_stored(&app).await, before);
}

#[tokio::test]
async fn a_delay_or_abort_reason_with_a_control_character_is_422_naming_reason() {
    let app = spawn_app().await;
    let launch = app.scheduled_launch(4, Duration::days(400)).await;
    let before = events_stored(&app).await;
    let later = (launch.departure_at + Duration::days(7)).to_rfc3339();

    for control in CONTROLS {
        let reason = format!("weather{control}");
        let delay = json!({ "new_departure_at": later, "reason": reason });
        let response = app
            .launch_action(&launch.ops_token, launch.id, "delay", Some(&delay))
            .await;
        assert_refused(&response, "reason", "control-character");
        let abort = json!({ "reason": reason });
        let response = app
            .launch_action(&launch.ops_token, launch.id, "abort", Some(&abort))
            .await;
        assert_refused(&response, "reason", "control-character");
    }
    assert_eq!(events_stored(&app).await, before);
}

#[tokio::test]
async fn a_passenger_name_with_a_nul_is_422_naming_the_passenger_and_books_nothing() {
    let app = spawn_app().await;
    let launch = app.scheduled_launch(6, Duration::days(400)).await;
    let (_, traveler) = app.token(Role::Traveler);
    let before = events_stored(&app).await;

    // The reported case: a NUL inside the second passenger's name.
    let body = json!({ "passengers": [
        { "name": "Ada Lovelace", "birth_date": "1990-06-15" },
        { "name": "Grace\u{0}Hopper", "birth_date": "1990-06-15" },
    ]});
    let response = app.book_with(&traveler, launch.id, &body, &[]).await;
    assert_refused(&response, "passengers[1].name", "control-character");
    assert_eq!(response.error_fields(), ["passengers[1].name"]);

    for control in CONTROLS {
        let body = json!({ "passengers": [
            { "name": format!("Ada{control}"), "birth_date": "1990-06-15" },
        ]});
        let response = app.book_with(&traveler, launch.id, &body, &[]).await;
        assert_refused(&response, "passengers[0].name", "control-character");
    }
    assert_eq!(events_stored(&app).await, before);
}

#[tokio::test]
async fn a_passenger_email_with_a_control_character_is_422_naming_the_email() {
    let app = spawn_app().await;
    let launch = app.scheduled_launch(6, Duration::days(400)).await;
    let (_, agency) = app.token(Role::Agency);
    let before = events_stored(&app).await;

    for email in [
        "ada\u{0}@example.org",
        // A header injection attempt: CR LF then another header.
        "ada@example.org\r\nBcc: all@example.org",
        "ada@example.org\u{85}",
    ] {
        let body = json!({ "passengers": [
            { "name": "Ada Lovelace", "birth_date": "1990-06-15", "email": email },
        ]});
        let response = app.book_with(&agency, launch.id, &body, &[]).await;
        assert_refused(&response, "passengers[0].email", "control-character");
    }
    assert_eq!(events_stored(&app).await, before);
}

#[tokio::test]
async fn a_profile_with_a_control_character_in_any_text_field_is_422_naming_it() {
    let app = spawn_app().await;
    let (traveler_id, traveler) = app.token(Role::Traveler);
    let body = json!({ "profile": {
        "kind": "traveler", "full_name": "Ada\u{0}Lovelace", "birth_date": "1990-12-10",
    }});
    let response = app
        .put("/v1/profiles/me", Some(&traveler), Body::Json(&body))
        .await;
    response.assert_problem(422, "validation-failed");
    assert_eq!(response.error_fields(), ["profile.full_name"]);
    assert!(app.events_of(traveler_id).await.is_empty());

    let (agency_id, agency) = app.token(Role::Agency);
    let agency_profile = |postal_code: &str, line2: &str| -> Value {
        json!({ "profile": {
            "kind": "agency",
            "legal_name": "Orbit Travel S.L.",
            "tax_id": "B-12345678",
            "address": { "line1": "Gran Via 1", "line2": line2, "city": "Madrid",
                         "postal_code": postal_code, "country": "ES" },
            "contact": { "name": "Marta Ruiz", "email": "marta@orbit.example", "phone": "+34 600 000 000" },
        }})
    };
    let response = app
        .put(
            "/v1/profiles/me",
            Some(&agency),
            Body::Json(&agency_profile("28013\u{0}", "Floor\t2")),
        )
        .await;
    response.assert_problem(422, "validation-failed");
    assert_eq!(
        response.error_fields(),
        ["profile.address.line2", "profile.address.postal_code"]
    );
    assert!(app.events_of(agency_id).await.is_empty());
    // The same profile without them is fine.
    app.put(
        "/v1/profiles/me",
        Some(&agency),
        Body::Json(&agency_profile("28013", "Floor 2")),
    )
    .await
    .assert_status(200);
}

#[tokio::test]
async fn the_openapi_document_states_the_rule_as_a_pattern_on_every_text_field() {
    let app = spawn_app().await;

    let response = app.get("/openapi.json").await;

    response.assert_status(200);
    let schemas = &response.json["components"]["schemas"];
    // Every class of the pattern leaves the control characters out (the
    // patterns' exactness is platform::openapi's unit tests).
    let controls = "\\u0000-\\u001F\\u007F-\\u009F";
    for (schema, field) in [
        ("RegisterRocket", "name"),
        ("ScheduleLaunch", "spaceport"),
        ("DelayLaunch", "reason"),
        ("AbortLaunch", "reason"),
        ("PassengerRequest", "name"),
        ("PassengerRequest", "email"),
    ] {
        let property = &schemas[schema]["properties"][field];
        let pattern = property["pattern"].as_str().unwrap_or_default();
        assert!(
            pattern.starts_with('^') && pattern.ends_with('$') && pattern.contains(controls),
            "{schema}.{field}: {property}"
        );
        let description = property["description"].as_str().unwrap_or_default();
        assert!(
            description.contains("no control characters"),
            "{schema}.{field}: {description}"
        );
    }
}
