//! Following `core.logs` (`GET /v1/ops/logs?follow=true`): one change
//! stream per process, fanned out to every follower.
//!
//! **Why one stream.** A change stream's `getMore` waits on the server
//! (SecantusDB: up to a second) while it holds a pooled connection. With a
//! stream per follower on the client the sales routes read through, a few
//! dozen followers kept that pool (10 connections) busy and a sales read
//! queued for one: 0.5 s with 16 followers, 5.5 s with 64. Now the
//! [`LogHub`] reads one stream of every insert, on a MongoDB client of its
//! own ([`FOLLOW_POOL_SIZE`] connections), and publishes each entry on a
//! [`broadcast`] channel; each follower filters in memory. A follower that
//! reads too slowly loses the oldest entries of its buffer and is told how
//! many (`event: lagged`); it never holds the others back.
//!
//! **Losing the stream.** When the stream fails, the hub reopens it after
//! the last event it read (its resume token), so nothing is missed. When
//! the server no longer has that point (or there is no token), it opens a
//! new stream and tells every follower with an `event: gap`; when it cannot
//! reopen at all, the followers get an `event: error` and the end (they
//! reconnect, and get 503 until MongoDB is back).
//!
//! **Limits.** At most `OPS_FOLLOW_MAX_FOLLOWERS` followers per process and
//! `OPS_FOLLOW_MAX_PER_USER` per user; past either, 429.

use std::collections::HashMap;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bson::{doc, Document};
use futures::{Stream, StreamExt};
use mongodb::change_stream::event::{ChangeStreamEvent, ResumeToken};
use mongodb::change_stream::ChangeStream;
use mongodb::Collection;
use tokio::sync::broadcast;
use uuid::Uuid;

use super::logs::{LogEntry, LogFilter, HEARTBEAT};

/// The connections of the followers' MongoDB client: one change stream's
/// `getMore`, and room for closing a cursor meanwhile.
pub const FOLLOW_POOL_SIZE: u32 = 2;

/// How many times the hub tries to reopen a failed stream (waiting 0.1 s,
/// then twice as long each time: about 3 s in all) before it gives up and
/// ends every follower.
const REOPEN_ATTEMPTS: u32 = 5;

/// What the hub publishes.
#[derive(Debug)]
pub enum Feed {
    /// A new entry, with its SSE event already written (once for all).
    Entry {
        /// The entry, for the followers' filters.
        entry: Box<LogEntry>,
        /// `id: <cursor>\ndata: <JSON>\n\n`.
        event: String,
    },
    /// The stream was replaced by a new one that starts now: entries logged
    /// in between may be missing.
    Gap,
    /// The stream is lost for good; the followers end.
    Lost,
}

/// Why a follower was refused (429).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// `OPS_FOLLOW_MAX_FOLLOWERS` follow this process.
    Total,
    /// This user has `OPS_FOLLOW_MAX_PER_USER` follows open.
    PerUser,
}

#[derive(Debug, Default)]
struct Counts {
    total: usize,
    per_user: HashMap<Uuid, usize>,
}

/// The limits, shared with each slot.
#[derive(Debug)]
struct Slots {
    max_total: usize,
    max_per_user: usize,
    counts: Mutex<Counts>,
}

/// One follower's place under the limits, given back when dropped.
#[derive(Debug)]
pub struct FollowerSlot {
    slots: Arc<Slots>,
    user: Uuid,
}

impl Drop for FollowerSlot {
    fn drop(&mut self) {
        let mut counts = self.slots.counts.lock().unwrap_or_else(|e| e.into_inner());
        counts.total -= 1;
        if let Some(n) = counts.per_user.get_mut(&self.user) {
            *n -= 1;
            if *n == 0 {
                counts.per_user.remove(&self.user);
            }
        }
    }
}

/// The shared change stream of `core.logs` and its followers' limits.
#[derive(Debug)]
pub struct LogHub {
    logs: Collection<Document>,
    buffer: usize,
    slots: Arc<Slots>,
    /// Where the stream's task runs: the runtime that built the API, which
    /// outlives any one actix worker (a follower's request runs on one).
    runtime: tokio::runtime::Handle,
    /// The open stream's channel; `None` while nobody follows.
    feed: tokio::sync::Mutex<Option<broadcast::Sender<Arc<Feed>>>>,
}

impl LogHub {
    /// A hub over `logs` (a collection of the followers' own client), each
    /// follower buffering up to `buffer` entries, at most `max_total`
    /// followers and `max_per_user` per user. Must be called within a Tokio
    /// runtime (the stream's task runs on it).
    pub fn new(
        logs: Collection<Document>,
        buffer: usize,
        max_total: usize,
        max_per_user: usize,
    ) -> Self {
        Self {
            logs,
            buffer: buffer.max(1),
            slots: Arc::new(Slots {
                max_total,
                max_per_user,
                counts: Mutex::default(),
            }),
            runtime: tokio::runtime::Handle::current(),
            feed: tokio::sync::Mutex::new(None),
        }
    }

    /// A slot for one more follower of `user`, or why not.
    pub fn slot(&self, user: Uuid) -> Result<FollowerSlot, Refusal> {
        let mut counts = self.slots.counts.lock().unwrap_or_else(|e| e.into_inner());
        if counts.total >= self.slots.max_total {
            return Err(Refusal::Total);
        }
        let mine = counts.per_user.entry(user).or_default();
        if *mine >= self.slots.max_per_user {
            return Err(Refusal::PerUser);
        }
        *mine += 1;
        counts.total += 1;
        Ok(FollowerSlot {
            slots: self.slots.clone(),
            user,
        })
    }

    /// A receiver of every entry inserted from now on, opening the shared
    /// stream first when nobody follows yet (its error when it cannot).
    pub async fn subscribe(
        self: &Arc<Self>,
    ) -> Result<broadcast::Receiver<Arc<Feed>>, mongodb::error::Error> {
        let mut feed = self.feed.lock().await;
        if let Some(sender) = feed.as_ref() {
            return Ok(sender.subscribe());
        }
        let changes = watch(&self.logs, None).await?;
        let (sender, receiver) = broadcast::channel(self.buffer);
        *feed = Some(sender.clone());
        self.runtime.spawn(self.clone().pump(changes, sender));
        Ok(receiver)
    }

    /// Reads the stream and publishes each entry, until nobody follows (it
    /// then closes the stream) or it is lost.
    async fn pump(
        self: Arc<Self>,
        mut changes: ChangeStream<ChangeStreamEvent<Document>>,
        sender: broadcast::Sender<Arc<Feed>>,
    ) {
        loop {
            // One `getMore` at a time (`next` would wait for an event), so
            // that a hub nobody listens to anymore notices within one wait.
            let next = match changes.next_if_any().await {
                // The server ended the stream (an `invalidate`: the
                // collection was dropped or renamed): as lost as an error.
                Ok(_) if !changes.is_alive() => Err(None),
                Ok(change) => Ok(change),
                Err(error) => Err(Some(error)),
            };
            match next {
                Ok(Some(change)) => {
                    let entry = change
                        .full_document
                        .as_ref()
                        .and_then(LogEntry::from_document);
                    if let Some(entry) = entry {
                        let event = entry_event(&entry);
                        let entry = Box::new(entry);
                        // No receiver is not an error: checked below.
                        let _ = sender.send(Arc::new(Feed::Entry { entry, event }));
                    }
                }
                Ok(None) => {}
                Err(error) => {
                    match error {
                        Some(error) => {
                            tracing::warn!(%error, "following the logs: the change stream failed; reopening it")
                        }
                        None => tracing::warn!(
                            "following the logs: the server ended the change stream; reopening it"
                        ),
                    }
                    match self.reopen(changes.resume_token()).await {
                        Some((reopened, gap)) => {
                            changes = reopened;
                            if gap {
                                let _ = sender.send(Arc::new(Feed::Gap));
                            }
                        }
                        None => {
                            let mut feed = self.feed.lock().await;
                            *feed = None;
                            let _ = sender.send(Arc::new(Feed::Lost));
                            return;
                        }
                    }
                }
            }
            if sender.receiver_count() == 0 {
                // Under the lock `subscribe` holds, so no follower joins a
                // stream that is closing.
                let mut feed = self.feed.lock().await;
                if sender.receiver_count() == 0 {
                    *feed = None;
                    return;
                }
            }
        }
    }

    /// The stream again: after `token` when the server still has that
    /// point (no gap), else from now (a gap); `None` when MongoDB does not
    /// answer within [`REOPEN_ATTEMPTS`].
    async fn reopen(
        &self,
        token: Option<ResumeToken>,
    ) -> Option<(ChangeStream<ChangeStreamEvent<Document>>, bool)> {
        let mut delay = Duration::from_millis(100);
        for attempt in 1..=REOPEN_ATTEMPTS {
            if let Some(token) = &token {
                match watch(&self.logs, Some(token.clone())).await {
                    Ok(changes) => return Some((changes, false)),
                    Err(error) if read_models::mongo::is_transient(&error) => {
                        tracing::warn!(%error, attempt, "following the logs: cannot resume the change stream yet");
                        tokio::time::sleep(delay).await;
                        delay *= 2;
                        continue;
                    }
                    Err(error) => {
                        tracing::warn!(%error, "following the logs: cannot resume the change stream; starting a new one (a gap)");
                    }
                }
            }
            match watch(&self.logs, None).await {
                Ok(changes) => return Some((changes, true)),
                Err(error) => {
                    tracing::warn!(%error, attempt, "following the logs: cannot reopen the change stream yet");
                    tokio::time::sleep(delay).await;
                    delay *= 2;
                }
            }
        }
        tracing::error!("following the logs: the change stream is lost; ending the followers");
        None
    }
}

/// A change stream of every insert into `logs`, after `resume` if given.
async fn watch(
    logs: &Collection<Document>,
    resume: Option<ResumeToken>,
) -> Result<ChangeStream<ChangeStreamEvent<Document>>, mongodb::error::Error> {
    logs.watch()
        .pipeline([doc! { "$match": { "operationType": "insert" } }])
        .resume_after(resume)
        .await
}

/// One entry as an SSE event.
fn entry_event(entry: &LogEntry) -> String {
    let json = serde_json::to_string(entry).unwrap_or_else(|_| "{}".into());
    match entry.cursor() {
        Some(cursor) => format!("id: {}\ndata: {json}\n\n", cursor.encode()),
        None => format!("data: {json}\n\n"),
    }
}

/// The Server-Sent Events of a follower: a first comment, then each new
/// entry matching `filter` as `id: <cursor>` and `data: <LogEntry JSON>`,
/// a `: heartbeat` comment every [`HEARTBEAT`] of silence, an
/// `event: lagged` (`{"skipped": n}`) when it fell behind by `n` entries
/// (of any filter) and an `event: gap` when the shared stream restarted,
/// until `max` has passed (then an `event: end` and the end of the stream:
/// the client reconnects) or the stream is lost (an `event: error`, then
/// the end). `slot` is held until then.
pub fn sse(
    feed: broadcast::Receiver<Arc<Feed>>,
    filter: LogFilter,
    max: Duration,
    slot: FollowerSlot,
) -> Pin<Box<dyn Stream<Item = Result<bytes::Bytes, actix_web::Error>>>> {
    struct State {
        feed: broadcast::Receiver<Arc<Feed>>,
        filter: LogFilter,
        deadline: tokio::time::Instant,
        heartbeat: tokio::time::Interval,
        done: bool,
        _slot: FollowerSlot,
    }
    let started = tokio::time::Instant::now();
    let mut heartbeat = tokio::time::interval_at(started + HEARTBEAT, HEARTBEAT);
    heartbeat.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let state = State {
        feed,
        filter,
        deadline: started + max,
        heartbeat,
        done: false,
        _slot: slot,
    };
    let first = futures::stream::once(async {
        Ok::<_, actix_web::Error>(bytes::Bytes::from_static(
            b"retry: 1000\n: following core.logs\n\n",
        ))
    });
    let events = futures::stream::unfold(state, |mut state| async move {
        if state.done {
            return None;
        }
        let chunk = loop {
            tokio::select! {
                received = state.feed.recv() => match received {
                    Ok(feed) => match &*feed {
                        Feed::Entry { entry, event } => {
                            if state.filter.matches(entry) {
                                state.heartbeat.reset();
                                break event.clone();
                            }
                        }
                        Feed::Gap => {
                            break "event: gap\ndata: {\"reason\":\"the change stream restarted; entries logged meanwhile may be missing\"}\n\n".to_owned();
                        }
                        Feed::Lost => {
                            state.done = true;
                            break "event: error\ndata: {\"reason\":\"the change stream failed; reconnect\"}\n\n".to_owned();
                        }
                    },
                    Err(broadcast::error::RecvError::Lagged(skipped)) => {
                        break format!("event: lagged\ndata: {{\"skipped\":{skipped}}}\n\n");
                    }
                    Err(broadcast::error::RecvError::Closed) => {
                        state.done = true;
                        break "event: end\ndata: {\"reason\":\"the change stream ended; reconnect\"}\n\n".to_owned();
                    }
                },
                _ = state.heartbeat.tick() => break ": heartbeat\n\n".to_owned(),
                _ = tokio::time::sleep_until(state.deadline) => {
                    state.done = true;
                    break "event: end\ndata: {\"reason\":\"max-duration\"}\n\n".to_owned();
                }
            }
        };
        Some((Ok(bytes::Bytes::from(chunk)), state))
    });
    Box::pin(first.chain(events))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hub(max_total: usize, max_per_user: usize) -> LogHub {
        let client = mongodb::Client::with_options(mongodb::options::ClientOptions::default())
            .expect("a client (it connects on first use)");
        LogHub::new(
            client.database("unused").collection("logs"),
            8,
            max_total,
            max_per_user,
        )
    }

    #[tokio::test]
    async fn followers_are_limited_per_user_and_in_all() {
        let hub = hub(3, 2);
        let (ada, bob, eve) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
        let first = hub.slot(ada).unwrap();
        let _second = hub.slot(ada).unwrap();
        assert_eq!(hub.slot(ada).unwrap_err(), Refusal::PerUser);
        let _third = hub.slot(bob).unwrap();
        assert_eq!(hub.slot(eve).unwrap_err(), Refusal::Total);
        // A follower that ends gives its place back.
        drop(first);
        let _again = hub.slot(eve).unwrap();
        assert_eq!(hub.slot(ada).unwrap_err(), Refusal::Total);
    }

    fn entry(service: &str, message: &str) -> Arc<Feed> {
        let entry = LogEntry {
            id: bson::oid::ObjectId::new().to_hex(),
            time: chrono::Utc::now(),
            level: "info".into(),
            service: service.into(),
            instance: "h:1".into(),
            target: "t".into(),
            message: message.into(),
            fields: serde_json::json!({}),
            request_id: None,
            correlation_id: None,
            user_id: None,
        };
        let event = entry_event(&entry);
        let entry = Box::new(entry);
        Arc::new(Feed::Entry { entry, event })
    }

    async fn next_text(
        stream: &mut Pin<Box<dyn Stream<Item = Result<bytes::Bytes, actix_web::Error>>>>,
    ) -> String {
        let chunk = tokio::time::timeout(Duration::from_secs(5), stream.next())
            .await
            .expect("an event within 5 s")
            .expect("the stream goes on")
            .expect("no error");
        String::from_utf8(chunk.to_vec()).unwrap()
    }

    #[tokio::test]
    async fn a_lagging_follower_is_told_how_many_entries_it_skipped_and_goes_on() {
        let hub = hub(1, 1);
        let (sender, receiver) = broadcast::channel(2);
        let filter = LogFilter {
            services: vec!["auth".into()],
            ..LogFilter::default()
        };
        let mut stream = sse(
            receiver,
            filter,
            Duration::from_secs(60),
            hub.slot(Uuid::now_v7()).unwrap(),
        );
        assert!(next_text(&mut stream).await.contains(": following"));

        // Five entries before it reads: only the last two are kept.
        for n in 1..=5 {
            sender.send(entry("auth", &format!("m{n}"))).unwrap();
        }
        assert_eq!(
            next_text(&mut stream).await,
            "event: lagged\ndata: {\"skipped\":3}\n\n"
        );
        assert!(next_text(&mut stream).await.contains("\"m4\""));
        assert!(next_text(&mut stream).await.contains("\"m5\""));

        // Then it follows as before, through its filter.
        sender.send(entry("notifier", "not mine")).unwrap();
        sender.send(entry("auth", "m6")).unwrap();
        assert!(next_text(&mut stream).await.contains("\"m6\""));
        sender.send(Arc::new(Feed::Gap)).unwrap();
        assert!(next_text(&mut stream).await.starts_with("event: gap"));
        sender.send(Arc::new(Feed::Lost)).unwrap();
        assert!(next_text(&mut stream).await.starts_with("event: error"));
        assert!(stream.next().await.is_none());
    }
}
