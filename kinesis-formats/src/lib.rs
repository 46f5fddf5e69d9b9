//! The row model (Flink logical types, [`Value`], [`Row`]) and the `csv`, `json`, `avro` and
//! `raw` formats with Flink's options and text forms.
//!
//! - [`DataType::parse`] / [`DataType::parse_prefix`] read Flink's SQL type spelling;
//!   `Display` prints the canonical form; [`DataType::can_hold`] and [`Value::convert_to`]
//!   are the read-side conversions Flink allows (e.g. a metadata `TIMESTAMP_LTZ(3)` into a
//!   `TIMESTAMP(3)` column).
//! - [`Format::from_options`] validates the `<format>.*` table options with Flink's messages
//!   and builds an [`Encoder`] and a [`Decoder`] for a row type; [`Format::option_keys`] lists
//!   every key with its default.
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
//!
//! Every form Flink writes is read back, and the lenient forms Flink reads are accepted.
//!
//! ```
//! use std::collections::BTreeMap;
//! use kinesis_formats::{DataType, Format, RowField};
//! let row_type = vec![RowField::new("id", DataType::parse("BIGINT").unwrap())];
//! let json = Format::from_options("json", &BTreeMap::new(), &row_type).unwrap();
//! let row = json.decode(br#"{"id": 42}"#).unwrap().unwrap();
//! let mut out = Vec::new();
//! json.encode(&row, &mut out).unwrap();
//! assert_eq!(out, br#"{"id":42}"#);
//! ```
#![forbid(unsafe_code)]

pub mod avro;
pub mod csv;
pub mod error;
pub mod format;
pub mod json;
pub mod raw;
pub mod text;
pub mod types;
pub mod value;

pub use error::FormatError;
pub use format::{Decoder, Encoder, Format, FormatOptionKey, FORMAT_NAMES};
pub use types::{DataType, LogicalType, RowField, TypeParseError};
pub use value::{ConvertError, Decimal, Row, Value};
