//! The query API's own metrics, next to the HTTP metrics every service has:
//! listing cache outcomes, read-your-writes outcomes and waits, the sales
//! read model's and the finance projection's progress (read from their
//! checkpoints at scrape time), and how `as_of` reads of finance were served.

use actix_web::{web, HttpResponse};
use platform::metrics::Metrics;
use prometheus::{Gauge, Histogram, HistogramOpts, IntCounterVec, IntGauge, Opts};

use crate::startup::AppState;

/// How a read-your-writes request was served.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Freshness {
    /// The read model had the version at the first look.
    Fresh,
    /// It reached the version while the request waited.
    Waited,
    /// It did not reach the version within the bound: served what is there.
    Stale,
}

impl Freshness {
    /// The metric label.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Fresh => "fresh",
            Self::Waited => "waited",
            Self::Stale => "stale",
        }
    }
}

/// Handles on the query API's metrics (cheap to clone).
#[derive(Clone)]
pub struct QueryMetrics {
    /// `query_listing_cache_total{outcome="hit|miss"}`.
    pub listing_cache: IntCounterVec,
    /// `query_read_your_writes_total{outcome="fresh|waited|stale"}`.
    pub read_your_writes: IntCounterVec,
    /// `query_read_your_writes_wait_seconds`.
    pub read_your_writes_wait: Histogram,
    /// `sales_read_model_global_position`.
    pub global_position: IntGauge,
    /// `sales_read_model_last_event_age_seconds`.
    pub last_event_age: Gauge,
    /// `finance_projection_global_position`.
    pub finance_position: IntGauge,
    /// `query_finance_as_of_total{outcome="fresh|waited|unavailable"}`.
    pub finance_as_of: IntCounterVec,
}

/// How a finance read with `as_of` was served.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AsOfOutcome {
    /// The projection had reached the instant at the first look.
    Fresh,
    /// It reached the instant while the request waited.
    Waited,
    /// It did not within the bound: 503.
    Unavailable,
}

impl AsOfOutcome {
    /// The metric label.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Fresh => "fresh",
            Self::Waited => "waited",
            Self::Unavailable => "unavailable",
        }
    }
}

impl QueryMetrics {
    /// Creates the metrics and registers them with `metrics`.
    pub fn register(metrics: &Metrics) -> Self {
        let listing_cache = IntCounterVec::new(
            Opts::new(
                "query_listing_cache_total",
                "Launch listings served from the in-process cache (hit) or MongoDB (miss)",
            ),
            &["outcome"],
        )
        .expect("static metric definition");
        let read_your_writes = IntCounterVec::new(
            Opts::new(
                "query_read_your_writes_total",
                "Requests that asked for a minimum read-model version, by outcome",
            ),
            &["outcome"],
        )
        .expect("static metric definition");
        let read_your_writes_wait = Histogram::with_opts(
            HistogramOpts::new(
                "query_read_your_writes_wait_seconds",
                "Time spent waiting for the read model to reach a requested version",
            )
            .buckets(vec![
                0.0, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0,
            ]),
        )
        .expect("static metric definition");
        let global_position = IntGauge::new(
            "sales_read_model_global_position",
            "Highest event-store global position applied to the sales read model (0: none yet)",
        )
        .expect("static metric definition");
        let last_event_age = Gauge::new(
            "sales_read_model_last_event_age_seconds",
            "Age of the last event applied to the sales read model (NaN: none yet or unknown)",
        )
        .expect("static metric definition");
        last_event_age.set(f64::NAN);
        let finance_position = IntGauge::new(
            "finance_projection_global_position",
            "Highest event-store global position applied to the finance projection (its checkpoint)",
        )
        .expect("static metric definition");
        let finance_as_of = IntCounterVec::new(
            Opts::new(
                "query_finance_as_of_total",
                "Finance reads with as_of, by whether the projection had reached the instant",
            ),
            &["outcome"],
        )
        .expect("static metric definition");
        for collector in [
            Box::new(listing_cache.clone()) as Box<dyn prometheus::core::Collector>,
            Box::new(read_your_writes.clone()),
            Box::new(read_your_writes_wait.clone()),
            Box::new(global_position.clone()),
            Box::new(last_event_age.clone()),
            Box::new(finance_position.clone()),
            Box::new(finance_as_of.clone()),
        ] {
            metrics
                .registry
                .register(collector)
                .expect("registered once");
        }
        for outcome in ["hit", "miss"] {
            listing_cache.with_label_values(&[outcome]);
        }
        for outcome in [Freshness::Fresh, Freshness::Waited, Freshness::Stale] {
            read_your_writes.with_label_values(&[outcome.as_str()]);
        }
        for outcome in [
            AsOfOutcome::Fresh,
            AsOfOutcome::Waited,
            AsOfOutcome::Unavailable,
        ] {
            finance_as_of.with_label_values(&[outcome.as_str()]);
        }
        Self {
            listing_cache,
            read_your_writes,
            read_your_writes_wait,
            global_position,
            last_event_age,
            finance_position,
            finance_as_of,
        }
    }

    /// Counts a finance read with `as_of`.
    pub fn as_of(&self, outcome: AsOfOutcome) {
        self.finance_as_of
            .with_label_values(&[outcome.as_str()])
            .inc();
    }

    /// Counts a read-your-writes request and how long it waited.
    pub fn read_your_writes(&self, outcome: Freshness, waited: std::time::Duration) {
        self.read_your_writes
            .with_label_values(&[outcome.as_str()])
            .inc();
        self.read_your_writes_wait.observe(waited.as_secs_f64());
    }
}

/// How long a scrape waits for the checkpoint before rendering what it had.
const CHECKPOINT_READ_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(1);

/// `GET /metrics`: refreshes the read models' progress from their
/// checkpoints, concurrently (a failure or a slow server keeps the last
/// values and is logged), then renders every metric as Prometheus text.
pub async fn serve(state: web::Data<AppState>, metrics: web::Data<Metrics>) -> HttpResponse {
    let (sales, finance) = futures::join!(
        tokio::time::timeout(CHECKPOINT_READ_TIMEOUT, state.store.checkpoint()),
        tokio::time::timeout(CHECKPOINT_READ_TIMEOUT, state.finance.checkpoint()),
    );
    match sales {
        Ok(Ok(Some(checkpoint))) => {
            state
                .metrics
                .global_position
                .set(checkpoint.global_position);
            let age = chrono::Utc::now() - checkpoint.occurred_at.to_chrono();
            state
                .metrics
                .last_event_age
                .set(age.num_milliseconds() as f64 / 1e3);
        }
        Ok(Ok(None)) => {
            state.metrics.global_position.set(0);
            state.metrics.last_event_age.set(f64::NAN);
        }
        Ok(Err(error)) => tracing::warn!(%error, "metrics: cannot read the sales checkpoint"),
        Err(_) => tracing::warn!("metrics: the sales checkpoint read timed out"),
    }
    match finance {
        Ok(Ok(position)) => state.metrics.finance_position.set(position),
        Ok(Err(error)) => tracing::warn!(%error, "metrics: cannot read the finance checkpoint"),
        Err(_) => tracing::warn!("metrics: the finance checkpoint read timed out"),
    }
    platform::http::metrics(metrics).await
}
