//! `/v1/ops/parked`: against real JetStream streams of the test's own — a
//! dead-letter stream onto which the test parks events exactly as the
//! consumers do (the original payload and headers, less `Nats-Msg-Id`, plus
//! the parking's headers), dead notifications as the notifier's sender
//! publishes them, and a stream standing in for the events stream that a
//! replay publishes to.

use actix_web::http::StatusCode;
use async_nats::jetstream::{self, stream};
use async_nats::HeaderMap;
use query_api::Settings;
use serde_json::{json, Value};
use uuid::Uuid;

use super::{spawn_ops_app_with, OpsApp, PATIENCE};
use crate::helpers::{wait_for, ApiResponse};

/// The streams of one test, deleted at its end.
struct Lot {
    jetstream: jetstream::Context,
    dead_stream: String,
    dead_prefix: String,
    events_stream: String,
    events_prefix: String,
}

/// One event to park.
struct Parked {
    projection: &'static str,
    aggregate_type: &'static str,
    aggregate_id: String,
    sequence: i64,
    event_type: &'static str,
    global_position: Option<i64>,
    original_subject: Option<String>,
}

impl Lot {
    async fn create() -> Self {
        let client = async_nats::connect(testkit::nats_url())
            .await
            .expect("connecting to NATS");
        let jetstream = jetstream::new(client);
        let id = Uuid::new_v4().simple().to_string();
        let lot = Self {
            jetstream,
            dead_stream: format!("OPS_DL_{id}"),
            dead_prefix: format!("ops-ev-{id}-dead"),
            events_stream: format!("OPS_EV_{id}"),
            events_prefix: format!("ops-ev-{id}"),
        };
        for (name, subjects) in [
            (&lot.dead_stream, format!("{}.>", lot.dead_prefix)),
            (&lot.events_stream, format!("{}.>", lot.events_prefix)),
        ] {
            lot.jetstream
                .create_stream(stream::Config {
                    name: name.clone(),
                    subjects: vec![subjects],
                    storage: stream::StorageType::Memory,
                    ..Default::default()
                })
                .await
                .expect("creating a stream");
        }
        lot
    }

    /// Points the query API at this lot, replaying at most `max` per call.
    fn configure(&self, settings: &mut Settings, max: u64) {
        settings.ops.dead_letter_stream = self.dead_stream.clone();
        settings.ops.dead_letter_prefix = self.dead_prefix.clone();
        settings.ops.parked_replay_max = max;
    }

    /// A `Launch` event of `launch` at `sequence`, parked by sales.
    fn sales(&self, launch: &str, sequence: i64) -> Parked {
        Parked {
            projection: "sales",
            aggregate_type: "Launch",
            aggregate_id: launch.to_owned(),
            sequence,
            event_type: "SeatsBooked",
            global_position: Some(100 + sequence),
            original_subject: Some(format!("{}.Launch.{launch}", self.events_prefix)),
        }
    }

    /// A user event of `user`, parked by profiles (from the auth stream:
    /// no global position).
    fn profiles(&self, user: &str) -> Parked {
        Parked {
            projection: "profiles",
            aggregate_type: "User",
            aggregate_id: user.to_owned(),
            sequence: 1,
            event_type: "UserRegistered",
            global_position: None,
            original_subject: Some(format!("{}.User.{user}", self.events_prefix)),
        }
    }

    /// The original payload of `parked`.
    fn payload(parked: &Parked) -> Value {
        json!({
            "aggregate_id": parked.aggregate_id,
            "sequence": parked.sequence,
            "event_type": parked.event_type,
            "payload": { "seats": 2 },
        })
    }

    /// Parks `parked` as a consumer does; its id.
    async fn park(&self, parked: &Parked) -> u64 {
        let mut headers = HeaderMap::new();
        headers.insert("Content-Type", "application/json");
        headers.insert("Astro-Aggregate-Type", parked.aggregate_type);
        headers.insert("Astro-Aggregate-Id", parked.aggregate_id.as_str());
        headers.insert("Astro-Sequence", parked.sequence.to_string().as_str());
        headers.insert("Astro-Event-Type", parked.event_type);
        headers.insert("Astro-Event-Version", "1.0");
        if let Some(position) = parked.global_position {
            headers.insert("Astro-Global-Position", position.to_string().as_str());
        }
        headers.insert("Astro-Correlation-Id", "corr-1");
        headers.insert(
            "Astro-Dead-Letter-Reason",
            "the read model has no booking b1",
        );
        headers.insert("Astro-Projection", parked.projection);
        if let Some(original) = &parked.original_subject {
            headers.insert("Astro-Original-Subject", original.as_str());
        }
        headers.insert("Astro-Deliveries", "5");
        let subject = format!(
            "{}.{}.{}",
            self.dead_prefix, parked.projection, parked.aggregate_id
        );
        self.publish(subject, headers, Self::payload(parked)).await
    }

    /// Publishes a dead notification as the notifier's sender does; its id.
    async fn dead_notification(&self, launch: &str) -> u64 {
        let mut headers = HeaderMap::new();
        headers.insert("Astro-Notification-Id", Uuid::new_v4().to_string().as_str());
        headers.insert("Astro-Dead-Letter-Reason", "550 mailbox unavailable");
        headers.insert("Astro-Projection", "notifier");
        let subject = format!("{}.notifier.{launch}", self.dead_prefix);
        self.publish(subject, headers, json!({ "status": "dead" }))
            .await
    }

    async fn publish(&self, subject: String, headers: HeaderMap, payload: Value) -> u64 {
        self.jetstream
            .publish_with_headers(subject, headers, payload.to_string().into())
            .await
            .expect("publishing")
            .await
            .expect("stored")
            .sequence
    }

    /// Every message of the events stream, in order.
    async fn events(&self) -> Vec<jetstream::message::StreamMessage> {
        let stream = self
            .jetstream
            .get_stream(&self.events_stream)
            .await
            .expect("the events stream");
        let last = stream
            .get_info()
            .await
            .expect("its info")
            .state
            .last_sequence;
        let mut messages = Vec::new();
        for sequence in 1..=last {
            if let Ok(message) = stream.get_raw_message(sequence).await {
                messages.push(message);
            }
        }
        messages
    }

    async fn delete(self) {
        for name in [&self.dead_stream, &self.events_stream] {
            self.jetstream
                .delete_stream(name)
                .await
                .expect("deleting a test stream");
        }
    }
}

/// An ops app on `lot`.
async fn lot_app(lot: &Lot, max: u64) -> OpsApp {
    spawn_ops_app_with(false, |settings| lot.configure(settings, max)).await
}

/// `DELETE path` with an optional token.
async fn delete(ops: &OpsApp, path: &str, token: Option<&str>) -> ApiResponse {
    let mut request = ops.app.client.delete(format!("{}{path}", ops.app.address));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    ApiResponse::read(request.send().await.expect("sending a request")).await
}

fn ids(json: &Value) -> Vec<u64> {
    json["items"]
        .as_array()
        .unwrap_or_else(|| panic!("no items in {json}"))
        .iter()
        .map(|item| {
            item["id"]
                .as_u64()
                .or_else(|| item["parked"]["id"].as_u64())
                .expect("an id")
        })
        .collect()
}

fn header<'a>(message: &'a jetstream::message::StreamMessage, name: &str) -> Option<&'a str> {
    message.headers.get(name).map(|v| v.as_str())
}

#[tokio::test]
async fn parked_events_are_listed_in_the_order_they_were_parked_without_the_dead_notifications() {
    let lot = Lot::create().await;
    let (l1, l2, user) = (
        Uuid::now_v7().to_string(),
        Uuid::now_v7().to_string(),
        Uuid::now_v7().to_string(),
    );
    let a = lot.park(&lot.sales(&l1, 3)).await;
    let b = lot.park(&lot.profiles(&user)).await;
    lot.dead_notification(&l1).await;
    let mut planning = lot.sales(&l2, 7);
    planning.projection = "notifier-planning";
    let c = lot.park(&planning).await;
    let d = lot.park(&lot.sales(&l2, 8)).await;
    let ops = lot_app(&lot, 100).await;

    let all = ops.get("/v1/ops/parked").await;

    all.assert_status(200);
    assert_eq!(all.header("cache-control"), Some("no-store"));
    assert_eq!(ids(&all.json), [a, b, c, d], "{}", all.json);
    assert_eq!(all.json["remaining"], 0);
    assert!(all.json["next_after"].is_null());
    let first = &all.json["items"][0];
    assert_eq!(first["projection"], "sales");
    assert_eq!(
        first["original_subject"],
        format!("{}.Launch.{l1}", lot.events_prefix)
    );
    assert_eq!(first["subject"], format!("{}.sales.{l1}", lot.dead_prefix));
    assert_eq!(first["aggregate_type"], "Launch");
    assert_eq!(first["aggregate_id"], l1.as_str());
    assert_eq!(first["sequence"], 3);
    assert_eq!(first["event_type"], "SeatsBooked");
    assert_eq!(first["event_version"], "1.0");
    assert_eq!(first["global_position"], 103);
    assert_eq!(first["reason"], "the read model has no booking b1");
    assert_eq!(first["deliveries"], 5);
    let parked_at: chrono::DateTime<chrono::Utc> = first["parked_at"]
        .as_str()
        .expect("parked_at")
        .parse()
        .expect("an instant");
    assert!((chrono::Utc::now() - parked_at).num_seconds().abs() < 60);
    assert!(all.json["items"][1]["global_position"].is_null());
    assert_eq!(all.json["items"][2]["projection"], "notifier-planning");

    let sales = ops.get("/v1/ops/parked?projection=sales").await;
    assert_eq!(ids(&sales.json), [a, d]);
    let one_launch = ops.get(&format!("/v1/ops/parked?aggregate_id={l2}")).await;
    assert_eq!(ids(&one_launch.json), [c, d]);
    let both = ops
        .get(&format!(
            "/v1/ops/parked?projection=sales&aggregate_id={l2}"
        ))
        .await;
    assert_eq!(ids(&both.json), [d]);

    let page = ops.get("/v1/ops/parked?limit=2").await;
    assert_eq!(ids(&page.json), [a, b]);
    assert_eq!(page.json["next_after"], b);
    assert_eq!(page.json["remaining"], 2);
    let next = ops
        .get(&format!("/v1/ops/parked?limit=2&after_id={b}"))
        .await;
    assert_eq!(ids(&next.json), [c, d]);
    assert!(next.json["next_after"].is_null());
    assert_eq!(next.json["remaining"], 0);

    let detail = ops.get(&format!("/v1/ops/parked/{a}")).await;
    detail.assert_status(200);
    assert_eq!(detail.json["id"], a);
    assert_eq!(detail.json["payload"]["aggregate_id"], l1.as_str());
    assert_eq!(detail.json["headers"]["Astro-Deliveries"], "5");

    lot.delete().await;
}

#[tokio::test]
async fn without_a_dead_letter_stream_nothing_is_parked() {
    let ops = spawn_ops_app_with(false, |_| {}).await;

    let response = ops.get("/v1/ops/parked").await;

    response.assert_status(200);
    assert_eq!(response.json["items"], json!([]));
    ops.get("/v1/ops/parked/1")
        .await
        .assert_problem(404, "parked-event-not-found");
}

#[tokio::test]
async fn a_replay_publishes_the_original_payload_and_headers_on_the_original_subject_once() {
    let lot = Lot::create().await;
    let launch = Uuid::now_v7().to_string();
    let parked = lot.sales(&launch, 4);
    let id = lot.park(&parked).await;
    let ops = lot_app(&lot, 100).await;

    let response = ops
        .post(&format!("/v1/ops/parked/{id}/replay"), Some(&ops.it))
        .await;

    response.assert_status(200);
    let json = &response.json;
    let replay_id = format!("replay:{}:{id}", lot.dead_stream);
    assert_eq!(json["parked"]["id"], id);
    assert_eq!(json["subject"], parked.original_subject.clone().unwrap());
    assert_eq!(json["stream"], lot.events_stream);
    assert_eq!(json["stream_sequence"], 1);
    assert_eq!(json["message_id"], replay_id);
    assert_eq!(json["duplicate"], false);
    let events = lot.events().await;
    assert_eq!(events.len(), 1);
    let copy = &events[0];
    assert_eq!(
        copy.subject.as_str(),
        parked.original_subject.as_deref().unwrap()
    );
    let payload: Value = serde_json::from_slice(&copy.payload).expect("JSON");
    assert_eq!(payload, Lot::payload(&parked));
    assert_eq!(header(copy, "Nats-Msg-Id"), Some(replay_id.as_str()));
    for (name, value) in [
        ("Content-Type", "application/json"),
        ("Astro-Aggregate-Type", "Launch"),
        ("Astro-Aggregate-Id", launch.as_str()),
        ("Astro-Sequence", "4"),
        ("Astro-Event-Type", "SeatsBooked"),
        ("Astro-Event-Version", "1.0"),
        ("Astro-Global-Position", "104"),
        ("Astro-Correlation-Id", "corr-1"),
    ] {
        assert_eq!(header(copy, name), Some(value), "{name}");
    }
    for name in [
        "Astro-Dead-Letter-Reason",
        "Astro-Projection",
        "Astro-Original-Subject",
        "Astro-Deliveries",
    ] {
        assert_eq!(header(copy, name), None, "{name} must not be replayed");
    }
    // It has left the parking lot; a second replay finds nothing.
    ops.get(&format!("/v1/ops/parked/{id}"))
        .await
        .assert_problem(404, "parked-event-not-found");
    ops.post(&format!("/v1/ops/parked/{id}/replay"), Some(&ops.it))
        .await
        .assert_problem(404, "parked-event-not-found");
    assert_eq!(lot.events().await.len(), 1);

    lot.delete().await;
}

#[tokio::test]
async fn a_replay_retried_after_it_published_does_not_publish_twice() {
    let lot = Lot::create().await;
    let parked = lot.sales(&Uuid::now_v7().to_string(), 1);
    let id = lot.park(&parked).await;
    let ops = lot_app(&lot, 100).await;
    // An earlier attempt published the copy and died before it deleted the
    // parked one.
    let mut headers = HeaderMap::new();
    headers.insert(
        "Nats-Msg-Id",
        format!("replay:{}:{id}", lot.dead_stream).as_str(),
    );
    lot.publish(
        parked.original_subject.clone().unwrap(),
        headers,
        Lot::payload(&parked),
    )
    .await;

    let response = ops
        .post(&format!("/v1/ops/parked/{id}/replay"), Some(&ops.it))
        .await;

    response.assert_status(200);
    assert_eq!(response.json["duplicate"], true);
    assert_eq!(response.json["stream_sequence"], 1);
    assert_eq!(lot.events().await.len(), 1, "published once");
    ops.get(&format!("/v1/ops/parked/{id}"))
        .await
        .assert_problem(404, "parked-event-not-found");

    lot.delete().await;
}

#[tokio::test]
async fn a_bulk_replay_republishes_in_parking_order_a_bounded_batch_and_says_how_many_are_left() {
    let lot = Lot::create().await;
    let (l1, l2, user) = (
        Uuid::now_v7().to_string(),
        Uuid::now_v7().to_string(),
        Uuid::now_v7().to_string(),
    );
    let s1 = lot.park(&lot.sales(&l1, 1)).await;
    let s2 = lot.park(&lot.sales(&l2, 1)).await;
    let p1 = lot.park(&lot.profiles(&user)).await;
    let s3 = lot.park(&lot.sales(&l1, 2)).await;
    let mut lost = lot.sales(&l2, 2);
    lost.original_subject = Some(format!("nowhere-{}.Launch.{l2}", Uuid::new_v4().simple()));
    let s4 = lot.park(&lost).await;
    let s5 = lot.park(&lot.sales(&l2, 3)).await;
    let notification = lot.dead_notification(&l1).await;
    let ops = lot_app(&lot, 3).await;

    let first = ops
        .post("/v1/ops/parked/replay?projection=sales", Some(&ops.it))
        .await;

    first.assert_status(200);
    assert_eq!(first.json["replayed"], 3, "{}", first.json);
    assert_eq!(ids(&first.json), [s1, s2, s3]);
    assert_eq!(first.json["skipped"], json!([]));
    assert_eq!(first.json["remaining"], 2);
    let sequences: Vec<(String, String)> = lot
        .events()
        .await
        .iter()
        .map(|m| {
            (
                header(m, "Astro-Aggregate-Id").unwrap().to_owned(),
                header(m, "Astro-Sequence").unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        sequences,
        [
            (l1.clone(), "1".to_owned()),
            (l2.clone(), "1".to_owned()),
            (l1.clone(), "2".to_owned())
        ]
    );

    // Every projection: the profiles one and what sales has left; the one
    // whose subject no stream takes stays parked.
    let second = ops.post("/v1/ops/parked/replay", Some(&ops.it)).await;

    second.assert_status(200);
    assert_eq!(ids(&second.json), [p1, s5]);
    assert_eq!(second.json["skipped"][0]["id"], s4);
    assert_eq!(second.json["remaining"], 0);
    assert_eq!(lot.events().await.len(), 5);
    let left = ops.get("/v1/ops/parked").await;
    assert_eq!(ids(&left.json), [s4]);
    ops.post(&format!("/v1/ops/parked/{s4}/replay"), Some(&ops.it))
        .await
        .assert_problem(409, "no-stream");
    // The dead notification was never touched.
    ops.post(
        &format!("/v1/ops/parked/{notification}/replay"),
        Some(&ops.it),
    )
    .await
    .assert_problem(409, "not-replayable");

    lot.delete().await;
}

#[tokio::test]
async fn a_parked_event_can_be_discarded_but_a_dead_notification_is_not_a_parked_event() {
    let lot = Lot::create().await;
    let launch = Uuid::now_v7().to_string();
    let kept = lot.park(&lot.sales(&launch, 1)).await;
    let discarded = lot.park(&lot.sales(&launch, 2)).await;
    let notification = lot.dead_notification(&launch).await;
    let ops = lot_app(&lot, 100).await;

    let response = delete(&ops, &format!("/v1/ops/parked/{discarded}"), Some(&ops.it)).await;

    response.assert_status(200);
    assert_eq!(response.json["id"], discarded);
    assert_eq!(response.json["sequence"], 2);
    assert_eq!(ids(&ops.get("/v1/ops/parked").await.json), [kept]);
    delete(&ops, &format!("/v1/ops/parked/{discarded}"), Some(&ops.it))
        .await
        .assert_problem(404, "parked-event-not-found");
    delete(
        &ops,
        &format!("/v1/ops/parked/{notification}"),
        Some(&ops.it),
    )
    .await
    .assert_problem(409, "not-replayable");
    ops.get(&format!("/v1/ops/parked/{notification}"))
        .await
        .assert_problem(409, "not-replayable");
    assert!(lot.events().await.is_empty(), "nothing was replayed");

    lot.delete().await;
}

#[tokio::test]
async fn the_parking_lot_is_for_it_employees_only() {
    let ops = spawn_ops_app_with(false, |_| {}).await;
    let (_, traveler) = ops.app.token(platform::Role::Traveler);
    let (_, operations) = ops.app.token(crate::helpers::OPERATIONS);

    for token in [None, Some(traveler.as_str()), Some(operations.as_str())] {
        let expected = if token.is_none() { 401 } else { 403 };
        let code = if token.is_none() {
            "unauthorized"
        } else {
            "forbidden"
        };
        ops.app
            .get_with("/v1/ops/parked", token, &[])
            .await
            .assert_problem(expected, code);
        ops.app
            .get_with("/v1/ops/parked/1", token, &[])
            .await
            .assert_problem(expected, code);
        ops.post("/v1/ops/parked/1/replay", token)
            .await
            .assert_problem(expected, code);
        ops.post("/v1/ops/parked/replay", token)
            .await
            .assert_problem(expected, code);
        delete(&ops, "/v1/ops/parked/1", token)
            .await
            .assert_problem(expected, code);
    }
}

#[tokio::test]
async fn bad_parameters_are_422_naming_each_and_a_malformed_id_is_404() {
    let lot = Lot::create().await;
    let ops = lot_app(&lot, 3).await;

    let response = ops
        .get("/v1/ops/parked?projection=finance&aggregate_id=a.b&limit=0&after_id=x")
        .await;

    response.assert_problem(422, "validation-failed");
    let mut fields: Vec<&str> = response.json["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    fields.sort_unstable();
    assert_eq!(fields, ["after_id", "aggregate_id", "limit", "projection"]);
    let too_many = ops
        .post("/v1/ops/parked/replay?limit=4", Some(&ops.it))
        .await;
    too_many.assert_problem(422, "validation-failed");
    assert_eq!(too_many.json["errors"][0]["field"], "limit");
    ops.post("/v1/ops/parked/replay?aggregate_id=*", Some(&ops.it))
        .await
        .assert_problem(422, "validation-failed");
    assert_eq!(ops.get("/v1/ops/parked/abc").await.status, 404);
    assert_eq!(
        ops.post("/v1/ops/parked/-1/replay", Some(&ops.it))
            .await
            .status,
        404
    );
    // No message has sequence 0: the server calls it a bad request, which
    // is no such parked event (it was a 503 "NATS is unavailable").
    ops.get("/v1/ops/parked/0")
        .await
        .assert_problem(404, "parked-event-not-found");
    ops.post("/v1/ops/parked/0/replay", Some(&ops.it))
        .await
        .assert_problem(404, "parked-event-not-found");
    ops.get(&format!("/v1/ops/parked/{}", u64::MAX))
        .await
        .assert_problem(404, "parked-event-not-found");

    lot.delete().await;
}

#[tokio::test]
async fn without_nats_the_parking_lot_is_503() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    let port = listener.local_addr().expect("an address").port();
    drop(listener);
    let ops = spawn_ops_app_with(false, |settings| {
        settings.nats_url = format!("nats://127.0.0.1:{port}");
    })
    .await;

    ops.get("/v1/ops/parked")
        .await
        .assert_problem(503, "service-unavailable");
    ops.post("/v1/ops/parked/1/replay", Some(&ops.it))
        .await
        .assert_problem(503, "service-unavailable");
    ops.post("/v1/ops/parked/replay", Some(&ops.it))
        .await
        .assert_problem(503, "service-unavailable");
    delete(&ops, "/v1/ops/parked/1", Some(&ops.it))
        .await
        .assert_problem(503, "service-unavailable");
}

/// A service whose `/ready` answers `code` with `body` (a real HTTP
/// server, as the projectors or the notifier would answer); its base URL.
fn stand_in(code: u16, body: Value) -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    let url = format!("http://{}", listener.local_addr().expect("an address"));
    let server = actix_web::HttpServer::new(move || {
        let body = body.clone();
        actix_web::App::new().route(
            "/ready",
            actix_web::web::get().to(move || {
                let body = body.clone();
                async move {
                    actix_web::HttpResponse::build(StatusCode::from_u16(code).unwrap()).json(body)
                }
            }),
        )
    })
    .workers(1)
    .disable_signals()
    .listen(listener)
    .expect("listening")
    .run();
    tokio::spawn(server);
    url
}

#[tokio::test]
async fn the_status_page_counts_the_parked_events_and_tells_degraded_and_halted_services_apart() {
    let lot = Lot::create().await;
    let launch = Uuid::now_v7().to_string();
    let first = lot.park(&lot.sales(&launch, 1)).await;
    let second = lot.park(&lot.sales(&launch, 2)).await;
    let profile = lot.park(&lot.profiles(&Uuid::now_v7().to_string())).await;
    lot.dead_notification(&launch).await;
    let notifier = stand_in(200, json!({ "status": "degraded", "parked": 1 }));
    let projectors = stand_in(
        503,
        json!({
            "status": "halted",
            "finance": { "position": 42, "error": "booking b1 has no invoice" },
        }),
    );
    let ops = spawn_ops_app_with(true, |settings| {
        lot.configure(settings, 100);
        settings.ops.streams = Vec::new();
        settings.ops.services = query_api::settings::parse_services(&format!(
            "notifier={notifier},projectors={projectors}"
        ))
        .unwrap();
    })
    .await;
    wait_for(PATIENCE, "the query API to be ready", || async {
        ops.app.get("/ready").await.status == 200
    })
    .await;

    let response = ops.get("/v1/ops/status").await;

    response.assert_status(200);
    let json = &response.json;
    assert_eq!(json["status"], "degraded", "{json}");
    let parked = &json["parked"];
    assert_eq!(parked["status"], "degraded");
    assert_eq!(parked["total"], 3);
    let count = |name: &str| {
        parked["projections"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["projection"] == name)
            .unwrap_or_else(|| panic!("no {name} in {parked}"))
            .clone()
    };
    assert_eq!(count("sales")["count"], 2);
    assert_eq!(count("profiles")["count"], 1);
    assert_eq!(count("notifier-planning")["count"], 0);
    assert!(count("notifier-planning")["oldest_parked_at"].is_null());
    assert_eq!(
        parked["oldest_parked_at"],
        count("sales")["oldest_parked_at"]
    );
    let service = |name: &str| {
        json["services"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["name"] == name)
            .unwrap()
            .clone()
    };
    let degraded = service("notifier");
    assert_eq!(degraded["status"], "degraded");
    assert_eq!(degraded["http_status"], 200);
    assert_eq!(degraded["body"]["parked"], 1);
    let halted = service("projectors");
    assert_eq!(halted["status"], "halted");
    assert_eq!(halted["http_status"], 503);
    assert_eq!(halted["finance"]["position"], 42);
    assert_eq!(halted["finance"]["error"], "booking b1 has no invoice");

    // Once nothing is parked, the parking lot is ok again.
    for id in [first, second, profile] {
        delete(&ops, &format!("/v1/ops/parked/{id}"), Some(&ops.it))
            .await
            .assert_status(200);
    }
    let after = ops.get("/v1/ops/status").await;
    assert_eq!(after.json["parked"]["status"], "ok", "{}", after.json);
    assert_eq!(after.json["parked"]["total"], 0);

    lot.delete().await;
}

#[tokio::test]
async fn openapi_describes_the_parking_lot() {
    let ops = spawn_ops_app_with(false, |_| {}).await;

    let response = ops.app.get("/openapi.json").await;

    let json = &response.json;
    for (method, path) in [
        ("get", "/v1/ops/parked"),
        ("get", "/v1/ops/parked/{id}"),
        ("delete", "/v1/ops/parked/{id}"),
        ("post", "/v1/ops/parked/{id}/replay"),
        ("post", "/v1/ops/parked/replay"),
    ] {
        let operation = &json["paths"][path][method];
        assert!(operation.is_object(), "{method} {path} missing");
        for status in ["401", "403", "503"] {
            assert!(
                operation["responses"][status].is_object(),
                "{method} {path}: no {status}"
            );
        }
    }
    let schemas = &json["components"]["schemas"];
    for schema in [
        "ParkedPage",
        "ParkedEvent",
        "ParkedDetail",
        "ReplayOutcome",
        "BulkReplay",
        "ParkedStatus",
        "FinanceHalt",
    ] {
        assert!(schemas[schema].is_object(), "schema {schema} missing");
    }
}
