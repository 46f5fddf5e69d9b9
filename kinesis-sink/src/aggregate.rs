//! KPL aggregation (decisions D23): many user records packed into one Kinesis record, in the
//! Kinesis Producer Library's format, which the KCL, Flink, the `aws-kinesis-agg` libraries
//! and kinesis-source de-aggregate:
//!
//! ```text
//! F3 89 9A C2 | AggregatedRecord (protobuf) | MD5(AggregatedRecord) (16 bytes)
//!
//! message AggregatedRecord { repeated string partition_key_table = 1;
//!                            repeated string explicit_hash_key_table = 2;
//!                            repeated Record records = 3; }
//! message Record { required uint64 partition_key_index = 1;
//!                  optional uint64 explicit_hash_key_index = 2;
//!                  required bytes data = 3; }
//! ```
//!
//! The encoder writes fields in that order (key tables first, then the records), as the KPL
//! and `aws-kinesis-agg` do, so equal input gives byte-identical aggregates.

use std::collections::HashMap;

use md5::{Digest, Md5};

/// The four bytes every KPL aggregate starts with.
pub const KPL_MAGIC: [u8; 4] = [0xF3, 0x89, 0x9A, 0xC2];
const MD5_LEN: usize = 16;

/// Bytes of a protobuf varint.
fn varint_len(mut v: u64) -> usize {
    let mut n = 1;
    while v >= 0x80 {
        v >>= 7;
        n += 1;
    }
    n
}

fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// Bytes of a length-delimited field (tag, length, payload) of `len` payload bytes.
fn field_len(len: usize) -> usize {
    1 + varint_len(len as u64) + len
}

/// One aggregate being filled. Partition keys and explicit hash keys are stored once each
/// (the tables), records refer to them by index.
#[derive(Debug, Default)]
pub(crate) struct Aggregator {
    partition_keys: Vec<String>,
    partition_key_index: HashMap<String, u64>,
    hash_keys: Vec<String>,
    hash_key_index: HashMap<String, u64>,
    /// The encoded `records` fields (tag 3 included), in order.
    records: Vec<u8>,
    count: usize,
    /// Bytes of the protobuf so far (key tables and records).
    proto_len: usize,
}

impl Aggregator {
    pub fn new() -> Aggregator {
        Aggregator::default()
    }

    /// User records in the aggregate.
    pub fn len(&self) -> usize {
        self.count
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Size of the finished aggregate (magic, protobuf, MD5) as it stands.
    pub fn size(&self) -> usize {
        KPL_MAGIC.len() + self.proto_len + MD5_LEN
    }

    /// The encoded `Record` message of one user record (without its tag and length).
    fn record_len(pk_index: u64, ehk_index: Option<u64>, data_len: usize) -> usize {
        1 + varint_len(pk_index) + ehk_index.map_or(0, |i| 1 + varint_len(i)) + field_len(data_len)
    }

    /// Size of the finished aggregate if this user record were added.
    pub fn size_with(
        &self,
        partition_key: &str,
        explicit_hash_key: Option<&str>,
        data_len: usize,
    ) -> usize {
        let mut extra = 0;
        let pk_index = match self.partition_key_index.get(partition_key) {
            Some(i) => *i,
            None => {
                extra += field_len(partition_key.len());
                self.partition_keys.len() as u64
            }
        };
        let ehk_index = explicit_hash_key.map(|h| match self.hash_key_index.get(h) {
            Some(i) => *i,
            None => {
                extra += field_len(h.len());
                self.hash_keys.len() as u64
            }
        });
        let rec = Self::record_len(pk_index, ehk_index, data_len);
        self.size() + extra + field_len(rec)
    }

    /// Adds one user record.
    pub fn add(&mut self, partition_key: &str, explicit_hash_key: Option<&str>, data: &[u8]) {
        let pk_index = match self.partition_key_index.get(partition_key) {
            Some(i) => *i,
            None => {
                let i = self.partition_keys.len() as u64;
                self.partition_keys.push(partition_key.to_string());
                self.partition_key_index
                    .insert(partition_key.to_string(), i);
                self.proto_len += field_len(partition_key.len());
                i
            }
        };
        let ehk_index = explicit_hash_key.map(|h| match self.hash_key_index.get(h) {
            Some(i) => *i,
            None => {
                let i = self.hash_keys.len() as u64;
                self.hash_keys.push(h.to_string());
                self.hash_key_index.insert(h.to_string(), i);
                self.proto_len += field_len(h.len());
                i
            }
        });
        let rec_len = Self::record_len(pk_index, ehk_index, data.len());
        let before = self.records.len();
        self.records.push(0x1a); // field 3, length-delimited
        put_varint(&mut self.records, rec_len as u64);
        self.records.push(0x08); // partition_key_index
        put_varint(&mut self.records, pk_index);
        if let Some(i) = ehk_index {
            self.records.push(0x10); // explicit_hash_key_index
            put_varint(&mut self.records, i);
        }
        self.records.push(0x1a); // data
        put_varint(&mut self.records, data.len() as u64);
        self.records.extend_from_slice(data);
        self.proto_len += self.records.len() - before;
        self.count += 1;
    }

    /// The finished aggregate; the aggregator is empty again.
    pub fn finish(&mut self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.size());
        out.extend_from_slice(&KPL_MAGIC);
        let proto_start = out.len();
        for k in &self.partition_keys {
            out.push(0x0a);
            put_varint(&mut out, k.len() as u64);
            out.extend_from_slice(k.as_bytes());
        }
        for k in &self.hash_keys {
            out.push(0x12);
            put_varint(&mut out, k.len() as u64);
            out.extend_from_slice(k.as_bytes());
        }
        out.extend_from_slice(&self.records);
        let digest = Md5::digest(&out[proto_start..]);
        out.extend_from_slice(&digest);
        debug_assert_eq!(out.len(), self.size());
        *self = Aggregator::default();
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(s: &str) -> Vec<u8> {
        let s: String = s.split_whitespace().collect();
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    #[test]
    fn matches_aws_kinesis_agg_byte_for_byte() {
        // aws-kinesis-agg 1.2.3 (python): add_user_record(f"pk-{i}", f"user-record-{i}") x3.
        let want = hex(
            "f3899ac20a04706b2d300a04706b2d310a04706b2d321a1108001a0d757365722d7265636f72642d301a1108011a0d
             757365722d7265636f72642d311a1108021a0d757365722d7265636f72642d3295aaf54b98beb315259915f5a98f8a58",
        );
        let mut a = Aggregator::new();
        for i in 0..3 {
            let before = a.size_with(&format!("pk-{i}"), None, 13);
            a.add(
                &format!("pk-{i}"),
                None,
                format!("user-record-{i}").as_bytes(),
            );
            assert_eq!(a.size(), before, "size_with predicts the size");
        }
        assert_eq!(a.len(), 3);
        let got = a.finish();
        assert_eq!(got, want);
        assert!(a.is_empty());
        assert_eq!(a.size(), 4 + 16);
    }

    #[test]
    fn explicit_hash_keys_go_to_their_table() {
        // add_user_record('pk-0', b'user-record-0',
        //   explicit_hash_key='85070591730234615865843651857942052864'), then ('pk-1', b'user-record-1').
        let want = hex(
            "f3899ac20a04706b2d300a04706b2d31122638353037303539313733303233343631353836353834333635313835373934323035323836341a13
             080010001a0d757365722d7265636f72642d301a1108011a0d757365722d7265636f72642d31f8896ba590fa82b9c941004fcb23cac1",
        );
        let mut a = Aggregator::new();
        let ehk = "85070591730234615865843651857942052864";
        let s = a.size_with("pk-0", Some(ehk), 13);
        a.add("pk-0", Some(ehk), b"user-record-0");
        assert_eq!(a.size(), s);
        a.add("pk-1", None, b"user-record-1");
        assert_eq!(a.finish(), want);
    }

    #[test]
    fn repeated_keys_are_stored_once_and_sizes_stay_exact() {
        let mut a = Aggregator::new();
        let data = vec![7u8; 300];
        for i in 0..200 {
            let pk = format!("key-{}", i % 3);
            let predicted = a.size_with(&pk, None, data.len());
            a.add(&pk, None, &data);
            assert_eq!(a.size(), predicted);
        }
        let out = a.finish();
        assert_eq!(
            out.len(),
            4 + 16 + (3 * field_len(5)) + 200 * field_len(1 + 1 + field_len(300))
        );
        assert_eq!(&out[..4], &KPL_MAGIC);
        let digest = Md5::digest(&out[4..out.len() - 16]);
        assert_eq!(&out[out.len() - 16..], &digest[..]);
    }
}
