//! What the integration tests of every crate share: the real servers'
//! addresses (from the same environment variables the services read, with
//! the same local defaults), a fresh PostgreSQL database per test, and
//! waiting for a condition with a timeout instead of sleeping.

use std::future::Future;
use std::time::Duration;

use sqlx::postgres::PgConnectOptions;
use sqlx::{Connection, PgConnection};
use uuid::Uuid;

/// The local development PostgreSQL.
pub const DEFAULT_DATABASE_URL: &str = "postgres://astro:astro@127.0.0.1:5432/astro";
/// The local NATS.
pub const DEFAULT_NATS_URL: &str = "nats://127.0.0.1:4222";
/// The local MongoDB-wire server.
pub const DEFAULT_MONGODB_URI: &str = "mongodb://127.0.0.1:27017/?replicaSet=secantus";

fn env_or(name: &str, default: &str) -> String {
    std::env::var(name)
        .ok()
        .filter(|value| !value.trim().is_empty())
        .unwrap_or_else(|| default.to_owned())
}

/// `DATABASE_URL`: the server tests create their databases on.
pub fn base_database_url() -> String {
    env_or("DATABASE_URL", DEFAULT_DATABASE_URL)
}

/// `NATS_URL`.
pub fn nats_url() -> String {
    env_or("NATS_URL", DEFAULT_NATS_URL)
}

/// `MONGODB_URI`.
pub fn mongodb_uri() -> String {
    env_or("MONGODB_URI", DEFAULT_MONGODB_URI)
}

/// `base` with its database name replaced by `database`.
pub fn url_of_database(base: &str, database: &str) -> String {
    let mut url = reqwest::Url::parse(base).expect("DATABASE_URL is a URL");
    url.set_path(&format!("/{database}"));
    url.to_string()
}

/// Creates an empty database `astro_test_<uuid>` and returns its URL.
/// `scripts/test.sh` drops leftovers of earlier runs.
pub async fn create_test_database() -> String {
    let base = base_database_url();
    let name = format!("astro_test_{}", Uuid::new_v4().simple());
    let options: PgConnectOptions = base.parse().expect("DATABASE_URL is a PostgreSQL URL");
    let mut admin = PgConnection::connect_with(&options)
        .await
        .expect("connecting to the test server (is PostgreSQL running?)");
    sqlx::raw_sql(&format!(r#"CREATE DATABASE "{name}""#))
        .execute(&mut admin)
        .await
        .expect("creating the test database");
    admin.close().await.ok();
    url_of_database(&base, &name)
}

/// Polls `condition` every 20 ms until it holds; panics after `timeout`
/// naming `what`.
pub async fn wait_for<F, Fut>(timeout: Duration, what: &str, mut condition: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        if condition().await {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out after {timeout:?} waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
