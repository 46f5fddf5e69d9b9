//! The sink's buffer and dispatch state machine: plain data and transitions, no threads, no
//! I/O and no clock of its own (callers pass `now` and the jitter draw), so every transition
//! (buffer, cut a batch, complete it, retry, stop on a fatal error, hand back) is unit-tested
//! deterministically. [`crate::engine`] runs it under one mutex with the batcher and sender
//! threads.

use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;
use std::time::Instant;

use kinesis_wire::model::PutRecordsOutcome;
use kinesis_wire::{KinesisError, TransportErrorKind};

use crate::config::SinkConfig;
use crate::error::{FailedRecord, SinkError, SinkFailure};
use crate::limiter::AimdLimiter;
use crate::metrics::SinkMetrics;
use crate::record::SinkRecord;

/// The time of a call into the state, read from the clock at most once and only if the
/// state asks for it: a write asks only when it arms the flush timer or meets a retry
/// backoff, where reading the clock for every record cost about 6 % of the csv put path.
#[derive(Debug, Default)]
pub struct LazyNow(Option<Instant>);

impl LazyNow {
    /// Not read yet.
    pub fn new() -> Self {
        LazyNow(None)
    }

    /// A fixed time (tests).
    #[cfg(test)]
    pub fn at(t: Instant) -> Self {
        LazyNow(Some(t))
    }

    /// The time: the clock's at the first call, the same afterwards.
    pub fn get(&mut self) -> Instant {
        *self.0.get_or_insert_with(Instant::now)
    }
}

/// Acknowledged batches kept for a writer thread to free (see `SinkState::spent`).
const MAX_SPENT_BATCHES: usize = 64;
/// The label of records that were never sent, in metrics and handed-back records.
pub const NOT_SENT: &str = "NotSent";

/// One buffered record and its history.
#[derive(Debug, Clone)]
pub(crate) struct Entry {
    pub record: SinkRecord,
    /// Order of arrival; `flush` waits for every entry below its mark.
    pub seq: u64,
    /// Times sent so far.
    pub attempts: u32,
    /// Last error: (code, message).
    pub last_error: Option<Box<(String, String)>>,
}

impl Entry {
    pub fn into_failed(self) -> FailedRecord {
        let (code, message) = match self.last_error {
            Some(b) => {
                let (c, m) = *b;
                (Some(c), Some(m))
            }
            None => (None, None),
        };
        FailedRecord {
            record: self.record,
            error_code: code,
            error_message: message,
            attempts: self.attempts,
        }
    }
}

/// A batch handed to a sender. The state keeps a clone of the `Arc` so that `close` can
/// hand the records back if the request does not finish in time.
pub(crate) struct Job {
    pub id: u64,
    pub batch: Arc<Vec<Entry>>,
}

struct InFlight {
    id: u64,
    min_seq: u64,
    records: usize,
    bytes: u64,
    batch: Arc<Vec<Entry>>,
}

struct Fatal {
    cause: String,
    code: Option<String>,
    request_error: Option<KinesisError>,
    records: Vec<FailedRecord>,
    handed_back: bool,
}

#[derive(Default)]
struct Counters {
    records_written: u64,
    bytes_written: u64,
    requests: u64,
    requests_failed: u64,
    records_retried: u64,
    retried_by_code: BTreeMap<String, u64>,
    records_failed: u64,
    failed_by_code: BTreeMap<String, u64>,
}

impl Counters {
    fn failed(&mut self, code: Option<&str>, n: u64) {
        if n == 0 {
            return;
        }
        self.records_failed += n;
        *self
            .failed_by_code
            .entry(code.unwrap_or(NOT_SENT).to_string())
            .or_default() += n;
    }

    fn retried(&mut self, code: &str, n: u64) {
        self.records_retried += n;
        *self.retried_by_code.entry(code.to_string()).or_default() += n;
    }
}

/// What [`SinkState::complete`] did, for the thread code to act on (wake whom, free what).
#[derive(Default)]
pub(crate) struct Completion {
    /// The sink stopped on a fatal error with this request.
    pub stopped: bool,
    /// Records were put back at the head of the buffer, to be sent after a backoff.
    pub retried: usize,
    /// An acknowledged batch to free outside the lock (when it is not kept for a writer).
    pub free: Option<Vec<Entry>>,
}

/// Every piece of the sink's state that is not about threads.
pub(crate) struct SinkState {
    buffer: VecDeque<Entry>,
    buffered_bytes: u64,
    next_seq: u64,
    /// When the flush timer fires (armed by the first record into an idle buffer).
    timer_deadline: Option<Instant>,
    /// Records to send regardless of batch fullness (timer fired, or retries became due).
    drain_remaining: usize,
    /// No batch leaves before this instant (full-jitter backoff after failures).
    retry_at: Option<Instant>,
    in_flight: Vec<InFlight>,
    in_flight_records: usize,
    in_flight_bytes: u64,
    limiter: AimdLimiter,
    /// `flush` calls waiting: send partial batches.
    pub flushers: usize,
    /// `close` or `stop_writes` began: no more writes, every batch is due.
    pub closing: bool,
    pub closed: bool,
    /// `close` gave up or `abort` ran: in-flight batches were handed back; late results are
    /// only logged and queued batches are not sent.
    pub abandoned: bool,
    /// `abort` handed everything back; a `close` waiting meanwhile reports it.
    pub aborted: bool,
    fatal: Option<Fatal>,
    counters: Counters,
    next_batch_id: u64,
    pub records_rejected: u64,
    /// Acknowledged batches waiting to be freed by a writer thread: glibc's allocator is
    /// much cheaper when memory is freed by the thread that allocated it (measured: a third
    /// of the writer's time went to `malloc` when senders freed the records).
    spent: Vec<Vec<Entry>>,
}

impl SinkState {
    pub fn new(cfg: &SinkConfig) -> SinkState {
        SinkState {
            buffer: VecDeque::with_capacity(cfg.max_buffered_requests.min(1 << 16)),
            buffered_bytes: 0,
            next_seq: 0,
            timer_deadline: None,
            drain_remaining: 0,
            retry_at: None,
            in_flight: Vec::new(),
            in_flight_records: 0,
            in_flight_bytes: 0,
            limiter: AimdLimiter::new(cfg.batch_max_size, cfg.max_in_flight_requests),
            flushers: 0,
            closing: false,
            closed: false,
            abandoned: false,
            aborted: false,
            fatal: None,
            counters: Counters::default(),
            next_batch_id: 0,
            records_rejected: 0,
            spent: Vec::new(),
        }
    }

    /// Whether the sink stopped on a fatal error.
    pub fn is_stopped(&self) -> bool {
        self.fatal.is_some()
    }

    /// Whether the fatal error was already reported with its records.
    pub fn fatal_handed_back(&self) -> bool {
        self.fatal.as_ref().is_some_and(|f| f.handed_back)
    }

    pub fn buffered(&self) -> usize {
        self.buffer.len()
    }

    pub fn has_in_flight(&self) -> bool {
        !self.in_flight.is_empty()
    }

    /// Nothing buffered and nothing in flight.
    pub fn is_idle(&self) -> bool {
        self.buffer.is_empty() && self.in_flight.is_empty()
    }

    /// Whether the flush timer is armed (a batcher wake-up is then needed for it).
    pub fn timer_armed(&self) -> bool {
        self.timer_deadline.is_some()
    }

    /// Batches freed by senders, for the writer thread to drop.
    pub fn take_spent(&mut self) -> Vec<Vec<Entry>> {
        std::mem::take(&mut self.spent)
    }

    /// Whether a record of `len` data bytes fits: under the record bound and under the byte
    /// bound (buffer plus in flight), or the sink holds nothing (a record larger than the
    /// byte bound still goes through, alone).
    pub fn has_room(&self, cfg: &SinkConfig, len: u64) -> bool {
        let held = self.buffered_bytes + self.in_flight_bytes;
        let bytes_ok = held + len <= cfg.max_buffered_bytes || self.is_idle();
        self.buffer.len() < cfg.max_buffered_requests && bytes_ok
    }

    /// Buffers `record` (the caller checked [`SinkState::has_room`]). Returns whether the
    /// batcher should look now: the timer was just armed, a batch became full, or the
    /// buffer crossed the flush size.
    pub fn push(&mut self, cfg: &SinkConfig, record: SinkRecord, now: &mut LazyNow) -> bool {
        let len = record.data.len() as u64;
        let seq = self.next_seq;
        self.next_seq += 1;
        let before_bytes = self.buffered_bytes;
        self.buffered_bytes += len;
        self.buffer.push_back(Entry {
            record,
            seq,
            attempts: 0,
            last_error: None,
        });
        let mut wake = false;
        if self.timer_deadline.is_none() {
            self.timer_deadline = Some(now.get() + cfg.flush_buffer_timeout);
            wake = true;
        }
        let batch_limit = self.batch_limit(cfg);
        if self.buffer.len() == batch_limit
            || (before_bytes < cfg.flush_buffer_size
                && self.buffered_bytes >= cfg.flush_buffer_size)
        {
            wake = true;
        }
        wake
    }

    /// The mark `flush` waits for: every record buffered so far.
    pub fn flush_mark(&self) -> u64 {
        self.next_seq
    }

    /// Whether any record with `seq < target` is buffered or in flight.
    pub fn pending_below(&self, target: u64) -> bool {
        self.in_flight.iter().any(|f| f.min_seq < target)
            || self.buffer.iter().any(|e| e.seq < target)
    }

    /// Cuts every batch the triggers and the limiter allow. Returns the jobs and when to
    /// look again (flush timer or end of backoff) if nothing else wakes the batcher.
    pub fn dispatch(&mut self, cfg: &SinkConfig, now: Instant) -> (Vec<Job>, Option<Instant>) {
        let mut jobs = Vec::new();
        if self.fatal.is_some() || self.abandoned {
            return (jobs, None);
        }
        loop {
            if self.buffer.is_empty() {
                self.timer_deadline = None;
                self.drain_remaining = 0;
                return (jobs, None);
            }
            if let Some(t) = self.retry_at {
                if now < t {
                    return (jobs, Some(t));
                }
                self.retry_at = None;
            }
            match self.timer_deadline {
                Some(t) if now >= t => {
                    // Flink's timer: flush everything buffered now, then re-arm on the next write.
                    self.timer_deadline = None;
                    self.drain_remaining = self.buffer.len();
                }
                None if self.drain_remaining == 0 => {
                    self.timer_deadline = Some(now + cfg.flush_buffer_timeout);
                }
                _ => {}
            }
            let batch_limit = self.batch_limit(cfg);
            let next = batch_limit.min(self.buffer.len());
            let due = self.buffer.len() >= batch_limit
                || self.buffered_bytes >= cfg.flush_buffer_size
                || self.drain_remaining > 0
                || self.flushers > 0
                || self.closing;
            if !due {
                return (jobs, self.timer_deadline);
            }
            if self.limiter_blocks(cfg, next) {
                // A completion wakes the batcher.
                return (jobs, None);
            }
            jobs.push(self.take_batch(cfg, next));
        }
    }

    /// With `sink.requests.max-inflight = 1`, the writer whose record fills a batch sends it
    /// itself (when nothing is in flight and no backoff is pending): a hand-off to a sender
    /// thread would only move every record to another core. Timer, flush, close and retries
    /// still go through the batcher and a sender thread; the limiter keeps one request in
    /// flight either way.
    pub fn inline_batch(&mut self, cfg: &SinkConfig, now: &mut LazyNow) -> Option<Job> {
        if cfg.max_in_flight_requests != 1
            || !self.in_flight.is_empty()
            || self.fatal.is_some()
            || self.abandoned
        {
            return None;
        }
        let batch_limit = self.batch_limit(cfg);
        if self.buffer.len() < batch_limit && self.buffered_bytes < cfg.flush_buffer_size {
            return None;
        }
        if let Some(t) = self.retry_at {
            if now.get() < t {
                return None;
            }
            self.retry_at = None;
        }
        let next = batch_limit.min(self.buffer.len());
        if self.limiter_blocks(cfg, next) {
            return None;
        }
        Some(self.take_batch(cfg, next))
    }

    /// User records per batch. Without aggregation: `sink.batch.max-size`, within the AIMD
    /// limit. With it (decisions D23) the batch limits count Kinesis records, which exist
    /// only once the batch is aggregated: a batch is then bounded by
    /// `sink.requests.max-buffered` user records and `sink.flush-buffer.size` bytes, and the
    /// sender splits its aggregates into requests of at most `sink.batch.max-size`.
    fn batch_limit(&self, cfg: &SinkConfig) -> usize {
        if cfg.aggregation.enabled {
            cfg.max_buffered_requests
        } else {
            cfg.batch_max_size
                .min(self.limiter.max_in_flight_messages())
        }
    }

    /// Whether the AIMD limiter holds a batch of `next` records back. With aggregation its
    /// record count is not known before the batch is aggregated, so only the request limit
    /// applies.
    fn limiter_blocks(&self, cfg: &SinkConfig, next: usize) -> bool {
        if cfg.aggregation.enabled {
            self.limiter.should_block(self.in_flight.len(), 0, 0)
        } else {
            self.limiter
                .should_block(self.in_flight.len(), self.in_flight_records, next)
        }
    }

    /// Moves up to `next` records (and at most `sink.flush-buffer.size` data bytes; with
    /// aggregation, data, keys and framing) from the head of the buffer into a new
    /// in-flight batch.
    fn take_batch(&mut self, cfg: &SinkConfig, next: usize) -> Job {
        let mut batch = Vec::with_capacity(next);
        let mut bytes = 0u64;
        let mut weight = 0u64;
        while batch.len() < next {
            let (len, w) = self.buffer.front().map_or((0, 0), |e| {
                let len = e.record.data.len() as u64;
                if cfg.aggregation.enabled {
                    // What the record adds to an aggregate, roughly: its key, its explicit
                    // hash key and a few bytes of protobuf framing.
                    let keys = e.record.partition_key.len()
                        + e.record.explicit_hash_key.as_ref().map_or(0, String::len);
                    (len, len + keys as u64 + 8)
                } else {
                    (len, len)
                }
            });
            if !batch.is_empty() && weight + w > cfg.flush_buffer_size {
                break;
            }
            let mut e = self
                .buffer
                .pop_front()
                .expect("buffer holds `next` entries");
            e.attempts += 1;
            bytes += len;
            weight += w;
            batch.push(e);
        }
        self.buffered_bytes -= bytes;
        if self.buffer.is_empty() {
            // Rewind the ring so the next records reuse the cache lines just freed instead of
            // walking through its whole capacity.
            self.buffer.clear();
        }
        self.drain_remaining = self.drain_remaining.saturating_sub(batch.len());
        let id = self.next_batch_id;
        self.next_batch_id += 1;
        let batch = Arc::new(batch);
        self.in_flight.push(InFlight {
            id,
            min_seq: batch.iter().map(|e| e.seq).min().unwrap_or(u64::MAX),
            records: batch.len(),
            bytes,
            batch: batch.clone(),
        });
        self.in_flight_records += batch.len();
        self.in_flight_bytes += bytes;
        Job { id, batch }
    }

    /// Applies a request's outcome (reference §7.3, decisions D7 and D19): acknowledged
    /// records are counted, retryable failures go back to the head of the buffer in their
    /// original order behind a full-jitter backoff (`jitter` is the random draw in
    /// `[0, 1)`), fatal ones stop the sink. A result for a batch no longer in flight (`close`
    /// gave up on it) is only logged.
    pub fn complete(
        &mut self,
        cfg: &SinkConfig,
        stream: &str,
        job: Job,
        result: Result<PutRecordsOutcome, KinesisError>,
        now: Instant,
        jitter: f64,
    ) -> Completion {
        let mut done = Completion::default();
        let Some(pos) = self.in_flight.iter().position(|f| f.id == job.id) else {
            // `close` gave up on this request and handed its records back.
            match &result {
                Ok(out) => log::warn!(
                    "kinesis sink: a PutRecords request finished after close gave up: {} of {} records were written anyway (they were also handed back)",
                    out.entries - out.failures.len().min(out.entries),
                    job.batch.len()
                ),
                Err(e) => log::warn!("kinesis sink: a PutRecords request failed after close gave up: {e}"),
            }
            return done;
        };
        let f = self.in_flight.swap_remove(pos);
        self.in_flight_records -= f.records;
        self.in_flight_bytes -= f.bytes;
        drop(f.batch);
        let batch: Vec<Entry> = Arc::try_unwrap(job.batch).unwrap_or_else(|a| (*a).clone());
        self.counters.requests += 1;

        // Per-entry verdicts: written, retry (code, message) or fatal.
        let mut retry: Vec<Entry> = Vec::new();
        let mut fatal_entries: Vec<Entry> = Vec::new();
        // (cause, code, the request-level error when the whole call failed)
        let mut fatal_cause: Option<(String, Option<String>, Option<KinesisError>)> = None;
        match result {
            Ok(out) if out.entries == batch.len() => {
                if out.all_succeeded() {
                    self.counters.records_written += batch.len() as u64;
                    self.counters.bytes_written += f.bytes;
                    if self.spent.len() < MAX_SPENT_BATCHES && !self.closing {
                        self.spent.push(batch);
                    } else {
                        done.free = Some(batch);
                    }
                } else {
                    let mut failures = out.failures.into_iter().peekable();
                    for (i, mut e) in batch.into_iter().enumerate() {
                        let Some(r) = failures.next_if(|f| f.index == i) else {
                            self.counters.records_written += 1;
                            self.counters.bytes_written += e.record.data.len() as u64;
                            continue;
                        };
                        // Decisions D7: throughput and internal failures are retried, any
                        // other code is final.
                        let retryable = r.is_retryable();
                        let code = r.error_code;
                        let message = r.error_message.unwrap_or_default();
                        let exhausted = cfg.max_attempts > 0 && e.attempts >= cfg.max_attempts;
                        if fatal_cause.is_none() {
                            let why = if cfg.fail_on_error {
                                Some(format!(
                                    "Encountered an exception while persisting records, not retrying due to {{failOnError}} being set (sink.fail-on-error=true): PutRecords to stream {stream}: a record failed with {code}: {message}"
                                ))
                            } else if !retryable {
                                Some(format!(
                                    "PutRecords to stream {stream}: a record failed with {code}, which is not retryable: {message}"
                                ))
                            } else if exhausted {
                                Some(format!(
                                    "PutRecords to stream {stream}: a record still failed with {code} after {} attempts (sink.retry.max-attempts={}): {message}",
                                    e.attempts, cfg.max_attempts
                                ))
                            } else {
                                None
                            };
                            if let Some(cause) = why {
                                fatal_cause = Some((cause, Some(code.clone()), None));
                            }
                        }
                        e.last_error = Some(Box::new((code, message)));
                        if retryable && !cfg.fail_on_error && !exhausted {
                            retry.push(e);
                        } else {
                            fatal_entries.push(e);
                        }
                    }
                }
            }
            other => {
                let e = match other {
                    Ok(out) => KinesisError::Protocol {
                        action: "PutRecords",
                        message: format!(
                            "the response has {} results for {} records",
                            out.entries,
                            batch.len()
                        ),
                    },
                    Err(e) => e,
                };
                self.counters.requests_failed += 1;
                let label = error_label(&e);
                let fatal_kind = request_error_is_fatal(&e);
                let attempts = batch.iter().map(|e| e.attempts).max().unwrap_or(0);
                let exhausted = cfg.max_attempts > 0 && attempts >= cfg.max_attempts;
                if fatal_kind || cfg.fail_on_error || exhausted {
                    let why = if fatal_kind {
                        "a non-recoverable error".to_string()
                    } else if cfg.fail_on_error {
                        "Encountered an exception while persisting records, not retrying due to {failOnError} being set (sink.fail-on-error=true)".to_string()
                    } else {
                        format!(
                            "still failing after {attempts} attempts (sink.retry.max-attempts={})",
                            cfg.max_attempts
                        )
                    };
                    let code = e.code().map(str::to_string).or(Some(label.clone()));
                    fatal_cause = Some((
                        format!("PutRecords to stream {stream} failed with {why}: {e}"),
                        code,
                        Some(e.clone()),
                    ));
                }
                let message = e.to_string();
                for mut entry in batch {
                    entry.last_error = Some(Box::new((label.clone(), message.clone())));
                    if fatal_cause.is_some() {
                        fatal_entries.push(entry);
                    } else {
                        retry.push(entry);
                    }
                }
            }
        }

        let had_failures = !retry.is_empty() || !fatal_entries.is_empty();
        self.limiter.on_request_done(had_failures);
        if let Some((cause, code, request_error)) = fatal_cause {
            // Stop: this batch's failed records plus its retryable ones are handed back.
            let mut all: Vec<Entry> = fatal_entries;
            all.extend(retry);
            all.sort_by_key(|e| e.seq);
            let mut records: Vec<FailedRecord> = Vec::with_capacity(all.len());
            for e in all {
                self.counters
                    .failed(e.last_error.as_ref().map(|b| b.0.as_str()), 1);
                records.push(e.into_failed());
            }
            // Debug only: the error is returned to the caller (by this and every later
            // call, and logged by `Drop` if the sink is dropped unclosed); logging it at
            // error level too made the CLI print it twice.
            log::debug!("kinesis sink stopped: {cause}");
            match &mut self.fatal {
                Some(existing) if !existing.handed_back => existing.records.extend(records),
                Some(_) => {
                    // Already reported: nobody will collect these; say so loudly.
                    log::error!(
                        "kinesis sink: {} more records failed after the sink had stopped and could not be handed back",
                        records.len()
                    );
                }
                None => {
                    done.stopped = true;
                    self.fatal = Some(Fatal {
                        cause,
                        code,
                        request_error,
                        records,
                        handed_back: false,
                    })
                }
            }
        } else if self.fatal.is_some() {
            // Another request already stopped the sink: these records join the hand-back.
            let records: Vec<FailedRecord> = retry.into_iter().map(Entry::into_failed).collect();
            for r in &records {
                self.counters.failed(r.error_code.as_deref(), 1);
            }
            if let Some(f) = self.fatal.as_mut() {
                if !f.handed_back {
                    f.records.extend(records);
                }
            }
        } else if !retry.is_empty() {
            done.retried = retry.len();
            self.requeue(cfg, stream, retry, now, jitter);
        }
        done
    }

    /// Puts retried entries back at the head of the buffer in their original order, after
    /// a full-jitter backoff.
    fn requeue(
        &mut self,
        cfg: &SinkConfig,
        stream: &str,
        mut retry: Vec<Entry>,
        now: Instant,
        jitter: f64,
    ) {
        let attempt = retry.iter().map(|e| e.attempts).max().unwrap_or(1);
        let delay = cfg
            .retry_backoff
            .delay_with(attempt.saturating_sub(1), jitter);
        let mut code_counts = BTreeMap::<String, u64>::new();
        for e in &retry {
            let c = e.last_error.as_ref().map_or("", |b| b.0.as_str());
            *code_counts.entry(c.to_string()).or_default() += 1;
        }
        for (c, n) in &code_counts {
            self.counters.retried(c, *n);
        }
        log::warn!(
            "KDS Sink failed to write and will retry {} entries to KDS (stream {stream}, {code_counts:?}) in {delay:?}",
            retry.len()
        );
        retry.sort_by_key(|e| e.seq);
        let n = retry.len();
        for e in &retry {
            self.buffered_bytes += e.record.data.len() as u64;
        }
        // Retried entries already waiting at the head (from requests that completed
        // earlier) are merged by arrival order, so that retries of several concurrent
        // requests still leave in the order they were written.
        let waiting = self.buffer.iter().take_while(|e| e.attempts > 0).count();
        let head: Vec<Entry> = self.buffer.drain(..waiting).collect();
        let mut merged = Vec::with_capacity(head.len() + retry.len());
        let (mut a, mut b) = (head.into_iter().peekable(), retry.into_iter().peekable());
        loop {
            let take_a = match (a.peek(), b.peek()) {
                (Some(x), Some(y)) => x.seq < y.seq,
                (Some(_), None) => true,
                (None, Some(_)) => false,
                (None, None) => break,
            };
            merged.extend(if take_a { a.next() } else { b.next() });
        }
        for e in merged.into_iter().rev() {
            self.buffer.push_front(e);
        }
        let at = now + delay;
        self.retry_at = Some(self.retry_at.map_or(at, |t| t.max(at)));
        self.drain_remaining = self.drain_remaining.max(n);
    }

    /// The fatal error for a caller, once no request is in flight (or the caller stopped
    /// waiting): the first report hands back every record not acknowledged (the fatal
    /// batch, requests still in flight, the buffer); later ones say they were handed back.
    /// Returns whether in-flight batches were taken (their senders must skip queued work).
    pub fn report_fatal(&mut self) -> (SinkError, bool) {
        let fatal = self.fatal.as_mut().expect("called with a fatal error");
        if fatal.handed_back {
            return (
                SinkError::Failed(Box::new(SinkFailure {
                    cause: fatal.cause.clone(),
                    code: fatal.code.clone(),
                    request_error: fatal.request_error.clone(),
                    records: Vec::new(),
                    records_handed_back_earlier: true,
                })),
                false,
            );
        }
        fatal.handed_back = true;
        let mut records = std::mem::take(&mut fatal.records);
        let (cause, code, request_error) = (
            fatal.cause.clone(),
            fatal.code.clone(),
            fatal.request_error.clone(),
        );
        let took_in_flight = !self.in_flight.is_empty();
        if took_in_flight {
            // Batches still queued for a sender must not be sent after being handed back.
            self.abandoned = true;
        }
        // Requests still in flight (outcome unknown) and the buffer are handed back too,
        // counted as failed now (the fatal batch was counted when it failed).
        records.extend(self.hand_back_all());
        (
            SinkError::Failed(Box::new(SinkFailure {
                cause,
                code,
                request_error,
                records,
                records_handed_back_earlier: false,
            })),
            took_in_flight,
        )
    }

    /// Takes every in-flight batch (oldest first) and the buffer out of the state, counted
    /// as failed, for a hand-back. The caller makes sure late results and queued batches
    /// are not applied or sent (`abandoned`).
    pub fn hand_back_all(&mut self) -> Vec<FailedRecord> {
        let mut records: Vec<FailedRecord> = Vec::new();
        let mut in_flight = std::mem::take(&mut self.in_flight);
        in_flight.sort_by_key(|f| f.min_seq);
        for f in in_flight {
            records.extend(f.batch.iter().cloned().map(Entry::into_failed));
        }
        self.in_flight_records = 0;
        self.in_flight_bytes = 0;
        records.extend(self.buffer.drain(..).map(Entry::into_failed));
        self.buffered_bytes = 0;
        for r in &records {
            self.counters.failed(r.error_code.as_deref(), 1);
        }
        records
    }

    /// A batch still queued for a sender when the sink stopped is not sent: its records join
    /// the hand-back as never sent by this batch (attempts as before it was cut). Returns
    /// whether the batch was taken care of (also when an earlier hand-back returned it).
    pub fn drop_queued_after_fatal(&mut self, id: u64, batch: &Arc<Vec<Entry>>) -> bool {
        if self.fatal.is_none() {
            return false;
        }
        let Some(pos) = self.in_flight.iter().position(|f| f.id == id) else {
            return true;
        };
        let f = self.in_flight.swap_remove(pos);
        self.in_flight_records -= f.records;
        self.in_flight_bytes -= f.bytes;
        let records: Vec<FailedRecord> = batch
            .iter()
            .cloned()
            .map(|mut e| {
                e.attempts = e.attempts.saturating_sub(1);
                e.into_failed()
            })
            .collect();
        for r in &records {
            self.counters.failed(r.error_code.as_deref(), 1);
        }
        match self.fatal.as_mut() {
            Some(fatal) if !fatal.handed_back => fatal.records.extend(records),
            _ => log::error!(
                "kinesis sink: {} records of a batch queued when the sink stopped could not be handed back",
                records.len()
            ),
        }
        true
    }

    /// Counts `n` records handed back without ever being buffered.
    pub fn count_not_sent(&mut self, n: u64) {
        self.counters.failed(None, n);
    }

    /// Ends any backoff wait (for `abort`).
    pub fn cancel_backoff(&mut self) {
        self.retry_at = None;
    }

    /// Counters and gauges now.
    pub fn metrics(&self) -> SinkMetrics {
        let c = &self.counters;
        SinkMetrics {
            records_written: c.records_written,
            bytes_written: c.bytes_written,
            requests: c.requests,
            requests_failed: c.requests_failed,
            records_retried: c.records_retried,
            retried_by_code: c.retried_by_code.clone(),
            records_failed: c.records_failed,
            failed_by_code: c.failed_by_code.clone(),
            records_rejected: self.records_rejected,
            buffered_records: self.buffer.len(),
            buffered_bytes: self.buffered_bytes,
            in_flight_requests: self.in_flight.len(),
            in_flight_records: self.in_flight_records,
            in_flight_bytes: self.in_flight_bytes,
            in_flight_records_limit: self.limiter.max_in_flight_messages(),
            // Without aggregation every user record is one Kinesis record; the aggregating
            // sender overrides these.
            kinesis_records_written: c.records_written,
            records_resent: 0,
        }
    }

    /// How many requests are in flight (sender threads needed).
    pub fn in_flight_requests(&self) -> usize {
        self.in_flight.len()
    }

    /// The time until the backoff ends, if one is pending.
    #[cfg(test)]
    fn backoff_left(&self, now: Instant) -> Option<std::time::Duration> {
        self.retry_at.map(|t| t.saturating_duration_since(now))
    }
}

/// Whether a failed request stops the sink (reference §7.3, decisions D7 and D19): a service
/// error the AWS SDKs would not retry (access denied, invalid signature, unknown key,
/// validation, a missing stream, any 401/403: retrying cannot help, so the sink stops at the
/// first such answer), and client-side failures (connection refused, unknown host, TLS,
/// credentials). Throttling, 5xx, timeouts, resets and broken answers are retried.
pub(crate) fn request_error_is_fatal(e: &KinesisError) -> bool {
    match e {
        KinesisError::Service { .. } => !e.is_retryable(),
        KinesisError::Transport { error, .. } => !matches!(
            error.kind,
            TransportErrorKind::Timeout
                | TransportErrorKind::ConnectTimeout
                | TransportErrorKind::Reset
                | TransportErrorKind::Protocol
        ),
        _ => true,
    }
}

/// A short label for a request-level error: its code, or what failed.
pub(crate) fn error_label(e: &KinesisError) -> String {
    match e {
        KinesisError::Service { code, status, .. } if code.is_empty() => format!("HTTP {status}"),
        KinesisError::Service { code, .. } => code.clone(),
        KinesisError::Transport { error, .. } => format!("Transport({})", error.kind),
        KinesisError::Credentials(_) => "Credentials".into(),
        KinesisError::Protocol { .. } => "Protocol".into(),
        KinesisError::Config { .. } => "Config".into(),
        other => other.code().unwrap_or("Error").to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kinesis_wire::model::PutRecordsFailure;
    use kinesis_wire::TransportError;
    use std::time::Duration;

    fn cfg() -> SinkConfig {
        SinkConfig::default()
            .with_batch_max_size(3)
            .with_max_in_flight_requests(2)
            .with_max_buffered_requests(100)
            .with_flush_buffer_timeout(Duration::from_millis(100))
    }

    fn rec(i: u32) -> SinkRecord {
        SinkRecord::new(format!("r{i}").into_bytes(), format!("k{i}"))
    }

    fn fill(st: &mut SinkState, cfg: &SinkConfig, n: u32, now: Instant) {
        for i in 0..n {
            assert!(st.has_room(cfg, 2));
            st.push(cfg, rec(i), &mut LazyNow::at(now));
        }
    }

    /// One clean request of three `w` records first: the AIMD limiter starts at one batch
    /// in flight and grows after it, so that two batches can be in flight.
    fn warm(st: &mut SinkState, cfg: &SinkConfig, now: Instant) {
        for _ in 0..3 {
            st.push(
                cfg,
                SinkRecord::new(b"w".to_vec(), "w"),
                &mut LazyNow::at(now),
            );
        }
        let job = st.dispatch(cfg, now).0.pop().unwrap();
        st.complete(cfg, "s", job, ok(3), now, 0.0);
        assert!(st.is_idle());
    }

    fn ok(n: usize) -> Result<PutRecordsOutcome, KinesisError> {
        Ok(PutRecordsOutcome::new(n, Vec::new()))
    }

    fn failures(n: usize, failed: &[(usize, &str)]) -> Result<PutRecordsOutcome, KinesisError> {
        Ok(PutRecordsOutcome::new(
            n,
            failed
                .iter()
                .map(|(i, code)| PutRecordsFailure::new(*i, code.to_string(), Some("m".into())))
                .collect(),
        ))
    }

    fn payloads(job: &Job) -> Vec<String> {
        job.batch
            .iter()
            .map(|e| String::from_utf8(e.record.data.clone()).unwrap())
            .collect()
    }

    #[test]
    fn full_batches_leave_at_once_and_the_rest_waits_for_the_timer() {
        let cfg = cfg();
        let t0 = Instant::now();
        let mut st = SinkState::new(&cfg);
        fill(&mut st, &cfg, 4, t0);
        let (mut jobs, next) = st.dispatch(&cfg, t0);
        assert_eq!(jobs.len(), 1, "the limiter starts at one batch in flight");
        assert_eq!(payloads(&jobs[0]), ["r0", "r1", "r2"]);
        assert_eq!(
            next,
            Some(t0 + cfg.flush_buffer_timeout),
            "the timer is the next event"
        );
        st.complete(&cfg, "s", jobs.pop().unwrap(), ok(3), t0, 0.0);
        // Nothing more until the timer fires.
        assert!(st
            .dispatch(&cfg, t0 + Duration::from_millis(50))
            .0
            .is_empty());
        let (jobs, _) = st.dispatch(&cfg, t0 + cfg.flush_buffer_timeout);
        assert_eq!(payloads(&jobs[0]), ["r3"]);
    }

    #[test]
    fn an_acknowledged_batch_is_counted_and_leaves_the_state_idle() {
        let cfg = cfg();
        let t0 = Instant::now();
        let mut st = SinkState::new(&cfg);
        fill(&mut st, &cfg, 3, t0);
        let job = st.dispatch(&cfg, t0).0.pop().unwrap();
        assert!(st.has_in_flight() && st.pending_below(st.flush_mark()));
        let done = st.complete(&cfg, "s", job, ok(3), t0, 0.5);
        assert!(!done.stopped && done.retried == 0);
        assert!(st.is_idle() && !st.pending_below(st.flush_mark()));
        assert_eq!(st.metrics().records_written, 3);
    }

    #[test]
    fn retryable_entries_return_to_the_head_in_order_after_the_backoff() {
        let cfg = cfg();
        let t0 = Instant::now();
        let mut st = SinkState::new(&cfg);
        warm(&mut st, &cfg, t0);
        fill(&mut st, &cfg, 6, t0);
        let mut jobs = st.dispatch(&cfg, t0).0;
        assert_eq!(jobs.len(), 2);
        let second = jobs.pop().unwrap();
        let first = jobs.pop().unwrap();
        // The second request fails r4, then the first fails r0 and r2: retries leave in
        // the order they were written.
        let d = st.complete(
            &cfg,
            "s",
            second,
            failures(3, &[(1, "ProvisionedThroughputExceededException")]),
            t0,
            0.5,
        );
        assert_eq!(d.retried, 1);
        let d = st.complete(
            &cfg,
            "s",
            first,
            failures(
                3,
                &[
                    (0, "InternalFailure"),
                    (2, "ProvisionedThroughputExceededException"),
                ],
            ),
            t0,
            0.5,
        );
        assert_eq!(d.retried, 2);
        let wait = st.backoff_left(t0).unwrap();
        assert_eq!(wait, cfg.retry_backoff.delay_with(0, 0.5));
        assert!(st.dispatch(&cfg, t0).0.is_empty(), "backoff first");
        let jobs = st.dispatch(&cfg, t0 + wait).0;
        assert_eq!(payloads(&jobs[0]), ["r0", "r2", "r4"]);
        assert!(jobs[0].batch.iter().all(|e| e.attempts == 2));
        let m = st.metrics();
        assert_eq!((m.records_written, m.records_retried), (3 + 3, 3));
    }

    #[test]
    fn a_non_retryable_request_error_stops_and_hands_back_everything_once() {
        let cfg = cfg();
        let t0 = Instant::now();
        let mut st = SinkState::new(&cfg);
        warm(&mut st, &cfg, t0);
        fill(&mut st, &cfg, 7, t0);
        let mut jobs = st.dispatch(&cfg, t0).0;
        assert_eq!(jobs.len(), 2);
        let in_flight = jobs.pop().unwrap();
        let failing = jobs.pop().unwrap();
        let denied = KinesisError::Service {
            action: "PutRecords",
            code: "AccessDeniedException".into(),
            message: "no".into(),
            status: 400,
            request_id: None,
        };
        let d = st.complete(&cfg, "s", failing, Err(denied), t0, 0.5);
        assert!(d.stopped && st.is_stopped());
        assert!(
            st.dispatch(&cfg, t0).0.is_empty(),
            "nothing leaves after a fatal error"
        );
        // A batch still queued for a sender is not sent.
        assert!(st.drop_queued_after_fatal(in_flight.id, &in_flight.batch));
        let (err, _) = st.report_fatal();
        let SinkError::Failed(f) = &err else {
            panic!("{err}")
        };
        assert_eq!(f.code.as_deref(), Some("AccessDeniedException"));
        let mut got: Vec<String> = f
            .records
            .iter()
            .map(|r| String::from_utf8(r.record.data.clone()).unwrap())
            .collect();
        got.sort();
        assert_eq!(got, ["r0", "r1", "r2", "r3", "r4", "r5", "r6"]);
        assert_eq!(st.metrics().records_failed, 7);
        let (again, _) = st.report_fatal();
        assert!(again.to_string().contains("handed back earlier"), "{again}");
        assert!(again.into_records().is_empty());
    }

    #[test]
    fn throttling_and_5xx_request_errors_are_retried_and_transport_refusals_are_fatal() {
        let cfg = cfg();
        let t0 = Instant::now();
        for (e, fatal) in [
            (
                KinesisError::Service {
                    action: "PutRecords",
                    code: String::new(),
                    message: String::new(),
                    status: 503,
                    request_id: None,
                },
                false,
            ),
            (
                KinesisError::Transport {
                    action: "PutRecords",
                    error: TransportError::new(TransportErrorKind::Reset, "x"),
                },
                false,
            ),
            (
                KinesisError::Transport {
                    action: "PutRecords",
                    error: TransportError::new(TransportErrorKind::ConnectRefused, "x"),
                },
                true,
            ),
            (
                KinesisError::Service {
                    action: "PutRecords",
                    code: String::new(),
                    message: String::new(),
                    status: 403,
                    request_id: None,
                },
                true,
            ),
        ] {
            let mut st = SinkState::new(&cfg);
            fill(&mut st, &cfg, 3, t0);
            let job = st.dispatch(&cfg, t0).0.pop().unwrap();
            let d = st.complete(&cfg, "s", job, Err(e.clone()), t0, 0.0);
            assert_eq!(d.stopped, fatal, "{e}");
            assert_eq!(d.retried, if fatal { 0 } else { 3 }, "{e}");
        }
    }

    #[test]
    fn max_attempts_turns_a_retry_into_a_fatal_error() {
        let cfg = cfg().with_max_attempts(2);
        let t0 = Instant::now();
        let mut st = SinkState::new(&cfg);
        fill(&mut st, &cfg, 3, t0);
        let throttled = || failures(3, &[(1, "ProvisionedThroughputExceededException")]);
        let job = st.dispatch(&cfg, t0).0.pop().unwrap();
        assert_eq!(st.complete(&cfg, "s", job, throttled(), t0, 0.0).retried, 1);
        let job = st.dispatch(&cfg, t0).0.pop().unwrap();
        assert_eq!(payloads(&job), ["r1"]);
        let d = st.complete(
            &cfg,
            "s",
            job,
            failures(1, &[(0, "ProvisionedThroughputExceededException")]),
            t0,
            0.0,
        );
        assert!(d.stopped);
        let (err, _) = st.report_fatal();
        assert!(err.to_string().contains("after 2 attempts"), "{err}");
        assert_eq!(err.failed_records()[0].attempts, 2);
    }

    #[test]
    fn hand_back_all_returns_in_flight_then_buffered_records() {
        let cfg = cfg();
        let t0 = Instant::now();
        let mut st = SinkState::new(&cfg);
        fill(&mut st, &cfg, 5, t0);
        let _job = st.dispatch(&cfg, t0).0.pop().unwrap();
        st.abandoned = true;
        let back: Vec<String> = st
            .hand_back_all()
            .into_iter()
            .map(|r| String::from_utf8(r.record.data).unwrap())
            .collect();
        assert_eq!(back, ["r0", "r1", "r2", "r3", "r4"]);
        assert!(st.is_idle());
        assert_eq!(st.metrics().failed_by_code[NOT_SENT], 5);
    }

    #[test]
    fn aggregated_batches_are_bounded_by_the_buffer_and_weighted_bytes() {
        let agg = cfg().with_aggregation(kinesis_options::AggregationOptions {
            enabled: true,
            ..Default::default()
        });
        let t0 = Instant::now();
        let mut st = SinkState::new(&agg);
        fill(&mut st, &agg, 10, t0);
        assert!(
            st.dispatch(&agg, t0).0.is_empty(),
            "10 records are no full batch: sink.batch.max-size counts aggregates"
        );
        st.flushers = 1;
        let jobs = st.dispatch(&agg, t0).0;
        assert_eq!(jobs.len(), 1);
        assert_eq!(
            jobs[0].batch.len(),
            10,
            "one batch, aggregated by the sender"
        );
        // Bytes count keys and framing too: "r0" + "k0" + 8 = 12 bytes a record.
        let small = agg.clone().with_flush_buffer_size(30);
        let mut st = SinkState::new(&small);
        fill(&mut st, &small, 4, t0);
        st.flushers = 1;
        let jobs = st.dispatch(&small, t0).0;
        assert_eq!(payloads(&jobs[0]), ["r0", "r1"]);
    }

    #[test]
    fn room_is_bounded_by_records_and_bytes() {
        let cfg = cfg()
            .with_max_buffered_requests(4)
            .with_max_buffered_bytes(10);
        let t0 = Instant::now();
        let mut st = SinkState::new(&cfg);
        assert!(
            st.has_room(&cfg, 1_000),
            "an idle sink takes one large record"
        );
        st.push(&cfg, rec(0), &mut LazyNow::at(t0));
        assert!(!st.has_room(&cfg, 9), "2 + 9 bytes exceed the byte bound");
        assert!(st.has_room(&cfg, 8));
        for i in 1..4 {
            st.push(&cfg, rec(i), &mut LazyNow::at(t0));
        }
        assert!(!st.has_room(&cfg, 1), "4 records fill the record bound");
    }
}
