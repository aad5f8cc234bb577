//! Log shipping against the real MongoDB-wire server: what a subscriber with
//! the shipping layer logs lands in `<db>.logs` with its span's ids and no
//! secret, the TTL index follows the retention, and an outage loses nothing
//! that fits in the buffer. Each test uses its own `core_test_<uuid>`
//! database and drops it.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bson::doc;
use futures::TryStreamExt;
use platform::logship::{self, LogGuard, ShipSettings};
use read_models::core_db::LogDoc;
use tokio::net::{TcpListener, TcpStream};
use tracing_subscriber::filter::LevelFilter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::Layer;

fn mongodb_uri() -> String {
    std::env::var("MONGODB_URI")
        .ok()
        .filter(|u| !u.trim().is_empty())
        .unwrap_or_else(|| logship::DEFAULT_MONGODB_URI.to_owned())
}

fn settings(database: &str, uri: String) -> ShipSettings {
    ShipSettings {
        enabled: true,
        mongodb_uri: uri,
        database: database.to_owned(),
        level: LevelFilter::INFO,
        buffer: 1_000,
        batch: 100,
        flush_interval: Duration::from_millis(100),
        retention: Duration::from_secs(14 * 86_400),
    }
}

fn test_database() -> String {
    format!("core_test_{}", uuid::Uuid::new_v4().simple())
}

async fn client() -> mongodb::Client {
    read_models::mongo::client(&mongodb_uri(), "platform-tests")
        .await
        .expect("a MongoDB client")
}

/// Runs `log` with a subscriber holding only the shipping layer.
fn with_shipping(settings: ShipSettings, log: impl FnOnce()) -> LogGuard {
    let (layer, guard) = logship::start("test-service", settings.clone()).expect("the shipper");
    let subscriber =
        tracing_subscriber::registry().with(layer.with_filter(logship::filter(settings.level)));
    tracing::subscriber::with_default(subscriber, log);
    guard
}

/// `guard.flush(timeout)` off the async runtime (it blocks).
async fn flush(guard: LogGuard, timeout: Duration) -> (LogGuard, bool) {
    tokio::task::spawn_blocking(move || {
        let flushed = guard.flush(timeout);
        (guard, flushed)
    })
    .await
    .unwrap()
}

async fn logs(client: &mongodb::Client, database: &str) -> Vec<LogDoc> {
    client
        .database(database)
        .collection::<LogDoc>("logs")
        .find(doc! {})
        .sort(doc! { "time": 1 })
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_land_in_core_logs_with_their_span_ids_and_without_secrets() {
    let database = test_database();
    let client = client().await;
    let guard = with_shipping(settings(&database, mongodb_uri()), || {
        let span = tracing::info_span!(
            "http",
            method = "POST",
            request_id = "req-1",
            correlation_id = "corr-1",
            user_id = tracing::field::Empty,
            authorization = "Bearer very.secret.token",
        );
        let _entered = span.enter();
        span.record("user_id", "user-1");
        let inner = tracing::info_span!("command", launch_id = "launch-1", method = "book");
        let _inner = inner.enter();
        tracing::info!(
            status = 201_u16,
            password = "hunter2",
            url = "postgres://astro:pgpass@db:5432/astro",
            "request served"
        );
        tracing::debug!("not shipped: below the level");
        tracing::warn!(target: "mongodb::connection", "not shipped: the driver");
    });
    let (guard, flushed) = flush(guard, Duration::from_secs(20)).await;
    assert!(flushed, "the flush shipped everything in time");
    let docs = logs(&client, &database).await;
    assert_eq!(docs.len(), 1, "{docs:?}");
    let log = &docs[0];
    assert_eq!(log.service, "test-service");
    assert_eq!(log.level, "info");
    assert_eq!(log.message, "request served");
    assert_eq!(log.target, module_path!());
    assert_eq!(log.request_id.as_deref(), Some("req-1"));
    assert_eq!(log.correlation_id.as_deref(), Some("corr-1"));
    assert_eq!(log.user_id.as_deref(), Some("user-1"));
    assert!(log.instance.ends_with(&format!(":{}", std::process::id())));
    assert_eq!(log.fields.get_i64("status").unwrap(), 201);
    assert_eq!(
        log.fields.get_str("method").unwrap(),
        "book",
        "inner span wins"
    );
    assert_eq!(log.fields.get_str("launch_id").unwrap(), "launch-1");
    assert_eq!(log.fields.get_str("password").unwrap(), "[redacted]");
    assert_eq!(log.fields.get_str("authorization").unwrap(), "[redacted]");
    assert_eq!(
        log.fields.get_str("url").unwrap(),
        "postgres://[redacted]@db:5432/astro"
    );
    let everything = format!("{docs:?}");
    for secret in ["hunter2", "very.secret.token", "pgpass"] {
        assert!(
            !everything.contains(secret),
            "{secret} leaked: {everything}"
        );
    }
    let indexes = client
        .database(&database)
        .collection::<LogDoc>("logs")
        .list_index_names()
        .await
        .unwrap();
    for name in ["ttl_time", "service_time", "level_time", "correlation_time"] {
        assert!(indexes.iter().any(|i| i == name), "{name} in {indexes:?}");
    }
    tokio::task::spawn_blocking(move || guard.shutdown(Duration::from_secs(5)))
        .await
        .unwrap();
    client.database(&database).drop().await.unwrap();
}

async fn ttl_secs(client: &mongodb::Client, database: &str) -> Option<u64> {
    let indexes: Vec<mongodb::IndexModel> = client
        .database(database)
        .collection::<LogDoc>("logs")
        .list_indexes()
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    indexes
        .iter()
        .filter_map(|i| i.options.as_ref())
        .find(|o| o.name.as_deref() == Some("ttl_time"))
        .and_then(|o| o.expire_after)
        .map(|d| d.as_secs())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_ttl_index_follows_the_configured_retention() {
    let database = test_database();
    let client = client().await;
    for days in [14_u64, 3] {
        let mut settings = settings(&database, mongodb_uri());
        settings.retention = Duration::from_secs(days * 86_400);
        let guard = with_shipping(settings, || tracing::info!(days, "retention"));
        let (guard, flushed) = flush(guard, Duration::from_secs(20)).await;
        assert!(flushed);
        assert_eq!(ttl_secs(&client, &database).await, Some(days * 86_400));
        tokio::task::spawn_blocking(move || drop(guard))
            .await
            .unwrap();
    }
    assert_eq!(logs(&client, &database).await.len(), 2);
    client.database(&database).drop().await.unwrap();
}

/// A TCP proxy to the MongoDB server that, while `up` is false, closes
/// every connection it accepts (MongoDB "down").
async fn proxy(up: Arc<AtomicBool>) -> u16 {
    let target = mongodb_uri()
        .split("://")
        .nth(1)
        .and_then(|rest| rest.split(['/', '?', ',']).next())
        .map(|host| host.rsplit('@').next().unwrap_or(host).to_owned())
        .unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        loop {
            let Ok((mut inbound, _)) = listener.accept().await else {
                return;
            };
            if !up.load(Ordering::SeqCst) {
                drop(inbound);
                continue;
            }
            let target = target.clone();
            tokio::spawn(async move {
                if let Ok(mut outbound) = TcpStream::connect(&target).await {
                    let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                }
            });
        }
    });
    port
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_outage_shorter_than_the_buffer_loses_nothing() {
    let database = test_database();
    let client = client().await;
    let up = Arc::new(AtomicBool::new(false));
    let port = proxy(up.clone()).await;
    let uri =
        format!("mongodb://127.0.0.1:{port}/?directConnection=true&serverSelectionTimeoutMS=1000");
    let failed_before = logship::FAILED_INSERTS.get();
    let guard = with_shipping(settings(&database, uri), || {
        for n in 0..5 {
            tracing::info!(n, "during the outage");
        }
    });
    let (guard, flushed) = flush(guard, Duration::from_millis(1_500)).await;
    assert!(!flushed, "nothing can be shipped while MongoDB is down");
    assert!(logship::FAILED_INSERTS.get() > failed_before);
    up.store(true, Ordering::SeqCst);
    let (guard, flushed) = flush(guard, Duration::from_secs(30)).await;
    assert!(flushed, "the kept batch went in once MongoDB was back");
    let docs = logs(&client, &database).await;
    let mut numbers: Vec<i64> = docs
        .iter()
        .map(|d| d.fields.get_i64("n").unwrap())
        .collect();
    numbers.sort_unstable();
    assert_eq!(numbers, [0, 1, 2, 3, 4], "each event once");
    tokio::task::spawn_blocking(move || drop(guard))
        .await
        .unwrap();
    client.database(&database).drop().await.unwrap();
}
