//! `GET /v1/ops/notifications`, `GET /v1/ops/notifications/summary`,
//! `GET /v1/ops/notifications/{id}`, `POST /v1/ops/notifications/{id}/retry`
//! and `POST /v1/ops/notifications/retry`.

use actix_web::http::header;
use actix_web::{web, HttpResponse};
use chrono::Utc;
use platform::auth::Authenticated;
use platform::Problem;
use read_models::core_db::NotificationStatus;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::{require_it, text, time_range, NO_STORE};
use crate::errors::core_problem;
use crate::openapi::{NotIt, ProblemSchema, Unauthorized, Unavailable, ValidationFailed};
use crate::ops::notifications::{
    self, Notification, NotificationFilter, ReadError, Requeue, Summary,
};
use crate::params::{Errors, PagingParams};
use crate::startup::AppState;

/// The statuses `GET /v1/ops/notifications` filters on.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StatusParams {
    /// Only these statuses, comma-separated: `pending`, `sent`, `failed`,
    /// `dead` (empty items are ignored, but one status at least).
    #[param(value_type = Option<String>, pattern = r"^,*(pending|sent|failed|dead)(,+(pending|sent|failed|dead))*,*$", example = "dead")]
    pub status: Option<String>,
}

/// The statuses `POST /v1/ops/notifications/retry` re-queues.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RetryStatusParams {
    /// `dead` (the default), `failed`, or both, comma-separated (empty
    /// items are ignored, but one status at least).
    #[param(value_type = Option<String>, pattern = r"^,*(failed|dead)(,+(failed|dead))*,*$", example = "dead")]
    pub status: Option<String>,
}

/// The other filters of `GET /v1/ops/notifications`, and of its bulk
/// re-queue.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct NotificationParams {
    /// The recipient's address (exact, whatever the case); no control
    /// characters.
    #[param(value_type = Option<String>, example = "ada@example.com", max_length = 320, pattern = r"^[^\u0000-\u001F\u007F-\u009F]*$")]
    pub recipient: Option<String>,
    /// The booking (UUID).
    #[param(value_type = Option<uuid::Uuid>)]
    pub booking_id: Option<String>,
    /// The event that caused it (UUID).
    #[param(value_type = Option<uuid::Uuid>)]
    pub event_id: Option<String>,
    /// Created at or after: an RFC 3339 instant, or a date (UTC), from
    /// 1970-01-01 to 9999-12-31 (else 422).
    #[param(schema_with = crate::params::instant_or_date_schema, example = "2026-11-25")]
    pub from: Option<String>,
    /// Created before: an RFC 3339 instant (exclusive), or a date (the
    /// whole day included), up to 9999-12-31 (else 422).
    #[param(schema_with = crate::params::instant_or_date_schema, example = "2026-11-26")]
    pub to: Option<String>,
}

/// What `GET /v1/ops/notifications` adds to each notification.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct IncludeParams {
    /// `body`: with each email's `text` and `html` (left out by default).
    #[param(value_type = Option<String>, pattern = "^(body)?$", example = "body")]
    pub include: Option<String>,
}

/// A page of notifications.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct NotificationPage {
    /// Newest first (by `created_at`, then id).
    pub items: Vec<Notification>,
    /// This page's number, from 1.
    pub page: u64,
    /// Items per page asked for.
    pub page_size: u64,
    /// Notifications matching the filters, over every page.
    pub total: u64,
}

/// The statuses `GET /v1/ops/notifications` filters by, by wire name.
pub const STATUSES: [(&str, NotificationStatus); 4] = [
    ("pending", NotificationStatus::Pending),
    ("sent", NotificationStatus::Sent),
    ("failed", NotificationStatus::Failed),
    ("dead", NotificationStatus::Dead),
];

fn read_problem(error: &ReadError) -> Problem {
    match error {
        ReadError::Mongo(error) => core_problem(error),
        ReadError::Shape(error) => {
            tracing::error!(%error, "a notification cannot be read");
            Problem::internal()
        }
    }
}

fn no_store() -> actix_web::HttpResponseBuilder {
    let mut response = HttpResponse::Ok();
    response.insert_header((header::CACHE_CONTROL, NO_STORE));
    response
}

/// The notifications (`core.notifications`, written by the notifier),
/// filtered, newest first, by pages. The email bodies are left out unless
/// `include=body`.
#[utoipa::path(get, path = "/v1/ops/notifications", tag = "it", operation_id = "list_notifications",
    security(("bearer" = [])),
    params(StatusParams, NotificationParams, IncludeParams, PagingParams),
    responses(
        (status = 200, body = NotificationPage),
        (status = 401, response = Unauthorized),
        (status = 403, response = NotIt),
        (status = 422, response = ValidationFailed),
        (status = 503, response = Unavailable)))]
pub async fn list(
    Authenticated(principal): Authenticated,
    status: web::Query<StatusParams>,
    params: web::Query<NotificationParams>,
    include: web::Query<IncludeParams>,
    paging: web::Query<PagingParams>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, Problem> {
    require_it(&principal)?;
    let mut errors = Errors::default();
    let filter = parse_filter(&mut errors, status.status.as_deref(), &params, &STATUSES);
    let bodies = match include.include.as_deref() {
        None | Some("") => false,
        Some("body") => true,
        Some(_) => {
            errors.add("include", "invalid", "must be body");
            false
        }
    };
    let paging = errors.paging(paging.page.as_deref(), paging.page_size.as_deref());
    let filter = errors.finish(filter)?;
    let (items, total) = notifications::page(&state.ops.notifications, &filter, paging, bodies)
        .await
        .map_err(|e| read_problem(&e))?;
    Ok(no_store().json(NotificationPage {
        items,
        page: paging.page,
        page_size: paging.page_size,
        total,
    }))
}

/// The filters of `status` (among `allowed`) and `params`; each invalid
/// one is added to `errors`.
pub fn parse_filter(
    errors: &mut Errors,
    status: Option<&str>,
    params: &NotificationParams,
    allowed: &[(&str, NotificationStatus)],
) -> NotificationFilter {
    let mut statuses = Vec::new();
    if let Some(raw) = status {
        let items: Vec<&str> = raw.split(',').filter(|i| !i.is_empty()).collect();
        for item in &items {
            if let Some(status) = errors.choice("status", Some(item), allowed) {
                statuses.push(status);
            }
        }
        if items.is_empty() {
            let names: Vec<&str> = allowed.iter().map(|(name, _)| *name).collect();
            errors.add(
                "status",
                "invalid",
                format!("must be one of {}", names.join(", ")),
            );
        }
    }
    let recipient =
        text(errors, "recipient", params.recipient.as_deref(), 320).map(|r| r.to_lowercase());
    let booking_id = errors.uuid("booking_id", params.booking_id.as_deref());
    let event_id = errors.uuid("event_id", params.event_id.as_deref());
    let (from, to) = time_range(errors, params.from.as_deref(), params.to.as_deref());
    NotificationFilter {
        statuses,
        recipient,
        booking_id,
        event_id,
        from,
        to,
    }
}

/// What a bulk re-queue did.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Requeued {
    /// Notifications re-queued (now `pending`).
    pub requeued: u64,
}

const RETRYABLE: [(&str, NotificationStatus); 2] = [
    ("dead", NotificationStatus::Dead),
    ("failed", NotificationStatus::Failed),
];

/// Re-queues at once every `dead` notification matching the filters —
/// the same query parameters as `GET /v1/ops/notifications`, so what that
/// lists is what this re-queues (e.g. every one that died during an SMTP
/// outage: `?status=dead&from=…&to=…`). `status` may be `dead` (the
/// default), `failed` (to retry now rather than after the backoff) or both.
/// `include` is not a parameter here (it chooses what a list shows; this
/// answers a count): sent anyway, it is 422. Each matching notification that no sender
/// holds changes as with the re-queue of one (`pending`, `attempts: 0`, due
/// now, `requeued` + 1). Answers how many were re-queued (0 when none
/// matched).
#[utoipa::path(post, path = "/v1/ops/notifications/retry", tag = "it", operation_id = "retry_notifications",
    security(("bearer" = [])),
    params(RetryStatusParams, NotificationParams),
    responses(
        (status = 200, body = Requeued),
        (status = 401, response = Unauthorized),
        (status = 403, response = NotIt),
        (status = 422, response = ValidationFailed),
        (status = 503, response = Unavailable)))]
pub async fn retry_many(
    Authenticated(principal): Authenticated,
    status: web::Query<RetryStatusParams>,
    params: web::Query<NotificationParams>,
    include: web::Query<IncludeParams>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, Problem> {
    require_it(&principal)?;
    let mut errors = Errors::default();
    let mut filter = parse_filter(&mut errors, status.status.as_deref(), &params, &RETRYABLE);
    if include.include.is_some() {
        errors.add("include", "invalid", "is not accepted here");
    }
    errors.finish(())?;
    if filter.statuses.is_empty() {
        filter.statuses.push(NotificationStatus::Dead);
    }
    let requeued = notifications::requeue_many(&state.ops.notifications, &filter, Utc::now())
        .await
        .map_err(|e| read_problem(&e))?;
    tracing::info!(
        it_user = %principal.user_id,
        filter = %filter.to_document(),
        requeued,
        "notifications re-queued by IT"
    );
    Ok(no_store().json(Requeued { requeued }))
}

/// One notification, with its email's `text` and `html`.
#[utoipa::path(get, path = "/v1/ops/notifications/{id}", tag = "it", operation_id = "get_notification",
    security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "The notification's id")),
    responses(
        (status = 200, body = Notification),
        (status = 401, response = Unauthorized),
        (status = 403, response = NotIt),
        (status = 404, description = "No such notification (or a malformed id)", body = ProblemSchema, content_type = "application/problem+json"),
        (status = 503, response = Unavailable)))]
pub async fn get(
    Authenticated(principal): Authenticated,
    id: web::Path<Uuid>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, Problem> {
    require_it(&principal)?;
    let id = id.into_inner().to_string();
    let found = notifications::one(&state.ops.notifications, &id)
        .await
        .map_err(|e| read_problem(&e))?
        .ok_or_else(|| not_found(&id))?;
    Ok(no_store().json(found))
}

fn not_found(id: &str) -> Problem {
    Problem::not_found("notification-not-found", format!("no notification {id}"))
}

/// Counts by status, the oldest one waiting, the send rate and the recent
/// failures, computed now in one aggregation.
///
/// - `counts`: every status (0 when none); `total`; `dead` repeats
///   `counts.dead`.
/// - `oldest_pending`: the oldest `pending` or `failed` notification (by
///   `created_at`) with its age; null when none waits.
/// - `sent_last_hour`: sent (`sent_at`) in the last 60 minutes;
///   `send_rate_per_minute` is the number sent in the last 15 minutes
///   (`sent_last_15_minutes`) divided by 15.
/// - `failures_last_hour`: the notifications that are `failed` now and
///   whose last attempt (`updated_at`) was in the last 60 minutes, plus
///   those that became `dead` (`dead_at`) in them; each counts once,
///   however many of its attempts failed.
#[utoipa::path(get, path = "/v1/ops/notifications/summary", tag = "it", operation_id = "notifications_summary",
    security(("bearer" = [])),
    responses(
        (status = 200, body = Summary),
        (status = 401, response = Unauthorized),
        (status = 403, response = NotIt),
        (status = 503, response = Unavailable)))]
pub async fn summary(
    Authenticated(principal): Authenticated,
    state: web::Data<AppState>,
) -> Result<HttpResponse, Problem> {
    require_it(&principal)?;
    let summary = notifications::summary(&state.ops.notifications, Utc::now())
        .await
        .map_err(|e| read_problem(&e))?;
    Ok(no_store().json(summary))
}

/// Re-queues a `dead` (or `failed`) notification: in one atomic update it
/// becomes `pending` with `attempts: 0` and `next_attempt_at: now`, loses
/// its sender lock, and counts one more `requeued`; `last_error` and
/// `dead_at` stay for the record. The notifier sends it on its next poll.
/// No request body. 409 `not-retryable` when it is `pending` or `sent`, or
/// a sender holds it right now.
#[utoipa::path(post, path = "/v1/ops/notifications/{id}/retry", tag = "it", operation_id = "retry_notification",
    security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "The notification's id")),
    responses(
        (status = 200, description = "Re-queued: the notification as it is now", body = Notification),
        (status = 401, response = Unauthorized),
        (status = 403, response = NotIt),
        (status = 404, description = "No such notification (or a malformed id)", body = ProblemSchema, content_type = "application/problem+json"),
        (status = 409, description = "`not-retryable`: it is pending or sent, or being sent now", body = ProblemSchema, content_type = "application/problem+json"),
        (status = 503, response = Unavailable)))]
pub async fn retry(
    Authenticated(principal): Authenticated,
    id: web::Path<Uuid>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, Problem> {
    require_it(&principal)?;
    let id = id.into_inner().to_string();
    let outcome = notifications::requeue(&state.ops.notifications, &id, Utc::now())
        .await
        .map_err(|e| read_problem(&e))?;
    match outcome {
        Requeue::Done(notification, previous) => {
            tracing::info!(
                notification_id = %id,
                it_user = %principal.user_id,
                previous_status = %previous,
                requeued = notification.requeued,
                "notification re-queued by IT"
            );
            Ok(no_store().json(notification))
        }
        Requeue::Unknown => Err(not_found(&id)),
        Requeue::NotRetryable(found) => {
            let why = if found.status == "failed" || found.status == "dead" {
                format!(
                    "notification {id} is {} and being sent right now; retry later",
                    found.status
                )
            } else {
                format!(
                    "notification {id} is {}; only dead or failed notifications can be re-queued",
                    found.status
                )
            };
            Err(Problem::conflict("not-retryable", why))
        }
    }
}
