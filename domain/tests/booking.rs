//! Booking seats: passengers, ages, seat inventory, price snapshot, and when
//! a launch is on sale.

mod common;

use chrono::Duration;
use common::*;
use cqrs_es::Aggregate;
use domain::policy::MAX_PASSENGERS_PER_BOOKING;
use domain::{BookingRecord, LaunchCommand, LaunchError, LaunchStatus};
use events::{HolderKind, LaunchEvent, LaunchScheduled, Passenger, SeatsBooked};

fn age_error(index: usize, age: i32) -> LaunchError {
    LaunchError::PassengerAge { index, age }
}

// -------------------------------------------------------------- the event

#[test]
fn booking_seats_snapshots_the_unit_price_and_totals_it() {
    let party = passengers(3);
    LaunchTest::with(())
        .given(vec![scheduled()])
        .when(book(booking_id(1), party.clone()))
        .then_expect_events(vec![LaunchEvent::SeatsBooked(SeatsBooked {
            booking_id: booking_id(1),
            holder_id: holder(),
            holder_kind: HolderKind::Traveler,
            passengers: party,
            seats: 3,
            unit_price_cents: 25_000_000,
            total_cents: 75_000_000,
            booked_at: now(),
        })]);
}

#[test]
fn the_total_is_seats_times_the_launchs_price_at_booking_time() {
    let party = passengers(6);
    let launch = launch_after([LaunchEvent::LaunchScheduled(LaunchScheduled {
        price_per_seat_cents: 123_457,
        ..scheduled_launch()
    })]);
    let events = launch.decide(book(booking_id(1), party)).unwrap();
    let [LaunchEvent::SeatsBooked(booked)] = events.as_slice() else {
        panic!("expected one SeatsBooked, got {events:?}");
    };
    assert_eq!(booked.seats, 6);
    assert_eq!(booked.unit_price_cents, 123_457);
    assert_eq!(booked.total_cents, 740_742);
}

#[test]
fn an_agency_booking_records_the_agency_as_holder() {
    let agency = stranger();
    let party = passengers(2);
    LaunchTest::with(())
        .given(vec![scheduled()])
        .when(LaunchCommand::BookSeats {
            booking_id: booking_id(1),
            holder_id: agency,
            holder_kind: HolderKind::Agency,
            passengers: party.clone(),
            now: now(),
        })
        .then_expect_events(vec![LaunchEvent::SeatsBooked(SeatsBooked {
            booking_id: booking_id(1),
            holder_id: agency,
            holder_kind: HolderKind::Agency,
            passengers: party,
            seats: 2,
            unit_price_cents: PRICE,
            total_cents: 2 * PRICE,
            booked_at: now(),
        })]);
}

#[test]
fn passengers_are_recorded_as_given_with_their_email() {
    let party = vec![Passenger {
        name: "Valentina Tereshkova".into(),
        birth_date: date(1990, 3, 6),
        email: Some("valentina@example.com".into()),
    }];
    LaunchTest::with(())
        .given(vec![scheduled()])
        .when(book(booking_id(1), party.clone()))
        .then_expect_events(vec![seats_booked_at_price(booking_id(1), party, PRICE)]);
}

#[test]
fn the_booking_record_remembers_holder_seats_total_and_sequence() {
    let launch = launch_after([scheduled(), confirmed(), booked(booking_id(1), 4)]);
    assert_eq!(
        launch.booking(&booking_id(1)),
        Some(&BookingRecord {
            holder_id: holder(),
            holder_kind: HolderKind::Traveler,
            seats: 4,
            total_cents: 4 * PRICE,
            booked_at_sequence: 3,
            cancelled: false,
        })
    );
    assert_eq!(launch.free_seats(), CAPACITY - 4);
    assert_eq!(launch.booking(&booking_id(2)), None);
}

#[test]
fn the_booking_keeps_its_snapshotted_total_whatever_the_launchs_price() {
    // A booking made at an earlier price (an older offer) keeps that price.
    let launch = launch_after([
        scheduled(),
        seats_booked_at_price(booking_id(1), passengers(2), 19_999),
    ]);
    assert_eq!(launch.booking(&booking_id(1)).unwrap().total_cents, 39_998);
}

#[test]
fn a_booking_id_already_used_on_the_launch_is_refused() {
    LaunchTest::with(())
        .given(vec![scheduled(), booked(booking_id(1), 1)])
        .when(book(booking_id(1), passengers(1)))
        .then_expect_error(LaunchError::DuplicateBooking(booking_id(1)));
}

#[test]
fn a_booking_id_of_a_cancelled_booking_cannot_be_reused() {
    LaunchTest::with(())
        .given(vec![
            scheduled(),
            booked(booking_id(1), 1),
            cancelled_by_holder(booking_id(1), 1, 90, now()),
        ])
        .when(book(booking_id(1), passengers(1)))
        .then_expect_error(LaunchError::DuplicateBooking(booking_id(1)));
}

// -------------------------------------------------------------- passengers

#[test]
fn a_booking_without_passengers_is_refused() {
    LaunchTest::with(())
        .given(vec![scheduled()])
        .when(book(booking_id(1), vec![]))
        .then_expect_error(LaunchError::NoPassengers);
}

#[test]
fn a_booking_of_six_passengers_is_allowed() {
    assert_eq!(MAX_PASSENGERS_PER_BOOKING, 6);
    LaunchTest::with(())
        .given(vec![scheduled()])
        .when(book(booking_id(1), passengers(6)))
        .then_expect_events(vec![booked(booking_id(1), 6)]);
}

#[test]
fn a_booking_of_seven_passengers_is_refused() {
    LaunchTest::with(())
        .given(vec![scheduled()])
        .when(book(booking_id(1), passengers(7)))
        .then_expect_error(LaunchError::TooManyPassengers(7));
}

#[test]
fn a_passenger_with_a_blank_name_is_refused_by_position() {
    for blank in ["", "   ", "\u{3000}"] {
        let mut party = passengers(3);
        party[2].name = blank.into();
        LaunchTest::with(())
            .given(vec![scheduled()])
            .when(book(booking_id(1), party))
            .then_expect_error(LaunchError::BlankPassengerName(2));
    }
}

#[test]
fn a_passenger_name_or_email_with_a_control_character_is_refused_by_field() {
    let mut party = passengers(3);
    party[1].name = "Ada\u{0}Lovelace".into();
    LaunchTest::with(())
        .given(vec![scheduled()])
        .when(book(booking_id(1), party))
        .then_expect_error(LaunchError::ControlCharacter {
            field: "passengers[1].name".into(),
            error: domain::text::no_control("Ada\u{0}").unwrap_err(),
        });
    let mut party = passengers(2);
    party[0].email = Some("ada@example.org\r\nBcc: x@example.org".into());
    LaunchTest::with(())
        .given(vec![scheduled()])
        .when(book(booking_id(1), party))
        .then_expect_error(LaunchError::ControlCharacter {
            field: "passengers[0].email".into(),
            error: domain::text::no_control("ada@example.org\r").unwrap_err(),
        });
}

// -------------------------------------------------------------------- ages

#[test]
fn a_passenger_who_turns_18_on_departure_day_is_allowed() {
    let party = vec![passenger_turning(18)];
    LaunchTest::with(())
        .given(vec![scheduled()])
        .when(book(booking_id(1), party.clone()))
        .then_expect_events(vec![seats_booked_at_price(booking_id(1), party, PRICE)]);
}

#[test]
fn a_passenger_one_day_short_of_18_on_departure_day_is_refused() {
    let one_day_short = passenger_born(passenger_turning(18).birth_date + Duration::days(1));
    LaunchTest::with(())
        .given(vec![scheduled()])
        .when(book(booking_id(1), vec![one_day_short]))
        .then_expect_error(age_error(0, 17));
}

#[test]
fn a_passenger_of_70_is_allowed_up_to_the_day_before_their_71st_birthday() {
    let oldest = passenger_born(passenger_turning(71).birth_date + Duration::days(1));
    LaunchTest::with(())
        .given(vec![scheduled()])
        .when(book(booking_id(1), vec![oldest.clone()]))
        .then_expect_events(vec![seats_booked_at_price(
            booking_id(1),
            vec![oldest],
            PRICE,
        )]);
}

#[test]
fn a_passenger_who_turns_71_on_departure_day_is_refused() {
    LaunchTest::with(())
        .given(vec![scheduled()])
        .when(book(booking_id(1), vec![passenger_turning(71)]))
        .then_expect_error(age_error(0, 71));
}

#[test]
fn a_child_is_refused() {
    LaunchTest::with(())
        .given(vec![scheduled()])
        .when(book(booking_id(1), vec![passenger_aged(9)]))
        .then_expect_error(age_error(0, 9));
}

#[test]
fn the_age_refusal_names_the_passenger_by_position_and_field() {
    let mut party = passengers(5);
    party[3] = passenger_aged(80);
    let error = launch_after([scheduled()])
        .decide(book(booking_id(1), party))
        .unwrap_err();
    assert_eq!(error, age_error(3, 80));
    assert_eq!(error.field().as_deref(), Some("passengers[3].birth_date"));
    assert_eq!(
        error.to_string(),
        "passenger 3 would be 80 at departure; passengers must be 18 to 70"
    );
}

#[test]
fn the_first_offending_passenger_is_reported() {
    let party = vec![passenger_aged(30), passenger_aged(17), passenger_aged(75)];
    LaunchTest::with(())
        .given(vec![scheduled()])
        .when(book(booking_id(1), party))
        .then_expect_error(age_error(1, 17));
}

#[test]
fn a_passenger_born_on_29_february_is_not_yet_18_on_28_february_of_a_common_year() {
    // Born 2008-02-29; 2026 is not a leap year.
    let departing = at(2026, 2, 28, 10, 0);
    LaunchTest::with(())
        .given(vec![scheduled_departing(departing)])
        .when(book(booking_id(1), vec![passenger_born(date(2008, 2, 29))]))
        .then_expect_error(age_error(0, 17));
}

#[test]
fn a_passenger_born_on_29_february_is_18_on_1_march_of_a_common_year() {
    let party = vec![passenger_born(date(2008, 2, 29))];
    LaunchTest::with(())
        .given(vec![scheduled_departing(at(2026, 3, 1, 10, 0))])
        .when(book(booking_id(1), party.clone()))
        .then_expect_events(vec![seats_booked_at_price(booking_id(1), party, PRICE)]);
}

#[test]
fn the_age_is_taken_on_the_utc_departure_date() {
    // Departs 2027-06-15 at 00:30 UTC: a passenger whose 18th birthday is
    // 2027-06-15 flies; one born a day later does not.
    let departing = at(2027, 6, 15, 0, 30);
    let launch = launch_after([scheduled_departing(departing)]);
    assert!(launch
        .decide(book(booking_id(1), vec![passenger_born(date(2009, 6, 15))]))
        .is_ok());
    assert_eq!(
        launch.decide(book(booking_id(1), vec![passenger_born(date(2009, 6, 16))])),
        Err(age_error(0, 17))
    );
}

#[test]
fn after_a_delay_ages_are_taken_on_the_new_departure_day() {
    let new_departure = departure() + Duration::days(2);
    let turns_18_tomorrow = passenger_born(passenger_turning(18).birth_date + Duration::days(1));
    let turns_71_tomorrow = passenger_born(passenger_turning(71).birth_date + Duration::days(1));

    let before = launch_after([scheduled()]);
    assert_eq!(
        before.decide(book(booking_id(1), vec![turns_18_tomorrow.clone()])),
        Err(age_error(0, 17))
    );
    assert!(before
        .decide(book(booking_id(1), vec![turns_71_tomorrow.clone()]))
        .is_ok());

    let after = launch_after([scheduled(), delayed(departure(), new_departure)]);
    assert!(after
        .decide(book(booking_id(1), vec![turns_18_tomorrow]))
        .is_ok());
    assert_eq!(
        after.decide(book(booking_id(1), vec![turns_71_tomorrow])),
        Err(age_error(0, 71))
    );
}

// -------------------------------------------------------------------- seats

#[test]
fn booking_the_last_free_seat_succeeds() {
    LaunchTest::with(())
        .given(vec![scheduled_with_capacity(3), booked(booking_id(1), 2)])
        .when(book(booking_id(2), passengers(1)))
        .then_expect_events(vec![booked(booking_id(2), 1)]);
}

#[test]
fn booking_one_seat_more_than_are_free_is_refused() {
    LaunchTest::with(())
        .given(vec![scheduled_with_capacity(3), booked(booking_id(1), 2)])
        .when(book(booking_id(2), passengers(2)))
        .then_expect_error(LaunchError::NotEnoughSeats {
            requested: 2,
            free: 1,
        });
}

#[test]
fn a_full_launch_refuses_even_one_seat() {
    LaunchTest::with(())
        .given(vec![scheduled_with_capacity(3), booked(booking_id(1), 3)])
        .when(book(booking_id(2), passengers(1)))
        .then_expect_error(LaunchError::NotEnoughSeats {
            requested: 1,
            free: 0,
        });
}

#[test]
fn seats_released_by_a_cancellation_can_be_booked_again() {
    LaunchTest::with(())
        .given(vec![
            scheduled_with_capacity(3),
            booked(booking_id(1), 3),
            cancelled_by_holder(booking_id(1), 3, 90, now()),
        ])
        .when(book(booking_id(2), passengers(3)))
        .then_expect_events(vec![booked(booking_id(2), 3)]);
}

#[test]
fn capacity_is_never_exceeded_across_many_bookings() {
    let mut launch = launch_after([scheduled_with_capacity(10)]);
    let mut sold = 0;
    let mut refusals = Vec::new();
    for (n, seats) in [3, 3, 3, 2, 6, 1, 1, 1, 4].into_iter().enumerate() {
        match launch.decide(book(booking_id(n as u128), passengers(seats))) {
            Ok(events) => {
                for event in events {
                    launch.apply(event);
                }
                sold += seats as u32;
            }
            Err(error) => refusals.push((n, error)),
        }
        assert!(sold <= 10);
        assert_eq!(launch.free_seats(), 10 - sold);
    }
    assert_eq!(sold, 10);
    assert_eq!(
        refusals,
        vec![
            (
                3,
                LaunchError::NotEnoughSeats {
                    requested: 2,
                    free: 1
                }
            ),
            (
                4,
                LaunchError::NotEnoughSeats {
                    requested: 6,
                    free: 1
                }
            ),
            (
                6,
                LaunchError::NotEnoughSeats {
                    requested: 1,
                    free: 0
                }
            ),
            (
                7,
                LaunchError::NotEnoughSeats {
                    requested: 1,
                    free: 0
                }
            ),
            (
                8,
                LaunchError::NotEnoughSeats {
                    requested: 4,
                    free: 0
                }
            ),
        ]
    );
}

// ---------------------------------------------------------- when on sale

#[test]
fn a_confirmed_launch_can_be_booked() {
    LaunchTest::with(())
        .given(vec![scheduled(), confirmed()])
        .when(book(booking_id(1), passengers(2)))
        .then_expect_events(vec![booked(booking_id(1), 2)]);
}

#[test]
fn a_delayed_launch_can_be_booked_past_its_original_departure_time() {
    let new_departure = departure() + Duration::days(10);
    let at_old_departure = departure() + Duration::hours(1);
    let party = passengers(1);
    let mut expected = seats_booked_at_price(booking_id(1), party.clone(), PRICE);
    if let LaunchEvent::SeatsBooked(e) = &mut expected {
        e.booked_at = at_old_departure;
    }
    LaunchTest::with(())
        .given(vec![scheduled(), delayed(departure(), new_departure)])
        .when(book_at(booking_id(1), party, at_old_departure))
        .then_expect_events(vec![expected]);
}

#[test]
fn booking_one_minute_before_departure_is_allowed() {
    let last_minute = departure() - Duration::minutes(1);
    let events = launch_after([scheduled(), confirmed()])
        .decide(book_at(booking_id(1), passengers(1), last_minute))
        .unwrap();
    assert!(matches!(
        events.as_slice(),
        [LaunchEvent::SeatsBooked(SeatsBooked { booked_at, .. })] if *booked_at == last_minute
    ));
}

#[test]
fn booking_at_the_departure_time_is_refused() {
    LaunchTest::with(())
        .given(vec![scheduled(), confirmed()])
        .when(book_at(booking_id(1), passengers(1), departure()))
        .then_expect_error(LaunchError::Departed);
}

#[test]
fn booking_after_the_departure_time_is_refused() {
    LaunchTest::with(())
        .given(vec![scheduled()])
        .when(book_at(
            booking_id(1),
            passengers(1),
            departure() + Duration::days(1),
        ))
        .then_expect_error(LaunchError::Departed);
}

#[test]
fn booking_a_launched_launch_is_refused() {
    LaunchTest::with(())
        .given(vec![scheduled(), confirmed(), launched(departure())])
        .when(book(booking_id(1), passengers(1)))
        .then_expect_error(LaunchError::WrongStatus {
            action: "book",
            status: LaunchStatus::Launched,
        });
}

#[test]
fn booking_an_aborted_launch_is_refused() {
    LaunchTest::with(())
        .given(vec![scheduled(), aborted(now())])
        .when(book(booking_id(1), passengers(1)))
        .then_expect_error(LaunchError::WrongStatus {
            action: "book",
            status: LaunchStatus::Aborted,
        });
}
