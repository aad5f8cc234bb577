//! Read-your-writes: a client that got a launch's stream version from the
//! command API asks for it (`?min_version=` on a launch, or the
//! `Astro-Min-Version: <launch_id>:<version>` header anywhere), and the
//! request waits, bounded, until the read model has applied that version.
//!
//! Waiting polls the launch document with a short exponential backoff (2 ms
//! doubling up to 25 ms): the projector usually applies an event within a
//! few milliseconds of its commit, so the first polls are tight, and a slow
//! projector costs at most 40 reads a second per waiting request. A change
//! stream would add a cursor per request and SecantusDB answers point reads
//! quickly, so polling is both simpler and faster here.

use std::future::Future;
use std::time::{Duration, Instant};

use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::{HttpRequest, HttpResponseBuilder};
use platform::{FieldError, Problem};

use crate::metrics::{Freshness, QueryMetrics};

/// Request header: `<launch_id>:<version>`.
pub const MIN_VERSION_HEADER: &str = "astro-min-version";
/// Response header: `true` when the wait timed out and the answer may not
/// reflect the version asked for.
pub const STALE_HEADER: &str = "astro-stale";
/// Response header: the launch document's version the answer reflects.
pub const READ_VERSION_HEADER: &str = "astro-read-version";

const FIRST_BACKOFF: Duration = Duration::from_millis(2);
const MAX_BACKOFF: Duration = Duration::from_millis(25);

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

/// Reads with `read` until `version_of` the value is at least `min_version`
/// or `max_wait` has passed, and records the outcome in `metrics`. A value
/// that does not exist yet is waited for too.
pub async fn wait_for<T, E, F, Fut>(
    metrics: &QueryMetrics,
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
    let deadline = started + max_wait;
    let mut backoff = FIRST_BACKOFF;
    let mut first = true;
    let waited = loop {
        let value = read().await?;
        let reached = value.as_ref().is_some_and(|v| version_of(v) >= min_version);
        let now = Instant::now();
        if reached || now >= deadline {
            let freshness = match (reached, first) {
                (true, true) => Freshness::Fresh,
                (true, false) => Freshness::Waited,
                (false, _) => Freshness::Stale,
            };
            break Waited { value, freshness };
        }
        first = false;
        tokio::time::sleep(backoff.min(deadline - now)).await;
        backoff = (backoff * 2).min(MAX_BACKOFF);
    };
    metrics.read_your_writes(waited.freshness, started.elapsed());
    Ok(waited)
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicI64, Ordering};

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

    #[tokio::test]
    async fn a_version_already_there_is_fresh_a_later_one_waited_for() {
        let metrics = metrics();
        let version = AtomicI64::new(3);
        let read = || async { Ok::<_, ()>(Some(version.fetch_add(1, Ordering::SeqCst))) };
        let fresh = wait_for(&metrics, 3, Duration::from_secs(5), read, |v| *v).await;
        assert_eq!(fresh.unwrap().freshness, Freshness::Fresh);
        let read = || async { Ok::<_, ()>(Some(version.fetch_add(1, Ordering::SeqCst))) };
        let waited = wait_for(&metrics, 7, Duration::from_secs(5), read, |v| *v).await;
        let waited = waited.unwrap();
        assert_eq!(
            (waited.freshness, waited.value),
            (Freshness::Waited, Some(7))
        );
    }

    #[tokio::test]
    async fn a_version_never_reached_is_stale_after_the_bound() {
        let metrics = metrics();
        let started = Instant::now();
        let read = || async { Ok::<Option<i64>, ()>(None) };
        let stale = wait_for(&metrics, 1, Duration::from_millis(60), read, |v| *v).await;
        assert_eq!(stale.unwrap().freshness, Freshness::Stale);
        assert!(started.elapsed() >= Duration::from_millis(60));
        assert_eq!(
            metrics.read_your_writes.with_label_values(&["stale"]).get(),
            1
        );
    }
}
