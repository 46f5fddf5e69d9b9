//! Values and rows.

use std::fmt;

use chrono::{DateTime, NaiveDateTime, NaiveTime, Timelike, Utc};

use crate::text;
use crate::types::{DataType, LogicalType};

/// An exact decimal: `unscaled * 10^-scale`. Flink's DECIMAL has at most 38 digits, which
/// fits an `i128`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Decimal {
    pub unscaled: i128,
    pub scale: u8,
}

/// Largest unscaled value with 38 digits.
const MAX_38: i128 = 99_999_999_999_999_999_999_999_999_999_999_999_999;

fn pow10(n: u32) -> Option<i128> {
    10i128.checked_pow(n)
}

/// Number of decimal digits of |v| (0 has 1 digit).
fn digit_count(v: i128) -> u32 {
    let mut a = v.unsigned_abs();
    let mut n = 1;
    while a >= 10 {
        a /= 10;
        n += 1;
    }
    n
}

impl Decimal {
    /// A decimal from its unscaled value and scale.
    ///
    /// ```
    /// use kinesis_formats::Decimal;
    /// assert_eq!(Decimal::new(-1234, 2).to_string(), "-12.34");
    /// ```
    pub fn new(unscaled: i128, scale: u8) -> Self {
        Decimal { unscaled, scale }
    }

    /// Parses Java `new BigDecimal(text)` syntax (`-12.5`, `1E+5`, `.5`, `2.7E-8`; no
    /// surrounding spaces) and converts it as Flink's `DecimalData.fromBigDecimal(bd, p, s)`:
    /// rounds HALF_UP to scale `s`. Returns `Err(())` for a syntax error and `Ok(None)` when
    /// the rounded value needs more than `p` digits (Flink then yields null).
    ///
    /// ```
    /// use kinesis_formats::Decimal;
    /// assert_eq!(Decimal::parse_java("1.005", 10, 2), Ok(Some(Decimal::new(101, 2))));
    /// assert_eq!(Decimal::parse_java("1E+5", 10, 2), Ok(Some(Decimal::new(10_000_000, 2))));
    /// assert_eq!(Decimal::parse_java("123456", 5, 0), Ok(None));
    /// assert_eq!(Decimal::parse_java("1,5", 5, 0), Err(()));
    /// ```
    #[allow(clippy::result_unit_err)]
    pub fn parse_java(text: &str, precision: u8, scale: u8) -> Result<Option<Decimal>, ()> {
        let b = text.as_bytes();
        let mut i = 0;
        let neg = match b.first() {
            Some(b'-') => {
                i += 1;
                true
            }
            Some(b'+') => {
                i += 1;
                false
            }
            _ => false,
        };
        // Significant digits (leading zeros dropped) and the position of the point.
        let mut digits: Vec<u8> = Vec::with_capacity(b.len());
        let mut frac_digits: i64 = 0;
        let mut seen_point = false;
        let mut any_digit = false;
        while i < b.len() {
            match b[i] {
                c @ b'0'..=b'9' => {
                    any_digit = true;
                    if !(digits.is_empty() && c == b'0') {
                        digits.push(c - b'0');
                    }
                    if seen_point {
                        frac_digits += 1;
                    }
                }
                b'.' if !seen_point => seen_point = true,
                _ => break,
            }
            i += 1;
        }
        if !any_digit {
            return Err(());
        }
        let mut exp: i64 = 0;
        if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
            i += 1;
            let s = &text[i..];
            let body = s.strip_prefix(['+', '-']).unwrap_or(s);
            if body.is_empty() || !body.bytes().all(|c| c.is_ascii_digit()) {
                return Err(());
            }
            // Java: leading zeros aside, at most 10 digits, and the value within an int
            // ("Exponent overflow").
            let significant = body.trim_start_matches('0');
            if significant.len() > 10 {
                return Err(());
            }
            let magnitude: i64 = significant.parse().unwrap_or(0);
            exp = if s.starts_with('-') {
                -magnitude
            } else {
                magnitude
            };
            if i32::try_from(exp).is_err() {
                return Err(());
            }
            i = b.len();
        }
        if i != b.len() {
            return Err(());
        }
        // Java: the scale (fraction digits minus exponent) must fit an int too ("Scale out
        // of range"). Both terms are far from i64's limits, so this cannot overflow.
        if i32::try_from(frac_digits - exp).is_err() {
            return Err(());
        }
        // value = digits * 10^(exp - frac_digits); we need round(value * 10^scale).
        let shift = exp - frac_digits + scale as i64;
        let mut unscaled: i128;
        if digits.is_empty() {
            unscaled = 0;
        } else if shift >= 0 {
            if digits.len() as i64 + shift > 38 {
                return Ok(None);
            }
            unscaled = 0;
            for d in &digits {
                unscaled = unscaled * 10 + *d as i128;
            }
            unscaled *= pow10(shift as u32).ok_or(())?;
        } else {
            let drop = (-shift) as usize;
            if drop > digits.len() {
                unscaled = 0;
            } else {
                let keep = digits.len() - drop;
                if keep > 38 {
                    return Ok(None);
                }
                unscaled = 0;
                for d in &digits[..keep] {
                    unscaled = unscaled * 10 + *d as i128;
                }
                if digits[keep] >= 5 {
                    unscaled += 1;
                }
            }
        }
        if unscaled > MAX_38 || digit_count(unscaled) > precision as u32 {
            return Ok(None);
        }
        if neg {
            unscaled = -unscaled;
        }
        Ok(Some(Decimal { unscaled, scale }))
    }

    /// Plain notation at this decimal's own scale: `100.00`, `-0.05`, `7`.
    ///
    /// ```
    /// use kinesis_formats::Decimal;
    /// assert_eq!(Decimal::new(10000, 2).to_plain_string(), "100.00");
    /// assert_eq!(Decimal::new(-5, 2).to_plain_string(), "-0.05");
    /// ```
    pub fn to_plain_string(&self) -> String {
        let mut v = Vec::new();
        self.write_plain(&mut v);
        String::from_utf8(v).unwrap_or_default()
    }

    /// Appends [`Decimal::to_plain_string`].
    pub fn write_plain(&self, out: &mut Vec<u8>) {
        write_big_decimal(out, self.unscaled, self.scale as i32, false);
    }

    /// Flink's form: `stripTrailingZeros()` (zero stays `0`) then Java's
    /// `BigDecimal.toString()` (`scientific = true`: `1E+2`, `2.7E-8`) or `toPlainString()`.
    ///
    /// ```
    /// use kinesis_formats::Decimal;
    /// let mut out = Vec::new();
    /// Decimal::new(10000, 2).write_flink(&mut out, true);
    /// assert_eq!(out, b"1E+2");
    /// ```
    pub fn write_flink(&self, out: &mut Vec<u8>, scientific: bool) {
        let (mut u, mut s) = (self.unscaled, self.scale as i32);
        if u == 0 {
            out.push(b'0');
            return;
        }
        while u % 10 == 0 {
            u /= 10;
            s -= 1;
        }
        write_big_decimal(out, u, s, scientific);
    }

    /// Rescales to `scale` (HALF_UP) and checks `precision`; `None` when it does not fit.
    pub fn rescale(&self, precision: u8, scale: u8) -> Option<Decimal> {
        let mut u = self.unscaled;
        if scale >= self.scale {
            u = u.checked_mul(pow10((scale - self.scale) as u32)?)?;
        } else {
            let d = pow10((self.scale - scale) as u32)?;
            let (q, r) = (u / d, u % d);
            u = q + if r.abs() * 2 >= d { r.signum() } else { 0 };
        }
        (u.abs() <= MAX_38 && digit_count(u) <= precision as u32)
            .then_some(Decimal { unscaled: u, scale })
    }

    /// The value as f64 (lossy).
    pub fn to_f64(&self) -> f64 {
        self.to_plain_string().parse().unwrap_or(f64::NAN)
    }
}

/// Java `BigDecimal` text for `unscaled * 10^-scale` (scale may be negative after
/// stripping zeros).
fn write_big_decimal(out: &mut Vec<u8>, unscaled: i128, scale: i32, scientific: bool) {
    if unscaled < 0 {
        out.push(b'-');
    }
    let coeff = unscaled.unsigned_abs().to_string();
    let c = coeff.as_bytes();
    let adjusted = -(scale as i64) + (c.len() as i64 - 1);
    if !scientific || (scale >= 0 && adjusted >= -6) {
        if scale <= 0 {
            out.extend_from_slice(c);
            for _ in 0..(-scale) {
                out.push(b'0');
            }
        } else if c.len() > scale as usize {
            let k = c.len() - scale as usize;
            out.extend_from_slice(&c[..k]);
            out.push(b'.');
            out.extend_from_slice(&c[k..]);
        } else {
            out.extend_from_slice(b"0.");
            for _ in 0..(scale as usize - c.len()) {
                out.push(b'0');
            }
            out.extend_from_slice(c);
        }
    } else {
        out.push(c[0]);
        if c.len() > 1 {
            out.push(b'.');
            out.extend_from_slice(&c[1..]);
        }
        out.push(b'E');
        if adjusted >= 0 {
            out.push(b'+');
        }
        out.extend_from_slice(adjusted.to_string().as_bytes());
    }
}

impl fmt::Display for Decimal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_plain_string())
    }
}

/// One value of a Flink logical type.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Boolean(bool),
    TinyInt(i8),
    SmallInt(i16),
    Int(i32),
    BigInt(i64),
    Float(f32),
    Double(f64),
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
    Array(Vec<Value>),
    /// Entries in order; keys may repeat only if the source had them repeated.
    Map(Vec<(Value, Value)>),
    Row(Row),
    /// Element with its multiplicity.
    Multiset(Vec<(Value, u32)>),
}

/// A row: one value per field of a row type, in field order.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Row {
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
    /// A readable text form (SQL text forms for times, Base64 for bytes).
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
pub struct ConvertError {
    /// The value, in its text form.
    pub value: String,
    /// The target type.
    pub target: String,
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

    fn flink(d: Decimal, sci: bool) -> String {
        let mut v = Vec::new();
        d.write_flink(&mut v, sci);
        String::from_utf8(v).unwrap()
    }

    #[test]
    fn decimal_text_forms_match_java() {
        assert_eq!(flink(Decimal::new(100000, 0), true), "1E+5");
        assert_eq!(flink(Decimal::new(10000, 2), true), "1E+2");
        assert_eq!(flink(Decimal::new(10000, 2), false), "100");
        assert_eq!(flink(Decimal::new(27, 9), true), "2.7E-8");
        assert_eq!(flink(Decimal::new(27, 9), false), "0.000000027");
        assert_eq!(flink(Decimal::new(123456789, 6), true), "123.456789");
        assert_eq!(
            flink(Decimal::new(454621864049246170, 0), true),
            "4.5462186404924617E+17"
        );
        assert_eq!(flink(Decimal::new(0, 5), true), "0");
        assert_eq!(flink(Decimal::new(-15, 1), true), "-1.5");
        assert_eq!(Decimal::new(0, 2).to_plain_string(), "0.00");
        assert_eq!(Decimal::new(-123, 0).to_plain_string(), "-123");
    }

    #[test]
    fn decimal_parsing_rounds_half_up_and_overflows_to_none() {
        let p = |s: &str, pr, sc| Decimal::parse_java(s, pr, sc);
        assert_eq!(p("1.005", 10, 2), Ok(Some(Decimal::new(101, 2))));
        assert_eq!(p("-1.005", 10, 2), Ok(Some(Decimal::new(-101, 2))));
        assert_eq!(p(".5", 10, 0), Ok(Some(Decimal::new(1, 0))));
        assert_eq!(p("5.", 10, 0), Ok(Some(Decimal::new(5, 0))));
        assert_eq!(p("2.7E-8", 10, 9), Ok(Some(Decimal::new(27, 9))));
        assert_eq!(p("000123", 3, 0), Ok(Some(Decimal::new(123, 0))));
        assert_eq!(p("1234", 3, 0), Ok(None));
        assert_eq!(p("99.995", 4, 2), Ok(None));
        assert_eq!(p("1E+40", 38, 0), Ok(None));
        assert_eq!(p("1E-400", 38, 2), Ok(Some(Decimal::new(0, 2))));
        for bad in [
            "",
            "-",
            ".",
            "1e",
            "1e+",
            "abc",
            " 1",
            "1 ",
            "1.2.3",
            "0x10",
            "1e99999999999",
            // Exponents beyond 32 bits (Java: "Exponent overflow"), both signs.
            "1e-9223372036854775808",
            "-1e9223372036854775807",
            "1e2147483648",
            "1e-2147483649",
            // Scale (fraction digits minus exponent) beyond 32 bits ("Scale out of range").
            "1e-2147483648",
            "1.5e-2147483647",
        ] {
            assert_eq!(p(bad, 10, 2), Err(()), "{bad:?}");
        }
        // Java skips leading zeros of the exponent; the limits themselves are fine.
        assert_eq!(
            p("1e+00000000000002", 10, 0),
            Ok(Some(Decimal::new(100, 0)))
        );
        assert_eq!(p("1e2147483647", 38, 0), Ok(None));
        assert_eq!(p("-1e-2147483647", 10, 2), Ok(Some(Decimal::new(0, 2))));
        assert_eq!(
            Decimal::new(12345, 3).rescale(10, 2),
            Some(Decimal::new(1235, 2))
        );
        assert_eq!(
            Decimal::new(-12345, 3).rescale(10, 2),
            Some(Decimal::new(-1235, 2))
        );
        assert_eq!(Decimal::new(12345, 3).rescale(3, 2), None);
    }

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
