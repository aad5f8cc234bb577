//! The notifier against the real servers: command API → event store →
//! relay → JetStream → notifier → MongoDB `core.notifications` → SMTP
//! (maildev), and back through maildev's HTTP API.

mod emails;
mod failures;
mod helpers;
mod store;
