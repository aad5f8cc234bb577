//! What the finance endpoints answer: the JSON shapes of invoices and credit
//! notes, built from the finance projection's rows. Timestamps are RFC 3339
//! in UTC; money is integer cents.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::finance::{AgencyRow, DocumentDetailRow, DocumentRow, LineRow, PayerRow, TotalsRow};

/// An invoice or a credit note, as listed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Document {
    /// `INV-YYYY-NNNNNN` or `CN-YYYY-NNNNNN`: unique and gapless per kind
    /// and year.
    #[schema(example = "INV-2026-000001")]
    pub number: String,
    /// `invoice` or `credit_note`.
    #[schema(example = "invoice")]
    pub kind: String,
    /// The year of its number (UTC year of the event that issued it).
    #[schema(example = 2026)]
    pub year: i32,
    /// When it was issued: when the booking (invoice) or the refunded
    /// cancellation (credit note) happened.
    pub issued_at: DateTime<Utc>,
    /// The payer: the booking's holder.
    pub holder_id: Uuid,
    /// `traveler` or `agency`.
    #[schema(example = "traveler")]
    pub holder_kind: String,
    /// The booking invoiced or refunded.
    pub booking_id: Uuid,
    /// The launch booked.
    pub launch_id: Uuid,
    /// Invoice: its total; credit note: the sum credited back (positive).
    #[schema(example = 50_000_000)]
    pub amount_cents: i64,
    /// What only this kind carries.
    #[serde(flatten)]
    pub details: KindDetails,
}

/// The fields of one kind of document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(untagged)]
pub enum KindDetails {
    /// An invoice's.
    Invoice {
        /// Seats booked.
        seats: i32,
        /// Price of one seat, in cents.
        unit_price_cents: i64,
        /// When the booking was cancelled; null if it was not (as of the
        /// answer).
        cancelled_at: Option<DateTime<Utc>>,
    },
    /// A credit note's.
    CreditNote {
        /// The invoice it credits.
        invoice_number: String,
        /// Percent of the invoice refunded (1 to 100).
        refund_percent: i32,
        /// `holder_cancelled` or `launch_aborted`.
        reason: String,
    },
}

impl From<DocumentRow> for Document {
    fn from(row: DocumentRow) -> Self {
        let details = if row.kind == "credit_note" {
            KindDetails::CreditNote {
                invoice_number: row.invoice_number.unwrap_or_default(),
                refund_percent: row.refund_percent.unwrap_or_default(),
                reason: row.reason.unwrap_or_default(),
            }
        } else {
            KindDetails::Invoice {
                seats: row.seats.unwrap_or_default(),
                unit_price_cents: row.unit_price_cents.unwrap_or_default(),
                cancelled_at: row.cancelled_at,
            }
        };
        Self {
            number: row.number,
            kind: row.kind,
            year: row.year,
            issued_at: row.issued_at,
            holder_id: row.holder_id,
            holder_kind: row.holder_kind,
            booking_id: row.booking_id,
            launch_id: row.launch_id,
            amount_cents: row.amount_cents,
            details,
        }
    }
}

/// Sums of a set of documents.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Totals {
    /// Sum of the invoices' totals, in cents.
    pub invoiced_cents: i64,
    /// Sum of the credit notes' amounts, in cents.
    pub credited_cents: i64,
    /// `invoiced_cents − credited_cents`.
    pub net_cents: i64,
}

impl Totals {
    /// The sums of `documents`.
    pub fn of<'a>(documents: impl IntoIterator<Item = &'a Document>) -> Self {
        let (mut invoiced_cents, mut credited_cents) = (0i64, 0i64);
        for document in documents {
            match document.details {
                KindDetails::Invoice { .. } => invoiced_cents += document.amount_cents,
                KindDetails::CreditNote { .. } => credited_cents += document.amount_cents,
            }
        }
        Self::new(invoiced_cents, credited_cents)
    }

    /// From the two sums.
    pub fn new(invoiced_cents: i64, credited_cents: i64) -> Self {
        Self {
            invoiced_cents,
            credited_cents,
            net_cents: invoiced_cents - credited_cents,
        }
    }
}

impl From<TotalsRow> for Totals {
    fn from(row: TotalsRow) -> Self {
        Self::new(row.invoiced_cents, row.credited_cents)
    }
}

/// What an answer covers: the documents issued by the events up to
/// `position` of the event store's global order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Horizon {
    /// The instant asked for (`as_of`), or null for the current projection.
    pub as_of: Option<DateTime<Utc>>,
    /// The global position the answer covers: with `as_of`, that of the
    /// last event that occurred at or before the instant; without, the
    /// projection's checkpoint.
    pub position: i64,
    /// The finance projection's checkpoint when answering.
    pub projected_up_to: i64,
}

/// One page of documents, in issue order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct DocumentPage {
    /// The documents of this page.
    pub items: Vec<Document>,
    /// This page's number, from 1.
    pub page: u64,
    /// Items per page asked for.
    pub page_size: u64,
    /// Documents matching the filters, over every page.
    pub total: u64,
    /// The sums of this page's documents.
    pub page_totals: Totals,
    /// The sums of every matching document.
    pub totals: Totals,
    /// What the answer covers.
    #[serde(flatten)]
    pub horizon: Horizon,
}

/// The launch, as the invoice copied it when the seats were booked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct LaunchCopy {
    /// The rocket's name.
    pub rocket_name: String,
    /// Where it departs from.
    pub spaceport: String,
    /// `suborbital`, `low_earth_orbit`, `moon` or `mars`.
    pub destination: String,
    /// When it departs (as it stood when booked).
    pub departure_at: DateTime<Utc>,
}

/// A line of an invoice: one seat for one passenger.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct InvoiceLine {
    /// From 1.
    pub line_no: i32,
    /// What is sold.
    pub description: String,
    /// Who flies on it.
    pub passenger_name: String,
    /// Seats.
    pub quantity: i32,
    /// Price of one, in cents.
    pub unit_price_cents: i64,
    /// `quantity × unit_price_cents`.
    pub amount_cents: i64,
}

impl From<LineRow> for InvoiceLine {
    fn from(row: LineRow) -> Self {
        Self {
            line_no: row.line_no,
            description: row.description,
            passenger_name: row.passenger_name,
            quantity: row.quantity,
            unit_price_cents: row.unit_price_cents,
            amount_cents: row.amount_cents,
        }
    }
}

/// An agency's postal address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Address {
    /// Street address.
    pub line1: String,
    /// More of it.
    pub line2: Option<String>,
    /// City.
    pub city: String,
    /// Postal code.
    pub postal_code: String,
    /// ISO 3166-1 alpha-2 country code.
    pub country: String,
}

/// An agency's contact person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Contact {
    /// Name.
    pub name: String,
    /// Email.
    pub email: String,
    /// Phone.
    pub phone: String,
}

/// Who pays, from their current profile. Every field is null while the
/// profiles projection does not have the profile yet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
// One per document shown, never in a long collection: the size difference
// is harmless.
#[allow(clippy::large_enum_variant)]
pub enum Payer {
    /// A traveler paying for their own booking.
    Traveler {
        /// Full name.
        full_name: Option<String>,
        /// Email.
        email: Option<String>,
    },
    /// An agency paying for its customers' booking.
    Agency {
        /// Registered name.
        legal_name: Option<String>,
        /// Tax (VAT) number.
        tax_id: Option<String>,
        /// Postal address.
        address: Option<Address>,
        /// Contact person.
        contact: Option<Contact>,
        /// The agency's email.
        email: Option<String>,
    },
}

impl Payer {
    /// The name to address: the traveler's full name or the agency's legal
    /// name, if known.
    pub fn name(&self) -> Option<&str> {
        match self {
            Self::Traveler { full_name, .. } => full_name.as_deref(),
            Self::Agency { legal_name, .. } => legal_name.as_deref(),
        }
    }
}

impl From<PayerRow> for Payer {
    fn from(row: PayerRow) -> Self {
        match row {
            PayerRow::Traveler(traveler) => Self::Traveler {
                full_name: traveler.as_ref().map(|t| t.full_name.clone()),
                email: traveler.and_then(|t| t.email),
            },
            PayerRow::Agency(None) => Self::Agency {
                legal_name: None,
                tax_id: None,
                address: None,
                contact: None,
                email: None,
            },
            PayerRow::Agency(Some(AgencyRow {
                email,
                legal_name,
                tax_id,
                address_line1,
                address_line2,
                city,
                postal_code,
                country,
                contact_name,
                contact_email,
                contact_phone,
            })) => Self::Agency {
                legal_name: Some(legal_name),
                tax_id: Some(tax_id),
                address: Some(Address {
                    line1: address_line1,
                    line2: address_line2.filter(|line| !line.trim().is_empty()),
                    city,
                    postal_code,
                    country: country.trim().to_owned(),
                }),
                contact: Some(Contact {
                    name: contact_name,
                    email: contact_email,
                    phone: contact_phone,
                }),
                email,
            },
        }
    }
}

/// One invoice or credit note with everything its page shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct DocumentDetail {
    /// The document.
    #[serde(flatten)]
    pub document: Document,
    /// The launch, as the invoice copied it.
    pub launch: LaunchCopy,
    /// Invoice: its lines.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lines: Option<Vec<InvoiceLine>>,
    /// Invoice: the credit notes issued against it (as of the answer), in
    /// issue order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credit_notes: Option<Vec<Document>>,
    /// Credit note: when its invoice was issued.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invoice_issued_at: Option<DateTime<Utc>>,
    /// Credit note: its invoice's total, in cents.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invoice_total_cents: Option<i64>,
    /// Who pays (or is refunded).
    pub payer: Payer,
    /// What the answer covers.
    #[serde(flatten)]
    pub horizon: Horizon,
}

impl DocumentDetail {
    /// Assembles the view of `row`; `lines` and `credit_notes` are the
    /// invoice's (ignored for a credit note).
    pub fn new(
        row: DocumentDetailRow,
        lines: Vec<LineRow>,
        credit_notes: Vec<DocumentRow>,
        payer: PayerRow,
        horizon: Horizon,
    ) -> Self {
        let launch = LaunchCopy {
            rocket_name: row.rocket_name,
            spaceport: row.spaceport,
            destination: row.destination,
            departure_at: row.departure_at,
        };
        let document = Document::from(row.document);
        let is_invoice = matches!(document.details, KindDetails::Invoice { .. });
        Self {
            lines: is_invoice.then(|| lines.into_iter().map(InvoiceLine::from).collect()),
            credit_notes: is_invoice
                .then(|| credit_notes.into_iter().map(Document::from).collect()),
            invoice_issued_at: (!is_invoice).then_some(row.invoice_issued_at),
            invoice_total_cents: (!is_invoice).then_some(row.invoice_total_cents),
            document,
            launch,
            payer: payer.into(),
            horizon,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finance::TravelerRow;

    fn row(kind: &str, amount_cents: i64) -> DocumentRow {
        let invoice = kind == "invoice";
        DocumentRow {
            kind: kind.into(),
            number: if invoice {
                "INV-2026-000001".into()
            } else {
                "CN-2026-000001".into()
            },
            year: 2026,
            position: 3,
            issued_at: Utc::now(),
            holder_id: Uuid::nil(),
            holder_kind: "traveler".into(),
            booking_id: Uuid::nil(),
            launch_id: Uuid::nil(),
            amount_cents,
            seats: invoice.then_some(2),
            unit_price_cents: invoice.then_some(amount_cents / 2),
            cancelled_at: None,
            invoice_number: (!invoice).then(|| "INV-2026-000001".into()),
            refund_percent: (!invoice).then_some(90),
            reason: (!invoice).then(|| "holder_cancelled".into()),
        }
    }

    #[test]
    fn each_kind_serializes_its_own_fields_and_an_uncancelled_invoice_says_null() {
        let invoice = serde_json::to_value(Document::from(row("invoice", 1_000))).unwrap();
        assert_eq!(invoice["kind"], "invoice");
        assert_eq!(invoice["seats"], 2);
        assert_eq!(invoice["unit_price_cents"], 500);
        assert!(invoice["cancelled_at"].is_null());
        assert!(invoice.as_object().unwrap().contains_key("cancelled_at"));
        assert!(invoice.get("invoice_number").is_none());
        let note = serde_json::to_value(Document::from(row("credit_note", 900))).unwrap();
        assert_eq!(note["invoice_number"], "INV-2026-000001");
        assert_eq!(note["refund_percent"], 90);
        assert_eq!(note["reason"], "holder_cancelled");
        assert!(note.get("seats").is_none() && note.get("cancelled_at").is_none());
    }

    #[test]
    fn totals_sum_invoices_and_credit_notes_apart() {
        let documents = [
            Document::from(row("invoice", 1_000)),
            Document::from(row("invoice", 500)),
            Document::from(row("credit_note", 900)),
        ];
        assert_eq!(
            Totals::of(&documents),
            Totals {
                invoiced_cents: 1_500,
                credited_cents: 900,
                net_cents: 600
            }
        );
        assert_eq!(Totals::of(&[]), Totals::default());
    }

    #[test]
    fn a_payer_without_a_profile_keeps_its_kind_with_null_fields() {
        let json = serde_json::to_value(Payer::from(PayerRow::Agency(None))).unwrap();
        assert_eq!(json["kind"], "agency");
        assert!(json["legal_name"].is_null() && json["address"].is_null());
        let traveler = Payer::from(PayerRow::Traveler(Some(TravelerRow {
            full_name: "Ada Lovelace".into(),
            email: None,
        })));
        assert_eq!(traveler.name(), Some("Ada Lovelace"));
        assert_eq!(serde_json::to_value(&traveler).unwrap()["kind"], "traveler");
    }
}
