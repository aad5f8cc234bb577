//! The IT endpoints (`/v1/ops/*`): fixtures. Each test gets a query API
//! whose MongoDB `core` is a fresh `core_test_<uuid>` database (with the
//! indexes the log shipper and the notifier create, created here before
//! any write; dropped at the end), into which the tests write log entries
//! and notifications directly, as the shipper and the notifier would; the
//! event log tests also get a fresh PostgreSQL database (see `finance`).

mod auth;
mod control_characters;
mod events;
mod logs;
mod notifications;
mod parked;
mod status;

use std::time::Duration;

use bson::Document;
use chrono::{DateTime, SubsecRound, Utc};
use mongodb::Database;
use platform::{Department, Role};
use query_api::Settings;
use read_models::core_db::{self, LogDoc, NotificationDoc, NotificationStatus};
use sqlx::PgPool;
use uuid::Uuid;

use crate::finance::spawn_finance_app_with;
use crate::helpers::{mongodb_uri, spawn_app_with, ApiResponse, TestApp};

/// The IT department.
pub const IT: Role = Role::Employee(Department::It);

/// A query API with a `core` database of its own.
pub struct OpsApp {
    /// The running API.
    pub app: TestApp,
    /// The test's `core` database.
    pub core: Database,
    /// The test's PostgreSQL database, when asked for.
    pub pool: Option<PgPool>,
    /// An IT employee's token.
    pub it: String,
}

/// An ops app with the default test settings.
pub async fn spawn_ops_app() -> OpsApp {
    spawn_ops_app_with(false, |_| {}).await
}

/// An ops app (with a PostgreSQL database of its own when `store`), with
/// settings adjusted by `configure`.
pub async fn spawn_ops_app_with(store: bool, configure: impl FnOnce(&mut Settings)) -> OpsApp {
    let name = format!("core_test_{}", Uuid::new_v4().simple());
    let core = read_models::mongo::client(&mongodb_uri(), "query-api-tests")
        .await
        .expect("a MongoDB client")
        .database(&name);
    // As the shipper and the notifier do before they write (never
    // concurrently with inserts: SecantusDB deadlocks on that).
    core.collection::<Document>(core_db::LOGS)
        .create_indexes(core_db::log_indexes(30 * 86_400))
        .await
        .expect("creating the logs' indexes");
    core.collection::<Document>(core_db::NOTIFICATIONS)
        .create_indexes(core_db::notification_indexes())
        .await
        .expect("creating the notifications' indexes");
    // A dead-letter stream of its own (none until a test creates it), so
    // that what other runs parked on this NATS never shows here.
    let id = Uuid::new_v4().simple().to_string();
    let set_core = |settings: &mut Settings| {
        settings.ops.core_database = name.clone();
        settings.ops.dead_letter_stream = format!("OPS_DL_{id}");
        settings.ops.dead_letter_prefix = format!("ops-ev-{id}-dead");
    };
    let (app, pool) = if store {
        let f = spawn_finance_app_with(|settings| {
            set_core(settings);
            configure(settings);
        })
        .await;
        (f.app, Some(f.pool))
    } else {
        let app = spawn_app_with(|settings| {
            set_core(settings);
            configure(settings);
        })
        .await;
        (app, None)
    };
    let (_, it) = app.token(IT);
    OpsApp {
        app,
        core,
        pool,
        it,
    }
}

impl Drop for OpsApp {
    /// Drops the test's `core` database, best-effort (see `TestApp`).
    fn drop(&mut self) {
        crate::helpers::drop_database_blocking(self.core.name().to_owned());
    }
}

impl OpsApp {
    /// `GET path` as IT.
    pub async fn get(&self, path: &str) -> ApiResponse {
        self.app.get_with(path, Some(&self.it), &[]).await
    }

    /// `POST path` (no body) with an optional token.
    pub async fn post(&self, path: &str, token: Option<&str>) -> ApiResponse {
        let mut request = self.app.client.post(format!("{}{path}", self.app.address));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        ApiResponse::read(request.send().await.expect("sending a request")).await
    }

    /// Inserts log entries, as the shipper does (one batch).
    pub async fn logs(&self, entries: &[LogDoc]) {
        self.core
            .collection::<LogDoc>(core_db::LOGS)
            .insert_many(entries)
            .await
            .expect("inserting log entries");
    }

    /// Inserts notifications, as the notifier does.
    pub async fn notifications(&self, notifications: &[NotificationDoc]) {
        self.core
            .collection::<NotificationDoc>(core_db::NOTIFICATIONS)
            .insert_many(notifications)
            .await
            .expect("inserting notifications");
    }

    /// The stored notification `id`.
    pub async fn stored(&self, id: &str) -> NotificationDoc {
        self.core
            .collection::<NotificationDoc>(core_db::NOTIFICATIONS)
            .find_one(bson::doc! { "_id": id })
            .await
            .expect("reading a notification")
            .expect("a stored notification")
    }

    /// The test's PostgreSQL pool.
    pub fn pool(&self) -> &PgPool {
        self.pool.as_ref().expect("an app spawned with a store")
    }
}

/// Now, at MongoDB's precision.
pub fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(3)
}

/// `seconds` ago.
pub fn ago(seconds: i64) -> DateTime<Utc> {
    now() - chrono::Duration::seconds(seconds)
}

/// A BSON date.
pub fn bson_time(at: DateTime<Utc>) -> bson::DateTime {
    bson::DateTime::from_chrono(at)
}

/// A log entry of `service` at `level`, logged at `time`.
pub fn log(time: DateTime<Utc>, level: &str, service: &str, message: &str) -> LogDoc {
    LogDoc {
        time: bson_time(time),
        level: level.into(),
        service: service.into(),
        instance: "test-host:1".into(),
        target: format!("{}::routes", service.replace('-', "_")),
        message: message.into(),
        fields: bson::doc! { "status": 200, "elapsed_ms": 1.5 },
        request_id: None,
        correlation_id: None,
        user_id: None,
    }
}

/// A notification to `recipient` in `status`, created at `created_at`
/// (updated then too).
pub fn notification(
    recipient: &str,
    status: NotificationStatus,
    created_at: DateTime<Utc>,
) -> NotificationDoc {
    let event_id = Uuid::now_v7();
    NotificationDoc {
        id: core_db::notification_id(&event_id, recipient),
        event_id: event_id.to_string(),
        event_type: "SeatsBooked".into(),
        kind: core_db::NotificationKind::BookingConfirmed,
        correlation_id: format!("corr-{}", Uuid::new_v4().simple()),
        launch_id: Uuid::now_v7().to_string(),
        booking_id: Some(Uuid::now_v7().to_string()),
        recipient: recipient.to_lowercase(),
        recipient_name: "Ada Lovelace".into(),
        recipient_role: core_db::RecipientRole::Traveler,
        subject: "Your seats are booked".into(),
        text: "Dear Ada, your seats are booked.".into(),
        html: "<p>Dear Ada, your seats are booked.</p>".into(),
        status,
        attempts: 0,
        last_error: None,
        created_at: bson_time(created_at),
        updated_at: bson_time(created_at),
        next_attempt_at: None,
        locked_until: None,
        holder: None,
        sent_at: None,
        dead_at: None,
        requeued: 0,
    }
}

/// How long a test waits for something asynchronous.
pub const PATIENCE: Duration = Duration::from_secs(10);
