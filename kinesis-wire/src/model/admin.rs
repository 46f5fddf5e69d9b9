//! Stream administration: create, delete, list, describe (summary), reshard.

use serde::{Deserialize, Serialize};

use super::{null_default, StreamRef, StreamStatus};

/// `StreamModeDetails`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
#[non_exhaustive]
pub struct StreamModeDetails {
    /// `PROVISIONED` or `ON_DEMAND`.
    pub stream_mode: String,
}

impl StreamModeDetails {
    /// `PROVISIONED`: a fixed number of shards.
    pub fn provisioned() -> Self {
        StreamModeDetails {
            stream_mode: "PROVISIONED".into(),
        }
    }

    /// `ON_DEMAND`: shards managed by the service.
    pub fn on_demand() -> Self {
        StreamModeDetails {
            stream_mode: "ON_DEMAND".into(),
        }
    }
}

/// DescribeStreamSummary input.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct DescribeStreamSummaryInput {
    /// The stream, by name (default) or ARN.
    #[serde(flatten)]
    pub stream: StreamRef,
}

impl DescribeStreamSummaryInput {
    /// The summary of `stream`.
    pub fn new(stream: impl Into<StreamRef>) -> Self {
        DescribeStreamSummaryInput {
            stream: stream.into(),
        }
    }
}

/// The body of DescribeStreamSummary.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase")]
#[non_exhaustive]
pub struct StreamDescriptionSummary {
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
    /// Number of open shards.
    #[serde(default)]
    pub open_shard_count: Option<u32>,
    /// Number of registered enhanced fan-out consumers.
    #[serde(default)]
    pub consumer_count: Option<u32>,
}

/// DescribeStreamSummary output.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase")]
#[non_exhaustive]
pub struct DescribeStreamSummaryOutput {
    /// The summary.
    pub stream_description_summary: StreamDescriptionSummary,
}
/// CreateStream input.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
#[non_exhaustive]
pub struct CreateStreamInput {
    /// The stream name.
    pub stream_name: String,
    /// Required for `PROVISIONED` streams.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shard_count: Option<u32>,
    /// Capacity mode (`PROVISIONED` / `ON_DEMAND`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stream_mode_details: Option<StreamModeDetails>,
}

impl CreateStreamInput {
    /// Creates `stream_name` in the service's default mode (set `shard_count` for a
    /// provisioned stream).
    ///
    /// ```
    /// use kinesis_wire::model::{CreateStreamInput, StreamModeDetails};
    /// let a = CreateStreamInput::new("orders").shard_count(4);
    /// let b = CreateStreamInput::new("clicks").stream_mode(StreamModeDetails::on_demand());
    /// assert_eq!((a.shard_count, b.shard_count), (Some(4), None));
    /// ```
    pub fn new(stream_name: impl Into<String>) -> Self {
        CreateStreamInput {
            stream_name: stream_name.into(),
            shard_count: None,
            stream_mode_details: None,
        }
    }

    /// This input creating `n` shards.
    pub fn shard_count(mut self, n: u32) -> Self {
        self.shard_count = Some(n);
        self
    }

    /// This input creating a stream in `mode`.
    pub fn stream_mode(mut self, mode: StreamModeDetails) -> Self {
        self.stream_mode_details = Some(mode);
        self
    }
}

/// DeleteStream input.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
#[non_exhaustive]
pub struct DeleteStreamInput {
    /// The stream, by name (default) or ARN.
    #[serde(flatten)]
    pub stream: StreamRef,
    /// Delete even if consumers are registered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enforce_consumer_deletion: Option<bool>,
}

impl DeleteStreamInput {
    /// Deletes `stream` (refused while consumers are registered).
    pub fn new(stream: impl Into<StreamRef>) -> Self {
        DeleteStreamInput {
            stream: stream.into(),
            enforce_consumer_deletion: None,
        }
    }

    /// This input deleting the stream even with consumers registered.
    pub fn enforce_consumer_deletion(mut self, yes: bool) -> Self {
        self.enforce_consumer_deletion = Some(yes);
        self
    }
}

/// ListStreams input.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
#[serde(rename_all = "PascalCase")]
#[non_exhaustive]
pub struct ListStreamsInput {
    /// Page size limit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
    /// List streams after this name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exclusive_start_stream_name: Option<String>,
    /// Paging token from the previous page (`None`: first page, or no more pages).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

impl ListStreamsInput {
    /// This input with a page size limit.
    pub fn limit(mut self, n: u32) -> Self {
        self.limit = Some(n);
        self
    }

    /// This input listing the streams after `name`.
    pub fn exclusive_start_stream_name(mut self, name: impl Into<String>) -> Self {
        self.exclusive_start_stream_name = Some(name.into());
        self
    }

    /// This input asking for the page after `next_token`.
    pub fn next_token(mut self, next_token: impl Into<String>) -> Self {
        self.next_token = Some(next_token.into());
        self
    }
}

/// ListStreams output.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
#[non_exhaustive]
pub struct ListStreamsOutput {
    /// Stream names of this page.
    #[serde(default, deserialize_with = "null_default")]
    pub stream_names: Vec<String>,
    /// More streams on later pages.
    #[serde(default, deserialize_with = "null_default")]
    pub has_more_streams: bool,
    /// Paging token from the previous page (`None`: first page, or no more pages).
    #[serde(default)]
    pub next_token: Option<String>,
}

/// SplitShard input.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
#[non_exhaustive]
pub struct SplitShardInput {
    /// The stream, by name (default) or ARN.
    #[serde(flatten)]
    pub stream: StreamRef,
    /// The shard to split.
    pub shard_to_split: String,
    /// Decimal hash key: the first key of the second child.
    pub new_starting_hash_key: String,
}

impl SplitShardInput {
    /// Splits `shard_to_split` of `stream`; the second child starts at
    /// `new_starting_hash_key` (decimal).
    pub fn new(
        stream: impl Into<StreamRef>,
        shard_to_split: impl Into<String>,
        new_starting_hash_key: impl Into<String>,
    ) -> Self {
        SplitShardInput {
            stream: stream.into(),
            shard_to_split: shard_to_split.into(),
            new_starting_hash_key: new_starting_hash_key.into(),
        }
    }
}

/// MergeShards input.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
#[non_exhaustive]
pub struct MergeShardsInput {
    /// The stream, by name (default) or ARN.
    #[serde(flatten)]
    pub stream: StreamRef,
    /// The first shard to merge.
    pub shard_to_merge: String,
    /// The shard adjacent to `shard_to_merge` (its hash range follows on).
    pub adjacent_shard_to_merge: String,
}

impl MergeShardsInput {
    /// Merges `shard_to_merge` of `stream` with the shard whose range follows on.
    pub fn new(
        stream: impl Into<StreamRef>,
        shard_to_merge: impl Into<String>,
        adjacent_shard_to_merge: impl Into<String>,
    ) -> Self {
        MergeShardsInput {
            stream: stream.into(),
            shard_to_merge: shard_to_merge.into(),
            adjacent_shard_to_merge: adjacent_shard_to_merge.into(),
        }
    }
}

/// UpdateShardCount input (scaling type is always `UNIFORM_SCALING`, the only one).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
#[non_exhaustive]
pub struct UpdateShardCountInput {
    /// The stream, by name (default) or ARN.
    #[serde(flatten)]
    pub stream: StreamRef,
    /// Target number of open shards.
    pub target_shard_count: u32,
    /// Always `UNIFORM_SCALING`.
    pub scaling_type: ScalingType,
}

impl UpdateShardCountInput {
    /// Scales `stream` uniformly to `target_shard_count` open shards.
    pub fn new(stream: impl Into<StreamRef>, target_shard_count: u32) -> Self {
        UpdateShardCountInput {
            stream: stream.into(),
            target_shard_count,
            scaling_type: ScalingType::UniformScaling,
        }
    }
}

/// UpdateShardCount `ScalingType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[non_exhaustive]
pub enum ScalingType {
    /// `UNIFORM_SCALING`.
    #[default]
    UniformScaling,
}

/// UpdateShardCount output.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
#[non_exhaustive]
pub struct UpdateShardCountOutput {
    /// The stream name.
    #[serde(default)]
    pub stream_name: Option<String>,
    /// Open shards before the update.
    #[serde(default)]
    pub current_shard_count: Option<u32>,
    /// Target number of open shards.
    #[serde(default)]
    pub target_shard_count: Option<u32>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::*;

    #[test]
    fn outputs_accept_explicit_nulls() {
        let put: PutRecordsOutput = serde_json::from_str(
            r#"{"FailedRecordCount":1,"Records":[
              {"SequenceNumber":"1","ShardId":"shardId-000000000000","ErrorCode":null,"ErrorMessage":null},
              {"SequenceNumber":null,"ShardId":null,"ErrorCode":"InvalidArgumentException","ErrorMessage":"too big"}],
              "EncryptionType":null}"#,
        )
        .unwrap();
        assert_eq!(put.failed_record_count, 1);
        assert_eq!(
            put.records[1].error_code.as_deref(),
            Some("InvalidArgumentException")
        );
        let ls: ListShardsOutput = serde_json::from_str(
            r#"{"Shards":[{"ShardId":"shardId-000000000000","ParentShardId":null,"AdjacentParentShardId":null,
              "HashKeyRange":{"StartingHashKey":"0","EndingHashKey":"340282366920938463463374607431768211455"},
              "SequenceNumberRange":{"StartingSequenceNumber":"1","EndingSequenceNumber":null}}],"NextToken":null}"#,
        )
        .unwrap();
        assert_eq!(ls.shards.len(), 1);
        assert!(!ls.shards[0].is_closed());
        assert_eq!(ls.shards[0].hash_key_range.bounds(), Some((0, u128::MAX)));
        let summary: DescribeStreamSummaryOutput = serde_json::from_str(
            r#"{"StreamDescriptionSummary":{"StreamName":"s","StreamARN":"arn","StreamStatus":"ACTIVE",
              "StreamModeDetails":null,"RetentionPeriodHours":24,"StreamCreationTimestamp":1795745028,
              "EnhancedMonitoring":[{"ShardLevelMetrics":[]}],"EncryptionType":"NONE","KeyId":null,
              "OpenShardCount":4,"ConsumerCount":null}}"#,
        )
        .unwrap();
        assert_eq!(
            summary.stream_description_summary.stream_status,
            StreamStatus::Active
        );
        assert_eq!(summary.stream_description_summary.open_shard_count, Some(4));
        let odd: StreamStatus = serde_json::from_str(r#""RESHARDING""#).unwrap();
        assert_eq!(odd, StreamStatus::Unknown);
    }
}
