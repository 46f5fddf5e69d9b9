//! Per-shard pacing, on top of the AIMD limiter: a token bucket per shard at Kinesis's
//! write limit (1,000 records/s and 1 MiB/s of data + partition key), as the KPL's
//! per-shard rate limit. The AIMD limiter only reacts to throttling, and a single hot
//! shard throttled most of the sink's entry attempts (63 % at one shard in BENCHMARKS.md);
//! pacing holds a batch back until its shards' buckets can take it.
//!
//! Pacing starts with the first throttled entry (a sink that is never throttled never
//! calls ListShards): the stream's shard map then comes from ListShards (one attempt,
//! renewed after [`MAP_MAX_AGE`] while pacing), each record's shard from its hash key.
//! Without a map (ListShards not permitted, or failing) the sink runs on AIMD alone.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use kinesis_wire::model::{ListShardsInput, StreamRef};
use kinesis_wire::{KinesisClient, RetryPolicy, Shutdown};

use crate::shard_map::{hash_key, ShardMap};
use crate::state::Entry;

/// Kinesis's write limit per shard: records per second.
pub(crate) const SHARD_RECORDS_PER_S: f64 = 1000.0;
/// Kinesis's write limit per shard: bytes (data + partition key) per second.
pub(crate) const SHARD_BYTES_PER_S: f64 = 1024.0 * 1024.0;
/// How long a shard map is used before it is listed again (resharding).
pub(crate) const MAP_MAX_AGE: Duration = Duration::from_secs(60);
/// After a failed ListShards, the next attempt waits this long.
const MAP_RETRY_AFTER: Duration = Duration::from_secs(30);

/// A token bucket in two dimensions (records, bytes) that may go into debt: a reservation
/// is taken at once and its wait is the time the debt takes to be repaid.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Bucket {
    records: f64,
    bytes: f64,
    at: Instant,
}

impl Bucket {
    /// A full bucket (one second's worth, as Kinesis's own).
    pub fn full(now: Instant) -> Bucket {
        Bucket {
            records: SHARD_RECORDS_PER_S,
            bytes: SHARD_BYTES_PER_S,
            at: now,
        }
    }

    /// Takes `records` and `bytes`; how long to wait before sending them.
    pub fn reserve(&mut self, records: f64, bytes: f64, now: Instant) -> Duration {
        let dt = now.saturating_duration_since(self.at).as_secs_f64();
        self.at = self.at.max(now);
        self.records = (self.records + dt * SHARD_RECORDS_PER_S).min(SHARD_RECORDS_PER_S);
        self.bytes = (self.bytes + dt * SHARD_BYTES_PER_S).min(SHARD_BYTES_PER_S);
        self.records -= records;
        self.bytes -= bytes;
        let wait = (-self.records / SHARD_RECORDS_PER_S).max(-self.bytes / SHARD_BYTES_PER_S);
        Duration::from_secs_f64(wait.max(0.0))
    }
}

#[derive(Debug, Default)]
struct PacerState {
    /// A throttled entry was seen: pacing is wanted.
    wanted: bool,
    map: Option<Arc<ShardMap>>,
    /// When the map was listed (or last failed to be).
    listed_at: Option<Instant>,
    listing: bool,
    buckets: HashMap<Arc<str>, Bucket>,
}

/// The pacing of one sink (shared by its sender threads).
#[derive(Debug, Default)]
pub(crate) struct ShardPacer {
    state: Mutex<PacerState>,
}

impl ShardPacer {
    fn lock(&self) -> std::sync::MutexGuard<'_, PacerState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Records that an entry was throttled: pacing starts with the next batch.
    pub fn note_throttled(&self) {
        self.lock().wanted = true;
    }

    /// Whether a shard map is in use (for tests and logs).
    #[cfg(test)]
    pub fn is_pacing(&self) -> bool {
        self.lock().map.is_some()
    }

    /// The map to pace by: the current one, or a new listing when it is due (done by one
    /// caller at a time, the others go on with the map they have).
    fn map(
        &self,
        client: &KinesisClient,
        stream: &StreamRef,
        stop: &Shutdown,
    ) -> Option<Arc<ShardMap>> {
        let now = Instant::now();
        {
            let mut st = self.lock();
            if !st.wanted {
                return None;
            }
            let due = match st.listed_at {
                None => true,
                Some(at) if st.map.is_some() => now.duration_since(at) >= MAP_MAX_AGE,
                Some(at) => now.duration_since(at) >= MAP_RETRY_AFTER,
            };
            if !due || st.listing {
                return st.map.clone();
            }
            st.listing = true;
        }
        let listed = client.list_all_shards(
            &ListShardsInput::for_stream(stream.clone()),
            &RetryPolicy::no_retry(),
            stop,
        );
        let mut st = self.lock();
        st.listing = false;
        st.listed_at = Some(Instant::now());
        match listed {
            Ok(shards) => {
                let map = ShardMap::from_shards(&shards);
                if map.is_empty() {
                    st.map = None;
                } else {
                    log::debug!(
                        "kinesis sink: pacing the writes to stream {stream} per shard (a throttled entry was seen)"
                    );
                    st.map = Some(Arc::new(map));
                }
            }
            Err(e) => {
                // Pacing is an optimisation: without a map AIMD alone handles throttling.
                log::debug!(
                    "kinesis sink: no per-shard pacing for stream {stream} (ListShards failed: {e}); relying on the AIMD limiter"
                );
                st.map = None;
            }
        }
        st.map.clone()
    }

    /// How long `batch` must wait for its shards' buckets (reserving its share of each).
    /// Zero while pacing is not wanted or no map is known.
    pub fn reserve(
        &self,
        batch: &[Entry],
        client: &KinesisClient,
        stream: &StreamRef,
        stop: &Shutdown,
    ) -> Duration {
        let Some(map) = self.map(client, stream, stop) else {
            return Duration::ZERO;
        };
        let mut demand: Vec<(&Arc<str>, f64, f64)> = Vec::new();
        for e in batch {
            let key = &e.record.partition_key;
            let Some(shard) = map.owner(hash_key(key, None)) else {
                continue;
            };
            let bytes = (e.record.data.len() + key.len()) as f64;
            match demand
                .iter_mut()
                .find(|d| Arc::ptr_eq(d.0, &shard.shard_id))
            {
                Some(d) => {
                    d.1 += 1.0;
                    d.2 += bytes;
                }
                None => demand.push((&shard.shard_id, 1.0, bytes)),
            }
        }
        self.take(demand)
    }

    /// How long Kinesis records already routed to their shards (an aggregate carries its
    /// shard's hash key) must wait: one record and `bytes` each. Zero while pacing is not
    /// wanted or no map is known, as for [`ShardPacer::reserve`].
    pub fn reserve_routed(
        &self,
        records: &[(Arc<str>, u64)],
        client: &KinesisClient,
        stream: &StreamRef,
        stop: &Shutdown,
    ) -> Duration {
        if self.map(client, stream, stop).is_none() {
            return Duration::ZERO;
        }
        let mut demand: Vec<(&Arc<str>, f64, f64)> = Vec::new();
        for (shard, bytes) in records {
            match demand
                .iter_mut()
                .find(|d| Arc::ptr_eq(d.0, shard) || d.0 == shard)
            {
                Some(d) => {
                    d.1 += 1.0;
                    d.2 += *bytes as f64;
                }
                None => demand.push((shard, 1.0, *bytes as f64)),
            }
        }
        self.take(demand)
    }

    /// Reserves each shard's share of its bucket; the longest wait among them.
    fn take(&self, demand: Vec<(&Arc<str>, f64, f64)>) -> Duration {
        let now = Instant::now();
        let mut st = self.lock();
        let mut wait = Duration::ZERO;
        for (shard, records, bytes) in demand {
            let bucket = st
                .buckets
                .entry(shard.clone())
                .or_insert_with(|| Bucket::full(now));
            wait = wait.max(bucket.reserve(records, bytes, now));
        }
        wait
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_bucket_takes_one_seconds_worth_at_once_then_paces_at_the_limit() {
        let t0 = Instant::now();
        let mut b = Bucket::full(t0);
        assert_eq!(b.reserve(1000.0, 100_000.0, t0), Duration::ZERO);
        // The next 500 records wait for half a second's refill.
        let w = b.reserve(500.0, 50_000.0, t0);
        assert!((w.as_secs_f64() - 0.5).abs() < 1e-6, "{w:?}");
        // Reservations queue: another 500 wait a second from t0.
        let w = b.reserve(500.0, 50_000.0, t0);
        assert!((w.as_secs_f64() - 1.0).abs() < 1e-6, "{w:?}");
        // Once the time passed, the debt is repaid.
        assert_eq!(
            b.reserve(0.0, 0.0, t0 + Duration::from_secs(1)),
            Duration::ZERO
        );
    }

    #[test]
    fn bytes_pace_as_well_as_records() {
        let t0 = Instant::now();
        let mut b = Bucket::full(t0);
        // 10 records of 512 KiB: 5 MiB, five seconds' worth of bytes.
        let w = b.reserve(10.0, 5.0 * SHARD_BYTES_PER_S, t0);
        assert!((w.as_secs_f64() - 4.0).abs() < 1e-6, "{w:?}");
    }

    #[test]
    fn a_bucket_refills_to_one_seconds_worth_only() {
        let t0 = Instant::now();
        let mut b = Bucket::full(t0);
        let later = t0 + Duration::from_secs(60);
        assert_eq!(b.reserve(1000.0, 0.0, later), Duration::ZERO);
        let w = b.reserve(100.0, 0.0, later);
        assert!((w.as_secs_f64() - 0.1).abs() < 1e-6, "{w:?}");
    }

    #[test]
    fn aggregates_pace_by_their_bytes_not_their_user_records() {
        // 20 aggregates of 50 KiB (thousands of user records) are 20 Kinesis records: the
        // byte limit, not the record limit, holds the next 20 back for about a second.
        let pacer = ShardPacer::default();
        let shard: Arc<str> = Arc::from("shardId-000000000000");
        let other: Arc<str> = Arc::from("shardId-000000000001");
        let half = 20.0 * 51_200.0;
        assert_eq!(pacer.take(vec![(&shard, 20.0, half)]), Duration::ZERO);
        let wait = pacer.take(vec![(&shard, 20.0, half), (&other, 20.0, half)]);
        assert!(
            wait > Duration::from_millis(900) && wait < Duration::from_millis(1100),
            "{wait:?}"
        );
        // Another shard has its own bucket: its first second's worth goes at once.
        assert_eq!(
            pacer.take(vec![(&Arc::from("shardId-000000000002"), 20.0, half)]),
            Duration::ZERO
        );
    }

    #[test]
    fn without_throttling_there_is_no_pacing_and_no_listing() {
        // An endpoint that refuses connections: a ListShards call would fail, but none is
        // made before a throttled entry.
        let port = kinesis_tests::RefusingPort::bind();
        let client = kinesis_tests::client_builder(&port.url()).build().unwrap();
        let pacer = ShardPacer::default();
        let stream = StreamRef::from("s".to_string());
        let batch: Vec<Entry> = (0..2000)
            .map(|seq| Entry {
                record: crate::SinkRecord::new(vec![0; 10], "k"),
                seq,
                attempts: 0,
                last_error: None,
            })
            .collect();
        assert_eq!(
            pacer.reserve(&batch, &client, &stream, &Shutdown::new()),
            Duration::ZERO
        );
        assert!(!pacer.is_pacing());
        pacer.note_throttled();
        // Throttled, but ListShards fails: AIMD alone, no wait.
        assert_eq!(
            pacer.reserve(&batch, &client, &stream, &Shutdown::new()),
            Duration::ZERO
        );
        assert!(!pacer.is_pacing());
    }
}
