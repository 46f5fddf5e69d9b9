//! The `json` format: Flink's `json` options (reference §10.6) and value mapping (§10.7),
//! with decisions D12 applied.
//!
//! Reading uses a small hand-written parser over the message bytes that converts values
//! straight into the column types (no intermediate tree); strings are borrowed unless they
//! contain escapes. Writing appends compact JSON to the caller's buffer.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::csv::{write_decimal, write_int};
use crate::error::{shorten, FormatError};
use crate::format::{bool_option, format_options, Decoder, Encoder, Format, FormatOptionKey};
use crate::text;
use crate::types::{DataType, LogicalType, RowField};
use crate::value::{Decimal, Row, Value};

/// Keys of the json format (Flink 1.15–1.17, plus `json.encode.ignore-null-fields` of 1.18).
pub const OPTION_KEYS: &[FormatOptionKey] = &[
    FormatOptionKey {
        key: "json.fail-on-missing-field",
        default: Some("false"),
        description: "Fail when a field is missing instead of reading null.",
    },
    FormatOptionKey {
        key: "json.ignore-parse-errors",
        default: Some("false"),
        description: "On read, a bad field becomes null and a malformed document is skipped instead of failing.",
    },
    FormatOptionKey {
        key: "json.timestamp-format.standard",
        default: Some("SQL"),
        description: "TIMESTAMP / TIMESTAMP_LTZ text form: SQL (yyyy-MM-dd HH:mm:ss.s{precision}) or ISO-8601 (yyyy-MM-ddTHH:mm:ss.s{precision}).",
    },
    FormatOptionKey {
        key: "json.map-null-key.mode",
        default: Some("FAIL"),
        description: "Writing a MAP entry with a null key: FAIL, DROP the entry, or write LITERAL (json.map-null-key.literal).",
    },
    FormatOptionKey {
        key: "json.map-null-key.literal",
        default: Some("null"),
        description: "Key text for null map keys in LITERAL mode.",
    },
    FormatOptionKey {
        key: "json.encode.decimal-as-plain-number",
        default: None,
        description: "Unset (kinesis-rs, D12): DECIMAL is written plainly at its declared scale (100.00). \
                      false: Flink's BigDecimal.toString after stripping zeros (1E+2); true: plain after stripping zeros (100).",
    },
    FormatOptionKey {
        key: "json.encode.ignore-null-fields",
        default: Some("false"),
        description: "Omit fields whose value is null when writing (Flink 1.18).",
    },
];

/// Text form of TIMESTAMP / TIMESTAMP_LTZ values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimestampStandard {
    /// `2020-12-30 12:13:14.1`
    Sql,
    /// `2020-12-30T12:13:14.1`
    Iso8601,
}

/// What to do with a null MAP key on write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MapNullKeyMode {
    Fail,
    Drop,
    Literal,
}

/// The parsed json options.
#[derive(Debug, Clone, PartialEq)]
pub struct JsonOptions {
    pub fail_on_missing_field: bool,
    pub ignore_parse_errors: bool,
    pub timestamp_standard: TimestampStandard,
    pub map_null_key_mode: MapNullKeyMode,
    pub map_null_key_literal: String,
    /// `None` = option not set (D12 plain at declared scale).
    pub decimal_as_plain_number: Option<bool>,
    pub ignore_null_fields: bool,
}

impl Default for JsonOptions {
    fn default() -> Self {
        JsonOptions {
            fail_on_missing_field: false,
            ignore_parse_errors: false,
            timestamp_standard: TimestampStandard::Sql,
            map_null_key_mode: MapNullKeyMode::Fail,
            map_null_key_literal: "null".to_string(),
            decimal_as_plain_number: None,
            ignore_null_fields: false,
        }
    }
}

impl JsonOptions {
    /// Reads and validates the `json.*` keys of a table option map with Flink's messages.
    ///
    /// ```
    /// use std::collections::BTreeMap;
    /// use kinesis_formats::json::{JsonOptions, TimestampStandard};
    /// let mut o = BTreeMap::new();
    /// o.insert("json.timestamp-format.standard".to_string(), "ISO-8601".to_string());
    /// assert_eq!(JsonOptions::from_options(&o).unwrap().timestamp_standard, TimestampStandard::Iso8601);
    /// o.insert("json.timestamp-format.standard".to_string(), "iso-8601".to_string());
    /// assert_eq!(JsonOptions::from_options(&o).unwrap_err().to_string(),
    ///     "Unsupported value 'iso-8601' for timestamp-format.standard. Supported values are [SQL, ISO-8601].");
    /// ```
    pub fn from_options(options: &BTreeMap<String, String>) -> Result<JsonOptions, FormatError> {
        let found = format_options("json", options, OPTION_KEYS)?;
        let mut o = JsonOptions {
            fail_on_missing_field: bool_option(&found, "json.fail-on-missing-field")?
                .unwrap_or(false),
            ignore_parse_errors: bool_option(&found, "json.ignore-parse-errors")?.unwrap_or(false),
            ..JsonOptions::default()
        };
        if o.fail_on_missing_field && o.ignore_parse_errors {
            return Err(FormatError::invalid_option(
                "json.ignore-parse-errors",
                "fail-on-missing-field and ignore-parse-errors shouldn't both be true.",
            ));
        }
        if let Some(v) = found.get("json.timestamp-format.standard") {
            o.timestamp_standard = match *v {
                "SQL" => TimestampStandard::Sql,
                "ISO-8601" => TimestampStandard::Iso8601,
                _ => {
                    return Err(FormatError::invalid_option(
                        "json.timestamp-format.standard",
                        format!("Unsupported value '{v}' for timestamp-format.standard. Supported values are [SQL, ISO-8601]."),
                    ))
                }
            };
        }
        if let Some(v) = found.get("json.map-null-key.mode") {
            o.map_null_key_mode = match v.to_ascii_uppercase().as_str() {
                "FAIL" => MapNullKeyMode::Fail,
                "DROP" => MapNullKeyMode::Drop,
                "LITERAL" => MapNullKeyMode::Literal,
                _ => {
                    return Err(FormatError::invalid_option(
                        "json.map-null-key.mode",
                        format!("Unsupported value '{v}' for option map-null-key.mode. Supported values are [LITERAL, FAIL, DROP]."),
                    ))
                }
            };
        }
        if let Some(v) = found.get("json.map-null-key.literal") {
            o.map_null_key_literal = v.to_string();
        }
        o.decimal_as_plain_number = bool_option(&found, "json.encode.decimal-as-plain-number")?;
        o.ignore_null_fields =
            bool_option(&found, "json.encode.ignore-null-fields")?.unwrap_or(false);
        Ok(o)
    }
}

/// Builds the json format (see [`crate::Format::from_options`]).
pub fn from_options(
    options: &BTreeMap<String, String>,
    row_type: &[RowField],
) -> Result<Format, FormatError> {
    let opts = JsonOptions::from_options(options)?;
    let codec = Arc::new(JsonCodec::new(opts, row_type)?);
    Ok(Format::new("json", codec.clone(), codec))
}

/// Encoder and decoder of the json format for one row type.
#[derive(Debug, Clone)]
pub struct JsonCodec {
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
    ///
    /// ```
    /// use kinesis_formats::json::{JsonCodec, JsonOptions};
    /// use kinesis_formats::{DataType, Decoder, Encoder, RowField, Value};
    /// let codec = JsonCodec::new(JsonOptions::default(),
    ///     &[RowField::new("m", DataType::parse("MAP<STRING, INT>").unwrap())]).unwrap();
    /// let row = codec.decode(br#"{"m":{"a":1,"b":null}}"#).unwrap().unwrap();
    /// let mut out = Vec::new();
    /// codec.encode(&row, &mut out).unwrap();
    /// assert_eq!(out, br#"{"m":{"a":1,"b":null}}"#);
    /// ```
    pub fn new(opts: JsonOptions, row_type: &[RowField]) -> Result<JsonCodec, FormatError> {
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

    /// The options in force.
    pub fn options(&self) -> &JsonOptions {
        &self.opts
    }
}

// ---------------------------------------------------------------------------------------
// Writing

/// Appends `s` as a JSON string the way Jackson escapes it (`"`, `\`, control chars; `/`
/// and non-ASCII are written as is).
///
/// ```
/// let mut out = Vec::new();
/// kinesis_formats::json::write_json_string(&mut out, "a\"b\u{1}/é");
/// assert_eq!(out, "\"a\\\"b\\u0001/é\"".as_bytes());
/// ```
pub fn write_json_string(out: &mut Vec<u8>, s: &str) {
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
                write_int(out, &t.kind, v).map_err(err)?
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
                write_decimal(out, d, *precision, *scale, opt).map_err(err)?
            }
            (L::Date | L::Binary(_) | L::Varbinary(_), _) => {
                out.push(b'"');
                crate::csv::write_simple_text(out, t, v, None, true).map_err(err)?;
                out.push(b'"');
            }
            (L::Time(_), Value::Time(_)) => {
                // D12: keep milliseconds (Flink drops the fraction).
                out.push(b'"');
                crate::csv::write_simple_text(out, t, v, None, true).map_err(err)?;
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

// ---------------------------------------------------------------------------------------
// Reading

/// A scalar JSON token, or the raw text of an object/array where a scalar was expected.
enum Tok<'a> {
    Null,
    Bool(bool),
    /// Number literal bytes (ASCII by the grammar); `true` when it has a fraction or
    /// exponent.
    Num(&'a [u8], bool),
    Str(Cow<'a, str>),
    /// A whole object or array, as raw text.
    Compound(&'a str),
}

/// Why a value could not be read.
enum Fail {
    /// Malformed JSON: the record is unusable.
    Syntax(&'static str, usize),
    /// A well-formed value that does not fit the column type (boxed: keeps
    /// `Result<Value, Fail>` small on the hot path).
    Field(Box<FieldFail>),
}

struct FieldFail {
    column: String,
    expected: String,
    text: String,
    offset: usize,
    reason: String,
}

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

struct Parser<'a> {
    b: &'a [u8],
    pos: usize,
}

impl<'a> Parser<'a> {
    /// The text of `b[from..to]`. Only string contents can hold non-ASCII bytes (anything
    /// else is a syntax error), so UTF-8 is validated per string instead of per message.
    #[inline]
    fn text(&self, from: usize, to: usize) -> Result<&'a str, Fail> {
        std::str::from_utf8(&self.b[from..to])
            .map_err(|e| Fail::Syntax("invalid UTF-8", from + e.valid_up_to()))
    }

    #[inline]
    fn ws(&mut self) {
        while self.pos < self.b.len() {
            match self.b[self.pos] {
                b' ' | b'\n' | b'\r' | b'\t' => self.pos += 1,
                _ => break,
            }
        }
    }

    #[inline]
    fn peek(&mut self) -> Option<u8> {
        self.ws();
        self.b.get(self.pos).copied()
    }

    fn syntax<T>(&self, m: &'static str) -> Result<T, Fail> {
        Err(Fail::Syntax(m, self.pos))
    }

    fn expect(&mut self, c: u8, m: &'static str) -> Result<(), Fail> {
        if self.peek() == Some(c) {
            self.pos += 1;
            Ok(())
        } else {
            self.syntax(m)
        }
    }

    fn literal(&mut self, word: &[u8]) -> Result<(), Fail> {
        if self.b[self.pos..].starts_with(word) {
            self.pos += word.len();
            Ok(())
        } else {
            self.syntax("unrecognized token")
        }
    }

    /// A string starting at the opening quote (`self.pos`). Raw control characters are
    /// accepted (Jackson's `ALLOW_UNESCAPED_CONTROL_CHARS`).
    fn string(&mut self) -> Result<Cow<'a, str>, Fail> {
        let start = self.pos + 1;
        let mut i = start;
        let b = self.b;
        while i < b.len() {
            let c = b[i];
            if c == b'"' {
                self.pos = i + 1;
                return Ok(Cow::Borrowed(self.text(start, i)?));
            }
            if c == b'\\' {
                return self.string_escaped(start, i);
            }
            i += 1;
        }
        self.pos = b.len();
        self.syntax("unexpected end of input in a string")
    }

    fn string_escaped(&mut self, start: usize, mut i: usize) -> Result<Cow<'a, str>, Fail> {
        let b = self.b;
        let mut out = String::with_capacity(i - start + 16);
        out.push_str(self.text(start, i)?);
        let mut seg = i;
        while i < b.len() {
            match b[i] {
                b'"' => {
                    out.push_str(self.text(seg, i)?);
                    self.pos = i + 1;
                    return Ok(Cow::Owned(out));
                }
                b'\\' => {
                    out.push_str(self.text(seg, i)?);
                    let Some(&e) = b.get(i + 1) else { break };
                    i += 2;
                    match e {
                        b'"' => out.push('"'),
                        b'\\' => out.push('\\'),
                        b'/' => out.push('/'),
                        b'b' => out.push('\u{8}'),
                        b'f' => out.push('\u{c}'),
                        b'n' => out.push('\n'),
                        b'r' => out.push('\r'),
                        b't' => out.push('\t'),
                        b'u' => {
                            let hi = self.hex4(i)?;
                            i += 4;
                            let c = if (0xD800..0xDC00).contains(&hi) {
                                if b.get(i) == Some(&b'\\') && b.get(i + 1) == Some(&b'u') {
                                    let lo = self.hex4(i + 2)?;
                                    if !(0xDC00..0xE000).contains(&lo) {
                                        self.pos = i;
                                        return self.syntax("invalid surrogate pair in \\u escape");
                                    }
                                    i += 6;
                                    char::from_u32(0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00))
                                } else {
                                    None
                                }
                            } else {
                                char::from_u32(hi)
                            };
                            match c {
                                Some(c) => out.push(c),
                                None => {
                                    self.pos = i;
                                    return self.syntax("lone surrogate in \\u escape");
                                }
                            }
                        }
                        _ => {
                            self.pos = i - 1;
                            return self.syntax("unrecognized character escape");
                        }
                    }
                    seg = i;
                }
                _ => i += 1,
            }
        }
        self.pos = b.len();
        self.syntax("unexpected end of input in a string")
    }

    fn hex4(&mut self, i: usize) -> Result<u32, Fail> {
        let h = self
            .b
            .get(i..i + 4)
            .and_then(|h| std::str::from_utf8(h).ok());
        match h.and_then(|h| u32::from_str_radix(h, 16).ok()) {
            Some(v) if h.is_some_and(|h| h.bytes().all(|c| c.is_ascii_hexdigit())) => Ok(v),
            _ => {
                self.pos = i;
                self.syntax("invalid \\u escape")
            }
        }
    }

    /// A number literal at `self.pos` (strict JSON grammar).
    fn number(&mut self) -> Result<(&'a [u8], bool), Fail> {
        let b = self.b;
        let start = self.pos;
        let mut i = start;
        if b.get(i) == Some(&b'-') {
            i += 1;
        }
        let int_start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == int_start {
            self.pos = i;
            return self.syntax("invalid number");
        }
        if b[int_start] == b'0' && i - int_start > 1 {
            self.pos = int_start;
            return self.syntax("leading zeroes are not allowed in numbers");
        }
        let mut float = false;
        if b.get(i) == Some(&b'.') {
            float = true;
            i += 1;
            let f = i;
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
            if f == i {
                self.pos = i;
                return self.syntax("decimal point must be followed by a digit");
            }
        }
        if matches!(b.get(i), Some(b'e' | b'E')) {
            float = true;
            i += 1;
            if matches!(b.get(i), Some(b'+' | b'-')) {
                i += 1;
            }
            let e = i;
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
            if e == i {
                self.pos = i;
                return self.syntax("exponent must have digits");
            }
        }
        self.pos = i;
        Ok((&self.b[start..i], float))
    }

    /// Skips one value of any kind (depth-limited).
    fn skip(&mut self, depth: u32) -> Result<(), Fail> {
        if depth > 512 {
            return self.syntax("nesting too deep");
        }
        match self.peek() {
            Some(b'{') => {
                self.pos += 1;
                if self.peek() == Some(b'}') {
                    self.pos += 1;
                    return Ok(());
                }
                loop {
                    if self.peek() != Some(b'"') {
                        return self.syntax("expected a field name");
                    }
                    self.string()?;
                    self.expect(b':', "expected ':'")?;
                    self.skip(depth + 1)?;
                    match self.peek() {
                        Some(b',') => self.pos += 1,
                        Some(b'}') => {
                            self.pos += 1;
                            return Ok(());
                        }
                        _ => return self.syntax("expected ',' or '}'"),
                    }
                }
            }
            Some(b'[') => {
                self.pos += 1;
                if self.peek() == Some(b']') {
                    self.pos += 1;
                    return Ok(());
                }
                loop {
                    self.skip(depth + 1)?;
                    match self.peek() {
                        Some(b',') => self.pos += 1,
                        Some(b']') => {
                            self.pos += 1;
                            return Ok(());
                        }
                        _ => return self.syntax("expected ',' or ']'"),
                    }
                }
            }
            _ => self.scalar().map(|_| ()),
        }
    }

    /// The next scalar token; objects and arrays come back as raw text.
    fn scalar(&mut self) -> Result<Tok<'a>, Fail> {
        match self.peek() {
            None => self.syntax("unexpected end of input"),
            Some(b'"') => Ok(Tok::Str(self.string()?)),
            Some(b'n') => self.literal(b"null").map(|_| Tok::Null),
            Some(b't') => self.literal(b"true").map(|_| Tok::Bool(true)),
            Some(b'f') => self.literal(b"false").map(|_| Tok::Bool(false)),
            Some(b'-' | b'0'..=b'9') => {
                let (n, f) = self.number()?;
                Ok(Tok::Num(n, f))
            }
            Some(b'{' | b'[') => {
                let start = self.pos;
                self.skip(0)?;
                Ok(Tok::Compound(self.text(start, self.pos)?))
            }
            Some(_) => self.syntax("unexpected character"),
        }
    }
}

/// A number literal as text (the grammar admits only ASCII, so this cannot fail).
fn num_str(n: &[u8]) -> &str {
    std::str::from_utf8(n).unwrap_or("0")
}

/// Why a number literal has no text: under `USE_BIG_DECIMAL_FOR_FLOATS` Jackson reads it
/// with `new BigDecimal(text)`, which rejects an exponent or a scale beyond 32 bits.
const EXPONENT_OUT_OF_RANGE: &str =
    "the number's exponent is out of range (a decimal exponent and scale must fit 32 bits)";

/// Jackson's `JsonNode#asText` of a number literal: integers as written, floats through
/// `Double.toString` (or `BigDecimal.toString` under `USE_BIG_DECIMAL_FOR_FLOATS`). `None`
/// for a literal Jackson's `BigDecimal` rejects ([`EXPONENT_OUT_OF_RANGE`]).
fn number_as_text(n: &str, float: bool, big_decimal: bool) -> Option<String> {
    if !float {
        // Jackson keeps integers as numbers, so `-0` prints as `0`.
        return Some(if n == "-0" {
            "0".to_string()
        } else {
            n.to_string()
        });
    }
    let mut out = Vec::new();
    if big_decimal {
        if let Some(t) = big_decimal_to_string(n)? {
            return Some(t);
        }
    }
    text::write_java_double(&mut out, n.parse().unwrap_or(f64::NAN));
    Some(String::from_utf8(out).unwrap_or_default())
}

/// `new BigDecimal(n).toString()` for a JSON number literal (keeps its scale). `None` when
/// Java rejects the literal: an exponent beyond 32 bits ("Exponent overflow") or a scale
/// (fraction digits minus exponent) beyond 32 bits ("Scale out of range"). `Some(None)`
/// when the digits do not fit an `i128` (the caller falls back to `Double.toString`).
fn big_decimal_to_string(n: &str) -> Option<Option<String>> {
    let (mant, exp) = match n.find(['e', 'E']) {
        // The grammar admits only an optional sign and digits here, so a parse failure
        // means a value beyond 64 bits: out of range as well.
        Some(i) => (
            &n[..i],
            i32::try_from(n[i + 1..].parse::<i64>().ok()?).ok()?,
        ),
        None => (n, 0),
    };
    let (neg, mant) = match mant.strip_prefix('-') {
        Some(m) => (true, m),
        None => (false, mant),
    };
    let (int, frac) = mant.split_once('.').unwrap_or((mant, ""));
    let scale = i64::try_from(frac.len())
        .ok()
        .and_then(|f| f.checked_sub(i64::from(exp)))
        .and_then(|s| i32::try_from(s).ok())?;
    let digits = format!("{int}{frac}");
    let digits = digits.trim_start_matches('0');
    let digits = if digits.is_empty() { "0" } else { digits };
    let Ok(unscaled) = digits.parse::<i128>() else {
        return Some(None);
    };
    let mut out = Vec::new();
    if neg && unscaled != 0 {
        out.push(b'-');
    }
    write_java_big_decimal(&mut out, unscaled, scale);
    Some(String::from_utf8(out).ok())
}

fn write_java_big_decimal(out: &mut Vec<u8>, unscaled: i128, scale: i32) {
    let coeff = unscaled.to_string();
    let c = coeff.as_bytes();
    let adjusted = -(scale as i64) + (c.len() as i64 - 1);
    if scale >= 0 && adjusted >= -6 {
        if scale == 0 {
            out.extend_from_slice(c);
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

/// Re-serializes raw JSON compactly as Jackson's `JsonNode#toString` does; `Err` says why
/// it cannot (a number Jackson rejects).
fn compact_json(raw: &str, big_decimal: bool) -> Result<String, &'static str> {
    fn walk(p: &mut Parser<'_>, out: &mut Vec<u8>, big: bool, depth: u32) -> Result<(), Fail> {
        if depth > 512 {
            return p.syntax("nesting too deep");
        }
        match p.peek() {
            Some(b'{') => {
                p.pos += 1;
                out.push(b'{');
                if p.peek() == Some(b'}') {
                    p.pos += 1;
                } else {
                    loop {
                        if p.peek() != Some(b'"') {
                            return p.syntax("expected a field name");
                        }
                        let k = p.string()?;
                        write_json_string(out, &k);
                        p.expect(b':', "expected ':'")?;
                        out.push(b':');
                        walk(p, out, big, depth + 1)?;
                        match p.peek() {
                            Some(b',') => {
                                p.pos += 1;
                                out.push(b',');
                            }
                            Some(b'}') => {
                                p.pos += 1;
                                break;
                            }
                            _ => return p.syntax("expected ',' or '}'"),
                        }
                    }
                }
                out.push(b'}');
            }
            Some(b'[') => {
                p.pos += 1;
                out.push(b'[');
                if p.peek() == Some(b']') {
                    p.pos += 1;
                } else {
                    loop {
                        walk(p, out, big, depth + 1)?;
                        match p.peek() {
                            Some(b',') => {
                                p.pos += 1;
                                out.push(b',');
                            }
                            Some(b']') => {
                                p.pos += 1;
                                break;
                            }
                            _ => return p.syntax("expected ',' or ']'"),
                        }
                    }
                }
                out.push(b']');
            }
            _ => match p.scalar()? {
                Tok::Null => out.extend_from_slice(b"null"),
                Tok::Bool(b) => out.extend_from_slice(if b { b"true" } else { b"false" }),
                Tok::Num(n, f) => match number_as_text(num_str(n), f, big) {
                    Some(text) => out.extend_from_slice(text.as_bytes()),
                    None => return Err(Fail::Syntax(EXPONENT_OUT_OF_RANGE, p.pos)),
                },
                Tok::Str(s) => write_json_string(out, &s),
                Tok::Compound(_) => return p.syntax("unexpected nested value"),
            },
        }
        Ok(())
    }
    let mut p = Parser {
        b: raw.as_bytes(),
        pos: 0,
    };
    let mut out = Vec::with_capacity(raw.len());
    walk(&mut p, &mut out, big_decimal, 0).map_err(|e| match e {
        Fail::Syntax(reason, _) => reason,
        Fail::Field(_) => "not valid JSON",
    })?;
    Ok(String::from_utf8(out).unwrap_or_default())
}

/// Text of a scalar token for the string-parsing paths (`asText()`); `None` for a number
/// Jackson rejects ([`number_as_text`]).
fn tok_text<'t>(tok: &'t Tok<'_>, big: bool) -> Option<Cow<'t, str>> {
    Some(match tok {
        Tok::Null => Cow::Borrowed("null"),
        Tok::Bool(b) => Cow::Borrowed(if *b { "true" } else { "false" }),
        Tok::Num(n, f) => Cow::Owned(number_as_text(num_str(n), *f, big)?),
        Tok::Str(s) => Cow::Borrowed(s),
        // Jackson's asText of a container is empty.
        Tok::Compound(_) => Cow::Borrowed(""),
    })
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
                    let mut entries = Vec::new();
                    self.read_object(p, |p, key| {
                        let v = self.read_value(p, vt, column, depth + 1);
                        let v = self.or_null(v)?;
                        // A repeated key keeps its first position and its last value, as
                        // in Jackson's ObjectNode.
                        match entries
                            .iter_mut()
                            .find(|(k, _)| matches!(k, Value::String(s) if *s == *key))
                        {
                            Some(e) => e.1 = v,
                            None => entries.push((Value::String(key.into_owned()), v)),
                        }
                        Ok(())
                    })?;
                    Value::Map(entries)
                }
                _ => return self.not_container(p, t, column, "a JSON object"),
            },
            L::Multiset(_) => match p.peek() {
                Some(b'{') => {
                    let mut entries = Vec::new();
                    let count_t = DataType::not_null(L::Int);
                    // A bad count is reported after the whole object was read, so the
                    // parser stays in step under ignore-parse-errors.
                    let mut bad_count: Option<Fail> = None;
                    self.read_object(p, |p, key| {
                        let at = p.pos;
                        let v = self.read_value(p, &count_t, column, depth + 1);
                        match v {
                            Ok(Value::Int(n)) if n >= 0 => {
                                match entries
                                    .iter_mut()
                                    .find(|(k, _)| matches!(k, Value::String(s) if *s == *key))
                                {
                                    Some(e) => e.1 = n as u32,
                                    None => {
                                        entries.push((Value::String(key.into_owned()), n as u32))
                                    }
                                }
                            }
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
                    Value::Multiset(entries)
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
    use super::*;

    #[test]
    fn number_text_follows_jackson() {
        let text = |n, float, big| number_as_text(n, float, big).unwrap();
        assert_eq!(text("123", false, false), "123");
        assert_eq!(text("123.234", true, false), "123.234");
        assert_eq!(text("1e3", true, false), "1000.0");
        assert_eq!(text("1e3", true, true), "1E+3");
        assert_eq!(text("1.50", true, true), "1.50");
        assert_eq!(text("-0.000000027", true, true), "-2.7E-8");
    }

    /// Issue #13 finding 6: `frac.len() - exp` overflowed for an exponent of i64::MIN.
    /// Java's `new BigDecimal` takes exponents and scales within 32 bits; `Double.toString`
    /// reads any exponent.
    #[test]
    fn extreme_exponents_follow_java_without_overflow() {
        for n in [
            "1e-9223372036854775808",
            "-1e-9223372036854775808",
            "1.5e-9223372036854775808",
            "1e9223372036854775807",
            "-1.5E+9223372036854775807",
            "1e99999999999999999999",
            "1e-2147483649",
            "1e2147483648",
            // Exponent within 32 bits, scale (1 - exp) beyond.
            "1.5e-2147483647",
        ] {
            assert_eq!(number_as_text(n, true, true), None, "{n}");
            assert!(number_as_text(n, true, false).is_some(), "{n}");
        }
        assert_eq!(
            number_as_text("1e-9223372036854775808", true, false).as_deref(),
            Some("0.0")
        );
        assert_eq!(
            number_as_text("-1e9223372036854775807", true, false).as_deref(),
            Some("-Infinity")
        );
        // The 32-bit limits themselves are fine.
        assert_eq!(
            number_as_text("1e2147483647", true, true).as_deref(),
            Some("1E+2147483647")
        );
        assert_eq!(
            number_as_text("1e-2147483647", true, true).as_deref(),
            Some("1E-2147483647")
        );
    }

    #[test]
    fn compact_reserialization() {
        assert_eq!(
            compact_json(r#"[ "array data1" , "array data2",123, 234.345 ]"#, false).ok(),
            Some(r#"["array data1","array data2",123,234.345]"#.to_string())
        );
        assert_eq!(
            compact_json(r#"{ "a" : { "b" : "x\u0001" } }"#, false).ok(),
            Some("{\"a\":{\"b\":\"x\\u0001\"}}".to_string())
        );
    }
}
