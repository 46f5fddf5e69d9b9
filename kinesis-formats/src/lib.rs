//! The row model (Flink logical types, [`Value`], [`Row`]) and the `csv`, `json` and `raw`
//! formats with Flink's options and text forms.
#![forbid(unsafe_code)]

pub mod types;
pub mod value;

pub use types::{DataType, LogicalType, RowField};
pub use value::{Decimal, Row, Value};
