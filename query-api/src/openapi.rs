//! The OpenAPI document, generated from the handlers' annotations, and the
//! problem responses every operation shares.
//!
//! Every error answer is RFC 9457 `application/problem+json`, one schema
//! (`Problem`; `ValidationProblem` for 422, whose `errors` name the
//! fields), referenced from reusable response components
//! (`#/components/responses/...`) so that the text of a 401 or a 503 is
//! written once. (These components belong in `platform::openapi` once
//! every service uses them; they live here until then.)

use actix_web::{web, HttpResponse};
use platform::openapi::BearerAuth;
use serde::Deserialize;
use utoipa::openapi::header::HeaderBuilder;
use utoipa::openapi::schema::Schema;
use utoipa::openapi::{ContentBuilder, Ref, RefOr, Response, ResponseBuilder};
use utoipa::{OpenApi, ToResponse, ToSchema};

use crate::routes;
use crate::startup::AppState;

/// The media type of every error answer.
pub const PROBLEM_JSON: &str = platform::problem::PROBLEM_JSON;

/// The shape of every error answer (the schema of [`platform::Problem`]).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = Problem)]
#[allow(dead_code)] // Only its schema is used.
pub struct ProblemSchema {
    /// A stable relative URI per kind of problem, `/problems/<code>`, that
    /// clients can switch on.
    #[serde(rename = "type")]
    #[schema(
        example = "/problems/validation-failed",
        pattern = "^/problems/[a-z0-9-]+$"
    )]
    type_: String,
    /// Short, fixed per `type`.
    #[schema(example = "Invalid request fields")]
    title: String,
    /// The HTTP status.
    #[schema(minimum = 400, maximum = 599, example = 422)]
    status: u16,
    /// This occurrence, in words safe to show.
    detail: Option<String>,
    /// Field by field, for a 422 (absent otherwise).
    #[schema(min_items = 1)]
    errors: Option<Vec<FieldErrorSchema>>,
}

/// The shape of a 422 answer: a [`ProblemSchema`] whose `errors` name each
/// invalid parameter, path segment or header.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = ValidationProblem)]
#[allow(dead_code)] // Only its schema is used.
pub struct ValidationProblemSchema {
    /// `/problems/validation-failed`.
    #[serde(rename = "type")]
    #[schema(
        example = "/problems/validation-failed",
        pattern = "^/problems/validation-failed$"
    )]
    type_: String,
    /// `Invalid request fields`.
    title: String,
    /// 422.
    #[schema(minimum = 422, maximum = 422)]
    status: u16,
    /// The one invalid field and why, or how many are invalid.
    detail: String,
    /// Every invalid field, each named.
    #[schema(min_items = 1)]
    errors: Vec<FieldErrorSchema>,
}

/// One invalid field of a request (the schema of [`platform::FieldError`]).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = FieldError)]
#[allow(dead_code)] // Only its schema is used.
pub struct FieldErrorSchema {
    /// The query parameter, path segment or header, e.g. `page_size`.
    #[schema(example = "page_size")]
    field: String,
    /// A stable code: `invalid`, `out-of-range`, `too-long`, `control-character`, `not-allowed`, …
    #[schema(example = "out-of-range")]
    code: String,
    /// What is wrong, in words.
    #[schema(example = "must be an integer from 1 to 100")]
    message: String,
}

/// A problem response with `description`, the schema named `schema`, and
/// these headers (name, description).
fn problem_response(description: &str, schema: &str, headers: &[(&str, &str)]) -> Response {
    let mut response = ResponseBuilder::new().description(description).content(
        PROBLEM_JSON,
        ContentBuilder::new()
            .schema(Some(Ref::from_schema_name(schema)))
            .build(),
    );
    for (name, description) in headers {
        response = response.header(
            *name,
            HeaderBuilder::new()
                .schema(
                    utoipa::openapi::ObjectBuilder::new()
                        .schema_type(utoipa::openapi::Type::String),
                )
                .description(Some(*description))
                .build(),
        );
    }
    response.build()
}

const RETRY_AFTER: (&str, &str) = (
    "Retry-After",
    "Seconds to wait before retrying (an integer)",
);

/// Declares a reusable problem response component.
macro_rules! problem_responses {
    ($($(#[$doc:meta])* $name:ident => ($description:expr, $schema:expr, [$($header:expr),*]);)*) => {
        $(
            $(#[$doc])*
            pub struct $name;

            impl<'s> ToResponse<'s> for $name {
                fn response() -> (&'s str, RefOr<Response>) {
                    (
                        stringify!($name),
                        problem_response($description, $schema, &[$($header),*]).into(),
                    )
                }
            }
        )*
    };
}

problem_responses! {
    /// 401 of every operation that takes a token.
    Unauthorized => (
        "No token, or one that is malformed, expired, revoked or not signed by the auth service",
        "Problem", []);
    /// 403 of the IT console's operations (`/v1/ops/*`).
    NotIt => ("The token is valid but not an IT employee's", "Problem", []);
    /// 403 of the fleet (`/v1/rockets`).
    NotOperations => ("The token is valid but not an operations employee's", "Problem", []);
    /// 403 of a holder's own bookings.
    NotHolder => ("The token is valid but not a traveler's or an agency's", "Problem", []);
    /// 403 of the finance documents.
    NotFinanceOrHolder => (
        "The token is valid but neither a finance employee's, a traveler's nor an agency's; or (the list) a traveler or an agency names another holder in `holder_id`",
        "Problem", []);
    /// 422 of every operation with parameters.
    ValidationFailed => (
        "A parameter (query, path or header) is not acceptable: `errors` names each one, with a code and why",
        "ValidationProblem", []);
    /// 429 of the log followers.
    TooManyFollowers => (
        "`too-many-followers`: this user already follows the logs in `OPS_FOLLOW_MAX_PER_USER` streams, or the process serves `OPS_FOLLOW_MAX_FOLLOWERS`",
        "Problem", [RETRY_AFTER]);
    /// 503 of every operation that reads a store or a broker.
    Unavailable => (
        "`service-unavailable`: a store or broker the operation reads (see its description) does not answer, or has not caught up within the bounded wait",
        "Problem", [RETRY_AFTER]);
}

/// The query API's OpenAPI description.
#[derive(OpenApi)]
#[openapi(
    info(title = "Astro Bookings query API", description = "The read side: launches on sale and a holder's bookings, from the sales read model; a traveler's or an agency's own profile, from the profiles projection; the registered rockets for operations (`/v1/rockets`), from the event store; invoices and credit notes (JSON and PDF), from the finance projection, now or `as_of` an instant; and for IT (`/v1/ops/*`, tag `it`): the system logs (paged or followed live), the notifications, their summary and the re-queue of a dead one or of every one a filter matches, the event store, the events the consumers parked (list, replay after a fix, discard), and the status of every service, JetStream consumer and projection. Read-your-writes: pass the version the command API answered (`min_version`, or the `Astro-Min-Version` header) to wait, bounded, until the read model has it.\n\nErrors are RFC 9457 `application/problem+json` (schema `Problem`; `ValidationProblem` for 422). Every operation lists the statuses it answers; besides them, a method a path does not serve is 405 with `Allow`, an unknown path 404, and an unexpected failure 500. No operation reads a request body (the `POST`s and the `DELETE` act on their path and query only)."),
    paths(
        routes::health,
        routes::ready,
        routes::metrics,
        routes::openapi,
        routes::launches::list,
        routes::launches::get,
        routes::bookings::mine,
        routes::profiles::mine,
        routes::rockets::list,
        routes::invoices::list,
        routes::invoices::get,
        routes::invoices::pdf,
        routes::ops::logs::list,
        routes::ops::notifications::list,
        routes::ops::notifications::summary,
        routes::ops::notifications::get,
        routes::ops::notifications::retry,
        routes::ops::notifications::retry_many,
        routes::ops::events::list,
        routes::ops::parked::list,
        routes::ops::parked::get,
        routes::ops::parked::replay,
        routes::ops::parked::replay_many,
        routes::ops::parked::discard,
        routes::ops::status::get,
    ),
    components(
        schemas(
            ProblemSchema,
            ValidationProblemSchema,
            FieldErrorSchema,
            // Named by parameters (`value_type`), which utoipa does not collect.
            routes::launches::DestinationName,
            routes::launches::SortName,
            routes::bookings::BookingStatusName,
            routes::invoices::KindName,
        ),
        responses(Unauthorized, NotIt, NotOperations, NotHolder, NotFinanceOrHolder, ValidationFailed, TooManyFollowers, Unavailable),
    ),
    modifiers(&BearerAuth)
)]
pub struct ApiDoc;

/// The document as this process serves it: [`ApiDoc`] with the bounds
/// that come from its configuration (the bulk replay's `limit` is at most
/// `OPS_PARKED_REPLAY_MAX`).
pub fn document(parked_replay_max: u64) -> utoipa::openapi::OpenApi {
    let mut doc = ApiDoc::openapi();
    let replay = doc
        .paths
        .paths
        .get_mut("/v1/ops/parked/replay")
        .and_then(|item| item.post.as_mut())
        .and_then(|operation| operation.parameters.as_mut());
    for parameter in replay.into_iter().flatten() {
        if parameter.name != "limit" {
            continue;
        }
        if let Some(RefOr::T(Schema::Object(object))) = parameter.schema.as_mut() {
            object.maximum = Some(utoipa::Number::UInt(parked_replay_max as usize));
        }
    }
    doc
}

/// `GET /openapi.json`.
pub async fn serve(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok().json(document(state.ops.settings.parked_replay_max))
}
