//! The OpenAPI document, generated from the handlers' annotations.

use actix_web::HttpResponse;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::routes;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
    }
}

/// The auth service's OpenAPI description.
#[derive(OpenApi)]
#[openapi(
    info(title = "Astro Bookings auth API", description = "Accounts and sessions: registration of travelers and agencies, employees created by IT, login with argon2id-checked passwords, short-lived biscuit access tokens with rotating refresh tokens, and logout that revokes a token at every service. Errors are RFC 9457 problem+json."),
    paths(
        routes::ready,
        routes::accounts::register,
        routes::accounts::create_employee,
        routes::accounts::me,
        routes::session::login,
        routes::session::refresh,
        routes::session::logout,
        routes::tokens::public_key,
    ),
    modifiers(&BearerAuth)
)]
pub struct ApiDoc;

/// `GET /openapi.json`.
pub async fn serve() -> HttpResponse {
    HttpResponse::Ok().json(ApiDoc::openapi())
}
