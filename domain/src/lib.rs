//! The business rules of Astro Bookings, as pure logic with no I/O.
//!
//! Two aggregates on cqrs-es: [`Rocket`] (the fleet) and [`Launch`] (the offer
//! and its seat inventory, which holds every booking so that capacity is one
//! consistency boundary). Each decides on a command in a pure `decide`
//! function that validates everything before any event is written, so a
//! refused command leaves the aggregate untouched. The current time enters
//! through the command (`now`), never from a clock here.
//!
//! [`text`] holds the one rule for text from outside (no control
//! characters; required text not blank and bounded) that every service's
//! edge calls.

pub mod error;
pub mod launch;
pub mod policy;
pub mod profile;
pub mod rocket;
pub mod text;

pub use error::ErrorKind;
pub use launch::{BookingRecord, Launch, LaunchCommand, LaunchError, LaunchStatus, RocketSpec};
pub use profile::{ProfileCommand, ProfileError, UserProfile};
pub use rocket::{Rocket, RocketCommand, RocketError};
