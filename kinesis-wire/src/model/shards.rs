//! Shards and where to read them: ListShards, DescribeStream, GetShardIterator, and the
//! child shards GetRecords reports.

use serde::{Deserialize, Serialize};

use super::{null_default, StreamModeDetails, StreamRef, StreamStatus};

/// A shard's range of hash keys (decimal strings of 128-bit numbers).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct HashKeyRange {
    /// First hash key (decimal).
    pub starting_hash_key: String,
    /// Last hash key (decimal, inclusive).
    pub ending_hash_key: String,
}

impl HashKeyRange {
    /// The range as numbers, or `None` if a bound is not a decimal u128.
    ///
    /// ```
    /// use kinesis_wire::HashKeyRange;
    /// let r = HashKeyRange { starting_hash_key: "0".into(), ending_hash_key: "99".into() };
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
pub struct SequenceNumberRange {
    /// First sequence number of the shard.
    pub starting_sequence_number: String,
    /// Last sequence number; set once the shard is closed.
    #[serde(default)]
    pub ending_sequence_number: Option<String>,
}

/// A shard as ListShards / DescribeStream describe it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
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
    /// Whether the shard is closed (has an ending sequence number).
    pub fn is_closed(&self) -> bool {
        self.sequence_number_range.ending_sequence_number.is_some()
    }
}

/// ListShards `ShardFilter.Type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
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

/// ListShards input. Either `stream` (first page) or `next_token` (later pages) is set; AWS
/// rejects both together.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
#[serde(rename_all = "PascalCase")]
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
    pub fn for_stream(stream: impl Into<StreamRef>) -> Self {
        ListShardsInput {
            stream: Some(stream.into()),
            ..Default::default()
        }
    }
}

/// ListShards output.
#[derive(Debug, Clone, PartialEq, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
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

/// The body of DescribeStream.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase")]
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
pub struct GetShardIteratorInput {
    /// The stream, by name (default) or ARN.
    pub stream: StreamRef,
    /// Shard id, e.g. `shardId-000000000000`.
    pub shard_id: String,
    /// Where the iterator starts.
    pub position: StartingPosition,
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
pub struct GetShardIteratorOutput {
    /// A shard iterator (opaque; valid for 300 s).
    pub shard_iterator: String,
}
/// A child of a closed shard, reported by GetRecords at the shard's end.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ChildShard {
    /// Shard id, e.g. `shardId-000000000000`.
    pub shard_id: String,
    /// The parent shard(s) (two after a merge).
    #[serde(default, deserialize_with = "null_default")]
    pub parent_shards: Vec<String>,
    /// The hash-key range.
    pub hash_key_range: HashKeyRange,
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
