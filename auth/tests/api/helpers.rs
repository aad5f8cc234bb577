//! The test harness: a real auth service on a fresh MongoDB database per
//! test (`core_test_<uuid>`, dropped when the test ends) and the real NATS,
//! with cheap argon2 parameters, a trusted `X-Forwarded-For` (to simulate
//! client addresses) and a bootstrap IT account; typed helpers for requests.

use std::time::Duration;

use auth::password::HashParams;
use auth::settings::Bootstrap;
use auth::throttle::Limits;
use auth::{Application, Settings};
use mongodb::Database;
use platform::auth::generate_key_pair;
use platform::TokenIssuer;
use serde_json::{json, Value};
use uuid::Uuid;

pub use testkit::{wait_for, ApiResponse};

/// The bootstrap IT account of every test app.
pub const IT_EMAIL: &str = "it.admin@astro.example";
/// Its password.
pub const IT_PASSWORD: &str = "bootstrap-it-secret-42";
/// A password that meets the policy.
pub const PASSWORD: &str = "orbital-tangerine-42";

/// Cheap argon2 parameters: debug builds and many logins per test.
pub const CHEAP: HashParams = HashParams {
    memory_kib: 1_024,
    iterations: 1,
    parallelism: 1,
};

/// The one origin the test services allow cross-origin calls from.
pub const WEB_APP_ORIGIN: &str = "http://127.0.0.1:4200";

/// Settings of a test instance.
pub fn test_settings(database: &str, private_key: &str) -> Settings {
    Settings {
        addr: "127.0.0.1:0".into(),
        mongodb_uri: testkit::mongodb_uri().into(),
        core_database: database.to_owned(),
        nats_url: testkit::nats_url(),
        private_key: private_key.to_owned().into(),
        access_token_ttl: Duration::from_secs(900),
        refresh_token_ttl: Duration::from_secs(3_600),
        argon2: CHEAP,
        argon2_max_concurrent: 2,
        login_limits: Limits::default(),
        trust_forwarded_for: true,
        bootstrap: Some(Bootstrap {
            email: IT_EMAIL.into(),
            password: IT_PASSWORD.to_owned().into(),
        }),
        outbox_poll_interval: Duration::from_millis(200),
        outbox_lease: Duration::from_secs(5),
        // A stream and subjects of the test's own: tests never publish into
        // the ASTRO_USERS a local stack's profiles projector reads.
        users_stream: format!("TEST_USERS_{}", database.trim_start_matches("core_test_")),
        users_subject_prefix: format!("test.{}.users", database.trim_start_matches("core_test_")),
        http_workers: 2,
        cors_allowed_origins: platform::cors::AllowedOrigins::parse(WEB_APP_ORIGIN)
            .expect("an origin"),
        max_body_bytes: 16_384,
        shutdown_timeout_secs: 1,
        clients: auth::sso::Clients::parse(auth::sso::LOCAL_CLIENTS).expect("the local clients"),
        code_ttl: Duration::from_secs(60),
    }
}

/// A running auth service and what a test needs to talk to it.
pub struct TestApp {
    /// `http://127.0.0.1:<port>`.
    pub address: String,
    /// The settings it runs with (to start a replica).
    pub settings: Settings,
    /// The test's database.
    pub database: Database,
    /// Mints tokens with the service's own key.
    pub issuer: TokenIssuer,
    /// HTTP client.
    pub client: reqwest::Client,
}

/// An auth service on a fresh database with the default test settings.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// An auth service on a fresh database, with settings adjusted by
/// `configure`; returns once it is ready.
pub async fn spawn_app_with(configure: impl FnOnce(&mut Settings)) -> TestApp {
    let name = format!("core_test_{}", Uuid::new_v4().simple());
    let (private, _) = generate_key_pair();
    let issuer = TokenIssuer::from_private_key_hex(&private).expect("a fresh private key");
    let mut settings = test_settings(&name, &private);
    configure(&mut settings);
    let database = read_models::mongo::client(&testkit::mongodb_uri(), "auth-tests")
        .await
        .expect("a MongoDB client")
        .database(&settings.core_database);
    let address = start(settings.clone()).await;
    TestApp {
        address,
        settings,
        database,
        issuer,
        client: reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .expect("an HTTP client"),
    }
}

/// Starts an instance with `settings` and waits for its `/ready`.
async fn start(settings: Settings) -> String {
    let application = Application::build(settings)
        .await
        .expect("building the application");
    let address = format!("http://127.0.0.1:{}", application.port());
    tokio::spawn(application.run_until_stopped());
    let client = reqwest::Client::new();
    wait_for(
        Duration::from_secs(30),
        "the auth service to be ready",
        || {
            let (client, url) = (client.clone(), format!("{address}/ready"));
            async move {
                client
                    .get(url)
                    .send()
                    .await
                    .is_ok_and(|r| r.status().is_success())
            }
        },
    )
    .await;
    address
}

impl Drop for TestApp {
    /// Drops the test's database and users stream, best-effort, also when
    /// the test failed.
    fn drop(&mut self) {
        let name = self.database.name().to_owned();
        let stream = self.settings.users_stream.clone();
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .ok()?;
            runtime.block_on(async {
                let client = read_models::mongo::client(&testkit::mongodb_uri(), "auth-tests")
                    .await
                    .ok()?;
                if let Ok(nats) = async_nats::connect(testkit::nats_url()).await {
                    let _ = async_nats::jetstream::new(nats)
                        .delete_stream(&stream)
                        .await;
                }
                client.database(&name).drop().await.ok()
            })
        });
        let _ = dropped.join();
    }
}

/// A traveler registration body.
pub fn traveler(email: &str) -> Value {
    json!({
        "email": email,
        "password": PASSWORD,
        "profile": { "kind": "traveler", "full_name": "Ada Lovelace", "birth_date": "1985-12-10" }
    })
}

/// An agency registration body.
pub fn agency(email: &str) -> Value {
    json!({
        "email": email,
        "password": PASSWORD,
        "profile": {
            "kind": "agency",
            "legal_name": "Orbit Travel S.L.",
            "tax_id": "B12345678",
            "address": { "line1": "Calle Mayor 1", "city": "Madrid", "postal_code": "28013", "country": "ES" },
            "contact": { "name": "Grace Hopper", "email": "grace@orbit.example", "phone": "+34600000000" }
        }
    })
}

/// A unique email for a test.
pub fn email(name: &str) -> String {
    format!("{name}.{}@example.com", Uuid::new_v4().simple())
}

impl TestApp {
    /// Another instance of the same service (same database, same key).
    pub async fn spawn_replica(&self) -> String {
        start(self.settings.clone()).await
    }

    /// Another instance on the same database with other `settings`.
    pub async fn spawn_replica_with(&self, settings: Settings) -> String {
        start(settings).await
    }

    /// `POST path` with a JSON body, an optional token and extra headers.
    pub async fn post(
        &self,
        path: &str,
        body: &Value,
        token: Option<&str>,
        headers: &[(&str, &str)],
    ) -> ApiResponse {
        self.post_at(&self.address, path, body, token, headers)
            .await
    }

    /// [`TestApp::post`] to the instance at `address`.
    pub async fn post_at(
        &self,
        address: &str,
        path: &str,
        body: &Value,
        token: Option<&str>,
        headers: &[(&str, &str)],
    ) -> ApiResponse {
        let mut request = self.client.post(format!("{address}{path}")).json(body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        ApiResponse::read(request.send().await.expect("sending a request")).await
    }

    /// `GET path` with an optional token.
    pub async fn get(&self, path: &str, token: Option<&str>) -> ApiResponse {
        self.get_at(&self.address, path, token).await
    }

    /// [`TestApp::get`] from the instance at `address`.
    pub async fn get_at(&self, address: &str, path: &str, token: Option<&str>) -> ApiResponse {
        let mut request = self.client.get(format!("{address}{path}"));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        ApiResponse::read(request.send().await.expect("sending a request")).await
    }

    /// Registers `body`; asserts 201.
    pub async fn register(&self, body: &Value) -> ApiResponse {
        let response = self.post("/v1/auth/register", body, None, &[]).await;
        response.assert_status(201);
        response
    }

    /// Logs in from client address `from` (`X-Forwarded-For`).
    pub async fn login_from(&self, email: &str, password: &str, from: &str) -> ApiResponse {
        self.post(
            "/v1/auth/login",
            &json!({ "email": email, "password": password }),
            None,
            &[("X-Forwarded-For", from)],
        )
        .await
    }

    /// Logs in (from 192.0.2.1).
    pub async fn login(&self, email: &str, password: &str) -> ApiResponse {
        self.login_from(email, password, "192.0.2.1").await
    }

    /// Logs in; asserts 200 and returns the access token.
    pub async fn token(&self, email: &str, password: &str) -> String {
        let response = self.login(email, password).await;
        response.assert_status(200);
        response.json["token"].as_str().expect("a token").to_owned()
    }

    /// The bootstrap IT employee's token.
    pub async fn it_token(&self) -> String {
        self.token(IT_EMAIL, IT_PASSWORD).await
    }

    /// Creates an employee of `department` (as the bootstrap IT employee)
    /// and returns their email.
    pub async fn employee(&self, department: &str) -> String {
        let email = email(department);
        let it = self.it_token().await;
        self.post(
            "/v1/auth/employees",
            &json!({ "email": email, "password": PASSWORD, "department": department, "full_name": "Katherine Johnson" }),
            Some(&it),
            &[],
        )
        .await
        .assert_status(201);
        email
    }

    /// The value of the sample of `/metrics` that starts with `series`.
    pub async fn metric(&self, series: &str) -> Option<f64> {
        let text = self.get("/metrics", None).await.text;
        let (name, labels) = series.split_once('{').unwrap_or((series, ""));
        let labels = labels.trim_end_matches('}');
        text.lines()
            .filter(|line| line.starts_with(name) && line[name.len()..].starts_with(['{', ' ']))
            .find(|line| labels.split(',').all(|label| line.contains(label)))
            .and_then(|line| line.rsplit(' ').next())
            .and_then(|value| value.parse().ok())
    }
}
