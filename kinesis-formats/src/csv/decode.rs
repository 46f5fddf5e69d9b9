//! Reading: one message into a row, as Jackson's `CsvParser` and Flink's
//! `CsvToRowDataConverters` do, refusing a second record instead of dropping it.

use std::borrow::Cow;

use chrono::{DateTime, Utc};

use crate::decimal::Decimal;
use crate::error::{shorten, FormatError};
use crate::format::Decoder;
use crate::text;
use crate::types::{DataType, LogicalType, RowField};
use crate::value::{Row, Value};

use super::CsvCodec;

/// Outcome of converting one field's text.
enum FieldError {
    Bad(&'static str),
    /// A nested ROW with fewer parts than fields (Flink's `validateArity`).
    Arity {
        expected: usize,
        actual: usize,
    },
    /// A bad ARRAY element or nested ROW field.
    Element(Box<ElementError>),
}

struct ElementError {
    /// `[i]` for an array element, `.name` for a nested field.
    path: String,
    expected: String,
    text: String,
    /// Address of the element text, to find its byte offset when it is a slice of the
    /// message (it is not when quotes or escapes were removed).
    addr: usize,
    reason: &'static str,
}

impl FieldError {
    fn reason(&self) -> Cow<'static, str> {
        match self {
            FieldError::Bad(r) => Cow::Borrowed(r),
            FieldError::Arity { expected, actual } => Cow::Owned(format!(
                "Row length mismatch. {expected} fields expected but was {actual}."
            )),
            FieldError::Element(e) => Cow::Borrowed(e.reason),
        }
    }
}

fn element_error(path: String, t: &DataType, part: &str, e: FieldError) -> FieldError {
    match e {
        FieldError::Bad(reason) => FieldError::Element(Box::new(ElementError {
            path,
            expected: t.to_string(),
            text: shorten(part, 100),
            addr: part.as_ptr() as usize,
            reason,
        })),
        other => other,
    }
}

struct Scanner<'a> {
    s: &'a str,
    pos: usize,
}

impl CsvCodec {
    fn record_error(&self, msg: impl Into<String>, offset: usize, bytes: &[u8]) -> FormatError {
        FormatError::record("csv", msg, offset, bytes)
    }

    /// Reads one field starting at `sc.pos`. Returns the text, whether more fields follow
    /// (a delimiter was consumed), and whether it was quoted.
    fn next_field<'a>(
        &self,
        sc: &mut Scanner<'a>,
        bytes: &[u8],
    ) -> Result<(Cow<'a, str>, bool), FormatError> {
        let b = sc.s.as_bytes();
        let start = sc.pos;
        let d0 = self.delim[0];
        if let Some(q) = &self.quote {
            if b.get(start) == Some(&q[0]) && b[start..].starts_with(q) {
                return self.quoted_field(sc, bytes);
            }
        }
        let mut i = start;
        let mut owned: Option<String> = None;
        let mut seg = start;
        loop {
            while i < b.len() && !self.field_stop[usize::from(b[i])] {
                i += 1;
            }
            if i >= b.len() {
                break;
            }
            let c = b[i];
            if c == d0 && (self.delim.len() == 1 || b[i..].starts_with(&self.delim)) {
                break;
            }
            if c == b'\n' || c == b'\r' {
                break;
            }
            if let Some(e) = &self.escape {
                if c == e[0] && b[i..].starts_with(e) {
                    let o = owned.get_or_insert_with(String::new);
                    o.push_str(&sc.s[seg..i]);
                    i += e.len();
                    i = self.unescape_one(sc.s, i, o);
                    seg = i;
                    continue;
                }
            }
            i += 1;
        }
        let text = match owned {
            None => Cow::Borrowed(&sc.s[start..i]),
            Some(mut o) => {
                o.push_str(&sc.s[seg..i]);
                Cow::Owned(o)
            }
        };
        let more =
            i < b.len() && b[i] == d0 && (self.delim.len() == 1 || b[i..].starts_with(&self.delim));
        sc.pos = if more { i + self.delim.len() } else { i };
        Ok((text, more))
    }

    /// Jackson's `_unescape`: `\0`, `\n`, `\r`, `\t` are control characters, any other
    /// escaped char stands for itself. Returns the index after the escaped char.
    fn unescape_one(&self, s: &str, i: usize, out: &mut String) -> usize {
        match s[i..].chars().next() {
            None => {
                // A trailing escape char stands for itself.
                out.push(self.opts.escape_character.unwrap_or('\\'));
                i
            }
            Some(c) => {
                out.push(match c {
                    '0' => '\0',
                    'n' => '\n',
                    'r' => '\r',
                    't' => '\t',
                    other => other,
                });
                i + c.len_utf8()
            }
        }
    }

    fn quoted_field<'a>(
        &self,
        sc: &mut Scanner<'a>,
        bytes: &[u8],
    ) -> Result<(Cow<'a, str>, bool), FormatError> {
        let q = self.quote.as_deref().unwrap_or(b"\"");
        let b = sc.s.as_bytes();
        let open = sc.pos;
        let mut i = open + q.len();
        let mut seg = i;
        let mut owned: Option<String> = None;
        loop {
            if i >= b.len() {
                return Err(self.record_error("Missing closing quote for value", open, bytes));
            }
            let c = b[i];
            if c == q[0] && b[i..].starts_with(q) {
                if b[i + q.len()..].starts_with(q) {
                    let o = owned.get_or_insert_with(String::new);
                    o.push_str(&sc.s[seg..i + q.len()]);
                    i += 2 * q.len();
                    seg = i;
                    continue;
                }
                break;
            }
            if let Some(e) = &self.escape {
                if c == e[0] && b[i..].starts_with(e) {
                    let o = owned.get_or_insert_with(String::new);
                    o.push_str(&sc.s[seg..i]);
                    i = self.unescape_one(sc.s, i + e.len(), o);
                    seg = i;
                    continue;
                }
            }
            i += 1;
        }
        let text = match owned {
            None => Cow::Borrowed(&sc.s[seg..i]),
            Some(mut o) => {
                o.push_str(&sc.s[seg..i]);
                Cow::Owned(o)
            }
        };
        let after = i + q.len();
        if after >= b.len() || b[after] == b'\n' || b[after] == b'\r' {
            sc.pos = after;
            return Ok((text, false));
        }
        if b[after..].starts_with(&self.delim) {
            sc.pos = after + self.delim.len();
            return Ok((text, true));
        }
        Err(self.record_error(
            format!(
                "Expected column separator character '{}' or end-of-line after a quoted value",
                self.opts.field_delimiter.escape_debug()
            ),
            after,
            bytes,
        ))
    }

    /// Converts one simple (non-nested) field text.
    fn convert_simple(&self, t: &DataType, s: &str) -> Result<Value, FieldError> {
        use LogicalType as L;
        let bad = FieldError::Bad;
        Ok(match &t.kind {
            L::Char(_) | L::Varchar(_) => Value::String(s.to_string()),
            L::Boolean => {
                Value::Boolean(text::parse_boolean(s).ok_or(bad("not a boolean (true or false)"))?)
            }
            L::TinyInt => {
                Value::TinyInt(text::parse_java_int(s).ok_or(bad("not a TINYINT number"))?)
            }
            L::SmallInt => {
                Value::SmallInt(text::parse_java_int(s).ok_or(bad("not a SMALLINT number"))?)
            }
            L::Int => Value::Int(text::parse_java_int(s).ok_or(bad("not an INT number"))?),
            L::BigInt => Value::BigInt(text::parse_java_int(s).ok_or(bad("not a BIGINT number"))?),
            L::Float => Value::Float(text::parse_java_float(s).ok_or(bad("not a FLOAT number"))?),
            L::Double => {
                Value::Double(text::parse_java_double(s).ok_or(bad("not a DOUBLE number"))?)
            }
            L::Decimal { precision, scale } => match Decimal::parse_java(s, *precision, *scale) {
                Ok(Some(d)) => Value::Decimal(d),
                // Flink: a value that needs more digits than the precision becomes null.
                Ok(None) => Value::Null,
                Err(()) => return Err(bad("not a decimal number")),
            },
            L::Date => Value::Date(text::days_from_date(
                text::parse_sql_date_lenient(s).ok_or(bad("not a date (yyyy-[m]m-[d]d)"))?,
            )),
            L::Time(p) => {
                let n = text::parse_iso_time(s).ok_or(bad("not a time (HH:mm[:ss[.fff]])"))?;
                let secs = n / 1_000_000_000;
                Value::Time(
                    secs * 1_000_000_000
                        + text::truncate_nanos((n % 1_000_000_000) as u32, *p) as u64,
                )
            }
            L::Timestamp(_) => Value::Timestamp(
                text::parse_sql_timestamp(text::java_trim(s), false)
                    .ok_or(bad("not a timestamp (yyyy-MM-dd HH:mm:ss[.fffffffff])"))?,
            ),
            L::TimestampLtz(_) => Value::TimestampLtz(DateTime::<Utc>::from_naive_utc_and_offset(
                text::parse_sql_timestamp(text::java_trim(s), true).ok_or(bad(
                    "not a timestamp with local time zone (yyyy-MM-dd HH:mm:ss[.fffffffff]Z)",
                ))?,
                Utc,
            )),
            L::Binary(_) | L::Varbinary(_) => {
                Value::Bytes(text::parse_base64(s).ok_or(bad("not Base64"))?)
            }
            L::Array(_) | L::Row(_) | L::Map(..) | L::Multiset(_) => {
                return Err(bad("nested type at the second level"))
            }
        })
    }

    fn convert_field(&self, t: &DataType, s: &str) -> Result<Value, FieldError> {
        match &t.kind {
            LogicalType::Array(et) => {
                // Jackson emits no elements for an empty or blank array text.
                if s.trim_matches(|c: char| c <= ' ').is_empty() {
                    return Ok(Value::Array(Vec::new()));
                }
                let mut items = Vec::new();
                for (i, part) in s.split(self.array_delim.as_str()).enumerate() {
                    items.push(
                        self.convert_element(et, part)
                            .map_err(|e| element_error(format!("[{i}]"), et, part, e))?,
                    );
                }
                Ok(Value::Array(items))
            }
            LogicalType::Row(fields) => {
                // Flink: no parts (empty or blank text) → a null ROW; fewer parts than fields
                // → "Row length mismatch" (missing fields null under ignore-parse-errors);
                // extra parts are ignored.
                if s.trim_matches(|c: char| c <= ' ').is_empty() {
                    return Ok(Value::Null);
                }
                let parts = s.split(self.array_delim.as_str()).count();
                if parts < fields.len() && !self.opts.ignore_parse_errors {
                    return Err(FieldError::Arity {
                        expected: fields.len(),
                        actual: parts,
                    });
                }
                let mut split = s.split(self.array_delim.as_str());
                let mut values = Vec::with_capacity(fields.len());
                for f in fields {
                    match split.next() {
                        Some(part) => {
                            values.push(self.convert_element(&f.data_type, part).map_err(|e| {
                                element_error(format!(".{}", f.name), &f.data_type, part, e)
                            })?)
                        }
                        None => values.push(Value::Null),
                    }
                }
                Ok(Value::Row(Row::new(values)))
            }
            _ => {
                // An empty field is "" for strings and no bytes for binary columns (Base64 of
                // nothing); for any other type it is not a value.
                if s.is_empty() && !t.is_character_string() && !is_binary(t) {
                    return Err(FieldError::Bad("empty field"));
                }
                self.convert_simple(t, s)
            }
        }
    }

    fn convert_element(&self, t: &DataType, s: &str) -> Result<Value, FieldError> {
        if self.opts.null_literal.as_deref() == Some(s) {
            return Ok(Value::Null);
        }
        if s.is_empty() && !t.is_character_string() {
            return Err(FieldError::Bad("empty element"));
        }
        self.convert_simple(t, s)
    }

    fn decode_record(&self, bytes: &[u8]) -> Result<Option<Row>, FormatError> {
        let s = std::str::from_utf8(bytes).map_err(|e| {
            self.record_error("the message is not valid UTF-8", e.valid_up_to(), bytes)
        })?;
        let b = s.as_bytes();
        let mut sc = Scanner { s, pos: 0 };
        // Comment lines (and nothing else) before the record.
        loop {
            if sc.pos >= b.len() {
                return Ok(None);
            }
            if self.opts.allow_comments && b[sc.pos] == b'#' {
                sc.pos = skip_line(b, sc.pos);
                continue;
            }
            if b[sc.pos] == b'\n' || b[sc.pos] == b'\r' {
                sc.pos += 1;
                continue;
            }
            break;
        }
        let n = self.fields.len();
        let mut values = Vec::with_capacity(n);
        let mut drop_row = false;
        loop {
            let field_start = sc.pos;
            let (text, more) = self.next_field(&mut sc, bytes)?;
            let idx = values.len();
            if idx >= n {
                return Err(self.record_error(
                    format!(
                        "Too many entries: expected at most {n} (value #{idx} ({} chars) \"{}\")",
                        text.chars().count(),
                        shorten(&text, 100)
                    ),
                    field_start,
                    bytes,
                ));
            }
            let f = &self.fields[idx];
            // The null literal matches the decoded text, or the raw unquoted field (so a
            // literal such as \N still works with an escape character configured).
            let raw = &s[field_start..sc.pos - if more { self.delim.len() } else { 0 }];
            let v = if self
                .opts
                .null_literal
                .as_deref()
                .is_some_and(|l| l == &*text || l == raw)
            {
                Value::Null
            } else if f.data_type.is_character_string() {
                // Move the text (it is owned when quotes or escapes were removed).
                Value::String(text.into_owned())
            } else {
                match self.convert_field(&f.data_type, &text) {
                    Ok(v) => v,
                    Err(_) if self.opts.ignore_parse_errors => Value::Null,
                    Err(FieldError::Element(e)) => {
                        // The element's own offset when its text is a slice of the message,
                        // else the field's.
                        let base = s.as_ptr() as usize;
                        let offset = if (base..base + s.len()).contains(&e.addr) {
                            e.addr - base
                        } else {
                            field_start
                        };
                        return Err(FormatError::Field {
                            format: "csv",
                            column: format!("{}{}", f.name, e.path),
                            expected: e.expected,
                            text: e.text,
                            offset,
                            reason: e.reason.to_string(),
                        });
                    }
                    Err(e) => {
                        return Err(self.field_error(f, &text, field_start, &e.reason()));
                    }
                }
            };
            if v.is_null() && !f.data_type.nullable {
                if self.opts.ignore_parse_errors {
                    drop_row = true;
                } else {
                    return Err(self.field_error(
                        f,
                        raw,
                        field_start,
                        "null value for a NOT NULL column",
                    ));
                }
            }
            values.push(v);
            if !more {
                break;
            }
        }
        // The record ends at a line break or the end; only blank lines (and comments when
        // allowed) may follow. Jackson would silently ignore further records; we refuse
        // to drop data without a word.
        let mut p = sc.pos;
        while p < b.len() {
            match b[p] {
                b'\n' | b'\r' => p += 1,
                b'#' if self.opts.allow_comments => p = skip_line(b, p),
                _ => {
                    return Err(self.record_error(
                        "more than one record in the message (one message holds exactly one row)",
                        p,
                        bytes,
                    ))
                }
            }
        }
        if values.len() < n {
            if !self.opts.ignore_parse_errors {
                return Err(self.record_error(
                    format!(
                        "Row length mismatch. {n} fields expected but was {}.",
                        values.len()
                    ),
                    sc.pos,
                    bytes,
                ));
            }
            for f in &self.fields[values.len()..] {
                if !f.data_type.nullable {
                    drop_row = true;
                }
                values.push(Value::Null);
            }
        }
        if drop_row {
            return Ok(None);
        }
        Ok(Some(Row::new(values)))
    }

    fn field_error(&self, f: &RowField, text: &str, offset: usize, reason: &str) -> FormatError {
        FormatError::Field {
            format: "csv",
            column: f.name.clone(),
            expected: f.data_type.to_string(),
            text: shorten(text, 100),
            offset,
            reason: reason.to_string(),
        }
    }
}

fn is_binary(t: &DataType) -> bool {
    matches!(t.kind, LogicalType::Binary(_) | LogicalType::Varbinary(_))
}

fn skip_line(b: &[u8], mut p: usize) -> usize {
    while p < b.len() && b[p] != b'\n' && b[p] != b'\r' {
        p += 1;
    }
    p
}

impl Decoder for CsvCodec {
    fn decode(&self, bytes: &[u8]) -> Result<Option<Row>, FormatError> {
        match self.decode_record(bytes) {
            Err(FormatError::Record { .. }) if self.opts.ignore_parse_errors => Ok(None),
            other => other,
        }
    }
}
