//! The harness: per test, a fresh event store behind a real command API,
//! the real relay publishing to a JetStream stream and subject prefix of
//! the test's own, a MongoDB `core` database of its own, holders' profiles
//! in PostgreSQL, and the notifier in-process, sending to a real SMTP
//! server (the shared maildev, or a private one the test starts and stops).

use std::time::Duration;

use async_nats::jetstream;
use bson::doc;
use chrono::{SubsecRound, Utc};
use futures::TryStreamExt;
use notifier::Settings;
use platform::auth::generate_key_pair;
use platform::shutdown::Stopper;
use platform::{Principal, Role, TokenIssuer};
use projectors::settings::Component;
use read_models::core_db::{NotificationDoc, NOTIFICATIONS};
use serde_json::{json, Value};
use sqlx::postgres::PgPoolOptions;
use sqlx::PgPool;
use testkit::{create_test_database, mongodb_uri, nats_url};
use uuid::Uuid;

/// One test's world.
pub struct World {
    /// The command API's address.
    pub api: String,
    /// HTTP client.
    pub http: reqwest::Client,
    /// The event store's URL.
    pub database_url: String,
    /// A pool on it.
    pub pool: PgPool,
    /// NATS.
    pub nats: async_nats::Client,
    /// The test's events stream.
    pub stream: String,
    /// The test's subject prefix.
    pub prefix: String,
    /// The test's dead-letter stream.
    pub dead_letters: String,
    /// The test's `core` database.
    pub core: mongodb::Database,
    /// A word unique to this test, for addresses.
    pub id: String,
    /// The auth service's public key (tokens are signed with its pair).
    pub public_key: String,
    issuer: TokenIssuer,
    ops: String,
    relay: Option<Running>,
}

/// Something running in-process, stopped gracefully on [`Running::stop`].
pub struct Running {
    /// Its HTTP port.
    pub port: u16,
    stopper: Stopper,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Running {
    /// Stops it and waits.
    pub async fn stop(self) {
        self.stopper.stop();
        self.task.await.expect("the task").expect("a clean stop");
    }

    /// Its `/metrics` text.
    pub async fn metrics(&self) -> String {
        reqwest::get(format!("http://127.0.0.1:{}/metrics", self.port))
            .await
            .expect("metrics answer")
            .text()
            .await
            .expect("metrics text")
    }
}

/// A holder with a profile.
#[derive(Debug, Clone)]
pub struct Holder {
    /// Their token.
    pub token: String,
    /// Their address.
    pub email: String,
}

impl World {
    /// A fresh world with the command API and the relay running.
    pub async fn new() -> Self {
        let database_url = create_test_database().await;
        let (private, public) = generate_key_pair();
        let issuer = TokenIssuer::from_private_key_hex(&private).expect("a fresh key");
        let settings = command_api::Settings {
            addr: "127.0.0.1:0".into(),
            database_url: database_url.clone().into(),
            database_max_connections: 6,
            database_acquire_timeout: Duration::from_secs(10),
            run_migrations: true,
            auth_public_key: public.clone(),
            nats_url: nats_url(),
            snapshot_every: 100,
            aggregate_cache_size: 1_000,
            command_max_attempts: 20,
            http_workers: 1,
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
            .max_connections(2)
            .connect(&database_url)
            .await
            .expect("the test database");
        let nats = async_nats::connect(nats_url())
            .await
            .expect("NATS (is it running?)");
        let id = Uuid::new_v4().simple().to_string()[..16].to_owned();
        let client = read_models::mongo::client(&mongodb_uri(), "notifier-tests")
            .await
            .expect("a MongoDB client");
        let ops = issuer.issue(
            &Principal {
                user_id: Uuid::now_v7(),
                role: Role::Employee(platform::Department::Operations),
            },
            Duration::from_secs(3600),
        );
        let mut world = Self {
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
            core: client.database(&format!("core_test_{id}")),
            id,
            public_key: public,
            issuer,
            ops,
            relay: None,
        };
        world.relay = Some(world.start_relay().await);
        // The command API migrates at start-up; the profiles tables come
        // with that.
        testkit::wait_for(Duration::from_secs(30), "the command API", || async {
            world
                .http
                .get(format!("{}/ready", world.api))
                .send()
                .await
                .is_ok_and(|r| r.status() == 200)
        })
        .await;
        world
    }

    async fn start_relay(&self) -> Running {
        let settings = projectors::Settings {
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
            sales_database: format!("sales_test_{}", self.id),
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
            components: vec![Component::Relay],
        };
        let application = projectors::Application::build(settings)
            .await
            .expect("the relay");
        Running {
            port: application.port(),
            stopper: application.stopper(),
            task: tokio::spawn(application.run_until_stopped()),
        }
    }

    /// Notifier settings for this world, sending to `smtp_url`, retrying
    /// quickly.
    pub fn settings(&self, smtp_url: &str) -> Settings {
        Settings {
            addr: "127.0.0.1:0".into(),
            database_url: self.database_url.clone().into(),
            database_max_connections: 2,
            nats_url: nats_url(),
            stream: self.stream.clone(),
            subject_prefix: self.prefix.clone(),
            consumer: "notifier".into(),
            start_from_new: false,
            ack_wait: Duration::from_secs(5),
            dead_letter_stream: self.dead_letters.clone(),
            dead_letter_after: 3,
            mongodb_uri: mongodb_uri().into(),
            core_database: self.core.name().to_owned(),
            smtp_url: smtp_url.to_owned().into(),
            smtp_from: "Astro Bookings <no-reply@astro.example>".into(),
            smtp_timeout: Duration::from_secs(5),
            support_email: "support@astro.example".into(),
            currency: "EUR".into(),
            max_attempts: 50,
            backoff_base: Duration::from_millis(100),
            backoff_max: Duration::from_millis(400),
            send_concurrency: 2,
            poll_interval: Duration::from_millis(100),
            lease: Duration::from_secs(30),
            profile_wait: Duration::from_secs(300),
            plan_batch: 100,
            context_cache_size: 64,
            shutdown_timeout_secs: 2,
        }
    }

    /// Starts the notifier in-process with `settings`.
    pub async fn start_notifier(&self, settings: Settings) -> Running {
        let application = notifier::Application::build(settings)
            .await
            .expect("the notifier");
        Running {
            port: application.port(),
            stopper: application.stopper(),
            task: tokio::spawn(application.run_until_stopped()),
        }
    }

    /// A query API in-process on this world's `core` database and event
    /// store; its address.
    pub async fn start_query_api(&self) -> String {
        let settings = query_api::Settings {
            addr: "127.0.0.1:0".into(),
            mongodb_uri: mongodb_uri(),
            sales_database: format!("sales_test_{}", self.id),
            auth_public_key: self.public_key.clone(),
            nats_url: nats_url(),
            read_your_writes_max_wait: Duration::from_secs(2),
            listing_cache_ttl: Duration::from_millis(1_000),
            listing_cache_size: 16,
            http_workers: 1,
            cors_allowed_origins: platform::cors::AllowedOrigins::none(),
            shutdown_timeout_secs: 1,
            finance: query_api::settings::FinanceSettings {
                database_url: self.database_url.clone().into(),
                ..Default::default()
            },
            ops: query_api::settings::OpsSettings {
                core_database: self.core.name().to_owned(),
                ..Default::default()
            },
        };
        let application = query_api::Application::build(settings)
            .await
            .expect("the query API");
        let address = format!("http://127.0.0.1:{}", application.port());
        tokio::spawn(application.run_until_stopped());
        testkit::wait_for(
            Duration::from_secs(30),
            "the query API to be ready",
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

    /// A unique address of this test.
    pub fn address(&self, who: &str) -> String {
        format!("{who}.{}@example.com", self.id)
    }

    /// A token of a fresh user of `role`.
    pub fn token(&self, role: Role) -> (Uuid, String) {
        let user_id = Uuid::now_v7();
        let token = self
            .issuer
            .issue(&Principal { user_id, role }, Duration::from_secs(3600));
        (user_id, token)
    }

    /// A traveler with a profile (as the profiles projector writes it).
    pub async fn traveler(&self, who: &str, name: &str) -> Holder {
        let (id, token) = self.token(Role::Traveler);
        let email = self.address(who);
        sqlx::query(
            "INSERT INTO travelers (user_id, email, full_name, birth_date, registered_at, updated_at)
             VALUES ($1, $2, $3, '1985-12-10', now(), now())",
        )
        .bind(id)
        .bind(&email)
        .bind(name)
        .execute(&self.pool)
        .await
        .expect("a traveler's profile");
        Holder { token, email }
    }

    /// An agency with a profile.
    pub async fn agency(&self, who: &str, legal_name: &str) -> Holder {
        let (id, token) = self.token(Role::Agency);
        let email = self.address(who);
        sqlx::query(
            "INSERT INTO agencies (user_id, email, legal_name, tax_id, address_line1, city,
                                   postal_code, country, contact_name, contact_email,
                                   contact_phone, registered_at, updated_at)
             VALUES ($1, $2, $3, 'FR123', '1 Quai', 'Paris', '75001', 'FR', 'Desk',
                     $2, '+33 1 00 00 00 00', now(), now())",
        )
        .bind(id)
        .bind(&email)
        .bind(legal_name)
        .execute(&self.pool)
        .await
        .expect("an agency's profile");
        Holder { token, email }
    }

    /// `POST path` on the command API; status and body.
    pub async fn post(&self, path: &str, token: &str, body: Value) -> (u16, Value) {
        let response = self
            .http
            .post(format!("{}{path}", self.api))
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .expect("the command API answers");
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// `method url` with `token`, no body; status and body.
    pub async fn call(&self, method: reqwest::Method, url: &str, token: String) -> (u16, Value) {
        let response = self
            .http
            .request(method, url)
            .bearer_auth(token)
            .send()
            .await
            .expect("an answer");
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or_default())
    }

    /// A launch of Selene IV to the Moon departing in `days` days.
    pub async fn launch(&self, days: i64) -> Uuid {
        let departure = (Utc::now() + chrono::Duration::days(days)).trunc_subsecs(0);
        let (status, rocket) = self
            .post(
                "/v1/rockets",
                &self.ops,
                json!({ "name": "Selene IV", "capacity": 20, "range": "moon" }),
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

    /// Books `passengers` (name, optional email) on `launch` as `holder`.
    pub async fn book(
        &self,
        holder: &Holder,
        launch: Uuid,
        passengers: &[(&str, Option<&str>)],
    ) -> Uuid {
        let passengers: Vec<Value> = passengers
            .iter()
            .map(|(name, email)| {
                let mut passenger = json!({ "name": name, "birth_date": "1990-06-15" });
                if let Some(email) = email {
                    passenger["email"] = json!(email);
                }
                passenger
            })
            .collect();
        let (status, body) = self
            .post(
                &format!("/v1/launches/{launch}/bookings"),
                &holder.token,
                json!({ "passengers": passengers }),
            )
            .await;
        assert_eq!(status, 201, "{body}");
        uuid(&body["booking_id"])
    }

    /// Cancels `booking` as its holder; the refund in cents.
    pub async fn cancel(&self, holder: &Holder, launch: Uuid, booking: Uuid) -> i64 {
        let (status, body) = self
            .post(
                &format!("/v1/launches/{launch}/bookings/{booking}/cancel"),
                &holder.token,
                json!({}),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        body["refund_cents"].as_i64().expect("a refund")
    }

    /// A lifecycle action (`delay`, `abort`, …) by operations.
    pub async fn act(&self, launch: Uuid, action: &str, body: Value) {
        let (status, answer) = self
            .post(&format!("/v1/launches/{launch}/{action}"), &self.ops, body)
            .await;
        assert_eq!(status, 200, "{action}: {answer}");
    }

    /// Waits until this world's stream holds `count` events.
    pub async fn wait_published(&self, count: u64) {
        let jetstream = jetstream::new(self.nats.clone());
        testkit::wait_for(Duration::from_secs(60), "the relay to publish", || async {
            let mut stream = jetstream
                .get_stream(&self.stream)
                .await
                .expect("the stream");
            stream.info().await.expect("stream info").state.messages >= count
        })
        .await;
    }

    /// Publishes the stream's last event again (it must be an
    /// `event_type`) under a new message id, as a relay that crashed after
    /// publishing and before committing would, beyond the duplicate window.
    pub async fn republish_last(&self, event_type: &str) {
        let jetstream = jetstream::new(self.nats.clone());
        let mut stream = jetstream
            .get_stream(&self.stream)
            .await
            .expect("the stream");
        let last = stream
            .info()
            .await
            .expect("stream info")
            .state
            .last_sequence;
        let original = stream.get_raw_message(last).await.expect("the last event");
        assert_eq!(
            original.headers.get("Astro-Event-Type").map(|v| v.as_str()),
            Some(event_type)
        );
        testkit::republish(&jetstream, &original, &format!("a-copy-of-{last}")).await;
    }

    /// The notifications stored for `recipient`.
    pub async fn notifications_to(&self, recipient: &str) -> Vec<NotificationDoc> {
        self.core
            .collection::<NotificationDoc>(NOTIFICATIONS)
            .find(doc! { "recipient": recipient })
            .sort(doc! { "created_at": 1 })
            .await
            .expect("reading notifications")
            .try_collect()
            .await
            .expect("reading notifications")
    }

    /// Every notification stored.
    pub async fn notifications(&self) -> Vec<NotificationDoc> {
        self.core
            .collection::<NotificationDoc>(NOTIFICATIONS)
            .find(doc! {})
            .await
            .expect("reading notifications")
            .try_collect()
            .await
            .expect("reading notifications")
    }

    /// Waits until `recipient` has a notification for which `condition`
    /// holds, and returns it.
    pub async fn wait_notification(
        &self,
        recipient: &str,
        what: &str,
        condition: impl Fn(&NotificationDoc) -> bool,
    ) -> NotificationDoc {
        let mut found = None;
        let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
        while found.is_none() {
            found = self
                .notifications_to(recipient)
                .await
                .into_iter()
                .find(|n| condition(n));
            if found.is_none() {
                assert!(
                    tokio::time::Instant::now() < deadline,
                    "timed out waiting for {what} to {recipient}: {:?}",
                    self.notifications_to(recipient).await
                );
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
        found.expect("found")
    }

    /// Stops the relay: what is committed from now on waits in the outbox
    /// (so a test can rewrite it as an older release would have stored it).
    pub async fn pause_relay(&mut self) {
        if let Some(relay) = self.relay.take() {
            relay.stop().await;
        }
    }

    /// Starts the relay again after [`Self::pause_relay`].
    pub async fn resume_relay(&mut self) {
        if self.relay.is_none() {
            self.relay = Some(self.start_relay().await);
        }
    }

    /// Drops the test's MongoDB databases and streams (best effort) and
    /// stops the relay.
    pub async fn cleanup(mut self) {
        if let Some(relay) = self.relay.take() {
            relay.stop().await;
        }
        let _ = self.core.drop().await;
        let jetstream = async_nats::jetstream::new(self.nats.clone());
        let _ = jetstream.delete_stream(&self.stream).await;
        let _ = jetstream.delete_stream(&self.dead_letters).await;
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
