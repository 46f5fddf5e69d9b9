//! One thread per shard: the GetRecords loop of reference §5.4.

use std::sync::Arc;
use std::time::{Duration, Instant};

use crossbeam_channel::{select, unbounded, Receiver, Sender};
use kinesis_wire::model::{
    ChildShard, GetRecordsInput, GetRecordsPage, GetShardIteratorInput, RecordBatch,
};
use kinesis_wire::{
    codes,
    model::{StartingPosition, StreamRef},
    Backoff, KinesisClient, KinesisError, RetryPolicy, Shutdown,
};

use crate::checkpoint::ShardPosition;
use crate::deaggregate::{deaggregate, Deaggregated};
use crate::decode::Page;
use crate::metrics::ShardCounters;
use crate::pacing::ReadPacer;
use crate::SourceError;

/// The adaptive-reads cap (a constant in Flink, not the configured maximum): the GetRecords
/// limit.
const ADAPTIVE_MAX_RECORDS: u32 = kinesis_wire::limits::MAX_GET_RECORDS_LIMIT;
/// Kinesis' per-shard read limit used by adaptive reads: 2 MiB/s.
const SHARD_BYTES_PER_SECOND: f64 = kinesis_wire::limits::SHARD_READ_BYTES_PER_SECOND as f64;

/// What reader threads send to the caller, in shard order.
pub(crate) enum Item {
    /// One GetRecords page of one shard.
    Batch(Page),
    /// The shard was read to its end.
    ShardEnd { slot: usize },
    /// The source must stop (or, [`SourceError::Ended`], has nothing left to read).
    Error(SourceError),
}

/// What reader threads tell the discovery thread.
pub(crate) enum Event {
    /// The shard reached its end; `children` from the last GetRecords response.
    Finished {
        shard_id: Arc<str>,
        children: Vec<ChildShard>,
    },
}

/// Settings shared by every reader of one source.
pub(crate) struct ReaderShared {
    pub client: KinesisClient,
    pub stream: Arc<str>,
    pub max_record_count: u32,
    pub interval: Duration,
    /// `scan.shard.getrecords.idle-intervalmillis` (D22).
    pub idle_interval: Option<Duration>,
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
    /// Stops this reader alone when its sender is dropped (a lost lease);
    /// `crossbeam_channel::never()` when nothing but the source's close stops it.
    pub stop: Receiver<()>,
}

impl ShardTask {
    /// Whether this reader alone was told to stop.
    fn stopped(&self) -> bool {
        matches!(
            self.stop.try_recv(),
            Err(crossbeam_channel::TryRecvError::Disconnected)
        )
    }

    /// Sends an item unless the source closes or this reader is stopped first; `false`
    /// then.
    fn send(&self, s: &ReaderShared, item: Item) -> bool {
        select! {
            send(s.tx, item) -> r => r.is_ok(),
            recv(s.close_rx) -> _ => false,
            recv(self.stop) -> _ => false,
        }
    }
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

/// The stack of a reader thread. A reader's deepest calls are the response parsers (the
/// fast GetRecords parser recurses up to 128 levels, then leaves the body to serde_json,
/// which skips unknown nested fields without recursing), rustls's
/// handshake and KPL de-aggregation (not recursive): well under 128 KiB, checked by
/// `a_reader_stack_parses_the_deepest_accepted_body` in a debug build (deeper frames than
/// release). The default 2 MiB is only address space, but a thousand shards make a
/// thousand readers, so the size is chosen rather than inherited.
pub(crate) const READER_STACK_BYTES: usize = 512 << 10;

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
            if task.send(&s, Item::ShardEnd { slot: task.slot }) {
                let _ = s.events.send(Event::Finished {
                    shard_id: task.shard_id.clone(),
                    children,
                });
            }
        }
        Err(Stop::Closed) => {}
        Err(Stop::Failed(e)) => {
            log::error!("reader of shard {} stopped: {e}", task.shard_id);
            task.send(&s, Item::Error(e));
        }
    }
}

fn iterator_position(pos: &ShardPosition) -> Option<StartingPosition> {
    Some(match pos {
        ShardPosition::TrimHorizon => StartingPosition::TrimHorizon,
        ShardPosition::AtSequence { sequence_number } => {
            StartingPosition::AtSequenceNumber(sequence_number.clone())
        }
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
    let input = GetShardIteratorInput::new(
        StreamRef::from(s.stream.to_string()),
        task.shard_id.to_string(),
        position,
    );
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
    spare: RecordBatch,
    pacer: &mut ReadPacer,
) -> Result<GetRecordsPage, KinesisError> {
    let input = GetRecordsInput::new(iterator.to_string()).limit(limit);
    // The spare's buffers serve the first attempt; a retry after a failure starts afresh.
    let mut spare = Some(spare);
    s.get_records.run(&s.shutdown, |attempt| {
        // A retry after a throttled call also waits for the shard's budget (on top of the
        // backoff), so the retries are not spent while the shard is still in debt.
        let wait = pacer.wait(Instant::now());
        if attempt > 0 && !wait.is_zero() && !s.shutdown.sleep(wait) {
            return Err(KinesisError::Interrupted {
                attempts: attempt,
                last: None,
            });
        }
        pacer.call_started(Instant::now());
        let reuse = spare.take().unwrap_or_default();
        let result = s.client.get_records_page(&input, reuse);
        match &result {
            Ok(page) => pacer.charge(page_bytes(&page.records), Instant::now()),
            Err(e) => {
                if e.is_retryable() {
                    ShardCounters::add(&task.counters.retries, 1);
                }
                if e.is_throttling() {
                    pacer.throttled(Instant::now());
                    ShardCounters::add(&task.counters.throttles, 1);
                }
            }
        }
        result
    })
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

/// The bytes of a page as Kinesis counts them against a shard's read budget: data and
/// partition keys.
fn page_bytes(records: &RecordBatch) -> u64 {
    let keys: usize = records.iter().map(|r| r.partition_key.len()).sum();
    (records.data_bytes() + keys) as u64
}

/// The number of user records (KPL aggregates counted by their content) and their bytes.
fn user_record_stats(records: &RecordBatch, hash_range: Option<(u128, u128)>) -> (usize, u64) {
    let (mut n, mut bytes) = (0usize, 0u64);
    for r in records.iter() {
        match deaggregate(r.data, hash_range) {
            Deaggregated::Records(subs) => {
                n += subs.len();
                bytes += subs.iter().map(|u| u.data.len() as u64).sum::<u64>();
            }
            Deaggregated::OutsideHashRange(_) => {}
            Deaggregated::Plain => {
                n += 1;
                bytes += r.data.len() as u64;
            }
        }
    }
    (n, bytes)
}

fn read_shard(s: &ReaderShared, task: &ShardTask) -> Result<Vec<ChildShard>, Stop> {
    let mut pos = task.start.clone();
    // Restarting inside an aggregate: skip its sub-records up to this one (once).
    let mut skip_through: Option<(String, i64)> = match &pos {
        ShardPosition::Sequence {
            sequence_number,
            sub_sequence_number,
        } if *sub_sequence_number >= 0 => Some((sequence_number.clone(), *sub_sequence_number)),
        _ => None,
    };
    // Pages come back here once handed out: one is kept to be refilled by the next
    // GetRecords (its buffers already have the right size), others are freed here, by the
    // thread that allocated them.
    let (recycle_tx, recycle_rx) = unbounded::<RecordBatch>();
    let mut spare = RecordBatch::default();
    let mut iterator = get_iterator(s, task, &pos)?;
    let mut limit = s.max_record_count.max(1);
    let mut refreshes = 0u32;
    let mut last_loop_end = Instant::now();
    // The current period of the loop (D22 lengthens it while the shard is idle).
    let mut period = s.interval;
    let mut pacer = ReadPacer::new(Instant::now());
    let refresh_backoff = s.get_iterator.backoff;
    loop {
        while let Ok(page) = recycle_rx.try_recv() {
            spare = page; // the one replaced is freed here
        }
        let Some(it) = iterator.take() else {
            return Ok(Vec::new());
        };
        if s.shutdown.is_triggered() || task.stopped() {
            return Err(Stop::Closed);
        }
        // Once the shard has throttled a call, the next waits for its read budget.
        let wait = pacer.wait(Instant::now());
        if !wait.is_zero() && !s.shutdown.sleep(wait) {
            return Err(Stop::Closed);
        }
        let loop_start = Instant::now();
        let out = match get_records(s, task, &it, limit, std::mem::take(&mut spare), &mut pacer) {
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
            Err(e) if s.recoverable_codes.iter().any(|r| e.is_named(r)) => {
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
        let wire_bytes = out.records.data_bytes() as u64;
        let empty_page = out.records.is_empty();
        ShardCounters::add(&task.counters.bytes, wire_bytes);
        let adaptive = (s.adaptive_reads && !out.records.is_empty())
            .then(|| user_record_stats(&out.records, task.hash_range));
        if let Some(last) = out.records.last() {
            // The position after this page: AFTER its last Kinesis record (the caller's
            // side processes every aggregate whole).
            pos = ShardPosition::Sequence {
                sequence_number: last.sequence_number.to_string(),
                sub_sequence_number: -1,
            };
            let page = Page {
                slot: task.slot,
                records: out.records,
                skip_through: skip_through.take(),
                hash_range: task.hash_range,
                recycle: recycle_tx.clone(),
            };
            if !task.send(s, Item::Batch(page)) {
                return Err(Stop::Closed);
            }
        }
        let Some(next) = out.next_shard_iterator else {
            return Ok(out.child_shards);
        };
        iterator = Some(next);
        // D22: an idle shard (no record, at the tip) waits longer each time, up to the idle
        // interval; the first record brings it back to the normal period.
        period = match s.idle_interval {
            Some(idle) if empty_page && out.millis_behind_latest == Some(0) => {
                (period * 2).max(s.interval).min(idle)
            }
            _ => s.interval,
        };
        if !period.is_zero() {
            let spent = loop_start.elapsed();
            if spent < period && !s.shutdown.sleep(period - spent) {
                return Err(Stop::Closed);
            }
        }
        // §5.4: the loop time includes the interval's sleep (Flink measures from the end of
        // the previous loop to the end of this one's sleep).
        let loop_end = Instant::now();
        if let Some((n, bytes)) = adaptive {
            if let Some(l) = adaptive_limit(n, bytes, loop_end - last_loop_end) {
                limit = l;
            }
        }
        last_loop_end = loop_end;
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

    #[test]
    fn a_reader_stack_parses_the_deepest_accepted_body() {
        use kinesis_wire::model::{parse_get_records_page, RecordBatch};
        let body = |depth: usize| {
            format!(
                r#"{{"Records":[],"Extra":{}1{},"NextShardIterator":"i","MillisBehindLatest":0}}"#,
                "[".repeat(depth),
                "]".repeat(depth)
            )
        };
        let outcome = std::thread::Builder::new()
            .stack_size(READER_STACK_BYTES)
            .spawn(move || {
                // Within the fast parser's limit: it recurses 100 levels. Past it: it gives
                // up at 128 and serde_json skips the unknown field (iteratively).
                [100, 10_000].map(|depth| {
                    parse_get_records_page(body(depth).as_bytes(), RecordBatch::default())
                        .map(|p| p.next_shard_iterator)
                })
            })
            .unwrap()
            .join()
            .expect("the reader stack overflowed");
        assert_eq!(
            outcome,
            [Ok(Some("i".to_string())), Ok(Some("i".to_string()))]
        );
    }
}
