//! Every route of the command API, in one place.

use actix_web::{web, HttpResponse};
use platform::http::endpoint;
use serde::Serialize;

use crate::startup::AppState;

pub mod bookings;
pub mod launches;
pub mod profiles;
pub mod rockets;
pub mod support;

/// Registers the routes; a method a path does not serve answers 405.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(endpoint("/health").get(platform::http::health))
        .service(endpoint("/ready").get(ready))
        .service(endpoint("/metrics").get(platform::http::metrics))
        .service(endpoint("/openapi.json").get(crate::openapi::serve))
        .service(
            web::scope("/v1")
                .service(endpoint("/rockets").post(rockets::register))
                .service(endpoint("/profiles/me").put(profiles::update_mine))
                .service(endpoint("/launches").post(launches::schedule))
                .service(endpoint("/launches/{launch_id}/confirm").post(launches::confirm))
                .service(endpoint("/launches/{launch_id}/delay").post(launches::delay))
                .service(endpoint("/launches/{launch_id}/abort").post(launches::abort))
                .service(endpoint("/launches/{launch_id}/launched").post(launches::launched))
                .service(endpoint("/launches/{launch_id}/bookings").post(bookings::book))
                .service(
                    endpoint("/launches/{launch_id}/bookings/{booking_id}/cancel")
                        .post(bookings::cancel),
                ),
        );
}

/// What `/ready` reports.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Readiness {
    /// `ready` or `unavailable`.
    #[schema(value_type = String, schema_with = readiness_status)]
    pub status: &'static str,
    /// `up` or `down`.
    #[schema(value_type = String, schema_with = up_down)]
    pub postgres: &'static str,
    /// `synced` once the token revocations have been read from NATS, else
    /// `syncing`.
    #[schema(value_type = String, schema_with = synced)]
    pub revocations: &'static str,
}

fn readiness_status() -> utoipa::openapi::Object {
    platform::openapi::string_enum(
        &["ready", "unavailable"],
        "Whether every dependency answers.",
    )
}

fn up_down() -> utoipa::openapi::Object {
    platform::openapi::string_enum(&["up", "down"], "Whether PostgreSQL answers.")
}

fn synced() -> utoipa::openapi::Object {
    platform::openapi::string_enum(&["synced", "syncing"], "Whether the revocations are read.")
}

/// `GET /ready`: 200 when the event store answers and the token revocations
/// have been read, else 503.
#[utoipa::path(get, path = "/ready", tag = "operations",
    responses((status = 200, description = "Dependencies answer", body = Readiness),
        (status = 503, description = "The database does not answer, or revocations are not synced yet", body = Readiness)))]
pub async fn ready(
    state: web::Data<AppState>,
    verifier: web::Data<platform::TokenVerifier>,
) -> HttpResponse {
    let postgres = match sqlx::query("SELECT 1").execute(&state.pool).await {
        Ok(_) => true,
        Err(error) => {
            tracing::warn!(%error, "readiness: database unavailable");
            false
        }
    };
    let revocations = verifier.revocations().is_synced();
    let body = Readiness {
        status: if postgres && revocations {
            "ready"
        } else {
            "unavailable"
        },
        postgres: if postgres { "up" } else { "down" },
        revocations: if revocations { "synced" } else { "syncing" },
    };
    if postgres && revocations {
        HttpResponse::Ok().json(body)
    } else {
        HttpResponse::ServiceUnavailable().json(body)
    }
}
