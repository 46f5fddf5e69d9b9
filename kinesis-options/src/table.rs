//! [`TableDef`]: a validated Kinesis table (columns, partitioning, typed options).

use std::collections::{BTreeMap, HashSet};
use std::fmt;
use std::sync::Arc;

use kinesis_formats::{DataType, Format, FormatError, LogicalType, RowField};
use kinesis_wire::{ClientConfig, CredentialsSpec, KinesisClient, KinesisError};

use crate::environment::{AwsEnvironment, Resolved};
use crate::error::{OptionsError, Problems};
use crate::registry::{
    FieldsPartitionKeyGenerator, PartitionKeyGenerator, PartitionerContext, Registry, ShardAssigner,
};
use crate::resolve::{did_you_mean, flink_bool, map_deprecated, Effective};
use crate::sink::{self, Partitioner, SinkOptions};
use crate::source::{self, RecordPublisher, SourceOptions};
use crate::spec::{self, KeyShape, ValueType, CREDENTIAL_SUBKEYS, OPTIONS};
use crate::{aws, ddl};

/// A metadata key the Kinesis source can expose (reference §3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MetadataKey {
    /// `timestamp`: the record's approximate arrival time, `TIMESTAMP_LTZ(3) NOT NULL`.
    Timestamp,
    /// `shard-id`: the shard read, `VARCHAR(128) NOT NULL`.
    ShardId,
    /// `sequence-number`: the record's sequence number, `VARCHAR(128) NOT NULL`.
    SequenceNumber,
}

impl MetadataKey {
    /// Every key, in the order Flink lists them in its error message.
    pub const ALL: [MetadataKey; 3] = [
        MetadataKey::Timestamp,
        MetadataKey::SequenceNumber,
        MetadataKey::ShardId,
    ];

    /// The key as written in `METADATA FROM '<key>'`.
    ///
    /// ```
    /// use kinesis_options::MetadataKey;
    /// assert_eq!(MetadataKey::ShardId.key(), "shard-id");
    /// assert_eq!(MetadataKey::from_key("timestamp"), Some(MetadataKey::Timestamp));
    /// ```
    pub fn key(self) -> &'static str {
        match self {
            MetadataKey::Timestamp => "timestamp",
            MetadataKey::ShardId => "shard-id",
            MetadataKey::SequenceNumber => "sequence-number",
        }
    }

    /// The key called `key`, if any.
    pub fn from_key(key: &str) -> Option<MetadataKey> {
        MetadataKey::ALL.into_iter().find(|k| k.key() == key)
    }

    /// The type of the values the source produces for this key.
    ///
    /// ```
    /// use kinesis_options::MetadataKey;
    /// assert_eq!(MetadataKey::Timestamp.data_type().to_string(), "TIMESTAMP_LTZ(3) NOT NULL");
    /// ```
    pub fn data_type(self) -> DataType {
        match self {
            MetadataKey::Timestamp => DataType::not_null(LogicalType::TimestampLtz(3)),
            MetadataKey::ShardId | MetadataKey::SequenceNumber => {
                DataType::not_null(LogicalType::Varchar(128))
            }
        }
    }
}

/// Whether a column holds record data or metadata.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ColumnKind {
    /// Encoded and decoded by the format; the sink writes these.
    Physical,
    /// Read from the Kinesis record by the source; never written.
    Metadata {
        /// Which metadata the column holds.
        key: MetadataKey,
        /// Declared `VIRTUAL` (read-only; a sink may not see a persisted one).
        is_virtual: bool,
    },
}

/// A column of the table.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Column {
    /// The column's name.
    pub name: String,
    /// Its Flink data type.
    pub data_type: DataType,
    /// Physical or metadata.
    pub kind: ColumnKind,
    /// The `COMMENT`, if any.
    pub comment: Option<String>,
}

impl Column {
    /// A physical column.
    ///
    /// ```
    /// use kinesis_formats::DataType;
    /// use kinesis_options::Column;
    /// let c = Column::physical("id", DataType::parse("BIGINT").unwrap());
    /// assert!(!c.is_metadata());
    /// ```
    pub fn physical(name: impl Into<String>, data_type: DataType) -> Self {
        Column {
            name: name.into(),
            data_type,
            kind: ColumnKind::Physical,
            comment: None,
        }
    }

    /// A metadata column (`name TYPE METADATA FROM 'key' [VIRTUAL]`).
    ///
    /// ```
    /// use kinesis_formats::DataType;
    /// use kinesis_options::{Column, MetadataKey};
    /// let c = Column::metadata("arrival", DataType::parse("TIMESTAMP_LTZ(3)").unwrap(),
    ///                          MetadataKey::Timestamp, true);
    /// assert_eq!(c.metadata_key(), Some(MetadataKey::Timestamp));
    /// ```
    pub fn metadata(
        name: impl Into<String>,
        data_type: DataType,
        key: MetadataKey,
        is_virtual: bool,
    ) -> Self {
        Column {
            name: name.into(),
            data_type,
            kind: ColumnKind::Metadata { key, is_virtual },
            comment: None,
        }
    }

    /// `true` for metadata columns.
    pub fn is_metadata(&self) -> bool {
        matches!(self.kind, ColumnKind::Metadata { .. })
    }

    /// The metadata key of a metadata column.
    pub fn metadata_key(&self) -> Option<MetadataKey> {
        match self.kind {
            ColumnKind::Metadata { key, .. } => Some(key),
            ColumnKind::Physical => None,
        }
    }
}

/// A `WATERMARK FOR column AS expression` clause: kept, not evaluated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Watermark {
    /// The rowtime column.
    pub column: String,
    /// The expression's text as written.
    pub expression: String,
}

/// The table's format: its name, its `<format>.*` options, and the configured codec.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct FormatOptions {
    /// `csv`, `json`, `avro`, `raw`.
    pub name: String,
    /// The `<name>.*` options as written.
    pub options: BTreeMap<String, String>,
    /// Encoder and decoder for the physical row type.
    pub format: Format,
}

/// A validated Kinesis table: schema, partitioning and every option, typed.
///
/// Build it from DDL with [`TableDef::from_ddl`] or from parts with
/// [`TableDef::from_options`]. Definition-time validation runs every rule of both the
/// source and the sink (a table may serve as both), except that `aws.region` is required
/// only when a sink opens ([`TableDef::check_sink_requirements`]).
#[derive(Clone)]
pub struct TableDef {
    name: String,
    columns: Vec<Column>,
    partition_keys: Vec<String>,
    watermark: Option<Watermark>,
    comment: Option<String>,
    /// The options as written.
    options: BTreeMap<String, String>,
    effective: Effective,
    client: ClientConfig,
    source: SourceOptions,
    sink: SinkOptions,
    format: FormatOptions,
    warnings: Vec<String>,
    /// What [`Definition::environment`] filled in (D21).
    environment_values: Vec<Resolved>,
    /// Where the table's implementation names resolve ([`Definition::registry`]).
    registry: Registry,
}

/// Opt-ins beyond Flink's rules when a table is defined ([`TableDef::from_ddl_with`],
/// [`TableDef::from_options_with`]). The default is Flink's behaviour.
///
/// ```
/// use std::sync::Arc;
/// use kinesis_options::{AwsEnvironment, Definition, TableDef};
/// use kinesis_wire::env::MapEnv;
/// let ddl = "CREATE TABLE t (a INT) WITH ('stream' = 's', 'format' = 'csv')";
/// // Flink's rule: a region or an endpoint must be set.
/// assert!(TableDef::from_ddl(ddl).is_err());
/// let env = AwsEnvironment::new(Arc::new(MapEnv::from_pairs([("AWS_REGION", "eu-west-1")])));
/// let t = TableDef::from_ddl_with(ddl, Vec::<(String, String)>::new(),
///     &Definition::new().environment(env)).unwrap();
/// assert_eq!(t.client_config().region.as_deref(), Some("eu-west-1"));
/// assert_eq!(t.resolved_from_environment()[0].from, "AWS_REGION");
/// ```
#[derive(Debug, Clone, Default)]
pub struct Definition {
    environment: Option<AwsEnvironment>,
    all_errors: bool,
    registry: Registry,
}

impl Definition {
    /// Flink's behaviour: no resolution, the first problem only.
    pub fn new() -> Definition {
        Definition::default()
    }

    /// Decisions D21: the region and endpoints the options leave unset come from `env`
    /// ([`AwsEnvironment::resolve`]), before validation.
    pub fn environment(mut self, env: AwsEnvironment) -> Definition {
        self.environment = Some(env);
        self
    }

    /// Report every problem of the table ([`OptionsError::Multiple`]) instead of the first.
    pub fn all_errors(mut self, all: bool) -> Definition {
        self.all_errors = all;
        self
    }

    /// Resolve `sink.partitioner`, `scan.shard-assigner` and `aws.credentials.custom.class`
    /// in `registry` (when the table is defined and when a sink, source or client is
    /// opened for it) instead of the process-wide registries
    /// ([`Registry::process_wide`], the default).
    pub fn registry(mut self, registry: Registry) -> Definition {
        self.registry = registry;
        self
    }
}

/// The parts of a table before validation.
pub(crate) struct TableParts {
    pub name: String,
    pub columns: Vec<Column>,
    pub partition_keys: Vec<String>,
    pub watermark: Option<Watermark>,
    pub comment: Option<String>,
    pub options: BTreeMap<String, String>,
}

impl TableDef {
    /// Parses and validates a `CREATE TABLE` statement:
    /// `CREATE [TEMPORARY] TABLE [IF NOT EXISTS] [catalog.db.]name ( columns
    /// [, WATERMARK FOR c AS expr] ) [COMMENT '...'] [PARTITIONED BY (a, b)] WITH ('k' = 'v', ...)`.
    ///
    /// ```
    /// use kinesis_options::TableDef;
    /// let t = TableDef::from_ddl("
    ///     CREATE TABLE orders (
    ///       `id` BIGINT NOT NULL,
    ///       item STRING COMMENT 'what was bought',
    ///       arrival TIMESTAMP_LTZ(3) METADATA FROM 'timestamp' VIRTUAL
    ///     ) PARTITIONED BY (id)
    ///     WITH ('connector' = 'kinesis', 'stream' = 'orders', 'format' = 'json',
    ///           'aws.region' = 'us-east-1')").unwrap();
    /// assert_eq!(t.physical_columns().count(), 2);
    /// assert_eq!(t.resolved_options()["sink.batch.max-size"], "500");
    ///
    /// let err = TableDef::from_ddl("CREATE TABLE t (a INT WITH ('stream' = 's')").unwrap_err();
    /// assert!(err.to_string().starts_with("line 1, column 23: missing ')'"));
    /// ```
    pub fn from_ddl(text: &str) -> Result<TableDef, OptionsError> {
        TableDef::from_ddl_with_overrides(text, Vec::<(String, String)>::new())
    }

    /// As [`TableDef::from_ddl`], with `overrides` merged into the `WITH (...)` options
    /// **before** validation: an override replaces the DDL's value of the same key (later
    /// overrides win over earlier ones) or adds the key. Everything else the DDL says
    /// (columns, WATERMARK, COMMENT, PARTITIONED BY) is kept. So an override can repair a
    /// DDL whose options alone are invalid or incomplete (a missing `stream`, a placeholder
    /// endpoint), which is what the CLI's `-X key=value` does. Deprecated keys (§8) are
    /// mapped on the merged options, so a new key still wins over its deprecated fallback
    /// wherever each was written.
    ///
    /// ```
    /// use kinesis_options::TableDef;
    /// let ddl = "CREATE TABLE t (a INT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts)
    ///            COMMENT 'orders' WITH ('stream' = 's', 'format' = 'csv',
    ///                                   'sink.batch.max-size' = '0')";
    /// assert!(TableDef::from_ddl(ddl).is_err());
    /// let t = TableDef::from_ddl_with_overrides(ddl, [
    ///     ("sink.batch.max-size", "100"), ("aws.region", "us-east-1"),
    /// ]).unwrap();
    /// assert_eq!(t.sink_options().batch_max_size, 100);
    /// assert_eq!(t.options()["aws.region"], "us-east-1");
    /// assert_eq!(t.watermark().unwrap().column, "ts");
    /// assert_eq!(t.comment(), Some("orders"));
    /// ```
    pub fn from_ddl_with_overrides<I, K, V>(
        text: &str,
        overrides: I,
    ) -> Result<TableDef, OptionsError>
    where
        I: IntoIterator<Item = (K, V)>,
        K: Into<String>,
        V: Into<String>,
    {
        TableDef::from_ddl_with(text, overrides, &Definition::default())
    }

    /// As [`TableDef::from_ddl_with_overrides`], with the opt-ins of `how`: the AWS
    /// environment's region and endpoints (D21, applied after the overrides, to what they
    /// and the DDL leave unset), and every problem instead of the first. Each problem about
    /// something the DDL says points at it.
    ///
    /// ```
    /// use kinesis_options::{Definition, OptionsError, TableDef};
    /// let err = TableDef::from_ddl_with("CREATE TABLE t (a INT) WITH ('stream' = 's',
    ///     'format' = 'csv', 'aws.region' = 'us-east-1', 'sink.batch.max-size' = '0',
    ///     'scan.stream.initpos' = 'SOMETIME')", Vec::<(String, String)>::new(),
    ///     &Definition::new().all_errors(true)).unwrap_err();
    /// assert!(matches!(err, OptionsError::Multiple(ref list) if list.len() == 2));
    /// assert!(err.problems()[0].to_string().starts_with("line 2, column "));
    /// assert!(err.problems()[1].to_string().starts_with("line 3, column "));
    /// ```
    pub fn from_ddl_with<I, K, V>(
        text: &str,
        overrides: I,
        how: &Definition,
    ) -> Result<TableDef, OptionsError>
    where
        I: IntoIterator<Item = (K, V)>,
        K: Into<String>,
        V: Into<String>,
    {
        let (mut parts, positions) = ddl::parse(text)?;
        let mut overridden = HashSet::new();
        for (k, v) in overrides {
            let k = k.into();
            overridden.insert(k.clone());
            parts.options.insert(k, v.into());
        }
        let resolved = match &how.environment {
            Some(env) => env.resolve(&mut parts.options),
            None => Vec::new(),
        };
        overridden.extend(resolved.iter().map(|r| r.key.clone()));
        // An error about something the DDL says points at it (an overridden or resolved
        // option is not the DDL's).
        let locate = |e| positions.locate(text, &|k| overridden.contains(k), e);
        TableDef::validate(parts, how.all_errors, &how.registry)
            .map(|t| t.with_environment_values(resolved))
            .map_err(|e| match e {
                OptionsError::Multiple(list) => {
                    OptionsError::Multiple(list.into_iter().map(locate).collect())
                }
                one => locate(one),
            })
    }

    /// Builds and validates a table from columns and an option map (no DDL), without
    /// PARTITIONED BY.
    ///
    /// ```
    /// use kinesis_formats::DataType;
    /// use kinesis_options::{Column, TableDef};
    /// let t = TableDef::from_options("t", vec![Column::physical("v", DataType::string())], [
    ///     ("stream", "s"), ("format", "csv"), ("aws.endpoint", "http://127.0.0.1:4567"),
    /// ]).unwrap();
    /// assert_eq!(t.stream(), "s");
    /// ```
    pub fn from_options<I, K, V>(
        name: &str,
        columns: Vec<Column>,
        options: I,
    ) -> Result<TableDef, OptionsError>
    where
        I: IntoIterator<Item = (K, V)>,
        K: Into<String>,
        V: Into<String>,
    {
        TableDef::from_options_partitioned(name, columns, Vec::<String>::new(), options)
    }

    /// As [`TableDef::from_options`], with PARTITIONED BY columns.
    ///
    /// ```
    /// use kinesis_formats::DataType;
    /// use kinesis_options::{Column, Partitioner, TableDef};
    /// let t = TableDef::from_options_partitioned("t",
    ///     vec![Column::physical("user", DataType::string())], ["user"],
    ///     [("stream", "s"), ("format", "json"), ("aws.region", "us-east-2")]).unwrap();
    /// assert!(matches!(t.sink_options().partitioner, Partitioner::Fields { .. }));
    /// ```
    pub fn from_options_partitioned<I, K, V, P, S>(
        name: &str,
        columns: Vec<Column>,
        partition_keys: P,
        options: I,
    ) -> Result<TableDef, OptionsError>
    where
        I: IntoIterator<Item = (K, V)>,
        K: Into<String>,
        V: Into<String>,
        P: IntoIterator<Item = S>,
        S: Into<String>,
    {
        TableDef::from_options_with(name, columns, partition_keys, options, &Definition::new())
    }

    /// As [`TableDef::from_options_partitioned`], with the opt-ins of `how` (see
    /// [`TableDef::from_ddl_with`]).
    ///
    /// ```
    /// use std::sync::Arc;
    /// use kinesis_formats::DataType;
    /// use kinesis_options::{AwsEnvironment, Column, Definition, TableDef};
    /// use kinesis_wire::env::MapEnv;
    /// let env = AwsEnvironment::new(Arc::new(MapEnv::from_pairs([
    ///     ("AWS_DEFAULT_REGION", "ap-south-1"),
    ///     ("AWS_ENDPOINT_URL_KINESIS", "http://127.0.0.1:4567"),
    /// ])));
    /// let t = TableDef::from_options_with("t", vec![Column::physical("v", DataType::bytes())],
    ///     Vec::<String>::new(), [("stream", "s"), ("format", "raw")],
    ///     &Definition::new().environment(env)).unwrap();
    /// assert_eq!(t.client_config().endpoint.as_deref(), Some("http://127.0.0.1:4567"));
    /// let from: Vec<&str> = t.resolved_from_environment().iter().map(|r| r.from.as_str()).collect();
    /// assert_eq!(from, ["AWS_DEFAULT_REGION", "AWS_ENDPOINT_URL_KINESIS"]);
    /// ```
    pub fn from_options_with<I, K, V, P, S>(
        name: &str,
        columns: Vec<Column>,
        partition_keys: P,
        options: I,
        how: &Definition,
    ) -> Result<TableDef, OptionsError>
    where
        I: IntoIterator<Item = (K, V)>,
        K: Into<String>,
        V: Into<String>,
        P: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let mut options: BTreeMap<String, String> = options
            .into_iter()
            .map(|(k, v)| (k.into(), v.into()))
            .collect();
        let resolved = match &how.environment {
            Some(env) => env.resolve(&mut options),
            None => Vec::new(),
        };
        TableDef::validate(
            TableParts {
                name: name.to_string(),
                columns,
                partition_keys: partition_keys.into_iter().map(Into::into).collect(),
                watermark: None,
                comment: None,
                options,
            },
            how.all_errors,
            &how.registry,
        )
        .map(|t| t.with_environment_values(resolved))
    }

    fn with_environment_values(mut self, resolved: Vec<Resolved>) -> TableDef {
        self.environment_values = resolved;
        self
    }

    /// The options [`Definition::environment`] filled in, with their origin (empty
    /// without it). Secret values never occur here: only regions and endpoints resolve.
    pub fn resolved_from_environment(&self) -> &[Resolved] {
        &self.environment_values
    }

    /// Validates `parts` by the rules of both sides in Flink's order. With `all`, every
    /// problem is collected ([`OptionsError::Multiple`] when more than one): a value at
    /// fault is replaced by a fallback and checks that build on it are skipped.
    fn validate(
        parts: TableParts,
        all: bool,
        registry: &Registry,
    ) -> Result<TableDef, OptionsError> {
        let mut p = Problems::new(all);
        check_columns(&parts, &mut p)?;
        let (effective, mut warnings) = map_deprecated(&parts.options);
        let o = &effective;
        let row_type: Vec<RowField> = parts
            .columns
            .iter()
            .filter(|c| !c.is_metadata())
            .map(|c| RowField {
                name: c.name.clone(),
                data_type: c.data_type.clone(),
                description: c.comment.clone(),
            })
            .collect();

        if let Some(c) = o.get("connector") {
            if c != "kinesis" {
                p.report(OptionsError::invalid(
                    "connector",
                    format!(
                        "Could not find any factory for identifier '{c}' that implements 'org.apache.flink.table.factories.DynamicTableFactory' in the classpath.\n\nAvailable factory identifiers are:\n\nkinesis"
                    ),
                ))?;
            }
        }
        // 1. Format discovery and validation (source and sink factories both start here).
        let format = match o.get("format") {
            Some(name) => p.check(build_format(name, o, &row_type))?,
            None => None,
        };
        // 2. Sink: typed parsing while mapping deprecated options (C-033).
        let parsed = sink::parse(o, &mut p)?;
        // 3. Partition key generator construction (§4.3, K2).
        let partitioner = sink::select_partitioner(o, &parts.partition_keys);
        match &partitioner {
            Partitioner::Fields { columns, delimiter } => {
                p.check(FieldsPartitionKeyGenerator::new(
                    &row_type, columns, delimiter,
                ))?;
            }
            Partitioner::Custom(name) if registry.partitioner(name).is_none() => {
                p.report(sink::unknown_partitioner(name))?;
            }
            _ => {}
        }
        // 4. Required options, then unknown keys (D3).
        let missing: Vec<String> = ["format", "stream"]
            .iter()
            .filter(|k| o.get(k).is_none_or(|v| v.trim().is_empty()))
            .map(|k| k.to_string())
            .collect();
        if !missing.is_empty() {
            p.report(OptionsError::MissingOptions(missing))?;
        }
        p.check(check_unknown_keys(&parts.options, o, &mut warnings))?;
        // 5. K1.
        if !parts.partition_keys.is_empty() && o.get("sink.partitioner").is_some() {
            p.report(OptionsError::invalid(
                "sink.partitioner",
                "Cannot set sink.partitioner option for a table defined with a PARTITIONED BY clause",
            ))?;
        }
        // 6. Sink ranges (K4-K8, D8), AWS (V1-V4), HTTP client (K10-K12).
        if let Some(parsed) = &parsed {
            sink::check_ranges(parsed, o, &mut p)?;
        }
        aws::validate(o, &mut p)?;
        let http = sink::check_http(o, &mut p)?;
        let client = p.check(aws::client_config(o, registry))?;
        // 7. Source (V5-V49, shard assigner).
        let stream = o.value_or_default("stream").to_string();
        let source = source::build(o, &stream, &mut p, registry)?;
        p.finish()?;
        let (Some(format), Some(parsed), Some(client)) = (format, parsed, client) else {
            unreachable!("every check passed, so every part was built")
        };
        let sink = sink::assemble(parsed, partitioner, http, o);

        if source.record_publisher == RecordPublisher::Efo {
            log::debug!(
                "table '{}': EFO registration is honoured; records are read by polling GetRecords (D18)",
                parts.name
            );
        }
        if o.get("sink.http-client.protocol.version") == Some("HTTP2") {
            log::debug!("sink.http-client.protocol.version=HTTP2 is served over HTTP/1.1 (D17)");
        }
        for k in [
            "scan.shard.idle.interval",
            "scan.watermark.sync.interval",
            "scan.watermark.lookahead.millis",
            "scan.watermark.sync.queue.capacity",
        ] {
            if o.get(k).is_some() {
                log::debug!("option '{k}' is accepted and has no effect (no watermarks, D9)");
            }
        }
        Ok(TableDef {
            name: parts.name,
            columns: parts.columns,
            partition_keys: parts.partition_keys,
            watermark: parts.watermark,
            comment: parts.comment,
            options: parts.options,
            effective,
            client,
            source,
            sink,
            format,
            warnings,
            environment_values: Vec::new(),
            registry: registry.clone(),
        })
    }

    /// The table name as written (`name` or `catalog.db.name`).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Every column in declaration order.
    pub fn columns(&self) -> &[Column] {
        &self.columns
    }

    /// The physical columns, in order: what the format decodes and the sink writes.
    pub fn physical_columns(&self) -> impl Iterator<Item = &Column> {
        self.columns.iter().filter(|c| !c.is_metadata())
    }

    /// The metadata columns, in declaration order (the order the source appends them).
    pub fn metadata_columns(&self) -> impl Iterator<Item = &Column> {
        self.columns.iter().filter(|c| c.is_metadata())
    }

    /// The physical row type (for formats and partitioners).
    ///
    /// ```
    /// use kinesis_options::TableDef;
    /// let t = TableDef::from_ddl("CREATE TABLE t (a INT, s VARCHAR(128) METADATA FROM 'shard-id' VIRTUAL)
    ///     WITH ('stream' = 's', 'format' = 'csv', 'aws.region' = 'us-east-1')").unwrap();
    /// assert_eq!(t.physical_row_type().len(), 1);
    /// ```
    pub fn physical_row_type(&self) -> Vec<RowField> {
        self.physical_columns()
            .map(|c| RowField {
                name: c.name.clone(),
                data_type: c.data_type.clone(),
                description: c.comment.clone(),
            })
            .collect()
    }

    /// The PARTITIONED BY columns (empty when not partitioned).
    pub fn partition_keys(&self) -> &[String] {
        &self.partition_keys
    }

    /// The WATERMARK clause, if any.
    pub fn watermark(&self) -> Option<&Watermark> {
        self.watermark.as_ref()
    }

    /// The table COMMENT, if any.
    pub fn comment(&self) -> Option<&str> {
        self.comment.as_deref()
    }

    /// The `stream` option.
    pub fn stream(&self) -> &str {
        self.effective.value_or_default("stream")
    }

    /// The options exactly as written (secrets included: use
    /// [`TableDef::resolved_options`] for display).
    pub fn options(&self) -> &BTreeMap<String, String> {
        &self.options
    }

    /// Client configuration (region, endpoint, trust-all, credential provider tree).
    pub fn client_config(&self) -> &ClientConfig {
        &self.client
    }

    /// The client configuration the sink uses (the one place it is built): the sink's read
    /// timeout (`sink.http-client.read-timeout = 0` meaning none, as for Flink's Netty
    /// client, so that only the whole call's timeout applies) and a connection pool for
    /// `sink.requests.max-inflight` concurrent requests, capped by
    /// `sink.http-client.max-concurrency`.
    ///
    /// ```
    /// use std::time::Duration;
    /// use kinesis_options::TableDef;
    /// let t = TableDef::from_options("t", vec![], [("stream", "s"), ("format", "csv"),
    ///     ("aws.region", "us-east-1"), ("sink.http-client.read-timeout", "1000")]).unwrap();
    /// assert_eq!(t.sink_client_config().timeouts.read, Duration::from_millis(1000));
    /// let t = TableDef::from_options("t", vec![], [("stream", "s"), ("format", "csv"),
    ///     ("aws.region", "us-east-1"), ("sink.http-client.read-timeout", "0")]).unwrap();
    /// let c = t.sink_client_config();
    /// assert_eq!(c.timeouts.read, c.timeouts.overall);
    /// ```
    pub fn sink_client_config(&self) -> ClientConfig {
        let mut c = self.client.clone();
        let http = &self.sink.http_client;
        if http.read_timeout.is_zero() {
            c.timeouts.read = c.timeouts.overall;
        } else {
            c.timeouts.read = http.read_timeout;
            c.timeouts.overall = c.timeouts.overall.max(http.read_timeout);
        }
        let want = self.sink.max_in_flight_requests + 2;
        c.max_connections = if http.max_concurrency > 0 {
            want.min(http.max_concurrency as usize)
        } else {
            want
        };
        c
    }

    /// The sink's buffering, batching and retry settings from the table's `sink.*` options
    /// (already validated when the table was defined).
    ///
    /// ```
    /// use kinesis_options::TableDef;
    /// let t = TableDef::from_options("t", vec![], [("stream", "s"), ("format", "csv"),
    ///     ("aws.region", "us-east-1"), ("sink.batch.max-size", "100"),
    ///     ("sink.retry.max-attempts", "3")]).unwrap();
    /// let cfg = t.sink_config();
    /// assert_eq!((cfg.batch_max_size, cfg.max_attempts), (100, 3));
    /// cfg.validate().unwrap();
    /// ```
    pub fn sink_config(&self) -> crate::SinkConfig {
        crate::SinkConfig::from_options(&self.sink)
    }

    /// The client configuration for the source (EFO uses its read timeout).
    pub fn source_client_config(&self) -> ClientConfig {
        let mut c = self.client.clone();
        if self.source.record_publisher == RecordPublisher::Efo {
            c.timeouts.read = self.source.efo.http_read_timeout;
            c.timeouts.overall = c.timeouts.overall.max(c.timeouts.read);
        }
        c
    }

    /// A Kinesis client for the sink: [`TableDef::sink_client_config`], with `CUSTOM`
    /// credentials resolved in the table's [`Registry`].
    pub fn sink_client(&self) -> Result<KinesisClient, KinesisError> {
        self.client_with(self.sink_client_config())
    }

    /// A Kinesis client for the source: [`TableDef::source_client_config`], with `CUSTOM`
    /// credentials resolved in the table's [`Registry`].
    pub fn source_client(&self) -> Result<KinesisClient, KinesisError> {
        self.client_with(self.source_client_config())
    }

    fn client_with(&self, config: ClientConfig) -> Result<KinesisClient, KinesisError> {
        KinesisClient::builder()
            .config(config)
            .custom_providers(self.registry.credentials_providers().clone())
            .build()
    }

    /// Where the table's implementation names resolve ([`Definition::registry`]).
    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    /// The partition-key generator of `sink.partitioner` / PARTITIONED BY for one sink
    /// subtask, a registered one looked up in the table's [`Registry`].
    ///
    /// ```
    /// use kinesis_options::{PartitionerContext, TableDef};
    /// let t = TableDef::from_options("t", vec![], [("stream", "s"), ("format", "csv"),
    ///     ("aws.region", "us-east-1"), ("sink.partitioner", "fixed")]).unwrap();
    /// let ctx = PartitionerContext { subtask_index: 3, ..PartitionerContext::default() };
    /// let g = t.partition_key_generator(&ctx).unwrap();
    /// assert_eq!(g.partition_key(&kinesis_formats::Row::default()), "3");
    /// ```
    pub fn partition_key_generator(
        &self,
        ctx: &PartitionerContext<'_>,
    ) -> Result<Box<dyn PartitionKeyGenerator>, OptionsError> {
        self.sink.partitioner.build(ctx, &self.registry)
    }

    /// The shard assigner of `scan.shard-assigner`, looked up in the table's [`Registry`]
    /// (checked at definition, so it exists unless a process-wide registration changed).
    ///
    /// ```
    /// use kinesis_options::TableDef;
    /// let t = TableDef::from_options("t", vec![], [
    ///     ("stream", "s"), ("format", "csv"), ("aws.region", "us-east-1"),
    ///     ("scan.shard-assigner", "uniform"),
    /// ]).unwrap();
    /// assert!(t.shard_assigner().is_some());
    /// ```
    pub fn shard_assigner(&self) -> Option<Arc<dyn ShardAssigner>> {
        self.registry.shard_assigner(&self.source.shard_assigner)
    }

    /// The credentials part of the client configuration.
    pub fn credentials(&self) -> &CredentialsSpec {
        &self.client.credentials
    }

    /// Typed source options.
    pub fn source_options(&self) -> &SourceOptions {
        &self.source
    }

    /// Typed sink options.
    pub fn sink_options(&self) -> &SinkOptions {
        &self.sink
    }

    /// The format and its options.
    pub fn format_options(&self) -> &FormatOptions {
        &self.format
    }

    /// The configured format (encoder and decoder for the physical row type).
    pub fn format(&self) -> &Format {
        &self.format.format
    }

    /// Warnings raised while defining the table (deprecated or ignored options), also
    /// logged with `log::warn!`.
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// What a sink additionally needs when it opens: `aws.region` (Flink's sink requires it;
    /// its source accepts an endpoint alone), and no persisted (non-VIRTUAL) metadata column.
    ///
    /// ```
    /// use kinesis_options::TableDef;
    /// let t = TableDef::from_options("t", vec![], [("stream", "s"), ("format", "csv"),
    ///     ("aws.endpoint", "http://127.0.0.1:4567")]).unwrap();
    /// let err = t.check_sink_requirements().unwrap_err();
    /// assert_eq!(err.to_string(),
    ///     "One or more required options are missing.\n\nMissing required options are:\n\naws.region");
    /// ```
    pub fn check_sink_requirements(&self) -> Result<(), OptionsError> {
        if self.effective.get("aws.region").is_none() {
            return Err(OptionsError::MissingOptions(vec!["aws.region".into()]));
        }
        if let Some(c) = self.columns.iter().find(|c| {
            matches!(
                c.kind,
                ColumnKind::Metadata {
                    is_virtual: false,
                    ..
                }
            )
        }) {
            return Err(OptionsError::schema(
                Some(&c.name),
                format!(
                    "Table '{}' declares persistable metadata columns, but the underlying DynamicTableSink doesn't implement the SupportsWritingMetadata interface. If the column should not be persisted, it can be declared with the VIRTUAL keyword.",
                    self.name
                ),
            ));
        }
        Ok(())
    }

    /// Every option with its resolved value as text: defaults filled in, deprecated keys
    /// mapped to their replacements, format options included, secrets masked. The CLI's
    /// `validate` prints this map.
    ///
    /// ```
    /// use kinesis_options::TableDef;
    /// let t = TableDef::from_options("t", vec![], [("stream", "s"), ("format", "csv"),
    ///     ("aws.region", "us-east-1"), ("aws.credentials.basic.accesskeyid", "AKID"),
    ///     ("aws.credentials.basic.secretkey", "hush"),
    ///     ("sink.producer.collection-max-size", "100")]).unwrap();
    /// let r = t.resolved_options();
    /// assert_eq!(r["aws.credentials.provider"], "BASIC");
    /// assert_eq!(r["aws.credentials.basic.secretkey"], "******");
    /// assert_eq!(r["sink.batch.max-size"], "100");
    /// assert_eq!(r["scan.stream.initpos"], "LATEST");
    /// ```
    pub fn resolved_options(&self) -> BTreeMap<String, String> {
        resolved(&self.effective, &self.format)
    }
}

fn resolved(o: &Effective, format: &FormatOptions) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for s in OPTIONS {
        if s.deprecated {
            continue;
        }
        match s.shape {
            KeyShape::Exact => {
                let value = match s.key {
                    "aws.credentials.provider" if o.get(s.key).is_none() => {
                        let has = |k| o.get(k).is_some();
                        Some(
                            if has("aws.credentials.basic.accesskeyid")
                                && has("aws.credentials.basic.secretkey")
                            {
                                "BASIC"
                            } else {
                                "AUTO"
                            }
                            .to_string(),
                        )
                    }
                    // Flink reads it with Boolean.parseBoolean: anything but "true"
                    // (any case) is false, as the typed value.
                    "scan.shard.adaptivereads" => o
                        .get(s.key)
                        .map(|v| v.eq_ignore_ascii_case("true").to_string())
                        .or(s.default.map(str::to_string)),
                    _ => o.get(s.key).or(s.default).map(|v| match s.value_type {
                        ValueType::Boolean => flink_bool(v)
                            .map(|b| b.to_string())
                            .unwrap_or_else(|| v.to_string()),
                        ValueType::Integer | ValueType::Long => v.trim().to_string(),
                        _ => v.to_string(),
                    }),
                };
                if let Some(v) = value {
                    out.insert(s.key.to_string(), v);
                }
            }
            _ => {
                for (k, v) in &o.map {
                    if s.matches(k) && spec::find(k) == Some(s) {
                        out.insert(k.clone(), v.clone());
                    }
                }
            }
        }
    }
    for k in Format::option_keys(&format.name) {
        if let Some(v) = o.get(k.key).or(k.default) {
            out.insert(k.key.to_string(), v.to_string());
        }
    }
    for (k, v) in out.iter_mut() {
        if spec::is_sensitive(k) {
            *v = spec::MASK.to_string();
        }
    }
    out
}

fn build_format(
    name: &str,
    o: &Effective,
    row_type: &[RowField],
) -> Result<FormatOptions, OptionsError> {
    let format = Format::from_options(name, &o.map, row_type).map_err(|e| match e {
        FormatError::UnsupportedOptions {
            keys, supported, ..
        } => OptionsError::UnsupportedOptions {
            keys: keys
                .iter()
                .map(|k| (k.clone(), did_you_mean(k, &supported).map(str::to_string)))
                .collect(),
            supported: supported.iter().map(|s| s.to_string()).collect(),
        },
        FormatError::InvalidOption { key, message } => OptionsError::Invalid { key, message },
        FormatError::UnsupportedType {
            column, message, ..
        } => OptionsError::Schema {
            column: Some(column),
            message,
        },
        other => OptionsError::Format {
            format: name.to_string(),
            message: other.to_string(),
        },
    })?;
    let prefix = format!("{name}.");
    Ok(FormatOptions {
        name: name.to_string(),
        options: o
            .map
            .iter()
            .filter(|(k, _)| k.starts_with(&prefix))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
        format,
    })
}

/// Column-level checks: unique names, metadata types (§2.6), the watermark's column.
fn check_columns(parts: &TableParts, p: &mut Problems) -> Result<(), OptionsError> {
    if let Some(w) = &parts.watermark {
        if !parts.columns.iter().any(|c| c.name == w.column) {
            p.report(OptionsError::schema(
                Some(&w.column),
                format!(
                    "The rowtime attribute field '{}' is not defined in the table schema.",
                    w.column
                ),
            ))?;
        }
    }
    let mut seen = HashSet::new();
    for c in &parts.columns {
        if !seen.insert(c.name.as_str()) {
            p.report(OptionsError::schema(
                Some(&c.name),
                format!(
                    "A column named '{}' is defined twice in table '{}'.",
                    c.name, parts.name
                ),
            ))?;
        }
        if let ColumnKind::Metadata { key, .. } = c.kind {
            let meta = key.data_type();
            if !c.data_type.can_hold(&meta) {
                let with_key = if c.name != key.key() {
                    format!(" with metadata key '{}'", key.key())
                } else {
                    String::new()
                };
                p.report(OptionsError::schema(
                    Some(&c.name),
                    format!(
                        "Invalid data type for metadata column '{}'{with_key} of table '{}'. The column cannot be declared as '{}' because the type must be castable from metadata type '{}'.",
                        c.name, parts.name, c.data_type, meta
                    ),
                ))?;
            }
        }
    }
    Ok(())
}

/// The §2.6 error for an unknown metadata key.
pub(crate) fn unknown_metadata_key(table: &str, column: &str, key: &str) -> OptionsError {
    let keys: Vec<&str> = MetadataKey::ALL.iter().map(|k| k.key()).collect();
    OptionsError::schema(
        Some(column),
        format!(
            "Invalid metadata key '{key}' in column '{column}' of table '{table}'. The DynamicTableSource class 'org.apache.flink.streaming.connectors.kinesis.table.KinesisDynamicSource' supports the following metadata keys for reading:\n{}",
            keys.join("\n")
        ),
    )
}

/// Whether `key` is a credential key nested below `aws.credentials.role.provider`.
fn is_nested_credential_key(key: &str) -> bool {
    let Some(mut rest) = key.strip_prefix("aws.credentials.") else {
        return false;
    };
    while let Some(r) = rest.strip_prefix("role.provider.") {
        rest = r;
    }
    CREDENTIAL_SUBKEYS.contains(&rest)
}

/// D3: every key must be known to the source, the sink or the format.
fn check_unknown_keys(
    raw: &BTreeMap<String, String>,
    o: &Effective,
    _warnings: &mut [String],
) -> Result<(), OptionsError> {
    let format = o.value_or_default("format");
    let format_keys = Format::option_keys(format);
    let known = |k: &str| {
        spec::find(k).is_some_and(|s| match s.shape {
            KeyShape::Prefix("aws.credentials.role.provider.") => is_nested_credential_key(k),
            _ => true,
        }) || spec::find_by_fallback(k).is_some()
            || format_keys.iter().any(|f| f.key == k)
    };
    let unknown: Vec<&String> = raw.keys().filter(|k| !known(k)).collect();
    if unknown.is_empty() {
        return Ok(());
    }
    let mut supported = spec::supported_keys();
    supported.extend(format_keys.iter().map(|f| f.key.to_string()));
    supported.sort();
    let mut candidates: Vec<&str> = OPTIONS
        .iter()
        .filter(|s| s.shape == KeyShape::Exact)
        .map(|s| s.key)
        .chain(OPTIONS.iter().flat_map(|s| s.fallback_keys.iter().copied()))
        .chain(format_keys.iter().map(|f| f.key))
        .collect();
    // Nested credential keys and pattern families as concrete examples.
    let nested: Vec<String> = CREDENTIAL_SUBKEYS
        .iter()
        .map(|s| format!("aws.credentials.role.provider.{s}"))
        .collect();
    candidates.extend(nested.iter().map(String::as_str));
    candidates.push("scan.shard.consumer.error.recoverable[0].exception");
    Err(OptionsError::UnsupportedOptions {
        keys: unknown
            .into_iter()
            .map(|k| {
                let suggestion = if let Some(rest) = k.strip_prefix("aws.credentials.provider.") {
                    // A property-style key (C-011): the table key drops `provider.`.
                    let table_key = format!("aws.credentials.{rest}");
                    is_nested_credential_key(&table_key).then_some(table_key)
                } else if let Some(rest) = k.strip_prefix("shard.consumer.error.recoverable") {
                    // The docs' key without `scan.` (C-012).
                    Some(format!("scan.shard.consumer.error.recoverable{rest}"))
                } else {
                    did_you_mean(k, &candidates).map(str::to_string)
                };
                // A secret glued to a key (`…secretkeyS3CR`) is not shown.
                (spec::display_key(k).into_owned(), suggestion)
            })
            .collect(),
        supported,
    })
}

impl fmt::Debug for TableDef {
    // Secrets masked: options are printed through the resolved (masked) view.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let masked: BTreeMap<&String, &str> = self
            .options
            .iter()
            .map(|(k, v)| (k, spec::display_value(k, v)))
            .collect();
        f.debug_struct("TableDef")
            .field("name", &self.name)
            .field("columns", &self.columns)
            .field("partition_keys", &self.partition_keys)
            .field("watermark", &self.watermark)
            .field("options", &masked)
            .field("client", &self.client)
            .field("source", &self.source)
            .field("sink", &self.sink)
            .field("format", &self.format.name)
            .field("warnings", &self.warnings)
            .finish()
    }
}

fn quote_ident(name: &str) -> String {
    format!("`{}`", name.replace('`', "``"))
}

fn quote_str(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// A `CREATE TABLE` statement that parses back to the same table; sensitive option values
/// are masked.
impl fmt::Display for TableDef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name: Vec<String> = self.name.split('.').map(quote_ident).collect();
        writeln!(f, "CREATE TABLE {} (", name.join("."))?;
        let mut lines: Vec<String> = Vec::new();
        for c in &self.columns {
            let mut l = format!("  {} {}", quote_ident(&c.name), c.data_type);
            if let ColumnKind::Metadata { key, is_virtual } = c.kind {
                l.push_str(&format!(" METADATA FROM {}", quote_str(key.key())));
                if is_virtual {
                    l.push_str(" VIRTUAL");
                }
            }
            if let Some(cm) = &c.comment {
                l.push_str(&format!(" COMMENT {}", quote_str(cm)));
            }
            lines.push(l);
        }
        if let Some(w) = &self.watermark {
            lines.push(format!(
                "  WATERMARK FOR {} AS {}",
                quote_ident(&w.column),
                w.expression
            ));
        }
        writeln!(f, "{}", lines.join(",\n"))?;
        f.write_str(")")?;
        if let Some(c) = &self.comment {
            write!(f, "\nCOMMENT {}", quote_str(c))?;
        }
        if !self.partition_keys.is_empty() {
            let keys: Vec<String> = self.partition_keys.iter().map(|k| quote_ident(k)).collect();
            write!(f, "\nPARTITIONED BY ({})", keys.join(", "))?;
        }
        f.write_str("\nWITH (\n")?;
        let opts: Vec<String> = self
            .options
            .iter()
            .map(|(k, v)| {
                format!(
                    "  {} = {}",
                    quote_str(k),
                    quote_str(spec::display_value(k, v))
                )
            })
            .collect();
        writeln!(f, "{}", opts.join(",\n"))?;
        f.write_str(")")
    }
}
