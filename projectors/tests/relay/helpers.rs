//! The harness: a fresh migrated database and a unique stream and subject
//! prefix per test, events written as the command API writes them, relays,
//! and the stream read back with an ordered consumer.

use std::collections::HashMap;
use std::time::Duration;

use async_nats::jetstream::{self, consumer::pull::OrderedConfig};
use chrono::Utc;
use events::{Actor, Envelope, EventMetadata};
use futures::StreamExt;
use platform::metrics::Metrics;
use projectors::metrics::RelayMetrics;
use projectors::relay::{Relay, RelayConfig};
use projectors::Settings;
use serde_json::{json, Value};
use sqlx::postgres::PgPoolOptions;
use sqlx::PgPool;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use uuid::Uuid;

pub use testkit::{nats_url, wait_for};

/// Creates an empty database `astro_test_<uuid>`, applies the migrations
/// (as the command API would), and returns its URL.
pub async fn create_test_database() -> String {
    let url = testkit::create_test_database().await;
    let pool = PgPoolOptions::new()
        .max_connections(1)
        .connect(&url)
        .await
        .expect("connecting to the test database");
    sqlx::migrate!("../migrations")
        .run(&pool)
        .await
        .expect("applying the migrations");
    pool.close().await;
    url
}

/// One test's world: a database, a stream of its own, a NATS connection.
pub struct TestContext {
    /// The test database.
    pub database_url: String,
    /// A pool on it for writing events and assertions.
    pub pool: PgPool,
    /// A connection to NATS for reading the stream.
    pub nats: async_nats::Client,
    /// The test's stream name.
    pub stream: String,
    /// The test's subject prefix.
    pub prefix: String,
}

impl TestContext {
    /// A fresh database and a unique stream name and prefix.
    pub async fn new() -> Self {
        let database_url = create_test_database().await;
        let pool = PgPoolOptions::new()
            .max_connections(4)
            .connect(&database_url)
            .await
            .expect("connecting to the test database");
        let nats = async_nats::connect(nats_url())
            .await
            .expect("connecting to NATS (is it running?)");
        let id = Uuid::new_v4().simple().to_string();
        Self {
            database_url,
            pool,
            nats,
            stream: format!("TEST_EVENTS_{id}"),
            prefix: format!("test.{id}.events"),
        }
    }

    /// Relay settings for this test (small batches to cross batch borders).
    pub fn settings(&self) -> Settings {
        Settings {
            addr: "127.0.0.1:0".into(),
            database_url: self.database_url.clone().into(),
            nats_url: nats_url(),
            batch_size: 7,
            poll_interval: Duration::from_millis(200),
            publish_timeout: Duration::from_secs(5),
            max_backoff: Duration::from_millis(200),
            stream: self.stream.clone(),
            subject_prefix: self.prefix.clone(),
            stream_max_age: Duration::from_secs(3600),
            duplicate_window: Duration::from_secs(120),
            shutdown_timeout_secs: 1,
            mongodb_uri: read_models::mongo::DEFAULT_MONGODB_URI.to_owned().into(),
            sales_database: "unused".into(),
            sales_consumer: "sales".into(),
            sales_batch_size: 100,
            sales_ack_wait: Duration::from_secs(2),
            dead_letter_after: 3,
            dead_letter_stream: format!("{}_DEAD", self.stream),
            users_stream: format!("TEST_USERS_{}", self.stream),
            users_subject_prefix: format!("{}-users", self.prefix),
            profiles_consumer: "profiles".into(),
            finance_consumer: "finance".into(),
            finance_batch_size: 500,
            finance_poll_interval: Duration::from_millis(200),
            components: vec![projectors::settings::Component::Relay],
        }
    }

    /// A relay with `settings`, connected to `nats_url`, and its metrics.
    pub async fn relay_with(&self, settings: &Settings) -> (Relay, RelayMetrics) {
        let pool = PgPoolOptions::new()
            .max_connections(3)
            .connect(&self.database_url)
            .await
            .expect("connecting to the test database");
        let client = async_nats::ConnectOptions::new()
            .retry_on_initial_connect()
            .connect(settings.nats_url.as_str())
            .await
            .expect("a NATS client");
        let metrics = RelayMetrics::register(&Metrics::new("projectors-test"));
        let relay = Relay::new(pool, client, RelayConfig::from(settings), metrics.clone());
        (relay, metrics)
    }

    /// A relay with this test's settings.
    pub async fn relay(&self) -> (Relay, RelayMetrics) {
        self.relay_with(&self.settings()).await
    }

    /// Writes events `sequences` of one aggregate, one transaction per event
    /// (as commands do), with the columns and metadata the command API writes.
    pub async fn write_events(
        &self,
        aggregate_type: &str,
        aggregate_id: &str,
        sequences: std::ops::RangeInclusive<i64>,
    ) {
        for sequence in sequences {
            let metadata = EventMetadata::for_command(
                Utc::now(),
                &format!("corr-{aggregate_id}-{sequence}"),
                "req-1",
                &Actor {
                    id: "system".into(),
                    role: "system".into(),
                },
            );
            let payload = json!({ "TestHappened": { "n": sequence } });
            sqlx::query(
                "INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type,
                                     event_version, payload, metadata, event_id, occurred_at)
                 VALUES ($1, $2, $3, 'TestHappened', '1.0', $4::json, $5::json, $6, $7)",
            )
            .bind(aggregate_type)
            .bind(aggregate_id)
            .bind(sequence)
            .bind(payload.to_string())
            .bind(serde_json::to_string(&metadata.to_map()).expect("a map serializes"))
            .bind(metadata.event_id)
            .bind(metadata.occurred_at)
            .execute(&self.pool)
            .await
            .expect("inserting an event");
        }
    }

    /// Makes the outbox trigger `NOTIFY outbox` on commit in this test's
    /// database (the store does not, for write throughput; see `relay::CHANNEL`).
    pub async fn notify_on_commit(&self) {
        sqlx::raw_sql(
            "CREATE OR REPLACE FUNCTION events_to_outbox() RETURNS trigger
                 LANGUAGE plpgsql AS
             $$
             BEGIN
                 INSERT INTO outbox (global_position, aggregate_type, aggregate_id, sequence)
                 SELECT global_position, aggregate_type, aggregate_id, sequence
                 FROM new_events;
                 PERFORM pg_notify('outbox', '');
                 RETURN NULL;
             END;
             $$",
        )
        .execute(&self.pool)
        .await
        .expect("a notifying outbox trigger");
    }

    /// Outbox rows left.
    pub async fn outbox_count(&self) -> i64 {
        sqlx::query_scalar("SELECT count(*) FROM outbox")
            .fetch_one(&self.pool)
            .await
            .expect("counting the outbox")
    }

    /// Messages in the test's stream (0 when it does not exist).
    pub async fn stream_count(&self) -> u64 {
        match jetstream::new(self.nats.clone())
            .get_stream(&self.stream)
            .await
        {
            Ok(stream) => stream.get_info().await.expect("stream info").state.messages,
            Err(_) => 0,
        }
    }

    /// Every message of the stream, in stream order, read with an ordered
    /// consumer: the envelopes and their message ids.
    pub async fn read_stream(&self) -> Vec<(String, String, Envelope<Value>)> {
        let count = self.stream_count().await;
        let stream = jetstream::new(self.nats.clone())
            .get_stream(&self.stream)
            .await
            .expect("the stream exists");
        let mut messages = stream
            .create_consumer(OrderedConfig::default())
            .await
            .expect("an ordered consumer")
            .messages()
            .await
            .expect("its messages");
        let mut read = Vec::new();
        while (read.len() as u64) < count {
            let message = tokio::time::timeout(Duration::from_secs(10), messages.next())
                .await
                .expect("a message within 10 s")
                .expect("the consumer goes on")
                .expect("a message");
            let id = message
                .headers
                .as_ref()
                .and_then(|h| h.get("Nats-Msg-Id"))
                .map(|v| v.as_str().to_owned())
                .expect("a message id");
            let envelope = serde_json::from_slice(&message.payload).expect("a JSON envelope");
            read.push((message.subject.to_string(), id, envelope));
        }
        read
    }

    /// Deletes the test's stream.
    pub async fn cleanup(&self) {
        let _ = jetstream::new(self.nats.clone())
            .delete_stream(&self.stream)
            .await;
    }
}

/// Runs `relay` in the background until the returned sender says stop.
pub fn spawn_relay(relay: Relay) -> (watch::Sender<bool>, JoinHandle<()>) {
    let (stop, shutdown) = watch::channel(false);
    let task = tokio::spawn(async move { relay.run(shutdown).await });
    (stop, task)
}

/// Stops a relay started by [`spawn_relay`] and waits for it.
pub async fn stop_relay(relay: (watch::Sender<bool>, JoinHandle<()>)) {
    relay.0.send_replace(true);
    tokio::time::timeout(Duration::from_secs(30), relay.1)
        .await
        .expect("the relay stops within 30 s")
        .expect("the relay task ends cleanly");
}

/// Asserts every aggregate's events appear exactly once each, sequences
/// 1..=n in order, with message id `aggregate_id:sequence`.
#[track_caller]
pub fn assert_once_in_order(
    messages: &[(String, String, Envelope<Value>)],
    expected: &HashMap<String, i64>,
) {
    let mut seen: HashMap<String, Vec<u64>> = HashMap::new();
    for (_, id, envelope) in messages {
        assert_eq!(
            id,
            &format!("{}:{}", envelope.aggregate_id, envelope.sequence)
        );
        seen.entry(envelope.aggregate_id.clone())
            .or_default()
            .push(envelope.sequence);
    }
    assert_eq!(seen.len(), expected.len(), "aggregates seen: {seen:?}");
    for (aggregate, count) in expected {
        let want: Vec<u64> = (1..=*count as u64).collect();
        assert_eq!(seen.get(aggregate), Some(&want), "aggregate {aggregate}");
    }
}
