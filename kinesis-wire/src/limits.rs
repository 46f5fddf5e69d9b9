//! The Kinesis Data Streams service limits this workspace checks against, each defined once
//! (the sink's and the options' validation, the source's adaptive reads and the client all
//! use these).
//!
//! ```
//! use kinesis_wire::limits;
//! assert_eq!(limits::MAX_PUT_RECORDS_ENTRIES, 500);
//! assert_eq!(limits::MAX_RECORD_BYTES, 1 << 20);
//! assert!(limits::MAX_PUT_RECORDS_BYTES >= limits::MAX_RECORD_BYTES);
//! ```

/// Most entries in one PutRecords request.
pub const MAX_PUT_RECORDS_ENTRIES: usize = 500;
/// Most bytes (payloads plus partition keys) in one PutRecords request: 5 MiB.
pub const MAX_PUT_RECORDS_BYTES: usize = 5 << 20;
/// Most bytes of one record (payload plus partition key), at the default max record size:
/// 1 MiB.
pub const MAX_RECORD_BYTES: usize = 1 << 20;
/// Most Unicode scalar values in a partition key (Flink's partitioners cut keys at this
/// many UTF-16 units).
pub const MAX_PARTITION_KEY_CHARS: usize = 256;
/// Largest `Limit` of GetRecords: records per call.
pub const MAX_GET_RECORDS_LIMIT: u32 = 10_000;
/// Most data one GetRecords call returns: 10 MiB.
pub const MAX_GET_RECORDS_BYTES: usize = 10 << 20;
/// Read throughput of one shard (shared by its GetRecords consumers): 2 MiB per second.
pub const SHARD_READ_BYTES_PER_SECOND: u64 = 2 << 20;
