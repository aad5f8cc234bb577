//! Read-your-writes: a client that got a launch's stream version from the
//! command API asks for it (`?min_version=` on a launch, or the
//! `Astro-Min-Version: <launch_id>:<version>` header anywhere), and the
//! request waits, bounded, until the read model has applied that version.
//!
//! A request first reads once; when the read model is already there (the
//! usual case) it answers at once. Otherwise it subscribes to the process's
//! one [`VersionWatch`]: a single poller reads the versions of every launch
//! some request waits for in one `$in` query every [`POLL_INTERVAL`], and
//! wakes the requests whose version has arrived, which then read once more.
//! So waiting costs the database one small query per interval however many
//! requests wait (polling per request made a lagging projector worse: a
//! thousand waiting requests polled the database that the projector needed,
//! and the lag fed itself). A change stream would push instead of poll, but
//! needs a cursor the server keeps per process and a resume protocol; one
//! query per 5 ms is simpler and cheap.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::{HttpRequest, HttpResponseBuilder};
use platform::{FieldError, Problem};
use tokio::sync::{watch, Notify};

use crate::metrics::{Freshness, QueryMetrics};

/// Request header: `<launch_id>:<version>`.
pub const MIN_VERSION_HEADER: &str = "astro-min-version";
/// Response header: `true` when the wait timed out and the answer may not
/// reflect the version asked for.
pub const STALE_HEADER: &str = "astro-stale";
/// Response header: the launch document's version the answer reflects.
pub const READ_VERSION_HEADER: &str = "astro-read-version";

/// How often the [`VersionWatch`] poller reads, while anyone waits.
pub const POLL_INTERVAL: Duration = Duration::from_millis(5);

/// The launches requests are waiting for, and the latest version seen of
/// each; shared by every worker of the process.
#[derive(Clone, Default)]
pub struct VersionWatch {
    inner: Arc<WatchInner>,
}

#[derive(Default)]
struct WatchInner {
    watched: Mutex<HashMap<String, Watched>>,
    wake: Notify,
}

struct Watched {
    version: watch::Sender<i64>,
    waiters: usize,
}

/// A request's interest in one launch; dropping it ends the interest.
pub struct Subscription {
    watch: VersionWatch,
    launch_id: String,
    version: watch::Receiver<i64>,
}

impl Drop for Subscription {
    fn drop(&mut self) {
        if let Ok(mut watched) = self.watch.inner.watched.lock() {
            if let Some(entry) = watched.get_mut(&self.launch_id) {
                entry.waiters -= 1;
                if entry.waiters == 0 {
                    watched.remove(&self.launch_id);
                }
            }
        }
    }
}

impl Subscription {
    /// Waits until the launch's version is at least `min_version`; false
    /// when the watch has gone away.
    pub async fn reached(&mut self, min_version: i64) -> bool {
        self.version.wait_for(|v| *v >= min_version).await.is_ok()
    }
}

impl VersionWatch {
    /// An empty watch; [`VersionWatch::spawn_poller`] makes it move.
    pub fn new() -> Self {
        Self::default()
    }

    /// Registers interest in `launch_id` and wakes the poller.
    pub fn subscribe(&self, launch_id: &str) -> Subscription {
        let mut watched = self
            .inner
            .watched
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let entry = watched
            .entry(launch_id.to_owned())
            .or_insert_with(|| Watched {
                version: watch::channel(0).0,
                waiters: 0,
            });
        entry.waiters += 1;
        let version = entry.version.subscribe();
        drop(watched);
        self.inner.wake.notify_one();
        Subscription {
            watch: self.clone(),
            launch_id: launch_id.to_owned(),
            version,
        }
    }

    /// How many launches are watched now.
    pub fn watched(&self) -> usize {
        self.inner.watched.lock().map(|w| w.len()).unwrap_or(0)
    }

    /// Records versions read, waking the requests they satisfy.
    fn publish(&self, versions: &[(String, i64)]) {
        let Ok(watched) = self.inner.watched.lock() else {
            return;
        };
        for (launch_id, version) in versions {
            if let Some(entry) = watched.get(launch_id) {
                entry.version.send_if_modified(|seen| {
                    let newer = *version > *seen;
                    if newer {
                        *seen = *version;
                    }
                    newer
                });
            }
        }
    }

    /// Runs the poller on the current runtime for as long as the process:
    /// idle while nobody waits, else one `read(ids)` every `interval`. A
    /// failed read is logged and tried again next interval (the waiting
    /// requests time out as stale if it goes on).
    pub fn spawn_poller<F, Fut, E>(&self, interval: Duration, read: F)
    where
        F: Fn(Vec<String>) -> Fut + Send + 'static,
        Fut: Future<Output = Result<Vec<(String, i64)>, E>> + Send,
        E: std::fmt::Display,
    {
        let watch = self.clone();
        tokio::spawn(async move {
            loop {
                let ids: Vec<String> = match watch.inner.watched.lock() {
                    Ok(watched) => watched.keys().cloned().collect(),
                    Err(_) => Vec::new(),
                };
                if ids.is_empty() {
                    watch.inner.wake.notified().await;
                    continue;
                }
                match read(ids).await {
                    Ok(versions) => watch.publish(&versions),
                    Err(error) => {
                        tracing::warn!(%error, "read-your-writes: reading versions failed")
                    }
                }
                tokio::time::sleep(interval).await;
            }
        });
    }
}

/// A launch version a request must see.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MinVersion {
    /// The launch id (canonical UUID text).
    pub launch_id: String,
    /// The version, at least 1.
    pub version: i64,
}

/// The request's `Astro-Min-Version` header, if any; a malformed one is 422.
pub fn from_header(req: &HttpRequest) -> Result<Option<MinVersion>, Problem> {
    let Some(value) = req.headers().get(MIN_VERSION_HEADER) else {
        return Ok(None);
    };
    let parsed = value.to_str().ok().and_then(|value| {
        let (launch_id, version) = value.trim().rsplit_once(':')?;
        let launch_id = uuid::Uuid::parse_str(launch_id.trim()).ok()?;
        let version = version.trim().parse::<i64>().ok().filter(|v| *v >= 1)?;
        Some(MinVersion {
            launch_id: launch_id.to_string(),
            version,
        })
    });
    parsed.map(Some).ok_or_else(|| {
        Problem::invalid(vec![FieldError::new(
            "Astro-Min-Version",
            "invalid",
            "must be <launch id>:<version>, a UUID and an integer of at least 1",
        )])
    })
}

/// What a bounded wait got.
#[derive(Debug)]
pub struct Waited<T> {
    /// The last value read (`None`: the document does not exist).
    pub value: Option<T>,
    /// Whether it reached the version, and how.
    pub freshness: Freshness,
}

impl<T> Waited<T> {
    /// Adds `Astro-Stale: true` to `response` when the wait timed out.
    pub fn mark(&self, response: &mut HttpResponseBuilder) {
        if self.freshness == Freshness::Stale {
            response.insert_header((
                HeaderName::from_static(STALE_HEADER),
                HeaderValue::from_static("true"),
            ));
        }
    }
}

/// Reads with `read`; if `version_of` the value is below `min_version`,
/// waits on `watch` for `launch_id` to reach it, at most `max_wait`, then
/// reads again. Records the outcome in `metrics`. A value that does not
/// exist yet is waited for too.
#[allow(clippy::too_many_arguments)]
pub async fn wait_for<T, E, F, Fut>(
    metrics: &QueryMetrics,
    watch: &VersionWatch,
    launch_id: &str,
    min_version: i64,
    max_wait: Duration,
    mut read: F,
    version_of: impl Fn(&T) -> i64,
) -> Result<Waited<T>, E>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Option<T>, E>>,
{
    let started = Instant::now();
    let reached = |value: &Option<T>| value.as_ref().is_some_and(|v| version_of(v) >= min_version);
    let first = read().await?;
    if reached(&first) {
        metrics.read_your_writes(Freshness::Fresh, started.elapsed());
        return Ok(Waited {
            value: first,
            freshness: Freshness::Fresh,
        });
    }
    let mut subscription = watch.subscribe(launch_id);
    let _ = tokio::time::timeout_at(
        (started + max_wait).into(),
        subscription.reached(min_version),
    )
    .await;
    drop(subscription);
    let value = read().await?;
    let freshness = if reached(&value) {
        Freshness::Waited
    } else {
        Freshness::Stale
    };
    metrics.read_your_writes(freshness, started.elapsed());
    Ok(Waited { value, freshness })
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicI64, Ordering};
    use std::sync::Arc;

    use actix_web::test::TestRequest;

    use super::*;

    fn metrics() -> QueryMetrics {
        QueryMetrics::register(&platform::metrics::Metrics::new("test"))
    }

    #[test]
    fn the_header_names_a_launch_and_a_version() {
        let id = "0193a0d6-0000-7000-8000-000000000001";
        let req = TestRequest::default()
            .insert_header((MIN_VERSION_HEADER, format!("{id}:7")))
            .to_http_request();
        assert_eq!(
            from_header(&req).unwrap(),
            Some(MinVersion {
                launch_id: id.into(),
                version: 7
            })
        );
        assert_eq!(
            from_header(&TestRequest::default().to_http_request()).unwrap(),
            None
        );
        for bad in ["7", "nope:7", &format!("{id}:0"), &format!("{id}:x")] {
            let req = TestRequest::default()
                .insert_header((MIN_VERSION_HEADER, bad))
                .to_http_request();
            let problem = from_header(&req).unwrap_err();
            assert_eq!(problem.errors[0].field, "Astro-Min-Version", "{bad}");
        }
    }

    /// A watch whose poller reads `version` for every launch and counts
    /// its reads.
    fn watch_of(version: Arc<AtomicI64>, polls: Arc<AtomicI64>) -> VersionWatch {
        let watch = VersionWatch::new();
        watch.spawn_poller(Duration::from_millis(1), move |ids: Vec<String>| {
            let version = version.load(Ordering::SeqCst);
            polls.fetch_add(1, Ordering::SeqCst);
            async move { Ok::<_, String>(ids.into_iter().map(|id| (id, version)).collect()) }
        });
        watch
    }

    #[tokio::test]
    async fn a_version_already_there_is_fresh_a_later_one_waited_for() {
        let metrics = metrics();
        let version = Arc::new(AtomicI64::new(3));
        let watch = watch_of(version.clone(), Arc::new(AtomicI64::new(0)));
        let read = || async { Ok::<_, ()>(Some(version.load(Ordering::SeqCst))) };
        let fresh = wait_for(
            &metrics,
            &watch,
            "a",
            3,
            Duration::from_secs(5),
            read,
            |v| *v,
        )
        .await;
        assert_eq!(fresh.unwrap().freshness, Freshness::Fresh);
        let bump = {
            let version = version.clone();
            tokio::spawn(async move {
                tokio::time::sleep(Duration::from_millis(30)).await;
                version.store(7, Ordering::SeqCst);
            })
        };
        let read = || async { Ok::<_, ()>(Some(version.load(Ordering::SeqCst))) };
        let waited = wait_for(
            &metrics,
            &watch,
            "a",
            7,
            Duration::from_secs(5),
            read,
            |v| *v,
        )
        .await;
        let waited = waited.unwrap();
        assert_eq!(
            (waited.freshness, waited.value),
            (Freshness::Waited, Some(7))
        );
        bump.await.unwrap();
        assert_eq!(watch.watched(), 0, "a finished wait leaves no interest");
    }

    #[tokio::test]
    async fn many_waiters_share_one_poller() {
        let metrics = metrics();
        let version = Arc::new(AtomicI64::new(1));
        let polls = Arc::new(AtomicI64::new(0));
        let watch = watch_of(version.clone(), polls.clone());
        let waiters: Vec<_> = (0..50)
            .map(|i| {
                let (metrics, watch, version) = (metrics.clone(), watch.clone(), version.clone());
                tokio::spawn(async move {
                    let read = || async { Ok::<_, ()>(Some(version.load(Ordering::SeqCst))) };
                    let launch = format!("launch-{}", i % 5);
                    wait_for(
                        &metrics,
                        &watch,
                        &launch,
                        2,
                        Duration::from_secs(5),
                        read,
                        |v| *v,
                    )
                    .await
                    .unwrap()
                    .freshness
                })
            })
            .collect();
        testkit_wait(|| watch.watched() == 5).await;
        let before = polls.load(Ordering::SeqCst);
        version.store(2, Ordering::SeqCst);
        for waiter in waiters {
            assert_eq!(waiter.await.unwrap(), Freshness::Waited);
        }
        let during = polls.load(Ordering::SeqCst) - before;
        assert!(
            during < 50,
            "one poll serves every waiter, not one each: {during}"
        );
    }

    /// Waits (bounded) for a condition on in-memory state.
    async fn testkit_wait(condition: impl Fn() -> bool) {
        let deadline = Instant::now() + Duration::from_secs(5);
        while !condition() {
            assert!(Instant::now() < deadline, "condition not reached");
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    }

    #[tokio::test]
    async fn a_version_never_reached_is_stale_after_the_bound() {
        let metrics = metrics();
        let watch = VersionWatch::new();
        let started = Instant::now();
        let read = || async { Ok::<Option<i64>, ()>(None) };
        let stale = wait_for(
            &metrics,
            &watch,
            "a",
            1,
            Duration::from_millis(60),
            read,
            |v| *v,
        )
        .await;
        assert_eq!(stale.unwrap().freshness, Freshness::Stale);
        assert!(started.elapsed() >= Duration::from_millis(60));
        assert_eq!(
            metrics.read_your_writes.with_label_values(&["stale"]).get(),
            1
        );
    }
}
