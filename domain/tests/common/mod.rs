//! Shared fixtures for the domain's given/when/then tests: a fixed clock, a
//! scheduled launch, passengers by their age at departure, bookings.
//!
//! Every test binary uses only part of this module.
#![allow(dead_code)]

use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc};
use cqrs_es::test::TestFramework;
use cqrs_es::Aggregate;
use domain::{Launch, LaunchCommand, RocketSpec};
use events::{
    BookingCancelled, CancellationReason, Destination, HolderKind, LaunchAborted, LaunchConfirmed,
    LaunchDelayed, LaunchEvent, LaunchLaunched, LaunchScheduled, Passenger, RocketRange,
    SeatsBooked,
};
use uuid::Uuid;

/// Price of one seat on the fixture launch: 250,000.00.
pub const PRICE: i64 = 25_000_000;
/// Seats on the fixture launch.
pub const CAPACITY: u32 = 10;

pub type LaunchTest = TestFramework<Launch>;

/// A UTC instant.
pub fn at(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, h, min, 0).unwrap()
}

/// A calendar date.
pub fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

/// The fixed "now" at which commands are executed: 2026-01-01 12:00 UTC.
pub fn now() -> DateTime<Utc> {
    at(2026, 1, 1, 12, 0)
}

/// The fixture launch's departure: 2027-06-15 09:00 UTC (530 days after
/// [`now`]).
pub fn departure() -> DateTime<Utc> {
    at(2027, 6, 15, 9, 0)
}

/// The fixture launch's departure day.
pub fn departure_day() -> NaiveDate {
    departure().date_naive()
}

pub fn launch_id() -> Uuid {
    Uuid::from_u128(0x1a0c4)
}

pub fn rocket_id() -> Uuid {
    Uuid::from_u128(0x20c4e7)
}

/// The user who holds the fixture bookings.
pub fn holder() -> Uuid {
    Uuid::from_u128(0xa11ce)
}

/// Another user.
pub fn stranger() -> Uuid {
    Uuid::from_u128(0xb0b)
}

/// The `n`-th booking id.
pub fn booking_id(n: u128) -> Uuid {
    Uuid::from_u128(0xb00c_0000 + n)
}

pub fn rocket(range: RocketRange, capacity: u32) -> RocketSpec {
    RocketSpec {
        id: rocket_id(),
        name: "Ares IX".into(),
        capacity,
        range,
    }
}

/// A `Schedule` command for the fixture launch (a Moon rocket to the Moon).
pub fn schedule_command() -> LaunchCommand {
    LaunchCommand::Schedule {
        launch_id: launch_id(),
        rocket: rocket(RocketRange::Moon, CAPACITY),
        spaceport: "Kourou".into(),
        destination: Destination::Moon,
        departure_at: departure(),
        price_per_seat_cents: PRICE,
        now: now(),
    }
}

/// The event of the fixture launch being scheduled, as a struct to tweak
/// with `LaunchScheduled { capacity: 3, ..scheduled_launch() }`.
pub fn scheduled_launch() -> LaunchScheduled {
    LaunchScheduled {
        launch_id: launch_id(),
        rocket_id: rocket_id(),
        rocket_name: "Ares IX".into(),
        spaceport: "Kourou".into(),
        destination: Destination::Moon,
        departure_at: departure(),
        price_per_seat_cents: PRICE,
        capacity: CAPACITY,
    }
}

/// The fixture launch scheduled with [`CAPACITY`] seats.
pub fn scheduled() -> LaunchEvent {
    LaunchEvent::LaunchScheduled(scheduled_launch())
}

/// The fixture launch scheduled with `capacity` seats.
pub fn scheduled_with_capacity(capacity: u32) -> LaunchEvent {
    LaunchEvent::LaunchScheduled(LaunchScheduled {
        capacity,
        ..scheduled_launch()
    })
}

/// The fixture launch scheduled to depart at `departure_at`.
pub fn scheduled_departing(departure_at: DateTime<Utc>) -> LaunchEvent {
    LaunchEvent::LaunchScheduled(LaunchScheduled {
        departure_at,
        ..scheduled_launch()
    })
}

pub fn confirmed() -> LaunchEvent {
    LaunchEvent::LaunchConfirmed(LaunchConfirmed {
        confirmed_at: now(),
    })
}

/// Delayed from `from` to `to`.
pub fn delayed(from: DateTime<Utc>, to: DateTime<Utc>) -> LaunchEvent {
    LaunchEvent::LaunchDelayed(LaunchDelayed {
        previous_departure_at: from,
        new_departure_at: to,
        reason: "weather".into(),
    })
}

pub fn aborted(at: DateTime<Utc>) -> LaunchEvent {
    LaunchEvent::LaunchAborted(LaunchAborted {
        reason: "engine failure".into(),
        aborted_at: at,
    })
}

pub fn launched(at: DateTime<Utc>) -> LaunchEvent {
    LaunchEvent::LaunchLaunched(LaunchLaunched { launched_at: at })
}

/// A passenger born on `birth_date`.
pub fn passenger_born(birth_date: NaiveDate) -> Passenger {
    Passenger {
        name: format!("Passenger born {birth_date}"),
        birth_date,
        email: None,
    }
}

/// A passenger whose `age`-th birthday falls exactly on `day`.
pub fn passenger_turning_on(age: i32, day: NaiveDate) -> Passenger {
    passenger_born(day.with_year(day.year() - age).unwrap())
}

/// A passenger who turns `age` on the fixture launch's departure day.
pub fn passenger_turning(age: i32) -> Passenger {
    passenger_turning_on(age, departure_day())
}

/// A passenger who is `age` at the fixture departure, in the middle of
/// that year of their life (birthday 100 days before departure).
pub fn passenger_aged(age: i32) -> Passenger {
    let birthday_this_year = departure_day() - Duration::days(100);
    passenger_born(
        birthday_this_year
            .with_year(birthday_this_year.year() - age)
            .unwrap(),
    )
}

/// `n` valid passengers (all 35 at departure), with distinct names.
pub fn passengers(n: usize) -> Vec<Passenger> {
    (0..n)
        .map(|i| Passenger {
            name: format!("Passenger {i}"),
            ..passenger_aged(35)
        })
        .collect()
}

/// A `BookSeats` command by [`holder`] at [`now`].
pub fn book(booking: Uuid, passengers: Vec<Passenger>) -> LaunchCommand {
    book_at(booking, passengers, now())
}

/// A `BookSeats` command by [`holder`] at `now`.
pub fn book_at(booking: Uuid, passengers: Vec<Passenger>, now: DateTime<Utc>) -> LaunchCommand {
    LaunchCommand::BookSeats {
        booking_id: booking,
        holder_id: holder(),
        holder_kind: HolderKind::Traveler,
        passengers,
        now,
    }
}

/// The `SeatsBooked` event a booking of `passengers` at `unit_price` by
/// [`holder`] at [`now`] produces.
pub fn seats_booked_at_price(
    booking: Uuid,
    passengers: Vec<Passenger>,
    unit_price: i64,
) -> LaunchEvent {
    let seats = passengers.len() as u32;
    LaunchEvent::SeatsBooked(SeatsBooked {
        booking_id: booking,
        holder_id: holder(),
        holder_kind: HolderKind::Traveler,
        passengers,
        seats,
        unit_price_cents: unit_price,
        total_cents: i64::from(seats) * unit_price,
        booked_at: now(),
    })
}

/// `seats` seats booked by [`holder`] at [`now`] at the fixture price.
pub fn booked(booking: Uuid, seats: usize) -> LaunchEvent {
    seats_booked_at_price(booking, passengers(seats), PRICE)
}

/// A `CancelBooking` command by [`holder`].
pub fn cancel(booking: Uuid, now: DateTime<Utc>) -> LaunchCommand {
    LaunchCommand::CancelBooking {
        booking_id: booking,
        requested_by: holder(),
        now,
    }
}

/// The holder's cancellation of a booking of `seats` seats at the fixture
/// price, refunded at `percent`.
pub fn cancelled_by_holder(
    booking: Uuid,
    seats: u32,
    percent: u8,
    at: DateTime<Utc>,
) -> LaunchEvent {
    let total = i64::from(seats) * PRICE;
    LaunchEvent::BookingCancelled(BookingCancelled {
        booking_id: booking,
        holder_id: holder(),
        seats_released: seats,
        refund_percent: percent,
        refund_cents: total * i64::from(percent) / 100,
        reason: CancellationReason::HolderCancelled,
        cancelled_at: at,
    })
}

/// The full refund of a booking of `seats` seats at the fixture price when
/// the launch is aborted at `at`.
pub fn cancelled_by_abort(booking: Uuid, seats: u32, at: DateTime<Utc>) -> LaunchEvent {
    LaunchEvent::BookingCancelled(BookingCancelled {
        booking_id: booking,
        holder_id: holder(),
        seats_released: seats,
        refund_percent: 100,
        refund_cents: i64::from(seats) * PRICE,
        reason: CancellationReason::LaunchAborted,
        cancelled_at: at,
    })
}

/// A launch with `events` applied, as a repository would load it.
pub fn launch_after(events: impl IntoIterator<Item = LaunchEvent>) -> Launch {
    let mut launch = Launch::default();
    for event in events {
        launch.apply(event);
    }
    launch
}
