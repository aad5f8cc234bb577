//! Fixtures of the finance tests: a query API whose finance database is a
//! fresh PostgreSQL database with the migrations applied, and the finance
//! projection's rows (and the event store's positions and times, for
//! `as_of`) written directly with SQL, as the finance projector would have
//! written them.

use chrono::{DateTime, TimeZone, Utc};
use platform::Role;
use query_api::Settings;
use sqlx::postgres::{PgPool, PgPoolOptions};
use uuid::Uuid;

use crate::helpers::{spawn_app_with, TestApp};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../migrations");

/// A query API on its own PostgreSQL database, and a pool to seed it.
pub struct FinanceApp {
    /// The running API (and its MongoDB database, unused here).
    pub app: TestApp,
    /// The test's PostgreSQL database.
    pub pool: PgPool,
}

/// A finance app with the default test settings.
pub async fn spawn_finance_app() -> FinanceApp {
    spawn_finance_app_with(|_| {}).await
}

/// A finance app with settings adjusted by `configure`.
pub async fn spawn_finance_app_with(configure: impl FnOnce(&mut Settings)) -> FinanceApp {
    let url = testkit::create_test_database().await;
    let pool = PgPoolOptions::new()
        .max_connections(2)
        .connect(&url)
        .await
        .expect("connecting to the test database");
    MIGRATOR.run(&pool).await.expect("applying the migrations");
    let app = spawn_app_with(|settings| {
        settings.finance.database_url = url.clone().into();
        configure(settings);
    })
    .await;
    FinanceApp { app, pool }
}

/// `YYYY-MM-DDTHH:00:00Z`.
pub fn at(year: i32, month: u32, day: u32, hour: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(year, month, day, hour, 0, 0)
        .single()
        .expect("a valid instant")
}

/// A launch as invoices copy it.
#[derive(Debug, Clone)]
pub struct Launch {
    /// Its id.
    pub id: Uuid,
    /// Rocket.
    pub rocket_name: &'static str,
    /// Spaceport.
    pub spaceport: &'static str,
    /// Destination code.
    pub destination: &'static str,
    /// Departure.
    pub departure_at: DateTime<Utc>,
    /// Price of a seat.
    pub price_cents: i64,
}

/// A payer.
#[derive(Debug, Clone, Copy)]
pub struct Holder {
    /// User id.
    pub id: Uuid,
    /// `traveler` or `agency`.
    pub kind: &'static str,
}

impl FinanceApp {
    /// An event of the event store at `position`, occurred at `occurred_at`.
    pub async fn event(&self, position: i64, occurred_at: DateTime<Utc>) {
        sqlx::query(
            "INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type,
                                 event_version, payload, metadata, global_position,
                                 event_id, occurred_at)
             OVERRIDING SYSTEM VALUE
             VALUES ('Test', $1, 1, 'Test', '1.0', '{}', '{}', $2, $3, $4)",
        )
        .bind(position.to_string())
        .bind(position)
        .bind(Uuid::new_v4())
        .bind(occurred_at)
        .execute(&self.pool)
        .await
        .expect("inserting an event");
    }

    /// The projection's checkpoint.
    pub async fn checkpoint(&self, position: i64) {
        sqlx::query("UPDATE finance.checkpoint SET position = $1")
            .bind(position)
            .execute(&self.pool)
            .await
            .expect("setting the checkpoint");
    }

    /// The invoice `number` for `passengers` (a seat each) on `launch`,
    /// issued by the event at `position` (inserted too); the booking id.
    pub async fn invoice(
        &self,
        number: &str,
        position: i64,
        issued_at: DateTime<Utc>,
        launch: &Launch,
        holder: Holder,
        passengers: &[&str],
    ) -> Uuid {
        self.event(position, issued_at).await;
        let (year, seq) = year_and_seq(number);
        let booking_id = Uuid::now_v7();
        let seats = passengers.len() as i32;
        sqlx::query(
            "INSERT INTO finance.invoices
                 (number, year, seq, position, event_id, issued_at, booking_id, launch_id,
                  holder_id, holder_kind, seats, unit_price_cents, total_cents, rocket_name,
                  spaceport, destination, departure_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)",
        )
        .bind(number)
        .bind(year)
        .bind(seq)
        .bind(position)
        .bind(Uuid::new_v4())
        .bind(issued_at)
        .bind(booking_id)
        .bind(launch.id)
        .bind(holder.id)
        .bind(holder.kind)
        .bind(seats)
        .bind(launch.price_cents)
        .bind(launch.price_cents * i64::from(seats))
        .bind(launch.rocket_name)
        .bind(launch.spaceport)
        .bind(launch.destination)
        .bind(launch.departure_at)
        .execute(&self.pool)
        .await
        .expect("inserting an invoice");
        for (i, passenger) in passengers.iter().enumerate() {
            sqlx::query(
                "INSERT INTO finance.invoice_lines
                     (invoice_number, line_no, description, passenger_name, quantity,
                      unit_price_cents, amount_cents)
                 VALUES ($1, $2, $3, $4, 1, $5, $5)",
            )
            .bind(number)
            .bind(i as i32 + 1)
            .bind(format!(
                "Seat on {} from {} to {}",
                launch.rocket_name, launch.spaceport, launch.destination
            ))
            .bind(passenger)
            .bind(launch.price_cents)
            .execute(&self.pool)
            .await
            .expect("inserting an invoice line");
        }
        booking_id
    }

    /// The invoice's booking cancelled by the event at `position`, with a
    /// credit note `number` of `refund_percent` of its total (none when 0).
    pub async fn cancel(
        &self,
        invoice_number: &str,
        position: i64,
        cancelled_at: DateTime<Utc>,
        credit_note: Option<(&str, i32, &str)>,
    ) {
        self.event(position, cancelled_at).await;
        sqlx::query(
            "UPDATE finance.invoices SET cancelled_at = $2, cancelled_position = $3
             WHERE number = $1",
        )
        .bind(invoice_number)
        .bind(cancelled_at)
        .bind(position)
        .execute(&self.pool)
        .await
        .expect("cancelling an invoice");
        let Some((number, refund_percent, reason)) = credit_note else {
            return;
        };
        let (year, seq) = year_and_seq(number);
        sqlx::query(
            "INSERT INTO finance.credit_notes
                 (number, year, seq, position, event_id, issued_at, invoice_number, booking_id,
                  launch_id, holder_id, holder_kind, refund_percent, amount_cents, reason)
             SELECT $1, $2, $3, $4, $5, $6, number, booking_id, launch_id, holder_id,
                    holder_kind, $7, total_cents * $7 / 100, $8
             FROM finance.invoices WHERE number = $9",
        )
        .bind(number)
        .bind(year)
        .bind(seq)
        .bind(position)
        .bind(Uuid::new_v4())
        .bind(cancelled_at)
        .bind(refund_percent)
        .bind(reason)
        .bind(invoice_number)
        .execute(&self.pool)
        .await
        .expect("inserting a credit note");
    }

    /// A traveler's profile.
    pub async fn traveler(&self, id: Uuid, full_name: &str, email: &str) {
        sqlx::query(
            "INSERT INTO travelers (user_id, email, full_name, birth_date, registered_at,
                                    updated_at)
             VALUES ($1, $2, $3, '1990-02-28', now(), now())",
        )
        .bind(id)
        .bind(email)
        .bind(full_name)
        .execute(&self.pool)
        .await
        .expect("inserting a traveler");
    }

    /// An agency's profile.
    pub async fn agency(&self, id: Uuid, legal_name: &str) {
        sqlx::query(
            "INSERT INTO agencies (user_id, email, legal_name, tax_id, address_line1,
                                   address_line2, city, postal_code, country, contact_name,
                                   contact_email, contact_phone, registered_at, updated_at)
             VALUES ($1, 'billing@orbit-travel.example', $2, 'FR12345678901',
                     '5 Rue des Étoiles', NULL, 'Toulouse', '31000', 'FR', 'Jeanne Dupont',
                     'jeanne@orbit-travel.example', '+33 5 00 00 00 00', now(), now())",
        )
        .bind(id)
        .bind(legal_name)
        .execute(&self.pool)
        .await
        .expect("inserting an agency");
    }

    /// `GET path` with `token`.
    pub async fn get(&self, path: &str, token: &str) -> testkit::ApiResponse {
        self.app.get_with(path, Some(token), &[]).await
    }

    /// `GET path` with `token`, the body as bytes: status, content type,
    /// content disposition, body.
    pub async fn get_bytes(&self, path: &str, token: &str) -> (u16, String, String, Vec<u8>) {
        let response = self
            .app
            .client
            .get(format!("{}{path}", self.app.address))
            .bearer_auth(token)
            .send()
            .await
            .expect("sending a request");
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_owned()
        };
        let (content_type, disposition) = (header("content-type"), header("content-disposition"));
        let status = response.status().as_u16();
        let body = response.bytes().await.expect("a body").to_vec();
        (status, content_type, disposition, body)
    }
}

fn year_and_seq(number: &str) -> (i32, i32) {
    let mut parts = number.split('-').skip(1);
    let year = parts.next().and_then(|y| y.parse().ok()).expect("a year");
    let seq = parts
        .next()
        .and_then(|s| s.parse().ok())
        .expect("a sequence");
    (year, seq)
}

/// The people and launches of [`seed`], and their tokens.
pub struct World {
    /// A traveler with a profile: Ada Lovelace.
    pub ada: (Holder, String),
    /// An agency with a profile.
    pub agency: (Holder, String),
    /// A traveler without a profile yet.
    pub bob: (Holder, String),
    /// A finance employee's token.
    pub finance: String,
    /// To the Moon, 250,000.00 a seat.
    pub moon: Launch,
    /// To Mars, 1,000,000.00 a seat.
    pub mars: Launch,
}

/// The finance employees.
pub const FINANCE: Role = Role::Employee(platform::Department::Finance);

/// Seven documents over two years, in global order:
///
/// | pos | when             | document        | holder | amount       |
/// |-----|------------------|-----------------|--------|--------------|
/// | 1-2 | 2026-03-01       | (launches)      |        |              |
/// | 3   | 2026-03-02 10:00 | INV-2026-000001 | ada    | 2 × 250,000  |
/// | 4   | 2026-03-03 10:00 | INV-2026-000002 | agency | 3 × 250,000  |
/// | 5   | 2026-03-04 10:00 | INV-2026-000003 | bob    | 1 × 1,000,000 |
/// | 6   | 2026-03-05 10:00 | CN-2026-000001  | ada    | 90% of INV 1 |
/// | 7   | 2027-01-10 10:00 | INV-2027-000001 | ada    | 1 × 1,000,000 |
/// | 8   | 2027-02-01 10:00 | (Mars aborted)  |        |              |
/// | 9   | 2027-02-01 10:00 | CN-2027-000001  | bob    | 100% of INV 3 |
/// | 10  | 2027-02-01 10:00 | CN-2027-000002  | ada    | 100% of INV 2027-1 |
///
/// The checkpoint is 10.
pub async fn seed(f: &FinanceApp) -> World {
    let holder = |role: Role, kind| {
        let (id, token) = f.app.token(role);
        (Holder { id, kind }, token)
    };
    let world = World {
        ada: holder(Role::Traveler, "traveler"),
        agency: holder(Role::Agency, "agency"),
        bob: holder(Role::Traveler, "traveler"),
        finance: f.app.token(FINANCE).1,
        moon: Launch {
            id: Uuid::now_v7(),
            rocket_name: "Starhopper",
            spaceport: "Kourou",
            destination: "moon",
            departure_at: at(2027, 6, 1, 12),
            price_cents: 25_000_000,
        },
        mars: Launch {
            id: Uuid::now_v7(),
            rocket_name: "Red Arrow",
            spaceport: "Baikonur",
            destination: "mars",
            departure_at: at(2028, 9, 1, 6),
            price_cents: 100_000_000,
        },
    };
    f.traveler(world.ada.0.id, "Ada Lovelace", "ada@example.com")
        .await;
    f.agency(world.agency.0.id, "Orbit Travel SARL").await;
    f.event(1, at(2026, 3, 1, 9)).await;
    f.event(2, at(2026, 3, 1, 9)).await;
    let (moon, mars) = (&world.moon, &world.mars);
    f.invoice(
        "INV-2026-000001",
        3,
        at(2026, 3, 2, 10),
        moon,
        world.ada.0,
        &["Ada Lovelace", "Charles Babbage"],
    )
    .await;
    f.invoice(
        "INV-2026-000002",
        4,
        at(2026, 3, 3, 10),
        moon,
        world.agency.0,
        &["Jean Martin", "Marie Curie", "Pierre Curie"],
    )
    .await;
    f.invoice(
        "INV-2026-000003",
        5,
        at(2026, 3, 4, 10),
        mars,
        world.bob.0,
        &["Bob Stone"],
    )
    .await;
    f.cancel(
        "INV-2026-000001",
        6,
        at(2026, 3, 5, 10),
        Some(("CN-2026-000001", 90, "holder_cancelled")),
    )
    .await;
    f.invoice(
        "INV-2027-000001",
        7,
        at(2027, 1, 10, 10),
        mars,
        world.ada.0,
        &["Ada Lovelace"],
    )
    .await;
    f.event(8, at(2027, 2, 1, 10)).await;
    f.cancel(
        "INV-2026-000003",
        9,
        at(2027, 2, 1, 10),
        Some(("CN-2027-000001", 100, "launch_aborted")),
    )
    .await;
    f.cancel(
        "INV-2027-000001",
        10,
        at(2027, 2, 1, 10),
        Some(("CN-2027-000002", 100, "launch_aborted")),
    )
    .await;
    f.checkpoint(10).await;
    world
}

/// The text shown by a PDF's pages, in drawing order, one line per text
/// operation (the built-in fonts' WinAnsi bytes read as Latin-1).
pub fn pdf_text(bytes: &[u8]) -> String {
    let document = lopdf::Document::load_mem(bytes).expect("a readable PDF");
    let mut text = Vec::new();
    for page in document.get_pages().into_values() {
        let content = document.get_page_content(page);
        let content = lopdf::content::Content::decode(&content).expect("decodable content");
        for operation in content.operations {
            if !matches!(operation.operator.as_str(), "Tj" | "TJ" | "'" | "\"") {
                continue;
            }
            let mut line = String::new();
            let mut collect = |object: &lopdf::Object| {
                if let lopdf::Object::String(bytes, _) = object {
                    line.extend(bytes.iter().map(|&b| char::from(b)));
                }
            };
            for operand in &operation.operands {
                match operand {
                    lopdf::Object::Array(items) => items.iter().for_each(&mut collect),
                    other => collect(other),
                }
            }
            text.push(line);
        }
    }
    text.join("\n")
}
