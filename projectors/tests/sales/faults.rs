//! kill -9 of the relay and of the sales projector (the real binaries) in
//! the middle of a stream of bookings: every committed event reaches MongoDB
//! exactly once in effect.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use projectors::settings::Component;
use read_models::sales::BookingStatus;

use crate::helpers::World;

const BOOKINGS: usize = 2_000;
const LAUNCHES: usize = 20;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn killing_the_relay_and_the_projector_mid_stream_loses_and_doubles_nothing() {
    let world = Arc::new(World::new().await);
    let mut launches = Vec::new();
    for _ in 0..LAUNCHES {
        // Room for every booking: the test is about delivery, not refusals.
        launches.push(world.launch(1_000).await);
    }
    let mut relay = world.spawn_binary(Component::Relay);
    let mut sales = world.spawn_binary(Component::Sales);

    let done = Arc::new(AtomicUsize::new(0));
    let bookings = {
        let world = world.clone();
        let done = done.clone();
        let launches = launches.clone();
        tokio::spawn(async move {
            futures::stream::iter(0..BOOKINGS)
                .map(|i| {
                    let world = world.clone();
                    let done = done.clone();
                    let launch = launches[i % launches.len()];
                    async move {
                        let booking = world.book(launch, 1 + i % 3).await;
                        // Some cancellations too, so seats also come back.
                        if i % 10 == 0 {
                            world.cancel(launch, booking).await;
                        }
                        done.fetch_add(1, Ordering::Relaxed);
                    }
                })
                .buffer_unordered(16)
                .collect::<Vec<()>>()
                .await;
        })
    };

    let reached = |n: usize| {
        let done = done.clone();
        async move {
            testkit::wait_for(Duration::from_secs(120), "bookings to progress", || {
                let done = done.clone();
                async move { done.load(Ordering::Relaxed) >= n }
            })
            .await
        }
    };
    reached(BOOKINGS / 4).await;
    relay.start_kill().expect("kill -9 the relay");
    relay.wait().await.expect("the relay exits");
    reached(BOOKINGS / 2).await;
    relay = world.spawn_binary(Component::Relay);
    sales.start_kill().expect("kill -9 the projector");
    sales.wait().await.expect("the projector exits");
    reached(3 * BOOKINGS / 4).await;
    sales = world.spawn_binary(Component::Sales);
    bookings.await.expect("every booking made");

    world.wait_caught_up(Duration::from_secs(120)).await;

    // Seats per launch as the event store says, against the read model.
    let expected: HashMap<String, (i64, i64, i64)> = sqlx::query_as::<_, (String, i64, i64, i64)>(
        "SELECT aggregate_id,
                coalesce(sum(CASE event_type
                    WHEN 'SeatsBooked' THEN (payload->'SeatsBooked'->>'seats')::bigint
                    WHEN 'BookingCancelled' THEN -(payload->'BookingCancelled'->>'seats_released')::bigint
                    ELSE 0 END), 0)::bigint,
                count(*) FILTER (WHERE event_type = 'SeatsBooked'),
                count(*) FILTER (WHERE event_type = 'BookingCancelled')
           FROM events WHERE aggregate_type = 'Launch' GROUP BY aggregate_id",
    )
    .fetch_all(&world.pool)
    .await
    .expect("reading the store")
    .into_iter()
    .map(|(id, seats, booked, cancelled)| (id, (seats, booked, cancelled)))
    .collect();
    let documents = world.launches().await;
    let bookings = world.bookings().await;
    assert_eq!(documents.len(), LAUNCHES);
    for (id, (seats, booked, cancelled)) in &expected {
        let doc = &documents[id];
        assert_eq!(doc.seats_booked, *seats, "seats of launch {id}");
        assert_eq!(
            doc.free_seats,
            doc.capacity - seats,
            "free seats of launch {id}"
        );
        assert_eq!(
            doc.active_bookings,
            booked - cancelled,
            "active bookings of launch {id}"
        );
        let of_launch: Vec<_> = bookings.values().filter(|b| &b.launch_id == id).collect();
        assert_eq!(
            of_launch.len() as i64,
            *booked,
            "booking documents of launch {id}"
        );
        let cancelled_docs = of_launch
            .iter()
            .filter(|b| b.status == BookingStatus::Cancelled)
            .count() as i64;
        assert_eq!(
            cancelled_docs, *cancelled,
            "cancelled bookings of launch {id}"
        );
    }
    assert_eq!(bookings.len(), BOOKINGS);
    relay.start_kill().ok();
    sales.start_kill().ok();
    let _ = relay.wait().await;
    let _ = sales.wait().await;
    if let Ok(world) = Arc::try_unwrap(world) {
        world.cleanup().await;
    }
}
