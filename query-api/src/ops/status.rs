//! The state of the whole system for `GET /v1/ops/status`: every service's
//! `/ready`, the JetStream streams and their consumers, and how far the
//! projections are behind the event store. Each part is probed
//! concurrently with a timeout, and a part that cannot be probed says so in
//! the answer: the status page itself never fails because what it watches
//! is down.

use std::time::{Duration, Instant};

use async_nats::jetstream;
use chrono::{DateTime, Utc};
use futures::{StreamExt, TryStreamExt};
use serde::Serialize;
use utoipa::ToSchema;

use crate::settings::ProbedService;

/// One service's `/ready`.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ServiceStatus {
    /// Its name (`OPS_SERVICES`).
    pub name: String,
    /// The URL probed (`…/ready`), or `in-process` for the query API.
    pub url: String,
    /// `ready` (200), `degraded` (200 with a body whose `status` is
    /// `degraded`: it serves, but has parked events), `halted` (503 with a
    /// body whose `status` is `halted`: the finance projection stopped at
    /// an event it cannot apply, see `finance`), `unavailable` (it answered
    /// another status) or `unreachable` (no answer within
    /// `OPS_PROBE_TIMEOUT_MS`).
    #[schema(example = "ready")]
    pub status: String,
    /// The HTTP status it answered.
    pub http_status: Option<u16>,
    /// The JSON its `/ready` answered (null when none or not JSON).
    #[schema(value_type = Option<Object>)]
    pub body: Option<serde_json::Value>,
    /// Why it is unreachable.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// When it is `halted`: where the finance projection stopped and why
    /// (its body's `finance`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub finance: Option<FinanceHalt>,
    /// How long the probe took.
    pub elapsed_ms: u64,
}

/// Where the finance projection halted, as the projectors' `/ready` says.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct FinanceHalt {
    /// The global position of the event it cannot apply.
    pub position: Option<i64>,
    /// Why.
    pub error: Option<String>,
}

/// The status of a service that answered `code` with `body`: `ready`,
/// `degraded`, `halted` or `unavailable`, and the finance halt it reports.
pub fn answered(
    code: u16,
    body: Option<&serde_json::Value>,
) -> (&'static str, Option<FinanceHalt>) {
    let said = body.and_then(|b| b.get("status")).and_then(|s| s.as_str());
    match (code, said) {
        (200..=299, Some("degraded")) => ("degraded", None),
        (200..=299, _) => ("ready", None),
        (503, Some("halted")) => {
            let finance = body.and_then(|b| b.get("finance"));
            let halt = FinanceHalt {
                position: finance
                    .and_then(|f| f.get("position"))
                    .and_then(|p| p.as_i64()),
                error: finance
                    .and_then(|f| f.get("error"))
                    .and_then(|e| e.as_str())
                    .map(str::to_owned),
            };
            ("halted", Some(halt))
        }
        _ => ("unavailable", None),
    }
}

impl ServiceStatus {
    /// Whether it is ready.
    pub fn is_ready(&self) -> bool {
        self.status == "ready"
    }
}

/// Probes `service`'s `/ready` with `client` (whose timeout bounds it).
pub async fn probe(client: &reqwest::Client, service: &ProbedService) -> ServiceStatus {
    let url = format!("{}/ready", service.url);
    let started = Instant::now();
    let answer = client.get(&url).send().await;
    let (status, http_status, body, error, finance) = match answer {
        Ok(response) => {
            let code = response.status().as_u16();
            let body = response.json::<serde_json::Value>().await.ok();
            let (status, finance) = answered(code, body.as_ref());
            (status, Some(code), body, None, finance)
        }
        Err(error) => {
            let why = if error.is_timeout() {
                "no answer in time".to_owned()
            } else if error.is_connect() {
                "connection refused or failed".to_owned()
            } else {
                "the request failed".to_owned()
            };
            tracing::warn!(service = %service.name, %error, "status: a service is unreachable");
            ("unreachable", None, None, Some(why), None)
        }
    };
    ServiceStatus {
        name: service.name.clone(),
        url,
        status: status.to_owned(),
        http_status,
        body,
        error,
        finance,
        elapsed_ms: started.elapsed().as_millis() as u64,
    }
}

/// One JetStream consumer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ConsumerStatus {
    /// The durable name.
    pub name: String,
    /// Messages of the stream not yet delivered to it.
    pub num_pending: u64,
    /// Delivered, not yet acknowledged.
    pub num_ack_pending: u64,
    /// Delivered more than once.
    pub num_redelivered: u64,
    /// Pull requests waiting for messages (0: no replica is pulling).
    pub num_waiting: u64,
    /// The stream sequence below which every message is acknowledged.
    pub ack_floor: u64,
}

/// One JetStream stream.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct StreamStatus {
    /// Its name (`OPS_STREAMS`).
    pub name: String,
    /// `ok`, `missing` (no such stream) or `unavailable`.
    #[schema(example = "ok")]
    pub status: String,
    /// Messages it holds.
    pub messages: Option<u64>,
    /// The sequence of its last message.
    pub last_sequence: Option<u64>,
    /// Its consumers, by name.
    pub consumers: Vec<ConsumerStatus>,
    /// Why it is missing or unavailable.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// JetStream.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct JetStreamStatus {
    /// `ok` (connected, every stream found), `degraded` (a stream is
    /// missing or could not be read) or `unavailable` (NATS is not
    /// connected).
    #[schema(example = "ok")]
    pub status: String,
    /// Each stream of `OPS_STREAMS`.
    pub streams: Vec<StreamStatus>,
    /// Why it is unavailable.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// The streams `names` and their consumers, each bounded by `timeout`.
pub async fn jetstream(
    client: &async_nats::Client,
    names: &[String],
    timeout: Duration,
) -> JetStreamStatus {
    if client.connection_state() != async_nats::connection::State::Connected {
        return JetStreamStatus {
            status: "unavailable".into(),
            streams: Vec::new(),
            error: Some("NATS is not connected".into()),
        };
    }
    let context = jetstream::new(client.clone());
    let streams = futures::future::join_all(names.iter().map(|name| async {
        match tokio::time::timeout(timeout, stream(&context, name)).await {
            Ok(status) => status,
            Err(_) => StreamStatus {
                name: name.clone(),
                status: "unavailable".into(),
                messages: None,
                last_sequence: None,
                consumers: Vec::new(),
                error: Some("no answer in time".into()),
            },
        }
    }))
    .await;
    let all_ok = streams.iter().all(|s| s.status == "ok");
    JetStreamStatus {
        status: if all_ok { "ok" } else { "degraded" }.into(),
        streams,
        error: None,
    }
}

async fn stream(context: &jetstream::Context, name: &str) -> StreamStatus {
    let failed = |status: &str, error: String| StreamStatus {
        name: name.to_owned(),
        status: status.to_owned(),
        messages: None,
        last_sequence: None,
        consumers: Vec::new(),
        error: Some(error),
    };
    let mut stream = match context.get_stream(name).await {
        Ok(stream) => stream,
        Err(error) => {
            let missing = matches!(
                error.kind(),
                jetstream::context::GetStreamErrorKind::JetStream(e)
                    if e.error_code() == jetstream::ErrorCode::STREAM_NOT_FOUND
            );
            return if missing {
                failed("missing", "no such stream".into())
            } else {
                tracing::warn!(stream = name, %error, "status: cannot read a stream");
                failed("unavailable", "the stream cannot be read".into())
            };
        }
    };
    let state = match stream.info().await {
        Ok(info) => info.state.clone(),
        Err(error) => {
            tracing::warn!(stream = name, %error, "status: cannot read a stream");
            return failed("unavailable", "the stream cannot be read".into());
        }
    };
    let consumers: Result<Vec<_>, _> = stream
        .consumers()
        .map(|info| {
            info.map(|info| ConsumerStatus {
                name: info.name,
                num_pending: info.num_pending,
                num_ack_pending: info.num_ack_pending as u64,
                num_redelivered: info.num_redelivered as u64,
                num_waiting: info.num_waiting as u64,
                ack_floor: info.ack_floor.stream_sequence,
            })
        })
        .try_collect()
        .await;
    match consumers {
        Ok(mut consumers) => {
            consumers.sort_by(|a, b| a.name.cmp(&b.name));
            StreamStatus {
                name: name.to_owned(),
                status: "ok".into(),
                messages: Some(state.messages),
                last_sequence: Some(state.last_sequence),
                consumers,
                error: None,
            }
        }
        Err(error) => {
            tracing::warn!(stream = name, %error, "status: cannot list consumers");
            failed("unavailable", "its consumers cannot be listed".into())
        }
    }
}

/// One projection's parked events.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ParkedCount {
    /// `sales`, `profiles` or `notifier-planning`.
    pub projection: String,
    /// How many it has parked.
    pub count: u64,
    /// When the oldest was parked (null when none).
    pub oldest_parked_at: Option<DateTime<Utc>>,
}

/// The parking lot: the events the consumers could not apply.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ParkedStatus {
    /// `ok` (nothing parked), `degraded` (something is: see
    /// `/v1/ops/parked`) or `unavailable` (the dead-letter stream cannot
    /// be read).
    #[schema(example = "ok")]
    pub status: String,
    /// Every projection's parked events.
    pub total: u64,
    /// The oldest of them.
    pub oldest_parked_at: Option<DateTime<Utc>>,
    /// Each projection, even with none.
    pub projections: Vec<ParkedCount>,
    /// Why it is unavailable.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Counts what each projection parked in `lot`.
pub async fn parked(lot: &crate::ops::parked::ParkingLot) -> ParkedStatus {
    let projections = crate::ops::parked::PROJECTIONS;
    let counts = futures::future::join_all(projections.iter().map(|p| lot.census(p))).await;
    let mut items = Vec::with_capacity(counts.len());
    for (projection, count) in projections.iter().zip(counts) {
        match count {
            Ok((count, oldest)) => items.push(ParkedCount {
                projection: (*projection).to_owned(),
                count,
                oldest_parked_at: oldest,
            }),
            Err(error) => {
                tracing::warn!(%error, "status: cannot read the dead-letter stream");
                return ParkedStatus {
                    status: "unavailable".into(),
                    total: 0,
                    oldest_parked_at: None,
                    projections: Vec::new(),
                    error: Some("the dead-letter stream cannot be read".into()),
                };
            }
        }
    }
    let total = items.iter().map(|c| c.count).sum();
    ParkedStatus {
        status: if total == 0 { "ok" } else { "degraded" }.into(),
        total,
        oldest_parked_at: items.iter().filter_map(|c| c.oldest_parked_at).min(),
        projections: items,
        error: None,
    }
}

/// One projection's progress against the event store's head.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ProjectionLag {
    /// `finance` or `sales`.
    pub name: String,
    /// `ok`, or `unavailable` (its checkpoint cannot be read).
    #[schema(example = "ok")]
    pub status: String,
    /// Its checkpoint: the global position it has applied up to.
    pub position: Option<i64>,
    /// What it is measured against: the store's head (`finance` reads
    /// every event), or the last event it consumes (`sales`: the last
    /// `Launch` event).
    pub head: Option<i64>,
    /// Positions behind that head (`head − position`, at least 0; with
    /// other aggregates' events in between, more than the events to apply).
    pub lag_events: Option<i64>,
    /// How much older the event at its checkpoint is than the head event
    /// (0 when caught up; null when unknown).
    pub lag_seconds: Option<f64>,
    /// Why it is unavailable.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl ProjectionLag {
    /// A projection whose checkpoint cannot be read.
    pub fn unavailable(name: &str, error: &str) -> Self {
        Self {
            name: name.to_owned(),
            status: "unavailable".into(),
            position: None,
            head: None,
            lag_events: None,
            lag_seconds: None,
            error: Some(error.to_owned()),
        }
    }

    /// A projection at `position` whose event occurred at `at`, against
    /// the `head`.
    pub fn at(
        name: &str,
        position: i64,
        at: Option<DateTime<Utc>>,
        head: Option<(i64, DateTime<Utc>)>,
    ) -> Self {
        let head_position = head.map_or(0, |h| h.0);
        let lag_events = (head_position - position).max(0);
        let lag_seconds = if lag_events == 0 {
            Some(0.0)
        } else {
            match (head, at) {
                (Some((_, head_at)), Some(at)) => {
                    Some(((head_at - at).num_milliseconds().max(0) as f64) / 1e3)
                }
                _ => None,
            }
        };
        Self {
            name: name.to_owned(),
            status: "ok".into(),
            position: Some(position),
            head: head.map(|h| h.0),
            lag_events: Some(lag_events),
            lag_seconds,
            error: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_degraded_or_halted_service_is_told_apart_from_an_unavailable_one() {
        let body = |v: serde_json::Value| Some(v);
        assert_eq!(
            answered(
                200,
                body(serde_json::json!({"status": "ready"}).clone()).as_ref()
            )
            .0,
            "ready"
        );
        assert_eq!(answered(200, None).0, "ready");
        assert_eq!(
            answered(
                200,
                body(serde_json::json!({"status": "degraded"})).as_ref()
            )
            .0,
            "degraded"
        );
        let halted = serde_json::json!({
            "status": "halted",
            "finance": { "position": 42, "error": "no booking b1" },
        });
        assert_eq!(
            answered(503, Some(&halted)),
            (
                "halted",
                Some(FinanceHalt {
                    position: Some(42),
                    error: Some("no booking b1".into())
                })
            )
        );
        assert_eq!(
            answered(
                503,
                body(serde_json::json!({"status": "unavailable"})).as_ref()
            )
            .0,
            "unavailable"
        );
        assert_eq!(answered(500, Some(&halted)).0, "unavailable");
    }

    #[test]
    fn lag_is_counted_in_events_and_in_event_time() {
        let head_at = DateTime::parse_from_rfc3339("2026-11-25T10:00:10Z")
            .unwrap()
            .with_timezone(&Utc);
        let at = DateTime::parse_from_rfc3339("2026-11-25T10:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let behind = ProjectionLag::at("finance", 90, Some(at), Some((100, head_at)));
        assert_eq!(behind.lag_events, Some(10));
        assert_eq!(behind.lag_seconds, Some(10.0));
        let caught_up = ProjectionLag::at("sales", 100, None, Some((100, head_at)));
        assert_eq!(
            (caught_up.lag_events, caught_up.lag_seconds),
            (Some(0), Some(0.0))
        );
        let empty = ProjectionLag::at("sales", 0, None, None);
        assert_eq!(empty.lag_events, Some(0));
        let unknown_time = ProjectionLag::at("finance", 0, None, Some((5, head_at)));
        assert_eq!(
            (unknown_time.lag_events, unknown_time.lag_seconds),
            (Some(5), None)
        );
    }
}
