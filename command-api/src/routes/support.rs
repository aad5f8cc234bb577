//! What the command handlers share: metadata of the events a request causes,
//! the `Idempotency-Key`, and turning a reply into a response.

use actix_web::http::header::{HeaderName, HeaderValue, CONTENT_TYPE};
use actix_web::{HttpRequest, HttpResponse};
use chrono::{DateTime, SubsecRound, Utc};
use events::{Actor, EventMetadata};
use platform::http::RequestContext;
use platform::problem::PROBLEM_JSON;
use platform::{FieldError, Principal, Problem};
use sha2::{Digest, Sha256};

use crate::bus::{Idempotency, Reply};

/// The header clients send to make a command safe to retry.
pub const IDEMPOTENCY_KEY: &str = "idempotency-key";
/// Set on a response that replays the stored answer to an earlier request.
pub const IDEMPOTENT_REPLAYED: &str = "idempotent-replayed";

/// The `Idempotency-Key` header, for the OpenAPI document of every
/// command that honours it.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Header)]
pub struct IdempotencyKey {
    /// Makes a retry safe: a retry with the same key and body answers the
    /// first answer (`Idempotent-Replayed: true`) and does nothing twice;
    /// the same key with another body is 422. 1 to 255 visible ASCII
    /// characters.
    #[param(
        rename = "Idempotency-Key",
        min_length = 1,
        max_length = 255,
        pattern = "^[!-~]+$"
    )]
    #[allow(dead_code)]
    idempotency_key: Option<String>,
}

/// A rocket's range or a launch's destination, for the OpenAPI document.
pub fn range_schema() -> utoipa::openapi::Object {
    platform::openapi::string_enum(
        &["suborbital", "low_earth_orbit", "moon", "mars"],
        "How far the rocket flies, or where the launch goes.",
    )
}

/// Now, at the store's precision (microseconds).
pub fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}

/// The metadata of the events a request causes.
pub fn metadata(
    context: &RequestContext,
    principal: &Principal,
    at: DateTime<Utc>,
) -> EventMetadata {
    EventMetadata::for_command(
        at,
        &context.correlation_id,
        &context.request_id,
        &Actor {
            id: principal.user_id.to_string(),
            role: principal.role.as_str().to_owned(),
        },
    )
}

/// The request's `Idempotency-Key`, if any: 1 to 255 visible ASCII
/// characters, else 422.
pub fn idempotency(
    req: &HttpRequest,
    principal: &Principal,
    body: &[u8],
) -> Result<Option<Idempotency>, Problem> {
    let Some(value) = req.headers().get(IDEMPOTENCY_KEY) else {
        return Ok(None);
    };
    let key = value
        .to_str()
        .ok()
        .filter(|k| (1..=255).contains(&k.len()) && k.bytes().all(|b| b.is_ascii_graphic()))
        .ok_or_else(|| {
            Problem::invalid(vec![FieldError::new(
                "Idempotency-Key",
                "invalid",
                "must be 1 to 255 visible ASCII characters",
            )])
        })?;
    let mut hash = Sha256::new();
    hash.update(req.method().as_str().as_bytes());
    hash.update(b" ");
    hash.update(req.path().as_bytes());
    hash.update(b"\n");
    hash.update(body);
    Ok(Some(Idempotency {
        user_id: principal.user_id,
        key: key.to_owned(),
        request_hash: hash.finalize().to_vec(),
    }))
}

/// Required text at `field` (see [`domain::text::required`]): not blank,
/// at most `max` characters, no control character; every problem is
/// recorded in `errors` with the rule's code.
pub fn required_text(errors: &mut Vec<FieldError>, field: &str, value: &str, max: usize) {
    if let Err(error) = domain::text::required(value, max) {
        errors.push(FieldError::new(field, error.code(), error.to_string()));
    }
}

/// The HTTP response of a reply.
pub fn respond(reply: Reply) -> HttpResponse {
    let status = actix_web::http::StatusCode::from_u16(reply.status)
        .unwrap_or(actix_web::http::StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = HttpResponse::build(status);
    let content_type = if reply.status >= 400 {
        PROBLEM_JSON
    } else {
        "application/json"
    };
    response.insert_header((CONTENT_TYPE, content_type));
    if reply.replayed {
        response.insert_header((
            HeaderName::from_static(IDEMPOTENT_REPLAYED),
            HeaderValue::from_static("true"),
        ));
    }
    response.body(reply.body)
}
