//! The booking part: pgbench's floor for the minimal durable booking
//! transaction, then `POST /v1/launches/{id}/bookings` against the release
//! command API at the same concurrencies, spread over many launches and on
//! one hot launch, and a check in the event store that nothing was oversold.

use std::time::Duration;

use anyhow::bail;

use crate::report::{Figures, Row};
use crate::{api, drop_database, floor, fresh_database, Config, SPREAD_LAUNCHES};

/// Runs the part and returns its markdown table.
pub async fn run(config: &Config) -> anyhow::Result<String> {
    let server = &config.server;
    let seconds = config.seconds;
    let levels = &config.levels;
    let duration = Duration::from_secs(seconds);
    println!();
    println!("## Booking — concurrency {levels:?}");

    let floor_db = fresh_database(server, "astro_bench_floor").await?;
    let api_db = fresh_database(server, "astro_bench_api").await?;

    let mut figures = Figures::default();
    for &spread in &[true, false] {
        for &c in levels {
            let floor = floor::run(&floor_db, c, spread, seconds).await?;
            figures.floor.push((spread, c, floor));
            println!(
                "floor   {:<6} c={c:<3} {:>9.0} tx/s  avg {:>6.2} ms",
                if spread { "spread" } else { "hot" },
                floor.tps,
                floor.avg_ms
            );
        }
    }

    let keys = api::Keys::generate()?;
    let mut service = api::Service::start(&config.command_api_bin, &api_db, &keys.public).await?;
    let client = api::client(levels.iter().copied().max().unwrap_or(64))?;
    let rocket = service.rocket(&client, &keys.operations).await?;
    let mut spread_launches = Vec::new();
    for _ in 0..SPREAD_LAUNCHES {
        spread_launches.push(service.launch(&client, &keys.operations, &rocket).await?);
    }
    // Warm-up: connections, caches, the JIT-free but cold page cache.
    api::load(
        &client,
        &service.base,
        &spread_launches,
        &keys.travelers,
        8,
        Duration::from_secs(2),
    )
    .await;

    for &spread in &[true, false] {
        for &c in levels {
            let launches = if spread {
                spread_launches.clone()
            } else {
                vec![service.launch(&client, &keys.operations, &rocket).await?]
            };
            let result = api::load(
                &client,
                &service.base,
                &launches,
                &keys.travelers,
                c,
                duration,
            )
            .await;
            if result.other > 0 {
                bail!(
                    "{} requests failed unexpectedly (status not 201/409)",
                    result.other
                );
            }
            let floor = figures.floor_of(spread, c);
            let row = Row::new(spread, c, &result, floor, duration);
            println!("{}", row.line());
            figures.rows.push(row);
        }
    }
    service.stop().await;

    let oversold = api::oversold_launches(&api_db).await?;
    let table = figures.markdown();
    println!();
    println!("{table}");
    if oversold > 0 {
        bail!("{oversold} launches were oversold");
    }
    println!("Oversold launches: 0 (checked from the event store).");

    drop_database(server, "astro_bench_floor").await?;
    drop_database(server, "astro_bench_api").await?;
    Ok(format!(
        "## Booking\n\n{table}\nOversold launches: 0 (checked from the event store)."
    ))
}
