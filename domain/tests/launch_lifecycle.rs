//! The launch lifecycle: schedule, confirm, delay, abort, mark launched, and
//! what the aggregate reports about itself.

mod common;

use chrono::Duration;
use common::*;
use cqrs_es::event_sink::EventSink;
use cqrs_es::Aggregate;
use domain::{LaunchCommand, LaunchError, LaunchStatus};
use events::{
    Destination, LaunchAborted, LaunchConfirmed, LaunchDelayed, LaunchEvent, LaunchLaunched,
    LaunchScheduled, RocketRange,
};

fn schedule_with(edit: impl FnOnce(&mut LaunchCommand)) -> LaunchCommand {
    let mut command = schedule_command();
    edit(&mut command);
    command
}

fn confirm() -> LaunchCommand {
    LaunchCommand::Confirm { now: now() }
}

fn delay_to(new_departure_at: chrono::DateTime<chrono::Utc>) -> LaunchCommand {
    LaunchCommand::Delay {
        new_departure_at,
        reason: "weather".into(),
        now: now(),
    }
}

fn abort() -> LaunchCommand {
    LaunchCommand::Abort {
        reason: "engine failure".into(),
        now: now(),
    }
}

fn mark_launched_at(now: chrono::DateTime<chrono::Utc>) -> LaunchCommand {
    LaunchCommand::MarkLaunched { now }
}

fn wrong_status(action: &'static str, status: LaunchStatus) -> LaunchError {
    LaunchError::WrongStatus { action, status }
}

fn later() -> chrono::DateTime<chrono::Utc> {
    departure() + Duration::days(30)
}

// ---------------------------------------------------------------- schedule

#[test]
fn scheduling_a_launch_puts_it_on_sale_with_the_rockets_capacity_and_name() {
    LaunchTest::with(())
        .given_no_previous_events()
        .when(schedule_command())
        .then_expect_events(vec![LaunchEvent::LaunchScheduled(LaunchScheduled {
            launch_id: launch_id(),
            rocket_id: rocket_id(),
            rocket_name: "Ares IX".into(),
            spaceport: "Kourou".into(),
            destination: Destination::Moon,
            departure_at: departure(),
            price_per_seat_cents: PRICE,
            capacity: CAPACITY,
        })]);
}

#[test]
fn the_spaceport_is_trimmed_when_scheduling() {
    LaunchTest::with(())
        .given_no_previous_events()
        .when(schedule_with(|c| {
            if let LaunchCommand::Schedule { spaceport, .. } = c {
                *spaceport = "  Kourou  ".into();
            }
        }))
        .then_expect_events(vec![scheduled()]);
}

#[test]
fn a_blank_spaceport_is_refused() {
    for blank in ["", "   "] {
        LaunchTest::with(())
            .given_no_previous_events()
            .when(schedule_with(|c| {
                if let LaunchCommand::Schedule { spaceport, .. } = c {
                    *spaceport = blank.into();
                }
            }))
            .then_expect_error(LaunchError::Blank("spaceport"));
    }
}

#[test]
fn a_spaceport_or_reason_with_a_control_character_is_refused() {
    let nul = || domain::text::no_control("\u{0}").unwrap_err();
    LaunchTest::with(())
        .given_no_previous_events()
        .when(schedule_with(|c| {
            if let LaunchCommand::Schedule { spaceport, .. } = c {
                *spaceport = "\u{0}Kourou".into();
            }
        }))
        .then_expect_error(LaunchError::ControlCharacter {
            field: "spaceport".into(),
            error: nul(),
        });
    LaunchTest::with(())
        .given(vec![scheduled()])
        .when(LaunchCommand::Delay {
            new_departure_at: later(),
            reason: "\u{0}weather".into(),
            now: now(),
        })
        .then_expect_error(LaunchError::ControlCharacter {
            field: "reason".into(),
            error: nul(),
        });
    LaunchTest::with(())
        .given(vec![scheduled()])
        .when(LaunchCommand::Abort {
            reason: "\u{0}storm".into(),
            now: now(),
        })
        .then_expect_error(LaunchError::ControlCharacter {
            field: "reason".into(),
            error: nul(),
        });
}

#[test]
fn a_departure_at_the_current_time_is_refused() {
    LaunchTest::with(())
        .given_no_previous_events()
        .when(schedule_with(|c| {
            if let LaunchCommand::Schedule { departure_at, .. } = c {
                *departure_at = now();
            }
        }))
        .then_expect_error(LaunchError::DepartureNotInFuture);
}

#[test]
fn a_departure_in_the_past_is_refused() {
    LaunchTest::with(())
        .given_no_previous_events()
        .when(schedule_with(|c| {
            if let LaunchCommand::Schedule { departure_at, .. } = c {
                *departure_at = now() - Duration::days(1);
            }
        }))
        .then_expect_error(LaunchError::DepartureNotInFuture);
}

#[test]
fn a_departure_one_second_after_now_is_accepted() {
    let soon = now() + Duration::seconds(1);
    LaunchTest::with(())
        .given_no_previous_events()
        .when(schedule_with(|c| {
            if let LaunchCommand::Schedule { departure_at, .. } = c {
                *departure_at = soon;
            }
        }))
        .then_expect_events(vec![scheduled_departing(soon)]);
}

#[test]
fn a_price_out_of_range_is_refused() {
    for price in [0, -1, -PRICE, domain::policy::MAX_PRICE_PER_SEAT_CENTS + 1] {
        LaunchTest::with(())
            .given_no_previous_events()
            .when(schedule_with(|c| {
                if let LaunchCommand::Schedule {
                    price_per_seat_cents,
                    ..
                } = c
                {
                    *price_per_seat_cents = price;
                }
            }))
            .then_expect_error(LaunchError::PriceOutOfRange);
    }
}

#[test]
fn a_price_of_one_cent_is_accepted() {
    LaunchTest::with(())
        .given_no_previous_events()
        .when(schedule_with(|c| {
            if let LaunchCommand::Schedule {
                price_per_seat_cents,
                ..
            } = c
            {
                *price_per_seat_cents = 1;
            }
        }))
        .then_expect_events(vec![LaunchEvent::LaunchScheduled(LaunchScheduled {
            price_per_seat_cents: 1,
            ..scheduled_launch()
        })]);
}

fn schedule_rocket_to(range: RocketRange, to: Destination) -> LaunchCommand {
    schedule_with(|c| {
        if let LaunchCommand::Schedule {
            rocket,
            destination,
            ..
        } = c
        {
            rocket.range = range;
            *destination = to;
        }
    })
}

#[test]
fn a_suborbital_rocket_cannot_fly_to_the_moon() {
    LaunchTest::with(())
        .given_no_previous_events()
        .when(schedule_rocket_to(
            RocketRange::Suborbital,
            Destination::Moon,
        ))
        .then_expect_error(LaunchError::RocketRangeTooShort {
            range: RocketRange::Suborbital,
            destination: Destination::Moon,
        });
}

#[test]
fn a_mars_rocket_can_fly_to_low_earth_orbit() {
    LaunchTest::with(())
        .given_no_previous_events()
        .when(schedule_rocket_to(
            RocketRange::Mars,
            Destination::LowEarthOrbit,
        ))
        .then_expect_events(vec![LaunchEvent::LaunchScheduled(LaunchScheduled {
            destination: Destination::LowEarthOrbit,
            ..scheduled_launch()
        })]);
}

#[test]
fn a_rocket_reaches_its_own_range_and_every_shorter_one_but_no_further() {
    use RocketRange::*;
    let all = [Suborbital, LowEarthOrbit, Moon, Mars];
    let too_far = [
        (Suborbital, LowEarthOrbit),
        (Suborbital, Moon),
        (Suborbital, Mars),
        (LowEarthOrbit, Moon),
        (LowEarthOrbit, Mars),
        (Moon, Mars),
    ];
    for range in all {
        for destination in all {
            let result = domain::Launch::default()
                .decide(schedule_rocket_to(range, destination))
                .map(|events| events.len());
            if too_far.contains(&(range, destination)) {
                assert_eq!(
                    result,
                    Err(LaunchError::RocketRangeTooShort { range, destination }),
                    "{range:?} → {destination:?}"
                );
            } else {
                assert_eq!(result, Ok(1), "{range:?} → {destination:?}");
            }
        }
    }
}

#[test]
fn scheduling_the_same_launch_twice_is_refused() {
    LaunchTest::with(())
        .given(vec![scheduled()])
        .when(schedule_command())
        .then_expect_error(LaunchError::AlreadyScheduled(launch_id()));
}

// ----------------------------------------------------------------- confirm

#[test]
fn a_scheduled_launch_can_be_confirmed() {
    LaunchTest::with(())
        .given(vec![scheduled()])
        .when(confirm())
        .then_expect_events(vec![LaunchEvent::LaunchConfirmed(LaunchConfirmed {
            confirmed_at: now(),
        })]);
}

#[test]
fn a_delayed_launch_can_be_confirmed() {
    LaunchTest::with(())
        .given(vec![scheduled(), delayed(departure(), later())])
        .when(confirm())
        .then_expect_events(vec![confirmed()]);
}

#[test]
fn confirming_a_confirmed_launch_is_refused() {
    LaunchTest::with(())
        .given(vec![scheduled(), confirmed()])
        .when(confirm())
        .then_expect_error(wrong_status("confirm", LaunchStatus::Confirmed));
}

#[test]
fn confirming_a_launched_launch_is_refused() {
    LaunchTest::with(())
        .given(vec![scheduled(), confirmed(), launched(departure())])
        .when(confirm())
        .then_expect_error(wrong_status("confirm", LaunchStatus::Launched));
}

#[test]
fn confirming_an_aborted_launch_is_refused() {
    LaunchTest::with(())
        .given(vec![scheduled(), aborted(now())])
        .when(confirm())
        .then_expect_error(wrong_status("confirm", LaunchStatus::Aborted));
}

// ------------------------------------------------------------------- delay

#[test]
fn a_scheduled_launch_can_be_delayed_to_a_later_date() {
    LaunchTest::with(())
        .given(vec![scheduled()])
        .when(delay_to(later()))
        .then_expect_events(vec![LaunchEvent::LaunchDelayed(LaunchDelayed {
            previous_departure_at: departure(),
            new_departure_at: later(),
            reason: "weather".into(),
        })]);
}

#[test]
fn a_confirmed_launch_can_be_delayed() {
    LaunchTest::with(())
        .given(vec![scheduled(), confirmed()])
        .when(delay_to(later()))
        .then_expect_events(vec![delayed(departure(), later())]);
}

#[test]
fn a_delayed_launch_can_be_delayed_again_from_its_new_date() {
    let even_later = later() + Duration::days(1);
    LaunchTest::with(())
        .given(vec![scheduled(), delayed(departure(), later())])
        .when(delay_to(even_later))
        .then_expect_events(vec![delayed(later(), even_later)]);
}

#[test]
fn a_delay_to_the_same_departure_is_refused() {
    LaunchTest::with(())
        .given(vec![scheduled()])
        .when(delay_to(departure()))
        .then_expect_error(LaunchError::DelayNotLater(departure()));
}

#[test]
fn a_delay_to_an_earlier_departure_is_refused() {
    LaunchTest::with(())
        .given(vec![scheduled()])
        .when(delay_to(departure() - Duration::minutes(1)))
        .then_expect_error(LaunchError::DelayNotLater(departure()));
}

#[test]
fn a_second_delay_is_measured_against_the_delayed_date_not_the_original() {
    LaunchTest::with(())
        .given(vec![scheduled(), delayed(departure(), later())])
        .when(delay_to(later() - Duration::days(1)))
        .then_expect_error(LaunchError::DelayNotLater(later()));
}

#[test]
fn a_delay_must_also_move_the_departure_past_now() {
    // Past its departure time but not yet launched: the new date must be in
    // the future, not merely later than the old one.
    let old_departure = now() - Duration::days(2);
    LaunchTest::with(())
        .given(vec![scheduled_departing(old_departure)])
        .when(delay_to(now() - Duration::days(1)))
        .then_expect_error(LaunchError::DelayNotLater(now()));
}

#[test]
fn a_delay_with_a_blank_reason_is_refused() {
    for reason in ["", "  "] {
        LaunchTest::with(())
            .given(vec![scheduled()])
            .when(LaunchCommand::Delay {
                new_departure_at: later(),
                reason: reason.into(),
                now: now(),
            })
            .then_expect_error(LaunchError::Blank("reason"));
    }
}

#[test]
fn the_delay_reason_is_trimmed() {
    LaunchTest::with(())
        .given(vec![scheduled()])
        .when(LaunchCommand::Delay {
            new_departure_at: later(),
            reason: "  weather  ".into(),
            now: now(),
        })
        .then_expect_events(vec![delayed(departure(), later())]);
}

#[test]
fn delaying_a_launched_launch_is_refused() {
    LaunchTest::with(())
        .given(vec![scheduled(), confirmed(), launched(departure())])
        .when(delay_to(later()))
        .then_expect_error(wrong_status("delay", LaunchStatus::Launched));
}

#[test]
fn delaying_an_aborted_launch_is_refused() {
    LaunchTest::with(())
        .given(vec![scheduled(), aborted(now())])
        .when(delay_to(later()))
        .then_expect_error(wrong_status("delay", LaunchStatus::Aborted));
}

// ------------------------------------------------------------------- abort

#[test]
fn a_scheduled_launch_without_bookings_can_be_aborted() {
    LaunchTest::with(())
        .given(vec![scheduled()])
        .when(abort())
        .then_expect_events(vec![LaunchEvent::LaunchAborted(LaunchAborted {
            reason: "engine failure".into(),
            aborted_at: now(),
        })]);
}

#[test]
fn a_confirmed_launch_can_be_aborted() {
    LaunchTest::with(())
        .given(vec![scheduled(), confirmed()])
        .when(abort())
        .then_expect_events(vec![aborted(now())]);
}

#[test]
fn a_delayed_launch_can_be_aborted() {
    LaunchTest::with(())
        .given(vec![scheduled(), delayed(departure(), later())])
        .when(abort())
        .then_expect_events(vec![aborted(now())]);
}

#[test]
fn aborting_twice_is_refused() {
    LaunchTest::with(())
        .given(vec![scheduled(), aborted(now())])
        .when(abort())
        .then_expect_error(wrong_status("abort", LaunchStatus::Aborted));
}

#[test]
fn aborting_a_launched_launch_is_refused() {
    LaunchTest::with(())
        .given(vec![scheduled(), confirmed(), launched(departure())])
        .when(abort())
        .then_expect_error(wrong_status("abort", LaunchStatus::Launched));
}

#[test]
fn an_abort_with_a_blank_reason_is_refused() {
    LaunchTest::with(())
        .given(vec![scheduled()])
        .when(LaunchCommand::Abort {
            reason: " ".into(),
            now: now(),
        })
        .then_expect_error(LaunchError::Blank("reason"));
}

// ----------------------------------------------------------- mark launched

#[test]
fn a_confirmed_launch_lifts_off_at_its_departure_time() {
    LaunchTest::with(())
        .given(vec![scheduled(), confirmed()])
        .when(mark_launched_at(departure()))
        .then_expect_events(vec![LaunchEvent::LaunchLaunched(LaunchLaunched {
            launched_at: departure(),
        })]);
}

#[test]
fn a_confirmed_launch_can_be_marked_launched_after_its_departure_time() {
    let late = departure() + Duration::hours(3);
    LaunchTest::with(())
        .given(vec![scheduled(), confirmed()])
        .when(mark_launched_at(late))
        .then_expect_events(vec![launched(late)]);
}

#[test]
fn a_launch_cannot_lift_off_before_its_departure_time() {
    LaunchTest::with(())
        .given(vec![scheduled(), confirmed()])
        .when(mark_launched_at(departure() - Duration::minutes(1)))
        .then_expect_error(LaunchError::NotYetDeparted);
}

#[test]
fn a_scheduled_launch_that_was_never_confirmed_cannot_be_marked_launched() {
    LaunchTest::with(())
        .given(vec![scheduled()])
        .when(mark_launched_at(departure()))
        .then_expect_error(wrong_status("launch", LaunchStatus::Scheduled));
}

#[test]
fn a_delayed_launch_must_be_confirmed_again_before_it_is_marked_launched() {
    LaunchTest::with(())
        .given(vec![
            scheduled(),
            confirmed(),
            delayed(departure(), later()),
        ])
        .when(mark_launched_at(later()))
        .then_expect_error(wrong_status("launch", LaunchStatus::Delayed));
}

#[test]
fn marking_launched_twice_is_refused() {
    LaunchTest::with(())
        .given(vec![scheduled(), confirmed(), launched(departure())])
        .when(mark_launched_at(departure()))
        .then_expect_error(wrong_status("launch", LaunchStatus::Launched));
}

#[test]
fn an_aborted_launch_cannot_be_marked_launched() {
    LaunchTest::with(())
        .given(vec![scheduled(), confirmed(), aborted(now())])
        .when(mark_launched_at(departure()))
        .then_expect_error(wrong_status("launch", LaunchStatus::Aborted));
}

#[test]
fn after_a_delay_the_launch_cannot_lift_off_at_its_original_departure_time() {
    LaunchTest::with(())
        .given(vec![
            scheduled(),
            confirmed(),
            delayed(departure(), later()),
            confirmed(),
        ])
        .when(mark_launched_at(departure()))
        .then_expect_error(LaunchError::NotYetDeparted);
}

#[test]
fn after_a_delay_and_a_new_confirmation_the_launch_lifts_off_at_the_new_date() {
    LaunchTest::with(())
        .given(vec![
            scheduled(),
            confirmed(),
            delayed(departure(), later()),
            confirmed(),
        ])
        .when(mark_launched_at(later()))
        .then_expect_events(vec![launched(later())]);
}

// ------------------------------------------------------------ not found

#[test]
fn every_command_but_schedule_on_a_never_scheduled_launch_is_not_found() {
    let commands = vec![
        confirm(),
        delay_to(later()),
        abort(),
        mark_launched_at(departure()),
        book(booking_id(1), passengers(1)),
        cancel(booking_id(1), now()),
    ];
    for command in commands {
        LaunchTest::with(())
            .given_no_previous_events()
            .when(command)
            .then_expect_error(LaunchError::NotFound);
    }
}

// ------------------------------------------------------ aggregate queries

#[test]
fn a_launch_that_was_never_scheduled_reports_nothing() {
    let launch = domain::Launch::default();
    assert!(!launch.is_scheduled());
    assert_eq!(launch.status(), None);
    assert_eq!(launch.free_seats(), 0);
    assert_eq!(launch.departure_at(), None);
    assert_eq!(launch.sequence(), 0);
    assert_eq!(launch.booking(&booking_id(1)), None);
}

#[test]
fn a_scheduled_launch_reports_its_status_seats_departure_and_sequence() {
    let launch = launch_after([scheduled()]);
    assert!(launch.is_scheduled());
    assert_eq!(launch.status(), Some(LaunchStatus::Scheduled));
    assert_eq!(launch.free_seats(), CAPACITY);
    assert_eq!(launch.departure_at(), Some(departure()));
    assert_eq!(launch.sequence(), 1);
}

#[test]
fn the_status_follows_every_lifecycle_event() {
    let steps = [
        (scheduled(), LaunchStatus::Scheduled),
        (delayed(departure(), later()), LaunchStatus::Delayed),
        (confirmed(), LaunchStatus::Confirmed),
        (launched(later()), LaunchStatus::Launched),
    ];
    let mut launch = domain::Launch::default();
    for (n, (event, status)) in steps.into_iter().enumerate() {
        launch.apply(event);
        assert_eq!(launch.status(), Some(status));
        assert_eq!(launch.sequence(), n as u64 + 1);
    }
    let aborted = launch_after([scheduled(), confirmed(), aborted(now())]);
    assert_eq!(aborted.status(), Some(LaunchStatus::Aborted));
}

#[test]
fn only_scheduled_confirmed_and_delayed_launches_are_on_sale() {
    assert!(LaunchStatus::Scheduled.is_on_sale());
    assert!(LaunchStatus::Confirmed.is_on_sale());
    assert!(LaunchStatus::Delayed.is_on_sale());
    assert!(!LaunchStatus::Launched.is_on_sale());
    assert!(!LaunchStatus::Aborted.is_on_sale());
}

#[test]
fn statuses_have_stable_wire_names() {
    let names: Vec<_> = [
        LaunchStatus::Scheduled,
        LaunchStatus::Confirmed,
        LaunchStatus::Delayed,
        LaunchStatus::Launched,
        LaunchStatus::Aborted,
    ]
    .iter()
    .map(|s| s.as_str())
    .collect();
    assert_eq!(
        names,
        ["scheduled", "confirmed", "delayed", "launched", "aborted"]
    );
}

#[test]
fn a_delay_moves_the_reported_departure() {
    let launch = launch_after([scheduled(), delayed(departure(), later())]);
    assert_eq!(launch.departure_at(), Some(later()));
    assert_eq!(launch.status(), Some(LaunchStatus::Delayed));
}

#[test]
fn the_sequence_counts_every_event_applied() {
    let launch = launch_after([
        scheduled(),
        booked(booking_id(1), 2),
        confirmed(),
        booked(booking_id(2), 1),
        cancelled_by_holder(booking_id(1), 2, 90, now()),
    ]);
    assert_eq!(launch.sequence(), 5);
}

#[tokio::test]
async fn a_refused_command_leaves_the_aggregate_unchanged() {
    let mut launch = launch_after([scheduled_with_capacity(3), booked(booking_id(1), 2)]);
    let before = launch.clone();
    let refused = [
        book(booking_id(2), passengers(2)),
        book(booking_id(1), passengers(1)),
        mark_launched_at(departure()),
        schedule_command(),
        LaunchCommand::CancelBooking {
            booking_id: booking_id(1),
            requested_by: stranger(),
            now: now(),
        },
    ];
    for command in refused {
        let sink = EventSink::default();
        let result = launch.handle(command.clone(), &(), &sink).await;
        assert!(result.is_err(), "{command:?} should be refused");
        assert_eq!(launch, before, "{command:?} changed the aggregate");
        assert!(sink.collect().await.is_empty());
        // decide agrees with handle and is pure too.
        assert_eq!(launch.decide(command).map(|_| ()), result);
        assert_eq!(launch, before);
    }
}

#[tokio::test]
async fn an_accepted_command_is_applied_to_the_aggregate_as_its_events_are_written() {
    let mut launch = launch_after([scheduled(), booked(booking_id(1), 2)]);
    let expected = launch.decide(abort()).unwrap();
    let sink = EventSink::default();
    launch.handle(abort(), &(), &sink).await.unwrap();
    assert_eq!(sink.collect().await, expected);
    assert_eq!(launch.status(), Some(LaunchStatus::Aborted));
    assert_eq!(launch.free_seats(), CAPACITY);
    assert_eq!(launch.sequence(), 4);
    assert!(launch.booking(&booking_id(1)).unwrap().cancelled);
}
