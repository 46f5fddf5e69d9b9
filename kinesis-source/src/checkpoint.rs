//! Per-shard positions (reference §5.8), serialisable as JSON.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// A checkpoint text that [`Checkpoint::from_json`] cannot read: what is wrong and where.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct CheckpointError {
    /// 1-based line of the fault (0 when the text ended early).
    pub line: usize,
    /// 1-based column of the fault.
    pub column: usize,
    /// What is wrong (the JSON reader's words, with the position).
    pub message: String,
}

impl std::fmt::Display for CheckpointError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "not a checkpoint: {}", self.message)
    }
}

impl std::error::Error for CheckpointError {}

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
#[non_exhaustive]
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

impl ShardState {
    /// The position of `shard_id` of `stream` (no parents recorded).
    ///
    /// ```
    /// use kinesis_source::{ShardPosition, ShardState};
    /// let s = ShardState::new("orders", "shardId-000000000000", ShardPosition::TrimHorizon);
    /// assert!(s.parent_shard_ids.is_empty());
    /// ```
    pub fn new(
        stream: impl Into<String>,
        shard_id: impl Into<String>,
        position: ShardPosition,
    ) -> ShardState {
        ShardState {
            stream: stream.into(),
            shard_id: shard_id.into(),
            parent_shard_ids: Vec::new(),
            position,
        }
    }
}

/// The state of a source: one entry per shard it reads (Flink's union-list state
/// `Kinesis-Stream-Shard-State`), plus the enhanced fan-out consumer ARNs in use.
///
/// ```
/// use kinesis_source::{Checkpoint, ShardPosition, ShardState};
/// let cp = Checkpoint::new(vec![ShardState::new(
///     "orders",
///     "shardId-000000000000",
///     ShardPosition::Sequence { sequence_number: "4959".into(), sub_sequence_number: -1 },
/// )]);
/// let json = cp.to_json();
/// assert!(json.contains(r#""type":"SEQUENCE""#));
/// assert_eq!(Checkpoint::from_json(&json).unwrap(), cp);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Checkpoint {
    /// Shard positions.
    pub shards: Vec<ShardState>,
    /// Enhanced fan-out consumer ARN by stream name (decisions D18).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub consumer_arns: BTreeMap<String, String>,
}

impl Checkpoint {
    /// A checkpoint of these shard positions (no EFO consumer).
    ///
    /// ```
    /// use kinesis_source::{Checkpoint, ShardPosition, ShardState};
    /// let cp = Checkpoint::new(vec![ShardState::new("s", "a", ShardPosition::ShardEnd)]);
    /// assert_eq!(cp.shards.len(), 1);
    /// ```
    pub fn new(shards: Vec<ShardState>) -> Checkpoint {
        Checkpoint {
            shards,
            consumer_arns: BTreeMap::new(),
        }
    }

    /// The checkpoint as one line of JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a checkpoint always serialises")
    }

    /// Parses [`Checkpoint::to_json`] output.
    ///
    /// ```
    /// use kinesis_source::Checkpoint;
    /// let e = Checkpoint::from_json("{\"shards\": 3}").unwrap_err();
    /// assert_eq!((e.line, e.column), (1, 12));
    /// assert!(e.to_string().starts_with("not a checkpoint: "), "{e}");
    /// ```
    pub fn from_json(text: &str) -> Result<Checkpoint, CheckpointError> {
        serde_json::from_str(text).map_err(|e| CheckpointError {
            line: e.line(),
            column: e.column(),
            message: e.to_string(),
        })
    }

    /// The union of the checkpoints of several subtasks (Flink restores every subtask from
    /// the union, whatever the new parallelism). When two entries name the same shard, a
    /// finished one wins, then one with a sequence number.
    ///
    /// ```
    /// use kinesis_source::{Checkpoint, ShardPosition, ShardState};
    /// let a = Checkpoint::new(vec![ShardState::new("s", "a", ShardPosition::TrimHorizon)]);
    /// let b = Checkpoint::new(vec![ShardState::new("s", "b", ShardPosition::ShardEnd)]);
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
