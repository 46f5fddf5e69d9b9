//! Reading: one message into a row of the codec's type, converting each value as Flink's
//! `JsonToRowDataConverters` does (through Jackson's tree).

use std::borrow::Cow;

use chrono::{DateTime, Utc};

use crate::decimal::Decimal;
use crate::error::{shorten, FormatError};
use crate::format::Decoder;
use crate::text;
use crate::types::{DataType, LogicalType, RowField};
use crate::value::{Row, Value};

use super::entries::Entries;
use super::jackson_text::{compact_json, tok_text, EXPONENT_OUT_OF_RANGE};
use super::lexer::{num_str, Fail, FieldFail, Parser, Tok};
use super::options::TimestampStandard;
use super::JsonCodec;

/// Where a value sits (`a.b` for nested fields), built on the stack and rendered only
/// when an error needs it.
#[derive(Clone, Copy)]
struct Path<'p> {
    parent: Option<&'p Path<'p>>,
    name: &'p str,
}

impl Path<'_> {
    const ROOT: Path<'static> = Path {
        parent: None,
        name: "",
    };

    fn render(&self) -> String {
        let mut parts = Vec::new();
        let mut at = Some(self);
        while let Some(p) = at {
            if !p.name.is_empty() {
                parts.push(p.name);
            }
            at = p.parent;
        }
        parts.reverse();
        parts.join(".")
    }
}

impl JsonCodec {
    fn field_fail(
        &self,
        column: &Path<'_>,
        t: &DataType,
        text: &str,
        offset: usize,
        reason: impl Into<String>,
    ) -> Fail {
        Fail::Field(Box::new(FieldFail {
            column: column.render(),
            expected: t.to_string(),
            text: shorten(text, 100),
            offset,
            reason: reason.into(),
        }))
    }

    /// Reads one value of type `t` at the parser position. A field error leaves the parser
    /// after the value, so ignore-parse-errors can substitute null and go on.
    fn read_value(
        &self,
        p: &mut Parser<'_>,
        t: &DataType,
        column: &Path<'_>,
        depth: u32,
    ) -> Result<Value, Fail> {
        use LogicalType as L;
        if depth > 512 {
            return p.syntax("nesting too deep");
        }
        let ws_start = {
            p.ws();
            p.pos
        };
        let v = match &t.kind {
            L::Array(et) => match p.peek() {
                Some(b'[') => {
                    p.pos += 1;
                    let mut items = Vec::new();
                    if p.peek() == Some(b']') {
                        p.pos += 1;
                    } else {
                        loop {
                            let item = self.read_value(p, et, column, depth + 1);
                            items.push(self.or_null(item)?);
                            match p.peek() {
                                Some(b',') => p.pos += 1,
                                Some(b']') => {
                                    p.pos += 1;
                                    break;
                                }
                                _ => return p.syntax("expected ',' or ']'"),
                            }
                        }
                    }
                    Value::Array(items)
                }
                _ => return self.not_container(p, t, column, "a JSON array"),
            },
            L::Map(_, vt) => match p.peek() {
                Some(b'{') => {
                    let mut entries = Entries::new();
                    self.read_object(p, |p, key| {
                        let v = self.read_value(p, vt, column, depth + 1);
                        entries.put(key, self.or_null(v)?);
                        Ok(())
                    })?;
                    Value::Map(entries.into_vec())
                }
                _ => return self.not_container(p, t, column, "a JSON object"),
            },
            L::Multiset(_) => match p.peek() {
                Some(b'{') => {
                    let mut entries = Entries::new();
                    let count_t = DataType::not_null(L::Int);
                    // A bad count is reported after the whole object was read, so the
                    // parser stays in step under ignore-parse-errors.
                    let mut bad_count: Option<Fail> = None;
                    self.read_object(p, |p, key| {
                        let at = p.pos;
                        let v = self.read_value(p, &count_t, column, depth + 1);
                        match v {
                            Ok(Value::Int(n)) if n >= 0 => entries.put(key, n as u32),
                            Ok(other) => {
                                bad_count.get_or_insert(self.field_fail(
                                    column,
                                    t,
                                    &other.to_string(),
                                    at,
                                    "a multiset count must be a non-negative INT",
                                ));
                            }
                            Err(e @ Fail::Field(_)) => {
                                bad_count.get_or_insert(e);
                            }
                            Err(e) => return Err(e),
                        }
                        Ok(())
                    })?;
                    if let Some(e) = bad_count {
                        return Err(e);
                    }
                    Value::Multiset(entries.into_vec())
                }
                _ => return self.not_container(p, t, column, "a JSON object"),
            },
            L::Row(fields) => match p.peek() {
                Some(b'{') => Value::Row(self.read_row(p, fields, column, depth + 1)?),
                _ => return self.not_container(p, t, column, "a JSON object"),
            },
            _ => {
                let tok = p.scalar()?;
                match tok {
                    // Strings into string columns: move the (possibly unescaped) text.
                    Tok::Str(s) if t.is_character_string() => Value::String(s.into_owned()),
                    tok => self.convert_scalar(&tok, t, column, ws_start)?,
                }
            }
        };
        if v.is_null() && !t.nullable {
            return Err(self.field_fail(
                column,
                t,
                "null",
                ws_start,
                "null value for a NOT NULL column",
            ));
        }
        Ok(v)
    }

    /// A value where a container was expected: skip it and report a field error.
    fn not_container(
        &self,
        p: &mut Parser<'_>,
        t: &DataType,
        column: &Path<'_>,
        what: &str,
    ) -> Result<Value, Fail> {
        let start = p.pos;
        let tok = p.scalar()?;
        if matches!(tok, Tok::Null) {
            if t.nullable {
                return Ok(Value::Null);
            }
            return Err(self.field_fail(
                column,
                t,
                "null",
                start,
                "null value for a NOT NULL column",
            ));
        }
        let text = p.text(start, p.pos)?;
        Err(self.field_fail(column, t, text, start, format!("expected {what}")))
    }

    /// Under ignore-parse-errors a field error becomes null.
    fn or_null(&self, r: Result<Value, Fail>) -> Result<Value, Fail> {
        match r {
            Err(Fail::Field(_)) if self.opts.ignore_parse_errors => Ok(Value::Null),
            other => other,
        }
    }

    fn read_object<'a>(
        &self,
        p: &mut Parser<'a>,
        mut on_entry: impl FnMut(&mut Parser<'a>, Cow<'a, str>) -> Result<(), Fail>,
    ) -> Result<(), Fail> {
        p.pos += 1; // '{'
        if p.peek() == Some(b'}') {
            p.pos += 1;
            return Ok(());
        }
        loop {
            if p.peek() != Some(b'"') {
                return p.syntax("expected a field name");
            }
            let key = p.string()?;
            p.expect(b':', "expected ':'")?;
            on_entry(p, key)?;
            match p.peek() {
                Some(b',') => p.pos += 1,
                Some(b'}') => {
                    p.pos += 1;
                    return Ok(());
                }
                _ => return p.syntax("expected ',' or '}'"),
            }
        }
    }

    /// Like `read_object`, but hands over keys as bytes: keys without escapes are compared
    /// with the field names as they are (a key equal to a name is valid UTF-8), and only
    /// keys matching no field are validated.
    fn read_object_raw_keys<'a>(
        &self,
        p: &mut Parser<'a>,
        mut on_entry: impl FnMut(&mut Parser<'a>, &[u8]) -> Result<(), Fail>,
    ) -> Result<(), Fail> {
        p.pos += 1; // '{'
        if p.peek() == Some(b'}') {
            p.pos += 1;
            return Ok(());
        }
        loop {
            if p.peek() != Some(b'"') {
                return p.syntax("expected a field name");
            }
            let start = p.pos + 1;
            let mut i = start;
            let b = p.b;
            while i < b.len() && b[i] != b'"' && b[i] != b'\\' {
                i += 1;
            }
            if i < b.len() && b[i] == b'"' {
                p.pos = i + 1;
                p.expect(b':', "expected ':'")?;
                on_entry(p, &b[start..i])?;
            } else {
                let key = p.string()?;
                p.expect(b':', "expected ':'")?;
                on_entry(p, key.as_bytes())?;
            }
            match p.peek() {
                Some(b',') => p.pos += 1,
                Some(b'}') => {
                    p.pos += 1;
                    return Ok(());
                }
                _ => return p.syntax("expected ',' or '}'"),
            }
        }
    }

    /// Reads an object into a row of `fields` (by name; extra keys skipped; the last of
    /// repeated keys wins, as in Jackson's tree).
    fn read_row(
        &self,
        p: &mut Parser<'_>,
        fields: &[RowField],
        prefix: &Path<'_>,
        depth: u32,
    ) -> Result<Row, Fail> {
        let n = fields.len();
        // Values start as null; `seen` tracks which fields the object had (bits for the
        // common case of at most 64 fields, so no extra allocation).
        let mut values: Vec<Value> = Vec::with_capacity(n);
        values.resize_with(n, || Value::Null);
        let mut seen_bits = 0u64;
        let mut seen_vec: Vec<bool> = if n > 64 { vec![false; n] } else { Vec::new() };
        let mut pending: Option<Fail> = None;
        // Fields usually arrive in schema order: try the next expected index first.
        let mut next = 0usize;
        let obj_start = p.pos;
        self.read_object_raw_keys(p, |p, key| {
            let idx = if next < n && fields[next].name.as_bytes() == key {
                Some(next)
            } else {
                fields.iter().position(|f| f.name.as_bytes() == key)
            };
            match idx {
                None => {
                    if let Err(e) = std::str::from_utf8(key) {
                        return Err(Fail::Syntax("invalid UTF-8", e.valid_up_to()));
                    }
                    p.skip(depth)
                }
                Some(i) => {
                    next = i + 1;
                    if n > 64 {
                        seen_vec[i] = true;
                    } else {
                        seen_bits |= 1 << i;
                    }
                    let column = Path {
                        parent: Some(prefix),
                        name: &fields[i].name,
                    };
                    match self.read_value(p, &fields[i].data_type, &column, depth) {
                        Ok(v) => values[i] = v,
                        Err(Fail::Field(_)) if self.opts.ignore_parse_errors => {
                            values[i] = Value::Null;
                            if !fields[i].data_type.nullable {
                                pending.get_or_insert(Fail::Syntax(
                                    "null value for a NOT NULL column",
                                    p.pos,
                                ));
                            }
                        }
                        Err(e @ Fail::Field(_)) => {
                            pending.get_or_insert(e);
                        }
                        Err(e) => return Err(e),
                    }
                    Ok(())
                }
            }
        })?;
        if let Some(e) = pending {
            return Err(match e {
                // A NOT NULL field nulled by ignore-parse-errors: the row cannot be built.
                Fail::Syntax(m, at) => Fail::Field(Box::new(FieldFail {
                    column: prefix.render(),
                    expected: String::new(),
                    text: String::new(),
                    offset: at,
                    reason: m.to_string(),
                })),
                e => e,
            });
        }
        let all_seen = if n > 64 {
            seen_vec.iter().all(|s| *s)
        } else {
            n == 64 && seen_bits == u64::MAX || n < 64 && seen_bits == (1u64 << n) - 1
        };
        if !all_seen {
            for (i, f) in fields.iter().enumerate() {
                let seen = if n > 64 {
                    seen_vec[i]
                } else {
                    seen_bits & (1 << i) != 0
                };
                if seen {
                    continue;
                }
                let column = Path {
                    parent: Some(prefix),
                    name: &f.name,
                }
                .render();
                if self.opts.fail_on_missing_field {
                    return Err(Fail::Field(Box::new(FieldFail {
                        column,
                        expected: f.data_type.to_string(),
                        text: String::new(),
                        offset: obj_start,
                        reason: format!("Could not find field with name '{}'.", f.name),
                    })));
                }
                if !f.data_type.nullable {
                    return Err(Fail::Field(Box::new(FieldFail {
                        column,
                        expected: f.data_type.to_string(),
                        text: String::new(),
                        offset: obj_start,
                        reason: "missing value for a NOT NULL column".into(),
                    })));
                }
            }
        }
        Ok(Row::new(values))
    }

    fn convert_scalar(
        &self,
        tok: &Tok<'_>,
        t: &DataType,
        column: &Path<'_>,
        at: usize,
    ) -> Result<Value, Fail> {
        use LogicalType as L;
        if let Tok::Null = tok {
            return Ok(Value::Null);
        }
        let big = self.big_decimal_floats;
        let bad = |reason: &str| -> Fail {
            // The text as sent (a number's literal, not Jackson's re-rendering of it).
            let text = match tok {
                Tok::Compound(raw) => Cow::Borrowed(*raw),
                Tok::Num(n, _) => Cow::Borrowed(num_str(n)),
                other => tok_text(other, big).unwrap_or_default(),
            };
            self.field_fail(column, t, &text, at, reason)
        };
        let v = match &t.kind {
            L::Char(_) | L::Varchar(_) => match tok {
                Tok::Str(s) => Value::String(s.to_string()),
                Tok::Compound(raw) => Value::String(compact_json(raw, big).map_err(bad)?),
                other => Value::String(
                    tok_text(other, big)
                        .ok_or_else(|| bad(EXPONENT_OUT_OF_RANGE))?
                        .into_owned(),
                ),
            },
            L::Boolean => match tok {
                Tok::Bool(b) => Value::Boolean(*b),
                Tok::Str(s) => Value::Boolean(
                    text::parse_boolean(s).ok_or_else(|| bad("not a boolean (true or false)"))?,
                ),
                _ => return Err(bad("not a boolean (true or false)")),
            },
            L::TinyInt => Value::TinyInt(
                self.small_int(tok, big)
                    .ok_or_else(|| bad("not a TINYINT number"))?,
            ),
            L::SmallInt => Value::SmallInt(
                self.small_int(tok, big)
                    .ok_or_else(|| bad("not a SMALLINT number"))?,
            ),
            L::Int => Value::Int(wide_int(tok, big).ok_or_else(|| bad("not an INT number"))?),
            L::BigInt => {
                Value::BigInt(wide_int(tok, big).ok_or_else(|| bad("not a BIGINT number"))?)
            }
            L::Float => Value::Float(match tok {
                // Parsed straight to f32: going through f64 could round twice.
                Tok::Num(n, _) => num_str(n)
                    .parse::<f32>()
                    .map_err(|_| bad("not a FLOAT number"))?,
                Tok::Str(s) => {
                    text::parse_java_float(s).ok_or_else(|| bad("not a FLOAT number"))?
                }
                _ => return Err(bad("not a FLOAT number")),
            }),
            L::Double => Value::Double(match tok {
                Tok::Num(n, _) => num_str(n)
                    .parse::<f64>()
                    .map_err(|_| bad("not a DOUBLE number"))?,
                Tok::Str(s) => {
                    text::parse_java_double(s).ok_or_else(|| bad("not a DOUBLE number"))?
                }
                _ => return Err(bad("not a DOUBLE number")),
            }),
            L::Decimal { precision, scale } => {
                let text: &str = match tok {
                    Tok::Num(n, _) => num_str(n),
                    Tok::Str(s) => s,
                    _ => return Err(bad("not a decimal number")),
                };
                match Decimal::parse_java(text, *precision, *scale) {
                    Ok(Some(d)) => Value::Decimal(d),
                    // Flink: too many digits for the precision reads as null.
                    Ok(None) => Value::Null,
                    Err(()) => return Err(bad("not a decimal number")),
                }
            }
            L::Date => match tok {
                Tok::Str(s) => Value::Date(text::days_from_date(
                    text::parse_iso_date(s).ok_or_else(|| bad("not a date (yyyy-MM-dd)"))?,
                )),
                _ => return Err(bad("not a date (yyyy-MM-dd)")),
            },
            L::Time(p) => match tok {
                Tok::Str(s) => {
                    let n = text::parse_sql_time(s)
                        .ok_or_else(|| bad("not a time (HH:mm:ss[.fff])"))?;
                    // D12: keep milliseconds (Flink keeps whole seconds only).
                    let secs = n / 1_000_000_000;
                    let frac = text::truncate_nanos((n % 1_000_000_000) as u32, (*p).min(3));
                    Value::Time(secs * 1_000_000_000 + frac as u64)
                }
                _ => return Err(bad("not a time (HH:mm:ss[.fff])")),
            },
            L::Timestamp(_) | L::TimestampLtz(_) => {
                let ltz = matches!(t.kind, L::TimestampLtz(_));
                let Tok::Str(s) = tok else {
                    return Err(bad("not a timestamp string"));
                };
                let parsed = match self.opts.timestamp_standard {
                    TimestampStandard::Sql => text::parse_sql_timestamp(s, ltz),
                    TimestampStandard::Iso8601 => text::parse_iso_timestamp(s, ltz),
                };
                let ts = parsed.ok_or_else(|| {
                    bad(match (self.opts.timestamp_standard, ltz) {
                        (TimestampStandard::Sql, false) => {
                            "not a timestamp (yyyy-MM-dd HH:mm:ss[.fffffffff])"
                        }
                        (TimestampStandard::Sql, true) => {
                            "not a timestamp (yyyy-MM-dd HH:mm:ss[.fffffffff]Z)"
                        }
                        (TimestampStandard::Iso8601, false) => {
                            "not a timestamp (yyyy-MM-ddTHH:mm[:ss[.fffffffff]])"
                        }
                        (TimestampStandard::Iso8601, true) => {
                            "not a timestamp (yyyy-MM-ddTHH:mm[:ss[.fffffffff]]Z)"
                        }
                    })
                })?;
                if ltz {
                    Value::TimestampLtz(DateTime::<Utc>::from_naive_utc_and_offset(ts, Utc))
                } else {
                    Value::Timestamp(ts)
                }
            }
            L::Binary(_) | L::Varbinary(_) => match tok {
                Tok::Str(s) => Value::Bytes(
                    text::parse_base64(s)
                        .ok_or_else(|| bad("Unable to deserialize byte array."))?,
                ),
                _ => return Err(bad("Unable to deserialize byte array.")),
            },
            L::Array(_) | L::Map(..) | L::Multiset(_) | L::Row(_) => {
                return Err(bad("unexpected scalar"))
            }
        };
        Ok(v)
    }

    fn small_int<T: TryFrom<i64>>(&self, tok: &Tok<'_>, big: bool) -> Option<T> {
        match tok {
            Tok::Num(..) | Tok::Str(_) => text::parse_java_int(&tok_text(tok, big)?),
            _ => None,
        }
    }

    fn decode_message(&self, bytes: &[u8]) -> Result<Option<Row>, FormatError> {
        let mut p = Parser { b: bytes, pos: 0 };
        let result = (|| -> Result<Option<Row>, Fail> {
            match p.peek() {
                // Empty message (Jackson MissingNode) → no row.
                None => return Ok(None),
                Some(b'{') => {}
                Some(b'n') => {
                    p.literal(b"null")?;
                    if p.peek().is_some() {
                        return p.syntax("unexpected content after the JSON document");
                    }
                    return Ok(None);
                }
                Some(_) => {
                    p.skip(0)?;
                    return p.syntax("the message is not a JSON object");
                }
            }
            let row = self.read_row(&mut p, &self.fields, &Path::ROOT, 0)?;
            if p.peek().is_some() {
                return p.syntax("unexpected content after the JSON document (one message holds exactly one row)");
            }
            Ok(Some(row))
        })();
        match result {
            Ok(r) => Ok(r),
            Err(Fail::Syntax(m, at)) => Err(FormatError::record("json", m, at, bytes)),
            Err(Fail::Field(f)) => Err(FormatError::Field {
                format: "json",
                column: f.column,
                expected: f.expected,
                text: f.text,
                offset: f.offset,
                reason: f.reason,
            }),
        }
    }
}

/// INT/BIGINT from a token: numbers that fit (floats truncated), else the trimmed text.
fn wide_int<T: TryFrom<i64>>(tok: &Tok<'_>, big: bool) -> Option<T> {
    match tok {
        Tok::Num(n, false) => text::parse_java_int_bytes(n),
        Tok::Num(n, true) => {
            let f: f64 = num_str(n).parse().ok()?;
            // Jackson's canConvertToInt/Long compares the untruncated value with the type's
            // range (so -2147483648.9 is no INT), then truncates.
            let fits = |x: f64| {
                x.is_finite()
                    && x >= i64::MIN as f64
                    && x <= i64::MAX as f64
                    && T::try_from(x as i64).is_ok()
            };
            if fits(f.floor()) && fits(f.ceil()) {
                T::try_from(f.trunc() as i64).ok()
            } else {
                text::parse_java_int(&tok_text(tok, big)?)
            }
        }
        Tok::Str(s) => text::parse_java_int(s),
        _ => None,
    }
}

impl Decoder for JsonCodec {
    fn decode(&self, bytes: &[u8]) -> Result<Option<Row>, FormatError> {
        match self.decode_message(bytes) {
            Err(_) if self.opts.ignore_parse_errors => Ok(None),
            other => other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::entries::KEY_PROBES;
    use super::super::options::JsonOptions;
    use super::*;

    fn codec(column_type: &str) -> JsonCodec {
        JsonCodec::new(
            JsonOptions::default(),
            &[RowField::new("m", DataType::parse(column_type).unwrap())],
        )
        .unwrap()
    }

    /// Decodes `message` into column `m` of `column_type`, asserting the key comparisons
    /// made stay within two per key.
    fn decode_bounded(column_type: &str, message: &str, keys: u64) -> Value {
        KEY_PROBES.with(|c| c.set(0));
        let row = codec(column_type)
            .decode(message.as_bytes())
            .unwrap()
            .unwrap();
        let probes = KEY_PROBES.with(|c| c.get());
        assert!(
            probes <= 2 * keys,
            "{column_type}: {probes} key comparisons for {keys} keys"
        );
        row.values.into_iter().next().unwrap()
    }

    /// Issue #15 (security review): each key of a MAP or MULTISET object was looked for in
    /// all the keys before it (here 1.25·10⁹ comparisons; a 1 MiB message held 5·10⁹). The
    /// work is now at most two comparisons per key, and a repeated key still keeps its
    /// first position and takes the last value.
    #[test]
    fn a_large_object_is_read_with_bounded_work_per_key() {
        let n = 50_000;
        let mut message = String::from("{\"m\":{");
        for i in 0..n {
            message.push_str(&format!("\"k{i}\":{i},"));
        }
        message.push_str("\"k1\":7}}");

        let Value::Map(entries) = decode_bounded("MAP<STRING, INT>", &message, n) else {
            panic!("not a map");
        };
        assert_eq!(entries.len() as u64, n);
        assert_eq!(entries[1], (Value::String("k1".into()), Value::Int(7)));
        assert_eq!(entries[2], (Value::String("k2".into()), Value::Int(2)));

        let Value::Multiset(entries) = decode_bounded("MULTISET<STRING>", &message, n) else {
            panic!("not a multiset");
        };
        assert_eq!(entries.len() as u64, n);
        assert_eq!(entries[1], (Value::String("k1".into()), 7));
        assert_eq!(entries[2], (Value::String("k2".into()), 2));
    }
}
