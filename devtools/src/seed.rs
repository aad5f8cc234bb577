//! Demo data, loaded through the public command API like any client would.
//!
//! Runs once: fixed demo user ids and `Idempotency-Key`s make a second run's
//! first request replay the first run's answer, and the seed then stops
//! (departure dates are relative to the first run, so later requests would
//! not be the same requests).

use anyhow::{bail, Context};
use chrono::{Duration, Utc};
use platform::{Department, Principal, Role, TokenIssuer};
use serde_json::{json, Value};
use uuid::Uuid;

use crate::DEMO_TOKEN_TTL;

/// Fixed ids of the demo users, so their tokens and bookings are stable.
const OPERATIONS: &str = "00000000-0000-7000-8000-00000000000a";
const TRAVELER: &str = "00000000-0000-7000-8000-00000000000b";
const AGENCY: &str = "00000000-0000-7000-8000-00000000000c";
const FINANCE: &str = "00000000-0000-7000-8000-00000000000d";
const IT: &str = "00000000-0000-7000-8000-00000000000e";

struct Client {
    http: reqwest::Client,
    api: String,
}

impl Client {
    /// POSTs with an idempotency key; returns the body and whether it is the
    /// replayed answer of an earlier run.
    async fn post(
        &self,
        token: &str,
        path: &str,
        key: &str,
        body: Value,
    ) -> anyhow::Result<(Value, bool)> {
        let response = self
            .http
            .post(format!("{}{path}", self.api))
            .bearer_auth(token)
            .header("Idempotency-Key", key)
            .json(&body)
            .send()
            .await
            .with_context(|| format!("POST {path}"))?;
        let status = response.status();
        let replayed = response.headers().contains_key("idempotent-replayed");
        let body: Value = response.json().await.unwrap_or(Value::Null);
        if !status.is_success() {
            bail!("POST {path} answered {status}: {body}");
        }
        Ok((body, replayed))
    }
}

fn token(issuer: &TokenIssuer, id: &str, role: Role) -> anyhow::Result<String> {
    Ok(issuer.issue(
        &Principal {
            user_id: id.parse::<Uuid>()?,
            role,
        },
        DEMO_TOKEN_TTL,
    ))
}

/// A demo user's id and a token of theirs.
struct Account {
    id: String,
    token: String,
}

/// Logs `email` in on the auth service at `auth`.
async fn login(http: &reqwest::Client, auth: &str, email: &str) -> anyhow::Result<Account> {
    let response = http
        .post(format!("{auth}/v1/auth/login"))
        .json(&json!({ "email": email, "password": DEMO_PASSWORD }))
        .send()
        .await
        .context("POST /v1/auth/login")?;
    let status = response.status();
    let body: Value = response.json().await.unwrap_or(Value::Null);
    match (body["user_id"].as_str(), body["token"].as_str()) {
        (Some(id), Some(token)) if status.is_success() => Ok(Account {
            id: id.to_owned(),
            token: token.to_owned(),
        }),
        _ => bail!("demo user {email} cannot log in ({status}): {body}"),
    }
}

/// The demo users' accounts, by role: logged in on the auth service when
/// `auth` is given (they must be registered: `seed-users`), else tokens
/// minted with `issuer` for fixed ids.
async fn accounts(issuer: &TokenIssuer, auth: Option<&str>) -> anyhow::Result<[Account; 5]> {
    let roles = [
        (
            "operations",
            OPERATIONS,
            Role::Employee(Department::Operations),
        ),
        ("traveler", TRAVELER, Role::Traveler),
        ("agency", AGENCY, Role::Agency),
        ("finance", FINANCE, Role::Employee(Department::Finance)),
        ("it", IT, Role::Employee(Department::It)),
    ];
    let http = reqwest::Client::new();
    let mut accounts = Vec::with_capacity(roles.len());
    for (label, fixed_id, role) in roles {
        accounts.push(match auth {
            Some(auth) => {
                let email = demo_users()
                    .into_iter()
                    .find(|user| user.label == label)
                    .map(|user| user.email)
                    .context("every role has a demo user")?;
                login(&http, auth.trim_end_matches('/'), email).await?
            }
            None => Account {
                id: fixed_id.to_owned(),
                token: token(issuer, fixed_id, role)?,
            },
        });
    }
    accounts
        .try_into()
        .map_err(|_| anyhow::anyhow!("five demo accounts"))
}

/// Loads the demo data and prints what it made. With `auth`, the bookings
/// are made by the registered demo traveler and agency (so they see them in
/// `GET /v1/me/bookings` after logging in); without, by fixed demo ids.
pub async fn run(issuer: &TokenIssuer, api: &str, auth: Option<&str>) -> anyhow::Result<()> {
    let client = Client {
        http: reqwest::Client::new(),
        api: api.trim_end_matches('/').to_owned(),
    };
    let [operations, traveler, agency, finance, it] = accounts(issuer, auth).await?;
    let demo_users = [
        ("operations", operations.id.as_str(), &operations.token),
        ("traveler", traveler.id.as_str(), &traveler.token),
        ("agency", agency.id.as_str(), &agency.token),
        ("finance", finance.id.as_str(), &finance.token),
        ("it", it.id.as_str(), &it.token),
    ];
    let (operations, traveler, agency) = (&operations.token, &traveler.token, &agency.token);

    let rockets = [
        ("demo-rocket-1", "Starhopper", 12, "suborbital"),
        ("demo-rocket-2", "Orbital Queen", 40, "low_earth_orbit"),
        ("demo-rocket-3", "Selene", 20, "moon"),
        ("demo-rocket-4", "Ares Voyager", 100, "mars"),
    ];
    let mut rocket_ids = Vec::new();
    for (key, name, capacity, range) in rockets {
        let (reply, replayed) = client
            .post(
                operations,
                "/v1/rockets",
                key,
                json!({ "name": name, "capacity": capacity, "range": range }),
            )
            .await?;
        if replayed {
            println!("Demo data is already loaded.");
            print_tokens(&demo_users);
            return Ok(());
        }
        rocket_ids.push(reply["rocket_id"].as_str().unwrap_or_default().to_owned());
    }

    // Departure dates relative to the first seed run are stored with the
    // launch; a replayed key returns the original launch.
    let today = Utc::now();
    let launches = [
        (
            "demo-launch-1",
            0,
            "Spaceport America",
            "suborbital",
            30,
            45_000_000,
        ),
        (
            "demo-launch-2",
            1,
            "Kourou",
            "low_earth_orbit",
            120,
            120_000_000,
        ),
        ("demo-launch-3", 2, "Baikonur", "moon", 400, 950_000_000),
        (
            "demo-launch-4",
            3,
            "Cape Canaveral",
            "mars",
            900,
            999_000_000,
        ),
        (
            "demo-launch-5",
            1,
            "Tanegashima",
            "low_earth_orbit",
            60,
            99_000_000,
        ),
    ];
    let mut launch_ids = Vec::new();
    for (key, rocket, spaceport, destination, days, price) in launches {
        let (reply, _) = client
            .post(
                operations,
                "/v1/launches",
                key,
                json!({
                    "rocket_id": rocket_ids[rocket],
                    "spaceport": spaceport,
                    "destination": destination,
                    "departure_at": today + Duration::days(days),
                    "price_per_seat_cents": price,
                }),
            )
            .await?;
        launch_ids.push(reply["launch_id"].as_str().unwrap_or_default().to_owned());
    }
    client
        .post(
            operations,
            &format!("/v1/launches/{}/confirm", launch_ids[1]),
            "demo-confirm-2",
            json!({}),
        )
        .await?;

    let bookings = [
        (
            traveler,
            "demo-booking-1",
            0,
            vec![("Ada Lovelace", "1985-12-10")],
        ),
        (
            traveler,
            "demo-booking-2",
            2,
            vec![
                ("Ada Lovelace", "1985-12-10"),
                ("Charles Babbage", "1971-12-26"),
            ],
        ),
        (
            agency,
            "demo-booking-3",
            1,
            vec![
                ("Grace Hopper", "1976-12-09"),
                ("Alan Turing", "1982-06-23"),
                ("Katherine Johnson", "1968-08-26"),
            ],
        ),
        (
            agency,
            "demo-booking-4",
            3,
            vec![("Mae Jemison", "1980-10-17")],
        ),
    ];
    for (token, key, launch, passengers) in bookings {
        let passengers: Vec<Value> = passengers
            .into_iter()
            .map(|(name, birth)| json!({ "name": name, "birth_date": birth }))
            .collect();
        client
            .post(
                token,
                &format!("/v1/launches/{}/bookings", launch_ids[launch]),
                key,
                json!({ "passengers": passengers }),
            )
            .await?;
    }

    println!(
        "Demo data: {} rockets, {} launches, {} bookings.",
        rocket_ids.len(),
        launch_ids.len(),
        4
    );
    for (id, launch) in launch_ids.iter().zip(launches.iter()) {
        println!("  launch {id}  {} → {}", launch.2, launch.3);
    }
    print_tokens(&demo_users);
    Ok(())
}

fn print_tokens(users: &[(&str, &str, &String)]) {
    println!(
        "Demo tokens (send as `Authorization: Bearer <token>`; those of logged-in \
         demo users last 15 min, log in again for more):"
    );
    for (role, id, token) in users {
        println!("  {role:<11} user {id}\n    {token}");
    }
}

/// The password of every demo user registered through the auth service
/// (development only; it meets the password policy).
pub const DEMO_PASSWORD: &str = "ad-astra-per-aspera-2026";

/// A demo account: its email, and its registration (or employee) body.
struct DemoUser {
    label: &'static str,
    email: &'static str,
    /// `POST /v1/auth/register` when true, `POST /v1/auth/employees` else.
    registers: bool,
    body: Value,
}

fn demo_users() -> Vec<DemoUser> {
    let employee = |label, email, department, name| DemoUser {
        label,
        email,
        registers: false,
        body: json!({ "email": email, "password": DEMO_PASSWORD, "department": department, "full_name": name }),
    };
    vec![
        DemoUser {
            label: "traveler",
            email: "traveler@astro.example",
            registers: true,
            body: json!({
                "email": "traveler@astro.example",
                "password": DEMO_PASSWORD,
                "profile": { "kind": "traveler", "full_name": "Ada Lovelace", "birth_date": "1985-12-10" }
            }),
        },
        DemoUser {
            label: "agency",
            email: "agency@astro.example",
            registers: true,
            body: json!({
                "email": "agency@astro.example",
                "password": DEMO_PASSWORD,
                "profile": {
                    "kind": "agency",
                    "legal_name": "Orbit Travel S.L.",
                    "tax_id": "B12345678",
                    "address": { "line1": "Calle Mayor 1", "city": "Madrid", "postal_code": "28013", "country": "ES" },
                    "contact": { "name": "Grace Hopper", "email": "grace@orbit.example", "phone": "+34600000000" }
                }
            }),
        },
        employee(
            "operations",
            "operations@astro.example",
            "operations",
            "Gene Kranz",
        ),
        employee(
            "finance",
            "finance@astro.example",
            "finance",
            "Katherine Johnson",
        ),
        employee("it", "it@astro.example", "it", "Margaret Hamilton"),
    ]
}

/// POSTs `body` to the auth service; `Ok(true)` when created, `Ok(false)`
/// when the email is already registered (409).
async fn create_user(
    http: &reqwest::Client,
    url: &str,
    token: Option<&str>,
    body: &Value,
) -> anyhow::Result<bool> {
    let mut request = http.post(url).json(body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request
        .send()
        .await
        .with_context(|| format!("POST {url}"))?;
    match response.status().as_u16() {
        201 => Ok(true),
        409 => Ok(false),
        status => {
            let body: Value = response.json().await.unwrap_or(Value::Null);
            bail!("POST {url} answered {status}: {body}")
        }
    }
}

/// Registers the demo users of every role through the auth service at
/// `auth` (employees as the bootstrap IT employee `it_email`), idempotently:
/// a user already there (409) is kept. Prints their credentials.
pub async fn users(auth: &str, it_email: &str, it_password: &str) -> anyhow::Result<()> {
    let auth = auth.trim_end_matches('/');
    let http = reqwest::Client::new();
    let login = http
        .post(format!("{auth}/v1/auth/login"))
        .json(&json!({ "email": it_email, "password": it_password }))
        .send()
        .await
        .context("POST /v1/auth/login")?;
    let status = login.status();
    let login: Value = login.json().await.unwrap_or(Value::Null);
    let Some(it_token) = login["token"].as_str().filter(|_| status.is_success()) else {
        bail!("the bootstrap IT account {it_email} cannot log in ({status}): {login}");
    };
    let mut created = 0;
    for user in demo_users() {
        let (path, token) = if user.registers {
            ("/v1/auth/register", None)
        } else {
            ("/v1/auth/employees", Some(it_token))
        };
        if create_user(&http, &format!("{auth}{path}"), token, &user.body).await? {
            created += 1;
        }
    }
    println!("Demo users ({created} created now; log in at POST {auth}/v1/auth/login):");
    println!("  {:<11} {:<28} {it_password}", "it (admin)", it_email);
    for user in demo_users() {
        println!("  {:<11} {:<28} {DEMO_PASSWORD}", user.label, user.email);
    }
    Ok(())
}
