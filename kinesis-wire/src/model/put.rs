//! Writing: PutRecords (its request encoder and both views of its answer) and PutRecord.

use base64::Engine as _;
use serde::{Deserialize, Serialize};

use super::{null_default, StreamRef};

/// One entry of a PutRecords request.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct PutRecordsEntry {
    /// The payload (raw bytes; base64 only on the wire).
    pub data: Vec<u8>,
    /// Partition key (1..=256 Unicode scalar values).
    pub partition_key: String,
    /// Explicit hash key (decimal) that overrides the partition key's MD5 for routing.
    pub explicit_hash_key: Option<String>,
}

impl PutRecordsEntry {
    /// An entry routed by its partition key's MD5.
    pub fn new(data: Vec<u8>, partition_key: impl Into<String>) -> Self {
        PutRecordsEntry {
            data,
            partition_key: partition_key.into(),
            explicit_hash_key: None,
        }
    }

    /// This entry routed by an explicit hash key (decimal) instead.
    pub fn explicit_hash_key(mut self, hash_key: impl Into<String>) -> Self {
        self.explicit_hash_key = Some(hash_key.into());
        self
    }
}

/// PutRecords input (at most 500 entries, 5 MiB).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct PutRecordsInput {
    /// The stream, by name (default) or ARN.
    pub stream: StreamRef,
    /// The records / entries, in order.
    pub records: Vec<PutRecordsEntry>,
}

impl PutRecordsInput {
    /// A PutRecords call writing `records` to `stream` (at most 500 entries, 5 MiB).
    ///
    /// ```
    /// use kinesis_wire::model::{PutRecordsEntry, PutRecordsInput};
    /// let i = PutRecordsInput::new("orders", vec![PutRecordsEntry::new(b"{}".to_vec(), "k")]);
    /// assert_eq!(i.records.len(), 1);
    /// ```
    pub fn new(stream: impl Into<StreamRef>, records: Vec<PutRecordsEntry>) -> Self {
        PutRecordsInput {
            stream: stream.into(),
            records,
        }
    }
}

/// A borrowed view of one PutRecords entry, for encoding without copying payloads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct PutRecordsEntryRef<'a> {
    /// The payload bytes (base64 only on the wire).
    pub data: &'a [u8],
    /// Partition key (1..=256 Unicode scalar values).
    pub partition_key: &'a str,
    /// Explicit hash key (decimal) that overrides the partition key's MD5 for routing.
    pub explicit_hash_key: Option<&'a str>,
}

impl<'a> PutRecordsEntryRef<'a> {
    /// A view of an entry routed by its partition key's MD5.
    pub fn new(data: &'a [u8], partition_key: &'a str) -> Self {
        PutRecordsEntryRef {
            data,
            partition_key,
            explicit_hash_key: None,
        }
    }

    /// This view routed by an explicit hash key (decimal) instead.
    pub fn explicit_hash_key(mut self, hash_key: &'a str) -> Self {
        self.explicit_hash_key = Some(hash_key);
        self
    }
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
/// use kinesis_wire::model::{encode_put_records, PutRecordsEntryRef, StreamRef};
/// let mut body = Vec::new();
/// let e = PutRecordsEntryRef::new(b"hi", "k");
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
#[non_exhaustive]
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
    /// let mut entry = PutRecordsResultEntry::default();
    /// entry.error_code = Some("ProvisionedThroughputExceededException".into());
    /// assert!(!entry.is_success() && entry.is_retryable_failure());
    /// entry.error_code = Some("KMSDisabledException".into());
    /// assert!(!entry.is_retryable_failure());
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
#[non_exhaustive]
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
#[non_exhaustive]
pub struct PutRecordsFailure {
    /// The request entry it answers (`records[index]` of the request).
    pub index: usize,
    /// e.g. `ProvisionedThroughputExceededException`, `InternalFailure`.
    pub error_code: String,
    /// The error message of a failed entry.
    pub error_message: Option<String>,
}

impl PutRecordsFailure {
    /// The failure of request entry `index` with `error_code`.
    pub fn new(index: usize, error_code: impl Into<String>, error_message: Option<String>) -> Self {
        PutRecordsFailure {
            index,
            error_code: error_code.into(),
            error_message,
        }
    }

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
#[non_exhaustive]
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
    /// The outcome of a request of `entries` entries of which `failures` failed
    /// (`failed_record_count` is their number, no encryption type).
    ///
    /// ```
    /// use kinesis_wire::model::{PutRecordsFailure, PutRecordsOutcome};
    /// let o = PutRecordsOutcome::new(3, vec![PutRecordsFailure::new(1, "InternalFailure", None)]);
    /// assert_eq!((o.failed_record_count, o.all_succeeded()), (1, false));
    /// ```
    pub fn new(entries: usize, failures: Vec<PutRecordsFailure>) -> Self {
        PutRecordsOutcome {
            failed_record_count: failures.len() as u32,
            entries,
            failures,
            encryption_type: None,
        }
    }

    /// Whether every entry was written.
    pub fn all_succeeded(&self) -> bool {
        self.failed_record_count == 0 && self.failures.is_empty()
    }
}
fn serialize_base64<S: serde::Serializer>(data: &[u8], s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&base64::engine::general_purpose::STANDARD.encode(data))
}

/// PutRecord input.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
#[non_exhaustive]
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

impl PutRecordInput {
    /// A PutRecord call writing `data` under `partition_key`.
    pub fn new(
        stream: impl Into<StreamRef>,
        data: Vec<u8>,
        partition_key: impl Into<String>,
    ) -> Self {
        PutRecordInput {
            stream: stream.into(),
            data,
            partition_key: partition_key.into(),
            explicit_hash_key: None,
            sequence_number_for_ordering: None,
        }
    }

    /// This call routed by an explicit hash key (decimal).
    pub fn explicit_hash_key(mut self, hash_key: impl Into<String>) -> Self {
        self.explicit_hash_key = Some(hash_key.into());
        self
    }

    /// This call ordered after `sequence_number` for the same partition key.
    pub fn sequence_number_for_ordering(mut self, sequence_number: impl Into<String>) -> Self {
        self.sequence_number_for_ordering = Some(sequence_number.into());
        self
    }
}

/// PutRecord output.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
#[non_exhaustive]
pub struct PutRecordOutput {
    /// Shard id, e.g. `shardId-000000000000`.
    pub shard_id: String,
    /// Sequence number (opaque decimal string; compare by length, then text).
    pub sequence_number: String,
    /// `NONE` or `KMS`.
    #[serde(default)]
    pub encryption_type: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
