//! Typed request and response structs for the Kinesis actions, in the JSON 1.1 wire shape.
//!
//! Inputs serialize with PascalCase keys and omit absent fields; outputs accept absent and
//! explicit `null` optional fields alike (kinesis-mock writes `null`). Binary data is
//! `Vec<u8>` here and base64 only on the wire; timestamps are epoch seconds (`f64`) as the
//! service sends them. Sequence numbers, hash keys and iterators are opaque strings.

use serde::{Deserialize, Deserializer, Serialize};

mod admin;
mod consumers;
mod put;
mod records;
mod shards;

pub use crate::parse::{parse_get_records, parse_get_records_page, parse_put_records_outcome};
pub use admin::{
    CreateStreamInput, DeleteStreamInput, DescribeStreamSummaryInput, DescribeStreamSummaryOutput,
    ListStreamsInput, ListStreamsOutput, MergeShardsInput, ScalingType, SplitShardInput,
    StreamDescriptionSummary, StreamModeDetails, UpdateShardCountInput, UpdateShardCountOutput,
};
pub use consumers::{
    Consumer, ConsumerDescription, ConsumerRef, ConsumerStatus, DescribeStreamConsumerOutput,
    ListStreamConsumersInput, ListStreamConsumersOutput, RegisterStreamConsumerInput,
    RegisterStreamConsumerOutput,
};
pub use put::{
    encode_put_records, PutRecordInput, PutRecordOutput, PutRecordsEntry, PutRecordsEntryRef,
    PutRecordsFailure, PutRecordsInput, PutRecordsOutcome, PutRecordsOutput, PutRecordsResultEntry,
};
pub(crate) use records::{span_of, RecordSpans};
pub use records::{
    GetRecordsInput, GetRecordsOutput, GetRecordsPage, Record, RecordBatch, RecordRef,
};
pub use shards::{
    ChildShard, DescribeStreamInput, DescribeStreamOutput, GetShardIteratorInput,
    GetShardIteratorOutput, HashKeyRange, ListShardsInput, ListShardsOutput, SequenceNumberRange,
    Shard, ShardFilter, ShardFilterType, StartingPosition, StreamDescription,
};

/// Deserializes `null` or an absent field as `T::default()`.
fn null_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// Which stream a request is about: by name (the default; kinesalite accepts only names) or
/// by ARN.
///
/// ```
/// use kinesis_wire::model::StreamRef;
/// let s: StreamRef = "orders".into();
/// assert_eq!(s, StreamRef::Name("orders".into()));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub enum StreamRef {
    /// `StreamName`.
    #[serde(rename = "StreamName")]
    Name(String),
    /// `StreamARN`.
    #[serde(rename = "StreamARN")]
    Arn(String),
}

impl StreamRef {
    /// The name or ARN, as given.
    pub fn as_str(&self) -> &str {
        match self {
            StreamRef::Name(s) | StreamRef::Arn(s) => s,
        }
    }
}

/// A stream ARN (`arn:PARTITION:kinesis:REGION:ACCOUNT:stream/NAME`) becomes
/// [`StreamRef::Arn`] (requests carry `StreamARN`, e.g. to read another account's stream);
/// anything else is a name.
///
/// ```
/// use kinesis_wire::model::StreamRef;
/// let arn = "arn:aws:kinesis:eu-west-1:123456789012:stream/orders";
/// assert_eq!(StreamRef::from(arn), StreamRef::Arn(arn.into()));
/// assert_eq!(StreamRef::from("orders"), StreamRef::Name("orders".into()));
/// ```
impl From<&str> for StreamRef {
    fn from(s: &str) -> Self {
        StreamRef::from(s.to_string())
    }
}

impl From<String> for StreamRef {
    fn from(s: String) -> Self {
        if s.starts_with("arn:") && s.contains(":stream/") {
            StreamRef::Arn(s)
        } else {
            StreamRef::Name(s)
        }
    }
}

impl std::fmt::Display for StreamRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Status of a stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[non_exhaustive]
pub enum StreamStatus {
    /// Being created.
    Creating,
    /// Being deleted.
    Deleting,
    /// Usable.
    Active,
    /// Being resharded or updated; still readable and writable.
    Updating,
    /// A status this client does not know.
    #[serde(other)]
    Unknown,
}
