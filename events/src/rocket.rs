//! Events of the `Rocket` aggregate.

use cqrs_es::DomainEvent;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// How far a rocket can fly. Ordered: a rocket reaches its own range and every
/// shorter one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RocketRange {
    /// Up to the edge of space and back, no orbit.
    Suborbital,
    /// Low Earth orbit.
    LowEarthOrbit,
    /// To the Moon.
    Moon,
    /// To Mars.
    Mars,
}

impl RocketRange {
    /// The stable wire name (`suborbital`, `low_earth_orbit`, `moon`, `mars`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Suborbital => "suborbital",
            Self::LowEarthOrbit => "low_earth_orbit",
            Self::Moon => "moon",
            Self::Mars => "mars",
        }
    }
}

/// A rocket entered the fleet.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RocketRegistered {
    /// The rocket's id (the aggregate id).
    pub rocket_id: Uuid,
    /// Its name, e.g. "Falcon Heavy".
    pub name: String,
    /// Passenger seats it carries.
    pub capacity: u32,
    /// How far it can fly.
    pub range: RocketRange,
}

/// Every event of the `Rocket` aggregate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum RocketEvent {
    /// See [`RocketRegistered`].
    RocketRegistered(RocketRegistered),
}

impl DomainEvent for RocketEvent {
    fn event_type(&self) -> String {
        match self {
            Self::RocketRegistered(_) => "RocketRegistered".into(),
        }
    }

    fn event_version(&self) -> String {
        "1.0".into()
    }
}
