//! The IT console's endpoints (`/v1/ops/*`), open to IT employees only: a
//! missing or bad token is 401, any other role 403. Every answer is
//! `Cache-Control: no-store` (it is a live view of the system).

use platform::auth::Principal;
use platform::{Department, Problem, Role};

use crate::params::Errors;

pub mod events;
pub mod logs;
pub mod notifications;
pub mod parked;
pub mod status;

/// `Cache-Control` of every answer.
pub const NO_STORE: &str = "no-store";

/// `Ok` for an IT employee, else 403.
pub fn require_it(principal: &Principal) -> Result<(), Problem> {
    principal.require(&[Role::Employee(Department::It)])
}

/// A free-text parameter: trimmed, `None` when absent or blank, an error
/// when longer than `max` characters or holding a control character (the
/// rule of every edge, `domain::text`).
pub(crate) fn text(
    errors: &mut Errors,
    field: &str,
    raw: Option<&str>,
    max: usize,
) -> Option<String> {
    match domain::text::optional(raw?, max) {
        Ok(value) => value.map(str::to_owned),
        Err(error) => {
            errors.add(field, error.code(), error.to_string());
            None
        }
    }
}

/// A name parameter (a service, an aggregate or event type): 1 to 100 of
/// `A-Z a-z 0-9 - _ .`.
pub(crate) fn name(errors: &mut Errors, field: &str, raw: &str) -> Option<String> {
    let value = raw.trim();
    let valid = (1..=100).contains(&value.len())
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    if valid {
        Some(value.to_owned())
    } else {
        errors.add(
            field,
            "invalid",
            "must be 1 to 100 letters, digits, '-', '_' or '.'",
        );
        None
    }
}

/// A time range `from` (inclusive) and `to` (exclusive): RFC 3339 instants
/// or dates (UTC days, whole); `to` must be after `from`.
pub(crate) fn time_range(
    errors: &mut Errors,
    from: Option<&str>,
    to: Option<&str>,
) -> (
    Option<chrono::DateTime<chrono::Utc>>,
    Option<chrono::DateTime<chrono::Utc>>,
) {
    let from = errors.instant("from", from, false);
    let to = errors.instant("to", to, true);
    if let (Some(from), Some(to)) = (from, to) {
        if to <= from {
            errors.add("to", "out-of-range", "must be after from");
        }
    }
    (from, to)
}
