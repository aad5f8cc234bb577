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

use super::support::{idempotency, metadata, now, required_text, respond};
use crate::bus::{self, Reply};
use crate::startup::AppState;

/// Longest rocket name accepted.
pub const MAX_NAME_CHARS: usize = 100;

/// A rocket to register.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterRocket {
    /// 1 to 100 characters, no control characters.
    #[schema(example = "Starhopper", pattern = r"^[^\u0000-\u001F\u007F-\u009F]*$")]
    pub name: String,
    /// Passenger seats, 1 to 10000.
    #[schema(example = 12)]
    pub capacity: u32,
    /// `suborbital`, `low_earth_orbit`, `moon` or `mars`.
    #[schema(value_type = String, example = "moon")]
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
    #[schema(value_type = String)]
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

/// Registers a rocket (operations employees).
#[utoipa::path(post, path = "/v1/rockets", tag = "rockets", request_body = RegisterRocket,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retry safe")),
    security(("bearer" = [])),
    responses(
        (status = 201, body = RocketRegisteredReply),
        (status = 400, description = "Malformed JSON"), (status = 401, description = "No or bad token"),
        (status = 403, description = "Not an operations employee"), (status = 422, description = "Invalid fields")))]
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
