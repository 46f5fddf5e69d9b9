//! The Kinesis source: Flink's `'connector' = 'kinesis'` scan as a synchronous library.
//!
//! [`KinesisSource::open`] takes a [`kinesis_options::TableDef`] and a [`SourceContext`]
//! (subtask index, parallelism, restored [`Checkpoint`]) and reads the stream with a
//! discovery thread (`kinesis-discovery`: ListShards every `scan.shard.discovery.intervalmillis`)
//! and one thread per shard (`kinesis-shard-<shardId>`: the GetRecords loop of Flink's
//! polling consumer). GetRecords pages arrive through one bounded channel, so a slow caller
//! slows the readers and memory stays bounded. KPL de-aggregation and the table's format run
//! on the thread that calls `recv`, so every record is allocated on the thread that frees it;
//! pages go back to their reader thread to be freed (freeing another thread's allocations
//! costs a contended allocator lock per block with glibc, which tripled the cost per record).
//! A page is a `kinesis_wire::model::RecordBatch` (payloads in one buffer, strings in
//! another), so a reader refills the buffers of a page handed back instead of allocating
//! per record.
//!
//! Behaviour beyond Flink 4.x (see `spec/decisions.md`): a child shard is read only after
//! its parents were read to their end (D5) when this source reads them; every option
//! controls only its own call (D4); EFO consumers are registered and deregistered exactly
//! as Flink does, but records are then read by polling (D18).
//!
//! With `parallelism > 1` (separate processes), a child shard assigned to another subtask
//! than its parent cannot see the parent's progress and is read at once, as Flink 4.x does:
//! there is no parent-before-child ordering across subtasks (a log line at open says so).
//!
//! `scan.shard.idle.interval` and `scan.watermark.*` are accepted and inert (D9): the source
//! emits no watermarks and never marks itself idle; each record's arrival time is in
//! [`SourceRecord::arrival`] and the `timestamp` metadata column for whatever computes
//! watermarks downstream.
//!
//! ```no_run
//! use kinesis_formats::DataType;
//! use kinesis_options::{Column, TableDef};
//! use kinesis_source::{KinesisSource, SourceContext};
//! use std::time::Duration;
//!
//! let data = Column::physical("data", DataType::parse("BYTES").unwrap());
//! let table = TableDef::from_options("t", vec![data], [
//!     ("stream", "orders"), ("format", "raw"), ("aws.region", "us-east-1"),
//!     ("scan.stream.initpos", "TRIM_HORIZON"),
//! ]).unwrap();
//! let source = KinesisSource::open(&table, SourceContext::default())?;
//! for record in source.iter().take(10) {
//!     let record = record?;
//!     println!("{} {} {}", record.shard_id, record.sequence_number, record.row);
//! }
//! let saved = source.checkpoint().to_json();
//! source.close(Duration::from_secs(5))?;
//! # let _ = saved;
//! # Ok::<(), kinesis_source::SourceError>(())
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod checkpoint;
mod deaggregate;
mod decode;
mod discovery;
mod efo;
mod error;
mod lease;
mod metrics;
mod pacing;
mod reader;
mod source;

pub use checkpoint::{Checkpoint, CheckpointError, ShardPosition, ShardState};
pub use error::SourceError;
pub use lease::{ConsumerGroup, LeaseChange, LeaseEvent, LeaseInfo, LeaseState};
pub use metrics::ShardMetrics;
pub use source::{Iter, KinesisSource, SourceContext, SourceRecord};

/// Internals exposed for the fuzz harness only (cargo feature `fuzzing`); not part of the
/// API and not stable.
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing {
    pub use crate::deaggregate::{deaggregate, effective_hash_key, Deaggregated, UserRecord};
}
