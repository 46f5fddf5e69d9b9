//! One lease as the KCL 2.x lease table stores it (`DynamoDBLeaseSerializer`): the item's
//! attributes, read and written here only.
//!
//! | attribute | type | meaning |
//! |---|---|---|
//! | `leaseKey` | S | the shard id (the table's hash key) |
//! | `leaseOwner` | S | the worker holding it; absent when free |
//! | `leaseCounter` | N | bumped by every write of the protocol (renew, take, checkpoint, release) |
//! | `checkpoint` | S | a sequence number (processed through), or `TRIM_HORIZON`, `LATEST`, `AT_TIMESTAMP`, `SHARD_END` |
//! | `checkpointSubSequenceNumber` | N | the KPL user record processed through (0 for a plain record) |
//! | `ownerSwitchesSinceCheckpoint` | N | takes by another worker since the last checkpoint |
//! | `parentShardId` | SS | the shard's parents (absent when none: DynamoDB has no empty sets) |
//! | `childShardIds` | SS | its children, written with `SHARD_END` when known |
//! | `startingHashKey`, `endingHashKey` | S | its hash key range, decimal |
//! | `checkpointTimestampMillis` | N | ours: the time of an `AT_TIMESTAMP` start (KCL keeps it in its configuration) |

use kinesis_wire::dynamodb::{AttributeValue, Item, ItemExt};

pub(crate) const KEY: &str = "leaseKey";
pub(crate) const OWNER: &str = "leaseOwner";
pub(crate) const COUNTER: &str = "leaseCounter";
pub(crate) const CHECKPOINT: &str = "checkpoint";
pub(crate) const SUB_SEQUENCE: &str = "checkpointSubSequenceNumber";
pub(crate) const OWNER_SWITCHES: &str = "ownerSwitchesSinceCheckpoint";
pub(crate) const PARENTS: &str = "parentShardId";
pub(crate) const CHILDREN: &str = "childShardIds";
pub(crate) const STARTING_HASH_KEY: &str = "startingHashKey";
pub(crate) const ENDING_HASH_KEY: &str = "endingHashKey";
pub(crate) const TIMESTAMP: &str = "checkpointTimestampMillis";

/// KCL's sentinel checkpoints.
pub(crate) const TRIM_HORIZON: &str = "TRIM_HORIZON";
pub(crate) const LATEST: &str = "LATEST";
pub(crate) const AT_TIMESTAMP: &str = "AT_TIMESTAMP";
pub(crate) const SHARD_END: &str = "SHARD_END";

/// A lease's `checkpoint` (with its sub-sequence number and our timestamp).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum LeaseCheckpoint {
    /// Nothing processed yet; start at the oldest record.
    TrimHorizon,
    /// Nothing processed yet; start at the newest (written by the KCL only: we write
    /// `AT_TIMESTAMP` with the time instead, so a lease that waits loses nothing).
    Latest,
    /// Nothing processed yet; start at this time (`None`: written by the KCL, the time is
    /// the reader's configuration).
    AtTimestamp(Option<i64>),
    /// Processed through this record: KCL's `ExtendedSequenceNumber` (the sub-sequence
    /// number is the KPL user record's index, 0 for a plain record).
    Sequence {
        sequence_number: String,
        sub_sequence_number: i64,
    },
    /// The shard was read to its end and processed.
    ShardEnd,
}

impl LeaseCheckpoint {
    /// The `checkpoint` and `checkpointSubSequenceNumber` attribute values.
    pub(crate) fn text(&self) -> (&str, i64) {
        match self {
            LeaseCheckpoint::TrimHorizon => (TRIM_HORIZON, 0),
            LeaseCheckpoint::Latest => (LATEST, 0),
            LeaseCheckpoint::AtTimestamp(_) => (AT_TIMESTAMP, 0),
            LeaseCheckpoint::Sequence {
                sequence_number,
                sub_sequence_number,
            } => (sequence_number, *sub_sequence_number),
            LeaseCheckpoint::ShardEnd => (SHARD_END, 0),
        }
    }

    fn parse(text: &str, sub: i64, timestamp: Option<i64>) -> Result<LeaseCheckpoint, String> {
        Ok(match text {
            TRIM_HORIZON => LeaseCheckpoint::TrimHorizon,
            LATEST => LeaseCheckpoint::Latest,
            AT_TIMESTAMP => LeaseCheckpoint::AtTimestamp(timestamp),
            SHARD_END => LeaseCheckpoint::ShardEnd,
            seq if !seq.is_empty() && seq.len() <= 128 && seq.bytes().all(|b| b.is_ascii_digit()) => {
                LeaseCheckpoint::Sequence {
                    sequence_number: seq.to_string(),
                    sub_sequence_number: sub,
                }
            }
            other => {
                return Err(format!(
                    "attribute {CHECKPOINT} holds {other:?}: neither a sequence number nor TRIM_HORIZON, LATEST, AT_TIMESTAMP or SHARD_END"
                ))
            }
        })
    }
}

/// One lease item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Lease {
    pub key: String,
    pub owner: Option<String>,
    pub counter: u64,
    pub checkpoint: LeaseCheckpoint,
    pub owner_switches: u64,
    pub parents: Vec<String>,
    pub children: Vec<String>,
    pub hash_range: Option<(u128, u128)>,
}

impl Lease {
    /// A new, unowned lease of a shard.
    pub(crate) fn new(
        key: impl Into<String>,
        parents: Vec<String>,
        hash_range: Option<(u128, u128)>,
        checkpoint: LeaseCheckpoint,
    ) -> Lease {
        Lease {
            key: key.into(),
            owner: None,
            counter: 0,
            checkpoint,
            owner_switches: 0,
            parents,
            children: Vec::new(),
            hash_range,
        }
    }

    /// Whether the shard was read to its end (`SHARD_END`).
    pub(crate) fn is_finished(&self) -> bool {
        self.checkpoint == LeaseCheckpoint::ShardEnd
    }

    /// The whole item, as `DynamoDBLeaseSerializer.toDynamoRecord` writes it.
    pub(crate) fn to_item(&self) -> Item {
        let mut item = Item::new();
        item.insert(KEY.into(), self.key.as_str().into());
        item.insert(COUNTER.into(), self.counter.into());
        if let Some(owner) = &self.owner {
            item.insert(OWNER.into(), owner.as_str().into());
        }
        item.insert(OWNER_SWITCHES.into(), self.owner_switches.into());
        put_checkpoint(&mut item, &self.checkpoint);
        if !self.parents.is_empty() {
            item.insert(
                PARENTS.into(),
                AttributeValue::string_set(self.parents.iter().cloned()),
            );
        }
        if !self.children.is_empty() {
            item.insert(
                CHILDREN.into(),
                AttributeValue::string_set(self.children.iter().cloned()),
            );
        }
        if let Some((lo, hi)) = self.hash_range {
            item.insert(STARTING_HASH_KEY.into(), lo.to_string().into());
            item.insert(ENDING_HASH_KEY.into(), hi.to_string().into());
        }
        item
    }

    /// Reads an item; the error names the attribute at fault.
    pub(crate) fn from_item(item: &Item) -> Result<Lease, String> {
        let key = item.get_s(KEY).map_err(|e| e.to_string())?.to_string();
        let bad = |e: kinesis_wire::dynamodb::AttributeError| format!("lease {key}: {e}");
        let owner = item.opt_s(OWNER).map_err(bad)?.map(str::to_string);
        let counter = item.opt_u64(COUNTER).map_err(bad)?.unwrap_or(0);
        let text = item.opt_s(CHECKPOINT).map_err(bad)?.unwrap_or(TRIM_HORIZON);
        let sub = item.opt_i64(SUB_SEQUENCE).map_err(bad)?.unwrap_or(0);
        let timestamp = item.opt_i64(TIMESTAMP).map_err(bad)?;
        let checkpoint = LeaseCheckpoint::parse(text, sub, timestamp)
            .map_err(|e| format!("lease {key}: {e}"))?;
        let owner_switches = item.opt_u64(OWNER_SWITCHES).map_err(bad)?.unwrap_or(0);
        let set = |name: &str| -> Result<Vec<String>, String> {
            Ok(item
                .opt_ss(name)
                .map_err(bad)?
                .map(<[String]>::to_vec)
                .unwrap_or_default())
        };
        let parents = set(PARENTS)?;
        let children = set(CHILDREN)?;
        let hash = |name: &str| -> Result<Option<u128>, String> {
            match item.opt_s(name).map_err(bad)? {
                None => Ok(None),
                Some(v) => v.parse().map(Some).map_err(|_| {
                    format!("lease {key}: attribute {name} holds {v:?}, not a hash key")
                }),
            }
        };
        let hash_range = match (hash(STARTING_HASH_KEY)?, hash(ENDING_HASH_KEY)?) {
            (Some(lo), Some(hi)) => Some((lo, hi)),
            _ => None,
        };
        Ok(Lease {
            key,
            owner,
            counter,
            checkpoint,
            owner_switches,
            parents,
            children,
            hash_range,
        })
    }
}

/// Sets the checkpoint attributes of `item` (our timestamp only with `AT_TIMESTAMP`).
fn put_checkpoint(item: &mut Item, checkpoint: &LeaseCheckpoint) {
    let (text, sub) = checkpoint.text();
    item.insert(CHECKPOINT.into(), text.into());
    item.insert(SUB_SEQUENCE.into(), sub.into());
    if let LeaseCheckpoint::AtTimestamp(Some(ms)) = checkpoint {
        item.insert(TIMESTAMP.into(), (*ms).into());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn items_round_trip_in_the_kcl_schema() {
        let mut lease = Lease::new(
            "shardId-000000000002",
            vec!["shardId-000000000000".into(), "shardId-000000000001".into()],
            Some((0, u128::MAX)),
            LeaseCheckpoint::Sequence {
                sequence_number: "49590338271490256608559692538361571095921575989136588898".into(),
                sub_sequence_number: 3,
            },
        );
        lease.owner = Some("worker-1".into());
        lease.counter = 42;
        lease.owner_switches = 2;
        lease.children = vec!["shardId-000000000003".into()];
        let item = lease.to_item();
        let json = serde_json::to_value(&item).unwrap();
        assert_eq!(
            json["leaseKey"],
            serde_json::json!({"S": "shardId-000000000002"})
        );
        assert_eq!(json["leaseCounter"], serde_json::json!({"N": "42"}));
        assert_eq!(
            json["checkpointSubSequenceNumber"],
            serde_json::json!({"N": "3"})
        );
        assert_eq!(
            json["parentShardId"],
            serde_json::json!({"SS": ["shardId-000000000000", "shardId-000000000001"]})
        );
        assert_eq!(
            json["endingHashKey"],
            serde_json::json!({"S": "340282366920938463463374607431768211455"})
        );
        assert!(json.get("checkpointTimestampMillis").is_none());
        assert_eq!(Lease::from_item(&item).unwrap(), lease);

        // A new lease: no owner, no empty sets (DynamoDB refuses them).
        let fresh = Lease::new(
            "s",
            vec![],
            None,
            LeaseCheckpoint::AtTimestamp(Some(1_700_000_000_000)),
        );
        let item = fresh.to_item();
        assert!(
            !item.contains_key(OWNER)
                && !item.contains_key(PARENTS)
                && !item.contains_key(CHILDREN)
        );
        assert_eq!(item[CHECKPOINT], "AT_TIMESTAMP".into());
        assert_eq!(item[TIMESTAMP], 1_700_000_000_000i64.into());
        assert_eq!(Lease::from_item(&item).unwrap(), fresh);
    }

    #[test]
    fn kcl_sentinels_and_bad_items() {
        let item = |checkpoint: &str| {
            let mut i = Item::new();
            i.insert(KEY.into(), "s".into());
            i.insert(COUNTER.into(), 1u64.into());
            i.insert(CHECKPOINT.into(), checkpoint.into());
            i
        };
        assert_eq!(
            Lease::from_item(&item("LATEST")).unwrap().checkpoint,
            LeaseCheckpoint::Latest
        );
        assert_eq!(
            Lease::from_item(&item("AT_TIMESTAMP")).unwrap().checkpoint,
            LeaseCheckpoint::AtTimestamp(None)
        );
        assert!(Lease::from_item(&item("SHARD_END")).unwrap().is_finished());
        let e = Lease::from_item(&item("AT_SEQUENCE")).unwrap_err();
        assert!(
            e.contains("lease s: attribute checkpoint holds \"AT_SEQUENCE\""),
            "{e}"
        );
        let mut wrong = item("TRIM_HORIZON");
        wrong.insert(COUNTER.into(), "7".into());
        let e = Lease::from_item(&wrong).unwrap_err();
        assert_eq!(
            e,
            "lease s: attribute leaseCounter is of type S, expected N"
        );
    }
}
