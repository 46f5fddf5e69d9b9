//! The lease table over [`DynamoDbClient`]: every write of the protocol, each conditional
//! as the KCL's `DynamoDBLeaseRefresher` makes it, and each bumping `leaseCounter`.
//!
//! | write | condition | changes |
//! |---|---|---|
//! | create | no item with this key | the whole item |
//! | take | counter = seen | owner := me, counter + 1, owner switches + 1 when taken from another |
//! | renew | counter = mine, owner = me | counter + 1 |
//! | checkpoint | counter = mine, owner = me | checkpoint, sub-sequence, owner switches := 0, counter + 1 |
//! | finish | counter = mine, owner = me | `SHARD_END`, children, counter + 1, no owner |
//! | release | counter = mine, owner = me | counter + 1, no owner (the KCL's evict) |
//! | reset | counter = seen | checkpoint, counter + 1, no owner |
//!
//! A write that is retried after its answer was lost can find its own first attempt
//! applied, and then its condition fails: every `ConditionFailed` is followed by a read of
//! the item, and the write counts as applied when the item is exactly what it would have
//! written (the KCL does this for renewals).

use std::fmt;
use std::time::Duration;

use kinesis_wire::dynamodb::{
    key, AttributeValue, CreateTableInput, CreateTableOutcome, DeleteItemInput, DynamoDbClient,
    GetItemInput, PutItemInput, ReturnValues, ScanInput, UpdateItemInput, WriteOutcome,
};
use kinesis_wire::{KinesisError, RetryPolicy, Shutdown};

use super::item::*;

/// A lease-table call that failed for good, or an item that is not a lease.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum StoreError {
    Call {
        action: String,
        error: Box<KinesisError>,
    },
    BadItem(String),
    NotALeaseTable(String),
}

impl StoreError {
    /// Whether trying again later may help (throttling, 5xx, a transport failure, after
    /// the retries); otherwise the table is gone, access is denied, or it is not ours.
    pub(crate) fn is_transient(&self) -> bool {
        match self {
            StoreError::Call { error, .. } => {
                error.is_retryable() || matches!(**error, KinesisError::Interrupted { .. })
            }
            _ => false,
        }
    }

    /// The DynamoDB error, if the failure was a call.
    pub(crate) fn cause(&self) -> Option<&KinesisError> {
        match self {
            StoreError::Call { error, .. } => Some(error),
            _ => None,
        }
    }
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreError::Call { action, error } => write!(f, "{action}: {error}"),
            StoreError::BadItem(m) | StoreError::NotALeaseTable(m) => f.write_str(m),
        }
    }
}

/// The lease table.
#[derive(Debug, Clone)]
pub(crate) struct LeaseStore {
    client: DynamoDbClient,
    table: String,
    policy: RetryPolicy,
    shutdown: Shutdown,
}

/// `#name` placeholders of every attribute, so that no expression meets a reserved word.
fn names<T>(mut input: T, set: impl Fn(T, &str, &str) -> T) -> T {
    for (p, a) in [
        ("#k", KEY),
        ("#owner", OWNER),
        ("#counter", COUNTER),
        ("#cp", CHECKPOINT),
        ("#sub", SUB_SEQUENCE),
        ("#switches", OWNER_SWITCHES),
        ("#children", CHILDREN),
        ("#ts", TIMESTAMP),
    ] {
        input = set(input, p, a);
    }
    input
}

/// Keeps only the placeholders an expression uses (DynamoDB refuses unused ones).
fn used_names(input: &mut UpdateItemInput) {
    let text = format!(
        "{} {}",
        input.update_expression,
        input.condition_expression.as_deref().unwrap_or("")
    );
    input.expression_attribute_names.retain(|p, _| {
        text.split(|c: char| !(c.is_alphanumeric() || c == '#'))
            .any(|w| w == p)
    });
}

impl LeaseStore {
    pub(crate) fn new(
        client: DynamoDbClient,
        table: &str,
        policy: RetryPolicy,
        shutdown: Shutdown,
    ) -> LeaseStore {
        LeaseStore {
            client,
            table: table.to_string(),
            policy,
            shutdown,
        }
    }

    pub(crate) fn table(&self) -> &str {
        &self.table
    }

    pub(crate) fn client(&self) -> &DynamoDbClient {
        &self.client
    }

    fn call<T>(
        &self,
        action: &str,
        op: impl FnMut(u32) -> Result<T, KinesisError>,
    ) -> Result<T, StoreError> {
        self.policy
            .run(&self.shutdown, op)
            .map_err(|e| StoreError::Call {
                action: format!("{action} on lease table {}", self.table),
                error: Box::new(e),
            })
    }

    /// Creates the table (on demand, hash key `leaseKey`) unless it exists, and waits up to
    /// `timeout` until it is `ACTIVE`. A table with another key is not a lease table.
    pub(crate) fn ensure_table(&self, timeout: Duration) -> Result<(), StoreError> {
        let exists = self.call("DescribeTable", |_| self.client.describe_table(&self.table))?;
        if exists.is_none() {
            let created = self.call("CreateTable", |_| {
                self.client
                    .create_table(&CreateTableInput::new(&self.table, KEY))
            })?;
            if let CreateTableOutcome::Created(_) = created {
                log::info!("created lease table {}", self.table);
            }
        }
        let t = self
            .client
            .wait_for_table_active(&self.table, timeout)
            .map_err(|e| StoreError::Call {
                action: format!("waiting for lease table {} to be ACTIVE", self.table),
                error: Box::new(e),
            })?;
        match t.hash_key() {
            Some((k, "S")) if k == KEY => Ok(()),
            other => Err(StoreError::NotALeaseTable(format!(
                "table {} is not a lease table: its hash key is {}, not {KEY} (S)",
                self.table,
                match other {
                    Some((k, t)) => format!("{k} ({t})"),
                    None => "missing".into(),
                }
            ))),
        }
    }

    /// Whether the table exists (any state).
    pub(crate) fn exists(&self) -> Result<bool, StoreError> {
        Ok(self
            .call("DescribeTable", |_| self.client.describe_table(&self.table))?
            .is_some())
    }

    /// Deletes the table; `false` when there was none.
    pub(crate) fn delete_table(&self) -> Result<bool, StoreError> {
        Ok(self
            .call("DeleteTable", |_| self.client.delete_table(&self.table))?
            .is_some())
    }

    /// Every lease, read consistently.
    pub(crate) fn list(&self) -> Result<Vec<Lease>, StoreError> {
        let items = self
            .client
            .scan_all(
                &ScanInput::new(&self.table).consistent(),
                &self.policy,
                &self.shutdown,
            )
            .map_err(|e| StoreError::Call {
                action: format!("Scan of lease table {}", self.table),
                error: Box::new(e),
            })?;
        items
            .iter()
            .map(|i| Lease::from_item(i).map_err(|m| self.bad(m)))
            .collect()
    }

    fn bad(&self, message: String) -> StoreError {
        StoreError::BadItem(format!("lease table {}: {message}", self.table))
    }

    /// One lease, read consistently.
    pub(crate) fn get(&self, shard_id: &str) -> Result<Option<Lease>, StoreError> {
        let input = GetItemInput::new(&self.table, key(KEY, shard_id)).consistent();
        match self.call("GetItem", |_| self.client.get_item(&input))? {
            None => Ok(None),
            Some(item) => Lease::from_item(&item).map(Some).map_err(|m| self.bad(m)),
        }
    }

    /// Creates `lease` unless one with its key exists; `true` when this call created it.
    pub(crate) fn create(&self, lease: &Lease) -> Result<bool, StoreError> {
        let input = PutItemInput::new(&self.table, lease.to_item())
            .condition("attribute_not_exists(#k)")
            .name("#k", KEY);
        Ok(self
            .call("PutItem", |_| self.client.put_item(&input))?
            .is_applied())
    }

    /// An update conditional on the counter (and the owner, when `owner` is given).
    fn update(
        &self,
        shard_id: &str,
        set: &str,
        remove: &[&str],
        counter: u64,
        owner: Option<&str>,
    ) -> UpdateItemInput {
        let mut expression = format!("SET {set}, #counter = :next");
        if !remove.is_empty() {
            expression.push_str(" REMOVE ");
            expression.push_str(&remove.join(", "));
        }
        let mut input = UpdateItemInput::new(&self.table, key(KEY, shard_id), expression)
            .value(":seen", counter)
            .value(":next", counter + 1)
            .return_values(ReturnValues::AllNew);
        input = match owner {
            Some(me) => input
                .condition("#counter = :seen AND #owner = :me")
                .value(":me", me),
            None => input.condition("#counter = :seen"),
        };
        input = names(input, |i, p, a| i.name(p, a));
        used_names(&mut input);
        input
    }

    /// Runs a conditional update; on a failed condition reads the item and counts the write
    /// as applied when `applied` says the item is what it would have written.
    fn write(
        &self,
        input: &UpdateItemInput,
        applied: impl Fn(&Lease) -> bool,
    ) -> Result<Option<Lease>, StoreError> {
        match self.call("UpdateItem", |_| self.client.update_item(input))? {
            WriteOutcome::Applied(Some(item)) => {
                Lease::from_item(&item).map(Some).map_err(|m| self.bad(m))
            }
            WriteOutcome::Applied(None) => self.get(&shard_of(input)),
            WriteOutcome::ConditionFailed(_) => match self.get(&shard_of(input))? {
                Some(l) if applied(&l) => {
                    log::info!(
                        "lease {}: the write's condition failed but the item is as it would have written (a retried call found its first attempt applied)",
                        l.key
                    );
                    Ok(Some(l))
                }
                _ => Ok(None),
            },
        }
    }

    /// Takes `seen` for `me` (its counter must not have moved since it was seen). The
    /// lease as written, or `None` when another worker got there first.
    pub(crate) fn take(&self, seen: &Lease, me: &str) -> Result<Option<Lease>, StoreError> {
        let switch = seen.owner.as_deref().is_some_and(|o| o != me);
        let set = if switch {
            "#owner = :me, #switches = if_not_exists(#switches, :zero) + :one"
        } else {
            "#owner = :me"
        };
        let mut input = self
            .update(&seen.key, set, &[], seen.counter, None)
            .value(":me", me);
        if switch {
            input = input.value(":zero", 0u64).value(":one", 1u64);
        }
        let next = seen.counter + 1;
        self.write(&input, |l| {
            l.owner.as_deref() == Some(me) && l.counter == next
        })
    }

    /// Renews a held lease; `false` when it was lost.
    pub(crate) fn renew(&self, shard_id: &str, me: &str, counter: u64) -> Result<bool, StoreError> {
        // `SET` needs one assignment besides the counter: the owner, unchanged.
        let input = self.update(shard_id, "#owner = :me", &[], counter, Some(me));
        Ok(self
            .write(&input, |l| {
                l.owner.as_deref() == Some(me) && l.counter == counter + 1
            })?
            .is_some())
    }

    /// Writes a checkpoint of a held lease; `false` when it was lost.
    pub(crate) fn checkpoint(
        &self,
        shard_id: &str,
        me: &str,
        counter: u64,
        checkpoint: &LeaseCheckpoint,
    ) -> Result<bool, StoreError> {
        let (text, sub) = checkpoint.text();
        let mut set = "#cp = :cp, #sub = :sub, #switches = :zero".to_string();
        let mut remove: Vec<&str> = Vec::new();
        if let LeaseCheckpoint::AtTimestamp(Some(_)) = checkpoint {
            set.push_str(", #ts = :ts");
        } else {
            remove.push("#ts");
        }
        let mut input = self
            .update(shard_id, &set, &remove, counter, Some(me))
            .value(":cp", text)
            .value(":sub", sub)
            .value(":zero", 0u64);
        if let LeaseCheckpoint::AtTimestamp(Some(ms)) = checkpoint {
            input = input.value(":ts", *ms);
        }
        Ok(self
            .write(&input, |l| {
                l.owner.as_deref() == Some(me)
                    && l.counter == counter + 1
                    && l.checkpoint == *checkpoint
            })?
            .is_some())
    }

    /// Writes `SHARD_END` (and the children, when known) and gives the lease up; `false`
    /// when it was lost.
    pub(crate) fn finish(
        &self,
        shard_id: &str,
        me: &str,
        counter: u64,
        children: &[String],
    ) -> Result<bool, StoreError> {
        let mut set = "#cp = :cp, #sub = :zero, #switches = :zero".to_string();
        if !children.is_empty() {
            set.push_str(", #children = :children");
        }
        let mut input = self
            .update(shard_id, &set, &["#owner", "#ts"], counter, Some(me))
            .value(":cp", SHARD_END)
            .value(":zero", 0u64);
        if !children.is_empty() {
            input = input.value(
                ":children",
                AttributeValue::string_set(children.iter().cloned()),
            );
        }
        Ok(self
            .write(&input, |l| {
                l.owner.is_none() && l.counter == counter + 1 && l.is_finished()
            })?
            .is_some())
    }

    /// Gives a held lease up (the KCL's evict), so another worker takes it at once;
    /// `false` when it was lost already.
    pub(crate) fn release(
        &self,
        shard_id: &str,
        me: &str,
        counter: u64,
    ) -> Result<bool, StoreError> {
        // `SET` needs one assignment besides the counter: the owner switches, unchanged.
        let input = self
            .update(
                shard_id,
                "#switches = if_not_exists(#switches, :zero)",
                &["#owner"],
                counter,
                Some(me),
            )
            .value(":zero", 0u64);
        Ok(self
            .write(&input, |l| l.owner.is_none() && l.counter == counter + 1)?
            .is_some())
    }

    /// Rewrites the checkpoint of `seen` whoever holds it, and frees it (`group reset`);
    /// `false` when its counter moved since it was seen.
    pub(crate) fn reset(
        &self,
        seen: &Lease,
        checkpoint: &LeaseCheckpoint,
    ) -> Result<bool, StoreError> {
        let (text, sub) = checkpoint.text();
        let mut set = "#cp = :cp, #sub = :sub, #switches = :zero".to_string();
        let mut remove = vec!["#owner"];
        if let LeaseCheckpoint::AtTimestamp(Some(_)) = checkpoint {
            set.push_str(", #ts = :ts");
        } else {
            remove.push("#ts");
        }
        let mut input = self
            .update(&seen.key, &set, &remove, seen.counter, None)
            .value(":cp", text)
            .value(":sub", sub)
            .value(":zero", 0u64);
        if let LeaseCheckpoint::AtTimestamp(Some(ms)) = checkpoint {
            input = input.value(":ts", *ms);
        }
        let next = seen.counter + 1;
        Ok(self
            .write(&input, |l| {
                l.owner.is_none() && l.counter == next && l.checkpoint == *checkpoint
            })?
            .is_some())
    }

    /// Deletes a finished lease whose shard is gone from the stream; `false` when it is
    /// not finished (or not there).
    pub(crate) fn delete_finished(&self, shard_id: &str) -> Result<bool, StoreError> {
        let input = DeleteItemInput::new(&self.table, key(KEY, shard_id))
            .condition("#cp = :end")
            .name("#cp", CHECKPOINT)
            .value(":end", SHARD_END);
        Ok(self
            .call("DeleteItem", |_| self.client.delete_item(&input))?
            .is_applied())
    }
}

/// The shard id an update is about.
fn shard_of(input: &UpdateItemInput) -> String {
    match input.key.get(KEY) {
        Some(AttributeValue::S(s)) => s.clone(),
        _ => String::new(),
    }
}

/// Against dynalite (`DYNALITE_ENDPOINT`, set by `scripts/test`).
#[cfg(test)]
mod tests {
    use std::sync::{Arc, Barrier};

    use kinesis_tests::dynalite::{self, TempTable};

    use super::*;

    fn store(table: &TempTable) -> LeaseStore {
        LeaseStore::new(
            table.client.clone(),
            &table.name,
            RetryPolicy::default(),
            Shutdown::new(),
        )
    }

    fn owned(key: &str, owner: &str, counter: u64) -> Lease {
        let mut l = Lease::new(key, vec![], None, LeaseCheckpoint::TrimHorizon);
        l.owner = Some(owner.into());
        l.counter = counter;
        l
    }

    #[test]
    fn two_workers_taking_the_same_expired_lease_at_once_exactly_one_wins() {
        let ep = dynalite::endpoint();
        let table = TempTable::create(&dynalite::client(&ep), "race", KEY);
        let s = store(&table);
        const LEASES: usize = 20;
        let dead: Vec<Lease> = (0..LEASES)
            .map(|i| owned(&format!("shardId-{i:012}"), "dead", 7))
            .collect();
        for l in &dead {
            assert!(s.create(l).unwrap());
        }
        // Both workers saw every lease with counter 7 and take each at the same moment.
        let barrier = Arc::new(Barrier::new(2));
        let racers: Vec<_> = ["a", "b"]
            .into_iter()
            .map(|me| {
                let (s, dead, barrier) = (s.clone(), dead.clone(), barrier.clone());
                std::thread::spawn(move || {
                    dead.iter()
                        .map(|l| {
                            barrier.wait();
                            s.take(l, me).unwrap().map(|won| (won.key, me))
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        let results: Vec<Vec<Option<(String, &str)>>> =
            racers.into_iter().map(|r| r.join().unwrap()).collect();
        let mut wins = [0, 0];
        for i in 0..LEASES {
            let (a, b) = (&results[0][i], &results[1][i]);
            assert!(a.is_some() != b.is_some(), "lease {i}: a {a:?}, b {b:?}");
            let winner = a.as_ref().or(b.as_ref()).unwrap().1;
            wins[usize::from(winner == "b")] += 1;
            let stored = s.get(&dead[i].key).unwrap().unwrap();
            assert_eq!(stored.owner.as_deref(), Some(winner));
            assert_eq!(stored.counter, 8);
            assert_eq!(stored.owner_switches, 1, "taken from another owner");
        }
        println!("race: a won {} leases, b won {}", wins[0], wins[1]);
    }

    #[test]
    fn every_write_is_conditional_on_counter_and_owner() {
        let ep = dynalite::endpoint();
        let table = TempTable::create(&dynalite::client(&ep), "writes", KEY);
        let s = store(&table);
        let fresh = Lease::new(
            "s1",
            vec!["s0".into()],
            Some((0, 99)),
            LeaseCheckpoint::AtTimestamp(Some(5)),
        );
        assert!(s.create(&fresh).unwrap());
        assert!(!s.create(&fresh).unwrap(), "exists already");
        let taken = s.take(&fresh, "a").unwrap().unwrap();
        assert_eq!(
            (taken.owner.as_deref(), taken.counter, taken.owner_switches),
            (Some("a"), 1, 0)
        );
        assert_eq!(taken.parents, ["s0"]);
        // A stale take (counter 0) fails.
        assert_eq!(s.take(&fresh, "b").unwrap(), None);
        // Renewals need the counter and the owner.
        assert!(s.renew("s1", "a", 1).unwrap());
        assert!(!s.renew("s1", "b", 2).unwrap(), "not the owner");
        assert!(!s.renew("s1", "a", 0).unwrap(), "stale counter");
        // A retried renewal that finds its own first attempt applied (the same call again:
        // its condition fails, the item is what it wrote) counts as applied.
        assert!(s.renew("s1", "a", 1).unwrap(), "a's own write, seen again");
        assert!(s.renew("s1", "a", 2).unwrap());
        assert_eq!(s.get("s1").unwrap().unwrap().counter, 3);
        // Checkpoints: the sequence replaces the timestamp start.
        let cp = LeaseCheckpoint::Sequence {
            sequence_number: "4960".into(),
            sub_sequence_number: 2,
        };
        assert!(s.checkpoint("s1", "a", 3, &cp).unwrap());
        let l = s.get("s1").unwrap().unwrap();
        assert_eq!((l.checkpoint.clone(), l.counter), (cp.clone(), 4));
        assert!(!s.checkpoint("s1", "b", 4, &cp).unwrap());
        // Stolen by b: a's next write fails, b's owner switch is counted.
        let stolen = s.take(&l, "b").unwrap().unwrap();
        assert_eq!((stolen.owner_switches, stolen.counter), (1, 5));
        assert!(!s.renew("s1", "a", 4).unwrap());
        // b releases it: no owner, counter moved; a checkpoint resets the owner switches.
        assert!(s.checkpoint("s1", "b", 5, &cp).unwrap());
        assert!(s.release("s1", "b", 6).unwrap());
        let l = s.get("s1").unwrap().unwrap();
        assert_eq!((l.owner.clone(), l.counter, l.owner_switches), (None, 7, 0));
        // Finish: SHARD_END, children, no owner.
        let l = s.take(&l, "a").unwrap().unwrap();
        assert!(s
            .finish("s1", "a", l.counter, &["s2".into(), "s3".into()])
            .unwrap());
        let l = s.get("s1").unwrap().unwrap();
        assert!(l.is_finished() && l.owner.is_none());
        assert_eq!(l.children, ["s2", "s3"]);
        // Reset frees and rewrites whatever holds it, if its counter did not move.
        assert!(s.reset(&l, &LeaseCheckpoint::TrimHorizon).unwrap());
        let later = LeaseCheckpoint::AtTimestamp(Some(9));
        assert!(!s.reset(&l, &later).unwrap(), "counter moved");
        assert_eq!(
            s.get("s1").unwrap().unwrap().checkpoint,
            LeaseCheckpoint::TrimHorizon
        );
        // Only finished leases are deleted.
        assert!(!s.delete_finished("s1").unwrap());
        assert_eq!(s.list().unwrap().len(), 1);
    }

    #[test]
    fn a_table_with_another_key_is_not_a_lease_table() {
        let ep = dynalite::endpoint();
        let table = TempTable::create(&dynalite::client(&ep), "notlease", "id");
        let e = store(&table)
            .ensure_table(Duration::from_secs(30))
            .unwrap_err();
        assert!(
            e.to_string()
                .contains("its hash key is id (S), not leaseKey (S)"),
            "{e}"
        );
        assert!(!e.is_transient());
    }
}
