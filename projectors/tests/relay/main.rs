//! The relay against a real PostgreSQL and a real NATS JetStream.

mod helpers;
mod relay;
