//! Every route of the query API, in one place.

use actix_web::http::{header, Method};
use actix_web::{web, HttpRequest, HttpResponse, ResponseError};
use platform::Problem;
use serde::Serialize;
use utoipa::ToSchema;

use crate::startup::AppState;

pub mod bookings;
pub mod invoices;
pub mod launches;
pub mod ops;

/// Registers the routes. Each path is one resource that answers the
/// methods it serves and 405 (with `Allow`) to any other; a path that is
/// not here is 404.
pub fn configure(cfg: &mut web::ServiceConfig) {
    use ops::{events, logs, notifications, parked, status};
    let get = |handler| [(Method::GET, handler)];
    cfg.service(resource("/health", get(web::to(platform::http::health))))
        .service(resource("/ready", get(web::to(ready))))
        .service(resource("/metrics", get(web::to(crate::metrics::serve))))
        .service(resource(
            "/openapi.json",
            get(web::to(crate::openapi::serve)),
        ))
        .service(
            web::scope("/v1")
                .service(resource("/launches", get(web::to(launches::list))))
                .service(resource(
                    "/launches/{launch_id}",
                    get(web::to(launches::get)),
                ))
                .service(resource("/me/bookings", get(web::to(bookings::mine))))
                .service(resource("/invoices", get(web::to(invoices::list))))
                // Before `{number}`, which would match `<number>.pdf` too.
                .service(resource(
                    "/invoices/{number}.pdf",
                    get(web::to(invoices::pdf)),
                ))
                .service(resource("/invoices/{number}", get(web::to(invoices::get))))
                .service(resource("/ops/logs", get(web::to(logs::list))))
                .service(resource(
                    "/ops/notifications",
                    get(web::to(notifications::list)),
                ))
                // Before `{id}`, which would match `summary` and `retry` too.
                .service(resource(
                    "/ops/notifications/summary",
                    get(web::to(notifications::summary)),
                ))
                .service(resource(
                    "/ops/notifications/retry",
                    [(Method::POST, web::to(notifications::retry_many))],
                ))
                .service(resource(
                    "/ops/notifications/{id}",
                    get(web::to(notifications::get)),
                ))
                .service(resource(
                    "/ops/notifications/{id}/retry",
                    [(Method::POST, web::to(notifications::retry))],
                ))
                .service(resource("/ops/events", get(web::to(events::list))))
                .service(resource("/ops/parked", get(web::to(parked::list))))
                // Before `{id}`, which would match `replay` too.
                .service(resource(
                    "/ops/parked/replay",
                    [(Method::POST, web::to(parked::replay_many))],
                ))
                .service(resource(
                    "/ops/parked/{id}",
                    [
                        (Method::GET, web::to(parked::get)),
                        (Method::DELETE, web::to(parked::discard)),
                    ],
                ))
                .service(resource(
                    "/ops/parked/{id}/replay",
                    [(Method::POST, web::to(parked::replay))],
                ))
                .service(resource("/ops/status", get(web::to(status::get)))),
        );
}

/// The resource at `path` serving each `(method, route)`, and answering
/// any other method with [`method_not_allowed`]. (To be replaced by the
/// shared helper of `platform::http` once it exists.)
pub fn resource<const N: usize>(
    path: &str,
    routes: [(Method, actix_web::Route); N],
) -> actix_web::Resource {
    let allow: Vec<&str> = routes.iter().map(|(method, _)| method.as_str()).collect();
    let allow = allow.join(", ");
    let mut resource = web::resource(path);
    for (method, route) in routes {
        resource = resource.route(route.method(method));
    }
    resource.default_service(web::to(move |req: HttpRequest| {
        let allow = allow.clone();
        async move { method_not_allowed(&req, &allow) }
    }))
}

/// 405 problem+json for a method the path does not serve, with `Allow`
/// listing those it does (RFC 9110 §15.5.6).
pub fn method_not_allowed(req: &HttpRequest, allow: &str) -> HttpResponse {
    let mut response = Problem::new(405, "method-not-allowed", "Method not allowed")
        .with_detail(format!(
            "{} is not served on this path; it serves {allow}",
            req.method()
        ))
        .error_response();
    if let Ok(value) = header::HeaderValue::from_str(allow) {
        response.headers_mut().insert(header::ALLOW, value);
    }
    response
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
