//! Pure policies: refunds and passenger ages.

use chrono::{DateTime, Datelike, NaiveDate, Utc};

/// Most passengers one booking may hold.
pub const MAX_PASSENGERS_PER_BOOKING: usize = 6;
/// Highest price of one seat, in cents (ten million in currency units): keeps
/// every total and refund far inside `i64`.
pub const MAX_PRICE_PER_SEAT_CENTS: i64 = 1_000_000_000;
/// Youngest age allowed at departure.
pub const MIN_PASSENGER_AGE: i32 = 18;
/// Oldest age allowed at departure.
pub const MAX_PASSENGER_AGE: i32 = 70;

/// The refund, in percent of the booking's total, for a cancellation by the
/// holder at `cancelled_at` of a launch departing at `departure_at`: 90% at
/// least 365 whole days before departure, 70% at least 90 whole days before,
/// nothing after that.
pub fn holder_refund_percent(departure_at: DateTime<Utc>, cancelled_at: DateTime<Utc>) -> u8 {
    // `num_days` truncates toward zero; anything after departure is negative.
    let days_before = (departure_at - cancelled_at).num_days();
    match days_before {
        d if d >= 365 => 90,
        d if d >= 90 => 70,
        _ => 0,
    }
}

/// `percent` of `total_cents`, rounded down to the cent (the company never
/// refunds a fraction of a cent more than the policy says).
pub fn refund_cents(total_cents: i64, percent: u8) -> i64 {
    total_cents * i64::from(percent) / 100
}

/// Age in whole years on `on`. Someone born on 29 February turns a year older
/// on 1 March in years without one.
pub fn age_on(birth_date: NaiveDate, on: NaiveDate) -> i32 {
    let years = on.year() - birth_date.year();
    if (on.month(), on.day()) < (birth_date.month(), birth_date.day()) {
        years - 1
    } else {
        years
    }
}

/// Whether a passenger born on `birth_date` may fly on `departure_date`.
pub fn age_allowed(birth_date: NaiveDate, departure_date: NaiveDate) -> bool {
    (MIN_PASSENGER_AGE..=MAX_PASSENGER_AGE).contains(&age_on(birth_date, departure_date))
}
