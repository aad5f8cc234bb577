//! Integration tests of the query API over HTTP, against a real
//! MongoDB-wire server: one fresh database per test, filled with documents
//! folded from launch events exactly as the projector does (see `helpers`);
//! and, for finance, against a real PostgreSQL: one fresh database per
//! test with the migrations applied, seeded with the finance projection's
//! rows (see `finance`); and, for IT (`ops`), MongoDB `core` documents
//! written as the log shipper and the notifier would.

mod bookings;
mod finance;
mod health;
mod helpers;
mod invoices;
mod launch;
mod listing;
mod openapi;
mod ops;
mod profiles;
mod rockets;
