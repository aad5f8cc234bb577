//! Builds the notifier: PostgreSQL pool (event store, profiles), MongoDB
//! (`core.notifications`), NATS (the events, the dead letters), the SMTP
//! mailer, the planner and the sender, and the HTTP server for `/health`,
//! `/ready` and `/metrics`.

use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::Server;
use actix_web::{web, HttpResponse};
use anyhow::Context as _;
use async_nats::jetstream;
use platform::metrics::Metrics;
use platform::shutdown::Workers;
use projectors::parking::Parking;
use secrecy::ExposeSecret;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use tokio::sync::watch;

use crate::consumer::{ConsumerConfig, Planner, PROJECTION};
use crate::context::Context;
use crate::mail::Mailer;
use crate::metrics::NotifierMetrics;
use crate::sender::{Sender, SenderConfig};
use crate::settings::Settings;
use crate::store::{Fresh, NotificationStore};
use crate::templates::Templates;

/// What the HTTP handlers share.
struct Probes {
    pool: sqlx::PgPool,
    store: NotificationStore,
    nats: async_nats::Client,
    mailer: Mailer,
    parking: Parking,
}

/// A built, bound, not yet running notifier.
pub struct Application {
    port: u16,
    server: Server,
    planner: Planner,
    sender: Arc<Sender>,
    store: NotificationStore,
    jetstream: jetstream::Context,
    dead_letters: jetstream::stream::Config,
    stop: Stopper,
}

/// Stops a running [`Application`] as SIGTERM would.
pub use platform::shutdown::Stopper;

impl Application {
    /// Connects (lazily: PostgreSQL, MongoDB, NATS and SMTP may come up
    /// later; `/ready` says which is missing) and binds the listener.
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let options: PgConnectOptions = settings
            .database_url
            .expose_secret()
            .parse()
            .context("DATABASE_URL is not a valid PostgreSQL URL")?;
        let pool = PgPoolOptions::new()
            .max_connections(settings.database_max_connections)
            .acquire_timeout(Duration::from_secs(5))
            .connect_lazy_with(options);
        let mongo = read_models::mongo::client(settings.mongodb_uri.expose_secret(), "notifier")
            .await
            .context("MONGODB_URI is not a valid MongoDB connection string")?;
        let store = NotificationStore::new(&mongo.database(&settings.core_database));
        let nats = async_nats::ConnectOptions::new()
            .name("notifier")
            .retry_on_initial_connect()
            .connect(settings.nats_url.as_str())
            .await
            .with_context(|| format!("NATS_URL {}", settings.nats_url))?;
        let jetstream = jetstream::new(nats.clone());
        let mailer = Mailer::new(
            settings.smtp_url.expose_secret(),
            &settings.smtp_from,
            settings.smtp_timeout,
        )
        .map_err(|reason| anyhow::anyhow!("SMTP_URL or SMTP_FROM: {reason}"))?;
        let metrics = Metrics::new("notifier");
        let notifier_metrics = NotifierMetrics::register(&metrics);
        let fresh = Arc::new(Fresh::default());
        let parking = Parking::new(
            nats.clone(),
            settings.dead_letter_stream.clone(),
            settings.dead_letter_prefix(),
        );
        let planner = Planner::new(
            jetstream.clone(),
            parking.clone(),
            Context::new(pool.clone(), settings.context_cache_size),
            store.clone(),
            Templates::new(&settings.currency, &settings.support_email),
            ConsumerConfig {
                stream: projectors::relay::stream_config(
                    &settings.stream,
                    &settings.subject_prefix,
                    Duration::from_secs(7 * 24 * 3600),
                    Duration::from_secs(120),
                ),
                filter: format!("{}.Launch.>", settings.subject_prefix),
                consumer: settings.consumer.clone(),
                start_from_new: settings.start_from_new,
                ack_wait: settings.ack_wait,
                profile_wait: settings.profile_wait,
                max_backoff: Duration::from_secs(30),
                batch_size: settings.plan_batch,
                dead_letter_after: settings.dead_letter_after,
            },
            Arc::clone(&fresh),
            notifier_metrics.clone(),
        );
        let sender = Arc::new(Sender::new(
            store.clone(),
            mailer.clone(),
            jetstream.clone(),
            SenderConfig {
                max_attempts: settings.max_attempts,
                backoff_base: settings.backoff_base,
                backoff_max: settings.backoff_max,
                concurrency: settings.send_concurrency,
                poll_interval: settings.poll_interval,
                lease: settings.lease,
                dead_letter_prefix: settings.dead_letter_prefix(),
                shutdown_grace: Duration::from_secs(settings.shutdown_timeout_secs),
            },
            fresh,
            notifier_metrics,
        ));
        let dead_letters = parking.stream_config();
        let (port, server) = platform::http::probe_server(
            &settings.addr,
            Probes {
                pool,
                store: store.clone(),
                nats,
                mailer,
                parking,
            },
            ready,
            metrics,
            platform::openapi::probe_document("Astro Bookings notifier"),
            settings.shutdown_timeout_secs,
        )?;
        let stop = Stopper::default();
        Ok(Self {
            port,
            server,
            planner,
            sender,
            store,
            jetstream,
            dead_letters,
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

    /// Plans and sends until SIGTERM/SIGINT (or [`Stopper::stop`]); then
    /// finishes the event in hand and the sends in flight, and stops the
    /// server.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let Self {
            server,
            planner,
            sender,
            store,
            jetstream,
            dead_letters,
            stop,
            ..
        } = self;
        let mut workers = Workers::new(stop);
        workers.spawn("setup", |shutdown| {
            prepare(store, jetstream, dead_letters, shutdown)
        });
        workers.spawn(
            "planner",
            |shutdown| async move { planner.run(shutdown).await },
        );
        workers.spawn("sender", |shutdown| sender.run(shutdown));
        workers.serve(server).await
    }
}

/// Creates the notifications' indexes and the dead-letter stream,
/// retrying until both exist (MongoDB or NATS may be down at start; the
/// planner and the sender work without them meanwhile).
async fn prepare(
    store: NotificationStore,
    jetstream: jetstream::Context,
    dead_letters: jetstream::stream::Config,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut indexes = false;
    let mut stream = false;
    let mut backoff = Duration::from_millis(200);
    loop {
        if *shutdown.borrow() {
            break;
        }
        if !indexes {
            match store.ensure_indexes().await {
                Ok(()) => indexes = true,
                Err(error) => {
                    tracing::warn!(%error, "creating the notifications' indexes failed; will retry")
                }
            }
        }
        if !stream {
            match jetstream.get_or_create_stream(dead_letters.clone()).await {
                Ok(_) => stream = true,
                Err(error) => {
                    tracing::warn!(%error, "creating the dead-letter stream failed; will retry")
                }
            }
        }
        if indexes && stream {
            break;
        }
        tokio::select! {
            () = tokio::time::sleep(backoff) => {}
            _ = shutdown.changed() => {}
        }
        backoff = (backoff * 2).min(Duration::from_secs(10));
    }
}

/// `GET /ready`: PostgreSQL and MongoDB answer and NATS is connected. The
/// SMTP server is reported but does not make the notifier unready: while
/// it is down, events are still planned and sends wait for it. Events the
/// planner parked make it 200 `degraded`, counted under `parked`.
async fn ready(probes: web::Data<Probes>) -> HttpResponse {
    let (database, mongo, smtp) = futures::join!(
        sqlx::query_scalar::<_, i32>("SELECT 1").fetch_one(&probes.pool),
        probes.store.ping(),
        tokio::time::timeout(Duration::from_secs(3), probes.mailer.reachable()),
    );
    let database = database.is_ok();
    let mongo = mongo.is_ok();
    let smtp = smtp.unwrap_or(false);
    let nats = probes.nats.connection_state() == async_nats::connection::State::Connected;
    let parked = if nats {
        probes.parking.counts(&[PROJECTION]).await.ok()
    } else {
        None
    }
    .filter(|parked| !parked.is_empty());
    let up = |ok: bool| if ok { "up" } else { "down" };
    let all = database && mongo && nats;
    let status = match (all, &parked) {
        (false, _) => "unavailable",
        (true, Some(_)) => "degraded",
        (true, None) => "ready",
    };
    let mut body = serde_json::json!({
        "status": status,
        "database": up(database),
        "mongo": up(mongo),
        "nats": up(nats),
        "smtp": up(smtp),
    });
    if let Some(parked) = parked {
        body["parked"] = serde_json::json!(parked);
    }
    if all {
        HttpResponse::Ok().json(body)
    } else {
        HttpResponse::ServiceUnavailable().json(body)
    }
}
