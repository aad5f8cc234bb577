//! Registration, employee creation and `/me`.

use actix_web::{web, HttpResponse};
use chrono::{DateTime, Utc};
use events::user::{EmployeeProfile, Profile};
use platform::auth::Authenticated;
use platform::http::{JsonBody, RequestContext};
use platform::{Department, FieldError, Problem, Role};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::require_initialized;
use crate::accounts::{self, check_credentials, check_profile, NewAccount};
use crate::errors::mongo_problem;
use crate::password::{MAX_LENGTH, MIN_LENGTH};
use crate::startup::AppState;
use crate::users::{department_name, role_parts, UserDoc};
use platform::openapi::{
    Conflict, Forbidden, Invalid, Malformed, PayloadTooLarge, Unauthorized, Unavailable,
    UnsupportedMediaType,
};

/// `POST /v1/auth/register`.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct RegisterRequest {
    /// The login email (stored trimmed and lower-cased).
    #[schema(schema_with = email_schema)]
    pub email: String,
    /// 12 to 256 characters, no control characters, not a common
    /// password, not containing the email's name (422 otherwise).
    #[schema(value_type = String, schema_with = password_schema)]
    pub password: SecretString,
    /// `{"kind": "traveler", "full_name", "birth_date"}` or `{"kind":
    /// "agency", "legal_name", "tax_id", "address": {…}, "contact": {…}}`;
    /// no control characters in any of its text.
    #[schema(value_type = Object, schema_with = registrable_profile)]
    pub profile: Profile,
}

fn email_schema() -> utoipa::openapi::Object {
    utoipa::openapi::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::String)
        .pattern(Some(platform::openapi::email_pattern()))
        .description(Some("An email address, like name@example.com."))
        .build()
}

fn password_schema() -> utoipa::openapi::Object {
    utoipa::openapi::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::String)
        .min_length(Some(MIN_LENGTH))
        .max_length(Some(MAX_LENGTH))
        .pattern(Some(platform::openapi::no_control_pattern()))
        .description(Some(
            "12 to 256 characters, no control characters; not a common password, not containing the email's name.",
        ))
        .build()
}

fn registrable_profile() -> utoipa::openapi::Schema {
    platform::openapi::profile_schema(&["traveler", "agency"])
}

fn any_profile() -> utoipa::openapi::Schema {
    platform::openapi::profile_schema(&["traveler", "agency", "employee"])
}

fn department_schema() -> utoipa::openapi::Object {
    platform::openapi::string_enum(
        &["operations", "finance", "it"],
        "An employee's department.",
    )
}

fn role_schema() -> utoipa::openapi::Object {
    platform::openapi::string_enum(&["traveler", "agency", "employee"], "The account's role.")
}

/// A created account.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Created {
    /// The new user's id.
    pub user_id: Uuid,
    /// Their normalized email.
    pub email: String,
    /// `traveler`, `agency` or `employee`.
    #[schema(schema_with = role_schema)]
    pub role: &'static str,
    /// An employee's department.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(schema_with = department_schema)]
    pub department: Option<&'static str>,
}

impl Created {
    fn of(user: &UserDoc, role: Role) -> Result<Self, Problem> {
        let user_id = user.user_id().ok_or_else(Problem::internal)?;
        let (role, department) = role_parts(role);
        Ok(Self {
            user_id,
            email: user.email.clone(),
            role,
            department,
        })
    }
}

/// A registration's normalized email and the role its profile gives, or a
/// 422 naming every invalid field (employees cannot register themselves).
pub fn check_registration(
    email: &str,
    password: &str,
    profile: &Profile,
) -> Result<(String, Role), Problem> {
    let (email, mut errors) = check_credentials(email, password);
    let role = match profile {
        Profile::Traveler(_) => Role::Traveler,
        Profile::Agency(_) => Role::Agency,
        Profile::Employee(_) => {
            errors.push(FieldError::new(
                "profile.kind",
                "not-allowed",
                "employees are created by an IT employee; register as traveler or agency",
            ));
            Role::Traveler
        }
    };
    errors.extend(check_profile(profile, ""));
    if !errors.is_empty() {
        return Err(Problem::invalid(errors));
    }
    Ok((email, role))
}

/// `POST /v1/auth/register`: a traveler or an agency creates an account.
/// 422 names every invalid field (beyond the schema: a traveler under 18,
/// a common password or one containing the email's name, an email whose
/// domain has letters of other scripts is accepted); 409 when the email
/// (in any case) is taken.
#[utoipa::path(post, path = "/v1/auth/register", tag = "auth", request_body = RegisterRequest,
    responses((status = 201, body = Created), (status = 400, response = Malformed),
        (status = 409, response = Conflict), (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType), (status = 422, response = Invalid),
        (status = 503, response = Unavailable)))]
pub async fn register(
    state: web::Data<AppState>,
    context: RequestContext,
    body: JsonBody<RegisterRequest>,
) -> Result<HttpResponse, Problem> {
    require_initialized(&state)?;
    let RegisterRequest {
        email,
        password,
        profile,
    } = body.value;
    let (email, role) = check_registration(&email, password.expose_secret(), &profile)?;
    let account = NewAccount {
        email,
        password,
        role,
        profile,
        created_by: None,
    };
    let user = accounts::create(&state, account, &context.correlation_id)
        .await
        .map_err(accounts::AccountError::into_problem)?;
    Ok(HttpResponse::Created().json(Created::of(&user, role)?))
}

/// `POST /v1/auth/employees`.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct EmployeeRequest {
    /// The employee's login email.
    #[schema(schema_with = email_schema)]
    pub email: String,
    /// Their initial password (same policy as registration).
    #[schema(value_type = String, schema_with = password_schema)]
    pub password: SecretString,
    /// `operations`, `finance` or `it`.
    #[schema(value_type = String, schema_with = department_schema)]
    pub department: Department,
    /// Their full name, 1 to 200 characters once trimmed, no control
    /// characters.
    #[schema(schema_with = platform::openapi::required_text::<200>)]
    pub full_name: String,
}

/// A new employee's normalized email and profile, or a 422 naming every
/// invalid field (`full_name` as in the flat body).
pub fn check_employee(
    email: &str,
    password: &str,
    full_name: String,
) -> Result<(String, Profile), Problem> {
    let profile = Profile::Employee(EmployeeProfile { full_name });
    let (email, mut errors) = check_credentials(email, password);
    errors.extend(check_profile(&profile, "profile."));
    if !errors.is_empty() {
        return Err(Problem::invalid(errors));
    }
    Ok((email, profile))
}

/// `POST /v1/auth/employees` (IT employees only; any other role is 403):
/// creates an employee of a department. 409 when the email is taken.
#[utoipa::path(post, path = "/v1/auth/employees", tag = "auth", request_body = EmployeeRequest,
    responses((status = 201, body = Created), (status = 400, response = Malformed),
        (status = 401, response = Unauthorized), (status = 403, response = Forbidden),
        (status = 409, response = Conflict), (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType), (status = 422, response = Invalid),
        (status = 503, response = Unavailable)),
    security(("bearer" = [])))]
pub async fn create_employee(
    Authenticated(principal): Authenticated,
    state: web::Data<AppState>,
    context: RequestContext,
    body: JsonBody<EmployeeRequest>,
) -> Result<HttpResponse, Problem> {
    principal.require(&[Role::Employee(Department::It)])?;
    require_initialized(&state)?;
    let EmployeeRequest {
        email,
        password,
        department,
        full_name,
    } = body.value;
    let (email, profile) = check_employee(&email, password.expose_secret(), full_name)?;
    let role = Role::Employee(department);
    let account = NewAccount {
        email,
        password,
        role,
        profile,
        created_by: Some(principal.user_id),
    };
    let user = accounts::create(&state, account, &context.correlation_id)
        .await
        .map_err(accounts::AccountError::into_problem)?;
    tracing::info!(
        created_by = %principal.user_id,
        department = department_name(department),
        "employee created"
    );
    Ok(HttpResponse::Created().json(Created::of(&user, role)?))
}

/// `GET /v1/auth/me`.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Me {
    /// The user's id.
    pub user_id: Uuid,
    /// Their normalized email.
    pub email: String,
    /// `traveler`, `agency` or `employee`.
    #[schema(schema_with = role_schema)]
    pub role: &'static str,
    /// An employee's department.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(schema_with = department_schema)]
    pub department: Option<&'static str>,
    /// The profile they registered with.
    #[schema(value_type = Object, schema_with = any_profile)]
    pub profile: Profile,
    /// When the account was created.
    pub created_at: DateTime<Utc>,
}

/// `GET /v1/auth/me`: the caller's account.
#[utoipa::path(get, path = "/v1/auth/me", tag = "auth",
    responses((status = 200, body = Me), (status = 401, response = Unauthorized),
        (status = 503, response = Unavailable)),
    security(("bearer" = [])))]
pub async fn me(
    Authenticated(principal): Authenticated,
    state: web::Data<AppState>,
) -> Result<HttpResponse, Problem> {
    let user = state
        .users
        .by_id(principal.user_id)
        .await
        .map_err(|e| mongo_problem(&e))?
        .ok_or_else(|| Problem::unauthorized("the account no longer exists"))?;
    let role = user.role().ok_or_else(Problem::internal)?;
    let (role, department) = role_parts(role);
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "private, no-store"))
        .json(Me {
            user_id: principal.user_id,
            email: user.email,
            role,
            department,
            profile: user.profile,
            created_at: user.created_at.to_chrono(),
        }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn department_names_are_the_wire_names() {
        assert_eq!(department_name(Department::It), "it");
        let parsed: Department = serde_json::from_str("\"finance\"").unwrap();
        assert_eq!(parsed, Department::Finance);
    }
}
