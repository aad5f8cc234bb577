//! The read side's feeders. For now the relay: it drains the transactional
//! outbox of the event store into NATS JetStream (see [`relay`]).

pub mod metrics;
pub mod relay;
pub mod sales;
pub mod settings;
pub mod source;
pub mod startup;

pub use settings::Settings;
pub use startup::Application;
