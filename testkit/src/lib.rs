//! What the integration tests of every crate share: the real servers'
//! addresses (from the same environment variables the services read, with
//! the same local defaults), a fresh PostgreSQL database per test, and
//! waiting for a condition with a timeout instead of sleeping; and a
//! synthetic event store of any size ([`synthetic`]); and the SMTP capture
//! server's mail ([`mail`]); starting the system's processes beside them
//! ([`process`]); what a browser sees of an API's CORS answers ([`cors`]).

pub mod cors;
pub mod mail;
pub mod process;
pub mod synthetic;

use std::future::Future;
use std::time::Duration;

use reqwest::header::HeaderMap;
use serde_json::Value;
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

/// Revokes `token` (signed by the key whose public half is
/// `public_key_hex`) the way the auth service does on logout: publishes its
/// revocation to the real NATS JetStream stream every service follows.
pub async fn revoke_token(token: &str, public_key_hex: &str, user_id: Uuid) {
    let verifier =
        platform::TokenVerifier::from_public_key_hex(public_key_hex).expect("a valid public key");
    let ids = verifier.revocation_ids(token).expect("a token of that key");
    let client = async_nats::connect(nats_url())
        .await
        .expect("connecting to NATS");
    let jetstream = async_nats::jetstream::new(client);
    platform::revocation::ensure_stream(&jetstream)
        .await
        .expect("the revocations stream");
    let revocation = platform::revocation::Revocation {
        revocation_id: ids[0].clone(),
        user_id,
        expires_at: chrono::Utc::now() + chrono::Duration::hours(1),
    };
    platform::revocation::publish(&jetstream, &revocation)
        .await
        .expect("publishing a revocation");
}

/// Publishes `original` (a message read back from a stream) again under
/// the message id `message_id`, as a relay that crashed after publishing
/// and before committing would, beyond JetStream's duplicate window: the
/// same event, a new message. Returns the stream's acknowledgement.
pub async fn republish(
    jetstream: &async_nats::jetstream::Context,
    original: &async_nats::jetstream::message::StreamMessage,
    message_id: &str,
) -> async_nats::jetstream::publish::PublishAck {
    let mut headers = async_nats::HeaderMap::new();
    headers.insert("Nats-Msg-Id", message_id);
    jetstream
        .publish_with_headers(
            original.subject.to_string(),
            headers,
            original.payload.clone(),
        )
        .await
        .expect("publishing the copy")
        .await
        .expect("the copy is stored")
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

/// The value of the sample of metric `name` whose labels include every
/// `key="value"` of `labels` (comma-separated, e.g. `outcome="applied"`) in
/// a Prometheus text exposition; 0 if absent.
pub fn metric(text: &str, name: &str, labels: &str) -> f64 {
    text.lines()
        .filter(|line| !line.starts_with('#'))
        .filter_map(|line| {
            let rest = line.strip_prefix(name)?;
            let (set, value) = match rest.strip_prefix('{') {
                Some(rest) => rest.split_once('}')?,
                None => ("", rest),
            };
            let all = labels
                .split(',')
                .filter(|l| !l.is_empty())
                .all(|l| set.split(',').any(|s| s == l));
            all.then(|| value.trim().parse().ok()).flatten()
        })
        .next()
        .unwrap_or(0.0)
}

/// One HTTP answer, read completely.
#[derive(Debug, Clone)]
pub struct ApiResponse {
    /// Status code.
    pub status: u16,
    /// Response headers.
    pub headers: HeaderMap,
    /// The body as text.
    pub text: String,
    /// The body as JSON (`Null` when it is not JSON).
    pub json: Value,
}

impl ApiResponse {
    /// Reads a whole response.
    pub async fn read(response: reqwest::Response) -> Self {
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let text = response.text().await.expect("reading a response body");
        let json = serde_json::from_str(&text).unwrap_or(Value::Null);
        Self {
            status,
            headers,
            text,
            json,
        }
    }

    /// A header's value.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The `Content-Type`, or "".
    pub fn content_type(&self) -> &str {
        self.header("content-type").unwrap_or("")
    }

    /// The `x-request-id` every response carries.
    #[track_caller]
    pub fn request_id(&self) -> String {
        self.header("x-request-id")
            .expect("every response carries x-request-id")
            .to_owned()
    }

    /// Asserts the status, showing the body when it differs.
    #[track_caller]
    pub fn assert_status(&self, status: u16) -> &Self {
        assert_eq!(
            self.status, status,
            "unexpected status; body: {}",
            self.text
        );
        self
    }

    /// Asserts an RFC 9457 problem of `status` and `/problems/<code>`.
    #[track_caller]
    pub fn assert_problem(&self, status: u16, code: &str) -> &Self {
        self.assert_status(status);
        assert_eq!(
            self.content_type(),
            "application/problem+json",
            "body: {}",
            self.text
        );
        assert_eq!(
            self.json["type"],
            format!("/problems/{code}"),
            "body: {}",
            self.text
        );
        assert_eq!(self.json["status"], status, "body: {}", self.text);
        assert!(self.json["title"].is_string(), "body: {}", self.text);
        self
    }

    /// Asserts a 422 problem naming `field` among its field errors.
    #[track_caller]
    pub fn assert_invalid_field(&self, field: &str) -> &Self {
        self.assert_problem(422, "validation-failed");
        let fields = self.error_fields();
        assert!(
            fields.iter().any(|f| f == field),
            "expected an error on {field}, got {fields:?}"
        );
        self
    }

    /// The `errors[].field` of a validation problem.
    pub fn error_fields(&self) -> Vec<String> {
        self.json["errors"]
            .as_array()
            .map(|errors| {
                errors
                    .iter()
                    .filter_map(|e| e["field"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The `errors[].code` of the error on `field`.
    pub fn error_code(&self, field: &str) -> Option<String> {
        self.json["errors"].as_array()?.iter().find_map(|e| {
            (e["field"] == field)
                .then(|| e["code"].as_str().map(str::to_owned))
                .flatten()
        })
    }

    /// A UUID field of the JSON body.
    #[track_caller]
    pub fn uuid(&self, field: &str) -> Uuid {
        self.json[field]
            .as_str()
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("no UUID `{field}` in {}", self.text))
    }

    /// The `field` of every item of a page (`{"items": [...]}`).
    #[track_caller]
    pub fn ids(&self, field: &str) -> Vec<String> {
        self.json["items"]
            .as_array()
            .unwrap_or_else(|| panic!("no items in {}", self.text))
            .iter()
            .map(|item| item[field].as_str().expect("an id").to_owned())
            .collect()
    }
}
