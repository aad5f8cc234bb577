//! Access tokens (tampered, expired, revoked) and refresh tokens.

use std::time::{Duration, SystemTime};

use platform::{Principal, Role};
use serde_json::json;

use crate::helpers::*;

#[tokio::test]
async fn a_tampered_or_expired_token_is_refused() {
    let app = spawn_app().await;
    let email = email("ada");
    let user_id = app.register(&traveler(&email)).await.uuid("user_id");
    let token = app.token(&email, PASSWORD).await;

    let mut tampered = token.clone().into_bytes();
    let middle = tampered.len() / 2;
    tampered[middle] = if tampered[middle] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(tampered).unwrap();
    app.get("/v1/auth/me", Some(&tampered))
        .await
        .assert_problem(401, "unauthorized");

    let expired = app.issuer.issue_expiring_at(
        &Principal {
            user_id,
            role: Role::Traveler,
        },
        SystemTime::now() - Duration::from_secs(1),
    );
    let refused = app.get("/v1/auth/me", Some(&expired)).await;
    refused.assert_problem(401, "unauthorized");
    assert!(refused.text.contains("expired"), "{}", refused.text);

    app.get("/v1/auth/me", None)
        .await
        .assert_problem(401, "unauthorized");
    app.get("/v1/auth/me", Some(&token))
        .await
        .assert_status(200);
}

#[tokio::test]
async fn a_logged_out_token_is_refused_by_every_replica() {
    let app = spawn_app().await;
    let replica = app.spawn_replica().await;
    let email = email("ada");
    app.register(&traveler(&email)).await;
    let login = app.login(&email, PASSWORD).await;
    login.assert_status(200);
    let token = login.json["token"].as_str().unwrap();
    let refresh_token = login.json["refresh_token"].as_str().unwrap();
    // Verified (and cached) by the replica first.
    app.get_at(&replica, "/v1/auth/me", Some(token))
        .await
        .assert_status(200);

    app.post(
        "/v1/auth/logout",
        &json!({ "refresh_token": refresh_token }),
        Some(token),
        &[],
    )
    .await
    .assert_status(204);

    app.get("/v1/auth/me", Some(token))
        .await
        .assert_problem(401, "unauthorized");
    wait_for(
        Duration::from_secs(10),
        "the replica to learn of the revocation",
        || async {
            app.get_at(&replica, "/v1/auth/me", Some(token))
                .await
                .status
                == 401
        },
    )
    .await;
    // The refresh token's family is gone too.
    app.post(
        "/v1/auth/refresh",
        &json!({ "refresh_token": refresh_token }),
        None,
        &[],
    )
    .await
    .assert_problem(401, "unauthorized");
    // Another session of the same user is untouched.
    let other = app.token(&email, PASSWORD).await;
    app.get("/v1/auth/me", Some(&other))
        .await
        .assert_status(200);
    // Logging out needs a valid token.
    app.post("/v1/auth/logout", &json!({}), Some(token), &[])
        .await
        .assert_problem(401, "unauthorized");
}

#[tokio::test]
async fn a_refresh_token_rotates_and_its_reuse_revokes_the_family() {
    let app = spawn_app().await;
    let email = email("ada");
    let user_id = app.register(&traveler(&email)).await.uuid("user_id");
    let first = app.login(&email, PASSWORD).await;
    let r1 = first.json["refresh_token"].as_str().unwrap().to_owned();

    let second = app
        .post(
            "/v1/auth/refresh",
            &json!({ "refresh_token": r1 }),
            None,
            &[],
        )
        .await;
    second.assert_status(200);
    assert_eq!(second.uuid("user_id"), user_id);
    let r2 = second.json["refresh_token"].as_str().unwrap().to_owned();
    assert_ne!(r1, r2);
    let token = second.json["token"].as_str().unwrap();
    app.get("/v1/auth/me", Some(token)).await.assert_status(200);

    // r1 again: someone kept a copy. The whole family goes.
    app.post(
        "/v1/auth/refresh",
        &json!({ "refresh_token": r1 }),
        None,
        &[],
    )
    .await
    .assert_problem(401, "unauthorized");
    app.post(
        "/v1/auth/refresh",
        &json!({ "refresh_token": r2 }),
        None,
        &[],
    )
    .await
    .assert_problem(401, "unauthorized");

    app.post(
        "/v1/auth/refresh",
        &json!({ "refresh_token": "made-up" }),
        None,
        &[],
    )
    .await
    .assert_problem(401, "unauthorized");
    app.post("/v1/auth/refresh", &json!({}), None, &[])
        .await
        .assert_invalid_field("refresh_token");
    // Only digests are stored.
    let stored = app
        .database
        .collection::<mongodb::bson::Document>("refresh_tokens")
        .find_one(mongodb::bson::doc! { "_id": &r2 })
        .await
        .unwrap();
    assert!(stored.is_none());
}

/// The logout contract: the body is optional; when there is one it is JSON.
#[tokio::test]
async fn logout_takes_no_body_an_empty_one_or_json_and_refuses_anything_else() {
    let app = spawn_app().await;
    let email = email("ada");
    app.register(&traveler(&email)).await;
    let logout = |token: String, content_type: Option<&'static str>, body: &'static str| {
        let mut request = app
            .client
            .post(format!("{}/v1/auth/logout", app.address))
            .bearer_auth(token)
            .body(body);
        if let Some(content_type) = content_type {
            request = request.header("content-type", content_type);
        }
        async move { ApiResponse::read(request.send().await.unwrap()).await }
    };

    let token = app.token(&email, PASSWORD).await;
    logout(token, None, "").await.assert_status(204);
    let token = app.token(&email, PASSWORD).await;
    logout(token, Some("application/json"), "{}")
        .await
        .assert_status(204);

    let token = app.token(&email, PASSWORD).await;
    logout(token.clone(), Some("text/plain"), "refresh")
        .await
        .assert_problem(415, "unsupported-media-type");
    logout(
        token.clone(),
        Some("application/json"),
        "{\"refresh_token\": ",
    )
    .await
    .assert_problem(400, "malformed-request");
    logout(
        token.clone(),
        Some("application/json"),
        "{\"refresh_token\": 7}",
    )
    .await
    .assert_problem(422, "validation-failed");
    // None of those revoked the token.
    app.get("/v1/auth/me", Some(&token))
        .await
        .assert_status(200);
}
