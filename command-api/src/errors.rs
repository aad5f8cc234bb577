//! Maps refusals and failures to problem responses, in one place.

use cqrs_es::AggregateError;
use domain::{ErrorKind, LaunchError, ProfileError, RocketError};
use platform::{FieldError, Problem};

/// A domain refusal, seen from the web layer.
pub trait Refusal: std::error::Error {
    /// Not found, forbidden, conflict or invalid.
    fn kind(&self) -> ErrorKind;
    /// The stable code.
    fn code(&self) -> &'static str;
    /// The request field it is about.
    fn field(&self) -> Option<String>;
}

impl Refusal for LaunchError {
    fn kind(&self) -> ErrorKind {
        LaunchError::kind(self)
    }
    fn code(&self) -> &'static str {
        LaunchError::code(self)
    }
    fn field(&self) -> Option<String> {
        LaunchError::field(self)
    }
}

impl Refusal for RocketError {
    fn kind(&self) -> ErrorKind {
        RocketError::kind(self)
    }
    fn code(&self) -> &'static str {
        RocketError::code(self)
    }
    fn field(&self) -> Option<String> {
        RocketError::field(self).map(str::to_owned)
    }
}

impl Refusal for ProfileError {
    fn kind(&self) -> ErrorKind {
        ProfileError::kind(self)
    }
    fn code(&self) -> &'static str {
        ProfileError::code(self)
    }
    fn field(&self) -> Option<String> {
        self.fields().into_iter().next().map(|(field, _)| field)
    }
}

/// The problem response of a domain refusal.
pub fn refusal_problem(refusal: &impl Refusal) -> Problem {
    let detail = refusal.to_string();
    match refusal.kind() {
        ErrorKind::NotFound => Problem::not_found(refusal.code(), detail),
        ErrorKind::Forbidden => Problem::forbidden(detail),
        ErrorKind::Conflict => Problem::conflict(refusal.code(), detail),
        ErrorKind::Invalid => Problem::invalid(vec![FieldError::new(
            refusal.field().unwrap_or_else(|| "body".into()),
            refusal.code(),
            detail,
        )]),
    }
}

/// The problem response of a store failure; the cause goes to the log only.
pub fn store_problem<E: std::error::Error>(error: &AggregateError<E>) -> Problem {
    match error {
        AggregateError::DatabaseConnectionError(cause) => {
            tracing::error!(error = %cause, "event store unavailable");
            Problem::unavailable("the event store is unavailable; retry shortly")
        }
        AggregateError::AggregateConflict => {
            Problem::unavailable("the resource is busy; retry shortly")
        }
        other => {
            tracing::error!(error = %other, "event store failure");
            Problem::internal()
        }
    }
}

/// The problem response of a failed query.
pub fn sql_problem(error: &sqlx::Error) -> Problem {
    match error {
        sqlx::Error::PoolTimedOut | sqlx::Error::Io(_) | sqlx::Error::PoolClosed => {
            tracing::error!(%error, "database unavailable");
            Problem::unavailable("the database is unavailable; retry shortly")
        }
        other => {
            tracing::error!(error = %other, "database failure");
            Problem::internal()
        }
    }
}
