//! Single sign-on: the authorization code flow with PKCE
//! (`POST /v1/auth/authorize`, `POST /v1/auth/token`).

use std::time::Duration;

use auth::sso::{challenge_of, COLLECTION};
use bson::doc;
use serde_json::{json, Value};

use crate::helpers::*;

const CLIENT: &str = "sales";
const REDIRECT: &str = "http://127.0.0.1:4200/auth/callback";
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const INVALID_CODE: &str = "the authorization code is invalid, expired or already used";

fn authorize_body() -> Value {
    json!({
        "client_id": CLIENT,
        "redirect_uri": REDIRECT,
        "code_challenge": challenge_of(VERIFIER),
        "code_challenge_method": "S256",
    })
}

fn token_body(code: &str) -> Value {
    json!({
        "grant_type": "authorization_code",
        "code": code,
        "code_verifier": VERIFIER,
        "client_id": CLIENT,
        "redirect_uri": REDIRECT,
    })
}

impl TestApp {
    /// A traveler's access token (a fresh account).
    async fn traveler_token(&self) -> String {
        let email = email("sso");
        self.register(&traveler(&email)).await;
        self.token(&email, PASSWORD).await
    }

    /// `POST /v1/auth/authorize` with `body` as the holder of `token`.
    async fn authorize(&self, token: Option<&str>, body: &Value) -> ApiResponse {
        self.post("/v1/auth/authorize", body, token, &[]).await
    }

    /// A code for the default client, redirect URI and challenge.
    async fn code(&self, token: &str) -> String {
        let response = self.authorize(Some(token), &authorize_body()).await;
        response.assert_status(201);
        response.json["code"].as_str().expect("a code").to_owned()
    }

    /// `POST /v1/auth/token` with `body`.
    async fn exchange(&self, body: &Value) -> ApiResponse {
        self.post("/v1/auth/token", body, None, &[]).await
    }
}

#[track_caller]
fn assert_invalid_code(response: &ApiResponse) {
    response.assert_problem(401, "unauthorized");
    assert_eq!(response.json["detail"], INVALID_CODE, "{}", response.text);
}

#[track_caller]
fn assert_field(response: &ApiResponse, field: &str) {
    response.assert_problem(422, "validation-failed");
    let fields: Vec<&str> = response.json["errors"]
        .as_array()
        .expect("an errors list")
        .iter()
        .filter_map(|e| e["field"].as_str())
        .collect();
    assert_eq!(fields, [field], "{}", response.text);
}

#[tokio::test]
async fn a_signed_in_user_s_code_buys_the_web_app_a_session_of_its_own() {
    let app = spawn_app().await;
    let auth_app_token = app.traveler_token().await;
    let me = app.get("/v1/auth/me", Some(&auth_app_token)).await;

    let issued = app
        .authorize(Some(&auth_app_token), &authorize_body())
        .await;
    issued.assert_status(201);
    assert_eq!(issued.header("cache-control"), Some("no-store"));
    let code = issued.json["code"].as_str().unwrap().to_owned();
    assert_eq!(code.len(), 43, "32 random bytes in base64url");
    let expires_at: chrono::DateTime<chrono::Utc> =
        issued.json["expires_at"].as_str().unwrap().parse().unwrap();
    let ttl = expires_at - chrono::Utc::now();
    assert!(ttl <= chrono::Duration::seconds(60) && ttl > chrono::Duration::seconds(50));

    // Only the code's SHA-256 is stored, with what it was issued for.
    let stored = app
        .database
        .collection::<bson::Document>(COLLECTION)
        .find_one(doc! {})
        .await
        .unwrap()
        .expect("the stored code");
    let text = stored.to_string();
    assert!(!text.contains(&code), "the code itself is stored: {text}");
    assert_eq!(stored.get_str("client_id").unwrap(), CLIENT);
    assert_eq!(stored.get_str("redirect_uri").unwrap(), REDIRECT);
    assert_eq!(
        stored.get_str("user_id").unwrap(),
        me.json["user_id"].as_str().unwrap()
    );

    let session = app.exchange(&token_body(&code)).await;
    session.assert_status(200);
    assert_eq!(session.header("cache-control"), Some("no-store"));
    assert_eq!(session.json["token_type"], "Bearer");
    assert_eq!(session.json["role"], "traveler");
    assert_eq!(session.json["user_id"], me.json["user_id"]);
    let token = session.json["token"].as_str().unwrap();
    assert_ne!(token, auth_app_token, "the web app's own token");
    let own = app.get("/v1/auth/me", Some(token)).await;
    own.assert_status(200);
    assert_eq!(own.json["user_id"], me.json["user_id"]);

    // A session like a login's: its refresh token rotates.
    let refreshed = app
        .post(
            "/v1/auth/refresh",
            &json!({ "refresh_token": session.json["refresh_token"] }),
            None,
            &[],
        )
        .await;
    refreshed.assert_status(200);
}

#[tokio::test]
async fn an_employee_signs_in_to_the_it_console_the_same_way() {
    let app = spawn_app().await;
    let it = app.it_token().await;
    let body = json!({
        "client_id": "ops",
        "redirect_uri": "http://localhost:4202/auth/callback",
        "code_challenge": challenge_of(VERIFIER),
        "code_challenge_method": "S256",
    });
    let issued = app.authorize(Some(&it), &body).await;
    issued.assert_status(201);
    let mut exchange = token_body(issued.json["code"].as_str().unwrap());
    exchange["client_id"] = json!("ops");
    exchange["redirect_uri"] = json!("http://localhost:4202/auth/callback");
    let session = app.exchange(&exchange).await;
    session.assert_status(200);
    assert_eq!(session.json["role"], "employee");
    assert_eq!(session.json["department"], "it");
}

#[tokio::test]
async fn a_code_is_asked_for_with_a_valid_token_only() {
    let app = spawn_app().await;
    app.authorize(None, &authorize_body())
        .await
        .assert_problem(401, "unauthorized");
    app.authorize(Some("not-a-token"), &authorize_body())
        .await
        .assert_problem(401, "unauthorized");

    let token = app.traveler_token().await;
    app.post("/v1/auth/logout", &json!({}), Some(&token), &[])
        .await
        .assert_status(204);
    app.authorize(Some(&token), &authorize_body())
        .await
        .assert_problem(401, "unauthorized");
}

#[tokio::test]
async fn an_authorize_request_names_each_field_it_refuses() {
    let app = spawn_app().await;
    let token = app.traveler_token().await;
    let with = |field: &str, value: Value| {
        let mut body = authorize_body();
        body[field] = value;
        body
    };
    for (body, field) in [
        (with("client_id", json!("mallory")), "client_id"),
        (
            with("redirect_uri", json!("https://evil.example.com/cb")),
            "redirect_uri",
        ),
        // Exact match: a trailing slash, another host name or a query is
        // another URI.
        (
            with("redirect_uri", json!(format!("{REDIRECT}/"))),
            "redirect_uri",
        ),
        (
            with("redirect_uri", json!(format!("{REDIRECT}?next=/"))),
            "redirect_uri",
        ),
        // ops's redirect URI is not sales's.
        (
            with("redirect_uri", json!("http://127.0.0.1:4202/auth/callback")),
            "redirect_uri",
        ),
        (
            with("code_challenge_method", json!("plain")),
            "code_challenge_method",
        ),
        (
            with("code_challenge", json!(&challenge_of(VERIFIER)[..42])),
            "code_challenge",
        ),
        (
            with(
                "code_challenge",
                json!(format!("{}=", &challenge_of(VERIFIER)[..42])),
            ),
            "code_challenge",
        ),
        (
            with("code_challenge", json!(VERIFIER.replace('-', "+"))),
            "code_challenge",
        ),
    ] {
        let response = app.authorize(Some(&token), &body).await;
        assert_field(&response, field);
    }
    let missing = app
        .authorize(Some(&token), &json!({ "client_id": CLIENT }))
        .await;
    missing.assert_problem(422, "validation-failed");
    let stored = app
        .database
        .collection::<bson::Document>(COLLECTION)
        .count_documents(doc! {})
        .await
        .unwrap();
    assert_eq!(stored, 0, "no code for a refused request");
}

#[tokio::test]
async fn a_code_is_spent_by_its_first_exchange_whatever_the_outcome() {
    let app = spawn_app().await;
    let token = app.traveler_token().await;

    // Used once: the second exchange is refused.
    let code = app.code(&token).await;
    app.exchange(&token_body(&code)).await.assert_status(200);
    assert_invalid_code(&app.exchange(&token_body(&code)).await);

    // A wrong verifier spends the code: the right one is refused after.
    let code = app.code(&token).await;
    let mut wrong = token_body(&code);
    wrong["code_verifier"] = json!("x".repeat(43));
    assert_invalid_code(&app.exchange(&wrong).await);
    assert_invalid_code(&app.exchange(&token_body(&code)).await);

    // Another client, or another redirect URI than the code's.
    let code = app.code(&token).await;
    let mut other = token_body(&code);
    other["client_id"] = json!("ops");
    assert_invalid_code(&app.exchange(&other).await);
    assert_invalid_code(&app.exchange(&token_body(&code)).await);
    let code = app.code(&token).await;
    let mut other = token_body(&code);
    other["redirect_uri"] = json!("http://localhost:4200/auth/callback");
    assert_invalid_code(&app.exchange(&other).await);

    // A code never issued.
    assert_invalid_code(&app.exchange(&token_body(&"A".repeat(43))).await);
    assert_invalid_code(&app.exchange(&token_body("")).await);
}

#[tokio::test]
async fn a_token_request_names_each_field_it_refuses_without_spending_the_code() {
    let app = spawn_app().await;
    let token = app.traveler_token().await;
    let code = app.code(&token).await;
    let with = |field: &str, value: Value| {
        let mut body = token_body(&code);
        body[field] = value;
        body
    };
    for (body, field) in [
        (with("grant_type", json!("refresh_token")), "grant_type"),
        (with("grant_type", json!("password")), "grant_type"),
        (
            with("code_verifier", json!("a".repeat(42))),
            "code_verifier",
        ),
        (
            with("code_verifier", json!("a".repeat(129))),
            "code_verifier",
        ),
        (
            with("code_verifier", json!(format!("{}+/", "a".repeat(43)))),
            "code_verifier",
        ),
    ] {
        assert_field(&app.exchange(&body).await, field);
    }
    app.exchange(&json!({ "code": code }))
        .await
        .assert_problem(422, "validation-failed");
    // Refused before the code was looked at: it still works.
    app.exchange(&token_body(&code)).await.assert_status(200);
}

#[tokio::test]
async fn of_two_concurrent_exchanges_of_one_code_exactly_one_gets_a_session() {
    let app = spawn_app().await;
    let token = app.traveler_token().await;
    for _ in 0..5 {
        let code = app.code(&token).await;
        let body = token_body(&code);
        let (first, second) = tokio::join!(app.exchange(&body), app.exchange(&body));
        let mut statuses = [first.status, second.status];
        statuses.sort_unstable();
        assert_eq!(statuses, [200, 401], "{} / {}", first.text, second.text);
    }
}

#[tokio::test]
async fn an_expired_code_is_refused_before_the_ttl_index_deletes_it() {
    let app = spawn_app_with(|settings| settings.code_ttl = Duration::from_secs(1)).await;
    let token = app.traveler_token().await;
    let code = app.code(&token).await;
    let codes = app.database.collection::<bson::Document>(COLLECTION);
    // Wait for the expiry itself (MongoDB's TTL monitor runs about once a
    // minute, so the document is still there).
    wait_for(Duration::from_secs(10), "the code to expire", || {
        let codes = codes.clone();
        async move {
            codes
                .find_one(doc! {})
                .await
                .unwrap()
                .and_then(|d| d.get_datetime("expires_at").ok().copied())
                .is_some_and(|at| at < bson::DateTime::now())
        }
    })
    .await;
    assert_invalid_code(&app.exchange(&token_body(&code)).await);
}
