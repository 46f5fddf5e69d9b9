//! Jackson's text of JSON values read where a string is expected: `JsonNode#asText` of a
//! number (`Double.toString` or `BigDecimal.toString`) and `JsonNode#toString` of an object
//! or array.

use std::borrow::Cow;

use crate::text;

use super::encode::write_json_string;
use super::lexer::{num_str, Fail, Parser, Tok};

/// Why a number literal has no text: under `USE_BIG_DECIMAL_FOR_FLOATS` Jackson reads it
/// with `new BigDecimal(text)`, which rejects an exponent or a scale beyond 32 bits.
pub(super) const EXPONENT_OUT_OF_RANGE: &str =
    "the number's exponent is out of range (a decimal exponent and scale must fit 32 bits)";

/// Jackson's `JsonNode#asText` of a number literal: integers as written, floats through
/// `Double.toString` (or `BigDecimal.toString` under `USE_BIG_DECIMAL_FOR_FLOATS`). `None`
/// for a literal Jackson's `BigDecimal` rejects ([`EXPONENT_OUT_OF_RANGE`]).
pub(super) fn number_as_text(n: &str, float: bool, big_decimal: bool) -> Option<String> {
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
    // `unscaled` is non-negative, so its negation fits too.
    let signed = if neg { -unscaled } else { unscaled };
    text::write_big_decimal(&mut out, signed, scale, true);
    Some(String::from_utf8(out).ok())
}

/// Re-serializes raw JSON compactly as Jackson's `JsonNode#toString` does; `Err` says why
/// it cannot (a number Jackson rejects).
pub(super) fn compact_json(raw: &str, big_decimal: bool) -> Result<String, &'static str> {
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
pub(super) fn tok_text<'t>(tok: &'t Tok<'_>, big: bool) -> Option<Cow<'t, str>> {
    Some(match tok {
        Tok::Null => Cow::Borrowed("null"),
        Tok::Bool(b) => Cow::Borrowed(if *b { "true" } else { "false" }),
        Tok::Num(n, f) => Cow::Owned(number_as_text(num_str(n), *f, big)?),
        Tok::Str(s) => Cow::Borrowed(s),
        // Jackson's asText of a container is empty.
        Tok::Compound(_) => Cow::Borrowed(""),
    })
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

    proptest::proptest! {
        /// Under `USE_BIG_DECIMAL_FOR_FLOATS` a literal's text is `new BigDecimal(literal)
        /// .toString()`: it reads back to the literal's digits and scale.
        #[test]
        fn big_decimal_literals_keep_digits_and_scale(
            neg in proptest::prelude::any::<bool>(),
            int in "0|[1-9][0-9]{0,15}",
            frac in "[0-9]{0,15}",
            exp in proptest::option::of(-40i32..40),
        ) {
            let mut literal = format!("{}{int}", if neg { "-" } else { "" });
            if !frac.is_empty() {
                literal.push('.');
                literal.push_str(&frac);
            }
            if let Some(e) = exp {
                literal.push_str(&format!("e{e}"));
            }
            let float = !frac.is_empty() || exp.is_some();
            proptest::prop_assume!(float);
            let got = number_as_text(&literal, true, true).unwrap();
            let digits = format!("{int}{frac}");
            let digits = digits.trim_start_matches('0');
            let digits = if digits.is_empty() { "0" } else { digits };
            let scale = frac.len() as i64 - exp.unwrap_or(0) as i64;
            proptest::prop_assert_eq!(
                text::read_java(&got),
                (neg && digits != "0", digits.to_string(), scale),
                "{} -> {}", literal, got
            );
        }
    }
}
