//! Operations endpoints and the public key.

use serde_json::json;

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
        "/v1/auth/authorize",
        "/v1/auth/token",
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

/// Each operation documents each status it can answer, by reference to
/// the shared problem responses.
#[tokio::test]
async fn openapi_documents_every_status_each_operation_can_answer() {
    let app = spawn_app().await;

    let document = app.get("/openapi.json", None).await.json;

    let body = ["400", "413", "415", "422", "503"];
    for (path, method, statuses) in [
        ("/v1/auth/register", "post", &[&body[..], &["409"]].concat()),
        (
            "/v1/auth/employees",
            "post",
            &[&body[..], &["401", "403", "409"]].concat(),
        ),
        (
            "/v1/auth/login",
            "post",
            &[&body[..], &["401", "429"]].concat(),
        ),
        ("/v1/auth/refresh", "post", &[&body[..], &["401"]].concat()),
        ("/v1/auth/logout", "post", &[&body[..], &["401"]].concat()),
        ("/v1/auth/me", "get", &vec!["401", "503"]),
        (
            "/v1/auth/authorize",
            "post",
            &[&body[..], &["401"]].concat(),
        ),
        ("/v1/auth/token", "post", &[&body[..], &["401"]].concat()),
    ] {
        let responses = &document["paths"][path][method]["responses"];
        for status in statuses {
            let reference = responses[*status]["$ref"].as_str().unwrap_or_default();
            assert!(
                reference.starts_with("#/components/responses/"),
                "{method} {path} documents {status}: {responses}"
            );
        }
    }
    let login = &document["paths"]["/v1/auth/login"]["post"]["responses"];
    assert_eq!(
        login["429"]["$ref"],
        "#/components/responses/TooManyRequests"
    );
    assert!(
        document["components"]["responses"]["TooManyRequests"]["headers"]["Retry-After"]
            .is_object()
    );
    // Logout's body is optional, as the service treats it (`required`
    // absent means false).
    assert_ne!(
        document["paths"]["/v1/auth/logout"]["post"]["requestBody"]["required"],
        true
    );
    // A refresh needs its token.
    assert_eq!(
        document["components"]["schemas"]["RefreshRequest"]["required"][0],
        "refresh_token"
    );
    let register = &document["components"]["schemas"]["RegisterRequest"]["properties"];
    assert_eq!(register["password"]["minLength"], 12);
    assert_eq!(
        register["profile"]["oneOf"].as_array().map(Vec::len),
        Some(2)
    );
    let employee = &document["components"]["schemas"]["EmployeeRequest"]["properties"];
    assert_eq!(employee["department"]["enum"][2], "it");

    let trace = app
        .client
        .request(
            reqwest::Method::TRACE,
            format!("{}/v1/auth/login", app.address),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(trace.status(), 405);
    assert_eq!(trace.headers()["allow"], "POST");
    let get_logout = app
        .client
        .get(format!("{}/v1/auth/logout", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(get_logout.status(), 405);
}

#[tokio::test]
async fn a_web_app_on_an_allowed_origin_may_call_the_api_and_no_other_origin_may() {
    let app = spawn_app().await;
    testkit::cors::assert_cors(
        &app.client,
        &app.address,
        "/v1/auth/public-key",
        WEB_APP_ORIGIN,
    )
    .await;
}

/// The single sign-on's parameters are documented as strictly as they are
/// checked: a web app's generated client, and schemathesis, rely on it.
#[tokio::test]
async fn openapi_documents_the_code_flow_s_patterns_and_enums() {
    let app = spawn_app().await;
    let document = app.get("/openapi.json", None).await.json;
    let schemas = &document["components"]["schemas"];
    let authorize = &schemas["AuthorizeRequest"]["properties"];
    assert_eq!(
        authorize["code_challenge"]["pattern"],
        "^[A-Za-z0-9_-]{43}$"
    );
    assert_eq!(authorize["code_challenge_method"]["enum"], json!(["S256"]));
    let token = &schemas["TokenRequest"]["properties"];
    assert_eq!(token["grant_type"]["enum"], json!(["authorization_code"]));
    assert_eq!(
        token["code_verifier"]["pattern"],
        "^[A-Za-z0-9._~-]{43,128}$"
    );
    let authorize = &document["paths"]["/v1/auth/authorize"]["post"];
    assert!(authorize["responses"]["201"]["content"].is_object());
    assert!(authorize["security"].is_array(), "Bearer");
    let token = &document["paths"]["/v1/auth/token"]["post"];
    assert_eq!(
        token["responses"]["200"]["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/TokenResponse"
    );
}
