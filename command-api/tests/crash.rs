//! Crash safety of the real binary: SIGKILLed while bookings are in flight,
//! it loses no acknowledged booking, never oversells, and serves again after
//! a restart on the same database.

#[allow(dead_code)]
#[path = "api/helpers.rs"]
mod helpers;

use std::collections::BTreeSet;
use std::process::Stdio;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{SubsecRound, Utc};
use helpers::{booking_body, create_test_database, launch_body, rocket_body, wait_for};
use platform::auth::generate_key_pair;
use platform::{Principal, Role, TokenIssuer};
use serde_json::Value;
use sqlx::postgres::PgPoolOptions;
use tokio::process::{Child, Command};
use uuid::Uuid;

const CAPACITY: u32 = 200;
const ACKNOWLEDGED_BEFORE_KILL: usize = 100;
const CLIENTS: usize = 16;

/// The command API binary, running as a child process.
struct Service {
    child: Child,
    address: String,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free local port")
        .port()
}

async fn start(database_url: &str, public_key_hex: &str, client: &reqwest::Client) -> Service {
    let port = free_port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_command-api"))
        .env("DATABASE_URL", database_url)
        .env("COMMAND_API_ADDR", format!("127.0.0.1:{port}"))
        .env("AUTH_PUBLIC_KEY", public_key_hex)
        .env("RUST_LOG", "warn")
        // Not into the development core.logs.
        .env("LOG_SHIPPING", "off")
        .env("HTTP_WORKERS", "2")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("starting the command-api binary");
    let address = format!("http://127.0.0.1:{port}");
    let ready = format!("{address}/ready");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        if let Some(status) = child.try_wait().expect("polling the child") {
            panic!("command-api exited before it was ready: {status}");
        }
        let answer = client.get(&ready).send().await;
        if answer.is_ok_and(|a| a.status() == 200) {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "command-api was not ready within a minute"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Service { child, address }
}

fn token(issuer: &TokenIssuer, role: Role) -> String {
    let principal = Principal {
        user_id: Uuid::now_v7(),
        role,
    };
    issuer.issue(&principal, Duration::from_secs(3_600))
}

async fn post(client: &reqwest::Client, url: &str, token: &str, body: &Value) -> (u16, Value) {
    let response = client
        .post(url)
        .bearer_auth(token)
        .json(body)
        .send()
        .await
        .expect("a request to a running service");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// A running binary on a fresh database with a launch of `CAPACITY` seats.
struct Fixture {
    database_url: String,
    public: String,
    issuer: TokenIssuer,
    client: reqwest::Client,
    service: Service,
    launch_id: Uuid,
}

async fn service_with_launch() -> Fixture {
    let database_url = create_test_database().await;
    let (private, public) = generate_key_pair();
    let issuer = TokenIssuer::from_private_key_hex(&private).unwrap();
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .build()
        .unwrap();
    let service = start(&database_url, &public, &client).await;
    let ops = token(&issuer, helpers::OPERATIONS);
    let (status, rocket) = post(
        &client,
        &format!("{}/v1/rockets", service.address),
        &ops,
        &rocket_body(CAPACITY, "moon"),
    )
    .await;
    assert_eq!(status, 201, "{rocket}");
    let departure = (Utc::now() + chrono::Duration::days(200)).trunc_subsecs(0);
    let rocket_id = rocket["rocket_id"].as_str().unwrap().parse().unwrap();
    let (status, launch) = post(
        &client,
        &format!("{}/v1/launches", service.address),
        &ops,
        &launch_body(rocket_id, departure, helpers::PRICE_CENTS),
    )
    .await;
    assert_eq!(status, 201, "{launch}");
    let launch_id = launch["launch_id"].as_str().unwrap().parse().unwrap();
    Fixture {
        database_url,
        public,
        issuer,
        client,
        service,
        launch_id,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_bookings_survive_a_sigkill_and_the_restarted_service_books_again() {
    let Fixture {
        database_url,
        public,
        issuer,
        client,
        mut service,
        launch_id,
    } = service_with_launch().await;

    // Sixteen clients book one seat at a time until the service dies.
    let acknowledged = Arc::new(Mutex::new(Vec::<Uuid>::new()));
    let count = Arc::new(AtomicUsize::new(0));
    let unexpected = Arc::new(Mutex::new(Vec::<String>::new()));
    let killed = Arc::new(AtomicBool::new(false));
    let url = format!("{}/v1/launches/{launch_id}/bookings", service.address);
    let clients: Vec<_> = (0..CLIENTS)
        .map(|_| {
            let (client, url, token) =
                (client.clone(), url.clone(), token(&issuer, Role::Traveler));
            let (acknowledged, count) = (acknowledged.clone(), count.clone());
            let (unexpected, killed) = (unexpected.clone(), killed.clone());
            tokio::spawn(async move {
                let body = booking_body(1);
                loop {
                    let sent = client
                        .post(&url)
                        .bearer_auth(&token)
                        .json(&body)
                        .send()
                        .await;
                    let Ok(response) = sent else {
                        // The connection died with the service.
                        return;
                    };
                    let status = response.status().as_u16();
                    let Ok(answer) = response.json::<Value>().await else {
                        return;
                    };
                    if status == 201 {
                        let id = answer["booking_id"].as_str().unwrap().parse().unwrap();
                        acknowledged.lock().unwrap().push(id);
                        count.fetch_add(1, Ordering::SeqCst);
                    } else if !killed.load(Ordering::SeqCst) {
                        unexpected
                            .lock()
                            .unwrap()
                            .push(format!("{status}: {answer}"));
                        return;
                    }
                }
            })
        })
        .collect();

    wait_for(Duration::from_secs(60), "100 acknowledged bookings", || {
        let count = count.clone();
        async move { count.load(Ordering::SeqCst) >= ACKNOWLEDGED_BEFORE_KILL }
    })
    .await;
    killed.store(true, Ordering::SeqCst);
    service.child.kill().await.expect("SIGKILL");
    for client in clients {
        tokio::time::timeout(Duration::from_secs(30), client)
            .await
            .expect("clients stop once the service is gone")
            .expect("a client task");
    }
    assert_eq!(*unexpected.lock().unwrap(), Vec::<String>::new());
    let acknowledged: BTreeSet<Uuid> = acknowledged.lock().unwrap().iter().copied().collect();
    assert!(acknowledged.len() >= ACKNOWLEDGED_BEFORE_KILL);

    // Every acknowledged booking is stored; nothing is oversold or missing.
    // One connection, so that "no other backend" below means the killed
    // service's are gone: a COMMIT it sent just before the kill is still
    // carried out by its backend, and must be counted.
    let pool = PgPoolOptions::new()
        .max_connections(1)
        .connect(&database_url)
        .await
        .unwrap();
    wait_for(
        Duration::from_secs(30),
        "the killed service's database sessions to end",
        || {
            let pool = pool.clone();
            async move {
                let (others,): (i64,) = sqlx::query_as(
                    "SELECT count(*) FROM pg_stat_activity
                      WHERE datname = current_database() AND pid <> pg_backend_pid()",
                )
                .fetch_one(&pool)
                .await
                .unwrap();
                others == 0
            }
        },
    )
    .await;
    let rows: Vec<(i64, Option<String>, Option<i64>)> = sqlx::query_as(
        "SELECT sequence, payload->'SeatsBooked'->>'booking_id',
                (payload->'SeatsBooked'->>'seats')::bigint
           FROM events WHERE aggregate_id = $1 ORDER BY sequence",
    )
    .bind(launch_id.to_string())
    .fetch_all(&pool)
    .await
    .unwrap();
    let sequences: Vec<i64> = rows.iter().map(|r| r.0).collect();
    assert_eq!(sequences, (1..=rows.len() as i64).collect::<Vec<_>>());
    let stored: BTreeSet<Uuid> = rows
        .iter()
        .filter_map(|r| r.1.as_deref())
        .map(|id| id.parse().unwrap())
        .collect();
    let lost: Vec<_> = acknowledged.difference(&stored).collect();
    assert!(lost.is_empty(), "acknowledged but not stored: {lost:?}");
    let seats: i64 = rows.iter().filter_map(|r| r.2).sum();
    assert!(
        seats <= i64::from(CAPACITY),
        "{seats} seats sold of {CAPACITY}"
    );
    assert_eq!(seats as usize, stored.len());
    println!(
        "killed with {} bookings acknowledged; {} stored (committed, unacknowledged: {})",
        acknowledged.len(),
        stored.len(),
        stored.len() - acknowledged.len()
    );
    let (events, outbox): (i64, i64) =
        sqlx::query_as("SELECT (SELECT count(*) FROM events), (SELECT count(*) FROM outbox)")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(events, outbox);

    // The restarted service books on the same launch, after the last event.
    let mut restarted = start(&database_url, &public, &client).await;
    let (status, booked) = post(
        &client,
        &format!("{}/v1/launches/{launch_id}/bookings", restarted.address),
        &token(&issuer, Role::Traveler),
        &booking_body(2),
    )
    .await;
    assert_eq!(status, 201, "{booked}");
    assert_eq!(booked["version"], rows.len() + 1);
    restarted
        .child
        .kill()
        .await
        .expect("stopping the restarted service");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_sigterm_the_service_finishes_in_flight_bookings_and_exits_cleanly() {
    let Fixture {
        issuer,
        client,
        mut service,
        launch_id,
        ..
    } = service_with_launch().await;
    let url = format!("{}/v1/launches/{launch_id}/bookings", service.address);

    // Clients book until the service stops answering; each records every
    // status it got. Only a refused connection ends a client.
    let statuses = Arc::new(Mutex::new(Vec::<u16>::new()));
    let count = Arc::new(AtomicUsize::new(0));
    let clients: Vec<_> = (0..8)
        .map(|_| {
            let (client, url, token) =
                (client.clone(), url.clone(), token(&issuer, Role::Traveler));
            let (statuses, count) = (statuses.clone(), count.clone());
            tokio::spawn(async move {
                let body = booking_body(1);
                while let Ok(response) = client
                    .post(&url)
                    .bearer_auth(&token)
                    .json(&body)
                    .send()
                    .await
                {
                    statuses.lock().unwrap().push(response.status().as_u16());
                    count.fetch_add(1, Ordering::SeqCst);
                }
            })
        })
        .collect();
    wait_for(Duration::from_secs(60), "20 answered bookings", || {
        let count = count.clone();
        async move { count.load(Ordering::SeqCst) >= 20 }
    })
    .await;

    let pid = service.child.id().expect("a running child").to_string();
    let signalled = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("running kill");
    assert!(signalled.success());
    let exit = tokio::time::timeout(Duration::from_secs(35), service.child.wait())
        .await
        .expect("the service exits within its shutdown timeout")
        .expect("waiting for the child");
    assert!(exit.success(), "exit status after SIGTERM: {exit}");
    for client in clients {
        tokio::time::timeout(Duration::from_secs(30), client)
            .await
            .expect("clients stop once the service is gone")
            .expect("a client task");
    }
    // Every request the service answered was answered properly: no 5xx
    // while draining.
    let statuses = statuses.lock().unwrap().clone();
    assert!(statuses.iter().all(|s| *s == 201), "statuses: {statuses:?}");
}
