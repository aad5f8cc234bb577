//! The `Launch` aggregate: the offer and its seat inventory.
//!
//! Every booking of a launch lives inside it, so "never oversold" is checked
//! against one consistent seat count; the store's optimistic concurrency on
//! the aggregate's sequence makes that hold across requests and replicas.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use cqrs_es::event_sink::EventSink;
use cqrs_es::Aggregate;
use events::{
    BookingCancelled, CancellationReason, Destination, HolderKind, LaunchAborted, LaunchConfirmed,
    LaunchDelayed, LaunchEvent, LaunchLaunched, LaunchScheduled, Passenger, RocketRange,
    SeatsBooked,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::ErrorKind;
use crate::policy;

/// Where a launch stands in its lifecycle:
/// `scheduled → confirmed → launched`; `delayed` from scheduled, confirmed or
/// delayed (and back to confirmed); `aborted` from any state before launch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LaunchStatus {
    /// On sale, not yet confirmed.
    Scheduled,
    /// Confirmed to fly.
    Confirmed,
    /// Moved to a later date; still on sale.
    Delayed,
    /// Flew. Terminal.
    Launched,
    /// Will not fly; every booking refunded. Terminal.
    Aborted,
}

impl LaunchStatus {
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

    /// Whether seats may be sold (the departure time is checked apart).
    pub fn is_on_sale(self) -> bool {
        matches!(self, Self::Scheduled | Self::Confirmed | Self::Delayed)
    }
}

/// What the rocket chosen for a launch brings to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RocketSpec {
    /// The rocket's id.
    pub id: Uuid,
    /// Its name.
    pub name: String,
    /// Its seats.
    pub capacity: u32,
    /// How far it flies.
    pub range: RocketRange,
}

/// What a launch remembers of one booking.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BookingRecord {
    /// Who holds it.
    pub holder_id: Uuid,
    /// Traveler or agency.
    pub holder_kind: HolderKind,
    /// Seats it holds (or held, once cancelled).
    pub seats: u32,
    /// What was paid, in cents.
    pub total_cents: i64,
    /// The launch's sequence number of the event that created it.
    pub booked_at_sequence: u64,
    /// Whether it has been cancelled (refunded).
    pub cancelled: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Offer {
    launch_id: Uuid,
    rocket_id: Uuid,
    spaceport: String,
    destination: Destination,
    departure_at: DateTime<Utc>,
    price_per_seat_cents: i64,
    capacity: u32,
    seats_booked: u32,
    status: LaunchStatus,
    sequence: u64,
    bookings: BTreeMap<Uuid, BookingRecord>,
}

/// A launch. `Default` is "not scheduled yet".
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub struct Launch {
    offer: Option<Offer>,
}

/// Commands to a launch. `now` is the time the command is executed at.
#[derive(Debug, Clone, PartialEq)]
pub enum LaunchCommand {
    /// Put a launch on sale.
    Schedule {
        /// Its id (the aggregate id).
        launch_id: Uuid,
        /// The rocket that flies it.
        rocket: RocketSpec,
        /// Departure spaceport.
        spaceport: String,
        /// Where it goes.
        destination: Destination,
        /// When it departs: in the future.
        departure_at: DateTime<Utc>,
        /// Price of one seat in cents, 1 to [`policy::MAX_PRICE_PER_SEAT_CENTS`].
        price_per_seat_cents: i64,
        /// When.
        now: DateTime<Utc>,
    },
    /// Confirm it will fly.
    Confirm {
        /// When.
        now: DateTime<Utc>,
    },
    /// Move the departure later.
    Delay {
        /// The new departure: later than the current one and than now.
        new_departure_at: DateTime<Utc>,
        /// Why, for travelers.
        reason: String,
        /// When.
        now: DateTime<Utc>,
    },
    /// Call it off and refund every booking in full.
    Abort {
        /// Why, for travelers.
        reason: String,
        /// When.
        now: DateTime<Utc>,
    },
    /// Record the lift-off.
    MarkLaunched {
        /// When.
        now: DateTime<Utc>,
    },
    /// Book one seat per named passenger.
    BookSeats {
        /// The new booking's id.
        booking_id: Uuid,
        /// Who holds it.
        holder_id: Uuid,
        /// Traveler or agency.
        holder_kind: HolderKind,
        /// One to six passengers aged 18 to 70 at departure.
        passengers: Vec<Passenger>,
        /// When.
        now: DateTime<Utc>,
    },
    /// The holder cancels a booking; refunded by policy.
    CancelBooking {
        /// The booking.
        booking_id: Uuid,
        /// Who asks: must be the holder.
        requested_by: Uuid,
        /// When.
        now: DateTime<Utc>,
    },
}

/// Why a launch command was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LaunchError {
    /// The launch has not been scheduled.
    #[error("no such launch")]
    NotFound,
    /// The id is already taken.
    #[error("launch {0} is already scheduled")]
    AlreadyScheduled(Uuid),
    /// The command does not fit the launch's status.
    #[error("cannot {action} a launch that is {}", .status.as_str())]
    WrongStatus {
        /// What was attempted.
        action: &'static str,
        /// The launch's status.
        status: LaunchStatus,
    },
    /// A departure at or before now.
    #[error("the departure must be in the future")]
    DepartureNotInFuture,
    /// A delay that does not move the departure later.
    #[error("a delay must move the departure later than {0}")]
    DelayNotLater(DateTime<Utc>),
    /// The rocket cannot reach the destination.
    #[error("a {} rocket cannot fly to {}", .range.as_str(), .destination.as_str())]
    RocketRangeTooShort {
        /// The rocket's range.
        range: RocketRange,
        /// The launch's destination.
        destination: Destination,
    },
    /// A price that is zero, negative or above the maximum.
    #[error("the price per seat must be 1 to {max} cents", max = policy::MAX_PRICE_PER_SEAT_CENTS)]
    PriceOutOfRange,
    /// A blank spaceport or reason.
    #[error("{0} must not be blank")]
    Blank(&'static str),
    /// A text field holds a control character (see [`crate::text`]).
    #[error("{field} {error}")]
    ControlCharacter {
        /// The field's path, like `passengers[1].name`.
        field: String,
        /// Which character and where.
        error: crate::text::TextError,
    },
    /// The launch is at or past its departure time: no more sales or
    /// cancellations.
    #[error("the launch has departed; it can no longer be booked or cancelled")]
    Departed,
    /// Marking launched before the departure time.
    #[error("the launch cannot lift off before its departure time")]
    NotYetDeparted,
    /// A booking without passengers.
    #[error("a booking needs at least one passenger")]
    NoPassengers,
    /// More passengers than allowed.
    #[error("a booking holds at most {max} passengers, not {0}", max = policy::MAX_PASSENGERS_PER_BOOKING)]
    TooManyPassengers(usize),
    /// A passenger outside the allowed ages at departure.
    #[error("passenger {index} would be {age} at departure; passengers must be 18 to 70")]
    PassengerAge {
        /// Position of the passenger in the booking, from 0.
        index: usize,
        /// Their age at departure.
        age: i32,
    },
    /// A passenger's name is blank.
    #[error("passenger {0} needs a name")]
    BlankPassengerName(usize),
    /// Not enough free seats.
    #[error("only {free} seats are free, {requested} requested")]
    NotEnoughSeats {
        /// Seats asked for.
        requested: u32,
        /// Seats free.
        free: u32,
    },
    /// The booking id is already used on this launch.
    #[error("booking {0} already exists")]
    DuplicateBooking(Uuid),
    /// No such booking on this launch, or none that the requester holds:
    /// the two are one answer, so that a refusal does not tell a stranger
    /// that a booking id exists.
    #[error("no such booking")]
    BookingNotFound,
    /// The booking was already cancelled.
    #[error("the booking is already cancelled")]
    AlreadyCancelled,
}

impl LaunchError {
    /// How the outside world should read this refusal.
    pub fn kind(&self) -> ErrorKind {
        use LaunchError::*;
        match self {
            NotFound | BookingNotFound => ErrorKind::NotFound,
            AlreadyScheduled(_)
            | WrongStatus { .. }
            | Departed
            | NotYetDeparted
            | NotEnoughSeats { .. }
            | DuplicateBooking(_)
            | AlreadyCancelled => ErrorKind::Conflict,
            DepartureNotInFuture
            | DelayNotLater(_)
            | RocketRangeTooShort { .. }
            | PriceOutOfRange
            | Blank(_)
            | ControlCharacter { .. }
            | NoPassengers
            | TooManyPassengers(_)
            | PassengerAge { .. }
            | BlankPassengerName(_) => ErrorKind::Invalid,
        }
    }

    /// A stable machine-readable code (the last part of the problem `type`).
    pub fn code(&self) -> &'static str {
        use LaunchError::*;
        match self {
            NotFound => "launch-not-found",
            AlreadyScheduled(_) => "launch-already-scheduled",
            WrongStatus { .. } => "wrong-launch-status",
            DepartureNotInFuture => "departure-not-in-future",
            DelayNotLater(_) => "delay-not-later",
            RocketRangeTooShort { .. } => "rocket-range-too-short",
            PriceOutOfRange => "price-out-of-range",
            Blank(_) => "blank-field",
            ControlCharacter { .. } => "control-character",
            Departed => "launch-departed",
            NotYetDeparted => "launch-not-yet-departed",
            NoPassengers => "no-passengers",
            TooManyPassengers(_) => "too-many-passengers",
            PassengerAge { .. } => "passenger-age",
            BlankPassengerName(_) => "blank-passenger-name",
            NotEnoughSeats { .. } => "not-enough-seats",
            DuplicateBooking(_) => "duplicate-booking",
            BookingNotFound => "booking-not-found",
            AlreadyCancelled => "booking-already-cancelled",
        }
    }

    /// The command field an invalid value is in (a JSON pointer-like path).
    pub fn field(&self) -> Option<String> {
        use LaunchError::*;
        match self {
            DepartureNotInFuture => Some("departure_at".into()),
            DelayNotLater(_) => Some("new_departure_at".into()),
            RocketRangeTooShort { .. } => Some("destination".into()),
            PriceOutOfRange => Some("price_per_seat_cents".into()),
            Blank(field) => Some((*field).into()),
            ControlCharacter { field, .. } => Some(field.clone()),
            NoPassengers | TooManyPassengers(_) => Some("passengers".into()),
            PassengerAge { index, .. } => Some(format!("passengers[{index}].birth_date")),
            BlankPassengerName(index) => Some(format!("passengers[{index}].name")),
            _ => None,
        }
    }
}

impl Launch {
    fn offer(&self) -> Result<&Offer, LaunchError> {
        self.offer.as_ref().ok_or(LaunchError::NotFound)
    }

    /// Whether the launch exists.
    pub fn is_scheduled(&self) -> bool {
        self.offer.is_some()
    }

    /// The launch's status, once scheduled.
    pub fn status(&self) -> Option<LaunchStatus> {
        self.offer.as_ref().map(|o| o.status)
    }

    /// Seats still for sale.
    pub fn free_seats(&self) -> u32 {
        self.offer
            .as_ref()
            .map_or(0, |o| o.capacity - o.seats_booked)
    }

    /// The current departure time, once scheduled.
    pub fn departure_at(&self) -> Option<DateTime<Utc>> {
        self.offer.as_ref().map(|o| o.departure_at)
    }

    /// One booking, if it exists.
    pub fn booking(&self, booking_id: &Uuid) -> Option<&BookingRecord> {
        self.offer.as_ref()?.bookings.get(booking_id)
    }

    /// The aggregate's own sequence: how many events it has applied.
    pub fn sequence(&self) -> u64 {
        self.offer.as_ref().map_or(0, |o| o.sequence)
    }

    /// The events a command produces, or why it is refused. Pure: nothing is
    /// changed here, whatever the outcome.
    pub fn decide(&self, command: LaunchCommand) -> Result<Vec<LaunchEvent>, LaunchError> {
        match command {
            LaunchCommand::Schedule {
                launch_id,
                rocket,
                spaceport,
                destination,
                departure_at,
                price_per_seat_cents,
                now,
            } => {
                if self.offer.is_some() {
                    return Err(LaunchError::AlreadyScheduled(launch_id));
                }
                no_control("spaceport", &spaceport)?;
                let spaceport = spaceport.trim();
                if spaceport.is_empty() {
                    return Err(LaunchError::Blank("spaceport"));
                }
                if departure_at <= now {
                    return Err(LaunchError::DepartureNotInFuture);
                }
                if !(1..=policy::MAX_PRICE_PER_SEAT_CENTS).contains(&price_per_seat_cents) {
                    return Err(LaunchError::PriceOutOfRange);
                }
                if rocket.range < destination {
                    return Err(LaunchError::RocketRangeTooShort {
                        range: rocket.range,
                        destination,
                    });
                }
                Ok(vec![LaunchEvent::LaunchScheduled(LaunchScheduled {
                    launch_id,
                    rocket_id: rocket.id,
                    rocket_name: rocket.name,
                    spaceport: spaceport.to_owned(),
                    destination,
                    departure_at,
                    price_per_seat_cents,
                    capacity: rocket.capacity,
                })])
            }
            LaunchCommand::Confirm { now } => {
                let offer = self.offer()?;
                if !matches!(
                    offer.status,
                    LaunchStatus::Scheduled | LaunchStatus::Delayed
                ) {
                    return Err(wrong_status("confirm", offer.status));
                }
                Ok(vec![LaunchEvent::LaunchConfirmed(LaunchConfirmed {
                    confirmed_at: now,
                })])
            }
            LaunchCommand::Delay {
                new_departure_at,
                reason,
                now,
            } => {
                let offer = self.offer()?;
                if !offer.status.is_on_sale() {
                    return Err(wrong_status("delay", offer.status));
                }
                no_control("reason", &reason)?;
                let reason = reason.trim();
                if reason.is_empty() {
                    return Err(LaunchError::Blank("reason"));
                }
                if new_departure_at <= offer.departure_at || new_departure_at <= now {
                    return Err(LaunchError::DelayNotLater(offer.departure_at.max(now)));
                }
                Ok(vec![LaunchEvent::LaunchDelayed(LaunchDelayed {
                    previous_departure_at: offer.departure_at,
                    new_departure_at,
                    reason: reason.to_owned(),
                })])
            }
            LaunchCommand::Abort { reason, now } => {
                let offer = self.offer()?;
                if !offer.status.is_on_sale() {
                    return Err(wrong_status("abort", offer.status));
                }
                no_control("reason", &reason)?;
                let reason = reason.trim();
                if reason.is_empty() {
                    return Err(LaunchError::Blank("reason"));
                }
                let mut events = vec![LaunchEvent::LaunchAborted(LaunchAborted {
                    reason: reason.to_owned(),
                    aborted_at: now,
                })];
                events.extend(offer.bookings.iter().filter(|(_, b)| !b.cancelled).map(
                    |(id, b)| {
                        LaunchEvent::BookingCancelled(BookingCancelled {
                            booking_id: *id,
                            holder_id: b.holder_id,
                            seats_released: b.seats,
                            refund_percent: 100,
                            refund_cents: b.total_cents,
                            reason: CancellationReason::LaunchAborted,
                            cancelled_at: now,
                        })
                    },
                ));
                Ok(events)
            }
            LaunchCommand::MarkLaunched { now } => {
                let offer = self.offer()?;
                if offer.status != LaunchStatus::Confirmed {
                    return Err(wrong_status("launch", offer.status));
                }
                if now < offer.departure_at {
                    return Err(LaunchError::NotYetDeparted);
                }
                Ok(vec![LaunchEvent::LaunchLaunched(LaunchLaunched {
                    launched_at: now,
                })])
            }
            LaunchCommand::BookSeats {
                booking_id,
                holder_id,
                holder_kind,
                passengers,
                now,
            } => self.decide_booking(booking_id, holder_id, holder_kind, passengers, now),
            LaunchCommand::CancelBooking {
                booking_id,
                requested_by,
                now,
            } => {
                let offer = self.offer()?;
                let booking = offer
                    .bookings
                    .get(&booking_id)
                    .filter(|booking| booking.holder_id == requested_by)
                    .ok_or(LaunchError::BookingNotFound)?;
                if booking.cancelled {
                    return Err(LaunchError::AlreadyCancelled);
                }
                if !offer.status.is_on_sale() {
                    return Err(wrong_status("cancel a booking of", offer.status));
                }
                if now >= offer.departure_at {
                    return Err(LaunchError::Departed);
                }
                let refund_percent = policy::holder_refund_percent(offer.departure_at, now);
                Ok(vec![LaunchEvent::BookingCancelled(BookingCancelled {
                    booking_id,
                    holder_id: booking.holder_id,
                    seats_released: booking.seats,
                    refund_percent,
                    refund_cents: policy::refund_cents(booking.total_cents, refund_percent),
                    reason: CancellationReason::HolderCancelled,
                    cancelled_at: now,
                })])
            }
        }
    }

    fn decide_booking(
        &self,
        booking_id: Uuid,
        holder_id: Uuid,
        holder_kind: HolderKind,
        passengers: Vec<Passenger>,
        now: DateTime<Utc>,
    ) -> Result<Vec<LaunchEvent>, LaunchError> {
        let offer = self.offer()?;
        if !offer.status.is_on_sale() {
            return Err(wrong_status("book", offer.status));
        }
        if now >= offer.departure_at {
            return Err(LaunchError::Departed);
        }
        if offer.bookings.contains_key(&booking_id) {
            return Err(LaunchError::DuplicateBooking(booking_id));
        }
        if passengers.is_empty() {
            return Err(LaunchError::NoPassengers);
        }
        if passengers.len() > policy::MAX_PASSENGERS_PER_BOOKING {
            return Err(LaunchError::TooManyPassengers(passengers.len()));
        }
        let departure_date = offer.departure_at.date_naive();
        for (index, passenger) in passengers.iter().enumerate() {
            no_control(&format!("passengers[{index}].name"), &passenger.name)?;
            if let Some(email) = &passenger.email {
                no_control(&format!("passengers[{index}].email"), email)?;
            }
            if passenger.name.trim().is_empty() {
                return Err(LaunchError::BlankPassengerName(index));
            }
            if !policy::age_allowed(passenger.birth_date, departure_date) {
                return Err(LaunchError::PassengerAge {
                    index,
                    age: policy::age_on(passenger.birth_date, departure_date),
                });
            }
        }
        // At most six passengers: the conversion cannot truncate.
        let seats = passengers.len() as u32;
        let free = offer.capacity - offer.seats_booked;
        if seats > free {
            return Err(LaunchError::NotEnoughSeats {
                requested: seats,
                free,
            });
        }
        Ok(vec![LaunchEvent::SeatsBooked(SeatsBooked {
            booking_id,
            holder_id,
            holder_kind,
            passengers,
            seats,
            unit_price_cents: offer.price_per_seat_cents,
            total_cents: i64::from(seats) * offer.price_per_seat_cents,
            booked_at: now,
        })])
    }
}

/// Refuses a control character in `field`, as the edge already does: the
/// aggregate holds the rule too, so an event can never carry one.
fn no_control(field: &str, value: &str) -> Result<(), LaunchError> {
    crate::text::no_control(value).map_err(|error| LaunchError::ControlCharacter {
        field: field.to_owned(),
        error,
    })
}

fn wrong_status(action: &'static str, status: LaunchStatus) -> LaunchError {
    LaunchError::WrongStatus { action, status }
}

impl Aggregate for Launch {
    const TYPE: &'static str = "Launch";
    type Command = LaunchCommand;
    type Event = LaunchEvent;
    type Error = LaunchError;
    type Services = ();

    async fn handle(
        &mut self,
        command: Self::Command,
        _services: &Self::Services,
        sink: &EventSink<Self>,
    ) -> Result<(), Self::Error> {
        for event in self.decide(command)? {
            sink.write(event, self).await;
        }
        Ok(())
    }

    fn apply(&mut self, event: Self::Event) {
        if let LaunchEvent::LaunchScheduled(e) = &event {
            self.offer = Some(Offer {
                launch_id: e.launch_id,
                rocket_id: e.rocket_id,
                spaceport: e.spaceport.clone(),
                destination: e.destination,
                departure_at: e.departure_at,
                price_per_seat_cents: e.price_per_seat_cents,
                capacity: e.capacity,
                seats_booked: 0,
                status: LaunchStatus::Scheduled,
                sequence: 1,
                bookings: BTreeMap::new(),
            });
            return;
        }
        // Events of a launch always follow its LaunchScheduled.
        let Some(offer) = self.offer.as_mut() else {
            return;
        };
        offer.sequence += 1;
        match event {
            LaunchEvent::LaunchScheduled(_) => {}
            LaunchEvent::LaunchConfirmed(_) => offer.status = LaunchStatus::Confirmed,
            LaunchEvent::LaunchDelayed(e) => {
                offer.status = LaunchStatus::Delayed;
                offer.departure_at = e.new_departure_at;
            }
            LaunchEvent::LaunchAborted(_) => offer.status = LaunchStatus::Aborted,
            LaunchEvent::LaunchLaunched(_) => offer.status = LaunchStatus::Launched,
            LaunchEvent::SeatsBooked(e) => {
                offer.seats_booked += e.seats;
                offer.bookings.insert(
                    e.booking_id,
                    BookingRecord {
                        holder_id: e.holder_id,
                        holder_kind: e.holder_kind,
                        seats: e.seats,
                        total_cents: e.total_cents,
                        booked_at_sequence: offer.sequence,
                        cancelled: false,
                    },
                );
            }
            LaunchEvent::BookingCancelled(e) => {
                if let Some(booking) = offer.bookings.get_mut(&e.booking_id) {
                    booking.cancelled = true;
                }
                // Saturating: only a corrupt stream could release more seats
                // than are booked, and loading must not panic on it.
                offer.seats_booked = offer.seats_booked.saturating_sub(e.seats_released);
            }
        }
    }
}
