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

/// `GET /ready`: 200 when MongoDB answers a ping, else 503.
#[utoipa::path(get, path = "/ready", tag = "operations",
    responses((status = 200, description = "MongoDB answers"), (status = 503, description = "MongoDB does not answer")))]
pub async fn ready(state: web::Data<AppState>) -> HttpResponse {
    match state.store.ping().await {
        Ok(()) => HttpResponse::Ok().json(serde_json::json!({ "status": "ready", "mongo": "up" })),
        Err(error) => {
            tracing::warn!(%error, "readiness: MongoDB unavailable");
            HttpResponse::ServiceUnavailable()
                .json(serde_json::json!({ "status": "unavailable", "mongo": "down" }))
        }
    }
}
