//! Maps read-model failures to problem responses, in one place: the cause
//! goes to the log, a plain message to the client.

use platform::Problem;
use read_models::mongo::is_transient;

/// The problem response of a failed MongoDB operation: 503 (with
/// `Retry-After`) when the server is unreachable or answers a transient
/// condition, else 500.
pub fn mongo_problem(error: &mongodb::error::Error) -> Problem {
    if is_transient(error) {
        tracing::error!(%error, "sales read model unavailable");
        Problem::unavailable("the sales read model is unavailable; retry shortly")
    } else {
        tracing::error!(%error, "sales read model query failed");
        Problem::internal()
    }
}
