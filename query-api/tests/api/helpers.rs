//! The test harness: a real query API on a fresh MongoDB database per test
//! (dropped when the test ends), a token issuer whose public key the API
//! trusts, launch fixtures built by folding events with the read model's own
//! `apply`, and typed helpers for requests.

use std::time::Duration;

use chrono::{DateTime, NaiveDate, SubsecRound, Utc};
use events::{
    Actor, BookingCancelled, CancellationReason, Envelope, EventMetadata, HolderKind,
    LaunchAborted, LaunchConfirmed, LaunchDelayed, LaunchEvent, LaunchScheduled, Passenger,
    RocketRange, SeatsBooked,
};
use mongodb::bson::doc;
use mongodb::Database;
use platform::auth::generate_key_pair;
use platform::{Department, Principal, Role, TokenIssuer};
use query_api::settings::{FinanceSettings, OpsSettings};
use query_api::{Application, Settings};
use read_models::sales::{apply, BookingChange, BookingDoc, LaunchDoc, BOOKINGS, LAUNCHES};
use tokio::task::JoinHandle;
use uuid::Uuid;

/// The server the tests create their databases on.
pub fn mongodb_uri() -> String {
    std::env::var("MONGODB_URI")
        .ok()
        .filter(|uri| !uri.trim().is_empty())
        .unwrap_or_else(|| read_models::mongo::DEFAULT_MONGODB_URI.to_owned())
}

/// The one origin the test services allow cross-origin calls from.
pub const WEB_APP_ORIGIN: &str = "http://127.0.0.1:4200";

/// Settings of a test instance: an ephemeral port, two workers, a fresh
/// database, the default bounds; finance reads the local PostgreSQL's
/// default database through a pool of two (the finance tests point it at a
/// fresh database of their own).
pub fn test_settings(database: &str, public_key_hex: &str) -> Settings {
    Settings {
        addr: "127.0.0.1:0".into(),
        mongodb_uri: mongodb_uri(),
        sales_database: database.to_owned(),
        auth_public_key: public_key_hex.to_owned(),
        nats_url: testkit::nats_url(),
        read_your_writes_max_wait: Duration::from_millis(2_000),
        listing_cache_ttl: Duration::from_millis(1_000),
        listing_cache_size: 1_024,
        http_workers: 2,
        cors_allowed_origins: platform::cors::AllowedOrigins::parse(WEB_APP_ORIGIN)
            .expect("an origin"),
        shutdown_timeout_secs: 1,
        finance: FinanceSettings {
            database_url: testkit::base_database_url().into(),
            database_max_connections: 2,
            ..FinanceSettings::default()
        },
        // Never the real `core`: a database of its own, created only by the
        // tests that write into it (see `ops`).
        ops: OpsSettings {
            core_database: format!("core_test_{}", Uuid::new_v4().simple()),
            ..OpsSettings::default()
        },
    }
}

/// A running query API and what a test needs to talk to it.
pub struct TestApp {
    /// `http://127.0.0.1:<port>`.
    pub address: String,
    /// The test's database, to write fixtures into.
    pub database: Database,
    /// Mints tokens the API accepts.
    pub issuer: TokenIssuer,
    /// HTTP client.
    pub client: reqwest::Client,
    /// The key the API verifies tokens with.
    pub public_key_hex: String,
}

/// A query API on a fresh database with the default test settings.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// A query API on a fresh database, with settings adjusted by `configure`.
pub async fn spawn_app_with(configure: impl FnOnce(&mut Settings)) -> TestApp {
    let name = format!("query_test_{}", Uuid::new_v4().simple());
    let (private, public) = generate_key_pair();
    let issuer = TokenIssuer::from_private_key_hex(&private).expect("a fresh private key");
    let mut settings = test_settings(&name, &public);
    configure(&mut settings);
    let application = Application::build(settings)
        .await
        .expect("building the application");
    let address = format!("http://127.0.0.1:{}", application.port());
    tokio::spawn(application.run_until_stopped());
    let database = read_models::mongo::client(&mongodb_uri(), "query-api-tests")
        .await
        .expect("a MongoDB client")
        .database(&name);
    // As the projector does before it writes (never concurrently with
    // inserts: SecantusDB deadlocks on that).
    read_models::sales::ensure_indexes(&database, LAUNCHES, BOOKINGS)
        .await
        .expect("creating the read model's indexes");
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .expect("an HTTP client");
    TestApp {
        address,
        database,
        issuer,
        client,
        public_key_hex: public,
    }
}

impl Drop for TestApp {
    /// Drops the test's database, best-effort, also when the test failed.
    fn drop(&mut self) {
        drop_database_blocking(self.database.name().to_owned());
    }
}

/// Drops the MongoDB database `name`, best-effort, from a `Drop`: the
/// test's runtime may be shutting down, so this uses its own, on a thread
/// of its own.
pub fn drop_database_blocking(name: String) {
    let dropped = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .ok()?;
        runtime.block_on(async {
            let client = read_models::mongo::client(&mongodb_uri(), "query-api-tests")
                .await
                .ok()?;
            client.database(&name).drop().await.ok()
        })
    });
    let _ = dropped.join();
}

/// The operations department.
pub const OPERATIONS: Role = Role::Employee(Department::Operations);

pub use testkit::ApiResponse;

impl TestApp {
    /// A fresh user of `role` and a token valid for an hour.
    pub fn token(&self, role: Role) -> (Uuid, String) {
        let user_id = Uuid::now_v7();
        let token = self
            .issuer
            .issue(&Principal { user_id, role }, Duration::from_secs(3_600));
        (user_id, token)
    }

    /// A token of `user_id` that expired a minute ago.
    pub fn expired_token(&self, user_id: Uuid) -> String {
        self.issuer.issue_expiring_at(
            &Principal {
                user_id,
                role: Role::Traveler,
            },
            std::time::SystemTime::now() - Duration::from_secs(60),
        )
    }

    /// `GET path`.
    pub async fn get(&self, path: &str) -> ApiResponse {
        self.get_with(path, None, &[]).await
    }

    /// `GET path` with an optional bearer token and extra headers.
    pub async fn get_with(
        &self,
        path: &str,
        token: Option<&str>,
        headers: &[(&str, &str)],
    ) -> ApiResponse {
        let mut request = self.client.get(format!("{}{path}", self.address));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let response = request.send().await.expect("sending a request");
        ApiResponse::read(response).await
    }

    /// The value of the sample of `/metrics` that starts with `series`
    /// (name and labels, e.g. `query_listing_cache_total{outcome="hit"}`),
    /// ignoring the `service` label.
    pub async fn metric(&self, series: &str) -> Option<f64> {
        let text = self.get("/metrics").await.text;
        let (name, labels) = series.split_once('{').unwrap_or((series, ""));
        let labels = labels.trim_end_matches('}');
        text.lines()
            .filter(|line| line.starts_with(name) && line[name.len()..].starts_with(['{', ' ']))
            .find(|line| labels.split(',').all(|label| line.contains(label)))
            .and_then(|line| line.rsplit(' ').next())
            .and_then(|value| value.parse().ok())
    }

    /// Writes `launches` and their bookings as new documents (one insert
    /// per collection).
    pub async fn insert(&self, launches: &[&LaunchFixture]) {
        let docs: Vec<&LaunchDoc> = launches.iter().map(|l| l.doc()).collect();
        self.database
            .collection::<LaunchDoc>(LAUNCHES)
            .insert_many(docs)
            .await
            .expect("inserting launches");
        let bookings: Vec<&BookingDoc> = launches.iter().flat_map(|l| &l.bookings).collect();
        if !bookings.is_empty() {
            self.database
                .collection::<BookingDoc>(BOOKINGS)
                .insert_many(bookings)
                .await
                .expect("inserting bookings");
        }
    }

    /// Writes the documents of `launch` as they are now (the projector
    /// applying its latest events): its bookings, then the launch.
    pub async fn save(&self, launch: &LaunchFixture) {
        save(&self.database, launch).await;
    }

    /// [`TestApp::save`] after `delay`, in the background: a projector
    /// catching up while a request waits.
    pub fn save_later(&self, launch: &LaunchFixture, delay: Duration) -> JoinHandle<()> {
        let launch = launch.clone();
        let database = self.database.clone();
        tokio::spawn(async move {
            tokio::time::sleep(delay).await;
            save(&database, &launch).await;
        })
    }
}

async fn save(database: &Database, launch: &LaunchFixture) {
    for booking in &launch.bookings {
        database
            .collection::<BookingDoc>(BOOKINGS)
            .replace_one(doc! { "_id": &booking.id }, booking)
            .upsert(true)
            .await
            .expect("saving a booking");
    }
    database
        .collection::<LaunchDoc>(LAUNCHES)
        .replace_one(doc! { "_id": launch.id() }, launch.doc())
        .upsert(true)
        .await
        .expect("saving a launch");
}

pub use testkit::wait_for;

/// Now, at MongoDB's precision (milliseconds).
pub fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(3)
}

/// `days` from now.
pub fn in_days(days: i64) -> DateTime<Utc> {
    now() + chrono::Duration::days(days)
}

/// A launch's documents, built by folding its events with the read model's
/// `apply`, as the projector does.
#[derive(Debug, Clone)]
pub struct LaunchFixture {
    launch: Option<LaunchDoc>,
    /// Its bookings' documents.
    pub bookings: Vec<BookingDoc>,
    sequence: u64,
}

impl LaunchFixture {
    /// A scheduled launch to `destination`, departing at `departure_at`.
    pub fn new(
        destination: RocketRange,
        departure_at: DateTime<Utc>,
        price_per_seat_cents: i64,
        capacity: u32,
    ) -> Self {
        let launch_id = Uuid::now_v7();
        let mut fixture = Self {
            launch: None,
            bookings: Vec::new(),
            sequence: 0,
        };
        fixture.apply_as(
            launch_id.to_string(),
            LaunchEvent::LaunchScheduled(LaunchScheduled {
                launch_id,
                rocket_id: Uuid::now_v7(),
                rocket_name: "Starhopper".into(),
                spaceport: "Kourou".into(),
                destination,
                departure_at,
                price_per_seat_cents,
                capacity,
            }),
        );
        fixture
    }

    /// A 10-seat launch to the Moon departing in `days` days.
    pub fn in_days(days: i64) -> Self {
        Self::new(RocketRange::Moon, in_days(days), 25_000_000, 10)
    }

    /// The launch document.
    pub fn doc(&self) -> &LaunchDoc {
        self.launch.as_ref().expect("scheduled")
    }

    /// The launch id.
    pub fn id(&self) -> &str {
        &self.doc().id
    }

    /// Applies `event` as the launch's next one.
    pub fn apply(&mut self, event: LaunchEvent) -> &mut Self {
        let id = self.id().to_owned();
        self.apply_as(id, event);
        self
    }

    fn apply_as(&mut self, launch_id: String, payload: LaunchEvent) {
        self.sequence += 1;
        let envelope = Envelope {
            aggregate_type: "Launch".into(),
            aggregate_id: launch_id,
            sequence: self.sequence,
            global_position: self.sequence as i64,
            event_type: "test".into(),
            event_version: "1.0".into(),
            metadata: EventMetadata::for_command(
                now(),
                "test",
                "test",
                &Actor {
                    id: "test".into(),
                    role: "employee:operations".into(),
                },
            ),
            payload,
        };
        match apply(&mut self.launch, &envelope).expect("a consistent event") {
            Some(BookingChange::Insert(booking)) => self.bookings.push(booking),
            Some(BookingChange::Cancel { booking_id, set }) => {
                let booking = self
                    .bookings
                    .iter_mut()
                    .find(|b| b.id == booking_id)
                    .expect("a known booking");
                set.apply_to(booking);
            }
            None => {}
        }
    }

    /// Books `seats` for `holder`, booked at `booked_at`; returns the id.
    pub fn book(&mut self, holder: Uuid, seats: u32, booked_at: DateTime<Utc>) -> String {
        let booking_id = Uuid::now_v7();
        let price = self.doc().price_per_seat_cents;
        self.apply(LaunchEvent::SeatsBooked(SeatsBooked {
            booking_id,
            holder_id: holder,
            holder_kind: HolderKind::Traveler,
            passengers: (0..seats)
                .map(|i| Passenger {
                    name: format!("Passenger {i}"),
                    birth_date: NaiveDate::from_ymd_opt(1990, 2, 28).expect("a date"),
                    email: (i == 0).then(|| "first@example.com".to_owned()),
                })
                .collect(),
            seats,
            unit_price_cents: price,
            total_cents: price * i64::from(seats),
            booked_at,
        }));
        booking_id.to_string()
    }

    /// The holder cancels `booking_id` with a 90% refund.
    pub fn cancel(&mut self, booking_id: &str) -> &mut Self {
        let booking = self
            .bookings
            .iter()
            .find(|b| b.id == booking_id)
            .expect("a known booking")
            .clone();
        self.apply(LaunchEvent::BookingCancelled(BookingCancelled {
            booking_id: booking.id.parse().expect("a UUID"),
            holder_id: booking.holder_id.parse().expect("a UUID"),
            seats_released: booking.seats as u32,
            refund_percent: 90,
            refund_cents: booking.total_cents * 9 / 10,
            reason: CancellationReason::HolderCancelled,
            cancelled_at: now(),
        }))
    }

    /// Operations confirm it.
    pub fn confirm(&mut self) -> &mut Self {
        self.apply(LaunchEvent::LaunchConfirmed(LaunchConfirmed {
            confirmed_at: now(),
        }))
    }

    /// Operations delay it to `new_departure_at`.
    pub fn delay(&mut self, new_departure_at: DateTime<Utc>, reason: &str) -> &mut Self {
        let previous_departure_at = self.doc().departure_at.to_chrono();
        self.apply(LaunchEvent::LaunchDelayed(LaunchDelayed {
            previous_departure_at,
            new_departure_at,
            reason: reason.into(),
        }))
    }

    /// Operations abort it (without bookings to refund).
    pub fn abort(&mut self, reason: &str) -> &mut Self {
        self.apply(LaunchEvent::LaunchAborted(LaunchAborted {
            reason: reason.into(),
            aborted_at: now(),
        }))
    }
}
