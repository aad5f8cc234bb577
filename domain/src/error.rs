//! How a refusal should be understood outside the domain.

/// The kind of a domain refusal; the web layer maps it to a status code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The thing the command is about does not exist.
    NotFound,
    /// The actor may not do this to this thing.
    Forbidden,
    /// The command conflicts with the current state (no seats, wrong status).
    Conflict,
    /// A value in the command is not acceptable.
    Invalid,
}
