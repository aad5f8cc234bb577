//! Every route of the query API, in one place.

use actix_web::{web, HttpResponse};

use crate::startup::AppState;

pub mod bookings;
pub mod invoices;
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
                .route("/me/bookings", web::get().to(bookings::mine))
                .route("/invoices", web::get().to(invoices::list))
                // Before `{number}`, which would match `<number>.pdf` too.
                .route("/invoices/{number}.pdf", web::get().to(invoices::pdf))
                .route("/invoices/{number}", web::get().to(invoices::get)),
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
    if ready {
        HttpResponse::Ok().json(body)
    } else {
        HttpResponse::ServiceUnavailable().json(body)
    }
}
