//! Sending one notification over SMTP (lettre, pooled connections, rustls).
//!
//! Each email is `multipart/alternative` (plain text, then HTML) with a
//! `Message-ID` derived from the notification's id: if a sender crashes
//! after the server accepted an email and before it recorded so, the email
//! is sent again after the lease, with the same `Message-ID`, which mail
//! systems use to recognise the copy.

use std::time::Duration;

use lettre::message::header::{HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use read_models::core_db::NotificationDoc;

/// Why a send failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct SendError {
    /// The server refused it for good (a 5xx answer, or an address that
    /// cannot be written): trying again cannot help.
    pub permanent: bool,
    /// What happened, for `last_error` (the SMTP server's answer, no
    /// credentials).
    pub message: String,
}

/// The SMTP connection pool and the sender's address.
#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    domain: String,
}

/// The header naming the notification (tests and support find an email by it).
pub const NOTIFICATION_HEADER: &str = "X-Astro-Notification-Id";

impl Mailer {
    /// A mailer for `url` (see `SMTP_URL`), sending as `from`. Must be
    /// called on a tokio runtime (the connection pool lives on it).
    pub fn new(url: &str, from: &str, timeout: Duration) -> Result<Self, String> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|e| describe(&e))?
            .timeout(Some(timeout))
            .build();
        let from: Mailbox = from
            .parse()
            .map_err(|_| "SMTP_FROM is not an address".to_owned())?;
        let domain = from.email.domain().to_owned();
        Ok(Self {
            transport,
            from,
            domain,
        })
    }

    /// Whether `url` is a usable `SMTP_URL` (the reason, without the URL,
    /// when not: it may hold a password).
    pub fn check_url(url: &str) -> Result<(), String> {
        AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map(|_| ())
            .map_err(|_| {
                "must be smtp://[user:password@]host[:port][?tls=required] or smtps://…".to_owned()
            })
    }

    /// Sends `notification`.
    pub async fn send(&self, notification: &NotificationDoc) -> Result<(), SendError> {
        let message = self.message(notification)?;
        self.transport
            .send(message)
            .await
            .map(|_| ())
            .map_err(|e| SendError {
                permanent: e.is_permanent(),
                message: describe(&e),
            })
    }

    /// Whether the SMTP server answers (for `/ready`'s report).
    pub async fn reachable(&self) -> bool {
        self.transport.test_connection().await.unwrap_or(false)
    }

    /// The email for `notification`. A failure to build it, even a panic
    /// inside lettre, is a permanent [`SendError`]: the same document
    /// would fail the same way on every attempt.
    fn message(&self, notification: &NotificationDoc) -> Result<Message, SendError> {
        contain_build(|| self.build(notification))
    }

    fn build(&self, notification: &NotificationDoc) -> Result<Message, SendError> {
        let address = notification
            .recipient
            .parse()
            .map_err(|e| permanent(format!("the recipient address is not valid: {e}")))?;
        let to = Mailbox::new(display_name(&notification.recipient_name), address);
        Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(notification.subject.clone())
            .message_id(Some(format!("<{}@{}>", notification.id, self.domain)))
            .raw_header(HeaderValue::new(
                HeaderName::new_from_ascii_str(NOTIFICATION_HEADER),
                notification.id.clone(),
            ))
            .multipart(MultiPart::alternative_plain_html(
                notification.text.clone(),
                notification.html.clone(),
            ))
            .map_err(|e| permanent(format!("the email cannot be built: {e}")))
    }
}

fn permanent(message: String) -> SendError {
    SendError {
        permanent: true,
        message,
    }
}

/// Runs `build`, turning a panic into a permanent error: lettre panics
/// (rather than failing) on some header values, and one bad document must
/// not take its send task down with it.
fn contain_build(build: impl FnOnce() -> Result<Message, SendError>) -> Result<Message, SendError> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(build)).unwrap_or_else(|payload| {
        Err(permanent(format!(
            "the email cannot be built: {}",
            panic_message(payload.as_ref())
        )))
    })
}

/// The text a panic was raised with, if it has one.
pub(crate) fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    let text = payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic".to_owned());
    bounded(text.replace(['\r', '\n'], " "))
}

/// The recipient's name as a display name that can always be written in a
/// header: names come from bookings (anyone's input), and lettre panics on
/// a line break in one. Control characters become spaces (so a name cannot
/// smuggle a header in, and reads as typed), runs of white space one space;
/// nothing left means no display name, only the address.
fn display_name(name: &str) -> Option<String> {
    let cleaned = name
        .split(|c: char| c.is_control() || c.is_whitespace())
        .filter(|word| !word.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    (!cleaned.is_empty()).then_some(cleaned)
}

/// The error with its causes, one line, bounded.
fn describe(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    bounded(text.replace(['\r', '\n'], " "))
}

/// `text`, cut to at most 500 bytes (on a character boundary).
fn bounded(mut text: String) -> String {
    if text.len() > 500 {
        let mut end = 500;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn smtp_urls_of_every_kind_are_accepted_and_nonsense_is_not() {
        for url in [
            "smtp://127.0.0.1:1025",
            "smtp://user:secret@mail.example.com:587?tls=required",
            "smtps://user:secret@mail.example.com:465",
        ] {
            assert!(Mailer::check_url(url).is_ok(), "{url}");
        }
        let refused = Mailer::check_url("http://user:secret@mail.example.com").unwrap_err();
        assert!(!refused.contains("secret"));
    }

    fn mailer() -> Mailer {
        Mailer::new(
            "smtp://127.0.0.1:1",
            "Astro <no-reply@astro.example>",
            Duration::from_secs(1),
        )
        .unwrap()
    }

    fn notification(recipient: &str, recipient_name: &str) -> NotificationDoc {
        let now = bson::DateTime::now();
        NotificationDoc {
            id: "n1".into(),
            event_id: "e".into(),
            event_type: "SeatsBooked".into(),
            kind: read_models::core_db::NotificationKind::BookingConfirmed,
            correlation_id: "c".into(),
            launch_id: "l".into(),
            booking_id: None,
            recipient: recipient.into(),
            recipient_name: recipient_name.into(),
            recipient_role: read_models::core_db::RecipientRole::Traveler,
            subject: "s".into(),
            text: "t".into(),
            html: "h".into(),
            status: read_models::core_db::NotificationStatus::Pending,
            attempts: 0,
            last_error: None,
            created_at: now,
            updated_at: now,
            next_attempt_at: Some(now),
            locked_until: None,
            holder: None,
            sent_at: None,
            dead_at: None,
            requeued: 0,
        }
    }

    #[tokio::test]
    async fn an_unwritable_address_is_a_permanent_failure() {
        let error = mailer()
            .message(&notification("not an address", "X"))
            .unwrap_err();
        assert!(error.permanent);
    }

    #[tokio::test]
    async fn a_name_with_a_line_break_is_written_as_one_quoted_display_name() {
        let message = mailer()
            .message(&notification(
                "pax@astro.example",
                "Pax\r\nBcc: x@evil.example",
            ))
            .expect("the email is built");
        let to: lettre::message::Mailboxes = message
            .headers()
            .get::<lettre::message::header::To>()
            .expect("a To header")
            .into();
        let to: Vec<_> = to.into_iter().collect();
        assert_eq!(to.len(), 1);
        assert_eq!(to[0].name.as_deref(), Some("Pax Bcc: x@evil.example"));
        let text = String::from_utf8(message.formatted()).unwrap();
        let headers = text.split("\r\n\r\n").next().unwrap();
        assert!(
            !headers.to_ascii_lowercase().contains("\r\nbcc"),
            "{headers}"
        );
        assert_eq!(message.envelope().to().len(), 1);
    }

    #[test]
    fn display_names_lose_control_characters_and_blank_ones_are_dropped() {
        assert_eq!(
            display_name(" Ada\tLovelace\u{7}\u{85} ").as_deref(),
            Some("Ada Lovelace")
        );
        assert_eq!(
            display_name("Grace Hopper").as_deref(),
            Some("Grace Hopper")
        );
        assert_eq!(display_name("\r\n \u{0}"), None);
    }

    #[test]
    fn a_build_that_panics_is_a_permanent_failure_with_its_reason() {
        let error = contain_build(|| panic!("writing `Mailboxes`\nreturned an error")).unwrap_err();
        assert!(error.permanent);
        assert_eq!(
            error.message,
            "the email cannot be built: writing `Mailboxes` returned an error"
        );
    }
}
