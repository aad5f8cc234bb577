//! Events of the `Launch` aggregate: the offer and its seat inventory,
//! including every booking on it.

use chrono::{DateTime, NaiveDate, Utc};
use cqrs_es::DomainEvent;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::rocket::RocketRange;

/// Where a launch goes. A destination needs a rocket whose range reaches it.
pub type Destination = RocketRange;

/// Who holds (and pays for) a booking.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HolderKind {
    /// A person booking for themselves (and companions).
    Traveler,
    /// A travel agency booking for its customers.
    Agency,
}

/// A named passenger: one seat each.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Passenger {
    /// Full name as on the passenger's papers.
    pub name: String,
    /// Date of birth; the passenger must be 18 to 70 at departure.
    pub birth_date: NaiveDate,
    /// Where the passenger wants their notifications, if anywhere.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
}

/// Operations put a launch on sale.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LaunchScheduled {
    /// The launch's id (the aggregate id).
    pub launch_id: Uuid,
    /// The rocket that flies it.
    pub rocket_id: Uuid,
    /// The rocket's name, copied so readers need not join.
    pub rocket_name: String,
    /// The spaceport it departs from.
    pub spaceport: String,
    /// Where it goes.
    pub destination: Destination,
    /// When it departs.
    pub departure_at: DateTime<Utc>,
    /// Price of one seat, in integer cents.
    pub price_per_seat_cents: i64,
    /// Seats on sale: the rocket's capacity when the launch was scheduled.
    pub capacity: u32,
}

/// Operations confirmed the launch will fly.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LaunchConfirmed {
    /// When it was confirmed.
    pub confirmed_at: DateTime<Utc>,
}

/// The launch moved to a later departure.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LaunchDelayed {
    /// The departure before the delay.
    pub previous_departure_at: DateTime<Utc>,
    /// The new departure.
    pub new_departure_at: DateTime<Utc>,
    /// Why, in words for travelers.
    pub reason: String,
}

/// The launch will not fly. Every active booking is refunded in full by a
/// [`BookingCancelled`] with reason [`CancellationReason::LaunchAborted`]
/// written in the same commit, right after this event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LaunchAborted {
    /// Why, in words for travelers.
    pub reason: String,
    /// When it was aborted.
    pub aborted_at: DateTime<Utc>,
}

/// The rocket left the ground.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LaunchLaunched {
    /// When it lifted off.
    pub launched_at: DateTime<Utc>,
}

/// Seats were booked for named passengers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SeatsBooked {
    /// The booking's id, unique within the store.
    pub booking_id: Uuid,
    /// The user who holds the booking.
    pub holder_id: Uuid,
    /// Whether the holder is a traveler or an agency.
    pub holder_kind: HolderKind,
    /// One seat each.
    pub passengers: Vec<Passenger>,
    /// Number of seats (= passengers).
    pub seats: u32,
    /// Price of one seat at the time of booking, in cents (the snapshot).
    pub unit_price_cents: i64,
    /// `seats × unit_price_cents`.
    pub total_cents: i64,
    /// When it was booked.
    pub booked_at: DateTime<Utc>,
}

/// Why a booking was cancelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CancellationReason {
    /// The holder cancelled; refunded by policy.
    HolderCancelled,
    /// The launch was aborted; refunded in full.
    LaunchAborted,
}

/// A booking was cancelled and its seats returned to the inventory.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BookingCancelled {
    /// The booking.
    pub booking_id: Uuid,
    /// Its holder, who receives the refund.
    pub holder_id: Uuid,
    /// Seats returned to the inventory.
    pub seats_released: u32,
    /// Refund as a percentage of the booking's total (0, 70, 90 or 100).
    pub refund_percent: u8,
    /// The refund in cents.
    pub refund_cents: i64,
    /// Why it was cancelled.
    pub reason: CancellationReason,
    /// When it was cancelled.
    pub cancelled_at: DateTime<Utc>,
}

/// Every event of the `Launch` aggregate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum LaunchEvent {
    /// See [`LaunchScheduled`].
    LaunchScheduled(LaunchScheduled),
    /// See [`LaunchConfirmed`].
    LaunchConfirmed(LaunchConfirmed),
    /// See [`LaunchDelayed`].
    LaunchDelayed(LaunchDelayed),
    /// See [`LaunchAborted`].
    LaunchAborted(LaunchAborted),
    /// See [`LaunchLaunched`].
    LaunchLaunched(LaunchLaunched),
    /// See [`SeatsBooked`].
    SeatsBooked(SeatsBooked),
    /// See [`BookingCancelled`].
    BookingCancelled(BookingCancelled),
}

impl DomainEvent for LaunchEvent {
    fn event_type(&self) -> String {
        match self {
            Self::LaunchScheduled(_) => "LaunchScheduled",
            Self::LaunchConfirmed(_) => "LaunchConfirmed",
            Self::LaunchDelayed(_) => "LaunchDelayed",
            Self::LaunchAborted(_) => "LaunchAborted",
            Self::LaunchLaunched(_) => "LaunchLaunched",
            Self::SeatsBooked(_) => "SeatsBooked",
            Self::BookingCancelled(_) => "BookingCancelled",
        }
        .into()
    }

    fn event_version(&self) -> String {
        "1.0".into()
    }
}
