//! The command API: the write side of Astro Bookings. It validates requests
//! at the edge, checks the caller's role, and executes commands on the
//! `Rocket` and `Launch` aggregates into the PostgreSQL event store (with its
//! transactional outbox). Reads are the query API's job.

pub mod bus;
pub mod errors;
pub mod openapi;
pub mod routes;
pub mod settings;
pub mod startup;
pub mod store;

pub use settings::Settings;
pub use startup::Application;
