//! The auth service: accounts and sessions for every Astro Bookings user.
//!
//! Travelers and agencies register themselves; IT employees create
//! employees. Credentials live in MongoDB `core.users` (argon2id hashes,
//! unique normalized emails); each new account is published to NATS
//! (`ASTRO_USERS`) from a transactional outbox. A login answers a
//! short-lived biscuit access token, which every service verifies offline
//! with the public key, and a rotating refresh token. A logout revokes the
//! access token everywhere by publishing its revocation id to NATS
//! (`ASTRO_REVOCATIONS`), which every verifier follows. Logins are throttled
//! per (account, address) pair, per address and per account, with growing
//! delays rather than lockouts. The web apps sign users in through the
//! authorization code flow with PKCE ([`sso`]). See `docs/auth.md`.

pub mod accounts;
pub mod client;
pub mod errors;
pub mod metrics;
pub mod openapi;
pub mod outbox;
pub mod password;
pub mod refresh;
pub mod routes;
pub mod settings;
pub mod sso;
pub mod startup;
pub mod throttle;
pub mod users;

pub use settings::Settings;
pub use startup::Application;
