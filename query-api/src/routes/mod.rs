//! Every route of the query API, in one place.

use actix_web::{web, HttpResponse};

use crate::startup::AppState;

pub mod bookings;
pub mod invoices;
pub mod launches;
pub mod ops;

/// Registers the routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/health", web::get().to(platform::http::health))
        .route("/ready", web::get().to(ready))
        .route("/metrics", web::get().to(crate::metrics::serve))
        .route("/openapi.json", web::get().to(crate::openapi::serve))
        .service(
            web::scope("/v1")
                .route("/launches", web::get().to(launches::list))
                .route("/launches/{launch_id}", web::get().to(launches::get))
                .route("/me/bookings", web::get().to(bookings::mine))
                .route("/invoices", web::get().to(invoices::list))
                // Before `{number}`, which would match `<number>.pdf` too.
                .route("/invoices/{number}.pdf", web::get().to(invoices::pdf))
                .route("/invoices/{number}", web::get().to(invoices::get))
                .route("/ops/logs", web::get().to(ops::logs::list))
                .route(
                    "/ops/notifications",
                    web::get().to(ops::notifications::list),
                )
                // Before `{id}`, which would match `summary` and `retry` too.
                .route(
                    "/ops/notifications/summary",
                    web::get().to(ops::notifications::summary),
                )
                .route(
                    "/ops/notifications/retry",
                    web::post().to(ops::notifications::retry_many),
                )
                .route(
                    "/ops/notifications/{id}",
                    web::get().to(ops::notifications::get),
                )
                .route(
                    "/ops/notifications/{id}/retry",
                    web::post().to(ops::notifications::retry),
                )
                .route("/ops/events", web::get().to(ops::events::list))
                .route("/ops/parked", web::get().to(ops::parked::list))
                // Before `{id}`, which would match `replay` too.
                .route(
                    "/ops/parked/replay",
                    web::post().to(ops::parked::replay_many),
                )
                .route("/ops/parked/{id}", web::get().to(ops::parked::get))
                .route("/ops/parked/{id}", web::delete().to(ops::parked::discard))
                .route(
                    "/ops/parked/{id}/replay",
                    web::post().to(ops::parked::replay),
                )
                .route("/ops/status", web::get().to(ops::status::get)),
        );
}

/// `GET /ready`: 200 when MongoDB and PostgreSQL answer and the token
/// revocations have been read, else 503; the body says which is which.
#[utoipa::path(get, path = "/ready", tag = "operations",
    responses((status = 200, description = "MongoDB and PostgreSQL answer"), (status = 503, description = "MongoDB or PostgreSQL does not answer, or revocations are not synced yet")))]
pub async fn ready(
    state: web::Data<AppState>,
    verifier: web::Data<platform::TokenVerifier>,
) -> HttpResponse {
    let (ready, body) = readiness(&state, &verifier).await;
    if ready {
        HttpResponse::Ok().json(body)
    } else {
        HttpResponse::ServiceUnavailable().json(body)
    }
}

/// Whether the query API is ready, and the body of `/ready` that says why
/// (also the query API's own line of `GET /v1/ops/status`).
pub async fn readiness(
    state: &AppState,
    verifier: &platform::TokenVerifier,
) -> (bool, serde_json::Value) {
    let (mongo, postgres) = futures::join!(state.store.ping(), state.finance.ping());
    let mongo = match mongo {
        Ok(()) => true,
        Err(error) => {
            tracing::warn!(%error, "readiness: MongoDB unavailable");
            false
        }
    };
    let postgres = match postgres {
        Ok(()) => true,
        Err(error) => {
            tracing::warn!(%error, "readiness: PostgreSQL unavailable");
            false
        }
    };
    let revocations = verifier.revocations().is_synced();
    let ready = mongo && postgres && revocations;
    let body = serde_json::json!({
        "status": if ready { "ready" } else { "unavailable" },
        "mongo": if mongo { "up" } else { "down" },
        "postgres": if postgres { "up" } else { "down" },
        "revocations": if revocations { "synced" } else { "syncing" },
    });
    (ready, body)
}
