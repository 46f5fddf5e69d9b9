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
//!
//! # Building a table
//!
//! - [`TableDef::from_ddl`]: a `CREATE TABLE` statement. Syntax errors give line, column
//!   and an excerpt with a caret, and say what is missing where; validation errors about
//!   something the text says (a column, a PARTITIONED BY key, an option's key or value)
//!   carry its place too ([`OptionsError::Located`]; [`OptionsError::without_location`]
//!   gives Flink's bare error).
//! - [`TableDef::from_ddl_with_overrides`]: the same with `key = value` overrides merged
//!   into `WITH (...)` before validation (the CLI's `-X`).
//! - [`TableDef::from_options`] / [`TableDef::from_options_partitioned`]: columns and an
//!   option map, no DDL.
//! - [`TableDef::from_ddl_with`] / [`TableDef::from_options_with`]: either, with opt-ins
//!   beyond Flink's rules ([`Definition`]): the region and endpoints the options leave
//!   unset resolved from the AWS environment as the AWS CLI resolves them (decisions D21,
//!   [`environment`]; Flink's rule that a sink's table says its region stays the default),
//!   and every problem of the table at once ([`OptionsError::Multiple`]) instead of the
//!   first.
//!
//! Every option is described once, in [`spec::OPTIONS`]; parsing, validation,
//! [`TableDef::resolved_options`] and the README's option table ([`readme`]) come from it.
//!
//! # Validation: one table, both sides
//!
//! Flink validates a table with the source factory when it is read and with the sink
//! factory when it is written. Here a table is validated once, when it is defined, by the
//! rules of **both** sides in Flink's order (format, sink option parsing and partitioner,
//! required options, unknown keys, K1, sink ranges, AWS rules V1–V4, HTTP client rules,
//! source rules V5–V49). Consequences, each deliberate:
//!
//! - V9 (`aws.region` and/or `aws.endpoint`) is checked at definition for every table,
//!   since any table may be read. `aws.region` itself, which Flink's sink requires (C-030)
//!   and its source does not (C-072), is checked only when a sink opens:
//!   [`TableDef::check_sink_requirements`].
//! - Decisions D8: `sink.requests.max-buffered` ≤ `sink.batch.max-size` (K13),
//!   `sink.flush-buffer.size` < 1 MiB (K14) and `sink.batch.max-size` > 500 are rejected at
//!   definition with Flink's wording, instead of failing when the writer starts. So the
//!   reference's sink option set SO is refused as written (C-003, C-022, C-023, C-035,
//!   C-036); the tests use it with `max-buffered = 101` and `flush-buffer.size = 1048576`.
//! - Decisions D3: every key must be known to the source, the sink or the table's format;
//!   an unknown key (also under `aws.`, `scan.`, `sink.`) is an error with a did-you-mean
//!   (C-011, C-012, C-040's `non.aws.key*`, C-045). Property-style keys
//!   (`aws.credentials.provider.basic.accesskeyid`) suggest the table key. `sink.producer.*`
//!   keeps its §8 handling (mapped or warned through `log::warn!`, and listed in
//!   [`TableDef::warnings`]); `aws.clientconfig.*` is accepted with a warning, no effect.
//! - Decisions D2: errors name the table key the user wrote (`scan.stream.initpos`, not
//!   `flink.stream.initpos`; a deprecated key when its value was at fault), and V12 names the
//!   timestamp pattern in force.
//! - Decisions D15: `sink.partitioner`, `scan.shard-assigner` and
//!   `aws.credentials.custom.class` name implementations registered in [`registry`]. An
//!   unknown partitioner is K2; K3 (a class of the wrong type) cannot arise. An unknown
//!   shard assigner is an error, not Flink's warning and fallback (C-006).
//! - Decisions D16: `scan.shard.consumer.error.recoverable[N].exception` names Kinesis error
//!   codes (a Java class name counts by its simple name); V48 (not a Throwable) cannot arise,
//!   every entry is honoured, and V49 also requires the indices to be contiguous.
//! - Checked here although Flink checks them only when a client is built: `ASSUME_ROLE`
//!   without role ARN or session name, `CUSTOM` without a (registered) name, and the nested
//!   `…role.provider` tree (V1/V2 at every level).
//! - Options Flink never validates (`scan.list.shards.maxretries`, `scan.stream.describe.*`,
//!   timeouts, watermark keys) must still parse as numbers: a bad value gets Flink's
//!   generic `Could not parse value '<v>' for key '<k>'.`
//! - `connector` may be left out of an option map (when present it must be `kinesis`).
//! - Decisions D1 (`fixed` = the subtask index), D10 (strict timestamp parsing, UTC when the
//!   pattern has no zone), D13 (multi-digit region suffixes), D17 (`HTTP2` served over
//!   HTTP/1.1, noted at debug level) and D9 (watermark and idle options accepted, inert,
//!   noted at debug level).
//!
//! Secret values (any key Flink deems sensitive: `secretkey`, `sessiontoken`, ...) never
//! appear in a Display, a Debug form, [`TableDef::resolved_options`] or an error, DDL
//! excerpts included; they show as `******`.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod aws;
mod ddl;
mod environment;
mod error;
mod java;
mod lease;
#[cfg(test)] // The README check: only its tests use the generator.
mod readme;
mod registry;
mod resolve;
mod sink;
mod sink_config;
mod source;
mod spec;
mod table;
mod timestamp;

pub use environment::{AwsEnvironment, Resolved};
pub use error::{DdlProblem, OptionsError};
pub use lease::LeaseOptions;
pub use registry::{
    random_partition_key, register_credentials_provider, register_partitioner,
    register_shard_assigner, subtask_for, FieldsPartitionKeyGenerator, PartitionKeyGenerator,
    PartitionerContext, Registry, ShardAssigner, ShardInfo,
};
pub use sink::{
    AggregationOptions, HttpClientOptions, HttpProtocol, Partitioner, SinkOptions, SinkRetryOptions,
};
pub use sink_config::{default_max_buffered_bytes, SinkConfig};
pub use source::{
    EfoOptions, EfoRegistration, RecordPublisher, RetryOptions, SourceOptions, StartPosition,
};
pub use spec::{display_value, is_sensitive, KeyShape, OptionSpec, Side, ValueType, OPTIONS};
pub use table::{Column, ColumnKind, Definition, FormatOptions, MetadataKey, TableDef, Watermark};

pub use kinesis_wire::{ClientConfig, CredentialsSpec};
