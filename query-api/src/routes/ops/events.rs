//! `GET /v1/ops/events`: the event store, newest first, by keyset pages.

use actix_web::http::header;
use actix_web::{web, HttpResponse};
use platform::auth::Authenticated;
use platform::Problem;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{name, require_it, text, time_range, NO_STORE};
use crate::errors::event_store_problem;
use crate::openapi::{NotIt, Unauthorized, Unavailable, ValidationFailed};
use crate::ops::events::{self, EventFilter, StoredEventView};
use crate::params::{Errors, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE};
use crate::startup::AppState;

/// The filters of `GET /v1/ops/events`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EventParams {
    /// The aggregate type (`Launch`, `Rocket`, `Profile`): 1 to 100 of
    /// `A-Z a-z 0-9 - _ .`.
    #[param(value_type = Option<String>, pattern = r"^\s*[A-Za-z0-9._-]{1,100}\s*$", example = "Launch")]
    pub aggregate_type: Option<String>,
    /// One aggregate's id (with or without `aggregate_type`); no control
    /// characters, at most 200.
    #[param(value_type = Option<String>, max_length = 200, pattern = r"^[^\u0000-\u001F\u007F-\u009F]*$")]
    pub aggregate_id: Option<String>,
    /// The event type (`SeatsBooked`, `BookingCancelled`, …): 1 to 100 of
    /// `A-Z a-z 0-9 - _ .`.
    #[param(value_type = Option<String>, pattern = r"^\s*[A-Za-z0-9._-]{1,100}\s*$", example = "SeatsBooked")]
    pub event_type: Option<String>,
    /// Occurred at or after: an RFC 3339 instant, or a date (UTC), from
    /// 1970-01-01 to 9999-12-31 (else 422).
    #[param(schema_with = crate::params::instant_or_date_schema, example = "2026-11-25T10:00:00Z")]
    pub from: Option<String>,
    /// Occurred before: an RFC 3339 instant (exclusive), or a date (the
    /// whole day included), up to 9999-12-31 (else 422).
    #[param(schema_with = crate::params::instant_or_date_schema, example = "2026-11-26")]
    pub to: Option<String>,
    /// Only events below this global position (the next, older, page:
    /// the answer's `next_before`).
    #[param(value_type = Option<i64>, minimum = 0, maximum = 9223372036854775807_i64)]
    pub before_position: Option<String>,
    /// Only events above this global position. Alone (without
    /// `before_position`), the page is the events just above it (the
    /// previous, newer, page: the answer's `next_after`).
    #[param(value_type = Option<i64>, minimum = 0, maximum = 9223372036854775807_i64)]
    pub after_position: Option<String>,
    /// Events per page, 1 to 100. Default 20.
    #[param(value_type = Option<u64>, minimum = 1, maximum = 100)]
    pub page_size: Option<String>,
}

/// A page of events.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EventPage {
    /// Newest first (by global position).
    pub items: Vec<StoredEventView>,
    /// Events per page asked for.
    pub page_size: u64,
    /// The store's highest global position now (null when empty).
    pub head: Option<i64>,
    /// The `before_position` of the next, older, page; null when no older
    /// event matches.
    pub next_before: Option<i64>,
    /// The `after_position` of the previous, newer, page (this page's
    /// newest position); null when the page is empty.
    pub next_after: Option<i64>,
    /// Whether more events match beyond this page in the direction read
    /// (older; newer with `after_position` alone).
    pub has_more: bool,
}

/// The filter and page size the parameters ask for, or a 422 naming
/// every invalid one.
pub fn parse(params: &EventParams) -> Result<(EventFilter, u64), Problem> {
    let mut errors = Errors::default();
    let aggregate_type = params
        .aggregate_type
        .as_deref()
        .and_then(|raw| name(&mut errors, "aggregate_type", raw));
    let aggregate_id = text(
        &mut errors,
        "aggregate_id",
        params.aggregate_id.as_deref(),
        200,
    );
    let event_type = params
        .event_type
        .as_deref()
        .and_then(|raw| name(&mut errors, "event_type", raw));
    let (from, to) = time_range(&mut errors, params.from.as_deref(), params.to.as_deref());
    let position = |errors: &mut Errors, field: &str, raw: Option<&str>| {
        raw.map(|raw| errors.integer(field, Some(raw), 0..=i64::MAX as u64, 0) as i64)
    };
    let before = position(
        &mut errors,
        "before_position",
        params.before_position.as_deref(),
    );
    let after = position(
        &mut errors,
        "after_position",
        params.after_position.as_deref(),
    );
    let page_size = errors.integer(
        "page_size",
        params.page_size.as_deref(),
        1..=MAX_PAGE_SIZE,
        DEFAULT_PAGE_SIZE,
    );
    errors.finish((
        EventFilter {
            aggregate_type,
            aggregate_id,
            event_type,
            from,
            to,
            before,
            after,
        },
        page_size,
    ))
}

/// The event store (PostgreSQL `events`), each event with its envelope:
/// aggregate type and id, sequence, global position, event type and
/// version, metadata (event id, occurred at, correlation and causation
/// ids, actor) and the payload as stored. Newest first; pages by global
/// position (`before_position` / `after_position`), never by offset, and
/// nothing is counted. `from`/`to` are on the event's `occurred_at`. There
/// is no `correlation_id` filter: no index covers it (the logs have it).
#[utoipa::path(get, path = "/v1/ops/events", tag = "it", operation_id = "list_events",
    security(("bearer" = [])),
    params(EventParams),
    responses(
        (status = 200, body = EventPage),
        (status = 401, response = Unauthorized),
        (status = 403, response = NotIt),
        (status = 422, response = ValidationFailed),
        (status = 503, response = Unavailable)))]
pub async fn list(
    Authenticated(principal): Authenticated,
    params: web::Query<EventParams>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, Problem> {
    require_it(&principal)?;
    let (filter, page_size) = parse(&params)?;
    let pool = state.finance.pool();
    let (page, head) = futures::join!(events::page(pool, &filter, page_size), events::head(pool));
    let (items, more) = page.map_err(|e| event_store_problem(&e))?;
    let head = head.map_err(|e| event_store_problem(&e))?.map(|h| h.0);
    let upwards = filter.after.is_some() && filter.before.is_none();
    let next_before = if more || upwards {
        items.last().map(|e| e.global_position)
    } else {
        None
    };
    let next_after = items.first().map(|e| e.global_position);
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, NO_STORE))
        .json(EventPage {
            items,
            page_size,
            head,
            next_before,
            next_after,
            has_more: more,
        }))
}
