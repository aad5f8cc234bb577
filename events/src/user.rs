//! Users: what the auth service publishes when an account is created, and the
//! profile data that travels with it.
//!
//! Credentials live in the auth service (Mongo `core.users`); the rest of the
//! system learns about users from these messages only. The auth service
//! publishes each one to [`USERS_STREAM`] on [`user_subject`] with the
//! JetStream message id [`UserMessage::message_id`] (the event id), from an
//! outbox in its own database, so a message is never lost and a re-publish
//! is deduplicated. The profiles projector turns them into rows in Postgres.
//!
//! Profile *changes* after registration are commands on the command-api
//! (`PUT /v1/profiles/me`) and become `Profile` events in the event store.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The JetStream stream holding user messages.
pub const USERS_STREAM: &str = "ASTRO_USERS";

/// Subjects of every user message: `astro.users.>`.
pub const ALL_USERS: &str = "astro.users.>";

/// The subject of one user's messages.
pub fn user_subject(user_id: Uuid) -> String {
    format!("astro.users.{user_id}")
}

/// A postal address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PostalAddress {
    /// Street and number.
    pub line1: String,
    /// Floor, suite, … if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line2: Option<String>,
    /// City.
    pub city: String,
    /// Postal code as written in its country.
    pub postal_code: String,
    /// ISO 3166-1 alpha-2 country code, upper case (`ES`, `US`).
    pub country: String,
}

/// Whom to talk to at an agency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contact {
    /// A person's name.
    pub name: String,
    /// Their email (where the agency's notifications go).
    pub email: String,
    /// Their phone number, as written (E.164 preferred).
    pub phone: String,
}

/// A traveler's profile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TravelerProfile {
    /// Full name as on the traveler's papers.
    pub full_name: String,
    /// Date of birth.
    pub birth_date: NaiveDate,
}

/// An agency's profile: its legal data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgencyProfile {
    /// Registered legal name.
    pub legal_name: String,
    /// Tax identification number, as issued.
    pub tax_id: String,
    /// Registered address (printed on invoices).
    pub address: PostalAddress,
    /// The agency's contact person.
    pub contact: Contact,
}

/// An employee's profile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmployeeProfile {
    /// Full name.
    pub full_name: String,
}

/// The profile of a user of any kind, tagged by `kind`.
// A message type, built once and serialized: boxing the agency's variant
// would only make it clumsier to build and match.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Profile {
    /// A traveler's.
    Traveler(TravelerProfile),
    /// An agency's.
    Agency(AgencyProfile),
    /// An employee's.
    Employee(EmployeeProfile),
}

impl Profile {
    /// `traveler`, `agency` or `employee`.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Traveler(_) => "traveler",
            Self::Agency(_) => "agency",
            Self::Employee(_) => "employee",
        }
    }
}

/// A traveler or an agency registered themselves.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserRegistered {
    /// The new user's id (also the id of their `Profile` aggregate).
    pub user_id: Uuid,
    /// Their login email, normalized (trimmed, lower case).
    pub email: String,
    /// What they registered with: a traveler's or an agency's profile.
    pub profile: Profile,
}

/// An IT employee created an employee account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmployeeCreated {
    /// The new employee's user id.
    pub user_id: Uuid,
    /// Their login email, normalized.
    pub email: String,
    /// `operations`, `finance` or `it`.
    pub department: String,
    /// Their profile (an [`Profile::Employee`]).
    pub profile: Profile,
    /// The IT employee who created the account; `None` for the first IT
    /// account, created from the environment at start-up.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_by: Option<Uuid>,
}

/// What happened to a user, tagged by `event_type`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event_type")]
pub enum UserEvent {
    /// See [`UserRegistered`].
    UserRegistered(UserRegistered),
    /// See [`EmployeeCreated`].
    EmployeeCreated(EmployeeCreated),
}

impl UserEvent {
    /// The user the event is about.
    pub fn user_id(&self) -> Uuid {
        match self {
            Self::UserRegistered(e) => e.user_id,
            Self::EmployeeCreated(e) => e.user_id,
        }
    }
}

/// One message on [`USERS_STREAM`]: the event and its envelope.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserMessage {
    /// Unique id of the event (UUID v7); also the JetStream message id.
    pub event_id: Uuid,
    /// When it happened.
    pub occurred_at: DateTime<Utc>,
    /// The correlation id of the request that caused it.
    pub correlation_id: String,
    /// Contract version of `event`, `"1"` today.
    pub event_version: String,
    /// The event.
    pub event: UserEvent,
}

impl UserMessage {
    /// The JetStream message id (deduplication key).
    pub fn message_id(&self) -> String {
        self.event_id.to_string()
    }

    /// The subject to publish on.
    pub fn subject(&self) -> String {
        user_subject(self.event.user_id())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_user_message_has_a_stable_json_shape() {
        let user_id = Uuid::parse_str("0193a0d6-0000-7000-8000-000000000001").unwrap();
        let message = UserMessage {
            event_id: Uuid::parse_str("0193a0d6-0000-7000-8000-0000000000e1").unwrap(),
            occurred_at: DateTime::parse_from_rfc3339("2026-11-25T10:00:00Z")
                .unwrap()
                .with_timezone(&Utc),
            correlation_id: "corr-1".into(),
            event_version: "1".into(),
            event: UserEvent::UserRegistered(UserRegistered {
                user_id,
                email: "ada@example.com".into(),
                profile: Profile::Traveler(TravelerProfile {
                    full_name: "Ada Lovelace".into(),
                    birth_date: NaiveDate::from_ymd_opt(1990, 12, 10).unwrap(),
                }),
            }),
        };
        let json = serde_json::to_value(&message).unwrap();
        assert_eq!(json["event"]["event_type"], "UserRegistered");
        assert_eq!(json["event"]["profile"]["kind"], "traveler");
        assert_eq!(json["event"]["profile"]["birth_date"], "1990-12-10");
        assert_eq!(message.subject(), format!("astro.users.{user_id}"));
        assert_eq!(message.message_id(), "0193a0d6-0000-7000-8000-0000000000e1");
        let back: UserMessage = serde_json::from_value(json).unwrap();
        assert_eq!(back, message);
    }

    #[test]
    fn subjects_fall_under_the_stream_wildcard() {
        let subject = user_subject(Uuid::nil());
        assert!(subject.starts_with(ALL_USERS.trim_end_matches('>')));
    }
}
