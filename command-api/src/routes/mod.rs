//! Every route of the command API, in one place.

use actix_web::{web, HttpResponse};

use crate::startup::AppState;

pub mod bookings;
pub mod launches;
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

/// `GET /ready`: 200 when the event store answers, else 503.
#[utoipa::path(get, path = "/ready", tag = "operations",
    responses((status = 200, description = "Dependencies answer"), (status = 503, description = "The database does not answer")))]
pub async fn ready(state: web::Data<AppState>) -> HttpResponse {
    match sqlx::query("SELECT 1").execute(&state.pool).await {
        Ok(_) => {
            HttpResponse::Ok().json(serde_json::json!({ "status": "ready", "postgres": "up" }))
        }
        Err(error) => {
            tracing::warn!(%error, "readiness: database unavailable");
            HttpResponse::ServiceUnavailable()
                .json(serde_json::json!({ "status": "unavailable", "postgres": "down" }))
        }
    }
}
