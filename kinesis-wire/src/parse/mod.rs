//! The hand-written response parsers of the hot paths, and what they share: the GetRecords
//! page parser (a fast scanner with a serde_json fallback) and the PutRecords outcome
//! parser.

use std::borrow::Cow;
use std::fmt;

use serde::{Deserialize, Deserializer};

pub(crate) mod fast;
mod get_records;
mod put_records;

#[cfg(feature = "fuzzing")]
pub(crate) use get_records::parse_get_records_page_serde;
pub use get_records::{parse_get_records, parse_get_records_page};
pub use put_records::parse_put_records_outcome;

/// A response body that could not be read: which answer it was, and what was wrong where
/// (the line and column, or the record at fault).
///
/// ```
/// let e = kinesis_wire::model::parse_get_records(b"{").unwrap_err();
/// assert_eq!(e.what(), "GetRecords response");
/// assert!(e.to_string().starts_with("invalid GetRecords response: "), "{e}");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    what: &'static str,
    message: String,
}

impl ParseError {
    pub(crate) fn new(what: &'static str, message: impl Into<String>) -> Self {
        ParseError {
            what,
            message: message.into(),
        }
    }

    /// Which answer could not be read, e.g. `"GetRecords response"`.
    pub fn what(&self) -> &'static str {
        self.what
    }

    /// What was wrong, and where.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid {}: {}", self.what, self.message)
    }
}

impl std::error::Error for ParseError {}

/// The start of `body`, for messages about answers that could not be read: at most 120
/// bytes, secret-looking fields masked (a proxy or a broken service may echo a request).
pub(crate) fn body_start(body: &[u8]) -> String {
    let start = String::from_utf8_lossy(&body[..body.len().min(120)]);
    format!("{:?}", crate::redact::mask_secret_fields(&start))
}

/// A JSON string's bytes, borrowed when it has no escapes. Read through `deserialize_bytes`
/// so serde_json skips UTF-8 validation: base64 decoding rejects anything but ASCII anyway.
struct RawText<'a>(Cow<'a, [u8]>);

impl<'a> RawText<'a> {
    fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for RawText<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = RawText<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a base64 string")
            }
            fn visit_borrowed_bytes<E>(self, v: &'de [u8]) -> Result<Self::Value, E> {
                Ok(RawText(Cow::Borrowed(v)))
            }
            fn visit_bytes<E>(self, v: &[u8]) -> Result<Self::Value, E> {
                Ok(RawText(Cow::Owned(v.to_vec())))
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(RawText(Cow::Borrowed(v.as_bytes())))
            }
            fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
                Ok(RawText(Cow::Owned(v.as_bytes().to_vec())))
            }
        }
        d.deserialize_bytes(V)
    }
}
/// A JSON string, borrowed from the body when it has no escapes (the usual case), owned
/// only when serde_json had to unescape it.
struct Text<'a>(Cow<'a, str>);

impl<'de: 'a, 'a> Deserialize<'de> for Text<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Text<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Text(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Text(Cow::Owned(v.to_string())))
            }
        }
        d.deserialize_str(V)
    }
}
