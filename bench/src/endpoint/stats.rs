//! The endpoint's counters and what `KinesisBench.Stats` answers: its own CPU time (to show
//! that the clients, not it, are measured), requests per operation, and per stream (and
//! optionally per shard) the records and bytes accepted and throttled, written and read.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};

use serde::{Deserialize, Serialize};

use super::api::Api;
use super::store::{ShardCounters, Stream};

const OPS: [&str; 11] = [
    "PutRecords",
    "PutRecord",
    "GetRecords",
    "GetShardIterator",
    "ListShards",
    "DescribeStreamSummary",
    "ListStreams",
    "CreateStream",
    "DeleteStream",
    "KinesisBench",
    "other",
];

/// Requests and their body bytes per operation.
#[derive(Debug, Default)]
pub struct Counters {
    requests: [AtomicU64; OPS.len()],
    request_bytes: [AtomicU64; OPS.len()],
}

impl Counters {
    /// Counts one request of `op`.
    pub fn count(&self, op: &str) {
        self.requests[op_index(op)].fetch_add(1, Ordering::Relaxed);
    }

    /// Counts `bytes` of request body of `op` (what a client sent, retries included).
    pub fn count_bytes(&self, op: &str, bytes: usize) {
        self.request_bytes[op_index(op)].fetch_add(bytes as u64, Ordering::Relaxed);
    }
}

fn op_index(op: &str) -> usize {
    OPS.iter().position(|o| *o == op).unwrap_or(OPS.len() - 1)
}

fn by_op(counters: &[AtomicU64; OPS.len()]) -> BTreeMap<String, u64> {
    OPS.iter()
        .zip(counters)
        .map(|(op, n)| (op.to_string(), n.load(Ordering::Relaxed)))
        .filter(|(_, n)| *n > 0)
        .collect()
}

/// One shard's counters, as reported.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ShardStats {
    /// Records accepted by PutRecords/PutRecord.
    pub put_accepted: u64,
    /// Their bytes (data + partition key).
    pub put_accepted_bytes: u64,
    /// Entries failed with ProvisionedThroughputExceededException.
    pub put_throttled: u64,
    pub put_throttled_bytes: u64,
    /// GetRecords calls (throttled ones included).
    pub get_calls: u64,
    /// GetRecords calls answered with ProvisionedThroughputExceededException.
    pub get_throttled: u64,
    /// Records and bytes returned by GetRecords.
    pub get_records: u64,
    pub get_bytes: u64,
}

impl ShardStats {
    fn of(c: &ShardCounters) -> ShardStats {
        let l = |a: &AtomicU64| a.load(Ordering::Relaxed);
        ShardStats {
            put_accepted: l(&c.put_accepted),
            put_accepted_bytes: l(&c.put_accepted_bytes),
            put_throttled: l(&c.put_throttled),
            put_throttled_bytes: l(&c.put_throttled_bytes),
            get_calls: l(&c.get_calls),
            get_throttled: l(&c.get_throttled),
            get_records: l(&c.get_records),
            get_bytes: l(&c.get_bytes),
        }
    }

    fn add(&mut self, o: &ShardStats) {
        self.put_accepted += o.put_accepted;
        self.put_accepted_bytes += o.put_accepted_bytes;
        self.put_throttled += o.put_throttled;
        self.put_throttled_bytes += o.put_throttled_bytes;
        self.get_calls += o.get_calls;
        self.get_throttled += o.get_throttled;
        self.get_records += o.get_records;
        self.get_bytes += o.get_bytes;
    }

    /// `self - earlier`, field by field (counters only grow).
    pub fn since(&self, earlier: &ShardStats) -> ShardStats {
        ShardStats {
            put_accepted: self.put_accepted - earlier.put_accepted,
            put_accepted_bytes: self.put_accepted_bytes - earlier.put_accepted_bytes,
            put_throttled: self.put_throttled - earlier.put_throttled,
            put_throttled_bytes: self.put_throttled_bytes - earlier.put_throttled_bytes,
            get_calls: self.get_calls - earlier.get_calls,
            get_throttled: self.get_throttled - earlier.get_throttled,
            get_records: self.get_records - earlier.get_records,
            get_bytes: self.get_bytes - earlier.get_bytes,
        }
    }

    /// Share of PutRecords entry attempts that were throttled (0 when none were made).
    pub fn put_throttled_share(&self) -> f64 {
        let all = self.put_accepted + self.put_throttled;
        if all == 0 {
            0.0
        } else {
            self.put_throttled as f64 / all as f64
        }
    }
}

/// One stream's counters, as reported.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct StreamStats {
    pub name: String,
    pub shards: usize,
    pub limited: bool,
    /// The sum over its shards.
    pub total: ShardStats,
    /// Each shard's, when asked for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub per_shard: Option<Vec<ShardStats>>,
}

impl StreamStats {
    fn of(s: &Stream, per_shard: bool) -> StreamStats {
        let shards: Vec<ShardStats> = s
            .shards
            .iter()
            .map(|x| ShardStats::of(&x.counters))
            .collect();
        let mut total = ShardStats::default();
        shards.iter().for_each(|x| total.add(x));
        StreamStats {
            name: s.name.clone(),
            shards: s.shards.len(),
            limited: s.limits.is_some(),
            total,
            per_shard: per_shard.then_some(shards),
        }
    }
}

/// What `KinesisBench.Stats` answers.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Stats {
    /// The endpoint process's CPU seconds so far (all threads).
    pub cpu_s: f64,
    /// Seconds since the endpoint started.
    pub uptime_s: f64,
    /// Requests per operation (`KinesisBench` = control calls).
    pub requests: BTreeMap<String, u64>,
    /// Request body bytes per operation (HTTP headers not counted).
    #[serde(default)]
    pub request_bytes: BTreeMap<String, u64>,
    pub streams: Vec<StreamStats>,
}

impl Stats {
    /// The endpoint's counters now.
    pub fn collect(api: &Api, per_shard: bool) -> Stats {
        Stats {
            cpu_s: crate::measure::cpu_now().as_secs_f64(),
            uptime_s: api.started.elapsed().as_secs_f64(),
            requests: by_op(&api.counters.requests),
            request_bytes: by_op(&api.counters.request_bytes),
            streams: api
                .store
                .all()
                .iter()
                .map(|s| StreamStats::of(s, per_shard))
                .collect(),
        }
    }

    /// Kinesis requests (control calls not counted).
    pub fn kinesis_requests(&self) -> u64 {
        self.requests
            .iter()
            .filter(|(op, _)| op.as_str() != "KinesisBench")
            .map(|(_, n)| n)
            .sum()
    }

    /// A stream's counters (zero when it does not exist).
    pub fn stream(&self, name: &str) -> ShardStats {
        self.streams
            .iter()
            .find(|s| s.name == name)
            .map(|s| s.total.clone())
            .unwrap_or_default()
    }
}
