//! The finance rules, without I/O: which documents the `Launch` events
//! issue, and their numbers.
//!
//! - A `SeatsBooked` issues one invoice to the booking's holder (traveler or
//!   agency): one line per passenger at the booking's snapshotted unit price,
//!   and the launch as it stands when the event is applied.
//! - A `BookingCancelled` marks the invoice cancelled and, when it refunds
//!   anything (90 % / 70 % by the holder's policy, 100 % on an abort), issues
//!   one credit note for the refund. A cancellation refunding 0 issues none.
//! - Numbers are `INV-<year>-<n>` and `CN-<year>-<n>`, `n` from 1 and without
//!   gaps per kind and calendar year (UTC) of the event's `occurred_at`,
//!   given in the order the events are planned: the store's global order.
//!
//! [`plan`] is deterministic: the same events over the same [`Known`] state
//! give the same documents, which is what makes a replay reproduce them.

use std::collections::{BTreeMap, HashMap};
use std::fmt;

use chrono::{DateTime, Datelike, Utc};
use events::{
    BookingCancelled, CancellationReason, Envelope, HolderKind, LaunchEvent, SeatsBooked,
};
use uuid::Uuid;

/// The two numbered document kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DocumentKind {
    /// An invoice (`INV`).
    Invoice,
    /// A credit note (`CN`).
    CreditNote,
}

impl DocumentKind {
    /// The number prefix and the `counters.kind` value.
    pub fn prefix(self) -> &'static str {
        match self {
            Self::Invoice => "INV",
            Self::CreditNote => "CN",
        }
    }

    /// The kind of a `counters.kind` value.
    pub fn from_prefix(prefix: &str) -> Option<Self> {
        match prefix {
            "INV" => Some(Self::Invoice),
            "CN" => Some(Self::CreditNote),
            _ => None,
        }
    }
}

/// A document number: `INV-2026-000001`.
pub fn number(kind: DocumentKind, year: i32, seq: i32) -> String {
    format!("{}-{year:04}-{seq:06}", kind.prefix())
}

/// What an invoice says about a launch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LaunchInfo {
    /// The rocket's name.
    pub rocket_name: String,
    /// Where it departs from.
    pub spaceport: String,
    /// Where it goes (`moon`, `mars`, …).
    pub destination: String,
    /// When it departs, as last scheduled or delayed.
    pub departure_at: DateTime<Utc>,
}

/// What a credit note needs from the booking's invoice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvoiceRef {
    /// The invoice's number.
    pub number: String,
    /// The launch booked.
    pub launch_id: Uuid,
    /// The payer.
    pub holder_id: Uuid,
    /// Traveler or agency.
    pub holder_kind: HolderKind,
    /// What was invoiced.
    pub total_cents: i64,
    /// Whether a cancellation was already applied.
    pub cancelled: bool,
}

/// The projection's state that [`plan`] reads: only what the events being
/// planned refer to needs to be there.
#[derive(Debug, Clone, Default)]
pub struct Known {
    /// Launches by id.
    pub launches: HashMap<Uuid, LaunchInfo>,
    /// Invoices by booking id.
    pub invoices: HashMap<Uuid, InvoiceRef>,
    /// The last number given per kind and year.
    pub counters: HashMap<(DocumentKind, i32), i32>,
}

/// One invoice, with its lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invoice {
    /// `INV-<year>-<seq>`.
    pub number: String,
    /// The calendar year of issue (UTC).
    pub year: i32,
    /// The number within the year.
    pub seq: i32,
    /// The `SeatsBooked` event's global position.
    pub position: i64,
    /// The `SeatsBooked` event's id.
    pub event_id: Uuid,
    /// Its `occurred_at`.
    pub issued_at: DateTime<Utc>,
    /// The booking.
    pub booking_id: Uuid,
    /// The launch.
    pub launch_id: Uuid,
    /// The payer.
    pub holder_id: Uuid,
    /// Traveler or agency.
    pub holder_kind: HolderKind,
    /// Seats booked.
    pub seats: i32,
    /// Price of one seat, in cents.
    pub unit_price_cents: i64,
    /// The invoice's total, in cents.
    pub total_cents: i64,
    /// The launch when booked.
    pub launch: LaunchInfo,
    /// One per passenger.
    pub lines: Vec<InvoiceLine>,
}

/// One line of an invoice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvoiceLine {
    /// From 1.
    pub line_no: i32,
    /// What is sold.
    pub description: String,
    /// Who flies.
    pub passenger_name: String,
    /// Seats (1).
    pub quantity: i32,
    /// Price of one seat, in cents.
    pub unit_price_cents: i64,
    /// `quantity × unit_price_cents`.
    pub amount_cents: i64,
}

/// One credit note.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreditNote {
    /// `CN-<year>-<seq>`.
    pub number: String,
    /// The calendar year of issue (UTC).
    pub year: i32,
    /// The number within the year.
    pub seq: i32,
    /// The `BookingCancelled` event's global position.
    pub position: i64,
    /// The `BookingCancelled` event's id.
    pub event_id: Uuid,
    /// Its `occurred_at`.
    pub issued_at: DateTime<Utc>,
    /// The invoice credited.
    pub invoice_number: String,
    /// The booking.
    pub booking_id: Uuid,
    /// The launch.
    pub launch_id: Uuid,
    /// The payer refunded.
    pub holder_id: Uuid,
    /// Traveler or agency.
    pub holder_kind: HolderKind,
    /// Percentage of the invoice refunded.
    pub refund_percent: i32,
    /// The refund, in cents (positive).
    pub amount_cents: i64,
    /// Why.
    pub reason: CancellationReason,
}

/// An invoice marked cancelled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cancellation {
    /// The booking.
    pub booking_id: Uuid,
    /// When it was cancelled.
    pub cancelled_at: DateTime<Utc>,
    /// The `BookingCancelled` event's global position.
    pub position: i64,
}

/// What a run of events changes, in the order to write it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Changes {
    /// Launches as they stand after the run, with the position of the last
    /// event that changed them.
    pub launches: BTreeMap<Uuid, (LaunchInfo, i64)>,
    /// New invoices, in number order.
    pub invoices: Vec<Invoice>,
    /// New credit notes, in number order.
    pub credit_notes: Vec<CreditNote>,
    /// Invoices cancelled.
    pub cancellations: Vec<Cancellation>,
    /// The last number per kind and year, for every counter that moved.
    pub counters: BTreeMap<(DocumentKind, i32), i32>,
}

/// The events contradict the projection: the store holds something the
/// finance rules cannot account for. Finance never skips an event (numbers
/// must stay gapless and reproducible), so this stops the projection until
/// someone looks.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("event at global position {position} cannot be invoiced: {reason}")]
pub struct LedgerError {
    /// The event's global position.
    pub position: i64,
    /// What is wrong.
    pub reason: String,
}

/// Plans the documents of `events` (in global order), updating `known` as
/// it goes so that a later event of the same run sees an earlier one's
/// effect.
pub fn plan(known: &mut Known, events: &[Envelope<LaunchEvent>]) -> Result<Changes, LedgerError> {
    let mut changes = Changes::default();
    for envelope in events {
        let position = envelope.global_position;
        let error = |reason: String| LedgerError { position, reason };
        let launch_id: Uuid = envelope.aggregate_id.parse().map_err(|_| {
            error(format!(
                "launch id {:?} is not a UUID",
                envelope.aggregate_id
            ))
        })?;
        match &envelope.payload {
            LaunchEvent::LaunchScheduled(e) => {
                let info = LaunchInfo {
                    rocket_name: e.rocket_name.clone(),
                    spaceport: e.spaceport.clone(),
                    destination: e.destination.as_str().to_owned(),
                    departure_at: e.departure_at,
                };
                known.launches.insert(launch_id, info.clone());
                changes.launches.insert(launch_id, (info, position));
            }
            LaunchEvent::LaunchDelayed(e) => {
                let info = known
                    .launches
                    .get_mut(&launch_id)
                    .ok_or_else(|| error("a delay of a launch never scheduled".into()))?;
                info.departure_at = e.new_departure_at;
                changes.launches.insert(launch_id, (info.clone(), position));
            }
            LaunchEvent::SeatsBooked(e) => {
                let launch = known
                    .launches
                    .get(&launch_id)
                    .ok_or_else(|| error("a booking on a launch never scheduled".into()))?
                    .clone();
                if known.invoices.contains_key(&e.booking_id) {
                    return Err(error(format!("booking {} booked twice", e.booking_id)));
                }
                let (year, seq) = next_number(known, &mut changes, DocumentKind::Invoice, envelope);
                let invoice = invoice(envelope, e, launch_id, launch, year, seq).map_err(error)?;
                known.invoices.insert(
                    e.booking_id,
                    InvoiceRef {
                        number: invoice.number.clone(),
                        launch_id,
                        holder_id: e.holder_id,
                        holder_kind: e.holder_kind,
                        total_cents: invoice.total_cents,
                        cancelled: false,
                    },
                );
                changes.invoices.push(invoice);
            }
            LaunchEvent::BookingCancelled(e) => {
                cancel(known, &mut changes, envelope, e).map_err(error)?;
            }
            LaunchEvent::LaunchConfirmed(_)
            | LaunchEvent::LaunchAborted(_)
            | LaunchEvent::LaunchLaunched(_) => {}
        }
    }
    Ok(changes)
}

/// The next number of `kind` in the year of `envelope`'s event.
fn next_number(
    known: &mut Known,
    changes: &mut Changes,
    kind: DocumentKind,
    envelope: &Envelope<LaunchEvent>,
) -> (i32, i32) {
    let year = envelope.metadata.occurred_at.year();
    let last = known.counters.entry((kind, year)).or_insert(0);
    *last += 1;
    changes.counters.insert((kind, year), *last);
    (year, *last)
}

/// The invoice of a booking.
fn invoice(
    envelope: &Envelope<LaunchEvent>,
    booked: &SeatsBooked,
    launch_id: Uuid,
    launch: LaunchInfo,
    year: i32,
    seq: i32,
) -> Result<Invoice, String> {
    let seats = booked.passengers.len();
    if seats == 0 || seats != booked.seats as usize {
        return Err(format!(
            "{} seats for {} passengers",
            booked.seats,
            booked.passengers.len()
        ));
    }
    let unit = booked.unit_price_cents;
    let total = unit
        .checked_mul(seats as i64)
        .filter(|total| *total == booked.total_cents && unit >= 0)
        .ok_or_else(|| format!("total {} is not {seats} × {unit}", booked.total_cents))?;
    let description = line_description(&launch);
    let lines = booked
        .passengers
        .iter()
        .enumerate()
        .map(|(i, passenger)| InvoiceLine {
            line_no: i as i32 + 1,
            description: description.clone(),
            passenger_name: passenger.name.clone(),
            quantity: 1,
            unit_price_cents: unit,
            amount_cents: unit,
        })
        .collect();
    Ok(Invoice {
        number: number(DocumentKind::Invoice, year, seq),
        year,
        seq,
        position: envelope.global_position,
        event_id: envelope.metadata.event_id,
        issued_at: envelope.metadata.occurred_at,
        booking_id: booked.booking_id,
        launch_id,
        holder_id: booked.holder_id,
        holder_kind: booked.holder_kind,
        seats: seats as i32,
        unit_price_cents: unit,
        total_cents: total,
        launch,
        lines,
    })
}

/// Marks the invoice cancelled and issues the credit note of a refund.
fn cancel(
    known: &mut Known,
    changes: &mut Changes,
    envelope: &Envelope<LaunchEvent>,
    cancelled: &BookingCancelled,
) -> Result<(), String> {
    let invoice = known
        .invoices
        .get_mut(&cancelled.booking_id)
        .ok_or_else(|| format!("booking {} has no invoice", cancelled.booking_id))?;
    if invoice.cancelled {
        return Err(format!("booking {} cancelled twice", cancelled.booking_id));
    }
    if !(0..=100).contains(&cancelled.refund_percent)
        || cancelled.refund_cents < 0
        || cancelled.refund_cents > invoice.total_cents
    {
        return Err(format!(
            "refund of {} cents ({} %) on an invoice of {} cents",
            cancelled.refund_cents, cancelled.refund_percent, invoice.total_cents
        ));
    }
    invoice.cancelled = true;
    let invoice = invoice.clone();
    changes.cancellations.push(Cancellation {
        booking_id: cancelled.booking_id,
        cancelled_at: cancelled.cancelled_at,
        position: envelope.global_position,
    });
    if cancelled.refund_cents == 0 {
        return Ok(());
    }
    let (year, seq) = next_number(known, changes, DocumentKind::CreditNote, envelope);
    changes.credit_notes.push(CreditNote {
        number: number(DocumentKind::CreditNote, year, seq),
        year,
        seq,
        position: envelope.global_position,
        event_id: envelope.metadata.event_id,
        issued_at: envelope.metadata.occurred_at,
        invoice_number: invoice.number,
        booking_id: cancelled.booking_id,
        launch_id: invoice.launch_id,
        holder_id: invoice.holder_id,
        holder_kind: invoice.holder_kind,
        refund_percent: i32::from(cancelled.refund_percent),
        amount_cents: cancelled.refund_cents,
        reason: cancelled.reason,
    });
    Ok(())
}

/// What an invoice line sells: `Seat to the Moon on Artemis Express from
/// Kourou, departing 2027-03-01 14:00 UTC`.
pub fn line_description(launch: &LaunchInfo) -> String {
    format!(
        "Seat to {} on {} from {}, departing {}",
        destination_words(&launch.destination),
        launch.rocket_name,
        launch.spaceport,
        launch.departure_at.format("%Y-%m-%d %H:%M UTC")
    )
}

/// The destination in words.
fn destination_words(name: &str) -> String {
    match name {
        "suborbital" => "a suborbital flight".into(),
        "low_earth_orbit" => "low Earth orbit".into(),
        "moon" => "the Moon".into(),
        "mars" => "Mars".into(),
        other => other.replace('_', " "),
    }
}

/// The wire name of a holder kind (`traveler`, `agency`).
pub fn holder_kind_name(kind: HolderKind) -> &'static str {
    match kind {
        HolderKind::Traveler => "traveler",
        HolderKind::Agency => "agency",
    }
}

/// The holder kind of a wire name.
pub fn holder_kind_of(name: &str) -> Option<HolderKind> {
    match name {
        "traveler" => Some(HolderKind::Traveler),
        "agency" => Some(HolderKind::Agency),
        _ => None,
    }
}

/// The wire name of a cancellation reason.
pub fn reason_name(reason: CancellationReason) -> &'static str {
    match reason {
        CancellationReason::HolderCancelled => "holder_cancelled",
        CancellationReason::LaunchAborted => "launch_aborted",
    }
}

impl fmt::Display for DocumentKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.prefix())
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use events::{
        Actor, EventMetadata, LaunchAborted, LaunchDelayed, LaunchScheduled, Passenger, RocketRange,
    };

    use super::*;

    const LAUNCH: &str = "0193a0d6-0000-7000-8000-00000000000a";

    fn at(y: i32, m: u32, d: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, 12, 0, 0).unwrap()
    }

    struct Store {
        position: i64,
    }

    impl Store {
        fn event(&mut self, when: DateTime<Utc>, payload: LaunchEvent) -> Envelope<LaunchEvent> {
            self.position += 1;
            Envelope {
                aggregate_type: "Launch".into(),
                aggregate_id: LAUNCH.into(),
                sequence: self.position as u64,
                global_position: self.position,
                event_type: "test".into(),
                event_version: "1.0".into(),
                metadata: EventMetadata::for_command(
                    when,
                    "corr",
                    "req",
                    &Actor {
                        id: "system".into(),
                        role: "system".into(),
                    },
                ),
                payload,
            }
        }

        fn scheduled(&mut self, when: DateTime<Utc>) -> Envelope<LaunchEvent> {
            self.event(
                when,
                LaunchEvent::LaunchScheduled(LaunchScheduled {
                    launch_id: LAUNCH.parse().unwrap(),
                    rocket_id: Uuid::nil(),
                    rocket_name: "Artemis Express".into(),
                    spaceport: "Kourou".into(),
                    destination: RocketRange::Moon,
                    departure_at: at(2028, 3, 1),
                    price_per_seat_cents: 25_000_000,
                    capacity: 10,
                }),
            )
        }

        fn booked(
            &mut self,
            when: DateTime<Utc>,
            booking: u128,
            seats: u32,
        ) -> Envelope<LaunchEvent> {
            let unit = 25_000_000;
            self.event(
                when,
                LaunchEvent::SeatsBooked(SeatsBooked {
                    booking_id: Uuid::from_u128(booking),
                    holder_id: Uuid::from_u128(7),
                    holder_kind: HolderKind::Agency,
                    passengers: (0..seats)
                        .map(|i| Passenger {
                            name: format!("Passenger {i}"),
                            birth_date: chrono::NaiveDate::from_ymd_opt(1990, 1, 1).unwrap(),
                            email: None,
                        })
                        .collect(),
                    seats,
                    unit_price_cents: unit,
                    total_cents: unit * i64::from(seats),
                    booked_at: when,
                }),
            )
        }

        fn cancelled(
            &mut self,
            when: DateTime<Utc>,
            booking: u128,
            percent: u8,
            refund: i64,
            reason: CancellationReason,
        ) -> Envelope<LaunchEvent> {
            self.event(
                when,
                LaunchEvent::BookingCancelled(BookingCancelled {
                    booking_id: Uuid::from_u128(booking),
                    holder_id: Uuid::from_u128(7),
                    seats_released: 1,
                    refund_percent: percent,
                    refund_cents: refund,
                    reason,
                    cancelled_at: when,
                }),
            )
        }
    }

    fn store() -> Store {
        Store { position: 0 }
    }

    #[test]
    fn a_booking_is_invoiced_to_its_holder_with_one_line_per_passenger() {
        let mut s = store();
        let events = [s.scheduled(at(2026, 5, 1)), s.booked(at(2026, 6, 1), 1, 3)];
        let changes = plan(&mut Known::default(), &events).unwrap();
        assert_eq!(changes.invoices.len(), 1);
        let invoice = &changes.invoices[0];
        assert_eq!(invoice.number, "INV-2026-000001");
        assert_eq!((invoice.year, invoice.seq), (2026, 1));
        assert_eq!(invoice.holder_id, Uuid::from_u128(7));
        assert_eq!(invoice.holder_kind, HolderKind::Agency);
        assert_eq!(invoice.seats, 3);
        assert_eq!(invoice.total_cents, 75_000_000);
        assert_eq!(invoice.position, 2);
        assert_eq!(invoice.issued_at, at(2026, 6, 1));
        assert_eq!(invoice.lines.len(), 3);
        assert_eq!(
            invoice.lines.iter().map(|l| l.amount_cents).sum::<i64>(),
            invoice.total_cents
        );
        assert_eq!(invoice.lines[2].line_no, 3);
        assert_eq!(invoice.lines[2].passenger_name, "Passenger 2");
        assert_eq!(
            invoice.lines[0].description,
            "Seat to the Moon on Artemis Express from Kourou, departing 2028-03-01 12:00 UTC"
        );
        assert_eq!(changes.counters[&(DocumentKind::Invoice, 2026)], 1);
        assert!(changes.credit_notes.is_empty());
    }

    #[test]
    fn numbers_are_gapless_per_kind_and_restart_each_calendar_year() {
        let mut s = store();
        let events = [
            s.scheduled(at(2026, 1, 1)),
            s.booked(at(2026, 12, 31), 1, 1),
            s.booked(at(2026, 12, 31), 2, 1),
            s.cancelled(
                at(2026, 12, 31),
                1,
                90,
                22_500_000,
                CancellationReason::HolderCancelled,
            ),
            s.booked(at(2027, 1, 1), 3, 1),
            s.cancelled(
                at(2027, 1, 2),
                2,
                70,
                17_500_000,
                CancellationReason::HolderCancelled,
            ),
            s.booked(at(2027, 1, 3), 4, 1),
        ];
        let changes = plan(&mut Known::default(), &events).unwrap();
        let invoices: Vec<&str> = changes.invoices.iter().map(|i| i.number.as_str()).collect();
        assert_eq!(
            invoices,
            [
                "INV-2026-000001",
                "INV-2026-000002",
                "INV-2027-000001",
                "INV-2027-000002"
            ]
        );
        let notes: Vec<&str> = changes
            .credit_notes
            .iter()
            .map(|n| n.number.as_str())
            .collect();
        assert_eq!(notes, ["CN-2026-000001", "CN-2027-000001"]);
        assert_eq!(changes.credit_notes[1].invoice_number, "INV-2026-000002");
    }

    #[test]
    fn numbering_continues_from_the_known_counters() {
        let mut s = store();
        let events = [s.booked(at(2026, 6, 1), 9, 1)];
        let mut known = Known::default();
        known.launches.insert(
            LAUNCH.parse().unwrap(),
            LaunchInfo {
                rocket_name: "R".into(),
                spaceport: "S".into(),
                destination: "mars".into(),
                departure_at: at(2027, 1, 1),
            },
        );
        known.counters.insert((DocumentKind::Invoice, 2026), 41);
        known.counters.insert((DocumentKind::Invoice, 2025), 99);
        let changes = plan(&mut known, &events).unwrap();
        assert_eq!(changes.invoices[0].number, "INV-2026-000042");
        assert_eq!(changes.counters.len(), 1);
    }

    #[test]
    fn a_refund_issues_a_credit_note_for_the_refunded_amount() {
        for (percent, refund, reason) in [
            (90, 45_000_000, CancellationReason::HolderCancelled),
            (70, 35_000_000, CancellationReason::HolderCancelled),
            (100, 50_000_000, CancellationReason::LaunchAborted),
        ] {
            let mut s = store();
            let events = [
                s.scheduled(at(2026, 1, 1)),
                s.booked(at(2026, 2, 1), 1, 2),
                s.cancelled(at(2026, 3, 1), 1, percent, refund, reason),
            ];
            let changes = plan(&mut Known::default(), &events).unwrap();
            let note = &changes.credit_notes[0];
            assert_eq!(note.number, "CN-2026-000001");
            assert_eq!(note.invoice_number, "INV-2026-000001");
            assert_eq!(note.amount_cents, refund);
            assert_eq!(note.refund_percent, i32::from(percent));
            assert_eq!(note.reason, reason);
            assert_eq!(note.holder_id, Uuid::from_u128(7));
            assert_eq!(note.position, 3);
            assert_eq!(
                changes.cancellations,
                [Cancellation {
                    booking_id: Uuid::from_u128(1),
                    cancelled_at: at(2026, 3, 1),
                    position: 3
                }]
            );
        }
    }

    #[test]
    fn a_cancellation_without_refund_cancels_the_invoice_and_issues_no_credit_note() {
        let mut s = store();
        let events = [
            s.scheduled(at(2026, 1, 1)),
            s.booked(at(2026, 2, 1), 1, 1),
            s.cancelled(at(2026, 3, 1), 1, 0, 0, CancellationReason::HolderCancelled),
        ];
        let changes = plan(&mut Known::default(), &events).unwrap();
        assert!(changes.credit_notes.is_empty());
        assert_eq!(changes.cancellations.len(), 1);
        assert!(!changes
            .counters
            .contains_key(&(DocumentKind::CreditNote, 2026)));
    }

    #[test]
    fn a_delay_changes_later_invoices_only() {
        let mut s = store();
        let events = [
            s.scheduled(at(2026, 1, 1)),
            s.booked(at(2026, 2, 1), 1, 1),
            s.event(
                at(2026, 2, 2),
                LaunchEvent::LaunchDelayed(LaunchDelayed {
                    previous_departure_at: at(2028, 3, 1),
                    new_departure_at: at(2028, 9, 1),
                    reason: "weather".into(),
                }),
            ),
            s.booked(at(2026, 2, 3), 2, 1),
        ];
        let changes = plan(&mut Known::default(), &events).unwrap();
        assert_eq!(changes.invoices[0].launch.departure_at, at(2028, 3, 1));
        assert_eq!(changes.invoices[1].launch.departure_at, at(2028, 9, 1));
        let (launch, position) = &changes.launches[&LAUNCH.parse::<Uuid>().unwrap()];
        assert_eq!(launch.departure_at, at(2028, 9, 1));
        assert_eq!(*position, 3);
    }

    #[test]
    fn planning_in_batches_gives_the_same_documents_as_at_once() {
        let mut s = store();
        let mut events = vec![s.scheduled(at(2026, 1, 1))];
        for booking in 1..=20 {
            events.push(s.booked(at(2026, 12, 30 + (booking % 2) as u32), booking, 1));
        }
        for booking in (1..=20).step_by(3) {
            events.push(s.cancelled(
                at(2027, 1, 5),
                booking,
                90,
                22_500_000,
                CancellationReason::HolderCancelled,
            ));
        }
        let whole = plan(&mut Known::default(), &events).unwrap();
        let mut known = Known::default();
        let mut invoices = Vec::new();
        let mut notes = Vec::new();
        for chunk in events.chunks(4) {
            let changes = plan(&mut known, chunk).unwrap();
            invoices.extend(changes.invoices);
            notes.extend(changes.credit_notes);
        }
        assert_eq!(invoices, whole.invoices);
        assert_eq!(notes, whole.credit_notes);
    }

    #[test]
    fn events_the_rules_cannot_account_for_are_refused_with_their_position() {
        let mut s = store();
        let unscheduled = [s.booked(at(2026, 2, 1), 1, 1)];
        assert_eq!(
            plan(&mut Known::default(), &unscheduled)
                .unwrap_err()
                .position,
            1
        );

        let mut s = store();
        let unknown_booking = [
            s.scheduled(at(2026, 1, 1)),
            s.cancelled(
                at(2026, 3, 1),
                5,
                90,
                1,
                CancellationReason::HolderCancelled,
            ),
        ];
        assert_eq!(
            plan(&mut Known::default(), &unknown_booking)
                .unwrap_err()
                .position,
            2
        );

        let mut s = store();
        let twice = [
            s.scheduled(at(2026, 1, 1)),
            s.booked(at(2026, 2, 1), 1, 1),
            s.cancelled(
                at(2026, 3, 1),
                1,
                90,
                1,
                CancellationReason::HolderCancelled,
            ),
            s.cancelled(
                at(2026, 3, 2),
                1,
                90,
                1,
                CancellationReason::HolderCancelled,
            ),
        ];
        assert_eq!(plan(&mut Known::default(), &twice).unwrap_err().position, 4);

        let mut s = store();
        let too_much = [
            s.scheduled(at(2026, 1, 1)),
            s.booked(at(2026, 2, 1), 1, 1),
            s.cancelled(
                at(2026, 3, 1),
                1,
                100,
                25_000_001,
                CancellationReason::LaunchAborted,
            ),
        ];
        assert!(plan(&mut Known::default(), &too_much)
            .unwrap_err()
            .reason
            .contains("refund"));

        let mut s = store();
        let mut wrong_total = s.booked(at(2026, 2, 1), 1, 2);
        if let LaunchEvent::SeatsBooked(booked) = &mut wrong_total.payload {
            booked.total_cents += 1;
        }
        let events = [s.scheduled(at(2026, 1, 1)), wrong_total];
        assert!(plan(&mut Known::default(), &events).is_err());

        let mut s = store();
        let duplicate = [
            s.scheduled(at(2026, 1, 1)),
            s.booked(at(2026, 2, 1), 1, 1),
            s.booked(at(2026, 2, 1), 1, 1),
        ];
        assert_eq!(
            plan(&mut Known::default(), &duplicate)
                .unwrap_err()
                .position,
            3
        );
    }

    #[test]
    fn an_abort_itself_issues_nothing_its_cancellations_do() {
        let mut s = store();
        let events = [
            s.scheduled(at(2026, 1, 1)),
            s.event(
                at(2026, 2, 1),
                LaunchEvent::LaunchAborted(LaunchAborted {
                    reason: "engine".into(),
                    aborted_at: at(2026, 2, 1),
                }),
            ),
        ];
        let changes = plan(&mut Known::default(), &events).unwrap();
        assert!(changes.invoices.is_empty() && changes.credit_notes.is_empty());
    }

    #[test]
    fn numbers_have_six_digits_at_least() {
        assert_eq!(number(DocumentKind::CreditNote, 2026, 7), "CN-2026-000007");
        assert_eq!(
            number(DocumentKind::Invoice, 2031, 1_234_567),
            "INV-2031-1234567"
        );
    }
}
