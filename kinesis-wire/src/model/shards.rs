//! Shards and where to read them: ListShards, DescribeStream, GetShardIterator, and the
//! child shards GetRecords reports.

use serde::{Deserialize, Serialize};

use super::{null_default, StreamModeDetails, StreamRef, StreamStatus};

/// A shard's range of hash keys (decimal strings of 128-bit numbers).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
#[non_exhaustive]
pub struct HashKeyRange {
    /// First hash key (decimal).
    pub starting_hash_key: String,
    /// Last hash key (decimal, inclusive).
    pub ending_hash_key: String,
}

impl HashKeyRange {
    /// The range from `starting_hash_key` to `ending_hash_key` (decimal, inclusive).
    pub fn new(starting_hash_key: impl Into<String>, ending_hash_key: impl Into<String>) -> Self {
        HashKeyRange {
            starting_hash_key: starting_hash_key.into(),
            ending_hash_key: ending_hash_key.into(),
        }
    }

    /// The range as numbers, or `None` if a bound is not a decimal u128.
    ///
    /// ```
    /// use kinesis_wire::model::HashKeyRange;
    /// let r = HashKeyRange::new("0", "99");
    /// assert_eq!(r.bounds(), Some((0, 99)));
    /// assert!(r.contains(42) && !r.contains(100));
    /// ```
    pub fn bounds(&self) -> Option<(u128, u128)> {
        Some((
            self.starting_hash_key.parse().ok()?,
            self.ending_hash_key.parse().ok()?,
        ))
    }

    /// Whether `hash` falls inside the range (false if the bounds do not parse).
    pub fn contains(&self, hash: u128) -> bool {
        self.bounds().is_some_and(|(a, b)| a <= hash && hash <= b)
    }
}

/// A shard's sequence number range; `ending_sequence_number` is set once the shard is closed.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
#[non_exhaustive]
pub struct SequenceNumberRange {
    /// First sequence number of the shard.
    pub starting_sequence_number: String,
    /// Last sequence number; set once the shard is closed.
    #[serde(default)]
    pub ending_sequence_number: Option<String>,
}

impl SequenceNumberRange {
    /// The range of an open shard starting at `starting_sequence_number`.
    pub fn new(starting_sequence_number: impl Into<String>) -> Self {
        SequenceNumberRange {
            starting_sequence_number: starting_sequence_number.into(),
            ending_sequence_number: None,
        }
    }

    /// This range ending at `ending` (a closed shard).
    pub fn ending_sequence_number(mut self, ending: impl Into<String>) -> Self {
        self.ending_sequence_number = Some(ending.into());
        self
    }
}

/// A shard as ListShards / DescribeStream describe it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
#[non_exhaustive]
pub struct Shard {
    /// Shard id, e.g. `shardId-000000000000`.
    pub shard_id: String,
    /// The parent shard (split or merge), if any.
    #[serde(default)]
    pub parent_shard_id: Option<String>,
    /// The second parent of a merge, if any.
    #[serde(default)]
    pub adjacent_parent_shard_id: Option<String>,
    /// The hash-key range.
    pub hash_key_range: HashKeyRange,
    /// The sequence-number range.
    pub sequence_number_range: SequenceNumberRange,
}

impl Shard {
    /// A shard with no parent.
    ///
    /// ```
    /// use kinesis_wire::model::{HashKeyRange, SequenceNumberRange, Shard};
    /// let s = Shard::new("shardId-000000000002", HashKeyRange::new("0", "9"),
    ///     SequenceNumberRange::new("1").ending_sequence_number("5"))
    ///     .parent_shard_id("shardId-000000000000");
    /// assert!(s.is_closed());
    /// ```
    pub fn new(
        shard_id: impl Into<String>,
        hash_key_range: HashKeyRange,
        sequence_number_range: SequenceNumberRange,
    ) -> Self {
        Shard {
            shard_id: shard_id.into(),
            parent_shard_id: None,
            adjacent_parent_shard_id: None,
            hash_key_range,
            sequence_number_range,
        }
    }

    /// This shard with a parent (a split's or a merge's first parent).
    pub fn parent_shard_id(mut self, id: impl Into<String>) -> Self {
        self.parent_shard_id = Some(id.into());
        self
    }

    /// This shard with a merge's second parent.
    pub fn adjacent_parent_shard_id(mut self, id: impl Into<String>) -> Self {
        self.adjacent_parent_shard_id = Some(id.into());
        self
    }

    /// Whether the shard is closed (has an ending sequence number).
    pub fn is_closed(&self) -> bool {
        self.sequence_number_range.ending_sequence_number.is_some()
    }
}

/// ListShards `ShardFilter.Type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[non_exhaustive]
pub enum ShardFilterType {
    /// Shards after `shard_id`.
    AfterShardId,
    /// Shards open at the trim horizon.
    AtTrimHorizon,
    /// Every shard from the trim horizon on.
    FromTrimHorizon,
    /// Only the currently open shards.
    AtLatest,
    /// Shards open at `timestamp`.
    AtTimestamp,
    /// Shards open at or after `timestamp`.
    FromTimestamp,
}

/// ListShards `ShardFilter`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
#[non_exhaustive]
pub struct ShardFilter {
    /// The filter `Type`.
    #[serde(rename = "Type")]
    pub filter_type: ShardFilterType,
    /// For `AFTER_SHARD_ID`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shard_id: Option<String>,
    /// For `AT_TIMESTAMP` / `FROM_TIMESTAMP`, epoch seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<f64>,
}

impl ShardFilter {
    /// A filter of this type (set `shard_id` or `timestamp` for the types that need one).
    pub fn new(filter_type: ShardFilterType) -> Self {
        ShardFilter {
            filter_type,
            shard_id: None,
            timestamp: None,
        }
    }

    /// This filter with the shard id of `AFTER_SHARD_ID`.
    pub fn shard_id(mut self, id: impl Into<String>) -> Self {
        self.shard_id = Some(id.into());
        self
    }

    /// This filter with the time (epoch seconds) of `AT_TIMESTAMP` / `FROM_TIMESTAMP`.
    pub fn timestamp(mut self, epoch_seconds: f64) -> Self {
        self.timestamp = Some(epoch_seconds);
        self
    }
}

/// ListShards input. Either `stream` (first page) or `next_token` (later pages) is set; AWS
/// rejects both together.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
#[serde(rename_all = "PascalCase")]
#[non_exhaustive]
pub struct ListShardsInput {
    /// The stream, by name (default) or ARN.
    #[serde(flatten)]
    pub stream: Option<StreamRef>,
    /// Paging token from the previous page (`None`: first page, or no more pages).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
    /// List shards after this shard id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exclusive_start_shard_id: Option<String>,
    /// Page size limit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_results: Option<u32>,
    /// Which shards to list (AWS `ShardFilter`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shard_filter: Option<ShardFilter>,
    /// When the stream was created, epoch seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stream_creation_timestamp: Option<f64>,
}

impl ListShardsInput {
    /// The first page for `stream`, no filter.
    ///
    /// ```
    /// use kinesis_wire::model::{ListShardsInput, ShardFilter, ShardFilterType};
    /// let first = ListShardsInput::for_stream("orders")
    ///     .max_results(100)
    ///     .shard_filter(ShardFilter::new(ShardFilterType::AtLatest));
    /// let next = ListShardsInput::next_page("token").max_results(100);
    /// assert!(first.next_token.is_none() && next.stream.is_none());
    /// ```
    pub fn for_stream(stream: impl Into<StreamRef>) -> Self {
        ListShardsInput {
            stream: Some(stream.into()),
            ..Default::default()
        }
    }

    /// A later page: only the token of the page before (AWS rejects a stream with it).
    pub fn next_page(next_token: impl Into<String>) -> Self {
        ListShardsInput {
            next_token: Some(next_token.into()),
            ..Default::default()
        }
    }

    /// This input listing shards after `shard_id`.
    pub fn exclusive_start_shard_id(mut self, shard_id: impl Into<String>) -> Self {
        self.exclusive_start_shard_id = Some(shard_id.into());
        self
    }

    /// This input with a page size limit.
    pub fn max_results(mut self, n: u32) -> Self {
        self.max_results = Some(n);
        self
    }

    /// This input listing only the shards `filter` selects.
    pub fn shard_filter(mut self, filter: ShardFilter) -> Self {
        self.shard_filter = Some(filter);
        self
    }
}

/// ListShards output.
#[derive(Debug, Clone, PartialEq, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
#[non_exhaustive]
pub struct ListShardsOutput {
    /// Shards of this page.
    #[serde(default, deserialize_with = "null_default")]
    pub shards: Vec<Shard>,
    /// Paging token from the previous page (`None`: first page, or no more pages).
    #[serde(default)]
    pub next_token: Option<String>,
}
/// DescribeStream input.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
#[non_exhaustive]
pub struct DescribeStreamInput {
    /// The stream, by name (default) or ARN.
    #[serde(flatten)]
    pub stream: StreamRef,
    /// Page size limit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
    /// List shards after this shard id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exclusive_start_shard_id: Option<String>,
}

impl DescribeStreamInput {
    /// The first page of shards of `stream`.
    pub fn new(stream: impl Into<StreamRef>) -> Self {
        DescribeStreamInput {
            stream: stream.into(),
            limit: None,
            exclusive_start_shard_id: None,
        }
    }

    /// This input with a page size limit.
    pub fn limit(mut self, n: u32) -> Self {
        self.limit = Some(n);
        self
    }

    /// This input describing shards after `shard_id`.
    pub fn exclusive_start_shard_id(mut self, shard_id: impl Into<String>) -> Self {
        self.exclusive_start_shard_id = Some(shard_id.into());
        self
    }
}

/// The body of DescribeStream.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase")]
#[non_exhaustive]
pub struct StreamDescription {
    /// The stream name.
    pub stream_name: String,
    /// The stream ARN.
    #[serde(rename = "StreamARN")]
    pub stream_arn: String,
    /// Stream status.
    pub stream_status: StreamStatus,
    /// Capacity mode (`PROVISIONED` / `ON_DEMAND`).
    #[serde(default)]
    pub stream_mode_details: Option<StreamModeDetails>,
    /// Shards of this page.
    #[serde(default, deserialize_with = "null_default")]
    pub shards: Vec<Shard>,
    /// More shards on later pages.
    #[serde(default, deserialize_with = "null_default")]
    pub has_more_shards: bool,
    /// Retention in hours.
    #[serde(default)]
    pub retention_period_hours: Option<u32>,
    /// When the stream was created, epoch seconds.
    #[serde(default)]
    pub stream_creation_timestamp: Option<f64>,
    /// `NONE` or `KMS`.
    #[serde(default)]
    pub encryption_type: Option<String>,
    /// KMS key id when encrypted.
    #[serde(default)]
    pub key_id: Option<String>,
}

/// DescribeStream output.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase")]
#[non_exhaustive]
pub struct DescribeStreamOutput {
    /// The description.
    pub stream_description: StreamDescription,
}

/// Where a shard iterator starts (GetShardIterator `ShardIteratorType` and its argument).
#[derive(Debug, Clone, PartialEq)]
pub enum StartingPosition {
    /// The oldest record still in the shard.
    TrimHorizon,
    /// Just after the newest record.
    Latest,
    /// At this sequence number.
    AtSequenceNumber(String),
    /// Just after this sequence number.
    AfterSequenceNumber(String),
    /// The first record at or after this time (epoch seconds).
    AtTimestamp(f64),
}

impl StartingPosition {
    /// The wire name (`TRIM_HORIZON`, ...).
    pub fn iterator_type(&self) -> &'static str {
        match self {
            StartingPosition::TrimHorizon => "TRIM_HORIZON",
            StartingPosition::Latest => "LATEST",
            StartingPosition::AtSequenceNumber(_) => "AT_SEQUENCE_NUMBER",
            StartingPosition::AfterSequenceNumber(_) => "AFTER_SEQUENCE_NUMBER",
            StartingPosition::AtTimestamp(_) => "AT_TIMESTAMP",
        }
    }
}

/// GetShardIterator input.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct GetShardIteratorInput {
    /// The stream, by name (default) or ARN.
    pub stream: StreamRef,
    /// Shard id, e.g. `shardId-000000000000`.
    pub shard_id: String,
    /// Where the iterator starts.
    pub position: StartingPosition,
}

impl GetShardIteratorInput {
    /// An iterator over `shard_id` of `stream` starting at `position`.
    ///
    /// ```
    /// use kinesis_wire::model::{GetShardIteratorInput, StartingPosition};
    /// let i = GetShardIteratorInput::new("orders", "shardId-000000000000", StartingPosition::TrimHorizon);
    /// assert_eq!(i.position.iterator_type(), "TRIM_HORIZON");
    /// ```
    pub fn new(
        stream: impl Into<StreamRef>,
        shard_id: impl Into<String>,
        position: StartingPosition,
    ) -> Self {
        GetShardIteratorInput {
            stream: stream.into(),
            shard_id: shard_id.into(),
            position,
        }
    }
}

impl Serialize for GetShardIteratorInput {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        #[serde(rename_all = "PascalCase")]
        struct Wire<'a> {
            #[serde(flatten)]
            stream: &'a StreamRef,
            shard_id: &'a str,
            shard_iterator_type: &'static str,
            #[serde(skip_serializing_if = "Option::is_none")]
            starting_sequence_number: Option<&'a str>,
            #[serde(skip_serializing_if = "Option::is_none")]
            timestamp: Option<f64>,
        }
        let (seq, ts) = match &self.position {
            StartingPosition::AtSequenceNumber(n) | StartingPosition::AfterSequenceNumber(n) => {
                (Some(n.as_str()), None)
            }
            StartingPosition::AtTimestamp(t) => (None, Some(*t)),
            _ => (None, None),
        };
        Wire {
            stream: &self.stream,
            shard_id: &self.shard_id,
            shard_iterator_type: self.position.iterator_type(),
            starting_sequence_number: seq,
            timestamp: ts,
        }
        .serialize(s)
    }
}

/// GetShardIterator output.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
#[non_exhaustive]
pub struct GetShardIteratorOutput {
    /// A shard iterator (opaque; valid for 300 s).
    pub shard_iterator: String,
}
/// A child of a closed shard, reported by GetRecords at the shard's end.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
#[non_exhaustive]
pub struct ChildShard {
    /// Shard id, e.g. `shardId-000000000000`.
    pub shard_id: String,
    /// The parent shard(s) (two after a merge).
    #[serde(default, deserialize_with = "null_default")]
    pub parent_shards: Vec<String>,
    /// The hash-key range.
    pub hash_key_range: HashKeyRange,
}

impl ChildShard {
    /// A child shard with its parents and hash-key range.
    pub fn new(
        shard_id: impl Into<String>,
        parent_shards: Vec<String>,
        hash_key_range: HashKeyRange,
    ) -> Self {
        ChildShard {
            shard_id: shard_id.into(),
            parent_shards,
            hash_key_range,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_shards_serialization_omits_absent_fields() {
        let mut i = ListShardsInput::for_stream("s");
        i.max_results = Some(2);
        i.shard_filter = Some(ShardFilter {
            filter_type: ShardFilterType::AfterShardId,
            shard_id: Some("shardId-000000000001".into()),
            timestamp: None,
        });
        assert_eq!(
            serde_json::to_string(&i).unwrap(),
            r#"{"StreamName":"s","MaxResults":2,"ShardFilter":{"Type":"AFTER_SHARD_ID","ShardId":"shardId-000000000001"}}"#
        );
        let next = ListShardsInput {
            next_token: Some("tok".into()),
            ..Default::default()
        };
        assert_eq!(
            serde_json::to_string(&next).unwrap(),
            r#"{"NextToken":"tok"}"#
        );
        let arn = ListShardsInput::for_stream(StreamRef::Arn("arn:x".into()));
        assert_eq!(
            serde_json::to_string(&arn).unwrap(),
            r#"{"StreamARN":"arn:x"}"#
        );
    }

    #[test]
    fn shard_iterator_types() {
        let cases = [
            (
                StartingPosition::TrimHorizon,
                r#""ShardIteratorType":"TRIM_HORIZON"}"#,
            ),
            (StartingPosition::Latest, r#""ShardIteratorType":"LATEST"}"#),
            (
                StartingPosition::AtSequenceNumber("49".into()),
                r#""ShardIteratorType":"AT_SEQUENCE_NUMBER","StartingSequenceNumber":"49"}"#,
            ),
            (
                StartingPosition::AfterSequenceNumber("50".into()),
                r#""ShardIteratorType":"AFTER_SEQUENCE_NUMBER","StartingSequenceNumber":"50"}"#,
            ),
            (
                StartingPosition::AtTimestamp(1795745028.866),
                r#""ShardIteratorType":"AT_TIMESTAMP","Timestamp":1795745028.866}"#,
            ),
        ];
        for (pos, tail) in cases {
            let i = GetShardIteratorInput {
                stream: "s".into(),
                shard_id: "shardId-000000000000".into(),
                position: pos,
            };
            let j = serde_json::to_string(&i).unwrap();
            assert_eq!(
                j,
                format!(r#"{{"StreamName":"s","ShardId":"shardId-000000000000",{tail}"#)
            );
        }
    }
}
