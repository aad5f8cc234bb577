//! The parking lot (`/v1/ops/parked`): list the events the consumers
//! parked, look at one, replay one or a batch on their original subject
//! after a fix, or discard one. See `crate::ops::parked`.

use std::collections::BTreeMap;

use actix_web::http::header;
use actix_web::{web, HttpResponse};
use platform::auth::Authenticated;
use platform::Problem;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{require_it, NO_STORE};
use crate::openapi::{NotIt, ProblemSchema, Unauthorized, Unavailable, ValidationFailed};
use crate::ops::parked::{ParkedError, ParkedEvent, ParkingLot, Stored, PROJECTIONS};
use crate::params::{Errors, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE};
use crate::startup::AppState;

/// The filters of the parked events.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ParkedParams {
    /// Only this projection's: `sales`, `profiles` or `notifier-planning`.
    #[param(value_type = Option<String>, pattern = "^(sales|profiles|notifier-planning)$", example = "sales")]
    pub projection: Option<String>,
    /// Only those of this aggregate (its id, as in the dead-letter
    /// subject; `unknown` when the consumer could not read it): 1 to 200
    /// characters, none of them `.`, `*`, `>`, a blank or a control
    /// character (blanks around it are ignored).
    #[param(value_type = Option<String>, pattern = r"^\s*[^.*>\s\u0000-\u001F\u007F-\u009F]{1,200}\s*$")]
    pub aggregate_id: Option<String>,
}

/// The page of `GET /v1/ops/parked`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ParkedPaging {
    /// Only parked events after this id (the next page: the answer's
    /// `next_after`).
    #[param(value_type = Option<i64>, minimum = 0, maximum = 9223372036854775807_i64)]
    pub after_id: Option<String>,
    /// Items per page, 1 to 100. Default 20.
    #[param(value_type = Option<u64>, minimum = 1, maximum = 100)]
    pub limit: Option<String>,
}

/// How many `POST /v1/ops/parked/replay` replays.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReplayLimit {
    /// At most this many, 1 to `OPS_PARKED_REPLAY_MAX` (100 unless
    /// configured otherwise: the `maximum` of this document). Default
    /// `OPS_PARKED_REPLAY_MAX`.
    #[param(value_type = Option<u64>, minimum = 1, maximum = 100)]
    pub limit: Option<String>,
}

/// A page of parked events.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ParkedPage {
    /// In the order they were parked (by id).
    pub items: Vec<ParkedEvent>,
    /// Items per page asked for.
    pub limit: u64,
    /// The `after_id` of the next page; null when this is the last.
    pub next_after: Option<u64>,
    /// Parked events matching the filters after this page.
    pub remaining: u64,
}

/// One parked event with what it carries.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ParkedDetail {
    /// What its headers say.
    #[serde(flatten)]
    pub event: ParkedEvent,
    /// Every header it was parked with (the original ones and the
    /// parking's), the first value of each.
    pub headers: BTreeMap<String, String>,
    /// The original payload: its JSON, or its text when it is not JSON.
    #[schema(value_type = Object)]
    pub payload: serde_json::Value,
}

/// What one replay did.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReplayOutcome {
    /// The parked event (now gone from the dead-letter stream).
    pub parked: ParkedEvent,
    /// The subject it was published on (its original one).
    pub subject: String,
    /// The stream that stored the copy.
    pub stream: String,
    /// The copy's sequence in that stream.
    pub stream_sequence: u64,
    /// The copy's `Nats-Msg-Id` (`replay:<dead-letter stream>:<id>`).
    pub message_id: String,
    /// Whether JetStream already held a copy with that id (an earlier
    /// attempt of this replay published it): nothing was published twice.
    pub duplicate: bool,
}

/// One parked event a bulk replay could not replay.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Skipped {
    /// Its id (it stays parked).
    pub id: u64,
    /// Why.
    pub reason: String,
}

/// What a bulk replay did.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BulkReplay {
    /// How many were replayed.
    pub replayed: u64,
    /// Each replay, in the order they were parked (and published again).
    pub items: Vec<ReplayOutcome>,
    /// The ones left parked: no original subject, or no stream takes it.
    pub skipped: Vec<Skipped>,
    /// Parked events matching the filters not looked at by this call:
    /// call again to replay them.
    pub remaining: u64,
}

fn problem(error: &ParkedError) -> Problem {
    match error {
        ParkedError::Unavailable(why) => {
            tracing::error!(error = %why, "the dead-letter stream is unavailable");
            Problem::unavailable("NATS is unavailable; retry shortly")
        }
        ParkedError::NoStream(subject) => Problem::conflict(
            "no-stream",
            format!(
                "no stream takes the original subject {subject}: nothing would store the replay"
            ),
        ),
    }
}

fn no_store() -> actix_web::HttpResponseBuilder {
    let mut response = HttpResponse::Ok();
    response.insert_header((header::CACHE_CONTROL, NO_STORE));
    response
}

/// The projections and the key of `params`; each invalid one is added to
/// `errors`.
fn filters(errors: &mut Errors, params: &ParkedParams) -> (Vec<&'static str>, Option<String>) {
    let choices: Vec<(&str, &'static str)> = PROJECTIONS.iter().map(|p| (*p, *p)).collect();
    let projections = match params.projection.as_deref() {
        Some(raw) => errors
            .choice("projection", Some(raw), &choices)
            .into_iter()
            .collect(),
        None => PROJECTIONS.to_vec(),
    };
    let aggregate_id = params.aggregate_id.as_deref().and_then(|raw| {
        let raw = raw.trim();
        // One subject token: no separator, no wildcard.
        let valid = (1..=200).contains(&raw.chars().count())
            && !raw
                .chars()
                .any(|c| matches!(c, '.' | '*' | '>') || c.is_whitespace() || c.is_control());
        if valid {
            Some(raw.to_owned())
        } else {
            errors.add(
                "aggregate_id",
                "invalid",
                "must be 1 to 200 characters without '.', '*', '>' or blanks",
            );
            None
        }
    });
    (projections, aggregate_id)
}

fn not_found(id: u64) -> Problem {
    Problem::not_found(
        "parked-event-not-found",
        format!("no parked event {id} (replayed, discarded, or never parked)"),
    )
}

/// The parked event `id`: 404 when there is no message, 409 when it is a
/// dead notification.
async fn event(lot: &ParkingLot, id: u64) -> Result<Stored, Problem> {
    let stored = lot
        .get(id)
        .await
        .map_err(|e| problem(&e))?
        .ok_or_else(|| not_found(id))?;
    if lot.projection_of(&stored.subject).is_none() {
        return Err(Problem::conflict(
            "not-replayable",
            format!(
                "{id} is not a parked event but {} (a dead notification is re-queued through /v1/ops/notifications)",
                stored.subject
            ),
        ));
    }
    Ok(stored)
}

/// The parked event `id` and its original subject: as [`event`], and 409
/// when it carries no original subject.
async fn parked(lot: &ParkingLot, id: u64) -> Result<(Stored, String), Problem> {
    let stored = event(lot, id).await?;
    let original = stored.view(lot).original_subject.ok_or_else(|| {
        Problem::conflict(
            "not-replayable",
            format!("parked event {id} has no Astro-Original-Subject: nowhere to replay it"),
        )
    })?;
    Ok((stored, original))
}

/// The events the consumers parked (sales, profiles, the notifier's
/// planning), in the order they were parked, by pages (`after_id`): each
/// with its projection, when it was parked, its original subject, its
/// aggregate, sequence, event type and global position (when the
/// relay published it), the reason and the deliveries. The notifier's
/// dead notifications on the same stream are not listed (see
/// `/v1/ops/notifications`). Each page reads at most `limit` messages.
#[utoipa::path(get, path = "/v1/ops/parked", tag = "it", operation_id = "list_parked_events",
    security(("bearer" = [])),
    params(ParkedParams, ParkedPaging),
    responses(
        (status = 200, body = ParkedPage),
        (status = 401, response = Unauthorized),
        (status = 403, response = NotIt),
        (status = 422, response = ValidationFailed),
        (status = 503, response = Unavailable)))]
pub async fn list(
    Authenticated(principal): Authenticated,
    params: web::Query<ParkedParams>,
    paging: web::Query<ParkedPaging>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, Problem> {
    require_it(&principal)?;
    let mut errors = Errors::default();
    let (projections, key) = filters(&mut errors, &params);
    let after = errors.integer(
        "after_id",
        paging.after_id.as_deref(),
        0..=i64::MAX as u64,
        0,
    );
    let limit = errors.integer(
        "limit",
        paging.limit.as_deref(),
        1..=MAX_PAGE_SIZE,
        DEFAULT_PAGE_SIZE,
    );
    errors.finish(())?;
    let lot = &state.ops.parked;
    let page = lot
        .page(lot.subjects(&projections, key.as_deref()), after + 1, limit)
        .await
        .map_err(|e| problem(&e))?;
    let items: Vec<ParkedEvent> = page.items.iter().map(|m| m.view(lot)).collect();
    let next_after = if page.remaining > 0 {
        items.last().map(|i| i.id)
    } else {
        None
    };
    Ok(no_store().json(ParkedPage {
        items,
        limit,
        next_after,
        remaining: page.remaining,
    }))
}

/// One parked event, with its headers and its original payload.
#[utoipa::path(get, path = "/v1/ops/parked/{id}", tag = "it", operation_id = "get_parked_event",
    security(("bearer" = [])),
    params(("id" = u64, Path, description = "The parked event's id (its dead-letter stream sequence)")),
    responses(
        (status = 200, body = ParkedDetail),
        (status = 401, response = Unauthorized),
        (status = 403, response = NotIt),
        (status = 404, description = "No such parked event (or a malformed id)", body = ProblemSchema, content_type = "application/problem+json"),
        (status = 409, description = "`not-replayable`: a dead notification, not a parked event", body = ProblemSchema, content_type = "application/problem+json"),
        (status = 503, response = Unavailable)))]
pub async fn get(
    Authenticated(principal): Authenticated,
    id: web::Path<u64>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, Problem> {
    require_it(&principal)?;
    let lot = &state.ops.parked;
    let id = id.into_inner();
    let stored = event(lot, id).await?;
    let headers = stored
        .headers
        .iter()
        .filter_map(|(name, values)| {
            let name: &str = name.as_ref();
            values
                .first()
                .map(|v| (name.to_owned(), v.as_str().to_owned()))
        })
        .collect();
    let payload = serde_json::from_slice(&stored.payload).unwrap_or_else(|_| {
        serde_json::Value::String(String::from_utf8_lossy(&stored.payload).into_owned())
    });
    Ok(no_store().json(ParkedDetail {
        event: stored.view(lot),
        headers,
        payload,
    }))
}

/// Replays one parked event after its cause is fixed: publishes its
/// payload with its original headers (less the parking's) on its original
/// subject, with `Nats-Msg-Id: replay:<dead-letter stream>:<id>`, waits
/// for the stream to store it, then deletes it from the dead-letter
/// stream. Every consumer of that stream receives the copy and applies it
/// or, having applied it already, ignores it (they are idempotent). A
/// retried request publishes nothing twice (the same message id within
/// JetStream's duplicate window, then 404 once the parked one is gone).
/// No request body.
#[utoipa::path(post, path = "/v1/ops/parked/{id}/replay", tag = "it", operation_id = "replay_parked_event",
    security(("bearer" = [])),
    params(("id" = u64, Path, description = "The parked event's id")),
    responses(
        (status = 200, body = ReplayOutcome),
        (status = 401, response = Unauthorized),
        (status = 403, response = NotIt),
        (status = 404, description = "No such parked event (or a malformed id)", body = ProblemSchema, content_type = "application/problem+json"),
        (status = 409, description = "`not-replayable`: a dead notification, or no original subject; `no-stream`: no stream takes the original subject", body = ProblemSchema, content_type = "application/problem+json"),
        (status = 503, response = Unavailable)))]
pub async fn replay(
    Authenticated(principal): Authenticated,
    id: web::Path<u64>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, Problem> {
    require_it(&principal)?;
    let lot = &state.ops.parked;
    let id = id.into_inner();
    let (stored, original) = parked(lot, id).await?;
    let outcome = replay_one(lot, &stored, &original)
        .await
        .map_err(|e| problem(&e))?;
    tracing::info!(
        parked_id = id,
        it_user = %principal.user_id,
        projection = %outcome.parked.projection,
        subject = %original,
        duplicate = outcome.duplicate,
        "parked event replayed by IT"
    );
    Ok(no_store().json(outcome))
}

async fn replay_one(
    lot: &ParkingLot,
    stored: &Stored,
    original: &str,
) -> Result<ReplayOutcome, ParkedError> {
    let done = lot.replay(stored, original).await?;
    Ok(ReplayOutcome {
        parked: stored.view(lot),
        subject: original.to_owned(),
        stream: done.stream,
        stream_sequence: done.stream_sequence,
        message_id: done.message_id,
        duplicate: done.duplicate,
    })
}

/// Replays the parked events matching the filters (every projection's by
/// default), oldest first — the order they were parked, so an aggregate's
/// events are published again in their order — at most `limit` per call
/// (`OPS_PARKED_REPLAY_MAX`); `remaining` says how many are left for the
/// next call. Each is replayed as with `POST /v1/ops/parked/{id}/replay`;
/// one that cannot be (no original subject, no stream takes it) stays
/// parked and is listed in `skipped`. A NATS failure midway is 503: what
/// was replayed is gone from the lot, and calling again goes on.
#[utoipa::path(post, path = "/v1/ops/parked/replay", tag = "it", operation_id = "replay_parked_events",
    security(("bearer" = [])),
    params(ParkedParams, ReplayLimit),
    responses(
        (status = 200, body = BulkReplay),
        (status = 401, response = Unauthorized),
        (status = 403, response = NotIt),
        (status = 422, response = ValidationFailed),
        (status = 503, response = Unavailable)))]
pub async fn replay_many(
    Authenticated(principal): Authenticated,
    params: web::Query<ParkedParams>,
    limit: web::Query<ReplayLimit>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, Problem> {
    require_it(&principal)?;
    let max = state.ops.settings.parked_replay_max;
    let mut errors = Errors::default();
    let (projections, key) = filters(&mut errors, &params);
    let limit = errors.integer("limit", limit.limit.as_deref(), 1..=max, max);
    errors.finish(())?;
    let lot = &state.ops.parked;
    let page = lot
        .page(lot.subjects(&projections, key.as_deref()), 1, limit)
        .await
        .map_err(|e| problem(&e))?;
    let mut items = Vec::with_capacity(page.items.len());
    let mut skipped = Vec::new();
    for stored in &page.items {
        let Some(original) = stored.view(lot).original_subject else {
            skipped.push(Skipped {
                id: stored.sequence,
                reason: "no Astro-Original-Subject: nowhere to replay it".into(),
            });
            continue;
        };
        match replay_one(lot, stored, &original).await {
            Ok(outcome) => items.push(outcome),
            Err(ParkedError::NoStream(subject)) => skipped.push(Skipped {
                id: stored.sequence,
                reason: format!("no stream takes the original subject {subject}"),
            }),
            Err(error) => {
                tracing::warn!(
                    it_user = %principal.user_id,
                    replayed = items.len(),
                    "a bulk replay of parked events stopped: NATS failed"
                );
                return Err(problem(&error));
            }
        }
    }
    tracing::info!(
        it_user = %principal.user_id,
        projection = params.projection.as_deref().unwrap_or("every"),
        replayed = items.len(),
        skipped = skipped.len(),
        remaining = page.remaining,
        "parked events replayed by IT"
    );
    Ok(no_store().json(BulkReplay {
        replayed: items.len() as u64,
        items,
        skipped,
        remaining: page.remaining,
    }))
}

/// Discards one parked event for good, once IT decided it must not be
/// applied (e.g. an event a fix made obsolete, or one the rebuild of the
/// read model already covers). Logged at WARN with who discarded what.
/// Answers the discarded event.
#[utoipa::path(delete, path = "/v1/ops/parked/{id}", tag = "it", operation_id = "discard_parked_event",
    security(("bearer" = [])),
    params(("id" = u64, Path, description = "The parked event's id")),
    responses(
        (status = 200, description = "Discarded", body = ParkedEvent),
        (status = 401, response = Unauthorized),
        (status = 403, response = NotIt),
        (status = 404, description = "No such parked event (or a malformed id)", body = ProblemSchema, content_type = "application/problem+json"),
        (status = 409, description = "`not-replayable`: a dead notification, not a parked event", body = ProblemSchema, content_type = "application/problem+json"),
        (status = 503, response = Unavailable)))]
pub async fn discard(
    Authenticated(principal): Authenticated,
    id: web::Path<u64>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, Problem> {
    require_it(&principal)?;
    let lot = &state.ops.parked;
    let id = id.into_inner();
    let stored = event(lot, id).await?;
    if !lot.discard(id).await.map_err(|e| problem(&e))? {
        return Err(not_found(id));
    }
    let view = stored.view(lot);
    tracing::warn!(
        parked_id = id,
        it_user = %principal.user_id,
        projection = %view.projection,
        aggregate_id = view.aggregate_id.as_deref().unwrap_or(""),
        event_type = view.event_type.as_deref().unwrap_or(""),
        reason = view.reason.as_deref().unwrap_or(""),
        "parked event discarded by IT"
    );
    Ok(no_store().json(view))
}
