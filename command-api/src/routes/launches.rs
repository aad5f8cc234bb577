//! Launch lifecycle, for operations employees: schedule, confirm, delay,
//! abort, mark launched.

use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use domain::{Launch, LaunchCommand, RocketSpec};
use events::{Destination, LaunchEvent};
use platform::auth::Authenticated;
use platform::http::{JsonBody, RequestContext};
use platform::{Department, FieldError, Principal, Problem, Role};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::support::{
    idempotency, metadata, now, range_schema, required_text, respond, IdempotencyKey,
};
use crate::bus::{self, Committed, Reply};
use crate::errors::store_problem;
use crate::startup::AppState;
use platform::openapi::{
    Conflict, Forbidden, Invalid, Malformed, NotFound, PayloadTooLarge, Unauthorized, Unavailable,
    UnsupportedMediaType,
};

/// Longest spaceport name accepted.
pub const MAX_SPACEPORT_CHARS: usize = 100;
/// Longest reason accepted.
pub const MAX_REASON_CHARS: usize = 500;
use domain::policy::MAX_PRICE_PER_SEAT_CENTS as MAX_PRICE_CENTS;

const OPERATIONS: [Role; 1] = [Role::Employee(Department::Operations)];

/// A launch to put on sale.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScheduleLaunch {
    /// A registered rocket whose range reaches the destination.
    pub rocket_id: Uuid,
    /// 1 to 100 characters once trimmed, no control characters.
    #[schema(example = "Kourou", schema_with = platform::openapi::required_text::<MAX_SPACEPORT_CHARS>)]
    pub spaceport: String,
    /// `suborbital`, `low_earth_orbit`, `moon` or `mars`.
    #[schema(value_type = String, example = "moon", schema_with = range_schema)]
    pub destination: Destination,
    /// RFC 3339, in the future (422 otherwise).
    pub departure_at: DateTime<Utc>,
    /// In cents, 1 to 1000000000.
    #[schema(example = 25_000_000, minimum = 1, maximum = 1_000_000_000)]
    #[serde(deserialize_with = "platform::http::whole_number")]
    pub price_per_seat_cents: i64,
}

/// A new departure date.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DelayLaunch {
    /// RFC 3339, later than the current departure (422 otherwise).
    pub new_departure_at: DateTime<Utc>,
    /// 1 to 500 characters once trimmed, no control characters, shown to
    /// travelers.
    #[schema(schema_with = platform::openapi::required_text::<MAX_REASON_CHARS>)]
    pub reason: String,
}

/// Why a launch is aborted.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AbortLaunch {
    /// 1 to 500 characters once trimmed, no control characters, shown to
    /// travelers.
    #[schema(schema_with = platform::openapi::required_text::<MAX_REASON_CHARS>)]
    pub reason: String,
}

/// A launch after a command.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct LaunchReply {
    /// Its id.
    pub launch_id: Uuid,
    /// `scheduled`, `confirmed`, `delayed`, `launched` or `aborted`.
    #[schema(schema_with = launch_status)]
    pub status: String,
    /// Its departure.
    pub departure_at: DateTime<Utc>,
    /// Seats still for sale.
    pub free_seats: u32,
    /// Bookings refunded by this command (an abort).
    pub refunded_bookings: usize,
    /// The launch's stream version.
    pub version: u64,
}

fn launch_status() -> utoipa::openapi::Object {
    platform::openapi::string_enum(
        &["scheduled", "confirmed", "delayed", "launched", "aborted"],
        "The launch's status after the command.",
    )
}

fn check(errors: Vec<FieldError>) -> Result<(), Problem> {
    if errors.is_empty() {
        Ok(())
    } else {
        Err(Problem::invalid(errors))
    }
}

fn launch_reply(launch_id: Uuid, status: u16) -> impl Fn(Committed<'_, Launch>) -> Reply {
    move |done| {
        Reply::json(
            status,
            &LaunchReply {
                launch_id,
                status: done
                    .aggregate
                    .status()
                    .map_or("unknown", |s| s.as_str())
                    .to_owned(),
                departure_at: done.aggregate.departure_at().unwrap_or_default(),
                free_seats: done.aggregate.free_seats(),
                refunded_bookings: done
                    .events
                    .iter()
                    .filter(|e| matches!(e, LaunchEvent::BookingCancelled(_)))
                    .count(),
                version: done.version,
            },
        )
    }
}

/// A reason shown to travelers: 1 to [`MAX_REASON_CHARS`] characters
/// (the check of the delay and abort bodies).
pub fn check_reason(reason: &str) -> Result<(), Problem> {
    let mut errors = Vec::new();
    required_text(&mut errors, "reason", reason, MAX_REASON_CHARS);
    check(errors)
}

/// One launch command of a request.
struct LaunchRequest<'a> {
    req: &'a HttpRequest,
    principal: &'a Principal,
    context: &'a RequestContext,
    raw_body: &'a [u8],
    launch_id: Uuid,
    at: DateTime<Utc>,
}

impl<'a> LaunchRequest<'a> {
    fn new(
        req: &'a HttpRequest,
        principal: &'a Principal,
        context: &'a RequestContext,
        raw_body: &'a [u8],
        launch_id: Uuid,
        at: DateTime<Utc>,
    ) -> Self {
        Self {
            req,
            principal,
            context,
            raw_body,
            launch_id,
            at,
        }
    }
}

/// Runs one launch command and answers with the launch's new state.
async fn run(
    state: &AppState,
    request: LaunchRequest<'_>,
    command: LaunchCommand,
    status: u16,
) -> Result<HttpResponse, Problem> {
    let LaunchRequest {
        req,
        principal,
        context,
        raw_body,
        launch_id,
        at,
    } = request;
    let key = idempotency(req, principal, raw_body)?;
    let reply = bus::execute(
        &state.launches,
        &launch_id.to_string(),
        command,
        &metadata(context, principal, at),
        key.as_ref(),
        state.retry,
        launch_reply(launch_id, status),
    )
    .await?;
    Ok(respond(reply))
}

/// Every field problem of a launch to schedule that needs no lookup, as a
/// 422 (the rocket is checked against the store afterwards).
pub fn check_schedule(request: &ScheduleLaunch) -> Result<(), Problem> {
    let mut errors = Vec::new();
    required_text(
        &mut errors,
        "spaceport",
        &request.spaceport,
        MAX_SPACEPORT_CHARS,
    );
    if !(1..=MAX_PRICE_CENTS).contains(&request.price_per_seat_cents) {
        errors.push(FieldError::new(
            "price_per_seat_cents",
            "out-of-range",
            format!("must be 1 to {MAX_PRICE_CENTS}"),
        ));
    }
    check(errors)
}

/// Puts a launch on sale (operations employees; any other role is 403).
///
/// Besides what the schema says, 422 names `rocket_id` when no such rocket
/// is registered or its range does not reach the destination, and
/// `departure_at` when it is not in the future.
#[utoipa::path(post, path = "/v1/launches", tag = "launches", request_body = ScheduleLaunch,
    params(IdempotencyKey), security(("bearer" = [])),
    responses((status = 201, body = LaunchReply), (status = 400, response = Malformed),
        (status = 401, response = Unauthorized), (status = 403, response = Forbidden),
        (status = 413, response = PayloadTooLarge), (status = 415, response = UnsupportedMediaType),
        (status = 422, response = Invalid), (status = 503, response = Unavailable)))]
pub async fn schedule(
    req: HttpRequest,
    Authenticated(principal): Authenticated,
    context: RequestContext,
    body: JsonBody<ScheduleLaunch>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, Problem> {
    principal.require(&OPERATIONS)?;
    let request = &body.value;
    check_schedule(request)?;
    let rocket = state
        .rockets
        .read(&request.rocket_id.to_string())
        .await
        .map_err(|e| store_problem(&e))?;
    let Some(rocket) = rocket.registered() else {
        return Err(Problem::invalid(vec![FieldError::new(
            "rocket_id",
            "unknown-rocket",
            "no rocket with this id is registered",
        )]));
    };
    let launch_id = Uuid::now_v7();
    let at = now();
    let command = LaunchCommand::Schedule {
        launch_id,
        rocket: RocketSpec {
            id: rocket.rocket_id,
            name: rocket.name.clone(),
            capacity: rocket.capacity,
            range: rocket.range,
        },
        spaceport: request.spaceport.clone(),
        destination: request.destination,
        departure_at: request.departure_at,
        price_per_seat_cents: request.price_per_seat_cents,
        now: at,
    };
    let request = LaunchRequest::new(&req, &principal, &context, &body.raw, launch_id, at);
    run(&state, request, command, 201).await
}

/// Confirms a launch will fly (operations employees). 409 unless it is
/// scheduled or delayed and not departed. No body.
#[utoipa::path(post, path = "/v1/launches/{launch_id}/confirm", tag = "launches",
    params(("launch_id" = Uuid, Path), IdempotencyKey), security(("bearer" = [])),
    responses((status = 200, body = LaunchReply), (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden), (status = 404, response = NotFound),
        (status = 409, response = Conflict), (status = 422, response = Invalid),
        (status = 503, response = Unavailable)))]
pub async fn confirm(
    req: HttpRequest,
    Authenticated(principal): Authenticated,
    context: RequestContext,
    path: web::Path<Uuid>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, Problem> {
    principal.require(&OPERATIONS)?;
    let at = now();
    let request = LaunchRequest::new(&req, &principal, &context, b"", path.into_inner(), at);
    run(&state, request, LaunchCommand::Confirm { now: at }, 200).await
}

/// Moves a launch's departure later (operations employees). 422 names
/// `new_departure_at` unless it is later than the current departure; 409
/// when the launch has flown or is aborted.
#[utoipa::path(post, path = "/v1/launches/{launch_id}/delay", tag = "launches", request_body = DelayLaunch,
    params(("launch_id" = Uuid, Path), IdempotencyKey), security(("bearer" = [])),
    responses((status = 200, body = LaunchReply), (status = 400, response = Malformed),
        (status = 401, response = Unauthorized), (status = 403, response = Forbidden),
        (status = 404, response = NotFound), (status = 409, response = Conflict),
        (status = 413, response = PayloadTooLarge), (status = 415, response = UnsupportedMediaType),
        (status = 422, response = Invalid), (status = 503, response = Unavailable)))]
pub async fn delay(
    req: HttpRequest,
    Authenticated(principal): Authenticated,
    context: RequestContext,
    path: web::Path<Uuid>,
    body: JsonBody<DelayLaunch>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, Problem> {
    principal.require(&OPERATIONS)?;
    check_reason(&body.value.reason)?;
    let at = now();
    let command = LaunchCommand::Delay {
        new_departure_at: body.value.new_departure_at,
        reason: body.value.reason.clone(),
        now: at,
    };
    let request = LaunchRequest::new(&req, &principal, &context, &body.raw, path.into_inner(), at);
    run(&state, request, command, 200).await
}

/// Calls a launch off and refunds every active booking in full
/// (operations). 409 when it has flown or is already aborted.
#[utoipa::path(post, path = "/v1/launches/{launch_id}/abort", tag = "launches", request_body = AbortLaunch,
    params(("launch_id" = Uuid, Path), IdempotencyKey), security(("bearer" = [])),
    responses((status = 200, body = LaunchReply), (status = 400, response = Malformed),
        (status = 401, response = Unauthorized), (status = 403, response = Forbidden),
        (status = 404, response = NotFound), (status = 409, response = Conflict),
        (status = 413, response = PayloadTooLarge), (status = 415, response = UnsupportedMediaType),
        (status = 422, response = Invalid), (status = 503, response = Unavailable)))]
pub async fn abort(
    req: HttpRequest,
    Authenticated(principal): Authenticated,
    context: RequestContext,
    path: web::Path<Uuid>,
    body: JsonBody<AbortLaunch>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, Problem> {
    principal.require(&OPERATIONS)?;
    check_reason(&body.value.reason)?;
    let at = now();
    let command = LaunchCommand::Abort {
        reason: body.value.reason.clone(),
        now: at,
    };
    let request = LaunchRequest::new(&req, &principal, &context, &body.raw, path.into_inner(), at);
    run(&state, request, command, 200).await
}

/// Records the lift-off of a confirmed launch at or after its departure
/// time (operations); 409 otherwise. No body.
#[utoipa::path(post, path = "/v1/launches/{launch_id}/launched", tag = "launches",
    params(("launch_id" = Uuid, Path), IdempotencyKey), security(("bearer" = [])),
    responses((status = 200, body = LaunchReply), (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden), (status = 404, response = NotFound),
        (status = 409, response = Conflict), (status = 422, response = Invalid),
        (status = 503, response = Unavailable)))]
pub async fn launched(
    req: HttpRequest,
    Authenticated(principal): Authenticated,
    context: RequestContext,
    path: web::Path<Uuid>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, Problem> {
    principal.require(&OPERATIONS)?;
    let at = now();
    let request = LaunchRequest::new(&req, &principal, &context, b"", path.into_inner(), at);
    run(
        &state,
        request,
        LaunchCommand::MarkLaunched { now: at },
        200,
    )
    .await
}
