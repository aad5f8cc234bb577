//! The cost of logging one request's lines on the request's thread, with
//! log shipping off (stdout at `warn`: the request's span and `info` line
//! are disabled) and on (captured and handed to the shipper, whose buffer
//! holds them all: MongoDB is unreachable, nothing is serialized): what
//! `platform::logship` adds to every request; then the shipper thread's
//! cost of turning one captured event into its BSON document. `cargo run
//! --release --example logship_overhead -p platform`.

use std::time::{Duration, Instant};

use platform::logship::{self, ShipSettings};
use tracing_subscriber::filter::LevelFilter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::{EnvFilter, Layer};

const N: u32 = 100_000;
const POLLS: usize = 10;

fn request(n: u32) {
    let span = tracing::info_span!(
        "http",
        method = %"POST",
        route = %"/v1/launches/{id}/bookings",
        request_id = %"0193a0d6-0000-7000-8000-000000000001",
        correlation_id = %"0193a0d6-0000-7000-8000-000000000002",
        user_id = tracing::field::Empty,
    );
    {
        let _entered = span.enter();
        span.record("user_id", "0193a0d6-0000-7000-8000-000000000003");
    }
    // A request's future is polled about ten times (each database round
    // trip), entering and leaving its span each time.
    for _ in 0..POLLS {
        let _entered = span.enter();
    }
    let _entered = span.enter();
    tracing::info!(
        status = 201_u16,
        elapsed_ms = f64::from(n) * 1e-3,
        "request served"
    );
}

fn time(what: &str) -> f64 {
    let started = Instant::now();
    for n in 0..N {
        request(n);
    }
    let ns = started.elapsed().as_nanos() as f64 / f64::from(N);
    println!("{what:<40} {ns:>8.0} ns per request");
    ns
}

fn main() {
    let stdout = || {
        tracing_subscriber::fmt::layer()
            .json()
            .with_writer(std::io::sink)
            .with_filter(EnvFilter::new("warn"))
    };
    let off = tracing_subscriber::registry().with(stdout());
    let off = tracing::subscriber::with_default(off, || time("shipping off (stdout at warn)"));

    let settings = ShipSettings {
        enabled: true,
        mongodb_uri: "mongodb://127.0.0.1:1/?directConnection=true".into(),
        database: "core_bench_unused".into(),
        level: LevelFilter::INFO,
        buffer: N as usize + 1_000,
        batch: 500,
        flush_interval: Duration::from_millis(500),
        retention: Duration::from_secs(86_400),
    };
    let (layer, guard) = logship::start("bench", settings).unwrap();
    let on = tracing_subscriber::registry()
        .with(stdout())
        .with(layer.with_filter(logship::filter(LevelFilter::INFO)));
    let on = tracing::subscriber::with_default(on, || time("shipping on (captured and buffered)"));
    println!(
        "added on the request's thread: {:.0} ns per request",
        on - off
    );
    drop(guard);

    let entry = logship::Entry {
        time: bson::DateTime::now(),
        level: tracing::Level::INFO,
        target: "platform::http".into(),
        message: "request served".into(),
        fields: vec![
            ("status", logship::FieldValue::U64(201)),
            ("elapsed_ms", logship::FieldValue::F64(3.2)),
        ],
        spans: vec![std::sync::Arc::new(vec![
            ("method", logship::FieldValue::Str("POST".into())),
            (
                "route",
                logship::FieldValue::Str("/v1/launches/{id}/bookings".into()),
            ),
            (
                "request_id",
                logship::FieldValue::Str("0193a0d6-0000-7000-8000-000000000001".into()),
            ),
            (
                "correlation_id",
                logship::FieldValue::Str("0193a0d6-0000-7000-8000-000000000002".into()),
            ),
            (
                "user_id",
                logship::FieldValue::Str("0193a0d6-0000-7000-8000-000000000003".into()),
            ),
        ])],
    };
    let started = Instant::now();
    let mut bytes = 0;
    for _ in 0..N {
        bytes += logship::raw_log_doc(&entry, "command-api", "host:1")
            .as_bytes()
            .len();
    }
    let ns = started.elapsed().as_nanos() as f64 / f64::from(N);
    println!(
        "on the shipper's thread: {ns:.0} ns per document ({} bytes of BSON)",
        bytes / N as usize
    );
}
