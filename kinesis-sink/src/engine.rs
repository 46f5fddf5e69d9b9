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
use kinesis_wire::{model::StreamRef, KinesisClient, KinesisError, Shutdown};

use crate::aggregating::{Aggregation, SendContext};
use crate::config::SinkConfig;
use crate::error::{FailedRecord, SinkError};
use crate::metrics::SinkMetrics;
use crate::record::SinkRecord;
use crate::state::{Entry, Job, LazyNow, SinkState, NOT_SENT};

/// Records taken under one lock by `send_all`: bounds the time other writers wait.
const CHUNK: usize = 256;

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

/// The sink's state and the bookkeeping of the threads waiting on it.
struct State {
    s: SinkState,
    /// A wake-up token is already on its way to the batcher.
    wake_pending: bool,
    space_waiters: usize,
    progress_waiters: usize,
    sender_threads: usize,
}

struct Shared {
    cfg: SinkConfig,
    client: KinesisClient,
    /// The client handle's stop signal: triggered by `abort` and when `close` gives up.
    stop: Shutdown,
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
    /// With `sink.aggregation.enabled`: the shard map and the aggregation counters.
    aggregation: Option<Aggregation>,
    /// Per-shard pacing at the write limit, once throttling was seen (plain records here,
    /// aggregates as Kinesis records in the aggregating sender).
    pacer: crate::pacing::ShardPacer,
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
        config.validate().map_err(SinkError::Options)?;
        let (wake_tx, wake_rx) = crossbeam_channel::bounded(1);
        let (shutdown_tx, shutdown_rx) = crossbeam_channel::bounded::<()>(0);
        // Requests (and credential fetches) of this sink stop when it is aborted or close
        // gives up.
        let stop = Shutdown::new();
        let aggregation = config.aggregation.enabled.then(Aggregation::default);
        let shared = Arc::new(Shared {
            client: client.with_shutdown(stop.clone()),
            stop,
            stream: stream.into(),
            state: Mutex::new(State {
                s: SinkState::new(&config),
                wake_pending: false,
                space_waiters: 0,
                progress_waiters: 0,
                sender_threads: 0,
            }),
            cfg: config,
            space: Condvar::new(),
            progress: Condvar::new(),
            wake_tx,
            abandoned: AtomicBool::new(false),
            stopped: AtomicBool::new(false),
            offered: AtomicU64::new(0),
            aggregation,
            pacer: crate::pacing::ShardPacer::default(),
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
        let client = table.sink_client().map_err(SinkError::Client)?;
        client
            .credentials_provider()
            .credentials()
            .map_err(|e| SinkError::Client(KinesisError::Credentials(e)))?;
        RecordSink::open(client, table.stream(), table.sink_config())
    }

    /// The stream written to.
    pub fn stream(&self) -> &StreamRef {
        &self.shared.stream
    }

    /// The settings in force.
    pub fn config(&self) -> &SinkConfig {
        &self.shared.cfg
    }

    /// The client the sink sends with.
    #[cfg(test)]
    pub(crate) fn client(&self) -> &KinesisClient {
        &self.shared.client
    }

    /// Reserves `n` row numbers (1-based) for error messages; returns the first.
    pub(crate) fn reserve_rows(&self, n: u64) -> u64 {
        self.shared.offered.fetch_add(n, Ordering::Relaxed) + 1
    }

    pub(crate) fn count_rejected(&self) {
        self.shared.lock().s.records_rejected += 1;
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
        let mut st = shared.lock();
        // Batches acknowledged since the last write: freed by this thread (the allocating
        // one), after the lock is released (see `drop(spent)` below).
        let spent: Vec<Vec<Entry>> = st.s.take_spent();
        let mut wake = false;
        let mut failure: Option<SinkError> = None;
        let mut now = LazyNow::new();
        'records: while let Some((row, record)) = pending.pop() {
            if let Err(problem) = record.check() {
                st.s.records_rejected += 1;
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
                if st.s.is_stopped() {
                    pending.unpop((row, record));
                    let mut e = take_fatal(shared, st, None);
                    let rest = pending.take_rest();
                    if let SinkError::Failed(f) = &mut e {
                        shared.lock().s.count_not_sent(rest.len() as u64);
                        f.records.extend(rest.into_iter().map(|r| FailedRecord {
                            record: r,
                            error_code: None,
                            error_message: None,
                            attempts: 0,
                        }));
                    }
                    return Err(e);
                }
                if st.s.closing || st.s.closed {
                    pending.unpop((row, record));
                    failure = Some(SinkError::Closed {
                        records: Vec::new(),
                    });
                    break 'records;
                }
                if st.s.has_room(cfg, len) {
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
                now = LazyNow::new(); // time has passed
            }
            wake |= st.s.push(cfg, record, &mut now);
        }
        let inline = if failure.is_none() {
            st.s.inline_batch(cfg, &mut now)
        } else {
            None
        };
        if inline.is_some() {
            // This thread sends the batch; the batcher only needs waking for the timer.
            wake = wake && st.s.timer_armed() && st.s.buffered() > 0;
        }
        if st.s.buffered() < cfg.max_buffered_requests && st.space_waiters > 0 && inline.is_some() {
            shared.space.notify_all();
        }
        if wake && !st.wake_pending {
            st.wake_pending = true;
            drop(st);
            shared.wake_batcher();
        } else {
            drop(st);
        }
        drop(spent);
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
        if st.s.closed {
            return Err(SinkError::Closed {
                records: Vec::new(),
            });
        }
        let target = st.s.flush_mark();
        st.s.flushers += 1;
        st.wake_pending = true;
        shared.wake_batcher();
        loop {
            if st.s.is_stopped() {
                st.s.flushers -= 1;
                return Err(take_fatal(shared, st, None));
            }
            if st.s.closed {
                st.s.flushers -= 1;
                return Err(SinkError::Closed {
                    records: Vec::new(),
                });
            }
            if !st.s.pending_below(target) {
                st.s.flushers -= 1;
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
        if st.s.closed {
            return Ok(());
        }
        st.s.closing = true;
        st.wake_pending = true;
        shared.wake_batcher();
        if st.space_waiters > 0 {
            shared.space.notify_all();
        }
        let result = loop {
            if st.s.aborted {
                drop(st);
                break Err(SinkError::Aborted {
                    records: Vec::new(),
                    handed_back_earlier: true,
                });
            }
            if st.s.is_stopped() {
                break Err(take_fatal(shared, st, Some(deadline)));
            }
            if st.s.is_idle() {
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
            st.s.closed = true;
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
        if st.s.closed {
            return;
        }
        st.s.closing = true;
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
        if st.s.closed || st.s.aborted {
            return Ok(());
        }
        st.s.closing = true;
        let result = if st.s.is_stopped() && !st.s.fatal_handed_back() {
            // The fatal error's records plus the buffer and whatever is in flight, without
            // waiting for the requests on the wire.
            let e = take_fatal(shared, st, Some(Instant::now()));
            st = shared.lock();
            Err(e)
        } else if st.s.is_idle() {
            Ok(())
        } else {
            shared.abandoned.store(true, Ordering::Relaxed);
            st.s.abandoned = true;
            let records = st.s.hand_back_all();
            Err(SinkError::Aborted {
                records,
                handed_back_earlier: false,
            })
        };
        st.s.aborted = true;
        st.s.closed = true;
        st.s.cancel_backoff();
        shared.stop.trigger();
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
        let busy =
            self.shared.lock().s.has_in_flight() || self.shared.abandoned.load(Ordering::Relaxed);
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
        let mut m = self.shared.lock().s.metrics();
        if let Some(a) = &self.shared.aggregation {
            m.kinesis_records_written = a.kinesis_records_written.load(Ordering::Relaxed);
            m.records_resent = a.records_resent.load(Ordering::Relaxed);
        }
        m
    }
}

impl Drop for RecordSink {
    fn drop(&mut self) {
        let closed = self.shared.lock().s.closed;
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

/// Reports the fatal error. The first report waits until no request is in flight (until
/// `deadline`, if given), then hands back every record not acknowledged.
fn take_fatal(
    shared: &Shared,
    mut st: MutexGuard<'_, State>,
    deadline: Option<Instant>,
) -> SinkError {
    while st.s.has_in_flight() && !st.s.fatal_handed_back() {
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
    let (e, took_in_flight) = st.s.report_fatal();
    if took_in_flight {
        // Batches still queued for a sender must not be sent after being handed back.
        shared.abandoned.store(true, Ordering::Relaxed);
    }
    if st.space_waiters > 0 {
        shared.space.notify_all();
    }
    e
}

/// `close` ran out of time: hand back the buffer and the in-flight batches, and make the
/// senders skip anything still queued.
fn abandon(shared: &Shared, mut st: MutexGuard<'_, State>, waited: Duration) -> SinkError {
    shared.abandoned.store(true, Ordering::Relaxed);
    shared.stop.trigger();
    st.s.abandoned = true;
    let records = st.s.hand_back_all();
    SinkError::CloseTimedOut { waited, records }
}

/// Sends one batch and applies the outcome.
fn send_job(shared: &Shared, job: Job) {
    if let Some(aggregation) = &shared.aggregation {
        let ctx = SendContext {
            client: &shared.client,
            stream: &shared.stream,
            cfg: &shared.cfg,
            stop: &shared.stop,
            pacer: &shared.pacer,
        };
        let result = aggregation.send(&ctx, &job.batch);
        complete(shared, job, result);
        return;
    }
    // Held back until the batch's shards can take it (no wait unless throttling was seen).
    let wait = shared
        .pacer
        .reserve(&job.batch, &shared.client, &shared.stream, &shared.stop);
    if !wait.is_zero() {
        shared.stop.sleep(wait);
    }
    // Only failed entries are materialised: successful ones' sequence numbers and shard ids
    // are not needed here, and copying them cost ~30% of the sink's CPU.
    let result = shared.client.put_records_outcome_from(
        &shared.stream,
        job.batch.iter().map(|e| {
            let entry = PutRecordsEntryRef::new(&e.record.data, &e.record.partition_key);
            match e.record.explicit_hash_key.as_deref() {
                Some(h) => entry.explicit_hash_key(h),
                None => entry,
            }
        }),
    );
    if let Ok(outcome) = &result {
        if outcome
            .failures
            .iter()
            .any(|f| f.error_code == kinesis_wire::codes::PROVISIONED_THROUGHPUT_EXCEEDED)
        {
            shared.pacer.note_throttled();
        }
    }
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
            let had = st.s.buffered();
            let (jobs, next) = st.s.dispatch(&shared.cfg, now);
            // One sender thread per concurrent request, started on demand; at most
            // `sink.http-client.max-concurrency` of them (further batches wait in the queue).
            while st.sender_threads
                < st.s
                    .in_flight_requests()
                    .min(shared.cfg.concurrent_requests())
            {
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
            if st.s.buffered() < had && st.space_waiters > 0 {
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
        if hand_back_unsent_after_fatal(&shared, &job) {
            continue;
        }
        send_job(&shared, job);
    }
}

/// A batch still queued when the sink stopped is not sent (see
/// [`SinkState::drop_queued_after_fatal`]). Returns whether it was taken care of.
fn hand_back_unsent_after_fatal(shared: &Shared, job: &Job) -> bool {
    if !shared.stopped.load(Ordering::Acquire) {
        return false;
    }
    let mut st = shared.lock();
    let taken = st.s.drop_queued_after_fatal(job.id, &job.batch);
    if taken && st.progress_waiters > 0 {
        shared.progress.notify_all();
    }
    taken
}

/// Applies a request's outcome to the state (see [`SinkState::complete`]) and wakes who
/// must know.
fn complete(shared: &Shared, job: Job, result: Result<PutRecordsOutcome, KinesisError>) {
    let stream = shared.stream.to_string();
    let mut st = shared.lock();
    let done = st.s.complete(
        &shared.cfg,
        &stream,
        job,
        result,
        Instant::now(),
        fastrand::f64(),
    );
    if done.stopped {
        shared.stopped.store(true, Ordering::Release);
    }
    if st.progress_waiters > 0 {
        shared.progress.notify_all();
    }
    if st.space_waiters > 0 {
        shared.space.notify_all();
    }
    // The batcher has work only if records wait (its timer covers an idle buffer).
    let wake = !st.wake_pending && st.s.buffered() > 0;
    if wake {
        st.wake_pending = true;
    }
    drop(st);
    drop(done.free);
    if wake {
        shared.wake_batcher();
    }
}
