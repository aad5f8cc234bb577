//! How refusals are read outside the domain: kind, code, field, message.

use std::collections::HashSet;
use std::mem::discriminant;

use chrono::{TimeZone, Utc};
use domain::{ErrorKind, LaunchError, LaunchStatus, RocketError};
use events::{Destination, RocketRange};
use uuid::Uuid;

/// One value of every `LaunchError` variant with the kind, code and field
/// it must map to.
fn launch_errors() -> Vec<(LaunchError, ErrorKind, &'static str, Option<&'static str>)> {
    use ErrorKind::*;
    use LaunchError as E;
    let id = Uuid::from_u128(7);
    let when = Utc.with_ymd_and_hms(2027, 6, 15, 9, 0, 0).unwrap();
    let cases = vec![
        (E::NotFound, NotFound, "launch-not-found", None),
        (
            E::AlreadyScheduled(id),
            Conflict,
            "launch-already-scheduled",
            None,
        ),
        (
            E::WrongStatus {
                action: "book",
                status: LaunchStatus::Aborted,
            },
            Conflict,
            "wrong-launch-status",
            None,
        ),
        (
            E::DepartureNotInFuture,
            Invalid,
            "departure-not-in-future",
            Some("departure_at"),
        ),
        (
            E::DelayNotLater(when),
            Invalid,
            "delay-not-later",
            Some("new_departure_at"),
        ),
        (
            E::RocketRangeTooShort {
                range: RocketRange::Suborbital,
                destination: Destination::Moon,
            },
            Invalid,
            "rocket-range-too-short",
            Some("destination"),
        ),
        (
            E::PriceOutOfRange,
            Invalid,
            "price-out-of-range",
            Some("price_per_seat_cents"),
        ),
        (
            E::Blank("spaceport"),
            Invalid,
            "blank-field",
            Some("spaceport"),
        ),
        (
            E::ControlCharacter {
                field: "passengers[1].name".into(),
                error: domain::text::no_control("Ada\u{0}").unwrap_err(),
            },
            Invalid,
            "control-character",
            Some("passengers[1].name"),
        ),
        (E::Departed, Conflict, "launch-departed", None),
        (E::NotYetDeparted, Conflict, "launch-not-yet-departed", None),
        (
            E::NoPassengers,
            Invalid,
            "no-passengers",
            Some("passengers"),
        ),
        (
            E::TooManyPassengers(7),
            Invalid,
            "too-many-passengers",
            Some("passengers"),
        ),
        (
            E::PassengerAge { index: 2, age: 71 },
            Invalid,
            "passenger-age",
            Some("passengers[2].birth_date"),
        ),
        (
            E::BlankPassengerName(4),
            Invalid,
            "blank-passenger-name",
            Some("passengers[4].name"),
        ),
        (
            E::NotEnoughSeats {
                requested: 2,
                free: 1,
            },
            Conflict,
            "not-enough-seats",
            None,
        ),
        (E::DuplicateBooking(id), Conflict, "duplicate-booking", None),
        (E::BookingNotFound, NotFound, "booking-not-found", None),
        (
            E::AlreadyCancelled,
            Conflict,
            "booking-already-cancelled",
            None,
        ),
    ];
    // Exhaustive: adding a variant to LaunchError breaks this until the
    // table above covers it.
    for (error, ..) in &cases {
        match error {
            E::NotFound
            | E::AlreadyScheduled(_)
            | E::WrongStatus { .. }
            | E::DepartureNotInFuture
            | E::DelayNotLater(_)
            | E::RocketRangeTooShort { .. }
            | E::PriceOutOfRange
            | E::Blank(_)
            | E::ControlCharacter { .. }
            | E::Departed
            | E::NotYetDeparted
            | E::NoPassengers
            | E::TooManyPassengers(_)
            | E::PassengerAge { .. }
            | E::BlankPassengerName(_)
            | E::NotEnoughSeats { .. }
            | E::DuplicateBooking(_)
            | E::BookingNotFound
            | E::AlreadyCancelled => {}
        }
    }
    cases
}

fn rocket_errors() -> Vec<RocketError> {
    vec![
        RocketError::AlreadyRegistered(Uuid::from_u128(7)),
        RocketError::BlankName,
        RocketError::InvalidName(domain::text::no_control("\n").unwrap_err()),
        RocketError::InvalidCapacity(0),
    ]
}

#[test]
fn the_table_holds_every_launch_error_variant_once() {
    let cases = launch_errors();
    let variants: HashSet<_> = cases.iter().map(|(e, ..)| discriminant(e)).collect();
    assert_eq!(variants.len(), cases.len());
    assert_eq!(cases.len(), 19);
}

#[test]
fn every_launch_refusal_has_its_kind() {
    for (error, kind, ..) in launch_errors() {
        assert_eq!(error.kind(), kind, "{error:?}");
    }
}

#[test]
fn every_launch_refusal_has_its_stable_code() {
    for (error, _, code, _) in launch_errors() {
        assert_eq!(error.code(), code, "{error:?}");
    }
}

#[test]
fn invalid_values_name_their_field_and_other_refusals_none() {
    for (error, kind, _, field) in launch_errors() {
        assert_eq!(error.field().as_deref(), field, "{error:?}");
        if kind == ErrorKind::Invalid {
            assert!(error.field().is_some(), "{error:?} should name a field");
        } else {
            assert!(error.field().is_none(), "{error:?} should not name a field");
        }
    }
}

#[test]
fn codes_are_unique_across_every_refusal_of_every_aggregate() {
    let mut seen = HashSet::new();
    let rockets = rocket_errors();
    let codes = launch_errors()
        .into_iter()
        .map(|(e, ..)| e.code())
        .chain(rockets.iter().map(RocketError::code));
    for code in codes {
        assert!(seen.insert(code), "duplicate code {code}");
        assert!(
            code.chars().all(|c| c.is_ascii_lowercase() || c == '-'),
            "{code} is not kebab-case"
        );
    }
    assert_eq!(seen.len(), 23);
}

#[test]
fn refusals_read_as_sentences() {
    let cases = [
        (
            LaunchError::WrongStatus {
                action: "cancel a booking of",
                status: LaunchStatus::Launched,
            },
            "cannot cancel a booking of a launch that is launched",
        ),
        (
            LaunchError::RocketRangeTooShort {
                range: RocketRange::Suborbital,
                destination: Destination::Moon,
            },
            "a suborbital rocket cannot fly to moon",
        ),
        (
            LaunchError::TooManyPassengers(7),
            "a booking holds at most 6 passengers, not 7",
        ),
        (
            LaunchError::NotEnoughSeats {
                requested: 2,
                free: 1,
            },
            "only 1 seats are free, 2 requested",
        ),
        (LaunchError::Blank("reason"), "reason must not be blank"),
        (
            LaunchError::ControlCharacter {
                field: "reason".into(),
                error: domain::text::no_control("late\u{0}").unwrap_err(),
            },
            "reason must not contain control characters (U+0000 at character 4)",
        ),
    ];
    for (error, message) in cases {
        assert_eq!(error.to_string(), message);
    }
}
