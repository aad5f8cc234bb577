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

/// Makes every insert of an aggregate of type `Held` wait, after it has
/// taken its global position and before it writes its row, until the test
/// lets go of the advisory lock `HOLD` (a test-only row trigger: identity
/// values are computed before BEFORE ROW triggers fire).
async fn hold_positions_of_type_held(pool: &sqlx::PgPool) {
    sqlx::query(
        "CREATE FUNCTION hold_position() RETURNS trigger LANGUAGE plpgsql AS $$
         BEGIN
             PERFORM pg_advisory_lock_shared(4242);
             PERFORM pg_advisory_unlock_shared(4242);
             RETURN NEW;
         END $$",
    )
    .execute(pool)
    .await
    .expect("the trigger function");
    sqlx::query(
        "CREATE TRIGGER hold_position BEFORE INSERT ON events FOR EACH ROW
         WHEN (NEW.aggregate_type = 'Held') EXECUTE FUNCTION hold_position()",
    )
    .execute(pool)
    .await
    .expect("the trigger");
}

#[tokio::test]
async fn a_position_taken_by_a_statement_that_has_not_written_its_row_yet_is_waited_for() {
    let world = World::new().await;
    hold_positions_of_type_held(&world.pool).await;
    let after: i64 = sqlx::query_scalar("SELECT coalesce(max(global_position), 0) FROM events")
        .fetch_one(&world.pool)
        .await
        .expect("the head");
    // `nextval` itself takes a transaction id when it WAL-logs the
    // sequence (once in 32 values, or first after a checkpoint): one insert
    // now makes the next position one that does not.
    let mut conn = world.pool.acquire().await.expect("a connection");
    let after = insert(&mut conn, "warm-up").await.max(after);
    let mut gate = world.pool.acquire().await.expect("a connection");
    sqlx::query("SELECT pg_advisory_lock(4242)")
        .execute(&mut *gate)
        .await
        .expect("closing the gate");

    // One autocommit statement takes position p1 and stops before its row
    // is written: before the fix it had no transaction id at that moment.
    let pool = world.pool.clone();
    let held = tokio::spawn(async move {
        sqlx::query_scalar::<_, i64>(
            "INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type,
                                 event_version, payload, metadata, event_id, occurred_at)
             VALUES ('Held', 'held', 1, 'Tested', '1.0', '{}', '{}', $1, now())
             RETURNING global_position",
        )
        .bind(Uuid::now_v7())
        .fetch_one(&pool)
        .await
    });
    testkit::wait_for(
        Duration::from_secs(10),
        "the insert waits at the gate",
        || {
            let pool = world.pool.clone();
            async move {
                sqlx::query_scalar::<_, i64>(
                    // pg_locks is the whole server's: other tests wait on
                    // advisory locks of their own meanwhile.
                    "SELECT count(*) FROM pg_locks
                  WHERE locktype = 'advisory' AND NOT granted AND objid = 4242
                    AND database = (SELECT oid FROM pg_database
                                     WHERE datname = current_database())",
                )
                .fetch_one(&pool)
                .await
                .expect("pg_locks")
                    == 1
            }
        },
    )
    .await;
    // A later position commits meanwhile.
    let p2 = insert(&mut conn, "after-held").await;

    let pool = world.pool.clone();
    let reader = tokio::spawn(async move { settled_after(&pool, after, 100).await });
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(
        !reader.is_finished(),
        "the reader must wait for the statement holding the earlier position"
    );
    sqlx::query("SELECT pg_advisory_unlock(4242)")
        .execute(&mut *gate)
        .await
        .expect("opening the gate");
    let p1 = held
        .await
        .expect("the task")
        .expect("the held insert commits");
    assert!(p1 < p2);
    let settled = tokio::time::timeout(Duration::from_secs(10), reader)
        .await
        .expect("the reader ends once the statement has")
        .expect("the task")
        .expect("reading");
    let positions: Vec<i64> = settled.events.iter().map(|e| e.global_position).collect();
    assert_eq!(positions, [p1, p2], "both, in global order");
    world.cleanup().await;
}

#[tokio::test]
async fn a_writer_younger_than_every_completed_transaction_is_waited_for() {
    // The in-progress list of a snapshot stops at its xmax (the latest
    // completed transaction id + 1): a writer whose id is newer than the
    // committing one's is not in it. Here `older` takes its id first,
    // `younger` takes position p1, `older` takes p2 and commits.
    let world = World::new().await;
    let after: i64 = sqlx::query_scalar("SELECT coalesce(max(global_position), 0) FROM events")
        .fetch_one(&world.pool)
        .await
        .expect("the head");
    let mut older = world.pool.begin().await.expect("a transaction");
    sqlx::query("SELECT pg_current_xact_id()")
        .execute(&mut *older)
        .await
        .expect("an id");
    let mut younger = world.pool.begin().await.expect("a transaction");
    let p1 = insert(&mut younger, "younger").await;
    let p2 = insert(&mut older, "older").await;
    older.commit().await.expect("committing");
    assert!(p1 < p2);

    let pool = world.pool.clone();
    let reader = tokio::spawn(async move { settled_after(&pool, after, 100).await });
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(
        !reader.is_finished(),
        "the reader must wait for the younger writer"
    );
    younger.commit().await.expect("committing");
    let settled = tokio::time::timeout(Duration::from_secs(10), reader)
        .await
        .expect("the reader ends once the writer has")
        .expect("the task")
        .expect("reading");
    let positions: Vec<i64> = settled.events.iter().map(|e| e.global_position).collect();
    assert_eq!(positions, [p1, p2]);
    world.cleanup().await;
}
