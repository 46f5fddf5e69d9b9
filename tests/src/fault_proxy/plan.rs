//! Which fault each request gets.

use std::collections::VecDeque;
use std::time::Duration;

use super::entries::put_records_entries;
use super::reply::Reply;
use super::SEED_VAR;

/// What the proxy does with one request. See the [module docs](super) for how each looks to
/// the client.
#[derive(Debug, Clone, PartialEq)]
pub enum Fault {
    /// Forward it and relay the answer.
    Pass,
    /// Reset the connection without forwarding.
    ResetBeforeForward,
    /// Forward it, drop the answer, reset the connection.
    ResetAfterForward,
    /// Forward it, send half the answer, close.
    Truncate,
    /// Hold it this long (forward it afterwards if the client is still there).
    Delay(Duration),
    /// Answer this instead of forwarding.
    Reply(Reply),
    /// PutRecords: fail the entries at these positions (out-of-range ones are ignored).
    FailEntries(Vec<usize>),
    /// PutRecords: fail each entry with this probability (drawn from the plan's seeded RNG).
    FailRandomEntries(f64),
}

impl Fault {
    /// The kind, for [`Stats::faults`](super::Stats::faults).
    pub fn kind(&self) -> FaultKind {
        match self {
            Fault::Pass => FaultKind::Pass,
            Fault::ResetBeforeForward => FaultKind::ResetBeforeForward,
            Fault::ResetAfterForward => FaultKind::ResetAfterForward,
            Fault::Truncate => FaultKind::Truncate,
            Fault::Delay(_) => FaultKind::Delay,
            Fault::Reply(_) => FaultKind::Reply,
            Fault::FailEntries(_) | Fault::FailRandomEntries(_) => FaultKind::FailEntries,
        }
    }
}

/// The kinds of [`Fault`], as counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FaultKind {
    /// [`Fault::Pass`].
    Pass,
    /// [`Fault::ResetBeforeForward`].
    ResetBeforeForward,
    /// [`Fault::ResetAfterForward`].
    ResetAfterForward,
    /// [`Fault::Truncate`].
    Truncate,
    /// [`Fault::Delay`].
    Delay,
    /// [`Fault::Reply`].
    Reply,
    /// [`Fault::FailEntries`] and [`Fault::FailRandomEntries`].
    FailEntries,
}

/// Which fault each request gets: first the scripted faults of its action (one per request,
/// in order), then the first random rule naming its action, else [`Fault::Pass`]. Actions are
/// the `X-Amz-Target` operation (`PutRecords`, `ListShards`, …); `"*"` names every action.
/// Random choices come from one RNG seeded with [`Plan::seed`], so a seed replays the same
/// choices for the same sequence of requests.
///
/// ```
/// use kinesis_tests::fault_proxy::{Fault, Plan};
/// let plan = Plan::seeded(7)
///     .script("PutRecords", [Fault::ResetBeforeForward])
///     .random("*", 0.25, [Fault::Truncate]);
/// assert_eq!(plan.seed(), 7);
/// ```
#[derive(Debug, Clone)]
pub struct Plan {
    seed: u64,
    rng: fastrand::Rng,
    scripts: Vec<(String, VecDeque<Fault>)>,
    random: Vec<RandomRule>,
}

#[derive(Debug, Clone)]
struct RandomRule {
    action: String,
    probability: f64,
    faults: Vec<Fault>,
}

impl Plan {
    /// Every request passes (a counting proxy).
    pub fn pass_through() -> Plan {
        Plan::seeded(0)
    }

    /// No rules yet; random choices seeded with `seed`.
    pub fn seeded(seed: u64) -> Plan {
        Plan {
            seed,
            rng: fastrand::Rng::with_seed(seed),
            scripts: Vec::new(),
            random: Vec::new(),
        }
    }

    /// Seeded from `FAULT_PROXY_SEED` when set (to replay a failure), else randomly. The
    /// proxy prints the seed when it starts, so a failing test's output names it.
    pub fn from_env_or_random() -> Plan {
        let seed = std::env::var(SEED_VAR)
            .ok()
            .and_then(|s| s.trim().parse().ok())
            .unwrap_or_else(|| fastrand::u64(..));
        Plan::seeded(seed)
    }

    /// The seed of the random choices.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// The next requests of `action` (`"*"`: of any action) get `faults`, one each, in order.
    pub fn script(mut self, action: &str, faults: impl IntoIterator<Item = Fault>) -> Plan {
        self.scripts
            .push((action.to_string(), faults.into_iter().collect()));
        self
    }

    /// Unscripted requests of `action` (`"*"`: of any action) get, with `probability`, one
    /// of `faults` picked uniformly (list one several times to weight it).
    pub fn random(
        mut self,
        action: &str,
        probability: f64,
        faults: impl IntoIterator<Item = Fault>,
    ) -> Plan {
        let faults: Vec<Fault> = faults.into_iter().collect();
        assert!(!faults.is_empty(), "Plan::random needs at least one fault");
        self.random.push(RandomRule {
            action: action.to_string(),
            probability,
            faults,
        });
        self
    }

    /// The fault for the next request of `action` with `body`; random entry failures are
    /// resolved to positions here.
    pub(crate) fn decide(&mut self, action: &str, body: &[u8]) -> Fault {
        let matches = |a: &str| a == "*" || a == action;
        let scripted = self
            .scripts
            .iter_mut()
            .find(|(a, faults)| matches(a) && !faults.is_empty())
            .and_then(|(_, faults)| faults.pop_front());
        let fault = match scripted {
            Some(f) => f,
            None => match self.random.iter().find(|r| matches(&r.action)) {
                Some(rule) if self.rng.f64() < rule.probability => {
                    rule.faults[self.rng.usize(..rule.faults.len())].clone()
                }
                _ => Fault::Pass,
            },
        };
        match fault {
            Fault::FailRandomEntries(p) => {
                let n = put_records_entries(body).map_or(0, |e| e.len());
                Fault::FailEntries((0..n).filter(|_| self.rng.f64() < p).collect())
            }
            f => f,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BODY: &str = r#"{"StreamName":"s","Records":[{"Data":"MA==","PartitionKey":"0"},{"Data":"MQ==","PartitionKey":"1"},{"Data":"Mg==","PartitionKey":"2"},{"Data":"Mw==","PartitionKey":"3"}]}"#;

    fn decisions(plan: &mut Plan, n: usize) -> Vec<Fault> {
        (0..n)
            .map(|_| plan.decide("PutRecords", BODY.as_bytes()))
            .collect()
    }

    #[test]
    fn scripts_come_first_then_seeded_random_choices_repeat() {
        let plan = || {
            Plan::seeded(42)
                .script("PutRecords", [Fault::Truncate, Fault::ResetBeforeForward])
                .random(
                    "*",
                    0.5,
                    [Fault::ResetAfterForward, Fault::FailRandomEntries(0.5)],
                )
        };
        let (mut a, mut b) = (plan(), plan());
        let first = decisions(&mut a, 40);
        assert_eq!(first, decisions(&mut b, 40));
        assert_eq!(&first[..2], &[Fault::Truncate, Fault::ResetBeforeForward]);
        let kinds: Vec<FaultKind> = first[2..].iter().map(Fault::kind).collect();
        for kind in [
            FaultKind::Pass,
            FaultKind::ResetAfterForward,
            FaultKind::FailEntries,
        ] {
            assert!(kinds.contains(&kind), "{kind:?} never chosen in {kinds:?}");
        }
        // Random entry failures are resolved to positions among the body's 4 entries.
        assert!(first.iter().all(|f| match f {
            Fault::FailEntries(e) => e.iter().all(|&i| i < 4),
            _ => true,
        }));
        // Another action is not scripted, and another seed chooses differently.
        assert_eq!(
            Plan::seeded(1)
                .script("PutRecords", [Fault::Truncate])
                .decide("ListShards", b"{}"),
            Fault::Pass
        );
        let mut c = Plan::seeded(43).random("*", 0.5, [Fault::ResetAfterForward]);
        let mut d = Plan::seeded(42).random("*", 0.5, [Fault::ResetAfterForward]);
        assert_ne!(decisions(&mut c, 40), decisions(&mut d, 40));
    }
}
