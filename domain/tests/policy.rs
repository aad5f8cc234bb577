//! The pure policies: refunds and passenger ages.

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use domain::policy::{
    age_allowed, age_on, holder_refund_percent, refund_cents, MAX_PASSENGERS_PER_BOOKING,
    MAX_PASSENGER_AGE, MIN_PASSENGER_AGE,
};

fn departure() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2027, 6, 15, 9, 0, 0).unwrap()
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn percent_when_cancelled(before_departure: Duration) -> u8 {
    holder_refund_percent(departure(), departure() - before_departure)
}

// ------------------------------------------------------------------ refunds

#[test]
fn exactly_365_days_before_departure_refunds_90_percent() {
    assert_eq!(percent_when_cancelled(Duration::days(365)), 90);
}

#[test]
fn more_than_a_year_before_departure_refunds_90_percent() {
    assert_eq!(percent_when_cancelled(Duration::days(1000)), 90);
}

#[test]
fn one_minute_short_of_365_days_refunds_70_percent() {
    assert_eq!(
        percent_when_cancelled(Duration::days(365) - Duration::minutes(1)),
        70
    );
}

#[test]
fn one_second_short_of_365_days_refunds_70_percent() {
    assert_eq!(
        percent_when_cancelled(Duration::days(365) - Duration::seconds(1)),
        70
    );
}

#[test]
fn exactly_90_days_before_departure_refunds_70_percent() {
    assert_eq!(percent_when_cancelled(Duration::days(90)), 70);
}

#[test]
fn one_minute_short_of_90_days_refunds_nothing() {
    assert_eq!(
        percent_when_cancelled(Duration::days(90) - Duration::minutes(1)),
        0
    );
}

#[test]
fn at_departure_nothing_is_refunded() {
    assert_eq!(percent_when_cancelled(Duration::zero()), 0);
}

#[test]
fn after_departure_nothing_is_refunded() {
    assert_eq!(percent_when_cancelled(Duration::hours(-1)), 0);
    assert_eq!(percent_when_cancelled(Duration::days(-400)), 0);
}

#[test]
fn refunds_are_rounded_down_to_the_cent() {
    assert_eq!(refund_cents(333, 70), 233);
    assert_eq!(refund_cents(999, 90), 899);
    assert_eq!(refund_cents(1, 90), 0);
    assert_eq!(refund_cents(199, 50), 99);
}

#[test]
fn whole_refunds_are_exact() {
    assert_eq!(refund_cents(25_000_000, 90), 22_500_000);
    assert_eq!(refund_cents(25_000_000, 70), 17_500_000);
    assert_eq!(refund_cents(333, 100), 333);
    assert_eq!(refund_cents(333, 0), 0);
}

// --------------------------------------------------------------------- ages

#[test]
fn the_age_goes_up_on_the_birthday() {
    assert_eq!(age_on(date(1990, 6, 15), date(2027, 6, 14)), 36);
    assert_eq!(age_on(date(1990, 6, 15), date(2027, 6, 15)), 37);
}

#[test]
fn the_age_goes_up_on_the_birthday_across_a_year_end() {
    assert_eq!(age_on(date(2000, 1, 1), date(2018, 12, 31)), 18);
    assert_eq!(age_on(date(2000, 12, 31), date(2018, 12, 30)), 17);
    assert_eq!(age_on(date(2000, 12, 31), date(2018, 12, 31)), 18);
}

#[test]
fn someone_born_on_29_february_is_a_year_older_on_1_march_of_a_common_year() {
    let born = date(2008, 2, 29);
    assert_eq!(age_on(born, date(2026, 2, 28)), 17);
    assert_eq!(age_on(born, date(2026, 3, 1)), 18);
}

#[test]
fn someone_born_on_29_february_is_a_year_older_on_29_february_of_a_leap_year() {
    let born = date(2000, 2, 29);
    assert_eq!(age_on(born, date(2020, 2, 28)), 19);
    assert_eq!(age_on(born, date(2020, 2, 29)), 20);
}

#[test]
fn passengers_must_be_18_to_70_at_departure() {
    assert_eq!((MIN_PASSENGER_AGE, MAX_PASSENGER_AGE), (18, 70));
    let departure_day = date(2027, 6, 15);
    // 18th birthday on departure day: allowed; one day short: refused.
    assert!(age_allowed(date(2009, 6, 15), departure_day));
    assert!(!age_allowed(date(2009, 6, 16), departure_day));
    // 71st birthday the day after departure: allowed; on the day: refused.
    assert!(age_allowed(date(1956, 6, 16), departure_day));
    assert!(!age_allowed(date(1956, 6, 15), departure_day));
}

#[test]
fn a_booking_holds_at_most_six_passengers() {
    assert_eq!(MAX_PASSENGERS_PER_BOOKING, 6);
}
