//! Every route of the auth service, in one place.

use actix_web::{web, HttpResponse};
use platform::Problem;
use serde::Serialize;

use crate::startup::AppState;

pub mod accounts;
pub mod session;
pub mod tokens;

/// Registers the routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/health", web::get().to(platform::http::health))
        .route("/ready", web::get().to(ready))
        .route("/metrics", web::get().to(platform::http::metrics))
        .route("/openapi.json", web::get().to(crate::openapi::serve))
        .service(
            web::scope("/v1/auth")
                .route("/register", web::post().to(accounts::register))
                .route("/employees", web::post().to(accounts::create_employee))
                .route("/me", web::get().to(accounts::me))
                .route("/login", web::post().to(session::login))
                .route("/refresh", web::post().to(session::refresh))
                .route("/logout", web::post().to(session::logout))
                .route("/public-key", web::get().to(tokens::public_key)),
        );
}

/// 503 until the indexes exist: before that, the email's uniqueness is not
/// guaranteed.
pub fn require_initialized(state: &AppState) -> Result<(), Problem> {
    if state.is_initialized() {
        Ok(())
    } else {
        Err(Problem::unavailable(
            "the auth service is starting; retry shortly",
        ))
    }
}

/// What `/ready` reports.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Readiness {
    /// `ready` or `unavailable`.
    pub status: &'static str,
    /// `up` or `down`.
    pub mongo: &'static str,
    /// `up` or `down`.
    pub nats: &'static str,
    /// `synced` once the revocation list has caught up with the stream.
    pub revocations: &'static str,
    /// `ready` once the indexes exist.
    pub schema: &'static str,
}

/// `GET /ready`: 200 when MongoDB answers, NATS is connected, the revocation
/// list is synced and the indexes exist; else 503 saying which is not.
#[utoipa::path(get, path = "/ready", tag = "operations",
    responses((status = 200, body = Readiness), (status = 503, body = Readiness)))]
pub async fn ready(state: web::Data<AppState>) -> HttpResponse {
    let mongo = match state.users.ping().await {
        Ok(()) => true,
        Err(error) => {
            tracing::warn!(%error, "readiness: MongoDB unavailable");
            false
        }
    };
    let nats = state.nats.connection_state() == async_nats::connection::State::Connected;
    let synced = state.verifier.revocations().is_synced();
    let schema = state.is_initialized();
    let all = mongo && nats && synced && schema;
    let readiness = Readiness {
        status: if all { "ready" } else { "unavailable" },
        mongo: if mongo { "up" } else { "down" },
        nats: if nats { "up" } else { "down" },
        revocations: if synced { "synced" } else { "syncing" },
        schema: if schema { "ready" } else { "pending" },
    };
    if all {
        HttpResponse::Ok().json(readiness)
    } else {
        HttpResponse::ServiceUnavailable().json(readiness)
    }
}
