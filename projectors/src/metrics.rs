//! The relay's own metrics, registered in the process's [`Metrics`] registry.

use platform::metrics::Metrics;
use prometheus::{Gauge, Histogram, HistogramOpts, IntCounter, IntCounterVec, IntGauge, Opts};

/// Counters and gauges of the relay. Cheap to clone (shared handles).
#[derive(Clone)]
pub struct RelayMetrics {
    /// `relay_published_total`: events published and acknowledged.
    pub published: IntCounter,
    /// `relay_duplicates_total`: of those, dropped by JetStream as already stored.
    pub duplicates: IntCounter,
    /// `relay_errors_total`: batches that failed and were rolled back.
    pub errors: IntCounter,
    /// `relay_outbox_backlog`: outbox rows waiting, as last counted.
    pub backlog: IntGauge,
    /// `relay_publish_batch_seconds`: publish and acknowledgement of a batch.
    pub batch_latency: Histogram,
}

impl RelayMetrics {
    /// Registers the relay's metrics in `metrics`.
    pub fn register(metrics: &Metrics) -> Self {
        let published = IntCounter::new("relay_published_total", "events published to JetStream")
            .expect("static metric definition");
        let duplicates = IntCounter::new(
            "relay_duplicates_total",
            "published events JetStream dropped as duplicates",
        )
        .expect("static metric definition");
        let errors = IntCounter::new("relay_errors_total", "relay batches rolled back on error")
            .expect("static metric definition");
        let backlog = IntGauge::new("relay_outbox_backlog", "outbox rows not yet published")
            .expect("static metric definition");
        let batch_latency = Histogram::with_opts(
            HistogramOpts::new(
                "relay_publish_batch_seconds",
                "time to publish a batch and receive every acknowledgement",
            )
            .buckets(vec![
                0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
            ]),
        )
        .expect("static metric definition");
        for collector in [
            Box::new(published.clone()) as Box<dyn prometheus::core::Collector>,
            Box::new(duplicates.clone()),
            Box::new(errors.clone()),
            Box::new(backlog.clone()),
            Box::new(batch_latency.clone()),
        ] {
            metrics
                .registry
                .register(collector)
                .expect("registered once");
        }
        Self {
            published,
            duplicates,
            errors,
            backlog,
            batch_latency,
        }
    }
}

/// Metrics of a projector, labelled by nothing but its own names (one
/// projector per registry prefix: `sales_projector_*`).
#[derive(Clone)]
pub struct ProjectorMetrics {
    /// `<name>_events_total{outcome}`: messages handled, by outcome
    /// (`applied`, `duplicate`, `filled` from the store, `retried`,
    /// `dead_lettered`).
    pub events: IntCounterVec,
    /// `<name>_chunk_seconds`: applying and acknowledging one chunk.
    pub batch_latency: Histogram,
    /// `<name>_event_lag_seconds`: from an event's commit to its
    /// application, per event.
    pub event_lag: Histogram,
    /// `<name>_lag_seconds`: the same for the last event applied.
    pub lag: Gauge,
}

impl ProjectorMetrics {
    /// Registers the metrics of projector `name` (e.g. `sales_projector`).
    pub fn register(metrics: &Metrics, name: &str) -> Self {
        let events = IntCounterVec::new(
            Opts::new(
                format!("{name}_events_total"),
                "event messages handled, by outcome",
            ),
            &["outcome"],
        )
        .expect("static metric definition");
        let batch_latency = Histogram::with_opts(
            HistogramOpts::new(
                format!("{name}_chunk_seconds"),
                "time to apply and acknowledge one chunk of messages",
            )
            .buckets(LATENCY_BUCKETS.to_vec()),
        )
        .expect("static metric definition");
        let event_lag = Histogram::with_opts(
            HistogramOpts::new(
                format!("{name}_event_lag_seconds"),
                "time from an event's commit to its application in the read model",
            )
            .buckets(LATENCY_BUCKETS.to_vec()),
        )
        .expect("static metric definition");
        let lag = Gauge::new(
            format!("{name}_lag_seconds"),
            "commit-to-read-model time of the last event applied",
        )
        .expect("static metric definition");
        for collector in [
            Box::new(events.clone()) as Box<dyn prometheus::core::Collector>,
            Box::new(batch_latency.clone()),
            Box::new(event_lag.clone()),
            Box::new(lag.clone()),
        ] {
            metrics
                .registry
                .register(collector)
                .expect("registered once");
        }
        Self {
            events,
            batch_latency,
            event_lag,
            lag,
        }
    }
}

const LATENCY_BUCKETS: [f64; 14] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];
