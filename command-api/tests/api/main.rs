//! Integration tests of the command API over HTTP, against a real
//! PostgreSQL: one fresh database per test (see `helpers`).

mod bookings;
mod cancellation;
mod concurrency;
mod control_characters;
mod health;
mod helpers;
mod idempotency;
mod launches;
mod profiles;
mod rockets;
mod store;
