//! `GET /v1/ops/notifications`, its summary, one notification,
//! `POST /v1/ops/notifications/{id}/retry` and the bulk
//! `POST /v1/ops/notifications/retry`.

use read_models::core_db::{NotificationDoc, NotificationStatus};

use super::{ago, bson_time, notification, spawn_ops_app, OpsApp};

use NotificationStatus::{Dead, Failed, Pending, Sent};

/// Five notifications, oldest first: n0 (ada, sent) … n4 (bob, dead).
async fn seed(ops: &OpsApp) -> Vec<NotificationDoc> {
    let mut all = vec![
        notification("ada@example.com", Sent, ago(5_000)),
        notification("bob@example.com", Pending, ago(4_000)),
        notification("Ada@Example.com", Failed, ago(3_000)),
        notification("carol@example.com", Sent, ago(2_000)),
        notification("bob@example.com", Dead, ago(1_000)),
    ];
    all[0].sent_at = Some(bson_time(ago(4_990)));
    all[2].attempts = 2;
    all[2].last_error = Some("451 try again later".into());
    all[2].next_attempt_at = Some(bson_time(ago(-60)));
    all[4].attempts = 5;
    all[4].last_error = Some("550 mailbox unavailable".into());
    all[4].dead_at = Some(bson_time(ago(900)));
    ops.notifications(&all).await;
    all
}

fn ids(response: &crate::helpers::ApiResponse) -> Vec<String> {
    response.ids("id")
}

#[tokio::test]
async fn notifications_come_newest_first_without_their_bodies() {
    let ops = spawn_ops_app().await;
    let all = seed(&ops).await;

    let response = ops.get("/v1/ops/notifications").await;

    response.assert_status(200);
    assert_eq!(response.header("cache-control"), Some("no-store"));
    let expected: Vec<String> = all.iter().rev().map(|n| n.id.clone()).collect();
    assert_eq!(ids(&response), expected);
    assert_eq!(response.json["total"], 5);
    assert_eq!(response.json["page"], 1);
    assert_eq!(response.json["page_size"], 20);
    let dead = &response.json["items"][0];
    assert_eq!(dead["status"], "dead");
    assert_eq!(dead["recipient"], "bob@example.com");
    assert_eq!(dead["recipient_name"], "Ada Lovelace");
    assert_eq!(dead["recipient_role"], "traveler");
    assert_eq!(dead["kind"], "booking_confirmed");
    assert_eq!(dead["event_type"], "SeatsBooked");
    assert_eq!(dead["event_id"], all[4].event_id);
    assert_eq!(dead["booking_id"], all[4].booking_id.clone().unwrap());
    assert_eq!(dead["subject"], "Your seats are booked");
    assert_eq!(dead["attempts"], 5);
    assert_eq!(dead["last_error"], "550 mailbox unavailable");
    assert!(dead["dead_at"].is_string());
    assert_eq!(dead["requeued"], 0);
    assert!(dead.get("text").is_none() && dead.get("html").is_none());

    let with_bodies = ops.get("/v1/ops/notifications?include=body").await;
    with_bodies.assert_status(200);
    let first = &with_bodies.json["items"][0];
    assert_eq!(first["text"], "Dear Ada, your seats are booked.");
    assert_eq!(first["html"], "<p>Dear Ada, your seats are booked.</p>");
}

#[tokio::test]
async fn each_notification_filter_narrows_the_list() {
    let ops = spawn_ops_app().await;
    let all = seed(&ops).await;
    let list = |query: String| {
        let ops = &ops;
        async move {
            let response = ops.get(&format!("/v1/ops/notifications?{query}")).await;
            response.assert_status(200);
            let total = response.json["total"].as_u64().unwrap();
            let ids = ids(&response);
            assert_eq!(total, ids.len() as u64);
            ids
        }
    };
    let id = |i: usize| all[i].id.clone();

    assert_eq!(list("status=sent".into()).await, [id(3), id(0)]);
    assert_eq!(list("status=dead,failed".into()).await, [id(4), id(2)]);
    assert_eq!(
        list("recipient=ADA@example.com".into()).await,
        [id(2), id(0)]
    );
    assert_eq!(
        list("recipient=bob@example.com&status=pending".into()).await,
        [id(1)]
    );
    assert_eq!(
        list(format!("booking_id={}", all[3].booking_id.clone().unwrap())).await,
        [id(3)]
    );
    assert_eq!(list(format!("event_id={}", all[1].event_id)).await, [id(1)]);
    let between = format!(
        "from={}&to={}",
        ago(3_500).to_rfc3339().replace('+', "%2B"),
        ago(1_500).to_rfc3339().replace('+', "%2B")
    );
    assert_eq!(list(between).await, [id(3), id(2)]);
    assert!(list("recipient=nobody@example.com".into()).await.is_empty());
}

#[tokio::test]
async fn notification_pages_count_every_match() {
    let ops = spawn_ops_app().await;
    let all = seed(&ops).await;

    let second = ops.get("/v1/ops/notifications?page=2&page_size=2").await;

    second.assert_status(200);
    assert_eq!(ids(&second), [all[2].id.clone(), all[1].id.clone()]);
    assert_eq!(second.json["total"], 5);
    assert_eq!(second.json["page"], 2);
    let beyond = ops.get("/v1/ops/notifications?page=4&page_size=2").await;
    assert!(ids(&beyond).is_empty());
    assert_eq!(beyond.json["total"], 5);
}

#[tokio::test]
async fn one_notification_comes_with_its_bodies_and_an_unknown_one_is_404() {
    let ops = spawn_ops_app().await;
    let all = seed(&ops).await;

    let found = ops
        .get(&format!("/v1/ops/notifications/{}", all[2].id))
        .await;

    found.assert_status(200);
    assert_eq!(found.json["id"], all[2].id);
    assert_eq!(found.json["status"], "failed");
    assert_eq!(found.json["text"], "Dear Ada, your seats are booked.");
    assert_eq!(found.json["last_error"], "451 try again later");
    assert!(found.json["next_attempt_at"].is_string());
    ops.get(&format!("/v1/ops/notifications/{}", uuid::Uuid::now_v7()))
        .await
        .assert_problem(404, "notification-not-found");
    ops.get("/v1/ops/notifications/not-an-id")
        .await
        .assert_problem(404, "not-found");
}

#[tokio::test]
async fn the_summary_counts_every_status_and_the_last_hour() {
    let ops = spawn_ops_app().await;
    let mut recent = vec![
        // Sent 5 and 30 minutes ago, and two hours ago.
        notification("a@example.com", Sent, ago(400)),
        notification("b@example.com", Sent, ago(2_000)),
        notification("c@example.com", Sent, ago(8_000)),
        // Failed 10 minutes ago, and failed (last attempt) two hours ago.
        notification("d@example.com", Failed, ago(700)),
        notification("e@example.com", Failed, ago(9_000)),
        // Died 20 minutes ago, and a day ago.
        notification("f@example.com", Dead, ago(3_000)),
        notification("g@example.com", Dead, ago(90_000)),
        // Waiting since 50 minutes.
        notification("h@example.com", Pending, ago(3_000)),
    ];
    recent[0].sent_at = Some(bson_time(ago(300)));
    recent[1].sent_at = Some(bson_time(ago(1_800)));
    recent[2].sent_at = Some(bson_time(ago(7_200)));
    recent[3].updated_at = bson_time(ago(600));
    recent[4].updated_at = bson_time(ago(7_200));
    recent[5].dead_at = Some(bson_time(ago(1_200)));
    recent[6].dead_at = Some(bson_time(ago(86_000)));
    ops.notifications(&recent).await;

    let summary = ops.get("/v1/ops/notifications/summary").await;

    summary.assert_status(200);
    let json = &summary.json;
    assert_eq!(
        json["counts"],
        serde_json::json!({ "pending": 1, "sent": 3, "failed": 2, "dead": 2 })
    );
    assert_eq!(json["total"], 8);
    assert_eq!(json["dead"], 2);
    assert_eq!(json["sent_last_hour"], 2);
    assert_eq!(json["sent_last_15_minutes"], 1);
    assert_eq!(json["send_rate_per_minute"], 0.07);
    assert_eq!(json["failures_last_hour"], 2);
    // The oldest waiting one: the failed one of 9,000 s ago.
    let oldest = &json["oldest_pending"];
    assert_eq!(oldest["id"], recent[4].id);
    assert_eq!(oldest["status"], "failed");
    assert!(oldest["age_seconds"].as_i64().unwrap() >= 9_000);
    assert!(json["as_of"].is_string());
}

#[tokio::test]
async fn the_summary_of_no_notifications_is_all_zeros() {
    let ops = spawn_ops_app().await;

    let summary = ops.get("/v1/ops/notifications/summary").await;

    summary.assert_status(200);
    let json = &summary.json;
    assert_eq!(
        json["counts"],
        serde_json::json!({ "pending": 0, "sent": 0, "failed": 0, "dead": 0 })
    );
    assert!(json["oldest_pending"].is_null());
    assert_eq!(json["sent_last_hour"], 0);
    assert_eq!(json["send_rate_per_minute"], 0.0);
    assert_eq!(json["failures_last_hour"], 0);
}

#[tokio::test]
async fn a_dead_notification_is_requeued_once() {
    let ops = spawn_ops_app().await;
    let all = seed(&ops).await;
    let dead = &all[4];
    let before = chrono::Utc::now();

    let response = ops
        .post(
            &format!("/v1/ops/notifications/{}/retry", dead.id),
            Some(&ops.it),
        )
        .await;

    response.assert_status(200);
    assert_eq!(response.json["id"], dead.id);
    assert_eq!(response.json["status"], "pending");
    assert_eq!(response.json["attempts"], 0);
    assert_eq!(response.json["requeued"], 1);
    assert_eq!(response.json["last_error"], "550 mailbox unavailable");
    let stored = ops.stored(&dead.id).await;
    assert_eq!(stored.status, Pending);
    assert_eq!(stored.attempts, 0);
    assert_eq!(stored.requeued, 1);
    assert_eq!(
        stored.last_error.as_deref(),
        Some("550 mailbox unavailable")
    );
    assert!(stored.locked_until.is_none());
    let due = stored.next_attempt_at.expect("due").to_chrono();
    assert!(due >= before - chrono::Duration::milliseconds(5) && due <= chrono::Utc::now());
    assert_eq!(stored.updated_at, stored.next_attempt_at.unwrap());
    assert_eq!(stored.dead_at, dead.dead_at, "kept for the record");

    // Now pending: not again.
    let again = ops
        .post(
            &format!("/v1/ops/notifications/{}/retry", dead.id),
            Some(&ops.it),
        )
        .await;
    again.assert_problem(409, "not-retryable");
    assert!(again.text.contains("pending"), "{}", again.text);
    assert_eq!(ops.stored(&dead.id).await.requeued, 1);
}

#[tokio::test]
async fn a_failed_notification_is_requeued_unless_a_sender_holds_it() {
    let ops = spawn_ops_app().await;
    let mut held = notification("held@example.com", Failed, ago(100));
    held.locked_until = Some(bson_time(ago(-30)));
    let mut stale = notification("stale@example.com", Failed, ago(100));
    stale.locked_until = Some(bson_time(ago(30)));
    stale.attempts = 3;
    ops.notifications(&[held.clone(), stale.clone()]).await;

    let refused = ops
        .post(
            &format!("/v1/ops/notifications/{}/retry", held.id),
            Some(&ops.it),
        )
        .await;
    let requeued = ops
        .post(
            &format!("/v1/ops/notifications/{}/retry", stale.id),
            Some(&ops.it),
        )
        .await;

    refused.assert_problem(409, "not-retryable");
    assert!(refused.text.contains("being sent"), "{}", refused.text);
    assert_eq!(ops.stored(&held.id).await.status, Failed);
    requeued.assert_status(200);
    let stored = ops.stored(&stale.id).await;
    assert_eq!((stored.status, stored.attempts), (Pending, 0));
    assert!(stored.locked_until.is_none());
}

#[tokio::test]
async fn pending_sent_and_unknown_notifications_are_refused() {
    let ops = spawn_ops_app().await;
    let all = seed(&ops).await;
    let retry = |id: String| {
        let ops = &ops;
        async move {
            ops.post(&format!("/v1/ops/notifications/{id}/retry"), Some(&ops.it))
                .await
        }
    };

    for (i, status) in [(0, "sent"), (1, "pending")] {
        let refused = retry(all[i].id.clone()).await;
        refused.assert_problem(409, "not-retryable");
        assert!(refused.text.contains(status), "{}", refused.text);
    }
    assert_eq!(ops.stored(&all[0].id).await.status, Sent);
    retry(uuid::Uuid::now_v7().to_string())
        .await
        .assert_problem(404, "notification-not-found");
    retry("nope".into()).await.assert_problem(404, "not-found");
}

#[tokio::test]
async fn bad_notification_parameters_are_422_naming_each() {
    let ops = spawn_ops_app().await;

    for (query, field) in [
        ("status=lost", "status"),
        ("status=sent,lost", "status"),
        ("status=", "status"),
        ("booking_id=123", "booking_id"),
        ("event_id=abc", "event_id"),
        ("from=soon", "from"),
        ("from=2026-11-26&to=2026-11-25", "to"),
        ("include=everything", "include"),
        ("page=0", "page"),
        ("page_size=101", "page_size"),
    ] {
        ops.get(&format!("/v1/ops/notifications?{query}"))
            .await
            .assert_invalid_field(field);
    }
    let recipient = format!("{}@example.com", "x".repeat(320));
    ops.get(&format!("/v1/ops/notifications?recipient={recipient}"))
        .await
        .assert_invalid_field("recipient");
}

#[tokio::test]
async fn every_dead_notification_a_filter_matches_is_requeued_at_once() {
    let ops = spawn_ops_app().await;
    // Died in the outage (two to ann, one to ben), one before it, one held
    // by a sender, one failed, one sent.
    let mut outage = vec![
        notification("ann@example.com", Dead, ago(600)),
        notification("ann@example.com", Dead, ago(500)),
        notification("ben@example.com", Dead, ago(400)),
    ];
    for dead in &mut outage {
        dead.attempts = 10;
        dead.last_error = Some("421 service not available".into());
    }
    let earlier = notification("ann@example.com", Dead, ago(7_200));
    let mut held = notification("cid@example.com", Dead, ago(450));
    held.locked_until = Some(bson_time(ago(-30)));
    let failed = notification("dan@example.com", Failed, ago(450));
    let sent = notification("eve@example.com", Sent, ago(450));
    let mut all = outage.clone();
    all.extend([earlier.clone(), held.clone(), failed.clone(), sent.clone()]);
    ops.notifications(&all).await;
    let from = ago(3_600).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let path = |query: &str| format!("/v1/ops/notifications/retry?from={from}{query}");

    // One recipient first, then every dead one since the outage began
    // (the status defaults to dead).
    let ann = ops
        .post(
            &path("&status=dead&recipient=ANN@example.com"),
            Some(&ops.it),
        )
        .await;
    let rest = ops.post(&path(""), Some(&ops.it)).await;

    ann.assert_status(200);
    assert_eq!(ann.json["requeued"], 2);
    rest.assert_status(200);
    assert_eq!(rest.json["requeued"], 1, "ben's; ann's are pending now");
    for dead in &outage {
        let stored = ops.stored(&dead.id).await;
        assert_eq!(
            (stored.status, stored.attempts, stored.requeued),
            (Pending, 0, 1)
        );
        assert!(stored.locked_until.is_none());
        assert_eq!(
            stored.last_error.as_deref(),
            Some("421 service not available")
        );
    }
    assert_eq!(ops.stored(&earlier.id).await.status, Dead, "before `from`");
    assert_eq!(ops.stored(&held.id).await.status, Dead, "a sender holds it");
    assert_eq!(ops.stored(&failed.id).await.status, Failed, "not asked for");
    assert_eq!(ops.stored(&sent.id).await.status, Sent);

    // Failed ones only when asked for; nothing left to re-queue after.
    let failed_now = ops.post(&path("&status=failed"), Some(&ops.it)).await;
    assert_eq!(failed_now.json["requeued"], 1);
    assert_eq!(ops.stored(&failed.id).await.status, Pending);
    let none = ops.post(&path("&status=dead,failed"), Some(&ops.it)).await;
    none.assert_status(200);
    assert_eq!(none.json["requeued"], 0);
}

#[tokio::test]
async fn a_bulk_requeue_with_bad_parameters_is_422_and_changes_nothing() {
    let ops = spawn_ops_app().await;
    let dead = notification("ann@example.com", Dead, ago(60));
    ops.notifications(std::slice::from_ref(&dead)).await;

    for (query, field) in [
        ("status=sent", "status"),
        ("status=dead,pending", "status"),
        ("status=", "status"),
        ("include=body", "include"),
        ("booking_id=123", "booking_id"),
        ("from=soon", "from"),
        ("from=2026-11-26&to=2026-11-25", "to"),
    ] {
        ops.post(
            &format!("/v1/ops/notifications/retry?{query}"),
            Some(&ops.it),
        )
        .await
        .assert_invalid_field(field);
    }
    assert_eq!(ops.stored(&dead.id).await.status, Dead);
}

#[tokio::test]
async fn notification_times_outside_what_the_stores_hold_are_a_422_naming_the_parameter() {
    let ops = spawn_ops_app().await;
    let dead = notification("ann@example.com", Dead, ago(60));
    ops.notifications(std::slice::from_ref(&dead)).await;

    for (query, field) in [
        ("from=0000-01-01", "from"),
        ("from=-0001-01-01", "from"),
        ("to=0000-01-01T00:00:00Z", "to"),
    ] {
        ops.get(&format!("/v1/ops/notifications?{query}"))
            .await
            .assert_invalid_field(field);
        ops.post(
            &format!("/v1/ops/notifications/retry?status=dead&{query}"),
            Some(&ops.it),
        )
        .await
        .assert_invalid_field(field);
    }
    assert_eq!(ops.stored(&dead.id).await.status, Dead);
    let response = ops
        .get("/v1/ops/notifications?from=1970-01-01&to=9999-12-31")
        .await;
    assert_eq!(response.status, 200, "{}", response.json);
}
