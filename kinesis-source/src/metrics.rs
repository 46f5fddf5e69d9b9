//! Per-shard counters, updated by the reader threads and read by [`crate::KinesisSource::metrics`].

use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering::Relaxed};

/// Live counters of one shard (atomics, shared with its reader thread).
#[derive(Debug)]
pub(crate) struct ShardCounters {
    pub records: AtomicU64,
    pub bytes: AtomicU64,
    pub millis_behind_latest: AtomicI64,
    pub get_records_calls: AtomicU64,
    pub throttles: AtomicU64,
    pub retries: AtomicU64,
    pub iterator_refreshes: AtomicU64,
    pub skipped_records: AtomicU64,
    pub filtered_records: AtomicU64,
    pub finished: AtomicBool,
    pub ended_without_children: AtomicBool,
}

impl Default for ShardCounters {
    fn default() -> Self {
        ShardCounters {
            records: AtomicU64::new(0),
            bytes: AtomicU64::new(0),
            millis_behind_latest: AtomicI64::new(-1),
            get_records_calls: AtomicU64::new(0),
            throttles: AtomicU64::new(0),
            retries: AtomicU64::new(0),
            iterator_refreshes: AtomicU64::new(0),
            skipped_records: AtomicU64::new(0),
            filtered_records: AtomicU64::new(0),
            finished: AtomicBool::new(false),
            ended_without_children: AtomicBool::new(false),
        }
    }
}

impl ShardCounters {
    pub(crate) fn add(c: &AtomicU64, n: u64) {
        c.fetch_add(n, Relaxed);
    }

    pub(crate) fn snapshot(&self, shard_id: &str) -> ShardMetrics {
        let behind = self.millis_behind_latest.load(Relaxed);
        ShardMetrics {
            shard_id: shard_id.to_string(),
            records: self.records.load(Relaxed),
            bytes: self.bytes.load(Relaxed),
            millis_behind_latest: (behind >= 0).then_some(behind as u64),
            get_records_calls: self.get_records_calls.load(Relaxed),
            throttles: self.throttles.load(Relaxed),
            retries: self.retries.load(Relaxed),
            iterator_refreshes: self.iterator_refreshes.load(Relaxed),
            skipped_records: self.skipped_records.load(Relaxed),
            filtered_records: self.filtered_records.load(Relaxed),
            finished: self.finished.load(Relaxed),
            ended_without_children: self.ended_without_children.load(Relaxed),
        }
    }
}

/// A snapshot of one shard's counters.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct ShardMetrics {
    /// The shard.
    pub shard_id: String,
    /// User records read (after KPL de-aggregation) and decoded into rows.
    pub records: u64,
    /// Payload bytes received (Kinesis records, before de-aggregation).
    pub bytes: u64,
    /// `MillisBehindLatest` of the last GetRecords response (`None` before the first).
    pub millis_behind_latest: Option<u64>,
    /// Successful GetRecords calls.
    pub get_records_calls: u64,
    /// Calls answered with a throttling error (`ProvisionedThroughputExceededException`, ...).
    pub throttles: u64,
    /// Calls that failed with a retryable error and were retried (throttles included).
    pub retries: u64,
    /// Shard iterators obtained again after `ExpiredIteratorException`.
    pub iterator_refreshes: u64,
    /// Records skipped because the format could not decode them (`*.ignore-parse-errors`).
    pub skipped_records: u64,
    /// KPL user records dropped because their aggregate fell outside the shard's hash range.
    pub filtered_records: u64,
    /// The shard is closed and was read to its end.
    pub finished: bool,
    /// The shard's iterator ended without `ChildShards` while ListShards still reported it
    /// open (never on real Kinesis): it is treated as ended and no child will follow, so a
    /// caller waiting for its children (the CLI's `-e`) need not.
    pub ended_without_children: bool,
}
