//! Login throttling: failed logins are counted per account (normalized
//! email) and per client address in fixed windows, in MongoDB
//! (`core.login_throttle`), so every replica sees the same counts.
//!
//! A window opens at the first failure and lasts [`Limits::window`]. Once a
//! key has reached its limit within its window, logins for it are refused
//! with 429 until the window ends, without checking the password (so a
//! guesser learns nothing, and spends no argon2 time of ours). A successful
//! login clears its account's counter; the address counter runs out.

use std::time::Duration;

use bson::{doc, DateTime};
use mongodb::options::{IndexOptions, ReturnDocument};
use mongodb::{Collection, Database, IndexModel};
use serde::{Deserialize, Serialize};

/// The collection.
pub const COLLECTION: &str = "login_throttle";

/// How many failures are tolerated, and for how long they count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Failures of one account within a window before it is locked.
    pub per_account: u32,
    /// Failures from one client address within a window before it is locked.
    pub per_address: u32,
    /// Length of a window.
    pub window: Duration,
}

/// What is counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// One account (by normalized email, whether it exists or not).
    Account,
    /// One client address.
    Address,
}

impl Scope {
    /// The label used in metrics and keys.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Account => "account",
            Self::Address => "address",
        }
    }
}

/// The counter of one key, as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Counter {
    /// `account:<email>` or `address:<ip>`.
    #[serde(rename = "_id")]
    pub key: String,
    /// Failures in the current window.
    pub failures: u32,
    /// When the current window ends (also the TTL index's expiry).
    pub window_ends: DateTime,
}

/// Whether a login may be attempted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Go on and check the password.
    Allow,
    /// Refuse with 429: `scope` is locked for `retry_after` more seconds.
    Refuse {
        /// Which limit was reached.
        scope: Scope,
        /// Whole seconds until the window ends (at least 1).
        retry_after: u64,
    },
}

/// The key of `value` in `scope`.
pub fn key(scope: Scope, value: &str) -> String {
    format!("{}:{value}", scope.as_str())
}

/// Decides from the counters found for the account and the address: refuse
/// when either reached its limit in a window that has not ended (the longer
/// wait wins when both did).
pub fn decide(
    account: Option<&Counter>,
    address: Option<&Counter>,
    limits: &Limits,
    now: DateTime,
) -> Decision {
    let locked = |counter: Option<&Counter>, limit: u32, scope: Scope| {
        let counter = counter?;
        let remaining_ms = counter.window_ends.timestamp_millis() - now.timestamp_millis();
        (counter.failures >= limit && remaining_ms > 0).then(|| Decision::Refuse {
            scope,
            retry_after: (remaining_ms as u64).div_ceil(1_000).max(1),
        })
    };
    let retry = |d: &Decision| match d {
        Decision::Refuse { retry_after, .. } => *retry_after,
        Decision::Allow => 0,
    };
    [
        locked(account, limits.per_account, Scope::Account),
        locked(address, limits.per_address, Scope::Address),
    ]
    .into_iter()
    .flatten()
    .max_by_key(retry)
    .unwrap_or(Decision::Allow)
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

    /// The TTL index that lets MongoDB delete ended windows.
    pub fn indexes() -> Vec<IndexModel> {
        vec![IndexModel::builder()
            .keys(doc! { "window_ends": 1 })
            .options(
                IndexOptions::builder()
                    .name("window_ends_ttl".to_owned())
                    .expire_after(Duration::ZERO)
                    .build(),
            )
            .build()]
    }

    /// Whether a login for `account` from `address` may be attempted now.
    pub async fn check(&self, account: &str, address: &str) -> mongodb::error::Result<Decision> {
        let keys = [key(Scope::Account, account), key(Scope::Address, address)];
        let mut found = self
            .counters
            .find(doc! { "_id": { "$in": keys.as_slice() } })
            .await?;
        let (mut account_counter, mut address_counter) = (None, None);
        use futures::TryStreamExt;
        while let Some(counter) = found.try_next().await? {
            if counter.key == keys[0] {
                account_counter = Some(counter);
            } else {
                address_counter = Some(counter);
            }
        }
        Ok(decide(
            account_counter.as_ref(),
            address_counter.as_ref(),
            &self.limits,
            DateTime::now(),
        ))
    }

    /// Counts a failed login for `account` and for `address`.
    pub async fn record_failure(&self, account: &str, address: &str) -> mongodb::error::Result<()> {
        self.increment(&key(Scope::Account, account)).await?;
        self.increment(&key(Scope::Address, address)).await
    }

    /// Clears the account's counter after a successful login.
    pub async fn reset(&self, account: &str) -> mongodb::error::Result<()> {
        self.counters
            .delete_one(doc! { "_id": key(Scope::Account, account) })
            .await
            .map(|_| ())
    }

    /// Adds one failure to `key`'s open window, or opens a new window with
    /// one failure when there is none or it has ended. Two steps, each
    /// atomic; a race between replicas is retried.
    async fn increment(&self, key: &str) -> mongodb::error::Result<()> {
        for _ in 0..3 {
            let now = DateTime::now();
            let bumped = self
                .counters
                .find_one_and_update(
                    doc! { "_id": key, "window_ends": { "$gt": now } },
                    doc! { "$inc": { "failures": 1 } },
                )
                .return_document(ReturnDocument::After)
                .await?;
            if bumped.is_some() {
                return Ok(());
            }
            let window_ends = DateTime::from_millis(
                now.timestamp_millis() + self.limits.window.as_millis() as i64,
            );
            let fresh = Counter {
                key: key.to_owned(),
                failures: 1,
                window_ends,
            };
            // Replace an ended window, or create the first one; a concurrent
            // creation shows as a duplicate key, and the next round bumps it.
            let replaced = self
                .counters
                .replace_one(doc! { "_id": key, "window_ends": { "$lte": now } }, &fresh)
                .upsert(true)
                .await;
            match replaced {
                Ok(_) => return Ok(()),
                Err(error) if read_models::mongo::is_duplicate_key(&error) => continue,
                Err(error) => return Err(error),
            }
        }
        tracing::warn!(
            scope = key.split(':').next().unwrap_or_default(),
            "a failed login could not be counted: too much contention"
        );
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: Limits = Limits {
        per_account: 5,
        per_address: 20,
        window: Duration::from_secs(900),
    };

    fn counter(failures: u32, ends_in_ms: i64, now: DateTime) -> Counter {
        Counter {
            key: "k".into(),
            failures,
            window_ends: DateTime::from_millis(now.timestamp_millis() + ends_in_ms),
        }
    }

    #[test]
    fn below_the_limits_a_login_is_allowed() {
        let now = DateTime::now();
        assert_eq!(decide(None, None, &LIMITS, now), Decision::Allow);
        let account = counter(4, 60_000, now);
        let address = counter(19, 60_000, now);
        assert_eq!(
            decide(Some(&account), Some(&address), &LIMITS, now),
            Decision::Allow
        );
    }

    #[test]
    fn at_the_account_limit_it_is_refused_until_the_window_ends() {
        let now = DateTime::now();
        let account = counter(5, 61_500, now);
        assert_eq!(
            decide(Some(&account), None, &LIMITS, now),
            Decision::Refuse {
                scope: Scope::Account,
                retry_after: 62
            }
        );
    }

    #[test]
    fn an_ended_window_no_longer_counts() {
        let now = DateTime::now();
        let account = counter(50, 0, now);
        let address = counter(50, -1, now);
        assert_eq!(
            decide(Some(&account), Some(&address), &LIMITS, now),
            Decision::Allow
        );
    }

    #[test]
    fn the_longer_lockout_wins() {
        let now = DateTime::now();
        let account = counter(5, 10_000, now);
        let address = counter(20, 300_000, now);
        assert_eq!(
            decide(Some(&account), Some(&address), &LIMITS, now),
            Decision::Refuse {
                scope: Scope::Address,
                retry_after: 300
            }
        );
    }

    #[test]
    fn retry_after_is_at_least_a_second() {
        let now = DateTime::now();
        let account = counter(5, 1, now);
        assert_eq!(
            decide(Some(&account), None, &LIMITS, now),
            Decision::Refuse {
                scope: Scope::Account,
                retry_after: 1
            }
        );
    }
}
