//! The read side's processes for the benchmark — `projectors serve relay
//! sales` and `query-api`, release binaries started as child processes — and
//! the bench-only NATS streams and MongoDB databases they use, which the
//! benchmark deletes before and after.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use anyhow::Context;
use tokio::process::{Child, Command};

use crate::api::{free_port, wait_ready};
use crate::{database_url, Config};

/// The JetStream stream the bench's relay publishes to.
pub const EVENTS_STREAM: &str = "BENCH_EVENTS";
/// Its subject prefix (distinct from the system's `astro.events`).
pub const SUBJECT_PREFIX: &str = "bench.events";
/// The bench projector's dead-letter stream.
pub const DEAD_LETTER_STREAM: &str = "BENCH_DEAD_LETTERS";
/// The sales read model of the lag and listing parts.
pub const SALES_DB: &str = "sales_bench";

/// A service started for the benchmark; killed when stopped or dropped.
pub struct Process {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    /// Where its stdout (structured logs) goes.
    pub log: PathBuf,
}

impl Process {
    /// Starts `bin args` with `env` and `addr_var` set to a free port, logs to
    /// a file in the temporary directory, and waits until `/ready` answers.
    async fn start(
        name: &str,
        bin: &str,
        args: &[&str],
        addr_var: &str,
        env: &[(&str, String)],
    ) -> anyhow::Result<Self> {
        let port = free_port()?;
        let log =
            std::env::temp_dir().join(format!("astro-bench-{name}-{}.log", std::process::id()));
        let file =
            std::fs::File::create(&log).with_context(|| format!("creating {}", log.display()))?;
        let child = Command::new(bin)
            .args(args)
            .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
            .env(addr_var, format!("127.0.0.1:{port}"))
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(file)
            .kill_on_drop(true)
            .spawn()
            .with_context(|| {
                format!("starting {bin} (build it: cargo build --release -p {name})")
            })?;
        let process = Self {
            child,
            base: format!("http://127.0.0.1:{port}"),
            log,
        };
        wait_ready(&process.base, name, Duration::from_secs(30))
            .await
            .with_context(|| format!("see {}", process.log.display()))?;
        Ok(process)
    }

    /// `projectors serve relay sales` on the bench database `db`.
    pub async fn projectors(config: &Config, db: &str) -> anyhow::Result<Self> {
        Self::start(
            "projectors",
            &config.projectors_bin,
            &["serve", "relay", "sales"],
            "PROJECTORS_ADDR",
            &[
                ("DATABASE_URL", database_url(db)),
                ("NATS_URL", config.nats_url.clone()),
                ("MONGODB_URI", config.mongodb_uri.clone()),
                ("MONGODB_SALES_DB", SALES_DB.to_owned()),
                ("EVENTS_STREAM", EVENTS_STREAM.to_owned()),
                ("EVENTS_SUBJECT_PREFIX", SUBJECT_PREFIX.to_owned()),
                ("DEAD_LETTER_STREAM", DEAD_LETTER_STREAM.to_owned()),
                ("SALES_CONSUMER", "sales".to_owned()),
            ],
        )
        .await
    }

    /// `query-api` on the bench read model, with the listing cache's TTL
    /// (0 disables it).
    pub async fn query_api(
        config: &Config,
        public_key: &str,
        listing_cache_ttl_ms: u64,
    ) -> anyhow::Result<Self> {
        Self::start(
            "query-api",
            &config.query_api_bin,
            &[],
            "QUERY_API_ADDR",
            &[
                ("MONGODB_URI", config.mongodb_uri.clone()),
                ("MONGODB_SALES_DB", SALES_DB.to_owned()),
                ("AUTH_PUBLIC_KEY", public_key.to_owned()),
                ("LISTING_CACHE_TTL_MS", listing_cache_ttl_ms.to_string()),
                ("READ_YOUR_WRITES_MAX_WAIT_MS", "2000".to_owned()),
            ],
        )
        .await
    }

    /// Stops the service and removes its log.
    pub async fn stop(mut self) {
        let _ = self.child.kill().await;
        let _ = std::fs::remove_file(&self.log);
    }
}

/// Deletes the JetStream `streams` (and so their consumers), if any.
pub async fn delete_streams(nats_url: &str, streams: &[&str]) -> anyhow::Result<()> {
    use async_nats::jetstream::context::DeleteStreamErrorKind;
    use async_nats::jetstream::ErrorCode;
    let client = async_nats::connect(nats_url)
        .await
        .with_context(|| format!("connecting to NATS at {nats_url}"))?;
    let jetstream = async_nats::jetstream::new(client);
    for &stream in streams {
        match jetstream.delete_stream(stream).await {
            Ok(_) => {}
            Err(e)
                if matches!(e.kind(), DeleteStreamErrorKind::JetStream(ref js)
                    if js.error_code() == ErrorCode::STREAM_NOT_FOUND) => {}
            Err(e) => return Err(e).with_context(|| format!("deleting stream {stream}")),
        }
    }
    Ok(())
}

/// A MongoDB client for the bench, the way the services build theirs.
pub async fn mongo(config: &Config) -> anyhow::Result<mongodb::Client> {
    read_models::mongo::client(&config.mongodb_uri, "bench")
        .await
        .context("MONGODB_URI")
}

/// Drops MongoDB database `name`.
pub async fn drop_mongo_database(client: &mongodb::Client, name: &str) -> anyhow::Result<()> {
    client
        .database(name)
        .drop()
        .await
        .with_context(|| format!("dropping MongoDB database {name}"))
}
