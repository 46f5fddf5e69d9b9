//! Name registries of decisions D15 and the traits the sink and source call.
//!
//! Where Flink names Java classes (`sink.partitioner = 'org.acme.MyPartitioner'`,
//! `scan.shard-assigner`, `aws.credentials.custom.class`), kinesis-rs names Rust
//! implementations that the embedding program registers here before defining tables. An
//! unknown name is an error at table definition.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock, RwLock};

use kinesis_formats::{LogicalType, Row, RowField, Value};
// Flink counts a key's length in UTF-16 units; the cut is at the service's limit.
use kinesis_wire::limits::MAX_PARTITION_KEY_CHARS;

use crate::error::OptionsError;
use crate::java;

mod set;
pub use set::Registry;

/// What a partition-key generator is built for: the sink's subtask and the physical row.
#[derive(Debug, Clone, Copy)]
pub struct PartitionerContext<'a> {
    /// Index of the sink subtask (`SinkContext::subtask_index`), 0-based.
    pub subtask_index: usize,
    /// Number of sink subtasks.
    pub parallelism: usize,
    /// The table's physical columns, in order: the rows passed to the generator.
    pub row_type: &'a [RowField],
}

impl Default for PartitionerContext<'_> {
    fn default() -> Self {
        PartitionerContext {
            subtask_index: 0,
            parallelism: 1,
            row_type: &[],
        }
    }
}

/// Computes the Kinesis partition key of a row (Flink's `PartitionKeyGenerator<RowData>`).
///
/// ```
/// use kinesis_formats::{Row, Value};
/// use kinesis_options::PartitionKeyGenerator;
/// struct ByFirst;
/// impl PartitionKeyGenerator for ByFirst {
///     fn partition_key(&self, row: &Row) -> String { format!("{:?}", row.values[0]) }
/// }
/// assert_eq!(ByFirst.partition_key(&Row::new(vec![Value::Int(7)])), "Int(7)");
/// ```
pub trait PartitionKeyGenerator: Send + Sync {
    /// The partition key of `row` (a physical row of the table).
    fn partition_key(&self, row: &Row) -> String;
}

/// Builds a registered partitioner for one sink subtask.
pub type PartitionerFactory =
    dyn Fn(&PartitionerContext<'_>) -> Box<dyn PartitionKeyGenerator> + Send + Sync + 'static;

/// A shard as the assigner sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShardInfo<'a> {
    /// The stream's name.
    pub stream: &'a str,
    /// The shard id (`shardId-000000000000`).
    pub shard_id: &'a str,
    /// `HashKeyRange.StartingHashKey` (a 128-bit number).
    pub starting_hash_key: u128,
    /// `HashKeyRange.EndingHashKey`.
    pub ending_hash_key: u128,
}

/// Maps a shard to a number from which the subtask is derived, as Flink's
/// `KinesisShardAssigner.assign(shard, numParallelSubtasks)`; the source reads the shard
/// on subtask `|assign(shard, n) % n|` (see [`subtask_for`]).
///
/// ```
/// use kinesis_options::{subtask_for, Registry, ShardInfo};
/// let default = Registry::isolated().shard_assigner("default").unwrap();
/// let shard = ShardInfo { stream: "myStream", shard_id: "shardId-000000000000",
///                         starting_hash_key: 0, ending_hash_key: u128::MAX };
/// assert_eq!(subtask_for(default.as_ref(), &shard, 4), 3);
/// ```
pub trait ShardAssigner: Send + Sync {
    /// Any `i32`; only its remainder modulo `parallelism` matters.
    fn assign(&self, shard: &ShardInfo<'_>, parallelism: usize) -> i32;
}

/// Builds a registered shard assigner.
pub type ShardAssignerFactory = dyn Fn() -> Arc<dyn ShardAssigner> + Send + Sync + 'static;

/// The subtask that reads `shard`: `abs(assign % parallelism)` with Java's remainder (sign of
/// the dividend), as `isThisSubtaskShouldSubscribeTo`. `parallelism` 0 is treated as 1.
///
/// ```
/// use kinesis_options::{subtask_for, Registry, ShardInfo};
/// let uniform = Registry::isolated().shard_assigner("uniform").unwrap();
/// let s = ShardInfo { stream: "", shard_id: "x", starting_hash_key: 0, ending_hash_key: 0 };
/// assert_eq!(subtask_for(uniform.as_ref(), &s, 3), 0);
/// ```
pub fn subtask_for(
    assigner: &dyn ShardAssigner,
    shard: &ShardInfo<'_>,
    parallelism: usize,
) -> usize {
    let n = parallelism.max(1);
    let a = assigner.assign(shard, n) as i64;
    (a % n as i64).unsigned_abs() as usize
}

/// Flink's `default` assigner: `shard.hashCode()` of the (stream, shard id) pair.
#[derive(Debug, Clone, Copy, Default)]
pub struct DefaultShardAssigner;

impl ShardAssigner for DefaultShardAssigner {
    fn assign(&self, shard: &ShardInfo<'_>, _parallelism: usize) -> i32 {
        let mut h: i32 = 17;
        h = h
            .wrapping_mul(37)
            .wrapping_add(java::string_hash(shard.stream));
        h.wrapping_mul(37)
            .wrapping_add(java::string_hash(shard.shard_id))
    }
}

/// Flink's `uniform` assigner: the middle of the shard's hash range, scaled to the
/// parallelism, plus the stream's hash (spreads shards of a uniformly split stream evenly).
#[derive(Debug, Clone, Copy, Default)]
pub struct UniformShardAssigner;

impl ShardAssigner for UniformShardAssigner {
    fn assign(&self, shard: &ShardInfo<'_>, parallelism: usize) -> i32 {
        let (a, b) = (shard.starting_hash_key, shard.ending_hash_key);
        // (a + b) / 2 without overflowing 128 bits.
        let mid = a / 2 + b / 2 + (a % 2 + b % 2) / 2;
        // mid * n / 2^128 with a 192-bit intermediate split into 64-bit halves.
        let n = parallelism as u128;
        let hi = mid >> 64;
        let lo = mid & u64::MAX as u128;
        let scaled = (hi * n + ((lo * n) >> 64)) >> 64;
        // BigInteger.intValue(): the low 32 bits.
        (scaled as u32 as i32).wrapping_add(java::string_hash(shard.stream))
    }
}

/// A random version-4 UUID in its 36-character lower-case hyphenated form, as Flink's
/// `UUID.randomUUID().toString()` (reference §4.1).
///
/// The bits come from `fastrand`'s thread-local generator rather than the operating
/// system: a partition key only has to spread records over shards, not be unguessable, and
/// a system call per record costs more than the rest of key generation. The uuid crate
/// sets the version and variant bits and formats the text.
///
/// ```
/// let k = kinesis_options::random_partition_key();
/// assert_eq!(k.len(), 36);
/// assert_eq!(&k[14..15], "4"); // version 4
/// assert!(matches!(&k[19..20], "8" | "9" | "a" | "b")); // RFC 4122 variant
/// ```
pub fn random_partition_key() -> String {
    let id = uuid::Builder::from_random_bytes(fastrand::u128(..).to_le_bytes()).into_uuid();
    let mut buf = [0u8; uuid::fmt::Hyphenated::LENGTH];
    String::from(&*id.hyphenated().encode_lower(&mut buf))
}

/// Partition key `random`: a random UUID per record (Flink's
/// `RandomKinesisPartitionKeyGenerator`), from [`random_partition_key`].
#[derive(Debug, Clone, Copy, Default)]
pub struct RandomPartitionKeyGenerator;

impl PartitionKeyGenerator for RandomPartitionKeyGenerator {
    fn partition_key(&self, _row: &Row) -> String {
        random_partition_key()
    }
}

/// Partition key `fixed`: the sink subtask's index (decisions D1; Flink always sends `"0"`,
/// which is what a single-subtask sink, the default, sends too).
#[derive(Debug, Clone, Default)]
pub struct FixedPartitionKeyGenerator {
    key: String,
}

impl FixedPartitionKeyGenerator {
    /// The generator of subtask `subtask_index`.
    pub fn new(subtask_index: usize) -> Self {
        FixedPartitionKeyGenerator {
            key: subtask_index.to_string(),
        }
    }
}

impl PartitionKeyGenerator for FixedPartitionKeyGenerator {
    fn partition_key(&self, _row: &Row) -> String {
        self.key.clone()
    }
}

/// The PARTITIONED BY partitioner (Flink's `RowDataFieldsKinesisPartitionKeyGenerator`,
/// reference §4.3): the key fields' Java string forms joined by the delimiter, cut at 256.
#[derive(Debug, Clone)]
pub struct FieldsPartitionKeyGenerator {
    /// Indices of the key fields in the physical row, in PARTITIONED BY order.
    indices: Vec<usize>,
    delimiter: String,
    delimiter_units: usize,
    /// Static partition values by field index (`INSERT ... PARTITION (k='v')`).
    statics: HashMap<usize, String>,
}

/// Whether Flink gives values of this type a well-defined string (`hasWellDefinedString`).
pub(crate) fn has_well_defined_string(t: &LogicalType) -> bool {
    matches!(
        t,
        LogicalType::Char(_)
            | LogicalType::Varchar(_)
            | LogicalType::Boolean
            | LogicalType::TinyInt
            | LogicalType::SmallInt
            | LogicalType::Int
            | LogicalType::BigInt
            | LogicalType::Float
            | LogicalType::Double
    )
}

impl FieldsPartitionKeyGenerator {
    /// Checks the keys as Flink does, in its order: non-empty, no duplicates, present in the
    /// row, of a type with a well-defined string.
    ///
    /// ```
    /// use kinesis_formats::{DataType, LogicalType, Row, RowField, Value};
    /// use kinesis_options::{FieldsPartitionKeyGenerator, PartitionKeyGenerator};
    /// let f = |n: &str, k| RowField { name: n.into(), data_type: DataType { kind: k, nullable: true }, description: None };
    /// let row_type = vec![f("date", LogicalType::Varchar(10)), f("ip", LogicalType::Varchar(20))];
    /// let g = FieldsPartitionKeyGenerator::new(&row_type, &["date".into(), "ip".into()], "|").unwrap();
    /// let row = Row::new(vec![Value::String("16365".into()), Value::String("255.255.255.255".into())]);
    /// assert_eq!(g.partition_key(&row), "16365|255.255.255.255");
    /// ```
    pub fn new(
        row_type: &[RowField],
        keys: &[String],
        delimiter: &str,
    ) -> Result<Self, OptionsError> {
        if keys.is_empty() {
            return Err(OptionsError::schema(
                None,
                "Cannot create a RowDataFieldsKinesisPartitioner for a non-partitioned table",
            ));
        }
        let mut seen = std::collections::HashSet::new();
        if keys.iter().any(|k| !seen.insert(k.as_str())) {
            return Err(OptionsError::schema(
                None,
                "The sequence of partition keys cannot contain duplicates",
            ));
        }
        let missing: Vec<&str> = keys
            .iter()
            .filter(|k| !row_type.iter().any(|f| &f.name == *k))
            .map(String::as_str)
            .collect();
        if !missing.is_empty() {
            return Err(OptionsError::schema(
                Some(missing[0]),
                format!(
                    "The following partition keys are not present in the table: {}",
                    missing.join(", ")
                ),
            ));
        }
        let mut indices = Vec::with_capacity(keys.len());
        let mut unsupported = Vec::new();
        for k in keys {
            let i = row_type.iter().position(|f| &f.name == k).unwrap_or(0);
            if !has_well_defined_string(&row_type[i].data_type.kind) {
                unsupported.push(k.as_str());
            }
            indices.push(i);
        }
        if !unsupported.is_empty() {
            return Err(OptionsError::schema(
                Some(unsupported[0]),
                format!(
                    "The following partition keys have types that are not supported by Kinesis: {}",
                    unsupported.join(", ")
                ),
            ));
        }
        Ok(FieldsPartitionKeyGenerator {
            indices,
            delimiter: delimiter.to_string(),
            delimiter_units: delimiter.encode_utf16().count(),
            statics: HashMap::new(),
        })
    }

    /// Static partition values (`INSERT INTO t PARTITION (year='2014') ...`): each named
    /// field takes the literal instead of the row's value. Every name must be a partition key.
    ///
    /// ```
    /// use kinesis_formats::{DataType, Row, RowField, Value};
    /// use kinesis_options::{FieldsPartitionKeyGenerator, PartitionKeyGenerator};
    /// let rt = vec![RowField::new("year", DataType::string()), RowField::new("day", DataType::string())];
    /// let keys = vec!["year".to_string(), "day".to_string()];
    /// let g = FieldsPartitionKeyGenerator::new(&rt, &keys, "|").unwrap()
    ///     .with_static_partition(&rt, &keys, &[("year".into(), "2014".into())]).unwrap();
    /// let row = Row::new(vec![Value::String("1999".into()), Value::String("22".into())]);
    /// assert_eq!(g.partition_key(&row), "2014|22");
    /// ```
    pub fn with_static_partition(
        mut self,
        row_type: &[RowField],
        keys: &[String],
        values: &[(String, String)],
    ) -> Result<Self, OptionsError> {
        let bad: Vec<&str> = values
            .iter()
            .map(|(k, _)| k.as_str())
            .filter(|k| !keys.iter().any(|p| p == k))
            .collect();
        if !bad.is_empty() {
            return Err(OptionsError::schema(
                None,
                format!(
                    "Not all static field names ({}) are part of the partition key ({}).",
                    values
                        .iter()
                        .map(|(k, _)| k.as_str())
                        .collect::<Vec<_>>()
                        .join(", "),
                    keys.join(", ")
                ),
            ));
        }
        for (k, v) in values {
            if let Some(i) = row_type.iter().position(|f| &f.name == k) {
                self.statics.insert(i, v.clone());
            }
        }
        Ok(self)
    }
}

/// Java's `String.valueOf` of a value's internal form, for partition keys.
pub(crate) fn java_string_of(value: &Value) -> String {
    match value {
        Value::Null => "null".into(),
        Value::Boolean(b) => b.to_string(),
        Value::TinyInt(v) => v.to_string(),
        Value::SmallInt(v) => v.to_string(),
        Value::Int(v) => v.to_string(),
        Value::BigInt(v) => v.to_string(),
        Value::Float(v) => java::float_to_string(*v),
        Value::Double(v) => java::double_to_string(*v),
        Value::String(s) => s.clone(),
        // Types without a well-defined string are refused at construction; a debug form
        // beats a panic if a caller passes a row of another shape.
        other => format!("{other:?}"),
    }
}

/// The longest prefix of `s` of at most `units` UTF-16 code units, never splitting a
/// surrogate pair (a Rust string cannot hold half of one; Java would send it broken).
fn utf16_prefix(s: &str, units: usize) -> &str {
    let mut count = 0;
    for (i, c) in s.char_indices() {
        let w = c.len_utf16();
        if count + w > units {
            return &s[..i];
        }
        count += w;
    }
    s
}

impl PartitionKeyGenerator for FieldsPartitionKeyGenerator {
    fn partition_key(&self, row: &Row) -> String {
        let part_of = |i: usize| match (!self.statics.is_empty())
            .then(|| self.statics.get(&i))
            .flatten()
        {
            Some(v) => v.clone(),
            None => row
                .values
                .get(i)
                .map(java_string_of)
                .unwrap_or_else(|| "null".into()),
        };
        let units_of = |s: &str| {
            if s.is_ascii() {
                s.len()
            } else {
                s.encode_utf16().count()
            }
        };
        if let [i] = self.indices[..] {
            // One key column (the usual `PARTITIONED BY (id)`): its text is the key, cut to
            // the limit, without the joining buffer and its copy (per row, these were a
            // few % of the csv put path).
            let part = part_of(i);
            return if units_of(&part) <= MAX_PARTITION_KEY_CHARS {
                part
            } else {
                utf16_prefix(&part, MAX_PARTITION_KEY_CHARS).to_string()
            };
        }
        let mut buf = String::new();
        let mut units = 0usize;
        for &i in &self.indices {
            let part = part_of(i);
            units += units_of(&part) + self.delimiter_units;
            buf.push_str(&part);
            buf.push_str(&self.delimiter);
            if units >= MAX_PARTITION_KEY_CHARS {
                break;
            }
        }
        let keep = (units - self.delimiter_units).min(MAX_PARTITION_KEY_CHARS);
        utf16_prefix(&buf, keep).to_string()
    }
}

// ---------------------------------------------------------------------------------------
// Registries.

fn partitioners() -> &'static RwLock<HashMap<String, Arc<PartitionerFactory>>> {
    static R: OnceLock<RwLock<HashMap<String, Arc<PartitionerFactory>>>> = OnceLock::new();
    R.get_or_init(|| RwLock::new(HashMap::new()))
}

fn assigners() -> &'static RwLock<HashMap<String, Arc<ShardAssignerFactory>>> {
    static R: OnceLock<RwLock<HashMap<String, Arc<ShardAssignerFactory>>>> = OnceLock::new();
    R.get_or_init(|| RwLock::new(HashMap::new()))
}

/// Registers a partitioner under `name`, for `sink.partitioner = '<name>'` (D15). A later
/// registration under the same name replaces the earlier one. `random` and `fixed` are
/// built in and cannot be replaced.
///
/// ```
/// use kinesis_formats::Row;
/// use kinesis_options::{register_partitioner, PartitionKeyGenerator, Registry};
/// struct Constant;
/// impl PartitionKeyGenerator for Constant {
///     fn partition_key(&self, _: &Row) -> String { "k".into() }
/// }
/// register_partitioner("doc-constant", |_ctx| Box::new(Constant));
/// assert!(Registry::process_wide().partitioner("doc-constant").is_some());
/// assert!(Registry::isolated().partitioner("doc-constant").is_none());
/// ```
pub fn register_partitioner(
    name: &str,
    factory: impl Fn(&PartitionerContext<'_>) -> Box<dyn PartitionKeyGenerator> + Send + Sync + 'static,
) {
    partitioners()
        .write()
        .unwrap_or_else(|e| e.into_inner())
        .insert(name.to_string(), Arc::new(factory));
}

/// The registered partitioner factory of `name`.
pub(crate) fn partitioner(name: &str) -> Option<Arc<PartitionerFactory>> {
    partitioners()
        .read()
        .unwrap_or_else(|e| e.into_inner())
        .get(name)
        .cloned()
}

/// Registers a shard assigner under `name`, for `scan.shard-assigner = '<name>'` (D15).
/// `default` and `uniform` are built in and cannot be replaced.
///
/// ```
/// use std::sync::Arc;
/// use kinesis_options::{register_shard_assigner, Registry, ShardAssigner, ShardInfo};
/// struct AllToZero;
/// impl ShardAssigner for AllToZero {
///     fn assign(&self, _: &ShardInfo<'_>, _: usize) -> i32 { 0 }
/// }
/// register_shard_assigner("doc-zero", || Arc::new(AllToZero));
/// assert!(Registry::process_wide().shard_assigner("doc-zero").is_some());
/// ```
pub fn register_shard_assigner(
    name: &str,
    factory: impl Fn() -> Arc<dyn ShardAssigner> + Send + Sync + 'static,
) {
    assigners()
        .write()
        .unwrap_or_else(|e| e.into_inner())
        .insert(name.to_string(), Arc::new(factory));
}

/// The shard assigner called `name`: built-in `default` / `uniform`, else a registered one.
pub(crate) fn shard_assigner(name: &str) -> Option<Arc<dyn ShardAssigner>> {
    match name {
        "default" => Some(Arc::new(DefaultShardAssigner)),
        "uniform" => Some(Arc::new(UniformShardAssigner)),
        _ => assigners()
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(name)
            .map(|f| f()),
    }
}

/// Registers a credentials provider under `name`, for `aws.credentials.provider = 'CUSTOM'`
/// with `aws.credentials.custom.class = '<name>'` (D15). The registry itself lives in
/// kinesis-wire, which builds the provider; this is the same registration.
///
/// ```
/// use std::sync::Arc;
/// use kinesis_wire::credentials::StaticProvider;
/// use kinesis_wire::credentials::Credentials;
/// kinesis_options::register_credentials_provider("doc-vault", || {
///     Ok(Arc::new(StaticProvider::new(Credentials::new("AKID", "s", None, None, "vault"))))
/// });
/// assert!(kinesis_options::Registry::process_wide().has_credentials_provider("doc-vault"));
/// ```
pub fn register_credentials_provider(
    name: &str,
    factory: impl Fn() -> Result<
            Arc<dyn kinesis_wire::credentials::Provider>,
            kinesis_wire::credentials::CredentialsError,
        > + Send
        + Sync
        + 'static,
) {
    kinesis_wire::credentials::register_custom(name, factory);
}

#[cfg(test)]
mod tests {
    use super::*;
    use kinesis_formats::DataType;

    fn shard<'a>(stream: &'a str, id: &'a str) -> ShardInfo<'a> {
        ShardInfo {
            stream,
            shard_id: id,
            starting_hash_key: 0,
            ending_hash_key: 0,
        }
    }

    #[test]
    fn default_assigner_matches_flink_examples() {
        let a = DefaultShardAssigner;
        assert_eq!(java::string_hash("myStream"), -806594484);
        let s0 = shard("myStream", "shardId-000000000000");
        assert_eq!(a.assign(&s0, 2), -1542967911);
        assert_eq!(subtask_for(&a, &s0, 2), 1);
        assert_eq!(subtask_for(&a, &s0, 3), 0);
        assert_eq!(subtask_for(&a, &s0, 4), 3);
        let s1 = shard("myStream", "shardId-000000000001");
        assert_eq!(a.assign(&s1, 2), -1542967910);
        assert_eq!(subtask_for(&a, &s1, 2), 0);
        assert_eq!(subtask_for(&a, &s1, 3), 2);
        let s2 = shard("myStream", "shardId-000000000002");
        assert_eq!(subtask_for(&a, &s2, 2), 1);
        assert_eq!(subtask_for(&a, &s2, 3), 1);
    }

    #[test]
    fn uniform_assigner_matches_flink_test() {
        let max = u128::MAX;
        let cases = [
            (0, 0, 0),
            (0, max / 3, 0),
            (max / 3, max / 3 * 2, 1),
            (max / 3 * 2, max, 2),
            (max, max, 2),
        ];
        for (start, end, want) in cases {
            let s = ShardInfo {
                stream: "",
                shard_id: "x",
                starting_hash_key: start,
                ending_hash_key: end,
            };
            assert_eq!(
                subtask_for(&UniformShardAssigner, &s, 3),
                want,
                "{start}..{end}"
            );
        }
    }

    fn field(name: &str, kind: LogicalType) -> RowField {
        RowField {
            name: name.into(),
            data_type: DataType {
                kind,
                nullable: true,
            },
            description: None,
        }
    }

    #[test]
    fn fields_partitioner_checks_in_flink_order() {
        let rt = vec![
            field("name", LogicalType::Varchar(u32::MAX)),
            field("curr_id", LogicalType::BigInt),
            field("time", LogicalType::Timestamp(3)),
        ];
        let err = |keys: &[&str]| {
            let keys: Vec<String> = keys.iter().map(|s| s.to_string()).collect();
            FieldsPartitionKeyGenerator::new(&rt, &keys, "|")
                .unwrap_err()
                .to_string()
        };
        assert_eq!(
            err(&[]),
            "Cannot create a RowDataFieldsKinesisPartitioner for a non-partitioned table"
        );
        assert_eq!(
            err(&["name", "name", "nope"]),
            "The sequence of partition keys cannot contain duplicates"
        );
        assert_eq!(
            err(&["a", "name", "b"]),
            "The following partition keys are not present in the table: a, b"
        );
        assert_eq!(
            err(&["time"]),
            "The following partition keys have types that are not supported by Kinesis: time"
        );
    }

    #[test]
    fn fields_partitioner_keys_like_flink() {
        let rt = vec![
            field("date", LogicalType::Varchar(10)),
            field("ip", LogicalType::Varchar(20)),
        ];
        let keys = vec!["date".to_string(), "ip".to_string()];
        let row = Row::new(vec![
            Value::String("16365".into()),
            Value::String("255.255.255.255".into()),
        ]);
        for (delim, want) in [
            ("", "16365255.255.255.255"),
            ("|", "16365|255.255.255.255"),
            (",", "16365,255.255.255.255"),
            ("--", "16365--255.255.255.255"),
        ] {
            let g = FieldsPartitionKeyGenerator::new(&rt, &keys, delim).unwrap();
            assert_eq!(g.partition_key(&row), want);
        }
        // Null and numbers in Java's string forms.
        let rt2 = vec![
            field("a", LogicalType::Int),
            field("b", LogicalType::Double),
            field("c", LogicalType::Varchar(5)),
        ];
        let keys2: Vec<String> = ["a", "b", "c"].iter().map(|s| s.to_string()).collect();
        let g = FieldsPartitionKeyGenerator::new(&rt2, &keys2, "|").unwrap();
        let r = Row::new(vec![Value::Int(-3), Value::Double(1.0e20), Value::Null]);
        assert_eq!(g.partition_key(&r), "-3|1.0E20|null");
    }

    #[test]
    fn fields_partitioner_truncates_at_256() {
        let rt = vec![
            field("route", LogicalType::Varchar(300)),
            field("x", LogicalType::Varchar(3)),
        ];
        let long: String = "r".repeat(282);
        let g = FieldsPartitionKeyGenerator::new(&rt, &["route".into()], "|").unwrap();
        let row = Row::new(vec![Value::String(long.clone()), Value::String("x".into())]);
        assert_eq!(g.partition_key(&row), long[..256]);
        // Quirk: a 255-char first field followed by the delimiter stops the loop.
        let g2 = FieldsPartitionKeyGenerator::new(&rt, &["route".into(), "x".into()], "|").unwrap();
        let f255 = "a".repeat(255);
        let row2 = Row::new(vec![Value::String(f255.clone()), Value::String("x".into())]);
        assert_eq!(g2.partition_key(&row2), f255);
        // Surrogate pairs are never split: 255 'a' + '😀' (2 units) cut at 256 keeps 255.
        let emoji = format!("{}😀", "a".repeat(255));
        let row3 = Row::new(vec![Value::String(emoji), Value::String("x".into())]);
        assert_eq!(g.partition_key(&row3), "a".repeat(255));
        // One key column of exactly 256 UTF-16 units is kept whole; one more pair is cut.
        let pairs = |n: usize| "😀".repeat(n);
        let row4 = Row::new(vec![Value::String(pairs(128)), Value::String("x".into())]);
        assert_eq!(g.partition_key(&row4), pairs(128));
        let row5 = Row::new(vec![Value::String(pairs(129)), Value::String("x".into())]);
        assert_eq!(g.partition_key(&row5), pairs(128));
    }

    #[test]
    fn static_partitions() {
        let rt = vec![
            field("year", LogicalType::Varchar(4)),
            field("month", LogicalType::Varchar(2)),
            field("day", LogicalType::Varchar(2)),
        ];
        let keys: Vec<String> = ["year", "month", "day"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let g = FieldsPartitionKeyGenerator::new(&rt, &keys, "|")
            .unwrap()
            .with_static_partition(
                &rt,
                &keys,
                &[
                    ("year".into(), "2014".into()),
                    ("month".into(), "10".into()),
                ],
            )
            .unwrap();
        let row = Row::new(vec![
            Value::String("1999".into()),
            Value::String("01".into()),
            Value::String("22".into()),
        ]);
        assert_eq!(g.partition_key(&row), "2014|10|22");
        let err = FieldsPartitionKeyGenerator::new(&rt, &keys[..1], "|")
            .unwrap()
            .with_static_partition(&rt, &keys[..1], &[("day".into(), "1".into())])
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "Not all static field names (day) are part of the partition key (year)."
        );
    }

    #[test]
    fn builtin_assigners() {
        assert!(shard_assigner("default").is_some());
        assert!(shard_assigner("nope-not-registered").is_none());
    }

    /// Checks `key` is a lower-case hyphenated version-4 RFC 4122 UUID.
    fn assert_uuid_v4(key: &str) {
        let parsed = uuid::Uuid::parse_str(key).unwrap_or_else(|e| panic!("{key}: {e}"));
        assert_eq!(parsed.get_version_num(), 4, "{key}");
        assert_eq!(parsed.get_variant(), uuid::Variant::RFC4122, "{key}");
        assert_eq!(parsed.hyphenated().to_string(), key, "{key}");
    }

    #[test]
    fn random_keys_are_distinct_v4_uuids_on_every_thread() {
        let per_thread = 5_000;
        let keys: Vec<String> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..4)
                .map(|_| {
                    s.spawn(|| {
                        (0..per_thread)
                            .map(|_| RandomPartitionKeyGenerator.partition_key(&Row::default()))
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            handles
                .into_iter()
                .flat_map(|h| h.join().unwrap())
                .collect()
        });
        for k in &keys {
            assert_uuid_v4(k);
        }
        let distinct: std::collections::HashSet<&String> = keys.iter().collect();
        assert_eq!(distinct.len(), keys.len(), "duplicate keys across threads");
        // Every random hex digit position takes all 16 values over 20,000 keys (a stuck
        // or badly seeded generator would not).
        for pos in (0..36).filter(|p| ![8, 13, 14, 18, 19, 23].contains(p)) {
            let seen: std::collections::HashSet<u8> =
                keys.iter().map(|k| k.as_bytes()[pos]).collect();
            assert_eq!(seen.len(), 16, "position {pos}");
        }
    }
}

/// Examples of this module's crate-private items.
#[cfg(test)]
mod examples {
    #[test]
    fn has_well_defined_string_example() {
        use crate::registry::has_well_defined_string;
        use kinesis_formats::LogicalType;
        assert!(has_well_defined_string(&LogicalType::BigInt));
        assert!(!has_well_defined_string(&LogicalType::Timestamp(3)));
    }

    #[test]
    fn java_string_of_example() {
        use crate::registry::java_string_of;
        use kinesis_formats::Value;
        assert_eq!(java_string_of(&Value::Double(1.0e-4)), "1.0E-4");
        assert_eq!(java_string_of(&Value::Null), "null");
    }

    #[test]
    fn partitioner_example() {
        assert!(crate::registry::partitioner("doc-not-registered").is_none());
    }

    #[test]
    fn shard_assigner_example() {
        use crate::registry::{shard_assigner, subtask_for, ShardInfo};
        let a = shard_assigner("default").unwrap();
        let s = ShardInfo {
            stream: "myStream",
            shard_id: "shardId-000000000001",
            starting_hash_key: 0,
            ending_hash_key: 0,
        };
        assert_eq!(subtask_for(a.as_ref(), &s, 3), 2);
    }
}
