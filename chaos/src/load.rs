//! The load: travelers and agencies registered through the auth service,
//! each a client that logs in, books (with an `Idempotency-Key`), cancels
//! (with one too) and reads, and retries a request that failed at the
//! connection or was answered 503 or 429 with the same key, so it knows
//! exactly which bookings exist. Every status is recorded.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};
use tokio::time::Instant;
use uuid::Uuid;

/// Where the clients send their requests.
#[derive(Debug, Clone)]
pub struct Endpoints {
    /// The command API.
    pub command: String,
    /// The query API.
    pub query: String,
    /// The auth service.
    pub auth: String,
}

/// A registered user.
#[derive(Debug, Clone)]
pub struct Account {
    /// Its login (and the address the holder's emails go to).
    pub email: String,
    /// `traveler` or `agency`.
    pub kind: &'static str,
    /// Its id, from the registration.
    pub user_id: Uuid,
}

/// A booking that a client knows exists.
#[derive(Debug, Clone, Copy)]
pub struct Booked {
    /// Its launch.
    pub launch: Uuid,
    /// Its seats.
    pub seats: u32,
}

/// Everything the clients saw.
#[derive(Debug, Default)]
pub struct Tally {
    /// Answers by operation and status.
    pub statuses: BTreeMap<(&'static str, u16), u64>,
    /// Requests that got no answer (connection refused or reset, timeout),
    /// by operation.
    pub transport_errors: BTreeMap<&'static str, u64>,
    /// A description of each 5xx answer other than 503 (the first 20).
    pub server_errors: Vec<String>,
    /// Requests sent again with the same key.
    pub retries: u64,
    /// Requests given up after the retry deadline (their outcome unknown).
    pub abandoned: u64,
    /// Every booking answered 201.
    pub booked: HashMap<Uuid, Booked>,
    /// Every booking whose cancellation was answered 200.
    pub cancelled: HashSet<Uuid>,
}

impl Tally {
    /// Answers of `status` in all.
    pub fn count(&self, status: u16) -> u64 {
        self.statuses
            .iter()
            .filter(|((_, s), _)| *s == status)
            .map(|(_, n)| n)
            .sum()
    }

    /// 5xx answers other than 503 (a dependency that is down), which no
    /// fault should ever cause.
    pub fn unexpected_5xx(&self) -> u64 {
        self.statuses
            .iter()
            .filter(|((_, s), _)| is_unexpected_5xx(*s))
            .map(|(_, n)| n)
            .sum()
    }
}

/// True for a status a client must never see: a 5xx other than 503.
pub fn is_unexpected_5xx(status: u16) -> bool {
    (500..600).contains(&status) && status != 503
}

/// True for an answer a client retries with the same request (and key).
fn is_retryable(status: u16) -> bool {
    matches!(status, 503 | 429)
}

/// The shared tally.
pub type Shared = Arc<Mutex<Tally>>;

fn lock(tally: &Shared) -> std::sync::MutexGuard<'_, Tally> {
    tally.lock().unwrap_or_else(|e| e.into_inner())
}

/// Sends the request `build` makes until it gets an answer that is not
/// 503 or 429, or `give_up` passes (then `None`, counted as abandoned).
/// Records every answer and every transport error under `op`.
pub async fn send(
    tally: &Shared,
    op: &'static str,
    give_up: Instant,
    build: impl Fn() -> reqwest::RequestBuilder,
) -> Option<(u16, Value)> {
    let mut backoff = Duration::from_millis(100);
    let mut first = true;
    loop {
        if !first {
            lock(tally).retries += 1;
        }
        first = false;
        let mut wait = backoff;
        match build().send().await {
            Ok(response) => {
                let status = response.status().as_u16();
                let retry_after = response
                    .headers()
                    .get("retry-after")
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.parse::<u64>().ok());
                let text = response.text().await.unwrap_or_default();
                let body: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
                {
                    let mut t = lock(tally);
                    *t.statuses.entry((op, status)).or_default() += 1;
                    if is_unexpected_5xx(status) && t.server_errors.len() < 20 {
                        t.server_errors.push(format!("{op}: {status} {text}"));
                    }
                }
                if !is_retryable(status) {
                    return Some((status, body));
                }
                if let Some(secs) = retry_after {
                    wait = Duration::from_secs(secs.min(5));
                }
            }
            Err(_) => {
                *lock(tally).transport_errors.entry(op).or_default() += 1;
            }
        }
        if Instant::now() + wait > give_up {
            lock(tally).abandoned += 1;
            return None;
        }
        tokio::time::sleep(wait).await;
        backoff = (backoff * 2).min(Duration::from_secs(2));
    }
}

/// The password of every chaos account.
const PASSWORD: &str = "chaos-monkey-keeps-it-so-2026";

/// Registers `count` users (every third an agency) and returns them.
pub async fn register(
    http: &reqwest::Client,
    endpoints: &Endpoints,
    tally: &Shared,
    count: usize,
) -> anyhow::Result<Vec<Account>> {
    let mut accounts = Vec::with_capacity(count);
    let give_up = Instant::now() + Duration::from_secs(60);
    for i in 0..count {
        let email = format!("client-{i}@chaos.example");
        let (kind, profile) = if i % 3 == 2 {
            (
                "agency",
                json!({
                    "kind": "agency",
                    "legal_name": format!("Chaos Travel {i} S.L."),
                    "tax_id": "B12345678",
                    "address": { "line1": "Calle Mayor 1", "city": "Madrid", "postal_code": "28013", "country": "ES" },
                    "contact": { "name": "Grace Hopper", "email": format!("contact-{i}@chaos.example"), "phone": "+34600000000" }
                }),
            )
        } else {
            (
                "traveler",
                json!({ "kind": "traveler", "full_name": format!("Chaos Traveler {i}"), "birth_date": "1985-12-10" }),
            )
        };
        let body = json!({ "email": email, "password": PASSWORD, "profile": profile });
        let url = format!("{}/v1/auth/register", endpoints.auth);
        match send(tally, "register", give_up, || http.post(&url).json(&body)).await {
            Some((201, created)) => {
                let user_id = created["user_id"]
                    .as_str()
                    .and_then(|s| s.parse().ok())
                    .ok_or_else(|| anyhow::anyhow!("register answered no user_id: {created}"))?;
                accounts.push(Account {
                    email,
                    kind,
                    user_id,
                });
            }
            other => anyhow::bail!("registering {email}: {other:?}"),
        }
    }
    Ok(accounts)
}

/// What a client is told to do.
#[derive(Debug, Clone)]
pub struct Plan {
    /// The launches it books on.
    pub launches: Vec<Uuid>,
    /// The load stops at this instant.
    pub until: Instant,
    /// A request still unanswered at this instant is given up.
    pub give_up: Instant,
    /// Pause between two actions: a uniform draw in this range (ms).
    pub think_ms: (u64, u64),
}

/// One client's loop: log in, then book, cancel and read until the plan's
/// end, logging in again every minute.
pub async fn client(
    http: reqwest::Client,
    endpoints: Endpoints,
    account: Account,
    plan: Plan,
    tally: Shared,
    seed: u64,
) {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut open: Vec<(Uuid, Uuid)> = Vec::new();
    let mut token: Option<(String, Instant)> = None;
    let mut n = 0u64;
    while Instant::now() < plan.until {
        n += 1;
        let fresh = token
            .as_ref()
            .is_some_and(|(_, at)| at.elapsed() < Duration::from_secs(60));
        if !fresh {
            let url = format!("{}/v1/auth/login", endpoints.auth);
            let body = json!({ "email": account.email, "password": PASSWORD });
            match send(&tally, "login", plan.give_up, || {
                http.post(&url).json(&body)
            })
            .await
            {
                Some((200, answer)) => {
                    if let Some(t) = answer["token"].as_str() {
                        token = Some((t.to_owned(), Instant::now()));
                    }
                }
                Some(_) => {}
                None => return,
            }
        }
        let Some((bearer, _)) = token.clone() else {
            tokio::time::sleep(Duration::from_millis(500)).await;
            continue;
        };
        let roll: f64 = rng.gen();
        if roll < 0.25 && !open.is_empty() {
            let (launch, booking) = open.swap_remove(rng.gen_range(0..open.len()));
            let url = format!(
                "{}/v1/launches/{launch}/bookings/{booking}/cancel",
                endpoints.command
            );
            let key = Uuid::new_v4().to_string();
            let answer = send(&tally, "cancel", plan.give_up, || {
                http.post(&url)
                    .bearer_auth(&bearer)
                    .header("Idempotency-Key", &key)
                    .json(&json!({}))
            })
            .await;
            match answer {
                Some((200, _)) => {
                    lock(&tally).cancelled.insert(booking);
                }
                Some(_) => {}
                None => return,
            }
        } else if roll < 0.85 {
            let launch = plan.launches[rng.gen_range(0..plan.launches.len())];
            let seats = rng.gen_range(1..=3u32);
            let passengers: Vec<Value> = (0..seats)
                .map(|p| {
                    // Some passengers give an address: they are told too.
                    if p == 1 && rng.gen_bool(0.3) {
                        json!({ "name": format!("Passenger {p}"), "birth_date": "1990-06-15",
                                "email": format!("passenger-{}-{n}@chaos.example", account.user_id.simple()) })
                    } else {
                        json!({ "name": format!("Passenger {p}"), "birth_date": "1990-06-15" })
                    }
                })
                .collect();
            let body = json!({ "passengers": passengers });
            let url = format!("{}/v1/launches/{launch}/bookings", endpoints.command);
            let key = Uuid::new_v4().to_string();
            let answer = send(&tally, "book", plan.give_up, || {
                http.post(&url)
                    .bearer_auth(&bearer)
                    .header("Idempotency-Key", &key)
                    .json(&body)
            })
            .await;
            match answer {
                Some((201, created)) => {
                    if let Some(booking) = created["booking_id"]
                        .as_str()
                        .and_then(|s| s.parse::<Uuid>().ok())
                    {
                        lock(&tally)
                            .booked
                            .insert(booking, Booked { launch, seats });
                        open.push((launch, booking));
                    }
                }
                Some(_) => {}
                None => return,
            }
        } else {
            let url = if roll < 0.93 {
                let launch = plan.launches[rng.gen_range(0..plan.launches.len())];
                format!("{}/v1/launches/{launch}", endpoints.query)
            } else {
                format!("{}/v1/me/bookings", endpoints.query)
            };
            let op = if roll < 0.93 {
                "read-launch"
            } else {
                "my-bookings"
            };
            // A read is not retried: its status is what is recorded.
            match http.get(&url).bearer_auth(&bearer).send().await {
                Ok(response) => {
                    let status = response.status().as_u16();
                    let text = response.text().await.unwrap_or_default();
                    let mut t = lock(&tally);
                    *t.statuses.entry((op, status)).or_default() += 1;
                    if is_unexpected_5xx(status) && t.server_errors.len() < 20 {
                        t.server_errors.push(format!("{op}: {status} {text}"));
                    }
                }
                Err(_) => *lock(&tally).transport_errors.entry(op).or_default() += 1,
            }
        }
        let (low, high) = plan.think_ms;
        tokio::time::sleep(Duration::from_millis(rng.gen_range(low..=high.max(low)))).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_5xx_other_than_503_is_unexpected() {
        assert!(is_unexpected_5xx(500));
        assert!(is_unexpected_5xx(502));
        assert!(is_unexpected_5xx(504));
        assert!(!is_unexpected_5xx(503));
        assert!(!is_unexpected_5xx(409));
        assert!(!is_unexpected_5xx(201));
    }

    #[test]
    fn the_tally_counts_statuses_across_operations() {
        let mut tally = Tally::default();
        tally.statuses.insert(("book", 503), 3);
        tally.statuses.insert(("cancel", 503), 2);
        tally.statuses.insert(("book", 500), 1);
        tally.statuses.insert(("book", 201), 7);
        assert_eq!(tally.count(503), 5);
        assert_eq!(tally.unexpected_5xx(), 1);
    }
}
