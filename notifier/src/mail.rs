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

    fn message(&self, notification: &NotificationDoc) -> Result<Message, SendError> {
        let permanent = |message: String| SendError {
            permanent: true,
            message,
        };
        let address = notification
            .recipient
            .parse()
            .map_err(|e| permanent(format!("the recipient address is not valid: {e}")))?;
        let to = Mailbox::new(Some(notification.recipient_name.clone()), address);
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

/// The error with its causes, one line, bounded.
fn describe(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    let mut text = text.replace(['\r', '\n'], " ");
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

    #[tokio::test]
    async fn an_unwritable_address_is_a_permanent_failure() {
        let mailer = Mailer::new(
            "smtp://127.0.0.1:1",
            "Astro <no-reply@astro.example>",
            Duration::from_secs(1),
        )
        .unwrap();
        let now = bson::DateTime::now();
        let doc = NotificationDoc {
            id: "n1".into(),
            event_id: "e".into(),
            event_type: "SeatsBooked".into(),
            kind: read_models::core_db::NotificationKind::BookingConfirmed,
            correlation_id: "c".into(),
            launch_id: "l".into(),
            booking_id: None,
            recipient: "not an address".into(),
            recipient_name: "X".into(),
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
        };
        let error = mailer.message(&doc).unwrap_err();
        assert!(error.permanent);
    }
}
