//! [`KinesisSource`]: the caller's side (recv, checkpoint, close) and `open`.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use crossbeam_channel::{bounded, select, unbounded, Receiver, Sender, TryRecvError};
use kinesis_formats::Row;
use kinesis_options::{EfoRegistration, RecordPublisher, StartPosition, TableDef};
use kinesis_wire::{KinesisClient, Shutdown};

use crate::checkpoint::{Checkpoint, ShardPosition, ShardState};
use crate::decode::{Cursor, DecodeContext, RowDecoder, RowLayout};
use crate::discovery::{Discovery, StartRule, ThreadList};
use crate::efo::{self, EfoCalls};
use crate::lease::group::lease_store;
use crate::lease::state::Settings;
use crate::lease::{
    default_worker_id, Command, Coordinator, CoordinatorParts, EventLog, LeaseEvent, SharedLog,
};
use crate::metrics::{ShardCounters, ShardMetrics};
use crate::reader::{self, Item, ReaderShared};
use crate::SourceError;

/// The connection pool for `readers` reader threads: one connection each, the discovery
/// thread's, and headroom for the children of a reshard (a parent's reader ends before its
/// children start, but splits add shards).
fn pool_size(readers: usize) -> usize {
    (readers + readers / 4 + 4).max(kinesis_wire::DEFAULT_MAX_CONNECTIONS)
}

/// GetRecords pages the channel holds: with one page in the caller's hands and one being
/// fetched per reader, this bounds the memory a slow caller makes the source hold.
const CHANNEL_CAPACITY: usize = 4;

/// Which part of a parallel read this source is, and where it resumes.
///
/// Shards are spread over `parallelism` subtasks by the table's `scan.shard-assigner`
/// exactly as Flink does (§5.9), so N processes started with subtask 0..N read every shard
/// once. With parallelism > 1, a child shard may be assigned to another subtask than its
/// parents; such a subtask cannot see its parents' progress and reads the child at once, as
/// Flink 4.x does (no ordering across subtasks). Within one source, parents always finish
/// before their children start.
///
/// ```
/// use kinesis_source::{Checkpoint, SourceContext};
/// let ctx = SourceContext::new(1, 3).restore(Checkpoint::default());
/// assert_eq!((ctx.subtask_index, ctx.parallelism), (1, 3));
/// assert!(ctx.restored.is_some());
/// assert_eq!(SourceContext::default().parallelism, 1);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SourceContext {
    /// This subtask, `0..parallelism`.
    pub subtask_index: usize,
    /// How many subtasks share the stream (0 is treated as 1).
    pub parallelism: usize,
    /// The state to resume from (the union of every subtask's checkpoint; each source
    /// takes the entries of its shards).
    pub restored: Option<Checkpoint>,
}

impl Default for SourceContext {
    fn default() -> Self {
        SourceContext::new(0, 1)
    }
}

impl SourceContext {
    /// Subtask `subtask_index` of `parallelism`, starting fresh.
    pub fn new(subtask_index: usize, parallelism: usize) -> Self {
        SourceContext {
            subtask_index,
            parallelism,
            restored: None,
        }
    }

    /// Resumes from `checkpoint`: each shard continues right after the last record handed
    /// out before it was taken; shards missing from it start at TRIM_HORIZON; finished ones
    /// are not read again.
    pub fn restore(mut self, checkpoint: Checkpoint) -> Self {
        self.restored = Some(checkpoint);
        self
    }
}

/// One record handed out by the source.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct SourceRecord {
    /// The table's declared columns in order: physical ones decoded by the format, metadata
    /// ones (`timestamp`, `shard-id`, `sequence-number`) from the record.
    pub row: Row,
    /// The stream name.
    pub stream: Arc<str>,
    /// The shard read.
    pub shard_id: Arc<str>,
    /// The Kinesis record's sequence number (the enclosing record's, for a KPL user record).
    pub sequence_number: String,
    /// The user record's index inside its KPL aggregate; `None` for a plain record.
    pub sub_sequence_number: Option<i64>,
    /// `ApproximateArrivalTimestamp`, in milliseconds.
    pub arrival: Option<DateTime<Utc>>,
    /// The (user record's) partition key.
    pub partition_key: String,
    /// The payload bytes of this record as stored in Kinesis, after KPL de-aggregation
    /// (the user record's data for a record taken out of an aggregate), before the format
    /// decoded them into `row`.
    pub data: Vec<u8>,
}

pub(crate) struct ShardSlot {
    /// What was handed out.
    pub state: ShardState,
    pub shard_id: Arc<str>,
    pub counters: Arc<ShardCounters>,
    /// What the caller acknowledged ([`KinesisSource::ack`]): lease checkpoints cover it.
    pub acked: ShardPosition,
    /// Lease mode: the shard's records may be handed out until then (`None`: always).
    pub valid_until: Option<Instant>,
    /// The shard's lease was lost or given up: nothing more of it is handed out, and it is
    /// left out of checkpoints and metrics (a regained lease gets a new slot).
    pub revoked: bool,
}

/// The caller's side, behind one lock: the page being handed out and every shard's state.
pub(crate) struct Shared {
    stream: Arc<str>,
    decoder: RowDecoder,
    layout: RowLayout,
    current: Option<Cursor>,
    pub shards: Vec<ShardSlot>,
    failed: Option<SourceError>,
    closed: bool,
}

impl Shared {
    /// Hands out the next record of the current page (decoding it here, on the caller's
    /// thread); the shard's position moves with it. `Ok(None)`: no page in hand.
    /// `record_fields`: copy payload, partition key and sequence number into the record.
    fn pop(&mut self, record_fields: bool) -> Result<Option<SourceRecord>, SourceError> {
        let Some(cur) = self.current.as_mut() else {
            return Ok(None);
        };
        let slot = &self.shards[cur.slot()];
        // A lease past its deadline may be another worker's already: its records stay
        // here (the coordinator finds it lost too).
        if slot.revoked || slot.valid_until.is_some_and(|t| Instant::now() >= t) {
            let s = cur.slot();
            if !slot.revoked {
                log::warn!(
                    "lease of shard {} expired before it was renewed: its records are no longer handed out",
                    slot.shard_id
                );
            }
            self.revoke(s);
            return Ok(None);
        }
        let cx = DecodeContext {
            stream: &self.stream,
            shard_id: &slot.shard_id,
            counters: &slot.counters,
            decoder: &self.decoder,
            layout: &self.layout,
            record_fields,
        };
        match cur.next_record(&cx) {
            Ok(Some(r)) => Ok(Some(r)),
            Ok(None) => {
                // The page is done: the shard stands after its last record.
                let done = self.current.take().expect("current page");
                if let Some(p) = done.position() {
                    self.shards[done.slot()].state.position = p;
                }
                done.recycle();
                Ok(None)
            }
            Err(e) => {
                if let Some(p) = cur.position() {
                    self.shards[cur.slot()].state.position = p;
                }
                self.current = None;
                self.failed = Some(e.clone());
                Err(e)
            }
        }
    }

    /// Every live shard's position, the page being handed out included.
    fn states(&self) -> Vec<ShardState> {
        let mut out: Vec<ShardState> = Vec::with_capacity(self.shards.len());
        for (i, s) in self.shards.iter().enumerate() {
            if s.revoked {
                continue;
            }
            let mut state = s.state.clone();
            if let Some(p) = self.current_position(i) {
                state.position = p;
            }
            out.push(state);
        }
        out
    }

    /// The position inside the page being handed out, if it is `slot`'s and moved.
    fn current_position(&self, slot: usize) -> Option<ShardPosition> {
        self.current
            .as_ref()
            .filter(|c| c.slot() == slot)
            .and_then(|c| c.position())
    }

    /// Marks everything handed out so far as acknowledged.
    fn ack(&mut self) {
        for i in 0..self.shards.len() {
            if self.shards[i].revoked {
                continue;
            }
            let p = self
                .current_position(i)
                .unwrap_or_else(|| self.shards[i].state.position.clone());
            self.shards[i].acked = p;
        }
    }

    /// Stops handing out `slot`'s records: the page in hand (if its) and every page of it
    /// still queued are dropped.
    pub(crate) fn revoke(&mut self, slot: usize) {
        self.shards[slot].revoked = true;
        if self.current.as_ref().is_some_and(|c| c.slot() == slot) {
            if let Some(cur) = self.current.take() {
                cur.recycle();
            }
        }
    }

    /// Takes in one channel message; returns an error to hand out, if it is one.
    fn apply(&mut self, item: Item) -> Option<SourceError> {
        match item {
            Item::Batch(page) if self.shards[page.slot].revoked => {
                Cursor::new(page).recycle();
                None
            }
            Item::Batch(page) => {
                self.current = Some(Cursor::new(page));
                None
            }
            Item::ShardEnd { slot } => {
                if !self.shards[slot].revoked {
                    self.shards[slot].state.position = ShardPosition::ShardEnd;
                }
                None
            }
            Item::Error(e) => {
                self.failed = Some(e.clone());
                Some(e)
            }
        }
    }
}

/// A deadline for timeouts too long to add to the clock (as good as waiting forever).
const FAR_FUTURE: Duration = Duration::from_secs(100 * 365 * 86_400);

#[derive(Clone, Copy)]
enum Wait {
    Forever,
    /// At most this long from the call, the clock read only if the call has to wait (a
    /// record already decoded is handed out without it: a clock read per record cost about
    /// 5 % of the get-raw path).
    Within(Duration),
    No,
}

/// An unbounded scan of one Kinesis stream, as Flink's `'connector' = 'kinesis'` source:
/// a discovery thread (`kinesis-discovery`) and one reader thread per shard
/// (`kinesis-shard-<shardId>`) feed one bounded channel; `recv` hands the decoded records out
/// and `checkpoint` says exactly which ones were handed out.
///
/// ```no_run
/// use kinesis_options::TableDef;
/// use kinesis_source::{KinesisSource, SourceContext};
/// use std::time::Duration;
///
/// let table = TableDef::from_ddl("
///     CREATE TABLE orders (id BIGINT, item STRING,
///       shard STRING METADATA FROM 'shard-id' VIRTUAL)
///     WITH ('connector' = 'kinesis', 'stream' = 'orders', 'format' = 'csv',
///           'aws.region' = 'us-east-1', 'aws.endpoint' = 'http://127.0.0.1:4567',
///           'scan.stream.initpos' = 'TRIM_HORIZON')").unwrap();
/// let source = KinesisSource::open(&table, SourceContext::default())?;
/// while let Some(record) = source.recv_timeout(Duration::from_secs(1))? {
///     println!("{} {}", record.row, record.sequence_number);
/// }
/// let checkpoint = source.checkpoint(); // resume later with SourceContext::restore
/// source.close(Duration::from_secs(5))?;
/// # Ok::<(), kinesis_source::SourceError>(())
/// ```
pub struct KinesisSource {
    stream: String,
    client: KinesisClient,
    shared: Arc<Mutex<Shared>>,
    rx: Receiver<Item>,
    close_tx: Mutex<Option<Sender<()>>>,
    close_rx: Receiver<()>,
    shutdown: Shutdown,
    discovery: Mutex<Option<JoinHandle<()>>>,
    readers: ThreadList,
    assigned: Vec<String>,
    consumer_arns: BTreeMap<String, String>,
    /// LAZY consumers to deregister on graceful close, and how.
    deregister: Option<DeregisterPlan>,
    /// The consumer group's coordinator (decisions D24), when `scan.lease.table` is set.
    lease: Option<LeaseHandle>,
}

/// The source's side of the lease coordinator.
struct LeaseHandle {
    worker_id: String,
    commands: Mutex<Option<Sender<Command>>>,
    thread: Mutex<Option<JoinHandle<()>>>,
    log: SharedLog,
}

struct DeregisterPlan {
    efo: kinesis_options::EfoOptions,
}

impl std::fmt::Debug for KinesisSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KinesisSource")
            .field("stream", &self.stream)
            .field("assigned", &self.assigned)
            .field("consumer_arns", &self.consumer_arns)
            .field("worker_id", &self.worker_id())
            .finish()
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl KinesisSource {
    /// Opens the source: registers the EFO consumer if configured, lists the stream's shards
    /// (failing at once if it has none or does not exist), and starts reading the shards
    /// assigned to `ctx.subtask_index`.
    ///
    /// Start positions (§5.1): without restored state, shards of this first discovery start
    /// at `scan.stream.initpos` (`LATEST` is read as AT_TIMESTAMP(now), now = this call) and
    /// shards appearing later at TRIM_HORIZON; with restored state, every shard resumes from
    /// its entry or starts at TRIM_HORIZON.
    ///
    /// The connection pool is sized for the reader threads: the shards assigned at open
    /// plus headroom for resharding and the discovery thread (at least 16), so that every
    /// reader keeps its connection between calls.
    pub fn open(table: &TableDef, ctx: SourceContext) -> Result<KinesisSource, SourceError> {
        let client = table.source_client().map_err(|e| SourceError::Kinesis {
            context: "creating the Kinesis client".into(),
            error: Box::new(e),
        })?;
        KinesisSource::start(table, ctx, client, true)
    }

    /// Opens the source as [`KinesisSource::open`] does, with the caller's client: its
    /// endpoint, credentials, transport and connection pool are used as they are (the
    /// table's `aws.*` options are not read). Size its pool
    /// ([`kinesis_wire::ClientBuilder::max_connections`]) to at least the number of shards
    /// this source reads plus one, or readers open new connections as they take turns.
    ///
    /// ```no_run
    /// use kinesis_options::TableDef;
    /// use kinesis_source::{KinesisSource, SourceContext};
    /// use kinesis_wire::KinesisClient;
    /// let table = TableDef::from_ddl("CREATE TABLE t (data BYTES) WITH ('connector' = 'kinesis',
    ///     'stream' = 'orders', 'format' = 'raw', 'aws.region' = 'us-east-1')")?;
    /// let client = KinesisClient::builder()
    ///     .endpoint("http://127.0.0.1:4567")
    ///     .region("us-east-1")
    ///     .max_connections(64)
    ///     .build()?;
    /// let source = KinesisSource::open_with_client(&table, SourceContext::default(), client)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn open_with_client(
        table: &TableDef,
        ctx: SourceContext,
        client: KinesisClient,
    ) -> Result<KinesisSource, SourceError> {
        KinesisSource::start(table, ctx, client, false)
    }

    /// `size_pool`: rebuild the (table-configured) client with a pool for the readers.
    fn start(
        table: &TableDef,
        ctx: SourceContext,
        client: KinesisClient,
        size_pool: bool,
    ) -> Result<KinesisSource, SourceError> {
        let options = table.source_options();
        let stream = table.stream().to_string();
        let parallelism = ctx.parallelism.max(1);
        if ctx.subtask_index >= parallelism {
            return Err(SourceError::Config {
                message: format!(
                    "subtask index {} is not below the parallelism {parallelism}",
                    ctx.subtask_index
                ),
            });
        }
        let assigner = table
            .shard_assigner()
            .ok_or_else(|| SourceError::Config {
                message: format!(
                    "Unable to locate shard assigner factory for identifier: '{}' (scan.shard-assigner)",
                    options.shard_assigner
                ),
            })?;
        if options.get_records_max_record_count == 0 {
            // Flink accepts 0 at validation and fails when the reader starts.
            return Err(SourceError::Config {
                message: "scan.shard.getrecords.maxrecordcount must be greater than 0".into(),
            });
        }
        let layout = RowLayout::new(table.columns())?;
        let lease_options = options.lease.clone();
        if let Some(l) = &lease_options {
            if parallelism > 1 {
                return Err(SourceError::Config {
                    message: format!(
                        "a SourceContext with parallelism {parallelism} cannot be used with scan.lease.table ({}): in a consumer group the lease table decides which shards each process reads; open every process with SourceContext::default()",
                        l.table
                    ),
                });
            }
            if ctx.restored.is_some() {
                return Err(SourceError::Config {
                    message: format!(
                        "SourceContext::restore cannot be used with scan.lease.table ({}): a consumer group's positions are in its lease table (reset them with ConsumerGroup::reset)",
                        l.table
                    ),
                });
            }
        }
        if parallelism > 1 {
            log::info!(
                "subtask {} of {parallelism} on stream {stream}: parents are read before their children only when this subtask reads both; \
                 a child assigned here whose parent another subtask reads starts at once (Flink 4.x behaviour, no ordering across subtasks)",
                ctx.subtask_index
            );
        }
        let shutdown = Shutdown::new();

        // Enhanced fan-out registration (D18), before any read.
        let mut consumer_arns = BTreeMap::new();
        let mut deregister = None;
        if options.record_publisher == RecordPublisher::Efo {
            let efo_opts = &options.efo;
            let calls = EfoCalls {
                describe_stream: &options.describe_stream,
                describe_consumer: &efo_opts.describe_stream_consumer,
                register: &efo_opts.register_stream_consumer,
                register_timeout: efo_opts.register_timeout,
                deregister: &efo_opts.deregister_stream_consumer,
                deregister_timeout: efo_opts.deregister_timeout,
            };
            let arn = match efo_opts.registration {
                EfoRegistration::None => efo_opts.consumer_arns.get(&stream).cloned().ok_or_else(
                    || SourceError::Config {
                        message: format!(
                            "Invalid efo consumer arn settings for not providing consumer arns: scan.stream.efo.consumerarn.{stream}"
                        ),
                    },
                )?,
                strategy => {
                    let name =
                        efo_opts
                            .consumer_name
                            .as_deref()
                            .ok_or_else(|| SourceError::Config {
                                message: "No valid enhanced fan-out consumer name is set through scan.stream.efo.consumername".into(),
                            })?;
                    // Flink's quirk: the initial jitter only when LAZY is set explicitly.
                    let explicit_lazy = strategy == EfoRegistration::Lazy
                        && table
                            .options()
                            .get("scan.stream.efo.registration")
                            .is_some_and(|v| v == "LAZY");
                    efo::register(&client, &stream, name, &calls, explicit_lazy, &shutdown)?
                }
            };
            log::info!(
                "enhanced fan-out consumer for stream {stream} ({:?} registration): {arn}",
                efo_opts.registration
            );
            log::warn!(
                "scan.stream.recordpublisher=EFO: records of stream {stream} are read by polling GetRecords; \
                 the dedicated throughput of consumer {arn} is not used (SubscribeToShard over HTTP/2 is not implemented)"
            );
            if efo_opts.registration == EfoRegistration::Lazy {
                deregister = Some(DeregisterPlan {
                    efo: efo_opts.clone(),
                });
            }
            consumer_arns.insert(stream.clone(), arn);
        }

        let start = match ctx.restored {
            Some(cp) => StartRule::Restore(cp),
            None => StartRule::Fresh(match options.start_position {
                StartPosition::TrimHorizon => ShardPosition::TrimHorizon,
                StartPosition::AtTimestamp(t) => ShardPosition::AtTimestamp {
                    epoch_millis: t.timestamp_millis(),
                },
                StartPosition::Latest => ShardPosition::AtTimestamp {
                    epoch_millis: Utc::now().timestamp_millis(),
                },
            }),
        };

        let (tx, rx) = bounded(CHANNEL_CAPACITY);
        let (close_tx, close_rx) = bounded::<()>(0);
        let (events_tx, events_rx) = unbounded();
        let readers_shared = Arc::new(ReaderShared {
            // The readers' and discovery's calls (credential fetches included) stop at close;
            // the source's own handle stays usable for deregistering a LAZY consumer.
            client: client.with_shutdown(shutdown.clone()),
            stream: Arc::from(stream.as_str()),
            max_record_count: options.get_records_max_record_count,
            interval: options.get_records_interval,
            idle_interval: options.get_records_idle_interval,
            adaptive_reads: options.adaptive_reads,
            get_records: reader::policy(&options.get_records),
            get_iterator: reader::policy(&options.get_shard_iterator),
            recoverable_codes: options.recoverable_error_codes.clone(),
            tx,
            close_rx: close_rx.clone(),
            shutdown: shutdown.clone(),
            events: events_tx,
        });
        let shared = Arc::new(Mutex::new(Shared {
            stream: Arc::from(stream.as_str()),
            decoder: RowDecoder::for_table(table),
            layout,
            current: None,
            shards: Vec::new(),
            failed: None,
            closed: false,
        }));
        let readers = Arc::new(Mutex::new(Vec::new()));
        let mut discovery = Discovery::new(
            shared.clone(),
            readers_shared,
            assigner,
            ctx.subtask_index,
            parallelism,
            start,
            reader::policy(&options.list_shards),
            options.discovery_interval,
            events_rx.clone(),
            readers.clone(),
        );
        let mut source = KinesisSource {
            stream: stream.clone(),
            client,
            shared,
            rx,
            close_tx: Mutex::new(Some(close_tx)),
            close_rx,
            shutdown,
            discovery: Mutex::new(None),
            readers,
            assigned: Vec::new(),
            consumer_arns,
            deregister,
            lease: None,
        };
        let shards = discovery.list_initial()?;
        if size_pool {
            // In a group any shard may come to this source.
            let readers = match &lease_options {
                Some(_) => shards.len(),
                None => discovery.count_assigned(&shards),
            };
            let config = table.source_client_config();
            let want = pool_size(readers);
            if want > config.max_connections {
                // No reader runs yet: the discovery thread holds the only handle.
                let sized = KinesisClient::builder()
                    .config(config)
                    .credentials(source.client.credentials_provider().clone())
                    .max_connections(want)
                    .build()
                    .map_err(|e| SourceError::Kinesis {
                        context: "creating the Kinesis client".into(),
                        error: Box::new(e),
                    })?;
                if let Some(r) = Arc::get_mut(&mut discovery.readers) {
                    r.client = sized.with_shutdown(source.shutdown.clone());
                    source.client = sized;
                }
            }
        }
        if let Some(l) = lease_options {
            source.start_group(&l, options, discovery, &shards, events_rx)?;
            return Ok(source);
        }
        // On error the source is dropped here, which stops the readers already started.
        discovery.start_initial(shards)?;
        source.assigned = discovery.known_ids();
        let handle = std::thread::Builder::new()
            .name("kinesis-discovery".into())
            .spawn(move || discovery.run())
            .map_err(|e| SourceError::Thread {
                name: "kinesis-discovery".into(),
                message: e.to_string(),
            })?;
        *lock(&source.discovery) = Some(handle);
        Ok(source)
    }

    /// Joins the consumer group: the lease table (created if missing), the leases of the
    /// first listing, the coordinator thread (`kinesis-leases`) and the lister
    /// (`kinesis-discovery`). No reader starts here: the coordinator starts them as it
    /// takes leases.
    fn start_group(
        &mut self,
        l: &kinesis_options::LeaseOptions,
        options: &kinesis_options::SourceOptions,
        discovery: Discovery,
        shards: &[kinesis_wire::model::Shard],
        reader_events: Receiver<reader::Event>,
    ) -> Result<(), SourceError> {
        let worker_id = l.worker_id.clone().unwrap_or_else(default_worker_id);
        let store = lease_store(&self.client, l, Shutdown::new())?;
        let (listings_tx, listings_rx) = unbounded();
        let (wake_tx, wake_rx) = bounded(1);
        let (commands_tx, commands_rx) = bounded(1);
        let log = SharedLog::default();
        let parts = CoordinatorParts {
            store,
            settings: Settings {
                worker_id: worker_id.clone(),
                failover: l.failover,
                max_leases: l.max_leases_per_worker.map_or(usize::MAX, |n| n as usize),
                max_steal: 1,
            },
            renew: l.renew,
            checkpoint_interval: l.checkpoint_interval,
            start: options.start_position,
            opened_ms: Utc::now().timestamp_millis(),
            shared: self.shared.clone(),
            readers: discovery.readers.clone(),
            handles: self.readers.clone(),
            reader_events,
            listings: listings_rx,
            wake_lister: wake_tx,
            commands: commands_rx,
            log: log.clone(),
        };
        let coordinator = Coordinator::open(parts, shards)?;
        let spawn = |name: &str, body: Box<dyn FnOnce() + Send>| {
            std::thread::Builder::new()
                .name(name.into())
                .spawn(body)
                .map_err(|e| SourceError::Thread {
                    name: name.into(),
                    message: e.to_string(),
                })
        };
        let handle = spawn("kinesis-leases", Box::new(move || coordinator.run()))?;
        self.lease = Some(LeaseHandle {
            worker_id,
            commands: Mutex::new(Some(commands_tx)),
            thread: Mutex::new(Some(handle)),
            log,
        });
        let lister = spawn(
            "kinesis-discovery",
            Box::new(move || discovery.run_lister(listings_tx, wake_rx)),
        )?;
        *lock(&self.discovery) = Some(lister);
        Ok(())
    }

    fn next(&self, wait: Wait, record_fields: bool) -> Result<Option<SourceRecord>, SourceError> {
        let mut deadline: Option<Instant> = None;
        loop {
            {
                let mut sh = lock(&self.shared);
                if sh.closed {
                    return Err(SourceError::Closed);
                }
                if let Some(e) = &sh.failed {
                    return Err(e.clone());
                }
                match sh.pop(record_fields) {
                    Ok(Some(rec)) => return Ok(Some(rec)),
                    Ok(None) if sh.current.is_some() => continue,
                    Ok(None) => {}
                    Err(e) => {
                        drop(sh);
                        self.stop_threads();
                        return Err(e);
                    }
                }
            }
            let msg = match wait {
                Wait::Forever => select! {
                    recv(self.rx) -> m => m.ok(),
                    recv(self.close_rx) -> _ => None,
                },
                Wait::Within(timeout) => {
                    let now = Instant::now();
                    let until = *deadline.get_or_insert_with(|| {
                        now.checked_add(timeout).unwrap_or(now + FAR_FUTURE)
                    });
                    select! {
                        recv(self.rx) -> m => m.ok(),
                        recv(self.close_rx) -> _ => None,
                        default(until.saturating_duration_since(now)) => return Ok(None),
                    }
                }
                Wait::No => match self.rx.try_recv() {
                    Ok(m) => Some(m),
                    Err(TryRecvError::Empty) => return Ok(None),
                    Err(TryRecvError::Disconnected) => None,
                },
            };
            let Some(item) = msg else {
                // Closed, or every thread is gone.
                return Err(lock(&self.shared)
                    .failed
                    .clone()
                    .unwrap_or(SourceError::Closed));
            };
            let failure = lock(&self.shared).apply(item);
            if let Some(e) = failure {
                // The source stops; the checkpoint stays where the caller is.
                self.stop_threads();
                return Err(e);
            }
        }
    }

    /// The next record; blocks until one arrives. Returns the error that stopped the source
    /// (again on every later call), [`SourceError::Ended`] once every shard was read to its
    /// end and none is open (not a failure: [`SourceError::is_end`]; it never happens while
    /// the stream has an open shard, as on real Kinesis), or [`SourceError::Closed`] after
    /// `close`.
    pub fn recv(&self) -> Result<SourceRecord, SourceError> {
        self.next(Wait::Forever, true)
            .map(|r| r.expect("blocking receive returns a record"))
    }

    /// The next record, or `Ok(None)` if none arrives within `timeout` (errors as
    /// [`KinesisSource::recv`]).
    pub fn recv_timeout(&self, timeout: Duration) -> Result<Option<SourceRecord>, SourceError> {
        self.next(Wait::Within(timeout), true)
    }

    /// The next record if one is ready, else `Ok(None)` (errors as [`KinesisSource::recv`]).
    pub fn try_recv(&self) -> Result<Option<SourceRecord>, SourceError> {
        self.next(Wait::No, true)
    }

    /// The next row only, for callers that need neither payload nor partition key nor
    /// sequence number (metadata columns are in the row): it skips their per-record
    /// copies. Otherwise as [`KinesisSource::recv_timeout`]; the checkpoint moves the same.
    ///
    /// ```no_run
    /// # use kinesis_source::KinesisSource;
    /// # use std::time::Duration;
    /// # fn f(source: &KinesisSource) -> Result<(), kinesis_source::SourceError> {
    /// while let Some(row) = source.recv_row_timeout(Duration::from_secs(1))? {
    ///     println!("{row}");
    /// }
    /// # Ok(()) }
    /// ```
    pub fn recv_row_timeout(
        &self,
        timeout: Duration,
    ) -> Result<Option<kinesis_formats::Row>, SourceError> {
        Ok(self.next(Wait::Within(timeout), false)?.map(|r| r.row))
    }

    /// The next row if one is ready, else `Ok(None)`; see [`KinesisSource::recv_row_timeout`].
    pub fn try_recv_row(&self) -> Result<Option<kinesis_formats::Row>, SourceError> {
        Ok(self.next(Wait::No, false)?.map(|r| r.row))
    }

    /// A blocking iterator over the records; it ends when the source is closed and yields
    /// the error that stopped the source, once.
    pub fn iter(&self) -> Iter<'_> {
        Iter {
            source: self,
            done: false,
        }
    }

    /// The position of every shard this source reads, covering exactly the records `recv`
    /// has handed out (plus skipped undecodable ones before them), and the EFO consumer ARNs.
    ///
    /// **Saving it so a crash loses nothing.** Take the checkpoint only after every record
    /// handed out so far has been processed for good (written to your output, committed),
    /// and save it atomically (write a new file, fsync, rename over the old one); do that
    /// periodically (the CLI's `read --checkpoint` does it every second) and after the last
    /// record. Restoring it with [`SourceContext::restore`] then resumes right after the
    /// last record the checkpoint covers: nothing is skipped, and what was processed after
    /// the last save is delivered again. That is **at-least-once**: a crash re-delivers at
    /// most the records handed out in one save interval, so make processing idempotent (or
    /// deduplicate by `(shard_id, sequence_number, sub_sequence_number)`) if duplicates
    /// matter. A checkpoint taken before processing finishes would be at-most-once: a crash
    /// could skip records.
    ///
    /// ```no_run
    /// use std::time::{Duration, Instant};
    /// use kinesis_options::TableDef;
    /// use kinesis_source::{KinesisSource, SourceContext};
    /// # fn process(_: &kinesis_source::SourceRecord) {}
    /// # fn save_atomically(_: &str) {}
    /// let table = TableDef::from_ddl("CREATE TABLE t (data BYTES) WITH ('connector' = 'kinesis',
    ///     'stream' = 'orders', 'format' = 'raw', 'aws.region' = 'us-east-1')")?;
    /// let source = KinesisSource::open(&table, SourceContext::default())?;
    /// let mut last_save = Instant::now();
    /// while let Some(record) = source.recv_timeout(Duration::from_millis(200))? {
    ///     process(&record); // done for good before the checkpoint covers it
    ///     if last_save.elapsed() >= Duration::from_secs(1) {
    ///         save_atomically(&source.checkpoint().to_json());
    ///         last_save = Instant::now();
    ///     }
    /// }
    /// save_atomically(&source.checkpoint().to_json());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn checkpoint(&self) -> Checkpoint {
        let sh = lock(&self.shared);
        Checkpoint {
            shards: sh.states(),
            consumer_arns: self.consumer_arns.clone(),
        }
    }

    /// Acknowledges every record handed out so far (by `recv`, `try_recv`, `iter` and the
    /// row variants, on any thread, before this call): they were processed for good. In a
    /// consumer group (`scan.lease.table`) the lease checkpoints, written every
    /// `scan.lease.checkpoint-millis` and on [`KinesisSource::close`], cover exactly what
    /// was acknowledged; a shard read to its end and acknowledged gets `SHARD_END`, which
    /// lets its children start (in any process).
    ///
    /// **At-least-once.** Call it only after the records handed out before it were
    /// processed (written to your output, committed), and as often as you like (it takes
    /// the source's lock once and copies one position per shard). Whatever was handed out
    /// but not acknowledged when a lease moves to another process is delivered again
    /// there; nothing acknowledged is. Never acknowledging is safe (every record is read
    /// again by the next owner), acknowledging before processing is not.
    ///
    /// Without a consumer group it changes nothing: [`KinesisSource::checkpoint`] is the
    /// caller's to save.
    ///
    /// ```no_run
    /// use kinesis_options::TableDef;
    /// use kinesis_source::{KinesisSource, SourceContext};
    /// use std::time::Duration;
    /// # fn process(_: &kinesis_source::SourceRecord) {}
    /// let table = TableDef::from_ddl("CREATE TABLE t (data BYTES) WITH ('connector' = 'kinesis',
    ///     'stream' = 'orders', 'format' = 'raw', 'aws.region' = 'us-east-1',
    ///     'scan.lease.table' = 'orders-app')")?;
    /// let source = KinesisSource::open(&table, SourceContext::default())?;
    /// for _ in 0..1000 {
    ///     while let Some(record) = source.try_recv()? {
    ///         process(&record);
    ///     }
    ///     source.ack(); // everything processed above is covered by the next checkpoint
    ///     std::thread::sleep(Duration::from_millis(100));
    /// }
    /// source.close(Duration::from_secs(5))?; // last checkpoint, leases released
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn ack(&self) {
        lock(&self.shared).ack();
    }

    /// The changes of this source's leases since the last call (gained, lost, released,
    /// finished), oldest first; empty without a consumer group. At most 4096 are kept
    /// between calls (the oldest go first).
    pub fn lease_events(&self) -> Vec<LeaseEvent> {
        match &self.lease {
            Some(l) => EventLog::take(&l.log),
            None => Vec::new(),
        }
    }

    /// This process's worker id in its consumer group (`scan.lease.worker-id`, or the one
    /// made at open); `None` without a group.
    pub fn worker_id(&self) -> Option<&str> {
        self.lease.as_ref().map(|l| l.worker_id.as_str())
    }

    /// Counters of every shard this source reads, by shard id (in a consumer group: the
    /// shards whose lease it holds and reads).
    pub fn metrics(&self) -> BTreeMap<String, ShardMetrics> {
        let sh = lock(&self.shared);
        sh.shards
            .iter()
            .filter(|s| !s.revoked)
            .map(|s| {
                (
                    s.state.shard_id.clone(),
                    s.counters.snapshot(&s.state.shard_id),
                )
            })
            .collect()
    }

    /// The stream read.
    pub fn stream(&self) -> &str {
        &self.stream
    }

    /// Ids of the shards assigned to this subtask by the first discovery (empty in a
    /// consumer group: leases are taken after open).
    pub fn assigned_shards(&self) -> &[String] {
        &self.assigned
    }

    /// Ids of every shard this source has taken on so far (first discovery, later ones and
    /// children); in a consumer group, the shards it reads now.
    pub fn shard_ids(&self) -> Vec<String> {
        lock(&self.shared)
            .shards
            .iter()
            .filter(|s| !s.revoked)
            .map(|s| s.state.shard_id.clone())
            .collect()
    }

    /// The enhanced fan-out consumer ARN by stream (empty for `POLLING`).
    pub fn consumer_arns(&self) -> &BTreeMap<String, String> {
        &self.consumer_arns
    }

    fn stop_threads(&self) {
        self.shutdown.trigger();
        lock(&self.close_tx).take();
    }

    /// Stops every thread, wakes callers blocked in `recv`, and joins the threads within
    /// `timeout`. With `scan.stream.efo.registration=LAZY` the consumer is then deregistered
    /// (§6.3; failures are logged, as Flink); that wait is bounded by
    /// `scan.stream.deregisterstreamconsumer.timeout`, not by `timeout`. Dropping the source
    /// without `close` stops the threads but does not deregister.
    ///
    /// Returns [`SourceError::CloseTimedOut`] naming the threads still running (e.g. in an
    /// HTTP call) at the deadline; they stop when the call returns, and calling `close`
    /// again joins them. Deregistration happens on the first call only.
    pub fn close(&self, timeout: Duration) -> Result<(), SourceError> {
        let first = {
            let mut sh = lock(&self.shared);
            let first = !sh.closed;
            sh.closed = true;
            first
        };
        self.stop_threads();
        let deadline = Instant::now() + timeout;
        let mut still = Vec::new();
        if let Some(l) = &self.lease {
            // Last checkpoints and lease releases, before the readers are joined (the
            // coordinator starts no reader once told to close).
            if let Some(commands) = lock(&l.commands).take() {
                let (reply, done) = bounded(1);
                if commands.send(Command::Close { reply }).is_ok() {
                    let _ = done.recv_timeout(deadline.saturating_duration_since(Instant::now()));
                }
            }
            if let Some(h) = lock(&l.thread).take() {
                if let Some(h) = join_until(h, deadline) {
                    still.push(("kinesis-leases".to_string(), h));
                }
            }
        }
        if let Some(h) = lock(&self.discovery).take() {
            if let Some(h) = join_until(h, deadline) {
                still.push(("kinesis-discovery".to_string(), h));
            }
        }
        let readers: Vec<_> = lock(&self.readers).drain(..).collect();
        for (name, h) in readers {
            if let Some(h) = join_until(h, deadline) {
                still.push((name, h));
            }
        }
        if first {
            if let Some(plan) = &self.deregister {
                let efo = &plan.efo;
                let describe_stream = kinesis_options::RetryOptions {
                    base: Duration::ZERO,
                    max: Duration::ZERO,
                    expconst: 1.0,
                    max_retries: 1,
                };
                let calls = EfoCalls {
                    describe_stream: &describe_stream,
                    describe_consumer: &efo.describe_stream_consumer,
                    register: &efo.register_stream_consumer,
                    register_timeout: efo.register_timeout,
                    deregister: &efo.deregister_stream_consumer,
                    deregister_timeout: efo.deregister_timeout,
                };
                for (stream, arn) in &self.consumer_arns {
                    if let Err(e) =
                        efo::deregister(&self.client, stream, arn, &calls, &Shutdown::new())
                    {
                        log::warn!("Encountered exception deregistering stream consumers: {e}");
                    }
                }
            }
        }
        if still.is_empty() {
            Ok(())
        } else {
            let threads = still.iter().map(|(n, _)| n.clone()).collect();
            // Put them back so a later close (or drop) can still join them.
            lock(&self.readers).extend(still);
            Err(SourceError::CloseTimedOut { threads })
        }
    }
}

/// Joins `h` if it ends before `deadline`; hands it back otherwise.
fn join_until(h: JoinHandle<()>, deadline: Instant) -> Option<JoinHandle<()>> {
    while !h.is_finished() {
        if Instant::now() >= deadline {
            return Some(h);
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    let _ = h.join();
    None
}

impl Drop for KinesisSource {
    /// Stops the threads (no EFO deregistration: that is `close`'s job) and waits briefly.
    fn drop(&mut self) {
        self.stop_threads();
        let deadline = Instant::now() + Duration::from_secs(2);
        if let Some(l) = &self.lease {
            // Without a close the leases are not released: they expire.
            lock(&l.commands).take();
            if let Some(h) = lock(&l.thread).take() {
                join_until(h, deadline);
            }
        }
        if let Some(h) = lock(&self.discovery).take() {
            join_until(h, deadline);
        }
        for (_, h) in lock(&self.readers).drain(..) {
            join_until(h, deadline);
        }
    }
}

/// Blocking iterator over a source's records; see [`KinesisSource::iter`].
#[derive(Debug)]
pub struct Iter<'a> {
    source: &'a KinesisSource,
    done: bool,
}

impl Iterator for Iter<'_> {
    type Item = Result<SourceRecord, SourceError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        match self.source.recv() {
            Ok(r) => Some(Ok(r)),
            Err(SourceError::Closed | SourceError::Ended { .. }) => {
                self.done = true;
                None
            }
            Err(e) => {
                self.done = true;
                Some(Err(e))
            }
        }
    }
}

impl<'a> IntoIterator for &'a KinesisSource {
    type Item = Result<SourceRecord, SourceError>;
    type IntoIter = Iter<'a>;

    fn into_iter(self) -> Iter<'a> {
        self.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pool_holds_a_connection_per_reader_and_headroom() {
        assert_eq!(pool_size(1), kinesis_wire::DEFAULT_MAX_CONNECTIONS);
        assert_eq!(pool_size(40), 40 + 10 + 4);
        assert_eq!(pool_size(1000), 1000 + 250 + 4);
    }
}
