//! The `csv` format: Flink's `csv` options (reference §10.2), value mapping (§10.3) and
//! Jackson's quoting rules on write (§10.4), with decisions D12 applied.
//!
//! One message is one record without a line terminator. The reader is a small scanner over
//! the message bytes: fields are borrowed slices unless quotes or escapes must be removed.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::error::{shorten, FormatError};
use crate::format::{bool_option, format_options, Decoder, Encoder, Format, FormatOptionKey};
use crate::text;
use crate::types::{DataType, LogicalType, RowField};
use crate::value::{Decimal, Row, Value};

/// Keys of the csv format (Flink 1.16/1.17).
pub const OPTION_KEYS: &[FormatOptionKey] = &[
    FormatOptionKey {
        key: "csv.field-delimiter",
        default: Some(","),
        description: "Field delimiter, a single character; Java escapes such as '\\t' are unescaped first.",
    },
    FormatOptionKey {
        key: "csv.disable-quote-character",
        default: Some("false"),
        description: "Disable quoting on read and write; cannot be combined with csv.quote-character.",
    },
    FormatOptionKey {
        key: "csv.quote-character",
        default: Some("\""),
        description: "Quote character enclosing field values.",
    },
    FormatOptionKey {
        key: "csv.allow-comments",
        default: Some("false"),
        description: "Skip lines starting with '#' on read.",
    },
    FormatOptionKey {
        key: "csv.ignore-parse-errors",
        default: Some("false"),
        description: "On read, a bad field becomes null and an unparsable record is skipped instead of failing.",
    },
    FormatOptionKey {
        key: "csv.array-element-delimiter",
        default: Some(";"),
        description: "Separates ARRAY elements and nested ROW fields.",
    },
    FormatOptionKey {
        key: "csv.escape-character",
        default: None,
        description: "Escape character (read and write); none by default.",
    },
    FormatOptionKey {
        key: "csv.null-literal",
        default: None,
        description: "Text read as null and written for nulls; by default nulls are written as empty fields.",
    },
    FormatOptionKey {
        key: "csv.write-bigdecimal-in-scientific-notation",
        default: None,
        description: "Unset (kinesis-rs, D12): DECIMAL is written plainly at its declared scale (100.00). \
                      true: Flink's BigDecimal.toString after stripping zeros (1E+2); false: plain after stripping zeros (100).",
    },
];

/// The parsed csv options.
#[derive(Debug, Clone, PartialEq)]
pub struct CsvOptions {
    pub field_delimiter: char,
    /// `None` when `csv.disable-quote-character` is true.
    pub quote_character: Option<char>,
    pub allow_comments: bool,
    pub ignore_parse_errors: bool,
    pub array_element_delimiter: char,
    pub escape_character: Option<char>,
    pub null_literal: Option<String>,
    /// `None` = option not set (D12 plain at declared scale).
    pub write_bigdecimal_in_scientific_notation: Option<bool>,
}

impl Default for CsvOptions {
    fn default() -> Self {
        CsvOptions {
            field_delimiter: ',',
            quote_character: Some('"'),
            allow_comments: false,
            ignore_parse_errors: false,
            array_element_delimiter: ';',
            escape_character: None,
            null_literal: None,
            write_bigdecimal_in_scientific_notation: None,
        }
    }
}

/// Java's `StringEscapeUtils.unescapeJava` for the field delimiter (`\t`, `\n`, `\\`,
/// `\uXXXX`, octal escapes, ...).
fn unescape_java(s: &str) -> String {
    let mut out = String::new();
    let mut it = s.chars().peekable();
    while let Some(c) = it.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match it.next() {
            None => out.push('\\'),
            Some('t') => out.push('\t'),
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some('b') => out.push('\u{8}'),
            Some('f') => out.push('\u{c}'),
            Some('u') => {
                while it.peek() == Some(&'u') {
                    it.next();
                }
                let hex: String = it.by_ref().take(4).collect();
                match u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32) {
                    Some(ch) if hex.len() == 4 => out.push(ch),
                    _ => {
                        out.push_str("\\u");
                        out.push_str(&hex);
                    }
                }
            }
            Some(d @ '0'..='7') => {
                let mut v = d.to_digit(8).unwrap_or(0);
                let max = if d <= '3' { 2 } else { 1 };
                for _ in 0..max {
                    match it.peek().and_then(|c| c.to_digit(8)) {
                        Some(x) => {
                            v = v * 8 + x;
                            it.next();
                        }
                        None => break,
                    }
                }
                out.push(char::from_u32(v).unwrap_or('\0'));
            }
            Some(other) => out.push(other),
        }
    }
    out
}

fn single_char(key: &'static str, raw: &str, value: &str) -> Result<char, FormatError> {
    let mut it = value.chars();
    match (it.next(), it.next()) {
        (Some(c), None) => Ok(c),
        _ => Err(FormatError::invalid_option(
            key,
            format!("Option '{key}' must be a string with single character, but was: {raw}"),
        )),
    }
}

impl CsvOptions {
    /// Reads and validates the `csv.*` keys of a table option map (Flink's checks, in Flink's
    /// order).
    ///
    /// ```
    /// use std::collections::BTreeMap;
    /// use kinesis_formats::csv::CsvOptions;
    /// let mut o = BTreeMap::new();
    /// o.insert("csv.field-delimiter".to_string(), "\\t".to_string());
    /// assert_eq!(CsvOptions::from_options(&o).unwrap().field_delimiter, '\t');
    /// o.insert("csv.quote-character".to_string(), "abc".to_string());
    /// assert_eq!(CsvOptions::from_options(&o).unwrap_err().to_string(),
    ///     "Option 'csv.quote-character' must be a string with single character, but was: abc");
    /// ```
    pub fn from_options(options: &BTreeMap<String, String>) -> Result<CsvOptions, FormatError> {
        let found = format_options("csv", options, OPTION_KEYS)?;
        let disable_quote = bool_option(&found, "csv.disable-quote-character")?;
        if disable_quote == Some(true) && found.contains_key("csv.quote-character") {
            return Err(FormatError::invalid_option(
                "csv.disable-quote-character",
                "Format cannot define a quote character and disabled quote character at the same time.",
            ));
        }
        let mut o = CsvOptions::default();
        if let Some(raw) = found.get("csv.field-delimiter") {
            o.field_delimiter = single_char("csv.field-delimiter", raw, &unescape_java(raw))?;
        }
        if let Some(raw) = found.get("csv.array-element-delimiter") {
            o.array_element_delimiter = single_char("csv.array-element-delimiter", raw, raw)?;
        }
        if let Some(raw) = found.get("csv.quote-character") {
            o.quote_character = Some(single_char("csv.quote-character", raw, raw)?);
        }
        if let Some(raw) = found.get("csv.escape-character") {
            o.escape_character = Some(single_char("csv.escape-character", raw, raw)?);
        }
        if disable_quote == Some(true) {
            o.quote_character = None;
        }
        o.allow_comments = bool_option(&found, "csv.allow-comments")?.unwrap_or(false);
        o.ignore_parse_errors = bool_option(&found, "csv.ignore-parse-errors")?.unwrap_or(false);
        o.null_literal = found.get("csv.null-literal").map(|s| s.to_string());
        o.write_bigdecimal_in_scientific_notation =
            bool_option(&found, "csv.write-bigdecimal-in-scientific-notation")?;
        Ok(o)
    }
}

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
pub fn from_options(
    options: &BTreeMap<String, String>,
    row_type: &[RowField],
) -> Result<Format, FormatError> {
    let opts = CsvOptions::from_options(options)?;
    let codec = Arc::new(CsvCodec::new(opts, row_type)?);
    Ok(Format::new("csv", codec.clone(), codec))
}

/// Encoder and decoder of the csv format for one row type.
#[derive(Debug, Clone)]
pub struct CsvCodec {
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
}

impl CsvCodec {
    /// A codec for `row_type` with validated options.
    ///
    /// ```
    /// use kinesis_formats::csv::{CsvCodec, CsvOptions};
    /// use kinesis_formats::{DataType, Decoder, RowField, Value};
    /// let codec = CsvCodec::new(CsvOptions::default(),
    ///     &[RowField::new("tags", DataType::parse("ARRAY<INT>").unwrap())]).unwrap();
    /// let row = codec.decode(b"1;2;3").unwrap().unwrap();
    /// assert_eq!(row.values[0], Value::Array(vec![Value::Int(1), Value::Int(2), Value::Int(3)]));
    /// ```
    pub fn new(opts: CsvOptions, row_type: &[RowField]) -> Result<CsvCodec, FormatError> {
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
        Ok(CsvCodec {
            timestamp_quote,
            delim: enc(opts.field_delimiter),
            quote: opts.quote_character.map(enc),
            escape: opts.escape_character.map(enc),
            array_delim: opts.array_element_delimiter.to_string(),
            min_safe,
            fields: row_type.to_vec(),
            opts,
        })
    }

    /// The options in force.
    pub fn options(&self) -> &CsvOptions {
        &self.opts
    }
}

// ---------------------------------------------------------------------------------------
// Reading

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
            if b[start..].starts_with(q) {
                return self.quoted_field(sc, bytes);
            }
        }
        let mut i = start;
        let mut owned: Option<String> = None;
        let mut seg = start;
        loop {
            if i >= b.len() {
                break;
            }
            let c = b[i];
            if c == d0 && b[i..].starts_with(&self.delim) {
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
        let more = i < b.len() && b[i] == d0 && b[i..].starts_with(&self.delim);
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

// ---------------------------------------------------------------------------------------
// Writing

fn encode_err(f: &RowField, message: impl Into<String>) -> FormatError {
    FormatError::Encode {
        column: f.name.clone(),
        message: message.into(),
    }
}

/// Integer value of any integer variant.
pub(crate) fn as_i64(v: &Value) -> Option<i64> {
    match v {
        Value::TinyInt(x) => Some(*x as i64),
        Value::SmallInt(x) => Some(*x as i64),
        Value::Int(x) => Some(*x as i64),
        Value::BigInt(x) => Some(*x),
        _ => None,
    }
}

/// Writes an integer of a column type, range-checked.
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
    text::write_i64(out, x);
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
        (L::Float, Value::Float(f)) => text::write_java_float(out, *f),
        (L::Double, Value::Double(f)) => text::write_java_double(out, *f),
        (L::Double, Value::Float(f)) => text::write_java_double(out, *f as f64),
        (L::Decimal { precision, scale }, Value::Decimal(d)) => {
            write_decimal(out, d, *precision, *scale, decimal_option)?
        }
        (L::Date, Value::Date(d)) => text::write_date(
            out,
            text::date_from_days(*d).ok_or_else(|| format!("date {d} out of range"))?,
        ),
        (L::Time(_), Value::Time(n)) => {
            if *n >= text::NANOS_PER_DAY {
                return Err(format!("time {n} ns is not within a day"));
            }
            // Flink keeps TIME as milliseconds of the day.
            let n = if time_millis { n - n % 1_000_000 } else { *n };
            text::write_time_nanos(out, n)
        }
        (L::Timestamp(_), Value::Timestamp(ts)) => text::write_timestamp(out, ts, b' ', false),
        (L::TimestampLtz(_), Value::TimestampLtz(ts)) => {
            text::write_timestamp(out, &ts.naive_utc(), b' ', true)
        }
        (L::Binary(_) | L::Varbinary(_), Value::Bytes(b)) => text::write_base64(out, b),
        _ => return Err(mismatch()),
    }
    Ok(())
}

impl CsvCodec {
    fn write_null(&self, out: &mut Vec<u8>) {
        if let Some(l) = &self.opts.null_literal {
            out.extend_from_slice(l.as_bytes());
        }
    }

    /// Quotes `out[start..]` in place when Jackson would (§10.4).
    fn quote_if_needed(&self, out: &mut Vec<u8>, start: usize) {
        let Some(q) = &self.quote else {
            self.escape_unquoted(out, start);
            return;
        };
        let text = &out[start..];
        if text.is_empty() {
            return;
        }
        let esc = self.escape.as_deref();
        let mut must = false;
        let mut utf16_len = 0usize;
        let mut extra = 0usize;
        let mut i = 0;
        if q.len() == 1 && esc.is_none_or(|e| e.len() == 1) && self.min_safe <= 0x80 {
            // Fast path for ASCII quote/escape/delimiter: one pass of plain byte compares.
            // 0xFF never occurs in UTF-8, so it stands for "no escape char".
            let (qc, ec) = (q[0], esc.map_or(0xFF, |e| e[0]));
            let min_safe = self.min_safe as u8;
            for &c in text {
                must |= c < min_safe || c == ec;
                extra += (c == qc) as usize + (c == ec) as usize;
                utf16_len += (c & 0xC0 != 0x80) as usize + (c >= 0xF0) as usize;
            }
            i = text.len();
        }
        while i < text.len() {
            let c = text[i];
            // UTF-16 length: 4-byte sequences are surrogate pairs.
            if c & 0xC0 != 0x80 {
                utf16_len += if c >= 0xF0 { 2 } else { 1 };
            }
            if (c as u32) < self.min_safe && c < 0x80 {
                must = true;
            }
            if c >= 0x80 && self.min_safe > 0x80 && c & 0xC0 != 0x80 {
                // A non-ASCII char below a non-ASCII delimiter/quote code.
                let ch = std::str::from_utf8(&text[i..])
                    .ok()
                    .and_then(|s| s.chars().next())
                    .or_else(|| String::from_utf8_lossy(&text[i..]).chars().next());
                if let Some(ch) = ch {
                    if (ch as u32) < self.min_safe {
                        must = true;
                    }
                }
            }
            if text[i..].starts_with(q) {
                extra += q.len();
            }
            if let Some(e) = esc {
                if text[i..].starts_with(e) {
                    must = true;
                    extra += e.len();
                }
            }
            i += 1;
        }
        if !must && utf16_len <= 24 {
            return;
        }
        if q.len() == 1 && esc.is_none_or(|e| e.len() == 1 && e != q) {
            // Shift in place from the back: no allocation.
            let (qc, ec) = (q[0], esc.map(|e| e[0]));
            let old_len = out.len();
            out.resize(old_len + extra + 2, 0);
            let mut w = out.len() - 1;
            out[w] = qc;
            let mut r = old_len;
            while r > start {
                r -= 1;
                let c = out[r];
                w -= 1;
                out[w] = c;
                if c == qc || Some(c) == ec {
                    w -= 1;
                    out[w] = c;
                }
            }
            debug_assert_eq!(w - 1, start);
            out[w - 1] = qc;
            return;
        }
        // Rebuild the tail: quote, doubled quote/escape chars, quote.
        let tail: Vec<u8> = out.split_off(start);
        out.reserve(tail.len() + extra + 2 * q.len());
        out.extend_from_slice(q);
        let mut i = 0;
        while i < tail.len() {
            if tail[i..].starts_with(q) {
                out.extend_from_slice(q);
                out.extend_from_slice(q);
                i += q.len();
                continue;
            }
            if let Some(e) = esc {
                if tail[i..].starts_with(e) {
                    out.extend_from_slice(e);
                    out.extend_from_slice(e);
                    i += e.len();
                    continue;
                }
            }
            out.push(tail[i]);
            i += 1;
        }
        out.extend_from_slice(q);
    }

    /// Without quoting, a configured escape char protects delimiters, line breaks and
    /// itself so the reader gets the text back.
    fn escape_unquoted(&self, out: &mut Vec<u8>, start: usize) {
        let Some(e) = &self.escape else { return };
        let needs = out[start..].iter().enumerate().any(|(i, c)| {
            *c == b'\n'
                || *c == b'\r'
                || out[start + i..].starts_with(&self.delim)
                || out[start + i..].starts_with(e)
        });
        if !needs {
            return;
        }
        let tail: Vec<u8> = out.split_off(start);
        let mut i = 0;
        while i < tail.len() {
            let rest = &tail[i..];
            if rest[0] == b'\n' {
                out.extend_from_slice(e);
                out.push(b'n');
                i += 1;
            } else if rest[0] == b'\r' {
                out.extend_from_slice(e);
                out.push(b'r');
                i += 1;
            } else if rest.starts_with(&self.delim) {
                out.extend_from_slice(e);
                out.extend_from_slice(&self.delim);
                i += self.delim.len();
            } else if rest.starts_with(e) {
                out.extend_from_slice(e);
                out.extend_from_slice(e);
                i += e.len();
            } else {
                out.push(rest[0]);
                i += 1;
            }
        }
    }

    fn write_element(&self, out: &mut Vec<u8>, t: &DataType, v: &Value) -> Result<(), String> {
        if v.is_null() {
            self.write_null(out);
            return Ok(());
        }
        write_simple_text(
            out,
            t,
            v,
            self.opts.write_bigdecimal_in_scientific_notation,
            true,
        )
    }

    fn write_field(&self, out: &mut Vec<u8>, f: &RowField, v: &Value) -> Result<(), FormatError> {
        let t = &f.data_type;
        if v.is_null() {
            if !t.nullable {
                return Err(encode_err(f, "null value for a NOT NULL column"));
            }
            self.write_null(out);
            return Ok(());
        }
        use LogicalType as L;
        match (&t.kind, v) {
            // The numeric and boolean paths are never quoted.
            (
                L::Boolean | L::TinyInt | L::SmallInt | L::Int | L::BigInt | L::Float | L::Double,
                _,
            ) => write_simple_text(out, t, v, None, true).map_err(|m| encode_err(f, m)),
            (L::Timestamp(_), Value::Timestamp(ts)) if self.timestamp_quote.is_some() => {
                let q = self.timestamp_quote.unwrap_or(b'"');
                out.push(q);
                text::write_timestamp(out, ts, b' ', false);
                out.push(q);
                Ok(())
            }
            (L::TimestampLtz(_), Value::TimestampLtz(ts)) if self.timestamp_quote.is_some() => {
                let q = self.timestamp_quote.unwrap_or(b'"');
                out.push(q);
                text::write_timestamp(out, &ts.naive_utc(), b' ', true);
                out.push(q);
                Ok(())
            }
            (L::Array(et), Value::Array(items)) => {
                let start = out.len();
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.extend_from_slice(self.array_delim.as_bytes());
                    }
                    self.write_element(out, et, item)
                        .map_err(|m| encode_err(f, m))?;
                }
                self.quote_if_needed(out, start);
                Ok(())
            }
            (L::Row(fields), Value::Row(r)) => {
                if r.len() != fields.len() {
                    return Err(encode_err(
                        f,
                        format!("expected {} nested fields, got {}", fields.len(), r.len()),
                    ));
                }
                let start = out.len();
                for (i, (sf, item)) in fields.iter().zip(&r.values).enumerate() {
                    if i > 0 {
                        out.extend_from_slice(self.array_delim.as_bytes());
                    }
                    self.write_element(out, &sf.data_type, item)
                        .map_err(|m| encode_err(f, m))?;
                }
                self.quote_if_needed(out, start);
                Ok(())
            }
            _ => {
                let start = out.len();
                write_simple_text(
                    out,
                    t,
                    v,
                    self.opts.write_bigdecimal_in_scientific_notation,
                    true,
                )
                .map_err(|m| encode_err(f, m))?;
                self.quote_if_needed(out, start);
                Ok(())
            }
        }
    }
}

impl Encoder for CsvCodec {
    fn encode(&self, row: &Row, out: &mut Vec<u8>) -> Result<(), FormatError> {
        if row.len() != self.fields.len() {
            return Err(FormatError::Encode {
                column: String::new(),
                message: format!("expected {} values, got {}", self.fields.len(), row.len()),
            });
        }
        let start = out.len();
        for (i, (f, v)) in self.fields.iter().zip(&row.values).enumerate() {
            if i > 0 {
                out.extend_from_slice(&self.delim);
            }
            if let Err(e) = self.write_field(out, f, v) {
                out.truncate(start);
                return Err(e);
            }
        }
        Ok(())
    }
}
