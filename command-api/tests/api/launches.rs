//! The launch lifecycle: schedule, confirm, delay, abort, launched.

use chrono::{DateTime, Duration, SubsecRound, Utc};
use platform::{Department, Role};
use serde_json::{json, Value};
use uuid::Uuid;

use crate::helpers::{
    assert_envelope, launch_body, spawn_app, wait_until_past, ApiResponse, Body, TestApp,
    OPERATIONS, PRICE_CENTS,
};

fn in_days(days: i64) -> DateTime<Utc> {
    (Utc::now() + Duration::days(days)).trunc_subsecs(0)
}

fn departure(response: &ApiResponse) -> DateTime<Utc> {
    response.json["departure_at"]
        .as_str()
        .and_then(|t| t.parse().ok())
        .unwrap_or_else(|| panic!("no departure_at in {}", response.text))
}

/// The commands of one launch, each with a valid body.
fn commands(launch_id: Uuid) -> Vec<(String, Option<Value>)> {
    let base = format!("/v1/launches/{launch_id}");
    vec![
        (format!("{base}/confirm"), None),
        (
            format!("{base}/delay"),
            Some(json!({ "new_departure_at": in_days(500).to_rfc3339(), "reason": "weather" })),
        ),
        (
            format!("{base}/abort"),
            Some(json!({ "reason": "engine fault" })),
        ),
        (format!("{base}/launched"), None),
    ]
}

async fn post(app: &TestApp, path: &str, token: Option<&str>, body: &Option<Value>) -> ApiResponse {
    let body = body.as_ref().map_or(Body::Empty, Body::Json);
    app.post_raw(path, token, body, &[]).await
}

#[tokio::test]
async fn scheduling_a_launch_returns_201_with_its_state_and_stores_launch_scheduled() {
    let app = spawn_app().await;
    let rocket_id = app.new_rocket(8, "mars").await;
    let (ops_id, ops) = app.token(OPERATIONS);
    let departure_at = in_days(400);

    let response = app
        .post_json(
            "/v1/launches",
            &ops,
            &json!({
                "rocket_id": rocket_id,
                "spaceport": " Kourou ",
                "destination": "moon",
                "departure_at": departure_at.to_rfc3339(),
                "price_per_seat_cents": 12_345_678,
            }),
            &[("X-Correlation-Id", "plan-2027")],
        )
        .await;

    response.assert_status(201);
    let launch_id = response.uuid("launch_id");
    assert_eq!(response.json["status"], "scheduled");
    assert_eq!(departure(&response), departure_at);
    assert_eq!(response.json["free_seats"], 8);
    assert_eq!(response.json["refunded_bookings"], 0);
    assert_eq!(response.json["version"], 1);

    let events = app.events_of(launch_id).await;
    assert_eq!(events.len(), 1);
    let event = &events[0];
    assert_eq!(
        (event.aggregate_type.as_str(), event.sequence),
        ("Launch", 1)
    );
    assert_eq!(event.event_type, "LaunchScheduled");
    let data = event.data();
    assert_eq!(data["launch_id"], launch_id.to_string());
    assert_eq!(data["rocket_id"], rocket_id.to_string());
    assert_eq!(data["rocket_name"], "Selene IV");
    assert_eq!(data["spaceport"], "Kourou");
    assert_eq!(data["destination"], "moon");
    assert_eq!(data["capacity"], 8);
    assert_eq!(data["price_per_seat_cents"], 12_345_678);
    let stored_departure: DateTime<Utc> = data["departure_at"].as_str().unwrap().parse().unwrap();
    assert_eq!(stored_departure, departure_at);
    assert_envelope(event, &response, "plan-2027", ops_id, "employee:operations");
}

#[tokio::test]
async fn scheduling_on_an_unknown_rocket_is_422_naming_rocket_id() {
    let app = spawn_app().await;

    let response = app
        .schedule_launch(
            &app.ops_token(),
            &launch_body(Uuid::now_v7(), in_days(30), PRICE_CENTS),
        )
        .await;

    response.assert_invalid_field("rocket_id");
    assert_eq!(
        response.error_code("rocket_id").as_deref(),
        Some("unknown-rocket")
    );
    let malformed = app
        .schedule_launch(
            &app.ops_token(),
            &json!({ "rocket_id": "not-a-uuid", "spaceport": "Kourou", "destination": "moon",
                     "departure_at": in_days(30).to_rfc3339(), "price_per_seat_cents": 1 }),
        )
        .await;
    malformed.assert_invalid_field("rocket_id");
    assert_eq!(app.event_count().await, 0);
}

#[tokio::test]
async fn a_price_per_seat_out_of_range_is_422_naming_price_per_seat_cents() {
    let app = spawn_app().await;
    let rocket_id = app.new_rocket(4, "moon").await;
    let ops = app.ops_token();

    for price in [0, -5, 1_000_000_001] {
        let response = app
            .schedule_launch(&ops, &launch_body(rocket_id, in_days(30), price))
            .await;
        response.assert_invalid_field("price_per_seat_cents");
    }
    app.schedule_launch(&ops, &launch_body(rocket_id, in_days(30), 1_000_000_000))
        .await
        .assert_status(201);
    assert_eq!(app.count_events("LaunchScheduled").await, 1);
}

#[tokio::test]
async fn a_departure_in_the_past_or_unreadable_is_422_naming_departure_at() {
    let app = spawn_app().await;
    let rocket_id = app.new_rocket(4, "moon").await;
    let ops = app.ops_token();

    let past = app
        .schedule_launch(&ops, &launch_body(rocket_id, in_days(-1), PRICE_CENTS))
        .await;
    past.assert_invalid_field("departure_at");
    assert_eq!(
        past.error_code("departure_at").as_deref(),
        Some("departure-not-in-future")
    );

    let mut body = launch_body(rocket_id, in_days(10), PRICE_CENTS);
    body["departure_at"] = json!("next tuesday");
    app.schedule_launch(&ops, &body)
        .await
        .assert_invalid_field("departure_at");
    assert_eq!(app.count_events("LaunchScheduled").await, 0);
}

#[tokio::test]
async fn a_destination_beyond_the_rockets_range_is_422_naming_destination() {
    let app = spawn_app().await;
    let rocket_id = app.new_rocket(4, "low_earth_orbit").await;
    let mut body = launch_body(rocket_id, in_days(30), PRICE_CENTS);
    body["destination"] = json!("mars");

    let response = app.schedule_launch(&app.ops_token(), &body).await;

    response.assert_invalid_field("destination");
    assert_eq!(
        response.error_code("destination").as_deref(),
        Some("rocket-range-too-short")
    );
    body["destination"] = json!("suborbital");
    app.schedule_launch(&app.ops_token(), &body)
        .await
        .assert_status(201);
}

#[tokio::test]
async fn a_blank_or_overlong_spaceport_is_422_naming_spaceport() {
    let app = spawn_app().await;
    let rocket_id = app.new_rocket(4, "moon").await;
    let ops = app.ops_token();

    for spaceport in ["  ".to_owned(), "K".repeat(101)] {
        let mut body = launch_body(rocket_id, in_days(30), PRICE_CENTS);
        body["spaceport"] = json!(spaceport);
        app.schedule_launch(&ops, &body)
            .await
            .assert_invalid_field("spaceport");
    }
    assert_eq!(app.count_events("LaunchScheduled").await, 0);
}

#[tokio::test]
async fn launch_bodies_that_are_malformed_are_400_and_of_another_media_type_415() {
    let app = spawn_app().await;
    let launch = app.scheduled_launch(4, Duration::days(30)).await;
    let ops = &launch.ops_token;
    let json_type = [("content-type", "application/json")];
    let text_type = [("content-type", "text/plain")];

    for path in [
        "/v1/launches".to_owned(),
        format!("/v1/launches/{}/delay", launch.id),
        format!("/v1/launches/{}/abort", launch.id),
    ] {
        app.post_raw(&path, Some(ops), Body::Raw(r#"{"reason": "#), &json_type)
            .await
            .assert_problem(400, "malformed-request");
        app.post_raw(
            &path,
            Some(ops),
            Body::Raw(r#"{"reason": "x"}"#),
            &text_type,
        )
        .await
        .assert_problem(415, "unsupported-media-type");
    }
    let delay = format!("/v1/launches/{}/delay", launch.id);
    let unreadable_date = json!({ "new_departure_at": "later", "reason": "weather" });
    app.post_json(&delay, ops, &unreadable_date, &[])
        .await
        .assert_invalid_field("new_departure_at");
    assert_eq!(app.event_count().await, 2);
}

#[tokio::test]
async fn every_launch_command_refuses_a_missing_expired_or_foreign_token_with_401() {
    let app = spawn_app().await;
    let launch = app.scheduled_launch(4, Duration::days(30)).await;
    let mut requests = commands(launch.id);
    requests.push((
        "/v1/launches".into(),
        Some(launch_body(launch.rocket_id, in_days(30), PRICE_CENTS)),
    ));

    for (path, body) in &requests {
        for token in [
            None,
            Some(app.expired_token(OPERATIONS)),
            Some(app.foreign_token(OPERATIONS)),
        ] {
            let response = post(&app, path, token.as_deref(), body).await;
            assert_eq!(response.status, 401, "{path}: {}", response.text);
            response.assert_problem(401, "unauthorized");
        }
    }
    assert_eq!(app.event_count().await, 2);
}

#[tokio::test]
async fn every_launch_command_is_403_for_anyone_but_operations() {
    let app = spawn_app().await;
    let launch = app.scheduled_launch(4, Duration::days(30)).await;
    let mut requests = commands(launch.id);
    requests.push((
        "/v1/launches".into(),
        Some(launch_body(launch.rocket_id, in_days(30), PRICE_CENTS)),
    ));

    for (path, body) in &requests {
        for role in [
            Role::Traveler,
            Role::Agency,
            Role::Employee(Department::Finance),
            Role::Employee(Department::It),
        ] {
            let (_, token) = app.token(role);
            let response = post(&app, path, Some(&token), body).await;
            assert_eq!(response.status, 403, "{role} on {path}: {}", response.text);
            response.assert_problem(403, "forbidden");
        }
    }
    assert_eq!(app.event_count().await, 2);
}

#[tokio::test]
async fn commands_on_an_unknown_launch_are_404_and_a_malformed_launch_id_too() {
    let app = spawn_app().await;
    let ops = app.ops_token();

    for (path, body) in commands(Uuid::now_v7()) {
        let response = post(&app, &path, Some(&ops), &body).await;
        assert_eq!(response.status, 404, "{path}: {}", response.text);
        response.assert_problem(404, "launch-not-found");
    }
    for action in ["confirm", "launched"] {
        app.post_raw(
            &format!("/v1/launches/42/{action}"),
            Some(&ops),
            Body::Empty,
            &[],
        )
        .await
        .assert_problem(404, "not-found");
    }
    assert_eq!(app.event_count().await, 0);
}

#[tokio::test]
async fn confirming_a_scheduled_launch_returns_200_and_stores_launch_confirmed() {
    let app = spawn_app().await;
    let launch = app.scheduled_launch(6, Duration::days(30)).await;
    let (ops_id, ops) = app.token(OPERATIONS);

    let response = app
        .post_raw(
            &format!("/v1/launches/{}/confirm", launch.id),
            Some(&ops),
            Body::Empty,
            &[("X-Correlation-Id", "go-no-go")],
        )
        .await;

    response.assert_status(200);
    assert_eq!(response.uuid("launch_id"), launch.id);
    assert_eq!(response.json["status"], "confirmed");
    assert_eq!(departure(&response), launch.departure_at);
    assert_eq!(response.json["free_seats"], 6);
    assert_eq!(response.json["version"], 2);
    let events = app.events_of(launch.id).await;
    assert_eq!(events.len(), 2);
    assert_eq!(
        (events[1].sequence, events[1].event_type.as_str()),
        (2, "LaunchConfirmed")
    );
    assert!(events[1].data()["confirmed_at"].is_string());
    assert_envelope(
        &events[1],
        &response,
        "go-no-go",
        ops_id,
        "employee:operations",
    );

    app.launch_action(&ops, launch.id, "confirm", None)
        .await
        .assert_problem(409, "wrong-launch-status");
    assert_eq!(app.events_of(launch.id).await.len(), 2);
}

#[tokio::test]
async fn delaying_a_launch_moves_its_departure_and_it_can_be_confirmed_again() {
    let app = spawn_app().await;
    let launch = app.scheduled_launch(6, Duration::days(30)).await;
    let (ops_id, ops) = app.token(OPERATIONS);
    app.launch_action(&ops, launch.id, "confirm", None)
        .await
        .assert_status(200);
    let new_departure = in_days(60);

    let response = app
        .post_json(
            &format!("/v1/launches/{}/delay", launch.id),
            &ops,
            &json!({ "new_departure_at": new_departure.to_rfc3339(), "reason": " solar storm " }),
            &[("X-Correlation-Id", "storm-1")],
        )
        .await;

    response.assert_status(200);
    assert_eq!(response.json["status"], "delayed");
    assert_eq!(departure(&response), new_departure);
    assert_eq!(response.json["version"], 3);
    let events = app.events_of(launch.id).await;
    let delayed = &events[2];
    assert_eq!(delayed.event_type, "LaunchDelayed");
    assert_eq!(delayed.data()["reason"], "solar storm");
    let previous: DateTime<Utc> = delayed.data()["previous_departure_at"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(previous, launch.departure_at);
    assert_envelope(delayed, &response, "storm-1", ops_id, "employee:operations");

    let confirmed = app.launch_action(&ops, launch.id, "confirm", None).await;
    confirmed.assert_status(200);
    assert_eq!(confirmed.json["status"], "confirmed");
    assert_eq!(departure(&confirmed), new_departure);
}

#[tokio::test]
async fn a_delay_that_is_not_later_or_has_no_reason_is_422() {
    let app = spawn_app().await;
    let launch = app.scheduled_launch(6, Duration::days(30)).await;
    let ops = &launch.ops_token;
    let delay = |at: DateTime<Utc>, reason: &str| json!({ "new_departure_at": at.to_rfc3339(), "reason": reason });

    for earlier in [launch.departure_at, launch.departure_at - Duration::days(1)] {
        let response = app
            .launch_action(ops, launch.id, "delay", Some(&delay(earlier, "weather")))
            .await;
        response.assert_invalid_field("new_departure_at");
        assert_eq!(
            response.error_code("new_departure_at").as_deref(),
            Some("delay-not-later")
        );
    }
    app.launch_action(ops, launch.id, "delay", Some(&delay(in_days(40), "   ")))
        .await
        .assert_invalid_field("reason");
    app.launch_action(
        ops,
        launch.id,
        "delay",
        Some(&json!({ "new_departure_at": in_days(40) })),
    )
    .await
    .assert_invalid_field("reason");
    assert_eq!(app.events_of(launch.id).await.len(), 1);
}

#[tokio::test]
async fn aborting_a_launch_refunds_every_active_booking_in_full() {
    let app = spawn_app().await;
    let launch = app.scheduled_launch(10, Duration::days(400)).await;
    let (traveler_id, traveler) = app.token(Role::Traveler);
    let (agency_id, agency) = app.token(Role::Agency);
    let (_, quitter) = app.token(Role::Traveler);
    let kept_1 = app.booked(&traveler, launch.id, 2).await;
    let kept_2 = app.booked(&agency, launch.id, 3).await;
    let cancelled = app.booked(&quitter, launch.id, 1).await;
    app.cancel(&quitter, launch.id, cancelled)
        .await
        .assert_status(200);
    let (ops_id, ops) = app.token(OPERATIONS);

    let response = app
        .post_json(
            &format!("/v1/launches/{}/abort", launch.id),
            &ops,
            &json!({ "reason": "engine fault" }),
            &[("X-Correlation-Id", "abort-77")],
        )
        .await;

    response.assert_status(200);
    assert_eq!(response.json["status"], "aborted");
    assert_eq!(response.json["refunded_bookings"], 2);
    assert_eq!(response.json["free_seats"], 10);
    assert_eq!(response.json["version"], 8);
    let events = app.events_of(launch.id).await;
    let abort: Vec<_> = events.iter().filter(|e| e.sequence >= 6).collect();
    assert_eq!(
        abort
            .iter()
            .map(|e| (e.sequence, e.event_type.as_str()))
            .collect::<Vec<_>>(),
        [
            (6, "LaunchAborted"),
            (7, "BookingCancelled"),
            (8, "BookingCancelled")
        ]
    );
    assert_eq!(abort[0].data()["reason"], "engine fault");
    let mut refunds: Vec<_> = abort[1..]
        .iter()
        .map(|e| {
            let d = e.data();
            assert_eq!(d["refund_percent"], 100);
            assert_eq!(d["reason"], "launch_aborted");
            assert_eq!(
                d["refund_cents"],
                d["seats_released"].as_i64().unwrap() * PRICE_CENTS
            );
            (
                d["booking_id"].as_str().unwrap().to_owned(),
                d["holder_id"].as_str().unwrap().to_owned(),
                d["seats_released"].as_u64().unwrap(),
            )
        })
        .collect();
    refunds.sort();
    let mut expected = vec![
        (kept_1.to_string(), traveler_id.to_string(), 2),
        (kept_2.to_string(), agency_id.to_string(), 3),
    ];
    expected.sort();
    assert_eq!(refunds, expected);
    for event in &abort {
        assert_envelope(event, &response, "abort-77", ops_id, "employee:operations");
    }
    let ids: std::collections::HashSet<_> = abort.iter().map(|e| e.event_id).collect();
    assert_eq!(ids.len(), 3, "each event of the abort has its own id");
    assert_eq!(app.count_events("BookingCancelled").await, 3);
}

#[tokio::test]
async fn an_aborted_launch_refuses_every_further_command_with_409_wrong_launch_status() {
    let app = spawn_app().await;
    let launch = app.scheduled_launch(4, Duration::days(30)).await;
    let ops = &launch.ops_token;
    app.launch_action(
        ops,
        launch.id,
        "abort",
        Some(&json!({ "reason": "budget" })),
    )
    .await
    .assert_status(200);

    for (path, body) in commands(launch.id) {
        let response = post(&app, &path, Some(ops), &body).await;
        assert_eq!(response.status, 409, "{path}: {}", response.text);
        response.assert_problem(409, "wrong-launch-status");
    }
    let (_, traveler) = app.token(Role::Traveler);
    app.book(&traveler, launch.id, 1)
        .await
        .assert_problem(409, "wrong-launch-status");
    assert_eq!(app.events_of(launch.id).await.len(), 2);
}

#[tokio::test]
async fn a_launch_cannot_be_marked_launched_before_its_departure_or_unconfirmed() {
    let app = spawn_app().await;
    let launch = app.scheduled_launch(4, Duration::days(30)).await;
    let ops = &launch.ops_token;

    app.launch_action(ops, launch.id, "launched", None)
        .await
        .assert_problem(409, "wrong-launch-status");
    app.launch_action(ops, launch.id, "confirm", None)
        .await
        .assert_status(200);
    app.launch_action(ops, launch.id, "launched", None)
        .await
        .assert_problem(409, "launch-not-yet-departed");
    assert_eq!(app.events_of(launch.id).await.len(), 2);
}

#[tokio::test]
async fn a_launch_past_its_departure_refuses_bookings_and_cancellations_then_is_marked_launched() {
    let app = spawn_app().await;
    let launch = app.scheduled_launch(4, Duration::seconds(3)).await;
    let ops = &launch.ops_token;
    let (_, traveler) = app.token(Role::Traveler);
    let booking = app.booked(&traveler, launch.id, 1).await;
    app.launch_action(ops, launch.id, "confirm", None)
        .await
        .assert_status(200);

    wait_until_past(launch.departure_at).await;

    app.book(&traveler, launch.id, 1)
        .await
        .assert_problem(409, "launch-departed");
    app.cancel(&traveler, launch.id, booking)
        .await
        .assert_problem(409, "launch-departed");
    let (ops_id, ops) = app.token(OPERATIONS);
    let response = app
        .post_raw(
            &format!("/v1/launches/{}/launched", launch.id),
            Some(&ops),
            Body::Empty,
            &[("X-Correlation-Id", "liftoff")],
        )
        .await;
    response.assert_status(200);
    assert_eq!(response.json["status"], "launched");
    assert_eq!(response.json["free_seats"], 3);
    assert_eq!(response.json["version"], 4);
    let events = app.events_of(launch.id).await;
    assert_eq!(
        events
            .iter()
            .map(|e| e.event_type.as_str())
            .collect::<Vec<_>>(),
        [
            "LaunchScheduled",
            "SeatsBooked",
            "LaunchConfirmed",
            "LaunchLaunched"
        ]
    );
    assert_envelope(
        &events[3],
        &response,
        "liftoff",
        ops_id,
        "employee:operations",
    );

    app.book(&traveler, launch.id, 1)
        .await
        .assert_problem(409, "wrong-launch-status");
    app.launch_action(&ops, launch.id, "launched", None)
        .await
        .assert_problem(409, "wrong-launch-status");
    assert_eq!(app.events_of(launch.id).await.len(), 4);
}
