//! The real `auth` binary never writes an authorization code or a PKCE
//! verifier to its logs, even at `debug` (what is shipped to `core.logs`
//! is a subset of stdout): a code in a log is a session for whoever reads
//! the log within its minute.

use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use auth::sso::challenge_of;
use platform::auth::generate_key_pair;
use serde_json::{json, Value};
use tokio::io::AsyncBufReadExt;
use tokio::process::Command;
use uuid::Uuid;

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free local port")
        .port()
}

async fn post(client: &reqwest::Client, url: String, body: Value, token: Option<&str>) -> Value {
    let mut request = client.post(url).json(&body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.expect("an answer");
    response.json().await.expect("a JSON body")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_authorization_code_or_verifier_reaches_the_logs() {
    let (private, _) = generate_key_pair();
    let suffix = Uuid::new_v4().simple().to_string();
    let core_db = format!("core_test_{suffix}");
    let port = free_port();
    let address = format!("http://127.0.0.1:{port}");
    let mut child = Command::new(env!("CARGO_BIN_EXE_auth"))
        .env("AUTH_API_ADDR", format!("127.0.0.1:{port}"))
        .env("AUTH_PRIVATE_KEY", &private)
        .env("MONGODB_URI", testkit::mongodb_uri())
        .env("MONGODB_CORE_DB", &core_db)
        .env("NATS_URL", testkit::nats_url())
        .env("USERS_STREAM", format!("TEST_USERS_{suffix}"))
        .env("USERS_SUBJECT_PREFIX", format!("test.{suffix}.users"))
        .env("ARGON2_MEMORY_KIB", "1024")
        .env("ARGON2_ITERATIONS", "1")
        .env("HTTP_WORKERS", "1")
        .env("LOG_SHIPPING", "off")
        .env("RUST_LOG", "debug")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("starting the auth binary");
    let output = Arc::new(Mutex::new(String::new()));
    for stream in [
        Box::new(child.stdout.take().unwrap()) as Box<dyn tokio::io::AsyncRead + Unpin + Send>,
        Box::new(child.stderr.take().unwrap()),
    ] {
        let output = output.clone();
        tokio::spawn(async move {
            let mut lines = tokio::io::BufReader::new(stream).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                let mut output = output.lock().unwrap();
                output.push_str(&line);
                output.push('\n');
            }
        });
    }
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .build()
        .unwrap();
    testkit::wait_for(Duration::from_secs(60), "auth to be ready", || {
        let (client, url) = (client.clone(), format!("{address}/ready"));
        async move {
            client
                .get(url)
                .send()
                .await
                .is_ok_and(|r| r.status() == 200)
        }
    })
    .await;

    let email = format!("log-{suffix}@example.com");
    post(
        &client,
        format!("{address}/v1/auth/register"),
        json!({ "email": email, "password": "orbital-tangerine-42",
                "profile": { "kind": "traveler", "full_name": "Ada Lovelace", "birth_date": "1990-01-01" } }),
        None,
    )
    .await;
    let login = post(
        &client,
        format!("{address}/v1/auth/login"),
        json!({ "email": email, "password": "orbital-tangerine-42" }),
        None,
    )
    .await;
    let token = login["token"].as_str().expect("a token");
    let verifier = format!("{}-verifier", "v".repeat(40));
    let authorize = json!({
        "client_id": "sales",
        "redirect_uri": "http://127.0.0.1:4200/auth/callback",
        "code_challenge": challenge_of(&verifier),
        "code_challenge_method": "S256",
    });
    let mut codes = Vec::new();
    for exchange_verifier in [verifier.clone(), "w".repeat(43)] {
        let issued = post(
            &client,
            format!("{address}/v1/auth/authorize"),
            authorize.clone(),
            Some(token),
        )
        .await;
        let code = issued["code"].as_str().expect("a code").to_owned();
        // One exchange that succeeds, one refused (its warning is logged),
        // and a reuse.
        for _ in 0..2 {
            post(
                &client,
                format!("{address}/v1/auth/token"),
                json!({ "grant_type": "authorization_code", "code": code,
                        "code_verifier": exchange_verifier, "client_id": "sales",
                        "redirect_uri": "http://127.0.0.1:4200/auth/callback" }),
                None,
            )
            .await;
        }
        codes.push(code);
    }

    let _ = child.start_kill();
    let _ = child.wait().await;
    let output = output.lock().unwrap().clone();
    assert!(
        output.contains("authorization code issued")
            && output.contains("authorization code exchanged")
            && output.contains("an authorization code was presented"),
        "the flow is logged: {output}"
    );
    for secret in codes.iter().chain([&verifier]) {
        assert!(
            !output.contains(secret.as_str()),
            "{secret} reached the logs"
        );
    }
    if let Ok(client) = read_models::mongo::client(&testkit::mongodb_uri(), "auth-tests").await {
        let _ = client.database(&core_db).drop().await;
    }
    if let Ok(nats) = async_nats::connect(testkit::nats_url()).await {
        let _ = async_nats::jetstream::new(nats)
            .delete_stream(format!("TEST_USERS_{suffix}"))
            .await;
    }
}
