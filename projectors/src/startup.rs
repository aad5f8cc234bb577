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

use crate::finance::{FinanceConfig, FinanceProjector, HaltState};
use crate::metrics::{ProjectorMetrics, RelayMetrics};
use crate::parking::Parking;
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
    /// Where events are parked, and the projections of this process that
    /// park them.
    parking: Parking,
    parks: Vec<&'static str>,
    /// Only when the finance projector runs here.
    finance: Option<HaltState>,
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
        let parking = Parking::new(
            nats.clone(),
            settings.dead_letter_stream.clone(),
            settings.dead_letter_prefix(),
        );
        let mut parks = Vec::new();
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
            parks.push(crate::sales::PROJECTION);
            Some(SalesProjector::new(
                store,
                nats.clone(),
                parking.clone(),
                SalesConfig::from(&settings),
                ProjectorMetrics::register(&metrics, "sales_projector"),
            ))
        } else {
            None
        };
        let profiles = wants(Component::Profiles).then(|| {
            parks.push(crate::profiles::PROJECTION);
            ProfilesProjector::new(
                pool.clone(),
                nats.clone(),
                parking.clone(),
                ProfilesConfig::from(&settings),
                ProjectorMetrics::register(&metrics, "profiles_projector"),
            )
        });
        let halt = wants(Component::Finance).then(|| HaltState::register(&metrics));
        let finance = halt.clone().map(|halt| {
            FinanceProjector::new(
                pool.clone(),
                nats.clone(),
                FinanceConfig::from(&settings),
                ProjectorMetrics::register(&metrics, "finance_projector"),
                halt,
            )
        });
        let (port, server) = platform::http::probe_server(
            &settings.addr,
            Probes {
                pool,
                nats,
                mongo,
                parking,
                parks,
                finance: halt,
            },
            ready,
            metrics,
            platform::openapi::probe_document("Astro Bookings projectors"),
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
/// (when a component writes to it): 200 `ready`, else 503 `unavailable`.
/// A finance projection halted at an event it cannot apply is 503
/// `halted`, with the position and the error under `finance`; events
/// parked by this process's projections are 200 `degraded`, counted by
/// projection under `parked` (it works, but something needs IT).
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
    let parked = if nats && !probes.parks.is_empty() {
        probes.parking.counts(&probes.parks).await.ok()
    } else {
        None
    };
    let halt = probes.finance.as_ref().and_then(HaltState::current);
    let up = |ok: bool| if ok { "up" } else { "down" };
    let all = database && nats && mongo.unwrap_or(true);
    let status = if !all {
        "unavailable"
    } else if halt.is_some() {
        "halted"
    } else if parked.as_ref().is_some_and(|p| !p.is_empty()) {
        "degraded"
    } else {
        "ready"
    };
    let mut body = serde_json::json!({
        "status": status,
        "database": up(database),
        "nats": up(nats),
    });
    if let Some(mongo) = mongo {
        body["mongo"] = up(mongo).into();
    }
    if let Some(parked) = parked.filter(|p| !p.is_empty()) {
        body["parked"] = serde_json::json!(parked);
    }
    if let Some(halt) = halt {
        body["finance"] = serde_json::json!(halt);
    }
    if matches!(status, "ready" | "degraded") {
        HttpResponse::Ok().json(body)
    } else {
        HttpResponse::ServiceUnavailable().json(body)
    }
}
