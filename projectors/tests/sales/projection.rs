//! What the live projection does with each event, duplicates, gaps, and
//! events it cannot apply.

use std::time::Duration;

use async_nats::jetstream;
use bson::doc;
use events::LaunchEvent;
use futures::StreamExt;
use projectors::sales::SalesStore;
use projectors::settings::Component;
use projectors::source;
use read_models::sales::{BookingStatus, LaunchStatus, BOOKINGS, LAUNCHES};
use serde_json::json;

use crate::helpers::{metric, World};

const WAIT: Duration = Duration::from_secs(20);

#[tokio::test]
async fn bookings_cancellations_and_status_changes_reach_the_read_model() {
    let world = World::new().await;
    let projectors = world.start_all().await;
    let launch = world.launch(10).await;
    let booking = world.book(launch, 3).await;
    world.wait_caught_up(WAIT).await;

    let doc = world
        .launches()
        .await
        .remove(&launch.to_string())
        .expect("the launch");
    assert_eq!((doc.capacity, doc.seats_booked, doc.free_seats), (10, 3, 7));
    assert_eq!(doc.status, LaunchStatus::Scheduled);
    assert_eq!(
        (doc.rocket_name.as_str(), doc.spaceport.as_str()),
        ("Selene IV", "Kourou")
    );
    assert_eq!(doc.destination, "moon");
    assert_eq!(doc.price_per_seat_cents, 25_000_000);
    let booked = world
        .bookings()
        .await
        .remove(&booking.to_string())
        .expect("the booking");
    assert_eq!(booked.holder_id, world.traveler.0.to_string());
    assert_eq!((booked.seats, booked.total_cents), (3, 75_000_000));
    assert_eq!(booked.passengers.len(), 3);
    assert_eq!(booked.status, BookingStatus::Active);

    world.cancel(launch, booking).await;
    world.act(launch, "confirm", json!({})).await;
    world.wait_caught_up(WAIT).await;
    let doc = world
        .launches()
        .await
        .remove(&launch.to_string())
        .expect("the launch");
    assert_eq!(
        (doc.seats_booked, doc.free_seats),
        (0, 10),
        "seats given back"
    );
    assert_eq!(doc.status, LaunchStatus::Confirmed);
    let cancelled = world
        .bookings()
        .await
        .remove(&booking.to_string())
        .expect("the booking");
    assert_eq!(cancelled.status, BookingStatus::Cancelled);
    assert_eq!(cancelled.refund_percent, Some(90));
    assert_eq!(cancelled.refund_cents, Some(67_500_000));

    let second = world.book(launch, 2).await;
    world
        .act(launch, "abort", json!({ "reason": "engine fault" }))
        .await;
    world.wait_caught_up(WAIT).await;
    let doc = world
        .launches()
        .await
        .remove(&launch.to_string())
        .expect("the launch");
    assert_eq!(doc.status, LaunchStatus::Aborted);
    assert!(!doc.bookable);
    assert_eq!(doc.free_seats, 10);
    assert_eq!(doc.abort_reason.as_deref(), Some("engine fault"));
    let refunded = world
        .bookings()
        .await
        .remove(&second.to_string())
        .expect("the booking");
    assert_eq!(refunded.refund_percent, Some(100));

    let metrics = projectors.metrics().await;
    assert!(
        metric(
            &metrics,
            "sales_projector_events_total",
            r#"outcome="applied""#
        ) >= 7.0
    );
    let checkpoint = world
        .mongo
        .collection::<bson::Document>("checkpoints")
        .find_one(doc! { "_id": "sales" })
        .await
        .expect("reading the checkpoint")
        .expect("a checkpoint");
    let head: i64 = sqlx::query_scalar("SELECT max(global_position) FROM events")
        .fetch_one(&world.pool)
        .await
        .expect("the store's head");
    assert_eq!(
        checkpoint.get_i64("global_position").expect("a position"),
        head
    );
    projectors.stop().await;
    world.cleanup().await;
}

#[tokio::test]
async fn a_redelivered_event_changes_nothing() {
    let world = World::new().await;
    let projectors = world.start_all().await;
    let launch = world.launch(10).await;
    world.book(launch, 2).await;
    world.wait_caught_up(WAIT).await;
    let launches = world.dump(LAUNCHES).await;
    let bookings = world.dump(BOOKINGS).await;

    // The booking's message again, as JetStream would redeliver it after
    // its duplicate window: a new message id, the same event.
    let jetstream = jetstream::new(world.nats.clone());
    let stream = jetstream
        .get_stream(&world.stream)
        .await
        .expect("the stream");
    let original = stream
        .get_last_raw_message_by_subject(&format!("{}.Launch.{launch}", world.prefix))
        .await
        .expect("the booking's message");
    testkit::republish(&jetstream, &original, "redelivery-1").await;
    testkit::wait_for(WAIT, "the copy to be seen as a duplicate", || async {
        metric(
            &projectors.metrics().await,
            "sales_projector_events_total",
            r#"outcome="duplicate""#,
        ) >= 1.0
    })
    .await;
    assert_eq!(world.dump(LAUNCHES).await, launches);
    assert_eq!(world.dump(BOOKINGS).await, bookings);
    projectors.stop().await;
    world.cleanup().await;
}

/// The launch's events from the store, decoded.
async fn store_events(world: &World, launch: &str) -> Vec<events::Envelope<LaunchEvent>> {
    source::aggregate_events(&world.pool, "Launch", launch, 0, None)
        .await
        .expect("reading the store")
        .iter()
        .map(|row| source::decode_launch(row.envelope().expect("an envelope")).expect("an event"))
        .collect()
}

#[tokio::test]
async fn an_event_ahead_of_its_predecessor_is_applied_after_it_never_before() {
    let world = World::new().await;
    let launch = world.launch(10).await;
    world.book(launch, 1).await;
    world.book(launch, 2).await;
    let id = launch.to_string();
    let events = store_events(&world, &id).await;
    assert_eq!(events.len(), 3);
    let store = SalesStore::new(world.mongo.clone(), world.pool.clone());

    store
        .apply(&id, vec![events[0].clone()])
        .await
        .expect("the first event");
    // Event 3 arrives before event 2: 2 is read from the store and applied
    // first, then 3.
    let applied = store
        .apply(&id, vec![events[2].clone()])
        .await
        .expect("a gap filled");
    assert_eq!(
        (applied.previous, applied.version, applied.applied),
        (1, 3, 2)
    );
    let doc = world.launches().await.remove(&id).expect("the launch");
    assert_eq!(
        (doc.version, doc.seats_booked, doc.active_bookings),
        (3, 3, 2)
    );
    assert_eq!(world.bookings().await.len(), 2);

    // Late copies of 2 and 1, alone or together, change nothing.
    let before = (world.dump(LAUNCHES).await, world.dump(BOOKINGS).await);
    let again = store
        .apply(&id, vec![events[1].clone(), events[0].clone()])
        .await
        .expect("duplicates");
    assert_eq!((again.applied, again.version), (0, 3));
    assert_eq!(
        (world.dump(LAUNCHES).await, world.dump(BOOKINGS).await),
        before
    );
    world.cleanup().await;
}

#[tokio::test]
async fn replicas_applying_the_same_events_at_once_apply_them_once() {
    let world = World::new().await;
    let launch = world.launch(50).await;
    for seats in 1..=5 {
        world.book(launch, seats).await;
    }
    let id = launch.to_string();
    let events = store_events(&world, &id).await;
    let stores: Vec<SalesStore> = (0..4)
        .map(|_| SalesStore::new(world.mongo.clone(), world.pool.clone()))
        .collect();
    let runs = stores.iter().enumerate().map(|(i, store)| {
        // Each replica gets the events in another order.
        let mut mine = events.clone();
        mine.rotate_left(i);
        let id = id.clone();
        async move { store.apply(&id, mine).await }
    });
    for result in futures::future::join_all(runs).await {
        result.expect("every replica succeeds");
    }
    let doc = world.launches().await.remove(&id).expect("the launch");
    assert_eq!((doc.version, doc.seats_booked, doc.free_seats), (6, 15, 35));
    assert_eq!(world.bookings().await.len(), 5);
    world.cleanup().await;
}

#[tokio::test]
async fn an_unreadable_event_goes_to_the_dead_letters_and_other_launches_go_on() {
    let world = World::new().await;
    let projectors = world.start_all().await;
    let broken = world.launch(10).await;
    world.wait_caught_up(WAIT).await;
    // An event this code cannot read, committed as the command API would.
    world.insert_unreadable_event(&broken.to_string(), 2).await;
    let healthy = world.launch(10).await;
    world.book(healthy, 4).await;

    let jetstream = jetstream::new(world.nats.clone());
    testkit::wait_for(WAIT, "a dead letter", || async {
        metric(
            &projectors.metrics().await,
            "sales_projector_events_total",
            r#"outcome="dead_lettered""#,
        ) >= 1.0
    })
    .await;
    let stream = jetstream
        .get_stream(&world.dead_letters)
        .await
        .expect("the dead letters");
    let consumer = stream
        .create_consumer(jetstream::consumer::pull::OrderedConfig::default())
        .await
        .expect("a reader");
    let mut messages = consumer.messages().await.expect("messages");
    let letter = tokio::time::timeout(WAIT, messages.next())
        .await
        .expect("a dead letter in time")
        .expect("a message")
        .expect("readable");
    let headers = letter.headers.clone().expect("headers");
    assert_eq!(
        letter.subject.as_str(),
        format!("{}-dead.sales.{broken}", world.prefix)
    );
    assert!(headers
        .get("Astro-Dead-Letter-Reason")
        .expect("a reason")
        .as_str()
        .contains("SeatsBooked"));
    assert_eq!(headers.get("Astro-Sequence").map(|v| v.as_str()), Some("2"));
    assert_eq!(
        headers.get("Astro-Deliveries").map(|v| v.as_str()),
        Some("3")
    );

    let launches = world.launches().await;
    assert_eq!(
        launches[&broken.to_string()].version,
        1,
        "the broken launch stays at its last good event"
    );
    testkit::wait_for(WAIT, "the healthy launch", || async {
        world
            .launches()
            .await
            .get(&healthy.to_string())
            .is_some_and(|l| l.free_seats == 6)
    })
    .await;
    projectors.stop().await;
    world.cleanup().await;
}

#[tokio::test]
async fn while_mongodb_is_unreachable_events_wait_and_none_is_lost() {
    let world = World::new().await;
    let relay = world.start(world.settings(&[Component::Relay])).await;
    let mut unreachable = world.settings(&[Component::Sales]);
    unreachable.mongodb_uri =
        "mongodb://127.0.0.1:9/?serverSelectionTimeoutMS=200&directConnection=true"
            .to_owned()
            .into();
    let down = world.start(unreachable).await;
    let launch = world.launch(10).await;
    world.book(launch, 2).await;
    testkit::wait_for(WAIT, "retries while MongoDB is unreachable", || async {
        metric(
            &down.metrics().await,
            "sales_projector_events_total",
            r#"outcome="retried""#,
        ) >= 4.0
    })
    .await;
    let metrics = down.metrics().await;
    assert_eq!(
        metric(
            &metrics,
            "sales_projector_events_total",
            r#"outcome="dead_lettered""#
        ),
        0.0
    );
    down.stop().await;

    // MongoDB is back: the same durable consumer delivers everything.
    let up = world.start(world.settings(&[Component::Sales])).await;
    world.wait_caught_up(WAIT).await;
    assert_eq!(world.launches().await[&launch.to_string()].free_seats, 8);
    up.stop().await;
    relay.stop().await;
    world.cleanup().await;
}

#[tokio::test]
async fn chunks_of_several_launches_applied_by_racing_replicas_are_applied_once() {
    let world = World::new().await;
    let mut launches = Vec::new();
    for _ in 0..3 {
        let launch = world.launch(50).await;
        for seats in 1..=3 {
            world.book(launch, seats).await;
        }
        launches.push(launch.to_string());
    }
    let mut groups = Vec::new();
    for id in &launches {
        groups.push((id.clone(), store_events(&world, id).await));
    }
    let store = SalesStore::new(world.mongo.clone(), world.pool.clone());
    // The launches exist at their first event, so the chunks take the
    // batched path (new launches go through the one-launch path).
    let firsts = groups
        .iter()
        .map(|(id, events)| (id.clone(), vec![events[0].clone()]))
        .collect();
    for result in store.apply_many(firsts).await {
        result.expect("the first events");
    }
    let stores: Vec<SalesStore> = (0..4)
        .map(|_| SalesStore::new(world.mongo.clone(), world.pool.clone()))
        .collect();
    let runs = stores.iter().enumerate().map(|(i, store)| {
        // Each replica gets the chunk in another order, some events twice,
        // one launch's events partly (the rest read from the store).
        let mut mine: Vec<_> = groups
            .iter()
            .map(|(id, events)| {
                let mut events = events.clone();
                events.rotate_left(i);
                if i % 2 == 1 {
                    events.truncate(2);
                    events.push(events[0].clone());
                }
                (id.clone(), events)
            })
            .collect();
        mine.rotate_left(i);
        async move { store.apply_many(mine).await }
    });
    for results in futures::future::join_all(runs).await {
        for result in results {
            result.expect("every replica succeeds");
        }
    }
    // Whatever the interleaving, one last chunk brings every launch to its
    // head (a replica that saw only part of a run stops early).
    let all = groups.clone();
    for result in store.apply_many(all).await {
        result.expect("the full chunk");
    }
    let docs = world.launches().await;
    for id in &launches {
        let doc = &docs[id];
        assert_eq!(
            (doc.version, doc.seats_booked, doc.free_seats),
            (4, 6, 44),
            "launch {id}"
        );
        assert_eq!(doc.active_bookings, 3);
    }
    assert_eq!(world.bookings().await.len(), 9);
    world.cleanup().await;
}
