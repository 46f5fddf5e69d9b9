//! The stream's open shards and their hash-key ranges, for aggregation (decisions D23):
//! every user record of one aggregate must belong to the shard the aggregate lands in, or
//! filtering readers (KCL, Flink, kinesis-source) drop the whole aggregate.

use std::sync::Arc;

use md5::{Digest, Md5};

/// The hash key Kinesis routes a record by: its explicit hash key when set, else the MD5 of
/// its UTF-8 partition key read as an unsigned big-endian 128-bit number.
pub(crate) fn hash_key(partition_key: &str, explicit_hash_key: Option<&str>) -> u128 {
    if let Some(h) = explicit_hash_key.and_then(|h| h.trim().parse::<u128>().ok()) {
        return h;
    }
    let digest = Md5::digest(partition_key.as_bytes());
    let mut b = [0u8; 16];
    b.copy_from_slice(&digest);
    u128::from_be_bytes(b)
}

/// One open shard.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ShardRange {
    pub shard_id: Arc<str>,
    pub start: u128,
    pub end: u128,
}

impl ShardRange {
    pub fn contains(&self, hash: u128) -> bool {
        self.start <= hash && hash <= self.end
    }
}

/// Open shards sorted by the start of their hash-key range (and the closed ones, for
/// [`ShardMap::get`]: a record may land in a shard that closed since).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct ShardMap {
    ranges: Vec<ShardRange>,
    closed: Vec<ShardRange>,
}

impl ShardMap {
    /// The open shards of a ListShards listing (closed ones, and ones whose range does not
    /// parse, are left out).
    pub fn from_shards(shards: &[kinesis_wire::model::Shard]) -> ShardMap {
        let range = |s: &kinesis_wire::model::Shard| {
            let (start, end) = s.hash_key_range.bounds()?;
            Some(ShardRange {
                shard_id: Arc::from(s.shard_id.as_str()),
                start,
                end,
            })
        };
        let mut ranges: Vec<ShardRange> = shards
            .iter()
            .filter(|s| !s.is_closed())
            .filter_map(range)
            .collect();
        ranges.sort_by_key(|r| r.start);
        let closed = shards
            .iter()
            .filter(|s| s.is_closed())
            .filter_map(range)
            .collect();
        ShardMap { ranges, closed }
    }

    /// Open shards.
    pub fn len(&self) -> usize {
        self.ranges.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ranges.is_empty()
    }

    /// The open shard whose range holds `hash`.
    pub fn owner(&self, hash: u128) -> Option<&ShardRange> {
        let i = self.ranges.partition_point(|r| r.start <= hash);
        let r = self.ranges.get(i.checked_sub(1)?)?;
        r.contains(hash).then_some(r)
    }

    /// The shard `shard_id` (open or closed), if it is in the map.
    pub fn get(&self, shard_id: &str) -> Option<&ShardRange> {
        self.ranges
            .iter()
            .chain(&self.closed)
            .find(|r| &*r.shard_id == shard_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kinesis_wire::model::Shard;

    fn shard(id: &str, start: u128, end: u128, closed: bool) -> Shard {
        serde_json::from_value(serde_json::json!({
            "ShardId": id,
            "HashKeyRange": {"StartingHashKey": start.to_string(), "EndingHashKey": end.to_string()},
            "SequenceNumberRange": if closed {
                serde_json::json!({"StartingSequenceNumber": "1", "EndingSequenceNumber": "2"})
            } else {
                serde_json::json!({"StartingSequenceNumber": "1"})
            },
        }))
        .unwrap()
    }

    #[test]
    fn owners_come_from_open_shards_only() {
        let map = ShardMap::from_shards(&[
            shard("c", 100, u128::MAX, false),
            shard("a", 0, 49, false),
            shard("old", 0, u128::MAX, true),
            shard("b", 50, 99, false),
        ]);
        assert_eq!(&*map.owner(0).unwrap().shard_id, "a");
        assert_eq!(&*map.owner(49).unwrap().shard_id, "a");
        assert_eq!(&*map.owner(50).unwrap().shard_id, "b");
        assert_eq!(&*map.owner(u128::MAX).unwrap().shard_id, "c");
        assert!(map.owner(0).is_some_and(|r| &*r.shard_id != "old"));
        assert_eq!(
            map.get("old").unwrap().end,
            u128::MAX,
            "closed shards keep their range"
        );
        assert_eq!(map.len(), 3);
        let gap = ShardMap::from_shards(&[shard("a", 10, 20, false)]);
        assert!(gap.owner(5).is_none() && gap.owner(21).is_none());
    }

    #[test]
    fn hash_keys_follow_kinesis() {
        assert_eq!(hash_key("pk", Some("42")), 42);
        // MD5("") = d41d8cd98f00b204e9800998ecf8427e
        assert_eq!(hash_key("", None), 0xd41d8cd98f00b204e9800998ecf8427e);
    }
}
