//! `GET /v1/ops/status`: every service's readiness, the JetStream
//! consumers and the projections' lag, on one page.

use std::future::Future;
use std::time::{Duration, Instant};

use actix_web::http::header;
use actix_web::{web, HttpResponse};
use chrono::{DateTime, Utc};
use platform::auth::Authenticated;
use platform::{Problem, TokenVerifier};
use serde::Serialize;
use utoipa::ToSchema;

use super::{require_it, NO_STORE};
use crate::openapi::{NotIt, Unauthorized};
use crate::ops::events;
use crate::ops::status::{self, JetStreamStatus, ParkedStatus, ProjectionLag, ServiceStatus};
use crate::startup::AppState;

/// The event store's head.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Head {
    /// The highest global position.
    pub position: i64,
    /// When that event occurred.
    pub occurred_at: DateTime<Utc>,
}

/// The projections against the event store.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Projections {
    /// `ok`, or `unavailable` when the event store or a checkpoint cannot
    /// be read.
    #[schema(example = "ok")]
    pub status: String,
    /// The event store's head (null when it is empty or cannot be read).
    pub head: Option<Head>,
    /// `finance` (PostgreSQL `finance.checkpoint`: every event up to it is
    /// applied), measured against the head; and `sales` (MongoDB
    /// `sales.checkpoints`: the highest position applied; the sales
    /// projector applies per launch, so positions below it may still be in
    /// flight), measured against the last `Launch` event.
    pub items: Vec<ProjectionLag>,
    /// Why the head cannot be read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// `GET /v1/ops/status`.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct StatusReport {
    /// `ok` when every service is ready, JetStream answers with every
    /// stream, every checkpoint can be read and nothing is parked; else
    /// `degraded`.
    #[schema(example = "ok")]
    pub status: String,
    /// When it was checked.
    pub checked_at: DateTime<Utc>,
    /// The query API itself (first), then each of `OPS_SERVICES`.
    pub services: Vec<ServiceStatus>,
    /// The streams of `OPS_STREAMS` and their consumers.
    pub jetstream: JetStreamStatus,
    /// How far the projections are behind the event store.
    pub projections: Projections,
    /// The events the consumers parked (`/v1/ops/parked`).
    pub parked: ParkedStatus,
}

/// `future` bounded by `timeout`; a timeout reads as an error.
async fn bounded<T, E: std::fmt::Display>(
    timeout: Duration,
    future: impl Future<Output = Result<T, E>>,
) -> Result<T, String> {
    match tokio::time::timeout(timeout, future).await {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(error)) => Err(error.to_string()),
        Err(_) => Err("no answer in time".into()),
    }
}

async fn projections(state: &AppState, timeout: Duration) -> Projections {
    let pool = state.finance.pool();
    let (head, launch_head, finance, sales) = futures::join!(
        bounded(timeout, events::head(pool)),
        bounded(timeout, events::head_of(pool, "Launch")),
        bounded(timeout, state.finance.checkpoint()),
        bounded(timeout, state.store.checkpoint()),
    );
    let (head, head_error) = match head {
        Ok(head) => (head, None),
        Err(error) => {
            tracing::warn!(%error, "status: cannot read the event store's head");
            (None, Some("the event store cannot be read".to_owned()))
        }
    };
    let finance = match finance {
        Ok(position) => {
            let at = if position > 0 {
                bounded(timeout, events::occurred_at(pool, position))
                    .await
                    .ok()
                    .flatten()
            } else {
                None
            };
            ProjectionLag::at("finance", position, at, head)
        }
        Err(error) => {
            tracing::warn!(%error, "status: cannot read the finance checkpoint");
            ProjectionLag::unavailable("finance", "its checkpoint cannot be read")
        }
    };
    // The sales projector consumes the `Launch` events only.
    let launch_head = launch_head.unwrap_or(None);
    let sales = match sales {
        Ok(Some(checkpoint)) => ProjectionLag::at(
            "sales",
            checkpoint.global_position,
            Some(checkpoint.occurred_at.to_chrono()),
            launch_head,
        ),
        Ok(None) => ProjectionLag::at("sales", 0, None, launch_head),
        Err(error) => {
            tracing::warn!(%error, "status: cannot read the sales checkpoint");
            ProjectionLag::unavailable("sales", "its checkpoint cannot be read")
        }
    };
    let items = vec![finance, sales];
    let all_ok = head_error.is_none() && items.iter().all(|p| p.status == "ok");
    Projections {
        status: if all_ok { "ok" } else { "unavailable" }.into(),
        head: head.map(|(position, occurred_at)| Head {
            position,
            occurred_at,
        }),
        items,
        error: head_error,
    }
}

/// The state of the whole system, probed now, each part concurrently and
/// within `OPS_PROBE_TIMEOUT_MS`:
///
/// - `services`: the query API's own readiness (in process), then each
///   service of `OPS_SERVICES`: `ready` (its `/ready` answered 200),
///   `unavailable` (it answered another status: its body says which
///   dependency is down) or `unreachable` (no answer), with the HTTP
///   status, the JSON body and the time taken. A service that serves but
///   has parked events answers 200 with `status: degraded` and shows as
///   `degraded`; the projectors answer 503 with `status: halted` and
///   `finance: {position, error}` when the finance projection stopped at
///   an event it cannot apply, shown as `halted` with that `finance`.
/// - `jetstream`: for each stream of `OPS_STREAMS`, its message count and
///   last sequence, and each consumer's `num_pending` (not yet delivered),
///   `num_ack_pending`, `num_redelivered`, `num_waiting` and ack floor;
///   `unavailable` when NATS is not connected.
/// - `projections`: the event store's head and the finance and sales
///   checkpoints, with their lag in events and in event time.
/// - `parked`: how many events each projection parked on the dead-letter
///   stream and when the oldest was; `degraded` when any is.
///
/// Always 200 for IT: `status` is `ok` or `degraded`, and the body says
/// what is down.
#[utoipa::path(get, path = "/v1/ops/status", tag = "it", operation_id = "system_status",
    security(("bearer" = [])),
    responses(
        (status = 200, body = StatusReport),
        (status = 401, response = Unauthorized),
        (status = 403, response = NotIt)))]
pub async fn get(
    Authenticated(principal): Authenticated,
    state: web::Data<AppState>,
    verifier: web::Data<TokenVerifier>,
) -> Result<HttpResponse, Problem> {
    require_it(&principal)?;
    let ops = &state.ops;
    let timeout = ops.settings.probe_timeout;
    let own = async {
        let started = Instant::now();
        let (ready, body) = bounded(timeout, async {
            Ok::<_, String>(crate::routes::readiness(&state, &verifier).await)
        })
        .await
        .unwrap_or_else(|_| (false, serde_json::Value::Null));
        ServiceStatus {
            name: "query-api".into(),
            url: "in-process".into(),
            status: if ready { "ready" } else { "unavailable" }.into(),
            http_status: Some(if ready { 200 } else { 503 }),
            body: Some(body),
            error: None,
            finance: None,
            elapsed_ms: started.elapsed().as_millis() as u64,
        }
    };
    let others = futures::future::join_all(
        ops.settings
            .services
            .iter()
            .map(|service| status::probe(&ops.http, service)),
    );
    let (own, others, jetstream, projections, parked) = futures::join!(
        own,
        others,
        status::jetstream(&ops.nats, &ops.settings.streams, timeout),
        projections(&state, timeout),
        status::parked(&ops.parked),
    );
    let mut services = vec![own];
    services.extend(others);
    let ok = services.iter().all(ServiceStatus::is_ready)
        && jetstream.status == "ok"
        && projections.status == "ok"
        && parked.status == "ok";
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, NO_STORE))
        .json(StatusReport {
            status: if ok { "ok" } else { "degraded" }.into(),
            checked_at: Utc::now(),
            services,
            jetstream,
            projections,
            parked,
        }))
}
