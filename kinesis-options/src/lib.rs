//! Flink's Kinesis table definition: `CREATE TABLE ... WITH (...)` and every connector
//! option, validated with Flink's rules and messages (see `spec/flink-reference.md` §1–4, §8
//! and the project's decisions), producing typed configuration for the source, the sink, the
//! wire client and the format.
//!
//! ```
//! use kinesis_options::{StartPosition, TableDef};
//! let table = TableDef::from_ddl("
//!     CREATE TABLE KinesisTable (
//!       `user_id` BIGINT,
//!       `behavior` STRING,
//!       `shard_id` VARCHAR(128) NOT NULL METADATA FROM 'shard-id' VIRTUAL
//!     )
//!     PARTITIONED BY (user_id)
//!     WITH (
//!       'connector' = 'kinesis',
//!       'stream' = 'user_behavior',
//!       'aws.region' = 'us-east-2',
//!       'scan.stream.initpos' = 'TRIM_HORIZON',
//!       'format' = 'csv'
//!     )").unwrap();
//! assert_eq!(table.stream(), "user_behavior");
//! assert_eq!(table.source_options().start_position, StartPosition::TrimHorizon);
//! assert_eq!(table.metadata_columns().count(), 1);
//! ```
#![forbid(unsafe_code)]

pub mod aws;
mod ddl;
pub mod error;
pub mod java;
pub mod readme;
pub mod registry;
mod resolve;
pub mod sink;
pub mod source;
pub mod spec;
pub mod table;
pub mod timestamp;

pub use error::{DdlProblem, OptionsError};
pub use registry::{PartitionKeyGenerator, PartitionerContext, ShardAssigner, ShardInfo};
pub use sink::{HttpClientOptions, HttpProtocol, Partitioner, SinkOptions, SinkRetryOptions};
pub use source::{
    EfoOptions, EfoRegistration, RecordPublisher, RetryOptions, SourceOptions, StartPosition,
};
pub use table::{Column, ColumnKind, FormatOptions, MetadataKey, TableDef, Watermark};

pub use kinesis_wire::{ClientConfig, CredentialsSpec};
