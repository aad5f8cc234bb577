//! A traveler's or an agency's own bookings.

use std::collections::BTreeSet;

use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::{web, HttpRequest, HttpResponse};
use bson::doc;
use platform::auth::Authenticated;
use platform::{Problem, Role};
use read_models::sales::BookingStatus;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use super::launches::wait_for_launch_version;
use crate::errors::mongo_problem;
use crate::freshness::{self, READ_VERSION_HEADER};
use crate::openapi::{NotHolder, Unauthorized, Unavailable, ValidationFailed};
use crate::params::{Errors, PagingParams};
use crate::startup::AppState;
use crate::views::{Booking, Page};

/// Who has bookings of their own.
const HOLDERS: [Role; 2] = [Role::Traveler, Role::Agency];

const STATUSES: [(&str, BookingStatus); 2] = [
    ("active", BookingStatus::Active),
    ("cancelled", BookingStatus::Cancelled),
];

/// The statuses of a booking (the documentation of `status`).
#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
#[allow(dead_code)] // Only its schema is used.
pub enum BookingStatusName {
    /// Not cancelled.
    Active,
    /// Cancelled by its holder, or refunded when the launch was aborted.
    Cancelled,
}

/// The filters of `GET /v1/me/bookings`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct BookingParams {
    /// Only active, or only cancelled, bookings.
    #[param(value_type = Option<BookingStatusName>, example = "active")]
    pub status: Option<String>,
    /// Only the bookings on this launch (UUID).
    #[param(value_type = Option<uuid::Uuid>)]
    pub launch_id: Option<String>,
}

/// The caller's own bookings, newest first, each with a summary of its
/// launch (travelers and agencies).
#[utoipa::path(get, path = "/v1/me/bookings", tag = "bookings",
    security(("bearer" = [])),
    params(BookingParams, PagingParams,
        ("Astro-Min-Version" = Option<String>, Header, nullable = false, pattern = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}:[1-9][0-9]{0,17}$", description = "`<launch_id>:<version>`: wait (bounded) until the read model has that launch's version, e.g. after booking")),
    responses(
        (status = 200, body = Page<Booking>, headers(
            ("Cache-Control" = String, description = "`private, no-store`"),
            ("Astro-Read-Version" = Option<i64>, description = "With Astro-Min-Version: the launch's version seen"),
            ("Astro-Stale" = Option<String>, description = "`true` when the wait for Astro-Min-Version timed out"))),
        (status = 401, response = Unauthorized),
        (status = 403, response = NotHolder),
        (status = 422, response = ValidationFailed),
        (status = 503, response = Unavailable)))]
pub async fn mine(
    req: HttpRequest,
    Authenticated(principal): Authenticated,
    params: web::Query<BookingParams>,
    paging: web::Query<PagingParams>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, Problem> {
    principal.require(&HOLDERS)?;
    let mut errors = Errors::default();
    let status = errors.choice("status", params.status.as_deref(), &STATUSES);
    let launch_id = errors.uuid("launch_id", params.launch_id.as_deref());
    let paging = errors.paging(paging.page.as_deref(), paging.page_size.as_deref());
    let min_version = freshness::from_header(&req)?;
    errors.finish(())?;

    let mut response = HttpResponse::Ok();
    response.insert_header((header::CACHE_CONTROL, "private, no-store"));
    if let Some(min_version) = min_version {
        let waited = wait_for_launch_version(&state, &min_version).await?;
        waited.mark(&mut response);
        if let Some(version) = waited.value {
            response.insert_header((
                HeaderName::from_static(READ_VERSION_HEADER),
                HeaderValue::from(version),
            ));
        }
    }

    let mut filter = doc! { "holder_id": principal.user_id.to_string() };
    if let Some(status) = status {
        filter.insert("status", status.as_str());
    }
    if let Some(launch_id) = launch_id {
        filter.insert("launch_id", launch_id);
    }
    let (docs, total) = state
        .store
        .bookings(filter, paging)
        .await
        .map_err(|e| mongo_problem(&e))?;
    let launch_ids: BTreeSet<String> = docs.iter().map(|b| b.launch_id.clone()).collect();
    let launches = state
        .store
        .launch_summaries(launch_ids.into_iter().collect())
        .await
        .map_err(|e| mongo_problem(&e))?;
    let page = Page {
        items: docs
            .into_iter()
            .map(|doc| Booking::from_doc(doc, &launches))
            .collect(),
        page: paging.page,
        page_size: paging.page_size,
        total,
    };
    Ok(response.json(page))
}
