//! What every service's OpenAPI document shares.

use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::Modify;

/// Declares the `bearer` security scheme (biscuit tokens in
/// `Authorization: Bearer …`) that endpoints name with
/// `security(("bearer" = []))`. Use as `modifiers(&BearerAuth)`.
pub struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
    }
}
