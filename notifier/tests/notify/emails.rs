//! What arrives, to whom, with what in it; and nothing twice.

use std::time::Duration;

use async_nats::jetstream;
use read_models::core_db::{NotificationKind, NotificationStatus, RecipientRole};
use serde_json::{json, Value};
use testkit::mail::{api_url, received, smtp_url, wait_for_mail};

use crate::helpers::{metric, World};

const WAIT: Duration = Duration::from_secs(60);

fn text(mail: &Value) -> String {
    mail["text"].as_str().unwrap_or_default().to_owned()
}

fn html(mail: &Value) -> String {
    mail["html"].as_str().unwrap_or_default().to_owned()
}

#[tokio::test]
async fn a_traveler_booking_emails_the_traveler_and_each_passenger_with_an_email_once() {
    let world = World::new().await;
    let notifier = world.start_notifier(world.settings(&smtp_url())).await;
    let ada = world.traveler("ada", "Ada Lovelace").await;
    let grace = world.address("grace");
    let launch = world.launch(500).await;
    let booking = world
        .book(
            &ada,
            launch,
            &[
                ("Ada Lovelace", Some(&ada.email)),
                ("Grace Hopper", Some(&grace)),
                ("Alan Turing", None),
            ],
        )
        .await;

    let to_ada = wait_for_mail(&api_url(), &ada.email, 1, WAIT).await;
    let to_grace = wait_for_mail(&api_url(), &grace, 1, WAIT).await;
    let mail = &to_ada[0];
    assert!(
        mail["subject"]
            .as_str()
            .unwrap()
            .starts_with("Booking confirmed: Selene IV to the Moon"),
        "{}",
        mail["subject"]
    );
    let body = text(mail);
    for needle in [
        "Dear Ada Lovelace,",
        &booking.to_string(),
        "Ada Lovelace, Grace Hopper, Alan Turing",
        "3 x EUR 250,000.00",
        "EUR 750,000.00",
        "Kourou",
    ] {
        assert!(body.contains(needle), "{needle} not in {body}");
    }
    assert!(html(mail).contains("EUR 750,000.00"));
    assert_eq!(
        mail["headers"]["x-astro-notification-id"]
            .as_str()
            .map(str::len),
        Some(36)
    );
    // The passenger is told, without the price.
    let passenger = text(&to_grace[0]);
    assert!(passenger.contains("Dear Grace Hopper,"), "{passenger}");
    assert!(passenger.contains("You are booked"), "{passenger}");
    assert!(!passenger.contains("EUR"), "{passenger}");

    let stored = world
        .wait_notification(&ada.email, "the sent confirmation", |n| {
            n.status == NotificationStatus::Sent
        })
        .await;
    assert_eq!(stored.kind, NotificationKind::BookingConfirmed);
    assert_eq!(stored.recipient_role, RecipientRole::Traveler);
    assert_eq!(stored.attempts, 1);
    assert_eq!(stored.booking_id, Some(booking.to_string()));
    assert!(stored.sent_at.is_some());
    // Alan gave no email, Ada is the holder and a passenger: two emails in all.
    assert_eq!(world.notifications().await.len(), 2);
    assert!(
        metric(
            &notifier.metrics().await,
            "notifications_total",
            "outcome=\"sent\""
        ) >= 2.0
    );
    notifier.stop().await;
    world.cleanup().await;
}

#[tokio::test]
async fn an_agency_booking_emails_the_agency_and_its_passengers() {
    let world = World::new().await;
    let notifier = world.start_notifier(world.settings(&smtp_url())).await;
    let agency = world.agency("desk", "Orbit Travel Ltd").await;
    let neil = world.address("neil");
    let launch = world.launch(500).await;
    let booking = world
        .book(&agency, launch, &[("Neil Armstrong", Some(&neil))])
        .await;

    let to_agency = wait_for_mail(&api_url(), &agency.email, 1, WAIT).await;
    let body = text(&to_agency[0]);
    assert!(body.contains("Dear Orbit Travel Ltd,"), "{body}");
    assert!(body.contains(&booking.to_string()), "{body}");
    assert!(body.contains("EUR 250,000.00"), "{body}");
    wait_for_mail(&api_url(), &neil, 1, WAIT).await;
    let stored = world
        .wait_notification(&agency.email, "the agency's notification", |n| {
            n.status == NotificationStatus::Sent
        })
        .await;
    assert_eq!(stored.recipient_role, RecipientRole::Agency);
    notifier.stop().await;
    world.cleanup().await;
}

#[tokio::test]
async fn a_passenger_name_with_a_header_in_it_is_mailed_under_a_safe_name_and_injects_nothing() {
    let mut world = World::new().await;
    let notifier = world.start_notifier(world.settings(&smtp_url())).await;
    let ada = world.traveler("ada", "Ada Lovelace").await;
    let pax = world.address("pax");
    let evil = world.address("evil");
    let grace = world.address("grace");
    let launch = world.launch(500).await;
    world.wait_published(1).await;
    // The command API refuses such a name now (control characters); an
    // event stored before that rule still carries it: the booking is
    // rewritten in the store before the relay publishes it.
    world.pause_relay().await;
    world
        .book(
            &ada,
            launch,
            &[
                ("Pax PLACEHOLDER", Some(&pax)),
                ("Grace Hopper", Some(&grace)),
            ],
        )
        .await;
    let rewritten = sqlx::query(
        "UPDATE events SET payload = replace(payload::text, 'Pax PLACEHOLDER', $2)::json
          WHERE aggregate_id = $1 AND event_type = 'SeatsBooked'",
    )
    .bind(launch.to_string())
    .bind(format!("Pax\\r\\nBcc: {evil}"))
    .execute(&world.pool)
    .await
    .expect("rewriting the booking");
    assert_eq!(rewritten.rows_affected(), 1);
    world.resume_relay().await;

    // Everyone is told, the odd name included (it used to panic the send
    // on every lease and stay pending for ever).
    wait_for_mail(&api_url(), &ada.email, 1, WAIT).await;
    wait_for_mail(&api_url(), &grace, 1, WAIT).await;
    let to_pax = wait_for_mail(&api_url(), &pax, 1, WAIT).await;
    let mail = &to_pax[0];
    assert_eq!(mail["to"].as_array().map(Vec::len), Some(1), "{mail}");
    assert_eq!(mail["to"][0]["address"], json!(pax), "{mail}");
    assert_eq!(mail["to"][0]["name"], json!(format!("Pax Bcc: {evil}")));
    assert!(mail["headers"].get("bcc").is_none(), "{mail}");
    let stored = world
        .wait_notification(&pax, "the sent notification", |n| {
            n.status == NotificationStatus::Sent
        })
        .await;
    assert_eq!(stored.attempts, 1);
    // Nothing went to the smuggled address (all the other mail arrived
    // first, so this one would have too).
    assert!(received(&api_url(), &evil).await.is_empty());
    notifier.stop().await;
    world.cleanup().await;
}

#[tokio::test]
async fn a_cancellation_emails_the_refund_and_an_abort_a_full_refund() {
    let world = World::new().await;
    let notifier = world.start_notifier(world.settings(&smtp_url())).await;
    let ada = world.traveler("ada", "Ada Lovelace").await;
    let launch = world.launch(500).await;
    let first = world.book(&ada, launch, &[("Ada Lovelace", None)]).await;
    let second = world.book(&ada, launch, &[("Ada Lovelace", None)]).await;
    let refund = world.cancel(&ada, launch, first).await;
    assert_eq!(refund, 22_500_000, "90 % of one seat, 500 days ahead");

    let mails = wait_for_mail(&api_url(), &ada.email, 3, WAIT).await;
    let cancellation = mails
        .iter()
        .find(|m| {
            m["subject"]
                .as_str()
                .unwrap()
                .starts_with("Booking cancelled")
        })
        .expect("a cancellation email");
    assert_eq!(
        cancellation["subject"],
        "Booking cancelled: Selene IV to the Moon, refund EUR 225,000.00"
    );
    let body = text(cancellation);
    assert!(body.contains(&first.to_string()), "{body}");
    assert!(
        body.contains("You will be refunded EUR 225,000.00 (90% of EUR 250,000.00)."),
        "{body}"
    );

    world
        .act(launch, "abort", json!({ "reason": "engine anomaly" }))
        .await;
    let mails = wait_for_mail(&api_url(), &ada.email, 4, WAIT).await;
    let aborted = mails
        .iter()
        .find(|m| m["subject"].as_str().unwrap().starts_with("Launch aborted"))
        .expect("an abort email");
    let body = text(aborted);
    assert!(body.contains(&second.to_string()), "{body}");
    assert!(body.contains("refunded in full: EUR 250,000.00"), "{body}");
    notifier.stop().await;
    world.cleanup().await;
}

#[tokio::test]
async fn a_delay_emails_every_active_booking_once_per_person() {
    let world = World::new().await;
    let notifier = world.start_notifier(world.settings(&smtp_url())).await;
    let ada = world.traveler("ada", "Ada Lovelace").await;
    let agency = world.agency("desk", "Orbit Travel Ltd").await;
    let gone = world.traveler("gone", "Gone Away").await;
    let launch = world.launch(500).await;
    world.book(&ada, launch, &[("Ada Lovelace", None)]).await;
    world.book(&ada, launch, &[("Ada Lovelace", None)]).await;
    world
        .book(&agency, launch, &[("Neil Armstrong", None)])
        .await;
    let cancelled = world.book(&gone, launch, &[("Gone Away", None)]).await;
    world.cancel(&gone, launch, cancelled).await;
    let new_departure = (chrono::Utc::now() + chrono::Duration::days(530))
        .format("%Y-%m-%dT12:00:00Z")
        .to_string();
    world
        .act(
            launch,
            "delay",
            json!({ "new_departure_at": new_departure, "reason": "weather" }),
        )
        .await;

    // Two confirmations and one delay email for Ada (two bookings, one
    // address); one confirmation and one delay email for the agency; none
    // for the holder whose booking was cancelled before the delay.
    let to_ada = wait_for_mail(&api_url(), &ada.email, 3, WAIT).await;
    wait_for_mail(&api_url(), &agency.email, 2, WAIT).await;
    let delay = to_ada
        .iter()
        .find(|m| m["subject"].as_str().unwrap().starts_with("New departure"))
        .expect("a delay email");
    let body = text(delay);
    assert!(body.contains("is delayed (weather)"), "{body}");
    assert!(body.contains("Bookings:"), "{body}");
    world
        .wait_notification(&gone.email, "the cancellation", |n| {
            n.kind == NotificationKind::BookingCancelled && n.status == NotificationStatus::Sent
        })
        .await;
    let gone_kinds: Vec<_> = world
        .notifications_to(&gone.email)
        .await
        .iter()
        .map(|n| n.kind)
        .collect();
    assert!(
        !gone_kinds.contains(&NotificationKind::LaunchDelayed),
        "{gone_kinds:?}"
    );
    assert_eq!(received(&api_url(), &ada.email).await.len(), 3);
    notifier.stop().await;
    world.cleanup().await;
}

#[tokio::test]
async fn a_redelivered_event_sends_nothing_twice() {
    let world = World::new().await;
    let notifier = world.start_notifier(world.settings(&smtp_url())).await;
    let ada = world.traveler("ada", "Ada Lovelace").await;
    let launch = world.launch(500).await;
    world.book(&ada, launch, &[("Ada Lovelace", None)]).await;
    wait_for_mail(&api_url(), &ada.email, 1, WAIT).await;
    world
        .wait_notification(&ada.email, "the sent confirmation", |n| {
            n.status == NotificationStatus::Sent
        })
        .await;

    // Publish the booking's event again, as a relay that crashed after
    // publishing and before committing would (beyond the duplicate window,
    // under another message id).
    // (Counted before: the notifier may read the copy at once.)
    let planned_before = metric(
        &notifier.metrics().await,
        "notifier_events_total",
        "outcome=\"planned\"",
    );
    world.republish_last("SeatsBooked").await;
    let jetstream = jetstream::new(world.nats.clone());
    testkit::wait_for(WAIT, "the notifier to read the copy", || async {
        metric(
            &notifier.metrics().await,
            "notifier_events_total",
            "outcome=\"planned\"",
        ) > planned_before
    })
    .await;
    // Whatever the sender could do with it, it has had the time of a poll.
    let consumer_idle = || async {
        let stream = jetstream
            .get_stream(&world.stream)
            .await
            .expect("the stream");
        let info = stream
            .consumer_info("notifier")
            .await
            .expect("the consumer");
        info.num_pending == 0 && info.num_ack_pending == 0
    };
    testkit::wait_for(WAIT, "the copy to be acknowledged", consumer_idle).await;
    assert_eq!(world.notifications_to(&ada.email).await.len(), 1);
    assert_eq!(received(&api_url(), &ada.email).await.len(), 1);
    assert_eq!(
        metric(
            &notifier.metrics().await,
            "notifications_total",
            "outcome=\"sent\""
        ),
        1.0
    );
    notifier.stop().await;
    world.cleanup().await;
}

#[tokio::test]
async fn events_waiting_in_the_stream_are_planned_together_and_each_emails_once() {
    let world = World::new().await;
    let first = world.launch(500).await;
    let second = world.launch(600).await;
    let mut travelers = Vec::new();
    for (who, launch) in [("ada", first), ("grace", second), ("alan", first)] {
        let traveler = world.traveler(who, who).await;
        world.book(&traveler, launch, &[(who, None)]).await;
        world.book(&traveler, launch, &[(who, None)]).await;
        travelers.push(traveler);
    }
    // With no notifier running, the six bookings (and a copy of the last,
    // as a relay that crashed after publishing would send) wait in the
    // stream: the notifier's first pull takes them as one chunk.
    let rockets_launches_and_bookings = 2 + 2 + 6;
    world.wait_published(rockets_launches_and_bookings).await;
    world.republish_last("SeatsBooked").await;
    let notifier = world.start_notifier(world.settings(&smtp_url())).await;

    for traveler in &travelers {
        wait_for_mail(&api_url(), &traveler.email, 2, WAIT).await;
    }
    let consumer_idle = || async {
        let info = jetstream::new(world.nats.clone())
            .get_stream(&world.stream)
            .await
            .expect("the stream")
            .consumer_info("notifier")
            .await
            .expect("the consumer");
        info.num_pending == 0 && info.num_ack_pending == 0
    };
    testkit::wait_for(WAIT, "every event to be acknowledged", consumer_idle).await;
    let metrics = notifier.metrics().await;
    // Seven booking events planned (the copy among them; more only if a
    // slow machine let an ack wait pass and JetStream redelivered), two
    // launches' creation ignored; six notifications new, whatever came
    // twice.
    assert!(metric(&metrics, "notifier_events_total", "outcome=\"planned\"") >= 7.0);
    assert_eq!(
        metric(&metrics, "notifications_total", "outcome=\"planned\""),
        6.0
    );
    assert_eq!(world.notifications().await.len(), 6);
    for traveler in &travelers {
        assert_eq!(world.notifications_to(&traveler.email).await.len(), 2);
        assert_eq!(received(&api_url(), &traveler.email).await.len(), 2);
    }
    notifier.stop().await;
    world.cleanup().await;
}
