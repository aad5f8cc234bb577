//! Cancelling bookings: by the holder (refund by policy) and by aborting the
//! launch (refund in full).

mod common;

use chrono::{DateTime, Duration, Utc};
use common::*;
use domain::{LaunchCommand, LaunchError, LaunchStatus};
use events::{
    BookingCancelled, CancellationReason, HolderKind, LaunchEvent, LaunchScheduled, SeatsBooked,
};

/// A booking of one seat at the fixture price (25,000,000 cents).
fn one_seat_booked() -> Vec<LaunchEvent> {
    vec![scheduled(), booked(booking_id(1), 1)]
}

/// The refund the holder gets for cancelling [`one_seat_booked`] at `at`.
fn refund_at(at: DateTime<Utc>) -> (u8, i64) {
    let events = launch_after(one_seat_booked())
        .decide(cancel(booking_id(1), at))
        .unwrap();
    match events.as_slice() {
        [LaunchEvent::BookingCancelled(c)] => (c.refund_percent, c.refund_cents),
        other => panic!("expected one BookingCancelled, got {other:?}"),
    }
}

// ------------------------------------------------------- holder's refund

#[test]
fn the_holder_cancelling_releases_the_seats_and_is_refunded_by_policy() {
    LaunchTest::with(())
        .given(vec![scheduled(), booked(booking_id(1), 3)])
        .when(cancel(booking_id(1), now()))
        .then_expect_events(vec![LaunchEvent::BookingCancelled(BookingCancelled {
            booking_id: booking_id(1),
            holder_id: holder(),
            seats_released: 3,
            refund_percent: 90,
            refund_cents: 67_500_000,
            reason: CancellationReason::HolderCancelled,
            cancelled_at: now(),
        })]);
}

#[test]
fn cancelling_exactly_365_days_before_departure_refunds_90_percent() {
    assert_eq!(
        refund_at(departure() - Duration::days(365)),
        (90, 22_500_000)
    );
}

#[test]
fn cancelling_364_days_23_hours_59_minutes_before_departure_refunds_70_percent() {
    let at = departure() - Duration::days(365) + Duration::minutes(1);
    assert_eq!(refund_at(at), (70, 17_500_000));
}

#[test]
fn cancelling_exactly_90_days_before_departure_refunds_70_percent() {
    assert_eq!(
        refund_at(departure() - Duration::days(90)),
        (70, 17_500_000)
    );
}

#[test]
fn cancelling_89_days_23_hours_59_minutes_before_departure_refunds_nothing() {
    let at = departure() - Duration::days(90) + Duration::minutes(1);
    assert_eq!(refund_at(at), (0, 0));
}

#[test]
fn cancelling_an_hour_before_departure_refunds_nothing_but_releases_the_seat() {
    let at = departure() - Duration::hours(1);
    LaunchTest::with(())
        .given(one_seat_booked())
        .when(cancel(booking_id(1), at))
        .then_expect_events(vec![cancelled_by_holder(booking_id(1), 1, 0, at)]);
}

#[test]
fn cancelling_at_or_after_the_departure_time_is_refused_even_before_lift_off_is_recorded() {
    for at in [departure(), departure() + Duration::hours(2)] {
        LaunchTest::with(())
            .given(one_seat_booked())
            .when(cancel(booking_id(1), at))
            .then_expect_error(LaunchError::Departed);
    }
}

#[test]
fn the_refund_is_rounded_down_to_the_cent() {
    // 3 seats at 111 cents = 333 cents; 70% is 233.1 cents → 233.
    let events = vec![
        LaunchEvent::LaunchScheduled(LaunchScheduled {
            price_per_seat_cents: 111,
            ..scheduled_launch()
        }),
        seats_booked_at_price(booking_id(1), passengers(3), 111),
    ];
    let at = departure() - Duration::days(100);
    LaunchTest::with(())
        .given(events)
        .when(cancel(booking_id(1), at))
        .then_expect_events(vec![LaunchEvent::BookingCancelled(BookingCancelled {
            booking_id: booking_id(1),
            holder_id: holder(),
            seats_released: 3,
            refund_percent: 70,
            refund_cents: 233,
            reason: CancellationReason::HolderCancelled,
            cancelled_at: at,
        })]);
}

#[test]
fn the_refund_is_a_share_of_the_snapshotted_total_not_of_the_current_price() {
    let events = vec![
        scheduled(),
        seats_booked_at_price(booking_id(1), passengers(2), 10_000),
    ];
    let events = launch_after(events)
        .decide(cancel(booking_id(1), now()))
        .unwrap();
    assert!(matches!(
        events.as_slice(),
        [LaunchEvent::BookingCancelled(BookingCancelled {
            refund_percent: 90,
            refund_cents: 18_000,
            ..
        })]
    ));
}

#[test]
fn after_a_delay_the_refund_is_measured_against_the_new_departure() {
    // 100 days before the original departure would refund 70%; the launch
    // moved 300 days later, so the holder now cancels 400 days ahead: 90%.
    let at = departure() - Duration::days(100);
    let new_departure = departure() + Duration::days(300);
    LaunchTest::with(())
        .given(vec![
            scheduled(),
            booked(booking_id(1), 1),
            delayed(departure(), new_departure),
        ])
        .when(cancel(booking_id(1), at))
        .then_expect_events(vec![cancelled_by_holder(booking_id(1), 1, 90, at)]);
}

#[test]
fn a_booking_on_a_confirmed_or_delayed_launch_can_be_cancelled() {
    for lifecycle in [
        confirmed(),
        delayed(departure(), departure() + Duration::days(1)),
    ] {
        LaunchTest::with(())
            .given(vec![scheduled(), booked(booking_id(1), 2), lifecycle])
            .when(cancel(booking_id(1), now()))
            .then_expect_events(vec![cancelled_by_holder(booking_id(1), 2, 90, now())]);
    }
}

#[test]
fn a_cancelled_booking_frees_its_seats_and_is_marked_cancelled() {
    let launch = launch_after([
        scheduled(),
        booked(booking_id(1), 2),
        booked(booking_id(2), 3),
        cancelled_by_holder(booking_id(1), 2, 90, now()),
    ]);
    assert_eq!(launch.free_seats(), CAPACITY - 3);
    let record = launch.booking(&booking_id(1)).unwrap();
    assert!(record.cancelled);
    assert_eq!(record.seats, 2);
    assert!(!launch.booking(&booking_id(2)).unwrap().cancelled);
}

// ---------------------------------------------------------------- refusals

#[test]
fn another_holders_booking_is_not_found_as_if_it_did_not_exist() {
    LaunchTest::with(())
        .given(one_seat_booked())
        .when(LaunchCommand::CancelBooking {
            booking_id: booking_id(1),
            requested_by: stranger(),
            now: now(),
        })
        .then_expect_error(LaunchError::BookingNotFound);
}

#[test]
fn cancelling_an_unknown_booking_is_not_found() {
    LaunchTest::with(())
        .given(one_seat_booked())
        .when(cancel(booking_id(2), now()))
        .then_expect_error(LaunchError::BookingNotFound);
}

#[test]
fn cancelling_a_booking_twice_is_refused() {
    LaunchTest::with(())
        .given(vec![
            scheduled(),
            booked(booking_id(1), 1),
            cancelled_by_holder(booking_id(1), 1, 90, now()),
        ])
        .when(cancel(booking_id(1), now()))
        .then_expect_error(LaunchError::AlreadyCancelled);
}

#[test]
fn cancelling_a_booking_of_a_launched_launch_is_refused() {
    LaunchTest::with(())
        .given(vec![
            scheduled(),
            booked(booking_id(1), 1),
            confirmed(),
            launched(departure()),
        ])
        .when(cancel(booking_id(1), departure() + Duration::days(1)))
        .then_expect_error(LaunchError::WrongStatus {
            action: "cancel a booking of",
            status: LaunchStatus::Launched,
        });
}

#[test]
fn the_bookings_of_an_aborted_launch_are_already_cancelled() {
    LaunchTest::with(())
        .given(vec![
            scheduled(),
            booked(booking_id(1), 1),
            aborted(now()),
            cancelled_by_abort(booking_id(1), 1, now()),
        ])
        .when(cancel(booking_id(1), now()))
        .then_expect_error(LaunchError::AlreadyCancelled);
}

// ------------------------------------------------------------------ abort

#[test]
fn aborting_refunds_every_active_booking_in_full_right_after_the_abort() {
    let other_holders_booking = LaunchEvent::SeatsBooked(SeatsBooked {
        booking_id: booking_id(4),
        holder_id: stranger(),
        holder_kind: HolderKind::Agency,
        passengers: passengers(1),
        seats: 1,
        unit_price_cents: PRICE,
        total_cents: PRICE,
        booked_at: now(),
    });
    let abort_at = now() + Duration::days(7);
    LaunchTest::with(())
        .given(vec![
            scheduled(),
            booked(booking_id(1), 2),
            booked(booking_id(2), 1),
            booked(booking_id(3), 3),
            other_holders_booking,
            cancelled_by_holder(booking_id(2), 1, 90, now()),
            confirmed(),
        ])
        .when(LaunchCommand::Abort {
            reason: "engine failure".into(),
            now: abort_at,
        })
        .then_expect_events(vec![
            aborted(abort_at),
            cancelled_by_abort(booking_id(1), 2, abort_at),
            cancelled_by_abort(booking_id(3), 3, abort_at),
            LaunchEvent::BookingCancelled(BookingCancelled {
                booking_id: booking_id(4),
                holder_id: stranger(),
                seats_released: 1,
                refund_percent: 100,
                refund_cents: PRICE,
                reason: CancellationReason::LaunchAborted,
                cancelled_at: abort_at,
            }),
        ]);
}

#[test]
fn an_abort_refunds_the_snapshotted_total_in_full() {
    let events = launch_after([
        scheduled(),
        seats_booked_at_price(booking_id(1), passengers(3), 111),
    ])
    .decide(LaunchCommand::Abort {
        reason: "storm".into(),
        now: now(),
    })
    .unwrap();
    assert!(matches!(
        events.as_slice(),
        [
            LaunchEvent::LaunchAborted(_),
            LaunchEvent::BookingCancelled(BookingCancelled {
                refund_percent: 100,
                refund_cents: 333,
                seats_released: 3,
                reason: CancellationReason::LaunchAborted,
                ..
            })
        ]
    ));
}

#[test]
fn after_an_abort_every_seat_is_free_and_every_booking_cancelled() {
    let before = launch_after([
        scheduled(),
        booked(booking_id(1), 2),
        booked(booking_id(2), 3),
    ]);
    let mut events = vec![
        scheduled(),
        booked(booking_id(1), 2),
        booked(booking_id(2), 3),
    ];
    events.extend(
        before
            .decide(LaunchCommand::Abort {
                reason: "storm".into(),
                now: now(),
            })
            .unwrap(),
    );
    let after = launch_after(events);
    assert_eq!(after.status(), Some(LaunchStatus::Aborted));
    assert_eq!(after.free_seats(), CAPACITY);
    assert!(after.booking(&booking_id(1)).unwrap().cancelled);
    assert!(after.booking(&booking_id(2)).unwrap().cancelled);
    assert_eq!(after.sequence(), 6);
}
