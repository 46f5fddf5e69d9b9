//! The text of a simple (non-nested) column value, as csv writes a field and json a number
//! or string: range-checked integers, decimals per decision D12, Java's float texts, Flink's
//! time formats, Base64.

use crate::decimal::Decimal;
use crate::types::{DataType, LogicalType};
use crate::value::Value;

use super::{
    date_from_days, write_base64, write_date, write_i64, write_java_double, write_java_float,
    write_time_nanos, write_timestamp, NANOS_PER_DAY,
};

/// Integer value of any integer variant.
fn as_i64(v: &Value) -> Option<i64> {
    match v {
        Value::TinyInt(x) => Some(*x as i64),
        Value::SmallInt(x) => Some(*x as i64),
        Value::Int(x) => Some(*x as i64),
        Value::BigInt(x) => Some(*x),
        _ => None,
    }
}

/// Writes an integer of a column type, range-checked.
// `#[inline]`: called once per value from encoders in other modules (other codegen
// units); as a call, json encoding was 9% slower in the bench.
#[inline]
pub(crate) fn write_int(out: &mut Vec<u8>, t: &LogicalType, v: &Value) -> Result<(), String> {
    let x = as_i64(v).ok_or_else(|| format!("expected a {t} value, got {v:?}"))?;
    let ok = match t {
        LogicalType::TinyInt => i8::try_from(x).is_ok(),
        LogicalType::SmallInt => i16::try_from(x).is_ok(),
        LogicalType::Int => i32::try_from(x).is_ok(),
        _ => true,
    };
    if !ok {
        return Err(format!("value {x} is out of range for {t}"));
    }
    write_i64(out, x);
    Ok(())
}

/// Writes a decimal per decision D12 (`option` = the explicit option value, if any):
/// unset → plain at the declared scale; `Some(true)` → Flink's scientific; `Some(false)`
/// → plain after stripping zeros.
pub(crate) fn write_decimal(
    out: &mut Vec<u8>,
    d: &Decimal,
    precision: u8,
    scale: u8,
    option: Option<bool>,
) -> Result<(), String> {
    let d = if d.scale == scale {
        *d
    } else {
        d.rescale(precision, scale)
            .ok_or_else(|| format!("decimal {d} does not fit DECIMAL({precision}, {scale})"))?
    };
    match option {
        None => d.write_plain(out),
        Some(sci) => d.write_flink(out, sci),
    }
    Ok(())
}

/// Writes the text of a simple (non-nested) value, without quoting.
pub(crate) fn write_simple_text(
    out: &mut Vec<u8>,
    t: &DataType,
    v: &Value,
    decimal_option: Option<bool>,
    time_millis: bool,
) -> Result<(), String> {
    use LogicalType as L;
    let mismatch = || format!("expected a {} value, got {v:?}", t.kind);
    match (&t.kind, v) {
        (L::Char(_) | L::Varchar(_), Value::String(s)) => out.extend_from_slice(s.as_bytes()),
        (L::Boolean, Value::Boolean(b)) => {
            out.extend_from_slice(if *b { b"true" } else { b"false" })
        }
        (L::TinyInt | L::SmallInt | L::Int | L::BigInt, _) => write_int(out, &t.kind, v)?,
        (L::Float, Value::Float(f)) => write_java_float(out, *f),
        (L::Double, Value::Double(f)) => write_java_double(out, *f),
        (L::Double, Value::Float(f)) => write_java_double(out, *f as f64),
        (L::Decimal { precision, scale }, Value::Decimal(d)) => {
            write_decimal(out, d, *precision, *scale, decimal_option)?
        }
        (L::Date, Value::Date(d)) => write_date(
            out,
            date_from_days(*d).ok_or_else(|| format!("date {d} out of range"))?,
        ),
        (L::Time(_), Value::Time(n)) => {
            if *n >= NANOS_PER_DAY {
                return Err(format!("time {n} ns is not within a day"));
            }
            // Flink keeps TIME as milliseconds of the day.
            let n = if time_millis { n - n % 1_000_000 } else { *n };
            write_time_nanos(out, n)
        }
        (L::Timestamp(_), Value::Timestamp(ts)) => write_timestamp(out, ts, b' ', false),
        (L::TimestampLtz(_), Value::TimestampLtz(ts)) => {
            write_timestamp(out, &ts.naive_utc(), b' ', true)
        }
        (L::Binary(_) | L::Varbinary(_), Value::Bytes(b)) => write_base64(out, b),
        _ => return Err(mismatch()),
    }
    Ok(())
}
