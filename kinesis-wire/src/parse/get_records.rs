//! GetRecords bodies: [`parse_get_records_page`] tries the fast scanner ([`super::fast`])
//! and falls back to serde_json, which gives the answer or the error message.

use serde::{Deserialize, Deserializer};

use super::{fast, ParseError, RawText, Text};
use crate::model::{span_of, ChildShard, GetRecordsOutput, GetRecordsPage, RecordBatch, RecordRef};

/// What errors call a GetRecords body.
const WHAT: &str = "GetRecords response";

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
/// Appends a record of the wire to `batch`, base64-decoding its `Data` straight into the
/// batch's payload buffer.
fn push_wire(batch: &mut RecordBatch, r: &RecordBorrowedWire<'_>) -> Result<(), String> {
    let encoded = r.data.as_bytes();
    // `decode_append` reserves exactly what one record needs; reserving here first
    // keeps the buffer's growth amortized.
    batch.data.reserve(encoded.len() / 4 * 3 + 3);
    let start = batch.data.len();
    base64_simd::STANDARD
        .decode_append(encoded, &mut batch.data)
        .map_err(|e| {
            format!(
                "record {} (sequence number {}): Data is not valid base64: {e}",
                batch.spans.len(),
                r.sequence_number.0
            )
        })?;
    let data = span_of(start, batch.data.len());
    let view = RecordRef {
        sequence_number: &r.sequence_number.0,
        approximate_arrival_timestamp: r.approximate_arrival_timestamp,
        data: &[],
        partition_key: &r.partition_key.0,
        encryption_type: r.encryption_type.as_ref().map(|e| &*e.0),
    };
    let spans = batch.spans_for(view, data);
    batch.spans.push(spans);
    Ok(())
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
            push_wire(self.0, &r).map_err(serde::de::Error::custom)?;
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
pub fn parse_get_records_page(
    body: &[u8],
    reuse: RecordBatch,
) -> Result<GetRecordsPage, ParseError> {
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
pub(crate) fn parse_get_records_page_serde(
    body: &[u8],
    mut records: RecordBatch,
) -> Result<GetRecordsPage, ParseError> {
    let mut de = serde_json::Deserializer::from_slice(body);
    let parsed = serde::Deserializer::deserialize_map(
        &mut de,
        PageVisitor {
            batch: &mut records,
        },
    )
    .and_then(|v| de.end().map(|()| v));
    let (next_shard_iterator, millis_behind_latest, child_shards) =
        parsed.map_err(|e| ParseError::new(WHAT, e.to_string()))?;
    Ok(GetRecordsPage {
        records,
        next_shard_iterator,
        millis_behind_latest,
        child_shards,
    })
}

/// Parses a GetRecords response body into owned [`crate::model::Record`]s: the page parser
/// ([`parse_get_records_page`]), then one copy of each record.
///
/// ```
/// let body = br#"{"Records":[{"SequenceNumber":"1","ApproximateArrivalTimestamp":1.5,
///   "Data":"aGk=","PartitionKey":"k"}],"NextShardIterator":null,"MillisBehindLatest":0,
///   "ChildShards":null}"#;
/// let out = kinesis_wire::model::parse_get_records(body).unwrap();
/// assert_eq!(out.records[0].data, b"hi");
/// assert_eq!(out.next_shard_iterator, None);
/// ```
pub fn parse_get_records(body: &[u8]) -> Result<GetRecordsOutput, ParseError> {
    parse_get_records_page(body, RecordBatch::new()).map(GetRecordsOutput::from)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Record;

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
        assert!(
            bad.message().contains("record 0 (sequence number 7)"),
            "{bad}"
        );
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
        let page = parse_get_records_page(body, RecordBatch::default()).unwrap();
        let record =
            |seq: &str, at: Option<f64>, data: &[u8], key: &str, enc: Option<&str>| Record {
                sequence_number: seq.into(),
                approximate_arrival_timestamp: at,
                data: data.to_vec(),
                partition_key: key.into(),
                encryption_type: enc.map(str::to_string),
            };
        assert_eq!(
            page.records
                .iter()
                .map(|r| r.to_record())
                .collect::<Vec<_>>(),
            [
                record(
                    "495",
                    Some(1795745028.866),
                    &[0x00, 0xff, 0x3f],
                    "pé",
                    Some("KMS")
                ),
                record("4960", None, b"", "q", None),
                record("4961", None, b"hello", "r", None),
            ]
        );
        assert_eq!(page.records.get(0).unwrap().sequence_number, "495");
        assert_eq!(page.records.get(0).unwrap().encryption_type, Some("KMS"));
        assert_eq!(page.records.get(1).unwrap().encryption_type, None);
        assert_eq!(page.records.last().unwrap().data, b"hello");
        assert_eq!(page.records.data_bytes(), 3 + 5);
        assert_eq!(page.next_shard_iterator.as_deref(), Some("next"));
        assert_eq!(page.millis_behind_latest, Some(7));
        assert_eq!(page.child_shards[0].shard_id, "shardId-000000000002");
        // The owned form is the same page, copied.
        let owned = parse_get_records(body).unwrap();
        assert_eq!(owned.records.len(), 3);
        assert_eq!(owned.records[2].data, b"hello");
        assert_eq!(owned.child_shards, page.child_shards);

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
        assert!(
            bad.message().contains("record 0 (sequence number 7)"),
            "{bad}"
        );
        let trailing = parse_get_records_page(br#"{"Records":[]} x"#, RecordBatch::new());
        assert!(trailing.is_err());
        let missing = parse_get_records_page(
            br#"{"Records":[{"Data":"","PartitionKey":"k"}]}"#,
            RecordBatch::new(),
        )
        .unwrap_err();
        assert!(missing.message().contains("SequenceNumber"), "{missing}");
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
}
