//! The IT console's reads and its one write (`/v1/ops/*`): the system logs
//! and the notifications in MongoDB `core` ([`logs`], [`notifications`]),
//! the followers of the logs ([`follow`]), the event store in PostgreSQL
//! ([`events`]), the events the consumers parked on the dead-letter stream
//! ([`parked`]) and the state of the whole system ([`status`]). The
//! handlers are in `routes::ops`.

pub mod events;
pub mod follow;
pub mod logs;
pub mod notifications;
pub mod parked;
pub mod status;

use std::sync::Arc;

use bson::Document;
use mongodb::{Collection, Database};
use read_models::core_db::{LOGS, NOTIFICATIONS};

use crate::settings::OpsSettings;
use follow::LogHub;

/// What the IT endpoints share.
#[derive(Debug, Clone)]
pub struct OpsState {
    /// `core.logs`.
    pub logs: Collection<Document>,
    /// `core.notifications`.
    pub notifications: Collection<Document>,
    /// The followers of `core.logs` (on a MongoDB client of their own).
    pub follow: Arc<LogHub>,
    /// Probes the services' `/ready` (timeout `OPS_PROBE_TIMEOUT_MS`).
    pub http: reqwest::Client,
    /// NATS, for the JetStream consumers' state (connects in the
    /// background; while it is not connected, the status page says so).
    pub nats: async_nats::Client,
    /// The dead-letter stream's parked events (`DEAD_LETTER_STREAM`).
    pub parked: parked::ParkingLot,
    /// The configuration.
    pub settings: OpsSettings,
}

impl OpsState {
    /// The state over the `core` database, the same database on the
    /// followers' own client (`follow_core`: their change stream never
    /// holds a connection the other reads wait for), an HTTP client and a
    /// NATS client. Within a Tokio runtime (the followers' stream runs on
    /// it).
    pub fn new(
        core: &Database,
        follow_core: &Database,
        http: reqwest::Client,
        nats: async_nats::Client,
        settings: OpsSettings,
    ) -> Self {
        Self {
            logs: core.collection(LOGS),
            notifications: core.collection(NOTIFICATIONS),
            follow: Arc::new(LogHub::new(
                follow_core.collection(LOGS),
                settings.follow_buffer,
                settings.follow_max_followers,
                settings.follow_max_per_user,
            )),
            http,
            parked: parked::ParkingLot::new(
                &nats,
                &settings.dead_letter_stream,
                &settings.dead_letter_prefix,
                settings.probe_timeout,
            ),
            nats,
            settings,
        }
    }
}

/// A BSON date as a UTC instant.
pub(crate) fn utc(date: bson::DateTime) -> chrono::DateTime<chrono::Utc> {
    date.to_chrono()
}
