//! Stream administration: create, delete, list, describe (summary), reshard.

use serde::{Deserialize, Serialize};

use super::{null_default, StreamRef, StreamStatus};

/// `StreamModeDetails`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct StreamModeDetails {
    /// `PROVISIONED` or `ON_DEMAND`.
    pub stream_mode: String,
}

/// DescribeStreamSummary input.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DescribeStreamSummaryInput {
    /// The stream, by name (default) or ARN.
    #[serde(flatten)]
    pub stream: StreamRef,
}

/// The body of DescribeStreamSummary.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase")]
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
pub struct DescribeStreamSummaryOutput {
    /// The summary.
    pub stream_description_summary: StreamDescriptionSummary,
}
/// CreateStream input.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
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

/// DeleteStream input.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct DeleteStreamInput {
    /// The stream, by name (default) or ARN.
    #[serde(flatten)]
    pub stream: StreamRef,
    /// Delete even if consumers are registered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enforce_consumer_deletion: Option<bool>,
}

/// ListStreams input.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
#[serde(rename_all = "PascalCase")]
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

/// ListStreams output.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
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
pub struct SplitShardInput {
    /// The stream, by name (default) or ARN.
    #[serde(flatten)]
    pub stream: StreamRef,
    /// The shard to split.
    pub shard_to_split: String,
    /// Decimal hash key: the first key of the second child.
    pub new_starting_hash_key: String,
}

/// MergeShards input.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct MergeShardsInput {
    /// The stream, by name (default) or ARN.
    #[serde(flatten)]
    pub stream: StreamRef,
    /// The first shard to merge.
    pub shard_to_merge: String,
    /// The shard adjacent to `shard_to_merge` (its hash range follows on).
    pub adjacent_shard_to_merge: String,
}

/// UpdateShardCount input (scaling type is always `UNIFORM_SCALING`, the only one).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct UpdateShardCountInput {
    /// The stream, by name (default) or ARN.
    #[serde(flatten)]
    pub stream: StreamRef,
    /// Target number of open shards.
    pub target_shard_count: u32,
    /// Always `UNIFORM_SCALING`.
    pub scaling_type: ScalingType,
}

/// UpdateShardCount `ScalingType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ScalingType {
    /// `UNIFORM_SCALING`.
    #[default]
    UniformScaling,
}

/// UpdateShardCount output.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
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
