//! `GET /v1/profiles/me`: the caller's current profile, from the profiles
//! projection in PostgreSQL (what `PUT /v1/profiles/me` of the command API
//! wrote, once projected).

use std::time::{Duration, Instant};

use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::{web, HttpResponse};
use events::user::Profile;
use platform::auth::Authenticated;
use platform::{Problem, Role};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::errors::postgres_problem;
use crate::openapi::{NotHolder, Unauthorized, Unavailable, ValidationFailed};
use crate::params::Errors;
use crate::startup::AppState;

/// Who has a profile of their own here.
const HOLDERS: [Role; 2] = [Role::Traveler, Role::Agency];

/// How often a read-your-writes request looks again.
const POLL: Duration = Duration::from_millis(20);

/// The caller's profile.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProfileView {
    /// The user.
    pub user_id: Uuid,
    /// Their profile, as `PUT /v1/profiles/me` takes it.
    #[schema(value_type = Object, schema_with = holder_profile)]
    pub profile: Profile,
    /// The profile's stream version (0 when it was never changed), as the
    /// command API's `PUT` answers it.
    pub version: i64,
}

fn holder_profile() -> utoipa::openapi::Schema {
    platform::openapi::profile_schema(&["traveler", "agency"])
}

/// The read-your-writes option.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ProfileParams {
    /// Wait (bounded by `READ_YOUR_WRITES_MAX_WAIT_MS`) until the profile's
    /// version is at least this (≥ 1): the version `PUT /v1/profiles/me`
    /// answered. On timeout the answer is what the projection has, with
    /// `Astro-Stale: true`.
    #[param(value_type = Option<i64>, minimum = 1, maximum = 9223372036854775807_i64)]
    pub min_version: Option<String>,
}

/// The caller's current profile (a traveler's or an agency's).
#[utoipa::path(get, path = "/v1/profiles/me", tag = "profiles", operation_id = "my_profile", params(ProfileParams),
    security(("bearer" = [])),
    responses(
        (status = 200, body = ProfileView, headers(
            ("Cache-Control" = String, description = "`private, no-store`"),
            ("Astro-Stale" = Option<String>, description = "`true` when the wait for `min_version` timed out"))),
        (status = 401, response = Unauthorized),
        (status = 403, response = NotHolder),
        (status = 404, description = "`profile-not-found`: no profile yet (the registration is not projected yet)", body = crate::openapi::ProblemSchema, content_type = "application/problem+json"),
        (status = 422, response = ValidationFailed),
        (status = 503, response = Unavailable)))]
pub async fn mine(
    Authenticated(principal): Authenticated,
    params: web::Query<ProfileParams>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, Problem> {
    principal.require(&HOLDERS)?;
    let mut errors = Errors::default();
    let min_version = params
        .min_version
        .as_deref()
        .map(|raw| errors.integer("min_version", Some(raw), 1..=i64::MAX as u64, 1) as i64);
    let min_version = errors.finish(min_version)?;
    let agency = principal.role == Role::Agency;
    let read = || state.finance.profile(principal.user_id, agency);
    let mut row = read().await.map_err(|e| postgres_problem(&e))?;
    let mut stale = false;
    if let Some(min_version) = min_version {
        // The profiles projection has no change feed to wait on: a short,
        // bounded poll of one primary-key row.
        let deadline = Instant::now() + state.max_wait;
        while row.as_ref().is_none_or(|r| r.version < min_version) {
            if Instant::now() >= deadline {
                stale = true;
                break;
            }
            tokio::time::sleep(POLL).await;
            row = read().await.map_err(|e| postgres_problem(&e))?;
        }
    }
    let Some(row) = row else {
        return Err(Problem::not_found(
            "profile-not-found",
            "no profile yet: the registration has not been projected",
        ));
    };
    let mut response = HttpResponse::Ok();
    response.insert_header((header::CACHE_CONTROL, "private, no-store"));
    if stale {
        response.insert_header((
            HeaderName::from_static("astro-stale"),
            HeaderValue::from_static("true"),
        ));
    }
    Ok(response.json(ProfileView {
        user_id: principal.user_id,
        profile: row.profile,
        version: row.version,
    }))
}
