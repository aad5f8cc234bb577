//! The emails' words: one plain-text and one HTML template per kind of
//! notification (`notifier/templates/`, minijinja, compiled into the
//! binary), the subject lines, and how amounts, dates and destinations are
//! written. HTML templates escape every value (auto-escaping by file name),
//! so a passenger named `<script>` is shown, never run.

use chrono::{DateTime, Utc};
use events::Destination;
use minijinja::{context, Environment};
use read_models::core_db::{NotificationKind, RecipientRole};

use crate::plan::{Details, Email, LaunchFacts};

/// An email ready to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    /// The subject line.
    pub subject: String,
    /// The plain-text body.
    pub text: String,
    /// The HTML body.
    pub html: String,
}

/// The templates, parsed once.
pub struct Templates {
    env: Environment<'static>,
    currency: String,
    support_email: String,
}

const TEMPLATES: [(&str, &str); 9] = [
    ("layout.html", include_str!("../templates/layout.html")),
    (
        "booking_confirmed.html",
        include_str!("../templates/booking_confirmed.html"),
    ),
    (
        "booking_confirmed.txt",
        include_str!("../templates/booking_confirmed.txt"),
    ),
    (
        "booking_cancelled.html",
        include_str!("../templates/booking_cancelled.html"),
    ),
    (
        "booking_cancelled.txt",
        include_str!("../templates/booking_cancelled.txt"),
    ),
    (
        "launch_aborted.html",
        include_str!("../templates/launch_aborted.html"),
    ),
    (
        "launch_aborted.txt",
        include_str!("../templates/launch_aborted.txt"),
    ),
    (
        "launch_delayed.html",
        include_str!("../templates/launch_delayed.html"),
    ),
    (
        "launch_delayed.txt",
        include_str!("../templates/launch_delayed.txt"),
    ),
];

impl Templates {
    /// Parses the templates; amounts are shown in `currency` (an ISO 4217
    /// code), and `support_email` is where the emails send questions.
    pub fn new(currency: &str, support_email: &str) -> Self {
        let mut env = Environment::new();
        // Keep the text bodies' lines as written around `{% %}` tags.
        env.set_trim_blocks(true);
        for (name, source) in TEMPLATES {
            env.add_template(name, source)
                .unwrap_or_else(|e| panic!("template {name} does not parse: {e}"));
        }
        Self {
            env,
            currency: currency.to_owned(),
            support_email: support_email.to_owned(),
        }
    }

    /// Renders `email` about `launch`.
    pub fn render(
        &self,
        email: &Email,
        launch: &LaunchFacts,
    ) -> Result<Rendered, minijinja::Error> {
        let name = template_name(email.kind);
        let subject = self.subject(email, launch);
        let launch_view = context! {
            rocket => launch.rocket_name,
            spaceport => launch.spaceport,
            destination => destination(launch.destination),
            departure => when(launch.departure_at),
        };
        let base = context! {
            subject => subject,
            name => email.recipient_name,
            role => role(email.role),
            launch => launch_view,
            support_email => self.support_email,
        };
        let specific = match &email.details {
            Details::Booked {
                booking_id,
                passengers,
                seats,
                unit_price_cents,
                total_cents,
            } => context! {
                booking_id => booking_id.to_string(),
                passengers => passengers,
                seats => seats,
                unit_price => self.money(*unit_price_cents),
                total => self.money(*total_cents),
            },
            Details::Cancelled {
                booking_id,
                passengers,
                seats,
                total_cents,
                refund_percent,
                refund_cents,
                aborted,
            } => context! {
                booking_id => booking_id.to_string(),
                passengers => passengers,
                seats => seats,
                total => self.money(*total_cents),
                refund_percent => refund_percent,
                refund => self.money(*refund_cents),
                aborted => aborted,
            },
            Details::Delayed {
                previous_departure_at,
                new_departure_at,
                reason,
                booking_ids,
            } => context! {
                previous_departure => when(*previous_departure_at),
                new_departure => when(*new_departure_at),
                reason => reason,
                booking_ids => booking_ids.iter().map(ToString::to_string).collect::<Vec<_>>(),
            },
        };
        let values = context! { ..specific, ..base };
        let text = self
            .env
            .get_template(&format!("{name}.txt"))?
            .render(&values)?;
        let html = self
            .env
            .get_template(&format!("{name}.html"))?
            .render(&values)?;
        Ok(Rendered {
            subject,
            text,
            html,
        })
    }

    fn subject(&self, email: &Email, launch: &LaunchFacts) -> String {
        let trip = format!(
            "{} to {}",
            launch.rocket_name,
            destination(launch.destination)
        );
        match &email.details {
            Details::Booked { .. } => {
                format!("Booking confirmed: {trip}, {}", day(launch.departure_at))
            }
            Details::Cancelled {
                aborted: true,
                refund_cents,
                ..
            } => match email.role {
                RecipientRole::Passenger => format!("Launch aborted: {trip}"),
                _ => format!(
                    "Launch aborted: {trip}, refunded in full ({})",
                    self.money(*refund_cents)
                ),
            },
            Details::Cancelled { refund_cents, .. } => match email.role {
                RecipientRole::Passenger => format!("Booking cancelled: {trip}"),
                _ => format!(
                    "Booking cancelled: {trip}, refund {}",
                    self.money(*refund_cents)
                ),
            },
            Details::Delayed {
                new_departure_at, ..
            } => format!("New departure for {trip}: {}", day(*new_departure_at)),
        }
    }

    /// `cents` written as `EUR 1,234.56`.
    pub fn money(&self, cents: i64) -> String {
        let sign = if cents < 0 { "-" } else { "" };
        let cents = cents.unsigned_abs();
        let units = (cents / 100).to_string();
        let mut grouped = String::new();
        for (i, digit) in units.chars().enumerate() {
            if i > 0 && (units.len() - i).is_multiple_of(3) {
                grouped.push(',');
            }
            grouped.push(digit);
        }
        format!("{sign}{} {grouped}.{:02}", self.currency, cents % 100)
    }
}

fn template_name(kind: NotificationKind) -> &'static str {
    match kind {
        NotificationKind::BookingConfirmed => "booking_confirmed",
        NotificationKind::BookingCancelled => "booking_cancelled",
        NotificationKind::LaunchAborted => "launch_aborted",
        NotificationKind::LaunchDelayed => "launch_delayed",
    }
}

fn role(role: RecipientRole) -> &'static str {
    match role {
        RecipientRole::Traveler => "traveler",
        RecipientRole::Agency => "agency",
        RecipientRole::Passenger => "passenger",
    }
}

/// A destination as a sentence says it.
pub fn destination(destination: Destination) -> &'static str {
    match destination {
        Destination::Suborbital => "suborbital space",
        Destination::LowEarthOrbit => "low Earth orbit",
        Destination::Moon => "the Moon",
        Destination::Mars => "Mars",
    }
}

/// An instant as the emails write it: `Saturday 20 March 2027, 12:00 UTC`.
pub fn when(at: DateTime<Utc>) -> String {
    at.format("%A %-d %B %Y, %H:%M UTC").to_string()
}

fn day(at: DateTime<Utc>) -> String {
    at.format("%-d %B %Y").to_string()
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use chrono::TimeZone;
    use uuid::Uuid;

    use super::*;

    fn launch() -> LaunchFacts {
        LaunchFacts {
            launch_id: Uuid::from_u128(1),
            rocket_name: "Selene IV".into(),
            spaceport: "Kourou".into(),
            destination: Destination::Moon,
            departure_at: Utc.with_ymd_and_hms(2027, 3, 20, 12, 0, 0).unwrap(),
            bookings: HashMap::new(),
            booking_order: Vec::new(),
            sequence: 1,
        }
    }

    fn email(role: RecipientRole, details: Details) -> Email {
        let kind = match &details {
            Details::Booked { .. } => NotificationKind::BookingConfirmed,
            Details::Cancelled { aborted: true, .. } => NotificationKind::LaunchAborted,
            Details::Cancelled { .. } => NotificationKind::BookingCancelled,
            Details::Delayed { .. } => NotificationKind::LaunchDelayed,
        };
        Email {
            kind,
            recipient: "ada@example.com".into(),
            recipient_name: "Ada <Lovelace>".into(),
            role,
            booking_id: Some(Uuid::from_u128(10)),
            details,
        }
    }

    fn booked() -> Details {
        Details::Booked {
            booking_id: Uuid::from_u128(10),
            passengers: vec!["Ada <Lovelace>".into(), "Grace Hopper".into()],
            seats: 2,
            unit_price_cents: 25_000_000,
            total_cents: 50_000_000,
        }
    }

    #[test]
    fn amounts_are_grouped_with_two_decimals_and_the_currency() {
        let templates = Templates::new("EUR", "help@astro.example");
        assert_eq!(templates.money(0), "EUR 0.00");
        assert_eq!(templates.money(5), "EUR 0.05");
        assert_eq!(templates.money(123_456), "EUR 1,234.56");
        assert_eq!(templates.money(50_000_000), "EUR 500,000.00");
        assert_eq!(templates.money(-100), "-EUR 1.00");
    }

    #[test]
    fn a_confirmation_shows_the_booking_the_launch_and_the_total() {
        let templates = Templates::new("EUR", "help@astro.example");
        let rendered = templates
            .render(&email(RecipientRole::Traveler, booked()), &launch())
            .unwrap();
        assert_eq!(
            rendered.subject,
            "Booking confirmed: Selene IV to the Moon, 20 March 2027"
        );
        for needle in [
            "Dear Ada <Lovelace>,",
            "Your booking is confirmed on the launch of Selene IV to the Moon",
            "Saturday 20 March 2027, 12:00 UTC",
            "00000000-0000-0000-0000-00000000000a",
            "Ada <Lovelace>, Grace Hopper",
            "2 x EUR 250,000.00",
            "Total:       EUR 500,000.00",
            "help@astro.example",
        ] {
            assert!(
                rendered.text.contains(needle),
                "{needle} in {}",
                rendered.text
            );
        }
        assert!(rendered.html.contains("EUR 500,000.00"));
    }

    #[test]
    fn the_html_escapes_what_people_typed() {
        let templates = Templates::new("EUR", "help@astro.example");
        let rendered = templates
            .render(&email(RecipientRole::Traveler, booked()), &launch())
            .unwrap();
        assert!(rendered.html.contains("Ada &lt;Lovelace&gt;"));
        assert!(!rendered.html.contains("<Lovelace>"));
    }

    #[test]
    fn a_passenger_is_not_shown_the_price() {
        let templates = Templates::new("EUR", "help@astro.example");
        let rendered = templates
            .render(&email(RecipientRole::Passenger, booked()), &launch())
            .unwrap();
        assert!(rendered.text.contains("You are booked"));
        assert!(!rendered.text.contains("EUR"), "{}", rendered.text);
        assert!(!rendered.html.contains("EUR"));
    }

    #[test]
    fn a_cancellation_states_the_refund_or_that_there_is_none() {
        let templates = Templates::new("EUR", "help@astro.example");
        let cancelled = |percent: u8, refund: i64| Details::Cancelled {
            booking_id: Uuid::from_u128(10),
            passengers: vec!["Ada".into()],
            seats: 1,
            total_cents: 1_000_000,
            refund_percent: percent,
            refund_cents: refund,
            aborted: false,
        };
        let refunded = templates
            .render(
                &email(RecipientRole::Traveler, cancelled(70, 700_000)),
                &launch(),
            )
            .unwrap();
        assert_eq!(
            refunded.subject,
            "Booking cancelled: Selene IV to the Moon, refund EUR 7,000.00"
        );
        assert!(refunded
            .text
            .contains("You will be refunded EUR 7,000.00 (70% of EUR 10,000.00)."));
        let late = templates
            .render(&email(RecipientRole::Agency, cancelled(0, 0)), &launch())
            .unwrap();
        assert!(late.text.contains("is not refunded"), "{}", late.text);
    }

    #[test]
    fn an_abort_says_the_refund_is_full() {
        let templates = Templates::new("EUR", "help@astro.example");
        let details = Details::Cancelled {
            booking_id: Uuid::from_u128(10),
            passengers: vec!["Ada".into()],
            seats: 1,
            total_cents: 1_000_000,
            refund_percent: 100,
            refund_cents: 1_000_000,
            aborted: true,
        };
        let rendered = templates
            .render(&email(RecipientRole::Traveler, details), &launch())
            .unwrap();
        assert!(rendered.subject.starts_with("Launch aborted:"));
        assert!(rendered.text.contains("refunded in full: EUR 10,000.00"));
    }

    #[test]
    fn a_delay_gives_the_new_and_the_old_departure() {
        let templates = Templates::new("EUR", "help@astro.example");
        let details = Details::Delayed {
            previous_departure_at: Utc.with_ymd_and_hms(2027, 3, 20, 12, 0, 0).unwrap(),
            new_departure_at: Utc.with_ymd_and_hms(2027, 4, 2, 9, 30, 0).unwrap(),
            reason: "weather".into(),
            booking_ids: vec![Uuid::from_u128(10), Uuid::from_u128(11)],
        };
        let rendered = templates
            .render(&email(RecipientRole::Traveler, details), &launch())
            .unwrap();
        assert_eq!(
            rendered.subject,
            "New departure for Selene IV to the Moon: 2 April 2027"
        );
        assert!(rendered
            .text
            .contains("New departure:  Friday 2 April 2027, 09:30 UTC"));
        assert!(
            rendered.text.contains("Bookings stay valid")
                || rendered.text.contains("bookings stay valid")
        );
        assert!(rendered.html.contains("delayed (weather)"));
    }
}
