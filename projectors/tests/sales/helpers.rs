//! The harness: per test, a fresh event store behind a real command API, a
//! JetStream stream and subject prefix of its own, a MongoDB database of its
//! own, and the projectors (in-process, or the real binary to kill -9).

use std::collections::HashMap;
use std::process::Stdio;
use std::time::Duration;

use bson::{doc, Document};
use chrono::{DateTime, SubsecRound, Utc};
use futures::TryStreamExt;
use platform::auth::generate_key_pair;
use platform::{Principal, Role, TokenIssuer};
use projectors::settings::Component;
use projectors::startup::Stopper;
use projectors::{Application, Settings};
use read_models::sales::{BookingDoc, LaunchDoc, BOOKINGS, LAUNCHES};
use serde_json::{json, Value};
use sqlx::postgres::PgPoolOptions;
use sqlx::PgPool;
use testkit::{create_test_database, mongodb_uri, nats_url};
use tokio::process::{Child, Command};
use uuid::Uuid;

/// One test's world.
pub struct World {
    /// The command API's address.
    pub api: String,
    /// HTTP client.
    pub http: reqwest::Client,
    /// The event store's URL.
    pub database_url: String,
    /// A pool on it, for assertions.
    pub pool: PgPool,
    /// NATS, for reading streams.
    pub nats: async_nats::Client,
    /// The test's events stream.
    pub stream: String,
    /// The test's subject prefix.
    pub prefix: String,
    /// The test's dead-letter stream.
    pub dead_letters: String,
    /// The test's MongoDB database name.
    pub mongo_name: String,
    /// That database.
    pub mongo: mongodb::Database,
    /// A traveler's id and token.
    pub traveler: (Uuid, String),
    ops: String,
    issuer: TokenIssuer,
    public_key: String,
    private_key: String,
}

impl World {
    /// A fresh world with a command API running on it.
    pub async fn new() -> Self {
        let database_url = create_test_database().await;
        let (private, public) = generate_key_pair();
        let issuer = TokenIssuer::from_private_key_hex(&private).expect("a fresh key");
        let settings = command_api::Settings {
            addr: "127.0.0.1:0".into(),
            database_url: database_url.clone().into(),
            database_max_connections: 10,
            database_acquire_timeout: Duration::from_secs(10),
            run_migrations: true,
            auth_public_key: public.clone(),
            nats_url: testkit::nats_url(),
            snapshot_every: 100,
            aggregate_cache_size: 10_000,
            command_max_attempts: 20,
            http_workers: 2,
            cors_allowed_origins: platform::cors::AllowedOrigins::none(),
            max_body_bytes: 65_536,
            shutdown_timeout_secs: 1,
            idempotency_retention: Duration::from_secs(3600),
        };
        let application = command_api::Application::build(settings)
            .await
            .expect("the command API");
        let api = format!("http://127.0.0.1:{}", application.port());
        tokio::spawn(application.run_until_stopped());
        let pool = PgPoolOptions::new()
            .max_connections(4)
            .connect(&database_url)
            .await
            .expect("the test database");
        let nats = async_nats::connect(nats_url())
            .await
            .expect("NATS (is it running?)");
        let id = Uuid::new_v4().simple().to_string();
        let mongo_name = format!("sales_test_{}", &id[..16]);
        let client = read_models::mongo::client(&mongodb_uri(), "projectors-tests")
            .await
            .expect("a MongoDB client");
        let token = |role| {
            let user_id = Uuid::now_v7();
            (
                user_id,
                issuer.issue(&Principal { user_id, role }, Duration::from_secs(3600)),
            )
        };
        let traveler = token(Role::Traveler);
        let ops = token(Role::Employee(platform::Department::Operations)).1;
        Self {
            api,
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(60))
                .build()
                .expect("an HTTP client"),
            database_url,
            pool,
            nats,
            stream: format!("TEST_EVENTS_{id}"),
            prefix: format!("test.{id}.events"),
            dead_letters: format!("TEST_DEAD_{id}"),
            mongo: client.database(&mongo_name),
            mongo_name,
            traveler,
            ops,
            issuer,
            public_key: public,
            private_key: private,
        }
    }

    /// The auth service in-process, signing with this world's key, on a
    /// MongoDB database of its own, publishing user messages to this
    /// world's users stream; its address.
    pub async fn start_auth(&self) -> String {
        let settings = auth::Settings {
            addr: "127.0.0.1:0".into(),
            mongodb_uri: mongodb_uri().into(),
            core_database: self.mongo_name.replace("sales_test_", "core_test_"),
            nats_url: nats_url(),
            private_key: self.private_key.clone().into(),
            access_token_ttl: Duration::from_secs(900),
            refresh_token_ttl: Duration::from_secs(3_600),
            // Cheap hashing: a debug build, and the cost is not under test.
            argon2: auth::password::HashParams {
                memory_kib: 1_024,
                iterations: 1,
                parallelism: 1,
            },
            argon2_max_concurrent: 2,
            login_limits: auth::throttle::Limits::default(),
            trust_forwarded_for: false,
            bootstrap: None,
            outbox_poll_interval: Duration::from_millis(200),
            outbox_lease: Duration::from_secs(5),
            users_stream: format!("{}_USERS", self.stream),
            users_subject_prefix: format!("{}-users", self.prefix),
            http_workers: 2,
            cors_allowed_origins: platform::cors::AllowedOrigins::none(),
            max_body_bytes: 16_384,
            shutdown_timeout_secs: 1,
            clients: auth::sso::Clients::parse(auth::sso::LOCAL_CLIENTS)
                .expect("the local clients"),
            code_ttl: Duration::from_secs(60),
        };
        let application = auth::Application::build(settings)
            .await
            .expect("the auth service");
        let address = format!("http://127.0.0.1:{}", application.port());
        tokio::spawn(application.run_until_stopped());
        // It answers 503 until its indexes exist and revocations are read.
        testkit::wait_for(
            Duration::from_secs(30),
            "the auth service to be ready",
            || async {
                self.http
                    .get(format!("{address}/ready"))
                    .send()
                    .await
                    .is_ok_and(|r| r.status() == 200)
            },
        )
        .await;
        address
    }

    /// A token of a fresh user of `role`.
    pub fn token(&self, role: Role) -> (Uuid, String) {
        let user_id = Uuid::now_v7();
        let token = self
            .issuer
            .issue(&Principal { user_id, role }, Duration::from_secs(3600));
        (user_id, token)
    }

    /// A query API on this world's read model; its address.
    pub async fn start_query_api(&self) -> String {
        let settings = query_api::Settings {
            addr: "127.0.0.1:0".into(),
            mongodb_uri: mongodb_uri(),
            sales_database: self.mongo_name.clone(),
            auth_public_key: self.public_key.clone(),
            nats_url: testkit::nats_url(),
            read_your_writes_max_wait: Duration::from_secs(5),
            listing_cache_ttl: Duration::from_millis(1_000),
            listing_cache_size: 64,
            http_workers: 2,
            cors_allowed_origins: platform::cors::AllowedOrigins::none(),
            shutdown_timeout_secs: 1,
            finance: query_api::settings::FinanceSettings {
                database_url: self.database_url.clone().into(),
                ..Default::default()
            },
            ops: query_api::settings::OpsSettings::default(),
        };
        let application = query_api::Application::build(settings)
            .await
            .expect("the query API");
        let address = format!("http://127.0.0.1:{}", application.port());
        tokio::spawn(application.run_until_stopped());
        address
    }

    /// `GET url` with optional token and headers: status, headers, body.
    pub async fn get(
        &self,
        url: &str,
        token: Option<&str>,
        headers: &[(&str, String)],
    ) -> (u16, reqwest::header::HeaderMap, Value) {
        let mut request = self.http.get(url);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        for (name, value) in headers {
            request = request.header(*name, value);
        }
        let response = request.send().await.expect("the query API answers");
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        (
            status,
            headers,
            response.json().await.unwrap_or(Value::Null),
        )
    }

    /// Projectors settings for this world, running `components`.
    pub fn settings(&self, components: &[Component]) -> Settings {
        Settings {
            addr: "127.0.0.1:0".into(),
            database_url: self.database_url.clone().into(),
            nats_url: nats_url(),
            batch_size: 100,
            poll_interval: Duration::from_millis(50),
            publish_timeout: Duration::from_secs(5),
            max_backoff: Duration::from_millis(500),
            stream: self.stream.clone(),
            subject_prefix: self.prefix.clone(),
            stream_max_age: Duration::from_secs(3600),
            duplicate_window: Duration::from_secs(120),
            shutdown_timeout_secs: 1,
            mongodb_uri: mongodb_uri().into(),
            sales_database: self.mongo_name.clone(),
            sales_consumer: "sales".into(),
            sales_batch_size: 200,
            sales_ack_wait: Duration::from_secs(2),
            dead_letter_after: 3,
            dead_letter_stream: self.dead_letters.clone(),
            users_stream: format!("{}_USERS", self.stream),
            users_subject_prefix: format!("{}-users", self.prefix),
            profiles_consumer: "profiles".into(),
            finance_consumer: "finance".into(),
            finance_batch_size: 500,
            finance_poll_interval: Duration::from_millis(200),
            components: components.to_vec(),
        }
    }

    /// Starts the projectors in-process with `settings`.
    pub async fn start(&self, settings: Settings) -> Running {
        let application = Application::build(settings).await.expect("the projectors");
        let port = application.port();
        let stopper = application.stopper();
        let task = tokio::spawn(application.run_until_stopped());
        Running {
            port,
            stopper,
            task,
        }
    }

    /// The relay and the sales projector, in-process.
    pub async fn start_all(&self) -> Running {
        self.start(self.settings(&Component::ALL)).await
    }

    /// The real `projectors` binary running `component`, its output
    /// discarded.
    pub fn spawn_binary(&self, component: Component) -> Child {
        let settings = self.settings(&[component]);
        Command::new(env!("CARGO_BIN_EXE_projectors"))
            .arg(component.as_str())
            .env("PROJECTORS_ADDR", "127.0.0.1:0")
            .env("DATABASE_URL", &self.database_url)
            .env("NATS_URL", nats_url())
            .env("EVENTS_STREAM", &self.stream)
            .env("EVENTS_SUBJECT_PREFIX", &self.prefix)
            .env("MONGODB_URI", mongodb_uri())
            .env("MONGODB_SALES_DB", &self.mongo_name)
            .env(
                "SALES_ACK_WAIT_SECS",
                settings.sales_ack_wait.as_secs().to_string(),
            )
            .env("DEAD_LETTER_STREAM", &self.dead_letters)
            .env("RELAY_POLL_INTERVAL_MS", "50")
            .env("RELAY_MAX_BACKOFF_MS", "500")
            .env("RUST_LOG", "warn")
            // Not into the development core.logs.
            .env("LOG_SHIPPING", "off")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("starting the projectors binary")
    }

    /// `POST path` on the command API with `token` and a JSON body; the
    /// status and body.
    pub async fn post(&self, path: &str, token: &str, body: Value) -> (u16, Value) {
        self.send(reqwest::Method::POST, path, token, body).await
    }

    /// `PUT path` on the command API with `token` and a JSON body; the
    /// status and body.
    pub async fn put(&self, path: &str, token: &str, body: Value) -> (u16, Value) {
        self.send(reqwest::Method::PUT, path, token, body).await
    }

    async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        token: &str,
        body: Value,
    ) -> (u16, Value) {
        let response = self
            .http
            .request(method, format!("{}{path}", self.api))
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .expect("the command API answers");
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// A launch of `capacity` seats to the Moon, departing in a year and a
    /// half.
    pub async fn launch(&self, capacity: u32) -> Uuid {
        let departure = (Utc::now() + chrono::Duration::days(540)).trunc_subsecs(0);
        self.launch_departing(capacity, departure).await
    }

    /// A launch of `capacity` seats to the Moon departing at `departure`.
    pub async fn launch_departing(&self, capacity: u32, departure: DateTime<Utc>) -> Uuid {
        let (status, rocket) = self
            .post(
                "/v1/rockets",
                &self.ops,
                json!({ "name": "Selene IV", "capacity": capacity, "range": "moon" }),
            )
            .await;
        assert_eq!(status, 201, "{rocket}");
        let (status, launch) = self
            .post(
                "/v1/launches",
                &self.ops,
                json!({
                    "rocket_id": rocket["rocket_id"],
                    "spaceport": "Kourou",
                    "destination": "moon",
                    "departure_at": departure.to_rfc3339(),
                    "price_per_seat_cents": 25_000_000,
                }),
            )
            .await;
        assert_eq!(status, 201, "{launch}");
        uuid(&launch["launch_id"])
    }

    /// Books `seats` passengers on `launch` as `token`'s holder; the
    /// booking's id, or `None` on a refusal.
    pub async fn book_as(&self, token: &str, launch: Uuid, seats: usize) -> Option<Uuid> {
        self.book_versioned(token, launch, seats)
            .await
            .map(|(id, _)| id)
    }

    /// Like [`Self::book_as`], with the launch's stream version after it.
    pub async fn book_versioned(
        &self,
        token: &str,
        launch: Uuid,
        seats: usize,
    ) -> Option<(Uuid, u64)> {
        let passengers: Vec<Value> = (0..seats)
            .map(|i| json!({ "name": format!("Passenger {i}"), "birth_date": "1990-06-15" }))
            .collect();
        let (status, body) = self
            .post(
                &format!("/v1/launches/{launch}/bookings"),
                token,
                json!({ "passengers": passengers }),
            )
            .await;
        match status {
            201 => Some((
                uuid(&body["booking_id"]),
                body["version"].as_u64().expect("a version"),
            )),
            409 => None,
            other => panic!("booking answered {other}: {body}"),
        }
    }

    /// Books as this world's traveler, asserting success.
    pub async fn book(&self, launch: Uuid, seats: usize) -> Uuid {
        let token = self.traveler.1.clone();
        self.book_as(&token, launch, seats)
            .await
            .expect("a booking")
    }

    /// Cancels a booking of this world's traveler; the launch's version
    /// after it.
    pub async fn cancel(&self, launch: Uuid, booking: Uuid) -> u64 {
        let token = self.traveler.1.clone();
        let (status, body) = self
            .post(
                &format!("/v1/launches/{launch}/bookings/{booking}/cancel"),
                &token,
                json!({}),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        body["version"].as_u64().expect("a version")
    }

    /// A lifecycle action (`confirm`, `abort`, …) by operations; the
    /// launch's version after it.
    pub async fn act(&self, launch: Uuid, action: &str, body: Value) -> u64 {
        let ops = self.ops.clone();
        let (status, answer) = self
            .post(&format!("/v1/launches/{launch}/{action}"), &ops, body)
            .await;
        assert_eq!(status, 200, "{action}: {answer}");
        answer["version"].as_u64().unwrap_or(0)
    }

    /// Commits, as the command API would, event `sequence` of launch
    /// `launch` with a payload this code cannot read; its global position.
    pub async fn insert_unreadable_event(&self, launch: &str, sequence: i64) -> i64 {
        let metadata = events::EventMetadata::for_command(
            Utc::now(),
            "corr-broken",
            "req-broken",
            &events::Actor {
                id: "system".into(),
                role: "system".into(),
            },
        );
        sqlx::query_scalar(
            "INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type, event_version,
                                 payload, metadata, event_id, occurred_at)
             VALUES ('Launch', $1, $2, 'SeatsBooked', '1.0',
                     '{\"SeatsBooked\": {\"seats\": \"many\"}}', $3::json, $4, $5)
             RETURNING global_position",
        )
        .bind(launch)
        .bind(sequence)
        .bind(serde_json::to_string(&metadata.to_map()).expect("a map"))
        .bind(metadata.event_id)
        .bind(metadata.occurred_at)
        .fetch_one(&self.pool)
        .await
        .expect("inserting the broken event")
    }

    /// Every launch document, by id.
    pub async fn launches(&self) -> HashMap<String, LaunchDoc> {
        self.mongo
            .collection::<LaunchDoc>(LAUNCHES)
            .find(doc! {})
            .await
            .expect("reading launches")
            .try_collect::<Vec<_>>()
            .await
            .expect("reading launches")
            .into_iter()
            .map(|l| (l.id.clone(), l))
            .collect()
    }

    /// Every booking document, by id.
    pub async fn bookings(&self) -> HashMap<String, BookingDoc> {
        self.mongo
            .collection::<BookingDoc>(BOOKINGS)
            .find(doc! {})
            .await
            .expect("reading bookings")
            .try_collect::<Vec<_>>()
            .await
            .expect("reading bookings")
            .into_iter()
            .map(|b| (b.id.clone(), b))
            .collect()
    }

    /// Each launch's last sequence in the event store.
    pub async fn heads(&self) -> HashMap<String, i64> {
        sqlx::query_as::<_, (String, i64)>(
            "SELECT aggregate_id, max(sequence) FROM events
              WHERE aggregate_type = 'Launch' GROUP BY aggregate_id",
        )
        .fetch_all(&self.pool)
        .await
        .expect("reading the store")
        .into_iter()
        .collect()
    }

    /// Whether every launch document has its launch's last event.
    pub async fn caught_up(&self) -> bool {
        let heads = self.heads().await;
        let launches = self.launches().await;
        heads
            .iter()
            .all(|(id, head)| launches.get(id).is_some_and(|l| l.version == *head))
    }

    /// Waits until the read model has every committed event.
    pub async fn wait_caught_up(&self, timeout: Duration) {
        testkit::wait_for(timeout, "the read model to catch up", || self.caught_up()).await;
    }

    /// Drops the test's MongoDB database and streams (best effort).
    pub async fn cleanup(self) {
        let _ = self.mongo.drop().await;
        if let Ok(client) = read_models::mongo::client(&mongodb_uri(), "projectors-tests").await {
            let core = self.mongo_name.replace("sales_test_", "core_test_");
            let _ = client.database(&core).drop().await;
        }
        let jetstream = async_nats::jetstream::new(self.nats.clone());
        let _ = jetstream.delete_stream(&self.stream).await;
        let _ = jetstream.delete_stream(&self.dead_letters).await;
        let _ = jetstream
            .delete_stream(format!("{}_USERS", self.stream))
            .await;
    }

    /// Every document of `collection`, sorted by `_id`.
    pub async fn dump(&self, collection: &str) -> Vec<Document> {
        self.mongo
            .collection::<Document>(collection)
            .find(doc! {})
            .sort(doc! { "_id": 1 })
            .await
            .expect("reading a collection")
            .try_collect()
            .await
            .expect("reading a collection")
    }
}

/// Projectors running in-process.
pub struct Running {
    /// Their HTTP port.
    pub port: u16,
    stopper: Stopper,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Running {
    /// Stops them gracefully and waits.
    pub async fn stop(self) {
        self.stopper.stop();
        self.task
            .await
            .expect("the projectors task")
            .expect("a clean stop");
    }

    /// Their `/ready`: the status code and the JSON body.
    pub async fn ready(&self) -> (u16, Value) {
        let response = reqwest::get(format!("http://127.0.0.1:{}/ready", self.port))
            .await
            .expect("ready answers");
        let status = response.status().as_u16();
        (status, response.json().await.expect("a JSON body"))
    }

    /// Their `/metrics` text.
    pub async fn metrics(&self) -> String {
        reqwest::get(format!("http://127.0.0.1:{}/metrics", self.port))
            .await
            .expect("metrics answer")
            .text()
            .await
            .expect("metrics text")
    }
}

pub use testkit::metric;

/// A JSON string holding a uuid.
pub fn uuid(value: &Value) -> Uuid {
    value
        .as_str()
        .and_then(|s| Uuid::parse_str(s).ok())
        .unwrap_or_else(|| panic!("expected a uuid, got {value}"))
}
