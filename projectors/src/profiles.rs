//! The profiles projector: users' profiles as rows in Postgres (`travelers`,
//! `agencies`, `employees`), from two JetStream feeds:
//!
//! - the auth service's user messages (stream `ASTRO_USERS`):
//!   `UserRegistered` and `EmployeeCreated` create the row;
//! - the `Profile` aggregate's events (`<prefix>.Profile.>` on the events
//!   stream): `ProfileUpdated` replaces the profile.
//!
//! Each feed has its own durable consumer with explicit acks. Applying is
//! idempotent, in any order: a registration never overwrites a profile
//! changed since (it sets only the email and the registration time), and a
//! change applies only over a lower `profile_version`, so a redelivery,
//! a replay or a late event changes nothing. A Postgres outage nacks with a
//! growing delay, forever; a message that cannot be read, or whose row
//! Postgres refuses (a data or constraint error: retrying cannot help), is
//! parked after `DEAD_LETTER_AFTER` deliveries (see [`crate::parking`]) and
//! the feed goes on.

use std::time::Duration;

use async_nats::jetstream::consumer::{pull, DeliverPolicy};
use async_nats::jetstream::message::AckKind;
use async_nats::jetstream::{self, stream, Message};
use chrono::{DateTime, Utc};
use events::user::{Profile, UserEvent, UserMessage};
use events::{Envelope, ProfileEvent};
use futures::StreamExt;
use sqlx::PgPool;
use tokio::sync::watch;
use uuid::Uuid;

use crate::consume;
use crate::metrics::ProjectorMetrics;
use crate::parking::{self, Parking};
use crate::pg_text::storable;
use crate::relay::events_stream_config;
use crate::settings::Settings;

const INITIAL_BACKOFF: Duration = Duration::from_millis(100);

/// The name the profiles projector parks messages under.
pub const PROJECTION: &str = "profiles";

/// What the profiles projector is configured with.
#[derive(Debug, Clone)]
pub struct ProfilesConfig {
    /// The events stream (created idempotently, as the relay does).
    pub events_stream: stream::Config,
    /// `<prefix>.Profile.>`.
    pub events_filter: String,
    /// The durable consumer on the events stream.
    pub events_consumer: String,
    /// The user messages stream.
    pub users_stream: stream::Config,
    /// The durable consumer on the user messages stream.
    pub users_consumer: String,
    /// Redelivery wait for an unacknowledged message.
    pub ack_wait: Duration,
    /// Deliveries of a message that cannot be applied before it is parked.
    pub dead_letter_after: i64,
    /// Longest pause between retries.
    pub max_backoff: Duration,
}

impl From<&Settings> for ProfilesConfig {
    fn from(settings: &Settings) -> Self {
        Self {
            events_stream: events_stream_config(settings),
            events_filter: format!("{}.Profile.>", settings.subject_prefix),
            events_consumer: settings.profiles_consumer.clone(),
            users_stream: users_stream_config(
                &settings.users_stream,
                &settings.users_subject_prefix,
            ),
            users_consumer: format!("{}-users", settings.profiles_consumer),
            ack_wait: settings.sales_ack_wait,
            dead_letter_after: settings.dead_letter_after,
            max_backoff: settings.max_backoff,
        }
    }
}

/// The user messages stream as the auth service creates it: every user
/// message kept (limits retention, no age limit), duplicates dropped for
/// two minutes. Its subjects are `<prefix>.>` (`astro.users.>`, see
/// [`events::user::ALL_USERS`]).
pub fn users_stream_config(name: &str, subject_prefix: &str) -> stream::Config {
    stream::Config {
        name: name.to_owned(),
        subjects: vec![format!("{subject_prefix}.>")],
        retention: stream::RetentionPolicy::Limits,
        storage: stream::StorageType::File,
        duplicate_window: Duration::from_secs(120),
        ..Default::default()
    }
}

/// One change to a profile row.
#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    /// A user registered, or an employee was created.
    Registered {
        /// The user.
        user_id: Uuid,
        /// Their normalized email.
        email: String,
        /// The profile they registered with.
        profile: Profile,
        /// An employee's department.
        department: Option<String>,
        /// Who created an employee.
        created_by: Option<Uuid>,
        /// When.
        at: DateTime<Utc>,
    },
    /// A user replaced their profile.
    Updated {
        /// The user.
        user_id: Uuid,
        /// The `Profile` aggregate's sequence of the event.
        version: i64,
        /// The profile as it now stands.
        profile: Profile,
        /// When.
        at: DateTime<Utc>,
    },
}

/// Reads a user message.
pub fn decode_user(payload: &[u8]) -> Result<Change, String> {
    let message: UserMessage =
        serde_json::from_slice(payload).map_err(|e| format!("unreadable user message: {e}"))?;
    Ok(match message.event {
        UserEvent::UserRegistered(e) => Change::Registered {
            user_id: e.user_id,
            email: e.email,
            profile: e.profile,
            department: None,
            created_by: None,
            at: message.occurred_at,
        },
        UserEvent::EmployeeCreated(e) => Change::Registered {
            user_id: e.user_id,
            email: e.email,
            profile: e.profile,
            department: Some(e.department),
            created_by: e.created_by,
            at: message.occurred_at,
        },
    })
}

/// Reads a `Profile` event published by the relay.
pub fn decode_profile_event(payload: &[u8]) -> Result<Change, String> {
    let envelope: Envelope<serde_json::Value> =
        serde_json::from_slice(payload).map_err(|e| format!("unreadable envelope: {e}"))?;
    if envelope.aggregate_type != "Profile" {
        return Err(format!("not a profile event: {}", envelope.aggregate_type));
    }
    let event: ProfileEvent = serde_json::from_value(envelope.payload)
        .map_err(|e| format!("{} {}: {e}", envelope.event_type, envelope.event_version))?;
    let ProfileEvent::ProfileUpdated(updated) = event;
    Ok(Change::Updated {
        user_id: updated.user_id,
        version: envelope.sequence as i64,
        profile: updated.profile,
        at: envelope.metadata.occurred_at,
    })
}

/// Applies one change; idempotent.
pub async fn apply(pool: &PgPool, change: &Change) -> Result<(), sqlx::Error> {
    match change {
        Change::Registered {
            user_id,
            email,
            profile,
            department,
            created_by,
            at,
        } => {
            register(
                pool,
                *user_id,
                email,
                profile,
                department.as_deref(),
                *created_by,
                *at,
            )
            .await
        }
        Change::Updated {
            user_id,
            version,
            profile,
            at,
        } => update(pool, *user_id, *version, profile, *at).await,
    }
}

/// Creates the row with the registered profile, or, when a profile change
/// got there first, adds only the email and the registration time.
async fn register(
    pool: &PgPool,
    user_id: Uuid,
    email: &str,
    profile: &Profile,
    department: Option<&str>,
    created_by: Option<Uuid>,
    at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    let table = table_of(profile);
    let (columns, values) = profile_columns(profile);
    let mut names = vec![
        "user_id",
        "email",
        "registered_at",
        "profile_version",
        "updated_at",
    ];
    names.extend(columns.iter().copied());
    let mut extra = String::new();
    if table == "employees" {
        names.extend(["department", "created_by"]);
        extra = "department = COALESCE(EXCLUDED.department, employees.department), \
                 created_by = COALESCE(EXCLUDED.created_by, employees.created_by), "
            .into();
    }
    let placeholders: Vec<String> = (1..=names.len()).map(|i| format!("${i}")).collect();
    let sql = format!(
        "INSERT INTO {table} ({}) VALUES ({}) ON CONFLICT (user_id) DO UPDATE SET \
         {extra}email = EXCLUDED.email, registered_at = EXCLUDED.registered_at",
        names.join(", "),
        placeholders.join(", "),
    );
    let mut query = sqlx::query(&sql)
        .bind(user_id)
        .bind(storable(email).into_owned())
        .bind(at)
        .bind(0_i64)
        .bind(at);
    for value in values {
        query = value.bind_to(query);
    }
    if table == "employees" {
        query = query.bind(department).bind(created_by);
    }
    query.execute(pool).await?;
    Ok(())
}

/// Replaces the profile when `version` is newer than the row's; creates
/// the row (without email yet) when the registration has not arrived.
async fn update(
    pool: &PgPool,
    user_id: Uuid,
    version: i64,
    profile: &Profile,
    at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    let table = table_of(profile);
    let (columns, values) = profile_columns(profile);
    let mut names = vec!["user_id", "profile_version", "updated_at"];
    names.extend(columns.iter().copied());
    let placeholders: Vec<String> = (1..=names.len()).map(|i| format!("${i}")).collect();
    let sets: Vec<String> = names[1..]
        .iter()
        .map(|name| format!("{name} = EXCLUDED.{name}"))
        .collect();
    let sql = format!(
        "INSERT INTO {table} ({}) VALUES ({}) ON CONFLICT (user_id) DO UPDATE SET {} \
         WHERE {table}.profile_version < EXCLUDED.profile_version",
        names.join(", "),
        placeholders.join(", "),
        sets.join(", "),
    );
    let mut query = sqlx::query(&sql).bind(user_id).bind(version).bind(at);
    for value in values {
        query = value.bind_to(query);
    }
    query.execute(pool).await?;
    Ok(())
}

/// The table of a profile's kind.
fn table_of(profile: &Profile) -> &'static str {
    match profile {
        Profile::Traveler(_) => "travelers",
        Profile::Agency(_) => "agencies",
        Profile::Employee(_) => "employees",
    }
}

/// A bindable column value.
enum Value {
    Text(String),
    OptionalText(Option<String>),
    Date(chrono::NaiveDate),
}

type PgQuery<'q> = sqlx::query::Query<'q, sqlx::Postgres, sqlx::postgres::PgArguments>;

impl Value {
    /// Binds the value; text as [`storable`], so that an old event with a
    /// NUL is stored rather than refused.
    fn bind_to(self, query: PgQuery<'_>) -> PgQuery<'_> {
        match self {
            Self::Text(text) => query.bind(storable(&text).into_owned()),
            Self::OptionalText(text) => query.bind(text.map(|t| storable(&t).into_owned())),
            Self::Date(date) => query.bind(date),
        }
    }
}

/// The profile's own columns and their values, in the same order.
fn profile_columns(profile: &Profile) -> (Vec<&'static str>, Vec<Value>) {
    use Value::{Date, OptionalText, Text};
    match profile {
        Profile::Traveler(p) => (
            vec!["full_name", "birth_date"],
            vec![Text(p.full_name.clone()), Date(p.birth_date)],
        ),
        Profile::Employee(p) => (vec!["full_name"], vec![Text(p.full_name.clone())]),
        Profile::Agency(p) => (
            vec![
                "legal_name",
                "tax_id",
                "address_line1",
                "address_line2",
                "city",
                "postal_code",
                "country",
                "contact_name",
                "contact_email",
                "contact_phone",
            ],
            vec![
                Text(p.legal_name.clone()),
                Text(p.tax_id.clone()),
                Text(p.address.line1.clone()),
                OptionalText(p.address.line2.clone()),
                Text(p.address.city.clone()),
                Text(p.address.postal_code.clone()),
                Text(p.address.country.clone()),
                Text(p.contact.name.clone()),
                Text(p.contact.email.clone()),
                Text(p.contact.phone.clone()),
            ],
        ),
    }
}

/// Which feed a loop follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Feed {
    Users,
    Events,
}

/// The running projector.
pub struct ProfilesProjector {
    pool: PgPool,
    jetstream: jetstream::Context,
    parking: Parking,
    config: ProfilesConfig,
    metrics: ProjectorMetrics,
}

impl ProfilesProjector {
    /// A projector writing through `pool`, parking what it cannot apply
    /// with `parking`.
    pub fn new(
        pool: PgPool,
        client: async_nats::Client,
        parking: Parking,
        config: ProfilesConfig,
        metrics: ProjectorMetrics,
    ) -> Self {
        Self {
            pool,
            jetstream: jetstream::new(client),
            parking,
            config,
            metrics,
        }
    }

    /// Projects both feeds until `shutdown` turns true.
    pub async fn run(&self, shutdown: watch::Receiver<bool>) {
        tokio::join!(
            self.follow(Feed::Users, shutdown.clone()),
            self.follow(Feed::Events, shutdown)
        );
    }

    /// The durable consumer of a feed, and its stream.
    async fn prepare(&self, feed: Feed) -> anyhow::Result<pull::Stream> {
        let (stream, name, filter, description) = match feed {
            Feed::Users => (
                self.config.users_stream.clone(),
                self.config.users_consumer.clone(),
                String::new(),
                "profiles (Postgres) from user registrations",
            ),
            Feed::Events => (
                self.config.events_stream.clone(),
                self.config.events_consumer.clone(),
                self.config.events_filter.clone(),
                "profiles (Postgres) from profile changes",
            ),
        };
        let consumer = consume::durable(
            &name,
            description,
            filter,
            self.config.ack_wait,
            DeliverPolicy::All,
        );
        self.parking.ensure_stream().await?;
        consume::subscribe(&self.jetstream, stream, consumer, None).await
    }

    async fn follow(&self, feed: Feed, mut shutdown: watch::Receiver<bool>) {
        let mut backoff = INITIAL_BACKOFF;
        while !*shutdown.borrow() && shutdown.has_changed().is_ok() {
            let mut messages = match self.prepare(feed).await {
                Ok(messages) => {
                    backoff = INITIAL_BACKOFF;
                    messages
                }
                Err(error) => {
                    tracing::warn!(%error, ?feed, "profiles: cannot consume; retrying");
                    tokio::select! {
                        () = tokio::time::sleep(backoff) => {}
                        _ = shutdown.changed() => {}
                    }
                    backoff = (backoff * 2).min(self.config.max_backoff);
                    continue;
                }
            };
            loop {
                tokio::select! {
                    _ = shutdown.changed() => break,
                    next = messages.next() => match next {
                        Some(Ok(message)) => self.handle(feed, message).await,
                        Some(Err(error)) => {
                            tracing::warn!(%error, ?feed, "profiles: consuming failed; resubscribing");
                            break;
                        }
                        None => break,
                    },
                }
            }
        }
    }

    async fn handle(&self, feed: Feed, message: Message) {
        let delivered = message.info().map_or(1, |info| info.delivered);
        let change = match feed {
            Feed::Users => decode_user(&message.payload),
            Feed::Events => decode_profile_event(&message.payload),
        };
        let change = match change {
            Ok(change) => change,
            Err(reason) if delivered >= self.config.dead_letter_after => {
                self.park(&message, &format!("unreadable: {reason}"), delivered)
                    .await;
                return;
            }
            Err(reason) => {
                tracing::warn!(reason, subject = %message.subject, delivered,
                    "profiles: unreadable message; will retry");
                self.metrics.events.with_label_values(&["retried"]).inc();
                ack(&message, AckKind::Nak(Some(self.delay(delivered)))).await;
                return;
            }
        };
        match apply(&self.pool, &change).await {
            Ok(()) => {
                self.metrics.events.with_label_values(&["applied"]).inc();
                ack(&message, AckKind::Ack).await;
            }
            Err(error)
                if !parking::is_unavailable(&error)
                    && delivered >= self.config.dead_letter_after =>
            {
                self.park(
                    &message,
                    &format!("refused by Postgres: {error}"),
                    delivered,
                )
                .await;
            }
            Err(error) => {
                tracing::warn!(%error, delivered, "profiles: writing failed; will retry");
                self.metrics.events.with_label_values(&["retried"]).inc();
                ack(&message, AckKind::Nak(Some(self.delay(delivered)))).await;
            }
        }
    }

    /// Parks `message` and terminates it; if parking fails it is nacked,
    /// and parked on a later delivery.
    async fn park(&self, message: &Message, reason: &str, delivered: i64) {
        // Both feeds' subjects end with the user's id.
        let key = message.subject.as_str().rsplit('.').next();
        match self
            .parking
            .park(PROJECTION, key, message, reason, delivered)
            .await
        {
            Ok(subject) => {
                tracing::error!(reason, %subject, original = %message.subject, delivered,
                    "profiles: gave up on a message: parked for IT (GET /v1/ops/parked)");
                self.metrics
                    .events
                    .with_label_values(&["dead_lettered"])
                    .inc();
                ack(message, AckKind::Term).await;
            }
            Err(error) => {
                tracing::warn!(%error, "parking a message failed; will retry");
                ack(message, AckKind::Nak(Some(self.config.max_backoff))).await;
            }
        }
    }

    /// 100 ms doubling with each delivery, at most `max_backoff`.
    fn delay(&self, delivered: i64) -> Duration {
        let exponent = (delivered.max(1) - 1).min(16) as u32;
        (INITIAL_BACKOFF * 2_u32.pow(exponent)).min(self.config.max_backoff)
    }
}

/// Acknowledges; a lost acknowledgement only means a harmless redelivery.
async fn ack(message: &Message, kind: AckKind) {
    if let Err(error) = message.ack_with(kind).await {
        tracing::warn!(%error, "acknowledging a message failed; it will be redelivered");
    }
}
