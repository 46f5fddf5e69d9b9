//! The aggregating send path (decisions D23): a batch of user records becomes KPL aggregates,
//! one group per shard, and the outcome is reported per *user record*, so retries (D7) and
//! hand-backs never see aggregates.
//!
//! - Grouping: the stream's open shards come from ListShards ([`ShardMapCache`], listed on
//!   the first send and again when a result says the map is stale). Each user record goes
//!   to the shard its hash key (explicit hash key, else MD5 of the partition key) falls in;
//!   each group is packed into aggregates of at most `sink.aggregation.max-records` records
//!   and `sink.aggregation.max-bytes` bytes (partition key included). An aggregate takes its
//!   first user record's partition key and, as explicit hash key, that record's hash key
//!   (decimal), so it lands in the shard that owns every sub-record.
//! - A "group" of one record, a record too big to share an aggregate, and a record no open
//!   shard owns are sent as they are (plain records: every reader reads them, whatever the
//!   map says), as the KPL sends a lone record.
//! - Requests: at most `sink.batch.max-size` Kinesis records and `sink.flush-buffer.size`
//!   bytes (data and partition keys) each, sent one after the other.
//! - Stale map repair: a written aggregate whose `ShardId` is not the predicted one is
//!   checked against a fresh listing; if any sub-record lies outside the landed shard's
//!   range, filtering readers (KCL, Flink, kinesis-source) drop the whole aggregate, so all
//!   its user records are regrouped and sent again (counted in
//!   [`crate::SinkMetrics::records_resent`]). A reader that does not filter then sees them
//!   twice.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use kinesis_wire::limits::MAX_PUT_RECORDS_BYTES;
use kinesis_wire::model::{
    ListShardsInput, PutRecordsEntryRef, PutRecordsFailure, PutRecordsOutcome, StreamRef,
};
use kinesis_wire::{codes, KinesisClient, KinesisError, RetryPolicy, Shutdown};

use crate::aggregate::Aggregator;
use crate::config::SinkConfig;
use crate::shard_map::{hash_key, ShardMap};
use crate::state::{error_label, request_error_is_fatal, Entry};

/// Rounds of "send, find aggregates that landed in the wrong shard, send their records
/// again" per batch. A map refreshed after a mismatch is current, so a second round is
/// rare; after the last, the records left go back to the buffer as retryable failures.
const MAX_ROUNDS: usize = 4;

/// The stream's shard map, listed when first needed and again when a send finds it stale.
#[derive(Default)]
pub(crate) struct ShardMapCache {
    /// The map and its generation (bumped by every listing).
    slot: Mutex<(Option<Arc<ShardMap>>, u64)>,
}

impl ShardMapCache {
    /// The current map (listing the shards if there is none yet or it has no open shard)
    /// and its generation.
    fn current(&self, ctx: &SendContext<'_>) -> Result<(Arc<ShardMap>, u64), KinesisError> {
        let mut slot = self.slot.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(map) = slot.0.as_ref().filter(|m| !m.is_empty()) {
            return Ok((map.clone(), slot.1));
        }
        Self::list(&mut slot, ctx)
    }

    /// A map newer than generation `seen`: another sender's listing if it ran since, else a
    /// new listing.
    fn refreshed(
        &self,
        ctx: &SendContext<'_>,
        seen: u64,
    ) -> Result<(Arc<ShardMap>, u64), KinesisError> {
        let mut slot = self.slot.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(map) = slot.0.as_ref().filter(|_| slot.1 > seen) {
            return Ok((map.clone(), slot.1));
        }
        Self::list(&mut slot, ctx)
    }

    fn list(
        slot: &mut (Option<Arc<ShardMap>>, u64),
        ctx: &SendContext<'_>,
    ) -> Result<(Arc<ShardMap>, u64), KinesisError> {
        let shards = ctx.client.list_all_shards(
            &ListShardsInput::for_stream(ctx.stream.clone()),
            &RetryPolicy::default(),
            ctx.stop,
        )?;
        let map = Arc::new(ShardMap::from_shards(&shards));
        log::debug!(
            "kinesis sink: {} open shards in stream {} (aggregation)",
            map.len(),
            ctx.stream
        );
        slot.1 += 1;
        slot.0 = Some(map.clone());
        Ok((map, slot.1))
    }
}

/// The aggregating sink's own state: its shard map and the counters only it knows.
#[derive(Default)]
pub(crate) struct Aggregation {
    pub maps: ShardMapCache,
    /// Kinesis records (aggregates and plain records) acknowledged.
    pub kinesis_records_written: AtomicU64,
    /// User records sent again because their aggregate landed in a shard not owning them.
    pub records_resent: AtomicU64,
}

/// What one send needs from the engine.
pub(crate) struct SendContext<'a> {
    pub client: &'a KinesisClient,
    pub stream: &'a StreamRef,
    pub cfg: &'a SinkConfig,
    pub stop: &'a Shutdown,
    /// The sink's per-shard pacing: an aggregate is one Kinesis record of its bytes against
    /// its shard's limits, so aggregates are paced as they go, not their user records.
    pub pacer: &'a crate::pacing::ShardPacer,
}

/// One Kinesis record to send.
enum Payload {
    /// A user record as it is (index into the batch).
    Plain(usize),
    /// An aggregate routed to `shard`.
    Aggregate {
        data: Vec<u8>,
        partition_key: String,
        explicit_hash_key: String,
        shard: Arc<str>,
    },
}

struct Outgoing {
    payload: Payload,
    /// The user records it carries (indexes into the batch).
    members: Vec<usize>,
}

impl Outgoing {
    fn entry<'a>(&'a self, batch: &'a [Entry]) -> PutRecordsEntryRef<'a> {
        match &self.payload {
            Payload::Plain(i) => {
                let r = &batch[*i].record;
                let e = PutRecordsEntryRef::new(&r.data, &r.partition_key);
                match r.explicit_hash_key.as_deref() {
                    Some(h) => e.explicit_hash_key(h),
                    None => e,
                }
            }
            Payload::Aggregate {
                data,
                partition_key,
                explicit_hash_key,
                ..
            } => PutRecordsEntryRef::new(data, partition_key).explicit_hash_key(explicit_hash_key),
        }
    }

    /// Bytes Kinesis counts against its request limit: data and partition key.
    fn weight(&self, batch: &[Entry]) -> u64 {
        let e = self.entry(batch);
        (e.data.len() + e.partition_key.len()) as u64
    }
}

/// Packs the user records `indexes` of `batch` into Kinesis records, grouped by the shard of
/// `map` their hash key falls in (see the module docs).
fn pack(
    cfg: &SinkConfig,
    map: &ShardMap,
    batch: &[Entry],
    hashes: &[u128],
    indexes: &[usize],
) -> Vec<Outgoing> {
    let max_bytes = cfg.aggregation.max_bytes as usize;
    let max_records = cfg.aggregation.max_records.min(usize::MAX as u64) as usize;
    let mut out = Vec::new();
    // Groups in the order of their first record (BTreeMap by shard start for determinism).
    let mut groups: BTreeMap<u128, (Arc<str>, Vec<usize>)> = BTreeMap::new();
    for &i in indexes {
        match map.owner(hashes[i]) {
            Some(shard) => groups
                .entry(shard.start)
                .or_insert_with(|| (shard.shard_id.clone(), Vec::new()))
                .1
                .push(i),
            None => out.push(Outgoing {
                payload: Payload::Plain(i),
                members: vec![i],
            }),
        }
    }
    for (_, (shard, members)) in groups {
        let mut agg = Aggregator::new();
        let mut current: Vec<usize> = Vec::new();
        let mut key: (String, String) = Default::default();
        let close = |agg: &mut Aggregator,
                     current: &mut Vec<usize>,
                     key: &mut (String, String),
                     out: &mut Vec<Outgoing>| {
            match current.len() {
                0 => {}
                1 => {
                    // A lone record goes as it is (as the KPL sends it).
                    *agg = Aggregator::new();
                    out.push(Outgoing {
                        payload: Payload::Plain(current[0]),
                        members: std::mem::take(current),
                    });
                }
                _ => {
                    let (partition_key, explicit_hash_key) = std::mem::take(key);
                    out.push(Outgoing {
                        payload: Payload::Aggregate {
                            data: agg.finish(),
                            partition_key,
                            explicit_hash_key,
                            shard: shard.clone(),
                        },
                        members: std::mem::take(current),
                    });
                }
            }
        };
        for i in members {
            let r = &batch[i].record;
            let ehk = r.explicit_hash_key.as_deref();
            let alone = Aggregator::new().size_with(&r.partition_key, ehk, r.data.len())
                + r.partition_key.len();
            if alone > max_bytes {
                out.push(Outgoing {
                    payload: Payload::Plain(i),
                    members: vec![i],
                });
                continue;
            }
            if !agg.is_empty()
                && (agg.len() >= max_records
                    || agg.size_with(&r.partition_key, ehk, r.data.len()) + key.0.len() > max_bytes)
            {
                close(&mut agg, &mut current, &mut key, &mut out);
            }
            if current.is_empty() {
                key = (r.partition_key.clone(), hashes[i].to_string());
            }
            agg.add(&r.partition_key, ehk, &r.data);
            current.push(i);
        }
        close(&mut agg, &mut current, &mut key, &mut out);
    }
    out
}

/// Splits `out` into requests of at most `sink.batch.max-size` records and
/// `sink.flush-buffer.size` (at most 5 MiB) bytes.
fn requests(cfg: &SinkConfig, batch: &[Entry], out: &[Outgoing]) -> Vec<std::ops::Range<usize>> {
    let max_bytes = cfg.flush_buffer_size.min(MAX_PUT_RECORDS_BYTES as u64);
    let mut ranges = Vec::new();
    let (mut start, mut bytes) = (0, 0u64);
    for (i, o) in out.iter().enumerate() {
        let w = o.weight(batch);
        if i > start && (i - start >= cfg.batch_max_size || bytes + w > max_bytes) {
            ranges.push(start..i);
            start = i;
            bytes = 0;
        }
        bytes += w;
    }
    if start < out.len() {
        ranges.push(start..out.len());
    }
    ranges
}

impl Aggregation {
    /// Sends `batch` aggregated and reports the outcome per user record (index = position
    /// in `batch`). A request error before anything was acknowledged is returned as is (the
    /// state machine retries or stops as for a plain batch); after a partial success, the
    /// records not acknowledged fail with `InternalFailure` (retryable) or, if the error is
    /// fatal, with its label.
    pub fn send(
        &self,
        ctx: &SendContext<'_>,
        batch: &[Entry],
    ) -> Result<PutRecordsOutcome, KinesisError> {
        let hashes: Vec<u128> = batch
            .iter()
            .map(|e| {
                hash_key(
                    &e.record.partition_key,
                    e.record.explicit_hash_key.as_deref(),
                )
            })
            .collect();
        let (mut map, mut generation) = self.maps.current(ctx)?;
        let mut failed: BTreeMap<usize, (String, Option<String>)> = BTreeMap::new();
        let mut pending: Vec<usize> = (0..batch.len()).collect();
        let mut acknowledged_any = false;
        for round in 0..MAX_ROUNDS {
            let out = pack(ctx.cfg, &map, batch, &hashes, &pending);
            pending.clear();
            // (aggregate index in `out`, landed shard)
            let mut misplaced: Vec<(usize, String)> = Vec::new();
            let mut request_error: Option<(usize, KinesisError)> = None;
            for range in requests(ctx.cfg, batch, &out) {
                let sent = &out[range.clone()];
                let routed: Vec<(Arc<str>, u64)> = sent
                    .iter()
                    .filter_map(|o| {
                        let shard = match &o.payload {
                            Payload::Aggregate { shard, .. } => shard.clone(),
                            Payload::Plain(i) => map.owner(hashes[*i])?.shard_id.clone(),
                        };
                        Some((shard, o.weight(batch)))
                    })
                    .collect();
                let wait = ctx
                    .pacer
                    .reserve_routed(&routed, ctx.client, ctx.stream, ctx.stop);
                if !wait.is_zero() {
                    ctx.stop.sleep(wait);
                }
                let result = ctx
                    .client
                    .put_records_from(ctx.stream, sent.iter().map(|o| o.entry(batch)))
                    .and_then(|r| {
                        if r.records.len() == sent.len() {
                            Ok(r)
                        } else {
                            Err(KinesisError::Protocol {
                                action: "PutRecords",
                                message: format!(
                                    "the response has {} results for {} records",
                                    r.records.len(),
                                    sent.len()
                                ),
                            })
                        }
                    });
                let response = match result {
                    Ok(r) => r,
                    Err(e) if !acknowledged_any && round == 0 => return Err(e),
                    Err(e) => {
                        request_error = Some((range.start, e));
                        break;
                    }
                };
                for (k, res) in response.records.into_iter().enumerate() {
                    let o = &sent[k];
                    if let Some(code) = res.error_code {
                        if code == kinesis_wire::codes::PROVISIONED_THROUGHPUT_EXCEEDED {
                            ctx.pacer.note_throttled();
                        }
                        for &m in &o.members {
                            failed.insert(m, (code.clone(), res.error_message.clone()));
                        }
                        continue;
                    }
                    acknowledged_any = true;
                    match (&o.payload, res.shard_id) {
                        (Payload::Aggregate { shard, .. }, Some(landed)) if *landed != **shard => {
                            misplaced.push((range.start + k, landed));
                        }
                        _ => {
                            self.kinesis_records_written.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                }
            }
            if let Some((from, e)) = request_error {
                let code = if request_error_is_fatal(&e) {
                    error_label(&e)
                } else {
                    codes::INTERNAL_FAILURE.to_string()
                };
                let message = format!("the PutRecords request failed: {e}");
                for o in &out[from..] {
                    for &m in &o.members {
                        failed.insert(m, (code.clone(), Some(message.clone())));
                    }
                }
            }
            if misplaced.is_empty() {
                break;
            }
            // The map is stale: check each misplaced aggregate against a fresh listing.
            match self.maps.refreshed(ctx, generation) {
                Ok((m, g)) => (map, generation) = (m, g),
                Err(e) => {
                    // Cannot tell whether readers keep them: send them again later.
                    let message = format!("the shard map could not be refreshed: {e}");
                    for (k, _) in &misplaced {
                        for &m in &out[*k].members {
                            failed.insert(
                                m,
                                (codes::INTERNAL_FAILURE.to_string(), Some(message.clone())),
                            );
                        }
                    }
                    break;
                }
            }
            for (k, landed) in misplaced {
                let o = &out[k];
                let kept = map
                    .get(&landed)
                    .is_some_and(|r| o.members.iter().all(|&m| r.contains(hashes[m])));
                if kept {
                    self.kinesis_records_written.fetch_add(1, Ordering::Relaxed);
                } else {
                    log::warn!(
                        "kinesis sink: an aggregate of {} records landed in {landed}, which does not own all of them (the shard map was stale); sending them again",
                        o.members.len()
                    );
                    self.records_resent
                        .fetch_add(o.members.len() as u64, Ordering::Relaxed);
                    pending.extend(&o.members);
                }
            }
            if pending.is_empty() {
                break;
            }
            pending.sort_unstable();
        }
        for m in pending {
            // Still misplaced after every round: back to the buffer, as a retryable failure.
            failed.insert(
                m,
                (
                    codes::INTERNAL_FAILURE.to_string(),
                    Some(format!(
                        "its aggregate landed in a shard that does not own it {MAX_ROUNDS} times"
                    )),
                ),
            );
        }
        Ok(PutRecordsOutcome::new(
            batch.len(),
            failed
                .into_iter()
                .map(|(i, (code, message))| PutRecordsFailure::new(i, code, message))
                .collect(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::SinkRecord;
    use kinesis_options::AggregationOptions;
    use kinesis_wire::model::Shard;

    fn entry(data: &str, pk: &str) -> Entry {
        Entry {
            record: SinkRecord::new(data.as_bytes().to_vec(), pk),
            seq: 0,
            attempts: 1,
            last_error: None,
        }
    }

    fn two_shards() -> ShardMap {
        let half = u128::MAX / 2;
        let shards: Vec<Shard> = serde_json::from_value(serde_json::json!([
            {"ShardId": "lo", "HashKeyRange": {"StartingHashKey": "0", "EndingHashKey": half.to_string()},
             "SequenceNumberRange": {"StartingSequenceNumber": "1"}},
            {"ShardId": "hi", "HashKeyRange": {"StartingHashKey": (half + 1).to_string(), "EndingHashKey": u128::MAX.to_string()},
             "SequenceNumberRange": {"StartingSequenceNumber": "1"}},
        ]))
        .unwrap();
        ShardMap::from_shards(&shards)
    }

    fn cfg(max_records: u64, max_bytes: u64) -> SinkConfig {
        SinkConfig::default().with_aggregation(AggregationOptions {
            enabled: true,
            max_records,
            max_bytes,
        })
    }

    #[test]
    fn records_are_grouped_by_shard_and_aggregates_carry_their_shards_hash() {
        let map = two_shards();
        let batch: Vec<Entry> = (0..100)
            .map(|i| entry(&format!("row-{i}"), &format!("pk-{i}")))
            .collect();
        let hashes: Vec<u128> = batch
            .iter()
            .map(|e| hash_key(&e.record.partition_key, None))
            .collect();
        let all: Vec<usize> = (0..batch.len()).collect();
        let out = pack(&cfg(30, 51_200), &map, &batch, &hashes, &all);
        let mut seen: Vec<usize> = out.iter().flat_map(|o| o.members.clone()).collect();
        seen.sort_unstable();
        assert_eq!(seen, all, "every record exactly once");
        for o in &out {
            assert!(o.members.len() <= 30);
            if let Payload::Aggregate {
                explicit_hash_key,
                shard,
                partition_key,
                data,
            } = &o.payload
            {
                let owner = map.owner(explicit_hash_key.parse().unwrap()).unwrap();
                assert_eq!(&owner.shard_id, shard);
                assert!(o.members.iter().all(|&m| owner.contains(hashes[m])));
                assert_eq!(partition_key, &batch[o.members[0]].record.partition_key);
                assert_eq!(data[..4], crate::aggregate::KPL_MAGIC);
            }
        }
        assert!(out.len() <= 6, "about 100 / 30 per shard: {}", out.len());
    }

    #[test]
    fn byte_limits_split_aggregates_and_big_or_lone_records_go_plain() {
        let map = two_shards();
        let mut batch: Vec<Entry> = (0..40)
            .map(|i| entry(&"x".repeat(100), &format!("k{i}")))
            .collect();
        batch.push(entry(&"y".repeat(2_000), "big"));
        let hashes: Vec<u128> = batch
            .iter()
            .map(|e| hash_key(&e.record.partition_key, None))
            .collect();
        let all: Vec<usize> = (0..batch.len()).collect();
        let out = pack(
            &cfg(u64::from(u32::MAX), 1_000),
            &map,
            &batch,
            &hashes,
            &all,
        );
        for o in &out {
            match &o.payload {
                Payload::Aggregate {
                    data,
                    partition_key,
                    ..
                } => assert!(data.len() + partition_key.len() <= 1_000),
                Payload::Plain(i) => {
                    assert!(o.members == [*i]);
                }
            }
        }
        assert!(out
            .iter()
            .any(|o| matches!(o.payload, Payload::Plain(i) if i == 40)));
        let reqs = requests(&cfg(1, 1_000), &batch, &out);
        assert_eq!(reqs.iter().map(|r| r.len()).sum::<usize>(), out.len());
    }
}
