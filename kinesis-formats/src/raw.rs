//! The `raw` format: one STRING or BYTES column holding the whole payload as is.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::error::FormatError;
use crate::format::{format_options, Decoder, Encoder, Format, FormatOptionKey};
use crate::types::{LogicalType, RowField};
use crate::value::{Row, Value};

/// Keys of the raw format (Flink's `raw.charset`, `raw.endianness`).
pub(crate) const OPTION_KEYS: &[FormatOptionKey] = &[
    FormatOptionKey {
        key: "raw.charset",
        default: Some("UTF-8"),
        description: "Charset of a STRING column: UTF-8 or ISO-8859-1 (US-ASCII is read as ISO-8859-1).",
    },
    FormatOptionKey {
        key: "raw.endianness",
        default: Some("big-endian"),
        description: "big-endian or little-endian; only numeric columns use it, and raw supports only STRING/BYTES here, so it is validated and has no effect.",
    },
];

#[derive(Debug, Clone, Copy, PartialEq)]
enum Charset {
    Utf8,
    Latin1,
}

/// Encoder and decoder of the raw format.
#[derive(Debug, Clone)]
pub(crate) struct RawCodec {
    column: String,
    is_string: bool,
    charset: Charset,
}

/// Builds the raw format (see [`crate::Format::from_options`]).
pub(crate) fn from_options(
    options: &BTreeMap<String, String>,
    row_type: &[RowField],
) -> Result<Format, FormatError> {
    let found = format_options("raw", options, OPTION_KEYS)?;
    let charset = match found.get("raw.charset").copied().unwrap_or("UTF-8") {
        c if c.eq_ignore_ascii_case("UTF-8") || c.eq_ignore_ascii_case("UTF8") => Charset::Utf8,
        c if c.eq_ignore_ascii_case("ISO-8859-1")
            || c.eq_ignore_ascii_case("US-ASCII")
            || c.eq_ignore_ascii_case("latin1") =>
        {
            Charset::Latin1
        }
        c => {
            return Err(FormatError::invalid_option(
                "raw.charset",
                format!("Unsupported '{c}' charset for 'raw.charset'; supported: UTF-8, ISO-8859-1, US-ASCII."),
            ))
        }
    };
    if let Some(e) = found.get("raw.endianness") {
        if *e != "big-endian" && *e != "little-endian" {
            return Err(FormatError::invalid_option(
                "raw.endianness",
                format!("Unsupported endianness name: {e}. Valid values of 'raw.endianness' option are 'big-endian' and 'little-endian'."),
            ));
        }
    }
    let [field] = row_type else {
        return Err(FormatError::UnsupportedType {
            column: row_type.first().map(|f| f.name.clone()).unwrap_or_default(),
            data_type: String::new(),
            message: format!(
                "The 'raw' format only supports single physical column. However current schema contains {} columns.",
                row_type.len()
            ),
        });
    };
    let is_string = match field.data_type.kind {
        LogicalType::Char(_) | LogicalType::Varchar(_) => true,
        LogicalType::Binary(_) | LogicalType::Varbinary(_) => false,
        _ => {
            return Err(FormatError::UnsupportedType {
                column: field.name.clone(),
                data_type: field.data_type.to_string(),
                message: format!(
                    "The 'raw' format here supports only a STRING or BYTES column, but '{}' is {}.",
                    field.name, field.data_type
                ),
            })
        }
    };
    let codec = Arc::new(RawCodec {
        column: field.name.clone(),
        is_string,
        charset,
    });
    Ok(Format::new("raw", codec.clone(), codec))
}

impl Encoder for RawCodec {
    fn encode(&self, row: &Row, out: &mut Vec<u8>) -> Result<(), FormatError> {
        let err = |m: &str| FormatError::Encode {
            column: self.column.clone(),
            message: m.to_string(),
        };
        match row.values.as_slice() {
            [Value::String(s)] if self.is_string => match self.charset {
                Charset::Utf8 => out.extend_from_slice(s.as_bytes()),
                Charset::Latin1 => {
                    for c in s.chars() {
                        let b = u8::try_from(c as u32)
                            .map_err(|_| err("character not representable in ISO-8859-1"))?;
                        out.push(b);
                    }
                }
            },
            [Value::Bytes(b)] if !self.is_string => out.extend_from_slice(b),
            [Value::Null] => {
                return Err(err(
                    "the raw format cannot write a null value (a Kinesis record needs data)",
                ))
            }
            [_] => return Err(err("value does not match the column type")),
            v => return Err(err(&format!("expected 1 value, got {}", v.len()))),
        }
        Ok(())
    }
}

impl Decoder for RawCodec {
    /// STRING columns decode UTF-8 as Flink does (`new String(bytes, charset)`): invalid
    /// sequences become U+FFFD. An empty payload is an empty value, not a skipped row.
    fn decode(&self, bytes: &[u8]) -> Result<Option<Row>, FormatError> {
        let v = if self.is_string {
            Value::String(match self.charset {
                Charset::Utf8 => String::from_utf8_lossy(bytes).into_owned(),
                Charset::Latin1 => bytes.iter().map(|b| *b as char).collect(),
            })
        } else {
            Value::Bytes(bytes.to_vec())
        };
        Ok(Some(Row::new(vec![v])))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::DataType;

    fn fmt(t: &str, opts: &[(&str, &str)]) -> Result<Format, FormatError> {
        let o = opts
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        crate::Format::from_options(
            "raw",
            &o,
            &[RowField::new("line", DataType::parse(t).unwrap())],
        )
    }

    #[test]
    fn payload_is_kept_as_is() {
        let f = fmt("STRING", &[]).unwrap();
        let row = f.decode("héllo, \"world\"\n".as_bytes()).unwrap().unwrap();
        assert_eq!(row.values, vec![Value::String("héllo, \"world\"\n".into())]);
        let mut out = Vec::new();
        f.encode(&row, &mut out).unwrap();
        assert_eq!(out, "héllo, \"world\"\n".as_bytes());
        let b = fmt("BYTES", &[]).unwrap();
        let row = b.decode(&[0, 255, 10]).unwrap().unwrap();
        assert_eq!(row.values, vec![Value::Bytes(vec![0, 255, 10])]);
        let l = fmt("STRING", &[("raw.charset", "ISO-8859-1")]).unwrap();
        assert_eq!(
            l.decode(&[0xe9]).unwrap().unwrap().values,
            vec![Value::String("é".into())]
        );
    }

    #[test]
    fn rejects_bad_setups() {
        assert!(fmt("INT", &[]).is_err());
        assert!(fmt("STRING", &[("raw.charset", "EBCDIC")]).is_err());
        assert!(fmt("STRING", &[("raw.endianness", "middle")]).is_err());
        assert!(fmt("STRING", &[("raw.nope", "x")]).is_err());
        let f = fmt("STRING", &[]).unwrap();
        assert!(f
            .encode(&Row::new(vec![Value::Null]), &mut Vec::new())
            .is_err());
    }
}
