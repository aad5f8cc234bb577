//! The chaos schedule, pure: which fault happens when, drawn from a seed so
//! that a run can be repeated exactly (`--seed`).

use std::fmt;
use std::time::Duration;

use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};

pub use stack::Service;

/// One thing that goes wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// SIGKILL, then a restart after `down`.
    Kill {
        /// The process killed.
        service: Service,
        /// How long it stays dead.
        down: Duration,
    },
    /// The MongoDB server stopped for this long, then restarted on the same
    /// data and port.
    MongoOutage(Duration),
    /// The SMTP server stopped for this long, then restarted on the same
    /// ports and mail directory.
    SmtpOutage(Duration),
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Kill { service, down } => write!(
                f,
                "SIGKILL {} (restarted after {:.1} s)",
                service.name(),
                down.as_secs_f64()
            ),
            Self::MongoOutage(d) => write!(f, "MongoDB down for {:.1} s", d.as_secs_f64()),
            Self::SmtpOutage(d) => write!(f, "SMTP down for {:.1} s", d.as_secs_f64()),
        }
    }
}

/// A fault and when it starts, from the start of the load.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Step {
    /// When, from the start of the load (a step that finds the one before
    /// still running starts when it ends).
    pub at: Duration,
    /// What.
    pub fault: Fault,
}

/// The faults of a run of `load` with `rounds` rounds: in each round every
/// service is killed once and MongoDB and SMTP are each down once
/// (8–12 s), in an order drawn from `seed`; the steps are spread evenly
/// between 10 % and 80 % of the load, so the system has load before the
/// first fault and after the last one.
pub fn plan(seed: u64, load: Duration, rounds: u32) -> Vec<Step> {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut faults = Vec::new();
    for _ in 0..rounds.max(1) {
        let mut round: Vec<Fault> = Service::ALL
            .iter()
            .map(|&service| Fault::Kill {
                service,
                down: Duration::from_millis(rng.gen_range(0..=2_000)),
            })
            .collect();
        round.push(Fault::MongoOutage(Duration::from_millis(
            rng.gen_range(8_000..=12_000),
        )));
        round.push(Fault::SmtpOutage(Duration::from_millis(
            rng.gen_range(8_000..=12_000),
        )));
        round.shuffle(&mut rng);
        faults.extend(round);
    }
    let start = load.mul_f64(0.1);
    let slot = load.mul_f64(0.7) / faults.len() as u32;
    faults
        .into_iter()
        .enumerate()
        .map(|(i, fault)| {
            let jitter = rng.gen_range(0..=slot.as_millis() as u64 / 3);
            Step {
                at: start + slot * i as u32 + Duration::from_millis(jitter),
                fault,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kills(steps: &[Step], service: Service) -> usize {
        steps
            .iter()
            .filter(|s| matches!(s.fault, Fault::Kill { service: k, .. } if k == service))
            .count()
    }

    #[test]
    fn one_round_kills_every_service_once_and_stops_mongodb_and_smtp_once() {
        let steps = plan(7, Duration::from_secs(90), 1);
        assert_eq!(steps.len(), 7);
        for service in Service::ALL {
            assert_eq!(kills(&steps, service), 1, "{service:?}");
        }
        let outages = |f: fn(&Fault) -> bool| steps.iter().filter(|s| f(&s.fault)).count();
        assert_eq!(outages(|f| matches!(f, Fault::MongoOutage(_))), 1);
        assert_eq!(outages(|f| matches!(f, Fault::SmtpOutage(_))), 1);
    }

    #[test]
    fn the_same_seed_gives_the_same_schedule_and_another_seed_another() {
        let load = Duration::from_secs(600);
        assert_eq!(plan(42, load, 3), plan(42, load, 3));
        assert_ne!(plan(42, load, 3), plan(43, load, 3));
    }

    #[test]
    fn steps_are_in_order_inside_the_load_with_time_before_and_after() {
        let load = Duration::from_secs(90);
        for seed in 0..50 {
            let steps = plan(seed, load, 2);
            assert_eq!(steps.len(), 14);
            assert!(steps.windows(2).all(|w| w[0].at < w[1].at), "{steps:?}");
            assert!(steps[0].at >= load.mul_f64(0.1));
            assert!(steps.last().unwrap().at <= load.mul_f64(0.8));
            for step in &steps {
                match step.fault {
                    Fault::Kill { down, .. } => assert!(down <= Duration::from_secs(2)),
                    Fault::MongoOutage(d) | Fault::SmtpOutage(d) => {
                        assert!((8..=12).contains(&d.as_secs()), "{d:?}")
                    }
                }
            }
        }
    }
}
