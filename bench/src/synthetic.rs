//! A synthetic event store for the rebuild benchmark: launches with their
//! bookings and cancellations, written the way the command side writes
//! them, only faster (bulk `UNNEST` inserts of 5,000 events).
//!
//! Each launch starts with `LaunchScheduled`; then, in one interleaved
//! global order, every event goes to a random launch: `SeatsBooked` (1–3
//! passengers) or, one time in ten, `BookingCancelled` of one of that
//! launch's active bookings. Sequences are gapless per launch; payloads are
//! the externally tagged `LaunchEvent` JSON, `event_version` comes from the
//! event, `metadata` is `EventMetadata::to_map()`, and the `event_id` and
//! `occurred_at` columns match it, as in `command-api`'s append. The outbox
//! rows the trigger adds are deleted (no relay runs on this database).
//!
//! The same events are folded with [`read_models::sales::apply`] as they
//! are generated, which checks them and yields the documents a rebuild must
//! write (for the raw insert baseline).

use std::collections::HashMap;
use std::time::Instant;

use anyhow::{bail, Context};
use chrono::{DateTime, Duration as ChronoDuration, NaiveDate, Utc};
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

/// What was built.
#[derive(Debug)]
pub struct Synthetic {
    /// Events written.
    pub events: u64,
    /// Cancellations among them.
    pub cancellations: u64,
    /// The launch documents a rebuild must produce.
    pub launches: Vec<LaunchDoc>,
    /// The booking documents a rebuild must produce.
    pub bookings: Vec<BookingDoc>,
    /// Seconds to generate and insert.
    pub secs: f64,
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
    departure_at: DateTime<Utc>,
    rocket_id: Uuid,
    position: i64,
    cancellations: u64,
    folded: HashMap<String, Option<LaunchDoc>>,
    bookings: HashMap<String, BookingDoc>,
}

impl Generator {
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

    fn scheduled(&mut self, launch: usize, capacity: u32) -> Envelope<LaunchEvent> {
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
/// empty) event store on `conn`.
pub async fn build(
    conn: &mut PgConnection,
    events: u64,
    launches: u64,
) -> anyhow::Result<Synthetic> {
    let started = Instant::now();
    let now = Utc::now();
    // Four seats per event of an average launch: a launch never sells out.
    let capacity = u32::try_from((4 * events / launches).max(30)).unwrap_or(u32::MAX);
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
    let launch_states = (0..launches)
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
    let mut generator = Generator {
        rng,
        launches: launch_states,
        holders,
        operations: Actor {
            id: Uuid::now_v7().to_string(),
            role: "employee:operations".into(),
        },
        start: now - ChronoDuration::milliseconds(events as i64 + 60_000),
        departure_at: now + ChronoDuration::days(400),
        rocket_id: Uuid::now_v7(),
        position: 0,
        cancellations: 0,
        folded: HashMap::new(),
        bookings: HashMap::new(),
    };
    let mut batch = Batch::default();
    for i in 0..events {
        let event = if i < launches {
            generator.scheduled(i as usize, capacity)
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
    Ok(Synthetic {
        events,
        cancellations: generator.cancellations,
        launches: generator.folded.into_values().flatten().collect(),
        bookings: generator.bookings.into_values().collect(),
        secs: started.elapsed().as_secs_f64(),
    })
}

#[cfg(test)]
mod tests {
    use super::Rng;

    #[test]
    fn the_generator_is_deterministic_and_bounded() {
        let (mut a, mut b) = (Rng(7), Rng(7));
        for _ in 0..1000 {
            let x = a.below(3);
            assert_eq!(x, b.below(3));
            assert!(x < 3);
        }
    }
}
