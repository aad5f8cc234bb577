//! The OpenAPI document, generated from the handlers' annotations.

use actix_web::HttpResponse;
use platform::openapi::BearerAuth;
use utoipa::OpenApi;

use crate::routes;

/// The query API's OpenAPI description.
#[derive(OpenApi)]
#[openapi(
    info(title = "Astro Bookings query API", description = "The read side: launches on sale and a holder's bookings, from the sales read model; invoices and credit notes (JSON and PDF), from the finance projection, now or `as_of` an instant; and for IT (`/v1/ops/*`, tag `it`): the system logs (paged or followed live), the notifications, their summary and the re-queue of a dead one or of every one a filter matches, the event store, the events the consumers parked (list, replay after a fix, discard), and the status of every service, JetStream consumer and projection. Errors are RFC 9457 problem+json. Read-your-writes: pass the version the command API answered (`min_version`, or the `Astro-Min-Version` header) to wait, bounded, until the read model has it."),
    paths(
        routes::ready,
        routes::launches::list,
        routes::launches::get,
        routes::bookings::mine,
        routes::invoices::list,
        routes::invoices::get,
        routes::invoices::pdf,
        routes::ops::logs::list,
        routes::ops::notifications::list,
        routes::ops::notifications::summary,
        routes::ops::notifications::get,
        routes::ops::notifications::retry,
        routes::ops::notifications::retry_many,
        routes::ops::events::list,
        routes::ops::parked::list,
        routes::ops::parked::get,
        routes::ops::parked::replay,
        routes::ops::parked::replay_many,
        routes::ops::parked::discard,
        routes::ops::status::get,
    ),
    modifiers(&BearerAuth)
)]
pub struct ApiDoc;

/// `GET /openapi.json`.
pub async fn serve() -> HttpResponse {
    HttpResponse::Ok().json(ApiDoc::openapi())
}
