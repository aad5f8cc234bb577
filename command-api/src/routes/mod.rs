//! Every route of the command API, in one place.

use actix_web::{web, HttpResponse};

use crate::startup::AppState;

pub mod bookings;
pub mod launches;
pub mod profiles;
pub mod rockets;
pub mod support;

/// Registers the routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/health", web::get().to(platform::http::health))
        .route("/ready", web::get().to(ready))
        .route("/metrics", web::get().to(platform::http::metrics))
        .route("/openapi.json", web::get().to(crate::openapi::serve))
        .service(
            web::scope("/v1")
                .route("/rockets", web::post().to(rockets::register))
                .route("/profiles/me", web::put().to(profiles::update_mine))
                .route("/launches", web::post().to(launches::schedule))
                .route(
                    "/launches/{launch_id}/confirm",
                    web::post().to(launches::confirm),
                )
                .route(
                    "/launches/{launch_id}/delay",
                    web::post().to(launches::delay),
                )
                .route(
                    "/launches/{launch_id}/abort",
                    web::post().to(launches::abort),
                )
                .route(
                    "/launches/{launch_id}/launched",
                    web::post().to(launches::launched),
                )
                .route(
                    "/launches/{launch_id}/bookings",
                    web::post().to(bookings::book),
                )
                .route(
                    "/launches/{launch_id}/bookings/{booking_id}/cancel",
                    web::post().to(bookings::cancel),
                ),
        );
}

/// `GET /ready`: 200 when the event store answers and the token revocations
/// have been read, else 503.
#[utoipa::path(get, path = "/ready", tag = "operations",
    responses((status = 200, description = "Dependencies answer"), (status = 503, description = "The database does not answer, or revocations are not synced yet")))]
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
    let body = serde_json::json!({
        "status": if postgres && revocations { "ready" } else { "unavailable" },
        "postgres": if postgres { "up" } else { "down" },
        "revocations": if revocations { "synced" } else { "syncing" },
    });
    if postgres && revocations {
        HttpResponse::Ok().json(body)
    } else {
        HttpResponse::ServiceUnavailable().json(body)
    }
}
