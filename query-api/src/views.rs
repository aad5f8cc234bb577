//! What the API answers: the JSON shapes of launches and bookings, built from
//! the read model's documents. Timestamps are RFC 3339 in UTC.

use std::collections::HashMap;

use bson::DateTime as BsonDateTime;
use chrono::{DateTime, Utc};
use events::{CancellationReason, HolderKind};
use read_models::sales::{BookingDoc, BookingStatus, LaunchDoc, LaunchStatus, PassengerDoc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A launch as the sales site shows it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Launch {
    /// The launch id (UUID).
    #[schema(example = "0193a0d6-0000-7000-8000-000000000001")]
    pub id: String,
    /// The rocket's id (UUID).
    pub rocket_id: String,
    /// The rocket's name.
    #[schema(example = "Falcon Heavy")]
    pub rocket_name: String,
    /// Where it departs from.
    #[schema(example = "Kourou")]
    pub spaceport: String,
    /// `suborbital`, `low_earth_orbit`, `moon` or `mars`.
    #[schema(example = "moon")]
    pub destination: String,
    /// When it departs (the latest date, after any delay).
    pub departure_at: DateTime<Utc>,
    /// Price of one seat, in cents.
    #[schema(example = 25_000_000)]
    pub price_per_seat_cents: i64,
    /// Seats on sale.
    pub capacity: i64,
    /// Seats held by active bookings.
    pub seats_booked: i64,
    /// Seats still for sale.
    pub free_seats: i64,
    /// `scheduled`, `confirmed`, `delayed`, `launched` or `aborted`.
    #[schema(value_type = String, example = "scheduled")]
    pub status: LaunchStatus,
    /// Whether a seat can be booked now: a status that sells seats, a
    /// departure in the future and at least one free seat.
    pub bookable: bool,
    /// Why it was last delayed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delay_reason: Option<String>,
    /// Why it was aborted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub abort_reason: Option<String>,
    /// The launch's stream version this view reflects (compare it with the
    /// version the command API answered).
    pub version: i64,
}

impl Launch {
    /// The view of `doc` as of `now`.
    pub fn from_doc(doc: LaunchDoc, now: DateTime<Utc>) -> Self {
        let departure_at = doc.departure_at.to_chrono();
        Self {
            bookable: doc.bookable && departure_at > now && doc.free_seats > 0,
            id: doc.id,
            rocket_id: doc.rocket_id,
            rocket_name: doc.rocket_name,
            spaceport: doc.spaceport,
            destination: doc.destination,
            departure_at,
            price_per_seat_cents: doc.price_per_seat_cents,
            capacity: doc.capacity,
            seats_booked: doc.seats_booked,
            free_seats: doc.free_seats,
            status: doc.status,
            delay_reason: doc.delay_reason,
            abort_reason: doc.abort_reason,
            version: doc.version,
        }
    }
}

/// One page of a listing.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Page<T> {
    /// The items of this page, in the listing's order.
    pub items: Vec<T>,
    /// This page's number, from 1.
    pub page: u64,
    /// Items per page asked for.
    pub page_size: u64,
    /// Items matching the filters, over every page.
    pub total: u64,
}

/// A passenger of a booking.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Passenger {
    /// Full name.
    pub name: String,
    /// Date of birth, `YYYY-MM-DD`.
    #[schema(example = "1990-02-28")]
    pub birth_date: String,
    /// Where the passenger gets notifications.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
}

impl From<PassengerDoc> for Passenger {
    fn from(doc: PassengerDoc) -> Self {
        Self {
            name: doc.name,
            birth_date: doc.birth_date,
            email: doc.email,
        }
    }
}

/// The launch a booking is on, as a booking lists it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct LaunchSummary {
    /// The rocket's name.
    pub rocket_name: String,
    /// Where it departs from.
    pub spaceport: String,
    /// `suborbital`, `low_earth_orbit`, `moon` or `mars`.
    pub destination: String,
    /// When it departs.
    pub departure_at: DateTime<Utc>,
    /// The launch's status.
    #[schema(value_type = String, example = "confirmed")]
    pub status: LaunchStatus,
}

/// The fields of a launch document a booking list needs.
#[derive(Debug, Clone, Deserialize)]
pub struct LaunchSummaryDoc {
    /// The launch id.
    #[serde(rename = "_id")]
    pub id: String,
    /// See [`LaunchDoc::rocket_name`].
    pub rocket_name: String,
    /// See [`LaunchDoc::spaceport`].
    pub spaceport: String,
    /// See [`LaunchDoc::destination`].
    pub destination: String,
    /// See [`LaunchDoc::departure_at`].
    pub departure_at: BsonDateTime,
    /// See [`LaunchDoc::status`].
    pub status: LaunchStatus,
}

impl LaunchSummaryDoc {
    /// The projection that reads exactly these fields.
    pub fn projection() -> bson::Document {
        bson::doc! {
            "rocket_name": 1, "spaceport": 1, "destination": 1, "departure_at": 1, "status": 1,
        }
    }
}

impl From<LaunchSummaryDoc> for LaunchSummary {
    fn from(doc: LaunchSummaryDoc) -> Self {
        Self {
            rocket_name: doc.rocket_name,
            spaceport: doc.spaceport,
            destination: doc.destination,
            departure_at: doc.departure_at.to_chrono(),
            status: doc.status,
        }
    }
}

/// One booking, for its holder.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Booking {
    /// The booking id (UUID).
    pub booking_id: String,
    /// The launch it is on (UUID).
    pub launch_id: String,
    /// `traveler` or `agency`.
    #[schema(value_type = String, example = "traveler")]
    pub holder_kind: HolderKind,
    /// One seat each.
    pub passengers: Vec<Passenger>,
    /// Seats held (or held before the cancellation).
    pub seats: i64,
    /// Price of one seat when booked, in cents.
    pub unit_price_cents: i64,
    /// What was paid, in cents.
    pub total_cents: i64,
    /// `active` or `cancelled`.
    #[schema(value_type = String, example = "active")]
    pub status: BookingStatus,
    /// When it was booked.
    pub booked_at: DateTime<Utc>,
    /// When it was cancelled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cancelled_at: Option<DateTime<Utc>>,
    /// `holder_cancelled` or `launch_aborted`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, example = "holder_cancelled")]
    pub cancellation_reason: Option<CancellationReason>,
    /// Refund, percent of the total.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refund_percent: Option<i32>,
    /// Refund, in cents.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refund_cents: Option<i64>,
    /// The launch's stream version this view reflects.
    pub version: i64,
    /// The launch (null only if the read model lacks it, which a consistent
    /// projection never does).
    pub launch: Option<LaunchSummary>,
}

impl Booking {
    /// The view of `doc`, with its launch taken from `launches` when there.
    pub fn from_doc(doc: BookingDoc, launches: &HashMap<String, LaunchSummary>) -> Self {
        Self {
            launch: launches.get(&doc.launch_id).cloned(),
            booking_id: doc.id,
            launch_id: doc.launch_id,
            holder_kind: doc.holder_kind,
            passengers: doc.passengers.into_iter().map(Passenger::from).collect(),
            seats: doc.seats,
            unit_price_cents: doc.unit_price_cents,
            total_cents: doc.total_cents,
            status: doc.status,
            booked_at: doc.booked_at.to_chrono(),
            cancelled_at: doc.cancelled_at.map(|at| at.to_chrono()),
            cancellation_reason: doc.cancellation_reason,
            refund_percent: doc.refund_percent,
            refund_cents: doc.refund_cents,
            version: doc.version,
        }
    }
}
