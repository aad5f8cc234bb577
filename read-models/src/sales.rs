//! The sales read model (MongoDB database `sales`): what the sales site
//! lists and what travelers and agencies see of their own bookings.
//!
//! Two collections, both built from the `Launch` aggregate's events only:
//! - [`LAUNCHES`]: one [`LaunchDoc`] per launch, `_id` = launch id. Its
//!   `version` is the sequence of the last event of the launch applied to it:
//!   the projector applies event `n` only when `version == n - 1`, which makes
//!   a redelivered event a no-op and an early one wait for its predecessor.
//! - [`BOOKINGS`]: one [`BookingDoc`] per booking, `_id` = booking id, with
//!   `version` = the launch sequence of the last event applied to it.
//!
//! [`apply`] is the one definition of how an event changes the documents;
//! the live projector and the rebuild both use it, which is why a rebuild
//! gives documents identical to the live ones. Timestamps come from the
//! events (never the clock), at MongoDB's millisecond precision.

use std::fmt;

use bson::{doc, DateTime as BsonDateTime, Document};
use events::{
    BookingCancelled, CancellationReason, Envelope, HolderKind, LaunchEvent, LaunchScheduled,
    SeatsBooked,
};
use mongodb::options::IndexOptions;
use mongodb::IndexModel;
use serde::{Deserialize, Serialize};

/// The database (`MONGODB_SALES_DB` may name another, e.g. in tests).
pub const DATABASE: &str = "sales";
/// The launches collection.
pub const LAUNCHES: &str = "launches";
/// The bookings collection.
pub const BOOKINGS: &str = "bookings";
/// Progress of the projection: one [`CheckpointDoc`].
pub const CHECKPOINTS: &str = "checkpoints";
/// The `_id` of the sales projection's checkpoint.
pub const CHECKPOINT_ID: &str = "sales";

/// A launch's status as the sales site shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LaunchStatus {
    /// On sale, not yet confirmed.
    Scheduled,
    /// Confirmed to fly.
    Confirmed,
    /// Moved to a later departure; needs confirming again.
    Delayed,
    /// Flew.
    Launched,
    /// Will not fly; every booking was refunded.
    Aborted,
}

impl LaunchStatus {
    /// Statuses in which seats are sold (before departure).
    pub const BOOKABLE: [LaunchStatus; 3] = [Self::Scheduled, Self::Confirmed, Self::Delayed];

    /// The stable wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Scheduled => "scheduled",
            Self::Confirmed => "confirmed",
            Self::Delayed => "delayed",
            Self::Launched => "launched",
            Self::Aborted => "aborted",
        }
    }

    /// Whether seats are sold in this status (the departure must also be in
    /// the future: the query checks that against the clock).
    pub fn is_bookable(self) -> bool {
        Self::BOOKABLE.contains(&self)
    }
}

impl fmt::Display for LaunchStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One launch as the sales site lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LaunchDoc {
    /// The launch id.
    #[serde(rename = "_id")]
    pub id: String,
    /// The rocket's id.
    pub rocket_id: String,
    /// The rocket's name.
    pub rocket_name: String,
    /// Where it departs from.
    pub spaceport: String,
    /// Where it goes (`suborbital`, `low_earth_orbit`, `moon`, `mars`).
    pub destination: String,
    /// When it departs (the latest, after any delay).
    pub departure_at: BsonDateTime,
    /// Price of one seat, in cents.
    pub price_per_seat_cents: i64,
    /// Seats on sale.
    pub capacity: i64,
    /// Seats held by active bookings.
    pub seats_booked: i64,
    /// `capacity - seats_booked`.
    pub free_seats: i64,
    /// Active bookings.
    pub active_bookings: i64,
    /// The status.
    pub status: LaunchStatus,
    /// Whether the status sells seats (see [`LaunchStatus::is_bookable`]);
    /// stored so the listing's filter uses an index.
    pub bookable: bool,
    /// The reason of the last delay, if any.
    pub delay_reason: Option<String>,
    /// The reason of the abort, if aborted.
    pub abort_reason: Option<String>,
    /// When it was put on sale.
    pub scheduled_at: BsonDateTime,
    /// When the last event applied happened.
    pub updated_at: BsonDateTime,
    /// Sequence of the last event of the launch applied to this document.
    pub version: i64,
    /// Global position of that event in the event store.
    pub global_position: i64,
}

/// A booking's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BookingStatus {
    /// Holds its seats.
    Active,
    /// Cancelled by the holder or by the launch's abort; seats released.
    Cancelled,
}

impl BookingStatus {
    /// The stable wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Cancelled => "cancelled",
        }
    }
}

/// A passenger of a booking.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PassengerDoc {
    /// Full name.
    pub name: String,
    /// Date of birth, `YYYY-MM-DD`.
    pub birth_date: String,
    /// Where the passenger gets notifications, if anywhere.
    pub email: Option<String>,
}

/// One booking, for its holder.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BookingDoc {
    /// The booking id.
    #[serde(rename = "_id")]
    pub id: String,
    /// The launch it is on.
    pub launch_id: String,
    /// The user who holds it.
    pub holder_id: String,
    /// `traveler` or `agency`.
    pub holder_kind: HolderKind,
    /// One seat each.
    pub passengers: Vec<PassengerDoc>,
    /// Seats.
    pub seats: i64,
    /// Price of one seat when booked, in cents.
    pub unit_price_cents: i64,
    /// What was paid, in cents.
    pub total_cents: i64,
    /// The status.
    pub status: BookingStatus,
    /// When it was booked.
    pub booked_at: BsonDateTime,
    /// When it was cancelled.
    pub cancelled_at: Option<BsonDateTime>,
    /// Why it was cancelled.
    pub cancellation_reason: Option<CancellationReason>,
    /// Refund on cancellation, percent of the total.
    pub refund_percent: Option<i32>,
    /// Refund on cancellation, in cents.
    pub refund_cents: Option<i64>,
    /// Launch sequence of the last event applied to this document.
    pub version: i64,
}

/// How far the sales projection has got (one document, `_id` =
/// [`CHECKPOINT_ID`]): the highest global position applied and when that
/// event happened. Several replicas write it with `$max`, so it never goes
/// back.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckpointDoc {
    /// [`CHECKPOINT_ID`].
    #[serde(rename = "_id")]
    pub id: String,
    /// Highest global position applied.
    pub global_position: i64,
    /// When the event at that position happened.
    pub occurred_at: BsonDateTime,
}

/// What one event does to the bookings collection.
#[derive(Debug, Clone, PartialEq)]
pub enum BookingChange {
    /// A new booking (insert; a duplicate key means it is already there).
    Insert(BookingDoc),
    /// An active booking was cancelled (update where `status` is active).
    Cancel {
        /// The booking.
        booking_id: String,
        /// The fields it gets, including `status` and `version`.
        set: Cancellation,
    },
}

/// The fields a cancellation sets on a booking.
#[derive(Debug, Clone, PartialEq)]
pub struct Cancellation {
    /// When.
    pub cancelled_at: BsonDateTime,
    /// Why.
    pub reason: CancellationReason,
    /// Refund, percent.
    pub refund_percent: i32,
    /// Refund, cents.
    pub refund_cents: i64,
    /// The launch sequence of the cancellation.
    pub version: i64,
}

impl Cancellation {
    /// Applies the cancellation to a booking in memory.
    pub fn apply_to(&self, booking: &mut BookingDoc) {
        booking.status = BookingStatus::Cancelled;
        booking.cancelled_at = Some(self.cancelled_at);
        booking.cancellation_reason = Some(self.reason);
        booking.refund_percent = Some(self.refund_percent);
        booking.refund_cents = Some(self.refund_cents);
        booking.version = self.version;
    }

    /// The same as a MongoDB `$set` document.
    pub fn to_set(&self) -> Document {
        let reason = match self.reason {
            CancellationReason::HolderCancelled => "holder_cancelled",
            CancellationReason::LaunchAborted => "launch_aborted",
        };
        doc! {
            "status": BookingStatus::Cancelled.as_str(),
            "cancelled_at": self.cancelled_at,
            "cancellation_reason": reason,
            "refund_percent": self.refund_percent,
            "refund_cents": self.refund_cents,
            "version": self.version,
        }
    }
}

/// Why an event cannot be applied to a launch document.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApplyError {
    /// The document already reflects this event (a redelivery or a replay).
    #[error("event {sequence} of launch {launch_id} is already applied")]
    AlreadyApplied {
        /// The launch.
        launch_id: String,
        /// The event's sequence.
        sequence: u64,
    },
    /// The document lacks an earlier event (`have` is its version, 0 when
    /// there is no document): apply the missing ones first.
    #[error("event {sequence} of launch {launch_id} arrived before event {}", have + 1)]
    Gap {
        /// The launch.
        launch_id: String,
        /// The document's version.
        have: u64,
        /// The event's sequence.
        sequence: u64,
    },
    /// The event contradicts the document (e.g. a cancellation of a booking
    /// the launch never had): the event store and the model disagree, which
    /// only a bug can cause. Such an event goes to the dead letters.
    #[error("event {sequence} of launch {launch_id} does not fit the read model: {reason}")]
    Inconsistent {
        /// The launch.
        launch_id: String,
        /// The event's sequence.
        sequence: u64,
        /// What does not fit.
        reason: String,
    },
}

/// Applies one event of a launch to its document (`None` when the
/// projection has none yet) and says what it does to the bookings.
///
/// Pure: the caller loads and stores. `launch` is left unchanged on error.
pub fn apply(
    launch: &mut Option<LaunchDoc>,
    event: &Envelope<LaunchEvent>,
) -> Result<Option<BookingChange>, ApplyError> {
    let have = launch.as_ref().map_or(0, |l| l.version.max(0) as u64);
    let sequence = event.sequence;
    let launch_id = event.aggregate_id.clone();
    if sequence <= have {
        return Err(ApplyError::AlreadyApplied {
            launch_id,
            sequence,
        });
    }
    if sequence != have + 1 {
        return Err(ApplyError::Gap {
            launch_id,
            have,
            sequence,
        });
    }
    let at = BsonDateTime::from_chrono(event.metadata.occurred_at);
    let version = sequence as i64;
    let inconsistent = |reason: &str| ApplyError::Inconsistent {
        launch_id: event.aggregate_id.clone(),
        sequence,
        reason: reason.to_owned(),
    };
    let Some(doc) = launch.as_mut() else {
        // The first event of every launch is LaunchScheduled.
        let LaunchEvent::LaunchScheduled(scheduled) = &event.payload else {
            return Err(inconsistent("the first event is not LaunchScheduled"));
        };
        *launch = Some(scheduled_doc(scheduled, event, at));
        return Ok(None);
    };
    let mut next = doc.clone();
    let change = match &event.payload {
        LaunchEvent::LaunchScheduled(_) => {
            return Err(inconsistent(
                "LaunchScheduled on a launch already scheduled",
            ));
        }
        LaunchEvent::LaunchConfirmed(_) => {
            next.status = LaunchStatus::Confirmed;
            None
        }
        LaunchEvent::LaunchDelayed(delayed) => {
            next.status = LaunchStatus::Delayed;
            next.departure_at = BsonDateTime::from_chrono(delayed.new_departure_at);
            next.delay_reason = Some(delayed.reason.clone());
            None
        }
        LaunchEvent::LaunchAborted(aborted) => {
            next.status = LaunchStatus::Aborted;
            next.abort_reason = Some(aborted.reason.clone());
            None
        }
        LaunchEvent::LaunchLaunched(_) => {
            next.status = LaunchStatus::Launched;
            None
        }
        LaunchEvent::SeatsBooked(booked) => {
            let seats = i64::from(booked.seats);
            if seats > next.free_seats {
                return Err(inconsistent("more seats booked than free"));
            }
            next.seats_booked += seats;
            next.free_seats -= seats;
            next.active_bookings += 1;
            Some(BookingChange::Insert(booking_doc(booked, event, version)))
        }
        LaunchEvent::BookingCancelled(cancelled) => {
            let seats = i64::from(cancelled.seats_released);
            if seats > next.seats_booked || next.active_bookings == 0 {
                return Err(inconsistent("more seats released than booked"));
            }
            next.seats_booked -= seats;
            next.free_seats += seats;
            next.active_bookings -= 1;
            Some(BookingChange::Cancel {
                booking_id: cancelled.booking_id.to_string(),
                set: cancellation(cancelled, version),
            })
        }
    };
    next.bookable = next.status.is_bookable();
    next.updated_at = at;
    next.version = version;
    next.global_position = event.global_position;
    *doc = next;
    Ok(change)
}

fn scheduled_doc(
    scheduled: &LaunchScheduled,
    event: &Envelope<LaunchEvent>,
    at: BsonDateTime,
) -> LaunchDoc {
    let capacity = i64::from(scheduled.capacity);
    LaunchDoc {
        id: event.aggregate_id.clone(),
        rocket_id: scheduled.rocket_id.to_string(),
        rocket_name: scheduled.rocket_name.clone(),
        spaceport: scheduled.spaceport.clone(),
        destination: scheduled.destination.as_str().to_owned(),
        departure_at: BsonDateTime::from_chrono(scheduled.departure_at),
        price_per_seat_cents: scheduled.price_per_seat_cents,
        capacity,
        seats_booked: 0,
        free_seats: capacity,
        active_bookings: 0,
        status: LaunchStatus::Scheduled,
        bookable: true,
        delay_reason: None,
        abort_reason: None,
        scheduled_at: at,
        updated_at: at,
        version: event.sequence as i64,
        global_position: event.global_position,
    }
}

fn booking_doc(booked: &SeatsBooked, event: &Envelope<LaunchEvent>, version: i64) -> BookingDoc {
    BookingDoc {
        id: booked.booking_id.to_string(),
        launch_id: event.aggregate_id.clone(),
        holder_id: booked.holder_id.to_string(),
        holder_kind: booked.holder_kind,
        passengers: booked
            .passengers
            .iter()
            .map(|p| PassengerDoc {
                name: p.name.clone(),
                birth_date: p.birth_date.format("%Y-%m-%d").to_string(),
                email: p.email.clone(),
            })
            .collect(),
        seats: i64::from(booked.seats),
        unit_price_cents: booked.unit_price_cents,
        total_cents: booked.total_cents,
        status: BookingStatus::Active,
        booked_at: BsonDateTime::from_chrono(booked.booked_at),
        cancelled_at: None,
        cancellation_reason: None,
        refund_percent: None,
        refund_cents: None,
        version,
    }
}

fn cancellation(cancelled: &BookingCancelled, version: i64) -> Cancellation {
    Cancellation {
        cancelled_at: BsonDateTime::from_chrono(cancelled.cancelled_at),
        reason: cancelled.reason,
        refund_percent: i32::from(cancelled.refund_percent),
        refund_cents: cancelled.refund_cents,
        version,
    }
}

/// The indexes of [`LAUNCHES`], one per query shape of the query-api:
/// the default listing (bookable, departing later, by departure or price),
/// and the listing filtered by destination.
pub fn launch_indexes() -> Vec<IndexModel> {
    vec![
        index(
            doc! { "bookable": 1, "departure_at": 1 },
            "bookable_departure",
        ),
        index(
            doc! { "bookable": 1, "price_per_seat_cents": 1, "departure_at": 1 },
            "bookable_price",
        ),
        index(
            doc! { "destination": 1, "departure_at": 1 },
            "destination_departure",
        ),
        index(doc! { "departure_at": 1 }, "departure"),
    ]
}

/// The indexes of [`BOOKINGS`]: a holder's bookings, newest first; a
/// launch's bookings.
pub fn booking_indexes() -> Vec<IndexModel> {
    vec![
        index(doc! { "holder_id": 1, "booked_at": -1 }, "holder_booked"),
        index(doc! { "launch_id": 1 }, "launch"),
    ]
}

fn index(keys: Document, name: &str) -> IndexModel {
    IndexModel::builder()
        .keys(keys)
        .options(IndexOptions::builder().name(name.to_owned()).build())
        .build()
}

/// Creates the indexes of both collections in `database` (idempotent).
pub async fn ensure_indexes(
    database: &mongodb::Database,
    launches: &str,
    bookings: &str,
) -> Result<(), mongodb::error::Error> {
    database
        .collection::<Document>(launches)
        .create_indexes(launch_indexes())
        .await?;
    database
        .collection::<Document>(bookings)
        .create_indexes(booking_indexes())
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, NaiveDate, TimeZone, Utc};
    use events::{
        Actor, EventMetadata, LaunchAborted, LaunchConfirmed, LaunchDelayed, LaunchLaunched,
        Passenger, RocketRange,
    };
    use uuid::Uuid;

    use super::*;

    const LAUNCH: &str = "0193a0d6-0000-7000-8000-000000000001";

    fn at(minute: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 25, 10, minute, 0).unwrap()
    }

    fn envelope(sequence: u64, payload: LaunchEvent) -> Envelope<LaunchEvent> {
        Envelope {
            aggregate_type: "Launch".into(),
            aggregate_id: LAUNCH.into(),
            sequence,
            global_position: 100 + sequence as i64,
            event_type: cqrs_event_type(&payload),
            event_version: "1.0".into(),
            metadata: EventMetadata::for_command(
                at(sequence as u32),
                "corr",
                "cause",
                &Actor {
                    id: "u1".into(),
                    role: "operations".into(),
                },
            ),
            payload,
        }
    }

    fn cqrs_event_type(payload: &LaunchEvent) -> String {
        serde_json::to_value(payload)
            .unwrap()
            .as_object()
            .unwrap()
            .keys()
            .next()
            .unwrap()
            .clone()
    }

    fn scheduled(capacity: u32) -> LaunchEvent {
        LaunchEvent::LaunchScheduled(LaunchScheduled {
            launch_id: Uuid::parse_str(LAUNCH).unwrap(),
            rocket_id: Uuid::nil(),
            rocket_name: "Falcon".into(),
            spaceport: "Kourou".into(),
            destination: RocketRange::Moon,
            departure_at: Utc.with_ymd_and_hms(2028, 1, 1, 0, 0, 0).unwrap(),
            price_per_seat_cents: 100_000,
            capacity,
        })
    }

    fn booked(id: u128, seats: u32) -> LaunchEvent {
        LaunchEvent::SeatsBooked(SeatsBooked {
            booking_id: Uuid::from_u128(id),
            holder_id: Uuid::from_u128(99),
            holder_kind: HolderKind::Traveler,
            passengers: (0..seats)
                .map(|i| Passenger {
                    name: format!("P {i}"),
                    birth_date: NaiveDate::from_ymd_opt(1990, 2, 28).unwrap(),
                    email: None,
                })
                .collect(),
            seats,
            unit_price_cents: 100_000,
            total_cents: 100_000 * i64::from(seats),
            booked_at: at(3),
        })
    }

    fn cancelled(id: u128, seats: u32) -> LaunchEvent {
        LaunchEvent::BookingCancelled(BookingCancelled {
            booking_id: Uuid::from_u128(id),
            holder_id: Uuid::from_u128(99),
            seats_released: seats,
            refund_percent: 90,
            refund_cents: 90_000 * i64::from(seats),
            reason: CancellationReason::HolderCancelled,
            cancelled_at: at(4),
        })
    }

    #[test]
    fn scheduling_creates_a_bookable_launch_with_every_seat_free() {
        let mut launch = None;
        assert_eq!(apply(&mut launch, &envelope(1, scheduled(10))), Ok(None));
        let launch = launch.unwrap();
        assert_eq!(launch.free_seats, 10);
        assert_eq!(launch.status, LaunchStatus::Scheduled);
        assert!(launch.bookable);
        assert_eq!(launch.version, 1);
        assert_eq!(launch.destination, "moon");
    }

    #[test]
    fn a_booking_takes_seats_and_a_cancellation_gives_them_back() {
        let mut launch = None;
        apply(&mut launch, &envelope(1, scheduled(10))).unwrap();
        let change = apply(&mut launch, &envelope(2, booked(7, 3))).unwrap();
        let Some(BookingChange::Insert(mut booking)) = change else {
            panic!("expected an insert, got {change:?}");
        };
        assert_eq!(booking.seats, 3);
        assert_eq!(booking.passengers[0].birth_date, "1990-02-28");
        assert_eq!(launch.as_ref().unwrap().free_seats, 7);
        assert_eq!(launch.as_ref().unwrap().active_bookings, 1);
        let change = apply(&mut launch, &envelope(3, cancelled(7, 3))).unwrap();
        let Some(BookingChange::Cancel { booking_id, set }) = change else {
            panic!("expected a cancellation, got {change:?}");
        };
        assert_eq!(booking_id, Uuid::from_u128(7).to_string());
        set.apply_to(&mut booking);
        assert_eq!(booking.status, BookingStatus::Cancelled);
        assert_eq!(booking.refund_cents, Some(270_000));
        assert_eq!(booking.version, 3);
        let launch = launch.unwrap();
        assert_eq!(
            (
                launch.free_seats,
                launch.seats_booked,
                launch.active_bookings
            ),
            (10, 0, 0)
        );
        assert_eq!(launch.version, 3);
    }

    #[test]
    fn a_redelivered_event_is_refused_as_already_applied_and_changes_nothing() {
        let mut launch = None;
        apply(&mut launch, &envelope(1, scheduled(10))).unwrap();
        apply(&mut launch, &envelope(2, booked(7, 3))).unwrap();
        let before = launch.clone();
        let again = apply(&mut launch, &envelope(2, booked(7, 3)));
        assert!(matches!(
            again,
            Err(ApplyError::AlreadyApplied { sequence: 2, .. })
        ));
        assert_eq!(launch, before);
    }

    #[test]
    fn an_event_ahead_of_its_predecessor_is_a_gap_and_changes_nothing() {
        let mut launch = None;
        apply(&mut launch, &envelope(1, scheduled(10))).unwrap();
        let before = launch.clone();
        let early = apply(&mut launch, &envelope(3, booked(7, 3)));
        assert_eq!(
            early,
            Err(ApplyError::Gap {
                launch_id: LAUNCH.into(),
                have: 1,
                sequence: 3
            })
        );
        assert_eq!(launch, before);
        let mut none = None;
        assert!(matches!(
            apply(&mut none, &envelope(2, booked(7, 3))),
            Err(ApplyError::Gap { have: 0, .. })
        ));
    }

    #[test]
    fn status_changes_follow_the_lifecycle_and_bookable_follows_the_status() {
        let mut launch = None;
        apply(&mut launch, &envelope(1, scheduled(10))).unwrap();
        apply(
            &mut launch,
            &envelope(
                2,
                LaunchEvent::LaunchConfirmed(LaunchConfirmed {
                    confirmed_at: at(2),
                }),
            ),
        )
        .unwrap();
        assert_eq!(launch.as_ref().unwrap().status, LaunchStatus::Confirmed);
        let new_departure = Utc.with_ymd_and_hms(2028, 2, 1, 0, 0, 0).unwrap();
        apply(
            &mut launch,
            &envelope(
                3,
                LaunchEvent::LaunchDelayed(LaunchDelayed {
                    previous_departure_at: Utc.with_ymd_and_hms(2028, 1, 1, 0, 0, 0).unwrap(),
                    new_departure_at: new_departure,
                    reason: "weather".into(),
                }),
            ),
        )
        .unwrap();
        let doc = launch.as_ref().unwrap();
        assert_eq!(doc.status, LaunchStatus::Delayed);
        assert!(doc.bookable);
        assert_eq!(doc.departure_at, BsonDateTime::from_chrono(new_departure));
        assert_eq!(doc.delay_reason.as_deref(), Some("weather"));
        apply(
            &mut launch,
            &envelope(
                4,
                LaunchEvent::LaunchLaunched(LaunchLaunched { launched_at: at(9) }),
            ),
        )
        .unwrap();
        assert_eq!(launch.as_ref().unwrap().status, LaunchStatus::Launched);
        assert!(!launch.as_ref().unwrap().bookable);
        assert_eq!(
            launch.as_ref().unwrap().updated_at,
            BsonDateTime::from_chrono(at(4))
        );
    }

    #[test]
    fn an_abort_is_not_bookable_and_its_refunds_release_the_seats() {
        let mut launch = None;
        apply(&mut launch, &envelope(1, scheduled(10))).unwrap();
        apply(&mut launch, &envelope(2, booked(7, 2))).unwrap();
        apply(
            &mut launch,
            &envelope(
                3,
                LaunchEvent::LaunchAborted(LaunchAborted {
                    reason: "engine".into(),
                    aborted_at: at(5),
                }),
            ),
        )
        .unwrap();
        apply(&mut launch, &envelope(4, cancelled(7, 2))).unwrap();
        let doc = launch.unwrap();
        assert_eq!(doc.status, LaunchStatus::Aborted);
        assert!(!doc.bookable);
        assert_eq!(doc.abort_reason.as_deref(), Some("engine"));
        assert_eq!(doc.free_seats, 10);
    }

    #[test]
    fn events_that_contradict_the_model_are_inconsistent() {
        let mut none = None;
        assert!(matches!(
            apply(&mut none, &envelope(1, booked(7, 1))),
            Err(ApplyError::Inconsistent { .. })
        ));
        let mut launch = None;
        apply(&mut launch, &envelope(1, scheduled(2))).unwrap();
        assert!(matches!(
            apply(&mut launch, &envelope(2, booked(7, 3))),
            Err(ApplyError::Inconsistent { .. })
        ));
        assert!(matches!(
            apply(&mut launch, &envelope(2, cancelled(7, 1))),
            Err(ApplyError::Inconsistent { .. })
        ));
        assert!(matches!(
            apply(&mut launch, &envelope(2, scheduled(2))),
            Err(ApplyError::Inconsistent { .. })
        ));
        assert_eq!(launch.unwrap().version, 1);
    }

    #[test]
    fn documents_round_trip_through_bson() {
        let mut launch = None;
        apply(&mut launch, &envelope(1, scheduled(10))).unwrap();
        let Some(BookingChange::Insert(booking)) =
            apply(&mut launch, &envelope(2, booked(7, 1))).unwrap()
        else {
            panic!("expected an insert");
        };
        let launch = launch.unwrap();
        let bson = bson::to_document(&launch).unwrap();
        assert_eq!(bson.get_str("status").unwrap(), "scheduled");
        assert_eq!(bson.get_str("_id").unwrap(), LAUNCH);
        assert_eq!(bson::from_document::<LaunchDoc>(bson).unwrap(), launch);
        let bson = bson::to_document(&booking).unwrap();
        assert_eq!(bson.get_str("holder_kind").unwrap(), "traveler");
        assert_eq!(bson::from_document::<BookingDoc>(bson).unwrap(), booking);
        let mut cancelled_booking = booking.clone();
        let set = Cancellation {
            cancelled_at: BsonDateTime::from_chrono(at(4)),
            reason: CancellationReason::LaunchAborted,
            refund_percent: 100,
            refund_cents: 1,
            version: 9,
        };
        set.apply_to(&mut cancelled_booking);
        let mut via_set = bson::to_document(&booking).unwrap();
        for (key, value) in set.to_set() {
            via_set.insert(key, value);
        }
        assert_eq!(
            bson::from_document::<BookingDoc>(via_set).unwrap(),
            cancelled_booking
        );
    }
}
