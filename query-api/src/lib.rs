//! The query API: the read side of Astro Bookings. It serves the sales read
//! model (MongoDB `sales`, written by the sales projector) to the sales
//! site, bots and the holders of bookings: the launches on sale (cached in
//! process, with ETags), one launch, and a holder's own bookings. A client
//! that just wrote through the command API can ask to read its write: the
//! request waits, bounded, until the read model has the version it names.
//!
//! It also serves finance: the invoices and credit notes of the finance
//! projection (PostgreSQL schema `finance`, written by the finance
//! projector), as JSON and as PDF, to finance employees and to the holders
//! who pay them, as they stand now or as they stood at an instant
//! (`as_of`, cut in the event store's global order: a read of the event
//! store's positions and times).
//!
//! Operations read the fleet (`GET /v1/rockets`) straight from the event
//! store: no read model holds rockets (see [`rockets`]).
//!
//! And it serves IT (`/v1/ops/*`, see [`ops`]): the system logs (also
//! followed live) and the notifications from MongoDB `core`, the re-queue
//! of a dead notification, the event store page by page, and the state of
//! every service, JetStream consumer and projection.

pub mod cache;
pub mod errors;
pub mod finance;
pub mod finance_views;
pub mod freshness;
pub mod metrics;
pub mod openapi;
pub mod ops;
pub mod params;
pub mod pdf;
pub mod rockets;
pub mod routes;
pub mod settings;
pub mod startup;
pub mod store;
pub mod views;

pub use settings::Settings;
pub use startup::Application;
