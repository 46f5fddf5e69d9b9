//! Text forms shared by the formats: Flink's `TimeFormats`, `java.sql.Date.valueOf`,
//! `LocalTime.parse` ([`datetime`]), Java's number texts ([`number`]), the text of a simple
//! column value ([`simple`]), Base64, booleans.
//!
//! Writers append ASCII to a `Vec<u8>` (no allocation besides the buffer); parsers take a
//! `&str` and return `None` when the text does not match.

mod datetime;
mod number;
mod simple;

pub(crate) use datetime::*;
pub(crate) use number::*;
pub(crate) use simple::*;

/// Java's `String.trim()`: strips every char <= ' ' (controls included, Unicode spaces
/// not) from both ends.
pub(crate) fn java_trim(s: &str) -> &str {
    s.trim_matches(|c: char| c <= ' ')
}

/// Boolean text under decision D12: `true` / `false` in any case, surrounding whitespace
/// ignored; anything else is an error (Flink would read it as `false`).
pub(crate) fn parse_boolean(s: &str) -> Option<bool> {
    let t = s.trim_matches(|c: char| c <= ' ');
    if t.eq_ignore_ascii_case("true") {
        Some(true)
    } else if t.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

/// Standard Base64 with padding.
pub(crate) fn write_base64(out: &mut Vec<u8>, bytes: &[u8]) {
    use base64::Engine;
    let start = out.len();
    let len = base64::encoded_len(bytes.len(), true).unwrap_or(0);
    out.resize(start + len, 0);
    let _ = base64::engine::general_purpose::STANDARD.encode_slice(bytes, &mut out[start..]);
}

const BASE64_LENIENT: base64::engine::GeneralPurpose = base64::engine::GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    base64::engine::GeneralPurposeConfig::new()
        .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent)
        .with_decode_allow_trailing_bits(true),
);

/// Base64 as Jackson reads it (standard alphabet, padding optional).
pub(crate) fn parse_base64(s: &str) -> Option<Vec<u8>> {
    use base64::Engine;
    BASE64_LENIENT.decode(s.as_bytes()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(f: impl FnOnce(&mut Vec<u8>)) -> String {
        let mut v = Vec::new();
        f(&mut v);
        String::from_utf8(v).unwrap()
    }

    #[test]
    fn base64_forms() {
        assert_eq!(s(|o| write_base64(o, &[107, 3, 11])), "awML");
        assert_eq!(s(|o| write_base64(o, &[1])), "AQ==");
        assert_eq!(parse_base64("AQ"), Some(vec![1]));
        assert_eq!(parse_base64("AQ=="), Some(vec![1]));
        assert_eq!(parse_base64("A!"), None);
    }
}
