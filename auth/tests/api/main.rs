//! Integration tests of the auth service over HTTP, against the real
//! MongoDB-wire server (one fresh database per test) and the real NATS.

mod accounts;
mod control_characters;
mod events;
mod health;
mod helpers;
mod login;
mod sso;
mod tokens;
