//! `GET /v1/ops/events`: the event store as the command API writes it
//! (rows inserted here with their envelope metadata), newest first,
//! filtered, by keyset pages.

use chrono::{DateTime, Utc};
use events::{Actor, EventMetadata};
use uuid::Uuid;

use super::{spawn_ops_app_with, OpsApp};
use crate::finance::at;

struct Stored {
    position: i64,
    aggregate_type: &'static str,
    aggregate_id: String,
    sequence: i64,
    event_type: &'static str,
    occurred_at: DateTime<Utc>,
    metadata: EventMetadata,
}

/// An event at `position`, with the metadata the command API writes.
async fn event(
    ops: &OpsApp,
    position: i64,
    aggregate: (&'static str, &str, i64),
    event_type: &'static str,
    occurred_at: DateTime<Utc>,
) -> Stored {
    let (aggregate_type, aggregate_id, sequence) = aggregate;
    let metadata = EventMetadata::for_command(
        occurred_at,
        &format!("corr-{position}"),
        &format!("req-{position}"),
        &Actor {
            id: "0193a0d6-0000-7000-8000-0000000000aa".into(),
            role: "employee:operations".into(),
        },
    );
    let payload = serde_json::json!({ event_type: { "n": position } });
    sqlx::query(
        "INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type, event_version,
                             payload, metadata, global_position, event_id, occurred_at)
         OVERRIDING SYSTEM VALUE
         VALUES ($1, $2, $3, $4, '1.0', $5, $6, $7, $8, $9)",
    )
    .bind(aggregate_type)
    .bind(aggregate_id)
    .bind(sequence)
    .bind(event_type)
    .bind(payload)
    .bind(serde_json::to_value(metadata.to_map()).unwrap())
    .bind(position)
    .bind(metadata.event_id)
    .bind(occurred_at)
    .execute(ops.pool())
    .await
    .expect("inserting an event");
    Stored {
        position,
        aggregate_type,
        aggregate_id: aggregate_id.to_owned(),
        sequence,
        event_type,
        occurred_at,
        metadata,
    }
}

/// Seven events of two launches and a rocket, one an hour from
/// 2026-11-25T01:00Z (positions 1 to 7).
async fn seed(ops: &OpsApp) -> (String, String, String, Vec<Stored>) {
    let (moon, mars, rocket) = (
        Uuid::now_v7().to_string(),
        Uuid::now_v7().to_string(),
        Uuid::now_v7().to_string(),
    );
    let mut all = Vec::new();
    for (position, aggregate, event_type) in [
        (1, ("Rocket", rocket.as_str(), 1), "RocketRegistered"),
        (2, ("Launch", moon.as_str(), 1), "LaunchScheduled"),
        (3, ("Launch", mars.as_str(), 1), "LaunchScheduled"),
        (4, ("Launch", moon.as_str(), 2), "SeatsBooked"),
        (5, ("Launch", moon.as_str(), 3), "SeatsBooked"),
        (6, ("Launch", mars.as_str(), 2), "SeatsBooked"),
        (7, ("Launch", moon.as_str(), 4), "BookingCancelled"),
    ] {
        let occurred_at = at(2026, 11, 25, position as u32);
        all.push(event(ops, position, aggregate, event_type, occurred_at).await);
    }
    (moon, mars, rocket, all)
}

fn positions(response: &crate::helpers::ApiResponse) -> Vec<i64> {
    response.json["items"]
        .as_array()
        .unwrap_or_else(|| panic!("no items in {}", response.text))
        .iter()
        .map(|e| e["global_position"].as_i64().unwrap())
        .collect()
}

#[tokio::test]
async fn the_event_log_comes_newest_first_with_envelopes() {
    let ops = spawn_ops_app_with(true, |_| {}).await;
    let (moon, _, _, all) = seed(&ops).await;

    let response = ops.get("/v1/ops/events").await;

    response.assert_status(200);
    assert_eq!(response.header("cache-control"), Some("no-store"));
    assert_eq!(positions(&response), [7, 6, 5, 4, 3, 2, 1]);
    assert_eq!(response.json["head"], 7);
    assert_eq!(response.json["page_size"], 20);
    assert_eq!(response.json["has_more"], false);
    assert!(response.json["next_before"].is_null());
    assert_eq!(response.json["next_after"], 7);
    let cancelled = &response.json["items"][0];
    let stored = &all[6];
    assert_eq!(cancelled["aggregate_type"], stored.aggregate_type);
    assert_eq!(cancelled["aggregate_id"], moon);
    assert_eq!(cancelled["aggregate_id"], stored.aggregate_id);
    assert_eq!(cancelled["sequence"], stored.sequence);
    assert_eq!(cancelled["global_position"], stored.position);
    assert_eq!(cancelled["event_type"], stored.event_type);
    assert_eq!(cancelled["event_version"], "1.0");
    assert_eq!(
        cancelled["payload"],
        serde_json::json!({ "BookingCancelled": { "n": 7 } })
    );
    let metadata = &cancelled["metadata"];
    assert_eq!(metadata["event_id"], stored.metadata.event_id.to_string());
    assert_eq!(metadata["correlation_id"], "corr-7");
    assert_eq!(metadata["causation_id"], "req-7");
    assert_eq!(
        metadata["actor"],
        serde_json::json!({ "id": "0193a0d6-0000-7000-8000-0000000000aa", "role": "employee:operations" })
    );
    let occurred: DateTime<Utc> = metadata["occurred_at"].as_str().unwrap().parse().unwrap();
    assert_eq!(occurred, stored.occurred_at);
    assert!(cancelled.get("metadata_error").is_none());
}

#[tokio::test]
async fn each_event_filter_narrows_the_log() {
    let ops = spawn_ops_app_with(true, |_| {}).await;
    let (moon, mars, rocket, _) = seed(&ops).await;
    let list = |query: String| {
        let ops = &ops;
        async move {
            let response = ops.get(&format!("/v1/ops/events?{query}")).await;
            response.assert_status(200);
            positions(&response)
        }
    };

    assert_eq!(
        list("aggregate_type=Launch".into()).await,
        [7, 6, 5, 4, 3, 2]
    );
    assert_eq!(list("aggregate_type=Rocket".into()).await, [1]);
    assert_eq!(
        list(format!("aggregate_type=Launch&aggregate_id={moon}")).await,
        [7, 5, 4, 2]
    );
    // An id alone is found under whatever type it has.
    assert_eq!(list(format!("aggregate_id={mars}")).await, [6, 3]);
    assert_eq!(list(format!("aggregate_id={rocket}")).await, [1]);
    assert!(list(format!("aggregate_type=Rocket&aggregate_id={moon}"))
        .await
        .is_empty());
    assert!(list("aggregate_id=unknown".into()).await.is_empty());
    assert_eq!(list("event_type=SeatsBooked".into()).await, [6, 5, 4]);
    assert_eq!(
        list(format!("event_type=SeatsBooked&aggregate_id={moon}")).await,
        [5, 4]
    );
    // From 03:00 (inclusive) to 06:00 (exclusive).
    assert_eq!(
        list("from=2026-11-25T03:00:00Z&to=2026-11-25T06:00:00Z".into()).await,
        [5, 4, 3]
    );
    assert_eq!(list("from=2026-11-25".into()).await, [7, 6, 5, 4, 3, 2, 1]);
    assert!(list("to=2026-11-24".into()).await.is_empty());
}

#[tokio::test]
async fn event_pages_follow_global_positions_both_ways() {
    let ops = spawn_ops_app_with(true, |_| {}).await;
    seed(&ops).await;

    let first = ops.get("/v1/ops/events?page_size=3").await;
    assert_eq!(positions(&first), [7, 6, 5]);
    assert_eq!(first.json["has_more"], true);
    assert_eq!(first.json["next_before"], 5);
    let second = ops
        .get("/v1/ops/events?page_size=3&before_position=5")
        .await;
    assert_eq!(positions(&second), [4, 3, 2]);
    assert_eq!(second.json["next_before"], 2);
    assert_eq!(second.json["next_after"], 4);
    let third = ops
        .get("/v1/ops/events?page_size=3&before_position=2")
        .await;
    assert_eq!(positions(&third), [1]);
    assert_eq!(third.json["has_more"], false);
    assert!(third.json["next_before"].is_null());

    // Back up: the events just above a position, newest first.
    let newer = ops.get("/v1/ops/events?page_size=3&after_position=1").await;
    assert_eq!(positions(&newer), [4, 3, 2]);
    assert_eq!(newer.json["has_more"], true);
    assert_eq!(newer.json["next_after"], 4);
    let newest = ops.get("/v1/ops/events?page_size=3&after_position=4").await;
    assert_eq!(positions(&newest), [7, 6, 5]);
    assert_eq!(newest.json["has_more"], false);
    // Both bounds: the newest events between them.
    let between = ops
        .get("/v1/ops/events?page_size=2&after_position=2&before_position=7")
        .await;
    assert_eq!(positions(&between), [6, 5]);
    assert_eq!(between.json["has_more"], true);
    // Filters and pages together.
    let booked = ops
        .get("/v1/ops/events?event_type=SeatsBooked&page_size=2&before_position=6")
        .await;
    assert_eq!(positions(&booked), [5, 4]);
    assert_eq!(booked.json["has_more"], false);
}

#[tokio::test]
async fn unreadable_metadata_is_shown_as_stored() {
    let ops = spawn_ops_app_with(true, |_| {}).await;
    sqlx::query(
        "INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type, event_version,
                             payload, metadata, event_id, occurred_at)
         VALUES ('Launch', 'x', 1, 'Odd', '1.0', '{}', '{\"event_id\": \"nope\"}', $1, now())",
    )
    .bind(Uuid::now_v7())
    .execute(ops.pool())
    .await
    .expect("inserting an event");

    let response = ops.get("/v1/ops/events").await;

    response.assert_status(200);
    let odd = &response.json["items"][0];
    assert!(odd["metadata"].is_null());
    assert!(odd["metadata_error"].is_string());
    assert_eq!(
        odd["raw_metadata"],
        serde_json::json!({ "event_id": "nope" })
    );
}

#[tokio::test]
async fn an_empty_event_store_is_an_empty_page() {
    let ops = spawn_ops_app_with(true, |_| {}).await;

    let response = ops.get("/v1/ops/events?aggregate_id=anything").await;

    response.assert_status(200);
    assert!(positions(&response).is_empty());
    assert!(response.json["head"].is_null());
    assert!(response.json["next_after"].is_null());
}

#[tokio::test]
async fn event_times_outside_what_the_stores_hold_are_a_422_naming_the_parameter() {
    let ops = spawn_ops_app_with(true, |_| {}).await;

    for (query, field) in [
        ("from=0000-01-01", "from"),
        ("from=-0001-01-01", "from"),
        ("to=0000-01-01T00:00:00Z", "to"),
    ] {
        ops.get(&format!("/v1/ops/events?{query}"))
            .await
            .assert_invalid_field(field);
    }
    ops.get("/v1/ops/events?from=1970-01-01&to=9999-12-31")
        .await
        .assert_status(200);
}

#[tokio::test]
async fn bad_event_parameters_are_422_naming_each() {
    let ops = spawn_ops_app_with(true, |_| {}).await;

    for (query, field) in [
        ("aggregate_type=Launch;DROP", "aggregate_type"),
        ("event_type=", "event_type"),
        ("from=yesterday", "from"),
        ("to=2026-11-25T10:00:00", "to"),
        ("from=2026-11-26&to=2026-11-25", "to"),
        ("before_position=abc", "before_position"),
        ("before_position=-1", "before_position"),
        ("after_position=1.5", "after_position"),
        ("page_size=0", "page_size"),
        ("page_size=101", "page_size"),
    ] {
        ops.get(&format!("/v1/ops/events?{query}"))
            .await
            .assert_invalid_field(field);
    }
    let long = "x".repeat(201);
    ops.get(&format!("/v1/ops/events?aggregate_id={long}"))
        .await
        .assert_invalid_field("aggregate_id");
}
