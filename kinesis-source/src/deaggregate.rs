//! KPL de-aggregation (reference §5.5): records written by the Kinesis Producer Library pack
//! many user records into one Kinesis record:
//!
//! ```text
//! F3 89 9A C2 | AggregatedRecord (protobuf) | MD5(AggregatedRecord) (16 bytes)
//! ```
//!
//! The protobuf is decoded by hand (three message types, proto2):
//!
//! ```text
//! message AggregatedRecord { repeated string partition_key_table = 1;
//!                            repeated string explicit_hash_key_table = 2;
//!                            repeated Record records = 3; }
//! message Record { required uint64 partition_key_index = 1; optional uint64 explicit_hash_key_index = 2;
//!                  required bytes data = 3; repeated Tag tags = 4; }
//! message Tag { required string key = 1; optional string value = 2; }
//! ```
//!
//! A record that does not carry the magic, whose MD5 does not match, or whose protobuf does
//! not parse is *not* aggregated and passes through unchanged, as the KCL does.

use md5::{Digest, Md5};

/// The four bytes every KPL aggregate starts with.
pub const KPL_MAGIC: [u8; 4] = [0xF3, 0x89, 0x9A, 0xC2];
const MD5_LEN: usize = 16;

/// One user record taken out of an aggregate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRecord<'a> {
    /// The user record's partition key (from the aggregate's key table).
    pub partition_key: &'a str,
    /// Its explicit hash key (decimal text), when the producer set one.
    pub explicit_hash_key: Option<&'a str>,
    /// Its payload.
    pub data: &'a [u8],
}

/// What [`deaggregate`] made of one Kinesis record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Deaggregated<'a> {
    /// Not a (valid) KPL aggregate: use the record as it is.
    Plain,
    /// The user records, in order; record `i` has sub-sequence number `i`.
    Records(Vec<UserRecord<'a>>),
    /// A valid aggregate with a user record whose hash key lies outside the shard's hash
    /// range: the whole aggregate is dropped, as the KCL does (it filters the duplicates a
    /// reshard can produce). Carries the number of user records dropped.
    OutsideHashRange(usize),
}

/// The hash key Kinesis routes a record by: the explicit hash key when set, else the MD5 of
/// the UTF-8 partition key read as an unsigned big-endian 128-bit number.
///
/// (`effective_hash_key("pk", Some("42")) == Some(42)`; with no explicit key, the MD5 of the
/// partition key: see the unit tests.)
pub fn effective_hash_key(partition_key: &str, explicit_hash_key: Option<&str>) -> Option<u128> {
    match explicit_hash_key {
        Some(h) => h.trim().parse::<u128>().ok(),
        None => {
            let digest = Md5::digest(partition_key.as_bytes());
            let mut b = [0u8; 16];
            b.copy_from_slice(&digest);
            Some(u128::from_be_bytes(b))
        }
    }
}

/// Splits `data` into its user records if it is a KPL aggregate (§5.5). `hash_range` is the
/// shard's `[StartingHashKey, EndingHashKey]`; `None` skips the range check.
///
/// (Unit test `splits_an_aws_kinesis_agg_aggregate` decodes the aggregate aws-kinesis-agg
/// makes of three records.)
pub fn deaggregate(data: &[u8], hash_range: Option<(u128, u128)>) -> Deaggregated<'_> {
    if data.len() < KPL_MAGIC.len() || data[..4] != KPL_MAGIC {
        return Deaggregated::Plain;
    }
    let rest = &data[4..];
    if rest.len() <= MD5_LEN {
        return Deaggregated::Plain;
    }
    let (body, trailer) = rest.split_at(rest.len() - MD5_LEN);
    if Md5::digest(body).as_slice() != trailer {
        return Deaggregated::Plain;
    }
    let Some(records) = parse_aggregate(body) else {
        return Deaggregated::Plain;
    };
    if let Some((lo, hi)) = hash_range {
        for r in &records {
            match effective_hash_key(r.partition_key, r.explicit_hash_key) {
                Some(h) if lo <= h && h <= hi => {}
                _ => return Deaggregated::OutsideHashRange(records.len()),
            }
        }
    }
    Deaggregated::Records(records)
}

/// A protobuf field: number and value.
enum Field<'a> {
    Varint(u64),
    Bytes(&'a [u8]),
    Other,
}

/// A forward-only protobuf reader; every method returns `None` on malformed input.
struct Pb<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Pb<'a> {
    fn new(buf: &'a [u8]) -> Self {
        Pb { buf, pos: 0 }
    }

    fn varint(&mut self) -> Option<u64> {
        let mut v: u64 = 0;
        for i in 0..10 {
            let b = *self.buf.get(self.pos)?;
            self.pos += 1;
            v |= u64::from(b & 0x7f) << (7 * i);
            if b & 0x80 == 0 {
                return Some(v);
            }
        }
        None
    }

    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let end = self.pos.checked_add(n)?;
        let s = self.buf.get(self.pos..end)?;
        self.pos = end;
        Some(s)
    }

    /// The next field, or `Some(None)` at the end of the buffer.
    fn next(&mut self) -> Option<Option<(u64, Field<'a>)>> {
        if self.pos == self.buf.len() {
            return Some(None);
        }
        let key = self.varint()?;
        let number = key >> 3;
        if number == 0 {
            return None;
        }
        let field = match key & 7 {
            0 => Field::Varint(self.varint()?),
            1 => {
                self.take(8)?;
                Field::Other
            }
            2 => {
                let len = usize::try_from(self.varint()?).ok()?;
                Field::Bytes(self.take(len)?)
            }
            5 => {
                self.take(4)?;
                Field::Other
            }
            // Groups (3, 4) and the undefined wire types 6 and 7 do not occur in this schema.
            _ => return None,
        };
        Some(Some((number, field)))
    }
}

struct RawRecord<'a> {
    pk_index: u64,
    ehk_index: Option<u64>,
    data: &'a [u8],
}

fn parse_record(buf: &[u8]) -> Option<RawRecord<'_>> {
    let mut pb = Pb::new(buf);
    let (mut pk, mut ehk, mut data) = (None, None, None);
    while let Some((n, f)) = pb.next()? {
        match (n, f) {
            (1, Field::Varint(v)) => pk = Some(v),
            (2, Field::Varint(v)) => ehk = Some(v),
            (3, Field::Bytes(b)) => data = Some(b),
            (4, Field::Bytes(tag)) => parse_tag(tag)?,
            (1..=4, _) => return None, // a known field with the wrong wire type
            _ => {}
        }
    }
    // Both are `required` in the KPL schema: a record without them does not parse.
    Some(RawRecord {
        pk_index: pk?,
        ehk_index: ehk,
        data: data?,
    })
}

fn parse_tag(buf: &[u8]) -> Option<()> {
    let mut pb = Pb::new(buf);
    let mut key = false;
    while let Some((n, f)) = pb.next()? {
        match (n, f) {
            (1, Field::Bytes(_)) => key = true,
            (2, Field::Bytes(_)) => {}
            (1 | 2, _) => return None,
            _ => {}
        }
    }
    key.then_some(())
}

fn parse_aggregate(body: &[u8]) -> Option<Vec<UserRecord<'_>>> {
    let mut pb = Pb::new(body);
    let mut pks: Vec<&str> = Vec::new();
    let mut ehks: Vec<&str> = Vec::new();
    let mut raw: Vec<RawRecord<'_>> = Vec::new();
    while let Some((n, f)) = pb.next()? {
        match (n, f) {
            (1, Field::Bytes(b)) => pks.push(std::str::from_utf8(b).ok()?),
            (2, Field::Bytes(b)) => ehks.push(std::str::from_utf8(b).ok()?),
            (3, Field::Bytes(b)) => raw.push(parse_record(b)?),
            (1..=3, _) => return None,
            _ => {}
        }
    }
    raw.into_iter()
        .map(|r| {
            let partition_key = *pks.get(usize::try_from(r.pk_index).ok()?)?;
            let explicit_hash_key = match r.ehk_index {
                Some(i) => Some(*ehks.get(usize::try_from(i).ok()?)?),
                None => None,
            };
            Some(UserRecord {
                partition_key,
                explicit_hash_key,
                data: r.data,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hash_key_is_the_explicit_one_else_the_md5_of_the_key() {
        assert_eq!(effective_hash_key("pk", Some("42")), Some(42));
        // MD5("") = d41d8cd98f00b204e9800998ecf8427e
        assert_eq!(
            effective_hash_key("", None),
            Some(0xd41d8cd98f00b204e9800998ecf8427e)
        );
    }

    #[test]
    fn splits_an_aws_kinesis_agg_aggregate() {
        assert_eq!(deaggregate(b"plain payload", None), Deaggregated::Plain);
        // Three records made by aws-kinesis-agg (python), keys pk-0..2, data user-record-0..2.
        let hex = "f3899ac20a04706b2d300a04706b2d310a04706b2d321a1108001a0d757365722d7265636f72642d301a1108011a0d\
                   757365722d7265636f72642d311a1108021a0d757365722d7265636f72642d3295aaf54b98beb315259915f5a98f8a58";
        let hex: String = hex.split_whitespace().collect();
        let bytes: Vec<u8> = (0..hex.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
            .collect();
        match deaggregate(&bytes, Some((0, u128::MAX))) {
            Deaggregated::Records(r) => {
                assert_eq!(r.len(), 3);
                assert_eq!(r[2].partition_key, "pk-2");
                assert_eq!(r[2].data, b"user-record-2");
            }
            other => panic!("{other:?}"),
        }
    }

    fn unhex(s: &str) -> Vec<u8> {
        let s: String = s.split_whitespace().collect();
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    // Fixtures produced by aws-kinesis-agg 1.2.3 (python), from spec/test-servers.md §9.
    const THREE: &str = "f3899ac20a04706b2d300a04706b2d310a04706b2d321a1108001a0d757365722d7265636f72642d301a1108011a0d
        757365722d7265636f72642d311a1108021a0d757365722d7265636f72642d3295aaf54b98beb315259915f5a98f8a58";
    const WITH_EHK: &str = "f3899ac20a04706b2d300a04706b2d31122638353037303539313733303233343631353836353834333635313835373934323035323836341a13
        080010001a0d757365722d7265636f72642d301a1108011a0d757365722d7265636f72642d31f8896ba590fa82b9c941004fcb23cac1";

    #[test]
    fn python_fixture_three_records() {
        let b = unhex(THREE);
        let Deaggregated::Records(r) = deaggregate(&b, Some((0, u128::MAX))) else {
            panic!()
        };
        let got: Vec<(&str, &[u8])> = r.iter().map(|u| (u.partition_key, u.data)).collect();
        assert_eq!(
            got,
            vec![
                ("pk-0", &b"user-record-0"[..]),
                ("pk-1", &b"user-record-1"[..]),
                ("pk-2", &b"user-record-2"[..])
            ]
        );
    }

    #[test]
    fn python_fixture_explicit_hash_key_and_range_filter() {
        let b = unhex(WITH_EHK);
        let Deaggregated::Records(r) = deaggregate(&b, None) else {
            panic!()
        };
        assert_eq!(
            r[0].explicit_hash_key,
            Some("85070591730234615865843651857942052864")
        );
        assert_eq!(r[1].explicit_hash_key, None);
        // 85070591730234615865843651857942052864 = 2^126: a shard covering only the lower
        // quarter of the key space must drop the whole aggregate.
        assert_eq!(
            deaggregate(&b, Some((0, (1u128 << 126) - 1))),
            Deaggregated::OutsideHashRange(2)
        );
    }

    #[test]
    fn bad_md5_or_broken_protobuf_pass_through() {
        let mut b = unhex(THREE);
        let last = b.len() - 1;
        b[last] ^= 1;
        assert_eq!(deaggregate(&b, None), Deaggregated::Plain);
        // Valid MD5 over a body that is not a protobuf (truncated varint).
        let body = [0x0a, 0xff];
        let mut rec = KPL_MAGIC.to_vec();
        rec.extend_from_slice(&body);
        rec.extend_from_slice(&Md5::digest(body));
        assert_eq!(deaggregate(&rec, None), Deaggregated::Plain);
        // Record pointing at a partition key index that does not exist.
        let body = [0x1a, 0x04, 0x08, 0x05, 0x1a, 0x00];
        let mut rec = KPL_MAGIC.to_vec();
        rec.extend_from_slice(&body);
        rec.extend_from_slice(&Md5::digest(body));
        assert_eq!(deaggregate(&rec, None), Deaggregated::Plain);
        // Too short, wrong magic.
        assert_eq!(deaggregate(&KPL_MAGIC, None), Deaggregated::Plain);
        assert_eq!(
            deaggregate(b"\xf3\x89\x9a\xc3xxxxxxxxxxxxxxxxxxxxx", None),
            Deaggregated::Plain
        );
    }
}
