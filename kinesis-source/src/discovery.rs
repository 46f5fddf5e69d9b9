//! The discovery thread (reference §5.2, decisions D5): lists shards, keeps those assigned to
//! this subtask, and starts a reader for a shard once every parent it reads is finished.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crossbeam_channel::{select, Receiver, Sender};
use kinesis_options::{subtask_for, ShardAssigner, ShardInfo};
use kinesis_wire::model::{ChildShard, ListShardsInput};
use kinesis_wire::{codes, model::Shard, KinesisError, RetryPolicy};

use crate::checkpoint::{Checkpoint, ShardPosition, ShardState};
use crate::metrics::ShardCounters;
use crate::reader::{self, Event, Item, ReaderShared, ShardTask};
use crate::source::{ShardSlot, Shared};
use crate::SourceError;

/// Reader threads by name, joined on close.
pub(crate) type ThreadList = Arc<Mutex<Vec<(String, JoinHandle<()>)>>>;

/// Discovery never sleeps less than this between ListShards rounds (an interval of 0 would
/// otherwise spin).
const MIN_DISCOVERY_INTERVAL: Duration = Duration::from_millis(10);

/// A shard as discovery knows it.
struct ShardDesc {
    shard_id: String,
    parents: Vec<String>,
    hash_range: Option<(u128, u128)>,
}

impl From<&Shard> for ShardDesc {
    fn from(s: &Shard) -> Self {
        ShardDesc {
            shard_id: s.shard_id.clone(),
            parents: s
                .parent_shard_id
                .iter()
                .chain(s.adjacent_parent_shard_id.iter())
                .cloned()
                .collect(),
            hash_range: s.hash_key_range.bounds(),
        }
    }
}

impl From<&ChildShard> for ShardDesc {
    fn from(c: &ChildShard) -> Self {
        ShardDesc {
            shard_id: c.shard_id.clone(),
            parents: c.parent_shards.clone(),
            hash_range: c.hash_key_range.bounds(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Status {
    /// Waiting for a parent to finish.
    Pending,
    Running,
    Finished,
}

struct Known {
    slot: usize,
    parents: Vec<String>,
    hash_range: Option<(u128, u128)>,
    status: Status,
}

/// Adds a shard to the caller's side: its slot (never reused) and counters. `valid_until`
/// is the lease's deadline (lease mode), after which nothing of it is handed out.
pub(crate) fn register_slot(
    shared: &Mutex<Shared>,
    stream: &str,
    shard_id: &str,
    parents: Vec<String>,
    position: ShardPosition,
    valid_until: Option<Instant>,
) -> (usize, Arc<ShardCounters>) {
    let counters = Arc::new(ShardCounters::default());
    let mut sh = shared.lock().unwrap_or_else(|p| p.into_inner());
    sh.shards.push(ShardSlot {
        state: ShardState {
            stream: stream.to_string(),
            shard_id: shard_id.to_string(),
            parent_shard_ids: parents,
            position: position.clone(),
        },
        shard_id: Arc::from(shard_id),
        counters: counters.clone(),
        acked: position,
        valid_until,
        revoked: false,
    });
    (sh.shards.len() - 1, counters)
}

/// Starts the reader thread of `task`.
pub(crate) fn spawn_reader(
    readers: &Arc<ReaderShared>,
    handles: &ThreadList,
    task: ShardTask,
) -> Result<(), SourceError> {
    let id = task.shard_id.clone();
    let name = format!("kinesis-shard-{id}");
    let shared = readers.clone();
    let handle = std::thread::Builder::new()
        .name(name.clone())
        .stack_size(reader::READER_STACK_BYTES)
        .spawn(move || reader::run(shared, task))
        .map_err(|e| SourceError::Thread {
            name: name.clone(),
            message: e.to_string(),
        })?;
    log::info!("reading shard {id} of stream {}", readers.stream);
    let mut h = handles.lock().unwrap_or_else(|p| p.into_inner());
    // Readers that ended (a lost lease, a finished shard) are joined here, so a long run
    // with many hand-overs keeps no dead handles.
    let (done, running): (Vec<_>, Vec<_>) = h.drain(..).partition(|(_, h)| h.is_finished());
    *h = running;
    drop(h);
    for (_, d) in done {
        let _ = d.join();
    }
    handles
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .push((name, handle));
    Ok(())
}

/// How a shard's start position is chosen.
pub(crate) enum StartRule {
    /// Fresh start: the configured initial position for shards of the first discovery.
    Fresh(ShardPosition),
    /// Restored: the checkpoint's entry, else TRIM_HORIZON.
    Restore(Checkpoint),
}

pub(crate) struct Discovery {
    pub shared: Arc<Mutex<Shared>>,
    pub readers: Arc<ReaderShared>,
    pub assigner: Arc<dyn ShardAssigner>,
    pub subtask_index: usize,
    pub parallelism: usize,
    pub start: StartRule,
    pub list_policy: RetryPolicy,
    pub interval: Duration,
    pub events: Receiver<Event>,
    pub handles: ThreadList,
    known: BTreeMap<String, Known>,
    initial_done: bool,
    /// Shards that ended without children while listed open (never on real Kinesis).
    childless: std::collections::BTreeSet<String>,
    end_sent: bool,
}

impl Discovery {
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        shared: Arc<Mutex<Shared>>,
        readers: Arc<ReaderShared>,
        assigner: Arc<dyn ShardAssigner>,
        subtask_index: usize,
        parallelism: usize,
        start: StartRule,
        list_policy: RetryPolicy,
        interval: Duration,
        events: Receiver<Event>,
        handles: ThreadList,
    ) -> Self {
        Discovery {
            shared,
            readers,
            assigner,
            subtask_index,
            parallelism,
            start,
            list_policy,
            interval,
            events,
            handles,
            known: BTreeMap::new(),
            initial_done: false,
            childless: std::collections::BTreeSet::new(),
            end_sent: false,
        }
    }

    /// ListShards over every page (§5.3 error handling). `Ok(None)` = nothing this round.
    fn list(&self) -> Result<Option<Vec<Shard>>, SourceError> {
        let r = &self.readers;
        let first = ListShardsInput::for_stream(r.stream.to_string());
        match r
            .client
            .list_all_shards(&first, &self.list_policy, &r.shutdown)
        {
            Ok(shards) => Ok(Some(shards)),
            Err(KinesisError::Interrupted { .. }) => Ok(None),
            Err(e) if e.is_code(codes::LIMIT_EXCEEDED) => {
                log::warn!("ListShards of stream {} still throttled after retries; no new shards this round: {e}", r.stream);
                Ok(None)
            }
            Err(e) if e.is_code(codes::RESOURCE_IN_USE) => {
                log::info!(
                    "stream {} is not ACTIVE yet; no new shards this round: {e}",
                    r.stream
                );
                Ok(None)
            }
            Err(e) if e.is_code(codes::EXPIRED_NEXT_TOKEN) => {
                log::warn!(
                    "ListShards of stream {}: {e}; no new shards this round",
                    r.stream
                );
                Ok(None)
            }
            Err(e) if e.is_code(codes::RESOURCE_NOT_FOUND) => Err(SourceError::Kinesis {
                context: format!(
                    "Stream not found. Error while getting shard list of stream {}",
                    r.stream
                ),
                error: Box::new(e),
            }),
            Err(e) => Err(SourceError::Kinesis {
                context: format!("ListShards of stream {}", r.stream),
                error: Box::new(e),
            }),
        }
    }

    fn assigned_to_me(&self, d: &ShardDesc) -> bool {
        let (lo, hi) = d.hash_range.unwrap_or((0, u128::MAX));
        let info = ShardInfo {
            stream: &self.readers.stream,
            shard_id: &d.shard_id,
            starting_hash_key: lo,
            ending_hash_key: hi,
        };
        subtask_for(self.assigner.as_ref(), &info, self.parallelism) == self.subtask_index
    }

    /// Registers newly seen shards assigned to this subtask.
    fn add(&mut self, shards: Vec<ShardDesc>) {
        let initial = !self.initial_done;
        self.initial_done = true;
        for d in shards {
            if self.known.contains_key(&d.shard_id) || !self.assigned_to_me(&d) {
                continue;
            }
            let position = match &self.start {
                StartRule::Fresh(p) if initial => p.clone(),
                StartRule::Fresh(_) => ShardPosition::TrimHorizon,
                StartRule::Restore(cp) => cp
                    .get(&self.readers.stream, &d.shard_id)
                    .map(|s| s.position.clone())
                    .unwrap_or(ShardPosition::TrimHorizon),
            };
            let status = if position == ShardPosition::ShardEnd {
                Status::Finished
            } else {
                Status::Pending
            };
            let (slot, counters) = register_slot(
                &self.shared,
                &self.readers.stream,
                &d.shard_id,
                d.parents.clone(),
                position,
                None,
            );
            if status == Status::Finished {
                counters
                    .finished
                    .store(true, std::sync::atomic::Ordering::Relaxed);
            }
            log::debug!(
                "shard {} (parents [{}]) assigned to subtask {} of {}",
                d.shard_id,
                d.parents.join(", "),
                self.subtask_index,
                self.parallelism
            );
            self.known.insert(
                d.shard_id,
                Known {
                    slot,
                    parents: d.parents,
                    hash_range: d.hash_range,
                    status,
                },
            );
        }
    }

    /// Starts every pending shard whose parents read by this source have all finished
    /// (D5). Parents read elsewhere (another subtask) or no longer listed are not waited for.
    fn start_ready(&mut self) -> Result<(), SourceError> {
        self.check_cycles()?;
        let ready: Vec<String> = self
            .known
            .iter()
            .filter(|(_, k)| k.status == Status::Pending)
            .filter(|(_, k)| {
                k.parents.iter().all(|p| {
                    self.known
                        .get(p)
                        .is_none_or(|pk| pk.status == Status::Finished)
                })
            })
            .map(|(id, _)| id.clone())
            .collect();
        for id in ready {
            let k = self.known.get_mut(&id).expect("listed above");
            let (start, counters) = {
                let sh = self.shared.lock().unwrap_or_else(|p| p.into_inner());
                let slot = &sh.shards[k.slot];
                (slot.state.position.clone(), slot.counters.clone())
            };
            let task = ShardTask {
                slot: k.slot,
                shard_id: Arc::from(id.as_str()),
                hash_range: k.hash_range,
                start,
                counters,
                stop: crossbeam_channel::never(),
            };
            spawn_reader(&self.readers, &self.handles, task)?;
            k.status = Status::Running;
        }
        Ok(())
    }

    /// The first listing, run by `open` so that a missing stream fails at once.
    pub(crate) fn list_initial(&self) -> Result<Vec<Shard>, SourceError> {
        let shards = self.list()?.unwrap_or_default();
        if shards.is_empty() {
            return Err(SourceError::NoShards {
                stream: self.readers.stream.to_string(),
            });
        }
        Ok(shards)
    }

    /// How many of `shards` this subtask reads (each gets a reader thread).
    pub(crate) fn count_assigned(&self, shards: &[Shard]) -> usize {
        shards
            .iter()
            .filter(|s| self.assigned_to_me(&ShardDesc::from(*s)))
            .count()
    }

    /// Starts the readers of the first listing.
    pub(crate) fn start_initial(&mut self, shards: Vec<Shard>) -> Result<(), SourceError> {
        self.add(shards.iter().map(ShardDesc::from).collect());
        if self.known.is_empty() {
            log::warn!(
                "Subtask {} has no shard of stream {} assigned (parallelism {}); it stays idle until one appears",
                self.subtask_index,
                self.readers.stream,
                self.parallelism
            );
        }
        self.start_ready()
    }

    /// Shard ids assigned to this source so far.
    pub(crate) fn known_ids(&self) -> Vec<String> {
        self.known.keys().cloned().collect()
    }

    fn round(&mut self) -> Result<(), SourceError> {
        if let Some(shards) = self.list()? {
            self.add(shards.iter().map(ShardDesc::from).collect());
            self.start_ready()?;
            self.check_end(&shards);
        }
        Ok(())
    }

    /// A reader read its shard to the end. `ChildShards` lets the children start without
    /// waiting for the next ListShards round; without them (kinesalite, or a server that
    /// ends an open shard) ListShards is asked at once, and a shard it still reports open
    /// with no child is treated as ended, with a warning.
    fn finished(&mut self, shard_id: &str, children: Vec<ChildShard>) -> Result<(), SourceError> {
        if let Some(k) = self.known.get_mut(shard_id) {
            k.status = Status::Finished;
        }
        if !children.is_empty() {
            self.add(children.iter().map(ShardDesc::from).collect());
            return self.start_ready();
        }
        let Some(shards) = self.list()? else {
            return self.start_ready();
        };
        let has_child = shards.iter().any(|s| {
            s.parent_shard_id.as_deref() == Some(shard_id)
                || s.adjacent_parent_shard_id.as_deref() == Some(shard_id)
        });
        let listed_open = shards
            .iter()
            .any(|s| s.shard_id == shard_id && !s.is_closed());
        if !has_child && listed_open {
            self.childless.insert(shard_id.to_string());
            log::warn!(
                "shard {shard_id} of stream {}: GetRecords ended it (no NextShardIterator) without ChildShards while ListShards still reports it open; treating it as ended with no children",
                self.readers.stream
            );
            if let Some(k) = self.known.get(shard_id) {
                let sh = self.shared.lock().unwrap_or_else(|p| p.into_inner());
                sh.shards[k.slot]
                    .counters
                    .ended_without_children
                    .store(true, std::sync::atomic::Ordering::Relaxed);
            }
        }
        self.add(shards.iter().map(ShardDesc::from).collect());
        self.start_ready()?;
        self.check_end(&shards);
        Ok(())
    }

    /// Whether nothing will ever come: every shard this source reads finished, and the
    /// stream has no open shard left (apart from shards that ended without children). A
    /// stream on Kinesis always has an open shard, so a source normally never ends; but
    /// with parallelism > 1 a subtask whose shards all closed must not end while another
    /// shard is open, since a later reshard may assign it a child.
    fn ended(&self, listing: &[Shard]) -> bool {
        !self.known.is_empty()
            && self.known.values().all(|k| k.status == Status::Finished)
            && listing
                .iter()
                .all(|s| s.is_closed() || self.childless.contains(&s.shard_id))
    }

    /// Sends the end to the caller when [`Discovery::ended`].
    fn check_end(&mut self, listing: &[Shard]) {
        if self.end_sent || !self.ended(listing) {
            return;
        }
        self.end_sent = true;
        log::info!(
            "every shard of stream {} was read to its end and none is open: the source ends",
            self.readers.stream
        );
        reader::send_item(
            &self.readers.tx,
            &self.readers.close_rx,
            Item::Error(SourceError::Ended {
                stream: self.readers.stream.to_string(),
            }),
        );
    }

    /// Fails when parent links among the pending shards form a cycle (impossible on real
    /// Kinesis): none of them could ever start, and the source would wait silently.
    fn check_cycles(&self) -> Result<(), SourceError> {
        for (id, k) in &self.known {
            if k.status != Status::Pending {
                continue;
            }
            if let Some(mut shards) = self.cycle_through(id) {
                shards.sort();
                return Err(SourceError::ParentCycle {
                    stream: self.readers.stream.to_string(),
                    shards,
                });
            }
        }
        Ok(())
    }

    /// The pending shards of a parent-link cycle through `start`, if there is one (a
    /// depth-first walk over pending parents, keeping the path).
    fn cycle_through(&self, start: &str) -> Option<Vec<String>> {
        let pending = |id: &str| {
            self.known
                .get(id)
                .is_some_and(|k| k.status == Status::Pending)
        };
        let mut path: Vec<(&str, usize)> = vec![(start, 0)];
        let mut visited = std::collections::BTreeSet::from([start]);
        while let Some((node, next)) = path.last_mut() {
            let parents = &self.known[*node].parents;
            let Some(p) = parents.get(*next) else {
                path.pop();
                continue;
            };
            *next += 1;
            if p == start {
                return Some(path.iter().map(|(n, _)| n.to_string()).collect());
            }
            if pending(p) && visited.insert(p.as_str()) {
                path.push((p.as_str(), 0));
            }
        }
        None
    }

    /// The thread body in a consumer group (decisions D24): only lists the stream's shards
    /// for the lease coordinator, every discovery interval and whenever it asks (`wake`:
    /// a shard ended without ChildShards). The coordinator decides what is read.
    pub(crate) fn run_lister(self, listings: Sender<Vec<Shard>>, wake: Receiver<()>) {
        let interval = self.interval.max(MIN_DISCOVERY_INTERVAL);
        let close_rx = self.readers.close_rx.clone();
        loop {
            select! {
                recv(close_rx) -> _ => return,
                recv(wake) -> w => if w.is_err() { return },
                default(interval) => {}
            }
            match self.list() {
                Ok(Some(shards)) => {
                    if listings.send(shards).is_err() {
                        return;
                    }
                }
                Ok(None) => {}
                Err(e) => {
                    log::error!(
                        "shard discovery of stream {} stopped: {e}",
                        self.readers.stream
                    );
                    reader::send_item(&self.readers.tx, &close_rx, Item::Error(e));
                    return;
                }
            }
        }
    }

    /// The thread body: periodic discovery, plus reader events.
    pub(crate) fn run(mut self) {
        let interval = self.interval.max(MIN_DISCOVERY_INTERVAL);
        let mut next = Instant::now() + interval;
        let close_rx = self.readers.close_rx.clone();
        loop {
            let wait = next.saturating_duration_since(Instant::now());
            let result = select! {
                recv(self.events) -> ev => match ev {
                    Ok(Event::Finished { shard_id, children }) => {
                        self.finished(&shard_id, children)
                    }
                    Err(_) => Ok(()),
                },
                recv(close_rx) -> _ => return,
                default(wait) => {
                    let r = self.round();
                    next = Instant::now() + interval;
                    r
                }
            };
            if let Err(e) = result {
                log::error!(
                    "shard discovery of stream {} stopped: {e}",
                    self.readers.stream
                );
                reader::send_item(&self.readers.tx, &close_rx, Item::Error(e));
                return;
            }
        }
    }
}
