//! The `Rocket` aggregate: registering a rocket of the fleet.

use cqrs_es::test::TestFramework;
use cqrs_es::Aggregate;
use domain::rocket::MAX_ROCKET_CAPACITY;
use domain::{ErrorKind, Rocket, RocketCommand, RocketError};
use events::{RocketEvent, RocketRange, RocketRegistered};
use uuid::Uuid;

type RocketTest = TestFramework<Rocket>;

fn rocket_id() -> Uuid {
    Uuid::from_u128(0x20c4e7)
}

fn register(name: &str, capacity: u32) -> RocketCommand {
    RocketCommand::Register {
        rocket_id: rocket_id(),
        name: name.into(),
        capacity,
        range: RocketRange::Moon,
    }
}

fn registered(name: &str, capacity: u32) -> RocketEvent {
    RocketEvent::RocketRegistered(RocketRegistered {
        rocket_id: rocket_id(),
        name: name.into(),
        capacity,
        range: RocketRange::Moon,
    })
}

#[test]
fn registering_a_rocket_enters_it_into_the_fleet() {
    RocketTest::with(())
        .given_no_previous_events()
        .when(register("Ares IX", 8))
        .then_expect_events(vec![registered("Ares IX", 8)]);
}

#[test]
fn the_rockets_name_is_trimmed() {
    RocketTest::with(())
        .given_no_previous_events()
        .when(register("  Ares IX  ", 8))
        .then_expect_events(vec![registered("Ares IX", 8)]);
}

#[test]
fn registering_the_same_rocket_twice_is_refused() {
    RocketTest::with(())
        .given(vec![registered("Ares IX", 8)])
        .when(register("Ares X", 4))
        .then_expect_error(RocketError::AlreadyRegistered(rocket_id()));
}

#[test]
fn a_rocket_with_a_blank_name_is_refused() {
    for blank in ["", "   ", "\u{2003}"] {
        RocketTest::with(())
            .given_no_previous_events()
            .when(register(blank, 8))
            .then_expect_error(RocketError::BlankName);
    }
}

#[test]
fn a_rocket_without_seats_is_refused() {
    RocketTest::with(())
        .given_no_previous_events()
        .when(register("Ares IX", 0))
        .then_expect_error(RocketError::InvalidCapacity(0));
}

#[test]
fn a_rocket_of_10001_seats_is_refused() {
    RocketTest::with(())
        .given_no_previous_events()
        .when(register("Ares IX", 10001))
        .then_expect_error(RocketError::InvalidCapacity(10001));
}

#[test]
fn a_rocket_of_one_seat_is_allowed() {
    RocketTest::with(())
        .given_no_previous_events()
        .when(register("Ares IX", 1))
        .then_expect_events(vec![registered("Ares IX", 1)]);
}

#[test]
fn a_rocket_of_10000_seats_is_allowed() {
    assert_eq!(MAX_ROCKET_CAPACITY, 10_000);
    RocketTest::with(())
        .given_no_previous_events()
        .when(register("Ares IX", 10_000))
        .then_expect_events(vec![registered("Ares IX", 10_000)]);
}

#[test]
fn every_range_can_be_registered() {
    for range in [
        RocketRange::Suborbital,
        RocketRange::LowEarthOrbit,
        RocketRange::Moon,
        RocketRange::Mars,
    ] {
        let command = RocketCommand::Register {
            rocket_id: rocket_id(),
            name: "Ares IX".into(),
            capacity: 8,
            range,
        };
        RocketTest::with(())
            .given_no_previous_events()
            .when(command)
            .then_expect_events(vec![RocketEvent::RocketRegistered(RocketRegistered {
                rocket_id: rocket_id(),
                name: "Ares IX".into(),
                capacity: 8,
                range,
            })]);
    }
}

#[test]
fn a_registered_rocket_reports_what_was_registered() {
    let mut rocket = Rocket::default();
    assert_eq!(rocket.registered(), None);
    rocket.apply(registered("Ares IX", 8));
    let registered = rocket.registered().unwrap();
    assert_eq!(registered.name, "Ares IX");
    assert_eq!(registered.capacity, 8);
    assert_eq!(registered.range, RocketRange::Moon);
}

#[test]
fn a_refused_registration_leaves_the_rocket_unchanged() {
    let mut rocket = Rocket::default();
    rocket.apply(registered("Ares IX", 8));
    let before = rocket.clone();
    assert!(rocket.decide(register("Ares X", 4)).is_err());
    assert_eq!(rocket, before);
}

#[test]
fn a_rocket_name_with_a_control_character_is_refused() {
    for name in ["Ares\u{0}IX", "Ares IX\n", "\t", "Ares\u{9B}"] {
        RocketTest::with(())
            .given_no_previous_events()
            .when(register(name, 8))
            .then_expect_error(RocketError::InvalidName(
                domain::text::no_control(name).unwrap_err(),
            ));
    }
}

#[test]
fn rocket_refusals_are_classified_coded_and_located() {
    let cases = [
        (
            RocketError::AlreadyRegistered(rocket_id()),
            ErrorKind::Conflict,
            "rocket-already-registered",
            None,
        ),
        (
            RocketError::BlankName,
            ErrorKind::Invalid,
            "blank-name",
            Some("name"),
        ),
        (
            RocketError::InvalidName(domain::text::no_control("\u{0}").unwrap_err()),
            ErrorKind::Invalid,
            "invalid-name",
            Some("name"),
        ),
        (
            RocketError::InvalidCapacity(0),
            ErrorKind::Invalid,
            "invalid-capacity",
            Some("capacity"),
        ),
    ];
    for (error, kind, code, field) in cases {
        // Exhaustive: a new variant must be added to this table.
        match error {
            RocketError::AlreadyRegistered(_)
            | RocketError::BlankName
            | RocketError::InvalidName(_)
            | RocketError::InvalidCapacity(_) => {}
        }
        assert_eq!(error.kind(), kind, "{error:?}");
        assert_eq!(error.code(), code, "{error:?}");
        assert_eq!(error.field(), field, "{error:?}");
    }
}

#[test]
fn the_capacity_refusal_states_the_allowed_range() {
    assert_eq!(
        RocketError::InvalidCapacity(10001).to_string(),
        "capacity must be between 1 and 10000 seats, not 10001"
    );
}
