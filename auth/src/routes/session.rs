//! Login, refresh and logout.

use std::time::SystemTime;

use actix_web::{web, HttpRequest, HttpResponse};
use chrono::Utc;
use platform::auth::Authenticated;
use platform::http::{JsonBody, OptionalJsonBody};
use platform::openapi::{
    Invalid, Malformed, PayloadTooLarge, TooManyRequests, Unauthorized, Unavailable,
    UnsupportedMediaType,
};
use platform::revocation::{self, Revocation};
use platform::Problem;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use uuid::Uuid;

use super::require_initialized;
use super::tokens::{issue_session, TokenResponse};
use crate::client::client_address;
use crate::errors::{bad_credentials, hash_problem, mongo_problem, too_many_attempts};
use crate::metrics::LoginOutcome;
use crate::password::Verdict;
use crate::refresh::Exchange;
use crate::startup::AppState;
use crate::throttle::Decision;
use crate::users::UserDoc;

/// `POST /v1/auth/login`.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct LoginRequest {
    /// The account's email (any case); no control characters. Any other
    /// text is answered like an unknown account (401).
    #[schema(schema_with = platform::openapi::no_control_text)]
    pub email: String,
    /// Its password.
    #[schema(value_type = String)]
    pub password: SecretString,
}

/// The account a login names, as the throttle counts it: the normalized
/// email, or a 422 for an email with a control character (no account can
/// have one). An email that is not valid otherwise cannot have an account
/// either; it is counted and answered like any unknown one, its key bounded
/// to [`domain::profile::MAX_EMAIL`] characters.
pub fn account_key(email: &str) -> Result<String, Problem> {
    // The password is not checked for such an email (it is never stored or
    // shown, and refusing one could lock out an account whose password was
    // set before the rule).
    if let Err(error) = domain::text::no_control(email) {
        return Err(Problem::invalid(vec![platform::FieldError::new(
            "email",
            error.code(),
            error.to_string(),
        )]));
    }
    Ok(domain::profile::normalize_email(email).unwrap_or_else(|_| {
        email
            .trim()
            .to_lowercase()
            .chars()
            .take(domain::profile::MAX_EMAIL)
            .collect()
    }))
}

/// `POST /v1/auth/login`: a session for valid credentials (422 for an email
/// with a control character, before any throttling). A wrong password
/// and an unknown email get the same 401 in about the same time; too many
/// failures for the (account, address) pair, the address or the account get
/// 429 with `Retry-After`, without the password being checked.
#[utoipa::path(post, path = "/v1/auth/login", tag = "auth", request_body = LoginRequest,
    responses((status = 200, body = TokenResponse), (status = 400, response = Malformed),
        (status = 401, response = Unauthorized), (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType), (status = 422, response = Invalid),
        (status = 429, response = TooManyRequests), (status = 503, response = Unavailable)))]
pub async fn login(
    state: web::Data<AppState>,
    request: HttpRequest,
    body: JsonBody<LoginRequest>,
) -> Result<HttpResponse, Problem> {
    require_initialized(&state)?;
    let LoginRequest { email, password } = body.value;
    let account = account_key(&email)?;
    let address = client_address(&request, state.trust_forwarded_for);
    // The place is reserved before the password is checked: concurrent
    // attempts beyond the allowed ones are refused here, not counted after.
    let decision = state
        .throttle
        .reserve(&account, &address)
        .await
        .map_err(|e| mongo_problem(&e))?;
    let attempt = match decision {
        Decision::Allow(attempt) => attempt,
        Decision::Refuse { scope, retry_after } => {
            state.metrics.login(LoginOutcome::RateLimited);
            state
                .metrics
                .rate_limited
                .with_label_values(&[scope.as_str()])
                .inc();
            tracing::warn!(
                scope = scope.as_str(),
                retry_after,
                "login refused by the throttle"
            );
            return Err(too_many_attempts(retry_after));
        }
    };
    // On an error below, `attempt` is dropped and its places given back.
    let user = state
        .users
        .by_email(&account)
        .await
        .map_err(|e| mongo_problem(&e))?;
    let Some(user) = verify(&state, user, password.clone()).await? else {
        state
            .throttle
            .failed(attempt)
            .await
            .map_err(|e| mongo_problem(&e))?;
        state.metrics.login(LoginOutcome::Invalid);
        return Err(bad_credentials());
    };
    if let Err(error) = state.throttle.succeeded(attempt).await {
        tracing::warn!(%error, "cannot settle a successful login with the throttle");
    }
    rehash_if_outdated(&state, &user, password);
    let session = issue_session(&state, &user, Uuid::now_v7()).await?;
    state.metrics.login(LoginOutcome::Success);
    tracing::Span::current().record("user_id", session.user_id.to_string());
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(session))
}

/// The user when `password` is theirs. Without a user, verifies against
/// the dummy hash so that an unknown email costs the same time.
async fn verify(
    state: &AppState,
    user: Option<UserDoc>,
    password: SecretString,
) -> Result<Option<UserDoc>, Problem> {
    let stored = user.as_ref().map(|u| u.password_hash.clone());
    let (verdict, elapsed) = state
        .hasher
        .verify(password, stored)
        .await
        .map_err(|e| hash_problem(&e))?;
    state.metrics.argon2("verify", elapsed);
    Ok(user.filter(|_| verdict == Verdict::Match))
}

/// After a successful login, replaces a hash made with older argon2
/// parameters (in the background: the login does not wait).
fn rehash_if_outdated(state: &web::Data<AppState>, user: &UserDoc, password: SecretString) {
    if !state.hasher.needs_rehash(&user.password_hash) {
        return;
    }
    let (state, user_id) = (state.clone(), user.id.clone());
    tokio::spawn(async move {
        let rehashed = match state.hasher.hash(password).await {
            Ok((hash, _)) => state.users.set_password_hash(&user_id, &hash).await,
            Err(error) => {
                tracing::warn!(%error, "cannot rehash a password");
                return;
            }
        };
        match rehashed {
            Ok(()) => tracing::info!(%user_id, "password rehashed with the current parameters"),
            Err(error) => tracing::warn!(%error, "cannot store a rehashed password"),
        }
    });
}

/// `POST /v1/auth/refresh`.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct RefreshRequest {
    /// A refresh token from login or an earlier refresh.
    #[schema(value_type = String)]
    pub refresh_token: SecretString,
}

/// `POST /v1/auth/logout`'s optional body.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct LogoutRequest {
    /// The session's refresh token: its whole family is deleted too.
    #[schema(value_type = Option<String>)]
    pub refresh_token: Option<SecretString>,
}

/// `POST /v1/auth/refresh`: exchanges a refresh token (once) for a new
/// session of the same family. An invalid, expired or reused token is 401;
/// a token presented a second time revokes its whole family: someone else
/// has a copy.
#[utoipa::path(post, path = "/v1/auth/refresh", tag = "auth", request_body = RefreshRequest,
    responses((status = 200, body = TokenResponse), (status = 400, response = Malformed),
        (status = 401, response = Unauthorized), (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType), (status = 422, response = Invalid),
        (status = 503, response = Unavailable)))]
pub async fn refresh(
    state: web::Data<AppState>,
    body: JsonBody<RefreshRequest>,
) -> Result<HttpResponse, Problem> {
    require_initialized(&state)?;
    let token = body.value.refresh_token;
    let exchanged = state
        .refresh
        .exchange(token.expose_secret())
        .await
        .map_err(|e| mongo_problem(&e))?;
    let record = match exchanged {
        Exchange::Rotated(record) => record,
        Exchange::Reused { user_id } => {
            tracing::warn!(%user_id, "a used refresh token was presented again: its family is revoked");
            return Err(Problem::unauthorized(
                "this refresh token was already used; every session it belongs to is revoked, sign in again",
            ));
        }
        Exchange::Invalid => {
            return Err(Problem::unauthorized(
                "the refresh token is invalid or expired",
            ))
        }
    };
    let user = match record.user_id.parse() {
        Ok(user_id) => state
            .users
            .by_id(user_id)
            .await
            .map_err(|e| mongo_problem(&e))?,
        Err(_) => None,
    };
    let (Some(user), Ok(family)) = (user, record.family_id.parse()) else {
        return Err(Problem::unauthorized("the account no longer exists"));
    };
    let session = issue_session(&state, &user, family).await?;
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(session))
}

/// The bearer token of a request (already verified by [`Authenticated`]).
fn bearer(request: &HttpRequest) -> Option<&str> {
    let header = request
        .headers()
        .get(actix_web::http::header::AUTHORIZATION)?
        .to_str()
        .ok()?;
    header
        .strip_prefix("Bearer ")
        .or_else(|| header.strip_prefix("bearer "))
        .map(str::trim)
}

/// `POST /v1/auth/logout` (Bearer): revokes the access token at every
/// service (a [`Revocation`] on NATS, which they follow). The body is
/// optional: none (or an empty one, of any media type) revokes the access
/// token only; `{"refresh_token": …}` (as JSON) also deletes that refresh
/// token's family. 503 when the revocation cannot be published: the token
/// is then still valid.
#[utoipa::path(post, path = "/v1/auth/logout", tag = "auth",
    request_body(content = Option<LogoutRequest>, description = "Optional", content_type = "application/json"),
    responses((status = 204, description = "Revoked"), (status = 400, response = Malformed),
        (status = 401, response = Unauthorized), (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType), (status = 422, response = Invalid),
        (status = 503, response = Unavailable)),
    security(("bearer" = [])))]
pub async fn logout(
    Authenticated(principal): Authenticated,
    state: web::Data<AppState>,
    request: HttpRequest,
    OptionalJsonBody(body): OptionalJsonBody<LogoutRequest>,
) -> Result<HttpResponse, Problem> {
    let refresh_token = body.and_then(|body| body.refresh_token);
    let revocation_id = bearer(&request)
        .and_then(|token| state.verifier.revocation_ids(token).ok())
        .and_then(|ids| ids.into_iter().next())
        .ok_or_else(|| Problem::unauthorized("invalid token"))?;
    if let Some(token) = refresh_token {
        state
            .refresh
            .revoke_family_of(token.expose_secret(), principal.user_id)
            .await
            .map_err(|e| mongo_problem(&e))?;
    }
    // The token expires at most one access TTL from now: the revocation
    // needs to be remembered no longer.
    let expires_at = Utc::now() + state.access_ttl;
    let revocation = Revocation {
        revocation_id,
        user_id: principal.user_id,
        expires_at,
    };
    publish_revocation(&state, &revocation).await?;
    state
        .verifier
        .revocations()
        .revoke(&revocation.revocation_id, SystemTime::from(expires_at));
    tracing::info!(user_id = %principal.user_id, "logged out: token revoked");
    Ok(HttpResponse::NoContent().finish())
}

/// Publishes a revocation; creates the stream and retries once when the
/// first attempt fails (the stream may not exist yet).
async fn publish_revocation(state: &AppState, revocation: &Revocation) -> Result<(), Problem> {
    if revocation::publish(&state.jetstream, revocation)
        .await
        .is_ok()
    {
        return Ok(());
    }
    let retried = async {
        revocation::ensure_stream(&state.jetstream).await?;
        revocation::publish(&state.jetstream, revocation).await
    }
    .await;
    retried.map_err(|error| {
        tracing::error!(%error, "cannot publish a token revocation");
        Problem::unavailable("the logout could not be recorded; retry shortly")
    })
}
