//! The synthetic event store on a real PostgreSQL: what it writes is what
//! it reports, across a new year, and the same every time.

use chrono::{DateTime, Utc};
use sqlx::{Connection, PgConnection, Row};
use testkit::synthetic::{self, Spec, Synthetic, YearTally};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../migrations");

/// A migrated empty database and a connection to it.
async fn store() -> (String, PgConnection) {
    let url = testkit::create_test_database().await;
    let mut conn = PgConnection::connect(&url).await.expect("connecting");
    MIGRATOR.run(&mut conn).await.expect("migrating");
    (url, conn)
}

async fn drop_database(url: &str, conn: PgConnection) {
    conn.close().await.ok();
    let name = url.rsplit('/').next().expect("a database name").to_owned();
    let mut admin = PgConnection::connect(&testkit::base_database_url())
        .await
        .expect("connecting to the server");
    sqlx::raw_sql(&format!(r#"DROP DATABASE IF EXISTS "{name}" WITH (FORCE)"#))
        .execute(&mut admin)
        .await
        .ok();
}

/// Every event in global order: type, sequence, occurred_at, seats.
async fn events(conn: &mut PgConnection) -> Vec<(String, i64, DateTime<Utc>, Option<i64>)> {
    sqlx::query(
        "SELECT event_type, sequence, occurred_at,
                (payload -> 'SeatsBooked' ->> 'seats')::bigint AS seats
           FROM events ORDER BY global_position",
    )
    .fetch_all(&mut *conn)
    .await
    .expect("reading the events")
    .into_iter()
    .map(|row| {
        (
            row.get("event_type"),
            row.get("sequence"),
            row.get("occurred_at"),
            row.get("seats"),
        )
    })
    .collect()
}

fn tally_of(events: &[(String, i64, DateTime<Utc>, Option<i64>)], year: i32) -> YearTally {
    use chrono::Datelike;
    let mut tally = YearTally::default();
    for (kind, _, at, _) in events.iter().filter(|e| e.2.year() == year) {
        tally.events += 1;
        match kind.as_str() {
            "LaunchScheduled" => tally.scheduled += 1,
            "SeatsBooked" => tally.bookings += 1,
            "BookingCancelled" => tally.cancellations += 1,
            other => panic!("unexpected {other} at {at}"),
        }
    }
    tally
}

#[tokio::test]
async fn a_store_across_the_new_year_is_what_it_reports_and_the_same_every_time() {
    let spec = Spec::new(3_001, 7).across_new_year(2025);
    let (url, mut conn) = store().await;
    let built: Synthetic = synthetic::build_with(&mut conn, spec).await.unwrap();
    let stored = events(&mut conn).await;

    assert_eq!(built.events, 3_001);
    assert_eq!(stored.len(), 3_001);
    assert_eq!(
        built.years.keys().copied().collect::<Vec<_>>(),
        [2025, 2026]
    );
    assert_eq!(built.years[&2025].events, 1_500);
    assert_eq!(built.years[&2026].events, 1_501);
    for year in [2025, 2026] {
        assert_eq!(built.years[&year], tally_of(&stored, year), "{year}");
    }
    assert_eq!(built.years[&2025].scheduled, 7);
    let bookings: u64 = built.years.values().map(|t| t.bookings).sum();
    let cancellations: u64 = built.years.values().map(|t| t.cancellations).sum();
    assert_eq!(bookings, built.bookings.len() as u64);
    assert_eq!(cancellations, built.cancellations);
    assert!(cancellations > 0 && built.years[&2026].cancellations > 0);
    assert_eq!(built.launches.len(), 7);
    assert_eq!(
        built.occurred.0.to_rfc3339(),
        "2025-12-31T23:59:58.500+00:00"
    );
    assert_eq!(
        built.occurred.1.to_rfc3339(),
        "2026-01-01T00:00:01.500+00:00"
    );
    assert!(stored.windows(2).all(|w| w[0].2 < w[1].2));
    // Gapless sequences per launch; nothing left in the outbox.
    let gaps: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM (SELECT aggregate_id, count(*) AS n, max(sequence) AS last
                                  FROM events GROUP BY aggregate_id) AS l
          WHERE n <> last",
    )
    .fetch_one(&mut conn)
    .await
    .unwrap();
    assert_eq!(gaps, 0);
    let outbox: i64 = sqlx::query_scalar("SELECT count(*) FROM outbox")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(outbox, 0);

    // The same spec gives the same events (ids aside).
    let (again_url, mut again) = store().await;
    let rebuilt = synthetic::build_with(&mut again, spec).await.unwrap();
    assert_eq!(events(&mut again).await, stored);
    assert_eq!(rebuilt.years, built.years);
    drop_database(&again_url, again).await;
    drop_database(&url, conn).await;
}

#[tokio::test]
async fn a_number_of_bookings_is_exactly_that_many_invoices() {
    let spec = Spec::with_bookings(2_000, 4).across_new_year(2026);
    let (url, mut conn) = store().await;
    let built = synthetic::build_with(&mut conn, spec).await.unwrap();
    let stored = events(&mut conn).await;
    assert_eq!(built.bookings.len(), 2_000);
    assert_eq!(built.events, spec.events);
    assert_eq!(
        stored.iter().filter(|e| e.0 == "SeatsBooked").count(),
        2_000
    );
    assert_eq!(stored.last().map(|e| e.0.as_str()), Some("SeatsBooked"));
    assert_eq!(
        built.years.keys().copied().collect::<Vec<_>>(),
        [2026, 2027]
    );
    drop_database(&url, conn).await;
}

#[tokio::test]
async fn the_plain_build_is_recent_and_refuses_too_few_events() {
    let (url, mut conn) = store().await;
    assert!(synthetic::build(&mut conn, 3, 4).await.is_err());
    assert!(synthetic::build(&mut conn, 3, 0).await.is_err());
    let before = Utc::now();
    let built = synthetic::build(&mut conn, 500, 5).await.unwrap();
    assert_eq!(built.events, 500);
    assert!(built.occurred.1 < before && built.occurred.0 > before - chrono::Duration::minutes(2));
    drop_database(&url, conn).await;
}
