//! The `auth` part: logins per second through the release auth service at
//! concurrency 8, against a bare argon2id verification loop with the same
//! parameters on 8 blocking threads in the same run (argon2 is meant to be
//! the cost of a login; the ratio shows what the service adds); and the cost
//! of verifying a token per request, uncached (every token new: signature,
//! Datalog authorizer, facts) and cached (the same token again).
//!
//! It starts `auth` (`AUTH_BIN`) on the MongoDB database [`CORE_DB`]
//! (dropped before and after) with the argon2 parameters of the
//! environment (`ARGON2_MEMORY_KIB`, `ARGON2_ITERATIONS`,
//! `ARGON2_PARALLELISM`, the service's defaults when unset).

use std::process::Stdio;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use anyhow::{bail, Context};
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use platform::{Principal, Role, TokenIssuer, TokenVerifier};
use serde_json::json;
use tokio::process::{Child, Command};
use uuid::Uuid;

use crate::api::{free_port, wait_ready};
use crate::report::Latency;
use crate::stack::{drop_mongo_database, mongo};
use crate::Config;

/// The MongoDB database of the bench's auth service.
pub const CORE_DB: &str = "core_bench";
/// Concurrent clients logging in (and threads of the bare argon2 loop).
pub const CONCURRENCY: usize = 8;
/// Tokens verified in each token measurement.
const TOKENS: usize = 2_000;
/// The password of the bench users.
const PASSWORD: &str = "orbital-tangerine-42";

/// argon2id parameters, read like the service reads them.
#[derive(Debug, Clone, Copy)]
struct Argon2Params {
    memory_kib: u32,
    iterations: u32,
    parallelism: u32,
}

impl Argon2Params {
    fn from_env() -> anyhow::Result<Self> {
        use platform::config::parse;
        Ok(Self {
            memory_kib: parse("ARGON2_MEMORY_KIB", 19_456)?,
            iterations: parse("ARGON2_ITERATIONS", 2)?,
            parallelism: parse("ARGON2_PARALLELISM", 1)?,
        })
    }

    fn argon2(&self) -> anyhow::Result<Argon2<'static>> {
        let params = Params::new(self.memory_kib, self.iterations, self.parallelism, None)
            .map_err(|e| anyhow::anyhow!("ARGON2_* parameters: {e}"))?;
        Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
    }
}

/// Runs the part and returns its markdown table.
pub async fn run(config: &Config) -> anyhow::Result<String> {
    println!();
    println!("## auth: logins against bare argon2id, token verification");
    let params = Argon2Params::from_env()?;
    let client = mongo(config).await?;
    drop_mongo_database(&client, CORE_DB).await?;
    let (private, public) = platform::auth::generate_key_pair();
    let service = AuthService::start(config, &private, params).await?;
    let result = measure(config, &service, params, &private, &public).await;
    service.stop().await;
    drop_mongo_database(&client, CORE_DB).await?;
    if let Ok(nats) = async_nats::connect(config.nats_url.as_str()).await {
        // Best effort: the stream only holds the bench's own users.
        let _ = async_nats::jetstream::new(nats)
            .delete_stream("BENCH_USERS")
            .await;
    }
    let table = result?;
    println!("{table}");
    Ok(table)
}

async fn measure(
    config: &Config,
    service: &AuthService,
    params: Argon2Params,
    private: &str,
    public: &str,
) -> anyhow::Result<String> {
    let duration = Duration::from_secs(config.seconds);
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(CONCURRENCY)
        .timeout(Duration::from_secs(30))
        .build()?;
    let emails = register_users(&http, &service.base).await?;
    let logins = login_load(&http, &service.base, &emails, duration).await?;
    let bare = bare_verify_loop(params, duration).await?;
    let (uncached, cached) = token_costs(private, public)?;
    let logins_per_second = logins.count as f64 / duration.as_secs_f64();
    Ok(format!(
        "argon2id m={} KiB, t={}, p={}; {} s per measurement; {} cores\n\n\
         | measurement | figure |\n|---|---|\n\
         | `POST /v1/auth/login`, concurrency {CONCURRENCY} | {:.1} logins/s (p50 {:.1} ms, p99 {:.1} ms) |\n\
         | bare argon2id verify, {CONCURRENCY} blocking threads | {:.1} verifies/s |\n\
         | logins ÷ bare verifies | {:.2} |\n\
         | token verification, uncached (signature + authorizer) | {:.1} µs |\n\
         | token verification, cached (same token again) | {:.2} µs |\n",
        params.memory_kib,
        params.iterations,
        params.parallelism,
        config.seconds,
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        logins_per_second,
        logins.p50,
        logins.p99,
        bare,
        logins_per_second / bare,
        uncached,
        cached,
    ))
}

/// One traveler per client.
async fn register_users(http: &reqwest::Client, base: &str) -> anyhow::Result<Vec<String>> {
    let mut emails = Vec::new();
    for i in 0..CONCURRENCY {
        let email = format!("bench{i}.{}@example.com", Uuid::new_v4().simple());
        let body = json!({
            "email": email,
            "password": PASSWORD,
            "profile": { "kind": "traveler", "full_name": "Bench User", "birth_date": "1985-12-10" }
        });
        let response = http
            .post(format!("{base}/v1/auth/register"))
            .json(&body)
            .send()
            .await?;
        if response.status() != 201 {
            bail!("registering a bench user: {}", response.status());
        }
        emails.push(email);
    }
    Ok(emails)
}

/// Each client logs its user in, in a loop, until `duration` has passed.
async fn login_load(
    http: &reqwest::Client,
    base: &str,
    emails: &[String],
    duration: Duration,
) -> anyhow::Result<Latency> {
    // One login each first: connections and caches warm.
    for email in emails {
        login(http, base, email).await?;
    }
    let deadline = Instant::now() + duration;
    let mut tasks = Vec::new();
    for email in emails {
        let (http, base, email) = (http.clone(), base.to_owned(), email.clone());
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            while Instant::now() < deadline {
                let started = Instant::now();
                login(&http, &base, &email).await?;
                latencies.push(started.elapsed().as_secs_f64() * 1e3);
            }
            anyhow::Ok(latencies)
        }));
    }
    let mut latencies = Vec::new();
    for task in tasks {
        latencies.extend(task.await??);
    }
    Ok(Latency::of(&latencies))
}

async fn login(http: &reqwest::Client, base: &str, email: &str) -> anyhow::Result<()> {
    let response = http
        .post(format!("{base}/v1/auth/login"))
        .json(&json!({ "email": email, "password": PASSWORD }))
        .send()
        .await?;
    if response.status() != 200 {
        bail!("login answered {}", response.status());
    }
    response.bytes().await?;
    Ok(())
}

/// Verifications per second of `CONCURRENCY` threads each verifying the
/// same password against a hash made with `params`, for `duration`.
async fn bare_verify_loop(params: Argon2Params, duration: Duration) -> anyhow::Result<f64> {
    let argon2 = params.argon2()?;
    let hash = argon2
        .hash_password(PASSWORD.as_bytes(), &SaltString::generate(&mut OsRng))
        .map_err(|e| anyhow::anyhow!("hashing: {e}"))?
        .to_string();
    let count = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let deadline = started + duration;
    let mut threads = Vec::new();
    for _ in 0..CONCURRENCY {
        let (argon2, hash, count) = (argon2.clone(), hash.clone(), count.clone());
        threads.push(tokio::task::spawn_blocking(move || {
            let parsed = PasswordHash::new(&hash).map_err(|e| anyhow::anyhow!("{e}"))?;
            while Instant::now() < deadline {
                argon2
                    .verify_password(PASSWORD.as_bytes(), &parsed)
                    .map_err(|e| anyhow::anyhow!("verifying: {e}"))?;
                count.fetch_add(1, Ordering::Relaxed);
            }
            anyhow::Ok(())
        }));
    }
    for thread in threads {
        thread.await??;
    }
    Ok(count.load(Ordering::Relaxed) as f64 / started.elapsed().as_secs_f64())
}

/// Microseconds per verification: of [`TOKENS`] distinct tokens each seen
/// once (the full path), and of one token seen [`TOKENS`] times (cached).
fn token_costs(private: &str, public: &str) -> anyhow::Result<(f64, f64)> {
    let issuer = TokenIssuer::from_private_key_hex(private)?;
    let verifier = TokenVerifier::from_public_key_hex(public)?;
    let expiry = SystemTime::now() + Duration::from_secs(900);
    let tokens: Vec<String> = (0..TOKENS)
        .map(|_| {
            let principal = Principal {
                user_id: Uuid::now_v7(),
                role: Role::Traveler,
            };
            issuer.issue_expiring_at(&principal, expiry)
        })
        .collect();
    let started = Instant::now();
    for token in &tokens {
        verifier.verify(token).context("verifying a fresh token")?;
    }
    let uncached = started.elapsed().as_secs_f64() * 1e6 / TOKENS as f64;
    let started = Instant::now();
    for _ in 0..TOKENS {
        verifier
            .verify(&tokens[0])
            .context("verifying a cached token")?;
    }
    let cached = started.elapsed().as_secs_f64() * 1e6 / TOKENS as f64;
    Ok((uncached, cached))
}

/// The release auth service, started for the part; killed when stopped.
struct AuthService {
    child: Child,
    base: String,
    log: std::path::PathBuf,
}

impl AuthService {
    async fn start(config: &Config, private: &str, params: Argon2Params) -> anyhow::Result<Self> {
        let port = free_port()?;
        let log = std::env::temp_dir().join(format!("astro-bench-auth-{}.log", std::process::id()));
        let file =
            std::fs::File::create(&log).with_context(|| format!("creating {}", log.display()))?;
        let child = Command::new(&config.auth_bin)
            .env("AUTH_API_ADDR", format!("127.0.0.1:{port}"))
            .env("AUTH_PRIVATE_KEY", private)
            .env("MONGODB_URI", &config.mongodb_uri)
            .env("MONGODB_CORE_DB", CORE_DB)
            .env("NATS_URL", &config.nats_url)
            // Its user messages go to a stream of the bench's own, not to
            // the ASTRO_USERS a local stack's profiles projector reads.
            .env("USERS_STREAM", "BENCH_USERS")
            .env("USERS_SUBJECT_PREFIX", "bench.users")
            .env("ARGON2_MEMORY_KIB", params.memory_kib.to_string())
            .env("ARGON2_ITERATIONS", params.iterations.to_string())
            .env("ARGON2_PARALLELISM", params.parallelism.to_string())
            .env_remove("AUTH_BOOTSTRAP_IT_EMAIL")
            .env_remove("AUTH_BOOTSTRAP_IT_PASSWORD")
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(file)
            .kill_on_drop(true)
            .spawn()
            .with_context(|| {
                format!(
                    "starting {} (build it: cargo build --release -p auth)",
                    config.auth_bin
                )
            })?;
        let service = Self {
            child,
            base: format!("http://127.0.0.1:{port}"),
            log,
        };
        wait_ready(&service.base, "auth", Duration::from_secs(30))
            .await
            .with_context(|| format!("see {}", service.log.display()))?;
        Ok(service)
    }

    async fn stop(mut self) {
        let _ = self.child.kill().await;
        let _ = std::fs::remove_file(&self.log);
    }
}
