//! The bodies of the auth service's register, login and employee
//! requests, through the path its routes take: `platform::http::parse_json`
//! into the request type (what `JsonBody` does), then the route's checks.
//!
//! Input: the first byte picks the request, the rest is the body.
//! Invariants: nothing panics; a body refused is a 400 or a 422 naming
//! fields; an accepted email is normalized (normalizing it again changes
//! nothing, and it is accepted again); the throttle's key of any login is
//! at most `MAX_EMAIL` characters (or the login a 422, for a control
//! character).
#![no_main]

use auth::routes::accounts::{self, EmployeeRequest, RegisterRequest};
use auth::routes::session::{self, LoginRequest};
use domain::profile::MAX_EMAIL;
use libfuzzer_sys::fuzz_target;
use platform::http::parse_json;
use platform::Problem;
use secrecy::ExposeSecret;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, body)) = data.split_first() else {
        return;
    };
    match selector % 3 {
        0 => register(body),
        1 => login(body),
        _ => employee(body),
    }
});

/// A refusal is a client error that names what is wrong.
fn check_refusal(problem: &Problem) {
    match problem.status {
        400 => assert!(problem.errors.is_empty(), "{problem:?}"),
        422 => assert!(
            !problem.errors.is_empty() && problem.errors.iter().all(|e| !e.field.is_empty()),
            "{problem:?}"
        ),
        other => panic!("a body was refused with {other}: {problem:?}"),
    }
    serde_json::to_string(problem).expect("a problem serializes");
}

fn parse<T: serde::de::DeserializeOwned>(body: &[u8]) -> Option<T> {
    parse_json(body).map_err(|p| check_refusal(&p)).ok()
}

/// An accepted email is its own normal form.
fn check_email(raw: &str, email: &str) {
    assert_eq!(
        domain::profile::normalize_email(email).as_deref(),
        Ok(email),
        "{raw:?} was accepted as {email:?}"
    );
}

fn register(body: &[u8]) {
    let Some(RegisterRequest {
        email,
        password,
        profile,
    }) = parse(body)
    else {
        return;
    };
    match accounts::check_registration(&email, password.expose_secret(), &profile) {
        Ok((normalized, _role)) => {
            check_email(&email, &normalized);
            assert!(
                accounts::check_registration(&normalized, password.expose_secret(), &profile)
                    .is_ok(),
                "the normalized email {normalized:?} is refused"
            );
        }
        Err(problem) => check_refusal(&problem),
    }
}

fn login(body: &[u8]) {
    let Some(LoginRequest { email, .. }) = parse(body) else {
        return;
    };
    match session::account_key(&email) {
        Ok(key) => assert!(key.chars().count() <= MAX_EMAIL, "{key:?}"),
        Err(problem) => check_refusal(&problem),
    }
}

fn employee(body: &[u8]) {
    let Some(EmployeeRequest {
        email,
        password,
        department: _,
        full_name,
    }) = parse(body)
    else {
        return;
    };
    match accounts::check_employee(&email, password.expose_secret(), full_name) {
        Ok((normalized, _profile)) => check_email(&email, &normalized),
        Err(problem) => check_refusal(&problem),
    }
}
