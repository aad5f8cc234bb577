//! Rules for users' profiles and emails, shared by the auth service (at
//! registration) and the command-api (`PUT /v1/profiles/me`).
//!
//! Validation returns every problem at once as `(field path, message)`
//! pairs, so an API can answer with one 422 naming each field.
//!
//! [`UserProfile`] is the `Profile` aggregate (id = user id) behind
//! `PUT /v1/profiles/me`.

use chrono::NaiveDate;
use cqrs_es::event_sink::EventSink;
use cqrs_es::Aggregate;
use events::user::{
    AgencyProfile, Contact, EmployeeProfile, PostalAddress, Profile, TravelerProfile,
};
use events::{ProfileEvent, ProfileUpdated};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::ErrorKind;

/// Longest name, legal name or address line accepted.
pub const MAX_TEXT: usize = 200;
/// Longest email accepted (RFC 5321's path limit).
pub const MAX_EMAIL: usize = 254;
/// Youngest age at which someone may hold a traveler account.
pub const MIN_TRAVELER_AGE: u32 = 18;
/// Oldest plausible age of a traveler.
pub const MAX_TRAVELER_AGE: u32 = 120;

/// One invalid field: its path (`profile.full_name`) and what is wrong.
pub type FieldProblem = (String, String);

/// The normalized form of an email: trimmed and lower-cased. Errs with a
/// message when it is not a plausible address (`local@domain.tld`, no
/// spaces, at most [`MAX_EMAIL`] characters).
pub fn normalize_email(raw: &str) -> Result<String, String> {
    crate::text::no_control(raw).map_err(|error| error.to_string())?;
    let email = raw.trim().to_lowercase();
    if email.is_empty() {
        return Err("is required".into());
    }
    if email.chars().count() > MAX_EMAIL {
        return Err(format!("must be at most {MAX_EMAIL} characters"));
    }
    if email.chars().any(char::is_whitespace) {
        return Err("must not contain spaces".into());
    }
    let Some((local, domain)) = email.rsplit_once('@') else {
        return Err("must be an email address like name@example.com".into());
    };
    let labels: Vec<&str> = domain.split('.').collect();
    let domain_ok = labels.len() >= 2
        && labels.iter().all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_alphanumeric() || c == '-')
        });
    if local.is_empty() || local.len() > 64 || local.contains('@') || !domain_ok {
        return Err("must be an email address like name@example.com".into());
    }
    Ok(email)
}

/// Every problem with `profile`, as of `today` (for ages).
pub fn validate_profile(profile: &Profile, today: NaiveDate) -> Vec<FieldProblem> {
    let mut problems = Vec::new();
    match profile {
        Profile::Traveler(traveler) => validate_traveler(traveler, today, &mut problems),
        Profile::Agency(agency) => validate_agency(agency, &mut problems),
        Profile::Employee(employee) => validate_employee(employee, &mut problems),
    }
    problems
}

fn validate_traveler(profile: &TravelerProfile, today: NaiveDate, out: &mut Vec<FieldProblem>) {
    text("profile.full_name", &profile.full_name, out);
    match today.years_since(profile.birth_date) {
        None => out.push(("profile.birth_date".into(), "must be in the past".into())),
        Some(age) if age < MIN_TRAVELER_AGE => out.push((
            "profile.birth_date".into(),
            format!("a traveler must be at least {MIN_TRAVELER_AGE} years old"),
        )),
        Some(age) if age > MAX_TRAVELER_AGE => out.push((
            "profile.birth_date".into(),
            "is not a plausible birth date".into(),
        )),
        Some(_) => {}
    }
}

fn validate_agency(profile: &AgencyProfile, out: &mut Vec<FieldProblem>) {
    text("profile.legal_name", &profile.legal_name, out);
    validate_tax_id(&profile.tax_id, out);
    validate_address(&profile.address, out);
    validate_contact(&profile.contact, out);
}

fn validate_employee(profile: &EmployeeProfile, out: &mut Vec<FieldProblem>) {
    text("profile.full_name", &profile.full_name, out);
}

fn validate_tax_id(raw: &str, out: &mut Vec<FieldProblem>) {
    if let Err(error) = crate::text::no_control(raw) {
        out.push(("profile.tax_id".into(), error.to_string()));
        return;
    }
    let tax_id = raw.trim();
    let ok = (4..=32).contains(&tax_id.len())
        && tax_id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | ' ' | '/'));
    if !ok {
        out.push((
            "profile.tax_id".into(),
            "must be 4 to 32 letters, digits, spaces, dots, dashes or slashes".into(),
        ));
    }
}

fn validate_address(address: &PostalAddress, out: &mut Vec<FieldProblem>) {
    text("profile.address.line1", &address.line1, out);
    if let Some(line2) = &address.line2 {
        if let Err(error) = crate::text::optional(line2, MAX_TEXT) {
            out.push(("profile.address.line2".into(), error.to_string()));
        }
    }
    text("profile.address.city", &address.city, out);
    let postal = address.postal_code.trim();
    if let Err(error) = crate::text::no_control(&address.postal_code) {
        out.push(("profile.address.postal_code".into(), error.to_string()));
    } else if postal.is_empty() || postal.chars().count() > 16 {
        out.push((
            "profile.address.postal_code".into(),
            "must be 1 to 16 characters".into(),
        ));
    }
    let country = &address.country;
    if country.len() != 2 || !country.chars().all(|c| c.is_ascii_uppercase()) {
        out.push((
            "profile.address.country".into(),
            "must be an ISO 3166-1 alpha-2 code in capitals, like ES".into(),
        ));
    }
}

fn validate_contact(contact: &Contact, out: &mut Vec<FieldProblem>) {
    text("profile.contact.name", &contact.name, out);
    if let Err(message) = normalize_email(&contact.email) {
        out.push(("profile.contact.email".into(), message));
    }
    let digits = contact.phone.chars().filter(char::is_ascii_digit).count();
    let allowed = contact
        .phone
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, '+' | ' ' | '-' | '(' | ')' | '.'));
    if !allowed || !(6..=15).contains(&digits) {
        out.push((
            "profile.contact.phone".into(),
            "must be a phone number of 6 to 15 digits, like +34 600 000 000".into(),
        ));
    }
}

/// The `Profile` aggregate: a user's profile as they last changed it. The
/// aggregate id is the user id. `Default` is "never changed since
/// registration" (what they registered with lives in the auth service and
/// reaches the profiles projector as `UserRegistered`).
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserProfile {
    current: Option<Profile>,
}

/// Commands to a profile.
#[derive(Debug, Clone, PartialEq)]
pub enum ProfileCommand {
    /// Replace one's own profile.
    Update {
        /// The user (from their token), the aggregate id.
        user_id: Uuid,
        /// What kind of user they are (from their token): `traveler`,
        /// `agency` or `employee`; the profile must be of that kind.
        kind: &'static str,
        /// The new profile.
        profile: Profile,
        /// Today, for age rules.
        today: NaiveDate,
    },
}

/// Why a profile command was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProfileError {
    /// A profile of another kind than the user's.
    #[error("a {user} can only have a {user} profile, not a {given} one")]
    WrongKind {
        /// The user's kind.
        user: &'static str,
        /// The profile's kind.
        given: &'static str,
    },
    /// Fields that break the rules.
    #[error("the profile is invalid")]
    Invalid(Vec<FieldProblem>),
}

impl ProfileError {
    /// How the outside world should read this refusal.
    pub fn kind(&self) -> ErrorKind {
        ErrorKind::Invalid
    }

    /// A stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::WrongKind { .. } => "wrong-profile-kind",
            Self::Invalid(_) => "invalid-profile",
        }
    }

    /// Every invalid field as `(path, message)`.
    pub fn fields(&self) -> Vec<FieldProblem> {
        match self {
            Self::WrongKind { .. } => vec![("profile.kind".into(), self.to_string())],
            Self::Invalid(problems) => problems.clone(),
        }
    }
}

impl UserProfile {
    /// The profile as last changed, if it ever was.
    pub fn current(&self) -> Option<&Profile> {
        self.current.as_ref()
    }

    /// The events a command produces, or why it is refused. Pure. Setting
    /// the profile it already has produces nothing.
    pub fn decide(&self, command: ProfileCommand) -> Result<Vec<ProfileEvent>, ProfileError> {
        match command {
            ProfileCommand::Update {
                user_id,
                kind,
                profile,
                today,
            } => {
                if profile.kind() != kind {
                    return Err(ProfileError::WrongKind {
                        user: kind,
                        given: profile.kind(),
                    });
                }
                let profile = trimmed(profile);
                let problems = validate_profile(&profile, today);
                if !problems.is_empty() {
                    return Err(ProfileError::Invalid(problems));
                }
                if self.current.as_ref() == Some(&profile) {
                    return Ok(Vec::new());
                }
                Ok(vec![ProfileEvent::ProfileUpdated(ProfileUpdated {
                    user_id,
                    profile,
                })])
            }
        }
    }
}

impl Aggregate for UserProfile {
    const TYPE: &'static str = "Profile";
    type Command = ProfileCommand;
    type Event = ProfileEvent;
    type Error = ProfileError;
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
            ProfileEvent::ProfileUpdated(updated) => self.current = Some(updated.profile),
        }
    }
}

/// The profile with surrounding spaces removed from its text and the
/// contact email normalized, as it is stored.
pub fn trimmed(profile: Profile) -> Profile {
    let t = |s: String| s.trim().to_owned();
    match profile {
        Profile::Traveler(p) => Profile::Traveler(TravelerProfile {
            full_name: t(p.full_name),
            birth_date: p.birth_date,
        }),
        Profile::Employee(p) => Profile::Employee(EmployeeProfile {
            full_name: t(p.full_name),
        }),
        Profile::Agency(p) => Profile::Agency(AgencyProfile {
            legal_name: t(p.legal_name),
            tax_id: t(p.tax_id),
            address: PostalAddress {
                line1: t(p.address.line1),
                line2: p.address.line2.map(t).filter(|s| !s.is_empty()),
                city: t(p.address.city),
                postal_code: t(p.address.postal_code),
                country: t(p.address.country),
            },
            contact: Contact {
                name: t(p.contact.name),
                email: normalize_email(&p.contact.email).unwrap_or(p.contact.email),
                phone: t(p.contact.phone),
            },
        }),
    }
}

/// A required, bounded piece of text (see [`crate::text`]).
fn text(field: &str, value: &str, out: &mut Vec<FieldProblem>) {
    match crate::text::required(value, MAX_TEXT) {
        Ok(_) => {}
        Err(crate::text::TextError::Blank) => out.push((field.into(), "is required".into())),
        Err(error) => out.push((field.into(), error.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn fields(problems: &[FieldProblem]) -> Vec<&str> {
        problems.iter().map(|(f, _)| f.as_str()).collect()
    }

    fn agency() -> AgencyProfile {
        AgencyProfile {
            legal_name: "Orbit Travel S.L.".into(),
            tax_id: "B-12345678".into(),
            address: PostalAddress {
                line1: "Gran Via 1".into(),
                line2: None,
                city: "Madrid".into(),
                postal_code: "28013".into(),
                country: "ES".into(),
            },
            contact: Contact {
                name: "Marta Ruiz".into(),
                email: "marta@orbit.example".into(),
                phone: "+34 600 000 000".into(),
            },
        }
    }

    #[test]
    fn emails_are_trimmed_and_lower_cased() {
        assert_eq!(
            normalize_email("  Ada.Lovelace@Example.COM "),
            Ok("ada.lovelace@example.com".into())
        );
    }

    #[test]
    fn implausible_emails_are_refused() {
        for bad in [
            "",
            "ada",
            "ada@",
            "@example.com",
            "ada@example",
            "ada @example.com",
            "ada@exa mple.com",
            "ada@-example.com",
            "ada@example..com",
        ] {
            assert!(normalize_email(bad).is_err(), "{bad:?} was accepted");
        }
        let long = format!("{}@example.com", "a".repeat(250));
        assert!(normalize_email(&long).is_err());
    }

    #[test]
    fn a_traveler_must_be_an_adult_with_a_name() {
        let today = day(2026, 11, 25);
        let ok = Profile::Traveler(TravelerProfile {
            full_name: "Ada Lovelace".into(),
            birth_date: day(2008, 11, 25),
        });
        assert!(
            validate_profile(&ok, today).is_empty(),
            "18 today is enough"
        );
        let young = Profile::Traveler(TravelerProfile {
            full_name: "  ".into(),
            birth_date: day(2008, 11, 26),
        });
        assert_eq!(
            fields(&validate_profile(&young, today)),
            ["profile.full_name", "profile.birth_date"]
        );
        let unborn = Profile::Traveler(TravelerProfile {
            full_name: "X".into(),
            birth_date: day(2027, 1, 1),
        });
        assert_eq!(
            fields(&validate_profile(&unborn, today)),
            ["profile.birth_date"]
        );
        let ancient = Profile::Traveler(TravelerProfile {
            full_name: "X".into(),
            birth_date: day(1900, 1, 1),
        });
        assert_eq!(
            fields(&validate_profile(&ancient, today)),
            ["profile.birth_date"]
        );
    }

    #[test]
    fn an_agency_needs_its_legal_data() {
        let today = day(2026, 11, 25);
        assert!(validate_profile(&Profile::Agency(agency()), today).is_empty());
        let mut bad = agency();
        bad.legal_name = String::new();
        bad.tax_id = "x".into();
        bad.address.country = "es".into();
        bad.address.postal_code = String::new();
        bad.contact.email = "nope".into();
        bad.contact.phone = "call me".into();
        assert_eq!(
            fields(&validate_profile(&Profile::Agency(bad), today)),
            [
                "profile.legal_name",
                "profile.tax_id",
                "profile.address.postal_code",
                "profile.address.country",
                "profile.contact.email",
                "profile.contact.phone",
            ]
        );
    }

    #[test]
    fn a_postal_code_is_measured_in_characters_not_bytes() {
        // As the API documents it (16 characters): 16 three-byte
        // characters are 48 bytes.
        let mut multibyte = agency();
        multibyte.address.postal_code = "\u{3012}".repeat(16);
        let today = day(2026, 11, 25);
        assert!(validate_profile(&Profile::Agency(multibyte.clone()), today).is_empty());
        multibyte.address.postal_code.push('1');
        assert_eq!(
            fields(&validate_profile(&Profile::Agency(multibyte), today)),
            ["profile.address.postal_code"]
        );
    }

    fn update(profile: Profile, kind: &'static str) -> ProfileCommand {
        ProfileCommand::Update {
            user_id: Uuid::nil(),
            kind,
            profile,
            today: day(2026, 11, 25),
        }
    }

    #[test]
    fn an_update_records_the_trimmed_profile_and_a_repeat_records_nothing() {
        let mut aggregate = UserProfile::default();
        let mut given = agency();
        given.legal_name = "  Orbit Travel S.L. ".into();
        given.contact.email = " Marta@Orbit.Example".into();
        given.address.line2 = Some("  ".into());
        let events = aggregate
            .decide(update(Profile::Agency(given.clone()), "agency"))
            .unwrap();
        let [ProfileEvent::ProfileUpdated(updated)] = events.as_slice() else {
            panic!("one ProfileUpdated expected, got {events:?}");
        };
        assert_eq!(updated.profile, Profile::Agency(agency()));
        aggregate.apply(events[0].clone());
        assert_eq!(aggregate.current(), Some(&Profile::Agency(agency())));
        assert_eq!(
            aggregate.decide(update(Profile::Agency(given), "agency")),
            Ok(vec![]),
            "the same profile again changes nothing"
        );
    }

    #[test]
    fn a_profile_must_match_the_users_kind_and_rules() {
        let aggregate = UserProfile::default();
        let refused = aggregate
            .decide(update(Profile::Agency(agency()), "traveler"))
            .unwrap_err();
        assert_eq!(refused.code(), "wrong-profile-kind");
        assert_eq!(fields(&refused.fields()), ["profile.kind"]);
        let mut bad = agency();
        bad.tax_id = String::new();
        let refused = aggregate
            .decide(update(Profile::Agency(bad), "agency"))
            .unwrap_err();
        assert_eq!(refused.code(), "invalid-profile");
        assert_eq!(fields(&refused.fields()), ["profile.tax_id"]);
        assert_eq!(refused.kind(), ErrorKind::Invalid);
    }

    #[test]
    fn every_text_field_of_a_profile_refuses_control_characters() {
        let today = day(2026, 11, 25);
        type Set = fn(&mut AgencyProfile, String);
        let fields_of: [(&str, Set); 9] = [
            ("profile.legal_name", |p, v| p.legal_name = v),
            ("profile.tax_id", |p, v| p.tax_id = v),
            ("profile.address.line1", |p, v| p.address.line1 = v),
            ("profile.address.line2", |p, v| p.address.line2 = Some(v)),
            ("profile.address.city", |p, v| p.address.city = v),
            ("profile.address.postal_code", |p, v| {
                p.address.postal_code = v
            }),
            ("profile.contact.name", |p, v| p.contact.name = v),
            ("profile.contact.email", |p, v| p.contact.email = v),
            ("profile.contact.phone", |p, v| p.contact.phone = v),
        ];
        for (field, set) in fields_of {
            for control in ['\u{0}', '\n', '\t', '\u{7F}', '\u{9B}'] {
                let mut bad = agency();
                // At the end, where trimming alone would have hidden it.
                set(&mut bad, format!("B-1234{control}"));
                let problems = validate_profile(&Profile::Agency(bad), today);
                assert!(
                    problems.iter().any(|(f, _)| f == field),
                    "{field} with {control:?}: {problems:?}"
                );
            }
        }
        let traveler = Profile::Traveler(TravelerProfile {
            full_name: "Ada\u{0}Lovelace".into(),
            birth_date: day(1990, 1, 1),
        });
        let problems = validate_profile(&traveler, today);
        assert_eq!(fields(&problems), ["profile.full_name"]);
        assert_eq!(
            problems[0].1,
            "must not contain control characters (U+0000 at character 3)"
        );
    }

    #[test]
    fn an_email_with_a_control_character_is_refused_as_such() {
        assert_eq!(
            normalize_email("ada\u{0}@example.com"),
            Err("must not contain control characters (U+0000 at character 3)".into())
        );
        assert!(normalize_email("ada@example.com\r\n").is_err());
    }

    #[test]
    fn text_is_bounded() {
        let profile = Profile::Employee(EmployeeProfile {
            full_name: "n".repeat(MAX_TEXT + 1),
        });
        assert_eq!(
            fields(&validate_profile(&profile, day(2026, 1, 1))),
            ["profile.full_name"]
        );
        let profile = Profile::Employee(EmployeeProfile {
            full_name: "Grace\u{0007}".into(),
        });
        assert_eq!(
            fields(&validate_profile(&profile, day(2026, 1, 1))),
            ["profile.full_name"]
        );
    }
}
