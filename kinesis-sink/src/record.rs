//! [`SinkRecord`]: one encoded, keyed record, and the client-side checks of decisions D7.

use std::fmt;

// Kinesis' limits: 1 MiB of data per record, 256 Unicode scalar values per partition key.
// Re-exported under the sink's names (see lib.rs).
pub use kinesis_wire::limits::{
    MAX_PARTITION_KEY_CHARS, MAX_RECORD_BYTES as MAX_RECORD_DATA_BYTES,
};

/// One record ready for PutRecords: its data bytes, partition key and, optionally, an
/// explicit hash key.
///
/// ```
/// use kinesis_sink::SinkRecord;
/// let r = SinkRecord::new(b"hello".to_vec(), "user-1");
/// assert_eq!(r.check(), Ok(()));
/// assert!(SinkRecord::new(vec![], "").check().is_err());
/// // Routed by the hash key, not by the MD5 of the partition key:
/// let r = SinkRecord::new(b"x".to_vec(), "k").with_explicit_hash_key("42");
/// assert_eq!(r.explicit_hash_key.as_deref(), Some("42"));
/// assert!(SinkRecord::new(b"x".to_vec(), "k").with_explicit_hash_key("-1").check().is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct SinkRecord {
    /// The payload.
    pub data: Vec<u8>,
    /// The partition key (1..=256 characters).
    pub partition_key: String,
    /// PutRecords' `ExplicitHashKey`: the 128-bit hash key (decimal) that picks the shard,
    /// instead of the MD5 of the partition key.
    pub explicit_hash_key: Option<String>,
}

/// Why a record cannot be sent to Kinesis (found before sending).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RecordProblem {
    /// The data is larger than [`MAX_RECORD_DATA_BYTES`].
    DataTooLarge {
        /// The data's size.
        bytes: usize,
    },
    /// The partition key is empty.
    EmptyPartitionKey,
    /// The partition key is longer than [`MAX_PARTITION_KEY_CHARS`].
    PartitionKeyTooLong {
        /// The key's length in Unicode scalar values.
        chars: usize,
    },
    /// The explicit hash key is not a decimal number from 0 to 2^128 - 1 (the record,
    /// handed back with the error, holds it; kept out of here so errors stay small).
    InvalidExplicitHashKey {
        /// The key's length in characters.
        chars: usize,
    },
}

impl fmt::Display for RecordProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RecordProblem::DataTooLarge { bytes } => write!(
                f,
                "record data is {bytes} bytes, more than the {MAX_RECORD_DATA_BYTES} bytes Kinesis accepts per record"
            ),
            RecordProblem::EmptyPartitionKey => write!(
                f,
                "the partition key is empty (Kinesis needs 1 to {MAX_PARTITION_KEY_CHARS} characters)"
            ),
            RecordProblem::PartitionKeyTooLong { chars } => write!(
                f,
                "the partition key is {chars} characters long, more than the {MAX_PARTITION_KEY_CHARS} Kinesis accepts"
            ),
            RecordProblem::InvalidExplicitHashKey { chars } => write!(
                f,
                "the explicit hash key ({chars} characters) is not a decimal number from 0 to 2^128 - 1"
            ),
        }
    }
}

impl SinkRecord {
    /// A record from data and key.
    pub fn new(data: impl Into<Vec<u8>>, partition_key: impl Into<String>) -> Self {
        SinkRecord {
            data: data.into(),
            partition_key: partition_key.into(),
            explicit_hash_key: None,
        }
    }

    /// This record routed by `hash_key` (a decimal 128-bit number, PutRecords'
    /// `ExplicitHashKey`) instead of the MD5 of its partition key.
    pub fn with_explicit_hash_key(mut self, hash_key: impl Into<String>) -> Self {
        self.explicit_hash_key = Some(hash_key.into());
        self
    }

    /// The client-side checks of decisions D7: data ≤ 1 MiB, key of 1..=256 characters.
    pub fn check(&self) -> Result<(), RecordProblem> {
        if self.data.len() > MAX_RECORD_DATA_BYTES {
            return Err(RecordProblem::DataTooLarge {
                bytes: self.data.len(),
            });
        }
        if self.partition_key.is_empty() {
            return Err(RecordProblem::EmptyPartitionKey);
        }
        if let Some(h) = &self.explicit_hash_key {
            let digits = !h.is_empty() && h.len() <= 39 && h.bytes().all(|b| b.is_ascii_digit());
            if !digits || h.parse::<u128>().is_err() {
                return Err(RecordProblem::InvalidExplicitHashKey {
                    chars: h.chars().count(),
                });
            }
        }
        // Fast path: a key of at most 256 bytes has at most 256 characters.
        if self.partition_key.len() > MAX_PARTITION_KEY_CHARS {
            let chars = self.partition_key.chars().count();
            if chars > MAX_PARTITION_KEY_CHARS {
                return Err(RecordProblem::PartitionKeyTooLong { chars });
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checks_size_and_key_length_in_characters() {
        let ok = SinkRecord::new(vec![0u8; MAX_RECORD_DATA_BYTES], "k");
        assert_eq!(ok.check(), Ok(()));
        let big = SinkRecord::new(vec![0u8; MAX_RECORD_DATA_BYTES + 1], "k");
        assert_eq!(
            big.check(),
            Err(RecordProblem::DataTooLarge {
                bytes: MAX_RECORD_DATA_BYTES + 1
            })
        );
        assert_eq!(
            SinkRecord::new(vec![1], "").check(),
            Err(RecordProblem::EmptyPartitionKey)
        );
        // 256 two-byte characters are 512 bytes but within the limit.
        assert_eq!(SinkRecord::new(vec![1], "é".repeat(256)).check(), Ok(()));
        assert_eq!(
            SinkRecord::new(vec![1], "é".repeat(257)).check(),
            Err(RecordProblem::PartitionKeyTooLong { chars: 257 })
        );
        assert!(RecordProblem::DataTooLarge { bytes: 2_000_000 }
            .to_string()
            .contains("2000000 bytes"));
    }
}
