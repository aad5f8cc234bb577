//! Every route of the query API, in one place.

use actix_web::{web, HttpResponse};
use platform::http::endpoint;
use serde::Serialize;
use utoipa::ToSchema;

use crate::startup::AppState;

pub mod bookings;
pub mod invoices;
pub mod launches;
pub mod ops;
pub mod profiles;
pub mod rockets;

/// Registers the routes. Each path is one resource that answers the
/// methods it serves and 405 (with `Allow`) to any other; a path that is
/// not here is 404.
pub fn configure(cfg: &mut web::ServiceConfig) {
    use ops::{events, logs, notifications, parked, status};
    cfg.service(endpoint("/health").get(platform::http::health))
        .service(endpoint("/ready").get(ready))
        .service(endpoint("/metrics").get(crate::metrics::serve))
        .service(endpoint("/openapi.json").get(crate::openapi::serve))
        .service(
            web::scope("/v1")
                .service(endpoint("/launches").get(launches::list))
                .service(endpoint("/launches/{launch_id}").get(launches::get))
                .service(endpoint("/me/bookings").get(bookings::mine))
                .service(endpoint("/profiles/me").get(profiles::mine))
                .service(endpoint("/rockets").get(rockets::list))
                .service(endpoint("/invoices").get(invoices::list))
                // Before `{number}`, which would match `<number>.pdf` too.
                .service(endpoint("/invoices/{number}.pdf").get(invoices::pdf))
                .service(endpoint("/invoices/{number}").get(invoices::get))
                .service(endpoint("/ops/logs").get(logs::list))
                .service(endpoint("/ops/notifications").get(notifications::list))
                // Before `{id}`, which would match `summary` and `retry` too.
                .service(endpoint("/ops/notifications/summary").get(notifications::summary))
                .service(endpoint("/ops/notifications/retry").post(notifications::retry_many))
                .service(endpoint("/ops/notifications/{id}").get(notifications::get))
                .service(endpoint("/ops/notifications/{id}/retry").post(notifications::retry))
                .service(endpoint("/ops/events").get(events::list))
                .service(endpoint("/ops/parked").get(parked::list))
                // Before `{id}`, which would match `replay` too.
                .service(endpoint("/ops/parked/replay").post(parked::replay_many))
                .service(
                    endpoint("/ops/parked/{id}")
                        .get(parked::get)
                        .delete(parked::discard),
                )
                .service(endpoint("/ops/parked/{id}/replay").post(parked::replay))
                .service(endpoint("/ops/status").get(status::get)),
        );
}

/// `GET /health`.
#[utoipa::path(get, path = "/health", tag = "operations",
    responses((status = 200, description = "The process is alive: `{\"status\": \"ok\"}`", body = Health)))]
pub async fn health() -> HttpResponse {
    platform::http::health().await
}

/// The body of `/health`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// Always `ok`.
    #[schema(pattern = "^ok$")]
    pub status: String,
}

/// `GET /metrics` (documentation only: served by [`crate::metrics::serve`]).
#[utoipa::path(get, path = "/metrics", tag = "operations",
    responses((status = 200, description = "Every metric, as Prometheus text (version 0.0.4)", content_type = "text/plain", body = String)))]
pub async fn metrics() {}

/// `GET /openapi.json` (documentation only: served by
/// [`crate::openapi::serve`]).
#[utoipa::path(get, path = "/openapi.json", tag = "operations",
    responses((status = 200, description = "This document (OpenAPI 3.1)", body = Object)))]
pub async fn openapi() {}

/// The body of `/ready`, whether ready or not.
#[derive(Debug, Serialize, ToSchema)]
pub struct Readiness {
    /// `ready` or `unavailable`.
    #[schema(pattern = "^(ready|unavailable)$")]
    pub status: String,
    /// The sales read model's server: `up` or `down`.
    #[schema(pattern = "^(up|down)$")]
    pub mongo: String,
    /// The finance database's server: `up` or `down`.
    #[schema(pattern = "^(up|down)$")]
    pub postgres: String,
    /// Token revocations: `synced`, or `syncing` until read once.
    #[schema(pattern = "^(synced|syncing)$")]
    pub revocations: String,
}

/// `GET /ready`: 200 when MongoDB and PostgreSQL answer and the token
/// revocations have been read, else 503; the body says which is which.
#[utoipa::path(get, path = "/ready", tag = "operations",
    responses(
        (status = 200, description = "MongoDB and PostgreSQL answer and the revocations are read", body = Readiness),
        (status = 503, description = "MongoDB or PostgreSQL does not answer, or the revocations are not read yet (the body says which, as JSON, not a problem)", body = Readiness)))]
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
