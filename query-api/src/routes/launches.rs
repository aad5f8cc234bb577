//! The launches on sale, for everyone (no token): the listing the sales site
//! and bots browse, and one launch.

use std::sync::Arc;
use std::time::Instant;

use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::{web, HttpRequest, HttpResponse, HttpResponseBuilder};
use bson::{doc, DateTime as BsonDateTime, Document};
use chrono::{DateTime, Utc};
use events::RocketRange;
use platform::Problem;
use read_models::sales::LaunchDoc;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::cache::Rendered;
use crate::errors::mongo_problem;
use crate::freshness::{self, MinVersion, Waited, READ_VERSION_HEADER};
use crate::metrics::Freshness;
use crate::openapi::{ProblemSchema, Unavailable, ValidationFailed};
use crate::params::{Errors, PagingParams};
use crate::startup::AppState;
use crate::store::Paging;
use crate::views::{Launch, Page};

/// `Cache-Control` of anonymous reads. One second lets browsers and any
/// shared cache in front of us absorb bursts (bots, page reloads) while a
/// seat count is never more than a second or so older than the read model;
/// the ETag makes revalidation after that cheap.
pub const PUBLIC_CACHE_CONTROL: &str = "public, max-age=1";
/// `Cache-Control` of an answer to a read-your-writes request: it was made
/// for one client at one moment.
pub const NO_STORE: &str = "no-store";

/// The filters, order and options of `GET /v1/launches`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListingParams {
    /// Only launches to this destination.
    #[param(value_type = Option<DestinationName>, example = "moon")]
    pub destination: Option<String>,
    /// Departing at or after: an RFC 3339 instant (inclusive), or a date
    /// `YYYY-MM-DD` (from the start of that day, UTC). Encode a `+` offset
    /// as `%2B`. From 1970-01-01 to 9999-12-31 (UTC), else 422.
    #[param(schema_with = crate::params::instant_or_date_schema, example = "2027-05-01")]
    pub departure_from: Option<String>,
    /// Departing before: an RFC 3339 instant (exclusive), or a date
    /// `YYYY-MM-DD` (up to the end of that day, UTC, inclusive). From
    /// 1970-01-01 to 9999-12-31 (UTC), else 422.
    #[param(schema_with = crate::params::instant_or_date_schema, example = "2027-05-31")]
    pub departure_to: Option<String>,
    /// At least this many free seats (1 to 1000000). Default 1; with
    /// `all=true`, no minimum unless given.
    #[param(value_type = Option<u64>, minimum = 1, maximum = 1000000)]
    pub min_free_seats: Option<String>,
    /// `departure_at` (default), `-departure_at`, `price` or `-price`; ties
    /// are broken by launch id.
    #[param(value_type = Option<SortName>, example = "price")]
    pub sort: Option<String>,
    /// `false` (default): only launches that sell seats now (a bookable
    /// status, a departure in the future, enough free seats). `true`: every
    /// launch, whatever its status, departure or free seats, still filtered
    /// by the other parameters given.
    #[param(value_type = Option<bool>)]
    pub all: Option<String>,
}

/// The destinations a listing filters on (the documentation of
/// `destination`).
#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
#[allow(dead_code)] // Only its schema is used.
pub enum DestinationName {
    /// Suborbital hops.
    Suborbital,
    /// Low Earth orbit.
    LowEarthOrbit,
    /// The Moon.
    Moon,
    /// Mars.
    Mars,
}

/// The orders of a listing (the documentation of `sort`).
#[derive(ToSchema)]
#[allow(dead_code)] // Only its schema is used.
pub enum SortName {
    /// Earliest departure first.
    #[schema(rename = "departure_at")]
    DepartureAt,
    /// Latest departure first.
    #[schema(rename = "-departure_at")]
    DepartureAtDescending,
    /// Cheapest first.
    #[schema(rename = "price")]
    Price,
    /// Dearest first.
    #[schema(rename = "-price")]
    PriceDescending,
}

/// The order of a listing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sort {
    /// `departure_at`.
    DepartureAsc,
    /// `-departure_at`.
    DepartureDesc,
    /// `price`.
    PriceAsc,
    /// `-price`.
    PriceDesc,
}

const SORTS: [(&str, Sort); 4] = [
    ("departure_at", Sort::DepartureAsc),
    ("-departure_at", Sort::DepartureDesc),
    ("price", Sort::PriceAsc),
    ("-price", Sort::PriceDesc),
];

const DESTINATIONS: [(&str, RocketRange); 4] = [
    ("suborbital", RocketRange::Suborbital),
    ("low_earth_orbit", RocketRange::LowEarthOrbit),
    ("moon", RocketRange::Moon),
    ("mars", RocketRange::Mars),
];

impl Sort {
    fn name(self) -> &'static str {
        SORTS
            .iter()
            .find(|(_, sort)| *sort == self)
            .map_or("departure_at", |(name, _)| name)
    }

    fn document(self) -> Document {
        match self {
            Self::DepartureAsc => doc! { "departure_at": 1, "_id": 1 },
            Self::DepartureDesc => doc! { "departure_at": -1, "_id": 1 },
            Self::PriceAsc => doc! { "price_per_seat_cents": 1, "_id": 1 },
            Self::PriceDesc => doc! { "price_per_seat_cents": -1, "_id": 1 },
        }
    }
}

/// Largest `min_free_seats` accepted.
pub const MAX_MIN_FREE_SEATS: u64 = 1_000_000;

/// A listing request, validated and normalized.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listing {
    /// Only launches to there.
    pub destination: Option<RocketRange>,
    /// Departing at or after.
    pub departure_from: Option<DateTime<Utc>>,
    /// Departing before (later than `departure_from`).
    pub departure_to: Option<DateTime<Utc>>,
    /// At least this many free seats (1 to [`MAX_MIN_FREE_SEATS`]).
    pub min_free_seats: Option<u64>,
    /// The order.
    pub sort: Sort,
    /// The page.
    pub paging: Paging,
    /// Every launch, not only those on sale.
    pub all: bool,
}

impl Listing {
    /// The listing the query parameters ask for, or a 422 naming every
    /// invalid one.
    pub fn parse(params: &ListingParams, paging: &PagingParams) -> Result<Self, Problem> {
        let mut errors = Errors::default();
        let all = errors.boolean("all", params.all.as_deref(), false);
        let explicit_min = params
            .min_free_seats
            .as_deref()
            .map(|raw| errors.integer("min_free_seats", Some(raw), 1..=MAX_MIN_FREE_SEATS, 1));
        let listing = Self {
            destination: errors.choice("destination", params.destination.as_deref(), &DESTINATIONS),
            departure_from: errors.instant(
                "departure_from",
                params.departure_from.as_deref(),
                false,
            ),
            departure_to: errors.instant("departure_to", params.departure_to.as_deref(), true),
            min_free_seats: explicit_min.or((!all).then_some(1)),
            sort: errors
                .choice("sort", params.sort.as_deref(), &SORTS)
                .unwrap_or(Sort::DepartureAsc),
            paging: errors.paging(paging.page.as_deref(), paging.page_size.as_deref()),
            all,
        };
        if let (Some(from), Some(to)) = (listing.departure_from, listing.departure_to) {
            if from >= to {
                errors.add(
                    "departure_to",
                    "out-of-range",
                    "must be later than departure_from",
                );
            }
        }
        errors.finish(listing)
    }

    /// The cache key: equal for requests that mean the same listing.
    fn key(&self) -> String {
        let millis = |at: Option<DateTime<Utc>>| at.map(|at| at.timestamp_millis());
        format!(
            "{:?}|{:?}|{:?}|{:?}|{}|{}|{}|{}",
            self.destination.map(RocketRange::as_str),
            millis(self.departure_from),
            millis(self.departure_to),
            self.min_free_seats,
            self.sort.name(),
            self.paging.page,
            self.paging.page_size,
            self.all,
        )
    }

    /// The MongoDB filter, as of `now`.
    fn filter(&self, now: DateTime<Utc>) -> Document {
        let mut filter = Document::new();
        if !self.all {
            filter.insert("bookable", true);
        }
        if let Some(destination) = self.destination {
            filter.insert("destination", destination.as_str());
        }
        let mut departure = Document::new();
        if !self.all {
            departure.insert("$gt", BsonDateTime::from_chrono(now));
        }
        if let Some(from) = self.departure_from {
            departure.insert("$gte", BsonDateTime::from_chrono(from));
        }
        if let Some(to) = self.departure_to {
            departure.insert("$lt", BsonDateTime::from_chrono(to));
        }
        if !departure.is_empty() {
            filter.insert("departure_at", departure);
        }
        if let Some(min) = self.min_free_seats {
            filter.insert("free_seats", doc! { "$gte": min as i64 });
        }
        filter
    }
}

/// Lists launches (anonymous): by default only those on sale now.
///
/// Answers from an in-process cache for up to `LISTING_CACHE_TTL_MS`, with
/// a strong `ETag` (`If-None-Match` → 304). An `Astro-Min-Version` header
/// bypasses the cache and first waits (bounded) for that launch's version.
#[utoipa::path(get, path = "/v1/launches", tag = "launches",
    params(ListingParams, PagingParams,
        ("Astro-Min-Version" = Option<String>, Header, nullable = false, pattern = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}:[1-9][0-9]{0,17}$", description = "`<launch_id>:<version>`: wait (bounded) until the read model has that launch's version (at least 1)")),
    responses(
        (status = 200, body = Page<Launch>, headers(
            ("ETag" = String, description = "Strong entity tag of the body"),
            ("Cache-Control" = String, description = "`public, max-age=1` (`no-store` with Astro-Min-Version)"),
            ("Astro-Stale" = Option<String>, description = "`true` when the wait for Astro-Min-Version timed out"))),
        (status = 304, description = "The client's copy (If-None-Match) is current"),
        (status = 422, response = ValidationFailed),
        (status = 503, response = Unavailable)))]
pub async fn list(
    req: HttpRequest,
    params: web::Query<ListingParams>,
    paging: web::Query<PagingParams>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, Problem> {
    let listing = Listing::parse(&params, &paging)?;
    let min_version = freshness::from_header(&req)?;
    let key = listing.key();
    let Some(min_version) = min_version else {
        if let Some(rendered) = state.cache.get(&key) {
            state
                .metrics
                .listing_cache
                .with_label_values(&["hit"])
                .inc();
            return Ok(rendered.respond(&req, public()));
        }
        state
            .metrics
            .listing_cache
            .with_label_values(&["miss"])
            .inc();
        let read_at = Instant::now();
        let rendered = Arc::new(read_listing(&state, &listing).await?);
        state.cache.put(key, read_at, rendered.clone());
        return Ok(rendered.respond(&req, public()));
    };
    let waited = wait_for_launch_version(&state, &min_version).await?;
    let read_at = Instant::now();
    let rendered = Arc::new(read_listing(&state, &listing).await?);
    let mut response = HttpResponse::Ok();
    response.insert_header((header::CACHE_CONTROL, NO_STORE));
    waited.mark(&mut response);
    if waited.freshness != Freshness::Stale {
        // Fresher than what the cache may hold: later readers get it too.
        state.cache.put(key, read_at, rendered.clone());
    }
    Ok(rendered.respond(&req, response))
}

fn public() -> HttpResponseBuilder {
    let mut response = HttpResponse::Ok();
    response.insert_header((header::CACHE_CONTROL, PUBLIC_CACHE_CONTROL));
    response
}

/// Waits until the launch of `min_version` has reached it; the value is the
/// last version seen (`None` when there is no such launch yet).
pub async fn wait_for_launch_version(
    state: &AppState,
    min_version: &MinVersion,
) -> Result<Waited<i64>, Problem> {
    freshness::wait_for(
        &state.metrics,
        &state.versions,
        &min_version.launch_id,
        min_version.version,
        state.max_wait,
        || state.store.launch_version(&min_version.launch_id),
        |version| *version,
    )
    .await
    .map_err(|e| mongo_problem(&e))
}

async fn read_listing(state: &AppState, listing: &Listing) -> Result<Rendered, Problem> {
    let now = Utc::now();
    let (docs, total) = state
        .store
        .launches(listing.filter(now), listing.sort.document(), listing.paging)
        .await
        .map_err(|e| mongo_problem(&e))?;
    let page = Page {
        items: docs
            .into_iter()
            .map(|doc| Launch::from_doc(doc, now))
            .collect(),
        page: listing.paging.page,
        page_size: listing.paging.page_size,
        total,
    };
    Rendered::json(&page).map_err(|error| {
        tracing::error!(%error, "rendering a listing");
        Problem::internal()
    })
}

/// The read-your-writes options of `GET /v1/launches/{launch_id}`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LaunchParams {
    /// Wait (bounded) until the launch's version is at least this (≥ 1):
    /// the version the command API answered. On timeout the answer is what
    /// the read model has, with `Astro-Stale: true` (404 if it has nothing).
    #[param(value_type = Option<i64>, minimum = 1, maximum = 9223372036854775807_i64)]
    pub min_version: Option<String>,
    /// Longest wait in milliseconds (0 to 60000), capped at
    /// `READ_YOUR_WRITES_MAX_WAIT_MS` (the default).
    #[param(value_type = Option<u64>, minimum = 0, maximum = 60000)]
    pub wait_ms: Option<String>,
}

/// Longest `wait_ms` accepted (then capped by the configuration).
const MAX_WAIT_MS_PARAM: u64 = 60_000;

/// One launch (anonymous).
#[utoipa::path(get, path = "/v1/launches/{launch_id}", tag = "launches",
    params(("launch_id" = Uuid, Path, description = "The launch"), LaunchParams,
        ("Astro-Min-Version" = Option<String>, Header, nullable = false, pattern = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}:[1-9][0-9]{0,17}$", description = "`<launch_id>:<version>`: as `min_version` when it names this launch")),
    responses(
        (status = 200, body = Launch, headers(
            ("ETag" = String, description = "Strong entity tag of the body"),
            ("Astro-Read-Version" = i64, description = "The version of the launch this answer reflects"),
            ("Astro-Stale" = Option<String>, description = "`true` when the wait for the version asked timed out"))),
        (status = 304, description = "The client's copy (If-None-Match) is current"),
        (status = 404, description = "`launch-not-found`: no such launch (also `not-found` for an id that is not a UUID)", body = ProblemSchema, content_type = "application/problem+json"),
        (status = 422, response = ValidationFailed),
        (status = 503, response = Unavailable)))]
pub async fn get(
    req: HttpRequest,
    launch_id: web::Path<Uuid>,
    params: web::Query<LaunchParams>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, Problem> {
    let launch_id = launch_id.into_inner().to_string();
    let mut errors = Errors::default();
    let min_version = params
        .min_version
        .as_deref()
        .map(|raw| errors.integer("min_version", Some(raw), 1..=i64::MAX as u64, 1) as i64);
    let max_wait_ms = state.max_wait.as_millis() as u64;
    let wait_ms = errors.integer(
        "wait_ms",
        params.wait_ms.as_deref(),
        0..=MAX_WAIT_MS_PARAM,
        max_wait_ms,
    );
    let header = freshness::from_header(&req)?;
    let min_version = errors.finish(min_version)?;
    let from_header = header
        .filter(|h| h.launch_id == launch_id)
        .map(|h| h.version);
    let min_version = min_version.max(from_header);
    let mut response = HttpResponse::Ok();
    let doc = match min_version {
        None => {
            response.insert_header((header::CACHE_CONTROL, PUBLIC_CACHE_CONTROL));
            state
                .store
                .launch(&launch_id)
                .await
                .map_err(|e| mongo_problem(&e))?
        }
        Some(min_version) => {
            let max_wait = std::time::Duration::from_millis(wait_ms.min(max_wait_ms));
            let waited = freshness::wait_for(
                &state.metrics,
                &state.versions,
                &launch_id,
                min_version,
                max_wait,
                || state.store.launch(&launch_id),
                |doc: &LaunchDoc| doc.version,
            )
            .await
            .map_err(|e| mongo_problem(&e))?;
            response.insert_header((header::CACHE_CONTROL, NO_STORE));
            waited.mark(&mut response);
            waited.value
        }
    };
    let Some(doc) = doc else {
        return Err(Problem::not_found(
            "launch-not-found",
            format!("no launch {launch_id}"),
        ));
    };
    response.insert_header((
        HeaderName::from_static(READ_VERSION_HEADER),
        HeaderValue::from(doc.version),
    ));
    let rendered = Rendered::json(&Launch::from_doc(doc, Utc::now())).map_err(|error| {
        tracing::error!(%error, "rendering a launch");
        Problem::internal()
    })?;
    Ok(rendered.respond(&req, response))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(query: &str) -> Result<Listing, Problem> {
        let params = web::Query::<ListingParams>::from_query(query).unwrap();
        let paging = web::Query::<PagingParams>::from_query(query).unwrap();
        Listing::parse(&params, &paging)
    }

    #[test]
    fn the_default_listing_is_bookable_future_launches_with_a_free_seat() {
        let listing = parse("").unwrap();
        let now = Utc::now();
        let filter = listing.filter(now);
        assert_eq!(filter.get_bool("bookable"), Ok(true));
        assert_eq!(
            filter.get_document("free_seats").unwrap(),
            &doc! { "$gte": 1_i64 }
        );
        assert_eq!(
            filter.get_document("departure_at").unwrap(),
            &doc! { "$gt": BsonDateTime::from_chrono(now) }
        );
        assert_eq!(
            listing.paging,
            Paging {
                page: 1,
                page_size: 20
            }
        );
    }

    #[test]
    fn all_drops_the_implicit_filters_but_keeps_explicit_ones() {
        let filter = parse("all=true").unwrap().filter(Utc::now());
        assert!(filter.is_empty(), "{filter}");
        let filter = parse("all=true&min_free_seats=2&destination=mars")
            .unwrap()
            .filter(Utc::now());
        assert_eq!(
            filter,
            doc! { "destination": "mars", "free_seats": { "$gte": 2_i64 } }
        );
    }

    #[test]
    fn equivalent_queries_share_a_cache_key() {
        let a = parse("departure_from=2027-05-01&sort=departure_at").unwrap();
        let b = parse("departure_from=2027-05-01T00:00:00Z&page=1&unknown=x").unwrap();
        assert_eq!(a.key(), b.key());
        assert_ne!(a.key(), parse("sort=price").unwrap().key());
    }

    #[test]
    fn every_bad_parameter_is_named() {
        let problem = parse(
            "destination=venus&departure_from=x&departure_to=y&min_free_seats=0&sort=name&page=0&page_size=101&all=maybe",
        )
        .unwrap_err();
        let mut fields: Vec<_> = problem.errors.iter().map(|e| e.field.clone()).collect();
        fields.sort();
        assert_eq!(
            fields,
            [
                "all",
                "departure_from",
                "departure_to",
                "destination",
                "min_free_seats",
                "page",
                "page_size",
                "sort"
            ]
        );
        let problem = parse("departure_from=2027-05-02&departure_to=2027-05-01").unwrap_err();
        assert_eq!(problem.errors[0].field, "departure_to");
    }
}
