//! Booking seats (travelers and agencies) and cancelling (the holder).

use actix_web::{web, HttpRequest, HttpResponse};
use chrono::NaiveDate;
use domain::LaunchCommand;
use events::{HolderKind, LaunchEvent, Passenger};
use platform::auth::Authenticated;
use platform::http::{JsonBody, RequestContext};
use platform::{FieldError, Problem, Role};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::support::{idempotency, metadata, now, required_text, respond, IdempotencyKey};
use crate::bus::{self, Reply};
use crate::startup::AppState;
use platform::openapi::{
    Conflict, Forbidden, Invalid, Malformed, NotFound, PayloadTooLarge, Unauthorized, Unavailable,
    UnsupportedMediaType,
};

/// Longest passenger name accepted.
pub const MAX_PASSENGER_NAME_CHARS: usize = 200;
/// Longest email accepted (RFC 5321 path limit).
pub const MAX_EMAIL_CHARS: usize = 254;

/// One passenger of a booking.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PassengerRequest {
    /// Full name, 1 to 200 characters once trimmed, no control characters.
    #[schema(
        example = "Ada Lovelace",
        schema_with = platform::openapi::required_text::<MAX_PASSENGER_NAME_CHARS>
    )]
    pub name: String,
    /// `YYYY-MM-DD`; 18 to 70 years old at departure (422 otherwise).
    #[schema(value_type = String, format = Date, example = "1990-12-10")]
    pub birth_date: NaiveDate,
    /// Optional, for notifications: `local@domain.tld`, no spaces, at
    /// most 254 characters once trimmed and lower-cased.
    #[serde(default)]
    #[schema(nullable, schema_with = email_schema)]
    pub email: Option<String>,
}

/// Seats to book: one per passenger, 1 to 6.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BookSeats {
    /// The passengers.
    #[schema(min_items = 1, max_items = 6)]
    pub passengers: Vec<PassengerRequest>,
}

/// A booking made.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct BookingReply {
    /// The booking's id.
    pub booking_id: Uuid,
    /// The launch.
    pub launch_id: Uuid,
    /// Seats booked.
    pub seats: u32,
    /// Price of one seat, in cents, as charged.
    pub unit_price_cents: i64,
    /// Total, in cents.
    pub total_cents: i64,
    /// The launch's stream version after the booking (for read-your-writes).
    pub version: u64,
}

/// A booking cancelled.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CancellationReply {
    /// The booking.
    pub booking_id: Uuid,
    /// The launch.
    pub launch_id: Uuid,
    /// Seats returned to sale.
    pub seats_released: u32,
    /// 0, 70, 90 or 100.
    #[schema(maximum = 100)]
    pub refund_percent: u8,
    /// The refund in cents.
    pub refund_cents: i64,
    /// The launch's stream version after the cancellation.
    pub version: u64,
}

/// What [`plausible_email`] accepts, as far as a pattern can say (not the
/// length after lower-casing): trimmed, one `@` after a non-empty local
/// part, a dot inside the domain, no whitespace or control character.
fn email_schema() -> utoipa::openapi::Object {
    // Whitespace and control characters.
    let not =
        r"\u0000-\u001F\u007F-\u009F\u0020\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000";
    let space = r"\u0020\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000";
    utoipa::openapi::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::String)
        .pattern(Some(format!(
            "^[{space}]*[^@{not}]+@[^.{not}][^{not}]*[.][^{not}]*[^.{not}][{space}]*$"
        )))
        .description(Some(
            "An email address, for notifications; at most 254 characters once trimmed and lower-cased; no control characters.",
        ))
        .build()
}

fn plausible_email(email: &str) -> bool {
    let Some((local, domain)) = email.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !email.chars().any(char::is_whitespace)
        && email.chars().count() <= MAX_EMAIL_CHARS
}

/// The passengers of a booking, trimmed and normalized, or a 422 naming
/// every invalid one (their count and ages are the domain's rules).
pub fn passengers(request: BookSeats) -> Result<Vec<Passenger>, Problem> {
    let mut errors = Vec::new();
    for (i, passenger) in request.passengers.iter().enumerate() {
        required_text(
            &mut errors,
            &format!("passengers[{i}].name"),
            &passenger.name,
            MAX_PASSENGER_NAME_CHARS,
        );
        if let Some(email) = &passenger.email {
            if let Err(error) = domain::text::no_control(email) {
                errors.push(FieldError::new(
                    format!("passengers[{i}].email"),
                    error.code(),
                    error.to_string(),
                ));
            } else if !plausible_email(&email.trim().to_lowercase()) {
                // The form stored is checked: lower-casing may lengthen it.
                errors.push(FieldError::new(
                    format!("passengers[{i}].email"),
                    "invalid-email",
                    "is not an email address",
                ));
            }
        }
    }
    if !errors.is_empty() {
        return Err(Problem::invalid(errors));
    }
    Ok(request
        .passengers
        .into_iter()
        .map(|p| Passenger {
            name: p.name.trim().to_owned(),
            birth_date: p.birth_date,
            email: p.email.map(|e| e.trim().to_lowercase()),
        })
        .collect())
}

/// Books one seat per passenger (travelers and agencies). Honours
/// `Idempotency-Key`: a retry returns the first answer and books nothing twice.
///
/// 403 for any other role; 404 when no such launch; 409 when there are not
/// enough free seats, the launch is not on sale or has departed; 422 names
/// a passenger who is not 18 to 70 years old at departure.
#[utoipa::path(post, path = "/v1/launches/{launch_id}/bookings", tag = "bookings", request_body = BookSeats,
    params(("launch_id" = Uuid, Path), IdempotencyKey),
    security(("bearer" = [])),
    responses((status = 201, body = BookingReply), (status = 400, response = Malformed),
        (status = 401, response = Unauthorized), (status = 403, response = Forbidden),
        (status = 404, response = NotFound), (status = 409, response = Conflict),
        (status = 413, response = PayloadTooLarge), (status = 415, response = UnsupportedMediaType),
        (status = 422, response = Invalid), (status = 503, response = Unavailable)))]
pub async fn book(
    req: HttpRequest,
    Authenticated(principal): Authenticated,
    context: RequestContext,
    path: web::Path<Uuid>,
    body: JsonBody<BookSeats>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, Problem> {
    principal.require(&[Role::Traveler, Role::Agency])?;
    let holder_kind = match principal.role {
        Role::Agency => HolderKind::Agency,
        _ => HolderKind::Traveler,
    };
    let key = idempotency(&req, &principal, &body.raw)?;
    let launch_id = path.into_inner();
    let passengers = passengers(body.value)?;
    let at = now();
    let booking_id = Uuid::now_v7();
    let command = LaunchCommand::BookSeats {
        booking_id,
        holder_id: principal.user_id,
        holder_kind,
        passengers,
        now: at,
    };
    let reply = bus::execute(
        &state.launches,
        &launch_id.to_string(),
        command,
        &metadata(&context, &principal, at),
        key.as_ref(),
        state.retry,
        |done| match done.events.first() {
            Some(LaunchEvent::SeatsBooked(booked)) => Reply::json(
                201,
                &BookingReply {
                    booking_id: booked.booking_id,
                    launch_id,
                    seats: booked.seats,
                    unit_price_cents: booked.unit_price_cents,
                    total_cents: booked.total_cents,
                    version: done.version,
                },
            ),
            _ => Reply::problem(&Problem::internal()),
        },
    )
    .await?;
    Ok(respond(reply))
}

/// The holder cancels a booking; refunded 90% at least 365 days before
/// departure, 70% at least 90 days before, else nothing. No body.
///
/// 403 for a role other than traveler or agency; 404 when no such launch,
/// or no such booking held by the caller (another holder's booking is
/// answered the same, so its existence is not told); 409 when already
/// cancelled or the launch has flown.
#[utoipa::path(post, path = "/v1/launches/{launch_id}/bookings/{booking_id}/cancel", tag = "bookings",
    params(("launch_id" = Uuid, Path), ("booking_id" = Uuid, Path), IdempotencyKey),
    security(("bearer" = [])),
    responses((status = 200, body = CancellationReply), (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden), (status = 404, response = NotFound),
        (status = 409, response = Conflict), (status = 422, response = Invalid),
        (status = 503, response = Unavailable)))]
pub async fn cancel(
    req: HttpRequest,
    Authenticated(principal): Authenticated,
    context: RequestContext,
    path: web::Path<(Uuid, Uuid)>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, Problem> {
    principal.require(&[Role::Traveler, Role::Agency])?;
    let key = idempotency(&req, &principal, b"")?;
    let (launch_id, booking_id) = path.into_inner();
    let at = now();
    let command = LaunchCommand::CancelBooking {
        booking_id,
        requested_by: principal.user_id,
        now: at,
    };
    let reply = bus::execute(
        &state.launches,
        &launch_id.to_string(),
        command,
        &metadata(&context, &principal, at),
        key.as_ref(),
        state.retry,
        |done| match done.events.first() {
            Some(LaunchEvent::BookingCancelled(cancelled)) => Reply::json(
                200,
                &CancellationReply {
                    booking_id,
                    launch_id,
                    seats_released: cancelled.seats_released,
                    refund_percent: cancelled.refund_percent,
                    refund_cents: cancelled.refund_cents,
                    version: done.version,
                },
            ),
            _ => Reply::problem(&Problem::internal()),
        },
    )
    .await?;
    Ok(respond(reply))
}

#[cfg(test)]
mod tests {
    use super::{passengers, plausible_email, BookSeats, PassengerRequest};

    #[test]
    fn emails_are_checked_for_shape() {
        assert!(plausible_email("ada@example.org"));
        assert!(!plausible_email("ada@example"));
        assert!(!plausible_email("@example.org"));
        assert!(!plausible_email("ada example@org.com"));
        assert!(!plausible_email("ada@.org"));
    }

    #[test]
    fn an_email_that_lower_cases_past_the_limit_is_refused() {
        // U+0130 lower-cases to two characters: 252 characters as sent,
        // 492 as stored.
        let email = format!("{}@example.org", "\u{130}".repeat(240));
        let request = BookSeats {
            passengers: vec![PassengerRequest {
                name: "Ada Lovelace".into(),
                birth_date: chrono::NaiveDate::from_ymd_opt(1985, 12, 10).unwrap(),
                email: Some(email),
            }],
        };
        let problem = passengers(request).unwrap_err();
        assert_eq!(problem.errors[0].field, "passengers[0].email");
    }
}
