//! The `csv` format: Flink's `csv` options (reference §10.2), value mapping (§10.3) and
//! Jackson's quoting rules on write (§10.4), with decisions D12 applied.
//!
//! One message is one record without a line terminator. The reader ([`decode`]) is a small
//! scanner over the message bytes: fields are borrowed slices unless quotes or escapes must
//! be removed. The writer ([`encode`]) quotes a field exactly when Jackson would.

mod decode;
mod encode;
mod options;

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::error::FormatError;
use crate::format::Format;
use crate::types::{DataType, LogicalType, RowField};

use options::CsvOptions;
pub(crate) use options::OPTION_KEYS;

/// Checks that every column has a csv mapping (`CsvRowSchemaConverter`).
fn check_schema(row_type: &[RowField]) -> Result<(), FormatError> {
    fn unsupported(f: &RowField, t: &DataType) -> FormatError {
        FormatError::UnsupportedType {
            column: f.name.clone(),
            data_type: t.to_string(),
            message: format!("Unsupported type '{}' for field '{}'.", t, f.name),
        }
    }
    fn simple(t: &DataType) -> bool {
        !matches!(
            t.kind,
            LogicalType::Array(_)
                | LogicalType::Row(_)
                | LogicalType::Map(..)
                | LogicalType::Multiset(_)
        )
    }
    for f in row_type {
        let t = &f.data_type;
        match &t.kind {
            LogicalType::Map(..) | LogicalType::Multiset(_) => return Err(unsupported(f, t)),
            LogicalType::Time(p) if *p > 3 => {
                return Err(FormatError::UnsupportedType {
                    column: f.name.clone(),
                    data_type: t.to_string(),
                    message: format!(
                        "Csv does not support TIME type with precision: {p}, it only supports precision 0 ~ 3."
                    ),
                })
            }
            LogicalType::Array(e) => {
                if !simple(e) {
                    return Err(nesting(f, e));
                }
                if let LogicalType::Time(p) = e.kind {
                    if p > 3 {
                        return Err(unsupported(f, t));
                    }
                }
            }
            LogicalType::Row(fields) => {
                for sub in fields {
                    if !simple(&sub.data_type) {
                        return Err(nesting(f, &sub.data_type));
                    }
                }
            }
            _ => {}
        }
    }
    Ok(())
}

fn nesting(f: &RowField, t: &DataType) -> FormatError {
    FormatError::UnsupportedType {
        column: f.name.clone(),
        data_type: t.to_string(),
        message: format!(
            "Only simple types are supported in the second level nesting of fields '{}' but was: {}",
            f.name, t
        ),
    }
}

/// Builds the csv format (see [`crate::Format::from_options`]).
pub(crate) fn from_options(
    options: &BTreeMap<String, String>,
    row_type: &[RowField],
) -> Result<Format, FormatError> {
    let opts = CsvOptions::from_options(options)?;
    let codec = Arc::new(CsvCodec::new(opts, row_type)?);
    Ok(Format::new("csv", codec.clone(), codec))
}

/// Encoder and decoder of the csv format for one row type.
#[derive(Debug, Clone)]
pub(crate) struct CsvCodec {
    opts: CsvOptions,
    fields: Vec<RowField>,
    delim: Vec<u8>,
    quote: Option<Vec<u8>>,
    escape: Option<Vec<u8>>,
    array_delim: String,
    /// Jackson's `minSafeChar`: strings with a char below it are quoted.
    min_safe: u32,
    /// The quote byte when every TIMESTAMP / TIMESTAMP_LTZ text is quoted without doubling
    /// anything (its space is below `min_safe`, and neither the quote nor the escape char
    /// can occur in it): such fields skip the quoting scan.
    timestamp_quote: Option<u8>,
    /// The bytes at which the scan of an unquoted field stops to look (the first bytes of
    /// the delimiter and of the escape, line breaks): the others are skipped by a table
    /// lookup (the byte-by-byte checks were a fifth of a csv row's decoding).
    field_stop: [bool; 256],
}

impl CsvCodec {
    /// A codec for `row_type` with validated options.
    pub(crate) fn new(opts: CsvOptions, row_type: &[RowField]) -> Result<CsvCodec, FormatError> {
        check_schema(row_type)?;
        let enc = |c: char| c.to_string().into_bytes();
        let min_safe =
            (opts.field_delimiter as u32).max(opts.quote_character.unwrap_or('"') as u32) + 1;
        // Every char a written timestamp can contain.
        let in_timestamp = |c: char| "0123456789+-: .Z".contains(c);
        let timestamp_quote = match opts.quote_character {
            Some(q)
                if q.is_ascii()
                    && !in_timestamp(q)
                    && min_safe > ' ' as u32
                    && !opts.escape_character.is_some_and(in_timestamp) =>
            {
                Some(q as u8)
            }
            _ => None,
        };
        let mut field_stop = [false; 256];
        field_stop[usize::from(b'\n')] = true;
        field_stop[usize::from(b'\r')] = true;
        field_stop[usize::from(enc(opts.field_delimiter)[0])] = true;
        if let Some(e) = opts.escape_character {
            field_stop[usize::from(enc(e)[0])] = true;
        }
        Ok(CsvCodec {
            timestamp_quote,
            field_stop,
            delim: enc(opts.field_delimiter),
            quote: opts.quote_character.map(enc),
            escape: opts.escape_character.map(enc),
            array_delim: opts.array_element_delimiter.to_string(),
            min_safe,
            fields: row_type.to_vec(),
            opts,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::Decoder;
    use crate::value::Value;

    #[test]
    fn an_array_column_splits_at_the_element_delimiter() {
        let codec = CsvCodec::new(
            CsvOptions::default(),
            &[RowField::new(
                "tags",
                DataType::parse("ARRAY<INT>").unwrap(),
            )],
        )
        .unwrap();
        let row = codec.decode(b"1;2;3").unwrap().unwrap();
        assert_eq!(
            row.values[0],
            Value::Array(vec![Value::Int(1), Value::Int(2), Value::Int(3)])
        );
    }
}
