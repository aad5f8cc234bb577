//! Finance: invoices and credit notes, listed, one by one, and printable.
//!
//! **Who sees what.** `employee:finance` sees every document; a traveler
//! or an agency sees only the documents they pay (`holder_id` = their user
//! id): naming another holder in `holder_id` is 403, and another holder's
//! single document is 404, as if it did not exist. Other employees get 403,
//! a missing or bad token 401.
//!
//! **As of when.** Documents are issued in the event store's global order,
//! and every answer is a prefix of that order up to a `position` (see
//! [`crate::finance`]): without `as_of`, the finance projection's
//! checkpoint; with `as_of`, the last event that occurred at or before that
//! instant (`min(global_position) − 1` of the events after it, or the last
//! event when none is after it). Only documents issued at or before the
//! position exist in the answer, and an invoice is cancelled only if its
//! cancellation is too. When the projection has not reached that position,
//! the request polls its checkpoint every 20 ms for up to
//! `READ_YOUR_WRITES_MAX_WAIT_MS`, then answers 503 (`Retry-After: 1`).

use std::time::Instant;

use actix_web::http::header;
use actix_web::{web, HttpResponse};
use chrono::{DateTime, Utc};
use platform::auth::{Authenticated, Principal};
use platform::{Department, Problem, Role};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::errors::postgres_problem;
use crate::finance::{parse_number, DocumentFilter, DocumentKind};
use crate::finance_views::{Document, DocumentDetail, DocumentPage, Horizon, Totals};
use crate::metrics::AsOfOutcome;
use crate::openapi::{
    NotFinanceOrHolder, ProblemSchema, Unauthorized, Unavailable, ValidationFailed,
};
use crate::params::{Errors, PagingParams};
use crate::startup::AppState;

/// Every finance answer is personal and changes as documents are issued.
const NO_STORE: &str = "private, no-store";

const KINDS: [(&str, DocumentKind); 2] = [
    ("invoice", DocumentKind::Invoice),
    ("credit_note", DocumentKind::CreditNote),
];

/// Whose documents a caller may read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// `employee:finance`: everyone's.
    All,
    /// A traveler or an agency: those they pay.
    Own(Uuid),
}

impl Access {
    /// The access of `principal`; 403 for an employee outside finance.
    pub fn of(principal: &Principal) -> Result<Self, Problem> {
        match principal.role {
            Role::Employee(Department::Finance) => Ok(Self::All),
            Role::Traveler | Role::Agency => Ok(Self::Own(principal.user_id)),
            Role::Employee(_) => Err(Problem::forbidden(format!(
                "invoices are open to finance, travelers and agencies, not to the role {}",
                principal.role
            ))),
        }
    }

    /// The holder to filter on, given the one asked for: a holder's own
    /// documents always; 403 when a holder names someone else.
    pub fn holder_filter(self, asked: Option<Uuid>) -> Result<Option<Uuid>, Problem> {
        match (self, asked) {
            (Self::All, asked) => Ok(asked),
            (Self::Own(me), Some(asked)) if asked != me => Err(Problem::forbidden(
                "a traveler or an agency sees only their own invoices",
            )),
            (Self::Own(me), _) => Ok(Some(me)),
        }
    }

    /// Whether the caller may read a document paid by `holder_id`.
    pub fn may_read(self, holder_id: Uuid) -> bool {
        match self {
            Self::All => true,
            Self::Own(me) => me == holder_id,
        }
    }
}

/// The filters of `GET /v1/invoices`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct InvoiceParams {
    /// Only the documents numbered in this year (1 to 9999).
    #[param(value_type = Option<i32>, minimum = 1, maximum = 9999, example = 2026)]
    pub year: Option<String>,
    /// Only the documents paid by this holder (UUID). A traveler or an
    /// agency may name only themselves (another holder is 403).
    #[param(value_type = Option<uuid::Uuid>)]
    pub holder_id: Option<String>,
    /// Only the documents of bookings on this launch (UUID).
    #[param(value_type = Option<uuid::Uuid>)]
    pub launch_id: Option<String>,
    /// Only invoices, or only credit notes.
    #[param(value_type = Option<KindName>, example = "invoice")]
    pub kind: Option<String>,
    /// The documents as they stood at this instant (RFC 3339): those issued
    /// by the events up to the last one that occurred at or before it, and
    /// cancellations as of then. From 1970-01-01 to 9999-12-31 (UTC),
    /// else 422.
    #[param(schema_with = crate::params::instant_schema, example = "2026-12-31T23:59:59Z")]
    pub as_of: Option<String>,
}

/// The kinds of finance documents (the documentation of `kind`).
#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
#[allow(dead_code)] // Only its schema is used.
pub enum KindName {
    /// Invoices, `INV-YYYY-NNNNNN`.
    Invoice,
    /// Credit notes, `CN-YYYY-NNNNNN`.
    CreditNote,
}

/// `as_of` of a single document.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AsOfParams {
    /// The document as it stood at this instant (RFC 3339): 404 if it was
    /// not issued yet; its cancellation and credit notes as of then. From
    /// 1970-01-01 to 9999-12-31 (UTC), else 422.
    #[param(schema_with = crate::params::instant_schema, example = "2026-12-31T23:59:59Z")]
    pub as_of: Option<String>,
}

/// What the answer covers: the cutoff position of `as_of` (or the current
/// projection), once the projection has reached it.
async fn horizon(state: &AppState, as_of: Option<DateTime<Utc>>) -> Result<Horizon, Problem> {
    let finance = &state.finance;
    let Some(as_of) = as_of else {
        let checkpoint = finance
            .checkpoint()
            .await
            .map_err(|e| postgres_problem(&e))?;
        return Ok(Horizon {
            as_of: None,
            position: checkpoint,
            projected_up_to: checkpoint,
        });
    };
    let started = Instant::now();
    let cutoff = finance
        .cutoff_at(as_of)
        .await
        .map_err(|e| postgres_problem(&e))?;
    let waited = finance
        .wait_for_checkpoint(cutoff, state.max_wait.saturating_sub(started.elapsed()))
        .await
        .map_err(|e| postgres_problem(&e))?;
    match waited {
        Some((checkpoint, waited)) => {
            state.metrics.as_of(if waited {
                AsOfOutcome::Waited
            } else {
                AsOfOutcome::Fresh
            });
            Ok(Horizon {
                as_of: Some(as_of),
                position: cutoff,
                projected_up_to: checkpoint,
            })
        }
        None => {
            state.metrics.as_of(AsOfOutcome::Unavailable);
            tracing::warn!(
                %as_of,
                cutoff,
                "finance projection behind the instant asked for"
            );
            Err(Problem::unavailable(format!(
                "the finance projection has not reached {} yet; retry shortly",
                as_of.to_rfc3339()
            )))
        }
    }
}

/// The invoices and credit notes the caller may see, in issue order
/// (ascending global position), with the sums of the page and of every
/// matching document. Finance sees all; travelers and agencies their own.
#[utoipa::path(get, path = "/v1/invoices", tag = "finance", operation_id = "list_invoices",
    security(("bearer" = [])),
    params(InvoiceParams, PagingParams),
    responses(
        (status = 200, body = DocumentPage, headers(
            ("Cache-Control" = String, description = "`private, no-store`"))),
        (status = 401, response = Unauthorized),
        (status = 403, response = NotFinanceOrHolder),
        (status = 422, response = ValidationFailed),
        (status = 503, response = Unavailable)))]
pub async fn list(
    Authenticated(principal): Authenticated,
    params: web::Query<InvoiceParams>,
    paging: web::Query<PagingParams>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, Problem> {
    let access = Access::of(&principal)?;
    let mut errors = Errors::default();
    let year = params
        .year
        .as_deref()
        .map(|raw| errors.integer("year", Some(raw), 1..=9_999, 1) as i32);
    let holder_id = uuid_param(&mut errors, "holder_id", params.holder_id.as_deref());
    let launch_id = uuid_param(&mut errors, "launch_id", params.launch_id.as_deref());
    let kind = errors.choice("kind", params.kind.as_deref(), &KINDS);
    let as_of = errors.rfc3339("as_of", params.as_of.as_deref());
    let paging = errors.paging(paging.page.as_deref(), paging.page_size.as_deref());
    errors.finish(())?;
    let holder_id = access.holder_filter(holder_id)?;

    let horizon = horizon(&state, as_of).await?;
    let filter = DocumentFilter {
        kind,
        year,
        holder_id,
        launch_id,
        ..DocumentFilter::default()
    };
    let limit = i64::try_from(paging.page_size).unwrap_or(i64::MAX);
    let offset = i64::try_from((paging.page - 1) * paging.page_size).unwrap_or(i64::MAX);
    let totals = state
        .finance
        .totals(horizon.position, &filter)
        .await
        .map_err(|e| postgres_problem(&e))?;
    let rows = state
        .finance
        .documents(horizon.position, &filter, limit, offset)
        .await
        .map_err(|e| postgres_problem(&e))?;
    let items: Vec<Document> = rows.into_iter().map(Document::from).collect();
    let page = DocumentPage {
        page_totals: Totals::of(&items),
        items,
        page: paging.page,
        page_size: paging.page_size,
        total: u64::try_from(totals.total).unwrap_or(0),
        totals: totals.into(),
        horizon,
    };
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, NO_STORE))
        .json(page))
}

/// A UUID parameter, recorded as an error when malformed.
fn uuid_param(errors: &mut Errors, field: &str, raw: Option<&str>) -> Option<Uuid> {
    errors
        .uuid(field, raw)
        .and_then(|id| Uuid::parse_str(&id).ok())
}

/// The document `number` as the caller may see it: 422 for a malformed
/// number or `as_of`, 404 when it does not exist (as of the answer) or is
/// someone else's.
async fn load(
    principal: &Principal,
    number: &str,
    as_of: Option<&str>,
    state: &AppState,
) -> Result<DocumentDetail, Problem> {
    let access = Access::of(principal)?;
    let mut errors = Errors::default();
    let kind = parse_number(number);
    if kind.is_none() {
        errors.add(
            "number",
            "invalid",
            "must be INV-YYYY-NNNNNN or CN-YYYY-NNNNNN",
        );
    }
    let as_of = errors.rfc3339("as_of", as_of);
    errors.finish(())?;
    let not_found = || match kind {
        Some(DocumentKind::CreditNote) => {
            Problem::not_found("credit-note-not-found", format!("no credit note {number}"))
        }
        _ => Problem::not_found("invoice-not-found", format!("no invoice {number}")),
    };

    let horizon = horizon(state, as_of).await?;
    let finance = &state.finance;
    let row = finance
        .document(horizon.position, number)
        .await
        .map_err(|e| postgres_problem(&e))?
        .filter(|row| access.may_read(row.document.holder_id))
        .ok_or_else(not_found)?;
    let (lines, credit_notes) = if kind == Some(DocumentKind::Invoice) {
        let lines = finance.lines(number).await;
        let notes = finance.credit_notes_of(horizon.position, number).await;
        (
            lines.map_err(|e| postgres_problem(&e))?,
            notes.map_err(|e| postgres_problem(&e))?,
        )
    } else {
        (Vec::new(), Vec::new())
    };
    let payer = finance
        .payer(row.document.holder_id, &row.document.holder_kind)
        .await
        .map_err(|e| postgres_problem(&e))?;
    Ok(DocumentDetail::new(
        row,
        lines,
        credit_notes,
        payer,
        horizon,
    ))
}

/// One document by number. An invoice (`INV-YYYY-NNNNNN`) comes with its
/// lines, the launch as booked, its credit notes and its payer; a credit
/// note (`CN-YYYY-NNNNNN`) with its invoice's number, date and total, the
/// launch and the payer. The payer is read from the current profile (null
/// fields while the profile is not projected yet).
#[utoipa::path(get, path = "/v1/invoices/{number}", tag = "finance", operation_id = "get_invoice",
    security(("bearer" = [])),
    params(("number" = String, Path, pattern = r"^(INV|CN)-[0-9]{4}-[0-9]{6,}$", description = "`INV-YYYY-NNNNNN` or `CN-YYYY-NNNNNN` (else 422)", example = "INV-2026-000001"), AsOfParams),
    responses(
        (status = 200, body = DocumentDetail, headers(
            ("Cache-Control" = String, description = "`private, no-store`"))),
        (status = 401, response = Unauthorized),
        (status = 403, response = NotFinanceOrHolder),
        (status = 404, description = "No such document (as of the answer), or another holder's", body = ProblemSchema, content_type = "application/problem+json"),
        (status = 422, response = ValidationFailed),
        (status = 503, response = Unavailable)))]
pub async fn get(
    Authenticated(principal): Authenticated,
    number: web::Path<String>,
    params: web::Query<AsOfParams>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, Problem> {
    let detail = load(&principal, &number, params.as_of.as_deref(), &state).await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, NO_STORE))
        .json(detail))
}

/// The body of a PDF answer: the file's bytes (the documentation of
/// `GET /v1/invoices/{number}.pdf`).
pub struct PdfFile;

impl utoipa::PartialSchema for PdfFile {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::Type::String)
            .format(Some(utoipa::openapi::SchemaFormat::Custom("binary".into())))
            .content_media_type("application/pdf")
            .into()
    }
}

impl ToSchema for PdfFile {}

/// One document as a printable PDF (A4): the issuer, the title, number and
/// dates, the payer, the booking and the launch, the lines and the total
/// (an invoice), or the invoice credited, the refund percent, the reason
/// and the amount (a credit note). Same access rules and `as_of` as
/// `GET /v1/invoices/{number}`.
#[utoipa::path(get, path = "/v1/invoices/{number}.pdf", tag = "finance", operation_id = "get_invoice_pdf",
    security(("bearer" = [])),
    params(("number" = String, Path, pattern = r"^(INV|CN)-[0-9]{4}-[0-9]{6,}$", description = "`INV-YYYY-NNNNNN` or `CN-YYYY-NNNNNN` (else 422)", example = "INV-2026-000001"), AsOfParams),
    responses(
        (status = 200, description = "The document as `application/pdf`", body = inline(PdfFile), content_type = "application/pdf", headers(
            ("Content-Disposition" = String, description = "`inline; filename=\"INV-2026-000001.pdf\"`"),
            ("Cache-Control" = String, description = "`private, no-store`"))),
        (status = 401, response = Unauthorized),
        (status = 403, response = NotFinanceOrHolder),
        (status = 404, description = "No such document (as of the answer), or another holder's", body = ProblemSchema, content_type = "application/problem+json"),
        (status = 422, response = ValidationFailed),
        (status = 503, response = Unavailable)))]
pub async fn pdf(
    Authenticated(principal): Authenticated,
    number: web::Path<String>,
    params: web::Query<AsOfParams>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, Problem> {
    let detail = load(&principal, &number, params.as_of.as_deref(), &state).await?;
    let bytes = crate::pdf::render(&detail, &state.issuer);
    Ok(HttpResponse::Ok()
        .content_type("application/pdf")
        .insert_header((header::CACHE_CONTROL, NO_STORE))
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("inline; filename=\"{}.pdf\"", detail.document.number),
        ))
        .body(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn principal(role: Role) -> Principal {
        Principal {
            user_id: Uuid::now_v7(),
            role,
        }
    }

    #[test]
    fn finance_reads_all_holders_their_own_other_employees_nothing() {
        let finance = principal(Role::Employee(Department::Finance));
        assert_eq!(Access::of(&finance).unwrap(), Access::All);
        for role in [Role::Traveler, Role::Agency] {
            let holder = principal(role);
            assert_eq!(Access::of(&holder).unwrap(), Access::Own(holder.user_id));
        }
        for department in [Department::Operations, Department::It] {
            let problem = Access::of(&principal(Role::Employee(department))).unwrap_err();
            assert_eq!(problem.status, 403);
        }
    }

    #[test]
    fn a_holder_filters_on_themselves_and_may_not_name_another() {
        let (me, other) = (Uuid::now_v7(), Uuid::now_v7());
        let own = Access::Own(me);
        assert_eq!(own.holder_filter(None).unwrap(), Some(me));
        assert_eq!(own.holder_filter(Some(me)).unwrap(), Some(me));
        assert_eq!(own.holder_filter(Some(other)).unwrap_err().status, 403);
        assert!(own.may_read(me) && !own.may_read(other));
        assert_eq!(Access::All.holder_filter(None).unwrap(), None);
        assert_eq!(Access::All.holder_filter(Some(other)).unwrap(), Some(other));
        assert!(Access::All.may_read(other));
    }
}
