//! KPL de-aggregation (`deaggregate`, reached through kinesis-source's `fuzzing` feature).
//!
//! An input is the `AggregatedRecord` protobuf; the target frames it as the KPL does (magic,
//! body, MD5 of the body), so every input reaches the protobuf parser, and also passes the
//! input unframed (the magic and MD5 checks).
//!
//! Checked on every input: no panic; the result agrees with a reference decoder written
//! here from the schema (proto2, the same strictness: known fields with the wrong wire
//! type, missing required fields, bad UTF-8 in a key, an index past its table or a
//! truncated field make the record plain); a shard hash range drops the aggregate exactly
//! when a user record's hash key lies outside it.

use kinesis_source::fuzzing::{deaggregate, effective_hash_key, Deaggregated};
use md5::{Digest, Md5};

use crate::driver::{Target, Verdict};
use crate::mutate::varint;
use crate::rng::Rng;

/// The four bytes every KPL aggregate starts with.
const KPL_MAGIC: [u8; 4] = [0xF3, 0x89, 0x9A, 0xC2];

/// `deaggregate` on framed and unframed aggregates.
pub struct Kpl;

/// One user record, as the reference decoder reads it.
#[derive(Debug, PartialEq, Eq)]
struct Expected<'a> {
    partition_key: &'a str,
    explicit_hash_key: Option<&'a str>,
    data: &'a [u8],
}

/// A field of a protobuf message: number and value (`None` for fixed32/fixed64).
type Field<'a> = (u64, Option<Value<'a>>);

#[derive(Clone, Copy)]
enum Value<'a> {
    Varint(u64),
    Bytes(&'a [u8]),
}

/// The fields of a protobuf message, or `None` if it is malformed (truncated, a group, a
/// field number 0, an undefined wire type).
fn fields(mut buf: &[u8]) -> Option<Vec<Field<'_>>> {
    fn read_varint(buf: &mut &[u8]) -> Option<u64> {
        let mut v = 0u64;
        for i in 0..10 {
            let (&b, rest) = buf.split_first()?;
            *buf = rest;
            v |= u64::from(b & 0x7f).checked_shl(7 * i).unwrap_or(0);
            if b & 0x80 == 0 {
                return Some(v);
            }
        }
        None
    }
    fn take<'a>(buf: &mut &'a [u8], n: u64) -> Option<&'a [u8]> {
        let n = usize::try_from(n).ok()?;
        if n > buf.len() {
            return None;
        }
        let (head, rest) = buf.split_at(n);
        *buf = rest;
        Some(head)
    }
    let mut out = Vec::new();
    while !buf.is_empty() {
        let key = read_varint(&mut buf)?;
        let number = key >> 3;
        if number == 0 {
            return None;
        }
        let value = match key & 7 {
            0 => Some(Value::Varint(read_varint(&mut buf)?)),
            1 => take(&mut buf, 8).map(|_| None)?,
            2 => {
                let n = read_varint(&mut buf)?;
                Some(Value::Bytes(take(&mut buf, n)?))
            }
            5 => take(&mut buf, 4).map(|_| None)?,
            _ => return None,
        };
        out.push((number, value));
    }
    Some(out)
}

/// The reference reading of an aggregate body. An empty body is not an aggregate: its
/// record passes through whole rather than vanish as zero user records (kinesis-source's
/// choice; the KCL would drop it).
fn reference(body: &[u8]) -> Option<Vec<Expected<'_>>> {
    if body.is_empty() {
        return None;
    }
    let mut pks = Vec::new();
    let mut ehks = Vec::new();
    let mut records = Vec::new();
    for (n, v) in fields(body)? {
        match (n, v) {
            (1, Some(Value::Bytes(b))) => pks.push(std::str::from_utf8(b).ok()?),
            (2, Some(Value::Bytes(b))) => ehks.push(std::str::from_utf8(b).ok()?),
            (3, Some(Value::Bytes(b))) => records.push(b),
            (1..=3, _) => return None,
            _ => {}
        }
    }
    let mut out = Vec::new();
    for r in records {
        let (mut pk, mut ehk, mut data) = (None, None, None);
        for (n, v) in fields(r)? {
            match (n, v) {
                (1, Some(Value::Varint(i))) => pk = Some(i),
                (2, Some(Value::Varint(i))) => ehk = Some(i),
                (3, Some(Value::Bytes(b))) => data = Some(b),
                (4, Some(Value::Bytes(tag))) => {
                    let mut has_key = false;
                    for (tn, tv) in fields(tag)? {
                        match (tn, tv) {
                            (1, Some(Value::Bytes(_))) => has_key = true,
                            (2, Some(Value::Bytes(_))) => {}
                            (1 | 2, _) => return None,
                            _ => {}
                        }
                    }
                    if !has_key {
                        return None;
                    }
                }
                (1..=4, _) => return None,
                _ => {}
            }
        }
        let pk = pks.get(usize::try_from(pk?).ok()?)?;
        let ehk = match ehk {
            Some(i) => Some(*ehks.get(usize::try_from(i).ok()?)?),
            None => None,
        };
        out.push(Expected {
            partition_key: pk,
            explicit_hash_key: ehk,
            data: data?,
        });
    }
    Some(out)
}

/// The body framed as a KPL record: magic, body, MD5 of the body.
fn frame(body: &[u8]) -> Vec<u8> {
    let mut out = KPL_MAGIC.to_vec();
    out.extend_from_slice(body);
    out.extend_from_slice(&Md5::digest(body));
    out
}

/// The shard ranges each framed input is read with.
const RANGES: &[Option<(u128, u128)>] = &[
    None,
    Some((0, u128::MAX)),
    Some((0, u128::MAX / 2)),
    Some((u128::MAX / 2 + 1, u128::MAX)),
];

fn check_framed(body: &[u8]) -> Verdict {
    let framed = frame(body);
    let expected = reference(body);
    for &range in RANGES {
        let got = deaggregate(&framed, range);
        match (&expected, got) {
            (None, Deaggregated::Plain) => {}
            (Some(exp), Deaggregated::Records(recs)) => {
                let got: Vec<Expected<'_>> = recs
                    .iter()
                    .map(|r| Expected {
                        partition_key: r.partition_key,
                        explicit_hash_key: r.explicit_hash_key,
                        data: r.data,
                    })
                    .collect();
                assert_eq!(&got, exp, "the user records differ from the reference's");
                if let Some((lo, hi)) = range {
                    for r in exp {
                        let h = effective_hash_key(r.partition_key, r.explicit_hash_key);
                        assert!(
                            h.is_some_and(|h| lo <= h && h <= hi),
                            "a user record with hash key {h:?} outside {lo}..={hi} was kept"
                        );
                    }
                }
            }
            (Some(exp), Deaggregated::OutsideHashRange(n)) => {
                assert_eq!(n, exp.len(), "the dropped count is not the record count");
                let (lo, hi) = range.expect("no range, yet records were dropped");
                assert!(
                    exp.iter().any(|r| {
                        !effective_hash_key(r.partition_key, r.explicit_hash_key)
                            .is_some_and(|h| lo <= h && h <= hi)
                    }),
                    "an aggregate inside {lo}..={hi} was dropped"
                );
            }
            (exp, got) => panic!(
                "deaggregate returned {got:?}, the reference {}",
                if exp.is_some() { "records" } else { "plain" }
            ),
        }
    }
    if expected.is_some() {
        Verdict::Accepted
    } else {
        Verdict::Rejected
    }
}

/// A random aggregate: key tables, records with tags and unknown fields, in random order.
fn random_body(rng: &mut Rng) -> Vec<u8> {
    fn bytes_field(out: &mut Vec<u8>, number: u64, b: &[u8]) {
        out.extend(varint(number << 3 | 2));
        out.extend(varint(b.len() as u64));
        out.extend_from_slice(b);
    }
    fn varint_field(out: &mut Vec<u8>, number: u64, v: u64) {
        out.extend(varint(number << 3));
        out.extend(varint(v));
    }
    let n_pk = 1 + rng.small(5);
    let n_ehk = rng.small(3);
    let mut parts: Vec<Vec<u8>> = Vec::new();
    for i in 0..n_pk {
        let mut f = Vec::new();
        let key = match rng.below(4) {
            0 => String::new(),
            1 => "é🎉".repeat(1 + rng.small(3)),
            _ => format!("pk-{i}"),
        };
        bytes_field(&mut f, 1, key.as_bytes());
        parts.push(f);
    }
    for _ in 0..n_ehk {
        let mut f = Vec::new();
        let key = match rng.below(4) {
            0 => u128::MAX.to_string(),
            1 => "not a number".to_string(),
            _ => (u128::from(rng.next_u64()) << 64 | u128::from(rng.next_u64())).to_string(),
        };
        bytes_field(&mut f, 2, key.as_bytes());
        parts.push(f);
    }
    for _ in 0..rng.small(8) {
        let mut r = Vec::new();
        let mut fields: Vec<Vec<u8>> = Vec::new();
        let mut f = Vec::new();
        varint_field(&mut f, 1, rng.below(n_pk + 1) as u64);
        fields.push(f);
        if n_ehk > 0 && rng.chance(40) {
            let mut f = Vec::new();
            varint_field(&mut f, 2, rng.below(n_ehk + 1) as u64);
            fields.push(f);
        }
        let mut f = Vec::new();
        let n = rng.small(40);
        bytes_field(&mut f, 3, &rng.bytes(n));
        fields.push(f);
        for _ in 0..rng.small(2) {
            let mut tag = Vec::new();
            bytes_field(&mut tag, 1, b"k");
            if rng.chance(50) {
                bytes_field(&mut tag, 2, b"v");
            }
            let mut f = Vec::new();
            bytes_field(&mut f, 4, &tag);
            fields.push(f);
        }
        if rng.chance(10) {
            let mut f = Vec::new();
            varint_field(&mut f, 9, rng.next_u64());
            fields.push(f);
        }
        if rng.chance(20) {
            let i = rng.below(fields.len());
            let j = rng.below(fields.len());
            fields.swap(i, j);
        }
        for f in fields {
            r.extend(f);
        }
        let mut f = Vec::new();
        bytes_field(&mut f, 3, &r);
        parts.push(f);
    }
    if rng.chance(10) {
        // An unknown fixed64 field at the top level.
        let mut f = varint(7 << 3 | 1);
        f.extend_from_slice(&rng.next_u64().to_le_bytes());
        parts.push(f);
    }
    if rng.chance(15) {
        let i = rng.below(parts.len());
        let j = rng.below(parts.len());
        parts.swap(i, j);
    }
    parts.concat()
}

impl Target for Kpl {
    fn name(&self) -> &'static str {
        "kpl"
    }

    fn about(&self) -> &'static str {
        "kinesis-source KPL de-aggregation, framed with a valid MD5, against a reference decoder"
    }

    fn dictionary(&self) -> &'static [&'static [u8]] {
        &[
            b"\x0a\x00",
            b"\x12\x00",
            b"\x1a\x00",
            b"\x1a\x02\x08\x00",
            b"\x08\x00",
            b"\x10\x00",
            b"\x22\x03\x0a\x01k",
            b"\x0b",
            b"\x0c",
            b"\x0e",
            b"\x0f",
            b"\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01",
            b"\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80",
            b"\xf3\x89\x9a\xc2",
        ]
    }

    fn generate(&self, rng: &mut Rng) -> Vec<u8> {
        random_body(rng)
    }

    fn run(&self, input: &[u8]) -> Verdict {
        // Unframed: only a KPL magic with a matching MD5 may make records.
        let unframed = deaggregate(input, None);
        if !matches!(unframed, Deaggregated::Plain) {
            assert!(
                input.len() > 20 && input[..4] == KPL_MAGIC,
                "records from an input without the KPL frame"
            );
            let body = &input[4..input.len() - 16];
            assert_eq!(&Md5::digest(body)[..], &input[input.len() - 16..]);
        }
        check_framed(input)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// aws-kinesis-agg 1.2.3 (python): keys pk-0..2, data user-record-0..2.
    const THREE: &str = "0a04706b2d300a04706b2d310a04706b2d321a1108001a0d757365722d7265636f72642d301a1108011a0d757365722d7265636f72642d311a1108021a0d757365722d7265636f72642d32";

    fn unhex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    #[test]
    fn the_reference_reads_the_python_fixture() {
        let body = unhex(THREE);
        let r = reference(&body).unwrap();
        assert_eq!(r.len(), 3);
        assert_eq!(
            (r[2].partition_key, r[2].data),
            ("pk-2", &b"user-record-2"[..])
        );
        assert_eq!(Kpl.run(&body), Verdict::Accepted);
        // Truncated: plain for both.
        assert_eq!(Kpl.run(&body[..body.len() - 1]), Verdict::Rejected);
    }

    #[test]
    fn generated_aggregates_mostly_parse() {
        let mut rng = Rng::new(2);
        let accepted = (0..300)
            .filter(|_| Kpl.run(&Kpl.generate(&mut rng)) == Verdict::Accepted)
            .count();
        assert!(accepted > 100, "{accepted} of 300");
    }
}
