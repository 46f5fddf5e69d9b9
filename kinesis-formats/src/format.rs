//! The format abstraction: [`Encoder`], [`Decoder`], [`Format`] and the option keys.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use crate::error::FormatError;
use crate::types::RowField;
use crate::value::Row;

/// Turns a row into one message payload (no line terminator). Implementations append to
/// `out` and never clear it, so callers can reuse one buffer.
pub trait Encoder: Send + Sync {
    /// Appends the serialized `row` to `out`.
    fn encode(&self, row: &Row, out: &mut Vec<u8>) -> Result<(), FormatError>;
}

/// Turns one message payload into a row.
pub trait Decoder: Send + Sync {
    /// `Ok(None)` means the message yields no row (empty message, comment line, or a bad
    /// record skipped under `*.ignore-parse-errors`), as Flink's `null` row.
    fn decode(&self, bytes: &[u8]) -> Result<Option<Row>, FormatError>;
}

/// One option a format understands, for option tables and validation output.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct FormatOptionKey {
    /// The full table key, e.g. `csv.field-delimiter`.
    pub key: &'static str,
    /// Default value as text; `None` when the option has no default.
    pub default: Option<&'static str>,
    /// What the option does, in a sentence or two.
    pub description: &'static str,
}

/// Format names understood by [`Format::from_options`].
pub const FORMAT_NAMES: &[&str] = &["avro", "csv", "json", "raw"];

/// A configured format for one row type: an encoder and a decoder sharing its options.
/// Cheap to clone.
#[derive(Clone)]
pub struct Format {
    name: &'static str,
    encoder: Arc<dyn Encoder>,
    decoder: Arc<dyn Decoder>,
}

impl fmt::Debug for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Format").field("name", &self.name).finish()
    }
}

impl Format {
    /// Assembles a format from its parts (the built-in formats are made this way; an
    /// embedding program can wrap its own codec the same way).
    ///
    /// ```
    /// use std::sync::Arc;
    /// use kinesis_formats::{Decoder, Encoder, Format, FormatError, Row, Value};
    ///
    /// /// One BIGINT column as 8 big-endian bytes.
    /// struct Be64;
    /// impl Encoder for Be64 {
    ///     fn encode(&self, row: &Row, out: &mut Vec<u8>) -> Result<(), FormatError> {
    ///         match row.values.as_slice() {
    ///             [Value::BigInt(v)] => Ok(out.extend_from_slice(&v.to_be_bytes())),
    ///             _ => Err(FormatError::Encode { column: "v".into(), message: "not one BIGINT".into() }),
    ///         }
    ///     }
    /// }
    /// impl Decoder for Be64 {
    ///     fn decode(&self, bytes: &[u8]) -> Result<Option<Row>, FormatError> {
    ///         let v = <[u8; 8]>::try_from(bytes).map_err(|_| FormatError::Field {
    ///             format: "be64",
    ///             column: "v".into(),
    ///             expected: "BIGINT".into(),
    ///             text: format!("{bytes:02x?}"),
    ///             offset: 0,
    ///             reason: "not 8 bytes".into(),
    ///         })?;
    ///         Ok(Some(Row::new(vec![Value::BigInt(i64::from_be_bytes(v))])))
    ///     }
    /// }
    ///
    /// let codec = Arc::new(Be64);
    /// let f = Format::new("be64", codec.clone(), codec);
    /// let mut out = Vec::new();
    /// f.encode(&Row::new(vec![Value::BigInt(5)]), &mut out).unwrap();
    /// assert_eq!(out, [0, 0, 0, 0, 0, 0, 0, 5]);
    /// assert_eq!(f.decode(&out).unwrap().unwrap().values[0], Value::BigInt(5));
    /// assert!(f.decode(b"5").is_err());
    /// ```
    pub fn new(name: &'static str, encoder: Arc<dyn Encoder>, decoder: Arc<dyn Decoder>) -> Self {
        Format {
            name,
            encoder,
            decoder,
        }
    }

    /// Creates the format `name` for the physical row type `row_type`. `options` may hold
    /// the whole table option map: only keys starting with `<name>.` are read, and unknown
    /// ones are an error. Option values are validated with Flink's messages; a column type
    /// the format cannot represent is an error too.
    ///
    /// ```
    /// use std::collections::BTreeMap;
    /// use kinesis_formats::{DataType, Format, Row, RowField, Value};
    /// let row_type = vec![
    ///     RowField::new("id", DataType::parse("BIGINT").unwrap()),
    ///     RowField::new("name", DataType::parse("STRING").unwrap()),
    /// ];
    /// let mut options = BTreeMap::new();
    /// options.insert("csv.field-delimiter".to_string(), ";".to_string());
    /// let csv = Format::from_options("csv", &options, &row_type).unwrap();
    /// let mut out = Vec::new();
    /// csv.encoder().encode(&Row::new(vec![Value::BigInt(7), Value::String("a b".into())]), &mut out).unwrap();
    /// assert_eq!(out, b"7;\"a b\"");
    /// let row = csv.decoder().decode(b"8;x").unwrap().unwrap();
    /// assert_eq!(row.values, vec![Value::BigInt(8), Value::String("x".into())]);
    ///
    /// options.insert("csv.no-such-option".to_string(), "1".to_string());
    /// assert!(Format::from_options("csv", &options, &row_type).is_err());
    /// ```
    pub fn from_options(
        name: &str,
        options: &BTreeMap<String, String>,
        row_type: &[RowField],
    ) -> Result<Format, FormatError> {
        match name {
            "csv" => crate::csv::from_options(options, row_type),
            "json" => crate::json::from_options(options, row_type),
            "raw" => crate::raw::from_options(options, row_type),
            "avro" => crate::avro::from_options(options, row_type),
            _ => Err(FormatError::UnknownFormat {
                name: name.to_string(),
                known: FORMAT_NAMES.to_vec(),
            }),
        }
    }

    /// The option keys of format `name` (empty for an unknown name).
    ///
    /// ```
    /// use kinesis_formats::Format;
    /// let keys = Format::option_keys("csv");
    /// assert!(keys.iter().any(|k| k.key == "csv.field-delimiter" && k.default == Some(",")));
    /// ```
    pub fn option_keys(name: &str) -> &'static [FormatOptionKey] {
        match name {
            "csv" => crate::csv::OPTION_KEYS,
            "json" => crate::json::OPTION_KEYS,
            "raw" => crate::raw::OPTION_KEYS,
            "avro" => crate::avro::OPTION_KEYS,
            _ => &[],
        }
    }

    /// The format's name (`csv`, `json`, ...).
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// The encoder (shared; encoders keep no per-call state).
    pub fn encoder(&self) -> Arc<dyn Encoder> {
        self.encoder.clone()
    }

    /// The decoder (shared; decoders keep no per-call state).
    pub fn decoder(&self) -> Arc<dyn Decoder> {
        self.decoder.clone()
    }

    /// Shorthand for `self.encoder().encode(row, out)`.
    pub fn encode(&self, row: &Row, out: &mut Vec<u8>) -> Result<(), FormatError> {
        self.encoder.encode(row, out)
    }

    /// Shorthand for `self.decoder().decode(bytes)`.
    pub fn decode(&self, bytes: &[u8]) -> Result<Option<Row>, FormatError> {
        self.decoder.decode(bytes)
    }
}

/// Reads the options of one format from a table option map, rejecting unknown
/// `<format>.*` keys with Flink's "Unsupported options" error. Returns the known keys'
/// values (by full key). Shared by every format module.
pub(crate) fn format_options<'a>(
    format: &str,
    options: &'a BTreeMap<String, String>,
    keys: &'static [FormatOptionKey],
) -> Result<BTreeMap<&'static str, &'a str>, FormatError> {
    let prefix = format!("{format}.");
    let mut found = BTreeMap::new();
    let mut unknown = Vec::new();
    for (k, v) in options.range(prefix.clone()..) {
        if !k.starts_with(&prefix) {
            break;
        }
        match keys.iter().find(|o| o.key == k) {
            Some(o) => {
                found.insert(o.key, v.as_str());
            }
            None => unknown.push(k.clone()),
        }
    }
    if !unknown.is_empty() {
        let mut supported: Vec<&'static str> = keys.iter().map(|k| k.key).collect();
        supported.sort_unstable();
        return Err(FormatError::UnsupportedOptions {
            format: format.to_string(),
            keys: unknown,
            supported,
        });
    }
    Ok(found)
}

/// Flink's boolean option parsing (`true`/`false`, any case); `None` when the key is absent.
pub(crate) fn bool_option(
    found: &BTreeMap<&'static str, &str>,
    key: &'static str,
) -> Result<Option<bool>, FormatError> {
    match found.get(key) {
        None => Ok(None),
        Some(v) if v.eq_ignore_ascii_case("true") => Ok(Some(true)),
        Some(v) if v.eq_ignore_ascii_case("false") => Ok(Some(false)),
        Some(v) => Err(FormatError::invalid_option(
            key,
            format!(
                "Invalid value for option '{key}'. Could not parse value '{v}' for key '{key}'. \
                 Unrecognized option for boolean: {v}. Expected either true or false(case insensitive)"
            ),
        )),
    }
}
