//! Kinesis's per-shard limits as token buckets.
//!
//! Kinesis (provisioned mode) allows per shard: writes of 1,000 records/s and 1 MiB/s (a
//! record counts its data and partition key), entries beyond failed one by one with
//! `ProvisionedThroughputExceededException`; reads of 5 GetRecords calls/s and 2 MiB/s,
//! calls beyond answered with `ProvisionedThroughputExceededException`. A GetRecords call
//! may return up to 10 MiB, after which the shard's later calls are refused until the read
//! rate is back under the limit ("subsequent calls made within the next 5 seconds throw"):
//! the read-bytes bucket may go into debt, and a call is refused while it is in debt.
//!
//! Each bucket holds at most one second of its rate and refills continuously; this is the
//! model of the limit, not AWS's exact accounting, and is what `BENCHMARKS.md` says.

use std::time::Instant;

/// Per-shard rates (per second).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ShardLimits {
    /// Records written per second.
    pub write_records: f64,
    /// Bytes (data + partition key) written per second.
    pub write_bytes: f64,
    /// GetRecords calls per second.
    pub read_calls: f64,
    /// Bytes (data + partition key) read per second.
    pub read_bytes: f64,
}

impl ShardLimits {
    /// Kinesis's limits for a provisioned shard.
    pub const KINESIS: ShardLimits = ShardLimits {
        write_records: 1000.0,
        write_bytes: 1024.0 * 1024.0,
        read_calls: 5.0,
        read_bytes: 2.0 * 1024.0 * 1024.0,
    };
}

/// A token bucket holding at most one second of `rate`, refilled continuously.
///
/// ```
/// use std::time::{Duration, Instant};
/// use kinesis_bench::endpoint::limits::TokenBucket;
/// let t0 = Instant::now();
/// let mut b = TokenBucket::new(1000.0, t0);
/// assert!(b.try_take(1000.0, t0));
/// assert!(!b.try_take(1.0, t0));
/// assert!(b.try_take(100.0, t0 + Duration::from_millis(100)));
/// ```
#[derive(Debug, Clone)]
pub struct TokenBucket {
    rate: f64,
    tokens: f64,
    last: Instant,
}

impl TokenBucket {
    /// A full bucket.
    pub fn new(rate: f64, now: Instant) -> TokenBucket {
        TokenBucket {
            rate,
            tokens: rate,
            last: now,
        }
    }

    fn refill(&mut self, now: Instant) {
        let dt = now.saturating_duration_since(self.last).as_secs_f64();
        self.tokens = (self.tokens + dt * self.rate).min(self.rate);
        self.last = now.max(self.last);
    }

    /// Tokens available now (negative while in debt).
    pub fn available(&mut self, now: Instant) -> f64 {
        self.refill(now);
        self.tokens
    }

    /// Takes `n` tokens if that many are there.
    pub fn try_take(&mut self, n: f64, now: Instant) -> bool {
        self.refill(now);
        if self.tokens + 1e-9 >= n {
            self.tokens -= n;
            true
        } else {
            false
        }
    }

    /// Takes `n` tokens, going into debt if needed.
    pub fn take_debt(&mut self, n: f64, now: Instant) {
        self.refill(now);
        self.tokens -= n;
    }
}

/// A shard's write buckets.
#[derive(Debug, Clone)]
pub struct WriteBuckets {
    records: TokenBucket,
    bytes: TokenBucket,
}

impl WriteBuckets {
    pub fn new(limits: &ShardLimits, now: Instant) -> Self {
        WriteBuckets {
            records: TokenBucket::new(limits.write_records, now),
            bytes: TokenBucket::new(limits.write_bytes, now),
        }
    }

    /// Whether one record of `size` bytes may be written now (and takes it if so).
    ///
    /// ```
    /// use std::time::Instant;
    /// use kinesis_bench::endpoint::limits::{ShardLimits, WriteBuckets};
    /// let now = Instant::now();
    /// let mut w = WriteBuckets::new(&ShardLimits::KINESIS, now);
    /// let accepted = (0..1500).filter(|_| w.admit(100, now)).count();
    /// assert_eq!(accepted, 1000);
    /// ```
    pub fn admit(&mut self, size: usize, now: Instant) -> bool {
        let size = size as f64;
        if self.records.available(now) + 1e-9 >= 1.0 && self.bytes.available(now) + 1e-9 >= size {
            self.records.take_debt(1.0, now);
            self.bytes.take_debt(size, now);
            true
        } else {
            false
        }
    }
}

/// A shard's read buckets.
#[derive(Debug, Clone)]
pub struct ReadBuckets {
    calls: TokenBucket,
    bytes: TokenBucket,
}

impl ReadBuckets {
    pub fn new(limits: &ShardLimits, now: Instant) -> Self {
        ReadBuckets {
            calls: TokenBucket::new(limits.read_calls, now),
            bytes: TokenBucket::new(limits.read_bytes, now),
        }
    }

    /// Whether a GetRecords call may be served now (and counts it if so).
    ///
    /// ```
    /// use std::time::Instant;
    /// use kinesis_bench::endpoint::limits::{ShardLimits, ReadBuckets};
    /// let now = Instant::now();
    /// let mut r = ReadBuckets::new(&ShardLimits::KINESIS, now);
    /// assert_eq!((0..10).filter(|_| r.admit_call(now)).count(), 5);
    /// ```
    pub fn admit_call(&mut self, now: Instant) -> bool {
        if self.bytes.available(now) < 0.0 {
            return false;
        }
        self.calls.try_take(1.0, now)
    }

    /// Counts `bytes` read by a call that was admitted (may go into debt).
    pub fn charge(&mut self, bytes: usize, now: Instant) {
        self.bytes.take_debt(bytes as f64, now);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn write_bytes_limit_binds_for_large_records() {
        let now = Instant::now();
        let mut w = WriteBuckets::new(&ShardLimits::KINESIS, now);
        // 100 KiB records: ten fit in one second's MiB, the eleventh does not.
        let n = (0..20).filter(|_| w.admit(100 * 1024, now)).count();
        assert_eq!(n, 10);
        // Half a second later, five more.
        let later = now + Duration::from_millis(500);
        assert_eq!((0..20).filter(|_| w.admit(100 * 1024, later)).count(), 5);
    }

    #[test]
    fn a_big_read_blocks_the_shard_until_the_debt_is_paid() {
        let now = Instant::now();
        let mut r = ReadBuckets::new(&ShardLimits::KINESIS, now);
        assert!(r.admit_call(now));
        r.charge(10 << 20, now); // 10 MiB: 8 MiB in debt, 4 s to repay
        assert!(!r.admit_call(now + Duration::from_secs(3)));
        assert!(r.admit_call(now + Duration::from_millis(4100)));
    }

    #[test]
    fn buckets_hold_at_most_one_second() {
        let now = Instant::now();
        let mut b = TokenBucket::new(5.0, now);
        let later = now + Duration::from_secs(60);
        assert_eq!((0..100).filter(|_| b.try_take(1.0, later)).count(), 5);
    }
}
