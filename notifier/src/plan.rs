//! The rules, pure: what a launch looks like at an event (the fold of its
//! events) and who is told what about that event.
//!
//! - `SeatsBooked` → a booking confirmation to the holder (the traveler, or
//!   the agency) and to every passenger who gave an email.
//! - `BookingCancelled` → a cancellation with the refund to the same
//!   people; when the launch was aborted (`reason: launch_aborted`, 100 %
//!   refund) the email says so.
//! - `LaunchDelayed` → the new departure to the people of every booking
//!   still active on the launch.
//! - Every other event tells nobody. (`LaunchAborted` itself is followed in
//!   the same transaction by one `BookingCancelled` per active booking,
//!   which carry the refunds: one email per booking, not two.)
//!
//! One address gets at most one email per event: the notification's id is
//! derived from the event id and the address (see
//! [`read_models::core_db::notification_id`]), so a passenger who is also
//! the holder, or a person in two bookings of a delayed launch, is told
//! once.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use events::{
    BookingCancelled, CancellationReason, Destination, HolderKind, LaunchDelayed, LaunchEvent,
    Passenger, SeatsBooked,
};
use read_models::core_db::{NotificationKind, RecipientRole};
use uuid::Uuid;

/// A launch as its events left it, as much as the emails need.
#[derive(Debug, Clone, PartialEq)]
pub struct LaunchFacts {
    /// The launch.
    pub launch_id: Uuid,
    /// The rocket's name.
    pub rocket_name: String,
    /// Where it departs from.
    pub spaceport: String,
    /// Where it goes.
    pub destination: Destination,
    /// When it departs (after every delay so far).
    pub departure_at: DateTime<Utc>,
    /// Every booking ever made on it, active or not.
    pub bookings: HashMap<Uuid, BookingFacts>,
    /// The booking ids in the order they were made (emails list them so).
    pub booking_order: Vec<Uuid>,
    /// The sequence of the last event folded in.
    pub sequence: u64,
}

/// One booking, as the emails need it.
#[derive(Debug, Clone, PartialEq)]
pub struct BookingFacts {
    /// Its holder.
    pub holder_id: Uuid,
    /// A traveler or an agency.
    pub holder_kind: HolderKind,
    /// Its passengers.
    pub passengers: Vec<Passenger>,
    /// Its total in cents.
    pub total_cents: i64,
    /// Whether it still holds its seats.
    pub active: bool,
}

/// The fold went wrong: the store holds a history these rules do not
/// understand (an event before the launch was scheduled, a sequence out of
/// order). Retrying does not help.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("launch history unreadable at sequence {sequence}: {reason}")]
pub struct Inconsistent {
    /// The event's sequence.
    pub sequence: u64,
    /// What is wrong.
    pub reason: String,
}

impl LaunchFacts {
    /// Folds event `sequence` into `facts` (`None` before the first event).
    pub fn fold(
        facts: Option<Self>,
        sequence: u64,
        event: &LaunchEvent,
    ) -> Result<Self, Inconsistent> {
        let inconsistent = |reason: &str| Inconsistent {
            sequence,
            reason: reason.to_owned(),
        };
        let mut facts = match (facts, event) {
            (None, LaunchEvent::LaunchScheduled(e)) => {
                return Ok(Self {
                    launch_id: e.launch_id,
                    rocket_name: e.rocket_name.clone(),
                    spaceport: e.spaceport.clone(),
                    destination: e.destination,
                    departure_at: e.departure_at,
                    bookings: HashMap::new(),
                    booking_order: Vec::new(),
                    sequence,
                })
            }
            (None, _) => return Err(inconsistent("an event before the launch was scheduled")),
            (Some(_), LaunchEvent::LaunchScheduled(_)) => {
                return Err(inconsistent("the launch was scheduled twice"))
            }
            (Some(facts), _) => facts,
        };
        if sequence != facts.sequence + 1 {
            return Err(inconsistent(&format!(
                "expected sequence {}",
                facts.sequence + 1
            )));
        }
        match event {
            LaunchEvent::LaunchDelayed(e) => facts.departure_at = e.new_departure_at,
            LaunchEvent::SeatsBooked(e) => {
                facts.booking_order.push(e.booking_id);
                facts.bookings.insert(
                    e.booking_id,
                    BookingFacts {
                        holder_id: e.holder_id,
                        holder_kind: e.holder_kind,
                        passengers: e.passengers.clone(),
                        total_cents: e.total_cents,
                        active: true,
                    },
                );
            }
            LaunchEvent::BookingCancelled(e) => {
                if let Some(booking) = facts.bookings.get_mut(&e.booking_id) {
                    booking.active = false;
                }
            }
            LaunchEvent::LaunchScheduled(_)
            | LaunchEvent::LaunchConfirmed(_)
            | LaunchEvent::LaunchAborted(_)
            | LaunchEvent::LaunchLaunched(_) => {}
        }
        facts.sequence = sequence;
        Ok(facts)
    }
}

/// Whether an event tells anybody anything (the others are acknowledged
/// without reading the launch's history).
pub fn notifies(event: &LaunchEvent) -> bool {
    matches!(
        event,
        LaunchEvent::SeatsBooked(_)
            | LaunchEvent::BookingCancelled(_)
            | LaunchEvent::LaunchDelayed(_)
    )
}

/// How to reach a booking's holder (from their profile).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contact {
    /// Their address.
    pub email: String,
    /// How the email addresses them (a traveler's full name, an agency's
    /// legal name).
    pub name: String,
}

/// One email to send.
#[derive(Debug, Clone, PartialEq)]
pub struct Email {
    /// Why.
    pub kind: NotificationKind,
    /// To whom (lower-cased, trimmed).
    pub recipient: String,
    /// Their name.
    pub recipient_name: String,
    /// Who they are to the booking(s).
    pub role: RecipientRole,
    /// The booking it is about (a delay may concern several; the first).
    pub booking_id: Option<Uuid>,
    /// What the templates show.
    pub details: Details,
}

/// What an email is about, for its template.
#[derive(Debug, Clone, PartialEq)]
pub enum Details {
    /// A confirmation.
    Booked {
        /// The booking.
        booking_id: Uuid,
        /// Its passengers' names.
        passengers: Vec<String>,
        /// Seats.
        seats: u32,
        /// Price of one seat, in cents.
        unit_price_cents: i64,
        /// Total, in cents.
        total_cents: i64,
    },
    /// A cancellation.
    Cancelled {
        /// The booking.
        booking_id: Uuid,
        /// Its passengers' names.
        passengers: Vec<String>,
        /// Seats released.
        seats: u32,
        /// The booking's total, in cents.
        total_cents: i64,
        /// Refund percentage.
        refund_percent: u8,
        /// Refund, in cents.
        refund_cents: i64,
        /// Whether the launch was aborted (else the holder cancelled).
        aborted: bool,
    },
    /// A delay.
    Delayed {
        /// The departure before.
        previous_departure_at: DateTime<Utc>,
        /// The new departure.
        new_departure_at: DateTime<Utc>,
        /// Why.
        reason: String,
        /// The recipient's bookings on the launch.
        booking_ids: Vec<Uuid>,
    },
}

/// The holder's contact is needed and unknown: their profile has not
/// reached the profiles table yet (or they have none).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("no email known for holder {0}")]
pub struct UnknownHolder(pub Uuid);

/// The emails `event` causes, given the launch as it was just before it
/// (`before`) and the holders' contacts. A holder missing from `contacts`
/// is an [`UnknownHolder`] error unless `skip_unknown` (then they are left
/// out, and their passengers are still told).
pub fn plan(
    before: &LaunchFacts,
    event: &LaunchEvent,
    contacts: &HashMap<Uuid, Contact>,
    skip_unknown: bool,
) -> Result<Vec<Email>, UnknownHolder> {
    let mut emails = Vec::new();
    match event {
        LaunchEvent::SeatsBooked(e) => {
            let details = booked(e);
            add_booking_people(
                &mut emails,
                NotificationKind::BookingConfirmed,
                e.booking_id,
                e.holder_id,
                e.holder_kind,
                &e.passengers,
                contacts,
                skip_unknown,
                &details,
            )?;
        }
        LaunchEvent::BookingCancelled(e) => {
            // A booking the history does not know (cannot happen in a
            // consistent store) still tells its holder, without passengers.
            let (kind, passengers, total) = before
                .bookings
                .get(&e.booking_id)
                .map(|b| (b.holder_kind, b.passengers.clone(), b.total_cents))
                .unwrap_or((HolderKind::Traveler, Vec::new(), 0));
            let details = cancelled(e, &passengers, total);
            let notification = match e.reason {
                CancellationReason::HolderCancelled => NotificationKind::BookingCancelled,
                CancellationReason::LaunchAborted => NotificationKind::LaunchAborted,
            };
            add_booking_people(
                &mut emails,
                notification,
                e.booking_id,
                e.holder_id,
                kind,
                &passengers,
                contacts,
                skip_unknown,
                &details,
            )?;
        }
        LaunchEvent::LaunchDelayed(e) => delayed(&mut emails, before, e, contacts, skip_unknown)?,
        _ => {}
    }
    Ok(emails)
}

/// The holders whose contacts [`plan`] needs for `event`.
pub fn holders_needed(before: &LaunchFacts, event: &LaunchEvent) -> Vec<(Uuid, HolderKind)> {
    match event {
        LaunchEvent::SeatsBooked(e) => vec![(e.holder_id, e.holder_kind)],
        LaunchEvent::BookingCancelled(e) => {
            let kind = before
                .bookings
                .get(&e.booking_id)
                .map_or(HolderKind::Traveler, |b| b.holder_kind);
            vec![(e.holder_id, kind)]
        }
        LaunchEvent::LaunchDelayed(_) => {
            let mut holders: Vec<(Uuid, HolderKind)> = before
                .booking_order
                .iter()
                .filter_map(|id| before.bookings.get(id))
                .filter(|b| b.active)
                .map(|b| (b.holder_id, b.holder_kind))
                .collect();
            holders.sort_by_key(|(id, _)| *id);
            holders.dedup();
            holders
        }
        _ => Vec::new(),
    }
}

fn booked(e: &SeatsBooked) -> Details {
    Details::Booked {
        booking_id: e.booking_id,
        passengers: e.passengers.iter().map(|p| p.name.clone()).collect(),
        seats: e.seats,
        unit_price_cents: e.unit_price_cents,
        total_cents: e.total_cents,
    }
}

fn cancelled(e: &BookingCancelled, passengers: &[Passenger], total_cents: i64) -> Details {
    Details::Cancelled {
        booking_id: e.booking_id,
        passengers: passengers.iter().map(|p| p.name.clone()).collect(),
        seats: e.seats_released,
        total_cents,
        refund_percent: e.refund_percent,
        refund_cents: e.refund_cents,
        aborted: e.reason == CancellationReason::LaunchAborted,
    }
}

/// The normalized form of an address (how ids and the console compare them).
pub fn normalize(email: &str) -> String {
    email.trim().to_lowercase()
}

#[allow(clippy::too_many_arguments)]
fn add_booking_people(
    emails: &mut Vec<Email>,
    kind: NotificationKind,
    booking_id: Uuid,
    holder_id: Uuid,
    holder_kind: HolderKind,
    passengers: &[Passenger],
    contacts: &HashMap<Uuid, Contact>,
    skip_unknown: bool,
    details: &Details,
) -> Result<(), UnknownHolder> {
    let mut add = |recipient: String, name: String, role: RecipientRole| {
        if recipient.is_empty() || emails.iter().any(|e| e.recipient == recipient) {
            return;
        }
        emails.push(Email {
            kind,
            recipient,
            recipient_name: name,
            role,
            booking_id: Some(booking_id),
            details: details.clone(),
        });
    };
    match contacts.get(&holder_id) {
        Some(contact) => add(
            normalize(&contact.email),
            contact.name.clone(),
            holder_role(holder_kind),
        ),
        None if skip_unknown => {}
        None => return Err(UnknownHolder(holder_id)),
    }
    for passenger in passengers {
        if let Some(email) = &passenger.email {
            add(
                normalize(email),
                passenger.name.clone(),
                RecipientRole::Passenger,
            );
        }
    }
    Ok(())
}

fn holder_role(kind: HolderKind) -> RecipientRole {
    match kind {
        HolderKind::Traveler => RecipientRole::Traveler,
        HolderKind::Agency => RecipientRole::Agency,
    }
}

fn delayed(
    emails: &mut Vec<Email>,
    before: &LaunchFacts,
    e: &LaunchDelayed,
    contacts: &HashMap<Uuid, Contact>,
    skip_unknown: bool,
) -> Result<(), UnknownHolder> {
    // Address → (name, role, bookings), in the order people first appear.
    let mut people: BTreeMap<usize, (String, String, RecipientRole, Vec<Uuid>)> = BTreeMap::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut add = |recipient: String, name: &str, role: RecipientRole, booking: Uuid| {
        if recipient.is_empty() {
            return;
        }
        let next = index.len();
        let slot = *index.entry(recipient.clone()).or_insert(next);
        let entry = people
            .entry(slot)
            .or_insert_with(|| (recipient, name.to_owned(), role, Vec::new()));
        if !entry.3.contains(&booking) {
            entry.3.push(booking);
        }
    };
    for booking_id in &before.booking_order {
        let Some(booking) = before.bookings.get(booking_id).filter(|b| b.active) else {
            continue;
        };
        match contacts.get(&booking.holder_id) {
            Some(contact) => add(
                normalize(&contact.email),
                &contact.name,
                holder_role(booking.holder_kind),
                *booking_id,
            ),
            None if skip_unknown => {}
            None => return Err(UnknownHolder(booking.holder_id)),
        }
        for passenger in &booking.passengers {
            if let Some(email) = &passenger.email {
                add(
                    normalize(email),
                    &passenger.name,
                    RecipientRole::Passenger,
                    *booking_id,
                );
            }
        }
    }
    for (recipient, name, role, booking_ids) in people.into_values() {
        emails.push(Email {
            kind: NotificationKind::LaunchDelayed,
            recipient,
            recipient_name: name,
            role,
            booking_id: booking_ids.first().copied(),
            details: Details::Delayed {
                previous_departure_at: e.previous_departure_at,
                new_departure_at: e.new_departure_at,
                reason: e.reason.clone(),
                booking_ids,
            },
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use chrono::{NaiveDate, TimeZone};
    use events::{LaunchAborted, LaunchConfirmed, LaunchScheduled};

    use super::*;

    fn at(day: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2027, 3, day, 12, 0, 0).unwrap()
    }

    fn id(n: u128) -> Uuid {
        Uuid::from_u128(n)
    }

    fn scheduled() -> LaunchFacts {
        LaunchFacts::fold(
            None,
            1,
            &LaunchEvent::LaunchScheduled(LaunchScheduled {
                launch_id: id(1),
                rocket_id: id(2),
                rocket_name: "Selene IV".into(),
                spaceport: "Kourou".into(),
                destination: Destination::Moon,
                departure_at: at(20),
                price_per_seat_cents: 100_000,
                capacity: 10,
            }),
        )
        .unwrap()
    }

    fn passenger(name: &str, email: Option<&str>) -> Passenger {
        Passenger {
            name: name.into(),
            birth_date: NaiveDate::from_ymd_opt(1990, 1, 1).unwrap(),
            email: email.map(str::to_owned),
        }
    }

    fn booking(
        booking: u128,
        holder: u128,
        kind: HolderKind,
        passengers: Vec<Passenger>,
    ) -> LaunchEvent {
        let seats = passengers.len() as u32;
        LaunchEvent::SeatsBooked(SeatsBooked {
            booking_id: id(booking),
            holder_id: id(holder),
            holder_kind: kind,
            passengers,
            seats,
            unit_price_cents: 100_000,
            total_cents: 100_000 * i64::from(seats),
            booked_at: at(1),
        })
    }

    fn cancel(booking: u128, holder: u128, reason: CancellationReason) -> LaunchEvent {
        LaunchEvent::BookingCancelled(BookingCancelled {
            booking_id: id(booking),
            holder_id: id(holder),
            seats_released: 1,
            refund_percent: if reason == CancellationReason::LaunchAborted {
                100
            } else {
                90
            },
            refund_cents: 90_000,
            reason,
            cancelled_at: at(2),
        })
    }

    fn contacts(people: &[(u128, &str, &str)]) -> HashMap<Uuid, Contact> {
        people
            .iter()
            .map(|(holder, email, name)| {
                (
                    id(*holder),
                    Contact {
                        email: (*email).into(),
                        name: (*name).into(),
                    },
                )
            })
            .collect()
    }

    fn fold_all(events: &[LaunchEvent]) -> LaunchFacts {
        let mut facts = scheduled();
        for event in events {
            let next = facts.sequence + 1;
            facts = LaunchFacts::fold(Some(facts), next, event).unwrap();
        }
        facts
    }

    fn recipients(emails: &[Email]) -> Vec<(&str, RecipientRole)> {
        emails
            .iter()
            .map(|e| (e.recipient.as_str(), e.role))
            .collect()
    }

    #[test]
    fn a_traveler_booking_tells_the_traveler_and_every_passenger_with_an_email() {
        let event = booking(
            10,
            100,
            HolderKind::Traveler,
            vec![
                passenger("Ada", None),
                passenger("Grace", Some(" Grace@Example.com ")),
            ],
        );
        let emails = plan(
            &scheduled(),
            &event,
            &contacts(&[(100, "ada@example.com", "Ada Lovelace")]),
            false,
        )
        .unwrap();
        assert_eq!(
            recipients(&emails),
            [
                ("ada@example.com", RecipientRole::Traveler),
                ("grace@example.com", RecipientRole::Passenger)
            ]
        );
        assert!(emails
            .iter()
            .all(|e| e.kind == NotificationKind::BookingConfirmed));
        assert_eq!(emails[0].recipient_name, "Ada Lovelace");
        assert_eq!(emails[0].booking_id, Some(id(10)));
        match &emails[0].details {
            Details::Booked {
                passengers,
                total_cents,
                ..
            } => {
                assert_eq!(passengers, &["Ada", "Grace"]);
                assert_eq!(*total_cents, 200_000);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn an_agency_booking_tells_the_agency_and_its_passengers() {
        let event = booking(
            10,
            200,
            HolderKind::Agency,
            vec![passenger("Neil", Some("neil@example.com"))],
        );
        let emails = plan(
            &scheduled(),
            &event,
            &contacts(&[(200, "desk@orbit-travel.example", "Orbit Travel Ltd")]),
            false,
        )
        .unwrap();
        assert_eq!(
            recipients(&emails),
            [
                ("desk@orbit-travel.example", RecipientRole::Agency),
                ("neil@example.com", RecipientRole::Passenger)
            ]
        );
    }

    #[test]
    fn a_passenger_who_is_the_holder_is_told_once() {
        let event = booking(
            10,
            100,
            HolderKind::Traveler,
            vec![
                passenger("Ada", Some("ADA@example.com")),
                passenger("Ada again", Some("ada@example.com")),
            ],
        );
        let emails = plan(
            &scheduled(),
            &event,
            &contacts(&[(100, "ada@example.com", "Ada Lovelace")]),
            false,
        )
        .unwrap();
        assert_eq!(
            recipients(&emails),
            [("ada@example.com", RecipientRole::Traveler)]
        );
    }

    #[test]
    fn an_unknown_holder_is_an_error_unless_skipped_then_passengers_are_still_told() {
        let event = booking(
            10,
            100,
            HolderKind::Traveler,
            vec![passenger("Grace", Some("grace@example.com"))],
        );
        assert_eq!(
            plan(&scheduled(), &event, &HashMap::new(), false),
            Err(UnknownHolder(id(100)))
        );
        let emails = plan(&scheduled(), &event, &HashMap::new(), true).unwrap();
        assert_eq!(
            recipients(&emails),
            [("grace@example.com", RecipientRole::Passenger)]
        );
    }

    #[test]
    fn a_cancellation_tells_the_booking_people_with_the_refund() {
        let before = fold_all(&[booking(
            10,
            100,
            HolderKind::Traveler,
            vec![passenger("Grace", Some("grace@example.com"))],
        )]);
        let event = cancel(10, 100, CancellationReason::HolderCancelled);
        let emails = plan(
            &before,
            &event,
            &contacts(&[(100, "ada@example.com", "Ada")]),
            false,
        )
        .unwrap();
        assert_eq!(emails.len(), 2);
        assert!(emails
            .iter()
            .all(|e| e.kind == NotificationKind::BookingCancelled));
        match &emails[0].details {
            Details::Cancelled {
                refund_percent,
                refund_cents,
                total_cents,
                aborted,
                passengers,
                ..
            } => {
                assert_eq!(
                    (*refund_percent, *refund_cents, *total_cents, *aborted),
                    (90, 90_000, 100_000, false)
                );
                assert_eq!(passengers, &["Grace"]);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn an_abort_cancellation_is_a_launch_aborted_email() {
        let before = fold_all(&[
            booking(10, 100, HolderKind::Traveler, vec![passenger("A", None)]),
            LaunchEvent::LaunchAborted(LaunchAborted {
                reason: "engine".into(),
                aborted_at: at(3),
            }),
        ]);
        let emails = plan(
            &before,
            &cancel(10, 100, CancellationReason::LaunchAborted),
            &contacts(&[(100, "ada@example.com", "Ada")]),
            false,
        )
        .unwrap();
        assert_eq!(emails[0].kind, NotificationKind::LaunchAborted);
        assert!(matches!(
            emails[0].details,
            Details::Cancelled {
                aborted: true,
                refund_percent: 100,
                ..
            }
        ));
    }

    #[test]
    fn a_delay_tells_every_active_booking_once_per_address() {
        let before = fold_all(&[
            booking(
                10,
                100,
                HolderKind::Traveler,
                vec![passenger("A", Some("shared@example.com"))],
            ),
            booking(11, 200, HolderKind::Agency, vec![passenger("B", None)]),
            booking(
                12,
                100,
                HolderKind::Traveler,
                vec![passenger("C", Some("shared@example.com"))],
            ),
            booking(
                13,
                300,
                HolderKind::Traveler,
                vec![passenger("D", Some("d@example.com"))],
            ),
            cancel(13, 300, CancellationReason::HolderCancelled),
        ]);
        let event = LaunchEvent::LaunchDelayed(LaunchDelayed {
            previous_departure_at: at(20),
            new_departure_at: at(27),
            reason: "weather".into(),
        });
        let mut needed = holders_needed(&before, &event);
        needed.sort_by_key(|(id, _)| *id);
        assert_eq!(
            needed,
            [
                (id(100), HolderKind::Traveler),
                (id(200), HolderKind::Agency)
            ]
        );
        let emails = plan(
            &before,
            &event,
            &contacts(&[
                (100, "ada@example.com", "Ada"),
                (200, "desk@agency.example", "Agency"),
                (300, "gone@example.com", "Gone"),
            ]),
            false,
        )
        .unwrap();
        assert_eq!(
            recipients(&emails),
            [
                ("ada@example.com", RecipientRole::Traveler),
                ("shared@example.com", RecipientRole::Passenger),
                ("desk@agency.example", RecipientRole::Agency),
            ]
        );
        match &emails[0].details {
            Details::Delayed {
                booking_ids,
                new_departure_at,
                ..
            } => {
                assert_eq!(booking_ids, &[id(10), id(12)]);
                assert_eq!(*new_departure_at, at(27));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn other_events_tell_nobody() {
        let event = LaunchEvent::LaunchConfirmed(LaunchConfirmed {
            confirmed_at: at(2),
        });
        assert!(!notifies(&event));
        assert!(plan(&scheduled(), &event, &HashMap::new(), false)
            .unwrap()
            .is_empty());
        assert!(notifies(&cancel(1, 1, CancellationReason::HolderCancelled)));
    }

    #[test]
    fn the_fold_follows_delays_and_cancellations_and_refuses_gaps() {
        let facts = fold_all(&[
            booking(10, 100, HolderKind::Traveler, vec![passenger("A", None)]),
            LaunchEvent::LaunchDelayed(LaunchDelayed {
                previous_departure_at: at(20),
                new_departure_at: at(28),
                reason: "weather".into(),
            }),
            cancel(10, 100, CancellationReason::HolderCancelled),
        ]);
        assert_eq!(facts.sequence, 4);
        assert_eq!(facts.departure_at, at(28));
        assert!(!facts.bookings[&id(10)].active);
        let gap = LaunchFacts::fold(
            Some(facts),
            9,
            &LaunchEvent::LaunchConfirmed(LaunchConfirmed {
                confirmed_at: at(2),
            }),
        );
        assert_eq!(gap.unwrap_err().sequence, 9);
        assert!(
            LaunchFacts::fold(None, 1, &cancel(1, 1, CancellationReason::HolderCancelled)).is_err()
        );
    }
}
