//! [`RecordSink`]: the batching, backpressured PutRecords engine under the row sink. It
//! takes records that are already encoded and keyed.
//!
//! Threads (DESIGN.md): callers append to a shared buffer under one mutex; the
//! `kinesis-sink-batcher` thread cuts batches when they are full, when the buffer has waited
//! `sink.flush-buffer.timeout`, on `flush`/`close`, and whenever the AIMD limiter allows;
//! up to `sink.requests.max-inflight` `kinesis-sink-send-<n>` threads send them and apply
//! the outcome (acknowledged records are dropped, retryable failures go back to the head of
//! the buffer in their original order behind a full-jitter backoff, fatal ones stop the
//! sink). Waiters sleep on condition variables; the batcher and senders wait with
//! `crossbeam_channel::select!` on a shutdown channel, so `close` is immediate.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crossbeam_channel::{select, Receiver, Sender};
use kinesis_wire::model::{PutRecordsEntryRef, PutRecordsOutcome};
use kinesis_wire::{KinesisClient, KinesisError, StreamRef, TransportErrorKind};

use crate::config::SinkConfig;
use crate::error::{FailedRecord, SinkError, SinkFailure};
use crate::limiter::AimdLimiter;
use crate::metrics::SinkMetrics;
use crate::record::SinkRecord;

/// Records taken under one lock by `send_all`: bounds the time other writers wait.
const CHUNK: usize = 256;
/// Acknowledged batches kept for a writer thread to free (see `State::spent`).
const MAX_SPENT_BATCHES: usize = 64;
/// The label of records that were never sent, in metrics and handed-back records.
pub const NOT_SENT: &str = "NotSent";

/// Numbered records waiting to be buffered by [`RecordSink::push_numbered`].
pub(crate) trait Pending {
    fn pop(&mut self) -> Option<(u64, SinkRecord)>;
    fn unpop(&mut self, item: (u64, SinkRecord));
    fn take_rest(&mut self) -> Vec<SinkRecord>;
}

impl Pending for VecDeque<(u64, SinkRecord)> {
    fn pop(&mut self) -> Option<(u64, SinkRecord)> {
        self.pop_front()
    }
    fn unpop(&mut self, item: (u64, SinkRecord)) {
        self.push_front(item)
    }
    fn take_rest(&mut self) -> Vec<SinkRecord> {
        self.drain(..).map(|(_, r)| r).collect()
    }
}

impl Pending for Option<(u64, SinkRecord)> {
    fn pop(&mut self) -> Option<(u64, SinkRecord)> {
        self.take()
    }
    fn unpop(&mut self, item: (u64, SinkRecord)) {
        *self = Some(item)
    }
    fn take_rest(&mut self) -> Vec<SinkRecord> {
        self.take().map(|(_, r)| r).into_iter().collect()
    }
}

/// One buffered record and its history.
#[derive(Debug, Clone)]
struct Entry {
    record: SinkRecord,
    /// Order of arrival; `flush` waits for every entry below its mark.
    seq: u64,
    /// Times sent so far.
    attempts: u32,
    /// Last error: (code, message).
    last_error: Option<Box<(String, String)>>,
}

impl Entry {
    fn into_failed(self) -> FailedRecord {
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
struct Job {
    id: u64,
    batch: Arc<Vec<Entry>>,
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
    retried_by_code: std::collections::BTreeMap<String, u64>,
    records_failed: u64,
    failed_by_code: std::collections::BTreeMap<String, u64>,
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

struct State {
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
    flushers: usize,
    closing: bool,
    closed: bool,
    /// `close` gave up: in-flight batches were handed back; late results are only logged.
    abandoned: bool,
    /// `abort` handed everything back; a `close` waiting meanwhile reports it.
    aborted: bool,
    fatal: Option<Fatal>,
    counters: Counters,
    next_batch_id: u64,
    /// A wake-up token is already on its way to the batcher.
    wake_pending: bool,
    space_waiters: usize,
    progress_waiters: usize,
    sender_threads: usize,
    records_rejected: u64,
    /// Acknowledged batches waiting to be freed by a writer thread: glibc's allocator is
    /// much cheaper when memory is freed by the thread that allocated it (measured: a third
    /// of the writer's time went to `malloc` when senders freed the records).
    spent: Vec<Vec<Entry>>,
}

struct Shared {
    cfg: SinkConfig,
    client: KinesisClient,
    stream: StreamRef,
    state: Mutex<State>,
    /// Writers waiting for room in the buffer.
    space: Condvar,
    /// `flush`/`close`/fatal reporters waiting for requests to complete.
    progress: Condvar,
    wake_tx: Sender<()>,
    /// Set when `close` gave up: queued jobs are not sent.
    abandoned: AtomicBool,
    /// Set with `State::fatal`, so senders can skip the lock on the usual path.
    stopped: AtomicBool,
    /// Rows/records offered so far (for the 1-based row numbers in errors).
    offered: AtomicU64,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn wake_batcher(&self) {
        let _ = self.wake_tx.try_send(());
    }
}

/// The low-level sink: buffers [`SinkRecord`]s (already encoded and keyed) and writes them
/// to one stream with PutRecords, exactly as [`crate::KinesisSink`] does for rows. The CLI
/// and the `raw` path use it directly. `Send + Sync`: share it by reference or in an `Arc`
/// between producer threads.
///
/// ```no_run
/// use std::time::Duration;
/// use kinesis_sink::{RecordSink, SinkConfig, SinkRecord};
/// use kinesis_wire::KinesisClient;
/// let client = KinesisClient::builder().endpoint("http://127.0.0.1:4567").region("us-east-1").build()?;
/// let sink = RecordSink::open(client, "orders", SinkConfig::default())?;
/// sink.send(SinkRecord::new(b"{\"id\":1}".to_vec(), "1"))?;
/// sink.flush()?; // waits until Kinesis acknowledged it
/// println!("{} written", sink.metrics().records_written);
/// sink.close(Duration::from_secs(30))?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct RecordSink {
    shared: Arc<Shared>,
    threads: Mutex<Option<Threads>>,
}

struct Threads {
    shutdown_tx: Sender<()>,
    batcher: JoinHandle<()>,
    senders: Arc<Mutex<Vec<JoinHandle<()>>>>,
}

impl std::fmt::Debug for RecordSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RecordSink")
            .field("stream", &self.shared.stream)
            .field("config", &self.shared.cfg)
            .finish()
    }
}

impl RecordSink {
    /// Validates `config` and starts the batcher thread. Sender threads start as requests
    /// need them. Nothing is sent until records arrive.
    pub fn open(
        client: KinesisClient,
        stream: impl Into<StreamRef>,
        config: SinkConfig,
    ) -> Result<RecordSink, SinkError> {
        config.validate()?;
        let (wake_tx, wake_rx) = crossbeam_channel::bounded(1);
        let (shutdown_tx, shutdown_rx) = crossbeam_channel::bounded::<()>(0);
        let limiter = AimdLimiter::new(config.batch_max_size, config.max_in_flight_requests);
        let shared = Arc::new(Shared {
            client,
            stream: stream.into(),
            state: Mutex::new(State {
                buffer: VecDeque::with_capacity(config.max_buffered_requests.min(1 << 16)),
                buffered_bytes: 0,
                next_seq: 0,
                timer_deadline: None,
                drain_remaining: 0,
                retry_at: None,
                in_flight: Vec::new(),
                in_flight_records: 0,
                in_flight_bytes: 0,
                limiter,
                flushers: 0,
                closing: false,
                closed: false,
                abandoned: false,
                aborted: false,
                fatal: None,
                counters: Counters::default(),
                next_batch_id: 0,
                wake_pending: false,
                space_waiters: 0,
                progress_waiters: 0,
                sender_threads: 0,
                records_rejected: 0,
                spent: Vec::new(),
            }),
            cfg: config,
            space: Condvar::new(),
            progress: Condvar::new(),
            wake_tx,
            abandoned: AtomicBool::new(false),
            stopped: AtomicBool::new(false),
            offered: AtomicU64::new(0),
        });
        let senders = Arc::new(Mutex::new(Vec::new()));
        let batcher = {
            let shared = shared.clone();
            let senders = senders.clone();
            std::thread::Builder::new()
                .name("kinesis-sink-batcher".into())
                .spawn(move || run_batcher(shared, wake_rx, shutdown_rx, senders))
                .map_err(|e| SinkError::Config {
                    key: "threads",
                    message: format!("cannot start the kinesis-sink-batcher thread: {e}"),
                })?
        };
        Ok(RecordSink {
            shared,
            threads: Mutex::new(Some(Threads {
                shutdown_tx,
                batcher,
                senders,
            })),
        })
    }

    /// A record sink for `table`'s stream with its client and `sink.*` options (the
    /// table's format and partitioner are not used: records come encoded and keyed).
    /// Checks `aws.region` and resolves the credentials now, as [`crate::KinesisSink::open`].
    ///
    /// ```no_run
    /// use kinesis_options::TableDef;
    /// use kinesis_sink::{RecordSink, SinkRecord};
    /// let table = TableDef::from_ddl("CREATE TABLE t (payload BYTES) WITH ('connector' = 'kinesis',
    ///     'stream' = 'blobs', 'format' = 'raw', 'aws.region' = 'us-east-1')")?;
    /// let sink = RecordSink::open_for_table(&table)?;
    /// sink.send(SinkRecord::new(vec![0xde, 0xad], "device-7"))?;
    /// sink.close(std::time::Duration::from_secs(30))?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn open_for_table(table: &kinesis_options::TableDef) -> Result<RecordSink, SinkError> {
        table.check_sink_requirements()?;
        let client = KinesisClient::new(crate::config::sink_client_config(table))
            .map_err(SinkError::Client)?;
        client
            .credentials_provider()
            .credentials()
            .map_err(|e| SinkError::Client(KinesisError::Credentials(e)))?;
        RecordSink::open(
            client,
            table.stream(),
            SinkConfig::from_options(table.sink_options()),
        )
    }

    /// The stream written to.
    pub fn stream(&self) -> &StreamRef {
        &self.shared.stream
    }

    /// The settings in force.
    pub fn config(&self) -> &SinkConfig {
        &self.shared.cfg
    }

    /// Reserves `n` row numbers (1-based) for error messages; returns the first.
    pub(crate) fn reserve_rows(&self, n: u64) -> u64 {
        self.shared.offered.fetch_add(n, Ordering::Relaxed) + 1
    }

    pub(crate) fn count_rejected(&self) {
        self.shared.lock().records_rejected += 1;
    }

    /// Buffers one record, blocking while the buffer is full (backpressure). Fails at once
    /// for a record that Kinesis would refuse (data over 1 MiB, empty key or key over 256
    /// characters), with [`SinkError::Failed`] once the sink has stopped, and with
    /// [`SinkError::Closed`] after `close`; each of these hands the record back.
    pub fn send(&self, record: SinkRecord) -> Result<(), SinkError> {
        let row = self.reserve_rows(1);
        self.push_numbered(&mut Some((row, record)))
    }

    /// Buffers records in order, as [`RecordSink::send`] each. Stops at the first failure:
    /// the records before it are buffered; the error hands back the failing record and
    /// those taken from the iterator but not buffered (at most a few hundred); the rest are
    /// left in the iterator.
    pub fn send_all(&self, records: impl IntoIterator<Item = SinkRecord>) -> Result<(), SinkError> {
        let mut it = records.into_iter().peekable();
        let mut pending = VecDeque::with_capacity(CHUNK);
        while it.peek().is_some() {
            pending.extend(it.by_ref().take(CHUNK).map(|r| (0, r)));
            let first = self.reserve_rows(pending.len() as u64);
            for (i, p) in pending.iter_mut().enumerate() {
                p.0 = first + i as u64;
            }
            self.push_numbered(&mut pending)?;
        }
        Ok(())
    }

    /// Checks and buffers records whose row numbers are already reserved, popping them from
    /// the front of `pending`. On error, the error carries every record not buffered.
    pub(crate) fn push_numbered(&self, pending: &mut impl Pending) -> Result<(), SinkError> {
        let shared = &*self.shared;
        let cfg = &shared.cfg;
        // Declared before the guard so that it is dropped after the lock is released.
        let mut spent: Vec<Vec<Entry>> = Vec::new();
        let mut st = shared.lock();
        if !st.spent.is_empty() {
            std::mem::swap(&mut spent, &mut st.spent);
        }
        let mut wake = false;
        let mut failure: Option<SinkError> = None;
        'records: while let Some((row, record)) = pending.pop() {
            if let Err(problem) = record.check() {
                st.records_rejected += 1;
                failure = Some(SinkError::InvalidRecord {
                    row,
                    problem,
                    record,
                    unsent: Vec::new(),
                });
                break;
            }
            let len = record.data.len() as u64;
            // Backpressure: wait for room in records and in bytes (buffer plus in flight).
            loop {
                if st.fatal.is_some() {
                    pending.unpop((row, record));
                    let mut e = take_fatal(shared, st, None);
                    let rest = pending.take_rest();
                    shared.lock().counters.failed(None, rest.len() as u64);
                    if let SinkError::Failed(f) = &mut e {
                        f.records.extend(rest.into_iter().map(|r| FailedRecord {
                            record: r,
                            error_code: None,
                            error_message: None,
                            attempts: 0,
                        }));
                    }
                    return Err(e);
                }
                if st.closing || st.closed {
                    pending.unpop((row, record));
                    failure = Some(SinkError::Closed {
                        records: Vec::new(),
                    });
                    break 'records;
                }
                let held = st.buffered_bytes + st.in_flight_bytes;
                let bytes_ok = held + len <= cfg.max_buffered_bytes
                    || (st.buffer.is_empty() && st.in_flight.is_empty());
                if st.buffer.len() < cfg.max_buffered_requests && bytes_ok {
                    break;
                }
                if wake {
                    // The batcher must see the full buffer before we sleep on it.
                    st.wake_pending = true;
                    shared.wake_batcher();
                    wake = false;
                }
                st.space_waiters += 1;
                st = shared.space.wait(st).unwrap_or_else(|p| p.into_inner());
                st.space_waiters -= 1;
            }
            let seq = st.next_seq;
            st.next_seq += 1;
            let before_bytes = st.buffered_bytes;
            st.buffered_bytes += len;
            st.buffer.push_back(Entry {
                record,
                seq,
                attempts: 0,
                last_error: None,
            });
            if st.timer_deadline.is_none() {
                st.timer_deadline = Some(Instant::now() + cfg.flush_buffer_timeout);
                wake = true;
            }
            let batch_limit = cfg.batch_max_size.min(st.limiter.max_in_flight_messages());
            if st.buffer.len() == batch_limit
                || (before_bytes < cfg.flush_buffer_size
                    && st.buffered_bytes >= cfg.flush_buffer_size)
            {
                wake = true;
            }
        }
        let inline = if failure.is_none() {
            inline_batch(cfg, &mut st)
        } else {
            None
        };
        if inline.is_some() {
            // This thread sends the batch; the batcher only needs waking for the timer.
            wake = wake && st.timer_deadline.is_some() && !st.buffer.is_empty();
        }
        if st.buffer.len() < cfg.max_buffered_requests && st.space_waiters > 0 && inline.is_some() {
            shared.space.notify_all();
        }
        if wake && !st.wake_pending {
            st.wake_pending = true;
            drop(st);
            shared.wake_batcher();
        } else {
            drop(st);
        }
        if let Some(job) = inline {
            send_job(shared, job);
        }
        match failure {
            None => Ok(()),
            Some(mut e) => {
                let rest = pending.take_rest();
                match &mut e {
                    SinkError::InvalidRecord { unsent, .. } => unsent.extend(rest),
                    SinkError::Closed { records } => records.extend(rest),
                    _ => {}
                }
                Err(e)
            }
        }
    }

    /// Sends everything buffered before this call and waits until Kinesis acknowledged all
    /// of it (retries included). Returns the fatal error if the sink stops meanwhile.
    pub fn flush(&self) -> Result<(), SinkError> {
        let shared = &*self.shared;
        let mut st = shared.lock();
        if st.closed {
            return Err(SinkError::Closed {
                records: Vec::new(),
            });
        }
        let target = st.next_seq;
        st.flushers += 1;
        st.wake_pending = true;
        shared.wake_batcher();
        loop {
            if st.fatal.is_some() {
                st.flushers -= 1;
                return Err(take_fatal(shared, st, None));
            }
            if st.closed {
                st.flushers -= 1;
                return Err(SinkError::Closed {
                    records: Vec::new(),
                });
            }
            if !pending_below(&st, target) {
                st.flushers -= 1;
                return Ok(());
            }
            st.progress_waiters += 1;
            st = shared.progress.wait(st).unwrap_or_else(|p| p.into_inner());
            st.progress_waiters -= 1;
        }
    }

    /// Flushes everything and stops the threads, waiting at most `timeout`. After `close`,
    /// writes fail with [`SinkError::Closed`]; a second `close` returns `Ok`.
    ///
    /// Returns [`SinkError::Failed`] if the sink stopped on a fatal error (with the
    /// unwritten records), or [`SinkError::CloseTimedOut`] with every record not yet
    /// acknowledged when the time ran out (records whose request was still in flight may
    /// have been written: delivery is at-least-once).
    pub fn close(&self, timeout: Duration) -> Result<(), SinkError> {
        let shared = &*self.shared;
        let deadline = Instant::now() + timeout;
        let mut st = shared.lock();
        if st.closed {
            return Ok(());
        }
        st.closing = true;
        st.wake_pending = true;
        shared.wake_batcher();
        if st.space_waiters > 0 {
            shared.space.notify_all();
        }
        let result = loop {
            if st.aborted {
                drop(st);
                break Err(SinkError::Aborted {
                    records: Vec::new(),
                    handed_back_earlier: true,
                });
            }
            if st.fatal.is_some() {
                break Err(take_fatal(shared, st, Some(deadline)));
            }
            if st.buffer.is_empty() && st.in_flight.is_empty() {
                drop(st);
                break Ok(());
            }
            let now = Instant::now();
            if now >= deadline {
                break Err(abandon(shared, st, timeout));
            }
            st.progress_waiters += 1;
            st = shared
                .progress
                .wait_timeout(st, deadline - now)
                .unwrap_or_else(|p| p.into_inner())
                .0;
            st.progress_waiters -= 1;
        };
        {
            let mut st = shared.lock();
            st.closed = true;
            if st.space_waiters > 0 {
                shared.space.notify_all();
            }
            if st.progress_waiters > 0 {
                shared.progress.notify_all();
            }
        }
        self.stop_threads();
        result
    }

    /// Refuses further writes and starts sending everything buffered, without waiting:
    /// writers blocked for room get [`SinkError::Closed`] with their records, and every
    /// batch is due at once (as in `close`). A later [`RecordSink::close`] waits for the
    /// sends, [`RecordSink::abort`] cuts them short. For a Ctrl-C handler that must not
    /// block (the CLI's `put` calls it on the first interrupt).
    pub fn stop_writes(&self) {
        let shared = &*self.shared;
        let mut st = shared.lock();
        if st.closed {
            return;
        }
        st.closing = true;
        st.wake_pending = true;
        shared.wake_batcher();
        if st.space_waiters > 0 {
            shared.space.notify_all();
        }
    }

    /// Stops the sink at once, for a second Ctrl-C or a caller out of time: cancels backoff
    /// waits and batches not yet sent, does not wait for requests on the wire, and hands
    /// back every record not acknowledged (records whose request was on the wire count as
    /// unacknowledged, though the service may have written them: at-least-once). Writers
    /// blocked in `send` get [`SinkError::Closed`] with their records; a `close` waiting
    /// meanwhile returns [`SinkError::Aborted`] without records. After `abort`, writes fail
    /// with `Closed` and `close` returns `Ok`.
    ///
    /// Returns `Ok(())` when nothing was left unacknowledged, else
    /// [`SinkError::Aborted`] (or the fatal [`SinkError::Failed`] if the sink had already
    /// stopped and not yet handed its records back).
    ///
    /// ```no_run
    /// use kinesis_sink::{RecordSink, SinkConfig, SinkRecord};
    /// use kinesis_wire::KinesisClient;
    /// let client = KinesisClient::builder().endpoint("http://127.0.0.1:4567").region("us-east-1").build()?;
    /// let sink = RecordSink::open(client, "orders", SinkConfig::default())?;
    /// sink.send(SinkRecord::new(b"x".to_vec(), "k"))?;
    /// if let Err(e) = sink.abort() {
    ///     let unwritten = e.into_records(); // save them somewhere: nothing is dropped
    ///     println!("{} records not acknowledged", unwritten.len());
    /// }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn abort(&self) -> Result<(), SinkError> {
        let shared = &*self.shared;
        let mut st = shared.lock();
        if st.closed || st.aborted {
            return Ok(());
        }
        st.closing = true;
        let result = if st.fatal.as_ref().is_some_and(|f| !f.handed_back) {
            // The fatal error's records plus the buffer and whatever is in flight, without
            // waiting for the requests on the wire.
            let e = take_fatal(shared, st, Some(Instant::now()));
            st = shared.lock();
            Err(e)
        } else if st.buffer.is_empty() && st.in_flight.is_empty() {
            Ok(())
        } else {
            shared.abandoned.store(true, Ordering::Relaxed);
            st.abandoned = true;
            let records = hand_back_all(&mut st);
            Err(SinkError::Aborted {
                records,
                handed_back_earlier: false,
            })
        };
        st.aborted = true;
        st.closed = true;
        st.retry_at = None;
        shared.space.notify_all();
        shared.progress.notify_all();
        drop(st);
        self.stop_threads();
        result
    }

    /// Stops and joins the threads. Senders still inside a request (only after a timed-out
    /// close) are left to finish on their own; their late results are logged.
    fn stop_threads(&self) {
        let threads = self
            .threads
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take();
        let Some(threads) = threads else { return };
        drop(threads.shutdown_tx);
        let _ = threads.batcher.join();
        let busy = !self.shared.lock().in_flight.is_empty()
            || self.shared.abandoned.load(Ordering::Relaxed);
        let handles =
            std::mem::take(&mut *threads.senders.lock().unwrap_or_else(|p| p.into_inner()));
        if busy {
            log::debug!(
                "kinesis sink: not waiting for {} sender threads that may still be inside a request",
                handles.len()
            );
            return;
        }
        for h in handles {
            let _ = h.join();
        }
    }

    /// Counters and gauges now.
    pub fn metrics(&self) -> SinkMetrics {
        let st = self.shared.lock();
        let c = &st.counters;
        SinkMetrics {
            records_written: c.records_written,
            bytes_written: c.bytes_written,
            requests: c.requests,
            requests_failed: c.requests_failed,
            records_retried: c.records_retried,
            retried_by_code: c.retried_by_code.clone(),
            records_failed: c.records_failed,
            failed_by_code: c.failed_by_code.clone(),
            records_rejected: st.records_rejected,
            buffered_records: st.buffer.len(),
            buffered_bytes: st.buffered_bytes,
            in_flight_requests: st.in_flight.len(),
            in_flight_records: st.in_flight_records,
            in_flight_bytes: st.in_flight_bytes,
            in_flight_records_limit: st.limiter.max_in_flight_messages(),
        }
    }
}

impl Drop for RecordSink {
    fn drop(&mut self) {
        let closed = self.shared.lock().closed;
        if closed {
            return;
        }
        let timeout = self.shared.cfg.drop_timeout;
        match self.close(timeout) {
            Ok(()) => {}
            Err(e) => {
                let mut by_code = std::collections::BTreeMap::<&str, usize>::new();
                for r in e.failed_records() {
                    *by_code
                        .entry(r.error_code.as_deref().unwrap_or(NOT_SENT))
                        .or_default() += 1;
                }
                log::error!(
                    "kinesis sink for stream {} dropped without close: {} records could not be written ({by_code:?}): {e}",
                    self.shared.stream,
                    e.failed_records().len()
                );
            }
        }
    }
}

/// Whether any record with `seq < target` is buffered or in flight.
fn pending_below(st: &State, target: u64) -> bool {
    st.in_flight.iter().any(|f| f.min_seq < target) || st.buffer.iter().any(|e| e.seq < target)
}

/// Reports the fatal error. The first report waits until no request is in flight (until
/// `deadline`, if given), then hands back every record not acknowledged.
fn take_fatal(
    shared: &Shared,
    mut st: MutexGuard<'_, State>,
    deadline: Option<Instant>,
) -> SinkError {
    while !st.in_flight.is_empty() && !st.fatal.as_ref().is_some_and(|f| f.handed_back) {
        let now = Instant::now();
        st.progress_waiters += 1;
        match deadline {
            Some(d) if now >= d => {
                st.progress_waiters -= 1;
                break;
            }
            Some(d) => {
                st = shared
                    .progress
                    .wait_timeout(st, d - now)
                    .unwrap_or_else(|p| p.into_inner())
                    .0
            }
            None => st = shared.progress.wait(st).unwrap_or_else(|p| p.into_inner()),
        }
        st.progress_waiters -= 1;
    }
    let st = &mut *st;
    let fatal = st.fatal.as_mut().expect("called with a fatal error");
    if fatal.handed_back {
        return SinkError::Failed(Box::new(SinkFailure {
            cause: fatal.cause.clone(),
            code: fatal.code.clone(),
            request_error: fatal.request_error.clone(),
            records: Vec::new(),
            records_handed_back_earlier: true,
        }));
    }
    fatal.handed_back = true;
    let mut records = std::mem::take(&mut fatal.records);
    let (cause, code, request_error) = (
        fatal.cause.clone(),
        fatal.code.clone(),
        fatal.request_error.clone(),
    );
    // Requests still in flight at the deadline (outcome unknown) and the buffer: hand them
    // back too, counting them as failed now (the fatal batch was counted when it failed).
    let mut rest: Vec<FailedRecord> = Vec::new();
    if !st.in_flight.is_empty() {
        // Batches still queued for a sender must not be sent after being handed back.
        shared.abandoned.store(true, Ordering::Relaxed);
        st.abandoned = true;
    }
    for f in st.in_flight.drain(..) {
        rest.extend(f.batch.iter().cloned().map(Entry::into_failed));
    }
    st.in_flight_records = 0;
    st.in_flight_bytes = 0;
    rest.extend(st.buffer.drain(..).map(Entry::into_failed));
    st.buffered_bytes = 0;
    for r in &rest {
        st.counters.failed(r.error_code.as_deref(), 1);
    }
    records.extend(rest);
    if st.space_waiters > 0 {
        shared.space.notify_all();
    }
    SinkError::Failed(Box::new(SinkFailure {
        cause,
        code,
        request_error,
        records,
        records_handed_back_earlier: false,
    }))
}

/// `close` ran out of time: hand back the buffer and the in-flight batches, and make the
/// senders skip anything still queued.
fn abandon(shared: &Shared, mut st: MutexGuard<'_, State>, waited: Duration) -> SinkError {
    shared.abandoned.store(true, Ordering::Relaxed);
    st.abandoned = true;
    let records = hand_back_all(&mut st);
    SinkError::CloseTimedOut { waited, records }
}

/// Takes every in-flight batch (oldest first) and the buffer out of the state, counted as
/// failed, for a hand-back. The caller has set `abandoned`, so late results and queued
/// batches are not applied or sent.
fn hand_back_all(st: &mut State) -> Vec<FailedRecord> {
    let mut records: Vec<FailedRecord> = Vec::new();
    let mut in_flight = std::mem::take(&mut st.in_flight);
    in_flight.sort_by_key(|f| f.min_seq);
    for f in in_flight {
        records.extend(f.batch.iter().cloned().map(Entry::into_failed));
    }
    st.in_flight_records = 0;
    st.in_flight_bytes = 0;
    records.extend(st.buffer.drain(..).map(Entry::into_failed));
    st.buffered_bytes = 0;
    for r in &records {
        st.counters.failed(r.error_code.as_deref(), 1);
    }
    records
}

/// Cuts every batch the triggers and the limiter allow. Returns the jobs and when to look
/// again (flush timer or end of backoff) if nothing else wakes the batcher.
fn dispatch(cfg: &SinkConfig, st: &mut State, now: Instant) -> (Vec<Job>, Option<Instant>) {
    let mut jobs = Vec::new();
    if st.fatal.is_some() || st.abandoned {
        return (jobs, None);
    }
    loop {
        if st.buffer.is_empty() {
            st.timer_deadline = None;
            st.drain_remaining = 0;
            return (jobs, None);
        }
        if let Some(t) = st.retry_at {
            if now < t {
                return (jobs, Some(t));
            }
            st.retry_at = None;
        }
        match st.timer_deadline {
            Some(t) if now >= t => {
                // Flink's timer: flush everything buffered now, then re-arm on the next write.
                st.timer_deadline = None;
                st.drain_remaining = st.buffer.len();
            }
            None if st.drain_remaining == 0 => {
                st.timer_deadline = Some(now + cfg.flush_buffer_timeout);
            }
            _ => {}
        }
        let batch_limit = cfg.batch_max_size.min(st.limiter.max_in_flight_messages());
        let next = batch_limit.min(st.buffer.len());
        let due = st.buffer.len() >= batch_limit
            || st.buffered_bytes >= cfg.flush_buffer_size
            || st.drain_remaining > 0
            || st.flushers > 0
            || st.closing;
        if !due {
            return (jobs, st.timer_deadline);
        }
        if st
            .limiter
            .should_block(st.in_flight.len(), st.in_flight_records, next)
        {
            // A completion wakes the batcher.
            return (jobs, None);
        }
        jobs.push(take_batch(cfg, st, next));
    }
}

/// Moves up to `next` records (and at most `sink.flush-buffer.size` data bytes) from the
/// head of the buffer into a new in-flight batch.
fn take_batch(cfg: &SinkConfig, st: &mut State, next: usize) -> Job {
    let mut batch = Vec::with_capacity(next);
    let mut bytes = 0u64;
    while batch.len() < next {
        let len = st.buffer.front().map_or(0, |e| e.record.data.len() as u64);
        if !batch.is_empty() && bytes + len > cfg.flush_buffer_size {
            break;
        }
        let mut e = st.buffer.pop_front().expect("buffer holds `next` entries");
        e.attempts += 1;
        bytes += len;
        batch.push(e);
    }
    st.buffered_bytes -= bytes;
    if st.buffer.is_empty() {
        // Rewind the ring so the next records reuse the cache lines just freed instead of
        // walking through its whole capacity.
        st.buffer.clear();
    }
    st.drain_remaining = st.drain_remaining.saturating_sub(batch.len());
    let id = st.next_batch_id;
    st.next_batch_id += 1;
    let batch = Arc::new(batch);
    st.in_flight.push(InFlight {
        id,
        min_seq: batch.iter().map(|e| e.seq).min().unwrap_or(u64::MAX),
        records: batch.len(),
        bytes,
        batch: batch.clone(),
    });
    st.in_flight_records += batch.len();
    st.in_flight_bytes += bytes;
    Job { id, batch }
}

/// With `sink.requests.max-inflight = 1`, the writer whose record fills a batch sends it
/// itself (when nothing is in flight and no backoff is pending): a hand-off to a sender
/// thread would only move every record to another core. Timer, flush, close and retries
/// still go through the batcher and a sender thread; the limiter keeps one request in
/// flight either way.
fn inline_batch(cfg: &SinkConfig, st: &mut State) -> Option<Job> {
    if cfg.max_in_flight_requests != 1
        || !st.in_flight.is_empty()
        || st.fatal.is_some()
        || st.abandoned
    {
        return None;
    }
    let batch_limit = cfg.batch_max_size.min(st.limiter.max_in_flight_messages());
    if st.buffer.len() < batch_limit && st.buffered_bytes < cfg.flush_buffer_size {
        return None;
    }
    if let Some(t) = st.retry_at {
        if Instant::now() < t {
            return None;
        }
        st.retry_at = None;
    }
    let next = batch_limit.min(st.buffer.len());
    if st
        .limiter
        .should_block(st.in_flight.len(), st.in_flight_records, next)
    {
        return None;
    }
    Some(take_batch(cfg, st, next))
}

/// Sends one batch and applies the outcome.
fn send_job(shared: &Shared, job: Job) {
    // Only failed entries are materialised: successful ones' sequence numbers and shard ids
    // are not needed here, and copying them cost ~30% of the sink's CPU.
    let result = shared.client.put_records_outcome_from(
        &shared.stream,
        job.batch.iter().map(|e| PutRecordsEntryRef {
            data: &e.record.data,
            partition_key: &e.record.partition_key,
            explicit_hash_key: None,
        }),
    );
    complete(shared, job, result);
}

fn run_batcher(
    shared: Arc<Shared>,
    wake_rx: Receiver<()>,
    shutdown_rx: Receiver<()>,
    senders: Arc<Mutex<Vec<JoinHandle<()>>>>,
) {
    let (job_tx, job_rx) = crossbeam_channel::unbounded::<Job>();
    loop {
        let now = Instant::now();
        let next = {
            let mut st = shared.lock();
            st.wake_pending = false;
            let had = st.buffer.len();
            let (jobs, next) = dispatch(&shared.cfg, &mut st, now);
            // One sender thread per concurrent request, started on demand; at most
            // `sink.http-client.max-concurrency` of them (further batches wait in the queue).
            while st.sender_threads < st.in_flight.len().min(shared.cfg.concurrent_requests()) {
                let n = st.sender_threads;
                let (shared2, job_rx2, shutdown_rx2) =
                    (shared.clone(), job_rx.clone(), shutdown_rx.clone());
                match std::thread::Builder::new()
                    .name(format!("kinesis-sink-send-{n}"))
                    .spawn(move || run_sender(shared2, job_rx2, shutdown_rx2))
                {
                    Ok(h) => {
                        senders.lock().unwrap_or_else(|p| p.into_inner()).push(h);
                        st.sender_threads += 1;
                    }
                    Err(e) => {
                        log::error!("kinesis sink: cannot start a sender thread: {e}");
                        break;
                    }
                }
            }
            if st.buffer.len() < had && st.space_waiters > 0 {
                shared.space.notify_all();
            }
            drop(st);
            for job in jobs {
                let _ = job_tx.send(job);
            }
            next
        };
        let timeout = next.map_or(Duration::from_secs(3600), |t| {
            t.saturating_duration_since(now)
        });
        select! {
            recv(wake_rx) -> _ => {}
            recv(shutdown_rx) -> _ => break,
            default(timeout) => {}
        }
    }
}

fn run_sender(shared: Arc<Shared>, job_rx: Receiver<Job>, shutdown_rx: Receiver<()>) {
    loop {
        let job = select! {
            recv(job_rx) -> job => match job { Ok(j) => j, Err(_) => return },
            recv(shutdown_rx) -> _ => return,
        };
        if shared.abandoned.load(Ordering::Relaxed) {
            // `close` handed these records back; sending them now would duplicate them.
            continue;
        }
        if hand_back_unsent_after_fatal(&shared, job.id, &job.batch) {
            continue;
        }
        send_job(&shared, job);
    }
}

/// A batch still queued when the sink stopped is not sent: its records join the hand-back
/// as never sent by this batch (attempts as before it was cut). Returns whether the batch
/// was taken care of (also when an earlier hand-back already returned it).
fn hand_back_unsent_after_fatal(shared: &Shared, id: u64, batch: &Arc<Vec<Entry>>) -> bool {
    if !shared.stopped.load(Ordering::Acquire) {
        return false;
    }
    let mut st = shared.lock();
    if st.fatal.is_none() {
        return false;
    }
    let Some(pos) = st.in_flight.iter().position(|f| f.id == id) else {
        return true;
    };
    let f = st.in_flight.swap_remove(pos);
    st.in_flight_records -= f.records;
    st.in_flight_bytes -= f.bytes;
    let records: Vec<FailedRecord> = batch
        .iter()
        .cloned()
        .map(|mut e| {
            e.attempts = e.attempts.saturating_sub(1);
            e.into_failed()
        })
        .collect();
    for r in &records {
        st.counters.failed(r.error_code.as_deref(), 1);
    }
    match st.fatal.as_mut() {
        Some(fatal) if !fatal.handed_back => fatal.records.extend(records),
        _ => log::error!(
            "kinesis sink: {} records of a batch queued when the sink stopped could not be handed back",
            records.len()
        ),
    }
    if st.progress_waiters > 0 {
        shared.progress.notify_all();
    }
    true
}

/// Whether a failed request stops the sink (reference §7.3, decisions D7 and D19): a service
/// error the AWS SDKs would not retry (access denied, invalid signature, unknown key,
/// validation, a missing stream, any 401/403: retrying cannot help, so the sink stops at the
/// first such answer), and client-side failures (connection refused, unknown host, TLS,
/// credentials). Throttling, 5xx, timeouts, resets and broken answers are retried.
fn request_error_is_fatal(e: &KinesisError) -> bool {
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
fn error_label(e: &KinesisError) -> String {
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

/// Applies a request's outcome to the state.
fn complete(shared: &Shared, job: Job, result: Result<PutRecordsOutcome, KinesisError>) {
    let cfg = &shared.cfg;
    let mut st = shared.lock();
    let Some(pos) = st.in_flight.iter().position(|f| f.id == job.id) else {
        // `close` gave up on this request and handed its records back.
        match &result {
            Ok(out) => log::warn!(
                "kinesis sink: a PutRecords request finished after close gave up: {} of {} records were written anyway (they were also handed back)",
                out.entries - out.failures.len().min(out.entries),
                job.batch.len()
            ),
            Err(e) => log::warn!("kinesis sink: a PutRecords request failed after close gave up: {e}"),
        }
        return;
    };
    let f = st.in_flight.swap_remove(pos);
    st.in_flight_records -= f.records;
    st.in_flight_bytes -= f.bytes;
    drop(f.batch);
    let batch: Vec<Entry> = Arc::try_unwrap(job.batch).unwrap_or_else(|a| (*a).clone());
    st.counters.requests += 1;
    let stream = shared.stream.to_string();

    // Per-entry verdicts: written, retry (code, message) or fatal.
    let mut retry: Vec<Entry> = Vec::new();
    let mut fatal_entries: Vec<Entry> = Vec::new();
    // (cause, code, the request-level error when the whole call failed)
    let mut fatal_cause: Option<(String, Option<String>, Option<KinesisError>)> = None;
    match result {
        Ok(out) if out.entries == batch.len() => {
            if out.all_succeeded() {
                st.counters.records_written += batch.len() as u64;
                st.counters.bytes_written += f.bytes;
                if st.spent.len() < MAX_SPENT_BATCHES && !st.closing {
                    st.spent.push(batch);
                } else {
                    drop(st);
                    drop(batch);
                    st = shared.lock();
                }
            } else {
                let mut failures = out.failures.into_iter().peekable();
                for (i, mut e) in batch.into_iter().enumerate() {
                    let Some(r) = failures.next_if(|f| f.index == i) else {
                        st.counters.records_written += 1;
                        st.counters.bytes_written += e.record.data.len() as u64;
                        continue;
                    };
                    // Decisions D7: throughput and internal failures are retried, any other
                    // code is final.
                    let retryable = r.is_retryable();
                    let code = r.error_code;
                    let message = r.error_message.unwrap_or_default();
                    if fatal_cause.is_none() {
                        if cfg.fail_on_error {
                            fatal_cause = Some((
                                format!(
                                    "Encountered an exception while persisting records, not retrying due to {{failOnError}} being set (sink.fail-on-error=true): PutRecords to stream {stream}: a record failed with {code}: {message}"
                                ),
                                Some(code.clone()),
                                None,
                            ));
                        } else if !retryable {
                            fatal_cause = Some((
                                format!(
                                    "PutRecords to stream {stream}: a record failed with {code}, which is not retryable: {message}"
                                ),
                                Some(code.clone()),
                                None,
                            ));
                        } else if cfg.max_attempts > 0 && e.attempts >= cfg.max_attempts {
                            fatal_cause = Some((
                                format!(
                                    "PutRecords to stream {stream}: a record still failed with {code} after {} attempts (sink.retry.max-attempts={}): {message}",
                                    e.attempts, cfg.max_attempts
                                ),
                                Some(code.clone()),
                                None,
                            ));
                        }
                    }
                    let exhausted = cfg.max_attempts > 0 && e.attempts >= cfg.max_attempts;
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
            st.counters.requests_failed += 1;
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
    st.limiter.on_request_done(had_failures);
    if let Some((cause, code, request_error)) = fatal_cause {
        // Stop: this batch's failed records plus its retryable ones are handed back.
        let mut records: Vec<FailedRecord> = Vec::new();
        let mut all: Vec<Entry> = fatal_entries;
        all.extend(retry);
        all.sort_by_key(|e| e.seq);
        for e in all {
            st.counters
                .failed(e.last_error.as_ref().map(|b| b.0.as_str()), 1);
            records.push(e.into_failed());
        }
        // Debug only: the error is returned to the caller (by this and every later call, and
        // logged by `Drop` if the sink is dropped unclosed); logging it at error level too
        // made the CLI print it twice.
        log::debug!("kinesis sink stopped: {cause}");
        match &mut st.fatal {
            Some(existing) if !existing.handed_back => existing.records.extend(records),
            Some(_) => {
                // Already reported: nobody will collect these; say so loudly.
                log::error!(
                    "kinesis sink: {} more records failed after the sink had stopped and could not be handed back",
                    records.len()
                );
            }
            None => {
                shared.stopped.store(true, Ordering::Release);
                st.fatal = Some(Fatal {
                    cause,
                    code,
                    request_error,
                    records,
                    handed_back: false,
                })
            }
        }
        if st.space_waiters > 0 {
            shared.space.notify_all();
        }
    } else if st.fatal.is_some() {
        // Another request already stopped the sink: these records join the hand-back.
        let records: Vec<FailedRecord> = retry.into_iter().map(Entry::into_failed).collect();
        for r in &records {
            st.counters.failed(r.error_code.as_deref(), 1);
        }
        if let Some(f) = st.fatal.as_mut() {
            if !f.handed_back {
                f.records.extend(records);
            }
        }
    } else if !retry.is_empty() {
        // Back to the head of the buffer in their original order, after a full-jitter backoff.
        let attempt = retry.iter().map(|e| e.attempts).max().unwrap_or(1);
        let delay = cfg.retry_backoff.delay(attempt.saturating_sub(1));
        let code_counts = {
            let mut m = std::collections::BTreeMap::<String, u64>::new();
            for e in &retry {
                let c = e.last_error.as_ref().map_or("", |b| b.0.as_str());
                *m.entry(c.to_string()).or_default() += 1;
            }
            m
        };
        for (c, n) in &code_counts {
            st.counters.retried(c, *n);
        }
        log::warn!(
            "KDS Sink failed to write and will retry {} entries to KDS (stream {stream}, {code_counts:?}) in {delay:?}",
            retry.len()
        );
        retry.sort_by_key(|e| e.seq);
        let n = retry.len();
        for e in &retry {
            st.buffered_bytes += e.record.data.len() as u64;
        }
        // Retried entries already waiting at the head (from requests that completed
        // earlier) are merged by arrival order, so that retries of several concurrent
        // requests still leave in the order they were written.
        let waiting = st.buffer.iter().take_while(|e| e.attempts > 0).count();
        let head: Vec<Entry> = st.buffer.drain(..waiting).collect();
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
            st.buffer.push_front(e);
        }
        let at = Instant::now() + delay;
        st.retry_at = Some(st.retry_at.map_or(at, |t| t.max(at)));
        st.drain_remaining = st.drain_remaining.max(n);
    }
    if st.progress_waiters > 0 {
        shared.progress.notify_all();
    }
    if st.space_waiters > 0 {
        shared.space.notify_all();
    }
    // The batcher has work only if records wait (its timer covers an idle buffer).
    let wake = !st.wake_pending && !st.buffer.is_empty();
    if wake {
        st.wake_pending = true;
    }
    drop(st);
    if wake {
        shared.wake_batcher();
    }
}
