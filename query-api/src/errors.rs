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

/// The problem response of a failed PostgreSQL query (the finance
/// projection, the profiles, the event store): 503 (with `Retry-After`)
/// when the server is unreachable, the pool is exhausted or the finance
/// schema is missing, else 500. The cause is logged, never sent (it may
/// name the server).
pub fn postgres_problem(error: &sqlx::Error) -> Problem {
    if crate::finance::is_unavailable(error) {
        tracing::error!(%error, "finance database unavailable");
        Problem::unavailable("the finance database is unavailable; retry shortly")
    } else {
        tracing::error!(%error, "finance database query failed");
        Problem::internal()
    }
}

/// The problem response of a failed operation on MongoDB `core` (the
/// system logs, the notifications): 503 (with `Retry-After`) when the
/// server is unreachable, else 500.
pub fn core_problem(error: &mongodb::error::Error) -> Problem {
    if is_transient(error) {
        tracing::error!(%error, "MongoDB core unavailable");
        Problem::unavailable("the operations database is unavailable; retry shortly")
    } else {
        tracing::error!(%error, "MongoDB core query failed");
        Problem::internal()
    }
}

/// The problem response of a failed read of the event store: 503 (with
/// `Retry-After`) when PostgreSQL is unreachable or the pool exhausted,
/// else 500.
pub fn event_store_problem(error: &sqlx::Error) -> Problem {
    if crate::finance::is_unavailable(error) {
        tracing::error!(%error, "event store unavailable");
        Problem::unavailable("the event store is unavailable; retry shortly")
    } else {
        tracing::error!(%error, "event store query failed");
        Problem::internal()
    }
}
