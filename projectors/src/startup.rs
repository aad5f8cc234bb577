//! Builds the relay process: database pool, NATS client, the relay, and the
//! HTTP server for `/health`, `/ready` and `/metrics`. The relay does not
//! migrate: the command API owns the schema.

use std::net::TcpListener;
use std::time::Duration;

use actix_web::dev::{Server, ServerHandle};
use actix_web::middleware::from_fn;
use actix_web::{web, App, HttpResponse, HttpServer};
use anyhow::Context;
use platform::metrics::Metrics;
use secrecy::ExposeSecret;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::PgPool;
use tokio::sync::watch;

use crate::metrics::RelayMetrics;
use crate::relay::{Relay, RelayConfig};
use crate::settings::Settings;

/// What the HTTP handlers share.
struct Probes {
    pool: PgPool,
    nats: async_nats::Client,
}

/// A built, bound, not yet running relay.
pub struct Application {
    port: u16,
    server: Server,
    relay: Relay,
    stop: watch::Sender<bool>,
}

/// Stops a running [`Application`] as SIGTERM would.
#[derive(Clone)]
pub struct Stopper(watch::Sender<bool>);

impl Stopper {
    /// Asks the application to stop.
    pub fn stop(&self) {
        self.0.send_replace(true);
    }
}

impl Application {
    /// Connects (lazily: neither Postgres nor NATS needs to be up yet) and
    /// binds the listener.
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let options: PgConnectOptions = settings
            .database_url
            .expose_secret()
            .parse()
            .context("DATABASE_URL is not a valid PostgreSQL URL")?;
        let pool = PgPoolOptions::new()
            .max_connections(4)
            .acquire_timeout(Duration::from_secs(5))
            .connect_lazy_with(options);
        // Retry the first connection in the background like any reconnection:
        // the relay waits for NATS instead of failing to start.
        let nats = async_nats::ConnectOptions::new()
            .name("projectors-relay")
            .retry_on_initial_connect()
            .connect(settings.nats_url.as_str())
            .await
            .with_context(|| format!("NATS_URL {}", settings.nats_url))?;
        let metrics = Metrics::new("projectors");
        let relay = Relay::new(
            pool.clone(),
            nats.clone(),
            RelayConfig::from(&settings),
            RelayMetrics::register(&metrics),
        );
        let probes = web::Data::new(Probes { pool, nats });
        let metrics = web::Data::new(metrics);
        let listener = TcpListener::bind(&settings.addr)
            .with_context(|| format!("binding {}", settings.addr))?;
        let port = listener.local_addr()?.port();
        let server = HttpServer::new(move || {
            App::new()
                .wrap(from_fn(platform::http::observe))
                .app_data(probes.clone())
                .app_data(metrics.clone())
                .route("/health", web::get().to(platform::http::health))
                .route("/ready", web::get().to(ready))
                .route("/metrics", web::get().to(platform::http::metrics))
                .default_service(web::to(platform::http::not_found))
        })
        .workers(1)
        .disable_signals()
        .shutdown_timeout(settings.shutdown_timeout_secs)
        .listen(listener)?
        .run();
        let (stop, _) = watch::channel(false);
        Ok(Self {
            port,
            server,
            relay,
            stop,
        })
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// A handle that stops the application.
    pub fn stopper(&self) -> Stopper {
        Stopper(self.stop.clone())
    }

    /// Relays and serves until SIGTERM/SIGINT (or [`Stopper::stop`]); then
    /// lets the batch in flight finish or roll back, and stops the server.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let Self {
            server,
            relay,
            stop,
            ..
        } = self;
        let handle: ServerHandle = server.handle();
        let server = tokio::spawn(server);
        let relay = tokio::spawn({
            let shutdown = stop.subscribe();
            async move { relay.run(shutdown).await }
        });
        let mut stopped = stop.subscribe();
        tokio::select! {
            () = termination() => tracing::info!("termination signal received"),
            _ = stopped.wait_for(|stop| *stop) => {}
        }
        stop.send_replace(true);
        if let Err(error) = relay.await {
            tracing::error!(%error, "relay task failed");
        }
        handle.stop(true).await;
        match server.await {
            Ok(result) => result,
            Err(error) => Err(std::io::Error::other(error)),
        }
    }
}

async fn termination() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => tokio::select! {
                _ = term.recv() => {}
                _ = tokio::signal::ctrl_c() => {}
            },
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// `GET /ready`: Postgres answers and NATS is connected.
async fn ready(probes: web::Data<Probes>) -> HttpResponse {
    let database = sqlx::query_scalar::<_, i32>("SELECT 1")
        .fetch_one(&probes.pool)
        .await
        .is_ok();
    let nats = probes.nats.connection_state() == async_nats::connection::State::Connected;
    let body = serde_json::json!({
        "status": if database && nats { "ready" } else { "unavailable" },
        "database": if database { "up" } else { "down" },
        "nats": if nats { "up" } else { "down" },
    });
    if database && nats {
        HttpResponse::Ok().json(body)
    } else {
        HttpResponse::ServiceUnavailable().json(body)
    }
}
