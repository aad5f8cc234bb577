//! An SMTP server that is down: retries, dead letters, and delivery once
//! it is back.

use std::time::Duration;

use async_nats::jetstream;
use futures::StreamExt;
use platform::{Department, Role};
use read_models::core_db::{NotificationDoc, NotificationStatus};
use testkit::mail::{free_port, wait_for_mail, PrivateMaildev};
use uuid::Uuid;

use crate::helpers::{metric, Running, World};

const WAIT: Duration = Duration::from_secs(60);

/// A notifier whose SMTP server (on the port returned, where nothing
/// listens) never answers, giving up after `attempts`; a booking by Ada
/// (`ada@…`) on a new launch; and its notification, once dead.
async fn dead_booking(world: &World, attempts: i32) -> (Running, u16, Uuid, NotificationDoc) {
    let port = free_port();
    let mut settings = world.settings(&format!("smtp://127.0.0.1:{port}"));
    settings.max_attempts = attempts;
    let notifier = world.start_notifier(settings).await;
    let ada = world.traveler("ada", "Ada Lovelace").await;
    let launch = world.launch(500).await;
    world.book(&ada, launch, &[("Ada Lovelace", None)]).await;
    let dead = world
        .wait_notification(&ada.email, "the dead notification", |n| {
            n.status == NotificationStatus::Dead
        })
        .await;
    (notifier, port, launch, dead)
}

#[tokio::test]
async fn while_smtp_is_down_notifications_are_retried_and_delivered_once_it_is_back() {
    let world = World::new().await;
    let port = free_port();
    let notifier = world
        .start_notifier(world.settings(&format!("smtp://127.0.0.1:{port}")))
        .await;
    let ada = world.traveler("ada", "Ada Lovelace").await;
    let launch = world.launch(500).await;
    world.book(&ada, launch, &[("Ada Lovelace", None)]).await;

    let failing = world
        .wait_notification(&ada.email, "two failed attempts", |n| {
            n.status == NotificationStatus::Failed && n.attempts >= 2
        })
        .await;
    assert!(failing.last_error.is_some(), "{failing:?}");
    assert!(failing.next_attempt_at.is_some());

    let maildev = PrivateMaildev::start(port).await;
    let mails = wait_for_mail(&maildev.api_url, &ada.email, 1, WAIT).await;
    assert!(mails[0]["subject"]
        .as_str()
        .unwrap()
        .starts_with("Booking confirmed"));
    let sent = world
        .wait_notification(&ada.email, "the sent notification", |n| {
            n.status == NotificationStatus::Sent
        })
        .await;
    assert!(sent.attempts > failing.attempts, "{sent:?}");
    let metrics = notifier.metrics().await;
    assert!(metric(&metrics, "notifications_total", "outcome=\"failed\"") >= 2.0);
    assert_eq!(
        metric(&metrics, "notifications_total", "outcome=\"sent\""),
        1.0
    );
    notifier.stop().await;
    world.cleanup().await;
}

#[tokio::test]
async fn after_the_last_attempt_a_notification_is_dead_and_dead_lettered() {
    let world = World::new().await;
    let (notifier, _, launch, dead) = dead_booking(&world, 3).await;
    assert_eq!(dead.attempts, 3);
    assert!(dead.dead_at.is_some());
    assert!(dead.last_error.is_some());
    assert!(dead.next_attempt_at.is_none());

    // The dead letter names it, without the email's bodies.
    let jetstream = jetstream::new(world.nats.clone());
    let stream = jetstream
        .get_stream(&world.dead_letters)
        .await
        .expect("the dead-letter stream");
    let consumer = stream
        .create_consumer(jetstream::consumer::pull::Config::default())
        .await
        .expect("a reader of the dead letters");
    let mut messages = consumer.messages().await.expect("messages");
    let letter = tokio::time::timeout(WAIT, messages.next())
        .await
        .expect("a dead letter in time")
        .expect("a message")
        .expect("a readable message");
    assert_eq!(
        letter.subject.as_str(),
        format!("{}-dead.notifier.{launch}", world.prefix)
    );
    let headers = letter.headers.clone().expect("headers");
    assert_eq!(
        headers.get("Astro-Notification-Id").map(|v| v.as_str()),
        Some(dead.id.as_str())
    );
    let body: serde_json::Value = serde_json::from_slice(&letter.payload).expect("JSON");
    assert_eq!(body["status"], "dead");
    assert_eq!(body["text"], "");
    assert_eq!(
        metric(
            &notifier.metrics().await,
            "notifications_total",
            "outcome=\"dead\""
        ),
        1.0
    );
    notifier.stop().await;
    world.cleanup().await;
}

#[tokio::test]
async fn a_dead_notification_shows_in_the_it_summary_and_a_retry_by_it_sends_it() {
    let world = World::new().await;
    let query = world.start_query_api().await;
    let (_, it) = world.token(Role::Employee(Department::It));
    let (_, traveler_token) = world.token(Role::Traveler);
    let (notifier, port, _, dead) = dead_booking(&world, 2).await;

    let summary_url = format!("{query}/v1/ops/notifications/summary");
    let summary = |token: String| world.call(reqwest::Method::GET, &summary_url, token);
    let (status, body) = summary(it.clone()).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["counts"]["dead"], 1, "{body}");
    assert_eq!(body["counts"]["sent"], 0, "{body}");
    assert_eq!(summary(traveler_token.clone()).await.0, 403);

    let maildev = PrivateMaildev::start(port).await;
    let retry_url = format!("{query}/v1/ops/notifications/{}/retry", dead.id);
    let retry = |token: String| world.call(reqwest::Method::POST, &retry_url, token);
    assert_eq!(retry(traveler_token).await.0, 403);
    let (status, body) = retry(it.clone()).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "pending", "{body}");

    let mails = wait_for_mail(&maildev.api_url, &dead.recipient, 1, WAIT).await;
    assert_eq!(
        mails[0]["headers"]["x-astro-notification-id"].as_str(),
        Some(dead.id.as_str())
    );
    let sent = world
        .wait_notification(&dead.recipient, "the re-sent notification", |n| {
            n.status == NotificationStatus::Sent
        })
        .await;
    assert_eq!(sent.requeued, 1);
    assert_eq!(sent.attempts, 1, "attempts restart when re-queued");
    let (_, body) = summary(it).await;
    assert_eq!(body["counts"]["dead"], 0, "{body}");
    assert_eq!(body["counts"]["sent"], 1, "{body}");
    notifier.stop().await;
    world.cleanup().await;
}

#[tokio::test]
async fn the_notifier_serves_its_openapi_document_and_answers_405_to_other_methods() {
    let world = World::new().await;
    let notifier = world
        .start_notifier(world.settings(&format!("smtp://127.0.0.1:{}", free_port())))
        .await;
    let base = format!("http://127.0.0.1:{}", notifier.port);
    let document: serde_json::Value = reqwest::get(format!("{base}/openapi.json"))
        .await
        .expect("/openapi.json answers")
        .json()
        .await
        .expect("a JSON document");
    assert!(document["openapi"].as_str().unwrap().starts_with("3."));
    for path in ["/health", "/ready", "/metrics", "/openapi.json"] {
        assert!(document["paths"][path]["get"].is_object(), "{path}");
    }
    let client = reqwest::Client::new();
    let trace = client
        .request(reqwest::Method::TRACE, format!("{base}/health"))
        .send()
        .await
        .expect("TRACE answers");
    assert_eq!(trace.status(), 405);
    assert_eq!(trace.headers()["allow"], "GET");
    let unknown = client
        .get(format!("{base}/nowhere"))
        .send()
        .await
        .expect("an unknown path answers");
    assert_eq!(unknown.status(), 404);
    notifier.stop().await;
    world.cleanup().await;
}

#[tokio::test]
async fn the_notifier_is_ready_without_smtp_and_says_so() {
    let world = World::new().await;
    let notifier = world
        .start_notifier(world.settings(&format!("smtp://127.0.0.1:{}", free_port())))
        .await;
    let url = format!("http://127.0.0.1:{}/ready", notifier.port);
    testkit::wait_for(WAIT, "the notifier to be ready", || async {
        reqwest::get(&url)
            .await
            .is_ok_and(|response| response.status() == 200)
    })
    .await;
    let body: serde_json::Value = reqwest::get(&url)
        .await
        .expect("/ready answers")
        .json()
        .await
        .expect("a JSON body");
    assert_eq!(body["database"], "up");
    assert_eq!(body["mongo"], "up");
    assert_eq!(body["nats"], "up");
    assert_eq!(body["smtp"], "down");
    let health = reqwest::get(format!("http://127.0.0.1:{}/health", notifier.port))
        .await
        .expect("/health answers");
    assert_eq!(health.status(), 200);
    notifier.stop().await;
    world.cleanup().await;
}

#[tokio::test]
async fn an_event_the_planner_cannot_read_is_parked_and_planning_goes_on() {
    let world = World::new().await;
    let maildev = PrivateMaildev::start(free_port()).await;
    let notifier = world
        .start_notifier(world.settings(&maildev.smtp_url))
        .await;
    let ada = world.traveler("ada", "Ada Lovelace").await;
    let launch = world.launch(500).await;
    world.wait_published(1).await;

    // A message on a launch's subject that is no event envelope.
    let broken = Uuid::now_v7();
    let mut headers = async_nats::HeaderMap::new();
    headers.insert("Nats-Msg-Id", format!("{broken}:1").as_str());
    headers.insert("Astro-Aggregate-Id", broken.to_string().as_str());
    jetstream::new(world.nats.clone())
        .publish_with_headers(
            format!("{}.Launch.{broken}", world.prefix),
            headers,
            "{\"not\": \"an envelope\"}".into(),
        )
        .await
        .expect("publishing")
        .await
        .expect("stored");
    world.book(&ada, launch, &[("Ada Lovelace", None)]).await;
    wait_for_mail(&maildev.api_url, &ada.email, 1, WAIT).await;

    let stream = jetstream::new(world.nats.clone())
        .get_stream(&world.dead_letters)
        .await
        .expect("the dead letters");
    let consumer = stream
        .create_consumer(jetstream::consumer::pull::OrderedConfig {
            filter_subject: format!("{}-dead.notifier-planning.>", world.prefix),
            ..Default::default()
        })
        .await
        .expect("a reader");
    let mut messages = consumer.messages().await.expect("messages");
    let parked = tokio::time::timeout(WAIT, messages.next())
        .await
        .expect("a parked event in time")
        .expect("a message")
        .expect("readable");
    assert_eq!(
        parked.subject.as_str(),
        format!("{}-dead.notifier-planning.{broken}", world.prefix)
    );
    let headers = parked.headers.clone().expect("headers");
    assert_eq!(
        headers.get("Astro-Deliveries").map(|v| v.as_str()),
        Some("3")
    );
    assert!(headers
        .get("Astro-Dead-Letter-Reason")
        .is_some_and(|r| r.as_str().contains("unreadable envelope")));

    let url = format!("http://127.0.0.1:{}/ready", notifier.port);
    let response = reqwest::get(&url).await.expect("/ready answers");
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.expect("a JSON body");
    assert_eq!(body["status"], "degraded", "{body}");
    assert_eq!(body["parked"]["notifier-planning"], 1, "{body}");
    assert_eq!(
        metric(
            &notifier.metrics().await,
            "notifier_events_total",
            r#"outcome="parked""#
        ),
        1.0
    );
    notifier.stop().await;
    world.cleanup().await;
}
