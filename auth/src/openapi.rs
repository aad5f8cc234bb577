//! The OpenAPI document, generated from the handlers' annotations.

use actix_web::HttpResponse;
use platform::openapi::{BearerAuth, ProblemResponses};
use utoipa::OpenApi;

use crate::routes;

/// The auth service's OpenAPI description.
#[derive(OpenApi)]
#[openapi(
    info(title = "Astro Bookings auth API", description = "Accounts and sessions: registration of travelers and agencies, employees created by IT, login with argon2id-checked passwords, short-lived biscuit access tokens with rotating refresh tokens, and logout that revokes a token at every service. The web apps sign users in with the authorization code flow and PKCE (S256): the auth app, signed in, asks `POST /v1/auth/authorize` for a one-time code bound to a client, one of its exact redirect URIs and the challenge; the app exchanges it at `POST /v1/auth/token` with its verifier for its own session. Errors are RFC 9457 problem+json."),
    paths(
        platform::http::health,
        routes::ready,
        platform::http::metrics,
        serve,
        routes::accounts::register,
        routes::accounts::create_employee,
        routes::accounts::me,
        routes::session::login,
        routes::session::refresh,
        routes::session::logout,
        routes::sso::authorize,
        routes::sso::token,
        routes::tokens::public_key,
    ),
    modifiers(&BearerAuth, &ProblemResponses)
)]
pub struct ApiDoc;

/// `GET /openapi.json`.
#[utoipa::path(get, path = "/openapi.json", tag = "operations",
    responses((status = 200, description = "This document", body = Object)))]
pub async fn serve() -> HttpResponse {
    HttpResponse::Ok().json(ApiDoc::openapi())
}
