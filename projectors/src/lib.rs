//! The read side's feeders: the relay drains the transactional outbox of the
//! event store into NATS JetStream ([`relay`]); the sales projector builds
//! the MongoDB `sales` read model ([`sales`]); the profiles projector keeps
//! users' profiles in Postgres ([`profiles`]); the finance projector
//! issues invoices and credit notes in Postgres ([`finance`]). Text from
//! events goes into Postgres through [`pg_text`], which cannot fail on an
//! old event carrying a NUL.

pub mod consume;
pub mod finance;
pub mod metrics;
pub mod parking;
pub mod pg_text;
pub mod profiles;
pub mod relay;
pub mod sales;
pub mod settings;
pub mod source;
pub mod startup;

pub use settings::Settings;
pub use startup::Application;
