//! `projectors rebuild finance --verify` on a store of more than ten
//! thousand bookings and cancellations: no difference; a hand-edited row is
//! reported; `--swap` and a plain rebuild repair it; one rebuild at a time.

use projectors::finance::{self, rebuild};

use crate::finance::count;
use crate::helpers::World;

fn options(verify: bool, swap: bool) -> rebuild::Options {
    rebuild::Options {
        verify,
        swap,
        batch_size: 2_000,
    }
}

#[tokio::test]
async fn rebuild_verify_finds_no_difference_on_ten_thousand_bookings_and_reports_tampering() {
    let world = World::new().await;
    let mut conn = world.pool.acquire().await.expect("a connection");
    let synthetic = testkit::synthetic::build(&mut conn, 11_500, 40)
        .await
        .expect("a synthetic store");
    drop(conn);
    assert!(synthetic.events >= 11_500);
    finance::catch_up(&world.pool, 2_000)
        .await
        .expect("the live projection");
    let invoices_live = count(&world, "invoices").await;
    assert!(invoices_live >= 10_000, "{invoices_live} bookings");
    assert!(count(&world, "credit_notes").await > 0);

    let mut phases = 0;
    let report = rebuild::rebuild(&world.pool, options(true, false), |_| phases += 1)
        .await
        .expect("rebuilding");
    assert!(phases > 1, "progress is reported while it runs");
    assert_eq!(report.identical, Some(true), "{:?}", report.differences);
    assert!(!report.swapped && !report.kept_rebuild_schema);
    assert_eq!(report.rows["invoices"], invoices_live);

    // Someone edits an invoice and deletes a credit note by hand.
    let tampered: String = sqlx::query_scalar(
        "UPDATE finance.invoices SET total_cents = total_cents + 1
          WHERE number = (SELECT number FROM finance.invoices ORDER BY position LIMIT 1 OFFSET 41)
          RETURNING number",
    )
    .fetch_one(&world.pool)
    .await
    .expect("tampering");
    let deleted: String =
        sqlx::query_scalar("DELETE FROM finance.credit_notes WHERE seq = 3 RETURNING number")
            .fetch_one(&world.pool)
            .await
            .expect("deleting");
    let report = rebuild::rebuild(&world.pool, options(true, false), |_| {})
        .await
        .expect("rebuilding");
    assert_eq!(report.identical, Some(false));
    let invoices = report
        .differences
        .iter()
        .find(|d| d.table == "invoices")
        .expect("the invoice reported");
    assert_eq!((invoices.only_live, invoices.only_rebuilt), (1, 1));
    assert_eq!(invoices.examples, [tampered]);
    let notes = report
        .differences
        .iter()
        .find(|d| d.table == "credit_notes")
        .expect("the credit note reported");
    assert_eq!((notes.only_live, notes.only_rebuilt), (0, 1));
    assert_eq!(notes.examples, [deleted]);
    assert!(report.kept_rebuild_schema && !report.swapped);

    // Swapping repairs it; a plain rebuild replaces too.
    let report = rebuild::rebuild(&world.pool, options(true, true), |_| {})
        .await
        .expect("rebuilding");
    assert!(report.swapped);
    rebuild::rebuild(&world.pool, options(false, false), |_| {})
        .await
        .expect("rebuilding");
    let report = rebuild::rebuild(&world.pool, options(true, false), |_| {})
        .await
        .expect("rebuilding");
    assert_eq!(report.identical, Some(true), "{:?}", report.differences);

    // One rebuild at a time.
    let mut holder = world.pool.acquire().await.expect("a connection");
    sqlx::query("SELECT pg_advisory_lock($1)")
        .bind(rebuild::REBUILD_LOCK)
        .execute(&mut *holder)
        .await
        .expect("locking");
    let refused = rebuild::rebuild(&world.pool, options(true, false), |_| {}).await;
    assert!(matches!(
        refused,
        Err(rebuild::RebuildError::AlreadyRunning)
    ));
    world.cleanup().await;
}
