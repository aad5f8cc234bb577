//! `GET /v1/profiles/me`: the caller's profile from the profiles
//! projection (rows written with SQL as the profiles projector writes them).

use std::time::Duration;

use platform::{Department, Role};
use serde_json::json;
use uuid::Uuid;

use crate::finance::spawn_finance_app;

#[tokio::test]
async fn a_traveler_reads_their_own_profile_with_its_version() {
    let app = spawn_finance_app().await;
    let (user_id, token) = app.app.token(Role::Traveler);
    app.traveler(user_id, "Ada Lovelace", "ada@example.com")
        .await;
    app.traveler(Uuid::now_v7(), "Someone Else", "else@example.com")
        .await;

    let response = app.get("/v1/profiles/me", &token).await;
    response.assert_status(200);
    assert_eq!(response.header("cache-control"), Some("private, no-store"));
    assert_eq!(
        response.json,
        json!({
            "user_id": user_id,
            "profile": { "kind": "traveler", "full_name": "Ada Lovelace", "birth_date": "1990-02-28" },
            "version": 0,
        })
    );
}

#[tokio::test]
async fn an_agency_reads_its_legal_data() {
    let app = spawn_finance_app().await;
    let (user_id, token) = app.app.token(Role::Agency);
    app.agency(user_id, "Orbit Travel SARL").await;

    let response = app.get("/v1/profiles/me", &token).await;
    response.assert_status(200);
    let profile = &response.json["profile"];
    assert_eq!(profile["kind"], "agency");
    assert_eq!(profile["legal_name"], "Orbit Travel SARL");
    assert_eq!(profile["address"]["country"], "FR");
    assert!(profile["address"].get("line2").is_none(), "{profile}");
    assert_eq!(profile["contact"]["email"], "jeanne@orbit-travel.example");
}

#[tokio::test]
async fn a_profile_is_read_with_a_token_of_a_traveler_or_an_agency_only() {
    let app = spawn_finance_app().await;
    app.app
        .get("/v1/profiles/me")
        .await
        .assert_problem(401, "unauthorized");
    let (_, employee) = app.app.token(Role::Employee(Department::Finance));
    app.get("/v1/profiles/me", &employee)
        .await
        .assert_problem(403, "forbidden");
}

#[tokio::test]
async fn no_profile_yet_is_404() {
    let app = spawn_finance_app().await;
    let (_, token) = app.app.token(Role::Traveler);
    app.get("/v1/profiles/me", &token)
        .await
        .assert_problem(404, "profile-not-found");
    app.get("/v1/profiles/me?min_version=0", &token)
        .await
        .assert_problem(422, "validation-failed");
}

#[tokio::test]
async fn an_update_is_read_as_soon_as_it_is_projected_when_its_version_is_asked_for() {
    let app = spawn_finance_app().await;
    let (user_id, token) = app.app.token(Role::Traveler);
    app.traveler(user_id, "Ada Lovelace", "ada@example.com")
        .await;

    // What the profiles projector does with the ProfileUpdated of a PUT
    // /v1/profiles/me that answered version 1, a little later.
    let pool = app.pool.clone();
    let projected = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(300)).await;
        sqlx::query(
            "UPDATE travelers SET full_name = 'Ada King', profile_version = 1, updated_at = now()
             WHERE user_id = $1",
        )
        .bind(user_id)
        .execute(&pool)
        .await
        .expect("projecting the update");
    });
    let response = app.get("/v1/profiles/me?min_version=1", &token).await;
    projected.await.unwrap();
    response.assert_status(200);
    assert_eq!(response.json["profile"]["full_name"], "Ada King");
    assert_eq!(response.json["version"], 1);
    assert!(response.header("astro-stale").is_none());

    // A version never projected: what there is, marked stale.
    let response = app.get("/v1/profiles/me?min_version=2", &token).await;
    response.assert_status(200);
    assert_eq!(response.json["version"], 1);
    assert_eq!(response.header("astro-stale"), Some("true"));
}
