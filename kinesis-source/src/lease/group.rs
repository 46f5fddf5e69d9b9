//! [`ConsumerGroup`]: a consumer group's lease table for tools (the CLI's `kinesis group`):
//! its leases and how live they are, rewriting every checkpoint, deleting the table.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use kinesis_options::{LeaseOptions, TableDef};
use kinesis_wire::dynamodb::DynamoDbClient;
use kinesis_wire::{Backoff, KinesisClient, RetryPolicy, Shutdown};

use super::item::{Lease, LeaseCheckpoint};
use super::store::{LeaseStore, StoreError};
use crate::{ShardPosition, SourceError};

/// How often [`ConsumerGroup::observe`] scans the table.
const OBSERVE_EVERY: Duration = Duration::from_millis(250);

/// How live a lease looked while it was observed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum LeaseState {
    /// No owner: the next worker to scan the table takes it.
    Free,
    /// The shard was read to its end (`SHARD_END`); nobody reads it again.
    Finished,
    /// Owned, and its counter moved while observed: its owner is alive. Unless renewed
    /// again, it expires within `expires_in`.
    Live {
        /// At most this long until it expires (`scan.lease.failover-millis` after the
        /// last renewal seen).
        expires_in: Duration,
    },
    /// Owned, but its counter did not move in the `observed` time: its owner stopped (or
    /// stalls). It expires within `expires_in` of the end of the observation (zero: it is
    /// expired, and any worker may take it).
    NotRenewed {
        /// How long it was watched without a renewal.
        observed: Duration,
        /// At most this long until it expires.
        expires_in: Duration,
    },
    /// Owned; not observed long enough to tell (one scan).
    Owned,
}

/// One lease of a consumer group, as stored (the KCL 2.x schema).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct LeaseInfo {
    /// The shard (`leaseKey`).
    pub shard_id: String,
    /// The worker holding it (`leaseOwner`).
    pub owner: Option<String>,
    /// `leaseCounter`.
    pub counter: u64,
    /// `checkpoint` as stored: a sequence number, `TRIM_HORIZON`, `AT_TIMESTAMP`, `LATEST`
    /// or `SHARD_END`.
    pub checkpoint: String,
    /// `checkpointSubSequenceNumber`.
    pub checkpoint_sub_sequence_number: i64,
    /// The time of an `AT_TIMESTAMP` checkpoint, epoch milliseconds (ours; the KCL's own
    /// leases have none).
    pub checkpoint_timestamp_millis: Option<i64>,
    /// `ownerSwitchesSinceCheckpoint`.
    pub owner_switches_since_checkpoint: u64,
    /// `parentShardId`.
    pub parent_shard_ids: Vec<String>,
    /// `childShardIds`.
    pub child_shard_ids: Vec<String>,
    /// How live it looked.
    pub state: LeaseState,
}

impl LeaseInfo {
    fn from_lease(l: &Lease, state: LeaseState) -> LeaseInfo {
        let (text, sub) = l.checkpoint.text();
        LeaseInfo {
            shard_id: l.key.clone(),
            owner: l.owner.clone(),
            counter: l.counter,
            checkpoint: text.to_string(),
            checkpoint_sub_sequence_number: sub,
            checkpoint_timestamp_millis: match l.checkpoint {
                LeaseCheckpoint::AtTimestamp(t) => t,
                _ => None,
            },
            owner_switches_since_checkpoint: l.owner_switches,
            parent_shard_ids: l.parents.clone(),
            child_shard_ids: l.children.clone(),
            state,
        }
    }
}

/// The lease table of the group a table's `scan.lease.*` options name.
///
/// ```no_run
/// use kinesis_options::TableDef;
/// use kinesis_source::{ConsumerGroup, ShardPosition};
/// use std::time::Duration;
/// let table = TableDef::from_ddl("CREATE TABLE t (data BYTES) WITH ('connector' = 'kinesis',
///     'stream' = 'orders', 'format' = 'raw', 'aws.region' = 'us-east-1',
///     'scan.lease.table' = 'orders-app')")?;
/// let group = ConsumerGroup::open(&table)?;
/// for lease in group.observe(Duration::from_secs(4))? {
///     println!("{} {:?} {} {:?}", lease.shard_id, lease.owner, lease.checkpoint, lease.state);
/// }
/// // Read everything again (refused while a member holds a live lease).
/// group.reset(&ShardPosition::TrimHorizon, false)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct ConsumerGroup {
    store: LeaseStore,
    options: LeaseOptions,
}

/// The DynamoDB client of a lease table: `scan.lease.endpoint` and `scan.lease.region`
/// (default the table's region), on the Kinesis client's transport and credentials.
pub(crate) fn lease_store(
    kinesis: &KinesisClient,
    options: &LeaseOptions,
    shutdown: Shutdown,
) -> Result<LeaseStore, SourceError> {
    let client = DynamoDbClient::from_kinesis(
        kinesis,
        options.endpoint.as_deref(),
        options.region.as_deref(),
    )
    .map_err(|e| SourceError::Lease {
        table: options.table.clone(),
        message: "creating the DynamoDB client".into(),
        cause: Some(Box::new(e)),
    })?;
    // Short retries: a renewal that waits long is worth less than the next round's.
    let policy = RetryPolicy::new(
        3,
        Backoff::new(Duration::from_millis(50), Duration::from_millis(400), 2.0),
    );
    Ok(LeaseStore::new(client, &options.table, policy, shutdown))
}

impl ConsumerGroup {
    /// The group of `table` (its `scan.lease.table`), with the table's credentials, region
    /// and `scan.lease.endpoint`. Nothing is called yet.
    pub fn open(table: &TableDef) -> Result<ConsumerGroup, SourceError> {
        let options = table
            .source_options()
            .lease
            .clone()
            .ok_or_else(|| SourceError::Config {
                message: "scan.lease.table is not set: the table names no consumer group".into(),
            })?;
        let kinesis =
            KinesisClient::new(table.source_client_config()).map_err(|e| SourceError::Kinesis {
                context: "creating the Kinesis client".into(),
                error: Box::new(e),
            })?;
        let store = lease_store(&kinesis, &options, Shutdown::new())?;
        Ok(ConsumerGroup { store, options })
    }

    /// The group's name: its lease table.
    pub fn name(&self) -> &str {
        self.store.table()
    }

    /// The DynamoDB endpoint of the lease table.
    pub fn endpoint(&self) -> &str {
        self.store.client().endpoint()
    }

    fn error(&self, e: StoreError) -> SourceError {
        SourceError::Lease {
            table: self.name().to_string(),
            message: e.to_string(),
            cause: e.cause().map(|c| Box::new(c.clone())),
        }
    }

    /// Whether the lease table exists.
    pub fn exists(&self) -> Result<bool, SourceError> {
        self.store.exists().map_err(|e| self.error(e))
    }

    fn list(&self) -> Result<Vec<Lease>, SourceError> {
        if !self.exists()? {
            return Err(SourceError::Lease {
                table: self.name().to_string(),
                message: format!(
                    "there is no consumer group {} (no such lease table)",
                    self.name()
                ),
                cause: None,
            });
        }
        self.store.list().map_err(|e| self.error(e))
    }

    /// Every lease, from one scan (owned leases are [`LeaseState::Owned`]).
    pub fn leases(&self) -> Result<Vec<LeaseInfo>, SourceError> {
        Ok(self
            .list()?
            .iter()
            .map(|l| LeaseInfo::from_lease(l, first_state(l)))
            .collect())
    }

    /// Every lease, watched for up to `window` (scans every 250 ms) to tell live owners
    /// from stopped ones, by the KCL's rule: a live owner moves the counter every
    /// `scan.lease.renew-millis`. Returns as soon as every owned lease moved. A window of
    /// `scan.lease.failover-millis` proves a lease that did not move expired.
    pub fn observe(&self, window: Duration) -> Result<Vec<LeaseInfo>, SourceError> {
        self.watch(window, false)
    }

    fn watch(&self, window: Duration, stop_at_live: bool) -> Result<Vec<LeaseInfo>, SourceError> {
        let start = Instant::now();
        let first = self.list()?;
        let failover = self.options.failover;
        // The last counter seen and when it last moved, per owned, unfinished lease.
        let mut moved: BTreeMap<String, (u64, Option<Instant>)> = first
            .iter()
            .filter(|l| l.owner.is_some() && !l.is_finished())
            .map(|l| (l.key.clone(), (l.counter, None)))
            .collect();
        let mut latest = first;
        loop {
            let all_seen_live = moved.values().all(|(_, t)| t.is_some());
            let one_seen_live = moved.values().any(|(_, t)| t.is_some());
            // Done when nothing is owned, the window is over, every owner was seen
            // renewing, or (for a reset) one was.
            if moved.is_empty()
                || start.elapsed() >= window
                || all_seen_live
                || (stop_at_live && one_seen_live)
            {
                break;
            }
            std::thread::sleep(OBSERVE_EVERY.min(window.saturating_sub(start.elapsed())));
            latest = self.list()?;
            let now = Instant::now();
            for l in &latest {
                if let Some((counter, t)) = moved.get_mut(&l.key) {
                    if l.counter != *counter {
                        *counter = l.counter;
                        *t = Some(now);
                    }
                }
            }
        }
        let observed = start.elapsed();
        let now = Instant::now();
        Ok(latest
            .iter()
            .map(|l| {
                let state = match (first_state(l), moved.get(&l.key)) {
                    (LeaseState::Owned, Some((_, Some(t)))) => LeaseState::Live {
                        expires_in: failover.saturating_sub(now - *t),
                    },
                    (LeaseState::Owned, Some((_, None))) if observed > Duration::ZERO => {
                        LeaseState::NotRenewed {
                            observed,
                            expires_in: failover.saturating_sub(observed),
                        }
                    }
                    (s, _) => s,
                };
                LeaseInfo::from_lease(l, state)
            })
            .collect())
    }

    /// Rewrites every lease's checkpoint to `position` ([`ShardPosition::TrimHorizon`] or
    /// [`ShardPosition::AtTimestamp`]) and frees it, so the group reads from there: finished
    /// shards included (children wait for their parents again). Without `force` it is
    /// refused while a member holds a live lease, which takes up to
    /// `scan.lease.failover-millis` to rule out when leases are owned (a stopped member's
    /// leases must expire first; a gracefully closed member released its own). Returns
    /// how many leases were rewritten.
    pub fn reset(&self, position: &ShardPosition, force: bool) -> Result<usize, SourceError> {
        let checkpoint = match position {
            ShardPosition::TrimHorizon => LeaseCheckpoint::TrimHorizon,
            ShardPosition::AtTimestamp { epoch_millis } => {
                LeaseCheckpoint::AtTimestamp(Some(*epoch_millis))
            }
            other => {
                return Err(SourceError::Config {
                    message: format!(
                        "a consumer group is reset to TRIM_HORIZON or a time, not to {other:?}"
                    ),
                })
            }
        };
        if !force {
            let window = self.options.failover + OBSERVE_EVERY;
            let live: Vec<LeaseInfo> = self
                .watch(window, true)?
                .into_iter()
                .filter(|l| matches!(l.state, LeaseState::Live { .. }))
                .collect();
            if let Some(l) = live.first() {
                return Err(SourceError::Lease {
                    table: self.name().to_string(),
                    message: format!(
                        "not reset: worker {} holds a live lease (shard {}); stop the group's readers first, or force it (they then lose their leases and read from the new position)",
                        l.owner.as_deref().unwrap_or("?"),
                        l.shard_id
                    ),
                    cause: None,
                });
            }
        }
        let mut done = 0;
        for lease in self.list()? {
            let mut seen = lease;
            let mut attempts = 0;
            loop {
                attempts += 1;
                if self
                    .store
                    .reset(&seen, &checkpoint)
                    .map_err(|e| self.error(e))?
                {
                    done += 1;
                    break;
                }
                // Its counter moved (a member renewed it): read it again and retry.
                match self.store.get(&seen.key).map_err(|e| self.error(e))? {
                    Some(now) if attempts < 10 => seen = now,
                    Some(_) => {
                        return Err(SourceError::Lease {
                            table: self.name().to_string(),
                            message: format!(
                            "lease of shard {} kept changing: reset stopped after {done} leases",
                            seen.key
                        ),
                            cause: None,
                        })
                    }
                    None => break,
                }
            }
        }
        Ok(done)
    }

    /// Deletes the lease table (the group and every position in it); `false` when it did
    /// not exist. Members still reading fail with [`SourceError::Lease`].
    pub fn delete(&self) -> Result<bool, SourceError> {
        self.store.delete_table().map_err(|e| self.error(e))
    }
}

/// A lease's state from one scan.
fn first_state(l: &Lease) -> LeaseState {
    if l.is_finished() {
        LeaseState::Finished
    } else if l.owner.is_none() {
        LeaseState::Free
    } else {
        LeaseState::Owned
    }
}
