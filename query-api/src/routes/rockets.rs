//! `GET /v1/rockets`: the fleet, for operations employees (the
//! backoffice's rocket list and the launch form's rocket picker).
//!
//! Read from the event store (see [`crate::rockets`]). Operations only:
//! they register rockets and schedule launches on them; IT already reads
//! every registration in the event log (`/v1/ops/events`), and nobody else
//! picks a rocket. A missing or bad token is 401, any other role 403.

use actix_web::http::header;
use actix_web::{web, HttpResponse};
use platform::auth::Authenticated;
use platform::{Department, Problem, Role};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::errors::event_store_problem;
use crate::openapi::{NotOperations, Unauthorized, Unavailable, ValidationFailed};
use crate::params::{Errors, PagingParams};
use crate::rockets::{self, FleetError, Rocket};
use crate::startup::AppState;

/// An employee's view that changes whenever a rocket is registered.
const NO_STORE: &str = "private, no-store";

/// Longest `q`: a rocket's name is at most 100 characters.
pub const MAX_Q_CHARS: usize = 100;

/// The filter of `GET /v1/rockets`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RocketParams {
    /// The name contains this text (case-insensitive, taken literally;
    /// trimmed; at most 100 characters, no control characters).
    #[param(value_type = Option<String>, example = "Star", max_length = 100, pattern = r"^[^\u0000-\u001F\u007F-\u009F]*$")]
    pub q: Option<String>,
}

/// A page of rockets (the shape of every paged list of this API).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RocketPage {
    /// Newest registration first.
    pub items: Vec<Rocket>,
    /// This page's number, from 1.
    pub page: u64,
    /// Rockets per page asked for.
    pub page_size: u64,
    /// Rockets matching `q`, over every page.
    pub total: u64,
}

/// The registered rockets, newest first (by their registration's position
/// in the event store), each with its name, seats, range and registration
/// time; `q` keeps those whose name contains it. Read from the event
/// store, so a rocket is listed as soon as `POST /v1/rockets` on the
/// command API has answered 201. Operations employees only.
#[utoipa::path(get, path = "/v1/rockets", tag = "rockets", operation_id = "list_rockets",
    security(("bearer" = [])),
    params(RocketParams, PagingParams),
    responses(
        (status = 200, body = RocketPage, headers(
            ("Cache-Control" = String, description = "`private, no-store`"))),
        (status = 401, response = Unauthorized),
        (status = 403, response = NotOperations),
        (status = 422, response = ValidationFailed),
        (status = 503, response = Unavailable)))]
pub async fn list(
    Authenticated(principal): Authenticated,
    params: web::Query<RocketParams>,
    paging: web::Query<PagingParams>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, Problem> {
    principal.require(&[Role::Employee(Department::Operations)])?;
    let mut errors = Errors::default();
    let q = super::ops::text(&mut errors, "q", params.q.as_deref(), MAX_Q_CHARS);
    let paging = errors.paging(paging.page.as_deref(), paging.page_size.as_deref());
    errors.finish(())?;

    let limit = i64::try_from(paging.page_size).unwrap_or(i64::MAX);
    let offset = i64::try_from((paging.page - 1) * paging.page_size).unwrap_or(i64::MAX);
    let (items, total) = rockets::page(state.finance.pool(), q.as_deref(), limit, offset)
        .await
        .map_err(|error| match error {
            FleetError::Store(e) => event_store_problem(&e),
            FleetError::Unreadable(e) => {
                tracing::error!(error = %e, "rocket list: unreadable registration");
                Problem::internal()
            }
        })?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, NO_STORE))
        .json(RocketPage {
            items,
            page: paging.page,
            page_size: paging.page_size,
            total: u64::try_from(total).unwrap_or(0),
        }))
}
