//! Log shipping of the real binary (`platform::logship`): a command's logs
//! reach MongoDB `<core>.logs` with its correlation, request and user ids and
//! no secret; with MongoDB down the service keeps answering and `/metrics`
//! counts the logs it drops; a SIGTERM ships what is still buffered.
//!
//! Each test runs its own `command-api` process (killed when the test ends,
//! even on a panic) on a fresh PostgreSQL database and writes its logs to
//! its own `core_test_<uuid>` database, dropped at the end.

use std::process::Stdio;
use std::time::{Duration, Instant};

use bson::doc;
use futures::TryStreamExt;
use platform::auth::generate_key_pair;
use platform::{Department, Principal, Role, TokenIssuer};
use read_models::core_db::LogDoc;
use serde_json::json;
use testkit::{create_test_database, mongodb_uri, wait_for};
use tokio::process::{Child, Command};
use uuid::Uuid;

/// The binary, killed when dropped.
struct Service {
    child: Child,
    address: String,
}

impl Drop for Service {
    fn drop(&mut self) {
        let _ = self.child.start_kill();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free local port")
        .port()
}

struct Fixture {
    service: Service,
    issuer: TokenIssuer,
    client: reqwest::Client,
    database_url: String,
    core_db: String,
}

/// Starts the binary with `env` on top of a fresh database, a fresh key and
/// `MONGODB_CORE_DB=core_test_<uuid>`; waits until it is ready.
async fn start(env: &[(&str, String)]) -> Fixture {
    let database_url = create_test_database().await;
    let (private, public) = generate_key_pair();
    let issuer = TokenIssuer::from_private_key_hex(&private).unwrap();
    let core_db = format!("core_test_{}", Uuid::new_v4().simple());
    let port = free_port();
    let child = Command::new(env!("CARGO_BIN_EXE_command-api"))
        .env("DATABASE_URL", &database_url)
        .env("COMMAND_API_ADDR", format!("127.0.0.1:{port}"))
        .env("AUTH_PUBLIC_KEY", &public)
        .env("NATS_URL", testkit::nats_url())
        .env("RUST_LOG", "warn")
        .env("HTTP_WORKERS", "2")
        .env("SHUTDOWN_TIMEOUT_SECS", "2")
        .env("LOG_SHIPPING_MONGODB_URI", mongodb_uri())
        .env("MONGODB_CORE_DB", &core_db)
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("starting the command-api binary");
    let mut service = Service {
        child,
        address: format!("http://127.0.0.1:{port}"),
    };
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .build()
        .unwrap();
    let ready = format!("{}/ready", service.address);
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Some(status) = service.child.try_wait().unwrap() {
            panic!("command-api exited before it was ready: {status}");
        }
        if client
            .get(&ready)
            .send()
            .await
            .is_ok_and(|r| r.status() == 200)
        {
            break;
        }
        assert!(Instant::now() < deadline, "command-api not ready in 60 s");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Fixture {
        service,
        issuer,
        client,
        database_url,
        core_db,
    }
}

impl Fixture {
    fn ops_token(&self) -> (Uuid, String) {
        let user_id = Uuid::now_v7();
        let principal = Principal {
            user_id,
            role: Role::Employee(Department::Operations),
        };
        (
            user_id,
            self.issuer.issue(&principal, Duration::from_secs(3_600)),
        )
    }

    /// `POST /v1/rockets` with `X-Correlation-Id: correlation`: the status
    /// and the response's `x-request-id`.
    async fn register_rocket(&self, token: &str, correlation: &str) -> (u16, String) {
        let response = self
            .client
            .post(format!("{}/v1/rockets", self.service.address))
            .bearer_auth(token)
            .header("X-Correlation-Id", correlation)
            .json(&json!({ "name": "Selene IV", "capacity": 4, "range": "moon" }))
            .send()
            .await
            .expect("a request to the running service");
        let request_id = response
            .headers()
            .get("x-request-id")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        (response.status().as_u16(), request_id)
    }

    async fn logs(&self, mongo: &mongodb::Client, filter: bson::Document) -> Vec<LogDoc> {
        mongo
            .database(&self.core_db)
            .collection::<LogDoc>("logs")
            .find(filter)
            .await
            .unwrap()
            .try_collect()
            .await
            .unwrap()
    }
}

async fn mongo() -> mongodb::Client {
    read_models::mongo::client(&mongodb_uri(), "command-api-tests")
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_command_s_log_reaches_core_logs_with_its_correlation_request_and_user_ids() {
    let fixture = start(&[]).await;
    let mongo = mongo().await;
    let (user_id, token) = fixture.ops_token();
    let correlation = format!("logs-test-{}", Uuid::new_v4());
    let (status, request_id) = fixture.register_rocket(&token, &correlation).await;
    assert_eq!(status, 201);

    let filter = doc! { "correlation_id": &correlation, "message": "request served" };
    wait_for(
        Duration::from_secs(30),
        "the request's log in core.logs",
        || async { !fixture.logs(&mongo, filter.clone()).await.is_empty() },
    )
    .await;
    let logs = fixture.logs(&mongo, filter).await;
    assert_eq!(logs.len(), 1, "{logs:?}");
    let log = &logs[0];
    assert_eq!(log.service, "command-api");
    assert_eq!(log.level, "info");
    assert_eq!(log.target, "platform::http");
    assert_eq!(log.request_id.as_deref(), Some(request_id.as_str()));
    assert_eq!(log.user_id, Some(user_id.to_string()));
    let pid = fixture.service.child.id().unwrap();
    assert!(
        log.instance.ends_with(&format!(":{pid}")),
        "{}",
        log.instance
    );
    assert_eq!(log.fields.get_i64("status").unwrap(), 201);
    assert_eq!(log.fields.get_str("route").unwrap(), "/v1/rockets");
    assert_eq!(log.fields.get_str("method").unwrap(), "POST");

    // Nothing anywhere in the logs carries the token or the database password.
    let everything = fixture.logs(&mongo, doc! {}).await;
    assert!(everything.len() > 1, "start-up logs are shipped too");
    let text = serde_json::to_string(&everything).unwrap();
    let database_password = fixture.database_url.split('@').next().unwrap();
    for secret in [token.as_str(), database_password] {
        assert!(!text.contains(secret), "a secret reached core.logs: {text}");
    }
    mongo.database(&fixture.core_db).drop().await.unwrap();
}

/// The sum of `log_shipping_dropped_total` in a `/metrics` text.
fn dropped(metrics: &str) -> f64 {
    metrics
        .lines()
        .filter(|line| line.starts_with("log_shipping_dropped_total{"))
        .filter_map(|line| line.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_mongodb_down_the_service_keeps_answering_and_counts_the_logs_it_drops() {
    let closed_port = free_port();
    let fixture = start(&[
        (
            "LOG_SHIPPING_MONGODB_URI",
            format!("mongodb://127.0.0.1:{closed_port}/?directConnection=true"),
        ),
        ("LOG_SHIPPING_BUFFER", "8".into()),
        ("LOG_SHIPPING_BATCH", "4".into()),
        ("LOG_SHIPPING_FLUSH_MS", "20".into()),
    ])
    .await;
    let (_, token) = fixture.ops_token();
    let metrics_url = format!("{}/metrics", fixture.service.address);
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut requests = 0;
    loop {
        for n in 0..10 {
            let started = Instant::now();
            let status = if n % 2 == 0 {
                fixture
                    .client
                    .get(format!("{}/health", fixture.service.address))
                    .send()
                    .await
                    .unwrap()
                    .status()
                    .as_u16()
            } else {
                fixture.register_rocket(&token, "mongo-down").await.0
            };
            assert!((200..300).contains(&status), "answered {status}");
            assert!(
                started.elapsed() < Duration::from_secs(2),
                "answered only after {:?}",
                started.elapsed()
            );
            requests += 1;
        }
        let metrics = fixture
            .client
            .get(&metrics_url)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(metrics.contains("log_shipping_failed_inserts_total"));
        if dropped(&metrics) > 0.0 {
            assert!(metrics.contains("reason=\"buffer_full\""), "{metrics}");
            break;
        }
        assert!(
            Instant::now() < deadline,
            "no dropped log counted after {requests} requests:\n{metrics}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sigterm_ships_the_logs_still_buffered_before_the_process_exits() {
    // Nothing is shipped before the shutdown: a huge batch, a long interval.
    let mut fixture = start(&[
        ("LOG_SHIPPING_BATCH", "100000".into()),
        ("LOG_SHIPPING_FLUSH_MS", "600000".into()),
    ])
    .await;
    let mongo = mongo().await;
    let (_, token) = fixture.ops_token();
    let correlation = format!("sigterm-test-{}", Uuid::new_v4());
    let (status, _) = fixture.register_rocket(&token, &correlation).await;
    assert_eq!(status, 201);
    assert!(
        fixture.logs(&mongo, doc! {}).await.is_empty(),
        "nothing shipped before the shutdown"
    );

    let pid = fixture.service.child.id().unwrap();
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let exit = tokio::time::timeout(Duration::from_secs(30), fixture.service.child.wait())
        .await
        .expect("the service stops within 30 s of SIGTERM")
        .unwrap();
    assert!(exit.success(), "{exit}");

    let served = fixture
        .logs(
            &mongo,
            doc! { "correlation_id": &correlation, "message": "request served" },
        )
        .await;
    assert_eq!(served.len(), 1);
    let stopped = fixture
        .logs(&mongo, doc! { "message": "command-api stopped" })
        .await;
    assert_eq!(stopped.len(), 1, "the last log before exit is shipped too");
    mongo.database(&fixture.core_db).drop().await.unwrap();
}
