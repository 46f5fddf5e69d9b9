//! The lease coordinator thread (`kinesis-leases`): runs the [`LeaseBook`] against the
//! [`LeaseStore`] and starts and stops the readers of the shards this source holds.
//!
//! Every `renew` interval it renews the held leases, scans the table (losing the leases the
//! scan shows taken), creates the leases the latest listing calls for, takes leases, and
//! starts the readers of held leases whose parents are finished. Every checkpoint interval
//! it writes the acknowledged positions (and `SHARD_END`). It wakes early for a lease
//! reaching its deadline, a listing, a reader that ended, or the source's close.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime};

use chrono::Utc;
use crossbeam_channel::{bounded, select, Receiver, Sender};
use kinesis_options::StartPosition;
use kinesis_wire::model::ChildShard;
use kinesis_wire::model::Shard;

use super::item::{Lease, LeaseCheckpoint};
use super::state::{LeaseBook, Settings};
use super::store::{LeaseStore, StoreError};
use super::sync::{plan_sync, InitialPosition, ListedShard};
use super::{EventLog, LeaseChange, LeaseEvent, SharedLog};
use crate::checkpoint::ShardPosition;
use crate::discovery::{register_slot, spawn_reader, ThreadList};
use crate::reader::{self, Event, Item, ReaderShared, ShardTask};
use crate::source::Shared;
use crate::SourceError;

/// How long `open` waits for a new lease table to become `ACTIVE`.
const TABLE_ACTIVE_TIMEOUT: Duration = Duration::from_secs(120);

/// What the source asks of the coordinator.
pub(crate) enum Command {
    /// Write the acknowledged positions, release every lease, answer, and stop.
    Close { reply: Sender<()> },
}

/// Everything the coordinator is built from.
pub(crate) struct CoordinatorParts {
    pub store: LeaseStore,
    pub settings: Settings,
    /// `scan.lease.renew-millis`.
    pub renew: Duration,
    /// `scan.lease.checkpoint-millis`.
    pub checkpoint_interval: Duration,
    /// `scan.stream.initpos`: where leases this worker creates start.
    pub start: StartPosition,
    /// When the source opened (epoch ms): a KCL `LATEST` lease starts there.
    pub opened_ms: i64,
    pub shared: Arc<Mutex<Shared>>,
    pub readers: Arc<ReaderShared>,
    pub handles: ThreadList,
    pub reader_events: Receiver<Event>,
    pub listings: Receiver<Vec<Shard>>,
    pub wake_lister: Sender<()>,
    pub commands: Receiver<Command>,
    pub log: SharedLog,
}

/// A held lease whose shard is being read.
struct Running {
    slot: usize,
    /// Dropping it stops the reader.
    stop: Sender<()>,
    /// The position last written to the lease (or the one it started from).
    written: ShardPosition,
    /// The children the reader reported at the shard's end.
    children: Vec<ChildShard>,
}

pub(crate) struct Coordinator {
    parts: CoordinatorParts,
    book: LeaseBook,
    rng: fastrand::Rng,
    running: BTreeMap<String, Running>,
    /// The latest listing, and whether it still needs a sync.
    listing: Vec<ListedShard>,
    sync_due: bool,
}

fn lock(m: &Mutex<Shared>) -> MutexGuard<'_, Shared> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Coordinator {
    /// Creates the lease table if it is missing, and the leases the first listing calls
    /// for; the first scan follows at once in [`Coordinator::run`].
    pub(crate) fn open(
        parts: CoordinatorParts,
        listing: &[Shard],
    ) -> Result<Coordinator, SourceError> {
        let book = LeaseBook::new(parts.settings.clone());
        let mut c = Coordinator {
            parts,
            book,
            rng: fastrand::Rng::new(),
            running: BTreeMap::new(),
            listing: listing.iter().map(ListedShard::from).collect(),
            sync_due: true,
        };
        c.fatal(c.parts.store.ensure_table(TABLE_ACTIVE_TIMEOUT))?;
        let now = Instant::now();
        let leases = c.fatal(c.parts.store.list())?;
        c.book.observe(leases, now);
        c.sync()?;
        log::info!(
            "consumer group {}: worker {} reads stream {} ({} leases in the table)",
            c.parts.store.table(),
            c.book.worker_id(),
            c.parts.readers.stream,
            c.book.leases().count()
        );
        Ok(c)
    }

    fn me(&self) -> &str {
        self.book.worker_id()
    }

    fn table(&self) -> &str {
        self.parts.store.table()
    }

    /// A store failure that stops the source.
    fn lease_error(&self, e: StoreError) -> SourceError {
        SourceError::Lease {
            table: self.table().to_string(),
            message: e.to_string(),
            cause: e.cause().map(|c| Box::new(c.clone())),
        }
    }

    fn fatal<T>(&self, r: Result<T, StoreError>) -> Result<T, SourceError> {
        r.map_err(|e| self.lease_error(e))
    }

    /// `Ok(None)` for a transient failure (logged; the next round tries again), an error
    /// for one that stops the source.
    fn tolerate<T>(&self, r: Result<T, StoreError>) -> Result<Option<T>, SourceError> {
        match r {
            Ok(v) => Ok(Some(v)),
            Err(e) if e.is_transient() => {
                log::warn!(
                    "consumer group {}: {e}; trying again at the next renewal (leases not renewed for scan.lease.failover-millis are given up)",
                    self.table()
                );
                Ok(None)
            }
            Err(e) => Err(self.lease_error(e)),
        }
    }

    fn event(&self, shard_id: &str, change: LeaseChange, previous_owner: Option<String>) {
        EventLog::push(
            &self.parts.log,
            LeaseEvent {
                shard_id: shard_id.to_string(),
                change,
                previous_owner,
                at: SystemTime::now(),
            },
        );
    }

    /// The thread body.
    pub(crate) fn run(mut self) {
        let mut next_renew = Instant::now();
        let mut next_checkpoint = Instant::now() + self.parts.checkpoint_interval;
        loop {
            let result = self.step(&mut next_renew, &mut next_checkpoint);
            if let Err(e) = result {
                log::error!("consumer group {} stopped: {e}", self.table());
                self.stop_all();
                reader::send_item(
                    &self.parts.readers.tx,
                    &self.parts.readers.close_rx,
                    Item::Error(e),
                );
                return;
            }
            let mut wake = next_renew.min(next_checkpoint);
            for key in self.book.held().keys() {
                if let Some(t) = self.book.valid_until(key) {
                    wake = wake.min(t);
                }
            }
            let wait = wake.saturating_duration_since(Instant::now());
            select! {
                recv(self.parts.commands) -> c => match c {
                    Ok(Command::Close { reply }) => {
                        self.close();
                        let _ = reply.send(());
                        return;
                    }
                    // The source was dropped without close: its leases expire.
                    Err(_) => {
                        self.stop_all();
                        return;
                    }
                },
                recv(self.parts.listings) -> l => if let Ok(shards) = l {
                    self.listing = shards.iter().map(ListedShard::from).collect();
                    self.sync_due = true;
                },
                recv(self.parts.reader_events) -> e => if let Ok(Event::Finished { shard_id, children }) = e {
                    self.reader_finished(&shard_id, children);
                },
                default(wait) => {}
            }
        }
    }

    fn step(
        &mut self,
        next_renew: &mut Instant,
        next_checkpoint: &mut Instant,
    ) -> Result<(), SourceError> {
        let now = Instant::now();
        for key in self.book.expired_held(now) {
            self.lose(&key, "it was not renewed within scan.lease.failover-millis");
        }
        if now >= *next_checkpoint {
            self.checkpoint_round()?;
            *next_checkpoint = Instant::now() + self.parts.checkpoint_interval;
        }
        if now >= *next_renew {
            self.renew_round()?;
            *next_renew = Instant::now() + self.parts.renew;
        }
        Ok(())
    }

    /// A reader read its shard to the end. The `SHARD_END` checkpoint waits until the caller
    /// acknowledged the shard's last record; without `ChildShards` the lister is asked for
    /// a listing now, so the children get leases soon.
    fn reader_finished(&mut self, shard_id: &str, children: Vec<ChildShard>) {
        if children.is_empty() {
            let _ = self.parts.wake_lister.try_send(());
        }
        if let Some(r) = self.running.get_mut(shard_id) {
            r.children = children;
        }
    }

    fn renew_round(&mut self) -> Result<(), SourceError> {
        let held: Vec<(String, u64)> = self
            .book
            .held()
            .iter()
            .map(|(k, h)| (k.clone(), h.counter))
            .collect();
        for (key, counter) in held {
            let sent = Instant::now();
            match self.tolerate(self.parts.store.renew(&key, self.me(), counter))? {
                Some(true) => {
                    self.book.wrote(&key, counter + 1, sent, |_| {});
                    self.extend(&key);
                }
                Some(false) => self.lose(&key, "another worker took it"),
                None => {}
            }
        }
        let Some(leases) = self.tolerate(self.parts.store.list())? else {
            return Ok(());
        };
        let at = Instant::now();
        for key in self.book.observe(leases, at) {
            self.lose(&key, "the table shows another owner");
        }
        if self.sync_due {
            self.sync()?;
        }
        self.take(at)?;
        self.start_ready()
    }

    /// Creates the leases the latest listing calls for, and deletes finished ones nothing
    /// waits for.
    fn sync(&mut self) -> Result<(), SourceError> {
        let leases: BTreeMap<String, Lease> = self
            .book
            .leases()
            .map(|l| (l.key.clone(), l.clone()))
            .collect();
        let initial = match self.parts.start {
            StartPosition::TrimHorizon => InitialPosition::TrimHorizon,
            StartPosition::AtTimestamp(t) => InitialPosition::AtTimestamp(t.timestamp_millis()),
            StartPosition::Latest => InitialPosition::Latest(Utc::now().timestamp_millis()),
        };
        let plan = plan_sync(&self.listing, &leases, initial);
        for lease in &plan.create {
            if self.tolerate(self.parts.store.create(lease))? == Some(true) {
                log::info!(
                    "consumer group {}: created the lease of shard {} ({:?})",
                    self.table(),
                    lease.key,
                    lease.checkpoint
                );
            }
        }
        for key in &plan.delete {
            if self.tolerate(self.parts.store.delete_finished(key))? == Some(true) {
                log::info!(
                    "consumer group {}: deleted the finished lease of shard {key}, gone from the stream",
                    self.table()
                );
            }
        }
        self.sync_due = false;
        Ok(())
    }

    /// Takes what the book plans.
    fn take(&mut self, at: Instant) -> Result<(), SourceError> {
        let listed: std::collections::BTreeSet<&str> =
            self.listing.iter().map(|s| s.shard_id.as_str()).collect();
        let eligible = |l: &Lease| {
            listed.is_empty()
                || listed.contains(l.key.as_str())
                || l.parents.iter().any(|p| listed.contains(p.as_str()))
        };
        let plan = self.book.plan(at, eligible, &mut self.rng);
        for t in plan {
            let sent = Instant::now();
            let Some(taken) = self.tolerate(self.parts.store.take(&t.lease, self.me()))? else {
                continue;
            };
            match taken {
                Some(lease) => {
                    let how = match (&t.lease.owner, t.stolen) {
                        (None, _) => "free".to_string(),
                        (Some(o), true) => format!("stolen from {o} to balance the group"),
                        (Some(o), false) => format!("expired, held by {o}"),
                    };
                    log::info!(
                        "consumer group {}: took the lease of shard {} ({how})",
                        self.table(),
                        lease.key
                    );
                    self.event(&lease.key, LeaseChange::Gained, t.lease.owner.clone());
                    self.book.took(lease, sent);
                }
                None => log::debug!(
                    "consumer group {}: another worker took the lease of shard {} first",
                    self.table(),
                    t.lease.key
                ),
            }
        }
        Ok(())
    }

    /// Starts the readers of held leases whose parents are finished.
    fn start_ready(&mut self) -> Result<(), SourceError> {
        let ready: Vec<Lease> = self
            .book
            .held()
            .keys()
            .filter(|k| !self.running.contains_key(*k))
            .filter_map(|k| self.book.lease(k))
            .filter(|l| self.book.parents_done(l))
            .cloned()
            .collect();
        for lease in ready {
            let start = self.start_position(&lease);
            let valid_until = self.book.valid_until(&lease.key);
            let (slot, counters) = register_slot(
                &self.parts.shared,
                &self.parts.readers.stream,
                &lease.key,
                lease.parents.clone(),
                start.clone(),
                valid_until,
            );
            let (stop, stop_rx) = bounded(0);
            let task = ShardTask {
                slot,
                shard_id: Arc::from(lease.key.as_str()),
                hash_range: lease.hash_range,
                start: start.clone(),
                counters,
                stop: stop_rx,
            };
            spawn_reader(&self.parts.readers, &self.parts.handles, task)?;
            self.running.insert(
                lease.key.clone(),
                Running {
                    slot,
                    stop,
                    written: start,
                    children: Vec::new(),
                },
            );
        }
        Ok(())
    }

    /// Where a lease's shard starts: right after its checkpoint, or at its start sentinel.
    fn start_position(&self, lease: &Lease) -> ShardPosition {
        match &lease.checkpoint {
            LeaseCheckpoint::TrimHorizon => ShardPosition::TrimHorizon,
            LeaseCheckpoint::AtTimestamp(Some(ms)) => {
                ShardPosition::AtTimestamp { epoch_millis: *ms }
            }
            LeaseCheckpoint::AtTimestamp(None) => match self.parts.start {
                StartPosition::AtTimestamp(t) => ShardPosition::AtTimestamp {
                    epoch_millis: t.timestamp_millis(),
                },
                _ => {
                    log::warn!(
                        "consumer group {}: the lease of shard {} says AT_TIMESTAMP without a time (a KCL lease) and scan.stream.initpos is not AT_TIMESTAMP: reading it from TRIM_HORIZON",
                        self.table(),
                        lease.key
                    );
                    ShardPosition::TrimHorizon
                }
            },
            LeaseCheckpoint::Latest => ShardPosition::AtTimestamp {
                epoch_millis: self.parts.opened_ms,
            },
            LeaseCheckpoint::Sequence {
                sequence_number,
                sub_sequence_number,
            } => ShardPosition::Sequence {
                sequence_number: sequence_number.clone(),
                sub_sequence_number: (*sub_sequence_number).max(0),
            },
            LeaseCheckpoint::ShardEnd => ShardPosition::ShardEnd,
        }
    }

    /// The lease's new deadline, for the caller's side.
    fn extend(&mut self, key: &str) {
        let Some(slot) = self.running.get(key).map(|r| r.slot) else {
            return;
        };
        let until = self.book.valid_until(key);
        let revoked = {
            let mut sh = lock(&self.parts.shared);
            let slot = &mut sh.shards[slot];
            slot.valid_until = until;
            slot.revoked
        };
        if revoked {
            // The caller's side found the deadline passed before this renewal came back:
            // the shard stopped there, so the lease goes too.
            self.lose(key, "it expired before its renewal came back");
        }
    }

    /// Stops reading a lease's shard: its reader ends and nothing queued of it is handed
    /// out.
    fn stop_shard(&mut self, key: &str) {
        if let Some(r) = self.running.remove(key) {
            lock(&self.parts.shared).revoke(r.slot);
            drop(r.stop);
        }
    }

    fn lose(&mut self, key: &str, why: &str) {
        if self.book.drop_lease(key, |_| {}).is_none() {
            return;
        }
        let was_reading = self.running.contains_key(key);
        self.stop_shard(key);
        log::warn!(
            "consumer group {}: lost the lease of shard {key}: {why}; {}",
            self.table(),
            if was_reading {
                "its reader stopped and what it had not handed out was dropped"
            } else {
                "it was not being read yet"
            }
        );
        self.event(key, LeaseChange::Lost, None);
    }

    /// Writes the acknowledged position of every shard being read that moved, and
    /// `SHARD_END` for shards acknowledged to their end.
    fn checkpoint_round(&mut self) -> Result<(), SourceError> {
        // A reader's end event comes right after its last page: take it first, so SHARD_END
        // carries the children.
        while let Ok(Event::Finished { shard_id, children }) = self.parts.reader_events.try_recv() {
            self.reader_finished(&shard_id, children);
        }
        let acked: Vec<(String, ShardPosition)> = {
            let sh = lock(&self.parts.shared);
            self.running
                .iter()
                .filter(|(_, r)| !sh.shards[r.slot].revoked)
                .map(|(k, r)| (k.clone(), sh.shards[r.slot].acked.clone()))
                .filter(|(k, p)| *p != self.running[k].written)
                .collect()
        };
        for (key, position) in acked {
            let Some(counter) = self.book.held().get(&key).map(|h| h.counter) else {
                continue;
            };
            match &position {
                ShardPosition::Sequence {
                    sequence_number,
                    sub_sequence_number,
                } => {
                    let cp = LeaseCheckpoint::Sequence {
                        sequence_number: sequence_number.clone(),
                        sub_sequence_number: (*sub_sequence_number).max(0),
                    };
                    let sent = Instant::now();
                    match self.tolerate(self.parts.store.checkpoint(
                        &key,
                        self.me(),
                        counter,
                        &cp,
                    ))? {
                        Some(true) => {
                            self.book
                                .wrote(&key, counter + 1, sent, |l| l.checkpoint = cp);
                            if let Some(r) = self.running.get_mut(&key) {
                                r.written = position.clone();
                            }
                            self.extend(&key);
                        }
                        Some(false) => self.lose(&key, "its checkpoint found another owner"),
                        None => {}
                    }
                }
                ShardPosition::ShardEnd => self.finish(&key, counter)?,
                _ => {}
            }
        }
        Ok(())
    }

    /// The shard was read to its end and acknowledged: its children get leases (when the
    /// reader saw them), then `SHARD_END` is written and the lease given up.
    fn finish(&mut self, key: &str, counter: u64) -> Result<(), SourceError> {
        let children = self
            .running
            .get(key)
            .map(|r| r.children.clone())
            .unwrap_or_default();
        for c in &children {
            let child = ListedShard::from(c);
            let lease = Lease::new(
                child.shard_id.clone(),
                child.parents.clone(),
                child.hash_range,
                LeaseCheckpoint::TrimHorizon,
            );
            if self.tolerate(self.parts.store.create(&lease))?.is_none() {
                // Not created: SHARD_END waits, so no child can start before its lease
                // exists (the next round tries again).
                return Ok(());
            }
        }
        let ids: Vec<String> = children.iter().map(|c| c.shard_id.clone()).collect();
        match self.tolerate(self.parts.store.finish(key, self.me(), counter, &ids))? {
            Some(true) => {
                self.book.drop_lease(key, |l| {
                    l.checkpoint = LeaseCheckpoint::ShardEnd;
                    l.owner = None;
                    l.counter = counter + 1;
                    l.children = ids.clone();
                });
                if let Some(r) = self.running.remove(key) {
                    drop(r.stop);
                }
                log::info!(
                    "consumer group {}: shard {key} read to its end; SHARD_END written, children [{}]",
                    self.table(),
                    ids.join(", ")
                );
                self.event(key, LeaseChange::Finished, None);
                // A held child of this shard may start now.
                self.start_ready()?;
            }
            Some(false) => self.lose(key, "its SHARD_END checkpoint found another owner"),
            None => {}
        }
        Ok(())
    }

    /// The source closes: last checkpoints, then every lease released.
    fn close(&mut self) {
        if let Err(e) = self.checkpoint_round() {
            log::warn!(
                "consumer group {}: last checkpoint on close failed: {e}",
                self.table()
            );
        }
        let held: Vec<(String, u64)> = self
            .book
            .held()
            .iter()
            .map(|(k, h)| (k.clone(), h.counter))
            .collect();
        for (key, counter) in held {
            self.stop_shard(&key);
            match self.parts.store.release(&key, self.me(), counter) {
                Ok(true) => {
                    self.book.drop_lease(&key, |l| l.owner = None);
                    log::info!("consumer group {}: released the lease of shard {key}", self.table());
                    self.event(&key, LeaseChange::Released, None);
                }
                Ok(false) => {
                    self.book.drop_lease(&key, |_| {});
                    self.event(&key, LeaseChange::Lost, None);
                }
                Err(e) => log::warn!(
                    "consumer group {}: cannot release the lease of shard {key} (it expires after scan.lease.failover-millis): {e}",
                    self.table()
                ),
            }
        }
    }

    /// Stops every reader (the source stops; leases expire).
    fn stop_all(&mut self) {
        let keys: Vec<String> = self.running.keys().cloned().collect();
        for key in keys {
            self.stop_shard(&key);
        }
    }
}
