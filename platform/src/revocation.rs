//! Token revocation that every service honours without calling the auth
//! service.
//!
//! When a user logs out, the auth service publishes a [`Revocation`] (the
//! token's revocation id and its expiry) to the JetStream stream
//! [`REVOCATIONS_STREAM`]. Every service that verifies tokens runs
//! [`follow`], which replays the stream from its start and then follows it
//! into an in-memory [`RevocationList`] that its [`crate::auth::TokenVerifier`]
//! consults on every request: a hash-set lookup, no I/O. The stream keeps
//! messages for [`REVOCATION_RETENTION`], longer than any token lives, so a
//! service started after a logout still learns of it; entries are forgotten
//! once the token they name has expired anyway.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, SystemTime};

use async_nats::jetstream::{self, consumer, stream};
use chrono::{DateTime, Utc};
use futures::StreamExt;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The JetStream stream of revocations.
pub const REVOCATIONS_STREAM: &str = "ASTRO_REVOCATIONS";
/// The subject revocations are published on.
pub const REVOCATIONS_SUBJECT: &str = "astro.auth.revoked";
/// How long the stream keeps a revocation: longer than any token's life.
pub const REVOCATION_RETENTION: Duration = Duration::from_secs(24 * 3600);

/// One revoked token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Revocation {
    /// The token's revocation id (hex), from its authority block.
    pub revocation_id: String,
    /// The user whose token it was.
    pub user_id: Uuid,
    /// When the token expires; after that the entry is useless.
    pub expires_at: DateTime<Utc>,
}

/// The revoked tokens a verifier knows of, shared by every worker.
#[derive(Debug, Clone, Default)]
pub struct RevocationList {
    inner: Arc<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    revoked: RwLock<HashMap<String, SystemTime>>,
    synced: AtomicBool,
}

impl RevocationList {
    /// An empty list, not yet synced.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty list that counts as synced: for tools and tests that verify
    /// tokens without following the stream.
    pub fn synced_empty() -> Self {
        let list = Self::new();
        list.mark_synced();
        list
    }

    /// Records a revocation; expired entries are dropped on the way.
    pub fn revoke(&self, revocation_id: &str, expires_at: SystemTime) {
        let now = SystemTime::now();
        if let Ok(mut revoked) = self.inner.revoked.write() {
            if revoked.len() >= 1024 && revoked.len().is_power_of_two() {
                revoked.retain(|_, until| *until > now);
            }
            if expires_at > now {
                revoked.insert(revocation_id.to_owned(), expires_at);
            }
        }
    }

    /// Whether the token with this revocation id was revoked.
    pub fn is_revoked(&self, revocation_id: &str) -> bool {
        self.inner
            .revoked
            .read()
            .map(|revoked| revoked.contains_key(revocation_id))
            // A poisoned lock means a writer panicked: refuse rather than
            // risk honouring a revoked token.
            .unwrap_or(true)
    }

    /// Whether the list has caught up with the stream once since start-up.
    /// Services report it on `/ready`.
    pub fn is_synced(&self) -> bool {
        self.inner.synced.load(Ordering::Acquire)
    }

    fn mark_synced(&self) {
        self.inner.synced.store(true, Ordering::Release);
    }

    /// How many live revocations are held.
    pub fn len(&self) -> usize {
        self.inner.revoked.read().map(|r| r.len()).unwrap_or(0)
    }

    /// Whether no revocation is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Creates the revocations stream if it does not exist (idempotent).
pub async fn ensure_stream(jetstream: &jetstream::Context) -> anyhow::Result<stream::Stream> {
    let stream = jetstream
        .get_or_create_stream(stream::Config {
            name: REVOCATIONS_STREAM.to_owned(),
            subjects: vec![REVOCATIONS_SUBJECT.to_owned()],
            retention: stream::RetentionPolicy::Limits,
            max_age: REVOCATION_RETENTION,
            storage: stream::StorageType::File,
            duplicate_window: Duration::from_secs(120),
            ..Default::default()
        })
        .await
        .map_err(|e| anyhow::anyhow!("cannot create the stream {REVOCATIONS_STREAM}: {e}"))?;
    Ok(stream)
}

/// Publishes a revocation and waits for JetStream to store it. The message
/// id is the revocation id, so a retried publish is deduplicated.
pub async fn publish(
    jetstream: &jetstream::Context,
    revocation: &Revocation,
) -> anyhow::Result<()> {
    let payload = serde_json::to_vec(revocation)?;
    let mut headers = async_nats::HeaderMap::new();
    headers.insert("Nats-Msg-Id", revocation.revocation_id.as_str());
    jetstream
        .publish_with_headers(REVOCATIONS_SUBJECT, headers, payload.into())
        .await
        .map_err(|e| anyhow::anyhow!("cannot publish a revocation: {e}"))?
        .await
        .map_err(|e| anyhow::anyhow!("a revocation was not stored: {e}"))?;
    Ok(())
}

/// Connects to NATS at `nats_url` (in the background: a service starts while
/// NATS is still coming up) and follows the revocations stream into a new
/// list, on the current runtime. The list reports [`RevocationList::is_synced`]
/// once it has caught up; services gate `/ready` on it.
pub async fn start_following(nats_url: &str, app_name: &str) -> anyhow::Result<RevocationList> {
    let client = async_nats::ConnectOptions::new()
        .name(format!("{app_name}-revocations"))
        .retry_on_initial_connect()
        .connect(nats_url)
        .await
        .map_err(|e| anyhow::anyhow!("NATS_URL {nats_url}: {e}"))?;
    let list = RevocationList::new();
    tokio::spawn(follow(client, list.clone()));
    Ok(list)
}

/// Follows the revocations stream into `list` until the process ends:
/// replays it from the start, marks the list synced once it has read what
/// the stream held when it began, then applies new revocations as they come.
/// Reconnects with a growing delay when NATS goes away.
pub async fn follow(client: async_nats::Client, list: RevocationList) {
    let jetstream = jetstream::new(client);
    let mut delay = Duration::from_millis(200);
    loop {
        match follow_once(&jetstream, &list).await {
            Ok(()) => tracing::warn!("the revocations feed ended; resubscribing"),
            Err(error) => tracing::warn!(
                error = %error,
                retry_in_ms = delay.as_millis() as u64,
                "cannot follow token revocations"
            ),
        }
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(Duration::from_secs(10));
    }
}

async fn follow_once(jetstream: &jetstream::Context, list: &RevocationList) -> anyhow::Result<()> {
    let mut stream = ensure_stream(jetstream).await?;
    let last = stream.info().await?.state.last_sequence;
    if last == 0 {
        list.mark_synced();
    }
    let consumer = stream
        .create_consumer(consumer::pull::OrderedConfig {
            deliver_policy: consumer::DeliverPolicy::All,
            ..Default::default()
        })
        .await?;
    let mut messages = consumer.messages().await?;
    while let Some(message) = messages.next().await {
        let message = message?;
        match serde_json::from_slice::<Revocation>(&message.payload) {
            Ok(revocation) => list.revoke(
                &revocation.revocation_id,
                SystemTime::from(revocation.expires_at),
            ),
            Err(error) => tracing::error!(error = %error, "unreadable revocation skipped"),
        }
        if !list.is_synced() {
            let sequence = message.info().map(|i| i.stream_sequence).unwrap_or(0);
            if sequence >= last {
                list.mark_synced();
                tracing::info!(revoked = list.len(), "token revocations synced");
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_revoked_id_is_known_until_its_token_expires() {
        let list = RevocationList::new();
        list.revoke("abc", SystemTime::now() + Duration::from_secs(60));
        list.revoke("old", SystemTime::now() - Duration::from_secs(1));
        assert!(list.is_revoked("abc"));
        assert!(!list.is_revoked("old"), "an expired token needs no entry");
        assert!(!list.is_revoked("other"));
        assert_eq!(list.len(), 1);
    }

    #[test]
    fn a_list_is_synced_only_once_told() {
        assert!(!RevocationList::new().is_synced());
        assert!(RevocationList::synced_empty().is_synced());
    }

    #[test]
    fn a_revocation_has_a_stable_json_shape() {
        let revocation = Revocation {
            revocation_id: "ab12".into(),
            user_id: Uuid::nil(),
            expires_at: DateTime::parse_from_rfc3339("2026-11-25T10:15:00Z")
                .unwrap()
                .with_timezone(&Utc),
        };
        let json = serde_json::to_value(&revocation).unwrap();
        assert_eq!(json["revocation_id"], "ab12");
        assert_eq!(json["expires_at"], "2026-11-25T10:15:00Z");
        assert_eq!(
            serde_json::from_value::<Revocation>(json).unwrap(),
            revocation
        );
    }
}
