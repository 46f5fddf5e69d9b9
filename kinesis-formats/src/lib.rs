//! The row model (Flink logical types, [`Value`], [`Row`]) and the `csv`, `json` and `raw`
//! formats with Flink's options and text forms.
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
