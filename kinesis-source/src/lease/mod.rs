//! Consumer groups (decisions D24): processes share a stream through leases in a DynamoDB
//! table, with the KCL 2.x lease protocol and schema.
//!
//! With `scan.lease.table` set, a [`crate::KinesisSource`] reads only the shards whose lease
//! it holds. A coordinator thread (`kinesis-leases`) runs every `scan.lease.renew-millis`:
//! it renews the leases it holds, scans the table, takes unowned and expired leases up to a
//! fair share (ceil(leases / live workers), at most `scan.lease.max-leases-per-worker`),
//! and, when nothing is free and it is under its share, steals one lease from the most
//! loaded worker. Every write is conditional on the lease's counter (and owner) and bumps
//! the counter, so of two workers taking the same lease exactly one wins ([`store`]). A
//! lease whose counter did not move for `scan.lease.failover-millis` is expired ([`state`]).
//!
//! - **Start.** A shard is read once its lease is held and every parent lease has the
//!   checkpoint `SHARD_END` (or none exists): parents before children across processes.
//!   It starts after the lease's checkpoint; a lease without one (`TRIM_HORIZON`,
//!   `AT_TIMESTAMP`) starts at that position. Leases are created by whichever worker lists a
//!   shard first ([`sync`]): at `scan.stream.initpos` (`LATEST` is stored as `AT_TIMESTAMP`
//!   of that moment, so nothing is lost while a lease waits), children at `TRIM_HORIZON`.
//! - **Checkpoints.** Every `scan.lease.checkpoint-millis` the positions the caller
//!   acknowledged ([`crate::KinesisSource::ack`]) are written to the leases; when a shard was
//!   read to its end and acknowledged, `SHARD_END` is written with its children and the
//!   lease is given up.
//! - **Loss.** A lease is lost when a renewal or checkpoint finds its counter moved, a scan
//!   shows another owner, or its renewals failed for the failover time. Its reader stops at
//!   once and what it had not handed out is dropped: no record of a shard is handed out
//!   after the moment its lease could be taken by another worker. What was handed out but
//!   not checkpointed is read again by the next owner (at-least-once).
//! - **Close.** [`crate::KinesisSource::close`] writes the acknowledged positions and
//!   releases every lease, so the next owner starts exactly after them: a graceful hand-over
//!   repeats nothing. A dropped (or killed) source leaves its leases to expire.

mod coordinator;
pub(crate) mod group;
pub(crate) mod item;
pub(crate) mod state;
pub(crate) mod store;
pub(crate) mod sync;

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

pub(crate) use coordinator::{Command, Coordinator, CoordinatorParts};
pub use group::{ConsumerGroup, LeaseInfo, LeaseState};

/// What happened to one of this source's leases.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum LeaseChange {
    /// The lease was taken: free, expired, or stolen from a busier worker.
    Gained,
    /// The lease was lost (taken by another worker, or not renewed in time): its reader
    /// stopped and nothing more of the shard is handed out.
    Lost,
    /// The lease was given up on close, after its last checkpoint.
    Released,
    /// The shard was read to its end: `SHARD_END` was written and the lease given up.
    Finished,
}

/// One change of a lease held by this source; see [`crate::KinesisSource::lease_events`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct LeaseEvent {
    /// The shard.
    pub shard_id: String,
    /// What happened.
    pub change: LeaseChange,
    /// The worker that held the lease before a [`LeaseChange::Gained`] (`None` when it was
    /// free).
    pub previous_owner: Option<String>,
    /// When.
    pub at: SystemTime,
}

/// The events not yet taken by the caller (at most [`EventLog::CAPACITY`]).
#[derive(Debug, Default)]
pub(crate) struct EventLog {
    events: VecDeque<LeaseEvent>,
}

impl EventLog {
    const CAPACITY: usize = 4096;

    pub(crate) fn push(log: &Mutex<EventLog>, event: LeaseEvent) {
        let mut l = log.lock().unwrap_or_else(|p| p.into_inner());
        if l.events.len() == Self::CAPACITY {
            l.events.pop_front();
        }
        l.events.push_back(event);
    }

    pub(crate) fn take(log: &Mutex<EventLog>) -> Vec<LeaseEvent> {
        let mut l = log.lock().unwrap_or_else(|p| p.into_inner());
        l.events.drain(..).collect()
    }
}

/// The event log shared by the coordinator and the source.
pub(crate) type SharedLog = Arc<Mutex<EventLog>>;

/// The default worker id: the host name, the process id and a random suffix.
pub(crate) fn default_worker_id() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .or_else(|| std::env::var("COMPUTERNAME").ok())
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".into());
    format!("{host}-{}-{:08x}", std::process::id(), fastrand::u32(..))
}
