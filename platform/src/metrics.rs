//! Prometheus metrics: one registry per process, served as text on `/metrics`.

use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounterVec, Opts, Registry, TextEncoder,
};

/// The process's metrics. Cheap to clone (all handles are shared).
#[derive(Clone)]
pub struct Metrics {
    /// Where everything is registered; services add their own metrics here.
    pub registry: Registry,
    /// `http_requests_total{method, route, status}`.
    pub http_requests: IntCounterVec,
    /// `http_request_duration_seconds{method, route}`.
    pub http_duration: HistogramVec,
}

impl Metrics {
    /// A registry with the HTTP metrics every service has, labelled with the
    /// service's name, and the process's log shipping metrics
    /// (`log_shipping_*`, see [`crate::logship`]).
    pub fn new(service: &str) -> Self {
        let registry = Registry::new_custom(
            None,
            Some([("service".to_owned(), service.to_owned())].into()),
        )
        .expect("static registry labels are valid");
        let http_requests = IntCounterVec::new(
            Opts::new("http_requests_total", "HTTP requests answered"),
            &["method", "route", "status"],
        )
        .expect("static metric definition");
        let http_duration = HistogramVec::new(
            HistogramOpts::new("http_request_duration_seconds", "HTTP request latency").buckets(
                vec![
                    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
                ],
            ),
            &["method", "route"],
        )
        .expect("static metric definition");
        registry
            .register(Box::new(http_requests.clone()))
            .expect("registered once");
        registry
            .register(Box::new(http_duration.clone()))
            .expect("registered once");
        crate::logship::register_metrics(&registry);
        Self {
            registry,
            http_requests,
            http_duration,
        }
    }

    /// The Prometheus text exposition of everything registered.
    pub fn render(&self) -> String {
        let mut buffer = Vec::new();
        TextEncoder::new()
            .encode(&self.registry.gather(), &mut buffer)
            .expect("encoding to a Vec cannot fail");
        String::from_utf8(buffer).expect("the text format is UTF-8")
    }
}
