//! The finance projector against real Postgres and JetStream: invoices and
//! credit notes from bookings, cancellations and aborts; the refund
//! boundaries; gapless numbering across years and under concurrency;
//! redelivery; and `rebuild finance --verify`.

use std::time::Duration;

use async_nats::jetstream;
use chrono::{DateTime, TimeZone, Utc};
use cqrs_es::DomainEvent;
use events::{
    Actor, BookingCancelled, CancellationReason, EventMetadata, HolderKind, LaunchEvent,
    LaunchScheduled, Passenger, RocketRange, SeatsBooked,
};
use platform::Role;
use projectors::finance;
use projectors::settings::Component;
use serde_json::json;
use sqlx::Row;
use uuid::Uuid;

use crate::helpers::World;

const WAIT: Duration = Duration::from_secs(30);

/// `(number, holder_kind, seats, total_cents, cancelled)` of every invoice,
/// in global order.
async fn invoices(world: &World) -> Vec<(String, String, i32, i64, bool)> {
    sqlx::query_as(
        "SELECT number, holder_kind, seats, total_cents, cancelled_at IS NOT NULL
           FROM finance.invoices ORDER BY position",
    )
    .fetch_all(&world.pool)
    .await
    .expect("reading invoices")
}

/// `(number, invoice_number, refund_percent, amount_cents, reason)` of
/// every credit note, in global order.
async fn credit_notes(world: &World) -> Vec<(String, String, i32, i64, String)> {
    sqlx::query_as(
        "SELECT number, invoice_number, refund_percent, amount_cents, reason
           FROM finance.credit_notes ORDER BY position",
    )
    .fetch_all(&world.pool)
    .await
    .expect("reading credit notes")
}

pub async fn count(world: &World, table: &str) -> i64 {
    sqlx::query_scalar(&format!("SELECT count(*) FROM finance.{table}"))
        .fetch_one(&world.pool)
        .await
        .expect("counting")
}

/// Waits until the finance consumer has acknowledged every message.
async fn wait_all_acknowledged(world: &World) {
    let jetstream = jetstream::new(world.nats.clone());
    testkit::wait_for(
        WAIT,
        "the finance consumer to acknowledge everything",
        || async {
            let Ok(stream) = jetstream.get_stream(&world.stream).await else {
                return false;
            };
            let Ok(mut consumer) = stream
                .get_consumer::<jetstream::consumer::pull::Config>("finance")
                .await
            else {
                return false;
            };
            match consumer.info().await {
                Ok(info) => info.num_pending == 0 && info.num_ack_pending == 0,
                Err(_) => false,
            }
        },
    )
    .await;
}

fn year() -> i32 {
    use chrono::Datelike;
    Utc::now().year()
}

#[tokio::test]
async fn bookings_cancellations_and_aborts_become_invoices_and_credit_notes() {
    let world = World::new().await;
    let projectors = world
        .start(world.settings(&[Component::Relay, Component::Finance]))
        .await;
    let (agency_id, agency) = world.token(Role::Agency);
    let launch = world.launch(20).await;
    let booking = world.book(launch, 2).await;
    world.book_as(&agency, launch, 1).await.expect("a booking");
    world.cancel(launch, booking).await;
    let aborted = world.launch(20).await;
    world.book(aborted, 3).await;
    world
        .act(aborted, "abort", json!({ "reason": "engine fault" }))
        .await;
    testkit::wait_for(WAIT, "three invoices and two credit notes", || async {
        count(&world, "invoices").await == 3 && count(&world, "credit_notes").await == 2
    })
    .await;

    let y = year();
    assert_eq!(
        invoices(&world).await,
        [
            (
                format!("INV-{y}-000001"),
                "traveler".into(),
                2,
                50_000_000,
                true
            ),
            (
                format!("INV-{y}-000002"),
                "agency".into(),
                1,
                25_000_000,
                false
            ),
            (
                format!("INV-{y}-000003"),
                "traveler".into(),
                3,
                75_000_000,
                true
            ),
        ]
    );
    assert_eq!(
        credit_notes(&world).await,
        [
            (
                format!("CN-{y}-000001"),
                format!("INV-{y}-000001"),
                90,
                45_000_000,
                "holder_cancelled".into()
            ),
            (
                format!("CN-{y}-000002"),
                format!("INV-{y}-000003"),
                100,
                75_000_000,
                "launch_aborted".into()
            ),
        ]
    );
    let row = sqlx::query(
        "SELECT holder_id, booking_id, launch_id, rocket_name, spaceport, destination
           FROM finance.invoices WHERE number = $1",
    )
    .bind(format!("INV-{y}-000002"))
    .fetch_one(&world.pool)
    .await
    .expect("the agency's invoice");
    assert_eq!(row.get::<Uuid, _>("holder_id"), agency_id);
    assert_eq!(row.get::<Uuid, _>("launch_id"), launch);
    assert_eq!(row.get::<String, _>("rocket_name"), "Selene IV");
    assert_eq!(row.get::<String, _>("spaceport"), "Kourou");
    assert_eq!(row.get::<String, _>("destination"), "moon");
    let lines: Vec<(i32, String, i32, i64)> = sqlx::query_as(
        "SELECT line_no, passenger_name, quantity, amount_cents FROM finance.invoice_lines
          WHERE invoice_number = $1 ORDER BY line_no",
    )
    .bind(format!("INV-{y}-000001"))
    .fetch_all(&world.pool)
    .await
    .expect("lines");
    assert_eq!(
        lines,
        [
            (1, "Passenger 0".into(), 1, 25_000_000),
            (2, "Passenger 1".into(), 1, 25_000_000)
        ]
    );
    let head: i64 = sqlx::query_scalar("SELECT max(global_position) FROM events")
        .fetch_one(&world.pool)
        .await
        .expect("the head");
    testkit::wait_for(WAIT, "the checkpoint at the head", || async {
        sqlx::query_scalar::<_, i64>("SELECT position FROM finance.checkpoint")
            .fetch_one(&world.pool)
            .await
            .is_ok_and(|position| position == head)
    })
    .await;
    wait_all_acknowledged(&world).await;

    // The query API serves them: finance sees all, a holder their own.
    let query = world.start_query_api().await;
    let url = format!("{query}/v1/invoices");
    let finance_token = world.token(Role::Employee(platform::Department::Finance)).1;
    let (status, _, page) = world.get(&url, Some(&finance_token), &[]).await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(page["total"], 5);
    let (status, _, page) = world.get(&url, Some(&world.traveler.1), &[]).await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(
        page["total"], 4,
        "the traveler's two invoices and two credit notes"
    );
    let (status, _, page) = world.get(&url, Some(&agency), &[]).await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(page["items"][0]["number"], format!("INV-{y}-000002"));
    assert_eq!(page["total"], 1);
    let (status, _, _) = world.get(&url, None, &[]).await;
    assert_eq!(status, 401);
    let pdf = world
        .http
        .get(format!("{url}/INV-{y}-000002.pdf"))
        .bearer_auth(&agency)
        .send()
        .await
        .expect("the PDF");
    assert_eq!(pdf.status().as_u16(), 200);
    assert!(pdf.bytes().await.expect("a body").starts_with(b"%PDF-"));
    projectors.stop().await;
    world.cleanup().await;
}

#[tokio::test]
async fn refunds_at_365_364_90_and_89_days_before_departure() {
    let world = World::new().await;
    let hour = chrono::Duration::hours(1);
    let day = chrono::Duration::days(1);
    let now = Utc::now();
    let mut bookings = Vec::new();
    for departure in [
        now + day * 365 + hour,
        now + day * 365 - hour,
        now + day * 90 + hour,
        now + day * 90 - hour,
    ] {
        let launch = world.launch_departing(10, departure).await;
        bookings.push((launch, world.book(launch, 2).await));
    }
    for (launch, booking) in &bookings {
        world.cancel(*launch, *booking).await;
    }
    finance::catch_up(&world.pool, 100)
        .await
        .expect("catching up");
    let y = year();
    let cancelled: Vec<bool> = invoices(&world).await.into_iter().map(|i| i.4).collect();
    assert_eq!(cancelled, [true; 4], "every invoice is marked cancelled");
    let notes: Vec<(String, i32, i64)> = credit_notes(&world)
        .await
        .into_iter()
        .map(|(_, invoice, percent, amount, _)| (invoice, percent, amount))
        .collect();
    assert_eq!(
        notes,
        [
            (format!("INV-{y}-000001"), 90, 45_000_000),
            (format!("INV-{y}-000002"), 70, 35_000_000),
            (format!("INV-{y}-000003"), 70, 35_000_000),
        ],
        "365 days: 90 %; 364: 70 %; 90: 70 %; 89: nothing to credit"
    );
    world.cleanup().await;
}

/// Appends `event` to launch `launch` at `sequence`, occurred at `at`, the
/// way the command side stores it.
async fn append(world: &World, launch: Uuid, sequence: i64, event: LaunchEvent, at: DateTime<Utc>) {
    let actor = Actor {
        id: "system".into(),
        role: "system".into(),
    };
    let metadata = EventMetadata::for_command(at, "corr", "req", &actor);
    sqlx::query(
        "INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type, event_version,
                             payload, metadata, event_id, occurred_at)
         VALUES ('Launch', $1, $2, $3, $4, $5::json, $6, $7, $8)",
    )
    .bind(launch.to_string())
    .bind(sequence)
    .bind(event.event_type())
    .bind(event.event_version())
    // As text, as the command-api writes it: `json` keeps a `\u0000` that
    // `jsonb` (sqlx's encoding of a `Value`) would refuse.
    .bind(serde_json::to_string(&event).expect("a payload"))
    .bind(serde_json::to_value(metadata.to_map()).expect("metadata"))
    .bind(metadata.event_id)
    .bind(at)
    .execute(&world.pool)
    .await
    .expect("appending");
}

/// A name with what `COPY` reads specially.
const NAME: &str = "Ada\tLove\\lace\nKing \"Zoë\"";

fn booked(booking: u128, at: DateTime<Utc>) -> LaunchEvent {
    LaunchEvent::SeatsBooked(SeatsBooked {
        booking_id: Uuid::from_u128(booking),
        holder_id: Uuid::from_u128(1),
        holder_kind: HolderKind::Traveler,
        passengers: vec![Passenger {
            name: NAME.into(),
            birth_date: chrono::NaiveDate::from_ymd_opt(1990, 1, 1).expect("a date"),
            email: None,
        }],
        seats: 1,
        unit_price_cents: 1_000,
        total_cents: 1_000,
        booked_at: at,
    })
}

#[tokio::test]
async fn numbers_restart_each_year_and_follow_the_global_order() {
    let world = World::new().await;
    let launch = Uuid::now_v7();
    let t = |y, mo, d, h, mi, s| Utc.with_ymd_and_hms(y, mo, d, h, mi, s).unwrap();
    append(
        &world,
        launch,
        1,
        LaunchEvent::LaunchScheduled(LaunchScheduled {
            launch_id: launch,
            rocket_id: Uuid::now_v7(),
            rocket_name: "Selene IV".into(),
            spaceport: "Kourou".into(),
            destination: RocketRange::Moon,
            departure_at: t(2028, 6, 1, 0, 0, 0),
            price_per_seat_cents: 1_000,
            capacity: 10,
        }),
        t(2026, 12, 1, 0, 0, 0),
    )
    .await;
    let times = [
        t(2026, 12, 31, 23, 59, 58),
        t(2026, 12, 31, 23, 59, 59),
        t(2027, 1, 1, 0, 0, 0),
        t(2026, 12, 31, 23, 59, 59), // a late commit of the old year: still 2026
        t(2027, 1, 1, 0, 0, 1),
    ];
    for (i, at) in times.iter().enumerate() {
        append(
            &world,
            launch,
            i as i64 + 2,
            booked(i as u128 + 1, *at),
            *at,
        )
        .await;
    }
    let cancel = |booking, at| {
        LaunchEvent::BookingCancelled(BookingCancelled {
            booking_id: Uuid::from_u128(booking),
            holder_id: Uuid::from_u128(1),
            seats_released: 1,
            refund_percent: 90,
            refund_cents: 900,
            reason: CancellationReason::HolderCancelled,
            cancelled_at: at,
        })
    };
    append(
        &world,
        launch,
        7,
        cancel(1, t(2027, 1, 2, 0, 0, 0)),
        t(2027, 1, 2, 0, 0, 0),
    )
    .await;
    append(
        &world,
        launch,
        8,
        cancel(3, t(2027, 1, 3, 0, 0, 0)),
        t(2027, 1, 3, 0, 0, 0),
    )
    .await;
    // Applied in two batches of three: numbering does not depend on them.
    let applied = finance::catch_up(&world.pool, 3)
        .await
        .expect("catching up");
    assert_eq!(
        (applied.events, applied.invoices, applied.credit_notes),
        (8, 5, 2)
    );
    let numbers: Vec<String> = invoices(&world).await.into_iter().map(|i| i.0).collect();
    assert_eq!(
        numbers,
        [
            "INV-2026-000001",
            "INV-2026-000002",
            "INV-2027-000001",
            "INV-2026-000003",
            "INV-2027-000002"
        ]
    );
    let notes: Vec<(String, String)> = credit_notes(&world)
        .await
        .into_iter()
        .map(|n| (n.0, n.1))
        .collect();
    assert_eq!(
        notes,
        [
            ("CN-2027-000001".into(), "INV-2026-000001".into()),
            ("CN-2027-000002".into(), "INV-2027-000001".into())
        ]
    );
    let names: Vec<String> =
        sqlx::query_scalar("SELECT DISTINCT passenger_name FROM finance.invoice_lines")
            .fetch_all(&world.pool)
            .await
            .expect("names");
    assert_eq!(names, [NAME], "written as given");
    // Nothing new: catching up again changes nothing.
    let again = finance::catch_up(&world.pool, 3)
        .await
        .expect("catching up");
    assert_eq!(again.events, 0);
    assert_eq!(count(&world, "invoices").await, 5);
    world.cleanup().await;
}

#[tokio::test]
async fn concurrent_bookings_and_replicas_give_gapless_numbers_in_global_order() {
    let world = World::new().await;
    let launches = [world.launch(200).await, world.launch(200).await];
    let replicas: Vec<_> = (0..2)
        .map(|_| {
            let pool = world.pool.clone();
            tokio::spawn(async move {
                for _ in 0..60 {
                    finance::catch_up(&pool, 7)
                        .await
                        .expect("a replica catches up");
                    tokio::time::sleep(Duration::from_millis(25)).await;
                }
            })
        })
        .collect();
    let clients: Vec<_> = (0..12)
        .map(|client| {
            let api = world.api.clone();
            let http = world.http.clone();
            let token = world.token(if client % 3 == 0 { Role::Agency } else { Role::Traveler }).1;
            tokio::spawn(async move {
                let mut booked = 0;
                for i in 0..8 {
                    let launch = launches[(client + i) % 2];
                    let response = http
                        .post(format!("{api}/v1/launches/{launch}/bookings"))
                        .bearer_auth(&token)
                        .json(&json!({ "passengers": [{ "name": "Ada", "birth_date": "1990-06-15" }] }))
                        .send()
                        .await
                        .expect("the command API answers");
                    assert_eq!(response.status().as_u16(), 201);
                    booked += 1;
                }
                booked
            })
        })
        .collect();
    let mut booked = 0;
    for client in clients {
        booked += client.await.expect("a client");
    }
    for replica in replicas {
        replica.await.expect("a replica");
    }
    finance::catch_up(&world.pool, 7)
        .await
        .expect("catching up");
    let rows: Vec<(i32, i32, i64)> =
        sqlx::query_as("SELECT year, seq, position FROM finance.invoices ORDER BY position")
            .fetch_all(&world.pool)
            .await
            .expect("invoices");
    assert_eq!(rows.len(), booked);
    let mut last_by_year = std::collections::HashMap::new();
    for (year, seq, position) in rows {
        let last = last_by_year.entry(year).or_insert(0);
        assert_eq!(
            seq,
            *last + 1,
            "gapless, in global order (at position {position})"
        );
        *last = seq;
    }
    world.cleanup().await;
}

#[tokio::test]
async fn a_redelivered_event_creates_no_second_invoice() {
    let world = World::new().await;
    let projectors = world
        .start(world.settings(&[Component::Relay, Component::Finance]))
        .await;
    let launch = world.launch(10).await;
    world.book(launch, 2).await;
    testkit::wait_for(WAIT, "the invoice", || async {
        count(&world, "invoices").await == 1
    })
    .await;
    wait_all_acknowledged(&world).await;

    // The booking's message again under a new message id, as JetStream
    // would redeliver it after its duplicate window.
    let jetstream = jetstream::new(world.nats.clone());
    let stream = jetstream
        .get_stream(&world.stream)
        .await
        .expect("the stream");
    let original = stream
        .get_last_raw_message_by_subject(&format!("{}.Launch.{launch}", world.prefix))
        .await
        .expect("the booking's message");
    let copy = testkit::republish(&jetstream, &original, "redelivery-1").await;
    testkit::wait_for(WAIT, "the copy to be acknowledged", || async {
        let Ok(mut consumer) = stream
            .get_consumer::<jetstream::consumer::pull::Config>("finance")
            .await
        else {
            return false;
        };
        consumer.info().await.is_ok_and(|info| {
            info.ack_floor.stream_sequence >= copy.sequence && info.num_ack_pending == 0
        })
    })
    .await;
    assert_eq!(count(&world, "invoices").await, 1);
    assert_eq!(count(&world, "invoice_lines").await, 2);
    let last: i32 =
        sqlx::query_scalar("SELECT last_number FROM finance.counters WHERE kind = 'INV'")
            .fetch_one(&world.pool)
            .await
            .expect("the counter");
    assert_eq!(last, 1);
    projectors.stop().await;
    world.cleanup().await;
}

#[tokio::test]
async fn a_batch_rolled_back_is_applied_once_later() {
    let world = World::new().await;
    let launch = world.launch(10).await;
    world.book(launch, 1).await;
    // A projector that dies before committing leaves nothing behind...
    let settled = projectors::source::settled_after(&world.pool, 0, 100)
        .await
        .expect("reading");
    let mut tx = world.pool.begin().await.expect("a transaction");
    let applied = finance::apply_batch(
        &mut tx,
        finance::store::Schema::Live,
        settled.events,
        settled.up_to,
    )
    .await
    .expect("applying");
    assert_eq!(applied.invoices, 1);
    tx.rollback().await.expect("rolling back");
    assert_eq!(count(&world, "invoices").await, 0);
    // ...and the next one applies the batch exactly once.
    finance::catch_up(&world.pool, 100)
        .await
        .expect("catching up");
    finance::catch_up(&world.pool, 100)
        .await
        .expect("catching up");
    assert_eq!(count(&world, "invoices").await, 1);
    world.cleanup().await;
}

#[tokio::test]
async fn an_old_event_with_a_nul_in_its_text_still_gets_its_invoice_with_a_replacement_character() {
    // The command-api refuses control characters now, but events written
    // before that stay in the store for ever, and PostgreSQL cannot hold a
    // NUL in `text`: the projector writes U+FFFD in its place.
    let world = World::new().await;
    let launch = Uuid::now_v7();
    let at = Utc::now();
    append(
        &world,
        launch,
        1,
        LaunchEvent::LaunchScheduled(LaunchScheduled {
            launch_id: launch,
            rocket_id: Uuid::now_v7(),
            rocket_name: "Selene\u{0}IV".into(),
            spaceport: "Kourou\u{0}".into(),
            destination: RocketRange::Moon,
            departure_at: at + chrono::Duration::days(400),
            price_per_seat_cents: 1_000,
            capacity: 10,
        }),
        at,
    )
    .await;
    let LaunchEvent::SeatsBooked(mut booking) = booked(1, at) else {
        unreachable!("booked is a SeatsBooked")
    };
    booking.passengers[0].name = "Ada\u{0}Lovelace\u{0}".into();
    append(&world, launch, 2, LaunchEvent::SeatsBooked(booking), at).await;

    let applied = finance::catch_up(&world.pool, 100)
        .await
        .expect("an event with a NUL does not stop the projector");

    assert_eq!((applied.events, applied.invoices), (2, 1));
    let (rocket, spaceport): (String, String) =
        sqlx::query_as("SELECT rocket_name, spaceport FROM finance.invoices")
            .fetch_one(&world.pool)
            .await
            .expect("the invoice");
    assert_eq!(
        (rocket.as_str(), spaceport.as_str()),
        ("Selene\u{FFFD}IV", "Kourou\u{FFFD}")
    );
    let name: String = sqlx::query_scalar("SELECT passenger_name FROM finance.invoice_lines")
        .fetch_one(&world.pool)
        .await
        .expect("the line");
    assert_eq!(name, "Ada\u{FFFD}Lovelace\u{FFFD}");
    let launches: i64 =
        sqlx::query_scalar("SELECT count(*) FROM finance.launches WHERE rocket_name = $1")
            .bind("Selene\u{FFFD}IV")
            .fetch_one(&world.pool)
            .await
            .expect("the launch");
    assert_eq!(launches, 1);
    world.cleanup().await;
}
