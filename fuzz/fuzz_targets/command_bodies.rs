//! The JSON body of every command of the command API, through the path its
//! routes take: `platform::http::parse_json` into the request type (what
//! `JsonBody` does), the route's validation, then the domain's decision on
//! an aggregate that can take the command.
//!
//! Input: the first byte picks the command, the rest is the body.
//! Invariants: nothing panics; a body refused is a 400 or a 422 naming
//! fields; an accepted body's normalized form is accepted again unchanged;
//! every event decided round-trips through its stored JSON.
#![no_main]

use chrono::{DateTime, Duration, TimeZone, Utc};
use command_api::routes::{bookings, launches, profiles, rockets};
use cqrs_es::{Aggregate, DomainEvent};
use domain::{
    Launch, LaunchCommand, ProfileCommand, Rocket, RocketCommand, RocketSpec, UserProfile,
};
use events::{HolderKind, RocketRange};
use libfuzzer_sys::fuzz_target;
use platform::http::parse_json;
use platform::{Department, Problem, Role};
use serde_json::json;
use uuid::Uuid;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, body)) = data.split_first() else {
        return;
    };
    match selector % 8 {
        0 => register_rocket(body),
        1 => schedule(body),
        2 => delay(body),
        3 => abort(body),
        4 => book(body),
        5 => profile(body, Role::Traveler),
        6 => profile(body, Role::Agency),
        _ => profile(body, Role::Employee(Department::Operations)),
    }
});

/// When the commands run: fixed, so that a crash reproduces.
fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 25, 10, 0, 0).unwrap()
}

/// A refusal is a client error that names what is wrong.
fn check_refusal(problem: &Problem) {
    match problem.status {
        400 => assert!(problem.errors.is_empty(), "{problem:?}"),
        422 => {
            assert!(!problem.errors.is_empty(), "{problem:?}");
            assert!(
                problem.errors.iter().all(|e| !e.field.is_empty()),
                "{problem:?}"
            );
        }
        other => panic!("a body was refused with {other}: {problem:?}"),
    }
    serde_json::to_string(problem).expect("a problem serializes");
}

/// Parses like `JsonBody`; `None` (after checking the refusal) when refused.
fn parse<T: serde::de::DeserializeOwned>(body: &[u8]) -> Option<T> {
    parse_json(body).map_err(|p| check_refusal(&p)).ok()
}

/// Stored events are read back as they were written.
fn round_trip<E: DomainEvent + PartialEq>(events: &[E]) {
    for event in events {
        let text = serde_json::to_string(event).expect("an event serializes");
        let back: E = serde_json::from_str(&text).expect("a stored event reads back");
        assert!(back == *event, "{text}");
        assert!(!event.event_type().is_empty());
    }
}

fn decide_launch(launch: &mut Launch, command: LaunchCommand) {
    if let Ok(events) = launch.decide(command) {
        round_trip(&events);
        for event in events {
            launch.apply(event);
        }
    }
}

/// A launch on sale, departing in a year, with room for anyone.
fn scheduled() -> Launch {
    let mut launch = Launch::default();
    let command = LaunchCommand::Schedule {
        launch_id: Uuid::from_u128(1),
        rocket: rocket(),
        spaceport: "Kourou".into(),
        destination: RocketRange::Moon,
        departure_at: now() + Duration::days(365),
        price_per_seat_cents: 25_000_000,
        now: now(),
    };
    for event in launch.decide(command).expect("a valid schedule") {
        launch.apply(event);
    }
    launch
}

fn rocket() -> RocketSpec {
    RocketSpec {
        id: Uuid::from_u128(2),
        name: "Starhopper".into(),
        capacity: 10_000,
        range: RocketRange::Mars,
    }
}

fn register_rocket(body: &[u8]) {
    let Some(request) = parse::<rockets::RegisterRocket>(body) else {
        return;
    };
    if let Err(problem) = rockets::validate(&request) {
        return check_refusal(&problem);
    }
    let command = RocketCommand::Register {
        rocket_id: Uuid::from_u128(2),
        name: request.name,
        capacity: request.capacity,
        range: request.range,
    };
    let mut aggregate = Rocket::default();
    if let Ok(events) = aggregate.decide(command) {
        round_trip(&events);
        for event in events {
            aggregate.apply(event);
        }
        assert!(aggregate.registered().is_some());
    }
}

fn schedule(body: &[u8]) {
    let Some(request) = parse::<launches::ScheduleLaunch>(body) else {
        return;
    };
    if let Err(problem) = launches::check_schedule(&request) {
        return check_refusal(&problem);
    }
    let command = LaunchCommand::Schedule {
        launch_id: Uuid::from_u128(1),
        rocket: rocket(),
        spaceport: request.spaceport,
        destination: request.destination,
        departure_at: request.departure_at,
        price_per_seat_cents: request.price_per_seat_cents,
        now: now(),
    };
    decide_launch(&mut Launch::default(), command);
}

fn delay(body: &[u8]) {
    let Some(request) = parse::<launches::DelayLaunch>(body) else {
        return;
    };
    if let Err(problem) = launches::check_reason(&request.reason) {
        return check_refusal(&problem);
    }
    let command = LaunchCommand::Delay {
        new_departure_at: request.new_departure_at,
        reason: request.reason,
        now: now(),
    };
    decide_launch(&mut scheduled(), command);
}

fn abort(body: &[u8]) {
    let Some(request) = parse::<launches::AbortLaunch>(body) else {
        return;
    };
    if let Err(problem) = launches::check_reason(&request.reason) {
        return check_refusal(&problem);
    }
    let mut launch = scheduled();
    book_one(&mut launch);
    let command = LaunchCommand::Abort {
        reason: request.reason,
        now: now(),
    };
    decide_launch(&mut launch, command);
}

/// A booking on the launch, so that an abort has one to refund.
fn book_one(launch: &mut Launch) {
    let command = LaunchCommand::BookSeats {
        booking_id: Uuid::from_u128(3),
        holder_id: Uuid::from_u128(4),
        holder_kind: HolderKind::Traveler,
        passengers: vec![events::Passenger {
            name: "Ada Lovelace".into(),
            birth_date: chrono::NaiveDate::from_ymd_opt(1985, 12, 10).unwrap(),
            email: None,
        }],
        now: now(),
    };
    decide_launch(launch, command);
    assert_eq!(launch.free_seats(), 9_999);
}

fn book(body: &[u8]) {
    let Some(request) = parse::<bookings::BookSeats>(body) else {
        return;
    };
    let passengers = match bookings::passengers(request) {
        Ok(passengers) => passengers,
        Err(problem) => return check_refusal(&problem),
    };
    // What was accepted, sent again, is accepted as it is.
    let again = json!({ "passengers": passengers.iter().map(|p| json!({
        "name": p.name, "birth_date": p.birth_date, "email": p.email,
    })).collect::<Vec<_>>() })
    .to_string();
    let request = parse_json::<bookings::BookSeats>(again.as_bytes()).expect("re-sent body parses");
    let normalized = bookings::passengers(request).expect("normalized passengers are valid");
    assert_eq!(normalized, passengers);
    let mut launch = scheduled();
    let command = LaunchCommand::BookSeats {
        booking_id: Uuid::from_u128(5),
        holder_id: Uuid::from_u128(6),
        holder_kind: HolderKind::Agency,
        passengers,
        now: now(),
    };
    decide_launch(&mut launch, command);
    let cancel = LaunchCommand::CancelBooking {
        booking_id: Uuid::from_u128(5),
        requested_by: Uuid::from_u128(6),
        now: now() + Duration::days(100),
    };
    decide_launch(&mut launch, cancel);
}

fn profile(body: &[u8], role: Role) {
    let Some(request) = parse::<profiles::UpdateProfile>(body) else {
        return;
    };
    let kind = profiles::kind_of(role);
    if let Err(problem) = profiles::validate(kind, &request.profile) {
        return check_refusal(&problem);
    }
    let mut aggregate = UserProfile::default();
    let command = ProfileCommand::Update {
        user_id: Uuid::from_u128(7),
        kind,
        profile: request.profile,
        today: Utc::now().date_naive(),
    };
    let Ok(events) = aggregate.decide(command) else {
        return;
    };
    round_trip(&events);
    for event in events {
        aggregate.apply(event);
    }
    // The profile as stored (trimmed, normalized) is valid as it is.
    let stored = aggregate
        .current()
        .expect("an accepted update leaves a profile");
    if let Err(problem) = profiles::validate(kind, stored) {
        panic!("the stored profile is refused: {problem:?}");
    }
}
