//! The endpoint's in-memory streams: shards with even hash-key ranges, records (or only
//! their count, for streams that do not retain data), sequence numbers, shard iterators and
//! per-shard counters.
//!
//! Accounting is in Kinesis records and bytes per shard (data + partition key): a KPL
//! aggregate is one ordinary record to it, as to Kinesis.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Instant;

use base64::Engine as _;

use super::limits::{ReadBuckets, ShardLimits, WriteBuckets};

/// GetRecords returns at most this many bytes (Kinesis: 10 MiB).
pub const MAX_GET_BYTES: usize = 10 << 20;
/// GetRecords returns at most this many records (Kinesis: 10,000).
pub const MAX_GET_RECORDS: usize = 10_000;

/// What a new stream is.
#[derive(Debug, Clone, PartialEq)]
pub struct StreamSpec {
    pub name: String,
    pub shards: usize,
    /// Per-shard limits to enforce; `None`: unlimited.
    pub limits: Option<ShardLimits>,
    /// Keep the records (to be read back); otherwise only count them.
    pub retain: bool,
}

/// One stored record.
#[derive(Debug, Clone)]
struct StoredRecord {
    arrival_ms: i64,
    /// The partition key as a JSON string literal (quotes included).
    key_json: Box<str>,
    data_b64: Box<str>,
    /// Data + partition key bytes (what the limits count).
    size: u32,
}

/// Per-shard counters (monotonic).
#[derive(Debug, Default)]
pub struct ShardCounters {
    pub put_accepted: AtomicU64,
    pub put_accepted_bytes: AtomicU64,
    pub put_throttled: AtomicU64,
    pub put_throttled_bytes: AtomicU64,
    pub get_calls: AtomicU64,
    pub get_throttled: AtomicU64,
    pub get_records: AtomicU64,
    pub get_bytes: AtomicU64,
}

fn add(c: &AtomicU64, n: u64) {
    c.fetch_add(n, Ordering::Relaxed);
}

struct ShardData {
    records: Vec<StoredRecord>,
    len: u64,
    write: Option<WriteBuckets>,
    read: Option<ReadBuckets>,
}

/// One open shard.
pub struct Shard {
    pub id: String,
    pub index: usize,
    pub starting_hash_key: u128,
    pub ending_hash_key: u128,
    pub counters: ShardCounters,
    data: Mutex<ShardData>,
}

/// A record refused by the shard's write limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Throttled;

/// The records part of a GetRecords answer.
#[derive(Debug, Default)]
pub struct ReadOut {
    /// `{...},{...}`: the Records array's content.
    pub records_json: String,
    pub count: usize,
    pub bytes: usize,
    /// Position after the last record returned.
    pub next: u64,
    pub millis_behind: i64,
}

/// Now, in epoch milliseconds.
pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// The sequence number of record `index` of shard `shard`: 56 digits, so that text order is
/// numeric order.
///
/// ```
/// use kinesis_bench::endpoint::store::{parse_sequence_number, sequence_number};
/// let s = sequence_number(3, 42);
/// assert_eq!(s.len(), 56);
/// assert_eq!(parse_sequence_number(&s), Some((3, 42)));
/// assert!(sequence_number(0, 9) < sequence_number(0, 10));
/// ```
pub fn sequence_number(shard: usize, index: u64) -> String {
    format!("49{shard:024}{index:030}")
}

/// `(shard, index)` of a sequence number made by [`sequence_number`].
pub fn parse_sequence_number(s: &str) -> Option<(usize, u64)> {
    if s.len() != 56 || !s.starts_with("49") {
        return None;
    }
    Some((s[2..26].parse().ok()?, s[26..].parse().ok()?))
}

/// A shard iterator: the stream, the shard and the position of the next record.
///
/// ```
/// use kinesis_bench::endpoint::store::{iterator, parse_iterator};
/// let it = iterator("s", 2, 17);
/// assert_eq!(parse_iterator(&it), Some(("s", 2, 17)));
/// assert_eq!(parse_iterator("nonsense"), None);
/// ```
pub fn iterator(stream: &str, shard: usize, position: u64) -> String {
    format!("{shard}:{position}:{stream}")
}

/// Parses an [`iterator`].
pub fn parse_iterator(it: &str) -> Option<(&str, usize, u64)> {
    let mut parts = it.splitn(3, ':');
    let shard = parts.next()?.parse().ok()?;
    let pos = parts.next()?.parse().ok()?;
    let stream = parts.next()?;
    Some((stream, shard, pos))
}

/// The payload size of base64 text (without decoding it).
///
/// ```
/// assert_eq!(kinesis_bench::endpoint::store::base64_decoded_len("aGVsbG8="), Some(5));
/// assert_eq!(kinesis_bench::endpoint::store::base64_decoded_len("abc"), None);
/// ```
pub fn base64_decoded_len(b64: &str) -> Option<usize> {
    let b = b64.as_bytes();
    if !b.len().is_multiple_of(4) {
        return None;
    }
    let pad = b.iter().rev().take(2).take_while(|&&c| c == b'=').count();
    Some(b.len() / 4 * 3 - pad)
}

impl Shard {
    fn new(index: usize, count: usize, limits: Option<&ShardLimits>, now: Instant) -> Shard {
        let step = u128::MAX / count as u128;
        let start = step * index as u128;
        let end = if index + 1 == count {
            u128::MAX
        } else {
            step * (index as u128 + 1) - 1
        };
        Shard {
            id: format!("shardId-{index:012}"),
            index,
            starting_hash_key: start,
            ending_hash_key: end,
            counters: ShardCounters::default(),
            data: Mutex::new(ShardData {
                records: Vec::new(),
                len: 0,
                write: limits.map(|l| WriteBuckets::new(l, now)),
                read: limits.map(|l| ReadBuckets::new(l, now)),
            }),
        }
    }

    fn data(&self) -> std::sync::MutexGuard<'_, ShardData> {
        self.data.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Records in the shard.
    pub fn len(&self) -> u64 {
        self.data().len
    }

    /// Whether the shard holds no record.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Appends one record (if the write limit admits it); its position.
    pub fn append(
        &self,
        data_b64: &str,
        data_len: usize,
        key: &str,
        retain: bool,
        now: Instant,
    ) -> Result<u64, Throttled> {
        let size = data_len + key.len();
        let mut d = self.data();
        if let Some(w) = d.write.as_mut() {
            if !w.admit(size, now) {
                drop(d);
                add(&self.counters.put_throttled, 1);
                add(&self.counters.put_throttled_bytes, size as u64);
                return Err(Throttled);
            }
        }
        let pos = d.len;
        d.len += 1;
        if retain {
            d.records.push(StoredRecord {
                arrival_ms: now_ms(),
                key_json: serde_json::to_string(key).expect("a string").into(),
                data_b64: data_b64.into(),
                size: size as u32,
            });
        }
        drop(d);
        add(&self.counters.put_accepted, 1);
        add(&self.counters.put_accepted_bytes, size as u64);
        Ok(pos)
    }

    /// The first position whose record arrived at or after `epoch_ms` (the end if none).
    pub fn position_at(&self, epoch_ms: i64) -> u64 {
        let d = self.data();
        if d.records.is_empty() {
            return d.len;
        }
        d.records.partition_point(|r| r.arrival_ms < epoch_ms) as u64
    }

    /// Up to `limit` records from `position` (GetRecords), if the read limit admits the call.
    pub fn read(&self, position: u64, limit: usize, now: Instant) -> Result<ReadOut, Throttled> {
        let mut d = self.data();
        add(&self.counters.get_calls, 1);
        if let Some(r) = d.read.as_mut() {
            if !r.admit_call(now) {
                drop(d);
                add(&self.counters.get_throttled, 1);
                return Err(Throttled);
            }
        }
        let mut out = ReadOut {
            next: position.min(d.len),
            ..ReadOut::default()
        };
        let start = out.next as usize;
        let limit = limit.clamp(1, MAX_GET_RECORDS);
        let now_ms = now_ms();
        for (i, r) in d.records.iter().enumerate().skip(start).take(limit) {
            let size = r.size as usize;
            if out.count > 0 && out.bytes + size > MAX_GET_BYTES {
                break;
            }
            if out.count > 0 {
                out.records_json.push(',');
            }
            out.records_json.push_str("{\"SequenceNumber\":\"");
            out.records_json
                .push_str(&sequence_number(self.index, i as u64));
            out.records_json.push_str(&format!(
                "\",\"ApproximateArrivalTimestamp\":{}.{:03},\"Data\":\"",
                r.arrival_ms.div_euclid(1000),
                r.arrival_ms.rem_euclid(1000)
            ));
            out.records_json.push_str(&r.data_b64);
            out.records_json.push_str("\",\"PartitionKey\":");
            out.records_json.push_str(&r.key_json);
            out.records_json.push('}');
            out.count += 1;
            out.bytes += size;
            out.next = i as u64 + 1;
        }
        if let Some(next) = d.records.get(out.next as usize) {
            out.millis_behind = (now_ms - next.arrival_ms).max(0);
        }
        if let Some(r) = d.read.as_mut() {
            r.charge(out.bytes, now);
        }
        drop(d);
        add(&self.counters.get_records, out.count as u64);
        add(&self.counters.get_bytes, out.bytes as u64);
        Ok(out)
    }
}

/// One stream.
pub struct Stream {
    pub name: String,
    pub arn: String,
    pub created_ms: i64,
    pub limits: Option<ShardLimits>,
    pub retain: bool,
    pub shards: Vec<Shard>,
}

impl Stream {
    /// A new ACTIVE stream.
    pub fn new(spec: &StreamSpec) -> Stream {
        let now = Instant::now();
        let n = spec.shards.max(1);
        Stream {
            arn: format!(
                "arn:aws:kinesis:us-east-1:000000000000:stream/{}",
                spec.name
            ),
            name: spec.name.clone(),
            created_ms: now_ms(),
            limits: spec.limits,
            retain: spec.retain,
            shards: (0..n)
                .map(|i| Shard::new(i, n, spec.limits.as_ref(), now))
                .collect(),
        }
    }

    /// The shard owning a hash key.
    pub fn shard_for_hash(&self, hash: u128) -> &Shard {
        let i = self
            .shards
            .partition_point(|s| s.starting_hash_key <= hash)
            .saturating_sub(1);
        &self.shards[i]
    }

    /// The shard owning a partition key (MD5, as Kinesis).
    pub fn shard_for_key(&self, key: &str) -> &Shard {
        if self.shards.len() == 1 {
            return &self.shards[0];
        }
        self.shard_for_hash(kinesis_tests::hash_key(key))
    }

    /// Appends `records` rows of `size` bytes of [`crate::payload`] (keys by MD5), without
    /// limits or counters: the backlog the get paths read.
    pub fn prefill(&self, records: u64, size: usize) {
        let engine = base64::engine::general_purpose::STANDARD;
        let arrival_ms = now_ms();
        for i in 0..records {
            let key = crate::payload::key(i);
            let data = crate::payload::csv_row(i, size);
            let shard = self.shard_for_key(&key);
            let mut d = shard.data();
            d.len += 1;
            d.records.push(StoredRecord {
                arrival_ms,
                key_json: serde_json::to_string(&key).expect("a string").into(),
                data_b64: engine.encode(&data).into(),
                size: (data.len() + key.len()) as u32,
            });
        }
    }
}

/// Every stream of the endpoint.
#[derive(Default)]
pub struct Store {
    streams: RwLock<BTreeMap<String, Arc<Stream>>>,
}

impl Store {
    /// Creates a stream; `false` if the name is taken.
    pub fn create(&self, spec: &StreamSpec) -> Option<Arc<Stream>> {
        let mut streams = self.streams.write().unwrap_or_else(|p| p.into_inner());
        if streams.contains_key(&spec.name) {
            return None;
        }
        let s = Arc::new(Stream::new(spec));
        streams.insert(spec.name.clone(), s.clone());
        Some(s)
    }

    /// Deletes a stream; whether it existed.
    pub fn delete(&self, name: &str) -> bool {
        let mut streams = self.streams.write().unwrap_or_else(|p| p.into_inner());
        streams.remove(name).is_some()
    }

    /// The stream with this name or ARN.
    pub fn get(&self, name_or_arn: &str) -> Option<Arc<Stream>> {
        let name = name_or_arn
            .rsplit_once(":stream/")
            .map_or(name_or_arn, |(_, n)| n);
        let streams = self.streams.read().unwrap_or_else(|p| p.into_inner());
        streams.get(name).cloned()
    }

    /// Every stream, by name.
    pub fn all(&self) -> Vec<Arc<Stream>> {
        let streams = self.streams.read().unwrap_or_else(|p| p.into_inner());
        streams.values().cloned().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(shards: usize, limits: Option<ShardLimits>) -> StreamSpec {
        StreamSpec {
            name: "s".into(),
            shards,
            limits,
            retain: true,
        }
    }

    #[test]
    fn hash_ranges_cover_the_key_space_without_gaps() {
        for n in [1, 2, 3, 8, 1000] {
            let s = Stream::new(&spec(n, None));
            assert_eq!(s.shards[0].starting_hash_key, 0);
            assert_eq!(s.shards[n - 1].ending_hash_key, u128::MAX);
            for w in s.shards.windows(2) {
                assert_eq!(w[0].ending_hash_key + 1, w[1].starting_hash_key);
            }
            assert_eq!(s.shard_for_hash(u128::MAX).index, n - 1);
            assert_eq!(s.shard_for_hash(0).index, 0);
        }
    }

    #[test]
    fn reads_return_what_was_appended_in_order() {
        let s = Stream::new(&spec(1, None));
        let now = Instant::now();
        for k in ["a", "b\"q", "c"] {
            s.shards[0].append("aGVsbG8=", 5, k, true, now).unwrap();
        }
        let out = s.shards[0].read(1, 10, now).unwrap();
        assert_eq!(out.count, 2);
        assert_eq!(out.next, 3);
        assert_eq!(out.bytes, 5 + 3 + 5 + 1);
        let v: serde_json::Value =
            serde_json::from_str(&format!("[{}]", out.records_json)).unwrap();
        assert_eq!(v[0]["PartitionKey"], "b\"q");
        assert_eq!(v[1]["SequenceNumber"], sequence_number(0, 2));
        assert_eq!(s.shards[0].counters.get_records.load(Ordering::Relaxed), 2);
    }

    #[test]
    fn limited_shards_throttle_writes_and_reads() {
        let s = Stream::new(&spec(1, Some(ShardLimits::KINESIS)));
        let now = Instant::now();
        let ok = (0..1200)
            .filter(|_| s.shards[0].append("aGVsbG8=", 5, "k", true, now).is_ok())
            .count();
        assert_eq!(ok, 1000);
        let c = &s.shards[0].counters;
        assert_eq!(c.put_throttled.load(Ordering::Relaxed), 200);
        let served = (0..8)
            .filter(|_| s.shards[0].read(0, 1, now).is_ok())
            .count();
        assert_eq!(served, 5);
        assert_eq!(c.get_throttled.load(Ordering::Relaxed), 3);
    }
}
