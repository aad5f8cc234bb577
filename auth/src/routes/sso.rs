//! Single sign-on: a one-time code for a signed-in user, exchanged by a web
//! app (with its PKCE verifier) for its own session. See `crate::sso`.

use actix_web::{web, HttpResponse};
use chrono::{DateTime, Utc};
use platform::auth::Authenticated;
use platform::http::JsonBody;
use platform::openapi::{
    Invalid, Malformed, PayloadTooLarge, Unauthorized, Unavailable, UnsupportedMediaType,
};
use platform::{FieldError, Problem};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::require_initialized;
use super::tokens::{issue_session, TokenResponse};
use crate::errors::mongo_problem;
use crate::sso::{self, Grant, S256};
use crate::startup::AppState;

/// `POST /v1/auth/authorize`.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct AuthorizeRequest {
    /// The web app asking (`sales`, `ops`, `backoffice`: `AUTH_CLIENTS`).
    #[schema(schema_with = client_id_schema)]
    pub client_id: String,
    /// Where the app receives the code: one of the client's redirect URIs,
    /// exactly as configured.
    #[schema(schema_with = redirect_uri_schema)]
    pub redirect_uri: String,
    /// `BASE64URL(SHA256(code_verifier))`, without padding.
    #[schema(schema_with = challenge_schema)]
    pub code_challenge: String,
    /// Always `S256`.
    #[schema(schema_with = method_schema)]
    pub code_challenge_method: String,
}

/// A one-time authorization code.
#[derive(Serialize, utoipa::ToSchema)]
pub struct AuthorizationCode {
    /// Send it to the client's redirect URI; it works once, until
    /// `expires_at`.
    #[schema(schema_with = code_schema)]
    pub code: String,
    /// When it stops working (`AUTH_CODE_TTL_SECONDS` after it was issued).
    pub expires_at: DateTime<Utc>,
}

/// `POST /v1/auth/token`.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct TokenRequest {
    /// Always `authorization_code`.
    #[schema(schema_with = grant_type_schema)]
    pub grant_type: String,
    /// The code the auth app redirected with.
    #[schema(value_type = String, schema_with = code_schema)]
    pub code: SecretString,
    /// The secret whose challenge the code was issued for: 43 to 128
    /// characters of `[A-Za-z0-9-._~]` (RFC 7636).
    #[schema(value_type = String, schema_with = verifier_schema)]
    pub code_verifier: SecretString,
    /// The client the code was issued to.
    #[schema(schema_with = client_id_schema)]
    pub client_id: String,
    /// The redirect URI the code was issued for.
    #[schema(schema_with = redirect_uri_schema)]
    pub redirect_uri: String,
}

fn text(
    pattern: Option<&str>,
    min: Option<usize>,
    max: Option<usize>,
    description: &str,
) -> utoipa::openapi::Object {
    utoipa::openapi::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::String)
        .pattern(pattern)
        .min_length(min)
        .max_length(max)
        .description(Some(description))
        .build()
}

fn client_id_schema() -> utoipa::openapi::Object {
    text(
        Some(r"^[A-Za-z0-9._-]{1,64}$"),
        Some(1),
        Some(64),
        "A client id of AUTH_CLIENTS.",
    )
}

fn redirect_uri_schema() -> utoipa::openapi::Object {
    text(
        Some(r"^https?://[^#]+$"),
        None,
        Some(2048),
        "An absolute http(s) URL without a fragment, one of the client's (string equality).",
    )
}

fn challenge_schema() -> utoipa::openapi::Object {
    text(
        Some(r"^[A-Za-z0-9_-]{43}$"),
        Some(43),
        Some(43),
        "BASE64URL(SHA256(code_verifier)), without padding.",
    )
}

fn verifier_schema() -> utoipa::openapi::Object {
    text(
        Some(r"^[A-Za-z0-9._~-]{43,128}$"),
        Some(43),
        Some(128),
        "The PKCE code verifier (RFC 7636 §4.1).",
    )
}

fn code_schema() -> utoipa::openapi::Object {
    text(None, None, None, "A one-time authorization code.")
}

fn method_schema() -> utoipa::openapi::Object {
    platform::openapi::string_enum(&[S256], "The PKCE method: always S256.")
}

fn grant_type_schema() -> utoipa::openapi::Object {
    platform::openapi::string_enum(&["authorization_code"], "Always authorization_code.")
}

/// The one answer to a code that cannot be exchanged, whatever the reason
/// (no oracle for which part was wrong).
fn invalid_code() -> Problem {
    Problem::unauthorized("the authorization code is invalid, expired or already used")
}

/// `POST /v1/auth/authorize` (Bearer, any role): a one-time code for the
/// caller, for `client_id` at `redirect_uri` with the PKCE challenge, valid
/// `AUTH_CODE_TTL_SECONDS`. 422 names the field for an unknown client, a
/// redirect URI not exactly one of the client's (`AUTH_CLIENTS`), a method
/// other than S256 or a challenge that is not 43 base64url characters.
#[utoipa::path(post, path = "/v1/auth/authorize", tag = "auth", request_body = AuthorizeRequest,
    responses((status = 201, body = AuthorizationCode,
            headers(("Cache-Control" = String, description = "`no-store`"))),
        (status = 400, response = Malformed), (status = 401, response = Unauthorized),
        (status = 413, response = PayloadTooLarge), (status = 415, response = UnsupportedMediaType),
        (status = 422, response = Invalid), (status = 503, response = Unavailable)),
    security(("bearer" = [])))]
pub async fn authorize(
    Authenticated(principal): Authenticated,
    state: web::Data<AppState>,
    body: JsonBody<AuthorizeRequest>,
) -> Result<HttpResponse, Problem> {
    let request = body.value;
    let mut errors = Vec::new();
    if !state.clients.knows(&request.client_id) {
        errors.push(FieldError::new(
            "client_id",
            "unknown",
            "no such client (AUTH_CLIENTS)",
        ));
    } else if !state
        .clients
        .allows(&request.client_id, &request.redirect_uri)
    {
        errors.push(FieldError::new(
            "redirect_uri",
            "not-allowed",
            "not a redirect URI of this client (matched exactly)",
        ));
    }
    if request.code_challenge_method != S256 {
        errors.push(FieldError::new(
            "code_challenge_method",
            "unsupported",
            "must be S256",
        ));
    }
    if !sso::is_challenge(&request.code_challenge) {
        errors.push(FieldError::new(
            "code_challenge",
            "invalid",
            "must be 43 characters of base64url without padding (an S256 challenge)",
        ));
    }
    if !errors.is_empty() {
        return Err(Problem::invalid(errors));
    }
    require_initialized(&state)?;
    let (code, expires_at) = state
        .codes
        .issue(&Grant {
            user_id: principal.user_id,
            client_id: &request.client_id,
            redirect_uri: &request.redirect_uri,
            code_challenge: &request.code_challenge,
        })
        .await
        .map_err(|e| mongo_problem(&e))?;
    tracing::info!(client_id = %request.client_id, "authorization code issued");
    Ok(HttpResponse::Created()
        .insert_header(("Cache-Control", "no-store"))
        .json(AuthorizationCode {
            code,
            expires_at: expires_at.to_chrono(),
        }))
}

/// `POST /v1/auth/token` (anonymous): exchanges an authorization code, with
/// the PKCE verifier, for a new session (a new refresh-token family). The
/// code is deleted by the first exchange whatever its outcome; an unknown,
/// expired or used code, another client or redirect URI than the code's,
/// or a verifier that does not match the challenge are all the same 401.
/// 422 (before the code is looked at) for another grant type or a verifier
/// that is not 43 to 128 characters of `[A-Za-z0-9-._~]`.
#[utoipa::path(post, path = "/v1/auth/token", tag = "auth", request_body = TokenRequest,
    responses((status = 200, body = TokenResponse,
            headers(("Cache-Control" = String, description = "`no-store`"))),
        (status = 400, response = Malformed), (status = 401, response = Unauthorized),
        (status = 413, response = PayloadTooLarge), (status = 415, response = UnsupportedMediaType),
        (status = 422, response = Invalid), (status = 503, response = Unavailable)))]
pub async fn token(
    state: web::Data<AppState>,
    body: JsonBody<TokenRequest>,
) -> Result<HttpResponse, Problem> {
    let request = body.value;
    let mut errors = Vec::new();
    if request.grant_type != "authorization_code" {
        errors.push(FieldError::new(
            "grant_type",
            "unsupported",
            "must be authorization_code",
        ));
    }
    let verifier = request.code_verifier.expose_secret();
    if !sso::is_verifier(verifier) {
        errors.push(FieldError::new(
            "code_verifier",
            "invalid",
            "must be 43 to 128 characters of A-Z, a-z, 0-9, -, ., _, ~",
        ));
    }
    if !errors.is_empty() {
        return Err(Problem::invalid(errors));
    }
    require_initialized(&state)?;
    let taken = state
        .codes
        .take(request.code.expose_secret())
        .await
        .map_err(|e| mongo_problem(&e))?;
    let Some(record) = taken else {
        tracing::warn!(client_id = %request.client_id, "an unknown, expired or used authorization code was presented");
        return Err(invalid_code());
    };
    if record.client_id != request.client_id
        || record.redirect_uri != request.redirect_uri
        || !sso::verifies(verifier, &record.code_challenge)
    {
        tracing::warn!(client_id = %request.client_id, user_id = %record.user_id,
            "an authorization code was presented with another client, redirect URI or verifier: it is spent");
        return Err(invalid_code());
    }
    let user = match record.user_id.parse::<Uuid>() {
        Ok(user_id) => state
            .users
            .by_id(user_id)
            .await
            .map_err(|e| mongo_problem(&e))?,
        Err(_) => None,
    };
    let Some(user) = user else {
        return Err(invalid_code());
    };
    let session = issue_session(&state, &user, Uuid::now_v7()).await?;
    tracing::Span::current().record("user_id", session.user_id.to_string());
    tracing::info!(client_id = %record.client_id, "authorization code exchanged for a session");
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(session))
}
