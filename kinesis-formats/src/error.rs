//! The one error type of the formats.

use std::fmt;

/// Everything that can go wrong creating a format, decoding or encoding a row.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum FormatError {
    /// The `format` option names no known format.
    UnknownFormat {
        /// The name asked for.
        name: String,
        /// The names there are ([`crate::FORMAT_NAMES`]).
        known: Vec<&'static str>,
    },
    /// `<format>.*` keys that the format does not know (Flink's "Unsupported options").
    UnsupportedOptions {
        /// The format's name.
        format: String,
        /// The unknown keys, in key order.
        keys: Vec<String>,
        /// Every key the format knows, sorted.
        supported: Vec<&'static str>,
    },
    /// A format option with an invalid value or combination; `message` is Flink's wording.
    InvalidOption {
        /// The option key at fault, e.g. `csv.quote-character`.
        key: String,
        /// Flink's message.
        message: String,
    },
    /// A column whose type the format cannot represent (checked when the format is created).
    UnsupportedType {
        /// The column; nested positions as `a.b`.
        column: String,
        /// The column's declared type (empty when the error is about the row as a whole).
        data_type: String,
        /// Flink's message.
        message: String,
    },
    /// A field whose text does not parse as its column type.
    Field {
        /// `csv`, `json` or `avro`.
        format: &'static str,
        /// Column name; nested positions as `a.b`, `tags[2]`.
        column: String,
        /// The declared type, e.g. `BIGINT`.
        expected: String,
        /// The offending text (shortened to 100 bytes).
        text: String,
        /// Byte offset of the offending value in the message (for a csv ARRAY element or
        /// nested ROW field inside a field whose quotes or escapes were undone: the field's).
        offset: usize,
        /// What is wrong.
        reason: String,
    },
    /// A message that is not a well-formed record (malformed JSON, wrong number of CSV
    /// columns, invalid UTF-8).
    Record {
        /// `csv` or `json`.
        format: &'static str,
        /// What is wrong.
        message: String,
        /// Byte offset where the problem was found.
        offset: usize,
        /// The message text (shortened to 200 bytes, lossy UTF-8).
        record: String,
    },
    /// A row that cannot be written.
    Encode {
        /// The column at fault (empty when the row as a whole does not fit the row type).
        column: String,
        /// What is wrong.
        message: String,
    },
}

/// Shortens `s` to at most `max` bytes on a char boundary, marking the cut.
pub(crate) fn shorten(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_string();
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}...", &s[..end])
}

impl FormatError {
    pub(crate) fn record(
        format: &'static str,
        message: impl Into<String>,
        offset: usize,
        bytes: &[u8],
    ) -> Self {
        let cut = &bytes[..bytes.len().min(200)];
        let mut record = String::from_utf8_lossy(cut).into_owned();
        if bytes.len() > 200 {
            record.push_str("...");
        }
        FormatError::Record {
            format,
            message: message.into(),
            offset,
            record,
        }
    }

    pub(crate) fn invalid_option(key: &str, message: impl Into<String>) -> Self {
        FormatError::InvalidOption {
            key: key.to_string(),
            message: message.into(),
        }
    }

    /// The option key at fault, for option errors.
    pub fn option_key(&self) -> Option<&str> {
        match self {
            FormatError::InvalidOption { key, .. } => Some(key),
            FormatError::UnsupportedOptions { keys, .. } => keys.first().map(|s| s.as_str()),
            _ => None,
        }
    }
}

impl fmt::Display for FormatError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FormatError::UnknownFormat { name, known } => write!(
                f,
                "Could not find any format factory for identifier '{name}'.\n\nAvailable factory identifiers are:\n\n{}",
                known.join("\n")
            ),
            FormatError::UnsupportedOptions {
                format,
                keys,
                supported,
            } => {
                let _ = format;
                write!(
                    f,
                    "Unsupported options found for 'kinesis'.\n\nUnsupported options:\n\n{}\n\nSupported options:\n\n{}",
                    keys.join("\n"),
                    supported.join("\n")
                )
            }
            FormatError::InvalidOption { message, .. } => f.write_str(message),
            FormatError::UnsupportedType { message, .. } => f.write_str(message),
            FormatError::Field {
                format,
                column,
                expected,
                text,
                offset,
                reason,
            } => write!(
                f,
                "Failed to deserialize {} row: Fail to deserialize at field: {column}. \
                 Expected {expected}, got '{text}' at byte {offset}: {reason}",
                format.to_ascii_uppercase()
            ),
            FormatError::Record {
                format,
                message,
                offset,
                record,
            } => {
                let what = if *format == "json" { "JSON" } else { "CSV row" };
                write!(
                    f,
                    "Failed to deserialize {what} '{record}': {message} (at byte {offset})"
                )
            }
            FormatError::Encode { column, message } => {
                write!(f, "Could not serialize row. Fail to serialize at field: {column}. {message}")
            }
        }
    }
}

impl std::error::Error for FormatError {}
