//! Reads of the finance projection in PostgreSQL (schema `finance`, kept by
//! the finance projector; see `migrations/20261125000003_finance.sql`), of
//! the payers' profiles (`travelers`, `agencies`) and of the event store's
//! order (`events`, for `as_of`). Every query is a runtime query
//! (`sqlx::query_as`): nothing needs a database at compile time.
//!
//! **What an answer covers.** Documents are numbered in the event store's
//! global order, so every answer is a *prefix* of that order: the documents
//! whose `position` (the global position of the event that issued them) is
//! at most a cutoff, and an invoice counts as cancelled only when its
//! `cancelled_position` is at most the cutoff too. Without `as_of` the
//! cutoff is the projection's checkpoint; with `as_of` it is the last
//! position of the event store before that instant (see [`cutoff`]). The
//! rows at or below the projection's checkpoint never change (a replay
//! reproduces them), so the page and its totals, read by two queries, agree
//! without a transaction.

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use sqlx::postgres::PgPool;
use uuid::Uuid;

/// How often a request waiting for the projection reads its checkpoint.
pub const CHECKPOINT_POLL_INTERVAL: Duration = Duration::from_millis(20);

/// An invoice or a credit note.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DocumentKind {
    /// `INV-YYYY-NNNNNN`: one per booking, to its holder.
    Invoice,
    /// `CN-YYYY-NNNNNN`: one per refund, against the booking's invoice.
    CreditNote,
}

impl DocumentKind {
    /// The wire name: `invoice` or `credit_note`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Invoice => "invoice",
            Self::CreditNote => "credit_note",
        }
    }

    /// The kind of a wire name.
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "invoice" => Some(Self::Invoice),
            "credit_note" => Some(Self::CreditNote),
            _ => None,
        }
    }
}

/// The kind of a document number, when it is well-formed:
/// `^(INV|CN)-[0-9]{4}-[0-9]{6,}$`.
pub fn parse_number(number: &str) -> Option<DocumentKind> {
    let (kind, rest) = if let Some(rest) = number.strip_prefix("INV-") {
        (DocumentKind::Invoice, rest)
    } else if let Some(rest) = number.strip_prefix("CN-") {
        (DocumentKind::CreditNote, rest)
    } else {
        return None;
    };
    let (year, seq) = rest.split_once('-')?;
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    (year.len() == 4 && digits(year) && seq.len() >= 6 && digits(seq)).then_some(kind)
}

/// The cutoff of an `as_of` answer: the position just before the first
/// event that occurred after the instant (`first_after`), or, when none
/// did, the last position of the event store (`last`; 0 when it is empty).
pub fn cutoff(first_after: Option<i64>, last: Option<i64>) -> i64 {
    first_after
        .map(|first| first - 1)
        .or(last)
        .unwrap_or(0)
        .max(0)
}

/// Which documents to read (every `None` matches anything).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DocumentFilter {
    /// Only invoices or only credit notes.
    pub kind: Option<DocumentKind>,
    /// The document's own year (of its number).
    pub year: Option<i32>,
    /// The payer.
    pub holder_id: Option<Uuid>,
    /// The launch booked.
    pub launch_id: Option<Uuid>,
    /// One document, by number.
    pub number: Option<String>,
    /// Credit notes against this invoice.
    pub invoice_number: Option<String>,
}

/// A document as listed: the columns both kinds share, and each kind's own
/// (null for the other kind).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct DocumentRow {
    /// `invoice` or `credit_note`.
    pub kind: String,
    /// `INV-2026-000001`, `CN-2026-000001`.
    pub number: String,
    /// The year of its number.
    pub year: i32,
    /// Global position of the event that issued it.
    pub position: i64,
    /// When that event occurred.
    pub issued_at: DateTime<Utc>,
    /// The payer (the booking's holder).
    pub holder_id: Uuid,
    /// `traveler` or `agency`.
    pub holder_kind: String,
    /// The booking invoiced or refunded.
    pub booking_id: Uuid,
    /// The launch booked.
    pub launch_id: Uuid,
    /// Invoice: its total; credit note: the sum credited (positive).
    pub amount_cents: i64,
    /// Invoice: seats booked.
    pub seats: Option<i32>,
    /// Invoice: price of one seat.
    pub unit_price_cents: Option<i64>,
    /// Invoice: when the booking was cancelled, if it was by the cutoff.
    pub cancelled_at: Option<DateTime<Utc>>,
    /// Credit note: the invoice it credits.
    pub invoice_number: Option<String>,
    /// Credit note: percent of the invoice refunded.
    pub refund_percent: Option<i32>,
    /// Credit note: `holder_cancelled` or `launch_aborted`.
    pub reason: Option<String>,
}

/// One document with what its page shows besides: the launch as its
/// invoice copied it, and (credit notes) the invoice's date and total.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct DocumentDetailRow {
    /// The document.
    #[sqlx(flatten)]
    pub document: DocumentRow,
    /// The rocket's name.
    pub rocket_name: String,
    /// Where it departs from.
    pub spaceport: String,
    /// `suborbital`, `low_earth_orbit`, `moon` or `mars`.
    pub destination: String,
    /// When it departs, as it stood when booked.
    pub departure_at: DateTime<Utc>,
    /// The invoice's date (the document's own for an invoice).
    pub invoice_issued_at: DateTime<Utc>,
    /// The invoice's total.
    pub invoice_total_cents: i64,
}

/// A line of an invoice.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct LineRow {
    /// From 1.
    pub line_no: i32,
    /// What is sold.
    pub description: String,
    /// Who flies on it.
    pub passenger_name: String,
    /// Seats.
    pub quantity: i32,
    /// Price of one.
    pub unit_price_cents: i64,
    /// `quantity × unit_price_cents`.
    pub amount_cents: i64,
}

/// The count and sums of the documents matching a filter.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, sqlx::FromRow)]
pub struct TotalsRow {
    /// How many documents.
    pub total: i64,
    /// Sum of the invoices' totals.
    pub invoiced_cents: i64,
    /// Sum of the credit notes' amounts.
    pub credited_cents: i64,
}

/// A traveler's profile, as an invoice addresses them.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct TravelerRow {
    /// Full name.
    pub full_name: String,
    /// Email (null until the registration is projected).
    pub email: Option<String>,
}

/// An agency's profile, as an invoice addresses it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct AgencyRow {
    /// Email (null until the registration is projected).
    pub email: Option<String>,
    /// Registered name.
    pub legal_name: String,
    /// Tax (VAT) number.
    pub tax_id: String,
    /// Street address.
    pub address_line1: String,
    /// More of it.
    pub address_line2: Option<String>,
    /// City.
    pub city: String,
    /// Postal code.
    pub postal_code: String,
    /// ISO 3166-1 alpha-2.
    pub country: String,
    /// Contact person.
    pub contact_name: String,
    /// Contact's email.
    pub contact_email: String,
    /// Contact's phone.
    pub contact_phone: String,
}

/// A payer's profile, if the profiles projection has it.
#[derive(Debug, Clone, PartialEq, Eq)]
// One per request, never in a collection: the size difference is harmless.
#[allow(clippy::large_enum_variant)]
pub enum PayerRow {
    /// A traveler (`None`: no profile yet).
    Traveler(Option<TravelerRow>),
    /// An agency (`None`: no profile yet).
    Agency(Option<AgencyRow>),
}

/// Both kinds of documents as one relation, the kind's own columns null on
/// the other kind. Parameters: `$1` cutoff, `$2` kind, `$3` year, `$4`
/// holder, `$5` launch, `$6` number, `$7` invoice number (a null parameter
/// matches anything).
const DOCUMENTS: &str = "
    SELECT 'invoice'::text AS kind, i.number, i.year, i.position, i.issued_at,
           i.holder_id, i.holder_kind, i.booking_id, i.launch_id,
           i.total_cents AS amount_cents, i.seats, i.unit_price_cents,
           CASE WHEN i.cancelled_position <= $1 THEN i.cancelled_at END AS cancelled_at,
           NULL::text AS invoice_number, NULL::integer AS refund_percent, NULL::text AS reason
    FROM finance.invoices i
    WHERE i.position <= $1
      AND ($2::text IS NULL OR $2 = 'invoice')
      AND ($3::integer IS NULL OR i.year = $3)
      AND ($4::uuid IS NULL OR i.holder_id = $4)
      AND ($5::uuid IS NULL OR i.launch_id = $5)
      AND ($6::text IS NULL OR i.number = $6)
      AND $7::text IS NULL
    UNION ALL
    SELECT 'credit_note'::text, c.number, c.year, c.position, c.issued_at,
           c.holder_id, c.holder_kind, c.booking_id, c.launch_id,
           c.amount_cents, NULL, NULL, NULL,
           c.invoice_number, c.refund_percent, c.reason
    FROM finance.credit_notes c
    WHERE c.position <= $1
      AND ($2::text IS NULL OR $2 = 'credit_note')
      AND ($3::integer IS NULL OR c.year = $3)
      AND ($4::uuid IS NULL OR c.holder_id = $4)
      AND ($5::uuid IS NULL OR c.launch_id = $5)
      AND ($6::text IS NULL OR c.number = $6)
      AND ($7::text IS NULL OR c.invoice_number = $7)";

/// Binds the parameters of [`DOCUMENTS`] in order.
macro_rules! bind_documents {
    ($query:expr, $cutoff:expr, $filter:expr) => {
        $query
            .bind($cutoff)
            .bind($filter.kind.map(DocumentKind::as_str))
            .bind($filter.year)
            .bind($filter.holder_id)
            .bind($filter.launch_id)
            .bind($filter.number.as_deref())
            .bind($filter.invoice_number.as_deref())
    };
}

/// The finance projection, the profiles and the event store's order.
#[derive(Debug, Clone)]
pub struct FinanceStore {
    pool: PgPool,
}

impl FinanceStore {
    /// Reads through `pool`.
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
    }

    /// One round trip to the server.
    pub async fn ping(&self) -> Result<(), sqlx::Error> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    /// The pool, shared with the IT endpoints' reads of the event store.
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Where the projection stands: every event up to this global position
    /// is applied (0: none yet).
    pub async fn checkpoint(&self) -> Result<i64, sqlx::Error> {
        let position: Option<(i64,)> =
            sqlx::query_as("SELECT position FROM finance.checkpoint WHERE singleton")
                .fetch_optional(&self.pool)
                .await?;
        Ok(position.map_or(0, |p| p.0))
    }

    /// The cutoff of the documents as they stood at `as_of` (see
    /// [`cutoff`]).
    pub async fn cutoff_at(&self, as_of: DateTime<Utc>) -> Result<i64, sqlx::Error> {
        let (first_after, last): (Option<i64>, Option<i64>) = sqlx::query_as(
            "SELECT (SELECT min(global_position) FROM events WHERE occurred_at > $1),
                    (SELECT max(global_position) FROM events)",
        )
        .bind(as_of)
        .fetch_one(&self.pool)
        .await?;
        Ok(cutoff(first_after, last))
    }

    /// Waits until the projection's checkpoint reaches `position`, reading
    /// it every [`CHECKPOINT_POLL_INTERVAL`], at most `max_wait`. The
    /// checkpoint and whether it had to wait, or `None` when it did not get
    /// there in time.
    pub async fn wait_for_checkpoint(
        &self,
        position: i64,
        max_wait: Duration,
    ) -> Result<Option<(i64, bool)>, sqlx::Error> {
        let deadline = Instant::now() + max_wait;
        let mut waited = false;
        loop {
            let checkpoint = self.checkpoint().await?;
            if checkpoint >= position {
                return Ok(Some((checkpoint, waited)));
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Ok(None);
            }
            waited = true;
            tokio::time::sleep(left.min(CHECKPOINT_POLL_INTERVAL)).await;
        }
    }

    /// One page (`limit` documents after `offset`) of the documents up to
    /// `cutoff` matching `filter`, in issue order (ascending position).
    pub async fn documents(
        &self,
        cutoff: i64,
        filter: &DocumentFilter,
        limit: i64,
        offset: i64,
    ) -> Result<Vec<DocumentRow>, sqlx::Error> {
        let sql = format!(
            "SELECT * FROM ({DOCUMENTS}) d ORDER BY d.position, d.number LIMIT $8 OFFSET $9"
        );
        bind_documents!(sqlx::query_as::<_, DocumentRow>(&sql), cutoff, filter)
            .bind(limit)
            .bind(offset)
            .fetch_all(&self.pool)
            .await
    }

    /// How many documents up to `cutoff` match `filter`, and their sums.
    pub async fn totals(
        &self,
        cutoff: i64,
        filter: &DocumentFilter,
    ) -> Result<TotalsRow, sqlx::Error> {
        let sql = format!(
            "SELECT count(*) AS total,
                    COALESCE(sum(d.amount_cents) FILTER (WHERE d.kind = 'invoice'), 0)::bigint
                        AS invoiced_cents,
                    COALESCE(sum(d.amount_cents) FILTER (WHERE d.kind = 'credit_note'), 0)::bigint
                        AS credited_cents
             FROM ({DOCUMENTS}) d"
        );
        bind_documents!(sqlx::query_as::<_, TotalsRow>(&sql), cutoff, filter)
            .fetch_one(&self.pool)
            .await
    }

    /// The document `number` if it existed at `cutoff`, with the launch its
    /// invoice copied.
    pub async fn document(
        &self,
        cutoff: i64,
        number: &str,
    ) -> Result<Option<DocumentDetailRow>, sqlx::Error> {
        let filter = DocumentFilter {
            number: Some(number.to_owned()),
            ..DocumentFilter::default()
        };
        let sql = format!(
            "SELECT d.*, i.rocket_name, i.spaceport, i.destination, i.departure_at,
                    i.issued_at AS invoice_issued_at, i.total_cents AS invoice_total_cents
             FROM ({DOCUMENTS}) d
             JOIN finance.invoices i ON i.number = COALESCE(d.invoice_number, d.number)"
        );
        bind_documents!(sqlx::query_as::<_, DocumentDetailRow>(&sql), cutoff, filter)
            .fetch_optional(&self.pool)
            .await
    }

    /// The lines of the invoice `number`.
    pub async fn lines(&self, number: &str) -> Result<Vec<LineRow>, sqlx::Error> {
        sqlx::query_as(
            "SELECT line_no, description, passenger_name, quantity, unit_price_cents, amount_cents
             FROM finance.invoice_lines WHERE invoice_number = $1 ORDER BY line_no",
        )
        .bind(number)
        .fetch_all(&self.pool)
        .await
    }

    /// The credit notes issued against the invoice `number` up to `cutoff`,
    /// in issue order.
    pub async fn credit_notes_of(
        &self,
        cutoff: i64,
        number: &str,
    ) -> Result<Vec<DocumentRow>, sqlx::Error> {
        let filter = DocumentFilter {
            kind: Some(DocumentKind::CreditNote),
            invoice_number: Some(number.to_owned()),
            ..DocumentFilter::default()
        };
        self.documents(cutoff, &filter, i64::MAX, 0).await
    }

    /// The current profile of the payer `holder_id`, of `holder_kind`
    /// (`traveler` or `agency`).
    pub async fn payer(&self, holder_id: Uuid, holder_kind: &str) -> Result<PayerRow, sqlx::Error> {
        if holder_kind == "agency" {
            let agency = sqlx::query_as(
                "SELECT email, legal_name, tax_id, address_line1, address_line2, city,
                        postal_code, country::text AS country, contact_name, contact_email,
                        contact_phone
                 FROM agencies WHERE user_id = $1",
            )
            .bind(holder_id)
            .fetch_optional(&self.pool)
            .await?;
            Ok(PayerRow::Agency(agency))
        } else {
            let traveler =
                sqlx::query_as("SELECT full_name, email FROM travelers WHERE user_id = $1")
                    .bind(holder_id)
                    .fetch_optional(&self.pool)
                    .await?;
            Ok(PayerRow::Traveler(traveler))
        }
    }
}

/// A traveler's or an agency's current profile, with its version (the
/// sequence of the last `ProfileUpdated` applied; 0: as registered).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProfileRow {
    /// The profile.
    pub profile: events::user::Profile,
    /// Its version.
    pub version: i64,
}

impl FinanceStore {
    /// The current profile of `user_id`, a traveler (`agency` false) or an
    /// agency, when the profiles projection has one.
    pub async fn profile(
        &self,
        user_id: Uuid,
        agency: bool,
    ) -> Result<Option<ProfileRow>, sqlx::Error> {
        use events::user::{AgencyProfile, Contact, PostalAddress, Profile, TravelerProfile};
        if agency {
            let row: Option<(AgencyRow, i64)> = sqlx::query_as::<
                _,
                (
                    String,
                    String,
                    String,
                    Option<String>,
                    String,
                    String,
                    String,
                    String,
                    String,
                    String,
                    i64,
                ),
            >(
                "SELECT legal_name, tax_id, address_line1, address_line2, city, postal_code,
                        country::text, contact_name, contact_email, contact_phone, profile_version
                 FROM agencies WHERE user_id = $1",
            )
            .bind(user_id)
            .fetch_optional(&self.pool)
            .await?
            .map(|r| {
                (
                    AgencyRow {
                        email: None,
                        legal_name: r.0,
                        tax_id: r.1,
                        address_line1: r.2,
                        address_line2: r.3,
                        city: r.4,
                        postal_code: r.5,
                        country: r.6,
                        contact_name: r.7,
                        contact_email: r.8,
                        contact_phone: r.9,
                    },
                    r.10,
                )
            });
            Ok(row.map(|(a, version)| ProfileRow {
                profile: Profile::Agency(AgencyProfile {
                    legal_name: a.legal_name,
                    tax_id: a.tax_id,
                    address: PostalAddress {
                        line1: a.address_line1,
                        line2: a.address_line2,
                        city: a.city,
                        postal_code: a.postal_code,
                        country: a.country.trim_end().to_owned(),
                    },
                    contact: Contact {
                        name: a.contact_name,
                        email: a.contact_email,
                        phone: a.contact_phone,
                    },
                }),
                version,
            }))
        } else {
            let row: Option<(String, chrono::NaiveDate, i64)> = sqlx::query_as(
                "SELECT full_name, birth_date, profile_version FROM travelers WHERE user_id = $1",
            )
            .bind(user_id)
            .fetch_optional(&self.pool)
            .await?;
            Ok(row.map(|(full_name, birth_date, version)| ProfileRow {
                profile: Profile::Traveler(TravelerProfile {
                    full_name,
                    birth_date,
                }),
                version,
            }))
        }
    }
}

/// Whether a failed query means PostgreSQL (or the finance schema) is not
/// there now, rather than a bug: connection failures, pool timeouts, the
/// server shutting down or out of resources, the schema missing (the
/// projection's migration not applied yet).
pub fn is_unavailable(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(error) => error.code().is_some_and(|code| {
            // 08: connection exception; 53: insufficient resources;
            // 57: operator intervention (shutdown); 3F000 / 42P01: the
            // schema or a table is missing.
            code.starts_with("08")
                || code.starts_with("53")
                || code.starts_with("57")
                || code == "3F000"
                || code == "42P01"
        }),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_name_their_kind_and_malformed_ones_are_refused() {
        assert_eq!(parse_number("INV-2026-000001"), Some(DocumentKind::Invoice));
        assert_eq!(
            parse_number("CN-2027-1234567"),
            Some(DocumentKind::CreditNote)
        );
        for bad in [
            "",
            "INV-2026-00001",
            "INV-26-000001",
            "inv-2026-000001",
            "INV-2026-00000a",
            "INV-2026",
            "XX-2026-000001",
            "CN-2026--000001",
            "INV-2026-000001.pdf",
            "INV-20260-000001",
        ] {
            assert_eq!(parse_number(bad), None, "{bad}");
        }
    }

    #[test]
    fn the_cutoff_is_the_position_before_the_first_later_event_else_the_last() {
        assert_eq!(cutoff(Some(8), Some(20)), 7);
        assert_eq!(cutoff(Some(1), Some(20)), 0);
        assert_eq!(cutoff(None, Some(20)), 20);
        assert_eq!(cutoff(None, None), 0);
    }

    #[test]
    fn kinds_have_wire_names() {
        for kind in [DocumentKind::Invoice, DocumentKind::CreditNote] {
            assert_eq!(DocumentKind::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(DocumentKind::parse("receipt"), None);
    }

    #[test]
    fn connection_failures_are_unavailability_other_errors_are_not() {
        assert!(is_unavailable(&sqlx::Error::PoolTimedOut));
        assert!(is_unavailable(&sqlx::Error::Io(std::io::Error::from(
            std::io::ErrorKind::ConnectionRefused
        ))));
        assert!(!is_unavailable(&sqlx::Error::RowNotFound));
        assert!(!is_unavailable(&sqlx::Error::ColumnNotFound("x".into())));
    }
}
