//! The notifier's own metrics, registered in the process's [`Metrics`]
//! registry (served on `/metrics` with the HTTP ones).

use platform::metrics::Metrics;
use prometheus::{Histogram, HistogramOpts, HistogramVec, IntCounterVec, IntGauge, Opts};

/// Counters of the planner and the sender.
#[derive(Clone)]
pub struct NotifierMetrics {
    /// `notifier_events_total{outcome}`: events read from JetStream —
    /// `planned` (notifications written), `ignored` (nobody to tell),
    /// `retried` (nacked: a database down, a profile not there yet),
    /// `parked` (cannot be read after `DEAD_LETTER_AFTER` deliveries:
    /// parked for IT, logged as an error).
    pub events: IntCounterVec,
    /// `notifications_total{outcome}`: `planned` (new documents), `sent`,
    /// `failed` (an attempt failed, it will be retried), `dead`.
    pub notifications: IntCounterVec,
    /// `notifier_send_seconds`: one SMTP send, success or not.
    pub send_seconds: Histogram,
    /// `notifier_backlog`: pending and failed notifications, counted by
    /// the sender when it finds nothing due, at most every 10 s.
    pub backlog: IntGauge,
    /// `notifier_store_seconds{op}`: one operation on
    /// `core.notifications` — `insert` (a chunk's notifications), `claim`
    /// (fresh ids, by `_id`), `query` (a claim from the queue), `record`
    /// (the outcomes of the attempts that finished meanwhile).
    pub store_seconds: HistogramVec,
}

impl NotifierMetrics {
    /// Registers them in `metrics`.
    pub fn register(metrics: &Metrics) -> Self {
        let events = IntCounterVec::new(
            Opts::new(
                "notifier_events_total",
                "Events read by the notifier, by outcome",
            ),
            &["outcome"],
        )
        .expect("static metric definition");
        let notifications = IntCounterVec::new(
            Opts::new("notifications_total", "Notifications, by outcome"),
            &["outcome"],
        )
        .expect("static metric definition");
        let send_seconds = Histogram::with_opts(
            HistogramOpts::new("notifier_send_seconds", "One SMTP send").buckets(vec![
                0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
            ]),
        )
        .expect("static metric definition");
        let backlog = IntGauge::new(
            "notifier_backlog",
            "Pending and failed notifications, as the sender last counted them",
        )
        .expect("static metric definition");
        let store_seconds = HistogramVec::new(
            HistogramOpts::new(
                "notifier_store_seconds",
                "One operation on core.notifications, by op",
            )
            .buckets(vec![
                0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
            ]),
            &["op"],
        )
        .expect("static metric definition");
        for collector in [
            Box::new(events.clone()) as Box<dyn prometheus::core::Collector>,
            Box::new(notifications.clone()),
            Box::new(send_seconds.clone()),
            Box::new(backlog.clone()),
            Box::new(store_seconds.clone()),
        ] {
            metrics
                .registry
                .register(collector)
                .expect("registered once");
        }
        Self {
            events,
            notifications,
            send_seconds,
            backlog,
            store_seconds,
        }
    }
}
