//! Integration tests of the query API over HTTP, against a real
//! MongoDB-wire server: one fresh database per test, filled with documents
//! folded from launch events exactly as the projector does (see `helpers`).

mod bookings;
mod health;
mod helpers;
mod launch;
mod listing;
