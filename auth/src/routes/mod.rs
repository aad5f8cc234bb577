//! Every route of the auth service, in one place.

use actix_web::{web, HttpResponse};
use platform::http::endpoint;
use platform::Problem;
use serde::Serialize;

use crate::startup::AppState;

pub mod accounts;
pub mod session;
pub mod sso;
pub mod tokens;

/// Registers the routes; a method a path does not serve answers 405.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(endpoint("/health").get(platform::http::health))
        .service(endpoint("/ready").get(ready))
        .service(endpoint("/metrics").get(platform::http::metrics))
        .service(endpoint("/openapi.json").get(crate::openapi::serve))
        .service(
            web::scope("/v1/auth")
                .service(endpoint("/register").post(accounts::register))
                .service(endpoint("/employees").post(accounts::create_employee))
                .service(endpoint("/me").get(accounts::me))
                .service(endpoint("/login").post(session::login))
                .service(endpoint("/refresh").post(session::refresh))
                .service(endpoint("/logout").post(session::logout))
                .service(endpoint("/authorize").post(sso::authorize))
                .service(endpoint("/token").post(sso::token))
                .service(endpoint("/public-key").get(tokens::public_key)),
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
    #[schema(schema_with = status_schema)]
    pub status: &'static str,
    /// `up` or `down`.
    #[schema(schema_with = up_down)]
    pub mongo: &'static str,
    /// `up` or `down`.
    #[schema(schema_with = up_down)]
    pub nats: &'static str,
    /// `synced` once the revocation list has caught up with the stream,
    /// else `syncing`.
    #[schema(schema_with = synced)]
    pub revocations: &'static str,
    /// `ready` once the indexes exist, else `pending`.
    #[schema(schema_with = schema_state)]
    pub schema: &'static str,
}

fn status_schema() -> utoipa::openapi::Object {
    platform::openapi::string_enum(
        &["ready", "unavailable"],
        "Whether every dependency answers.",
    )
}

fn up_down() -> utoipa::openapi::Object {
    platform::openapi::string_enum(&["up", "down"], "Whether it answers.")
}

fn synced() -> utoipa::openapi::Object {
    platform::openapi::string_enum(&["synced", "syncing"], "Whether the revocations are read.")
}

fn schema_state() -> utoipa::openapi::Object {
    platform::openapi::string_enum(&["ready", "pending"], "Whether the indexes exist.")
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
