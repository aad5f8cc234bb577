//! The IT console's reads and its one write (`/v1/ops/*`): the system logs
//! and the notifications in MongoDB `core` ([`logs`], [`notifications`]),
//! the event store in PostgreSQL ([`events`]), the events the consumers
//! parked on the dead-letter stream ([`parked`]) and the state of the whole
//! system ([`status`]). The handlers are in `routes::ops`.

pub mod events;
pub mod logs;
pub mod notifications;
pub mod parked;
pub mod status;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use bson::Document;
use mongodb::{Collection, Database};
use read_models::core_db::{LOGS, NOTIFICATIONS};

use crate::settings::OpsSettings;

/// How many `GET /v1/ops/logs?follow=true` streams one process serves at
/// once (each holds a MongoDB change stream); one more is 503.
pub const MAX_FOLLOWERS: usize = 64;

/// What the IT endpoints share.
#[derive(Debug, Clone)]
pub struct OpsState {
    /// `core.logs`.
    pub logs: Collection<Document>,
    /// `core.notifications`.
    pub notifications: Collection<Document>,
    /// Probes the services' `/ready` (timeout `OPS_PROBE_TIMEOUT_MS`).
    pub http: reqwest::Client,
    /// NATS, for the JetStream consumers' state (connects in the
    /// background; while it is not connected, the status page says so).
    pub nats: async_nats::Client,
    /// The dead-letter stream's parked events (`DEAD_LETTER_STREAM`).
    pub parked: parked::ParkingLot,
    /// The configuration.
    pub settings: OpsSettings,
    followers: Arc<AtomicUsize>,
}

impl OpsState {
    /// The state over the `core` database, an HTTP client and a NATS client.
    pub fn new(
        core: &Database,
        http: reqwest::Client,
        nats: async_nats::Client,
        settings: OpsSettings,
    ) -> Self {
        Self {
            logs: core.collection(LOGS),
            notifications: core.collection(NOTIFICATIONS),
            http,
            parked: parked::ParkingLot::new(
                &nats,
                &settings.dead_letter_stream,
                &settings.dead_letter_prefix,
                settings.probe_timeout,
            ),
            nats,
            settings,
            followers: Arc::new(AtomicUsize::new(0)),
        }
    }

    /// A slot for one more follower, or `None` when [`MAX_FOLLOWERS`] are
    /// streaming. The slot is given back when the guard is dropped.
    pub fn follower_slot(&self) -> Option<FollowerSlot> {
        let taken = self
            .followers
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < MAX_FOLLOWERS).then_some(n + 1)
            });
        taken.ok().map(|_| FollowerSlot(self.followers.clone()))
    }
}

/// One follower's slot (see [`OpsState::follower_slot`]).
#[derive(Debug)]
pub struct FollowerSlot(Arc<AtomicUsize>);

impl Drop for FollowerSlot {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

/// A BSON date as a UTC instant.
pub(crate) fn utc(date: bson::DateTime) -> chrono::DateTime<chrono::Utc> {
    date.to_chrono()
}
