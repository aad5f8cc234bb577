//! `PUT /v1/profiles/me`: users replace their own profile, event-sourced.

use platform::{Department, Role};
use serde_json::{json, Value};

use crate::helpers::{assert_envelope, spawn_app, Body};

fn agency_profile() -> Value {
    json!({
        "kind": "agency",
        "legal_name": "  Orbit Travel S.L. ",
        "tax_id": "B-12345678",
        "address": { "line1": "Gran Via 1", "city": "Madrid", "postal_code": "28013", "country": "ES" },
        "contact": { "name": "Marta Ruiz", "email": "Marta@Orbit.Example", "phone": "+34 600 000 000" }
    })
}

#[tokio::test]
async fn an_agency_sets_its_profile_and_a_profile_updated_event_is_stored() {
    let app = spawn_app().await;
    let (user_id, token) = app.token(Role::Agency);

    let response = app
        .put(
            "/v1/profiles/me",
            Some(&token),
            Body::Json(&json!({ "profile": agency_profile() })),
        )
        .await;

    response.assert_status(200);
    assert_eq!(response.uuid("user_id"), user_id);
    assert_eq!(response.json["version"], 1);
    assert_eq!(response.json["profile"]["legal_name"], "Orbit Travel S.L.");
    assert_eq!(
        response.json["profile"]["contact"]["email"],
        "marta@orbit.example"
    );
    let events = app.events_of(user_id).await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].aggregate_type, "Profile");
    assert_eq!(events[0].event_type, "ProfileUpdated");
    assert_eq!(events[0].data()["profile"], response.json["profile"]);
    assert_eq!(events[0].data()["user_id"], user_id.to_string());
    // Without an X-Correlation-Id, the request id correlates.
    let correlation = response.request_id().to_owned();
    assert_envelope(&events[0], &response, &correlation, user_id, "agency");
}

#[tokio::test]
async fn setting_the_same_profile_again_stores_nothing_and_a_change_is_version_2() {
    let app = spawn_app().await;
    let (user_id, token) = app.token(Role::Traveler);
    let body = json!({ "profile": { "kind": "traveler", "full_name": "Ada Lovelace", "birth_date": "1990-12-10" } });

    app.put("/v1/profiles/me", Some(&token), Body::Json(&body))
        .await
        .assert_status(200);
    let again = app
        .put("/v1/profiles/me", Some(&token), Body::Json(&body))
        .await;
    again.assert_status(200);
    assert_eq!(again.json["version"], 1);
    assert_eq!(app.events_of(user_id).await.len(), 1);

    let changed = json!({ "profile": { "kind": "traveler", "full_name": "Ada King", "birth_date": "1990-12-10" } });
    let response = app
        .put("/v1/profiles/me", Some(&token), Body::Json(&changed))
        .await;
    response.assert_status(200);
    assert_eq!(response.json["version"], 2);
    assert_eq!(response.json["profile"]["full_name"], "Ada King");
}

#[tokio::test]
async fn an_employee_sets_a_name_only() {
    let app = spawn_app().await;
    let (_, token) = app.token(Role::Employee(Department::Finance));
    let response = app
        .put(
            "/v1/profiles/me",
            Some(&token),
            Body::Json(&json!({ "profile": { "kind": "employee", "full_name": "Grace Hopper" } })),
        )
        .await;
    response.assert_status(200);
    assert_eq!(response.json["profile"]["kind"], "employee");
}

#[tokio::test]
async fn a_profile_of_another_kind_is_422_naming_profile_kind() {
    let app = spawn_app().await;
    let (user_id, token) = app.token(Role::Traveler);
    let response = app
        .put(
            "/v1/profiles/me",
            Some(&token),
            Body::Json(&json!({ "profile": agency_profile() })),
        )
        .await;
    response.assert_problem(422, "validation-failed");
    assert_eq!(response.json["errors"][0]["field"], "profile.kind");
    assert!(app.events_of(user_id).await.is_empty());
}

#[tokio::test]
async fn every_invalid_field_is_named_at_once() {
    let app = spawn_app().await;
    let (user_id, token) = app.token(Role::Agency);
    let mut profile = agency_profile();
    profile["legal_name"] = json!("");
    profile["address"]["country"] = json!("Spain");
    profile["contact"]["email"] = json!("not-an-email");
    let response = app
        .put(
            "/v1/profiles/me",
            Some(&token),
            Body::Json(&json!({ "profile": profile })),
        )
        .await;
    response.assert_problem(422, "validation-failed");
    let fields: Vec<&str> = response.json["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| e["field"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(
        fields,
        [
            "profile.legal_name",
            "profile.address.country",
            "profile.contact.email"
        ]
    );
    let (_, traveler) = app.token(Role::Traveler);
    let minor = json!({ "profile": { "kind": "traveler", "full_name": "Kid", "birth_date": "2020-01-01" } });
    let response = app
        .put("/v1/profiles/me", Some(&traveler), Body::Json(&minor))
        .await;
    response.assert_problem(422, "validation-failed");
    assert_eq!(response.json["errors"][0]["field"], "profile.birth_date");
    assert!(app.events_of(user_id).await.is_empty());
}

#[tokio::test]
async fn malformed_or_unknown_bodies_are_refused() {
    let app = spawn_app().await;
    let (_, token) = app.token(Role::Traveler);
    let broken = app
        .put("/v1/profiles/me", Some(&token), Body::Raw("{\"profile\":"))
        .await;
    assert_eq!(broken.status, 400, "{}", broken.text);
    let unknown_kind = app
        .put(
            "/v1/profiles/me",
            Some(&token),
            Body::Json(&json!({ "profile": { "kind": "pilot", "full_name": "X" } })),
        )
        .await;
    assert!(
        [400, 422].contains(&unknown_kind.status),
        "{}",
        unknown_kind.text
    );
    let extra = app
        .put(
            "/v1/profiles/me",
            Some(&token),
            Body::Json(&json!({ "profile": { "kind": "traveler", "full_name": "A", "birth_date": "1990-01-01" }, "role": "employee" })),
        )
        .await;
    assert!([400, 422].contains(&extra.status), "{}", extra.text);
}

#[tokio::test]
async fn a_profile_needs_a_valid_token() {
    let app = spawn_app().await;
    let body = json!({ "profile": { "kind": "traveler", "full_name": "Ada", "birth_date": "1990-12-10" } });
    app.put("/v1/profiles/me", None, Body::Json(&body))
        .await
        .assert_problem(401, "unauthorized");
    let expired = app.expired_token(Role::Traveler);
    app.put("/v1/profiles/me", Some(&expired), Body::Json(&body))
        .await
        .assert_problem(401, "unauthorized");
    let foreign = app.foreign_token(Role::Traveler);
    app.put("/v1/profiles/me", Some(&foreign), Body::Json(&body))
        .await
        .assert_problem(401, "unauthorized");
}
