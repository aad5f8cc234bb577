//! `GET /v1/ops/status`: real services (another query API on this machine,
//! and a port nobody listens on), a real JetStream stream and consumer of
//! the test's own, and the projections' checkpoints.

use std::time::Duration;

use async_nats::jetstream::{self, consumer, stream};
use bson::doc;
use query_api::settings::ProbedService;
use serde_json::Value;
use uuid::Uuid;

use super::{spawn_ops_app_with, OpsApp, PATIENCE};
use crate::finance::at;
use crate::helpers::{spawn_app, wait_for, TestApp};

/// A stream and a durable consumer of the test's own, deleted on drop.
struct TestStream {
    name: String,
    subject: String,
    jetstream: jetstream::Context,
}

impl TestStream {
    async fn create() -> Self {
        let client = async_nats::connect(testkit::nats_url())
            .await
            .expect("connecting to NATS");
        let jetstream = jetstream::new(client);
        let id = Uuid::new_v4().simple().to_string();
        let name = format!("OPS_TEST_{id}");
        let subject = format!("ops-test.{id}");
        let stream = jetstream
            .create_stream(stream::Config {
                name: name.clone(),
                subjects: vec![format!("{subject}.>")],
                storage: stream::StorageType::Memory,
                ..Default::default()
            })
            .await
            .expect("creating a stream");
        stream
            .create_consumer(consumer::pull::Config {
                durable_name: Some("worker".into()),
                ack_policy: consumer::AckPolicy::Explicit,
                ..Default::default()
            })
            .await
            .expect("creating a consumer");
        Self {
            name,
            subject,
            jetstream,
        }
    }

    async fn publish(&self, n: usize) {
        for i in 0..n {
            self.jetstream
                .publish(format!("{}.{i}", self.subject), "hello".into())
                .await
                .expect("publishing")
                .await
                .expect("stored");
        }
    }

    async fn delete(self) {
        self.jetstream
            .delete_stream(&self.name)
            .await
            .expect("deleting the test stream");
    }
}

/// A port nobody listens on (bound, then released).
fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    listener.local_addr().expect("an address").port()
}

/// `app`, once its `/ready` answers 200.
async fn ready(app: TestApp) -> TestApp {
    wait_for(PATIENCE, "the peer to be ready", || async {
        app.get("/ready").await.status == 200
    })
    .await;
    app
}

/// An ops app (with its own event store) probing `services` and `streams`.
async fn status_app(services: Vec<ProbedService>, streams: Vec<String>) -> OpsApp {
    let ops = spawn_ops_app_with(true, |settings| {
        settings.ops.services = services;
        settings.ops.streams = streams;
        settings.ops.probe_timeout = Duration::from_millis(1_500);
    })
    .await;
    wait_for(PATIENCE, "the query API to be ready", || async {
        ops.app.get("/ready").await.status == 200
    })
    .await;
    ops
}

/// An event of `aggregate_type` at `position` (its content does not
/// matter here).
async fn event(
    ops: &OpsApp,
    aggregate_type: &str,
    position: i64,
    occurred_at: chrono::DateTime<chrono::Utc>,
) {
    sqlx::query(
        "INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type, event_version,
                             payload, metadata, global_position, event_id, occurred_at)
         OVERRIDING SYSTEM VALUE
         VALUES ($1, $2, 1, 'Test', '1.0', '{}', '{}', $3, $4, $5)",
    )
    .bind(aggregate_type)
    .bind(position.to_string())
    .bind(position)
    .bind(Uuid::new_v4())
    .bind(occurred_at)
    .execute(ops.pool())
    .await
    .expect("inserting an event");
}

fn service<'a>(json: &'a Value, name: &str) -> &'a Value {
    json["services"]
        .as_array()
        .expect("services")
        .iter()
        .find(|s| s["name"] == name)
        .unwrap_or_else(|| panic!("no service {name} in {json}"))
}

#[tokio::test]
async fn the_status_page_reports_services_consumers_and_projection_lag() {
    let peer = ready(spawn_app().await).await;
    let port = closed_port();
    let stream = TestStream::create().await;
    stream.publish(3).await;
    let missing = format!("OPS_MISSING_{}", Uuid::new_v4().simple());
    let ops = status_app(
        vec![
            ProbedService {
                name: "peer".into(),
                url: peer.address.clone(),
            },
            ProbedService {
                name: "gone".into(),
                url: format!("http://127.0.0.1:{port}"),
            },
        ],
        vec![stream.name.clone(), missing.clone()],
    )
    .await;
    // The event store holds 4 launch events and then a rocket's; finance
    // has applied 3, sales every launch event (4).
    for position in 1..=5 {
        let aggregate_type = if position == 5 { "Rocket" } else { "Launch" };
        event(
            &ops,
            aggregate_type,
            position,
            at(2026, 11, 25, position as u32),
        )
        .await;
    }
    sqlx::query("UPDATE finance.checkpoint SET position = 3")
        .execute(ops.pool())
        .await
        .expect("setting the finance checkpoint");
    ops.app
        .database
        .collection::<bson::Document>(read_models::sales::CHECKPOINTS)
        .insert_one(doc! {
            "_id": read_models::sales::CHECKPOINT_ID,
            "global_position": 4_i64,
            "occurred_at": bson::DateTime::from_chrono(at(2026, 11, 25, 4)),
        })
        .await
        .expect("writing the sales checkpoint");

    let response = ops.get("/v1/ops/status").await;

    response.assert_status(200);
    assert_eq!(response.header("cache-control"), Some("no-store"));
    let json = &response.json;
    assert_eq!(json["status"], "degraded", "{json}");
    // The services: itself first, the peer ready, the closed port unreachable.
    assert_eq!(json["services"][0]["name"], "query-api");
    let own = service(json, "query-api");
    assert_eq!(own["status"], "ready");
    assert_eq!(own["body"]["mongo"], "up");
    let ready = service(json, "peer");
    assert_eq!(ready["status"], "ready");
    assert_eq!(ready["http_status"], 200);
    assert_eq!(ready["url"], format!("{}/ready", peer.address));
    assert_eq!(ready["body"]["status"], "ready");
    assert!(ready["elapsed_ms"].is_u64());
    let gone = service(json, "gone");
    assert_eq!(gone["status"], "unreachable");
    assert!(gone["http_status"].is_null());
    assert!(gone["error"].is_string());
    // JetStream: the test's stream with its consumer, and a missing one.
    let jetstream = &json["jetstream"];
    assert_eq!(jetstream["status"], "degraded");
    let streams = jetstream["streams"].as_array().unwrap();
    assert_eq!(streams[0]["name"], stream.name);
    assert_eq!(streams[0]["status"], "ok");
    assert_eq!(streams[0]["messages"], 3);
    assert_eq!(streams[0]["last_sequence"], 3);
    let worker = &streams[0]["consumers"][0];
    assert_eq!(worker["name"], "worker");
    assert_eq!(worker["num_pending"], 3);
    assert_eq!(worker["num_ack_pending"], 0);
    assert_eq!(worker["num_redelivered"], 0);
    assert_eq!(streams[1]["name"], missing);
    assert_eq!(streams[1]["status"], "missing");
    // The projections.
    let projections = &json["projections"];
    assert_eq!(projections["status"], "ok");
    assert_eq!(projections["head"]["position"], 5);
    assert_eq!(projections["head"]["occurred_at"], "2026-11-25T05:00:00Z");
    let finance = &projections["items"][0];
    assert_eq!(finance["name"], "finance");
    assert_eq!(finance["position"], 3);
    assert_eq!(finance["head"], 5);
    assert_eq!(finance["lag_events"], 2);
    assert_eq!(finance["lag_seconds"], 7_200.0);
    let sales = &projections["items"][1];
    assert_eq!(sales["name"], "sales");
    assert_eq!(sales["position"], 4);
    assert_eq!(sales["head"], 4, "the last launch event");
    assert_eq!(sales["lag_events"], 0);
    assert_eq!(sales["lag_seconds"], 0.0);

    stream.delete().await;
}

#[tokio::test]
async fn the_status_page_is_ok_when_everything_answers() {
    let peer = ready(spawn_app().await).await;
    let stream = TestStream::create().await;
    let ops = status_app(
        vec![ProbedService {
            name: "peer".into(),
            url: peer.address.clone(),
        }],
        vec![stream.name.clone()],
    )
    .await;

    let response = ops.get("/v1/ops/status").await;

    response.assert_status(200);
    let json = &response.json;
    assert_eq!(json["status"], "ok", "{json}");
    assert_eq!(
        json["jetstream"]["streams"][0]["consumers"][0]["num_pending"],
        0
    );
    // An empty event store: nothing to lag behind; sales has no checkpoint.
    assert!(json["projections"]["head"].is_null());
    let sales = &json["projections"]["items"][1];
    assert_eq!(
        (sales["position"].as_i64(), sales["lag_events"].as_i64()),
        (Some(0), Some(0))
    );
    // Nothing parked (the test's dead-letter stream does not even exist).
    assert_eq!(json["parked"]["status"], "ok");
    assert_eq!(json["parked"]["total"], 0);

    stream.delete().await;
}

#[tokio::test]
async fn without_nats_the_status_page_still_answers_and_says_so() {
    let port = closed_port();
    let ops = spawn_ops_app_with(false, |settings| {
        settings.nats_url = format!("nats://127.0.0.1:{port}");
        settings.ops.services = Vec::new();
    })
    .await;

    let response = ops.get("/v1/ops/status").await;

    response.assert_status(200);
    let json = &response.json;
    assert_eq!(json["status"], "degraded");
    assert_eq!(json["jetstream"]["status"], "unavailable");
    assert!(json["jetstream"]["error"].is_string());
    // Its own revocations cannot be read either.
    let own = service(json, "query-api");
    assert_eq!(own["status"], "unavailable");
    assert_eq!(own["body"]["revocations"], "syncing");
}
