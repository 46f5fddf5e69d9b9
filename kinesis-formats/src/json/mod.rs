//! The `json` format: Flink's `json` options (reference §10.6) and value mapping (§10.7),
//! with decisions D12 applied.
//!
//! Reading uses a small hand-written parser over the message bytes ([`lexer`]) that converts
//! values straight into the column types ([`decode`]; no intermediate tree); strings are
//! borrowed unless they contain escapes. Writing ([`encode`]) appends compact JSON to the
//! caller's buffer.

mod decode;
mod encode;
mod entries;
mod jackson_text;
mod lexer;
mod options;

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::error::FormatError;
use crate::format::Format;
use crate::types::{DataType, LogicalType, RowField};

use options::JsonOptions;
pub(crate) use options::OPTION_KEYS;

use encode::write_json_string;

/// Builds the json format (see [`crate::Format::from_options`]).
pub(crate) fn from_options(
    options: &BTreeMap<String, String>,
    row_type: &[RowField],
) -> Result<Format, FormatError> {
    let opts = JsonOptions::from_options(options)?;
    let codec = Arc::new(JsonCodec::new(opts, row_type)?);
    Ok(Format::new("json", codec.clone(), codec))
}

/// Encoder and decoder of the json format for one row type.
#[derive(Debug, Clone)]
pub(crate) struct JsonCodec {
    opts: JsonOptions,
    fields: Vec<RowField>,
    /// `"name":` for each field, escaped once.
    keys: Vec<Vec<u8>>,
    /// Jackson's `USE_BIG_DECIMAL_FOR_FLOATS` is on when the row has a DECIMAL anywhere.
    big_decimal_floats: bool,
}

fn has_decimal(t: &DataType) -> bool {
    match &t.kind {
        LogicalType::Decimal { .. } => true,
        LogicalType::Array(e) | LogicalType::Multiset(e) => has_decimal(e),
        LogicalType::Map(k, v) => has_decimal(k) || has_decimal(v),
        LogicalType::Row(fs) => fs.iter().any(|f| has_decimal(&f.data_type)),
        _ => false,
    }
}

fn check_type(t: &DataType, column: &str) -> Result<(), FormatError> {
    match &t.kind {
        LogicalType::Map(k, v) => {
            if !k.is_character_string() {
                return Err(FormatError::UnsupportedType {
                    column: column.to_string(),
                    data_type: t.to_string(),
                    message: format!(
                        "JSON format doesn't support non-string as key type of map. The map type is: {t}"
                    ),
                });
            }
            check_type(v, column)
        }
        LogicalType::Multiset(e) => {
            if !e.is_character_string() {
                return Err(FormatError::UnsupportedType {
                    column: column.to_string(),
                    data_type: t.to_string(),
                    message: format!(
                        "JSON format doesn't support non-string as key type of map. The map type is: {t}"
                    ),
                });
            }
            Ok(())
        }
        LogicalType::Array(e) => check_type(e, column),
        LogicalType::Row(fs) => fs.iter().try_for_each(|f| check_type(&f.data_type, column)),
        _ => Ok(()),
    }
}

impl JsonCodec {
    /// A codec for `row_type` with validated options.
    pub(crate) fn new(opts: JsonOptions, row_type: &[RowField]) -> Result<JsonCodec, FormatError> {
        for f in row_type {
            check_type(&f.data_type, &f.name)?;
        }
        let keys = row_type
            .iter()
            .map(|f| {
                let mut k = Vec::new();
                write_json_string(&mut k, &f.name);
                k.push(b':');
                k
            })
            .collect();
        Ok(JsonCodec {
            big_decimal_floats: row_type.iter().any(|f| has_decimal(&f.data_type)),
            opts,
            fields: row_type.to_vec(),
            keys,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::{Decoder, Encoder};

    #[test]
    fn a_map_reads_and_writes_back() {
        let codec = JsonCodec::new(
            JsonOptions::default(),
            &[RowField::new(
                "m",
                DataType::parse("MAP<STRING, INT>").unwrap(),
            )],
        )
        .unwrap();
        let row = codec.decode(br#"{"m":{"a":1,"b":null}}"#).unwrap().unwrap();
        let mut out = Vec::new();
        codec.encode(&row, &mut out).unwrap();
        assert_eq!(out, br#"{"m":{"a":1,"b":null}}"#);
    }
}
