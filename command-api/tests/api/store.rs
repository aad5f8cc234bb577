//! The event store under the API: snapshots that agree with a full replay,
//! seat counts that stay right across snapshots and caches (cqrs-es 0.5
//! applies events twice in its own stores; ours must not), and a launch
//! with thousands of bookings that still loads and books.

use std::time::Instant;

use chrono::{Duration, Utc};
use command_api::store::{PgEventStore, StoreConfig};
use cqrs_es::event_sink::EventSink;
use cqrs_es::{Aggregate, EventEnvelope};
use domain::{Launch, LaunchCommand};
use events::{Actor, EventMetadata, HolderKind, Passenger};
use futures::stream::{self, StreamExt};
use platform::Role;
use serde_json::json;
use uuid::Uuid;

use crate::helpers::{spawn_app_with, TestApp};

fn store(app: &TestApp, snapshot_every: u64) -> PgEventStore<Launch> {
    PgEventStore::new(
        app.pool.clone(),
        StoreConfig {
            snapshot_every,
            cache_capacity: 0,
        },
    )
}

/// The launch rebuilt from every stored event, from scratch.
async fn replay(store: &PgEventStore<Launch>, launch_id: Uuid) -> (Launch, usize) {
    let events = store.events_of(&launch_id.to_string()).await.unwrap();
    let count = events.len();
    let mut launch = Launch::default();
    for event in events {
        let envelope: EventEnvelope<Launch> = event.try_into().unwrap();
        launch.apply(envelope.payload);
    }
    (launch, count)
}

async fn snapshot_sequence(app: &TestApp, launch_id: Uuid) -> Option<i64> {
    sqlx::query_scalar(
        "SELECT last_sequence FROM snapshots WHERE aggregate_type = 'Launch' AND aggregate_id = $1",
    )
    .bind(launch_id.to_string())
    .fetch_optional(&app.pool)
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn state_loaded_from_a_snapshot_and_its_tail_equals_a_full_replay() {
    let app = spawn_app_with(|s| {
        s.snapshot_every = 10;
        s.aggregate_cache_size = 0;
    })
    .await;
    let launch = app.scheduled_launch(1_000, Duration::days(400)).await;
    let holders: Vec<(Uuid, String, usize)> = (0..250)
        .map(|i| {
            let (id, token) = app.token(Role::Traveler);
            (id, token, 1 + i % 3)
        })
        .collect();

    let bookings: Vec<Uuid> = stream::iter(&holders)
        .map(|(_, token, seats)| app.booked(token, launch.id, *seats))
        .buffered(8)
        .collect()
        .await;
    let mut free = 1_000 - holders.iter().map(|h| h.2).sum::<usize>();
    for (i, booking) in bookings.iter().enumerate().step_by(10) {
        app.cancel(&holders[i].1, launch.id, *booking)
            .await
            .assert_status(200);
        free += holders[i].2;
    }

    let events = 1 + 250 + 25;
    let store = store(&app, 10);
    let loaded = store.load_fresh(&launch.id.to_string()).await.unwrap();
    let (replayed, count) = replay(&store, launch.id).await;
    assert_eq!(count, events);
    assert_eq!(loaded.sequence, events as u64);
    assert_eq!(loaded.aggregate, replayed);
    assert_eq!(replayed.sequence(), events as u64);
    assert_eq!(replayed.free_seats() as usize, free);
    // One event per command: the last snapshot is at the last multiple of 10.
    assert_eq!(snapshot_sequence(&app, launch.id).await, Some(270));
    let (snapshot,): (serde_json::Value,) = sqlx::query_as(
        "SELECT payload::jsonb FROM snapshots WHERE aggregate_type = 'Launch' AND aggregate_id = $1",
    )
    .bind(launch.id.to_string())
    .fetch_one(&app.pool)
    .await
    .unwrap();
    let snapshot: Launch = serde_json::from_value(snapshot).unwrap();
    assert_eq!(snapshot.sequence(), 270);
    let confirmed = app
        .launch_action(&launch.ops_token, launch.id, "confirm", None)
        .await;
    confirmed.assert_status(200);
    assert_eq!(confirmed.json["free_seats"], free);
    assert_eq!(confirmed.json["version"], events + 1);
}

#[tokio::test]
async fn free_seats_stay_right_across_snapshots_caches_and_restarts() {
    let app = spawn_app_with(|s| s.snapshot_every = 3).await;
    let launch = app.scheduled_launch(12, Duration::days(400)).await;
    let (_, traveler) = app.token(Role::Traveler);
    let mut bookings = Vec::new();
    for _ in 0..5 {
        bookings.push(app.booked(&traveler, launch.id, 2).await);
    }
    app.cancel(&traveler, launch.id, bookings[1])
        .await
        .assert_status(200);
    app.booked(&traveler, launch.id, 1).await;
    // 10 - 2 + 1 = 9 seats taken, 3 free; the delay is event 9, so the
    // last snapshot is at 9.
    let delayed = app
        .launch_action(
            &launch.ops_token,
            launch.id,
            "delay",
            Some(&json!({ "new_departure_at": (Utc::now() + Duration::days(500)).to_rfc3339(), "reason": "crew" })),
        )
        .await;
    assert_eq!(delayed.json["free_seats"], 3);
    assert_eq!(snapshot_sequence(&app, launch.id).await, Some(9));

    // A restarted replica loads the snapshot and its tail.
    let restarted = app
        .spawn_replica(|s| {
            s.snapshot_every = 3;
            s.aggregate_cache_size = 0;
        })
        .await;
    restarted
        .book(&traveler, launch.id, 4)
        .await
        .assert_problem(409, "not-enough-seats");
    restarted.booked(&traveler, launch.id, 3).await;
    let full = restarted.book(&traveler, launch.id, 1).await;
    full.assert_problem(409, "not-enough-seats");
    assert_eq!(full.json["detail"], "only 0 seats are free, 1 requested");
    // And the first instance, whose cache is now stale, agrees.
    app.book(&traveler, launch.id, 1)
        .await
        .assert_problem(409, "not-enough-seats");

    let store = store(&app, 3);
    let loaded = store.load_fresh(&launch.id.to_string()).await.unwrap();
    let (replayed, count) = replay(&store, launch.id).await;
    assert_eq!(count, 10);
    assert_eq!(loaded.aggregate, replayed);
    assert_eq!(loaded.aggregate.free_seats(), 0);
    assert_eq!(snapshot_sequence(&app, launch.id).await, Some(9));
}

/// Appends `events` (already applied to `loaded` by `handle`) in one
/// transaction, as the command bus does.
async fn append(
    app: &TestApp,
    writer: &PgEventStore<Launch>,
    loaded: &mut command_api::store::Loaded<Launch>,
    events: &[events::LaunchEvent],
    actor: Uuid,
) {
    let metadata = EventMetadata::for_command(
        Utc::now(),
        "bulk-load",
        "bulk-load",
        &Actor {
            id: actor.to_string(),
            role: "agency".into(),
        },
    );
    let mut tx = app.pool.begin().await.unwrap();
    writer
        .append(&mut tx, loaded, events, &metadata)
        .await
        .unwrap();
    tx.commit().await.unwrap();
}

fn book_one(booking_id: Uuid, holder_id: Uuid, i: usize) -> LaunchCommand {
    LaunchCommand::BookSeats {
        booking_id,
        holder_id,
        holder_kind: HolderKind::Agency,
        passengers: vec![Passenger {
            name: format!("Passenger {i}"),
            birth_date: "1985-03-01".parse().unwrap(),
            email: None,
        }],
        now: Utc::now(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_launch_with_5000_bookings_still_takes_a_booking_after_a_cold_load() {
    const CAPACITY: usize = 1_000;
    // Bookings in batches of 500 per transaction, each beyond the 900th
    // cancelling the oldest active one so that seats stay within capacity;
    // then a tail of 37 more after the last snapshot.
    const BULK: usize = 5_000;
    const KEPT: usize = 900;
    const TAIL: usize = 37;
    let app = spawn_app_with(|_| {}).await;
    let launch = app
        .scheduled_launch(CAPACITY as u32, Duration::days(400))
        .await;
    let launch_key = launch.id.to_string();

    let started = Instant::now();
    let writer = store(&app, 100);
    let mut loaded = writer.load_fresh(&launch_key).await.unwrap();
    let holder_id = Uuid::now_v7();
    let mut booking_ids = Vec::with_capacity(BULK + TAIL);
    for batch in 0..BULK / 500 {
        let sink = EventSink::<Launch>::default();
        for i in batch * 500..(batch + 1) * 500 {
            booking_ids.push(Uuid::now_v7());
            let book = book_one(booking_ids[i], holder_id, i);
            loaded.aggregate.handle(book, &(), &sink).await.unwrap();
            if i >= KEPT {
                let cancel = LaunchCommand::CancelBooking {
                    booking_id: booking_ids[i - KEPT],
                    requested_by: holder_id,
                    now: Utc::now(),
                };
                loaded.aggregate.handle(cancel, &(), &sink).await.unwrap();
            }
        }
        append(&app, &writer, &mut loaded, &sink.collect().await, holder_id).await;
    }
    let snapshot_at = snapshot_sequence(&app, launch.id).await.unwrap();
    assert_eq!(snapshot_at as u64, loaded.sequence);
    let sink = EventSink::<Launch>::default();
    for i in BULK..BULK + TAIL {
        booking_ids.push(Uuid::now_v7());
        let book = book_one(booking_ids[i], holder_id, i);
        loaded.aggregate.handle(book, &(), &sink).await.unwrap();
    }
    append(&app, &writer, &mut loaded, &sink.collect().await, holder_id).await;
    let bookings = BULK + TAIL;
    let active = KEPT + TAIL;
    let events = 1 + bookings + (BULK - KEPT);
    assert_eq!(loaded.sequence, events as u64);
    assert_eq!(snapshot_sequence(&app, launch.id).await, Some(snapshot_at));
    assert_eq!(app.count_events("SeatsBooked").await, bookings as i64);
    println!(
        "wrote {events} events ({bookings} bookings) in {:?}",
        started.elapsed()
    );

    // Cold loads, with an empty cache: from the snapshot, and from scratch.
    let reader = store(&app, 100);
    let started = Instant::now();
    let cold = reader.load_fresh(&launch_key).await.unwrap();
    let cold_load = started.elapsed();
    let started = Instant::now();
    let (replayed, _) = replay(&reader, launch.id).await;
    let full_replay = started.elapsed();
    println!(
        "cold load of a launch with {bookings} bookings ({events} events, snapshot at \
         {snapshot_at}, tail of {TAIL}): {cold_load:?} from the snapshot, {full_replay:?} by a full replay"
    );
    assert_eq!(cold.sequence, events as u64);
    assert_eq!(cold.aggregate, replayed);
    assert_eq!(cold.aggregate.free_seats() as usize, CAPACITY - active);

    // A replica that has never seen the launch books on it.
    let replica = app.spawn_replica(|_| {}).await;
    let (_, traveler) = app.token(Role::Traveler);
    let started = Instant::now();
    let booked = replica.book(&traveler, launch.id, 2).await;
    let cold_booking = started.elapsed();
    println!("a booking on it through a replica with an empty cache took {cold_booking:?}");
    booked.assert_status(201);
    assert_eq!(booked.json["version"], events + 1);
    // The first instance still caches the launch as just scheduled: its
    // stale copy cannot commit, and the retry on fresh state books right.
    let stale = app.book(&traveler, launch.id, 1).await;
    stale.assert_status(201);
    assert_eq!(stale.json["version"], events + 2);
    let now = reader.load_fresh(&launch_key).await.unwrap();
    assert_eq!(now.aggregate.free_seats() as usize, CAPACITY - active - 3);
    assert_eq!(now.aggregate, replay(&reader, launch.id).await.0);
}
