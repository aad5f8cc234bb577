//! Events of the `Profile` aggregate: a user's profile as they changed it
//! after registering (`PUT /v1/profiles/me`). The aggregate id is the user
//! id; what they registered with arrives from the auth service as
//! [`crate::user::UserRegistered`].

use cqrs_es::DomainEvent;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::user::Profile;

/// A user replaced their profile. Carries the whole profile, so a reader
/// keeps the one of the highest sequence and needs no other.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProfileUpdated {
    /// The user (the aggregate id).
    pub user_id: Uuid,
    /// The profile as it now stands.
    pub profile: Profile,
}

/// Every event of the `Profile` aggregate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ProfileEvent {
    /// See [`ProfileUpdated`].
    ProfileUpdated(ProfileUpdated),
}

impl DomainEvent for ProfileEvent {
    fn event_type(&self) -> String {
        match self {
            Self::ProfileUpdated(_) => "ProfileUpdated".into(),
        }
    }

    fn event_version(&self) -> String {
        "1.0".into()
    }
}
