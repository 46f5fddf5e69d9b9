//! Writing: a row as compact JSON, the way Flink's `JsonRowDataSerializationSchema` and
//! Jackson write it.

use crate::error::FormatError;
use crate::format::Encoder;
use crate::text;
use crate::types::{DataType, LogicalType};
use crate::value::{Row, Value};

use super::options::{MapNullKeyMode, TimestampStandard};
use super::JsonCodec;

/// Appends `s` as a JSON string the way Jackson escapes it (`"`, `\`, control chars; `/`
/// and non-ASCII are written as is).
pub(super) fn write_json_string(out: &mut Vec<u8>, s: &str) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    out.push(b'"');
    let b = s.as_bytes();
    let mut seg = 0;
    for (i, &c) in b.iter().enumerate() {
        if c >= 0x20 && c != b'"' && c != b'\\' {
            continue;
        }
        out.extend_from_slice(&b[seg..i]);
        seg = i + 1;
        match c {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            0x08 => out.extend_from_slice(b"\\b"),
            0x0C => out.extend_from_slice(b"\\f"),
            _ => {
                out.extend_from_slice(b"\\u00");
                out.push(HEX[(c >> 4) as usize]);
                out.push(HEX[(c & 15) as usize]);
            }
        }
    }
    out.extend_from_slice(&b[seg..]);
    out.push(b'"');
}

impl JsonCodec {
    /// The JSON object key written for a MAP key or MULTISET element: its string, or for a
    /// null key what `json.map-null-key.mode` says (`None` = drop the entry).
    fn map_key<'v>(&'v self, k: &'v Value, what: &str) -> Result<Option<&'v str>, String> {
        match k {
            Value::String(s) => Ok(Some(s)),
            Value::Null => match self.opts.map_null_key_mode {
                MapNullKeyMode::Fail => Err("JSON format doesn't support to serialize map data with null keys. You can drop null key entries or encode null in literals by specifying map-null-key.mode option.".into()),
                MapNullKeyMode::Drop => Ok(None),
                MapNullKeyMode::Literal => Ok(Some(&self.opts.map_null_key_literal)),
            },
            other => Err(format!("{what} must be a string, got {other:?}")),
        }
    }

    fn write_value(
        &self,
        out: &mut Vec<u8>,
        t: &DataType,
        v: &Value,
        column: &str,
    ) -> Result<(), FormatError> {
        use LogicalType as L;
        let err = |m: String| FormatError::Encode {
            column: column.to_string(),
            message: m,
        };
        if v.is_null() {
            if !t.nullable {
                return Err(err("null value for a NOT NULL column".into()));
            }
            out.extend_from_slice(b"null");
            return Ok(());
        }
        let mismatch = || err(format!("expected a {} value, got {v:?}", t.kind));
        match (&t.kind, v) {
            (L::Char(_) | L::Varchar(_), Value::String(s)) => write_json_string(out, s),
            (L::Boolean, Value::Boolean(b)) => {
                out.extend_from_slice(if *b { b"true" } else { b"false" })
            }
            (L::TinyInt | L::SmallInt | L::Int | L::BigInt, _) => {
                text::write_int(out, &t.kind, v).map_err(err)?
            }
            (L::Float, Value::Float(f)) => {
                if f.is_finite() {
                    text::write_java_float(out, *f)
                } else {
                    out.push(b'"');
                    text::write_java_float(out, *f);
                    out.push(b'"');
                }
            }
            (L::Double, Value::Double(_) | Value::Float(_)) => {
                let f = match v {
                    Value::Float(x) => *x as f64,
                    Value::Double(x) => *x,
                    _ => 0.0,
                };
                if f.is_finite() {
                    text::write_java_double(out, f)
                } else {
                    out.push(b'"');
                    text::write_java_double(out, f);
                    out.push(b'"');
                }
            }
            (L::Decimal { precision, scale }, Value::Decimal(d)) => {
                // Option true = plain; false = Flink's toString; unset = D12.
                let opt = self.opts.decimal_as_plain_number.map(|plain| !plain);
                text::write_decimal(out, d, *precision, *scale, opt).map_err(err)?
            }
            (L::Date | L::Binary(_) | L::Varbinary(_), _) => {
                out.push(b'"');
                text::write_simple_text(out, t, v, None, true).map_err(err)?;
                out.push(b'"');
            }
            (L::Time(_), Value::Time(_)) => {
                // D12: keep milliseconds (Flink drops the fraction).
                out.push(b'"');
                text::write_simple_text(out, t, v, None, true).map_err(err)?;
                out.push(b'"');
            }
            (L::Timestamp(_), Value::Timestamp(ts)) => {
                out.push(b'"');
                text::write_timestamp(out, ts, self.ts_sep(), false);
                out.push(b'"');
            }
            (L::TimestampLtz(_), Value::TimestampLtz(ts)) => {
                out.push(b'"');
                text::write_timestamp(out, &ts.naive_utc(), self.ts_sep(), true);
                out.push(b'"');
            }
            (L::Array(et), Value::Array(items)) => {
                out.push(b'[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    self.write_value(out, et, item, column)?;
                }
                out.push(b']');
            }
            (L::Map(_, vt), Value::Map(entries)) => {
                out.push(b'{');
                let mut first = true;
                for (k, val) in entries {
                    // `None`: a null key dropped under `json.map-null-key.mode = DROP`.
                    let Some(key) = self.map_key(k, "map key").map_err(err)? else {
                        continue;
                    };
                    if !first {
                        out.push(b',');
                    }
                    first = false;
                    write_json_string(out, key);
                    out.push(b':');
                    self.write_value(out, vt, val, column)?;
                }
                out.push(b'}');
            }
            (L::Multiset(_), Value::Multiset(entries)) => {
                out.push(b'{');
                let mut first = true;
                for (k, n) in entries {
                    // `None`: a null key dropped under `json.map-null-key.mode = DROP`.
                    let Some(key) = self.map_key(k, "multiset element").map_err(err)? else {
                        continue;
                    };
                    if !first {
                        out.push(b',');
                    }
                    first = false;
                    write_json_string(out, key);
                    out.push(b':');
                    text::write_i64(out, *n as i64);
                }
                out.push(b'}');
            }
            (L::Row(fields), Value::Row(r)) => {
                if r.len() != fields.len() {
                    return Err(err(format!(
                        "expected {} nested fields, got {}",
                        fields.len(),
                        r.len()
                    )));
                }
                out.push(b'{');
                let mut first = true;
                for (f, val) in fields.iter().zip(&r.values) {
                    if val.is_null() && self.opts.ignore_null_fields {
                        continue;
                    }
                    if !first {
                        out.push(b',');
                    }
                    first = false;
                    write_json_string(out, &f.name);
                    out.push(b':');
                    self.write_value(out, &f.data_type, val, column)?;
                }
                out.push(b'}');
            }
            _ => return Err(mismatch()),
        }
        Ok(())
    }

    fn ts_sep(&self) -> u8 {
        match self.opts.timestamp_standard {
            TimestampStandard::Sql => b' ',
            TimestampStandard::Iso8601 => b'T',
        }
    }
}

impl Encoder for JsonCodec {
    fn encode(&self, row: &Row, out: &mut Vec<u8>) -> Result<(), FormatError> {
        if row.len() != self.fields.len() {
            return Err(FormatError::Encode {
                column: String::new(),
                message: format!("expected {} values, got {}", self.fields.len(), row.len()),
            });
        }
        let start = out.len();
        out.push(b'{');
        let mut first = true;
        for ((f, key), v) in self.fields.iter().zip(&self.keys).zip(&row.values) {
            if v.is_null() && self.opts.ignore_null_fields {
                continue;
            }
            if !first {
                out.push(b',');
            }
            first = false;
            out.extend_from_slice(key);
            if let Err(e) = self.write_value(out, &f.data_type, v, &f.name) {
                out.truncate(start);
                return Err(e);
            }
        }
        out.push(b'}');
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_are_escaped_as_jackson_does() {
        let mut out = Vec::new();
        write_json_string(&mut out, "a\"b\u{1}/é\n\t\u{8}\u{c}\r\\");
        assert_eq!(out, "\"a\\\"b\\u0001/é\\n\\t\\b\\f\\r\\\\\"".as_bytes());
    }
}
