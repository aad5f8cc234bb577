//! Event contracts shared by every writer and reader of the event store.
//!
//! Events are facts in the past tense. Each payload type carries its own
//! `event_type` and `event_version`; once an event has been written its shape
//! never changes: a new version gets a new `event_version` and an upcaster in
//! [`upcast`] that turns stored old payloads into the current one. Readers
//! (projectors, the notifier) depend on this crate only, never on `domain`.

pub mod envelope;
pub mod launch;
pub mod profile;
pub mod rocket;
pub mod subjects;
pub mod upcast;
pub mod user;

pub use envelope::{Actor, Envelope, EventMetadata, MetadataError};
pub use launch::{
    BookingCancelled, CancellationReason, Destination, HolderKind, LaunchAborted, LaunchConfirmed,
    LaunchDelayed, LaunchEvent, LaunchLaunched, LaunchScheduled, Passenger, SeatsBooked,
};
pub use profile::{ProfileEvent, ProfileUpdated};
pub use rocket::{RocketEvent, RocketRange, RocketRegistered};
