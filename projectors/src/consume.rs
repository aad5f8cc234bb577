//! Durable JetStream consumers, as every consumer of the events and user
//! streams uses them (the sales, profiles and finance projectors, the
//! notifier): explicit acks, no delivery limit (the consumer itself decides
//! when a message is a dead letter), pulled with a heartbeat so that a lost
//! server is noticed.

use std::time::Duration;

use async_nats::jetstream::consumer::{pull, AckPolicy, DeliverPolicy};
use async_nats::jetstream::{self, stream};

/// How often the server is asked to prove it is alive while nothing comes.
const HEARTBEAT: Duration = Duration::from_secs(5);

/// A durable consumer `name` on the subjects `filter` (empty: all of the
/// stream's), redelivering what is not acknowledged within `ack_wait`,
/// starting (when it does not exist yet) where `deliver` says.
pub fn durable(
    name: &str,
    description: &str,
    filter: String,
    ack_wait: Duration,
    deliver: DeliverPolicy,
) -> pull::Config {
    pull::Config {
        durable_name: Some(name.to_owned()),
        description: Some(description.to_owned()),
        deliver_policy: deliver,
        ack_policy: AckPolicy::Explicit,
        ack_wait,
        max_deliver: -1,
        filter_subject: filter,
        ..Default::default()
    }
}

/// Creates (idempotently) `stream` and the durable consumer `consumer` on
/// it, and pulls its messages, at most `batch` per pull when given.
pub async fn subscribe(
    jetstream: &jetstream::Context,
    stream: stream::Config,
    consumer: pull::Config,
    batch: Option<usize>,
) -> anyhow::Result<pull::Stream> {
    let name = consumer
        .durable_name
        .clone()
        .ok_or_else(|| anyhow::anyhow!("a durable consumer needs a name"))?;
    let consumer = jetstream
        .get_or_create_stream(stream)
        .await?
        .get_or_create_consumer(&name, consumer)
        .await?;
    let mut pull = consumer.stream().heartbeat(HEARTBEAT);
    if let Some(batch) = batch {
        pull = pull.max_messages_per_batch(batch);
    }
    Ok(pull.messages().await?)
}
