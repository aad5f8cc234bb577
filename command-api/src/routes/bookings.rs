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

use super::support::{idempotency, metadata, now, required_text, respond};
use crate::bus::{self, Reply};
use crate::startup::AppState;

/// Longest passenger name accepted.
pub const MAX_PASSENGER_NAME_CHARS: usize = 200;
/// Longest email accepted (RFC 5321 path limit).
pub const MAX_EMAIL_CHARS: usize = 254;

/// One passenger of a booking.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PassengerRequest {
    /// Full name, 1 to 200 characters, no control characters.
    #[schema(
        example = "Ada Lovelace",
        pattern = r"^[^\u0000-\u001F\u007F-\u009F]*$"
    )]
    pub name: String,
    /// `YYYY-MM-DD`; 18 to 70 years old at departure.
    #[schema(value_type = String, format = Date, example = "1990-12-10")]
    pub birth_date: NaiveDate,
    /// Optional, for notifications; no control characters.
    #[serde(default)]
    #[schema(pattern = r"^[^\u0000-\u001F\u007F-\u009F]*$")]
    pub email: Option<String>,
}

/// Seats to book: one per passenger, 1 to 6.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BookSeats {
    /// The passengers.
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
    pub refund_percent: u8,
    /// The refund in cents.
    pub refund_cents: i64,
    /// The launch's stream version after the cancellation.
    pub version: u64,
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
#[utoipa::path(post, path = "/v1/launches/{launch_id}/bookings", tag = "bookings", request_body = BookSeats,
    params(("launch_id" = Uuid, Path), ("Idempotency-Key" = Option<String>, Header, description = "Makes a retry safe")),
    security(("bearer" = [])),
    responses((status = 201, body = BookingReply), (status = 400, description = "Malformed JSON"),
        (status = 401, description = "No or bad token"), (status = 403, description = "Not a traveler or agency"),
        (status = 404, description = "No such launch"),
        (status = 409, description = "Not enough seats, launch not on sale or departed"),
        (status = 422, description = "Invalid passengers (count, ages, names)")))]
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
/// departure, 70% at least 90 days before, else nothing.
#[utoipa::path(post, path = "/v1/launches/{launch_id}/bookings/{booking_id}/cancel", tag = "bookings",
    params(("launch_id" = Uuid, Path), ("booking_id" = Uuid, Path),
        ("Idempotency-Key" = Option<String>, Header, description = "Makes a retry safe")),
    security(("bearer" = [])),
    responses((status = 200, body = CancellationReply), (status = 401), (status = 403, description = "Not a traveler or an agency"),
        (status = 404, description = "No such launch, or no such booking held by the caller (another holder's booking is answered the same, so its existence is not told)"), (status = 409, description = "Already cancelled, or the launch has flown")))]
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
