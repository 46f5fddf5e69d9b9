//! One thread per shard: the GetRecords loop of reference §5.4.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use crossbeam_channel::{select, Receiver, Sender};
use kinesis_formats::{DataType, Decoder, Row, Value};
use kinesis_options::MetadataKey;
use kinesis_wire::model::{ChildShard, GetRecordsInput, GetRecordsOutput, GetShardIteratorInput};
use kinesis_wire::{
    codes, Backoff, KinesisClient, KinesisError, RetryPolicy, Shutdown, StartingPosition, StreamRef,
};

use crate::checkpoint::ShardPosition;
use crate::deaggregate::{deaggregate, Deaggregated, KPL_MAGIC};
use crate::metrics::ShardCounters;
use crate::SourceError;

/// Records sent through the channel in one message at most; with the channel's capacity
/// this bounds the memory held for a slow caller.
pub(crate) const BATCH_RECORDS: usize = 500;
/// The adaptive-reads cap (a constant in Flink, not the configured maximum).
const ADAPTIVE_MAX_RECORDS: u32 = 10_000;
/// Kinesis' per-shard read limit used by adaptive reads: 2 MiB/s.
const SHARD_BYTES_PER_SECOND: f64 = 2.0 * 1024.0 * 1024.0;

/// What reader threads send to the caller, in shard order.
pub(crate) enum Item {
    /// Decoded records of one shard, and the position after the last record of the batch
    /// (skipped and filtered records included).
    Batch(Batch),
    /// The shard was read to its end.
    ShardEnd { slot: usize },
    /// The source must stop.
    Error(SourceError),
}

/// A record decoded by a reader; the caller's side adds the stream and shard (so the
/// shared `Arc`s are only touched by the caller's thread).
pub(crate) struct Decoded {
    pub row: Row,
    pub sequence_number: String,
    pub sub_sequence_number: Option<i64>,
    pub arrival: Option<DateTime<Utc>>,
    pub partition_key: String,
}

/// Decoded records of one shard. Their positions are also kept in one text arena, so the
/// caller's side can say where the shard stands without a copy per record handed out.
pub(crate) struct Batch {
    pub slot: usize,
    pub records: Vec<Decoded>,
    /// Every record's sequence number, concatenated; record `i` ends at `seq_ends[i]`.
    pub seq_text: String,
    pub seq_ends: Vec<u32>,
    pub subs: Vec<i64>,
    /// The position after the whole batch (skipped and filtered records included).
    pub tail: ShardPosition,
}

impl Batch {
    pub(crate) fn new(slot: usize) -> Batch {
        Batch {
            slot,
            records: Vec::with_capacity(BATCH_RECORDS),
            seq_text: String::with_capacity(BATCH_RECORDS * 56),
            seq_ends: Vec::with_capacity(BATCH_RECORDS),
            subs: Vec::with_capacity(BATCH_RECORDS),
            tail: ShardPosition::TrimHorizon,
        }
    }

    /// The position of record `i`.
    pub(crate) fn position(&self, i: usize) -> ShardPosition {
        let start = if i == 0 {
            0
        } else {
            self.seq_ends[i - 1] as usize
        };
        ShardPosition::Sequence {
            sequence_number: self.seq_text[start..self.seq_ends[i] as usize].to_string(),
            sub_sequence_number: self.subs[i],
        }
    }
}

/// What reader threads tell the discovery thread.
pub(crate) enum Event {
    /// The shard reached its end; `children` from the last GetRecords response.
    Finished {
        shard_id: Arc<str>,
        children: Vec<ChildShard>,
    },
}

/// Where a column of the produced row comes from.
#[derive(Debug, Clone)]
enum Slot {
    Physical,
    /// A metadata key, with the declared type when it differs from the key's own type.
    Meta(MetadataKey, Option<DataType>),
}

/// How the produced row is assembled: the declared columns in order, physical ones from the
/// format's row and metadata ones from the record.
#[derive(Debug, Clone)]
pub(crate) struct RowLayout {
    slots: Vec<Slot>,
    /// No metadata column: the format's row is used as it is.
    identity: bool,
}

impl RowLayout {
    pub(crate) fn new(columns: &[kinesis_options::Column]) -> Result<RowLayout, SourceError> {
        let mut slots = Vec::with_capacity(columns.len());
        for c in columns {
            match c.metadata_key() {
                None if c.is_metadata() => {
                    return Err(SourceError::Config {
                        message: format!("column {} reads an unknown metadata key", c.name),
                    })
                }
                None => slots.push(Slot::Physical),
                Some(key) => {
                    let own = key.data_type();
                    let convert = (c.data_type.kind != own.kind).then(|| c.data_type.clone());
                    slots.push(Slot::Meta(key, convert));
                }
            }
        }
        let identity = slots.iter().all(|s| matches!(s, Slot::Physical));
        Ok(RowLayout { slots, identity })
    }

    fn build(
        &self,
        decoded: Row,
        shard_id: &str,
        sequence_number: &str,
        arrival: Option<DateTime<Utc>>,
    ) -> Result<Row, String> {
        if self.identity {
            return Ok(decoded);
        }
        let mut physical = decoded.values.into_iter();
        let mut values = Vec::with_capacity(self.slots.len());
        for slot in &self.slots {
            let v = match slot {
                Slot::Physical => physical.next().unwrap_or(Value::Null),
                Slot::Meta(key, convert) => {
                    let v = match key {
                        MetadataKey::Timestamp => {
                            arrival.map(Value::TimestampLtz).unwrap_or(Value::Null)
                        }
                        MetadataKey::ShardId => Value::String(shard_id.to_string()),
                        MetadataKey::SequenceNumber => Value::String(sequence_number.to_string()),
                    };
                    match convert {
                        None => v,
                        Some(t) => v.convert_to(t).map_err(|e| {
                            format!("metadata '{}' cannot be given as {t}: {e}", key.key())
                        })?,
                    }
                }
            };
            values.push(v);
        }
        Ok(Row::new(values))
    }
}

/// Turns a payload into the physical row.
pub(crate) enum RowDecoder {
    /// `format = raw` into one BINARY/VARBINARY column: the payload is the value, so it is
    /// moved into the row instead of copied (what the raw format's decoder would produce).
    RawBytes,
    Format(Arc<dyn Decoder>),
}

impl RowDecoder {
    pub(crate) fn for_table(table: &kinesis_options::TableDef) -> RowDecoder {
        let physical: Vec<_> = table.physical_columns().collect();
        let bytes_column = physical.len() == 1
            && matches!(
                physical[0].data_type.kind,
                kinesis_formats::LogicalType::Binary(_)
                    | kinesis_formats::LogicalType::Varbinary(_)
            );
        if table.format().name() == "raw" && bytes_column {
            RowDecoder::RawBytes
        } else {
            RowDecoder::Format(table.format().decoder())
        }
    }

    fn decode(&self, data: Payload<'_>) -> Result<Option<Row>, kinesis_formats::FormatError> {
        match (self, data) {
            (RowDecoder::RawBytes, Payload::Owned(v)) => Ok(Some(Row::new(vec![Value::Bytes(v)]))),
            (RowDecoder::RawBytes, Payload::Borrowed(b)) => {
                Ok(Some(Row::new(vec![Value::Bytes(b.to_vec())])))
            }
            (RowDecoder::Format(d), p) => d.decode(p.as_slice()),
        }
    }
}

/// A payload handed to the decoder: owned when it is a whole Kinesis record.
enum Payload<'a> {
    Owned(Vec<u8>),
    Borrowed(&'a [u8]),
}

impl Payload<'_> {
    fn as_slice(&self) -> &[u8] {
        match self {
            Payload::Owned(v) => v,
            Payload::Borrowed(b) => b,
        }
    }
}

/// Settings shared by every reader of one source.
pub(crate) struct ReaderShared {
    pub client: KinesisClient,
    pub stream: Arc<str>,
    pub decoder: RowDecoder,
    pub layout: RowLayout,
    pub max_record_count: u32,
    pub interval: Duration,
    pub adaptive_reads: bool,
    pub get_records: RetryPolicy,
    pub get_iterator: RetryPolicy,
    pub recoverable_codes: Vec<String>,
    pub tx: Sender<Item>,
    pub close_rx: Receiver<()>,
    pub shutdown: Shutdown,
    pub events: Sender<Event>,
}

/// One shard to read.
pub(crate) struct ShardTask {
    pub slot: usize,
    pub shard_id: Arc<str>,
    pub hash_range: Option<(u128, u128)>,
    pub start: ShardPosition,
    pub counters: Arc<ShardCounters>,
}

enum Stop {
    Closed,
    Failed(SourceError),
}

/// Sends an item unless the source closes first; `false` when closed.
pub(crate) fn send_item(tx: &Sender<Item>, close_rx: &Receiver<()>, item: Item) -> bool {
    select! {
        send(tx, item) -> r => r.is_ok(),
        recv(close_rx) -> _ => false,
    }
}

/// The thread body.
pub(crate) fn run(s: Arc<ReaderShared>, task: ShardTask) {
    match read_shard(&s, &task) {
        Ok(children) => {
            task.counters
                .finished
                .store(true, std::sync::atomic::Ordering::Relaxed);
            log::info!(
                "shard {} of stream {} read to its end; children: [{}]",
                task.shard_id,
                s.stream,
                children
                    .iter()
                    .map(|c| c.shard_id.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            // The end marker goes through the data channel first, so every record of this
            // shard precedes any record of its children.
            if send_item(&s.tx, &s.close_rx, Item::ShardEnd { slot: task.slot }) {
                let _ = s.events.send(Event::Finished {
                    shard_id: task.shard_id.clone(),
                    children,
                });
            }
        }
        Err(Stop::Closed) => {}
        Err(Stop::Failed(e)) => {
            log::error!("reader of shard {} stopped: {e}", task.shard_id);
            send_item(&s.tx, &s.close_rx, Item::Error(e));
        }
    }
}

fn iterator_position(pos: &ShardPosition) -> Option<StartingPosition> {
    Some(match pos {
        ShardPosition::TrimHorizon => StartingPosition::TrimHorizon,
        ShardPosition::AtTimestamp { epoch_millis } => {
            StartingPosition::AtTimestamp(*epoch_millis as f64 / 1000.0)
        }
        ShardPosition::Sequence {
            sequence_number,
            sub_sequence_number,
        } if *sub_sequence_number >= 0 => {
            // Restarting inside a KPL aggregate: read it again and skip the sub-records
            // already handed out.
            StartingPosition::AtSequenceNumber(sequence_number.clone())
        }
        ShardPosition::Sequence {
            sequence_number, ..
        } => StartingPosition::AfterSequenceNumber(sequence_number.clone()),
        ShardPosition::ShardEnd => return None,
    })
}

fn kinesis_stop(e: KinesisError, context: impl FnOnce() -> String) -> Stop {
    match e {
        KinesisError::Interrupted { .. } => Stop::Closed,
        error => Stop::Failed(SourceError::Kinesis {
            context: context(),
            error: Box::new(error),
        }),
    }
}

fn get_iterator(
    s: &ReaderShared,
    task: &ShardTask,
    pos: &ShardPosition,
) -> Result<Option<String>, Stop> {
    let Some(position) = iterator_position(pos) else {
        return Ok(None);
    };
    let input = GetShardIteratorInput {
        stream: StreamRef::Name(s.stream.to_string()),
        shard_id: task.shard_id.to_string(),
        position,
    };
    s.get_iterator
        .run(&s.shutdown, |_| {
            s.client.get_shard_iterator(&input).inspect_err(|e| {
                if e.is_retryable() {
                    ShardCounters::add(&task.counters.retries, 1);
                }
                if e.is_throttling() {
                    ShardCounters::add(&task.counters.throttles, 1);
                }
            })
        })
        .map(Some)
        .map_err(|e| {
            kinesis_stop(e, || {
                format!(
                    "GetShardIterator ({}) on shard {} of stream {}",
                    input.position.iterator_type(),
                    task.shard_id,
                    s.stream
                )
            })
        })
}

fn get_records(
    s: &ReaderShared,
    task: &ShardTask,
    iterator: &str,
    limit: u32,
) -> Result<GetRecordsOutput, KinesisError> {
    let input = GetRecordsInput {
        shard_iterator: iterator.to_string(),
        limit: Some(limit),
        stream_arn: None,
    };
    s.get_records.run(&s.shutdown, |_| {
        s.client.get_records(&input).inspect_err(|e| {
            if e.is_retryable() {
                ShardCounters::add(&task.counters.retries, 1);
            }
            if e.is_throttling() {
                ShardCounters::add(&task.counters.throttles, 1);
            }
        })
    })
}

/// Builds records into batches and sends them.
struct Emitter<'a> {
    s: &'a ReaderShared,
    task: &'a ShardTask,
    batch: Batch,
    /// Position of a skipped record after the last record in `batch`.
    skipped_tail: Option<ShardPosition>,
}

impl Emitter<'_> {
    fn flush(&mut self) -> Result<(), Stop> {
        let tail = match self.skipped_tail.take() {
            Some(t) => t,
            None if self.batch.records.is_empty() => return Ok(()),
            None => self.batch.position(self.batch.records.len() - 1),
        };
        let mut batch = std::mem::replace(&mut self.batch, Batch::new(self.task.slot));
        batch.tail = tail;
        ShardCounters::add(&self.task.counters.records, batch.records.len() as u64);
        if send_item(&self.s.tx, &self.s.close_rx, Item::Batch(batch)) {
            Ok(())
        } else {
            Err(Stop::Closed)
        }
    }

    fn emit(
        &mut self,
        data: Payload<'_>,
        sequence_number: String,
        sub: Option<i64>,
        partition_key: String,
        arrival: Option<DateTime<Utc>>,
    ) -> Result<(), Stop> {
        let s = self.s;
        match s.decoder.decode(data) {
            Ok(Some(row)) => {
                let row = s
                    .layout
                    .build(row, &self.task.shard_id, &sequence_number, arrival)
                    .map_err(|message| Stop::Failed(SourceError::Config { message }))?;
                self.skipped_tail = None;
                let b = &mut self.batch;
                b.seq_text.push_str(&sequence_number);
                b.seq_ends.push(b.seq_text.len() as u32);
                b.subs.push(sub.unwrap_or(-1));
                b.records.push(Decoded {
                    row,
                    sequence_number,
                    sub_sequence_number: sub,
                    arrival,
                    partition_key,
                });
                if b.records.len() >= BATCH_RECORDS {
                    self.flush()?;
                }
                Ok(())
            }
            Ok(None) => {
                log::warn!(
                    "Skipping non-deserializable record at sequence number {sequence_number} of shard {}.",
                    self.task.shard_id
                );
                ShardCounters::add(&self.task.counters.skipped_records, 1);
                self.skipped_tail = Some(ShardPosition::Sequence {
                    sequence_number,
                    sub_sequence_number: sub.unwrap_or(-1),
                });
                Ok(())
            }
            Err(error) => {
                // Hand out what was good before it; the checkpoint stays before this record.
                self.flush()?;
                Err(Stop::Failed(SourceError::Decode {
                    stream: s.stream.to_string(),
                    shard_id: self.task.shard_id.to_string(),
                    sequence_number,
                    sub_sequence_number: sub,
                    error: Box::new(error),
                }))
            }
        }
    }
}

fn arrival_time(ts: Option<f64>) -> Option<DateTime<Utc>> {
    let ts = ts?;
    // Millisecond precision, as TIMESTAMP_LTZ(3) (`TimestampData.fromEpochMillis`).
    DateTime::from_timestamp_millis((ts * 1000.0).round() as i64)
}

/// The adaptive-reads limit (§5.4) for the next GetRecords call.
pub(crate) fn adaptive_limit(records: usize, bytes: u64, loop_time: Duration) -> Option<u32> {
    let nanos = loop_time.as_nanos();
    if records == 0 || nanos == 0 {
        return None;
    }
    let avg = bytes / records as u64;
    let freq = 1e9 / nanos as f64;
    let bytes_per_read = SHARD_BYTES_PER_SECOND / freq;
    let limit = if avg == 0 {
        i32::MAX as f64
    } else {
        bytes_per_read / avg as f64
    };
    let limit = (limit.min(i32::MAX as f64) as i64).clamp(1, ADAPTIVE_MAX_RECORDS as i64);
    Some(limit as u32)
}

fn read_shard(s: &ReaderShared, task: &ShardTask) -> Result<Vec<ChildShard>, Stop> {
    let mut pos = task.start.clone();
    // Restarting inside an aggregate: skip its sub-records up to this one.
    let mut resume_inside: Option<(String, i64)> = match &pos {
        ShardPosition::Sequence {
            sequence_number,
            sub_sequence_number,
        } if *sub_sequence_number >= 0 => Some((sequence_number.clone(), *sub_sequence_number)),
        _ => None,
    };
    let mut iterator = get_iterator(s, task, &pos)?;
    let mut limit = s.max_record_count.max(1);
    let mut refreshes = 0u32;
    let mut last_loop_end = Instant::now();
    let mut em = Emitter {
        s,
        task,
        batch: Batch::new(task.slot),
        skipped_tail: None,
    };
    let refresh_backoff = s.get_iterator.backoff;
    loop {
        let Some(it) = iterator.take() else {
            return Ok(Vec::new());
        };
        if s.shutdown.is_triggered() {
            return Err(Stop::Closed);
        }
        let loop_start = Instant::now();
        let out = match get_records(s, task, &it, limit) {
            Ok(out) => {
                refreshes = 0;
                out
            }
            Err(e) if e.is_code(codes::EXPIRED_ITERATOR) => {
                log::warn!(
                    "Encountered an unexpected expired iterator {it} for shard {}; refreshing the iterator ...",
                    task.shard_id
                );
                ShardCounters::add(&task.counters.iterator_refreshes, 1);
                // Unbounded, as Flink, but backed off so a server that keeps expiring
                // iterators is not hammered.
                let delay = s.interval.max(refresh_backoff.delay(refreshes.min(16)));
                refreshes += 1;
                if !s.shutdown.sleep(delay) {
                    return Err(Stop::Closed);
                }
                iterator = get_iterator(s, task, &pos)?;
                continue;
            }
            Err(e)
                if e.code()
                    .is_some_and(|c| s.recoverable_codes.iter().any(|r| r == c)) =>
            {
                log::warn!(
                    "recoverable error on shard {} (scan.shard.consumer.error.recoverable): {e}; retrying",
                    task.shard_id
                );
                let delay = s.get_records.backoff.delay(refreshes.min(16));
                refreshes += 1;
                if !s.shutdown.sleep(delay) {
                    return Err(Stop::Closed);
                }
                iterator = Some(it);
                continue;
            }
            Err(e) => {
                let attempts = s.get_records.max_attempts;
                return Err(kinesis_stop(e, || {
                    format!(
                        "GetRecords on shard {} of stream {} (Retries exceeded for getRecords operation - all {} retry attempts failed, or the error is not retryable)",
                        task.shard_id,
                        s.stream,
                        attempts.saturating_sub(1)
                    )
                }));
            }
        };
        ShardCounters::add(&task.counters.get_records_calls, 1);
        if let Some(m) = out.millis_behind_latest {
            task.counters.millis_behind_latest.store(
                m.min(i64::MAX as u64) as i64,
                std::sync::atomic::Ordering::Relaxed,
            );
        }
        let mut user_records = 0usize;
        let mut user_bytes = 0u64;
        let mut wire_bytes = 0u64;
        let last_seq = out.records.last().map(|r| r.sequence_number.clone());
        for rec in out.records {
            wire_bytes += rec.data.len() as u64;
            let arrival = arrival_time(rec.approximate_arrival_timestamp);
            if !rec.data.starts_with(&KPL_MAGIC) {
                user_records += 1;
                user_bytes += rec.data.len() as u64;
                em.emit(
                    Payload::Owned(rec.data),
                    rec.sequence_number,
                    None,
                    rec.partition_key,
                    arrival,
                )?;
                continue;
            }
            let seq = rec.sequence_number.as_str();
            match deaggregate(&rec.data, task.hash_range) {
                Deaggregated::Plain => {
                    user_records += 1;
                    user_bytes += rec.data.len() as u64;
                    em.emit(
                        Payload::Borrowed(&rec.data),
                        seq.to_string(),
                        None,
                        rec.partition_key.clone(),
                        arrival,
                    )?;
                }
                Deaggregated::Records(subs) => {
                    for (i, u) in subs.iter().enumerate() {
                        let i = i as i64;
                        if let Some((rseq, rsub)) = &resume_inside {
                            if rseq == seq && i <= *rsub {
                                continue;
                            }
                        }
                        user_records += 1;
                        user_bytes += u.data.len() as u64;
                        em.emit(
                            Payload::Borrowed(u.data),
                            seq.to_string(),
                            Some(i),
                            u.partition_key.to_string(),
                            arrival,
                        )?;
                    }
                }
                Deaggregated::OutsideHashRange(n) => {
                    log::debug!(
                        "dropping KPL aggregate {seq} of shard {}: a user record lies outside the shard's hash range",
                        task.shard_id
                    );
                    ShardCounters::add(&task.counters.filtered_records, n as u64);
                }
            }
        }
        // The position after this response: AFTER the last Kinesis record (each aggregate
        // is processed whole, so no sub-record skipping is needed when reading on).
        if let Some(last) = last_seq {
            pos = ShardPosition::Sequence {
                sequence_number: last,
                sub_sequence_number: -1,
            };
            resume_inside = None;
        }
        em.flush()?;
        ShardCounters::add(&task.counters.bytes, wire_bytes);
        let Some(next) = out.next_shard_iterator else {
            return Ok(out.child_shards);
        };
        iterator = Some(next);
        if s.adaptive_reads {
            if let Some(l) = adaptive_limit(user_records, user_bytes, last_loop_end.elapsed()) {
                limit = l;
            }
        }
        if !s.interval.is_zero() {
            let spent = loop_start.elapsed();
            if spent < s.interval && !s.shutdown.sleep(s.interval - spent) {
                return Err(Stop::Closed);
            }
        }
        last_loop_end = Instant::now();
    }
}

/// The retry policy of a call from its options: `max_retries` retries after the first call.
pub(crate) fn policy(o: &kinesis_options::RetryOptions) -> RetryPolicy {
    RetryPolicy::new(
        o.max_retries.saturating_add(1),
        Backoff::new(o.base, o.max, o.expconst),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adaptive_limit_follows_flink_formula() {
        // 100 records of 1000 bytes in 200 ms: 5 Hz, 2 MiB / 5 = 419430 bytes per read.
        assert_eq!(
            adaptive_limit(100, 100_000, Duration::from_millis(200)),
            Some(419)
        );
        // Capped at 10000, floored at 1.
        assert_eq!(
            adaptive_limit(10, 10, Duration::from_millis(200)),
            Some(10_000)
        );
        assert_eq!(
            adaptive_limit(1, 10_000_000, Duration::from_millis(1)),
            Some(1)
        );
        assert_eq!(adaptive_limit(0, 0, Duration::from_millis(1)), None);
    }
}
