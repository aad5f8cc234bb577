//! After the load: waiting until the system has settled, and the
//! invariants, each one check that passes or fails.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;
use std::time::Duration;

use anyhow::Context;
use bson::doc;
use events::LaunchEvent;
use futures::TryStreamExt;
use read_models::core_db::{notification_id, NotificationDoc, NOTIFICATIONS};
use read_models::sales::{LaunchDoc, LAUNCHES};
use sqlx::PgPool;
use uuid::Uuid;

/// One invariant's verdict.
#[derive(Debug, Clone)]
pub struct Check {
    /// What it asserts.
    pub name: &'static str,
    /// Whether it held.
    pub passed: bool,
    /// Figures, or what was violated.
    pub detail: String,
}

impl Check {
    /// A check that holds when `passed`.
    pub fn new(name: &'static str, passed: bool, detail: impl Into<String>) -> Self {
        Self {
            name,
            passed,
            detail: detail.into(),
        }
    }
}

/// The event store, folded as the checks need it.
#[derive(Debug, Default)]
pub struct Store {
    /// Capacity of each launch.
    pub capacity: BTreeMap<Uuid, i64>,
    /// Every booking: its launch, seats and the `SeatsBooked` event.
    pub bookings: HashMap<Uuid, StoredBooking>,
    /// Every cancelled booking, with the refund.
    pub cancellations: HashMap<Uuid, i64>,
    /// `(event id, recipient)` of every email the events call for.
    pub emails: Vec<(Uuid, String)>,
}

/// A booking as the event store has it.
#[derive(Debug, Clone)]
pub struct StoredBooking {
    /// Its launch.
    pub launch: Uuid,
    /// Its seats.
    pub seats: i64,
    /// Whether a `BookingCancelled` released them.
    pub cancelled: bool,
}

/// Reads every `Launch` event in global order; `holders` maps a holder id
/// to the address its emails go to.
pub async fn read_store(pool: &PgPool, holders: &HashMap<Uuid, String>) -> anyhow::Result<Store> {
    let rows: Vec<(Uuid, String, String)> = sqlx::query_as(
        "SELECT event_id, aggregate_id, payload::text FROM events
          WHERE aggregate_type = 'Launch' ORDER BY global_position",
    )
    .fetch_all(pool)
    .await
    .context("reading the event store")?;
    let mut store = Store::default();
    let mut passengers: HashMap<Uuid, Vec<String>> = HashMap::new();
    for (event_id, aggregate, payload) in rows {
        let launch: Uuid = aggregate.parse().context("a launch id")?;
        let event: LaunchEvent =
            serde_json::from_str(&payload).with_context(|| format!("decoding event {event_id}"))?;
        let holder_email = |id: &Uuid| holders.get(id).cloned().unwrap_or_else(|| id.to_string());
        match event {
            LaunchEvent::LaunchScheduled(e) => {
                store.capacity.insert(launch, e.capacity.into());
            }
            LaunchEvent::SeatsBooked(e) => {
                let mut to: Vec<String> = e
                    .passengers
                    .iter()
                    .filter_map(|p| p.email.clone())
                    .collect();
                passengers.insert(e.booking_id, to.clone());
                to.push(holder_email(&e.holder_id));
                push_recipients(&mut store.emails, event_id, to);
                store.bookings.insert(
                    e.booking_id,
                    StoredBooking {
                        launch,
                        seats: e.seats.into(),
                        cancelled: false,
                    },
                );
            }
            LaunchEvent::BookingCancelled(e) => {
                let mut to = passengers.get(&e.booking_id).cloned().unwrap_or_default();
                to.push(holder_email(&e.holder_id));
                push_recipients(&mut store.emails, event_id, to);
                store.cancellations.insert(e.booking_id, e.refund_cents);
                if let Some(b) = store.bookings.get_mut(&e.booking_id) {
                    b.cancelled = true;
                }
            }
            _ => {}
        }
    }
    Ok(store)
}

/// One email per distinct address of an event (the notifier's rule).
fn push_recipients(emails: &mut Vec<(Uuid, String)>, event_id: Uuid, to: Vec<String>) {
    let distinct: HashSet<String> = to.into_iter().map(|a| a.trim().to_lowercase()).collect();
    emails.extend(distinct.into_iter().map(|a| (event_id, a)));
}

/// Emails received, by `X-Astro-Notification-Id`, read from the `.eml`
/// files maildev keeps in `dir` (written before it acknowledges a message,
/// kept across its restarts).
pub fn emails_received(dir: &Path) -> anyhow::Result<HashMap<String, u32>> {
    let mut counts = HashMap::new();
    for entry in std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "eml") {
            let text = std::fs::read_to_string(&path)
                .with_context(|| format!("reading {}", path.display()))?;
            let id = notification_header(&text).unwrap_or_else(|| "(no id)".to_owned());
            *counts.entry(id).or_default() += 1;
        }
    }
    Ok(counts)
}

/// The `X-Astro-Notification-Id` of a raw email, from its header block.
pub fn notification_header(raw: &str) -> Option<String> {
    raw.lines()
        .take_while(|line| !line.trim().is_empty())
        .find_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.trim()
                .eq_ignore_ascii_case("x-astro-notification-id")
                .then(|| value.trim().to_owned())
        })
}

/// What the emails show against what the events call for.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct EmailTally {
    /// `(event, recipient)` pairs the events call for.
    pub expected: usize,
    /// Pairs with no email.
    pub missing: Vec<String>,
    /// Emails beyond the first of a pair (at-least-once delivery allows them).
    pub duplicates: u32,
    /// Pairs received more than once.
    pub duplicated_pairs: usize,
    /// Emails that match no expected pair.
    pub unexpected: u32,
}

/// Compares the emails `received` (by notification id) with the `expected`
/// `(event, recipient)` pairs.
pub fn tally_emails(expected: &[(Uuid, String)], received: &HashMap<String, u32>) -> EmailTally {
    let mut tally = EmailTally {
        expected: expected.len(),
        ..EmailTally::default()
    };
    let mut known = HashSet::new();
    for (event, recipient) in expected {
        let id = notification_id(event, recipient);
        match received.get(&id).copied().unwrap_or(0) {
            0 => tally.missing.push(format!("{event} → {recipient}")),
            1 => {}
            n => {
                tally.duplicates += n - 1;
                tally.duplicated_pairs += 1;
            }
        }
        known.insert(id);
    }
    tally.unexpected = received
        .iter()
        .filter(|(id, _)| !known.contains(id.as_str()))
        .map(|(_, n)| n)
        .sum();
    tally
}

/// Seats in MongoDB `sales.launches` against the fold of the event store,
/// for every launch; returns the differences.
pub async fn seat_differences(
    sales: &mongodb::Database,
    store: &Store,
) -> anyhow::Result<Vec<String>> {
    let docs: Vec<LaunchDoc> = sales
        .collection::<LaunchDoc>(LAUNCHES)
        .find(doc! {})
        .await?
        .try_collect()
        .await
        .context("reading sales.launches")?;
    let docs: HashMap<String, LaunchDoc> = docs.into_iter().map(|d| (d.id.clone(), d)).collect();
    let mut differences = Vec::new();
    for (launch, capacity) in &store.capacity {
        let active: Vec<&StoredBooking> = store
            .bookings
            .values()
            .filter(|b| b.launch == *launch && !b.cancelled)
            .collect();
        let seats: i64 = active.iter().map(|b| b.seats).sum();
        let Some(doc) = docs.get(&launch.to_string()) else {
            differences.push(format!("launch {launch}: no document in MongoDB"));
            continue;
        };
        let want = (seats, capacity - seats, active.len() as i64);
        let got = (doc.seats_booked, doc.free_seats, doc.active_bookings);
        if want != got {
            differences.push(format!(
                "launch {launch}: event store (booked, free, active) = {want:?}, MongoDB {got:?}"
            ));
        }
    }
    Ok(differences)
}

/// Notifications in `core.notifications` by status.
pub async fn notification_statuses(
    core: &mongodb::Database,
) -> anyhow::Result<BTreeMap<String, u64>> {
    let docs: Vec<NotificationDoc> = core
        .collection::<NotificationDoc>(NOTIFICATIONS)
        .find(doc! {})
        .await?
        .try_collect()
        .await
        .context("reading core.notifications")?;
    let mut by_status = BTreeMap::new();
    for doc in docs {
        *by_status.entry(doc.status.as_str().to_owned()).or_default() += 1;
    }
    Ok(by_status)
}

/// Waits, polling every 250 ms for at most `timeout`, until `condition`
/// answers `Ok(None)`; returns the last reason it gave for not holding.
pub async fn settle<F, Fut>(timeout: Duration, mut condition: F) -> Result<(), String>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<Option<String>>>,
{
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        let why = match condition().await {
            Ok(None) => return Ok(()),
            Ok(Some(why)) => why,
            Err(e) => format!("{e:#}"),
        };
        if tokio::time::Instant::now() > deadline {
            return Err(why);
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_notification_id_is_read_from_the_header_block_only() {
        let raw = "From: a@b\r\nX-Astro-Notification-Id: abc-123\r\nSubject: s\r\n\r\nX-Astro-Notification-Id: body";
        assert_eq!(notification_header(raw).as_deref(), Some("abc-123"));
        let lower = "x-astro-notification-id:  xyz \n\nbody";
        assert_eq!(notification_header(lower).as_deref(), Some("xyz"));
        assert_eq!(
            notification_header("Subject: s\n\nX-Astro-Notification-Id: x"),
            None
        );
    }

    #[test]
    fn emails_are_tallied_as_missing_duplicated_or_unexpected_per_event_and_recipient() {
        let (e1, e2) = (Uuid::now_v7(), Uuid::now_v7());
        let expected = vec![
            (e1, "a@x.example".to_owned()),
            (e1, "b@x.example".to_owned()),
            (e2, "a@x.example".to_owned()),
        ];
        let received = HashMap::from([
            (notification_id(&e1, "a@x.example"), 1),
            (notification_id(&e1, "b@x.example"), 3),
            ("someone-else".to_owned(), 2),
        ]);
        let tally = tally_emails(&expected, &received);
        assert_eq!(tally.expected, 3);
        assert_eq!(tally.missing, vec![format!("{e2} → a@x.example")]);
        assert_eq!(tally.duplicates, 2);
        assert_eq!(tally.duplicated_pairs, 1);
        assert_eq!(tally.unexpected, 2);
    }

    #[test]
    fn an_address_in_two_roles_of_one_event_is_expected_once() {
        let mut emails = Vec::new();
        let event = Uuid::now_v7();
        push_recipients(
            &mut emails,
            event,
            vec![
                "A@x.example".into(),
                "a@x.example ".into(),
                "b@x.example".into(),
            ],
        );
        emails.sort();
        assert_eq!(
            emails,
            vec![(event, "a@x.example".into()), (event, "b@x.example".into())]
        );
    }
}
