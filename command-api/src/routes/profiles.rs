//! `PUT /v1/profiles/me`: a user replaces their own profile.

use actix_web::{web, HttpRequest, HttpResponse};
use domain::profile::validate_profile;
use domain::ProfileCommand;
use events::user::Profile;
use platform::auth::Authenticated;
use platform::http::{JsonBody, RequestContext};
use platform::{FieldError, Problem, Role};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::support::{idempotency, metadata, now, respond, IdempotencyKey};
use crate::bus::{self, Reply};
use crate::startup::AppState;
use platform::openapi::{
    Invalid, Malformed, PayloadTooLarge, Unauthorized, Unavailable, UnsupportedMediaType,
};

/// A profile to set.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateProfile {
    /// The whole profile, tagged by `kind`: a traveler's
    /// `{kind: "traveler", full_name, birth_date}`, an agency's
    /// `{kind: "agency", legal_name, tax_id, address {line1, line2?, city,
    /// postal_code, country}, contact {name, email, phone}}`, or an
    /// employee's `{kind: "employee", full_name}`. It must be of the
    /// caller's kind.
    #[schema(value_type = Object, schema_with = any_profile)]
    pub profile: Profile,
}

fn any_profile() -> utoipa::openapi::Schema {
    platform::openapi::profile_schema(&["traveler", "agency", "employee"])
}

/// The profile as stored.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ProfileReply {
    /// The user.
    pub user_id: Uuid,
    /// Their profile, trimmed and normalized.
    #[schema(value_type = Object, schema_with = any_profile)]
    pub profile: Profile,
    /// The profile's stream version (0 when it was never changed).
    pub version: u64,
}

/// The profile kind a role may have.
pub fn kind_of(role: Role) -> &'static str {
    match role {
        Role::Traveler => "traveler",
        Role::Agency => "agency",
        Role::Employee(_) => "employee",
    }
}

/// Every field problem at once, before the command runs: a profile of
/// another `kind` than the caller's account, then each invalid field.
pub fn validate(kind: &'static str, profile: &Profile) -> Result<(), Problem> {
    if profile.kind() != kind {
        return Err(Problem::invalid(vec![FieldError::new(
            "profile.kind",
            "wrong-profile-kind",
            format!("must be {kind}, the kind of your account"),
        )]));
    }
    let problems = validate_profile(profile, now().date_naive());
    if problems.is_empty() {
        return Ok(());
    }
    Err(Problem::invalid(
        problems
            .into_iter()
            .map(|(field, message)| FieldError::new(field, "invalid", message))
            .collect(),
    ))
}

/// Replaces the caller's profile (any signed-in user). Setting the same
/// profile again changes nothing and answers the same.
///
/// 422 names `profile.kind` when the profile is not of the caller's kind
/// (a traveler's token sets a traveler profile), a traveler's
/// `profile.birth_date` unless 18 to 120 years ago, and an agency's
/// contact email or phone that is not one.
#[utoipa::path(put, path = "/v1/profiles/me", tag = "profiles", request_body = UpdateProfile,
    params(IdempotencyKey),
    security(("bearer" = [])),
    responses(
        (status = 200, body = ProfileReply),
        (status = 400, response = Malformed), (status = 401, response = Unauthorized),
        (status = 413, response = PayloadTooLarge), (status = 415, response = UnsupportedMediaType),
        (status = 422, response = Invalid), (status = 503, response = Unavailable)))]
pub async fn update_mine(
    req: HttpRequest,
    Authenticated(principal): Authenticated,
    context: RequestContext,
    body: JsonBody<UpdateProfile>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, Problem> {
    let kind = kind_of(principal.role);
    validate(kind, &body.value.profile)?;
    let key = idempotency(&req, &principal, &body.raw)?;
    let at = now();
    let user_id = principal.user_id;
    let command = ProfileCommand::Update {
        user_id,
        kind,
        profile: body.value.profile,
        today: at.date_naive(),
    };
    let reply = bus::execute(
        &state.profiles,
        &user_id.to_string(),
        command,
        &metadata(&context, &principal, at),
        key.as_ref(),
        state.retry,
        |done| {
            let profile = done
                .aggregate
                .current()
                .cloned()
                .expect("a valid update leaves a profile");
            Reply::json(
                200,
                &ProfileReply {
                    user_id,
                    profile,
                    version: done.version,
                },
            )
        },
    )
    .await?;
    Ok(respond(reply))
}
