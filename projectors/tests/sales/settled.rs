//! `source::settled_after`: reading the event store in global order never
//! skips an event whose transaction commits after a later position's.

use std::time::Duration;

use projectors::source::settled_after;
use uuid::Uuid;

use crate::helpers::World;

/// Inserts one event of a throwaway aggregate in `executor`'s transaction.
async fn insert(executor: &mut sqlx::PgConnection, aggregate: &str) -> i64 {
    sqlx::query_scalar(
        "INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type,
                             event_version, payload, metadata, event_id, occurred_at)
         VALUES ('Test', $1, 1, 'Tested', '1.0', '{}', '{}', $2, now())
         RETURNING global_position",
    )
    .bind(aggregate)
    .bind(Uuid::now_v7())
    .fetch_one(executor)
    .await
    .expect("inserting an event")
}

#[tokio::test]
async fn a_later_position_waits_for_an_earlier_one_still_in_flight() {
    let world = World::new().await;
    let after: i64 = sqlx::query_scalar("SELECT coalesce(max(global_position), 0) FROM events")
        .fetch_one(&world.pool)
        .await
        .expect("the head");
    // Position p1 is taken by a transaction that has not committed yet...
    let mut slow = world.pool.begin().await.expect("a transaction");
    let p1 = insert(&mut slow, "slow").await;
    // ...and p2 > p1 commits first.
    let mut fast = world.pool.begin().await.expect("a transaction");
    let p2 = insert(&mut fast, "fast").await;
    fast.commit().await.expect("committing");
    assert!(p2 > p1);

    let pool = world.pool.clone();
    let reader = tokio::spawn(async move { settled_after(&pool, after, 100).await });
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(
        !reader.is_finished(),
        "the reader must wait for the transaction holding the earlier position"
    );
    slow.commit().await.expect("committing");
    let settled = tokio::time::timeout(Duration::from_secs(10), reader)
        .await
        .expect("the reader ends once the transaction has")
        .expect("the task")
        .expect("reading");
    let positions: Vec<i64> = settled.events.iter().map(|e| e.global_position).collect();
    assert_eq!(positions, [p1, p2], "both, in global order");
    assert_eq!(settled.up_to, p2);

    // A rolled-back position is a gap the reader passes.
    let mut rolled_back = world.pool.begin().await.expect("a transaction");
    insert(&mut rolled_back, "rolled-back").await;
    rolled_back.rollback().await.expect("rolling back");
    let mut conn = world.pool.acquire().await.expect("a connection");
    let p4 = insert(&mut conn, "after-rollback").await;
    let settled = settled_after(&world.pool, p2, 100).await.expect("reading");
    let positions: Vec<i64> = settled.events.iter().map(|e| e.global_position).collect();
    assert_eq!(positions, [p4]);
    let empty = settled_after(&world.pool, p4, 100).await.expect("reading");
    assert!(empty.events.is_empty());
    assert_eq!(
        empty.up_to, p4,
        "nothing new: the next read starts at the same place"
    );
    world.cleanup().await;
}
