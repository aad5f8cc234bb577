//! Accounts of every role and a little data in a fresh stack, made through
//! the public APIs as a client would: the traveler and the agency register,
//! the bootstrap IT account creates the operations, finance and IT
//! employees, everyone logs in for a real token; operations adds a rocket
//! and schedules two launches (one confirmed), the traveler books a seat
//! and the agency another. Then it waits until the read side shows them, so
//! that a black-box suite finds something behind every path parameter.

use std::future::Future;
use std::time::Duration;

use anyhow::{bail, Context};
use serde_json::{json, Value};

/// The password of every seeded account (meets the password policy).
pub const PASSWORD: &str = "stack-black-box-2026";
/// The bootstrap IT account the auth service of a stack creates at
/// start-up (`AUTH_BOOTSTRAP_IT_EMAIL`, `AUTH_BOOTSTRAP_IT_PASSWORD`).
pub const BOOTSTRAP_IT: (&str, &str) = ("it.admin@stack.example", "stack-bootstrap-it-2026");
/// How long the read side gets to show the seeded data.
const SETTLE: Duration = Duration::from_secs(60);

/// An account of one role, logged in.
#[derive(Debug, Clone)]
pub struct Account {
    /// `traveler`, `agency`, `operations`, `finance` or `it`.
    pub role: &'static str,
    /// Its email (log in again with it and [`PASSWORD`]).
    pub email: String,
    /// Its user id.
    pub user_id: String,
    /// An access token (a Bearer token).
    pub token: String,
}

/// What the seed made.
#[derive(Debug, Clone)]
pub struct Seeded {
    /// One account per role.
    pub accounts: Vec<Account>,
    /// The rocket.
    pub rocket_id: String,
    /// A scheduled launch (bookable).
    pub scheduled_launch_id: String,
    /// A confirmed launch (bookable), with the bookings.
    pub launch_id: String,
    /// The traveler's booking on `launch_id`.
    pub booking_id: String,
    /// The agency's booking on `launch_id`.
    pub agency_booking_id: String,
    /// The traveler booking's invoice (`INV-YYYY-NNNNNN`).
    pub invoice_number: String,
    /// A notification about a booking (`/v1/ops/notifications/{id}`).
    pub notification_id: String,
}

impl Seeded {
    /// The token of `role`.
    pub fn token(&self, role: &str) -> Option<&str> {
        self.accounts
            .iter()
            .find(|a| a.role == role)
            .map(|a| a.token.as_str())
    }
}

/// What a command run against the stack learns of the seed: for each role
/// `ASTRO_TOKEN_<ROLE>`, `ASTRO_EMAIL_<ROLE>` and `ASTRO_USER_ID_<ROLE>`
/// (`TRAVELER`, `AGENCY`, `OPERATIONS`, `FINANCE`, `IT`), `ASTRO_PASSWORD`
/// (everyone's), and the ids behind path parameters.
pub fn environment(seeded: &Seeded) -> Vec<(String, String)> {
    let mut env: Vec<(String, String)> = [
        ("ASTRO_PASSWORD", PASSWORD),
        ("ASTRO_ROCKET_ID", &seeded.rocket_id),
        ("ASTRO_LAUNCH_ID", &seeded.launch_id),
        ("ASTRO_SCHEDULED_LAUNCH_ID", &seeded.scheduled_launch_id),
        ("ASTRO_BOOKING_ID", &seeded.booking_id),
        ("ASTRO_AGENCY_BOOKING_ID", &seeded.agency_booking_id),
        ("ASTRO_INVOICE_NUMBER", &seeded.invoice_number),
        ("ASTRO_NOTIFICATION_ID", &seeded.notification_id),
    ]
    .iter()
    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
    .collect();
    for account in &seeded.accounts {
        let role = account.role.to_uppercase();
        env.push((format!("ASTRO_TOKEN_{role}"), account.token.clone()));
        env.push((format!("ASTRO_EMAIL_{role}"), account.email.clone()));
        env.push((format!("ASTRO_USER_ID_{role}"), account.user_id.clone()));
    }
    env
}

/// Where the seed talks to.
#[derive(Debug, Clone)]
pub struct Urls {
    /// The command API.
    pub command: String,
    /// The query API.
    pub query: String,
    /// The auth service.
    pub auth: String,
}

/// Seeds a fresh stack (see the module's doc).
pub async fn seed(urls: &Urls) -> anyhow::Result<Seeded> {
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()?;
    let call = Call { http: &http };
    let (it_email, it_password) = BOOTSTRAP_IT;
    let bootstrap = call.login(&urls.auth, it_email, it_password).await?;

    let mut accounts = Vec::new();
    for (role, body) in [
        (
            "traveler",
            json!({ "profile": { "kind": "traveler", "full_name": "Ada Lovelace", "birth_date": "1985-12-10" } }),
        ),
        (
            "agency",
            json!({ "profile": {
                "kind": "agency",
                "legal_name": "Orbit Travel S.L.",
                "tax_id": "B12345678",
                "address": { "line1": "Calle Mayor 1", "city": "Madrid", "postal_code": "28013", "country": "ES" },
                "contact": { "name": "Grace Hopper", "email": "grace@orbit.example", "phone": "+34600000000" }
            } }),
        ),
        (
            "operations",
            json!({ "department": "operations", "full_name": "Gene Kranz" }),
        ),
        (
            "finance",
            json!({ "department": "finance", "full_name": "Katherine Johnson" }),
        ),
        (
            "it",
            json!({ "department": "it", "full_name": "Margaret Hamilton" }),
        ),
    ] {
        let email = format!("{role}@stack.example");
        let mut body = body;
        body["email"] = json!(email);
        body["password"] = json!(PASSWORD);
        let (path, token) = if body.get("profile").is_some() {
            ("/v1/auth/register", None)
        } else {
            ("/v1/auth/employees", Some(bootstrap.as_str()))
        };
        call.send("POST", &urls.auth, path, token, Some(body))
            .await?;
        let session = call.login_session(&urls.auth, &email, PASSWORD).await?;
        accounts.push(Account {
            role,
            email,
            user_id: field(&session, "user_id")?,
            token: field(&session, "token")?,
        });
    }
    let token = |role: &str| {
        accounts
            .iter()
            .find(|a| a.role == role)
            .map(|a| a.token.clone())
            .expect("every role has an account")
    };
    let (operations, traveler, agency, finance, it) = (
        token("operations"),
        token("traveler"),
        token("agency"),
        token("finance"),
        token("it"),
    );

    let rocket = call
        .send(
            "POST",
            &urls.command,
            "/v1/rockets",
            Some(&operations),
            Some(json!({ "name": "Stack Falcon", "capacity": 40, "range": "moon" })),
        )
        .await?;
    let rocket_id = field(&rocket, "rocket_id")?;
    let mut launch_ids = Vec::new();
    for days in [400, 500] {
        let launch = call
            .send(
                "POST",
                &urls.command,
                "/v1/launches",
                Some(&operations),
                Some(json!({
                    "rocket_id": rocket_id,
                    "spaceport": "Kourou",
                    "destination": "moon",
                    "departure_at": chrono::Utc::now() + chrono::Duration::days(days),
                    "price_per_seat_cents": 120_000_000,
                })),
            )
            .await?;
        launch_ids.push(field(&launch, "launch_id")?);
    }
    let (scheduled_launch_id, launch_id) = (launch_ids[0].clone(), launch_ids[1].clone());
    call.send(
        "POST",
        &urls.command,
        &format!("/v1/launches/{launch_id}/confirm"),
        Some(&operations),
        Some(json!({})),
    )
    .await?;
    let mut bookings = Vec::new();
    for (holder, passenger) in [
        (&traveler, ("Ada Lovelace", "1985-12-10")),
        (&agency, ("Grace Hopper", "1976-12-09")),
    ] {
        let booking = call
            .send(
                "POST",
                &urls.command,
                &format!("/v1/launches/{launch_id}/bookings"),
                Some(holder),
                Some(json!({ "passengers": [{ "name": passenger.0, "birth_date": passenger.1 }] })),
            )
            .await?;
        bookings.push(field(&booking, "booking_id")?);
    }
    let (booking_id, agency_booking_id) = (bookings[0].clone(), bookings[1].clone());

    // The read side: the launches in the sales model, the bookings in the
    // traveler's list, an invoice, a notification.
    for id in [&scheduled_launch_id, &launch_id] {
        poll("the launches in the query API", || async {
            let r = call
                .send(
                    "GET",
                    &urls.query,
                    &format!("/v1/launches/{id}"),
                    None,
                    None,
                )
                .await;
            Ok(r.is_ok().then_some(()))
        })
        .await?;
    }
    poll("the booking in GET /v1/me/bookings", || async {
        let page = call
            .send("GET", &urls.query, "/v1/me/bookings", Some(&traveler), None)
            .await?;
        Ok(page.to_string().contains(&booking_id).then_some(()))
    })
    .await?;
    let invoice_number = poll("the booking's invoice", || async {
        let page = call
            .send("GET", &urls.query, "/v1/invoices", Some(&finance), None)
            .await?;
        Ok(first(&page, "number"))
    })
    .await?;
    let notification_id = poll("a notification", || async {
        let page = call
            .send("GET", &urls.query, "/v1/ops/notifications", Some(&it), None)
            .await?;
        Ok(first(&page, "id"))
    })
    .await?;

    Ok(Seeded {
        accounts,
        rocket_id,
        scheduled_launch_id,
        launch_id,
        booking_id,
        agency_booking_id,
        invoice_number,
        notification_id,
    })
}

/// `items[0][name]` of a page, if there is one.
fn first(page: &Value, name: &str) -> Option<String> {
    page["items"].get(0)?[name].as_str().map(ToOwned::to_owned)
}

fn field(body: &Value, name: &str) -> anyhow::Result<String> {
    body[name]
        .as_str()
        .map(ToOwned::to_owned)
        .with_context(|| format!("no {name} in {body}"))
}

/// Polls `attempt` until it yields a value, for at most [`SETTLE`].
async fn poll<T, F, Fut>(what: &str, mut attempt: F) -> anyhow::Result<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = anyhow::Result<Option<T>>>,
{
    let deadline = tokio::time::Instant::now() + SETTLE;
    loop {
        let outcome = attempt().await;
        if let Ok(Some(value)) = outcome {
            return Ok(value);
        }
        if tokio::time::Instant::now() > deadline {
            let why = match outcome {
                Err(e) => format!(": {e:#}"),
                _ => String::new(),
            };
            bail!("{what} did not show within {} s{why}", SETTLE.as_secs());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

struct Call<'a> {
    http: &'a reqwest::Client,
}

impl Call<'_> {
    /// Sends a request; the JSON body of a 2xx answer, an error naming the
    /// status and body otherwise.
    async fn send(
        &self,
        method: &str,
        base: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> anyhow::Result<Value> {
        let method: reqwest::Method = method.parse()?;
        let mut request = self.http.request(method.clone(), format!("{base}{path}"));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request
            .send()
            .await
            .with_context(|| format!("{method} {path}"))?;
        let status = response.status();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        if !status.is_success() {
            bail!("{method} {path} answered {status}: {body}");
        }
        Ok(body)
    }

    async fn login_session(
        &self,
        auth: &str,
        email: &str,
        password: &str,
    ) -> anyhow::Result<Value> {
        self.send(
            "POST",
            auth,
            "/v1/auth/login",
            None,
            Some(json!({ "email": email, "password": password })),
        )
        .await
    }

    async fn login(&self, auth: &str, email: &str, password: &str) -> anyhow::Result<String> {
        field(&self.login_session(auth, email, password).await?, "token")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seeded() -> Seeded {
        Seeded {
            accounts: ["traveler", "agency", "operations", "finance", "it"]
                .into_iter()
                .map(|role| Account {
                    role,
                    email: format!("{role}@stack.example"),
                    user_id: format!("id-of-{role}"),
                    token: format!("token-of-{role}"),
                })
                .collect(),
            rocket_id: "r".into(),
            scheduled_launch_id: "s".into(),
            launch_id: "l".into(),
            booking_id: "b".into(),
            agency_booking_id: "a".into(),
            invoice_number: "INV-2026-000001".into(),
            notification_id: "n".into(),
        }
    }

    #[test]
    fn the_environment_names_a_token_an_email_and_a_user_id_for_every_role() {
        let env: std::collections::HashMap<_, _> = environment(&seeded()).into_iter().collect();
        for role in ["TRAVELER", "AGENCY", "OPERATIONS", "FINANCE", "IT"] {
            let lower = role.to_lowercase();
            assert_eq!(
                env[&format!("ASTRO_TOKEN_{role}")],
                format!("token-of-{lower}")
            );
            assert_eq!(
                env[&format!("ASTRO_EMAIL_{role}")],
                format!("{lower}@stack.example")
            );
            assert_eq!(
                env[&format!("ASTRO_USER_ID_{role}")],
                format!("id-of-{lower}")
            );
        }
        assert_eq!(env["ASTRO_PASSWORD"], PASSWORD);
    }

    #[test]
    fn the_environment_names_the_seeded_ids_behind_path_parameters() {
        let env: std::collections::HashMap<_, _> = environment(&seeded()).into_iter().collect();
        assert_eq!(env["ASTRO_LAUNCH_ID"], "l");
        assert_eq!(env["ASTRO_SCHEDULED_LAUNCH_ID"], "s");
        assert_eq!(env["ASTRO_BOOKING_ID"], "b");
        assert_eq!(env["ASTRO_AGENCY_BOOKING_ID"], "a");
        assert_eq!(env["ASTRO_ROCKET_ID"], "r");
        assert_eq!(env["ASTRO_INVOICE_NUMBER"], "INV-2026-000001");
        assert_eq!(env["ASTRO_NOTIFICATION_ID"], "n");
    }
}
