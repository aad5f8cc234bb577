//! What every Astro Bookings service shares: configuration from the
//! environment, telemetry (JSON logs with request and correlation ids on
//! stdout, shipped to MongoDB `core.logs`),
//! biscuit token issuing and verification, RFC 9457 problem responses,
//! health, readiness and Prometheus metrics, CORS for the web apps.

pub mod auth;
pub mod config;
pub mod cors;
pub mod http;
pub mod logship;
pub mod metrics;
pub mod openapi;
pub mod problem;
pub mod revocation;
pub mod shutdown;
pub mod telemetry;

pub use auth::{Department, Principal, Role, TokenIssuer, TokenVerifier};
pub use problem::{FieldError, Problem};
pub use revocation::RevocationList;
