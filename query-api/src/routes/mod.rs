//! Every route of the query API, in one place.

use actix_web::{web, HttpResponse};

use crate::startup::AppState;

pub mod bookings;
pub mod launches;

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
                .route("/me/bookings", web::get().to(bookings::mine)),
        );
}

/// `GET /ready`: 200 when MongoDB answers a ping and the token revocations
/// have been read, else 503.
#[utoipa::path(get, path = "/ready", tag = "operations",
    responses((status = 200, description = "MongoDB answers"), (status = 503, description = "MongoDB does not answer, or revocations are not synced yet")))]
pub async fn ready(
    state: web::Data<AppState>,
    verifier: web::Data<platform::TokenVerifier>,
) -> HttpResponse {
    let mongo = match state.store.ping().await {
        Ok(()) => true,
        Err(error) => {
            tracing::warn!(%error, "readiness: MongoDB unavailable");
            false
        }
    };
    let revocations = verifier.revocations().is_synced();
    let body = serde_json::json!({
        "status": if mongo && revocations { "ready" } else { "unavailable" },
        "mongo": if mongo { "up" } else { "down" },
        "revocations": if revocations { "synced" } else { "syncing" },
    });
    if mongo && revocations {
        HttpResponse::Ok().json(body)
    } else {
        HttpResponse::ServiceUnavailable().json(body)
    }
}
