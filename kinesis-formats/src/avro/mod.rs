//! The `avro` format, byte-compatible with Flink's `'format' = 'avro'` (Flink 1.15–1.17):
//! each message is one Avro binary datum (no container header, no schema registry) of the
//! record schema Flink derives from the table's physical row type ([`schema`]).
//!
//! Encoding follows Flink's `RowDataToAvroConverters` plus Avro's `GenericDatumWriter`:
//! nullable values as `["null", T]` unions (index 0 = null, 1 = value), TINYINT/SMALLINT
//! widened to `int`, DECIMAL as the minimal big-endian two's-complement bytes of the unscaled
//! value at the declared scale, DATE as days, TIME as milliseconds of the day, TIMESTAMP as
//! epoch milliseconds of the wall-clock time read as UTC, arrays and maps in one block
//! followed by the end marker, map entries in the iteration order of the `java.util.HashMap`
//! Flink builds (so the bytes match Flink's). Decoding reads what Flink writes (and any
//! block layout Avro allows) and reports a bad payload with the column and byte offset.
//!
//! Where Flink's reader silently accepts a malformed datum, ours reports it, because Flink's
//! answer there is a wrong value: bytes left after the last column (a payload of another
//! schema), a string that is not UTF-8 (Java substitutes U+FFFD), a TINYINT/SMALLINT out of
//! range (Java truncates), a decimal beyond its precision (Flink reads NULL), a boolean byte
//! other than 0/1 (Java reads false) and a time-millis outside the day. A record may hold
//! at most one array, map or multiset item per payload byte plus [`AVRO_ITEM_ALLOWANCE`] (only
//! empty rows take no bytes), so a small payload cannot decode into a huge row.
//!
//! Options: `avro.timestamp_mapping.legacy` (default `true`; `false` selects Flink 1.19's
//! mapping, see [`schema`]). `avro.codec` is not an option here: in Flink it belongs to the
//! filesystem connector's container-file factory, and the message format (Kafka, Kinesis)
//! rejects it as an unsupported option; so do we. Flink's avro format has no
//! `ignore-parse-errors`: a bad payload is an error.
//!
//! ```
//! use std::collections::BTreeMap;
//! use kinesis_formats::{DataType, Format, Row, RowField, Value};
//! let row_type = vec![
//!     RowField::new("id", DataType::parse("BIGINT NOT NULL").unwrap()),
//!     RowField::new("name", DataType::parse("STRING").unwrap()),
//! ];
//! let avro = Format::from_options("avro", &BTreeMap::new(), &row_type).unwrap();
//! let row = Row::new(vec![Value::BigInt(1), Value::String("ab".into())]);
//! let mut out = Vec::new();
//! avro.encode(&row, &mut out).unwrap();
//! assert_eq!(out, [0x02, 0x02, 0x04, b'a', b'b']);
//! assert_eq!(avro.decode(&out).unwrap(), Some(row));
//! ```

mod codec;
mod schema;

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::decimal::Decimal;
use crate::error::FormatError;
use crate::format::{bool_option, format_options, Decoder, Encoder, Format, FormatOptionKey};
use crate::types::{DataType, LogicalType, RowField};
use crate::value::{Row, Value};

use codec::{CodecError, Reader};
use schema::{join_path, row_type_to_avro, AvroSchema, AvroSchemaError, TimeUnit};

/// The options of the avro format.
pub(crate) const OPTION_KEYS: &[FormatOptionKey] = &[FormatOptionKey {
    key: "avro.timestamp_mapping.legacy",
    default: Some("true"),
    description: "Use the legacy timestamp mapping of Flink before 1.19: TIMESTAMP(p<=3) \
                      as timestamp-millis, TIMESTAMP_LTZ unsupported. false maps TIMESTAMP to \
                      local-timestamp-* and TIMESTAMP_LTZ to timestamp-*.",
}];

/// Creates the avro [`Format`] from the table options (only `avro.*` keys are read).
pub(crate) fn from_options(
    options: &BTreeMap<String, String>,
    row_type: &[RowField],
) -> Result<Format, FormatError> {
    let avro = Arc::new(AvroFormat::from_options(options, row_type)?);
    Ok(Format::new("avro", avro.clone(), avro))
}

/// The Avro schema that the `avro` format writes and reads for `row_type` (the record schema
/// Flink's `AvroSchemaConverter` derives), as JSON in the form Avro's `Schema#toString()`
/// prints: give it to another Avro tool to read the payloads. `options` and the errors are
/// those of [`Format::from_options`] for `"avro"`.
///
/// ```
/// use std::collections::BTreeMap;
/// use kinesis_formats::{avro_schema_json, DataType, RowField};
/// let row_type = vec![RowField::new("d", DataType::parse("DECIMAL(10, 2) NOT NULL").unwrap())];
/// let schema = avro_schema_json(&BTreeMap::new(), &row_type).unwrap();
/// assert!(schema.contains(r#"{"name":"d","type":{"type":"bytes","logicalType":"decimal","precision":10,"scale":2}}"#));
///
/// // TIMESTAMP_LTZ needs the mapping of Flink 1.19.
/// let row_type = vec![RowField::new("ts", DataType::parse("TIMESTAMP_LTZ(3)").unwrap())];
/// assert!(avro_schema_json(&BTreeMap::new(), &row_type).is_err());
/// let mut options = BTreeMap::new();
/// options.insert("avro.timestamp_mapping.legacy".to_string(), "false".to_string());
/// assert!(avro_schema_json(&options, &row_type).is_ok());
/// ```
pub fn avro_schema_json(
    options: &BTreeMap<String, String>,
    row_type: &[RowField],
) -> Result<String, FormatError> {
    Ok(AvroFormat::from_options(options, row_type)?
        .schema
        .to_json())
}

fn schema_error(e: &AvroSchemaError, row_type: &[RowField]) -> FormatError {
    let top = e.column.split('.').next().unwrap_or("");
    let data_type = row_type
        .iter()
        .find(|f| f.name == top)
        .map(|f| f.data_type.to_string())
        .unwrap_or_default();
    FormatError::UnsupportedType {
        column: e.column.clone(),
        data_type,
        message: e.message.clone(),
    }
}

/// The avro encoder and decoder for one row type.
#[derive(Debug, Clone)]
struct AvroFormat {
    schema: AvroSchema,
    fields: Vec<Node>,
}

impl AvroFormat {
    /// The format for the `avro.*` options in `options`.
    fn from_options(
        options: &BTreeMap<String, String>,
        row_type: &[RowField],
    ) -> Result<Self, FormatError> {
        let found = format_options("avro", options, OPTION_KEYS)?;
        let legacy = bool_option(&found, "avro.timestamp_mapping.legacy")?.unwrap_or(true);
        AvroFormat::new(row_type, legacy).map_err(|e| schema_error(&e, row_type))
    }

    /// The format for `row_type`; `legacy_timestamp_mapping` is
    /// `avro.timestamp_mapping.legacy`. Fails, with Flink's message, for a type Flink's
    /// `AvroSchemaConverter` rejects.
    fn new(row_type: &[RowField], legacy_timestamp_mapping: bool) -> Result<Self, AvroSchemaError> {
        let schema = row_type_to_avro(row_type, legacy_timestamp_mapping)?;
        let fields = row_type
            .iter()
            .map(|f| Node::new(&f.data_type, f.name.clone()))
            .collect();
        Ok(AvroFormat { schema, fields })
    }

    /// Appends the Avro datum of `row` to `out`; on error `out` is left as it was.
    fn encode_row(&self, row: &Row, out: &mut Vec<u8>) -> Result<(), FormatError> {
        let start = out.len();
        let result = encode_fields(&self.fields, &row.values, "", out);
        if result.is_err() {
            // Leave nothing of a row that could not be written.
            out.truncate(start);
        }
        result.map_err(|e| *e)
    }

    /// Reads one datum; the whole payload must be consumed.
    // Not inlined into `Decoder::decode`, its only caller: inlined (as LLVM does once the
    // function is private), the avro decode bench ran 6% slower.
    #[inline(never)]
    fn decode_row(&self, bytes: &[u8]) -> Result<Row, FormatError> {
        let mut reader = Reader::new(bytes);
        let mut items = ItemBudget::for_payload(bytes);
        let mut values = Vec::with_capacity(self.fields.len());
        for node in &self.fields {
            values.push(
                node.decode(&mut reader, bytes, &mut items)
                    .map_err(|e| *e)?,
            );
        }
        if !reader.is_at_end() {
            let offset = reader.position();
            return Err(FormatError::Field {
                format: "avro",
                column: "(end of record)".to_string(),
                expected: "end of the Avro datum".to_string(),
                text: hex_snippet(bytes, offset),
                offset,
                reason: format!(
                    "{} bytes left after the last column; the payload was written with another schema",
                    bytes.len() - offset
                ),
            });
        }
        Ok(Row::new(values))
    }
}

impl Encoder for AvroFormat {
    fn encode(&self, row: &Row, out: &mut Vec<u8>) -> Result<(), FormatError> {
        self.encode_row(row, out)
    }
}

impl Decoder for AvroFormat {
    fn decode(&self, bytes: &[u8]) -> Result<Option<Row>, FormatError> {
        self.decode_row(bytes).map(Some)
    }
}

/// Errors inside the codec are boxed: `FormatError` is large and the hot paths return
/// `Result`s by the million.
type Fail = Box<FormatError>;

/// How one column (or nested element) is written and read.
#[derive(Debug, Clone)]
struct Node {
    kind: Kind,
    nullable: bool,
    /// Column path for errors (`address.zip`, `tags[]`).
    column: String,
    /// The declared type, for errors.
    type_name: String,
}

#[derive(Debug, Clone)]
enum Kind {
    Boolean,
    TinyInt,
    SmallInt,
    Int,
    BigInt,
    Float,
    Double,
    String,
    Bytes,
    Decimal {
        precision: u8,
        scale: u8,
    },
    Date,
    Time,
    Timestamp(TimeUnit),
    TimestampLtz(TimeUnit),
    Array(Box<Node>),
    /// Values of a MAP with string keys.
    Map(Box<Node>),
    /// A MULTISET of strings: a map from element to a nullable int count.
    Multiset,
    Row(Vec<Node>),
}

/// How many array, map and multiset items one avro record may hold beyond one per payload
/// byte.
///
/// Every item takes at least one byte of the datum except a NOT NULL `ROW<>` (or a NOT NULL
/// row of such rows), which takes none: a block count alone could make a 66-byte payload
/// decode into millions of rows. So a record of `n` bytes may hold at most
/// `n + AVRO_ITEM_ALLOWANCE` items in all its columns together, which keeps the decoded row
/// within a constant factor of the payload; more is a decode error naming the column.
///
/// ```
/// use std::collections::BTreeMap;
/// use kinesis_formats::{DataType, Format, FormatError, RowField, AVRO_ITEM_ALLOWANCE};
/// /// An Avro `long`: zigzag, then 7 bits a byte.
/// fn long(out: &mut Vec<u8>, v: i64) {
///     let mut z = ((v << 1) ^ (v >> 63)) as u64;
///     while z >= 0x80 {
///         out.push(z as u8 | 0x80);
///         z >>= 7;
///     }
///     out.push(z as u8);
/// }
/// let row_type = vec![RowField::new("e", DataType::parse("ARRAY<ROW<> NOT NULL> NOT NULL").unwrap())];
/// let avro = Format::from_options("avro", &BTreeMap::new(), &row_type).unwrap();
/// // A 3-byte payload may hold 3 + AVRO_ITEM_ALLOWANCE empty rows, not one more.
/// let mut payload = Vec::new();
/// long(&mut payload, AVRO_ITEM_ALLOWANCE as i64 + 3);
/// payload.push(0);
/// assert!(avro.decode(&payload).is_ok());
/// let mut payload = Vec::new();
/// long(&mut payload, AVRO_ITEM_ALLOWANCE as i64 + 4);
/// payload.push(0);
/// let Err(FormatError::Field { column, .. }) = avro.decode(&payload) else { panic!() };
/// assert_eq!(column, "e");
/// ```
pub const AVRO_ITEM_ALLOWANCE: u64 = 4096;

/// The items a record still may hold (see [`AVRO_ITEM_ALLOWANCE`]).
struct ItemBudget {
    limit: u64,
    used: u64,
}

impl ItemBudget {
    fn for_payload(bytes: &[u8]) -> Self {
        ItemBudget {
            limit: bytes.len() as u64 + AVRO_ITEM_ALLOWANCE,
            used: 0,
        }
    }

    /// Counts `count` more items; `false` (nothing counted) when they exceed the limit.
    fn take(&mut self, count: u64) -> bool {
        match self.used.checked_add(count) {
            Some(used) if used <= self.limit => {
                self.used = used;
                true
            }
            _ => false,
        }
    }
}

fn unit_for(precision: u8) -> TimeUnit {
    match precision {
        0..=3 => TimeUnit::Millis,
        4..=6 => TimeUnit::Micros,
        _ => TimeUnit::Nanos,
    }
}

impl Node {
    /// Built only for types the schema converter accepted.
    fn new(data_type: &DataType, column: String) -> Node {
        let kind = match &data_type.kind {
            LogicalType::Boolean => Kind::Boolean,
            LogicalType::TinyInt => Kind::TinyInt,
            LogicalType::SmallInt => Kind::SmallInt,
            LogicalType::Int => Kind::Int,
            LogicalType::BigInt => Kind::BigInt,
            LogicalType::Float => Kind::Float,
            LogicalType::Double => Kind::Double,
            LogicalType::Char(_) | LogicalType::Varchar(_) => Kind::String,
            LogicalType::Binary(_) | LogicalType::Varbinary(_) => Kind::Bytes,
            LogicalType::Decimal { precision, scale } => Kind::Decimal {
                precision: *precision,
                scale: *scale,
            },
            LogicalType::Date => Kind::Date,
            LogicalType::Time(_) => Kind::Time,
            // Legacy mapping: the schema converter allows only p <= 3, i.e. millis.
            LogicalType::Timestamp(p) => Kind::Timestamp(unit_for(*p)),
            LogicalType::TimestampLtz(p) => Kind::TimestampLtz(unit_for(*p)),
            LogicalType::Array(element) => {
                Kind::Array(Box::new(Node::new(element, format!("{column}[]"))))
            }
            LogicalType::Map(_, value) => {
                Kind::Map(Box::new(Node::new(value, format!("{column}[value]"))))
            }
            LogicalType::Multiset(_) => Kind::Multiset,
            LogicalType::Row(fields) => Kind::Row(
                fields
                    .iter()
                    .map(|f| Node::new(&f.data_type, join_path(&column, &f.name)))
                    .collect(),
            ),
        };
        Node {
            kind,
            nullable: data_type.nullable,
            column,
            type_name: data_type.to_string(),
        }
    }

    /// `true` for a type whose values take no bytes (a NOT NULL `ROW<>`).
    fn is_zero_sized(&self) -> bool {
        match &self.kind {
            Kind::Row(fields) => !self.nullable && fields.iter().all(Node::is_zero_sized),
            _ => false,
        }
    }

    fn encode_error(&self, message: impl Into<String>) -> Fail {
        Box::new(FormatError::Encode {
            column: self.column.clone(),
            message: message.into(),
        })
    }

    fn mismatch(&self, value: &Value) -> Fail {
        self.encode_error(format!(
            "Expected a value of type {}, got {}.",
            self.type_name,
            value_kind(value)
        ))
    }

    fn encode(&self, value: &Value, out: &mut Vec<u8>) -> Result<(), Fail> {
        if let Value::Null = value {
            if self.nullable {
                out.push(0); // union branch 0: "null"
                return Ok(());
            }
            return Err(self.encode_error(format!(
                "Null value for a column of type {}.",
                self.type_name
            )));
        }
        if self.nullable {
            out.push(2); // union branch 1 (zigzag 2): the value
        }
        match (&self.kind, value) {
            (Kind::Boolean, Value::Boolean(b)) => codec::write_boolean(out, *b),
            (Kind::BigInt, Value::BigInt(v)) => codec::write_long(out, *v),
            (Kind::Int, Value::Int(v)) => codec::write_int(out, *v),
            // Any other integer value that fits the column (as the json and csv encoders
            // accept).
            (
                Kind::TinyInt | Kind::SmallInt | Kind::Int | Kind::BigInt,
                Value::TinyInt(_) | Value::SmallInt(_) | Value::Int(_) | Value::BigInt(_),
            ) => {
                let v = match value {
                    Value::TinyInt(v) => i64::from(*v),
                    Value::SmallInt(v) => i64::from(*v),
                    Value::Int(v) => i64::from(*v),
                    Value::BigInt(v) => *v,
                    _ => unreachable!("matched above"),
                };
                let (min, max) = match self.kind {
                    Kind::TinyInt => (i64::from(i8::MIN), i64::from(i8::MAX)),
                    Kind::SmallInt => (i64::from(i16::MIN), i64::from(i16::MAX)),
                    Kind::Int => (i64::from(i32::MIN), i64::from(i32::MAX)),
                    _ => (i64::MIN, i64::MAX),
                };
                if v < min || v > max {
                    return Err(self.encode_error(format!(
                        "Value {v} is out of the range of {}.",
                        self.type_name
                    )));
                }
                codec::write_long(out, v);
            }
            (Kind::Float, Value::Float(v)) => codec::write_float(out, *v),
            (Kind::Double, Value::Double(v)) => codec::write_double(out, *v),
            (Kind::Double, Value::Float(v)) => codec::write_double(out, f64::from(*v)),
            (Kind::String, Value::String(s)) => codec::write_string(out, s),
            (Kind::Bytes, Value::Bytes(b)) => codec::write_bytes(out, b),
            (Kind::Decimal { precision, scale }, Value::Decimal(d)) => {
                let unscaled = rescale(*d, *scale)
                    .filter(|v| fits_precision(*v, *precision))
                    .ok_or_else(|| {
                        self.encode_error(format!(
                            "Decimal value {} does not fit {}.",
                            decimal_text(*d),
                            self.type_name
                        ))
                    })?;
                codec::write_bytes(out, &decimal_bytes(unscaled));
            }
            (Kind::Date, Value::Date(days)) => codec::write_int(out, *days),
            (Kind::Time, Value::Time(nanos)) => {
                // Flink keeps TIME as milliseconds of the day.
                let millis = nanos / 1_000_000;
                if millis >= 86_400_000 {
                    return Err(self.encode_error(format!(
                        "Time value of {nanos} nanoseconds is not within a day."
                    )));
                }
                codec::write_int(out, millis as i32);
            }
            (Kind::Timestamp(unit), Value::Timestamp(ts)) => {
                let utc = ts.and_utc();
                codec::write_long(out, self.epoch(&utc, *unit)?);
            }
            (Kind::TimestampLtz(unit), Value::TimestampLtz(ts)) => {
                codec::write_long(out, self.epoch(ts, *unit)?);
            }
            (Kind::Array(element), Value::Array(items)) => {
                if !items.is_empty() {
                    codec::write_long(out, items.len() as i64);
                    for item in items {
                        element.encode(item, out)?;
                    }
                }
                out.push(0);
            }
            (Kind::Map(value_node), Value::Map(entries)) => {
                let mut keys = Vec::with_capacity(entries.len());
                for (key, _) in entries {
                    match key {
                        Value::String(s) => keys.push(s.as_str()),
                        Value::Null => {
                            return Err(
                                self.encode_error("Null map key: Avro map keys are strings.")
                            )
                        }
                        other => return Err(self.mismatch(other)),
                    }
                }
                let order = java_hash_map_order(&keys);
                if !order.is_empty() {
                    codec::write_long(out, order.len() as i64);
                    for (key_index, value_index) in order {
                        codec::write_string(out, keys[key_index]);
                        value_node.encode(&entries[value_index].1, out)?;
                    }
                }
                out.push(0);
            }
            (Kind::Multiset, Value::Multiset(entries)) => {
                let mut keys = Vec::with_capacity(entries.len());
                for (element, _) in entries {
                    match element {
                        Value::String(s) => keys.push(s.as_str()),
                        Value::Null => {
                            return Err(self
                                .encode_error("Null multiset element: Avro map keys are strings."))
                        }
                        other => return Err(self.mismatch(other)),
                    }
                }
                let order = java_hash_map_order(&keys);
                if !order.is_empty() {
                    codec::write_long(out, order.len() as i64);
                    for (key_index, value_index) in order {
                        codec::write_string(out, keys[key_index]);
                        let count = entries[value_index].1;
                        let count = i32::try_from(count).map_err(|_| {
                            self.encode_error(format!("Multiset count {count} exceeds INT."))
                        })?;
                        out.push(2); // the count is a nullable INT: union branch 1
                        codec::write_int(out, count);
                    }
                }
                out.push(0);
            }
            (Kind::Row(fields), Value::Row(row)) => {
                encode_fields(fields, &row.values, &self.column, out)?;
            }
            (_, other) => return Err(self.mismatch(other)),
        }
        Ok(())
    }

    fn epoch(&self, ts: &DateTime<Utc>, unit: TimeUnit) -> Result<i64, Fail> {
        match unit {
            TimeUnit::Millis => Ok(ts.timestamp_millis()),
            TimeUnit::Micros => Ok(ts.timestamp_micros()),
            TimeUnit::Nanos => ts.timestamp_nanos_opt().ok_or_else(|| {
                self.encode_error(format!(
                    "Timestamp {ts} is outside the range of epoch nanoseconds in a long."
                ))
            }),
        }
    }

    fn decode_error(&self, bytes: &[u8], offset: usize, reason: impl Into<String>) -> Fail {
        Box::new(FormatError::Field {
            format: "avro",
            column: self.column.clone(),
            expected: self.type_name.clone(),
            text: hex_snippet(bytes, offset),
            offset,
            reason: reason.into(),
        })
    }

    fn codec_error(&self, bytes: &[u8], e: CodecError) -> Fail {
        self.decode_error(bytes, e.offset(), e.to_string())
    }

    /// Counts a block of `count` items against the record's budget (see [`AVRO_ITEM_ALLOWANCE`]).
    fn take_items(
        &self,
        items: &mut ItemBudget,
        count: u64,
        what: &str,
        bytes: &[u8],
        offset: usize,
    ) -> Result<(), Fail> {
        if items.take(count) {
            return Ok(());
        }
        Err(self.decode_error(
            bytes,
            offset,
            format!(
                "{what} of {count} items would make the record hold more than {} items \
                 (a {}-byte record holds at most one item per byte plus {AVRO_ITEM_ALLOWANCE}); \
                 the payload is corrupt",
                items.limit,
                bytes.len()
            ),
        ))
    }

    /// Reads one value; `items` is what the record may still hold of array, map and
    /// multiset items.
    fn decode(
        &self,
        reader: &mut Reader<'_>,
        bytes: &[u8],
        items: &mut ItemBudget,
    ) -> Result<Value, Fail> {
        let ce = |e: CodecError| self.codec_error(bytes, e);
        if self.nullable {
            let offset = reader.position();
            match reader.read_long().map_err(ce)? {
                0 => return Ok(Value::Null),
                1 => {}
                other => {
                    return Err(self.decode_error(
                        bytes,
                        offset,
                        format!("union branch {other} out of range: the schema is [\"null\", T]"),
                    ))
                }
            }
        }
        let start = reader.position();
        let value = match &self.kind {
            Kind::Boolean => Value::Boolean(reader.read_boolean().map_err(ce)?),
            Kind::TinyInt => {
                let v = reader.read_int().map_err(ce)?;
                Value::TinyInt(i8::try_from(v).map_err(|_| {
                    self.decode_error(bytes, start, format!("{v} is out of the TINYINT range"))
                })?)
            }
            Kind::SmallInt => {
                let v = reader.read_int().map_err(ce)?;
                Value::SmallInt(i16::try_from(v).map_err(|_| {
                    self.decode_error(bytes, start, format!("{v} is out of the SMALLINT range"))
                })?)
            }
            Kind::Int => Value::Int(reader.read_int().map_err(ce)?),
            Kind::BigInt => Value::BigInt(reader.read_long().map_err(ce)?),
            Kind::Float => Value::Float(reader.read_float().map_err(ce)?),
            Kind::Double => Value::Double(reader.read_double().map_err(ce)?),
            Kind::String => Value::String(reader.read_str().map_err(ce)?.to_string()),
            Kind::Bytes => Value::Bytes(reader.read_bytes().map_err(ce)?.to_vec()),
            Kind::Decimal { precision, scale } => {
                let raw = reader.read_bytes().map_err(ce)?;
                let unscaled = decimal_from_bytes(raw)
                    .filter(|v| fits_precision(*v, *precision))
                    .ok_or_else(|| {
                        self.decode_error(
                            bytes,
                            start,
                            if raw.is_empty() {
                                "empty decimal bytes".to_string()
                            } else {
                                format!(
                                    "the unscaled value does not fit DECIMAL({precision}, {scale})"
                                )
                            },
                        )
                    })?;
                Value::Decimal(Decimal {
                    unscaled,
                    scale: *scale,
                })
            }
            Kind::Date => Value::Date(reader.read_int().map_err(ce)?),
            Kind::Time => {
                let millis = reader.read_int().map_err(ce)?;
                if !(0..86_400_000).contains(&millis) {
                    return Err(self.decode_error(
                        bytes,
                        start,
                        format!("time-millis {millis} is not within a day"),
                    ));
                }
                Value::Time(millis as u64 * 1_000_000)
            }
            Kind::Timestamp(unit) => {
                let v = reader.read_long().map_err(ce)?;
                let ts = from_epoch(v, *unit)
                    .ok_or_else(|| self.decode_error(bytes, start, "timestamp out of range"))?;
                Value::Timestamp(ts.naive_utc())
            }
            Kind::TimestampLtz(unit) => {
                let v = reader.read_long().map_err(ce)?;
                let ts = from_epoch(v, *unit)
                    .ok_or_else(|| self.decode_error(bytes, start, "timestamp out of range"))?;
                Value::TimestampLtz(ts)
            }
            Kind::Array(element) => {
                let mut values = Vec::new();
                loop {
                    let offset = reader.position();
                    let count = reader.read_block_count().map_err(ce)?;
                    if count == 0 {
                        break;
                    }
                    // An element takes at least one byte (but for a NOT NULL ROW<>): a count
                    // beyond the payload is corrupt and must not drive an allocation.
                    if !element.is_zero_sized() && count > reader.remaining() as u64 {
                        return Err(self.decode_error(
                            bytes,
                            offset,
                            format!(
                                "array block of {count} items exceeds the {} bytes left",
                                reader.remaining()
                            ),
                        ));
                    }
                    self.take_items(items, count, "array block", bytes, offset)?;
                    values.reserve(count as usize);
                    for _ in 0..count {
                        values.push(element.decode(reader, bytes, items)?);
                    }
                }
                Value::Array(values)
            }
            Kind::Map(value_node) => {
                let mut entries = Vec::new();
                loop {
                    let offset = reader.position();
                    let count = reader.read_block_count().map_err(ce)?;
                    if count == 0 {
                        break;
                    }
                    if count > reader.remaining() as u64 {
                        return Err(self.decode_error(
                            bytes,
                            offset,
                            format!(
                                "map block of {count} entries exceeds the {} bytes left",
                                reader.remaining()
                            ),
                        ));
                    }
                    self.take_items(items, count, "map block", bytes, offset)?;
                    entries.reserve(count as usize);
                    for _ in 0..count {
                        let key = reader.read_str().map_err(ce)?.to_string();
                        let value = value_node.decode(reader, bytes, items)?;
                        entries.push((Value::String(key), value));
                    }
                }
                Value::Map(entries)
            }
            Kind::Multiset => {
                let mut entries = Vec::new();
                loop {
                    let offset = reader.position();
                    let count = reader.read_block_count().map_err(ce)?;
                    if count == 0 {
                        break;
                    }
                    if count > reader.remaining() as u64 {
                        return Err(self.decode_error(
                            bytes,
                            offset,
                            format!(
                                "map block of {count} entries exceeds the {} bytes left",
                                reader.remaining()
                            ),
                        ));
                    }
                    self.take_items(items, count, "map block", bytes, offset)?;
                    entries.reserve(count as usize);
                    for _ in 0..count {
                        let key = reader.read_str().map_err(ce)?.to_string();
                        let count_offset = reader.position();
                        let multiplicity = match reader.read_long().map_err(ce)? {
                            1 => reader.read_int().map_err(ce)?,
                            0 => {
                                return Err(self.decode_error(
                                    bytes,
                                    count_offset,
                                    format!("null count for multiset element '{key}'"),
                                ))
                            }
                            other => {
                                return Err(self.decode_error(
                                    bytes,
                                    count_offset,
                                    format!("union branch {other} out of range: the schema is [\"null\", \"int\"]"),
                                ))
                            }
                        };
                        let multiplicity = u32::try_from(multiplicity).map_err(|_| {
                            self.decode_error(
                                bytes,
                                count_offset,
                                format!(
                                    "negative count {multiplicity} for multiset element '{key}'"
                                ),
                            )
                        })?;
                        entries.push((Value::String(key), multiplicity));
                    }
                }
                Value::Multiset(entries)
            }
            Kind::Row(fields) => {
                let mut values = Vec::with_capacity(fields.len());
                for field in fields {
                    values.push(field.decode(reader, bytes, items)?);
                }
                Value::Row(Row::new(values))
            }
        };
        Ok(value)
    }
}

fn encode_fields(
    fields: &[Node],
    values: &[Value],
    column: &str,
    out: &mut Vec<u8>,
) -> Result<(), Fail> {
    if values.len() != fields.len() {
        return Err(Box::new(FormatError::Encode {
            column: if column.is_empty() {
                "(row)".to_string()
            } else {
                column.to_string()
            },
            message: format!(
                "The row has {} fields, the row type {}.",
                values.len(),
                fields.len()
            ),
        }));
    }
    for (node, value) in fields.iter().zip(values) {
        node.encode(value, out)?;
    }
    Ok(())
}

fn from_epoch(v: i64, unit: TimeUnit) -> Option<DateTime<Utc>> {
    match unit {
        TimeUnit::Millis => DateTime::from_timestamp_millis(v),
        TimeUnit::Micros => DateTime::from_timestamp_micros(v),
        TimeUnit::Nanos => Some(DateTime::from_timestamp_nanos(v)),
    }
}

/// Up to 16 bytes from `offset`, as hex, for error messages.
fn hex_snippet(bytes: &[u8], offset: usize) -> String {
    let start = offset.min(bytes.len());
    let end = (start + 16).min(bytes.len());
    let mut text: Vec<String> = bytes[start..end]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    if end < bytes.len() {
        text.push("...".to_string());
    }
    if text.is_empty() {
        "(end of payload)".to_string()
    } else {
        text.join(" ")
    }
}

fn value_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "NULL",
        Value::Boolean(_) => "a BOOLEAN value",
        Value::TinyInt(_) => "a TINYINT value",
        Value::SmallInt(_) => "a SMALLINT value",
        Value::Int(_) => "an INT value",
        Value::BigInt(_) => "a BIGINT value",
        Value::Float(_) => "a FLOAT value",
        Value::Double(_) => "a DOUBLE value",
        Value::Decimal(_) => "a DECIMAL value",
        Value::String(_) => "a string value",
        Value::Bytes(_) => "a binary value",
        Value::Date(_) => "a DATE value",
        Value::Time(_) => "a TIME value",
        Value::Timestamp(_) => "a TIMESTAMP value",
        Value::TimestampLtz(_) => "a TIMESTAMP_LTZ value",
        Value::Array(_) => "an ARRAY value",
        Value::Map(_) => "a MAP value",
        Value::Row(_) => "a ROW value",
        Value::Multiset(_) => "a MULTISET value",
    }
}

// ---------------------------------------------------------------------------------------
// Decimals: Flink's DecimalData at the declared scale (BigDecimal#setScale(scale, HALF_UP)),
// written as BigInteger#toByteArray of the unscaled value.

fn pow10(exp: u32) -> Option<i128> {
    10i128.checked_pow(exp)
}

/// The unscaled value of `d` at `scale`, rounding half away from zero; `None` on overflow.
fn rescale(d: Decimal, scale: u8) -> Option<i128> {
    use std::cmp::Ordering;
    match d.scale.cmp(&scale) {
        Ordering::Equal => Some(d.unscaled),
        Ordering::Less => d.unscaled.checked_mul(pow10(u32::from(scale - d.scale))?),
        Ordering::Greater => {
            let Some(divisor) = pow10(u32::from(d.scale - scale)) else {
                // More than 38 digits dropped: |value| < 0.5 at the target scale.
                return Some(0);
            };
            let quotient = d.unscaled / divisor;
            let remainder = d.unscaled % divisor;
            if remainder.unsigned_abs() * 2 >= divisor.unsigned_abs() {
                Some(quotient + d.unscaled.signum())
            } else {
                Some(quotient)
            }
        }
    }
}

fn fits_precision(unscaled: i128, precision: u8) -> bool {
    match pow10(u32::from(precision)) {
        Some(limit) => unscaled.unsigned_abs() < limit.unsigned_abs(),
        None => true,
    }
}

/// `BigInteger#toByteArray`: minimal big-endian two's complement, at least one byte.
fn decimal_bytes(unscaled: i128) -> Vec<u8> {
    let bytes = unscaled.to_be_bytes();
    let mut start = 0;
    while start < 15 {
        let redundant = (bytes[start] == 0x00 && bytes[start + 1] & 0x80 == 0)
            || (bytes[start] == 0xff && bytes[start + 1] & 0x80 != 0);
        if !redundant {
            break;
        }
        start += 1;
    }
    bytes[start..].to_vec()
}

/// `new BigInteger(bytes)` into an `i128`; `None` for no bytes or a value beyond 128 bits.
fn decimal_from_bytes(raw: &[u8]) -> Option<i128> {
    let first = *raw.first()?;
    let fill = if first & 0x80 != 0 { 0xff } else { 0x00 };
    let mut bytes = [fill; 16];
    if raw.len() > 16 {
        let (extra, rest) = raw.split_at(raw.len() - 16);
        // Extra leading bytes may only repeat the sign.
        if extra.iter().any(|b| *b != fill) || (rest[0] & 0x80 != 0) != (fill == 0xff) {
            return None;
        }
        bytes.copy_from_slice(rest);
    } else {
        bytes[16 - raw.len()..].copy_from_slice(raw);
    }
    Some(i128::from_be_bytes(bytes))
}

fn decimal_text(d: Decimal) -> String {
    let digits = d.unscaled.unsigned_abs().to_string();
    let sign = if d.unscaled < 0 { "-" } else { "" };
    let scale = usize::from(d.scale);
    if scale == 0 {
        return format!("{sign}{digits}");
    }
    let padded = format!("{digits:0>width$}", width = scale + 1);
    let (int_part, frac) = padded.split_at(padded.len() - scale);
    format!("{sign}{int_part}.{frac}")
}

// ---------------------------------------------------------------------------------------
// Map entry order. Flink's RowDataToAvroConverters copies a MAP/MULTISET into
// `new HashMap<>(mapData.size())` and Avro writes the entries in that map's iteration order.
// We replay java.util.HashMap (JDK 8+): String#hashCode over UTF-16 units, spread
// `h ^ (h >>> 16)`, power-of-two tables, resize when size > 0.75 * capacity (and when a bin
// reaches 9 entries while the table is smaller than 64), buckets iterated by index and each
// bucket in insertion order. A later duplicate key replaces the value in place. (A bin that
// turns into a tree — 9+ colliding keys in a table of 64+ — is not replayed exactly.)

fn java_string_hash(s: &str) -> u32 {
    let mut h: i32 = 0;
    for unit in s.encode_utf16() {
        h = h.wrapping_mul(31).wrapping_add(i32::from(unit));
    }
    let h = h as u32;
    h ^ (h >> 16)
}

/// Java's `HashMap.tableSizeFor`.
fn table_size_for(n: usize) -> usize {
    n.max(1).next_power_of_two()
}

/// The entries of a map in Flink's write order, as `(index of the key's first occurrence,
/// index of its last occurrence)` in `keys`.
fn java_hash_map_order(keys: &[&str]) -> Vec<(usize, usize)> {
    match keys.len() {
        0 => return Vec::new(),
        1 => return vec![(0, 0)],
        _ => {}
    }
    // entries: (first index, last index, spread hash)
    let mut entries: Vec<(usize, usize, u32)> = Vec::with_capacity(keys.len());
    let mut seen: HashMap<&str, usize> = HashMap::with_capacity(keys.len());
    let mut capacity = table_size_for(keys.len());
    let mut buckets: Vec<Vec<usize>> = vec![Vec::new(); capacity];
    let resize =
        |buckets: &mut Vec<Vec<usize>>, capacity: &mut usize, entries: &[(usize, usize, u32)]| {
            let new_capacity = *capacity * 2;
            let mut next: Vec<Vec<usize>> = vec![Vec::new(); new_capacity];
            for bucket in buckets.iter() {
                for &e in bucket {
                    next[entries[e].2 as usize & (new_capacity - 1)].push(e);
                }
            }
            *buckets = next;
            *capacity = new_capacity;
        };
    for (i, key) in keys.iter().enumerate() {
        if let Some(&e) = seen.get(key) {
            entries[e].1 = i;
            continue;
        }
        let hash = java_string_hash(key);
        let e = entries.len();
        entries.push((i, i, hash));
        seen.insert(key, e);
        let b = hash as usize & (capacity - 1);
        let before = buckets[b].len();
        buckets[b].push(e);
        if before >= 8 && capacity < 64 {
            resize(&mut buckets, &mut capacity, &entries);
        }
        if entries.len() > capacity * 3 / 4 {
            resize(&mut buckets, &mut capacity, &entries);
        }
    }
    buckets
        .iter()
        .flatten()
        .map(|&e| (entries[e].0, entries[e].1))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn java_string_hash_codes() {
        // Values of Java's "...".hashCode(), spread with h ^ (h >>> 16).
        let spread = |h: i32| (h as u32) ^ ((h as u32) >> 16);
        assert_eq!(java_string_hash(""), 0);
        assert_eq!(java_string_hash("a"), spread(97));
        assert_eq!(java_string_hash("ab"), spread(3105));
        assert_eq!(java_string_hash("hello"), spread(99162322));
        assert_eq!(java_string_hash("polygenelubricants"), spread(i32::MIN));
        // Non-BMP characters hash as two UTF-16 units: "😀" is \uD83D\uDE00.
        assert_eq!(java_string_hash("😀"), spread(0xD83D * 31 + 0xDE00));
    }

    #[test]
    fn hash_map_order_matches_java() {
        // new HashMap<>(3): capacity 4. "a"=97→1, "b"=98→2, "c"=99→3, "d"=100→0.
        assert_eq!(
            java_hash_map_order(&["c", "a", "b"]),
            vec![(1, 1), (2, 2), (0, 0)]
        );
        // 4 entries: capacity 4, threshold 3 → resize to 8 on the 4th insert.
        // a=97→1, b=98→2, c=99→3, d=100→4.
        assert_eq!(
            java_hash_map_order(&["d", "c", "b", "a"]),
            vec![(3, 3), (2, 2), (1, 1), (0, 0)]
        );
        // Duplicates keep the first position and the last value.
        assert_eq!(java_hash_map_order(&["b", "a", "b"]), vec![(1, 1), (0, 2)]);
        // "Aa" and "BB" collide (2112): insertion order within the bucket.
        assert_eq!(java_hash_map_order(&["BB", "Aa"]), vec![(0, 0), (1, 1)]);
        assert_eq!(java_hash_map_order(&["Aa", "BB"]), vec![(0, 0), (1, 1)]);
    }

    /// Iteration orders printed by OpenJDK 17 for `new HashMap<>(keys.size())` filled with
    /// `put(key, index)` in order (as Flink's RowDataToAvroConverters does).
    const JAVA_HASH_MAP_ORDERS: &[(&[&str], &[&str])] = &[
        // small
        (&["name", "city", "zip"], &["name", "zip", "city"]),
        // dups
        (&["b", "a", "b", "c", "a"], &["a", "b", "c"]),
        // unicode
        (
            &["é", "😀", "日本", "a", "Z", ""],
            &["😀", "", "é", "a", "Z", "日本"],
        ),
        // twenty
        (
            &[
                "key0", "key1", "key2", "key3", "key4", "key5", "key6", "key7", "key8", "key9",
                "key10", "key11", "key12", "key13", "key14", "key15", "key16", "key17", "key18",
                "key19",
            ],
            &[
                "key1", "key2", "key0", "key5", "key6", "key3", "key4", "key9", "key7", "key8",
                "key11", "key10", "key15", "key14", "key13", "key12", "key19", "key18", "key17",
                "key16",
            ],
        ),
        // hundred
        (
            &[
                "19ct994", "omek9", "yuj5ul", "1gqvrma", "14fdo4d", "1vo1rxd", "hy34kf", "1dh87p8",
                "1crxrl1", "7riifi", "88o1d5", "1gpjruf", "1dhflnt", "15y9qsx", "16kjvza",
                "18c1woj", "184anxj", "1enrpp5", "1nt91fo", "1cm2jes", "1x73qhs", "jty2ri",
                "1695f3q", "1u2l7oi", "6cnc61", "1o8l6", "1j0rvlh", "1p9bkdl", "1ivgr16", "vza7ij",
                "1vyt5mj", "1b05h22", "1thqnn6", "1gleq6r", "1sxbx3a", "39ozvd", "tpink",
                "1y3qye0", "n0muu3", "p7hfos", "pm3jcc", "z4vfwk", "53rept", "dktgn6", "1u6cgzg",
                "10ztun9", "adkyv6", "i4nuwa", "1yc8t4v", "tiper2", "1yhll9p", "1o0fmhk", "nvl0nq",
                "1t5pqt1", "n8zpav", "1p6paub", "1x6g8md", "rpnc4z", "1nnblxx", "4fvf2i", "22tcpj",
                "1mxgcjr", "1sltzr7", "1g1gwru", "uyiiqg", "120gz1v", "wpjf0g", "1s6u1qh",
                "tudlqw", "vwok9p", "ne0628", "1hfcsnj", "6kkr9q", "l5q1qo", "5si9bt", "1mgykug",
                "10qif77", "1n3x8u1", "2ff7t2", "kerasj", "xyvr7n", "1b9eo4q", "p5d4av", "116m88m",
                "1jppo00", "ujv63e", "z4460f", "1uo23uf", "psivfz", "gtaa3m", "1s5q1bp", "61ton8",
                "15edkrc", "1e2bf0h", "1rfullf", "1m3ccv0", "f0alsa", "bihkm2", "1kevvnu",
                "vd5j38",
            ],
            &[
                "i4nuwa", "n0muu3", "14fdo4d", "1t5pqt1", "16kjvza", "1vo1rxd", "z4460f",
                "1cm2jes", "1u2l7oi", "1vyt5mj", "vza7ij", "1mxgcjr", "2ff7t2", "1sltzr7",
                "19ct994", "adkyv6", "1p6paub", "7riifi", "116m88m", "1x73qhs", "hy34kf",
                "1u6cgzg", "1kevvnu", "z4vfwk", "tudlqw", "tiper2", "4fvf2i", "6kkr9q", "6cnc61",
                "1y3qye0", "15y9qsx", "ne0628", "1nt91fo", "uyiiqg", "bihkm2", "1n3x8u1", "vd5j38",
                "1crxrl1", "10ztun9", "39ozvd", "53rept", "1yc8t4v", "jty2ri", "vwok9p", "1b9eo4q",
                "1uo23uf", "gtaa3m", "1dh87p8", "n8zpav", "15edkrc", "kerasj", "tpink", "120gz1v",
                "1o8l6", "1gpjruf", "1ivgr16", "pm3jcc", "1e2bf0h", "1gleq6r", "10qif77", "61ton8",
                "1695f3q", "ujv63e", "1rfullf", "1dhflnt", "rpnc4z", "1yhll9p", "22tcpj", "wpjf0g",
                "1sxbx3a", "f0alsa", "88o1d5", "1jppo00", "nvl0nq", "1s5q1bp", "l5q1qo", "1enrpp5",
                "1thqnn6", "1m3ccv0", "1x6g8md", "1p9bkdl", "1hfcsnj", "1o0fmhk", "5si9bt",
                "1b05h22", "1mgykug", "psivfz", "yuj5ul", "184anxj", "1gqvrma", "xyvr7n",
                "18c1woj", "1nnblxx", "1g1gwru", "omek9", "1j0rvlh", "1s6u1qh", "dktgn6", "p5d4av",
                "p7hfos",
            ],
        ),
        // nine colliding keys force a resize below 64
        (
            &[
                "AaAaAaAa", "AaAaAaBB", "AaAaBBAa", "AaAaBBBB", "AaBBAaAa", "AaBBAaBB", "AaBBBBAa",
                "AaBBBBBB", "BBAaAaAa", "x", "y", "q", "zz",
            ],
            &[
                "zz", "AaAaAaAa", "AaAaAaBB", "AaAaBBAa", "AaAaBBBB", "AaBBAaAa", "AaBBAaBB",
                "AaBBBBAa", "AaBBBBBB", "BBAaAaAa", "q", "x", "y",
            ],
        ),
    ];

    #[test]
    fn hash_map_order_matches_openjdk() {
        for (keys, expected) in JAVA_HASH_MAP_ORDERS {
            let order: Vec<&str> = java_hash_map_order(keys)
                .into_iter()
                .map(|(first, _)| keys[first])
                .collect();
            assert_eq!(&order[..], *expected, "keys {keys:?}");
        }
    }

    #[test]
    fn decimal_bytes_are_minimal_twos_complement() {
        let cases: &[(i128, &[u8])] = &[
            (0, &[0x00]),
            (1, &[0x01]),
            (-1, &[0xff]),
            (127, &[0x7f]),
            (128, &[0x00, 0x80]),
            (-128, &[0x80]),
            (-129, &[0xff, 0x7f]),
            (12345, &[0x30, 0x39]),
        ];
        for (value, bytes) in cases {
            assert_eq!(&decimal_bytes(*value)[..], *bytes, "{value}");
            assert_eq!(decimal_from_bytes(bytes), Some(*value));
        }
        let max = 10i128.pow(38) - 1;
        assert_eq!(decimal_from_bytes(&decimal_bytes(max)), Some(max));
        assert_eq!(decimal_from_bytes(&decimal_bytes(-max)), Some(-max));
        // Redundant sign bytes are accepted (BigInteger accepts them).
        assert_eq!(decimal_from_bytes(&[0xff; 20]), Some(-1));
        assert_eq!(decimal_from_bytes(&[0x00, 0x00, 0x01]), Some(1));
        assert_eq!(decimal_from_bytes(&[0x01; 17]), None);
        assert_eq!(decimal_from_bytes(&[]), None);
    }

    #[test]
    fn rescale_rounds_half_up() {
        let d = |unscaled, scale| Decimal { unscaled, scale };
        assert_eq!(rescale(d(12345, 3), 2), Some(1235));
        assert_eq!(rescale(d(-12345, 3), 2), Some(-1235));
        assert_eq!(rescale(d(12344, 3), 2), Some(1234));
        assert_eq!(rescale(d(5, 0), 2), Some(500));
        assert_eq!(rescale(d(i128::MAX, 0), 2), None);
        assert!(fits_precision(99999, 5));
        assert!(!fits_precision(100000, 5));
        assert_eq!(decimal_text(d(-5, 3)), "-0.005");
        assert_eq!(decimal_text(d(12345, 2)), "123.45");
    }
}
