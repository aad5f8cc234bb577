//! The auth service's own metrics, next to the HTTP metrics every service
//! has: logins by outcome, refusals by the throttle, argon2 time, and user
//! messages published.

use platform::metrics::Metrics;
use prometheus::{HistogramOpts, HistogramVec, IntCounter, IntCounterVec, Opts};

/// How a login ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginOutcome {
    /// Tokens issued.
    Success,
    /// Wrong password or unknown email.
    Invalid,
    /// Refused by the throttle, password not checked.
    RateLimited,
}

impl LoginOutcome {
    /// The metric label.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Success => "success",
            Self::Invalid => "invalid",
            Self::RateLimited => "rate_limited",
        }
    }
}

/// Handles on the auth metrics (cheap to clone).
#[derive(Clone)]
pub struct AuthMetrics {
    /// `auth_logins_total{outcome="success|invalid|rate_limited"}`.
    pub logins: IntCounterVec,
    /// `auth_rate_limited_total{scope="pair|address|account"}`.
    pub rate_limited: IntCounterVec,
    /// `auth_argon2_seconds{operation="hash|verify"}`.
    pub argon2: HistogramVec,
    /// `auth_user_messages_published_total`.
    pub published: IntCounter,
}

impl AuthMetrics {
    /// Creates the metrics and registers them with `metrics`.
    pub fn register(metrics: &Metrics) -> Self {
        let logins = IntCounterVec::new(
            Opts::new("auth_logins_total", "Login attempts, by outcome"),
            &["outcome"],
        )
        .expect("static metric definition");
        let rate_limited = IntCounterVec::new(
            Opts::new(
                "auth_rate_limited_total",
                "Logins refused by the throttle, by the limit reached",
            ),
            &["scope"],
        )
        .expect("static metric definition");
        let argon2 = HistogramVec::new(
            HistogramOpts::new(
                "auth_argon2_seconds",
                "Time of one argon2id hash or verification",
            )
            .buckets(vec![
                0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
            ]),
            &["operation"],
        )
        .expect("static metric definition");
        let published = IntCounter::new(
            "auth_user_messages_published_total",
            "User messages published from the outbox to JetStream",
        )
        .expect("static metric definition");
        for collector in [
            Box::new(logins.clone()) as Box<dyn prometheus::core::Collector>,
            Box::new(rate_limited.clone()),
            Box::new(argon2.clone()),
            Box::new(published.clone()),
        ] {
            metrics
                .registry
                .register(collector)
                .expect("registered once");
        }
        for outcome in [
            LoginOutcome::Success,
            LoginOutcome::Invalid,
            LoginOutcome::RateLimited,
        ] {
            logins.with_label_values(&[outcome.as_str()]);
        }
        for scope in ["account", "address"] {
            rate_limited.with_label_values(&[scope]);
        }
        Self {
            logins,
            rate_limited,
            argon2,
            published,
        }
    }

    /// Counts a login.
    pub fn login(&self, outcome: LoginOutcome) {
        self.logins.with_label_values(&[outcome.as_str()]).inc();
    }

    /// Records the time of one argon2 operation (`hash` or `verify`).
    pub fn argon2(&self, operation: &str, elapsed: std::time::Duration) {
        self.argon2
            .with_label_values(&[operation])
            .observe(elapsed.as_secs_f64());
    }
}
