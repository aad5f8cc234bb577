//! The physical floor: pgbench running the smallest durable booking
//! transaction the database can do.

use std::process::Stdio;

use anyhow::{bail, Context};
use sqlx::postgres::PgConnectOptions;
use sqlx::{ConnectOptions, Connection};

/// One pgbench measurement.
#[derive(Debug, Clone, Copy)]
pub struct Floor {
    /// Transactions per second.
    pub tps: f64,
    /// Mean latency.
    pub avg_ms: f64,
}

const SCRIPT: &str = r"\set launch random(1, :launches)
BEGIN;
UPDATE bench_launches SET seats_booked = seats_booked + 1
 WHERE id = :launch AND seats_booked < capacity;
INSERT INTO bench_bookings (launch_id, booked_at) VALUES (:launch, now());
COMMIT;
";

/// Runs pgbench at concurrency `c` over many launches (`spread`) or one.
pub async fn run(
    db: &PgConnectOptions,
    c: usize,
    spread: bool,
    seconds: u64,
) -> anyhow::Result<Floor> {
    let launches = if spread { crate::SPREAD_LAUNCHES } else { 1 };
    let mut conn = db.clone().connect().await?;
    for statement in [
        "DROP TABLE IF EXISTS bench_bookings, bench_launches",
        "CREATE TABLE bench_launches (id int PRIMARY KEY, capacity int NOT NULL, seats_booked int NOT NULL)",
        "CREATE TABLE bench_bookings (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
             launch_id int NOT NULL REFERENCES bench_launches, booked_at timestamptz NOT NULL)",
    ] {
        sqlx::query(statement).execute(&mut conn).await?;
    }
    sqlx::query("INSERT INTO bench_launches SELECT g, 1000000000, 0 FROM generate_series(1, $1) g")
        .bind(launches as i32)
        .execute(&mut conn)
        .await?;
    conn.close().await?;

    let script = std::env::temp_dir().join(format!("astro-bench-{}.sql", std::process::id()));
    std::fs::write(&script, SCRIPT)?;
    let output = tokio::process::Command::new("pgbench")
        .args(["-n", "-M", "prepared", "-j", "2"])
        .args(["-c", &c.to_string(), "-T", &seconds.to_string()])
        .args(["-D", &format!("launches={launches}")])
        .arg("-f")
        .arg(&script)
        // libpq takes a connection URI where the database name goes.
        .arg(crate::database_url(db.get_database().unwrap_or("postgres")))
        .stdin(Stdio::null())
        .output()
        .await
        .context("running pgbench (Debian package postgresql-contrib / postgresql client)")?;
    let _ = std::fs::remove_file(&script);
    let text = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        bail!(
            "pgbench failed: {}{}",
            text,
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let number = |prefix: &str| -> Option<f64> {
        text.lines()
            .find_map(|l| l.trim().strip_prefix(prefix))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|n| n.parse().ok())
    };
    Ok(Floor {
        tps: number("tps = ").context("pgbench printed no tps")?,
        avg_ms: number("latency average = ").unwrap_or(f64::NAN),
    })
}
