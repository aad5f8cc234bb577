//! RFC 9457 problem details built from arbitrary field errors and details,
//! or read from an arbitrary problem+json document through
//! `platform::http::parse_json`; and the query-parameter parsers of the
//! query API (the launch listing, the IT console's logs, events and
//! notifications filters: dates, pagination, cursors) fed an arbitrary
//! query string the way actix-web does (`web::Query::from_query`), plus the
//! primitives every other endpoint's parameters go through
//! (`query_api::params::Errors`: instants and dates, integers, UUIDs,
//! booleans).
//!
//! Input: the first byte picks what to exercise, the rest is its data.
//! Invariants: nothing panics; a problem serializes to JSON that reads back
//! the same and answers with its status (500 for a status HTTP does not
//! have); a query accepted is within the documented bounds.
#![no_main]

use actix_web::body::MessageBody;
use actix_web::web::Query;
use actix_web::ResponseError;
use arbitrary::{Arbitrary, Unstructured};
use libfuzzer_sys::fuzz_target;
use platform::http::parse_json;
use platform::problem::PROBLEM_JSON;
use platform::{FieldError, Problem};
use query_api::ops::logs::Cursor;
use query_api::params::{self, Errors, PagingParams, MAX_PAGE, MAX_PAGE_SIZE};
use query_api::routes::launches::{Listing, ListingParams, MAX_MIN_FREE_SEATS};
use query_api::routes::ops::{events, logs, notifications};

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let query = String::from_utf8_lossy(rest);
    match selector % 7 {
        0 => problem(rest),
        1 => listing(&query),
        2 => log_query(&query),
        3 => event_query(&query),
        4 => notification_query(&query),
        5 => problem_document(rest),
        _ => parameter(&query),
    }
});

#[derive(Arbitrary, Debug)]
struct ProblemInput {
    status: u16,
    code: String,
    title: String,
    detail: Option<String>,
    retry_after: Option<u64>,
    errors: Vec<(String, String, String)>,
}

fn problem(data: &[u8]) {
    let Ok(input) = ProblemInput::arbitrary_take_rest(Unstructured::new(data)) else {
        return;
    };
    let mut made = Problem::new(input.status, &input.code, &input.title);
    if let Some(detail) = input.detail {
        made = made.with_detail(detail);
    }
    made.retry_after = input.retry_after;
    answer(&made);
    let errors: Vec<FieldError> = input
        .errors
        .iter()
        .map(|(field, code, message)| FieldError::new(field.as_str(), code, message.as_str()))
        .collect();
    let invalid = Problem::invalid(errors.clone());
    assert_eq!(invalid.status, 422);
    assert_eq!(invalid.errors, errors);
    assert!(invalid.detail.is_some());
    answer(&invalid);
}

/// The response of a problem: its status (or 500), problem+json, and a body
/// that reads back as the problem (but `retry_after`, a header).
fn answer(problem: &Problem) {
    assert!(problem.type_.starts_with("/problems/"));
    respond(problem);
}

/// A problem+json document as a client reads one (any `type`, any status):
/// when it parses, it answers like one built here, and its JSON reads back
/// through the same parser as the same problem.
fn problem_document(data: &[u8]) {
    let problem = match parse_json::<Problem>(data) {
        Ok(problem) => problem,
        Err(refusal) => {
            assert!(matches!(refusal.status, 400 | 422), "{refusal:?}");
            return;
        }
    };
    let text = serde_json::to_vec(&problem).expect("a problem serializes");
    assert_eq!(parse_json::<Problem>(&text).as_ref(), Ok(&problem));
    respond(&problem);
}

fn respond(problem: &Problem) {
    let _ = problem.to_string();
    let response = problem.error_response();
    let status = response.status().as_u16();
    assert!(
        status == problem.status || status == 500,
        "{status} for {problem:?}"
    );
    assert_eq!(
        response
            .headers()
            .get("content-type")
            .unwrap()
            .to_str()
            .unwrap(),
        PROBLEM_JSON
    );
    if let Some(seconds) = problem.retry_after {
        assert_eq!(
            response
                .headers()
                .get("retry-after")
                .unwrap()
                .to_str()
                .unwrap(),
            seconds.to_string()
        );
    }
    let body = response
        .into_body()
        .try_into_bytes()
        .unwrap_or_else(|_| panic!("a problem's body is in memory"));
    let back: Problem = serde_json::from_slice(&body).expect("a problem's body reads back");
    assert_eq!(
        back,
        Problem {
            retry_after: None,
            ..problem.clone()
        }
    );
}

/// A refused query names each bad parameter.
fn check_refusal(problem: &Problem) {
    assert_eq!(problem.status, 422, "{problem:?}");
    assert!(!problem.errors.is_empty());
    assert!(problem.errors.iter().all(|e| !e.field.is_empty()));
}

fn listing(query: &str) {
    let (Ok(params), Ok(paging)) = (
        Query::<ListingParams>::from_query(query),
        Query::<PagingParams>::from_query(query),
    ) else {
        return;
    };
    let listing = match Listing::parse(&params, &paging) {
        Ok(listing) => listing,
        Err(problem) => return check_refusal(&problem),
    };
    assert!((1..=MAX_PAGE).contains(&listing.paging.page), "{listing:?}");
    assert!((1..=MAX_PAGE_SIZE).contains(&listing.paging.page_size));
    if let Some(min) = listing.min_free_seats {
        assert!((1..=MAX_MIN_FREE_SEATS).contains(&min), "{listing:?}");
    }
    if !listing.all {
        assert!(listing.min_free_seats.is_some());
    }
    if let (Some(from), Some(to)) = (listing.departure_from, listing.departure_to) {
        assert!(from < to, "{listing:?}");
    }
}

fn log_query(query: &str) {
    let Ok(params) = Query::<logs::LogParams>::from_query(query) else {
        return;
    };
    let parsed = match logs::parse(&params) {
        Ok(parsed) => parsed,
        Err(problem) => return check_refusal(&problem),
    };
    assert!((1..=logs::MAX_LOG_PAGE_SIZE).contains(&parsed.page_size));
    assert!(!(parsed.follow && parsed.before.is_some()));
    let filter = &parsed.filter;
    assert!(filter
        .text
        .as_ref()
        .is_none_or(|t| t.chars().count() <= 200));
    for id in [&filter.correlation_id, &filter.request_id]
        .into_iter()
        .flatten()
    {
        assert!(id.chars().count() <= 128 && !id.trim().is_empty());
    }
    if let (Some(from), Some(to)) = (filter.from, filter.to) {
        assert!(from < to);
    }
    if let Some(cursor) = parsed.before {
        // What a page hands out as `next_before` comes back as the same.
        assert_eq!(Cursor::decode(&cursor.encode()), Some(cursor));
    }
}

fn event_query(query: &str) {
    let Ok(params) = Query::<events::EventParams>::from_query(query) else {
        return;
    };
    let (filter, page_size) = match events::parse(&params) {
        Ok(parsed) => parsed,
        Err(problem) => return check_refusal(&problem),
    };
    assert!((1..=MAX_PAGE_SIZE).contains(&page_size));
    assert!(filter.before.is_none_or(|p| p >= 0));
    assert!(filter.after.is_none_or(|p| p >= 0));
    if let (Some(from), Some(to)) = (filter.from, filter.to) {
        assert!(from < to);
    }
}

fn notification_query(query: &str) {
    let (Ok(status), Ok(params), Ok(paging)) = (
        Query::<notifications::StatusParams>::from_query(query),
        Query::<notifications::NotificationParams>::from_query(query),
        Query::<PagingParams>::from_query(query),
    ) else {
        return;
    };
    let mut errors = Errors::default();
    let filter = notifications::parse_filter(
        &mut errors,
        status.status.as_deref(),
        &params,
        &notifications::STATUSES,
    );
    let paging = errors.paging(paging.page.as_deref(), paging.page_size.as_deref());
    match errors.finish((filter, paging)) {
        Ok((filter, paging)) => {
            assert!((1..=MAX_PAGE).contains(&paging.page));
            assert!((1..=MAX_PAGE_SIZE).contains(&paging.page_size));
            if let Some(recipient) = &filter.recipient {
                assert_eq!(recipient, &recipient.to_lowercase());
            }
            if let (Some(from), Some(to)) = (filter.from, filter.to) {
                assert!(from < to);
            }
        }
        Err(problem) => check_refusal(&problem),
    }
}

/// One value through each primitive of `query_api::params::Errors`: what is
/// accepted is within its bounds, and what is refused names the parameter.
fn parameter(raw: &str) {
    let mut errors = Errors::default();
    let start = errors.instant("from", Some(raw), false);
    let end = errors.instant("to", Some(raw), true);
    match (start, end) {
        (Some(start), Some(end)) => {
            assert!(params::storable(start) && params::storable(end), "{raw:?}");
            // The end of a day is after its start; an instant is itself.
            assert!(start <= end, "{raw:?}: {start} > {end}");
        }
        (None, None) => {}
        _ => panic!("{raw:?} is a valid lower bound xor a valid upper one"),
    }
    if let Some(instant) = errors.rfc3339("before", Some(raw)) {
        assert!(params::storable(instant));
        assert_eq!(start, Some(instant), "{raw:?}");
    }
    let page = errors.integer("page", Some(raw), 1..=MAX_PAGE, 1);
    assert!((1..=MAX_PAGE).contains(&page));
    if let Some(id) = errors.uuid("booking_id", Some(raw)) {
        assert_eq!(uuid::Uuid::parse_str(&id).map(|u| u.to_string()), Ok(id));
    }
    let _ = errors.boolean("all", Some(raw), false);
    if let Err(problem) = errors.finish(()) {
        check_refusal(&problem);
    }
}
