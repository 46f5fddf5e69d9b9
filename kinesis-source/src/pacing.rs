//! A reader's estimate of its shard's read budget, so a reader catching up does not keep
//! running into `ProvisionedThroughputExceededException` (our addition, README "Reading at
//! the shard's limit").
//!
//! Kinesis allows each shard 5 GetRecords calls and 2 MiB per second; one call may return up
//! to 10 MiB, after which the shard refuses calls until the budget is repaid. At Flink's
//! defaults (a call every 200 ms, up to 10,000 records) a reader on a full shard of small
//! records asks for about 5 MiB/s, so every few calls one is throttled, and Flink's retry
//! policy (3 retries, a second or so of backoff in all) often ends before the debt is
//! repaid: the source fails. The pacer keeps the shard's byte budget as Kinesis does (a
//! bucket of one second's 2 MiB, refilled continuously, each page's bytes taken from it, into
//! debt if need be) and, once the shard has throttled a call, has the reader wait until the
//! budget is no longer in debt and 200 ms have passed since the previous call, before each
//! call and before each retry of a throttled one.
//!
//! It is off until the first throttled call, like the sink's per-shard pacing: a shard that
//! is never throttled (one that keeps up, or a test server without limits) is read exactly
//! as Flink reads it. The estimate sees only this reader's calls; other consumers of the same
//! shard share its budget, and their throttling is still met by the retry policy.

use std::time::{Duration, Instant};

/// Kinesis's per-shard read budget, bytes per second.
const BYTES_PER_SECOND: f64 = kinesis_wire::limits::SHARD_READ_BYTES_PER_SECOND as f64;
/// Kinesis's per-shard call limit as the shortest gap between two calls: 5 per second.
const MIN_CALL_GAP: Duration = Duration::from_millis(200);

/// One shard's read budget as its reader sees it.
#[derive(Debug, Clone)]
pub(crate) struct ReadPacer {
    /// Whether the shard has throttled a call (the pacer waits only from then on).
    on: bool,
    /// Bytes available (negative: the debt of a page larger than the budget).
    tokens: f64,
    /// When `tokens` was last refilled.
    refilled: Instant,
    /// When the last call started.
    last_call: Option<Instant>,
}

impl ReadPacer {
    /// A full budget at `now`, off.
    pub(crate) fn new(now: Instant) -> Self {
        ReadPacer {
            on: false,
            tokens: BYTES_PER_SECOND,
            refilled: now,
            last_call: None,
        }
    }

    fn refill(&mut self, now: Instant) {
        let dt = now.saturating_duration_since(self.refilled).as_secs_f64();
        self.tokens = (self.tokens + dt * BYTES_PER_SECOND).min(BYTES_PER_SECOND);
        self.refilled = self.refilled.max(now);
    }

    /// Counts a call starting at `now`.
    pub(crate) fn call_started(&mut self, now: Instant) {
        self.last_call = Some(now);
    }

    /// Counts a page of `bytes` (data and partition keys) returned at `now`.
    pub(crate) fn charge(&mut self, bytes: u64, now: Instant) {
        self.refill(now);
        self.tokens -= bytes as f64;
    }

    /// The shard refused a call for its throughput: pace from now on. Where the estimate
    /// still had budget left, something else spent it (another consumer): the estimate
    /// drops to an empty budget.
    pub(crate) fn throttled(&mut self, now: Instant) {
        self.on = true;
        self.refill(now);
        self.tokens = self.tokens.min(0.0);
    }

    /// How long to wait at `now` before the next call: zero while off; otherwise until the
    /// budget is out of debt and 200 ms after the previous call's start.
    pub(crate) fn wait(&mut self, now: Instant) -> Duration {
        if !self.on {
            return Duration::ZERO;
        }
        self.refill(now);
        let debt = if self.tokens < 0.0 {
            Duration::from_secs_f64(-self.tokens / BYTES_PER_SECOND)
        } else {
            Duration::ZERO
        };
        let gap = self
            .last_call
            .map(|t| (t + MIN_CALL_GAP).saturating_duration_since(now))
            .unwrap_or(Duration::ZERO);
        debt.max(gap)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIB: u64 = 1 << 20;

    #[test]
    fn off_until_throttled() {
        let t0 = Instant::now();
        let mut p = ReadPacer::new(t0);
        p.call_started(t0);
        p.charge(10 * MIB, t0);
        assert_eq!(
            p.wait(t0),
            Duration::ZERO,
            "never throttled: Flink's timing"
        );
        p.throttled(t0);
        assert!(p.on);
        // 10 MiB against a full 2 MiB budget: 8 MiB of debt, 4 s at 2 MiB/s.
        let w = p.wait(t0);
        assert!((w.as_secs_f64() - 4.0).abs() < 1e-6, "{w:?}");
        // Half a second later, half a second less.
        let w = p.wait(t0 + Duration::from_millis(500));
        assert!((w.as_secs_f64() - 3.5).abs() < 1e-6, "{w:?}");
    }

    #[test]
    fn pages_of_one_mib_are_read_at_two_mib_per_second() {
        // A catching-up reader: every call returns 1 MiB; waiting as told, it reads 2 MiB/s
        // once the first second's budget is spent, and the budget never goes below one page.
        let t0 = Instant::now();
        let mut p = ReadPacer::new(t0);
        p.throttled(t0);
        let mut now = t0;
        let mut lowest = f64::MAX;
        for _ in 0..100 {
            now += p.wait(now);
            p.call_started(now);
            p.charge(MIB, now);
            lowest = lowest.min(p.tokens);
        }
        let rate = 100.0 * MIB as f64 / now.duration_since(t0).as_secs_f64();
        assert!(
            (rate / BYTES_PER_SECOND - 1.0).abs() < 0.03,
            "{} MiB/s",
            rate / MIB as f64
        );
        assert!(lowest >= -(MIB as f64) - 1.0, "{lowest}");
    }

    #[test]
    fn small_pages_are_held_to_five_calls_a_second() {
        let t0 = Instant::now();
        let mut p = ReadPacer::new(t0);
        p.throttled(t0);
        p.call_started(t0);
        p.charge(100, t0);
        assert_eq!(p.wait(t0), MIN_CALL_GAP);
        assert_eq!(
            p.wait(t0 + Duration::from_millis(150)),
            Duration::from_millis(50)
        );
        assert_eq!(p.wait(t0 + Duration::from_millis(250)), Duration::ZERO);
    }

    #[test]
    fn a_throttle_with_budget_left_empties_it() {
        let t0 = Instant::now();
        let mut p = ReadPacer::new(t0);
        p.charge(MIB, t0);
        p.throttled(t0);
        assert_eq!(p.tokens, 0.0);
        assert_eq!(p.wait(t0), Duration::ZERO);
        p.charge(MIB, t0);
        let w = p.wait(t0);
        assert!((w.as_secs_f64() - 0.5).abs() < 1e-6, "{w:?}");
    }
}
