//! A synthetic event store: launches with their bookings and cancellations,
//! written the way the command side writes them, only faster (bulk `UNNEST`
//! inserts of 5,000 events). The benchmark's rebuild parts replay it, and
//! integration tests use it to get a large, realistic store in seconds.
//!
//! Each launch starts with `LaunchScheduled` (the first `launches` events);
//! then, in one interleaved global order, every event goes to a random
//! launch: `SeatsBooked` (1–3 passengers) or, one time in ten,
//! `BookingCancelled` (refunding 90 %, so each one is a refund) of one of
//! that launch's active bookings. Sequences are gapless per launch; payloads
//! are the externally tagged `LaunchEvent` JSON, `event_version` comes from
//! the event, `metadata` is `EventMetadata::to_map()`, and the `event_id` and
//! `occurred_at` columns match it, as in `command-api`'s append. The outbox
//! rows the trigger adds are deleted (no relay runs on the database).
//!
//! Deterministic: the same [`Spec`] gives the same events — which launch,
//! which kind, seats, holder (by index), prices, passenger names and
//! birth dates — and, with a [`Clock`] other than [`Clock::Recent`], the same
//! timestamps. Ids (launches, bookings, holders, events) are fresh UUIDv7s
//! in every run.
//!
//! The same events are folded with [`read_models::sales::apply`] as they are
//! generated, which checks them and yields the documents a sales rebuild
//! must write; [`Synthetic::years`] counts what a finance projection must
//! number per calendar year.

use std::collections::{BTreeMap, HashMap};
use std::time::Instant;

use anyhow::{bail, Context};
use chrono::{DateTime, Datelike, Duration as ChronoDuration, NaiveDate, TimeZone, Utc};
use cqrs_es::DomainEvent;
use events::{
    Actor, BookingCancelled, CancellationReason, Destination, Envelope, EventMetadata, HolderKind,
    LaunchEvent, LaunchScheduled, Passenger, SeatsBooked,
};
use read_models::sales::{self, BookingChange, BookingDoc, LaunchDoc};
use sqlx::PgConnection;
use uuid::Uuid;

/// Events per insert statement.
const BATCH: usize = 5_000;
/// Distinct travelers and agencies holding the bookings.
const HOLDERS: usize = 1_000;

/// What to build.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Spec {
    /// Events in all, `LaunchScheduled` included (at least `launches`).
    pub events: u64,
    /// Launches they are spread over (at least 1).
    pub launches: u64,
    /// When the events occur.
    pub clock: Clock,
    /// Seats of every launch; `None`: four per event of an average launch
    /// (at least 30), so that no launch sells out.
    pub capacity: Option<u32>,
}

impl Spec {
    /// `events` events over `launches` launches, on the [`Clock::Recent`]
    /// clock.
    pub fn new(events: u64, launches: u64) -> Self {
        Self {
            events,
            launches,
            clock: Clock::Recent,
            capacity: None,
        }
    }

    /// Exactly `bookings` `SeatsBooked` over `launches` launches (at least
    /// 1), on the [`Clock::Recent`] clock: `events` is found by generating
    /// the same events in memory first (cheap: no database, no fold) until
    /// the last booking, and `capacity` is fixed so that it does not depend
    /// on it.
    pub fn with_bookings(bookings: u64, launches: u64) -> Self {
        let launches = launches.max(1);
        let capacity = default_capacity(launches + 2 * bookings, launches);
        let mut spec = Self {
            events: launches,
            launches,
            clock: Clock::Recent,
            capacity: Some(capacity),
        };
        let mut generator = Generator::new(spec, Utc::now());
        let mut booked = 0;
        while booked < bookings {
            if let LaunchEvent::SeatsBooked(_) = generator.next_event().payload {
                booked += 1;
            }
        }
        spec.events = launches + generator.position as u64;
        spec
    }

    /// The same on `clock`.
    pub fn with_clock(self, clock: Clock) -> Self {
        Self { clock, ..self }
    }

    /// The same, half in `year` and half in the next ([`Clock::NewYear`]).
    pub fn across_new_year(self, year: i32) -> Self {
        self.with_clock(Clock::NewYear(year))
    }
}

/// When the events occur. Whatever the clock, the event at global position
/// `p` (1, 2, …) occurs 1 ms after the one at `p - 1`, so `occurred_at`
/// grows with the global order; `booked_at` and `cancelled_at` equal the
/// event's `occurred_at`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Clock {
    /// The last event about a minute before the build starts (not
    /// deterministic).
    Recent,
    /// The first event 1 ms after the instant given.
    After(DateTime<Utc>),
    /// Across midnight UTC from 31 December of the year given to 1 January
    /// of the next: the first `events / 2` events (rounded down; the
    /// launches' `LaunchScheduled` first) occur on 31 December, the last of
    /// them at 23:59:59.999; the rest from 1 January 00:00:00.000 on. For
    /// numbering per year across a year boundary.
    NewYear(i32),
}

impl Clock {
    /// The instant the event at position `p` occurs is `start + p` ms.
    fn start(self, events: u64) -> anyhow::Result<DateTime<Utc>> {
        let ms = |n: u64| ChronoDuration::milliseconds(i64::try_from(n).unwrap_or(i64::MAX));
        Ok(match self {
            Self::Recent => Utc::now() - ms(events) - ChronoDuration::seconds(60),
            Self::After(start) => start,
            Self::NewYear(year) => {
                let midnight = year
                    .checked_add(1)
                    .and_then(|next| Utc.with_ymd_and_hms(next, 1, 1, 0, 0, 0).single())
                    .with_context(|| format!("no 1 January after year {year}"))?;
                let half = events / 2;
                if half >= 86_400_000 {
                    bail!("{events} events at 1 ms apart do not fit in two days");
                }
                midnight - ms(half + 1)
            }
        })
    }
}

/// What was built.
#[derive(Debug)]
pub struct Synthetic {
    /// Events written.
    pub events: u64,
    /// Cancellations among them (each refunds 90 %).
    pub cancellations: u64,
    /// The launch documents a sales rebuild must produce.
    pub launches: Vec<LaunchDoc>,
    /// The booking documents a sales rebuild must produce (one per
    /// `SeatsBooked`).
    pub bookings: Vec<BookingDoc>,
    /// Per calendar year (UTC) of `occurred_at`: what happened.
    pub years: BTreeMap<i32, YearTally>,
    /// The first and last event's `occurred_at`.
    pub occurred: (DateTime<Utc>, DateTime<Utc>),
    /// Seconds to generate and insert.
    pub secs: f64,
}

/// The events of one calendar year (UTC) of a [`Synthetic`] store.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct YearTally {
    /// Events of any kind.
    pub events: u64,
    /// `LaunchScheduled` events.
    pub scheduled: u64,
    /// `SeatsBooked` events: the invoices of the year.
    pub bookings: u64,
    /// `BookingCancelled` events, every one refunding: the credit notes of
    /// the year.
    pub cancellations: u64,
}

/// SplitMix64: a small, fast, deterministic generator (the data is the same
/// in every run).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (`n > 0`).
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

struct Active {
    booking_id: Uuid,
    holder_id: Uuid,
    holder_kind: HolderKind,
    seats: u32,
    total_cents: i64,
}

struct LaunchState {
    uuid: Uuid,
    id: String,
    sequence: u64,
    free_seats: u64,
    price_cents: i64,
    active: Vec<Active>,
}

/// The columns of a batch of events, for one `UNNEST` insert.
#[derive(Default)]
struct Batch {
    aggregate_ids: Vec<String>,
    sequences: Vec<i64>,
    types: Vec<String>,
    versions: Vec<String>,
    payloads: Vec<String>,
    metadatas: Vec<String>,
    event_ids: Vec<Uuid>,
    occurred_at: Vec<DateTime<Utc>>,
}

impl Batch {
    fn push(&mut self, event: &Envelope<LaunchEvent>) -> anyhow::Result<()> {
        self.aggregate_ids.push(event.aggregate_id.clone());
        self.sequences.push(i64::try_from(event.sequence)?);
        self.types.push(event.payload.event_type());
        self.versions.push(event.payload.event_version());
        self.payloads.push(serde_json::to_string(&event.payload)?);
        self.metadatas
            .push(serde_json::to_string(&event.metadata.to_map())?);
        self.event_ids.push(event.metadata.event_id);
        self.occurred_at.push(event.metadata.occurred_at);
        Ok(())
    }

    fn len(&self) -> usize {
        self.sequences.len()
    }

    async fn insert(&mut self, conn: &mut PgConnection) -> anyhow::Result<()> {
        if self.len() == 0 {
            return Ok(());
        }
        // `ORDER BY n` keeps the global positions in generation order.
        sqlx::query(
            "INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type, event_version,
                                 payload, metadata, event_id, occurred_at)
             SELECT 'Launch', a, s, t, v, p::json, m::json, e, o
               FROM UNNEST($1::text[], $2::bigint[], $3::text[], $4::text[], $5::text[],
                           $6::text[], $7::uuid[], $8::timestamptz[])
                    WITH ORDINALITY AS x(a, s, t, v, p, m, e, o, n)
              ORDER BY n",
        )
        .bind(&self.aggregate_ids)
        .bind(&self.sequences)
        .bind(&self.types)
        .bind(&self.versions)
        .bind(&self.payloads)
        .bind(&self.metadatas)
        .bind(&self.event_ids)
        .bind(&self.occurred_at)
        .execute(&mut *conn)
        .await
        .context("inserting synthetic events")?;
        *self = Self::default();
        Ok(())
    }
}

/// The generator's state: launches, holders, the fold, the clock.
struct Generator {
    rng: Rng,
    launches: Vec<LaunchState>,
    holders: Vec<(Uuid, HolderKind)>,
    operations: Actor,
    start: DateTime<Utc>,
    capacity: u32,
    departure_at: DateTime<Utc>,
    rocket_id: Uuid,
    position: i64,
    cancellations: u64,
    folded: HashMap<String, Option<LaunchDoc>>,
    bookings: HashMap<String, BookingDoc>,
    years: BTreeMap<i32, YearTally>,
}

/// Four seats per event of an average launch, at least 30.
fn default_capacity(events: u64, launches: u64) -> u32 {
    u32::try_from((4 * events / launches.max(1)).max(30)).unwrap_or(u32::MAX)
}

impl Generator {
    /// The state before the first event of `spec`, the event at position
    /// `p` occurring at `start + p` ms. Every random choice is drawn from
    /// the one seeded generator, in the same order on every run.
    fn new(spec: Spec, start: DateTime<Utc>) -> Self {
        let capacity = spec
            .capacity
            .unwrap_or_else(|| default_capacity(spec.events, spec.launches));
        let mut rng = Rng(0x0A57_20B0_0C1E_2026);
        let holders = (0..HOLDERS)
            .map(|i| {
                let kind = if i % 5 == 0 {
                    HolderKind::Agency
                } else {
                    HolderKind::Traveler
                };
                (Uuid::now_v7(), kind)
            })
            .collect();
        let launches = (0..spec.launches)
            .map(|_| {
                let uuid = Uuid::now_v7();
                LaunchState {
                    uuid,
                    id: uuid.to_string(),
                    sequence: 0,
                    free_seats: u64::from(capacity),
                    price_cents: 50_000_000 + 1_000_000 * rng.below(100) as i64,
                    active: Vec::new(),
                }
            })
            .collect();
        let last = start + ChronoDuration::milliseconds(spec.events as i64);
        Self {
            rng,
            launches,
            holders,
            operations: Actor {
                id: Uuid::now_v7().to_string(),
                role: "employee:operations".into(),
            },
            start,
            capacity,
            departure_at: last + ChronoDuration::days(400),
            rocket_id: Uuid::now_v7(),
            position: 0,
            cancellations: 0,
            folded: HashMap::new(),
            bookings: HashMap::new(),
            years: BTreeMap::new(),
        }
    }

    /// The next event's envelope, at the next global position.
    fn envelope(
        &mut self,
        launch: usize,
        payload: LaunchEvent,
        actor: &Actor,
    ) -> Envelope<LaunchEvent> {
        self.position += 1;
        let state = &mut self.launches[launch];
        state.sequence += 1;
        let occurred_at = self.start + ChronoDuration::milliseconds(self.position);
        let metadata = EventMetadata::for_command(
            occurred_at,
            &Uuid::now_v7().to_string(),
            &Uuid::now_v7().to_string(),
            actor,
        );
        Envelope {
            aggregate_type: "Launch".into(),
            aggregate_id: state.id.clone(),
            sequence: state.sequence,
            global_position: self.position,
            event_type: payload.event_type(),
            event_version: payload.event_version(),
            metadata,
            payload,
        }
    }

    fn scheduled(&mut self, launch: usize) -> Envelope<LaunchEvent> {
        let capacity = self.capacity;
        let state = &self.launches[launch];
        let payload = LaunchEvent::LaunchScheduled(LaunchScheduled {
            launch_id: state.uuid,
            rocket_id: self.rocket_id,
            rocket_name: "Bench Heavy".into(),
            spaceport: "Bench Port".into(),
            destination: Destination::Moon,
            departure_at: self.departure_at + ChronoDuration::hours(launch as i64),
            price_per_seat_cents: state.price_cents,
            capacity,
        });
        let actor = self.operations.clone();
        self.envelope(launch, payload, &actor)
    }

    /// A booking or a cancellation on a random launch.
    fn next_event(&mut self) -> Envelope<LaunchEvent> {
        let launch = self.rng.below(self.launches.len() as u64) as usize;
        let cancel = !self.launches[launch].active.is_empty()
            && (self.rng.below(10) == 0 || self.launches[launch].free_seats < 3);
        if cancel {
            self.cancellation(launch)
        } else {
            self.booking(launch)
        }
    }

    fn booking(&mut self, launch: usize) -> Envelope<LaunchEvent> {
        let seats = 1 + self.rng.below(3) as u32;
        let (holder_id, holder_kind) = self.holders[self.rng.below(HOLDERS as u64) as usize];
        let born = NaiveDate::from_ymd_opt(1960, 1, 1).unwrap_or_default();
        let passengers = (0..seats)
            .map(|i| Passenger {
                name: format!("Bench Passenger {}-{i}", self.position + 1),
                birth_date: born + ChronoDuration::days(self.rng.below(12_000) as i64),
                email: (i == 0).then(|| format!("passenger{}@bench.test", self.position + 1)),
            })
            .collect();
        let booking_id = Uuid::now_v7();
        let state = &mut self.launches[launch];
        let total_cents = i64::from(seats) * state.price_cents;
        state.free_seats -= u64::from(seats);
        state.active.push(Active {
            booking_id,
            holder_id,
            holder_kind,
            seats,
            total_cents,
        });
        let payload = LaunchEvent::SeatsBooked(SeatsBooked {
            booking_id,
            holder_id,
            holder_kind,
            passengers,
            seats,
            unit_price_cents: state.price_cents,
            total_cents,
            booked_at: self.start + ChronoDuration::milliseconds(self.position + 1),
        });
        let actor = holder_actor(holder_id, holder_kind);
        self.envelope(launch, payload, &actor)
    }

    fn cancellation(&mut self, launch: usize) -> Envelope<LaunchEvent> {
        let pick = self.rng.below(self.launches[launch].active.len() as u64) as usize;
        let state = &mut self.launches[launch];
        let booking = state.active.swap_remove(pick);
        state.free_seats += u64::from(booking.seats);
        self.cancellations += 1;
        let payload = LaunchEvent::BookingCancelled(BookingCancelled {
            booking_id: booking.booking_id,
            holder_id: booking.holder_id,
            seats_released: booking.seats,
            refund_percent: 90,
            refund_cents: booking.total_cents * 90 / 100,
            reason: CancellationReason::HolderCancelled,
            cancelled_at: self.start + ChronoDuration::milliseconds(self.position + 1),
        });
        let actor = holder_actor(booking.holder_id, booking.holder_kind);
        self.envelope(launch, payload, &actor)
    }

    /// Applies `event` to the in-memory read model, as a rebuild does.
    fn fold(&mut self, event: &Envelope<LaunchEvent>) -> anyhow::Result<()> {
        let tally = self
            .years
            .entry(event.metadata.occurred_at.year())
            .or_default();
        tally.events += 1;
        match &event.payload {
            LaunchEvent::LaunchScheduled(_) => tally.scheduled += 1,
            LaunchEvent::SeatsBooked(_) => tally.bookings += 1,
            LaunchEvent::BookingCancelled(_) => tally.cancellations += 1,
            _ => {}
        }
        let launch = self.folded.entry(event.aggregate_id.clone()).or_default();
        match sales::apply(launch, event).context("the synthetic events do not fold")? {
            None => {}
            Some(BookingChange::Insert(booking)) => {
                self.bookings.insert(booking.id.clone(), booking);
            }
            Some(BookingChange::Cancel { booking_id, set }) => {
                match self.bookings.get_mut(&booking_id) {
                    Some(booking) => set.apply_to(booking),
                    None => bail!("a synthetic cancellation of unknown booking {booking_id}"),
                }
            }
        }
        Ok(())
    }
}

fn holder_actor(id: Uuid, kind: HolderKind) -> Actor {
    Actor {
        id: id.to_string(),
        role: match kind {
            HolderKind::Traveler => "traveler",
            HolderKind::Agency => "agency",
        }
        .into(),
    }
}

/// Writes `events` events over `launches` launches into the (migrated,
/// empty) event store on `conn`, on the [`Clock::Recent`] clock:
/// `build_with(conn, Spec::new(events, launches))`.
pub async fn build(
    conn: &mut PgConnection,
    events: u64,
    launches: u64,
) -> anyhow::Result<Synthetic> {
    build_with(conn, Spec::new(events, launches)).await
}

/// Writes the store `spec` describes into the (migrated, empty) event store
/// on `conn`.
pub async fn build_with(conn: &mut PgConnection, spec: Spec) -> anyhow::Result<Synthetic> {
    let Spec {
        events,
        launches,
        clock,
        capacity: _,
    } = spec;
    if launches == 0 || events < launches {
        bail!("a synthetic store needs at least one launch and an event per launch ({events} events, {launches} launches)");
    }
    let started = Instant::now();
    let start = clock.start(events)?;
    let last = start + ChronoDuration::milliseconds(events as i64);
    let mut generator = Generator::new(spec, start);
    let mut batch = Batch::default();
    for i in 0..events {
        let event = if i < launches {
            generator.scheduled(i as usize)
        } else {
            generator.next_event()
        };
        generator.fold(&event)?;
        batch.push(&event)?;
        if batch.len() == BATCH {
            batch.insert(conn).await?;
        }
    }
    batch.insert(conn).await?;
    sqlx::query("DELETE FROM outbox")
        .execute(&mut *conn)
        .await?;
    // Readers then find the visibility map and hint bits set, as on a
    // store that has been running for a while.
    sqlx::query("VACUUM (ANALYZE) events")
        .execute(&mut *conn)
        .await?;
    let stored: i64 =
        sqlx::query_scalar("SELECT count(*) FROM events WHERE aggregate_type = 'Launch'")
            .fetch_one(&mut *conn)
            .await?;
    if stored != events as i64 {
        bail!("the synthetic store holds {stored} events, not {events}");
    }
    // In a stable order: launches by id, bookings as booked.
    let mut launch_docs: Vec<LaunchDoc> = generator.folded.into_values().flatten().collect();
    launch_docs.sort_by(|a, b| a.id.cmp(&b.id));
    let mut bookings: Vec<BookingDoc> = generator.bookings.into_values().collect();
    bookings.sort_by_key(|b| b.booked_at);
    Ok(Synthetic {
        events,
        cancellations: generator.cancellations,
        launches: launch_docs,
        bookings,
        years: generator.years,
        occurred: (start + ChronoDuration::milliseconds(1), last),
        secs: started.elapsed().as_secs_f64(),
    })
}

#[cfg(test)]
mod tests {
    use chrono::{Datelike, Duration, TimeZone, Timelike, Utc};

    use super::{Clock, Rng, Spec};

    #[test]
    fn the_generator_is_deterministic_and_bounded() {
        let (mut a, mut b) = (Rng(7), Rng(7));
        for _ in 0..1000 {
            let x = a.below(3);
            assert_eq!(x, b.below(3));
            assert!(x < 3);
        }
    }

    #[test]
    fn the_new_year_clock_puts_half_the_events_in_each_year() {
        for events in [2_u64, 11, 100_000] {
            let start = Clock::NewYear(2025).start(events).unwrap();
            let at = |p: u64| start + Duration::milliseconds(p as i64);
            let half = events / 2;
            let last_of_year = at(half);
            assert_eq!(
                (
                    last_of_year.year(),
                    last_of_year.month(),
                    last_of_year.day()
                ),
                (2025, 12, 31)
            );
            assert_eq!(last_of_year.nanosecond(), 999_000_000);
            assert_eq!(
                at(half + 1),
                Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap()
            );
            assert_eq!(at(1).year(), 2025);
            assert_eq!(at(events).year(), 2026);
        }
        let given = Utc.with_ymd_and_hms(2030, 6, 1, 12, 0, 0).unwrap();
        assert_eq!(Clock::After(given).start(10).unwrap(), given);
        assert!(Clock::NewYear(2025).start(200_000_000).is_err());
    }

    #[test]
    fn a_number_of_bookings_gives_the_same_events_every_time() {
        let spec = Spec::with_bookings(1_000, 5);
        assert_eq!(spec, Spec::with_bookings(1_000, 5));
        assert_eq!(spec.launches, 5);
        // About one cancellation in ten events.
        assert!(
            spec.events > 1_005 + 50 && spec.events < 1_005 + 200,
            "{spec:?}"
        );
        assert_eq!(Spec::with_bookings(0, 3).events, 3);
        let later = spec.across_new_year(2025);
        assert_eq!((later.events, later.capacity), (spec.events, spec.capacity));
    }
}
