//! `GET /v1/ops/logs`: the system logs of every service, filtered, newest
//! first, by keyset pages, or followed live (`follow=true`, Server-Sent
//! Events).

use actix_web::http::header;
use actix_web::{web, HttpResponse};
use platform::auth::Authenticated;
use platform::Problem;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{name, require_it, text, time_range, NO_STORE};
use crate::errors::core_problem;
use crate::openapi::{NotIt, TooManyFollowers, Unauthorized, Unavailable, ValidationFailed};
use crate::ops::follow::{self, Refusal};
use crate::ops::logs::{self, Cursor, Level, LogEntry, LogFilter};
use crate::params::Errors;
use crate::startup::AppState;

/// Largest `page_size` of the logs.
pub const MAX_LOG_PAGE_SIZE: u64 = 500;
/// Default `page_size` of the logs.
pub const DEFAULT_LOG_PAGE_SIZE: u64 = 50;

const LEVELS: &str = "error, warn, info, debug or trace";

/// The filters of `GET /v1/ops/logs`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LogParams {
    /// Only these levels, comma-separated (`error,warn`): exact levels
    /// (`error`, `warn` or `warning`, `info`, `debug`, `trace`, whatever
    /// the case; blanks around them and empty items are ignored, but one
    /// level at least).
    #[param(schema_with = level_list_schema, example = "error,warn")]
    pub level: Option<String>,
    /// This level and the more severe ones (`warn`: warn and error). With
    /// `level` too, an entry must satisfy both.
    #[param(schema_with = level_schema, example = "warn")]
    pub min_level: Option<String>,
    /// Only these services, comma-separated (`command-api,auth`): each 1
    /// to 100 of `A-Z a-z 0-9 - _ .`; blanks around them and empty items
    /// are ignored (none at all: every service).
    #[param(schema_with = service_list_schema, example = "command-api")]
    pub service: Option<String>,
    /// The message contains this text (case-insensitive, taken literally;
    /// at most 200 characters, no control characters).
    #[param(value_type = Option<String>, example = "timed out", max_length = 200, pattern = r"^[^\u0000-\u001F\u007F-\u009F]*$")]
    pub q: Option<String>,
    /// Logged at or after: an RFC 3339 instant, or a date (UTC), from
    /// 1970-01-01 to 9999-12-31 (else 422).
    #[param(schema_with = crate::params::instant_or_date_schema, example = "2026-11-25T10:00:00Z")]
    pub from: Option<String>,
    /// Logged before: an RFC 3339 instant (exclusive), or a date (the
    /// whole day included), up to 9999-12-31 (else 422).
    #[param(schema_with = crate::params::instant_or_date_schema, example = "2026-11-25T11:00:00Z")]
    pub to: Option<String>,
    /// Exact correlation id (what a client sent as `X-Correlation-Id`, or
    /// the request id; a consumer's entries carry the event's); no control
    /// characters, at most 128.
    #[param(value_type = Option<String>, max_length = 128, pattern = r"^[^\u0000-\u001F\u007F-\u009F]*$")]
    pub correlation_id: Option<String>,
    /// Exact request id (the `X-Request-Id` of an answer); no control
    /// characters, at most 128.
    #[param(value_type = Option<String>, max_length = 128, pattern = r"^[^\u0000-\u001F\u007F-\u009F]*$")]
    pub request_id: Option<String>,
    /// The authenticated user (UUID).
    #[param(value_type = Option<uuid::Uuid>)]
    pub user_id: Option<String>,
    /// Keyset cursor: only entries older than this one, as the previous
    /// page's `next_before` gave it (`<time>,<id>`).
    #[param(value_type = Option<String>, pattern = r"^\s*(19[7-9][0-9]|[2-9][0-9]{3})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]{1,9})?(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])\s*,\s*[0-9a-fA-F]{24}\s*$", example = "2026-11-25T10:59:58.120Z,6744a5f0c2a1b2c3d4e5f601")]
    pub before: Option<String>,
    /// Entries per page, 1 to 500. Default 50.
    #[param(value_type = Option<u64>, minimum = 1, maximum = 500)]
    pub page_size: Option<String>,
    /// `true`: instead of a page, a `text/event-stream` of the new entries
    /// that match the filters, as they are logged (see the operation's
    /// description). Not with `before`.
    #[param(value_type = Option<bool>)]
    pub follow: Option<String>,
}

/// One level, as [`Level::parse`] reads it (whatever the case, blanks
/// around it ignored).
const LEVEL_PATTERN: &str = r"\s*([eE][rR][rR][oO][rR]|[wW][aA][rR][nN]([iI][nN][gG])?|[iI][nN][fF][oO]|[dD][eE][bB][uU][gG]|[tT][rR][aA][cC][eE])\s*";

/// One service name, as [`name`] reads it.
const SERVICE_PATTERN: &str = r"\s*[A-Za-z0-9._-]{1,100}\s*";

fn string_pattern(pattern: String) -> utoipa::openapi::Object {
    utoipa::openapi::ObjectBuilder::new()
        .schema_type(utoipa::openapi::Type::String)
        .pattern(Some(pattern))
        .build()
}

/// `min_level`: one level.
fn level_schema() -> utoipa::openapi::Object {
    string_pattern(format!("^{LEVEL_PATTERN}$"))
}

/// `level`: levels, comma-separated, empty items ignored, one at least.
fn level_list_schema() -> utoipa::openapi::Object {
    string_pattern(format!(
        r"^(\s*,)*{LEVEL_PATTERN}(,({LEVEL_PATTERN}|\s*))*$"
    ))
}

/// `service`: names, comma-separated, empty items ignored.
fn service_list_schema() -> utoipa::openapi::Object {
    string_pattern(format!(
        r"^({SERVICE_PATTERN}|\s*)(,({SERVICE_PATTERN}|\s*))*$"
    ))
}

/// A page of log entries.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LogPage {
    /// Newest first.
    pub items: Vec<LogEntry>,
    /// Entries per page asked for.
    pub page_size: u64,
    /// The `before` of the next (older) page; null when there is none.
    pub next_before: Option<String>,
}

/// One event of a followed log (the documentation of `follow=true`), as
/// an SSE client reads it: OpenAPI 3.1 describes a `text/event-stream` by
/// the schema of each event.
pub struct LogStreamEvent;

impl utoipa::PartialSchema for LogStreamEvent {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::{ObjectBuilder, Type};
        let string = || ObjectBuilder::new().schema_type(Type::String);
        ObjectBuilder::new()
            .schema_type(Type::Object)
            .description(Some(
                "One Server-Sent Event. The stream opens with `retry: 1000` and a comment, and sends a `: heartbeat` comment after 15 s of silence (comments are not events).",
            ))
            .property(
                "event",
                string()
                    .enum_values(Some(["message", "lagged", "gap", "error", "end"]))
                    .description(Some(
                        "`message` (no `event:` line): a new entry; `lagged`: the client read too slowly and `skipped` entries were dropped; `gap`: the shared change stream restarted (entries logged meanwhile may be missing); `error`: it failed (the response ends: reconnect); `end`: `OPS_FOLLOW_MAX_SECS` passed or the change stream ended (the response ends: reconnect)",
                    )),
            )
            .property(
                "id",
                string().description(Some(
                    "The entry's cursor, `<RFC 3339 time>,<id>` (set by each `message`)",
                )),
            )
            .property(
                "data",
                string()
                    .content_media_type("application/json")
                    .description(Some(
                        "JSON: a `message` carries a `LogEntry`; `lagged` `{\"skipped\": n}`; `gap`, `error` and `end` `{\"reason\": \"…\"}`",
                    )),
            )
            .property(
                "retry",
                ObjectBuilder::new()
                    .schema_type(Type::Integer)
                    .description(Some("Milliseconds before a reconnection")),
            )
            .required("event")
            .required("data")
            .additional_properties(Some(utoipa::openapi::schema::AdditionalProperties::FreeForm(false)))
            .into()
    }
}

impl ToSchema for LogStreamEvent {}

/// The validated parameters.
#[derive(Debug)]
pub struct Query {
    /// Which entries.
    pub filter: LogFilter,
    /// Only entries older than this one.
    pub before: Option<Cursor>,
    /// Entries per page, 1 to [`MAX_LOG_PAGE_SIZE`].
    pub page_size: u64,
    /// A live stream instead of a page (never with `before`).
    pub follow: bool,
}

fn levels(errors: &mut Errors, field: &str, raw: &str) -> Vec<Level> {
    let mut levels = Vec::new();
    for item in raw.split(',').map(str::trim).filter(|i| !i.is_empty()) {
        match Level::parse(item) {
            Some(level) if !levels.contains(&level) => levels.push(level),
            Some(_) => {}
            None => {
                errors.add(field, "invalid", format!("must be {LEVELS}"));
                return Vec::new();
            }
        }
    }
    if levels.is_empty() {
        errors.add(field, "invalid", format!("must be {LEVELS}"));
    }
    levels
}

/// The query the parameters ask for, or a 422 naming every invalid one.
pub fn parse(params: &LogParams) -> Result<Query, Problem> {
    let mut errors = Errors::default();
    let exact = params
        .level
        .as_deref()
        .map(|raw| levels(&mut errors, "level", raw));
    let minimum = params
        .min_level
        .as_deref()
        .map(|raw| match Level::parse(raw) {
            Some(level) => level.and_above(),
            None => {
                errors.add("min_level", "invalid", format!("must be {LEVELS}"));
                Vec::new()
            }
        });
    let levels = match (exact, minimum) {
        (Some(exact), Some(minimum)) => {
            Some(exact.into_iter().filter(|l| minimum.contains(l)).collect())
        }
        (one, other) => one.or(other),
    };
    let services = params
        .service
        .as_deref()
        .map(|raw| {
            raw.split(',')
                .filter(|s| !s.trim().is_empty())
                .filter_map(|s| name(&mut errors, "service", s))
                .collect()
        })
        .unwrap_or_default();
    let text_filter = text(&mut errors, "q", params.q.as_deref(), 200);
    let (from, to) = time_range(&mut errors, params.from.as_deref(), params.to.as_deref());
    let correlation_id = text(
        &mut errors,
        "correlation_id",
        params.correlation_id.as_deref(),
        128,
    );
    let request_id = text(&mut errors, "request_id", params.request_id.as_deref(), 128);
    let user_id = errors.uuid("user_id", params.user_id.as_deref());
    let before = params.before.as_deref().and_then(|raw| {
        let cursor = Cursor::decode(raw);
        if cursor.is_none() {
            errors.add(
                "before",
                "invalid",
                "must be a cursor `<RFC 3339 time>,<id>` as `next_before` gave it",
            );
        }
        cursor
    });
    let page_size = errors.integer(
        "page_size",
        params.page_size.as_deref(),
        1..=MAX_LOG_PAGE_SIZE,
        DEFAULT_LOG_PAGE_SIZE,
    );
    let follow = errors.boolean("follow", params.follow.as_deref(), false);
    if follow && params.before.is_some() {
        errors.add(
            "before",
            "not-allowed",
            "cannot be combined with follow=true (following starts now)",
        );
    }
    errors.finish(Query {
        filter: LogFilter {
            levels,
            services,
            text: text_filter,
            from,
            to,
            correlation_id,
            request_id,
            user_id,
        },
        before,
        page_size,
        follow,
    })
}

/// Seconds a refused follower is asked to wait (`Retry-After`): places
/// free up as other followers end, at the latest after
/// `OPS_FOLLOW_MAX_SECS`.
pub const FOLLOW_RETRY_AFTER_SECS: u64 = 5;

/// 429 for a follower past a limit.
fn too_many_followers(refusal: Refusal) -> Problem {
    let detail = match refusal {
        Refusal::PerUser => "you already follow the logs in as many streams as allowed (OPS_FOLLOW_MAX_PER_USER); close one",
        Refusal::Total => "too many clients follow the logs (OPS_FOLLOW_MAX_FOLLOWERS); retry shortly",
    };
    let mut problem =
        Problem::new(429, "too-many-followers", "Too many requests").with_detail(detail);
    problem.retry_after = Some(FOLLOW_RETRY_AFTER_SECS);
    problem
}

/// The system logs of every service (`core.logs`, shipped by each service
/// and kept for the shipper's retention), filtered, newest first (by time,
/// then id).
///
/// **Pages** are cut by a keyset cursor: pass the answer's `next_before`
/// as `before` for the next, older, page; entries logged meanwhile do not
/// shift it. No total is counted.
///
/// **Follow** (`follow=true`): answers `text/event-stream`. The stream
/// starts with a comment, then sends each new entry matching the filters
/// (from one MongoDB change stream on the inserts that the process shares
/// among its followers) as `id: <cursor>` and `data: <entry JSON>`; a
/// `: heartbeat` comment after 15 s of silence; `event: lagged`
/// (`{"skipped": n}`) when the client read too slowly and `n` entries were
/// dropped; `event: gap` when the shared stream had to restart (entries
/// logged meanwhile may be missing); `event: error` and the end of the
/// response when it failed; after `OPS_FOLLOW_MAX_SECS` an `event: end`
/// and the end of the response (reconnect to go on). 429
/// (Retry-After) past `OPS_FOLLOW_MAX_PER_USER` streams of one user or
/// `OPS_FOLLOW_MAX_FOLLOWERS` in all; 503 when the change stream cannot
/// be opened.
#[utoipa::path(get, path = "/v1/ops/logs", tag = "it", operation_id = "list_logs",
    security(("bearer" = [])),
    params(LogParams),
    responses(
        (status = 200, description = "A page of entries (`application/json`), or with `follow=true` a stream of the new entries (`text/event-stream`, the events of the operation's description)", content(
            (LogPage = "application/json"),
            (LogStreamEvent = "text/event-stream")),
            headers(("Cache-Control" = String, description = "`no-store`"))),
        (status = 401, response = Unauthorized),
        (status = 403, response = NotIt),
        (status = 422, response = ValidationFailed),
        (status = 429, response = TooManyFollowers),
        (status = 503, response = Unavailable)))]
pub async fn list(
    Authenticated(principal): Authenticated,
    params: web::Query<LogParams>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, Problem> {
    require_it(&principal)?;
    let query = parse(&params)?;
    let ops = &state.ops;
    if query.follow {
        let slot = ops.follow.slot(principal.user_id).map_err(|refusal| {
            tracing::warn!(?refusal, "following the logs: refused");
            too_many_followers(refusal)
        })?;
        let feed = ops.follow.subscribe().await.map_err(|error| {
            tracing::error!(%error, "following the logs: cannot open the change stream");
            Problem::unavailable("the logs cannot be followed now; retry shortly")
        })?;
        return Ok(HttpResponse::Ok()
            .content_type("text/event-stream")
            .insert_header((header::CACHE_CONTROL, NO_STORE))
            .insert_header(("X-Accel-Buffering", "no"))
            .streaming(follow::sse(
                feed,
                query.filter,
                ops.settings.follow_max,
                slot,
            )));
    }
    let (items, more) = logs::page(&ops.logs, &query.filter, query.before, query.page_size)
        .await
        .map_err(|e| core_problem(&e))?;
    let next_before = if more {
        items.last().and_then(LogEntry::cursor).map(|c| c.encode())
    } else {
        None
    };
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, NO_STORE))
        .json(LogPage {
            items,
            page_size: query.page_size,
            next_before,
        }))
}
