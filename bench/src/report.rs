//! Figures and their rendering: the booking part's table here, and the
//! latency summary every part uses.

use std::time::Duration;

use crate::api::LoadResult;
use crate::floor::Floor;

/// One API measurement with its floor.
#[derive(Debug, Clone)]
pub struct Row {
    spread: bool,
    concurrency: usize,
    per_second: f64,
    p50: f64,
    p99: f64,
    floor_tps: f64,
    conflicts: u64,
}

/// The `q` quantile of sorted values.
pub fn quantile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = (q * (sorted.len() - 1) as f64).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

/// Latencies summarized.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Latency {
    /// How many.
    pub count: usize,
    /// Median, in milliseconds.
    pub p50: f64,
    /// 99th percentile, in milliseconds.
    pub p99: f64,
    /// Largest, in milliseconds.
    pub max: f64,
}

impl Latency {
    /// Summarizes latencies in milliseconds (any order).
    pub fn of(values: &[f64]) -> Self {
        let mut sorted = values.to_vec();
        sorted.sort_by(f64::total_cmp);
        Self {
            count: sorted.len(),
            p50: quantile(&sorted, 0.50),
            p99: quantile(&sorted, 0.99),
            max: sorted.last().copied().unwrap_or(f64::NAN),
        }
    }
}

impl Row {
    /// From a load result and its floor.
    pub fn new(
        spread: bool,
        concurrency: usize,
        result: &LoadResult,
        floor: f64,
        duration: Duration,
    ) -> Self {
        let mut sorted = result.latencies_ms.clone();
        sorted.sort_by(f64::total_cmp);
        Self {
            spread,
            concurrency,
            per_second: sorted.len() as f64 / duration.as_secs_f64(),
            p50: quantile(&sorted, 0.50),
            p99: quantile(&sorted, 0.99),
            floor_tps: floor,
            conflicts: result.conflicts,
        }
    }

    fn mode(&self) -> &'static str {
        if self.spread {
            "spread"
        } else {
            "hot"
        }
    }

    /// The ratio of API bookings/s to the floor's transactions/s.
    pub fn ratio(&self) -> f64 {
        self.per_second / self.floor_tps
    }

    /// A progress line.
    pub fn line(&self) -> String {
        format!(
            "api     {:<6} c={:<3} {:>9.0} bookings/s  p50 {:>6.2} ms  p99 {:>7.2} ms  {:>5.1}% of floor{}",
            self.mode(),
            self.concurrency,
            self.per_second,
            self.p50,
            self.p99,
            self.ratio() * 100.0,
            if self.conflicts > 0 { format!("  ({} sold-out 409s)", self.conflicts) } else { String::new() }
        )
    }
}

/// Everything measured in one run.
#[derive(Debug, Default)]
pub struct Figures {
    /// `(spread, concurrency, floor)`.
    pub floor: Vec<(bool, usize, Floor)>,
    /// API rows.
    pub rows: Vec<Row>,
}

impl Figures {
    /// The floor's tx/s for a configuration.
    pub fn floor_of(&self, spread: bool, concurrency: usize) -> f64 {
        self.floor
            .iter()
            .find(|(s, c, _)| *s == spread && *c == concurrency)
            .map_or(f64::NAN, |(_, _, f)| f.tps)
    }

    /// A markdown table for `docs/performance.md`.
    pub fn markdown(&self) -> String {
        let mut out = String::from(
            "| load | concurrency | floor (pgbench tx/s) | API bookings/s | p50 ms | p99 ms | API / floor |\n|---|---:|---:|---:|---:|---:|---:|\n",
        );
        for row in &self.rows {
            out.push_str(&format!(
                "| {} | {} | {:.0} | {:.0} | {:.2} | {:.2} | {:.0}% |\n",
                row.mode(),
                row.concurrency,
                row.floor_tps,
                row.per_second,
                row.p50,
                row.p99,
                row.ratio() * 100.0
            ));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::{quantile, Latency};

    #[test]
    fn a_summary_has_median_tail_and_max() {
        let values: Vec<f64> = (1..=100).rev().map(f64::from).collect();
        let latency = Latency::of(&values);
        assert_eq!(latency.count, 100);
        assert_eq!(latency.p50, 51.0);
        assert_eq!(latency.p99, 99.0);
        assert_eq!(latency.max, 100.0);
        assert!(Latency::of(&[]).max.is_nan());
    }

    #[test]
    fn quantiles_pick_by_rank() {
        let values: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(quantile(&values, 0.5), 51.0);
        assert_eq!(quantile(&values, 0.99), 99.0);
        assert!(quantile(&[], 0.5).is_nan());
    }
}
