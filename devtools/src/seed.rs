//! Demo data, loaded through the public command API like any client would.
//!
//! Runs once: fixed demo user ids and `Idempotency-Key`s make a second run's
//! first request replay the first run's answer, and the seed then stops
//! (departure dates are relative to the first run, so later requests would
//! not be the same requests).

use anyhow::{bail, Context};
use std::time::Duration as StdDuration;

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

/// How long, in all, one login of the seed waits for the auth service's
/// throttle (`Retry-After`) before it gives up on that login: a start-up
/// waits out a short delay, not a long one.
pub const THROTTLE_PATIENCE: StdDuration = StdDuration::from_secs(30);

/// A login's answer.
enum Login {
    /// 200: the session.
    Session(Value),
    /// Still 429 when waiting longer would exceed the patience: the
    /// seconds still to wait.
    Throttled(u64),
}

/// Logs `email` in on the auth service at `auth`. A 429 is waited out
/// (its `Retry-After`) as long as the total wait stays within `patience`;
/// any other failure is an error.
async fn log_in(
    http: &reqwest::Client,
    auth: &str,
    email: &str,
    password: &str,
    patience: StdDuration,
) -> anyhow::Result<Login> {
    let mut waited = StdDuration::ZERO;
    loop {
        let response = http
            .post(format!("{auth}/v1/auth/login"))
            .json(&json!({ "email": email, "password": password }))
            .send()
            .await
            .context("POST /v1/auth/login")?;
        let status = response.status();
        if status == reqwest::StatusCode::TOO_MANY_REQUESTS {
            let retry_after = response
                .headers()
                .get(reqwest::header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok()?.parse::<u64>().ok())
                .unwrap_or(1)
                .max(1);
            let wait = StdDuration::from_secs(retry_after);
            if waited + wait > patience {
                return Ok(Login::Throttled(retry_after));
            }
            eprintln!("{email}: login throttled by the auth service; waiting {retry_after} s");
            tokio::time::sleep(wait).await;
            waited += wait;
            continue;
        }
        let body: Value = response.json().await.unwrap_or(Value::Null);
        if !status.is_success() {
            bail!("{email} cannot log in ({status}): {body}");
        }
        return Ok(Login::Session(body));
    }
}

/// Logs demo user `email` in on the auth service at `auth`; `Err` of the
/// seconds to wait when the throttle does not let it in soon.
async fn login(
    http: &reqwest::Client,
    auth: &str,
    email: &str,
) -> anyhow::Result<Result<Account, u64>> {
    let body = match log_in(http, auth, email, DEMO_PASSWORD, THROTTLE_PATIENCE).await? {
        Login::Session(body) => body,
        Login::Throttled(retry_after) => return Ok(Err(retry_after)),
    };
    match (body["user_id"].as_str(), body["token"].as_str()) {
        (Some(id), Some(token)) => Ok(Ok(Account {
            id: id.to_owned(),
            token: token.to_owned(),
        })),
        _ => bail!("demo user {email} cannot log in: {body}"),
    }
}

/// The demo users' accounts, by role: logged in on the auth service when
/// `auth` is given (they must be registered: `seed-users`), else tokens
/// minted with `issuer` for fixed ids. `Err` of the email and the seconds
/// to wait when the throttle keeps one of them out.
async fn accounts(
    issuer: &TokenIssuer,
    auth: Option<&str>,
) -> anyhow::Result<Result<[Account; 5], (&'static str, u64)>> {
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
                match login(&http, auth.trim_end_matches('/'), email).await? {
                    Ok(account) => account,
                    Err(retry_after) => return Ok(Err((email, retry_after))),
                }
            }
            None => Account {
                id: fixed_id.to_owned(),
                token: token(issuer, fixed_id, role)?,
            },
        });
    }
    accounts
        .try_into()
        .map(Ok)
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
    let [operations, traveler, agency, finance, it] = match accounts(issuer, auth).await? {
        Ok(accounts) => accounts,
        Err((email, retry_after)) => {
            // Not a failure of the stack: the seed is idempotent, and the
            // demo users' credentials (printed by `seed-users`) still work.
            println!(
                "Demo data not checked: the auth service throttles demo user {email} for \
                 another {retry_after} s; run `astro-dev seed` again after that."
            );
            return Ok(());
        }
    };
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
/// a user already there (409) is kept. Returns the summary to print: their
/// credentials.
///
/// When the throttle keeps the IT account out for longer than `patience`
/// (someone mistyped its password), the employees are left as they are
/// and the summary says so: a start-up does not fail for it.
pub async fn users(
    auth: &str,
    it_email: &str,
    it_password: &str,
    patience: StdDuration,
) -> anyhow::Result<String> {
    let auth = auth.trim_end_matches('/');
    let http = reqwest::Client::new();
    let it_token = match log_in(&http, auth, it_email, it_password, patience)
        .await
        .with_context(|| format!("the bootstrap IT account {it_email}"))?
    {
        Login::Session(body) => Some(
            body["token"]
                .as_str()
                .with_context(|| format!("a login without a token: {body}"))?
                .to_owned(),
        ),
        Login::Throttled(retry_after) => {
            eprintln!(
                "{it_email} is throttled for another {retry_after} s: demo employees are not checked"
            );
            None
        }
    };
    let (mut created, mut skipped) = (0, 0);
    for user in demo_users() {
        let (path, token) = match (user.registers, &it_token) {
            (true, _) => ("/v1/auth/register", None),
            (false, Some(token)) => ("/v1/auth/employees", Some(token.as_str())),
            (false, None) => {
                skipped += 1;
                continue;
            }
        };
        if create_user(&http, &format!("{auth}{path}"), token, &user.body).await? {
            created += 1;
        }
    }
    let mut summary =
        format!("Demo users ({created} created now; log in at POST {auth}/v1/auth/login):\n");
    summary += &format!("  {:<11} {:<28} {it_password}\n", "it (admin)", it_email);
    for user in demo_users() {
        summary += &format!("  {:<11} {:<28} {DEMO_PASSWORD}\n", user.label, user.email);
    }
    if skipped > 0 {
        summary += &format!(
            "  ({skipped} demo employees not checked: {it_email} is throttled by the auth \
             service; run `astro-dev seed-users` again later)\n"
        );
    }
    Ok(summary)
}

#[cfg(test)]
mod tests {
    //! `seed-users` against a real auth service (its own MongoDB database,
    //! the real NATS), with the IT account throttled at this address.

    use std::time::Duration;

    use super::*;

    const IT_EMAIL: &str = "it.admin@astro.example";
    const IT_PASSWORD: &str = "bootstrap-it-secret-42";

    /// An auth service whose (account, address) pairs get one free failure
    /// and then `delay`; its address and database name.
    async fn auth_service(delay: Duration) -> (String, String) {
        let id = Uuid::new_v4().simple().to_string();
        let (private, _) = platform::auth::generate_key_pair();
        let settings = auth::Settings {
            addr: "127.0.0.1:0".into(),
            mongodb_uri: testkit::mongodb_uri().into(),
            core_database: format!("core_test_{id}"),
            nats_url: testkit::nats_url(),
            private_key: private.into(),
            access_token_ttl: Duration::from_secs(900),
            refresh_token_ttl: Duration::from_secs(3_600),
            // Cheap hashing: a debug build, and the cost is not under test.
            argon2: auth::password::HashParams {
                memory_kib: 1_024,
                iterations: 1,
                parallelism: 1,
            },
            argon2_max_concurrent: 2,
            login_limits: auth::throttle::Limits {
                per_pair: 1,
                base_delay: delay,
                max_delay: delay,
                ..auth::throttle::Limits::default()
            },
            trust_forwarded_for: false,
            bootstrap: Some(auth::settings::Bootstrap {
                email: IT_EMAIL.into(),
                password: IT_PASSWORD.to_owned().into(),
            }),
            outbox_poll_interval: Duration::from_millis(200),
            outbox_lease: Duration::from_secs(5),
            users_stream: format!("TEST_USERS_{id}"),
            users_subject_prefix: format!("test.{id}.users"),
            http_workers: 2,
            cors_allowed_origins: platform::cors::AllowedOrigins::none(),
            max_body_bytes: 16_384,
            shutdown_timeout_secs: 1,
            clients: auth::sso::Clients::parse(auth::sso::LOCAL_CLIENTS)
                .expect("the local clients"),
            code_ttl: StdDuration::from_secs(60),
        };
        let database = settings.core_database.clone();
        let application = auth::Application::build(settings)
            .await
            .expect("the auth service");
        let address = format!("http://127.0.0.1:{}", application.port());
        tokio::spawn(application.run_until_stopped());
        let http = reqwest::Client::new();
        testkit::wait_for(
            Duration::from_secs(30),
            "the auth service to be ready",
            || async {
                http.get(format!("{address}/ready"))
                    .send()
                    .await
                    .is_ok_and(|r| r.status() == 200)
            },
        )
        .await;
        (address, database)
    }

    /// A failed login of the IT account from here: the next waits `delay`.
    async fn mistype_it_password(auth: &str) {
        let response = reqwest::Client::new()
            .post(format!("{auth}/v1/auth/login"))
            .json(&json!({ "email": IT_EMAIL, "password": "not-the-password-1" }))
            .send()
            .await
            .expect("the login answers");
        assert_eq!(response.status(), 401);
    }

    async fn drop_database(name: &str) {
        let client = read_models::mongo::client(&testkit::mongodb_uri(), "devtools-tests")
            .await
            .expect("a MongoDB client");
        client
            .database(name)
            .drop()
            .await
            .expect("dropping the test database");
    }

    #[tokio::test]
    async fn seed_users_waits_out_a_short_throttle_and_registers_everyone() {
        let (auth, database) = auth_service(Duration::from_secs(1)).await;
        mistype_it_password(&auth).await;
        let summary = users(&auth, IT_EMAIL, IT_PASSWORD, Duration::from_secs(10))
            .await
            .expect("seed-users succeeds");
        assert!(summary.contains("5 created now"), "{summary}");
        assert!(!summary.contains("not checked"), "{summary}");
        // Run again, every demo user already exists: still fine.
        let again = users(&auth, IT_EMAIL, IT_PASSWORD, Duration::from_secs(10))
            .await
            .expect("a second seed-users succeeds");
        assert!(again.contains("0 created now"), "{again}");
        drop_database(&database).await;
    }

    #[tokio::test]
    async fn seed_users_reports_a_long_throttle_instead_of_failing() {
        let (auth, database) = auth_service(Duration::from_secs(600)).await;
        mistype_it_password(&auth).await;
        let summary = users(&auth, IT_EMAIL, IT_PASSWORD, Duration::from_secs(2))
            .await
            .expect("seed-users succeeds");
        // The self-registering users are registered; employees wait.
        assert!(summary.contains("2 created now"), "{summary}");
        assert!(
            summary.contains("3 demo employees not checked"),
            "{summary}"
        );
        for email in [IT_EMAIL, "traveler@astro.example", "it@astro.example"] {
            assert!(summary.contains(email), "{summary}");
        }
        drop_database(&database).await;
    }
}
