//! Rebuilding the sales read model from the event store.

use std::time::Duration;

use bson::Document;
use projectors::sales::rebuild::{rebuild, RebuildError};
use projectors::sales::SalesStore;
use read_models::sales::{BOOKINGS, LAUNCHES};
use serde_json::json;

use crate::helpers::World;

const WAIT: Duration = Duration::from_secs(30);

/// Some history: bookings, cancellations, a confirmation, an abort.
async fn history(world: &World) -> Vec<uuid::Uuid> {
    let mut launches = Vec::new();
    for n in 0..3 {
        let launch = world.launch(20).await;
        for seats in 1..=4 {
            let booking = world.book(launch, seats).await;
            if seats % 2 == 0 {
                world.cancel(launch, booking).await;
            }
        }
        let _version = match n {
            0 => world.act(launch, "confirm", json!({})).await,
            1 => {
                world
                    .act(launch, "abort", json!({ "reason": "weather" }))
                    .await
            }
            _ => 0,
        };
        launches.push(launch);
    }
    launches
}

/// Asserts two snapshots are equal, showing the documents that differ.
fn assert_same(actual: &(Vec<Document>, Vec<Document>), expected: &(Vec<Document>, Vec<Document>)) {
    for (name, actual, expected) in [
        ("launches", &actual.0, &expected.0),
        ("bookings", &actual.1, &expected.1),
    ] {
        let differing: Vec<_> = actual
            .iter()
            .zip(expected.iter())
            .filter(|(a, e)| a != e)
            .collect();
        assert!(
            differing.is_empty() && actual.len() == expected.len(),
            "{name}: {} vs {} documents; differing: {differing:#?}",
            actual.len(),
            expected.len()
        );
    }
}

async fn snapshot(world: &World) -> (Vec<Document>, Vec<Document>) {
    (world.dump(LAUNCHES).await, world.dump(BOOKINGS).await)
}

#[tokio::test]
async fn dropping_the_model_and_rebuilding_gives_identical_documents() {
    let world = World::new().await;
    let projectors = world.start_all().await;
    history(&world).await;
    world.wait_caught_up(WAIT).await;
    projectors.stop().await;
    let live = snapshot(&world).await;
    assert_eq!(live.0.len(), 3);
    assert_eq!(live.1.len(), 12);

    world.mongo.drop().await.expect("dropping the read model");
    let store = SalesStore::new(world.mongo.clone(), world.pool.clone());
    let mut reports = Vec::new();
    let report = rebuild(&world.pool, &store, |p| reports.push(p))
        .await
        .expect("a rebuild");
    assert_eq!(report.launches, 3);
    assert_eq!(report.bookings, 12);
    assert_eq!(report.reconciled, 0);
    let events: i64 =
        sqlx::query_scalar("SELECT count(*) FROM events WHERE aggregate_type = 'Launch'")
            .fetch_one(&world.pool)
            .await
            .expect("counting");
    assert_eq!(report.events, events as u64);
    assert!(reports
        .iter()
        .any(|p| p.phase == "replaying" && p.done == report.events));
    assert_eq!(
        snapshot(&world).await,
        live,
        "rebuilt documents equal the live ones"
    );
    let indexes = world
        .mongo
        .collection::<Document>(BOOKINGS)
        .list_index_names()
        .await
        .expect("indexes");
    assert!(indexes.contains(&"holder_booked".to_owned()), "{indexes:?}");
    world.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_rebuild_while_bookings_go_on_switches_over_and_misses_nothing() {
    let world = World::new().await;
    let projectors = world.start_all().await;
    let launches = history(&world).await;
    world.wait_caught_up(WAIT).await;
    let store = SalesStore::new(world.mongo.clone(), world.pool.clone());
    // The site keeps selling during the rebuild; the model never empties.
    let target = launches[2];
    let (rebuilt, ()) = tokio::join!(rebuild(&world.pool, &store, |_| {}), async {
        for _ in 0..10 {
            world.book(target, 1).await;
            let launches = world.launches().await;
            assert_eq!(launches.len(), 3, "the model is never empty");
        }
    });
    rebuilt.expect("a rebuild");
    world.wait_caught_up(WAIT).await;
    projectors.stop().await;
    let live = snapshot(&world).await;

    // A rebuild with nothing running gives the same documents.
    rebuild(&world.pool, &store, |_| {})
        .await
        .expect("a second rebuild");
    assert_same(&snapshot(&world).await, &live);
    world.cleanup().await;
}

#[tokio::test]
async fn only_one_rebuild_runs_at_a_time() {
    let world = World::new().await;
    let store = SalesStore::new(world.mongo.clone(), world.pool.clone());
    let mut holder = world.pool.acquire().await.expect("a connection");
    let key = format!("rebuild:sales:{}", world.mongo_name);
    sqlx::query("SELECT pg_advisory_lock(hashtextextended($1, 0))")
        .bind(&key)
        .execute(&mut *holder)
        .await
        .expect("holding the lock");
    let refused = rebuild(&world.pool, &store, |_| {}).await;
    assert!(matches!(refused, Err(RebuildError::Busy)), "{refused:?}");
    drop(holder);
    world.cleanup().await;
}
