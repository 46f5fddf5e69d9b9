//! The row model (Flink logical types, [`Value`], [`Row`]) and the `csv`, `json`, `avro` and
//! `raw` formats with Flink's options and text forms.
//!
//! - [`DataType::parse`] / [`DataType::parse_prefix`] read Flink's SQL type spelling;
//!   `Display` prints the canonical form; [`DataType::can_hold`] and [`Value::convert_to`]
//!   are the read-side conversions Flink allows (e.g. a metadata `TIMESTAMP_LTZ(3)` into a
//!   `TIMESTAMP(3)` column).
//! - [`Format::from_options`] validates the `<format>.*` table options with Flink's messages
//!   and builds an [`Encoder`] and a [`Decoder`] for a row type; [`Format::option_keys`] lists
//!   every key with its default and meaning. [`Format::new`] wraps a codec of your own.
//! - [`avro_schema_json`] gives the Avro schema the `avro` format writes, for other Avro tools.
//!
//! The formats:
//! - `csv`: one record per message, Jackson's quoting on write; `ARRAY` and nested `ROW`
//!   fields split at `csv.array-element-delimiter`; no `MAP` or `MULTISET`.
//! - `json`: one object per message; Flink's `JsonToRowDataConverters` conversions (numbers
//!   in strings, `BigDecimal` texts, nested values as JSON text in string columns); a repeated
//!   key keeps its first position and its last value.
//! - `avro`: one Avro binary datum per message (no container, no registry) of the schema
//!   Flink's `AvroSchemaConverter` derives, byte for byte what Flink writes (map entries in
//!   the order of the `HashMap` Flink builds). `avro.timestamp_mapping.legacy = false`
//!   selects Flink 1.19's timestamp mapping.
//! - `raw`: the whole payload as one `STRING` (`raw.charset`) or `BYTES` column.
//!
//! Where kinesis-rs departs from Flink 1.15–1.17 on purpose (decision D12 and the "no record
//! dropped silently" rule):
//! - DECIMAL is written in plain notation at its declared scale (`100.00`) unless
//!   `csv.write-bigdecimal-in-scientific-notation` / `json.encode.decimal-as-plain-number`
//!   is set explicitly, which gives Flink's stripped forms (`1E+2` / `100`).
//! - json TIME keeps milliseconds both ways (Flink drops the fraction).
//! - A boolean other than `true`/`false` (any case, trimmed) is a parse error, not `false`.
//! - A message holding more than one csv record or json document is an error (Flink reads
//!   the first and drops the rest).
//! - A null in a `NOT NULL` column is an error (the row is skipped under
//!   `*.ignore-parse-errors`).
//! - `json.encode.ignore-null-fields` (Flink 1.18) is accepted.
//! - Where Flink's avro reader accepts a malformed datum with a wrong value, ours reports it:
//!   bytes left after the last column, a string that is not UTF-8, a TINYINT/SMALLINT out of
//!   range, a decimal beyond its precision, a boolean byte other than 0/1, a time outside
//!   the day.
//!
//! Every form Flink writes is read back, and the lenient forms Flink reads are accepted.
//! Decoding is bounded: memory within a constant factor of the payload (an avro record holds
//! at most one collection item per byte plus [`AVRO_ITEM_ALLOWANCE`]), nesting at most 512
//! levels, and the work per json object key constant (repeated keys are found through an
//! index, not a scan).
//!
//! Errors are [`FormatError`] values naming the option, column and byte offset at fault.
//!
//! ```
//! use std::collections::BTreeMap;
//! use kinesis_formats::{DataType, Format, Row, RowField, Value};
//! let row_type = vec![
//!     RowField::new("id", DataType::parse("BIGINT NOT NULL").unwrap()),
//!     RowField::new("tags", DataType::parse("MAP<STRING, INT>").unwrap()),
//! ];
//! let json = Format::from_options("json", &BTreeMap::new(), &row_type).unwrap();
//! let row = json.decode(br#"{"id": 42, "tags": {"a": 1}}"#).unwrap().unwrap();
//! assert_eq!(row.values[0], Value::BigInt(42));
//! let mut out = Vec::new();
//! json.encode(&row, &mut out).unwrap();
//! assert_eq!(out, br#"{"id":42,"tags":{"a":1}}"#);
//!
//! let err = json.decode(br#"{"id": "x"}"#).unwrap_err();
//! assert!(err.to_string().contains("field: id"), "{err}");
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod avro;
mod csv;
mod decimal;
mod error;
mod format;
mod json;
mod raw;
mod text;
mod types;
mod value;

pub use avro::{avro_schema_json, AVRO_ITEM_ALLOWANCE};
pub use decimal::Decimal;
pub use error::FormatError;
pub use format::{Decoder, Encoder, Format, FormatOptionKey, FORMAT_NAMES};
pub use types::{DataType, LogicalType, RowField, TypeParseError};
pub use value::{ConvertError, Row, Value};
