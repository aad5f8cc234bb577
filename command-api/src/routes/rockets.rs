//! `POST /v1/rockets`: operations register a rocket.

use actix_web::{web, HttpRequest, HttpResponse};
use domain::rocket::MAX_ROCKET_CAPACITY;
use domain::RocketCommand;
use events::RocketRange;
use platform::auth::Authenticated;
use platform::http::{JsonBody, RequestContext};
use platform::{Department, FieldError, Problem, Role};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::support::IdempotencyKey;
use super::support::{idempotency, metadata, now, range_schema, required_text, respond};
use crate::bus::{self, Reply};
use crate::startup::AppState;
use platform::openapi::{
    Forbidden, Invalid, Malformed, PayloadTooLarge, Unauthorized, Unavailable, UnsupportedMediaType,
};

/// Longest rocket name accepted.
pub const MAX_NAME_CHARS: usize = 100;

/// A rocket to register.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterRocket {
    /// 1 to 100 characters once trimmed, no control characters.
    #[schema(example = "Starhopper", schema_with = platform::openapi::required_text::<MAX_NAME_CHARS>)]
    pub name: String,
    /// Passenger seats, 1 to 10000.
    #[schema(example = 12, minimum = 1, maximum = 10000)]
    #[serde(deserialize_with = "platform::http::whole_number")]
    pub capacity: u32,
    /// `suborbital`, `low_earth_orbit`, `moon` or `mars`.
    #[schema(value_type = String, example = "moon", schema_with = range_schema)]
    pub range: RocketRange,
}

/// A registered rocket.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct RocketRegisteredReply {
    /// Its id.
    pub rocket_id: Uuid,
    /// Its name.
    pub name: String,
    /// Its seats.
    pub capacity: u32,
    /// Its range.
    #[schema(value_type = String, schema_with = range_schema)]
    pub range: RocketRange,
    /// The rocket's stream version.
    pub version: u64,
}

/// Every field problem of a rocket to register, as a 422.
pub fn validate(request: &RegisterRocket) -> Result<(), Problem> {
    let mut errors = Vec::new();
    required_text(&mut errors, "name", &request.name, MAX_NAME_CHARS);
    if !(1..=MAX_ROCKET_CAPACITY).contains(&request.capacity) {
        errors.push(FieldError::new(
            "capacity",
            "out-of-range",
            format!("must be 1 to {MAX_ROCKET_CAPACITY}"),
        ));
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(Problem::invalid(errors))
    }
}

/// Registers a rocket (operations employees; any other role is 403).
#[utoipa::path(post, path = "/v1/rockets", tag = "rockets", request_body = RegisterRocket,
    params(IdempotencyKey),
    security(("bearer" = [])),
    responses(
        (status = 201, body = RocketRegisteredReply),
        (status = 400, response = Malformed), (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 413, response = PayloadTooLarge), (status = 415, response = UnsupportedMediaType),
        (status = 422, response = Invalid), (status = 503, response = Unavailable)))]
pub async fn register(
    req: HttpRequest,
    Authenticated(principal): Authenticated,
    context: RequestContext,
    body: JsonBody<RegisterRocket>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, Problem> {
    principal.require(&[Role::Employee(Department::Operations)])?;
    validate(&body.value)?;
    let key = idempotency(&req, &principal, &body.raw)?;
    let at = now();
    let rocket_id = Uuid::now_v7();
    let request = body.value;
    let command = RocketCommand::Register {
        rocket_id,
        name: request.name,
        capacity: request.capacity,
        range: request.range,
    };
    let reply = bus::execute(
        &state.rockets,
        &rocket_id.to_string(),
        command,
        &metadata(&context, &principal, at),
        key.as_ref(),
        state.retry,
        |done| {
            let registered = done.aggregate.registered().expect("just registered");
            Reply::json(
                201,
                &RocketRegisteredReply {
                    rocket_id: registered.rocket_id,
                    name: registered.name.clone(),
                    capacity: registered.capacity,
                    range: registered.range,
                    version: done.version,
                },
            )
        },
    )
    .await?;
    Ok(respond(reply))
}
