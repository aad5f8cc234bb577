//! Login throttling, in MongoDB (`core.login_throttle`) so that every
//! replica sees the same counts. See `docs/auth.md` ("Rate limiting").
//!
//! Every login attempt is counted against three keys: the (account, client
//! address) pair, the client address over all accounts, and the account over
//! all addresses. Each key lets a number of failures through freely; after
//! that, each further attempt must wait a delay that doubles with every
//! failure (capped), so there is no hard lockout, and the delay a stranger
//! causes at their own address does not reach the owner at theirs.
//!
//! An attempt *reserves* its place before the password is checked: one
//! atomic `$inc` of the key's `in_flight`, whose result decides. So under
//! any concurrency at most `allowed` checks run per key; the others are
//! refused (429) without spending argon2 time, and give their place back.

use std::future::IntoFuture;
use std::time::Duration;

use bson::{doc, DateTime};
use mongodb::options::{IndexOptions, ReturnDocument};
use mongodb::{Collection, Database, IndexModel};
use serde::{Deserialize, Serialize};

/// The collection.
pub const COLLECTION: &str = "login_throttle";

/// How long a reservation keeps its key's document alive (at most
/// [`Limits::window`]): longer than any password check, so that a document
/// never expires under an attempt in flight (whose release would then land
/// on a fresh count).
pub const LEASE: Duration = Duration::from_secs(60);

/// How many failures each key tolerates, and the delays after them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Failures of one account from one address before delays start.
    pub per_pair: u32,
    /// Failures from one address (all accounts) before delays start.
    pub per_address: u32,
    /// Failures of one account (all addresses) before delays start: a
    /// ceiling against guessing spread over many addresses.
    pub per_account: u32,
    /// The delay after the first failure beyond the free ones; it doubles
    /// with each further failure.
    pub base_delay: Duration,
    /// The longest delay.
    pub max_delay: Duration,
    /// How long a key's failures are remembered: from its first attempt,
    /// and after the end of its latest delay.
    pub window: Duration,
}

impl Default for Limits {
    /// The production defaults (see `docs/configuration.md`).
    fn default() -> Self {
        Self {
            per_pair: 5,
            per_address: 20,
            per_account: 100,
            base_delay: Duration::from_secs(5),
            max_delay: Duration::from_secs(900),
            window: Duration::from_secs(900),
        }
    }
}

impl Limits {
    /// The failures `scope` lets through before delays start.
    pub fn free(&self, scope: Scope) -> i64 {
        i64::from(match scope {
            Scope::Pair => self.per_pair,
            Scope::Address => self.per_address,
            Scope::Account => self.per_account,
        })
    }

    /// The delay after the `step`th failure beyond the free ones (from 1):
    /// `base_delay · 2^(step-1)`, at most `max_delay`.
    pub fn delay(&self, step: i64) -> Duration {
        let doublings = u32::try_from(step.saturating_sub(1).clamp(0, 63)).unwrap_or(63);
        self.base_delay
            .checked_mul(2u32.saturating_pow(doublings.min(31)))
            .unwrap_or(self.max_delay)
            .min(self.max_delay)
    }
}

/// What is counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// One account (normalized email, whether it exists or not) from one
    /// client address.
    Pair,
    /// One client address.
    Address,
    /// One account, from anywhere.
    Account,
}

impl Scope {
    /// The label used in metrics and keys.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pair => "pair",
            Self::Address => "address",
            Self::Account => "account",
        }
    }
}

/// The key of one login's counter in `scope`: `pair:<email> <address>`,
/// `address:<address>` or `account:<email>` (the address, last, has no
/// space, so a pair key is unambiguous whatever was typed as the email).
pub fn key(scope: Scope, account: &str, address: &str) -> String {
    match scope {
        Scope::Pair => format!("pair:{account} {address}"),
        Scope::Address => format!("address:{address}"),
        Scope::Account => format!("account:{account}"),
    }
}

/// The counter of one key, as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Counter {
    /// See [`key`].
    #[serde(rename = "_id")]
    pub key: String,
    /// Attempts reserved and not yet settled (password checks running).
    pub in_flight: i64,
    /// Failed attempts remembered.
    pub failures: i64,
    /// How many failures plus attempts in flight may be reached: the free
    /// failures, then one more at the end of each delay.
    pub allowed: i64,
    /// No attempt before this instant.
    pub blocked_until: DateTime,
    /// When the document may be forgotten (the TTL index's field).
    pub expires: DateTime,
}

impl Counter {
    /// A key's first document, with the reservation of its first attempt.
    pub fn fresh(key: String, free: i64, now: DateTime, limits: &Limits) -> Self {
        Self {
            key,
            in_flight: 1,
            failures: 0,
            allowed: free,
            blocked_until: DateTime::from_millis(0),
            expires: after(now, limits.window),
        }
    }
}

/// `now + duration`.
fn after(now: DateTime, duration: Duration) -> DateTime {
    let millis = i64::try_from(duration.as_millis()).unwrap_or(i64::MAX / 2);
    DateTime::from_millis(now.timestamp_millis().saturating_add(millis))
}

/// Whether the attempt whose reservation left `counter` (its own place
/// included) may check the password: `Err(retry_after)` in whole seconds
/// when not, because the key is in a delay (until its end) or its places
/// are taken by checks in flight (1 s: they end soon).
pub fn admit(counter: &Counter, now: DateTime) -> Result<(), u64> {
    let blocked_ms = counter.blocked_until.timestamp_millis() - now.timestamp_millis();
    if blocked_ms > 0 {
        return Err((blocked_ms as u64).div_ceil(1_000).max(1));
    }
    if counter.failures + counter.in_flight > counter.allowed {
        return Err(1);
    }
    Ok(())
}

/// The delay a failure starts: after the failure that left `counter`, when
/// the key has used all its allowed places, the next one comes after
/// [`Limits::delay`] of the failures beyond `free`. Returns the delay's end
/// and the new `allowed` (one more attempt after it).
pub fn delay_after(
    counter: &Counter,
    free: i64,
    limits: &Limits,
    now: DateTime,
) -> Option<(DateTime, i64)> {
    (counter.failures >= counter.allowed).then(|| {
        let step = counter.failures - free + 1;
        (after(now, limits.delay(step)), counter.failures + 1)
    })
}

/// Whether a login may check its password.
#[derive(Debug)]
pub enum Decision {
    /// Go on: the reservation, to settle with [`Throttle::failed`] or
    /// [`Throttle::succeeded`] (dropped unsettled, it is given back).
    Allow(Attempt),
    /// Refuse with 429: `scope` is throttled for `retry_after` more seconds.
    Refuse {
        /// The key that refused (the longest wait when several did).
        scope: Scope,
        /// Whole seconds, at least 1.
        retry_after: u64,
    },
}

/// The keys an attempt has reserved a place in.
#[derive(Debug)]
pub struct Attempt {
    counters: Collection<Counter>,
    keys: Vec<(Scope, String)>,
    settled: bool,
}

impl Drop for Attempt {
    fn drop(&mut self) {
        // A login that ended in an error (or was cancelled) checked no
        // password, or none we can tell: its places are given back.
        if self.settled || self.keys.is_empty() {
            return;
        }
        let (counters, keys) = (self.counters.clone(), std::mem::take(&mut self.keys));
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move {
                if let Err(error) = release(&counters, &keys).await {
                    tracing::warn!(%error, "cannot give back a login reservation");
                }
            });
        }
    }
}

/// Gives back the places of `keys` (no upsert: a document that is gone
/// holds no place).
async fn release(
    counters: &Collection<Counter>,
    keys: &[(Scope, String)],
) -> mongodb::error::Result<()> {
    let releases = keys.iter().map(|(_, key)| {
        counters
            .update_one(doc! { "_id": key }, doc! { "$inc": { "in_flight": -1 } })
            .into_future()
    });
    futures::future::try_join_all(releases).await.map(|_| ())
}

/// The throttle's collection.
#[derive(Debug, Clone)]
pub struct Throttle {
    counters: Collection<Counter>,
    limits: Limits,
}

impl Throttle {
    /// The throttle in `database`.
    pub fn new(database: &Database, limits: Limits) -> Self {
        Self {
            counters: database.collection(COLLECTION),
            limits,
        }
    }

    /// The limits it enforces.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// The TTL index that lets MongoDB delete forgotten counters.
    pub fn indexes() -> Vec<IndexModel> {
        vec![IndexModel::builder()
            .keys(doc! { "expires": 1 })
            .options(
                IndexOptions::builder()
                    .name("expires_ttl".to_owned())
                    .expire_after(Duration::ZERO)
                    .build(),
            )
            .build()]
    }

    /// Reserves a place for a login of `account` from `address` in each of
    /// its keys, and decides from the counts the reservations returned. A
    /// refusal gives every place back.
    pub async fn reserve(&self, account: &str, address: &str) -> mongodb::error::Result<Decision> {
        let scopes = [Scope::Pair, Scope::Address, Scope::Account];
        let now = DateTime::now();
        let reserved = futures::future::join_all(
            scopes.map(|scope| self.reserve_key(scope, key(scope, account, address), now)),
        )
        .await;
        let mut attempt = Attempt {
            counters: self.counters.clone(),
            keys: Vec::with_capacity(scopes.len()),
            settled: false,
        };
        let mut refusal: Option<(Scope, u64)> = None;
        let mut failure = None;
        for (scope, reserved) in scopes.into_iter().zip(reserved) {
            let verdict = match reserved {
                Ok(Some(counter)) => {
                    attempt.keys.push((scope, counter.key.clone()));
                    admit(&counter, now)
                }
                // Not reserved: too much contention on the key.
                Ok(None) => Err(1),
                Err(error) => {
                    failure = Some(error);
                    continue;
                }
            };
            if let Err(retry_after) = verdict {
                if refusal.is_none_or(|(_, longest)| retry_after > longest) {
                    refusal = Some((scope, retry_after));
                }
            }
        }
        if let Some(error) = failure {
            // `attempt` is dropped: the places taken are given back.
            return Err(error);
        }
        if let Some((scope, retry_after)) = refusal {
            attempt.settled = true;
            if let Err(error) = release(&self.counters, &attempt.keys).await {
                tracing::warn!(%error, "cannot give back a refused login's places");
            }
            return Ok(Decision::Refuse { scope, retry_after });
        }
        Ok(Decision::Allow(attempt))
    }

    /// Settles a failed attempt: each key counts a failure, and one that
    /// has used its allowed places starts its next delay.
    pub async fn failed(&self, mut attempt: Attempt) -> mongodb::error::Result<()> {
        attempt.settled = true;
        let now = DateTime::now();
        let settled = attempt
            .keys
            .iter()
            .map(|(scope, key)| self.count_failure(*scope, key, now));
        futures::future::try_join_all(settled).await.map(|_| ())
    }

    /// Settles a successful attempt: its places are given back, and the
    /// failures of its (account, address) pair are forgotten; those of the
    /// address and of the account over all addresses are not (they may be
    /// someone else's).
    pub async fn succeeded(&self, mut attempt: Attempt) -> mongodb::error::Result<()> {
        attempt.settled = true;
        let settled = attempt.keys.iter().map(|(scope, key)| {
            let update = match scope {
                Scope::Pair => doc! {
                    "$inc": { "in_flight": -1 },
                    "$set": {
                        "failures": 0_i64,
                        "allowed": self.limits.free(Scope::Pair),
                        "blocked_until": DateTime::from_millis(0),
                    },
                },
                Scope::Address | Scope::Account => doc! { "$inc": { "in_flight": -1 } },
            };
            self.counters
                .update_one(doc! { "_id": key }, update)
                .into_future()
        });
        futures::future::try_join_all(settled).await.map(|_| ())
    }

    /// Takes a place in `key`'s live document, or creates it (replacing
    /// one that has expired but not been deleted yet). `None` when other
    /// replicas kept winning the creation race.
    async fn reserve_key(
        &self,
        scope: Scope,
        key: String,
        now: DateTime,
    ) -> mongodb::error::Result<Option<Counter>> {
        for _ in 0..3 {
            let bumped = self
                .counters
                .find_one_and_update(
                    doc! { "_id": &key, "expires": { "$gt": now } },
                    doc! {
                        "$inc": { "in_flight": 1 },
                        "$max": { "expires": after(now, LEASE.min(self.limits.window)) },
                    },
                )
                .return_document(ReturnDocument::After)
                .await?;
            if bumped.is_some() {
                return Ok(bumped);
            }
            let fresh = Counter::fresh(key.clone(), self.limits.free(scope), now, &self.limits);
            // A concurrent creation shows as a duplicate key, and the next
            // round bumps it. A document without `expires` is from before
            // reservations (failures only): it is replaced too.
            let replaced = self
                .counters
                .replace_one(
                    doc! { "_id": &key, "$or": [
                        { "expires": { "$lte": now } },
                        { "expires": { "$exists": false } },
                    ] },
                    &fresh,
                )
                .upsert(true)
                .await;
            match replaced {
                Ok(_) => return Ok(Some(fresh)),
                Err(error) if read_models::mongo::is_duplicate_key(&error) => continue,
                Err(error) => return Err(error),
            }
        }
        tracing::warn!(
            scope = scope.as_str(),
            "a login could not be counted: too much contention"
        );
        Ok(None)
    }

    /// Counts a failure on `key` and starts its next delay when it is due.
    async fn count_failure(
        &self,
        scope: Scope,
        key: &str,
        now: DateTime,
    ) -> mongodb::error::Result<()> {
        let counted = self
            .counters
            .find_one_and_update(
                doc! { "_id": key },
                doc! { "$inc": { "in_flight": -1, "failures": 1 } },
            )
            .return_document(ReturnDocument::After)
            .await?;
        let Some(counter) = counted else {
            return Ok(());
        };
        let Some((blocked_until, allowed)) =
            delay_after(&counter, self.limits.free(scope), &self.limits, now)
        else {
            return Ok(());
        };
        // Until this lands, the used-up places refuse every attempt; the
        // filter keeps a later failure's delay from being shortened by an
        // earlier one that settles after it.
        self.counters
            .update_one(
                doc! { "_id": key, "allowed": { "$lte": counter.failures } },
                doc! {
                    "$set": { "allowed": allowed, "blocked_until": blocked_until },
                    "$max": { "expires": after(blocked_until, self.limits.window) },
                },
            )
            .await
            .map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: Limits = Limits {
        per_pair: 5,
        per_address: 20,
        per_account: 100,
        base_delay: Duration::from_secs(5),
        max_delay: Duration::from_secs(900),
        window: Duration::from_secs(900),
    };

    fn counter(
        in_flight: i64,
        failures: i64,
        allowed: i64,
        blocked_ms: i64,
    ) -> (Counter, DateTime) {
        let now = DateTime::now();
        let counter = Counter {
            key: "k".into(),
            in_flight,
            failures,
            allowed,
            blocked_until: DateTime::from_millis(now.timestamp_millis() + blocked_ms),
            expires: after(now, LIMITS.window),
        };
        (counter, now)
    }

    #[test]
    fn the_free_places_are_taken_one_reservation_each() {
        // The fifth reservation (its own place counted) is the last one.
        let (last, now) = counter(5, 0, 5, 0);
        assert_eq!(admit(&last, now), Ok(()));
        let (sixth, now) = counter(6, 0, 5, 0);
        assert_eq!(admit(&sixth, now), Err(1));
        let (after_failures, now) = counter(1, 4, 5, 0);
        assert_eq!(admit(&after_failures, now), Ok(()));
        let (used_up, now) = counter(1, 5, 5, 0);
        assert_eq!(admit(&used_up, now), Err(1));
    }

    #[test]
    fn a_delay_refuses_until_it_ends_rounded_up_to_seconds() {
        let (blocked, now) = counter(1, 5, 6, 61_500);
        assert_eq!(admit(&blocked, now), Err(62));
        let (almost, now) = counter(1, 5, 6, 1);
        assert_eq!(admit(&almost, now), Err(1));
        let (ended, now) = counter(1, 5, 6, 0);
        assert_eq!(admit(&ended, now), Ok(()));
    }

    #[test]
    fn the_delay_doubles_with_each_failure_up_to_the_cap() {
        let delays: Vec<u64> = (1..=10).map(|step| LIMITS.delay(step).as_secs()).collect();
        assert_eq!(delays, [5, 10, 20, 40, 80, 160, 320, 640, 900, 900]);
        assert_eq!(LIMITS.delay(i64::MAX), LIMITS.max_delay);
        assert_eq!(LIMITS.delay(0), LIMITS.base_delay);
    }

    #[test]
    fn a_failure_starts_a_delay_only_when_the_places_are_used_up() {
        let (below, now) = counter(0, 4, 5, 0);
        assert_eq!(delay_after(&below, 5, &LIMITS, now), None);
        let (fifth, now) = counter(0, 5, 5, 0);
        assert_eq!(
            delay_after(&fifth, 5, &LIMITS, now),
            Some((after(now, Duration::from_secs(5)), 6))
        );
        let (seventh, now) = counter(0, 7, 7, 0);
        assert_eq!(
            delay_after(&seventh, 5, &LIMITS, now),
            Some((after(now, Duration::from_secs(20)), 8))
        );
    }

    #[test]
    fn every_scope_has_its_own_key_and_free_failures() {
        assert_eq!(
            key(Scope::Pair, "ada@example.com", "192.0.2.1"),
            "pair:ada@example.com 192.0.2.1"
        );
        assert_eq!(
            key(Scope::Address, "ada@example.com", "192.0.2.1"),
            "address:192.0.2.1"
        );
        assert_eq!(
            key(Scope::Account, "ada@example.com", "192.0.2.1"),
            "account:ada@example.com"
        );
        assert_eq!(
            [Scope::Pair, Scope::Address, Scope::Account].map(|scope| LIMITS.free(scope)),
            [5, 20, 100]
        );
    }
}
