//! The test harness: a real command API on a fresh PostgreSQL database per
//! test, a token issuer whose public key the API trusts, and typed helpers
//! for requests and for reading the event store back.

use std::time::Duration;

use chrono::{DateTime, SubsecRound, Utc};
use command_api::{Application, Settings};
use platform::auth::generate_key_pair;
use platform::{Department, Principal, Role, TokenIssuer};
use serde_json::{json, Value};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::PgPool;
use uuid::Uuid;

pub use testkit::{create_test_database, wait_for, ApiResponse};

/// The one origin the test services allow cross-origin calls from.
pub const WEB_APP_ORIGIN: &str = "http://127.0.0.1:4200";

/// Settings of a test instance: an ephemeral port, small pools and few
/// workers, migrations on.
pub fn test_settings(database_url: &str, public_key_hex: &str) -> Settings {
    Settings {
        addr: "127.0.0.1:0".into(),
        database_url: database_url.to_owned().into(),
        database_max_connections: 10,
        database_acquire_timeout: Duration::from_secs(10),
        run_migrations: true,
        auth_public_key: public_key_hex.to_owned(),
        nats_url: testkit::nats_url(),
        snapshot_every: 100,
        aggregate_cache_size: 10_000,
        command_max_attempts: 20,
        http_workers: 2,
        cors_allowed_origins: platform::cors::AllowedOrigins::parse(WEB_APP_ORIGIN)
            .expect("an origin"),
        max_body_bytes: 65_536,
        shutdown_timeout_secs: 1,
        idempotency_retention: Duration::from_secs(7 * 24 * 3600),
    }
}

/// A running command API and what a test needs to talk to it.
pub struct TestApp {
    /// `http://127.0.0.1:<port>`.
    pub address: String,
    /// A pool on the test database, for assertions.
    pub pool: PgPool,
    /// Mints tokens the API accepts.
    pub issuer: TokenIssuer,
    /// HTTP client.
    pub client: reqwest::Client,
    /// The test database's URL (to start another instance on it).
    pub database_url: String,
    /// The key the API verifies tokens with.
    pub public_key_hex: String,
}

/// A command API on a fresh database with the default test settings.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// A command API on a fresh database, with settings adjusted by `configure`.
pub async fn spawn_app_with(configure: impl FnOnce(&mut Settings)) -> TestApp {
    let database_url = create_test_database().await;
    let (private, public) = generate_key_pair();
    let issuer = TokenIssuer::from_private_key_hex(&private).expect("a fresh private key");
    start(database_url, issuer, public, configure).await
}

impl TestApp {
    /// Another instance (a second replica) on the same database, trusting
    /// the same key, with its own process-local cache and locks.
    pub async fn spawn_replica(&self, configure: impl FnOnce(&mut Settings)) -> TestApp {
        start(
            self.database_url.clone(),
            self.issuer.clone(),
            self.public_key_hex.clone(),
            configure,
        )
        .await
    }
}

async fn start(
    database_url: String,
    issuer: TokenIssuer,
    public_key_hex: String,
    configure: impl FnOnce(&mut Settings),
) -> TestApp {
    let mut settings = test_settings(&database_url, &public_key_hex);
    configure(&mut settings);
    let application = Application::build(settings)
        .await
        .expect("building the application");
    let address = format!("http://127.0.0.1:{}", application.port());
    tokio::spawn(application.run_until_stopped());
    let options: PgConnectOptions = database_url.parse().expect("a test database URL");
    let pool = PgPoolOptions::new()
        .max_connections(4)
        .connect_with(options)
        .await
        .expect("connecting to the test database");
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()
        .expect("an HTTP client");
    TestApp {
        address,
        pool,
        issuer,
        client,
        database_url,
        public_key_hex,
    }
}

/// The operations department.
pub const OPERATIONS: Role = Role::Employee(Department::Operations);

/// A request body to post.
pub enum Body<'a> {
    /// No body at all.
    Empty,
    /// JSON, sent as `application/json`.
    Json(&'a Value),
    /// Bytes with the content type given in the headers, if any.
    Raw(&'a str),
}

/// What `scheduled_launch` set up.
#[derive(Debug, Clone)]
pub struct LaunchFixture {
    /// The launch.
    pub id: Uuid,
    /// Its rocket.
    pub rocket_id: Uuid,
    /// Seats.
    pub capacity: u32,
    /// Price of one seat.
    pub price_cents: i64,
    /// Departure (whole seconds).
    pub departure_at: DateTime<Utc>,
    /// A token of the operations employee who scheduled it.
    pub ops_token: String,
}

/// Price of one seat on fixture launches.
pub const PRICE_CENTS: i64 = 25_000_000;

impl TestApp {
    /// A fresh user of `role` and a token valid for an hour.
    pub fn token(&self, role: Role) -> (Uuid, String) {
        let user_id = Uuid::now_v7();
        let token = self
            .issuer
            .issue(&Principal { user_id, role }, Duration::from_secs(3_600));
        (user_id, token)
    }

    /// A token of a fresh operations employee.
    pub fn ops_token(&self) -> String {
        self.token(OPERATIONS).1
    }

    /// A token that expired a minute ago.
    pub fn expired_token(&self, role: Role) -> String {
        let principal = Principal {
            user_id: Uuid::now_v7(),
            role,
        };
        self.issuer.issue_expiring_at(
            &principal,
            std::time::SystemTime::now() - Duration::from_secs(60),
        )
    }

    /// A valid token signed by a key the API does not trust.
    pub fn foreign_token(&self, role: Role) -> String {
        let (private, _) = generate_key_pair();
        let issuer = TokenIssuer::from_private_key_hex(&private).expect("a fresh private key");
        issuer.issue(
            &Principal {
                user_id: Uuid::now_v7(),
                role,
            },
            Duration::from_secs(3_600),
        )
    }

    /// `GET path`.
    pub async fn get(&self, path: &str) -> ApiResponse {
        let response = self
            .client
            .get(format!("{}{path}", self.address))
            .send()
            .await
            .expect("sending a request");
        ApiResponse::read(response).await
    }

    /// `POST path` with an optional bearer token, a body and extra headers.
    pub async fn post_raw(
        &self,
        path: &str,
        token: Option<&str>,
        body: Body<'_>,
        headers: &[(&str, &str)],
    ) -> ApiResponse {
        let mut request = self.client.post(format!("{}{path}", self.address));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request = match body {
            Body::Empty => request,
            Body::Json(value) => request.json(value),
            Body::Raw(text) => request.body(text.to_owned()),
        };
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let response = request.send().await.expect("sending a request");
        ApiResponse::read(response).await
    }

    /// `POST path` with a JSON body and a bearer token.
    pub async fn post_json(
        &self,
        path: &str,
        token: &str,
        body: &Value,
        headers: &[(&str, &str)],
    ) -> ApiResponse {
        self.post_raw(path, Some(token), Body::Json(body), headers)
            .await
    }

    /// `PUT path` with an optional bearer token and a JSON or raw body.
    pub async fn put(&self, path: &str, token: Option<&str>, body: Body<'_>) -> ApiResponse {
        let mut request = self.client.put(format!("{}{path}", self.address));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request = match body {
            Body::Empty => request,
            Body::Json(value) => request.json(value),
            Body::Raw(text) => request
                .header("Content-Type", "application/json")
                .body(text.to_owned()),
        };
        ApiResponse::read(request.send().await.expect("sending a request")).await
    }

    /// `POST /v1/rockets`.
    pub async fn register_rocket(&self, token: &str, body: &Value) -> ApiResponse {
        self.post_json("/v1/rockets", token, body, &[]).await
    }

    /// `POST /v1/launches`.
    pub async fn schedule_launch(&self, token: &str, body: &Value) -> ApiResponse {
        self.post_json("/v1/launches", token, body, &[]).await
    }

    /// `POST /v1/launches/{id}/{action}` (confirm, delay, abort, launched).
    pub async fn launch_action(
        &self,
        token: &str,
        launch_id: Uuid,
        action: &str,
        body: Option<&Value>,
    ) -> ApiResponse {
        let path = format!("/v1/launches/{launch_id}/{action}");
        let body = body.map_or(Body::Empty, Body::Json);
        self.post_raw(&path, Some(token), body, &[]).await
    }

    /// Books `passengers` adult passengers on `launch_id`.
    pub async fn book(&self, token: &str, launch_id: Uuid, passengers: usize) -> ApiResponse {
        self.book_with(token, launch_id, &booking_body(passengers), &[])
            .await
    }

    /// Books with an explicit body and headers.
    pub async fn book_with(
        &self,
        token: &str,
        launch_id: Uuid,
        body: &Value,
        headers: &[(&str, &str)],
    ) -> ApiResponse {
        let path = format!("/v1/launches/{launch_id}/bookings");
        self.post_json(&path, token, body, headers).await
    }

    /// Cancels a booking.
    pub async fn cancel(&self, token: &str, launch_id: Uuid, booking_id: Uuid) -> ApiResponse {
        let path = format!("/v1/launches/{launch_id}/bookings/{booking_id}/cancel");
        self.post_raw(&path, Some(token), Body::Empty, &[]).await
    }

    /// Registers a rocket (as a fresh operations employee) and returns its id.
    pub async fn new_rocket(&self, capacity: u32, range: &str) -> Uuid {
        let response = self
            .register_rocket(&self.ops_token(), &rocket_body(capacity, range))
            .await;
        response.assert_status(201);
        response.uuid("rocket_id")
    }

    /// A Moon rocket of `capacity` seats and a launch on it departing in
    /// `departs_in`, scheduled by a fresh operations employee.
    pub async fn scheduled_launch(
        &self,
        capacity: u32,
        departs_in: chrono::Duration,
    ) -> LaunchFixture {
        let rocket_id = self.new_rocket(capacity, "moon").await;
        let departure_at = (Utc::now() + departs_in).trunc_subsecs(0);
        let ops_token = self.ops_token();
        let response = self
            .schedule_launch(
                &ops_token,
                &launch_body(rocket_id, departure_at, PRICE_CENTS),
            )
            .await;
        response.assert_status(201);
        LaunchFixture {
            id: response.uuid("launch_id"),
            rocket_id,
            capacity,
            price_cents: PRICE_CENTS,
            departure_at,
            ops_token,
        }
    }

    /// Books and returns the booking id, asserting 201.
    pub async fn booked(&self, token: &str, launch_id: Uuid, passengers: usize) -> Uuid {
        let response = self.book(token, launch_id, passengers).await;
        response.assert_status(201);
        response.uuid("booking_id")
    }
}

/// A rocket registration body.
pub fn rocket_body(capacity: u32, range: &str) -> Value {
    json!({ "name": "Selene IV", "capacity": capacity, "range": range })
}

/// A launch scheduling body: Kourou to the Moon.
pub fn launch_body(rocket_id: Uuid, departure_at: DateTime<Utc>, price_cents: i64) -> Value {
    json!({
        "rocket_id": rocket_id,
        "spaceport": "Kourou",
        "destination": "moon",
        "departure_at": departure_at.to_rfc3339(),
        "price_per_seat_cents": price_cents,
    })
}

/// `n` adult passengers.
pub fn passengers(n: usize) -> Vec<Value> {
    (0..n)
        .map(|i| json!({ "name": format!("Passenger {i}"), "birth_date": "1990-06-15" }))
        .collect()
}

/// A booking body of `n` adult passengers.
pub fn booking_body(n: usize) -> Value {
    json!({ "passengers": passengers(n) })
}

/// One row of the `events` table.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct StoredEvent {
    pub aggregate_type: String,
    pub aggregate_id: String,
    pub sequence: i64,
    pub event_type: String,
    pub event_version: String,
    pub payload: Value,
    pub metadata: Value,
    pub global_position: i64,
    pub event_id: Uuid,
    pub occurred_at: DateTime<Utc>,
}

impl StoredEvent {
    /// The payload's inner object (`{"SeatsBooked": {...}}` → `{...}`).
    pub fn data(&self) -> &Value {
        &self.payload[&self.event_type]
    }
}

impl TestApp {
    /// Every event of one aggregate, in sequence order.
    pub async fn events_of(&self, aggregate_id: Uuid) -> Vec<StoredEvent> {
        sqlx::query_as(
            "SELECT aggregate_type, aggregate_id, sequence, event_type, event_version,
                    payload::jsonb AS payload, metadata::jsonb AS metadata,
                    global_position, event_id, occurred_at
               FROM events WHERE aggregate_id = $1 ORDER BY sequence",
        )
        .bind(aggregate_id.to_string())
        .fetch_all(&self.pool)
        .await
        .expect("reading events")
    }

    /// How many events of `event_type` are stored, in all.
    pub async fn count_events(&self, event_type: &str) -> i64 {
        sqlx::query_scalar("SELECT count(*) FROM events WHERE event_type = $1")
            .bind(event_type)
            .fetch_one(&self.pool)
            .await
            .expect("counting events")
    }

    /// How many events are stored, in all.
    pub async fn event_count(&self) -> i64 {
        sqlx::query_scalar("SELECT count(*) FROM events")
            .fetch_one(&self.pool)
            .await
            .expect("counting events")
    }

    /// How many outbox rows there are.
    pub async fn outbox_count(&self) -> i64 {
        sqlx::query_scalar("SELECT count(*) FROM outbox")
            .fetch_one(&self.pool)
            .await
            .expect("counting outbox rows")
    }
}

/// Asserts the envelope of an event caused by `response`: correlation id,
/// causation (the request id), actor, and that the metadata's event id and
/// time match the columns.
#[track_caller]
pub fn assert_envelope(
    event: &StoredEvent,
    response: &ApiResponse,
    correlation_id: &str,
    actor_id: Uuid,
    actor_role: &str,
) {
    let metadata = &event.metadata;
    assert_eq!(metadata["correlation_id"], correlation_id, "{metadata}");
    assert_eq!(
        metadata["causation_id"],
        response.request_id(),
        "{metadata}"
    );
    assert_eq!(metadata["actor_id"], actor_id.to_string(), "{metadata}");
    assert_eq!(metadata["actor_role"], actor_role, "{metadata}");
    assert_eq!(
        metadata["event_id"],
        event.event_id.to_string(),
        "{metadata}"
    );
    let occurred_at: DateTime<Utc> = metadata["occurred_at"]
        .as_str()
        .and_then(|t| t.parse().ok())
        .expect("occurred_at in the metadata");
    assert_eq!(occurred_at, event.occurred_at);
    assert_eq!(event.event_version, "1.0");
}

/// Waits until the clock has passed `instant` (bounded by a minute).
pub async fn wait_until_past(instant: DateTime<Utc>) {
    wait_for(
        Duration::from_secs(60),
        "the clock to pass an instant",
        || async { Utc::now() > instant },
    )
    .await;
}
