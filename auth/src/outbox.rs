//! The user outbox: [`UserMessage`]s written in the same transaction as the
//! user (`core.user_outbox`), published to JetStream by a background task.
//!
//! The publisher claims the oldest message whose lease has run out
//! (`findOneAndUpdate`, so replicas never work on the same message at once),
//! publishes it on its subject with `Nats-Msg-Id` = its event id, waits for
//! JetStream's acknowledgement, then deletes it. A publisher that dies after
//! publishing and before deleting leaves the message to be claimed again
//! when its lease ends; JetStream drops the re-publication as a duplicate
//! (its duplicate window, [`DUPLICATE_WINDOW`], outlasts the lease).
//! It is woken right after each commit and also looks every poll interval.

use std::sync::Arc;
use std::time::Duration;

use async_nats::jetstream::{self, stream};
use bson::{doc, DateTime};
use events::user::UserMessage;
use mongodb::options::{IndexOptions, ReturnDocument};
use mongodb::{Collection, Database, IndexModel};
use serde::{Deserialize, Serialize};
use tokio::sync::Notify;
use uuid::Uuid;

/// The outbox collection.
pub const OUTBOX: &str = "user_outbox";

/// How long JetStream remembers a message id to drop a re-publication.
pub const DUPLICATE_WINDOW: Duration = Duration::from_secs(300);

/// Longest pause between attempts after an error.
const MAX_BACKOFF: Duration = Duration::from_secs(10);

/// One message waiting to be published.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutboxDoc {
    /// The event id (also the JetStream message id).
    #[serde(rename = "_id")]
    pub id: String,
    /// Where to publish it.
    pub subject: String,
    /// The serialized [`UserMessage`] (JSON), published as is.
    pub payload: String,
    /// When it was written.
    pub created_at: DateTime,
    /// Until when the replica that claimed it may publish it (epoch: free).
    pub lease_until: DateTime,
    /// The replica that claimed it last.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lease_owner: Option<String>,
    /// How many times it was claimed.
    #[serde(default)]
    pub attempts: i32,
}

impl OutboxDoc {
    /// The outbox entry of `message`, free to be claimed.
    pub fn new(message: &UserMessage) -> serde_json::Result<Self> {
        Ok(Self {
            id: message.message_id(),
            subject: message.subject(),
            payload: serde_json::to_string(message)?,
            created_at: DateTime::now(),
            lease_until: DateTime::from_millis(0),
            lease_owner: None,
            attempts: 0,
        })
    }
}

/// The outbox's index: claims look for expired leases, oldest first.
pub fn indexes() -> Vec<IndexModel> {
    vec![IndexModel::builder()
        .keys(doc! { "lease_until": 1, "created_at": 1 })
        .options(IndexOptions::builder().name("lease".to_owned()).build())
        .build()]
}

/// Where user messages go: the stream `name` (default `ASTRO_USERS`) with
/// subjects `<subject_prefix>.>` (default `astro.users.>`).
#[derive(Debug, Clone)]
pub struct Destination {
    /// The stream's name.
    pub stream: String,
    /// The subjects' prefix; a message goes to `<prefix>.<user id>`.
    pub subject_prefix: String,
}

/// Creates the users stream if it does not exist (idempotent): subjects
/// `<prefix>.>`, limits retention (kept forever: the profiles projection
/// can be rebuilt from it), file storage.
pub async fn ensure_stream(
    jetstream: &jetstream::Context,
    destination: &Destination,
) -> anyhow::Result<stream::Stream> {
    let name = &destination.stream;
    jetstream
        .get_or_create_stream(stream::Config {
            name: name.clone(),
            subjects: vec![format!("{}.>", destination.subject_prefix)],
            retention: stream::RetentionPolicy::Limits,
            storage: stream::StorageType::File,
            duplicate_window: DUPLICATE_WINDOW,
            ..Default::default()
        })
        .await
        .map_err(|e| anyhow::anyhow!("cannot create the stream {name}: {e}"))
}

/// Drains the outbox to JetStream.
#[derive(Debug, Clone)]
pub struct Publisher {
    outbox: Collection<OutboxDoc>,
    jetstream: jetstream::Context,
    destination: Destination,
    wake: Arc<Notify>,
    poll: Duration,
    lease: Duration,
    owner: String,
    published: prometheus::IntCounter,
}

impl Publisher {
    /// A publisher of `database`'s outbox; `wake` is notified after commits.
    pub fn new(
        database: &Database,
        jetstream: jetstream::Context,
        destination: Destination,
        wake: Arc<Notify>,
        poll: Duration,
        lease: Duration,
        published: prometheus::IntCounter,
    ) -> Self {
        Self {
            outbox: database.collection(OUTBOX),
            jetstream,
            destination,
            wake,
            poll,
            lease,
            owner: Uuid::now_v7().to_string(),
            published,
        }
    }

    /// Runs until the process ends: ensures the stream, then drains the
    /// outbox whenever woken or every poll interval, backing off on errors.
    pub async fn run(self) {
        let mut backoff = Duration::from_millis(100);
        loop {
            match ensure_stream(&self.jetstream, &self.destination).await {
                Ok(_) => break,
                Err(error) => {
                    tracing::warn!(%error, retry_in_ms = backoff.as_millis() as u64, "user outbox: waiting for JetStream");
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                }
            }
        }
        backoff = Duration::from_millis(100);
        loop {
            match self.drain().await {
                Ok(_) => backoff = Duration::from_millis(100),
                Err(error) => {
                    tracing::warn!(%error, retry_in_ms = backoff.as_millis() as u64, "user outbox: publishing failed");
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                    continue;
                }
            }
            tokio::select! {
                _ = self.wake.notified() => {}
                _ = tokio::time::sleep(self.poll) => {}
            }
        }
    }

    /// Publishes every claimable message; returns how many.
    pub async fn drain(&self) -> anyhow::Result<usize> {
        let mut published = 0;
        while let Some(message) = self.claim().await? {
            self.publish(&message).await?;
            self.outbox
                .delete_one(doc! { "_id": &message.id, "lease_owner": &self.owner })
                .await?;
            self.published.inc();
            published += 1;
        }
        Ok(published)
    }

    /// Takes the oldest message whose lease has ended.
    async fn claim(&self) -> mongodb::error::Result<Option<OutboxDoc>> {
        let now = DateTime::now();
        let until = DateTime::from_millis(now.timestamp_millis() + self.lease.as_millis() as i64);
        self.outbox
            .find_one_and_update(
                doc! { "lease_until": { "$lte": now } },
                doc! {
                    "$set": { "lease_until": until, "lease_owner": &self.owner },
                    "$inc": { "attempts": 1 },
                },
            )
            .sort(doc! { "lease_until": 1, "created_at": 1 })
            .return_document(ReturnDocument::After)
            .await
    }

    /// The subject of a message: `<prefix>.<user id>`. The stored subject
    /// is the default one; the configured prefix wins.
    fn subject_of(&self, message: &OutboxDoc) -> anyhow::Result<String> {
        let user: UserMessage = serde_json::from_str(&message.payload)
            .map_err(|e| anyhow::anyhow!("user message {} is unreadable: {e}", message.id))?;
        Ok(format!(
            "{}.{}",
            self.destination.subject_prefix,
            user.event.user_id()
        ))
    }

    /// Publishes one message and waits for JetStream to store it.
    async fn publish(&self, message: &OutboxDoc) -> anyhow::Result<()> {
        let mut headers = async_nats::HeaderMap::new();
        headers.insert("Nats-Msg-Id", message.id.as_str());
        let ack = self
            .jetstream
            .publish_with_headers(
                self.subject_of(message)?,
                headers,
                message.payload.clone().into_bytes().into(),
            )
            .await
            .map_err(|e| anyhow::anyhow!("cannot publish user message {}: {e}", message.id))?;
        let ack = tokio::time::timeout(self.lease / 2, ack)
            .await
            .map_err(|_| anyhow::anyhow!("no acknowledgement for user message {}", message.id))?
            .map_err(|e| anyhow::anyhow!("user message {} was not stored: {e}", message.id))?;
        tracing::info!(
            event_id = %message.id,
            stream_sequence = ack.sequence,
            duplicate = ack.duplicate,
            "user message published"
        );
        Ok(())
    }
}
