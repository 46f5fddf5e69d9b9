//! The few Java behaviours the connector must reproduce bit for bit: `String.hashCode`,
//! `Double.toString` / `Float.toString`, `Double.parseDouble`.

/// Java's `String.hashCode`: `Σ s[i]·31^(n-1-i)` over UTF-16 code units, wrapping `i32`.
pub fn string_hash(s: &str) -> i32 {
    s.encode_utf16()
        .fold(0i32, |h, u| h.wrapping_mul(31).wrapping_add(u as i32))
}

/// Java's `Double.toString` (shortest round-trip digits; plain notation for
/// 10^-3 ≤ |x| < 10^7, else `d.dddE±n`).
pub fn double_to_string(x: f64) -> String {
    if x.is_nan() {
        return "NaN".into();
    }
    if x.is_infinite() {
        return if x > 0.0 { "Infinity" } else { "-Infinity" }.into();
    }
    // `{:e}` gives the shortest round-trip digits, e.g. "1.23456789e8".
    java_form(
        &format!("{x:e}"),
        x == 0.0,
        x.abs() >= 1e-3 && x.abs() < 1e7,
    )
}

/// Java's `Float.toString`, same rules as [`double_to_string`] with `f32` digits.
pub fn float_to_string(x: f32) -> String {
    if x.is_nan() {
        return "NaN".into();
    }
    if x.is_infinite() {
        return if x > 0.0 { "Infinity" } else { "-Infinity" }.into();
    }
    java_form(
        &format!("{x:e}"),
        x == 0.0,
        x.abs() >= 1e-3 && x.abs() < 1e7,
    )
}

fn java_form(sci: &str, zero: bool, plain: bool) -> String {
    let (mantissa, exp) = sci.split_once('e').unwrap_or((sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let negative = mantissa.starts_with('-');
    let digits: String = mantissa.chars().filter(|c| c.is_ascii_digit()).collect();
    let sign = if negative { "-" } else { "" };
    if zero {
        return format!("{sign}0.0");
    }
    if plain {
        // Place the decimal point exp+1 digits into the digit string.
        let point = exp + 1;
        let (int_part, frac_part) = if point <= 0 {
            (
                "0".to_string(),
                format!("{}{}", "0".repeat((-point) as usize), digits),
            )
        } else if point as usize >= digits.len() {
            (
                format!("{}{}", digits, "0".repeat(point as usize - digits.len())),
                String::new(),
            )
        } else {
            (
                digits[..point as usize].to_string(),
                digits[point as usize..].to_string(),
            )
        };
        let frac = if frac_part.is_empty() {
            "0".to_string()
        } else {
            frac_part
        };
        format!("{sign}{int_part}.{frac}")
    } else {
        let first = &digits[..1];
        let rest = if digits.len() > 1 { &digits[1..] } else { "0" };
        format!("{sign}{first}.{rest}E{exp}")
    }
}

/// Java's `Double.parseDouble`, restricted to finite values: surrounding whitespace
/// (≤ U+0020) is ignored, a trailing `d`/`D`/`f`/`F` is allowed, exponents are accepted.
/// `NaN` and `Infinity` are refused (they would not name a time).
pub fn parse_double(text: &str) -> Option<f64> {
    let t = text.trim_matches(|c: char| c <= ' ');
    let t = t.strip_suffix(['d', 'D', 'f', 'F']).unwrap_or(t);
    // Rust accepts "inf"/"nan" spellings Java does not; only digits, sign, '.', 'e' pass.
    if t.is_empty()
        || !t
            .bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'+' | b'-'))
    {
        return None;
    }
    let v: f64 = t.parse().ok()?;
    v.is_finite().then_some(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_like_java() {
        for (x, s) in [
            (0.001, "0.001"),
            (1234567.0, "1234567.0"),
            (1.0e7, "1.0E7"),
            (-2.5, "-2.5"),
            (0.0, "0.0"),
            (123.456, "123.456"),
            (1.0e-3 * 0.5, "5.0E-4"),
            (100.0, "100.0"),
        ] {
            assert_eq!(double_to_string(x), s, "{x}");
        }
        assert_eq!(float_to_string(1.0e20f32), "1.0E20");
        assert_eq!(float_to_string(3.25f32), "3.25");
    }

    #[test]
    fn hashes_like_java() {
        assert_eq!(string_hash("a"), 97);
        assert_eq!(string_hash("ab"), 97 * 31 + 98);
    }
}

/// The examples of this module's items (the module is private, so not doctests).
#[cfg(test)]
mod examples {
    #[test]
    fn string_hash_example() {
        assert_eq!(crate::java::string_hash("myStream"), -806594484);
        assert_eq!(crate::java::string_hash(""), 0);
    }

    #[test]
    fn double_to_string_example() {
        use crate::java::double_to_string;
        assert_eq!(double_to_string(1.0), "1.0");
        assert_eq!(double_to_string(1.0e20), "1.0E20");
        assert_eq!(double_to_string(1.0e-4), "1.0E-4");
        assert_eq!(double_to_string(1.23456789e8), "1.23456789E8");
    }

    #[test]
    fn float_to_string_example() {
        assert_eq!(crate::java::float_to_string(0.1f32), "0.1");
    }

    #[test]
    fn parse_double_example() {
        use crate::java::parse_double;
        assert_eq!(parse_double(" 1459799926.480 "), Some(1459799926.48));
        assert_eq!(parse_double("1e3d"), Some(1000.0));
        assert_eq!(parse_double("NaN"), None);
    }
}
