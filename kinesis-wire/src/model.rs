//! Typed request and response structs for the Kinesis actions, in the JSON 1.1 wire shape.
//!
//! Inputs serialize with PascalCase keys and omit absent fields; outputs accept absent and
//! explicit `null` optional fields alike (kinesis-mock writes `null`). Binary data is
//! `Vec<u8>` here and base64 only on the wire; timestamps are epoch seconds (`f64`) as the
//! service sends them. Sequence numbers, hash keys and iterators are opaque strings.

use std::borrow::Cow;

use base64::Engine as _;
use serde::{Deserialize, Deserializer, Serialize};

pub use crate::limits::{
    MAX_GET_RECORDS_LIMIT, MAX_PARTITION_KEY_CHARS, MAX_PUT_RECORDS_BYTES, MAX_PUT_RECORDS_ENTRIES,
    MAX_RECORD_BYTES,
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
/// use kinesis_wire::StreamRef;
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

impl From<&str> for StreamRef {
    fn from(s: &str) -> Self {
        StreamRef::Name(s.to_string())
    }
}

impl From<String> for StreamRef {
    fn from(s: String) -> Self {
        StreamRef::Name(s)
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

/// Status of an enhanced fan-out consumer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ConsumerStatus {
    /// Being created.
    Creating,
    /// Being deleted.
    Deleting,
    /// Usable.
    Active,
    /// A status this client does not know.
    #[serde(other)]
    Unknown,
}

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

/// GetRecords input.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetRecordsInput {
    /// A shard iterator (opaque; valid for 300 s).
    pub shard_iterator: String,
    /// At most 10,000.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
    /// Only needed by AWS for cross-account access; never sent when `None`.
    #[serde(rename = "StreamARN", skip_serializing_if = "Option::is_none")]
    pub stream_arn: Option<String>,
}

/// One record from GetRecords.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    /// Sequence number (opaque decimal string; compare by length, then text).
    pub sequence_number: String,
    /// Epoch seconds.
    pub approximate_arrival_timestamp: Option<f64>,
    /// The payload, base64-decoded.
    pub data: Vec<u8>,
    /// Partition key (1..=256 Unicode scalar values).
    pub partition_key: String,
    /// `NONE` or `KMS`.
    pub encryption_type: Option<String>,
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

/// GetRecords output. `next_shard_iterator == None` means the shard is closed and fully read.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct GetRecordsOutput {
    /// The records / entries, in order.
    pub records: Vec<Record>,
    /// Iterator for the next call; `None` when the closed shard is fully read.
    pub next_shard_iterator: Option<String>,
    /// How far the iterator is behind the shard's tip, in milliseconds.
    pub millis_behind_latest: Option<u64>,
    /// Children of a closed shard, reported once its end is reached.
    pub child_shards: Vec<ChildShard>,
}

/// A JSON string's bytes, borrowed when it has no escapes. Read through `deserialize_bytes`
/// so serde_json skips UTF-8 validation: base64 decoding rejects anything but ASCII anyway.
struct RawText<'a>(Cow<'a, [u8]>);

impl<'a> RawText<'a> {
    fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for RawText<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = RawText<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a base64 string")
            }
            fn visit_borrowed_bytes<E>(self, v: &'de [u8]) -> Result<Self::Value, E> {
                Ok(RawText(Cow::Borrowed(v)))
            }
            fn visit_bytes<E>(self, v: &[u8]) -> Result<Self::Value, E> {
                Ok(RawText(Cow::Owned(v.to_vec())))
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(RawText(Cow::Borrowed(v.as_bytes())))
            }
            fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
                Ok(RawText(Cow::Owned(v.as_bytes().to_vec())))
            }
        }
        d.deserialize_bytes(V)
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RecordWire<'a> {
    sequence_number: String,
    #[serde(default)]
    approximate_arrival_timestamp: Option<f64>,
    #[serde(borrow)]
    data: RawText<'a>,
    partition_key: String,
    #[serde(default)]
    encryption_type: Option<String>,
}

/// The `Records` array, decoded while it is parsed: each record's borrowed `Data` is
/// base64-decoded as soon as the record is read, so no intermediate list is built.
struct DecodedRecords(Vec<Record>);

impl<'de> Deserialize<'de> for DecodedRecords {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct RecordsVisitor;
        impl<'de> serde::de::Visitor<'de> for RecordsVisitor {
            type Value = DecodedRecords;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a list of records")
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<DecodedRecords, A::Error> {
                let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(64).min(10_000));
                while let Some(r) = seq.next_element::<RecordWire<'de>>()? {
                    let data = base64_simd::STANDARD
                        .decode_to_vec(r.data.as_bytes())
                        .map_err(|e| {
                            serde::de::Error::custom(format_args!(
                                "record {} (sequence number {}): Data is not valid base64: {e}",
                                out.len(),
                                r.sequence_number
                            ))
                        })?;
                    out.push(Record {
                        sequence_number: r.sequence_number,
                        approximate_arrival_timestamp: r.approximate_arrival_timestamp,
                        data,
                        partition_key: r.partition_key,
                        encryption_type: r.encryption_type,
                    });
                }
                Ok(DecodedRecords(out))
            }
        }
        d.deserialize_seq(RecordsVisitor)
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct GetRecordsWire {
    #[serde(default)]
    records: Option<DecodedRecords>,
    #[serde(default)]
    next_shard_iterator: Option<String>,
    #[serde(default)]
    millis_behind_latest: Option<u64>,
    #[serde(default)]
    child_shards: Option<Vec<ChildShard>>,
}

/// Parses a GetRecords response body. The `Data` strings are borrowed from `body` (no copy)
/// and base64-decoded straight into each record's buffer while parsing.
///
/// ```
/// let body = br#"{"Records":[{"SequenceNumber":"1","ApproximateArrivalTimestamp":1.5,
///   "Data":"aGk=","PartitionKey":"k"}],"NextShardIterator":null,"MillisBehindLatest":0,
///   "ChildShards":null}"#;
/// let out = kinesis_wire::model::parse_get_records(body).unwrap();
/// assert_eq!(out.records[0].data, b"hi");
/// assert_eq!(out.next_shard_iterator, None);
/// ```
pub fn parse_get_records(body: &[u8]) -> Result<GetRecordsOutput, String> {
    let wire: GetRecordsWire =
        serde_json::from_slice(body).map_err(|e| format!("invalid GetRecords response: {e}"))?;
    Ok(GetRecordsOutput {
        records: wire.records.map(|r| r.0).unwrap_or_default(),
        next_shard_iterator: wire.next_shard_iterator,
        millis_behind_latest: wire.millis_behind_latest,
        child_shards: wire.child_shards.unwrap_or_default(),
    })
}

/// A JSON string, borrowed from the body when it has no escapes (the usual case), owned
/// only when serde_json had to unescape it.
struct Text<'a>(Cow<'a, str>);

impl<'de: 'a, 'a> Deserialize<'de> for Text<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Text<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Text(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Text(Cow::Owned(v.to_string())))
            }
        }
        d.deserialize_str(V)
    }
}

/// One record of a GetRecords body, every string borrowed from the body where possible.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RecordBorrowedWire<'a> {
    #[serde(borrow)]
    sequence_number: Text<'a>,
    #[serde(default)]
    approximate_arrival_timestamp: Option<f64>,
    #[serde(borrow)]
    data: RawText<'a>,
    #[serde(borrow)]
    partition_key: Text<'a>,
    #[serde(default, borrow)]
    encryption_type: Option<Text<'a>>,
}

/// Where one record's fields lie inside its [`RecordBatch`]'s buffers (`u32` offsets keep
/// the table small; a GetRecords page is at most 10 MiB).
#[derive(Debug, Clone, Copy, PartialEq)]
struct RecordSpans {
    data: (u32, u32),
    sequence_number: (u32, u32),
    partition_key: (u32, u32),
    /// `(0, 0)` with `has_encryption_type == false` when absent.
    encryption_type: (u32, u32),
    has_encryption_type: bool,
    approximate_arrival_timestamp: Option<f64>,
}

/// A borrowed view of one record of a [`RecordBatch`].
///
/// ```
/// use kinesis_wire::model::{RecordBatch, RecordRef};
/// let mut batch = RecordBatch::new();
/// batch.push(RecordRef {
///     sequence_number: "49", approximate_arrival_timestamp: Some(1.5),
///     data: b"hi", partition_key: "k", encryption_type: None,
/// });
/// let r = batch.get(0).unwrap();
/// assert_eq!((r.sequence_number, r.data, r.partition_key), ("49", &b"hi"[..], "k"));
/// assert_eq!(r.to_record().data, b"hi");
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RecordRef<'a> {
    /// Sequence number (opaque decimal string; compare by length, then text).
    pub sequence_number: &'a str,
    /// Epoch seconds.
    pub approximate_arrival_timestamp: Option<f64>,
    /// The payload, base64-decoded.
    pub data: &'a [u8],
    /// Partition key (1..=256 Unicode scalar values).
    pub partition_key: &'a str,
    /// `NONE` or `KMS`.
    pub encryption_type: Option<&'a str>,
}

impl RecordRef<'_> {
    /// An owned copy.
    pub fn to_record(&self) -> Record {
        Record {
            sequence_number: self.sequence_number.to_string(),
            approximate_arrival_timestamp: self.approximate_arrival_timestamp,
            data: self.data.to_vec(),
            partition_key: self.partition_key.to_string(),
            encryption_type: self.encryption_type.map(str::to_string),
        }
    }
}

impl<'a> From<&'a Record> for RecordRef<'a> {
    fn from(r: &'a Record) -> Self {
        RecordRef {
            sequence_number: &r.sequence_number,
            approximate_arrival_timestamp: r.approximate_arrival_timestamp,
            data: &r.data,
            partition_key: &r.partition_key,
            encryption_type: r.encryption_type.as_deref(),
        }
    }
}

/// The records of one GetRecords page, stored compactly: every payload in one buffer, every
/// sequence number, partition key and encryption type in one string, and a table of where
/// each record's fields lie. Parsing a page into it allocates nothing per record (three
/// buffers per page, none at all when a batch is reused with
/// [`parse_get_records_page`]), which is what makes it cheaper than [`Record`]s.
///
/// ```
/// use kinesis_wire::model::{Record, RecordBatch, RecordRef};
/// let owned = Record {
///     sequence_number: "1".into(), approximate_arrival_timestamp: None,
///     data: b"payload".to_vec(), partition_key: "pk".into(), encryption_type: Some("KMS".into()),
/// };
/// let mut batch = RecordBatch::new();
/// batch.push(RecordRef::from(&owned));
/// assert_eq!(batch.len(), 1);
/// assert_eq!(batch.data_bytes(), 7);
/// assert_eq!(batch.iter().map(|r| r.to_record()).collect::<Vec<_>>(), vec![owned]);
/// batch.clear();
/// assert!(batch.is_empty());
/// ```
#[derive(Debug, Clone, Default)]
pub struct RecordBatch {
    data: Vec<u8>,
    text: String,
    spans: Vec<RecordSpans>,
}

/// Batches are equal when their records are (however the buffers are laid out).
impl PartialEq for RecordBatch {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter())
    }
}

fn span_of(start: usize, end: usize) -> (u32, u32) {
    // A GetRecords page is at most 10 MiB of payload; a batch past 4 GiB is a caller's
    // misuse of `push`, not a wire condition.
    (
        u32::try_from(start).expect("record batch buffers stay below 4 GiB"),
        u32::try_from(end).expect("record batch buffers stay below 4 GiB"),
    )
}

impl RecordBatch {
    /// An empty batch.
    pub fn new() -> Self {
        RecordBatch::default()
    }

    /// Number of records.
    pub fn len(&self) -> usize {
        self.spans.len()
    }

    /// Whether there is no record.
    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }

    /// Total payload bytes (the decoded `Data` of every record).
    pub fn data_bytes(&self) -> usize {
        self.data.len()
    }

    /// Removes every record, keeping the buffers' capacity for reuse.
    pub fn clear(&mut self) {
        self.data.clear();
        self.text.clear();
        self.spans.clear();
    }

    fn view(&self, s: &RecordSpans) -> RecordRef<'_> {
        let text = |(a, b): (u32, u32)| &self.text[a as usize..b as usize];
        RecordRef {
            sequence_number: text(s.sequence_number),
            approximate_arrival_timestamp: s.approximate_arrival_timestamp,
            data: &self.data[s.data.0 as usize..s.data.1 as usize],
            partition_key: text(s.partition_key),
            encryption_type: s.has_encryption_type.then(|| text(s.encryption_type)),
        }
    }

    /// Record `i`, if there is one.
    pub fn get(&self, i: usize) -> Option<RecordRef<'_>> {
        self.spans.get(i).map(|s| self.view(s))
    }

    /// The last record, if any.
    pub fn last(&self) -> Option<RecordRef<'_>> {
        self.spans.last().map(|s| self.view(s))
    }

    /// The records in order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = RecordRef<'_>> + DoubleEndedIterator {
        self.spans.iter().map(|s| self.view(s))
    }

    fn push_text(&mut self, s: &str) -> (u32, u32) {
        let start = self.text.len();
        self.text.push_str(s);
        span_of(start, self.text.len())
    }

    /// Appends a record (copying its fields into the batch's buffers).
    ///
    /// # Panics
    /// If the batch's payloads or strings would pass 4 GiB (a GetRecords page is at most
    /// 10 MiB).
    pub fn push(&mut self, r: RecordRef<'_>) {
        let start = self.data.len();
        self.data.extend_from_slice(r.data);
        let data = span_of(start, self.data.len());
        let spans = self.spans_for(r, data);
        self.spans.push(spans);
    }

    fn spans_for(&mut self, r: RecordRef<'_>, data: (u32, u32)) -> RecordSpans {
        RecordSpans {
            data,
            sequence_number: self.push_text(r.sequence_number),
            partition_key: self.push_text(r.partition_key),
            encryption_type: r.encryption_type.map_or((0, 0), |e| self.push_text(e)),
            has_encryption_type: r.encryption_type.is_some(),
            approximate_arrival_timestamp: r.approximate_arrival_timestamp,
        }
    }

    /// Appends a record of the wire, base64-decoding its `Data` straight into the batch.
    fn push_wire(&mut self, r: &RecordBorrowedWire<'_>) -> Result<(), String> {
        let encoded = r.data.as_bytes();
        // `decode_append` reserves exactly what one record needs; reserving here first
        // keeps the buffer's growth amortized.
        self.data.reserve(encoded.len() / 4 * 3 + 3);
        let start = self.data.len();
        base64_simd::STANDARD
            .decode_append(encoded, &mut self.data)
            .map_err(|e| {
                format!(
                    "record {} (sequence number {}): Data is not valid base64: {e}",
                    self.spans.len(),
                    r.sequence_number.0
                )
            })?;
        let data = span_of(start, self.data.len());
        let view = RecordRef {
            sequence_number: &r.sequence_number.0,
            approximate_arrival_timestamp: r.approximate_arrival_timestamp,
            data: &[],
            partition_key: &r.partition_key.0,
            encryption_type: r.encryption_type.as_ref().map(|e| &*e.0),
        };
        let spans = self.spans_for(view, data);
        self.spans.push(spans);
        Ok(())
    }
}

impl<'a> FromIterator<RecordRef<'a>> for RecordBatch {
    fn from_iter<I: IntoIterator<Item = RecordRef<'a>>>(iter: I) -> Self {
        let mut b = RecordBatch::new();
        for r in iter {
            b.push(r);
        }
        b
    }
}

/// GetRecords output with the records in one [`RecordBatch`] (see
/// [`parse_get_records_page`]). `next_shard_iterator == None` means the shard is closed and
/// fully read.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct GetRecordsPage {
    /// The records, in order.
    pub records: RecordBatch,
    /// Iterator for the next call; `None` when the closed shard is fully read.
    pub next_shard_iterator: Option<String>,
    /// How far the iterator is behind the shard's tip, in milliseconds.
    pub millis_behind_latest: Option<u64>,
    /// Children of a closed shard, reported once its end is reached.
    pub child_shards: Vec<ChildShard>,
}

/// Deserializes the `Records` array (or `null`) into a batch.
struct RecordsSeed<'b>(&'b mut RecordBatch);

impl<'de> serde::de::DeserializeSeed<'de> for RecordsSeed<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_option(self)
    }
}

impl<'de> serde::de::Visitor<'de> for RecordsSeed<'_> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a list of records")
    }
    fn visit_none<E>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(r) = seq.next_element::<RecordBorrowedWire<'de>>()? {
            self.0.push_wire(&r).map_err(serde::de::Error::custom)?;
        }
        Ok(())
    }
}

/// The top level of a GetRecords body, records going into `batch`.
struct PageVisitor<'b> {
    batch: &'b mut RecordBatch,
}

impl<'de> serde::de::Visitor<'de> for PageVisitor<'_> {
    type Value = (Option<String>, Option<u64>, Vec<ChildShard>);
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a GetRecords response object")
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let (mut next, mut millis, mut children) = (None, None, Vec::new());
        let mut seen_records = false;
        while let Some(key) = map.next_key::<Text<'de>>()? {
            match &*key.0 {
                "Records" => {
                    if seen_records {
                        return Err(serde::de::Error::duplicate_field("Records"));
                    }
                    seen_records = true;
                    map.next_value_seed(RecordsSeed(&mut *self.batch))?;
                }
                "NextShardIterator" => next = map.next_value::<Option<String>>()?,
                "MillisBehindLatest" => millis = map.next_value::<Option<u64>>()?,
                "ChildShards" => {
                    children = map
                        .next_value::<Option<Vec<ChildShard>>>()?
                        .unwrap_or_default()
                }
                _ => {
                    map.next_value::<serde::de::IgnoredAny>()?;
                }
            }
        }
        Ok((next, millis, children))
    }
}

/// A hand-written parser for the usual shape of a GetRecords body, about twice as fast as
/// serde_json's on small records (it finds string ends with SIMD `memchr2` and writes
/// fields straight into the batch). It accepts only what it fully understands: anything
/// else (malformed JSON, duplicate keys, a `null` where a string is required, bad base64,
/// nesting past 128 levels) makes it give up with `None`, and
/// [`parse_get_records_page`] then parses the body with serde_json, which gives the
/// answer or the error message.
mod fast {
    use super::{ChildShard, RecordBatch, RecordSpans};

    const MAX_DEPTH: usize = 128;

    pub(super) type Tail = (Option<String>, Option<u64>, Vec<ChildShard>);

    struct Scanner<'a> {
        b: &'a [u8],
        i: usize,
    }

    /// A string's content: its byte range and whether it has escapes.
    struct RawStr {
        start: usize,
        end: usize,
        escaped: bool,
    }

    impl<'a> Scanner<'a> {
        fn ws(&mut self) {
            while let Some(&c) = self.b.get(self.i) {
                if matches!(c, b' ' | b'\n' | b'\r' | b'\t') {
                    self.i += 1;
                } else {
                    break;
                }
            }
        }

        fn peek(&self) -> Option<u8> {
            self.b.get(self.i).copied()
        }

        fn eat(&mut self, c: u8) -> Option<()> {
            if self.peek()? == c {
                self.i += 1;
                Some(())
            } else {
                None
            }
        }

        fn literal(&mut self, word: &[u8]) -> Option<()> {
            if self.b.get(self.i..self.i + word.len())? == word {
                self.i += word.len();
                Some(())
            } else {
                None
            }
        }

        /// `null`, consumed; `false` (nothing consumed) for anything else.
        fn null(&mut self) -> bool {
            self.literal(b"null").is_some()
        }

        fn raw_str(&mut self) -> Option<RawStr> {
            self.eat(b'"')?;
            let start = self.i;
            let mut escaped = false;
            loop {
                let at = self.i + memchr::memchr2(b'"', b'\\', self.b.get(self.i..)?)?;
                if self.b[at] == b'"' {
                    self.i = at + 1;
                    return Some(RawStr {
                        start,
                        end: at,
                        escaped,
                    });
                }
                escaped = true;
                // Skip the backslash and the character it escapes (`\"` included); the
                // escape itself is checked when the string is unescaped.
                self.i = at + 2;
            }
        }

        /// A string's text appended to `out`: copied when it has no escapes, else unescaped
        /// by serde_json. `None` for control characters (serde_json reports them); UTF-8 is
        /// checked once for the whole buffer at the end of the page.
        fn text(&mut self, out: &mut Vec<u8>) -> Option<(u32, u32)> {
            let s = self.raw_str()?;
            let start = out.len();
            if s.escaped {
                let owned: String = serde_json::from_slice(&self.b[s.start - 1..=s.end]).ok()?;
                out.extend_from_slice(owned.as_bytes());
            } else {
                let bytes = &self.b[s.start..s.end];
                // A fold, not `any`: no early exit, so it is vectorised.
                if bytes.iter().fold(false, |bad, &c| bad | (c < 0x20)) {
                    return None;
                }
                out.extend_from_slice(bytes);
            }
            Some((u32::try_from(start).ok()?, u32::try_from(out.len()).ok()?))
        }

        /// A key and its `:`. The keys of the GetRecords shape are compared in place; other
        /// keys are left to serde_json when they have escapes or are not printable ASCII.
        fn key(&mut self) -> Option<&'a [u8]> {
            let b: &'a [u8] = self.b;
            let rest = b.get(self.i..)?;
            let known: &'static [u8] = match rest.get(1)? {
                b'S' => b"\"SequenceNumber\"",
                b'A' => b"\"ApproximateArrivalTimestamp\"",
                b'D' => b"\"Data\"",
                b'P' => b"\"PartitionKey\"",
                b'E' => b"\"EncryptionType\"",
                b'R' => b"\"Records\"",
                b'N' => b"\"NextShardIterator\"",
                b'M' => b"\"MillisBehindLatest\"",
                b'C' => b"\"ChildShards\"",
                _ => b"",
            };
            let key = if !known.is_empty() && rest.starts_with(known) {
                self.i += known.len();
                &known[1..known.len() - 1]
            } else {
                let s = self.raw_str()?;
                let key = &b[s.start..s.end];
                if s.escaped || !key.iter().all(|c| (0x20..0x7f).contains(c)) {
                    return None;
                }
                key
            };
            if self.peek() == Some(b':') {
                self.i += 1;
            } else {
                self.ws();
                self.eat(b':')?;
            }
            self.ws();
            Some(key)
        }

        /// A number as f64, correctly rounded as serde_json's `float_roundtrip` and `str::parse`.
        fn float(&mut self) -> Option<f64> {
            const POW10: [f64; 16] = [
                1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14,
                1e15,
            ];
            let t = self.number()?;
            // The usual `1700000000.123`: at most 15 digits, so the digits as an integer and
            // the power of ten are both exact in f64 and one division rounds correctly.
            let mut exact = None;
            if t.len() <= 16 {
                let (mut m, mut frac, mut dot, mut plain) = (0u64, 0usize, false, true);
                for &c in t {
                    let d = c.wrapping_sub(b'0');
                    if d < 10 {
                        m = m * 10 + u64::from(d);
                        frac += usize::from(dot);
                    } else if c == b'.' {
                        dot = true;
                    } else {
                        plain = false; // a sign or an exponent
                    }
                }
                if plain && t.len() - usize::from(dot) <= 15 {
                    exact = Some(m as f64 / POW10[frac]);
                }
            }
            let v = match exact {
                Some(v) => v,
                None => std::str::from_utf8(t).ok()?.parse::<f64>().ok()?,
            };
            // serde_json rejects out-of-range numbers.
            v.is_finite().then_some(v)
        }

        /// A JSON number's text (RFC 8259 grammar).
        fn number(&mut self) -> Option<&'a [u8]> {
            let start = self.i;
            let _ = self.eat(b'-');
            match self.peek()? {
                b'0' => self.i += 1,
                b'1'..=b'9' => self.digits(),
                _ => return None,
            }
            if self.eat(b'.').is_some() {
                self.need_digits()?;
            }
            if matches!(self.peek(), Some(b'e' | b'E')) {
                self.i += 1;
                if matches!(self.peek(), Some(b'+' | b'-')) {
                    self.i += 1;
                }
                self.need_digits()?;
            }
            Some(&self.b[start..self.i])
        }

        fn digits(&mut self) {
            while matches!(self.peek(), Some(b'0'..=b'9')) {
                self.i += 1;
            }
        }

        fn need_digits(&mut self) -> Option<()> {
            let start = self.i;
            self.digits();
            (self.i > start).then_some(())
        }

        /// Skips a string, checked as serde_json would check it.
        fn skip_str(&mut self) -> Option<()> {
            let s = self.raw_str()?;
            let plain = !s.escaped
                && self.b[s.start..s.end]
                    .iter()
                    .all(|c| (0x20..0x7f).contains(c));
            if !plain {
                serde_json::from_slice::<serde::de::IgnoredAny>(&self.b[s.start - 1..=s.end])
                    .ok()?;
            }
            Some(())
        }

        /// Skips any value (checked as JSON).
        fn skip_value(&mut self, depth: usize) -> Option<()> {
            if depth > MAX_DEPTH {
                return None;
            }
            match self.peek()? {
                b'"' => self.skip_str(),
                b'n' => self.literal(b"null"),
                b't' => self.literal(b"true"),
                b'f' => self.literal(b"false"),
                b'[' => {
                    self.i += 1;
                    self.ws();
                    if self.eat(b']').is_some() {
                        return Some(());
                    }
                    loop {
                        self.skip_value(depth + 1)?;
                        self.ws();
                        match self.peek()? {
                            b',' => {
                                self.i += 1;
                                self.ws();
                            }
                            b']' => {
                                self.i += 1;
                                return Some(());
                            }
                            _ => return None,
                        }
                    }
                }
                b'{' => {
                    self.i += 1;
                    self.ws();
                    if self.eat(b'}').is_some() {
                        return Some(());
                    }
                    loop {
                        self.skip_str()?;
                        self.ws();
                        self.eat(b':')?;
                        self.ws();
                        self.skip_value(depth + 1)?;
                        self.ws();
                        match self.peek()? {
                            b',' => {
                                self.i += 1;
                                self.ws();
                            }
                            b'}' => {
                                self.i += 1;
                                return Some(());
                            }
                            _ => return None,
                        }
                    }
                }
                _ => self.number().map(|_| ()),
            }
        }

        /// After a member: `Some(true)` if another follows, `Some(false)` at the end.
        fn next_member(&mut self, close: u8) -> Option<bool> {
            self.ws();
            match self.peek()? {
                b',' => {
                    self.i += 1;
                    self.ws();
                    Some(true)
                }
                c if c == close => {
                    self.i += 1;
                    Some(false)
                }
                _ => None,
            }
        }

        fn record(&mut self, batch: &mut RecordBatch, text: &mut Vec<u8>) -> Option<()> {
            self.eat(b'{')?;
            self.ws();
            let (mut seq, mut pk, mut data, mut enc, mut ts) = (None, None, None, None, None);
            let mut seen_ts = false;
            if self.eat(b'}').is_some() {
                return None;
            }
            loop {
                match self.key()? {
                    b"SequenceNumber" if seq.is_none() => seq = Some(self.text(text)?),
                    b"PartitionKey" if pk.is_none() => pk = Some(self.text(text)?),
                    b"Data" if data.is_none() => {
                        let s = self.raw_str()?;
                        let raw = &self.b[s.start..s.end];
                        let start = batch.data.len();
                        batch.data.reserve(raw.len() / 4 * 3 + 3);
                        if s.escaped {
                            let text: String =
                                serde_json::from_slice(&self.b[s.start - 1..=s.end]).ok()?;
                            base64_simd::STANDARD
                                .decode_append(text.as_bytes(), &mut batch.data)
                                .ok()?;
                        } else {
                            base64_simd::STANDARD
                                .decode_append(raw, &mut batch.data)
                                .ok()?;
                        }
                        data = Some((
                            u32::try_from(start).ok()?,
                            u32::try_from(batch.data.len()).ok()?,
                        ));
                    }
                    b"ApproximateArrivalTimestamp" if !seen_ts => {
                        seen_ts = true;
                        if !self.null() {
                            ts = Some(self.float()?);
                        }
                    }
                    b"EncryptionType" if enc.is_none() => {
                        enc = Some(if self.null() {
                            None
                        } else {
                            Some(self.text(text)?)
                        });
                    }
                    b"SequenceNumber"
                    | b"PartitionKey"
                    | b"Data"
                    | b"ApproximateArrivalTimestamp"
                    | b"EncryptionType" => return None,
                    _ => self.skip_value(2)?,
                }
                if !self.next_member(b'}')? {
                    break;
                }
            }
            let enc = enc.flatten();
            batch.spans.push(RecordSpans {
                data: data?,
                sequence_number: seq?,
                partition_key: pk?,
                encryption_type: enc.unwrap_or((0, 0)),
                has_encryption_type: enc.is_some(),
                approximate_arrival_timestamp: ts,
            });
            Some(())
        }
    }

    /// Parses `body` into `batch` (which must be empty); `None`: leave it to serde_json.
    pub(super) fn parse(body: &[u8], batch: &mut RecordBatch) -> Option<Tail> {
        let mut s = Scanner { b: body, i: 0 };
        s.ws();
        s.eat(b'{')?;
        s.ws();
        let (mut next, mut millis, mut children) = (None, None, None);
        let mut seen = [false; 4];
        // Texts are gathered as bytes and checked as UTF-8 once, at the end.
        let mut text = std::mem::take(&mut batch.text).into_bytes();
        if s.eat(b'}').is_none() {
            loop {
                let key = s.key()?;
                let which = match key {
                    b"Records" => 0,
                    b"NextShardIterator" => 1,
                    b"MillisBehindLatest" => 2,
                    b"ChildShards" => 3,
                    _ => 4,
                };
                if which < 4 {
                    if seen[which] {
                        return None;
                    }
                    seen[which] = true;
                }
                match which {
                    0 => {
                        if !s.null() {
                            s.eat(b'[')?;
                            s.ws();
                            if s.eat(b']').is_none() {
                                loop {
                                    s.record(batch, &mut text)?;
                                    if !s.next_member(b']')? {
                                        break;
                                    }
                                }
                            }
                        }
                    }
                    1 => {
                        if !s.null() {
                            let mut it = Vec::new();
                            s.text(&mut it)?;
                            next = Some(String::from_utf8(it).ok()?);
                        }
                    }
                    2 => {
                        if !s.null() {
                            let n = std::str::from_utf8(s.number()?).ok()?;
                            millis = Some(n.parse::<u64>().ok()?);
                        }
                    }
                    3 => {
                        let start = s.i;
                        s.skip_value(1)?;
                        children =
                            serde_json::from_slice::<Option<Vec<ChildShard>>>(&body[start..s.i])
                                .ok()?;
                    }
                    _ => s.skip_value(1)?,
                }
                if !s.next_member(b'}')? {
                    break;
                }
            }
        }
        s.ws();
        if s.i != body.len() {
            return None;
        }
        let text = String::from_utf8(text).ok()?;
        // Valid as a whole is not enough: each string must be (one could end inside a
        // character the next one finishes).
        if !text.is_ascii() {
            let inside = |(a, b): (u32, u32)| {
                text.is_char_boundary(a as usize) && text.is_char_boundary(b as usize)
            };
            let whole = batch.spans.iter().all(|s| {
                inside(s.sequence_number) && inside(s.partition_key) && inside(s.encryption_type)
            });
            if !whole {
                return None;
            }
        }
        batch.text = text;
        Some((next, millis, children.unwrap_or_default()))
    }
}

/// Parses a GetRecords response body into a [`GetRecordsPage`], reusing `reuse`'s buffers
/// (cleared first; pass `RecordBatch::default()` for fresh ones). Strings are borrowed
/// from `body` while parsing and each `Data` is base64-decoded straight into the batch's
/// payload buffer, so nothing is allocated per record.
///
/// ```
/// use kinesis_wire::model::{parse_get_records_page, RecordBatch};
/// let body = br#"{"Records":[{"SequenceNumber":"1","ApproximateArrivalTimestamp":1.5,
///   "Data":"aGk=","PartitionKey":"k"}],"NextShardIterator":null,"MillisBehindLatest":0,
///   "ChildShards":null}"#;
/// let page = parse_get_records_page(body, RecordBatch::default()).unwrap();
/// let r = page.records.get(0).unwrap();
/// assert_eq!((r.data, r.partition_key), (&b"hi"[..], "k"));
/// assert_eq!(page.next_shard_iterator, None);
/// ```
pub fn parse_get_records_page(body: &[u8], reuse: RecordBatch) -> Result<GetRecordsPage, String> {
    let mut records = reuse;
    records.clear();
    if let Some((next_shard_iterator, millis_behind_latest, child_shards)) =
        fast::parse(body, &mut records)
    {
        return Ok(GetRecordsPage {
            records,
            next_shard_iterator,
            millis_behind_latest,
            child_shards,
        });
    }
    records.clear();
    parse_get_records_page_serde(body, records)
}

/// [`parse_get_records_page`] by serde_json alone (the fast parser's fallback).
fn parse_get_records_page_serde(
    body: &[u8],
    mut records: RecordBatch,
) -> Result<GetRecordsPage, String> {
    let mut de = serde_json::Deserializer::from_slice(body);
    let parsed = serde::Deserializer::deserialize_map(
        &mut de,
        PageVisitor {
            batch: &mut records,
        },
    )
    .and_then(|v| de.end().map(|()| v));
    let (next_shard_iterator, millis_behind_latest, child_shards) =
        parsed.map_err(|e| format!("invalid GetRecords response: {e}"))?;
    Ok(GetRecordsPage {
        records,
        next_shard_iterator,
        millis_behind_latest,
        child_shards,
    })
}

/// One entry of a PutRecords request.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PutRecordsEntry {
    /// The payload (raw bytes; base64 only on the wire).
    pub data: Vec<u8>,
    /// Partition key (1..=256 Unicode scalar values).
    pub partition_key: String,
    /// Explicit hash key (decimal) that overrides the partition key's MD5 for routing.
    pub explicit_hash_key: Option<String>,
}

/// PutRecords input (at most 500 entries, 5 MiB).
#[derive(Debug, Clone, PartialEq)]
pub struct PutRecordsInput {
    /// The stream, by name (default) or ARN.
    pub stream: StreamRef,
    /// The records / entries, in order.
    pub records: Vec<PutRecordsEntry>,
}

/// A borrowed view of one PutRecords entry, for encoding without copying payloads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PutRecordsEntryRef<'a> {
    /// The payload bytes (base64 only on the wire).
    pub data: &'a [u8],
    /// Partition key (1..=256 Unicode scalar values).
    pub partition_key: &'a str,
    /// Explicit hash key (decimal) that overrides the partition key's MD5 for routing.
    pub explicit_hash_key: Option<&'a str>,
}

impl<'a> From<&'a PutRecordsEntry> for PutRecordsEntryRef<'a> {
    fn from(e: &'a PutRecordsEntry) -> Self {
        PutRecordsEntryRef {
            data: &e.data,
            partition_key: &e.partition_key,
            explicit_hash_key: e.explicit_hash_key.as_deref(),
        }
    }
}

fn push_json_str(out: &mut Vec<u8>, s: &str) {
    // Fast path: nothing to escape (the usual partition key / stream name).
    if s.bytes().all(|b| b >= 0x20 && b != b'"' && b != b'\\') {
        out.push(b'"');
        out.extend_from_slice(s.as_bytes());
        out.push(b'"');
    } else {
        serde_json::to_writer(&mut *out, s).expect("writing a str to a Vec cannot fail");
    }
}

fn push_base64_str(out: &mut Vec<u8>, data: &[u8]) {
    out.push(b'"');
    base64_simd::STANDARD.encode_append(data, out);
    out.push(b'"');
}

/// Appends the JSON body of a PutRecords request to `out`, base64-encoding each payload
/// straight into the buffer (no intermediate strings).
///
/// ```
/// use kinesis_wire::model::{encode_put_records, PutRecordsEntryRef};
/// use kinesis_wire::StreamRef;
/// let mut body = Vec::new();
/// let e = PutRecordsEntryRef { data: b"hi", partition_key: "k", explicit_hash_key: None };
/// encode_put_records(&StreamRef::Name("s".into()), [e], &mut body);
/// assert_eq!(body, br#"{"Records":[{"Data":"aGk=","PartitionKey":"k"}],"StreamName":"s"}"#);
/// ```
pub fn encode_put_records<'a>(
    stream: &StreamRef,
    entries: impl IntoIterator<Item = PutRecordsEntryRef<'a>>,
    out: &mut Vec<u8>,
) {
    out.extend_from_slice(b"{\"Records\":[");
    for (i, e) in entries.into_iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(b"{\"Data\":");
        push_base64_str(out, e.data);
        if let Some(h) = e.explicit_hash_key {
            out.extend_from_slice(b",\"ExplicitHashKey\":");
            push_json_str(out, h);
        }
        out.extend_from_slice(b",\"PartitionKey\":");
        push_json_str(out, e.partition_key);
        out.push(b'}');
    }
    out.extend_from_slice(b"],");
    match stream {
        StreamRef::Name(n) => {
            out.extend_from_slice(b"\"StreamName\":");
            push_json_str(out, n);
        }
        StreamRef::Arn(a) => {
            out.extend_from_slice(b"\"StreamARN\":");
            push_json_str(out, a);
        }
    }
    out.push(b'}');
}

/// The outcome of one PutRecords entry: a sequence number and shard, or an error code.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct PutRecordsResultEntry {
    /// Sequence number (opaque decimal string; compare by length, then text).
    #[serde(default)]
    pub sequence_number: Option<String>,
    /// Shard id, e.g. `shardId-000000000000`.
    #[serde(default)]
    pub shard_id: Option<String>,
    /// e.g. `ProvisionedThroughputExceededException`, `InternalFailure`.
    #[serde(default)]
    pub error_code: Option<String>,
    /// The error message of a failed entry.
    #[serde(default)]
    pub error_message: Option<String>,
}

impl PutRecordsResultEntry {
    /// Whether the entry was written (no error code).
    pub fn is_success(&self) -> bool {
        self.error_code.is_none()
    }

    /// Whether a failed entry is worth sending again (decisions D7):
    /// `ProvisionedThroughputExceededException` or `InternalFailure`. Any other code (KMS
    /// errors, access denied, validation) is final.
    ///
    /// ```
    /// use kinesis_wire::model::PutRecordsResultEntry;
    /// let throttled = PutRecordsResultEntry {
    ///     error_code: Some("ProvisionedThroughputExceededException".into()),
    ///     ..Default::default()
    /// };
    /// assert!(!throttled.is_success() && throttled.is_retryable_failure());
    /// let kms = PutRecordsResultEntry { error_code: Some("KMSDisabledException".into()), ..Default::default() };
    /// assert!(!kms.is_retryable_failure());
    /// ```
    pub fn is_retryable_failure(&self) -> bool {
        matches!(
            self.error_code.as_deref(),
            Some(crate::error::codes::PROVISIONED_THROUGHPUT_EXCEEDED)
                | Some(crate::error::codes::INTERNAL_FAILURE)
        )
    }
}

/// PutRecords output; `records[i]` answers request entry `i`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct PutRecordsOutput {
    /// Number of entries that failed (see each entry's `error_code`).
    #[serde(default, deserialize_with = "null_default")]
    pub failed_record_count: u32,
    /// The records / entries, in order.
    #[serde(default, deserialize_with = "null_default")]
    pub records: Vec<PutRecordsResultEntry>,
    /// `NONE` or `KMS`.
    #[serde(default)]
    pub encryption_type: Option<String>,
}

/// A failed entry of a PutRecords response, as [`PutRecordsOutcome`] reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PutRecordsFailure {
    /// The request entry it answers (`records[index]` of the request).
    pub index: usize,
    /// e.g. `ProvisionedThroughputExceededException`, `InternalFailure`.
    pub error_code: String,
    /// The error message of a failed entry.
    pub error_message: Option<String>,
}

impl PutRecordsFailure {
    /// Whether the entry is worth sending again (decisions D7), as
    /// [`PutRecordsResultEntry::is_retryable_failure`].
    pub fn is_retryable(&self) -> bool {
        matches!(
            self.error_code.as_str(),
            crate::error::codes::PROVISIONED_THROUGHPUT_EXCEEDED
                | crate::error::codes::INTERNAL_FAILURE
        )
    }
}

/// A PutRecords response reduced to what a writer acts on: how many entries it answers and
/// which of them failed. Successful entries' sequence numbers and shard ids are skipped
/// while parsing, so nothing is allocated for them (use [`PutRecordsOutput`] when they are
/// wanted).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PutRecordsOutcome {
    /// `FailedRecordCount` as the service sent it.
    pub failed_record_count: u32,
    /// Number of result entries (one per request entry when the response is whole).
    pub entries: usize,
    /// The entries with an `ErrorCode`, in order.
    pub failures: Vec<PutRecordsFailure>,
    /// `NONE` or `KMS`.
    pub encryption_type: Option<String>,
}

impl PutRecordsOutcome {
    /// Whether every entry was written.
    pub fn all_succeeded(&self) -> bool {
        self.failed_record_count == 0 && self.failures.is_empty()
    }
}

/// One result entry; `SequenceNumber` and `ShardId` are skipped without being copied.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ResultEntryWire {
    #[serde(default)]
    error_code: Option<String>,
    #[serde(default)]
    error_message: Option<String>,
}

/// Deserializes the `Records` array (or `null`) into the outcome.
struct ResultEntriesSeed<'b>(&'b mut PutRecordsOutcome);

impl<'de> serde::de::DeserializeSeed<'de> for ResultEntriesSeed<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_option(self)
    }
}

impl<'de> serde::de::Visitor<'de> for ResultEntriesSeed<'_> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a list of PutRecords result entries")
    }
    fn visit_none<E>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(e) = seq.next_element::<ResultEntryWire>()? {
            if let Some(error_code) = e.error_code {
                self.0.failures.push(PutRecordsFailure {
                    index: self.0.entries,
                    error_code,
                    error_message: e.error_message,
                });
            }
            self.0.entries += 1;
        }
        Ok(())
    }
}

struct OutcomeVisitor;

impl<'de> serde::de::Visitor<'de> for OutcomeVisitor {
    type Value = PutRecordsOutcome;
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a PutRecords response object")
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(
        self,
        mut map: A,
    ) -> Result<PutRecordsOutcome, A::Error> {
        let mut out = PutRecordsOutcome::default();
        let mut seen_records = false;
        while let Some(key) = map.next_key::<Text<'de>>()? {
            match &*key.0 {
                "FailedRecordCount" => {
                    out.failed_record_count = map.next_value::<Option<u32>>()?.unwrap_or(0)
                }
                "Records" => {
                    if seen_records {
                        return Err(serde::de::Error::duplicate_field("Records"));
                    }
                    seen_records = true;
                    map.next_value_seed(ResultEntriesSeed(&mut out))?;
                }
                "EncryptionType" => out.encryption_type = map.next_value::<Option<String>>()?,
                _ => {
                    map.next_value::<serde::de::IgnoredAny>()?;
                }
            }
        }
        Ok(out)
    }
}

/// Parses a PutRecords response body into a [`PutRecordsOutcome`]: only failed entries are
/// materialised. An empty body reads as no entries, as for [`PutRecordsOutput`].
///
/// ```
/// use kinesis_wire::model::parse_put_records_outcome;
/// let out = parse_put_records_outcome(br#"{"FailedRecordCount":1,"Records":[
///     {"SequenceNumber":"1","ShardId":"shardId-000000000000"},
///     {"ErrorCode":"ProvisionedThroughputExceededException","ErrorMessage":"slow down"}]}"#).unwrap();
/// assert_eq!((out.entries, out.failures.len()), (2, 1));
/// assert_eq!(out.failures[0].index, 1);
/// assert!(out.failures[0].is_retryable() && !out.all_succeeded());
/// ```
pub fn parse_put_records_outcome(body: &[u8]) -> Result<PutRecordsOutcome, String> {
    let body: &[u8] = if body.iter().all(u8::is_ascii_whitespace) {
        b"{}"
    } else {
        body
    };
    let mut de = serde_json::Deserializer::from_slice(body);
    serde::Deserializer::deserialize_map(&mut de, OutcomeVisitor)
        .and_then(|v| de.end().map(|()| v))
        .map_err(|e| {
            format!(
                "invalid response: {e}; body starts with {:?}",
                String::from_utf8_lossy(&body[..body.len().min(120)])
            )
        })
}

fn serialize_base64<S: serde::Serializer>(data: &[u8], s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&base64::engine::general_purpose::STANDARD.encode(data))
}

/// PutRecord input.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct PutRecordInput {
    /// The stream, by name (default) or ARN.
    #[serde(flatten)]
    pub stream: StreamRef,
    /// The payload bytes (base64 only on the wire).
    #[serde(serialize_with = "serialize_base64")]
    pub data: Vec<u8>,
    /// Partition key (1..=256 Unicode scalar values).
    pub partition_key: String,
    /// Explicit hash key (decimal) that overrides the partition key's MD5 for routing.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub explicit_hash_key: Option<String>,
    /// Guarantees ordering after this sequence number for the same partition key.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sequence_number_for_ordering: Option<String>,
}

/// PutRecord output.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PutRecordOutput {
    /// Shard id, e.g. `shardId-000000000000`.
    pub shard_id: String,
    /// Sequence number (opaque decimal string; compare by length, then text).
    pub sequence_number: String,
    /// `NONE` or `KMS`.
    #[serde(default)]
    pub encryption_type: Option<String>,
}

/// An enhanced fan-out consumer (RegisterStreamConsumer, ListStreamConsumers).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Consumer {
    /// The consumer name.
    pub consumer_name: String,
    /// The consumer ARN.
    #[serde(rename = "ConsumerARN")]
    pub consumer_arn: String,
    /// Consumer status.
    pub consumer_status: ConsumerStatus,
    /// When the consumer was registered, epoch seconds.
    #[serde(default)]
    pub consumer_creation_timestamp: Option<f64>,
}

/// RegisterStreamConsumer input.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct RegisterStreamConsumerInput {
    /// The stream ARN.
    #[serde(rename = "StreamARN")]
    pub stream_arn: String,
    /// The consumer name.
    pub consumer_name: String,
}

/// RegisterStreamConsumer output.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RegisterStreamConsumerOutput {
    /// The consumer.
    pub consumer: Consumer,
}

/// DescribeStreamConsumer / DeregisterStreamConsumer input: a consumer ARN, or a stream ARN
/// plus consumer name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct ConsumerRef {
    /// The stream ARN.
    #[serde(rename = "StreamARN", skip_serializing_if = "Option::is_none")]
    pub stream_arn: Option<String>,
    /// The consumer name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub consumer_name: Option<String>,
    /// The consumer ARN.
    #[serde(rename = "ConsumerARN", skip_serializing_if = "Option::is_none")]
    pub consumer_arn: Option<String>,
}

/// The body of DescribeStreamConsumer.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ConsumerDescription {
    /// The consumer name.
    pub consumer_name: String,
    /// The consumer ARN.
    #[serde(rename = "ConsumerARN")]
    pub consumer_arn: String,
    /// Consumer status.
    pub consumer_status: ConsumerStatus,
    /// When the consumer was registered, epoch seconds.
    #[serde(default)]
    pub consumer_creation_timestamp: Option<f64>,
    /// The stream ARN.
    #[serde(rename = "StreamARN")]
    pub stream_arn: String,
}

/// DescribeStreamConsumer output.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeStreamConsumerOutput {
    /// The description.
    pub consumer_description: ConsumerDescription,
}

/// ListStreamConsumers input.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct ListStreamConsumersInput {
    /// The stream ARN.
    #[serde(rename = "StreamARN")]
    pub stream_arn: String,
    /// Paging token from the previous page (`None`: first page, or no more pages).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
    /// Page size limit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_results: Option<u32>,
    /// When the stream was created, epoch seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stream_creation_timestamp: Option<f64>,
}

/// ListStreamConsumers output.
#[derive(Debug, Clone, PartialEq, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct ListStreamConsumersOutput {
    /// Consumers of this page.
    #[serde(default, deserialize_with = "null_default")]
    pub consumers: Vec<Consumer>,
    /// Paging token from the previous page (`None`: first page, or no more pages).
    #[serde(default)]
    pub next_token: Option<String>,
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

    #[test]
    fn get_records_accepts_nulls_escapes_and_child_shards() {
        // kinesis-mock style: explicit nulls; a JSON-escaped '/' inside Data.
        let body = br#"{"Records":[
            {"SequenceNumber":"4959","ApproximateArrivalTimestamp":1795745028.866,"Data":"AP8\/","PartitionKey":"p\u00e9","EncryptionType":null},
            {"SequenceNumber":"4960","ApproximateArrivalTimestamp":1795745029,"Data":"","PartitionKey":"q"}],
            "NextShardIterator":null,"MillisBehindLatest":2169,
            "ChildShards":[{"ShardId":"shardId-000000000002","ParentShards":["shardId-000000000000"],
              "HashKeyRange":{"StartingHashKey":"0","EndingHashKey":"170141183460469231731687303715884105727"}}]}"#;
        let out = parse_get_records(body).unwrap();
        assert_eq!(out.records.len(), 2);
        assert_eq!(out.records[0].data, vec![0x00, 0xff, 0x3f]);
        assert_eq!(out.records[0].partition_key, "pé");
        assert_eq!(
            out.records[0].approximate_arrival_timestamp,
            Some(1795745028.866)
        );
        assert_eq!(out.records[1].data, Vec::<u8>::new());
        assert_eq!(
            out.records[1].approximate_arrival_timestamp,
            Some(1795745029.0)
        );
        assert_eq!(out.next_shard_iterator, None);
        assert_eq!(out.millis_behind_latest, Some(2169));
        assert_eq!(
            out.child_shards[0].parent_shards,
            vec!["shardId-000000000000"]
        );
        assert!(out.child_shards[0].hash_key_range.contains(5));

        let empty =
            parse_get_records(br#"{"Records":null,"NextShardIterator":"it","ChildShards":null}"#)
                .unwrap();
        assert!(empty.records.is_empty() && empty.child_shards.is_empty());
        assert_eq!(empty.next_shard_iterator.as_deref(), Some("it"));

        let bad = parse_get_records(
            br#"{"Records":[{"SequenceNumber":"7","Data":"!!","PartitionKey":"k"}]}"#,
        )
        .unwrap_err();
        assert!(bad.contains("record 0 (sequence number 7)"), "{bad}");
    }

    #[test]
    fn get_records_page_matches_owned_records_and_reuses_buffers() {
        // Escapes in every string field, nulls, an encryption type, unknown fields.
        let body = br#"{"Records":[
            {"SequenceNumber":"49\u0035","ApproximateArrivalTimestamp":1795745028.866,"Data":"AP8\/","PartitionKey":"p\u00e9","EncryptionType":"KMS","Extra":[1,{"a":null}]},
            {"SequenceNumber":"4960","ApproximateArrivalTimestamp":null,"Data":"","PartitionKey":"q","EncryptionType":null},
            {"PartitionKey":"r","Data":"aGVsbG8=","SequenceNumber":"4961"}],
            "NextShardIterator":"next","MillisBehindLatest":7,
            "ChildShards":[{"ShardId":"shardId-000000000002","ParentShards":["shardId-000000000000"],
              "HashKeyRange":{"StartingHashKey":"0","EndingHashKey":"9"}}]}"#;
        let owned = parse_get_records(body).unwrap();
        let page = parse_get_records_page(body, RecordBatch::default()).unwrap();
        assert_eq!(
            page.records
                .iter()
                .map(|r| r.to_record())
                .collect::<Vec<_>>(),
            owned.records
        );
        assert_eq!(page.records.get(0).unwrap().sequence_number, "495");
        assert_eq!(page.records.get(0).unwrap().encryption_type, Some("KMS"));
        assert_eq!(page.records.get(1).unwrap().encryption_type, None);
        assert_eq!(page.records.last().unwrap().data, b"hello");
        assert_eq!(page.records.data_bytes(), 3 + 5);
        assert_eq!(page.next_shard_iterator.as_deref(), Some("next"));
        assert_eq!(page.millis_behind_latest, Some(7));
        assert_eq!(page.child_shards, owned.child_shards);

        // Reusing the batch: old records are gone, the capacity stays.
        let cap = page.records.data.capacity();
        let again = parse_get_records_page(
            br#"{"Records":null,"NextShardIterator":null}"#,
            page.records,
        )
        .unwrap();
        assert!(again.records.is_empty() && again.next_shard_iterator.is_none());
        assert_eq!(again.records.data.capacity(), cap);

        let bad = parse_get_records_page(
            br#"{"Records":[{"SequenceNumber":"7","Data":"!!","PartitionKey":"k"}]}"#,
            again.records,
        )
        .unwrap_err();
        assert!(bad.contains("record 0 (sequence number 7)"), "{bad}");
        let trailing = parse_get_records_page(br#"{"Records":[]} x"#, RecordBatch::new());
        assert!(trailing.is_err());
        let missing = parse_get_records_page(
            br#"{"Records":[{"Data":"","PartitionKey":"k"}]}"#,
            RecordBatch::new(),
        )
        .unwrap_err();
        assert!(missing.contains("SequenceNumber"), "{missing}");
    }

    /// The fast parser's answer, if it gives one (`None`: it leaves the body to serde_json).
    fn fast_page(body: &[u8]) -> Option<GetRecordsPage> {
        let mut records = RecordBatch::new();
        let (next_shard_iterator, millis_behind_latest, child_shards) =
            fast::parse(body, &mut records)?;
        Some(GetRecordsPage {
            records,
            next_shard_iterator,
            millis_behind_latest,
            child_shards,
        })
    }

    #[test]
    fn fast_get_records_parser_agrees_with_serde_json() {
        let ok: &[&[u8]] = &[
            br#"{"Records":[{"SequenceNumber":"1","ApproximateArrivalTimestamp":1.5,"Data":"aGk=","PartitionKey":"k"}],"NextShardIterator":"it","MillisBehindLatest":0}"#,
            br#" { "Records" : [ { "Data" : "AP8\/" , "PartitionKey" : "p\u00e9\"" , "SequenceNumber" : "2" , "EncryptionType" : "KMS" , "ApproximateArrivalTimestamp" : -1.25e3 , "X" : [ true , false , null , { "y" : "\"]}" } , -0 ] } ] , "Other" : { } , "ChildShards" : [ ] } "#,
            br#"{"Records":[],"NextShardIterator":null,"MillisBehindLatest":null,"ChildShards":null}"#,
            br#"{"Records":null}"#,
            br#"{}"#,
            br#"{"Records":[{"SequenceNumber":"3","Data":"","PartitionKey":"k","ApproximateArrivalTimestamp":null,"EncryptionType":null}],
                "ChildShards":[{"ShardId":"shardId-000000000002","ParentShards":["shardId-000000000000"],"HashKeyRange":{"StartingHashKey":"0","EndingHashKey":"9"}}]}"#,
        ];
        for body in ok {
            let fast = fast_page(body).unwrap_or_else(|| {
                panic!("fast parser gave up on {}", String::from_utf8_lossy(body))
            });
            let slow = parse_get_records_page_serde(body, RecordBatch::new()).unwrap();
            assert_eq!(fast, slow, "{}", String::from_utf8_lossy(body));
        }
        for ts in [
            "1795745028.866",
            "0",
            "0.1",
            "17.5",
            "123456789012345",
            "12345678.9012345",
            "1.000000000000001",
            "-3.25",
            "2e3",
            "99999999999999.9",
        ] {
            let body = format!(
                r#"{{"Records":[{{"SequenceNumber":"1","Data":"","PartitionKey":"k","ApproximateArrivalTimestamp":{ts}}}]}}"#
            );
            let fast = fast_page(body.as_bytes()).unwrap();
            let slow = parse_get_records_page_serde(body.as_bytes(), RecordBatch::new()).unwrap();
            assert_eq!(fast, slow, "{ts}");
            let expected = ts.parse::<f64>().unwrap();
            assert_eq!(
                fast.records.get(0).unwrap().approximate_arrival_timestamp,
                Some(expected)
            );
        }
        // Left to serde_json, which reports them.
        let refused: &[&[u8]] = &[
            b"",
            br#"{"Records":[{"SequenceNumber":"1","Data":"!!","PartitionKey":"k"}]}"#,
            br#"{"Records":[{"SequenceNumber":null,"Data":"","PartitionKey":"k"}]}"#,
            br#"{"Records":[{"SequenceNumber":"1","SequenceNumber":"2","Data":"","PartitionKey":"k"}]}"#,
            br#"{"Records":[{"Data":"","PartitionKey":"k"}]}"#,
            br#"{"Records":[],"Records":[]}"#,
            br#"{"Records":[]} x"#,
            br#"{"Records":[],}"#,
            br#"{"MillisBehindLatest":-1}"#,
            br#"{"MillisBehindLatest":1.5}"#,
            br#"{"Records":[{"SequenceNumber":"1","Data":"","PartitionKey":"k","ApproximateArrivalTimestamp":1e400}]}"#,
            br#"{"Records":[{"SequenceNumber":"1","Data":"","PartitionKey":"k","ApproximateArrivalTimestamp":01}]}"#,
            b"{\"Records\":[{\"SequenceNumber\":\"1\",\"Data\":\"\",\"PartitionKey\":\"a\tb\"}]}",
            b"{\"Records\":[{\"SequenceNumber\":\"1\",\"Data\":\"\",\"PartitionKey\":\"\xff\"}]}",
            // Each half of "é" alone is invalid; together the buffer would be valid.
            b"{\"Records\":[{\"SequenceNumber\":\"1\xc3\",\"PartitionKey\":\"\xa9k\",\"Data\":\"\"}]}",
        ];
        for body in refused {
            assert!(
                fast_page(body).is_none(),
                "{}",
                String::from_utf8_lossy(body)
            );
            assert!(parse_get_records_page(body, RecordBatch::new()).is_err());
        }

        // Random damage to a valid body: no panic, and whenever the fast parser answers,
        // serde_json gives the same answer.
        let mut body = br#"{"Records":["#.to_vec();
        for i in 0..6 {
            if i > 0 {
                body.push(b',');
            }
            body.extend_from_slice(
                format!(r#"{{"SequenceNumber":"49{i}","ApproximateArrivalTimestamp":17.{i},"Data":"aGVsbG8gd29ybGQ=","PartitionKey":"k\"{i}","EncryptionType":"NONE"}}"#).as_bytes(),
            );
        }
        body.extend_from_slice(
            br#"],"NextShardIterator":"it","MillisBehindLatest":5,"ChildShards":[]}"#,
        );
        let mut rng = fastrand::Rng::with_seed(11);
        let alphabet = b"{}[]\",:\\ 0123456789.eE-+ntrufalsAZaz=/\x00\xc3";
        for _ in 0..3000 {
            let mut damaged = body.clone();
            for _ in 0..rng.usize(1..4) {
                let at = rng.usize(..damaged.len());
                match rng.u8(..3) {
                    0 => damaged[at] = alphabet[rng.usize(..alphabet.len())],
                    1 => {
                        damaged.remove(at);
                    }
                    _ => damaged.insert(at, alphabet[rng.usize(..alphabet.len())]),
                }
            }
            let slow = parse_get_records_page_serde(&damaged, RecordBatch::new());
            if let Some(fast) = fast_page(&damaged) {
                assert_eq!(Ok(fast), slow, "{}", String::from_utf8_lossy(&damaged));
            }
        }
    }

    #[test]
    fn put_records_encoding_round_trips_through_serde_json() {
        let entries = [
            PutRecordsEntry {
                data: (0u8..=255).collect(),
                partition_key: "quote\"and\\slash\n".into(),
                explicit_hash_key: Some("42".into()),
            },
            PutRecordsEntry {
                data: vec![],
                partition_key: "k".into(),
                explicit_hash_key: None,
            },
        ];
        let mut out = Vec::new();
        encode_put_records(
            &StreamRef::Arn("arn:aws:kinesis:us-east-1:0:stream/s".into()),
            entries.iter().map(PutRecordsEntryRef::from),
            &mut out,
        );
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(v["StreamARN"], "arn:aws:kinesis:us-east-1:0:stream/s");
        let recs = v["Records"].as_array().unwrap();
        assert_eq!(recs.len(), 2);
        let d0 = base64::engine::general_purpose::STANDARD
            .decode(recs[0]["Data"].as_str().unwrap())
            .unwrap();
        assert_eq!(d0, entries[0].data);
        assert_eq!(recs[0]["PartitionKey"], "quote\"and\\slash\n");
        assert_eq!(recs[0]["ExplicitHashKey"], "42");
        assert_eq!(recs[1]["Data"], "");
        assert!(recs[1].get("ExplicitHashKey").is_none());
    }

    #[test]
    fn put_records_outcome_matches_the_full_output() {
        let body = br#"{"FailedRecordCount":2,"Records":[
              {"SequenceNumber":"1","ShardId":"shardId-000000000000","ErrorCode":null,"ErrorMessage":null},
              {"SequenceNumber":null,"ShardId":null,"ErrorCode":"InvalidArgumentException","ErrorMessage":"too \"big\""},
              {"SequenceNumber":"3","ShardId":"shardId-000000000001","Extra":{"x":[1,2]}},
              {"ErrorCode":"InternalFailure"}],
              "EncryptionType":null}"#;
        let full: PutRecordsOutput = serde_json::from_slice(body).unwrap();
        let out = parse_put_records_outcome(body).unwrap();
        assert_eq!(out.entries, full.records.len());
        assert_eq!(out.failed_record_count, 2);
        let expected: Vec<PutRecordsFailure> = full
            .records
            .iter()
            .enumerate()
            .filter_map(|(index, r)| {
                Some(PutRecordsFailure {
                    index,
                    error_code: r.error_code.clone()?,
                    error_message: r.error_message.clone(),
                })
            })
            .collect();
        assert_eq!(out.failures, expected);
        assert_eq!(
            out.failures[0].error_message.as_deref(),
            Some("too \"big\"")
        );
        assert!(!out.failures[0].is_retryable() && out.failures[1].is_retryable());
        assert!(!out.all_succeeded());

        let empty = parse_put_records_outcome(b" \n").unwrap();
        assert_eq!((empty.entries, empty.all_succeeded()), (0, true));
        let nulls =
            parse_put_records_outcome(br#"{"FailedRecordCount":null,"Records":null}"#).unwrap();
        assert_eq!(nulls, PutRecordsOutcome::default());
        let bad = parse_put_records_outcome(br#"{"Records":[{"ErrorCode":5}]}"#).unwrap_err();
        assert!(bad.starts_with("invalid response: "), "{bad}");
    }

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
