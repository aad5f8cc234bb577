//! Builds the projectors process: database pool, NATS and MongoDB clients,
//! the components asked for (relay, sales, profiles, finance), and the HTTP
//! server for `/health`, `/ready` and `/metrics`. Nothing here migrates: the
//! command API owns the schema.

use std::time::Duration;

use actix_web::dev::Server;
use actix_web::{web, HttpResponse};
use anyhow::Context;
use platform::metrics::Metrics;
use platform::shutdown::Workers;
use secrecy::ExposeSecret;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::PgPool;

use crate::finance::{FinanceConfig, FinanceProjector};
use crate::metrics::{ProjectorMetrics, RelayMetrics};
use crate::profiles::{ProfilesConfig, ProfilesProjector};
use crate::relay::{Relay, RelayConfig};
use crate::sales::{SalesConfig, SalesProjector, SalesStore};
use crate::settings::{Component, Settings};

/// What the HTTP handlers share.
struct Probes {
    pool: PgPool,
    nats: async_nats::Client,
    /// Only when a component writes to MongoDB.
    mongo: Option<mongodb::Client>,
}

/// A built, bound, not yet running projectors process.
pub struct Application {
    port: u16,
    server: Server,
    relay: Option<Relay>,
    sales: Option<SalesProjector>,
    profiles: Option<ProfilesProjector>,
    finance: Option<FinanceProjector>,
    stop: Stopper,
}

/// Stops a running [`Application`] as SIGTERM would.
pub use platform::shutdown::Stopper;

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
            .max_connections(6)
            .acquire_timeout(Duration::from_secs(5))
            .connect_lazy_with(options);
        // Retry the first connection in the background like any reconnection:
        // the relay waits for NATS instead of failing to start.
        let nats = async_nats::ConnectOptions::new()
            .name("projectors")
            .retry_on_initial_connect()
            .connect(settings.nats_url.as_str())
            .await
            .with_context(|| format!("NATS_URL {}", settings.nats_url))?;
        let metrics = Metrics::new("projectors");
        let wants = |component| settings.components.contains(&component);
        let relay = wants(Component::Relay).then(|| {
            Relay::new(
                pool.clone(),
                nats.clone(),
                RelayConfig::from(&settings),
                RelayMetrics::register(&metrics),
            )
        });
        let mut mongo = None;
        let sales = if wants(Component::Sales) {
            let client =
                read_models::mongo::client(settings.mongodb_uri.expose_secret(), "projectors")
                    .await
                    .context("MONGODB_URI")?;
            let store = SalesStore::new(client.database(&settings.sales_database), pool.clone());
            mongo = Some(client);
            Some(SalesProjector::new(
                store,
                nats.clone(),
                SalesConfig::from(&settings),
                ProjectorMetrics::register(&metrics, "sales_projector"),
            ))
        } else {
            None
        };
        let profiles = wants(Component::Profiles).then(|| {
            ProfilesProjector::new(
                pool.clone(),
                nats.clone(),
                ProfilesConfig::from(&settings),
                ProjectorMetrics::register(&metrics, "profiles_projector"),
            )
        });
        let finance = wants(Component::Finance).then(|| {
            FinanceProjector::new(
                pool.clone(),
                nats.clone(),
                FinanceConfig::from(&settings),
                ProjectorMetrics::register(&metrics, "finance_projector"),
            )
        });
        let (port, server) = platform::http::probe_server(
            &settings.addr,
            Probes { pool, nats, mongo },
            ready,
            metrics,
            settings.shutdown_timeout_secs,
        )?;
        let stop = Stopper::default();
        Ok(Self {
            port,
            server,
            relay,
            sales,
            profiles,
            finance,
            stop,
        })
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// A handle that stops the application.
    pub fn stopper(&self) -> Stopper {
        self.stop.clone()
    }

    /// Runs the components and serves until SIGTERM/SIGINT (or
    /// [`Stopper::stop`]); then lets the batches in flight finish or roll
    /// back, and stops the server.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let Self {
            server,
            relay,
            sales,
            profiles,
            finance,
            stop,
            ..
        } = self;
        let mut workers = Workers::new(stop);
        if let Some(relay) = relay {
            workers.spawn("relay", |shutdown| async move { relay.run(shutdown).await });
        }
        if let Some(sales) = sales {
            workers.spawn("sales", |shutdown| async move { sales.run(shutdown).await });
        }
        if let Some(profiles) = profiles {
            workers.spawn("profiles", |shutdown| async move {
                profiles.run(shutdown).await
            });
        }
        if let Some(finance) = finance {
            workers.spawn(
                "finance",
                |shutdown| async move { finance.run(shutdown).await },
            );
        }
        workers.serve(server).await
    }
}

/// `GET /ready`: Postgres answers, NATS is connected, and MongoDB answers
/// (when a component writes to it).
async fn ready(probes: web::Data<Probes>) -> HttpResponse {
    let database = sqlx::query_scalar::<_, i32>("SELECT 1")
        .fetch_one(&probes.pool)
        .await
        .is_ok();
    let nats = probes.nats.connection_state() == async_nats::connection::State::Connected;
    let mongo = match &probes.mongo {
        Some(client) => Some(
            client
                .database("admin")
                .run_command(bson::doc! { "ping": 1 })
                .await
                .is_ok(),
        ),
        None => None,
    };
    let up = |ok: bool| if ok { "up" } else { "down" };
    let all = database && nats && mongo.unwrap_or(true);
    let mut body = serde_json::json!({
        "status": if all { "ready" } else { "unavailable" },
        "database": up(database),
        "nats": up(nats),
    });
    if let Some(mongo) = mongo {
        body["mongo"] = up(mongo).into();
    }
    if all {
        HttpResponse::Ok().json(body)
    } else {
        HttpResponse::ServiceUnavailable().json(body)
    }
}
