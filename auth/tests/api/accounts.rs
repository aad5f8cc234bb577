//! Registration, `/me`, employees and the bootstrap IT account.

use mongodb::bson::doc;
use serde_json::json;

use crate::helpers::*;

#[tokio::test]
async fn a_traveler_registers_logs_in_and_reads_their_account() {
    let app = spawn_app().await;
    let email = email("Ada");
    let registered = app
        .register(&traveler(&format!("  {}  ", email.to_uppercase())))
        .await;
    let user_id = registered.uuid("user_id");
    assert_eq!(registered.json["email"], email.to_lowercase());
    assert_eq!(registered.json["role"], "traveler");
    assert!(!registered.text.contains(PASSWORD));

    let login = app.login(&email, PASSWORD).await;
    login.assert_status(200);
    assert_eq!(login.uuid("user_id"), user_id);
    assert_eq!(login.json["role"], "traveler");
    assert_eq!(login.json["token_type"], "Bearer");
    assert_eq!(login.json["expires_in"], 900);
    assert!(login.json["department"].is_null());
    assert!(login.json["refresh_token"]
        .as_str()
        .is_some_and(|t| t.len() == 43));
    assert!(login.json["expires_at"].is_string() && login.json["refresh_expires_at"].is_string());
    assert_eq!(login.header("cache-control"), Some("no-store"));

    let token = login.json["token"].as_str().unwrap();
    let me = app.get("/v1/auth/me", Some(token)).await;
    me.assert_status(200);
    assert_eq!(me.uuid("user_id"), user_id);
    assert_eq!(me.json["email"], email.to_lowercase());
    assert_eq!(me.json["profile"]["kind"], "traveler");
    assert_eq!(me.json["profile"]["full_name"], "Ada Lovelace");
    assert_eq!(me.json["profile"]["birth_date"], "1985-12-10");
    assert!(me.json["created_at"].is_string());
    assert!(me.json.get("password_hash").is_none());

    // Only an argon2id hash is stored.
    let stored = app
        .database
        .collection::<mongodb::bson::Document>("users")
        .find_one(doc! { "_id": user_id.to_string() })
        .await
        .unwrap()
        .unwrap();
    let hash = stored.get_str("password_hash").unwrap();
    assert!(hash.starts_with("$argon2id$v=19$m=1024,t=1,p=1$"), "{hash}");
    assert!(!hash.contains(PASSWORD));
}

#[tokio::test]
async fn an_agency_registers_with_its_legal_data() {
    let app = spawn_app().await;
    let email = email("orbit");
    app.register(&agency(&email)).await;
    let token = app.token(&email, PASSWORD).await;
    let me = app.get("/v1/auth/me", Some(&token)).await;
    me.assert_status(200);
    assert_eq!(me.json["role"], "agency");
    assert_eq!(me.json["profile"]["legal_name"], "Orbit Travel S.L.");
    assert_eq!(me.json["profile"]["address"]["country"], "ES");
}

#[tokio::test]
async fn an_email_is_taken_in_any_case() {
    let app = spawn_app().await;
    let email = email("grace");
    app.register(&traveler(&email)).await;
    let again = app
        .post(
            "/v1/auth/register",
            &agency(&email.to_uppercase()),
            None,
            &[],
        )
        .await;
    again.assert_problem(409, "email-taken");
}

#[tokio::test]
async fn weak_passwords_and_bad_emails_are_named_field_by_field() {
    let app = spawn_app().await;
    let mut body = traveler("not-an-email");
    body["password"] = json!("short");
    let refused = app.post("/v1/auth/register", &body, None, &[]).await;
    refused.assert_invalid_field("email");
    refused.assert_invalid_field("password");
    assert_eq!(refused.error_code("password").as_deref(), Some("too-short"));

    for (password, code) in [
        ("Password1234", "too-common"),
        ("i-am-lovelace-really", "contains-email"),
        (&*"x".repeat(257), "too-long"),
    ] {
        let mut body = traveler("lovelace@example.com");
        body["password"] = json!(password);
        let refused = app.post("/v1/auth/register", &body, None, &[]).await;
        refused.assert_invalid_field("password");
        assert_eq!(
            refused.error_code("password").as_deref(),
            Some(code),
            "{password}"
        );
    }
}

#[tokio::test]
async fn bad_profiles_and_employee_self_registration_are_refused() {
    let app = spawn_app().await;
    let mut minor = traveler(&email("kid"));
    minor["profile"]["birth_date"] = json!(chrono::Utc::now().date_naive().to_string());
    app.post("/v1/auth/register", &minor, None, &[])
        .await
        .assert_invalid_field("profile.birth_date");

    let employee = json!({ "email": email("sneaky"), "password": PASSWORD,
        "profile": { "kind": "employee", "full_name": "Eve" } });
    app.post("/v1/auth/register", &employee, None, &[])
        .await
        .assert_invalid_field("profile.kind");

    let mut no_name = agency(&email("nameless"));
    no_name["profile"]
        .as_object_mut()
        .unwrap()
        .remove("legal_name");
    app.post("/v1/auth/register", &no_name, None, &[])
        .await
        .assert_problem(422, "validation-failed");

    let malformed = app
        .client
        .post(format!("{}/v1/auth/register", app.address))
        .header("content-type", "application/json")
        .body("{\"email\": ")
        .send()
        .await
        .unwrap();
    ApiResponse::read(malformed)
        .await
        .assert_problem(400, "malformed-request");
}

#[tokio::test]
async fn only_it_creates_employees() {
    let app = spawn_app().await;
    let body = json!({ "email": email("ops"), "password": PASSWORD, "department": "operations", "full_name": "Gene Kranz" });
    app.post("/v1/auth/employees", &body, None, &[])
        .await
        .assert_problem(401, "unauthorized");

    let traveler_email = email("t");
    app.register(&traveler(&traveler_email)).await;
    let traveler_token = app.token(&traveler_email, PASSWORD).await;
    app.post("/v1/auth/employees", &body, Some(&traveler_token), &[])
        .await
        .assert_problem(403, "forbidden");

    let finance = app.employee("finance").await;
    let finance_token = app.token(&finance, PASSWORD).await;
    app.post("/v1/auth/employees", &body, Some(&finance_token), &[])
        .await
        .assert_problem(403, "forbidden");

    let it = app.it_token().await;
    let created = app.post("/v1/auth/employees", &body, Some(&it), &[]).await;
    created.assert_status(201);
    assert_eq!(created.json["role"], "employee");
    assert_eq!(created.json["department"], "operations");
    let login = app.login(body["email"].as_str().unwrap(), PASSWORD).await;
    login.assert_status(200);
    assert_eq!(login.json["department"], "operations");

    let mut bad = body.clone();
    bad["department"] = json!("marketing");
    bad["email"] = json!(email("m"));
    app.post("/v1/auth/employees", &bad, Some(&it), &[])
        .await
        .assert_invalid_field("department");
}

#[tokio::test]
async fn the_bootstrap_it_account_is_created_once() {
    let app = spawn_app().await;
    let login = app.login(IT_EMAIL, IT_PASSWORD).await;
    login.assert_status(200);
    assert_eq!(login.json["role"], "employee");
    assert_eq!(login.json["department"], "it");

    // A second replica (or a restart) finds the IT employee and adds none.
    app.spawn_replica().await;
    let it_employees = app
        .database
        .collection::<mongodb::bson::Document>("users")
        .count_documents(doc! { "role": "employee", "department": "it" })
        .await
        .unwrap();
    assert_eq!(it_employees, 1);
}

#[tokio::test]
async fn without_bootstrap_settings_no_account_is_created() {
    let app = spawn_app_with(|settings| settings.bootstrap = None).await;
    let users = app
        .database
        .collection::<mongodb::bson::Document>("users")
        .count_documents(doc! {})
        .await
        .unwrap();
    assert_eq!(users, 0);
    app.login(IT_EMAIL, IT_PASSWORD)
        .await
        .assert_problem(401, "unauthorized");
}
