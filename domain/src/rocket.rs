//! The `Rocket` aggregate: a vehicle of the fleet.

use cqrs_es::event_sink::EventSink;
use cqrs_es::Aggregate;
use events::{RocketEvent, RocketRange, RocketRegistered};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::ErrorKind;

/// Largest seat capacity accepted for one rocket: a sanity bound far above
/// any vehicle flying, that still lets a launch carry thousands of bookings.
pub const MAX_ROCKET_CAPACITY: u32 = 10_000;

/// A rocket of the fleet. `Default` is "not registered yet".
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rocket {
    registered: Option<RocketRegistered>,
}

/// Commands to a rocket.
#[derive(Debug, Clone, PartialEq)]
pub enum RocketCommand {
    /// Enter a rocket into the fleet.
    Register {
        /// Its id (chosen by the caller, the aggregate id).
        rocket_id: Uuid,
        /// Its name.
        name: String,
        /// Passenger seats, 1 to [`MAX_ROCKET_CAPACITY`].
        capacity: u32,
        /// How far it flies.
        range: RocketRange,
    },
}

/// Why a rocket command was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RocketError {
    /// The id is already taken.
    #[error("rocket {0} is already registered")]
    AlreadyRegistered(Uuid),
    /// The name is blank.
    #[error("a rocket needs a name")]
    BlankName,
    /// The name holds a control character (see [`crate::text`]).
    #[error("a rocket's name {0}")]
    InvalidName(crate::text::TextError),
    /// The capacity is 0 or above the maximum.
    #[error("capacity must be between 1 and {MAX_ROCKET_CAPACITY} seats, not {0}")]
    InvalidCapacity(u32),
}

impl RocketError {
    /// How the outside world should read this refusal.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Self::AlreadyRegistered(_) => ErrorKind::Conflict,
            Self::BlankName | Self::InvalidName(_) | Self::InvalidCapacity(_) => ErrorKind::Invalid,
        }
    }

    /// A stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::AlreadyRegistered(_) => "rocket-already-registered",
            Self::BlankName => "blank-name",
            Self::InvalidName(_) => "invalid-name",
            Self::InvalidCapacity(_) => "invalid-capacity",
        }
    }

    /// The command field the refusal is about, if any.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            Self::BlankName | Self::InvalidName(_) => Some("name"),
            Self::InvalidCapacity(_) => Some("capacity"),
            Self::AlreadyRegistered(_) => None,
        }
    }
}

impl Rocket {
    /// What was registered, if the rocket exists.
    pub fn registered(&self) -> Option<&RocketRegistered> {
        self.registered.as_ref()
    }

    /// The events a command produces, or why it is refused. Pure.
    pub fn decide(&self, command: RocketCommand) -> Result<Vec<RocketEvent>, RocketError> {
        match command {
            RocketCommand::Register {
                rocket_id,
                name,
                capacity,
                range,
            } => {
                if self.registered.is_some() {
                    return Err(RocketError::AlreadyRegistered(rocket_id));
                }
                crate::text::no_control(&name).map_err(RocketError::InvalidName)?;
                let name = name.trim();
                if name.is_empty() {
                    return Err(RocketError::BlankName);
                }
                if !(1..=MAX_ROCKET_CAPACITY).contains(&capacity) {
                    return Err(RocketError::InvalidCapacity(capacity));
                }
                Ok(vec![RocketEvent::RocketRegistered(RocketRegistered {
                    rocket_id,
                    name: name.to_owned(),
                    capacity,
                    range,
                })])
            }
        }
    }
}

impl Aggregate for Rocket {
    const TYPE: &'static str = "Rocket";
    type Command = RocketCommand;
    type Event = RocketEvent;
    type Error = RocketError;
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
        match event {
            RocketEvent::RocketRegistered(registered) => self.registered = Some(registered),
        }
    }
}
