//! Values and rows.

use std::fmt;

use chrono::{DateTime, NaiveDateTime, NaiveTime, Timelike, Utc};

use crate::decimal::{pow10, Decimal};
use crate::text;
use crate::types::{DataType, LogicalType};

/// One value of a Flink logical type.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// SQL NULL, of any type.
    Null,
    /// BOOLEAN.
    Boolean(bool),
    /// TINYINT.
    TinyInt(i8),
    /// SMALLINT.
    SmallInt(i16),
    /// INT.
    Int(i32),
    /// BIGINT.
    BigInt(i64),
    /// FLOAT.
    Float(f32),
    /// DOUBLE.
    Double(f64),
    /// DECIMAL(p, s), at scale s.
    Decimal(Decimal),
    /// CHAR / VARCHAR / STRING.
    String(String),
    /// BINARY / VARBINARY / BYTES.
    Bytes(Vec<u8>),
    /// Days since 1970-01-01.
    Date(i32),
    /// Nanoseconds since midnight.
    Time(u64),
    /// TIMESTAMP: a wall-clock date-time, no zone.
    Timestamp(chrono::NaiveDateTime),
    /// TIMESTAMP_LTZ: an instant.
    TimestampLtz(chrono::DateTime<chrono::Utc>),
    /// ARRAY: the elements in order.
    Array(Vec<Value>),
    /// MAP: entries in order; keys may repeat only if the source had them repeated.
    Map(Vec<(Value, Value)>),
    /// ROW: one value per field.
    Row(Row),
    /// MULTISET: each element with its multiplicity.
    Multiset(Vec<(Value, u32)>),
}

/// A row: one value per field of a row type, in field order.
#[derive(Debug, Clone, PartialEq, Default)]
#[non_exhaustive]
pub struct Row {
    /// The values, one per field.
    pub values: Vec<Value>,
}

impl Row {
    /// A row of the given values.
    ///
    /// ```
    /// use kinesis_formats::{Row, Value};
    /// let row = Row::new(vec![Value::BigInt(1), Value::Null]);
    /// assert_eq!(row.len(), 2);
    /// ```
    pub fn new(values: Vec<Value>) -> Self {
        Row { values }
    }

    /// Number of fields.
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// `true` for a row without fields.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }
}

impl fmt::Display for Row {
    /// Flink's `RowData#toString` shape: `+I(1,abc,null)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("+I(")?;
        for (i, v) in self.values.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            write!(f, "{v}")?;
        }
        f.write_str(")")
    }
}

impl fmt::Display for Value {
    /// A readable text form: numbers as Java prints them (`Double.toString`: `1.0E-4`),
    /// DECIMAL in plain notation at its scale, SQL text forms for times, Base64 for bytes.
    ///
    /// ```
    /// use kinesis_formats::{Decimal, Value};
    /// assert_eq!(Value::Double(1.0e-4).to_string(), "1.0E-4");
    /// assert_eq!(Value::Float(1.0 / 3.0).to_string(), "0.33333334");
    /// assert_eq!(Value::Decimal(Decimal::new(-5, 2)).to_string(), "-0.05");
    /// assert_eq!(Value::Time(43_994_100_000_000).to_string(), "12:13:14.1");
    /// ```
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut buf = Vec::new();
        match self {
            Value::Null => return f.write_str("null"),
            Value::Boolean(b) => return write!(f, "{b}"),
            Value::TinyInt(v) => return write!(f, "{v}"),
            Value::SmallInt(v) => return write!(f, "{v}"),
            Value::Int(v) => return write!(f, "{v}"),
            Value::BigInt(v) => return write!(f, "{v}"),
            Value::Float(v) => text::write_java_float(&mut buf, *v),
            Value::Double(v) => text::write_java_double(&mut buf, *v),
            Value::Decimal(d) => d.write_plain(&mut buf),
            Value::String(s) => return f.write_str(s),
            Value::Bytes(b) => text::write_base64(&mut buf, b),
            Value::Date(d) => match text::date_from_days(*d) {
                Some(d) => text::write_date(&mut buf, d),
                None => return write!(f, "date({d})"),
            },
            Value::Time(n) => text::write_time_nanos(&mut buf, *n),
            Value::Timestamp(t) => text::write_timestamp(&mut buf, t, b' ', false),
            Value::TimestampLtz(t) => text::write_timestamp(&mut buf, &t.naive_utc(), b' ', true),
            Value::Array(items) => {
                f.write_str("[")?;
                for (i, v) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{v}")?;
                }
                return f.write_str("]");
            }
            Value::Map(entries) => {
                f.write_str("{")?;
                for (i, (k, v)) in entries.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{k}={v}")?;
                }
                return f.write_str("}");
            }
            Value::Multiset(entries) => {
                f.write_str("{")?;
                for (i, (k, n)) in entries.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{k}={n}")?;
                }
                return f.write_str("}");
            }
            Value::Row(r) => {
                f.write_str("(")?;
                for (i, v) in r.values.iter().enumerate() {
                    if i > 0 {
                        f.write_str(",")?;
                    }
                    write!(f, "{v}")?;
                }
                return f.write_str(")");
            }
        }
        f.write_str(&String::from_utf8_lossy(&buf))
    }
}

/// A value that cannot be converted to the requested type.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct ConvertError {
    /// The value, in its text form.
    pub value: String,
    /// The target type.
    pub target: String,
    /// Why not.
    pub reason: &'static str,
}

impl fmt::Display for ConvertError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "cannot convert value '{}' to {}: {}",
            self.value, self.target, self.reason
        )
    }
}

impl std::error::Error for ConvertError {}

impl Value {
    /// `true` for [`Value::Null`].
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// Converts this value into one of type `target`, as Flink's cast does when a declared
    /// column receives a value of another type on read (see [`DataType::can_hold`]):
    /// TIMESTAMP_LTZ → TIMESTAMP in UTC (Flink uses the session time zone; kinesis-rs
    /// documents UTC), strings truncated to a VARCHAR(n) length and padded to CHAR(n),
    /// numbers widened or checked for overflow, timestamps truncated to the target precision.
    ///
    /// ```
    /// use kinesis_formats::{DataType, Value};
    /// use chrono::{TimeZone, Utc};
    /// let ltz = Value::TimestampLtz(Utc.timestamp_millis_opt(1_000).unwrap());
    /// let ts = ltz.convert_to(&DataType::parse("TIMESTAMP(3)").unwrap()).unwrap();
    /// assert_eq!(ts.to_string(), "1970-01-01 00:00:01");
    /// let s = Value::String("shardId-000000000000".into());
    /// assert_eq!(s.convert_to(&DataType::parse("VARCHAR(7)").unwrap()).unwrap(),
    ///            Value::String("shardId".into()));
    /// assert!(Value::Null.convert_to(&DataType::parse("INT NOT NULL").unwrap()).is_err());
    /// ```
    pub fn convert_to(&self, target: &DataType) -> Result<Value, ConvertError> {
        use LogicalType as L;
        let fail = |reason: &'static str| ConvertError {
            value: self.to_string(),
            target: target.to_string(),
            reason,
        };
        if self.is_null() {
            return if target.nullable {
                Ok(Value::Null)
            } else {
                Err(fail("null value for a NOT NULL type"))
            };
        }
        let as_i128 = |v: &Value| -> Option<i128> {
            match v {
                Value::TinyInt(x) => Some(*x as i128),
                Value::SmallInt(x) => Some(*x as i128),
                Value::Int(x) => Some(*x as i128),
                Value::BigInt(x) => Some(*x as i128),
                Value::Boolean(b) => Some(*b as i128),
                Value::Float(f) if f.is_finite() => Some(f.trunc() as i128),
                Value::Double(f) if f.is_finite() => Some(f.trunc() as i128),
                // Casts truncate toward zero.
                Value::Decimal(d) => pow10(d.scale as u32).map(|q| d.unscaled / q),
                Value::String(s) => text::parse_java_int::<i64>(s).map(|x| x as i128),
                _ => None,
            }
        };
        let as_f64 = |v: &Value| -> Option<f64> {
            match v {
                Value::Float(f) => Some(*f as f64),
                Value::Double(f) => Some(*f),
                Value::Decimal(d) => Some(d.to_f64()),
                Value::String(s) => text::parse_java_double(s),
                other => as_i128(other).map(|x| x as f64),
            }
        };
        let int = |lo: i128, hi: i128| -> Result<i128, ConvertError> {
            let x = as_i128(self).ok_or_else(|| fail("not a number"))?;
            if x < lo || x > hi {
                Err(fail("numeric overflow"))
            } else {
                Ok(x)
            }
        };
        let v = match &target.kind {
            L::Char(n) | L::Varchar(n) => {
                let s = match self {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                let n = *n as usize;
                let mut s = match s.char_indices().nth(n) {
                    Some((i, _)) => s[..i].to_string(),
                    None => s,
                };
                if let L::Char(_) = target.kind {
                    let len = s.chars().count();
                    s.extend(std::iter::repeat_n(' ', n.saturating_sub(len)));
                }
                Value::String(s)
            }
            L::Boolean => match self {
                Value::Boolean(b) => Value::Boolean(*b),
                Value::String(s) => {
                    Value::Boolean(text::parse_boolean(s).ok_or_else(|| fail("not a boolean"))?)
                }
                other => Value::Boolean(as_i128(other).ok_or_else(|| fail("not a boolean"))? != 0),
            },
            L::TinyInt => Value::TinyInt(int(i8::MIN as i128, i8::MAX as i128)? as i8),
            L::SmallInt => Value::SmallInt(int(i16::MIN as i128, i16::MAX as i128)? as i16),
            L::Int => Value::Int(int(i32::MIN as i128, i32::MAX as i128)? as i32),
            L::BigInt => Value::BigInt(int(i64::MIN as i128, i64::MAX as i128)? as i64),
            L::Float => Value::Float(as_f64(self).ok_or_else(|| fail("not a number"))? as f32),
            L::Double => Value::Double(as_f64(self).ok_or_else(|| fail("not a number"))?),
            L::Decimal { precision, scale } => {
                let d = match self {
                    Value::Decimal(d) => d.rescale(*precision, *scale),
                    Value::String(s) => Decimal::parse_java(s.trim(), *precision, *scale)
                        .map_err(|_| fail("not a decimal"))?,
                    Value::Float(_) | Value::Double(_) => {
                        let f = as_f64(self).unwrap_or(f64::NAN);
                        if !f.is_finite() {
                            return Err(fail("not a finite number"));
                        }
                        let mut b = Vec::new();
                        text::write_java_double(&mut b, f);
                        Decimal::parse_java(&String::from_utf8_lossy(&b), *precision, *scale)
                            .map_err(|_| fail("not a decimal"))?
                    }
                    other => {
                        let x = as_i128(other).ok_or_else(|| fail("not a number"))?;
                        Decimal::new(x, 0).rescale(*precision, *scale)
                    }
                };
                Value::Decimal(d.ok_or_else(|| fail("numeric overflow"))?)
            }
            L::Binary(_) | L::Varbinary(_) => match self {
                Value::Bytes(b) => Value::Bytes(b.clone()),
                Value::String(s) => Value::Bytes(s.as_bytes().to_vec()),
                _ => return Err(fail("not binary")),
            },
            L::Date => match self {
                Value::Date(d) => Value::Date(*d),
                Value::Timestamp(t) => Value::Date(text::days_from_date(t.date())),
                Value::TimestampLtz(t) => Value::Date(text::days_from_date(t.naive_utc().date())),
                Value::String(s) => Value::Date(text::days_from_date(
                    text::parse_sql_date_lenient(s.trim()).ok_or_else(|| fail("not a date"))?,
                )),
                _ => return Err(fail("not a date")),
            },
            L::Time(p) => {
                let nanos = match self {
                    Value::Time(n) => *n,
                    Value::Timestamp(t) => time_nanos(t.time()),
                    Value::TimestampLtz(t) => time_nanos(t.naive_utc().time()),
                    Value::String(s) => {
                        text::parse_iso_time(s.trim()).ok_or_else(|| fail("not a time"))?
                    }
                    _ => return Err(fail("not a time")),
                };
                let secs = nanos / 1_000_000_000;
                let frac = text::truncate_nanos((nanos % 1_000_000_000) as u32, *p);
                Value::Time(secs * 1_000_000_000 + frac as u64)
            }
            L::Timestamp(p) | L::TimestampLtz(p) => {
                let naive: NaiveDateTime = match self {
                    Value::Timestamp(t) => *t,
                    Value::TimestampLtz(t) => t.naive_utc(),
                    Value::Date(d) => text::date_from_days(*d)
                        .ok_or_else(|| fail("date out of range"))?
                        .and_time(NaiveTime::MIN),
                    Value::String(s) => {
                        let s = s.trim();
                        let s = s.strip_suffix('Z').unwrap_or(s);
                        text::parse_sql_timestamp(s, false)
                            .or_else(|| text::parse_iso_timestamp(s, false))
                            .ok_or_else(|| fail("not a timestamp"))?
                    }
                    _ => return Err(fail("not a timestamp")),
                };
                let naive = text::truncate_timestamp(naive, *p);
                if matches!(target.kind, L::Timestamp(_)) {
                    Value::Timestamp(naive)
                } else {
                    Value::TimestampLtz(DateTime::<Utc>::from_naive_utc_and_offset(naive, Utc))
                }
            }
            L::Array(t) => match self {
                Value::Array(items) => Value::Array(
                    items
                        .iter()
                        .map(|v| v.convert_to(t))
                        .collect::<Result<_, _>>()?,
                ),
                _ => return Err(fail("not an array")),
            },
            L::Multiset(t) => match self {
                Value::Multiset(items) => Value::Multiset(
                    items
                        .iter()
                        .map(|(v, n)| Ok((v.convert_to(t)?, *n)))
                        .collect::<Result<_, ConvertError>>()?,
                ),
                _ => return Err(fail("not a multiset")),
            },
            L::Map(kt, vt) => match self {
                Value::Map(items) => Value::Map(
                    items
                        .iter()
                        .map(|(k, v)| Ok((k.convert_to(kt)?, v.convert_to(vt)?)))
                        .collect::<Result<_, ConvertError>>()?,
                ),
                _ => return Err(fail("not a map")),
            },
            L::Row(fields) => match self {
                Value::Row(r) if r.len() == fields.len() => Value::Row(Row::new(
                    r.values
                        .iter()
                        .zip(fields)
                        .map(|(v, f)| v.convert_to(&f.data_type))
                        .collect::<Result<_, _>>()?,
                )),
                _ => return Err(fail("not a row of the same arity")),
            },
        };
        Ok(v)
    }
}

fn time_nanos(t: NaiveTime) -> u64 {
    t.num_seconds_from_midnight() as u64 * 1_000_000_000 + t.nanosecond().min(999_999_999) as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conversions() {
        let t = |s: &str| DataType::parse(s).unwrap();
        assert_eq!(
            Value::Int(5).convert_to(&t("BIGINT")).unwrap(),
            Value::BigInt(5)
        );
        assert!(Value::BigInt(1 << 40).convert_to(&t("INT")).is_err());
        assert_eq!(
            Value::Decimal(Decimal::new(-129, 1))
                .convert_to(&t("INT"))
                .unwrap(),
            Value::Int(-12)
        );
        assert_eq!(
            Value::String("ab".into())
                .convert_to(&t("CHAR(4)"))
                .unwrap(),
            Value::String("ab  ".into())
        );
        assert_eq!(
            Value::String(" 12 ".into()).convert_to(&t("INT")).unwrap(),
            Value::Int(12)
        );
        assert!(Value::String("x".into()).convert_to(&t("INT")).is_err());
    }
}
