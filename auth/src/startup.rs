//! Builds the application: MongoDB and NATS clients, the hasher and token
//! keys, the background tasks (initialization, revocations, outbox), and
//! the HTTP server.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::Server;
use actix_web::web;
use anyhow::Context;
use async_nats::jetstream;
use mongodb::{Database, IndexModel};
use platform::http::ServerSettings;
use platform::metrics::Metrics;
use platform::{RevocationList, TokenIssuer, TokenVerifier};
use secrecy::ExposeSecret;
use tokio::sync::Notify;

use crate::accounts::{self, BootstrapAccount};
use crate::metrics::AuthMetrics;
use crate::outbox::{self, Publisher};
use crate::password::Hasher;
use crate::refresh::{self, RefreshStore};
use crate::routes;
use crate::settings::Settings;
use crate::sso::{self, Clients, CodeStore};
use crate::throttle::{self, Throttle};
use crate::users::{UserStore, USERS};

/// What every handler shares.
pub struct AppState {
    /// Users and the outbox.
    pub users: UserStore,
    /// Refresh tokens.
    pub refresh: RefreshStore,
    /// Authorization codes of the single sign-on.
    pub codes: CodeStore,
    /// `AUTH_CLIENTS`.
    pub clients: Clients,
    /// Failed-login counters.
    pub throttle: Throttle,
    /// argon2id, off the executor.
    pub hasher: Hasher,
    /// Signs access tokens.
    pub issuer: TokenIssuer,
    /// Verifies them (with the revocations followed from NATS).
    pub verifier: TokenVerifier,
    /// NATS, for readiness.
    pub nats: async_nats::Client,
    /// JetStream, to publish revocations.
    pub jetstream: jetstream::Context,
    /// The service's metrics.
    pub metrics: AuthMetrics,
    /// `ACCESS_TOKEN_TTL_SECS`.
    pub access_ttl: Duration,
    /// `TRUST_FORWARDED_FOR`.
    pub trust_forwarded_for: bool,
    /// Wakes the outbox publisher after a commit.
    pub outbox_wake: Arc<Notify>,
    /// Set once the indexes exist (and the bootstrap account was handled).
    pub initialized: Arc<AtomicBool>,
}

impl AppState {
    /// Whether the indexes exist, so writes are safe.
    pub fn is_initialized(&self) -> bool {
        self.initialized.load(Ordering::Acquire)
    }
}

/// A built, bound, not yet running auth service.
pub struct Application {
    port: u16,
    server: Server,
}

impl Application {
    /// Prepares the clients (they connect on first use, so the service starts
    /// while MongoDB or NATS are still coming up, and `/ready` says so),
    /// spawns the background tasks and binds the listener. Fails on
    /// configuration errors only.
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let issuer = TokenIssuer::from_private_key_hex(settings.private_key.expose_secret())
            .context("AUTH_PRIVATE_KEY")?;
        let bootstrap = settings
            .bootstrap
            .as_ref()
            .map(BootstrapAccount::from_settings)
            .transpose()?;
        if bootstrap.is_none() {
            tracing::info!("AUTH_BOOTSTRAP_IT_EMAIL is not set: no first IT account is created");
        }
        let client = read_models::mongo::client(settings.mongodb_uri.expose_secret(), "auth")
            .await
            .context("MONGODB_URI is not a valid MongoDB connection string")?;
        let database = client.database(&settings.core_database);
        let nats = async_nats::ConnectOptions::new()
            .name("auth")
            .retry_on_initial_connect()
            .connect(settings.nats_url.as_str())
            .await
            .with_context(|| format!("NATS_URL {}", settings.nats_url))?;
        let (params, max_concurrent) = (settings.argon2, settings.argon2_max_concurrent);
        let hasher = tokio::task::spawn_blocking(move || Hasher::new(params, max_concurrent))
            .await?
            .context("ARGON2_* parameters")?;
        let revocations = RevocationList::new();
        tokio::spawn(platform::revocation::follow(
            nats.clone(),
            revocations.clone(),
        ));
        let verifier = TokenVerifier::from_public_key_hex(&issuer.public_key_hex())
            .context("the public key of AUTH_PRIVATE_KEY")?
            .with_revocations(revocations);
        let metrics = Metrics::new("auth");
        let auth_metrics = AuthMetrics::register(&metrics);
        let jetstream = jetstream::new(nats.clone());
        let outbox_wake = Arc::new(Notify::new());
        let state = web::Data::new(AppState {
            users: UserStore::new(client.clone(), &database),
            refresh: RefreshStore::new(&database, settings.refresh_token_ttl),
            codes: CodeStore::new(&database, settings.code_ttl),
            clients: settings.clients.clone(),
            throttle: Throttle::new(&database, settings.login_limits),
            hasher,
            issuer,
            verifier: verifier.clone(),
            nats,
            jetstream: jetstream.clone(),
            metrics: auth_metrics.clone(),
            access_ttl: settings.access_token_ttl,
            trust_forwarded_for: settings.trust_forwarded_for,
            outbox_wake: outbox_wake.clone(),
            initialized: Arc::new(AtomicBool::new(false)),
        });
        let publisher = Publisher::new(
            &database,
            jetstream,
            outbox::Destination {
                stream: settings.users_stream.clone(),
                subject_prefix: settings.users_subject_prefix.clone(),
            },
            outbox_wake,
            settings.outbox_poll_interval,
            settings.outbox_lease,
            auth_metrics.published,
        );
        tokio::spawn(initialize(state.clone(), database, bootstrap, publisher));
        let server = serve(&settings, state, metrics, verifier)?;
        Ok(server)
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Serves until SIGTERM/SIGINT, then drains in-flight requests.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}

/// Binds the listener and builds the HTTP server.
fn serve(
    settings: &Settings,
    state: web::Data<AppState>,
    metrics: Metrics,
    verifier: TokenVerifier,
) -> anyhow::Result<Application> {
    let (port, server) = platform::http::api_server(
        &ServerSettings {
            addr: settings.addr.clone(),
            workers: settings.http_workers,
            shutdown_timeout_secs: settings.shutdown_timeout_secs,
            max_body_bytes: settings.max_body_bytes,
            cors: settings.cors_allowed_origins.clone(),
        },
        state,
        metrics,
        verifier,
        routes::configure,
    )?;
    Ok(Application { port, server })
}

/// Creates the indexes (before anything writes: SecantusDB must not create
/// indexes concurrently with writes to the same new collection), then the
/// bootstrap IT account, then starts the outbox publisher; retries until
/// MongoDB answers.
async fn initialize(
    state: web::Data<AppState>,
    database: Database,
    bootstrap: Option<BootstrapAccount>,
    publisher: Publisher,
) {
    let mut backoff = Duration::from_millis(200);
    loop {
        match initialize_once(&state, &database, bootstrap.as_ref()).await {
            Ok(()) => {
                state.initialized.store(true, Ordering::Release);
                tracing::info!(database = database.name(), "credentials database ready");
                tokio::spawn(publisher.run());
                return;
            }
            Err(error) => {
                tracing::warn!(error = %format!("{error:#}"), retry_in_ms = backoff.as_millis() as u64, "cannot initialize the credentials database");
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(10));
            }
        }
    }
}

async fn initialize_once(
    state: &AppState,
    database: &Database,
    bootstrap: Option<&BootstrapAccount>,
) -> anyhow::Result<()> {
    let collections: [(&str, Vec<IndexModel>); 5] = [
        (USERS, UserStore::indexes()),
        (outbox::OUTBOX, outbox::indexes()),
        (refresh::COLLECTION, RefreshStore::indexes()),
        (throttle::COLLECTION, Throttle::indexes()),
        (sso::COLLECTION, CodeStore::indexes()),
    ];
    for (name, indexes) in collections {
        database
            .collection::<bson::Document>(name)
            .create_indexes(indexes)
            .await
            .with_context(|| format!("creating the indexes of {name}"))?;
    }
    if let Some(bootstrap) = bootstrap {
        accounts::bootstrap_it(state, bootstrap).await?;
    }
    Ok(())
}
