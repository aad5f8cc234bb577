//! `GET /v1/ops/logs`: filters, order, keyset pages, bad parameters, and
//! following new entries (Server-Sent Events over a change stream).

use std::time::Duration;

use read_models::core_db::LogDoc;
use serde_json::Value;

use super::{ago, log, spawn_ops_app, spawn_ops_app_with, OpsApp, PATIENCE};

fn messages(response: &crate::helpers::ApiResponse) -> Vec<String> {
    response.ids("message")
}

/// Six entries, oldest first: m1 (60 s ago) to m6 (10 s ago).
async fn seed(ops: &OpsApp) -> Vec<LogDoc> {
    let mut entries = vec![
        log(ago(60), "info", "command-api", "m1 booking accepted"),
        log(ago(50), "warn", "command-api", "m2 retrying a Conflict"),
        log(ago(40), "error", "auth", "m3 mongo timed out (after 5s)"),
        log(ago(30), "debug", "query-api", "m4 cache miss"),
        log(ago(20), "error", "projectors", "m5 relay publish failed"),
        log(ago(10), "trace", "auth", "m6 token verified a.b"),
    ];
    entries[1].correlation_id = Some("checkout-42".into());
    entries[2].correlation_id = Some("checkout-42".into());
    entries[2].request_id = Some("req-3".into());
    entries[4].user_id = Some("0193a0d6-0000-7000-8000-0000000000aa".into());
    ops.logs(&entries).await;
    entries
}

#[tokio::test]
async fn logs_come_newest_first_with_every_field() {
    let ops = spawn_ops_app().await;
    seed(&ops).await;

    let response = ops.get("/v1/ops/logs").await;

    response.assert_status(200);
    assert_eq!(response.header("cache-control"), Some("no-store"));
    assert_eq!(
        messages(&response)
            .iter()
            .map(|m| &m[..2])
            .collect::<Vec<_>>(),
        ["m6", "m5", "m4", "m3", "m2", "m1"]
    );
    assert_eq!(response.json["page_size"], 50);
    assert!(response.json["next_before"].is_null());
    let m3 = &response.json["items"][3];
    assert_eq!(m3["level"], "error");
    assert_eq!(m3["service"], "auth");
    assert_eq!(m3["instance"], "test-host:1");
    assert_eq!(m3["target"], "auth::routes");
    assert_eq!(m3["correlation_id"], "checkout-42");
    assert_eq!(m3["request_id"], "req-3");
    assert!(m3["user_id"].is_null());
    assert_eq!(m3["fields"]["status"], 200);
    assert_eq!(m3["fields"]["elapsed_ms"], 1.5);
    assert_eq!(m3["id"].as_str().map(str::len), Some(24));
    let time: chrono::DateTime<chrono::Utc> = m3["time"].as_str().unwrap().parse().unwrap();
    assert!(time < chrono::Utc::now());
}

#[tokio::test]
async fn each_log_filter_narrows_the_entries() {
    let ops = spawn_ops_app().await;
    seed(&ops).await;
    let list = |query: String| {
        let ops = &ops;
        async move {
            let response = ops.get(&format!("/v1/ops/logs?{query}")).await;
            response.assert_status(200);
            messages(&response)
                .iter()
                .map(|m| m[..2].to_owned())
                .collect::<Vec<_>>()
        }
    };

    assert_eq!(list("level=error".into()).await, ["m5", "m3"]);
    assert_eq!(list("level=error,trace".into()).await, ["m6", "m5", "m3"]);
    assert_eq!(list("level=WARNING".into()).await, ["m2"]);
    assert_eq!(list("min_level=warn".into()).await, ["m5", "m3", "m2"]);
    assert_eq!(
        list("min_level=info".into()).await,
        ["m5", "m3", "m2", "m1"]
    );
    assert_eq!(list("min_level=warn&level=warn,info".into()).await, ["m2"]);
    assert_eq!(list("service=auth".into()).await, ["m6", "m3"]);
    assert_eq!(
        list("service=auth,command-api".into()).await,
        ["m6", "m3", "m2", "m1"]
    );
    assert_eq!(list("q=TIMED%20OUT".into()).await, ["m3"]);
    assert_eq!(list("q=conflict".into()).await, ["m2"]);
    // Taken literally: the dot and the parenthesis are no regex.
    assert_eq!(list("q=a.b".into()).await, ["m6"]);
    assert_eq!(list("q=(after".into()).await, ["m3"]);
    assert!(list("q=a.c".into()).await.is_empty());
    let between = format!(
        "from={}&to={}",
        ago(45).to_rfc3339().replace('+', "%2B"),
        ago(15).to_rfc3339().replace('+', "%2B")
    );
    assert_eq!(list(between).await, ["m5", "m4", "m3"]);
    assert_eq!(
        list("correlation_id=checkout-42".into()).await,
        ["m3", "m2"]
    );
    assert_eq!(list("request_id=req-3".into()).await, ["m3"]);
    assert_eq!(
        list("user_id=0193A0D6-0000-7000-8000-0000000000AA".into()).await,
        ["m5"]
    );
    assert_eq!(
        list("correlation_id=checkout-42&min_level=error".into()).await,
        ["m3"]
    );
    assert!(list("service=notifier".into()).await.is_empty());
}

#[tokio::test]
async fn log_pages_follow_a_keyset_cursor_that_new_entries_do_not_shift() {
    let ops = spawn_ops_app().await;
    seed(&ops).await;

    let first = ops.get("/v1/ops/logs?page_size=4").await;
    first.assert_status(200);
    assert_eq!(first.json["items"].as_array().unwrap().len(), 4);
    assert_eq!(
        first.json["items"][3]["message"],
        "m3 mongo timed out (after 5s)"
    );
    let cursor = first.json["next_before"].as_str().unwrap().to_owned();
    // A new entry arrives between the pages.
    ops.logs(&[log(ago(1), "error", "auth", "m7 newest")]).await;

    let second = ops
        .get(&format!(
            "/v1/ops/logs?page_size=4&before={}",
            cursor.replace('+', "%2B")
        ))
        .await;

    second.assert_status(200);
    assert_eq!(
        messages(&second),
        ["m2 retrying a Conflict", "m1 booking accepted"]
    );
    assert!(second.json["next_before"].is_null());
    // The cursor works with filters too, and entries of the same
    // millisecond are told apart by their id.
    let same_time = ago(5);
    ops.logs(&[
        log(same_time, "info", "notifier", "s1"),
        log(same_time, "info", "notifier", "s2"),
        log(same_time, "info", "notifier", "s3"),
    ])
    .await;
    let mut seen = Vec::new();
    let mut before: Option<String> = None;
    loop {
        let mut path = "/v1/ops/logs?service=notifier&page_size=1".to_owned();
        if let Some(before) = &before {
            path.push_str(&format!("&before={before}"));
        }
        let page = ops.get(&path).await;
        page.assert_status(200);
        seen.extend(messages(&page));
        match page.json["next_before"].as_str() {
            Some(next) => before = Some(next.to_owned()),
            None => break,
        }
    }
    assert_eq!(seen, ["s3", "s2", "s1"]);
}

#[tokio::test]
async fn bad_log_parameters_are_422_naming_each() {
    let ops = spawn_ops_app().await;

    for (query, field) in [
        ("level=fatal", "level"),
        ("level=", "level"),
        ("level=error,loud", "level"),
        ("min_level=loud", "min_level"),
        ("service=no%20spaces", "service"),
        ("from=yesterday", "from"),
        ("to=2026-13-01", "to"),
        ("from=2026-11-25T10:00:00Z&to=2026-11-25T09:00:00Z", "to"),
        ("user_id=nope", "user_id"),
        ("before=garbage", "before"),
        ("before=2026-11-25T10:00:00Z,xyz", "before"),
        ("page_size=0", "page_size"),
        ("page_size=501", "page_size"),
        ("follow=maybe", "follow"),
        (
            "follow=true&before=2026-11-25T10:00:00.000Z,6744a5f0c2a1b2c3d4e5f601",
            "before",
        ),
    ] {
        let response = ops.get(&format!("/v1/ops/logs?{query}")).await;
        response.assert_invalid_field(field);
    }
    let q = "x".repeat(201);
    ops.get(&format!("/v1/ops/logs?q={q}"))
        .await
        .assert_invalid_field("q");
    let many = ops
        .get("/v1/ops/logs?level=fatal&page_size=999&user_id=x")
        .await;
    assert_eq!(many.error_fields(), ["level", "user_id", "page_size"]);
}

#[tokio::test]
async fn log_times_outside_what_the_stores_hold_are_a_422_naming_the_parameter() {
    let ops = spawn_ops_app().await;

    for (query, field) in [
        ("from=0000-01-01", "from"),
        ("from=-0001-01-01", "from"),
        ("to=0000-01-01T00:00:00Z", "to"),
        (
            "before=0000-01-01T00:00:00.000Z,6744a5f0c2a1b2c3d4e5f601",
            "before",
        ),
    ] {
        let response = ops.get(&format!("/v1/ops/logs?{query}")).await;
        response.assert_invalid_field(field);
    }
    let response = ops.get("/v1/ops/logs?from=1970-01-01&to=9999-12-31").await;
    assert_eq!(response.status, 200, "{}", response.json);
}

/// Reads Server-Sent Events from `response` until `done` says so or
/// `timeout` passes; every event's lines, in order.
async fn read_events(
    response: &mut reqwest::Response,
    timeout: Duration,
    mut done: impl FnMut(&[String]) -> bool,
) -> Vec<String> {
    let deadline = tokio::time::Instant::now() + timeout;
    let mut buffer = String::new();
    let mut events = Vec::new();
    while !done(&events) {
        let chunk = tokio::time::timeout_at(deadline, response.chunk())
            .await
            .unwrap_or_else(|_| panic!("timed out; events so far: {events:?}"))
            .expect("reading the stream");
        let Some(chunk) = chunk else { break };
        buffer.push_str(std::str::from_utf8(&chunk).expect("UTF-8"));
        while let Some(end) = buffer.find("\n\n") {
            events.push(buffer[..end].to_owned());
            buffer.drain(..end + 2);
        }
    }
    events
}

fn data_of(event: &str) -> Option<Value> {
    event
        .lines()
        .find_map(|line| line.strip_prefix("data: "))
        .and_then(|data| serde_json::from_str(data).ok())
}

#[tokio::test]
async fn following_the_logs_streams_only_the_new_matching_entries() {
    let ops = spawn_ops_app().await;
    seed(&ops).await;
    let url = format!(
        "{}/v1/ops/logs?follow=true&service=auth&min_level=warn",
        ops.app.address
    );
    let mut response = reqwest::Client::new()
        .get(url)
        .bearer_auth(&ops.it)
        .send()
        .await
        .expect("opening the stream");
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"].to_str().unwrap(),
        "text/event-stream"
    );
    let opening = read_events(&mut response, PATIENCE, |events| !events.is_empty()).await;
    assert!(opening[0].contains(": following"), "{opening:?}");

    // Not matching (service, then level), then matching.
    ops.logs(&[log(ago(0), "error", "command-api", "other service")])
        .await;
    ops.logs(&[log(ago(0), "info", "auth", "too quiet")]).await;
    ops.logs(&[log(ago(0), "error", "auth", "wanted")]).await;
    let events = read_events(&mut response, PATIENCE, |events| {
        events.iter().any(|e| data_of(e).is_some())
    })
    .await;

    let data: Vec<Value> = events.iter().filter_map(|e| data_of(e)).collect();
    assert_eq!(data.len(), 1, "{events:?}");
    assert_eq!(data[0]["message"], "wanted");
    assert_eq!(data[0]["service"], "auth");
    assert_eq!(data[0]["level"], "error");
    let event = events.iter().find(|e| data_of(e).is_some()).unwrap();
    assert!(event.starts_with("id: "), "{event}");
    // The id is a cursor the listing accepts.
    let id = event.lines().next().unwrap().trim_start_matches("id: ");
    ops.get(&format!("/v1/ops/logs?before={id}"))
        .await
        .assert_status(200);
}

#[tokio::test]
async fn following_ends_after_the_maximum_duration() {
    let ops = spawn_ops_app_with(false, |settings| {
        settings.ops.follow_max = Duration::from_millis(500);
    })
    .await;
    let mut response = reqwest::Client::new()
        .get(format!("{}/v1/ops/logs?follow=true", ops.app.address))
        .bearer_auth(&ops.it)
        .send()
        .await
        .expect("opening the stream");
    assert_eq!(response.status(), 200);

    let events = read_events(&mut response, PATIENCE, |_| false).await;

    let last = events.last().expect("some events");
    assert!(last.starts_with("event: end"), "{events:?}");
    assert!(last.contains("max-duration"), "{last}");
}

/// Opens a follow stream of `query` as the holder of `token` and reads its
/// opening comment (from then on it receives what is logged).
async fn follow(ops: &OpsApp, token: &str, query: &str) -> reqwest::Response {
    let mut response = reqwest::Client::new()
        .get(format!(
            "{}/v1/ops/logs?follow=true{query}",
            ops.app.address
        ))
        .bearer_auth(token)
        .send()
        .await
        .expect("opening the stream");
    assert_eq!(response.status(), 200);
    let opening = read_events(&mut response, PATIENCE, |events| !events.is_empty()).await;
    assert!(opening[0].contains(": following"), "{opening:?}");
    response
}

/// More followers than the 16 that used to stall the sales reads by half a
/// second (each follower's change stream held a connection of the pool the
/// sales routes read through).
const MANY_FOLLOWERS: usize = 24;

#[tokio::test]
async fn a_sales_read_does_not_wait_for_the_log_followers() {
    let ops = spawn_ops_app().await;
    let launch = crate::helpers::LaunchFixture::in_days(30);
    ops.app.insert(&[&launch]).await;
    let path = format!("/v1/launches/{}", launch.id());
    let mut followers = Vec::new();
    for _ in 0..MANY_FOLLOWERS {
        let (_, token) = ops.app.token(super::IT);
        followers.push(follow(&ops, &token, "").await);
    }

    // Ten reads one after the other: alone they take tens of milliseconds
    // each; with a change stream per follower on their pool, 0.2 to 2 s.
    let started = std::time::Instant::now();
    let reads = async {
        for _ in 0..10 {
            ops.app.get(&path).await.assert_status(200);
        }
    };
    tokio::time::timeout(Duration::from_secs(4), reads)
        .await
        .unwrap_or_else(|_| {
            panic!("ten sales reads took over 4 s with {MANY_FOLLOWERS} followers")
        });
    println!(
        "ten GET /v1/launches/{{id}} with {MANY_FOLLOWERS} followers: {:?}",
        started.elapsed()
    );
    drop(followers);
}

#[tokio::test]
async fn a_user_past_the_followers_limit_gets_429_and_others_still_follow() {
    let ops = spawn_ops_app_with(false, |settings| {
        settings.ops.follow_max_per_user = 2;
    })
    .await;
    let first = follow(&ops, &ops.it, "").await;
    let _second = follow(&ops, &ops.it, "&service=auth").await;

    let refused = ops.get("/v1/ops/logs?follow=true").await;

    refused.assert_status(429);
    assert_eq!(
        refused.header("content-type"),
        Some("application/problem+json")
    );
    assert_eq!(refused.json["type"], "/problems/too-many-followers");
    assert_eq!(refused.header("retry-after"), Some("5"));
    let (_, other) = ops.app.token(super::IT);
    let _theirs = follow(&ops, &other, "").await;
    // A stream the client closes gives its place back, once the server
    // notices: when it next writes to it (an entry here, else a heartbeat).
    drop(first);
    crate::helpers::wait_for(PATIENCE, "the closed stream's place", || async {
        ops.logs(&[log(ago(0), "info", "query-api", "a line to write")])
            .await;
        let response = reqwest::Client::new()
            .get(format!("{}/v1/ops/logs?follow=true", ops.app.address))
            .bearer_auth(&ops.it)
            .send()
            .await
            .expect("opening a stream");
        response.status() == 200
    })
    .await;
}

#[tokio::test]
async fn followers_past_the_process_limit_get_429() {
    let ops = spawn_ops_app_with(false, |settings| {
        settings.ops.follow_max_followers = 2;
    })
    .await;
    let _one = follow(&ops, &ops.it, "").await;
    let (_, other) = ops.app.token(super::IT);
    let _two = follow(&ops, &other, "").await;

    let (_, third) = ops.app.token(super::IT);
    let refused = ops
        .app
        .get_with("/v1/ops/logs?follow=true", Some(&third), &[])
        .await;

    refused.assert_status(429);
    assert_eq!(refused.json["type"], "/problems/too-many-followers");
    assert!(refused.header("retry-after").is_some());
}

#[tokio::test]
async fn two_followers_with_different_filters_each_get_only_theirs() {
    let ops = spawn_ops_app().await;
    let mut auth = follow(&ops, &ops.it, "&service=auth").await;
    let (_, other) = ops.app.token(super::IT);
    let mut errors = follow(&ops, &other, "&level=error&q=PAYMENT").await;

    ops.logs(&[
        log(ago(0), "info", "auth", "a1 token issued"),
        log(ago(0), "error", "command-api", "e1 payment declined"),
        log(ago(0), "warn", "notifier", "neither"),
        log(ago(0), "error", "auth", "both: payment check failed"),
    ])
    .await;

    let mine = |events: &[String]| -> Vec<String> {
        events
            .iter()
            .filter_map(|e| data_of(e))
            .map(|d| d["message"].as_str().unwrap_or_default().to_owned())
            .collect()
    };
    let seen = read_events(&mut auth, PATIENCE, |events| mine(events).len() >= 2).await;
    assert_eq!(
        mine(&seen),
        ["a1 token issued", "both: payment check failed"]
    );
    let seen = read_events(&mut errors, PATIENCE, |events| mine(events).len() >= 2).await;
    assert_eq!(
        mine(&seen),
        ["e1 payment declined", "both: payment check failed"]
    );
    // Nothing else came for either: a last entry for both arrives next.
    ops.logs(&[log(ago(0), "error", "auth", "last payment")])
        .await;
    for response in [&mut auth, &mut errors] {
        let seen = read_events(response, PATIENCE, |events| !mine(events).is_empty()).await;
        assert_eq!(mine(&seen), ["last payment"]);
    }
}

#[tokio::test]
async fn a_follower_is_told_of_a_gap_when_the_shared_stream_restarts_and_goes_on() {
    let ops = spawn_ops_app().await;
    let mut response = follow(&ops, &ops.it, "&service=auth").await;

    // Dropping the collection ends every change stream on it (an
    // `invalidate`, after which it cannot be resumed): the hub starts a new
    // one, and entries logged in between could be missing.
    ops.core
        .collection::<bson::Document>(read_models::core_db::LOGS)
        .drop()
        .await
        .expect("dropping core.logs");
    let events = read_events(&mut response, PATIENCE, |events| {
        events.iter().any(|e| e.starts_with("event: gap"))
    })
    .await;
    assert!(
        events.iter().all(|e| !e.starts_with("event: end")),
        "{events:?}"
    );

    ops.logs(&[log(ago(0), "warn", "auth", "after the gap")])
        .await;
    let events = read_events(&mut response, PATIENCE, |events| {
        events.iter().any(|e| data_of(e).is_some())
    })
    .await;
    let data: Vec<Value> = events.iter().filter_map(|e| data_of(e)).collect();
    assert_eq!(data[0]["message"], "after the gap");
}
