//! Maps failures to problem responses, in one place: the cause goes to the
//! log, a plain message to the client.

use platform::Problem;
use read_models::mongo::is_transient;

use crate::password::HashError;

/// The problem response of a failed MongoDB operation: 503 (with
/// `Retry-After`) when the server is unreachable or answers a transient
/// condition, else 500.
pub fn mongo_problem(error: &mongodb::error::Error) -> Problem {
    if is_transient(error) {
        tracing::error!(%error, "the credentials database is unavailable");
        Problem::unavailable("the credentials database is unavailable; retry shortly")
    } else {
        tracing::error!(%error, "a credentials database operation failed");
        Problem::internal()
    }
}

/// The problem response of a failed hash: always our fault.
pub fn hash_problem(error: &HashError) -> Problem {
    tracing::error!(%error, "password hashing failed");
    Problem::internal()
}

/// The one answer to a failed login, whatever failed (no enumeration).
pub fn bad_credentials() -> Problem {
    Problem::unauthorized("the email or the password is wrong")
}

/// 429 with `Retry-After`.
pub fn too_many_attempts(retry_after: u64) -> Problem {
    let mut problem = Problem::new(429, "too-many-attempts", "Too many attempts").with_detail(
        format!("too many login attempts; try again in {retry_after} seconds"),
    );
    problem.retry_after = Some(retry_after);
    problem
}
