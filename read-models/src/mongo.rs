//! Connecting to MongoDB, the same way in every service.

use std::time::Duration;

use mongodb::options::ClientOptions;
use mongodb::Client;

/// The local development server (SecantusDB, a one-member replica set named
/// `secantus`; see `scripts/lib.sh`).
pub const DEFAULT_MONGODB_URI: &str = "mongodb://127.0.0.1:27017/?replicaSet=secantus";

/// Builds a client for `uri`, named `app_name` in the server's logs. It does
/// not connect yet: the first operation does (so a service starts while
/// MongoDB is still coming up, and `/ready` reports it).
pub async fn client(uri: &str, app_name: &str) -> Result<Client, mongodb::error::Error> {
    Client::with_options(options(uri, app_name).await?)
}

/// The options [`client`] builds its client with, for a caller that
/// adjusts some (a client of its own with a smaller pool, say).
pub async fn options(uri: &str, app_name: &str) -> Result<ClientOptions, mongodb::error::Error> {
    let mut options = ClientOptions::parse(uri).await?;
    options.app_name = Some(app_name.to_owned());
    // Fail an operation (and a readiness probe) within seconds when no
    // server answers, rather than after the driver's 30 s default.
    if options.server_selection_timeout.is_none() {
        options.server_selection_timeout = Some(Duration::from_secs(5));
    }
    if options.connect_timeout.is_none() {
        options.connect_timeout = Some(Duration::from_secs(5));
    }
    Ok(options)
}

/// Whether `error` is MongoDB's duplicate key error (code 11000), on a
/// single write or on any write of a bulk insert.
pub fn is_duplicate_key(error: &mongodb::error::Error) -> bool {
    use mongodb::error::{ErrorKind, WriteFailure};
    match error.kind.as_ref() {
        ErrorKind::Write(WriteFailure::WriteError(e)) => e.code == 11000,
        ErrorKind::InsertMany(e) => {
            e.write_concern_error.is_none()
                && e.write_errors
                    .as_ref()
                    .is_some_and(|errors| errors.iter().all(|e| e.code == 11000))
        }
        ErrorKind::Command(e) => e.code == 11000,
        _ => false,
    }
}

/// Server error codes that mean "not now" rather than "never": the server
/// is stepping down, shutting down, unreachable or out of time.
const TRANSIENT_CODES: [i32; 12] = [6, 7, 50, 89, 91, 189, 262, 9001, 10107, 11600, 11602, 13435];

/// Whether `error` means MongoDB could not be reached or answered with a
/// transient condition (worth retrying the same write later), as opposed to
/// refusing the write itself.
pub fn is_transient(error: &mongodb::error::Error) -> bool {
    use mongodb::error::{ErrorKind, WriteFailure};
    if error.contains_label(mongodb::error::RETRYABLE_WRITE_ERROR)
        || error.contains_label(mongodb::error::TRANSIENT_TRANSACTION_ERROR)
    {
        return true;
    }
    match error.kind.as_ref() {
        ErrorKind::Io(_)
        | ErrorKind::ServerSelection { .. }
        | ErrorKind::ConnectionPoolCleared { .. }
        | ErrorKind::DnsResolve { .. }
        | ErrorKind::Shutdown
        | ErrorKind::Write(WriteFailure::WriteConcernError(_)) => true,
        ErrorKind::Command(e) => TRANSIENT_CODES.contains(&e.code),
        ErrorKind::InsertMany(e) => e.write_concern_error.is_some(),
        _ => false,
    }
}
