//! The OpenAPI document, generated from the handlers' annotations.

use actix_web::HttpResponse;
use platform::openapi::{BearerAuth, ProblemResponses};
use utoipa::OpenApi;

use crate::routes;

/// The command API's OpenAPI description.
#[derive(OpenApi)]
#[openapi(
    info(title = "Astro Bookings command API", description = "The write side: rockets, launches, bookings, profiles. Errors are RFC 9457 problem+json."),
    paths(
        platform::http::health,
        routes::ready,
        platform::http::metrics,
        serve,
        routes::rockets::register,
        routes::launches::schedule,
        routes::launches::confirm,
        routes::launches::delay,
        routes::launches::abort,
        routes::launches::launched,
        routes::bookings::book,
        routes::bookings::cancel,
        routes::profiles::update_mine,
    ),
    modifiers(&BearerAuth, &ProblemResponses)
)]
pub struct ApiDoc;

/// `GET /openapi.json`.
#[utoipa::path(get, path = "/openapi.json", tag = "operations",
    responses((status = 200, description = "This document", body = Object)))]
pub async fn serve() -> HttpResponse {
    HttpResponse::Ok().json(ApiDoc::openapi())
}
