//! Operations endpoints and the public key.

use crate::helpers::*;

#[tokio::test]
async fn the_service_reports_health_readiness_metrics_and_its_api() {
    let app = spawn_app().await;
    app.get("/health", None).await.assert_status(200);
    let ready = app.get("/ready", None).await;
    ready.assert_status(200);
    assert_eq!(ready.json["mongo"], "up");
    assert_eq!(ready.json["nats"], "up");
    assert_eq!(ready.json["revocations"], "synced");

    let openapi = app.get("/openapi.json", None).await;
    openapi.assert_status(200);
    for path in [
        "/v1/auth/register",
        "/v1/auth/login",
        "/v1/auth/logout",
        "/v1/auth/me",
        "/v1/auth/employees",
        "/v1/auth/refresh",
        "/v1/auth/public-key",
    ] {
        assert!(openapi.json["paths"][path].is_object(), "{path} documented");
    }
    app.login(IT_EMAIL, IT_PASSWORD).await.assert_status(200);
    assert_eq!(
        app.metric("auth_logins_total{outcome=\"success\"}").await,
        Some(1.0)
    );
    assert!(
        app.metric("auth_argon2_seconds_count{operation=\"verify\"}")
            .await
            >= Some(1.0)
    );
    app.get("/nowhere", None)
        .await
        .assert_problem(404, "not-found");
}

#[tokio::test]
async fn the_public_key_verifies_the_tokens() {
    let app = spawn_app().await;
    let key = app.get("/v1/auth/public-key", None).await;
    key.assert_status(200);
    assert_eq!(key.json["algorithm"], "ed25519");
    let public_key = key.json["public_key"].as_str().unwrap();
    assert_eq!(public_key, app.issuer.public_key_hex());
    let verifier = platform::TokenVerifier::from_public_key_hex(public_key).unwrap();
    let token = app.it_token().await;
    let principal = verifier.verify(&token).unwrap();
    assert_eq!(
        principal.role,
        platform::Role::Employee(platform::Department::It)
    );
}
