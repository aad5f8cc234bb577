//! Issuing a session (access token and refresh token), and the public key.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use actix_web::{web, HttpResponse};
use chrono::{DateTime, Utc};
use platform::{Principal, Problem};
use serde::Serialize;
use uuid::Uuid;

use crate::errors::mongo_problem;
use crate::startup::AppState;
use crate::users::{role_parts, UserDoc};

/// A session: what login and refresh answer.
#[derive(Serialize, utoipa::ToSchema)]
pub struct TokenResponse {
    /// The access token (biscuit, base64url): `Authorization: Bearer <token>`.
    pub token: String,
    /// Always `Bearer`.
    #[schema(schema_with = bearer)]
    pub token_type: &'static str,
    /// When the access token expires.
    pub expires_at: DateTime<Utc>,
    /// Seconds until then.
    pub expires_in: u64,
    /// Exchange it at `POST /v1/auth/refresh` for a new session (once).
    pub refresh_token: String,
    /// When the refresh token expires.
    pub refresh_expires_at: DateTime<Utc>,
    /// `traveler`, `agency` or `employee`.
    #[schema(schema_with = role)]
    pub role: &'static str,
    /// An employee's department: `operations`, `finance` or `it`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(schema_with = department)]
    pub department: Option<&'static str>,
    /// The user's id.
    pub user_id: Uuid,
}

fn bearer() -> utoipa::openapi::Object {
    platform::openapi::string_enum(&["Bearer"], "Always Bearer.")
}

fn role() -> utoipa::openapi::Object {
    platform::openapi::string_enum(&["traveler", "agency", "employee"], "The account's role.")
}

fn department() -> utoipa::openapi::Object {
    platform::openapi::string_enum(
        &["operations", "finance", "it"],
        "An employee's department.",
    )
}

fn ed25519() -> utoipa::openapi::Object {
    platform::openapi::string_enum(&["ed25519"], "Always ed25519.")
}

/// The principal a stored user signs in as; a user whose stored id or role
/// is unreadable cannot sign in (logged: it is a data error).
pub fn principal_of(user: &UserDoc) -> Result<Principal, Problem> {
    match (user.user_id(), user.role()) {
        (Some(user_id), Some(role)) => Ok(Principal { user_id, role }),
        _ => {
            tracing::error!(user_id = %user.id, "a stored user has an unreadable id or role");
            Err(Problem::internal())
        }
    }
}

/// An access token's expiry: `ttl` from now, in whole seconds (a token's
/// time facts have a one-second resolution).
fn expiry(ttl: Duration) -> SystemTime {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs();
    UNIX_EPOCH + Duration::from_secs(now) + ttl
}

/// Issues an access token for `user` and a new refresh token of `family`.
pub async fn issue_session(
    state: &AppState,
    user: &UserDoc,
    family: Uuid,
) -> Result<TokenResponse, Problem> {
    let principal = principal_of(user)?;
    let expires_at = expiry(state.access_ttl);
    let token = state.issuer.issue_expiring_at(&principal, expires_at);
    let (refresh_token, refresh_expires_at) = state
        .refresh
        .issue(principal.user_id, family)
        .await
        .map_err(|e| mongo_problem(&e))?;
    let (role, department) = role_parts(principal.role);
    Ok(TokenResponse {
        token,
        token_type: "Bearer",
        expires_at: expires_at.into(),
        expires_in: state.access_ttl.as_secs(),
        refresh_token,
        refresh_expires_at: refresh_expires_at.to_chrono(),
        role,
        department,
        user_id: principal.user_id,
    })
}

/// The key that verifies tokens.
#[derive(Serialize, utoipa::ToSchema)]
pub struct PublicKey {
    /// Always `ed25519`.
    #[schema(schema_with = ed25519)]
    pub algorithm: &'static str,
    /// The public key, hex (what every service's `AUTH_PUBLIC_KEY` holds).
    pub public_key: String,
}

/// `GET /v1/auth/public-key`: what other services verify tokens with.
#[utoipa::path(get, path = "/v1/auth/public-key", tag = "auth",
    responses((status = 200, body = PublicKey)))]
pub async fn public_key(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header(("Cache-Control", "public, max-age=300"))
        .json(PublicKey {
            algorithm: "ed25519",
            public_key: state.issuer.public_key_hex(),
        })
}
