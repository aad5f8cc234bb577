//! The notification service: emails travelers, passengers and agencies
//! about their bookings.
//!
//! A JetStream durable consumer of the launches' events ([`consumer`])
//! plans, for each booking, cancellation, abort refund and delay, one email
//! per recipient ([`plan`], pure rules; [`templates`], text and HTML) and
//! stores each as a document of MongoDB `core.notifications`, idempotently
//! per (event, recipient). A sender ([`sender`]) sends the due ones over
//! SMTP ([`mail`]) and records `sent`, `failed` (retried with exponential
//! backoff) or `dead` (dead-letter subject; IT can re-queue it). The
//! launch's history comes from the event store and the holders' addresses
//! from the profiles ([`context`]).

pub mod consumer;
pub mod context;
pub mod mail;
pub mod metrics;
pub mod plan;
pub mod sender;
pub mod settings;
pub mod startup;
pub mod store;
pub mod templates;

pub use settings::Settings;
pub use startup::Application;
