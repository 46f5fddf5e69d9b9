//! Per-shard positions (reference §5.8), serialisable as JSON.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Where a shard stands: a start sentinel while nothing of it was handed out, the last
/// record handed out, or finished.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ShardPosition {
    /// Nothing handed out yet; start at the oldest record (`EARLIEST_SEQUENCE_NUM`).
    TrimHorizon,
    /// Nothing handed out yet; start at this time (`AT_TIMESTAMP_SEQUENCE_NUM`). `LATEST`
    /// is stored this way too, with the time the source opened, so a restore loses nothing.
    AtTimestamp {
        /// Milliseconds since the epoch.
        epoch_millis: i64,
    },
    /// Nothing handed out yet; start at the record with this sequence number
    /// (`AT_SEQUENCE_NUMBER`, every sub-record of an aggregate included): the CLI's
    /// `read -o seq:N`.
    AtSequence {
        /// The first record's sequence number.
        sequence_number: String,
    },
    /// The last record handed out.
    Sequence {
        /// Its sequence number.
        sequence_number: String,
        /// Its sub-sequence number inside a KPL aggregate, `-1` for a plain record.
        sub_sequence_number: i64,
    },
    /// The shard is closed and was read to its end (`SHARD_ENDING_SEQUENCE_NUM`): it is
    /// never read again.
    ShardEnd,
}

/// The position of one shard.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShardState {
    /// The stream name.
    pub stream: String,
    /// The shard id.
    pub shard_id: String,
    /// The shard's parents (one after a split, two after a merge), for information.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub parent_shard_ids: Vec<String>,
    /// Where it stands.
    pub position: ShardPosition,
}

/// The state of a source: one entry per shard it reads (Flink's union-list state
/// `Kinesis-Stream-Shard-State`), plus the enhanced fan-out consumer ARNs in use.
///
/// ```
/// use kinesis_source::{Checkpoint, ShardPosition, ShardState};
/// let cp = Checkpoint {
///     shards: vec![ShardState {
///         stream: "orders".into(),
///         shard_id: "shardId-000000000000".into(),
///         parent_shard_ids: vec![],
///         position: ShardPosition::Sequence { sequence_number: "4959".into(), sub_sequence_number: -1 },
///     }],
///     ..Checkpoint::default()
/// };
/// let json = cp.to_json();
/// assert!(json.contains(r#""type":"SEQUENCE""#));
/// assert_eq!(Checkpoint::from_json(&json).unwrap(), cp);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Checkpoint {
    /// Shard positions.
    pub shards: Vec<ShardState>,
    /// Enhanced fan-out consumer ARN by stream name (decisions D18).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub consumer_arns: BTreeMap<String, String>,
}

impl Checkpoint {
    /// The checkpoint as one line of JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a checkpoint always serialises")
    }

    /// Parses [`Checkpoint::to_json`] output.
    pub fn from_json(text: &str) -> Result<Checkpoint, serde_json::Error> {
        serde_json::from_str(text)
    }

    /// The union of the checkpoints of several subtasks (Flink restores every subtask from
    /// the union, whatever the new parallelism). When two entries name the same shard, a
    /// finished one wins, then one with a sequence number.
    ///
    /// ```
    /// use kinesis_source::{Checkpoint, ShardPosition, ShardState};
    /// let a = Checkpoint { shards: vec![ShardState { stream: "s".into(), shard_id: "a".into(),
    ///     parent_shard_ids: vec![], position: ShardPosition::TrimHorizon }], ..Default::default() };
    /// let b = Checkpoint { shards: vec![ShardState { stream: "s".into(), shard_id: "b".into(),
    ///     parent_shard_ids: vec![], position: ShardPosition::ShardEnd }], ..Default::default() };
    /// assert_eq!(Checkpoint::union([a, b]).shards.len(), 2);
    /// ```
    pub fn union(parts: impl IntoIterator<Item = Checkpoint>) -> Checkpoint {
        fn rank(p: &ShardPosition) -> u8 {
            match p {
                ShardPosition::ShardEnd => 2,
                ShardPosition::Sequence { .. } => 1,
                _ => 0,
            }
        }
        let mut by_shard: BTreeMap<(String, String), ShardState> = BTreeMap::new();
        let mut arns = BTreeMap::new();
        for cp in parts {
            arns.extend(cp.consumer_arns);
            for s in cp.shards {
                let key = (s.stream.clone(), s.shard_id.clone());
                match by_shard.get(&key) {
                    Some(old) if rank(&old.position) > rank(&s.position) => {}
                    _ => {
                        by_shard.insert(key, s);
                    }
                }
            }
        }
        Checkpoint {
            shards: by_shard.into_values().collect(),
            consumer_arns: arns,
        }
    }

    /// The entry for one shard.
    pub fn get(&self, stream: &str, shard_id: &str) -> Option<&ShardState> {
        self.shards
            .iter()
            .find(|s| s.stream == stream && s.shard_id == shard_id)
    }
}
