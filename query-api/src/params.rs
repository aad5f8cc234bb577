//! Query parameters, parsed with field errors: every parameter arrives as
//! text and is checked here, so that a bad value is a 422 naming the
//! parameter (and every bad parameter is reported at once), never a generic
//! deserialization error.

use chrono::{DateTime, Days, NaiveDate, Utc};
use platform::{FieldError, Problem};
use serde::Deserialize;
use utoipa::openapi::schema::{
    AnyOfBuilder, KnownFormat, ObjectBuilder, Schema, SchemaFormat, Type,
};
use utoipa::IntoParams;

use crate::store::Paging;

/// Largest `page_size`.
pub const MAX_PAGE_SIZE: u64 = 100;
/// Default `page_size`.
pub const DEFAULT_PAGE_SIZE: u64 = 20;
/// Largest `page`: deeper pages would make MongoDB skip too many documents.
pub const MAX_PAGE: u64 = 10_000;

/// The earliest instant a date parameter may name. MongoDB (through
/// SecantusDB and bson) and PostgreSQL answer an error, not an empty
/// result, for some instants far from ours (year 0 and before); nothing in
/// the system predates the Unix epoch, so the range starts there.
pub const EARLIEST: &str = "1970-01-01T00:00:00Z";
/// The latest instant a date parameter may name: the last of the last year
/// that RFC 3339 (four-digit years) can write.
pub const LATEST: &str = "9999-12-31T23:59:59.999Z";
/// How the range of date parameters reads in an error (and in the API
/// description).
pub const DATE_RANGE: &str = "from 1970-01-01 to 9999-12-31 (UTC)";

/// Whether the stores can be asked about `instant` (see [`EARLIEST`]).
pub fn storable(instant: DateTime<Utc>) -> bool {
    let bound = |text: &str| {
        DateTime::parse_from_rfc3339(text)
            .expect("a valid bound")
            .with_timezone(&Utc)
    };
    (bound(EARLIEST)..=bound(LATEST)).contains(&instant)
}

/// The validation errors of one request, collected field by field.
#[derive(Debug, Default)]
pub struct Errors(Vec<FieldError>);

impl Errors {
    /// Records an error on `field`.
    pub fn add(&mut self, field: &str, code: &str, message: impl Into<String>) {
        self.0.push(FieldError::new(field, code, message));
    }

    /// `Ok(value)` when nothing was recorded, else a 422 listing every error.
    pub fn finish<T>(self, value: T) -> Result<T, Problem> {
        if self.0.is_empty() {
            Ok(value)
        } else {
            Err(Problem::invalid(self.0))
        }
    }

    /// An integer in `range`, or `default` when absent.
    pub fn integer(
        &mut self,
        field: &str,
        raw: Option<&str>,
        range: std::ops::RangeInclusive<u64>,
        default: u64,
    ) -> u64 {
        let Some(raw) = raw else { return default };
        // Digits only: `u64::from_str` would also take a sign (`+5`), which
        // the documented `type: integer` does not.
        let digits = !raw.is_empty() && raw.bytes().all(|b| b.is_ascii_digit());
        match raw.parse::<u64>() {
            Ok(value) if digits && range.contains(&value) => value,
            _ => {
                self.add(
                    field,
                    "out-of-range",
                    format!(
                        "must be an integer from {} to {}",
                        range.start(),
                        range.end()
                    ),
                );
                default
            }
        }
    }

    /// `true` or `false`, exactly (the documented `type: boolean`), or
    /// `default` when absent.
    pub fn boolean(&mut self, field: &str, raw: Option<&str>, default: bool) -> bool {
        match raw {
            None => default,
            Some("true") => true,
            Some("false") => false,
            Some(_) => {
                self.add(field, "invalid", "must be true or false");
                default
            }
        }
    }

    /// One of `choices` (by its wire name, exactly: the documented `enum`),
    /// if present.
    pub fn choice<T: Copy>(
        &mut self,
        field: &str,
        raw: Option<&str>,
        choices: &[(&str, T)],
    ) -> Option<T> {
        let raw = raw?;
        let found = choices.iter().find(|(name, _)| *name == raw).map(|c| c.1);
        if found.is_none() {
            let names: Vec<&str> = choices.iter().map(|c| c.0).collect();
            self.add(
                field,
                "invalid",
                format!("must be one of {}", names.join(", ")),
            );
        }
        found
    }

    /// A UUID in its canonical lower-case text, if present.
    pub fn uuid(&mut self, field: &str, raw: Option<&str>) -> Option<String> {
        let raw = raw?;
        match uuid::Uuid::parse_str(raw) {
            Ok(id) => Some(id.to_string()),
            Err(_) => {
                self.add(field, "invalid", "must be a UUID");
                None
            }
        }
    }

    /// `page` and `page_size`.
    pub fn paging(&mut self, page: Option<&str>, page_size: Option<&str>) -> Paging {
        Paging {
            page: self.integer("page", page, 1..=MAX_PAGE, 1),
            page_size: self.integer("page_size", page_size, 1..=MAX_PAGE_SIZE, DEFAULT_PAGE_SIZE),
        }
    }

    /// A bound of a time range: an RFC 3339 instant as is, or a
    /// `YYYY-MM-DD` date (UTC) as the start of that day, or of the next
    /// day when `end_of_day` (so that an exclusive upper bound still
    /// includes the whole day).
    pub fn instant(
        &mut self,
        field: &str,
        raw: Option<&str>,
        end_of_day: bool,
    ) -> Option<DateTime<Utc>> {
        let raw = raw?;
        if let Some(instant) = parse_instant(raw) {
            return self.in_range(field, instant);
        }
        // `YYYY-MM-DD` exactly (the documented `format: date`); chrono alone
        // would also take `2027-5-1`.
        let shaped = raw.len() == 10 && raw.as_bytes()[4] == b'-' && raw.as_bytes()[7] == b'-';
        let Some(start) = NaiveDate::parse_from_str(raw, "%Y-%m-%d")
            .ok()
            .filter(|_| shaped)
            .and_then(|day| day.and_hms_opt(0, 0, 0))
            .map(|start| start.and_utc())
        else {
            self.add(
                field,
                "invalid",
                "must be an RFC 3339 instant (2027-05-01T12:00:00Z) or a date (2027-05-01)",
            );
            return None;
        };
        let start = self.in_range(field, start)?;
        if !end_of_day {
            return Some(start);
        }
        // The end of 9999-12-31 is past LATEST: the bound is exclusive, so
        // LATEST (which no stored instant exceeds) covers the same day.
        Some(
            start
                .checked_add_days(Days::new(1))
                .filter(|end| storable(*end))
                .unwrap_or_else(|| {
                    DateTime::parse_from_rfc3339(LATEST)
                        .expect("a valid bound")
                        .with_timezone(&Utc)
                }),
        )
    }

    /// `instant` when the stores can be asked about it, else an error on
    /// `field`.
    fn in_range(&mut self, field: &str, instant: DateTime<Utc>) -> Option<DateTime<Utc>> {
        if storable(instant) {
            Some(instant)
        } else {
            self.add(field, "out-of-range", format!("must be {DATE_RANGE}"));
            None
        }
    }

    /// An RFC 3339 instant (a date alone is refused: an instant is meant),
    /// if present.
    pub fn rfc3339(&mut self, field: &str, raw: Option<&str>) -> Option<DateTime<Utc>> {
        let Some(instant) = parse_instant(raw?) else {
            self.add(
                field,
                "invalid",
                "must be an RFC 3339 instant, e.g. 2027-05-01T12:00:00Z",
            );
            return None;
        };
        self.in_range(field, instant)
    }
}

/// An RFC 3339 instant. A `+` of an offset that arrived unencoded in a
/// query string has been decoded to a space; it is read back as `+`.
fn parse_instant(raw: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(raw)
        .or_else(|_| DateTime::parse_from_rfc3339(&raw.replace(' ', "+")))
        .ok()
        .map(|instant| instant.with_timezone(&Utc))
}

/// The pattern of a date or an instant the stores can be asked about: the
/// year 1970 or later (see [`EARLIEST`]; four digits, so never past
/// 9999).
pub const FROM_1970: &str = "^(19[7-9][0-9]|[2-9][0-9]{3})-";

/// The schema of a bound of a time range ([`Errors::instant`]): an RFC
/// 3339 instant or a date, from 1970 on.
pub fn instant_or_date_schema() -> Schema {
    AnyOfBuilder::new()
        .item(string_schema(KnownFormat::DateTime))
        .item(string_schema(KnownFormat::Date))
        .build()
        .into()
}

/// The schema of an exact instant ([`Errors::rfc3339`]): RFC 3339, from
/// 1970 on.
pub fn instant_schema() -> Schema {
    string_schema(KnownFormat::DateTime).into()
}

fn string_schema(format: KnownFormat) -> utoipa::openapi::Object {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .format(Some(SchemaFormat::KnownFormat(format)))
        .pattern(Some(FROM_1970))
        .build()
}

/// `page` and `page_size`, as every list endpoint takes them.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PagingParams {
    /// Page number, from 1 (at most 10000). Default 1.
    #[param(value_type = Option<u64>, minimum = 1, maximum = 10000)]
    pub page: Option<String>,
    /// Items per page, 1 to 100. Default 20.
    #[param(value_type = Option<u64>, minimum = 1, maximum = 100)]
    pub page_size: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_out_of_range_or_not_integers_are_named() {
        let mut errors = Errors::default();
        assert_eq!(errors.integer("n", Some("5"), 1..=10, 1), 5);
        assert_eq!(errors.integer("n", None, 1..=10, 3), 3);
        errors.integer("a", Some("0"), 1..=10, 1);
        errors.integer("b", Some("x"), 1..=10, 1);
        errors.integer("c", Some("-1"), 1..=10, 1);
        let problem = errors.finish(()).unwrap_err();
        let fields: Vec<_> = problem.errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["a", "b", "c"]);
    }

    #[test]
    fn a_date_bound_covers_the_whole_day_and_an_instant_is_exact() {
        let mut errors = Errors::default();
        let from = errors.instant("f", Some("2027-05-01"), false).unwrap();
        let to = errors.instant("t", Some("2027-05-01"), true).unwrap();
        assert_eq!(from.to_rfc3339(), "2027-05-01T00:00:00+00:00");
        assert_eq!(to.to_rfc3339(), "2027-05-02T00:00:00+00:00");
        let exact = errors
            .instant("t", Some("2027-05-01T12:00:00 02:00"), true)
            .unwrap();
        assert_eq!(exact.to_rfc3339(), "2027-05-01T10:00:00+00:00");
        assert!(errors.finish(()).is_ok());
        let mut errors = Errors::default();
        assert_eq!(errors.instant("t", Some("tomorrow"), true), None);
        assert_eq!(errors.finish(()).unwrap_err().errors[0].field, "t");
    }

    #[test]
    fn dates_and_instants_outside_what_the_stores_hold_are_out_of_range() {
        for raw in [
            "0000-01-01",
            "-0001-01-01",
            "1969-12-31",
            "+10000-01-01",
            "0000-01-01T00:00:00Z",
            "1969-12-31T23:59:59.999Z",
            "1970-01-01T00:30:00+01:00",
        ] {
            let mut errors = Errors::default();
            assert_eq!(errors.instant("from", Some(raw), false), None, "{raw}");
            assert_eq!(errors.instant("to", Some(raw), true), None, "{raw}");
            if !raw.contains('T') {
                continue;
            }
            assert_eq!(errors.rfc3339("as_of", Some(raw)), None, "{raw}");
            let problem = errors.finish(()).unwrap_err();
            let codes: Vec<_> = problem
                .errors
                .iter()
                .map(|e| (e.field.as_str(), e.code.as_str()))
                .collect();
            assert_eq!(
                codes,
                [
                    ("from", "out-of-range"),
                    ("to", "out-of-range"),
                    ("as_of", "out-of-range")
                ],
                "{raw}"
            );
        }
        let mut errors = Errors::default();
        let first = errors.instant("from", Some("1970-01-01"), false).unwrap();
        assert_eq!(first.timestamp_millis(), 0);
        let last = errors.instant("to", Some("9999-12-31"), true).unwrap();
        assert_eq!(last.to_rfc3339(), "9999-12-31T23:59:59.999+00:00");
        assert!(errors.rfc3339("as_of", Some(LATEST)).is_some());
        assert!(errors.finish(()).is_ok());
    }

    #[test]
    fn an_exact_instant_refuses_dates() {
        let mut errors = Errors::default();
        let at = errors.rfc3339("as_of", Some("2027-05-01T12:00:00 02:00"));
        assert_eq!(at.unwrap().to_rfc3339(), "2027-05-01T10:00:00+00:00");
        assert_eq!(errors.rfc3339("as_of", None), None);
        assert!(errors.finish(()).is_ok());
        let mut errors = Errors::default();
        assert_eq!(errors.rfc3339("as_of", Some("2027-05-01")), None);
        assert_eq!(errors.finish(()).unwrap_err().errors[0].field, "as_of");
    }

    #[test]
    fn values_are_read_exactly_as_their_schema_writes_them() {
        // What the OpenAPI document refuses (a sign or blanks around an
        // integer, `1` for a boolean, a blank around an enum value, a date
        // not written YYYY-MM-DD) is refused here too, so that the document
        // is exact both ways.
        let mut errors = Errors::default();
        errors.integer("signed", Some("+5"), 1..=10, 1);
        errors.integer("blank", Some(" 5"), 1..=10, 1);
        errors.boolean("one", Some("1"), false);
        errors.boolean("padded", Some("true "), false);
        errors.choice("choice", Some(" a"), &[("a", 1)]);
        errors.instant("date", Some("2027-5-1"), false);
        errors.instant("padded_date", Some(" 2027-05-01"), false);
        errors.rfc3339("instant", Some(" 2027-05-01T00:00:00Z"));
        let problem = errors.finish(()).unwrap_err();
        let fields: Vec<_> = problem.errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "signed",
                "blank",
                "one",
                "padded",
                "choice",
                "date",
                "padded_date",
                "instant"
            ]
        );
    }

    #[test]
    fn booleans_choices_and_uuids() {
        let mut errors = Errors::default();
        assert!(errors.boolean("all", Some("true"), false));
        assert!(!errors.boolean("all", None, false));
        assert_eq!(
            errors.choice("s", Some("b"), &[("a", 1), ("b", 2)]),
            Some(2)
        );
        let id = "0193A0D6-0000-7000-8000-000000000001";
        assert_eq!(
            errors.uuid("id", Some(id)).as_deref(),
            Some("0193a0d6-0000-7000-8000-000000000001")
        );
        assert!(errors.finish(()).is_ok());
        let mut errors = Errors::default();
        errors.boolean("all", Some("yes"), false);
        errors.choice("s", Some("c"), &[("a", 1)]);
        errors.uuid("id", Some("nope"));
        assert_eq!(errors.finish(()).unwrap_err().errors.len(), 3);
    }
}
