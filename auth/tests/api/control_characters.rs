//! Control characters (Unicode Cc: NUL, TAB, LF, CR, DEL, C1) are refused in
//! every text field of registration, employee creation and login, with a
//! 422 naming the field, and no account is created.

use serde_json::json;

use crate::helpers::{agency, email, spawn_app, traveler, ApiResponse, PASSWORD};

const CONTROLS: [char; 6] = ['\u{0}', '\t', '\n', '\r', '\u{7F}', '\u{9B}'];

fn assert_refused(response: &ApiResponse, field: &str) {
    response.assert_problem(422, "validation-failed");
    response.assert_invalid_field(field);
}

#[tokio::test]
async fn a_registration_with_a_control_character_in_any_field_is_422_naming_it() {
    let app = spawn_app().await;
    let address = email("ada");

    for control in CONTROLS {
        let mut body = traveler(&address);
        body["profile"]["full_name"] = json!(format!("Ada{control}Lovelace"));
        assert_refused(
            &app.post("/v1/auth/register", &body, None, &[]).await,
            "profile.full_name",
        );

        let mut body = traveler(&address);
        body["email"] = json!(format!("{address}{control}"));
        let refused = app.post("/v1/auth/register", &body, None, &[]).await;
        assert_refused(&refused, "email");

        let mut body = traveler(&address);
        body["password"] = json!(format!("{PASSWORD}{control}"));
        let refused = app.post("/v1/auth/register", &body, None, &[]).await;
        assert_refused(&refused, "password");
        assert_eq!(
            refused.error_code("password").as_deref(),
            Some("control-character")
        );

        let mut body = agency(&address);
        body["profile"]["address"]["postal_code"] = json!(format!("28013{control}"));
        assert_refused(
            &app.post("/v1/auth/register", &body, None, &[]).await,
            "profile.address.postal_code",
        );
    }
    // None of them created the account.
    app.login(&address, PASSWORD)
        .await
        .assert_problem(401, "unauthorized");
}

#[tokio::test]
async fn an_employee_with_a_control_character_in_its_name_or_email_is_422_naming_it() {
    let app = spawn_app().await;
    let it = app.it_token().await;
    let address = email("ops");

    let body = json!({ "email": address, "password": PASSWORD, "department": "operations",
        "full_name": "Gene\u{0}Kranz" });
    let refused = app.post("/v1/auth/employees", &body, Some(&it), &[]).await;
    assert_refused(&refused, "full_name");
    assert_eq!(refused.error_fields(), ["full_name"]);

    let body = json!({ "email": format!("{address}\r\n"), "password": PASSWORD,
        "department": "operations", "full_name": "Gene Kranz" });
    assert_refused(
        &app.post("/v1/auth/employees", &body, Some(&it), &[]).await,
        "email",
    );
    app.login(&address, PASSWORD)
        .await
        .assert_problem(401, "unauthorized");
}

#[tokio::test]
async fn a_login_with_a_control_character_in_the_email_is_422_naming_email() {
    let app = spawn_app().await;
    let address = email("ada");
    app.register(&traveler(&address)).await;

    for control in CONTROLS {
        let refused = app.login(&format!("{address}{control}"), PASSWORD).await;
        assert_refused(&refused, "email");
        assert_eq!(
            refused.error_code("email").as_deref(),
            Some("control-character")
        );
    }
    app.login(&address, PASSWORD).await.assert_status(200);
}

#[tokio::test]
async fn the_openapi_document_states_the_rule_as_a_pattern() {
    let app = spawn_app().await;

    let response = app.get("/openapi.json", None).await;

    response.assert_status(200);
    let schemas = &response.json["components"]["schemas"];
    for (schema, field) in [
        ("RegisterRequest", "email"),
        ("RegisterRequest", "password"),
        ("EmployeeRequest", "email"),
        ("EmployeeRequest", "full_name"),
        ("LoginRequest", "email"),
    ] {
        let property = &schemas[schema]["properties"][field];
        let pattern = property["pattern"].as_str().unwrap_or_default();
        assert!(
            refuses_control_characters(pattern),
            "{schema}.{field}: {property}"
        );
    }
}

/// Whether an anchored pattern admits no control character: each negated
/// class leaves them out, and no `.` stands outside a class (the patterns'
/// exactness is platform::openapi's unit tests).
fn refuses_control_characters(pattern: &str) -> bool {
    let controls = "\\u0000-\\u001F\\u007F-\\u009F";
    let anchored = pattern.starts_with('^') && pattern.ends_with('$');
    let negated_ok = pattern.split("[^").skip(1).all(|class| {
        class
            .split(']')
            .next()
            .is_some_and(|c| c.starts_with(controls))
    });
    let mut in_class = false;
    let no_wildcard = pattern.chars().all(|c| {
        match c {
            '[' => in_class = true,
            ']' => in_class = false,
            '.' if !in_class => return false,
            _ => {}
        }
        true
    });
    anchored && negated_ok && no_wildcard
}
