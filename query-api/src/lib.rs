//! The query API: the read side of Astro Bookings. It serves the sales read
//! model (MongoDB `sales`, written by the sales projector) to the sales
//! site, bots and the holders of bookings: the launches on sale (cached in
//! process, with ETags), one launch, and a holder's own bookings. A client
//! that just wrote through the command API can ask to read its write: the
//! request waits, bounded, until the read model has the version it names.
//! It never touches the event store.

pub mod cache;
pub mod errors;
pub mod freshness;
pub mod metrics;
pub mod openapi;
pub mod params;
pub mod routes;
pub mod settings;
pub mod startup;
pub mod store;
pub mod views;

pub use settings::Settings;
pub use startup::Application;
