//! The relay's own metrics, registered in the process's [`Metrics`] registry.

use platform::metrics::Metrics;
use prometheus::{Histogram, HistogramOpts, IntCounter, IntGauge};

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
