//! Records read by GetRecords: owned ([`Record`], [`GetRecordsOutput`]) or packed into one
//! [`RecordBatch`] per page ([`GetRecordsPage`]).

use serde::Serialize;

#[cfg(doc)]
use crate::parse::parse_get_records_page;

use super::ChildShard;

/// GetRecords input.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
#[non_exhaustive]
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

impl GetRecordsInput {
    /// A call reading from `shard_iterator`, at most 10,000 records (the service's limit).
    ///
    /// ```
    /// let i = kinesis_wire::model::GetRecordsInput::new("AAAA").limit(1000);
    /// assert_eq!(i.limit, Some(1000));
    /// ```
    pub fn new(shard_iterator: impl Into<String>) -> Self {
        GetRecordsInput {
            shard_iterator: shard_iterator.into(),
            limit: None,
            stream_arn: None,
        }
    }

    /// This call returning at most `n` records.
    pub fn limit(mut self, n: u32) -> Self {
        self.limit = Some(n);
        self
    }

    /// This call naming the stream's ARN (cross-account access).
    pub fn stream_arn(mut self, arn: impl Into<String>) -> Self {
        self.stream_arn = Some(arn.into());
        self
    }
}

/// One record from GetRecords.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
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

impl Record {
    /// A record with no arrival time and no encryption type.
    ///
    /// ```
    /// let r = kinesis_wire::model::Record::new("49", b"hi".to_vec(), "k")
    ///     .approximate_arrival_timestamp(1.5);
    /// assert_eq!(r.approximate_arrival_timestamp, Some(1.5));
    /// ```
    pub fn new(
        sequence_number: impl Into<String>,
        data: Vec<u8>,
        partition_key: impl Into<String>,
    ) -> Self {
        Record {
            sequence_number: sequence_number.into(),
            approximate_arrival_timestamp: None,
            data,
            partition_key: partition_key.into(),
            encryption_type: None,
        }
    }

    /// This record with an arrival time (epoch seconds).
    pub fn approximate_arrival_timestamp(mut self, epoch_seconds: f64) -> Self {
        self.approximate_arrival_timestamp = Some(epoch_seconds);
        self
    }

    /// This record with an encryption type (`NONE`, `KMS`).
    pub fn encryption_type(mut self, encryption_type: impl Into<String>) -> Self {
        self.encryption_type = Some(encryption_type.into());
        self
    }
}
/// GetRecords output. `next_shard_iterator == None` means the shard is closed and fully read.
#[derive(Debug, Clone, PartialEq, Default)]
#[non_exhaustive]
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
/// Where one record's fields lie inside its [`RecordBatch`]'s buffers (`u32` offsets keep
/// the table small; a GetRecords page is at most 10 MiB).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct RecordSpans {
    pub(crate) data: (u32, u32),
    pub(crate) sequence_number: (u32, u32),
    pub(crate) partition_key: (u32, u32),
    /// `(0, 0)` with `has_encryption_type == false` when absent.
    pub(crate) encryption_type: (u32, u32),
    pub(crate) has_encryption_type: bool,
    pub(crate) approximate_arrival_timestamp: Option<f64>,
}

/// A borrowed view of one record of a [`RecordBatch`].
///
/// ```
/// use kinesis_wire::model::{RecordBatch, RecordRef};
/// let mut batch = RecordBatch::new();
/// batch.push(RecordRef::new("49", b"hi", "k").approximate_arrival_timestamp(1.5));
/// let r = batch.get(0).unwrap();
/// assert_eq!((r.sequence_number, r.data, r.partition_key), ("49", &b"hi"[..], "k"));
/// assert_eq!(r.to_record().data, b"hi");
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
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

impl<'a> RecordRef<'a> {
    /// A view of a record with no arrival time and no encryption type.
    pub fn new(sequence_number: &'a str, data: &'a [u8], partition_key: &'a str) -> Self {
        RecordRef {
            sequence_number,
            approximate_arrival_timestamp: None,
            data,
            partition_key,
            encryption_type: None,
        }
    }

    /// This view with an arrival time (epoch seconds).
    pub fn approximate_arrival_timestamp(mut self, epoch_seconds: f64) -> Self {
        self.approximate_arrival_timestamp = Some(epoch_seconds);
        self
    }

    /// This view with an encryption type (`NONE`, `KMS`).
    pub fn encryption_type(mut self, encryption_type: &'a str) -> Self {
        self.encryption_type = Some(encryption_type);
        self
    }

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
/// let owned = Record::new("1", b"payload".to_vec(), "pk").encryption_type("KMS");
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
    pub(crate) data: Vec<u8>,
    pub(crate) text: String,
    pub(crate) spans: Vec<RecordSpans>,
}

/// Batches are equal when their records are (however the buffers are laid out).
impl PartialEq for RecordBatch {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter())
    }
}

pub(crate) fn span_of(start: usize, end: usize) -> (u32, u32) {
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

    pub(crate) fn spans_for(&mut self, r: RecordRef<'_>, data: (u32, u32)) -> RecordSpans {
        RecordSpans {
            data,
            sequence_number: self.push_text(r.sequence_number),
            partition_key: self.push_text(r.partition_key),
            encryption_type: r.encryption_type.map_or((0, 0), |e| self.push_text(e)),
            has_encryption_type: r.encryption_type.is_some(),
            approximate_arrival_timestamp: r.approximate_arrival_timestamp,
        }
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
#[non_exhaustive]
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

impl From<GetRecordsPage> for GetRecordsOutput {
    /// The page with each record copied out of the batch.
    fn from(page: GetRecordsPage) -> Self {
        GetRecordsOutput {
            records: page.records.iter().map(|r| r.to_record()).collect(),
            next_shard_iterator: page.next_shard_iterator,
            millis_behind_latest: page.millis_behind_latest,
            child_shards: page.child_shards,
        }
    }
}
