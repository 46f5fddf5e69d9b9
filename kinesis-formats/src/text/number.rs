//! Numbers as Java writes and reads them: `Float/Double.toString`, `parseFloat/parseDouble`
//! (hexadecimal literals included), `Integer.parseInt` and friends, `BigDecimal.toString` /
//! `toPlainString`; and integers written fast.

/// Java's `Double.toString` layout (shortest round-trip digits): `1.0`, `0.001`, `1.0E-4`,
/// `1.0E7`, `-0.0`, `NaN`, `Infinity`.
pub(crate) fn write_java_double(out: &mut Vec<u8>, v: f64) {
    if v.is_nan() {
        out.extend_from_slice(b"NaN");
        return;
    }
    if v.is_infinite() {
        out.extend_from_slice(if v > 0.0 { b"Infinity" } else { b"-Infinity" });
        return;
    }
    write_java_float_layout(
        out,
        &format!("{v:e}"),
        v.abs() >= 1e-3 && v.abs() < 1e7,
        v == 0.0,
    );
}

/// Java's `Float.toString` layout (`0.33333334`, `1.0E20`).
pub(crate) fn write_java_float(out: &mut Vec<u8>, v: f32) {
    if v.is_nan() {
        out.extend_from_slice(b"NaN");
        return;
    }
    if v.is_infinite() {
        out.extend_from_slice(if v > 0.0 { b"Infinity" } else { b"-Infinity" });
        return;
    }
    write_java_float_layout(
        out,
        &format!("{v:e}"),
        v.abs() >= 1e-3 && v.abs() < 1e7,
        v == 0.0,
    );
}

/// Lays out Rust's shortest `{:e}` text (`-1.2345e3`) the way Java prints doubles.
fn write_java_float_layout(out: &mut Vec<u8>, sci: &str, plain: bool, zero: bool) {
    let (mant, exp) = sci.split_once('e').unwrap_or((sci, "0"));
    let (neg, mant) = match mant.strip_prefix('-') {
        Some(m) => (true, m),
        None => (false, mant),
    };
    let exp: i32 = exp.parse().unwrap_or(0);
    let digits: Vec<u8> = mant.bytes().filter(|c| *c != b'.').collect();
    if neg {
        out.push(b'-');
    }
    if zero {
        out.extend_from_slice(b"0.0");
        return;
    }
    if plain {
        if exp >= 0 {
            let int_len = exp as usize + 1;
            for k in 0..int_len {
                out.push(*digits.get(k).unwrap_or(&b'0'));
            }
            out.push(b'.');
            if digits.len() > int_len {
                out.extend_from_slice(&digits[int_len..]);
            } else {
                out.push(b'0');
            }
        } else {
            out.extend_from_slice(b"0.");
            for _ in 0..(-exp - 1) {
                out.push(b'0');
            }
            out.extend_from_slice(&digits);
        }
    } else {
        out.push(digits[0]);
        out.push(b'.');
        if digits.len() > 1 {
            out.extend_from_slice(&digits[1..]);
        } else {
            out.push(b'0');
        }
        out.push(b'E');
        out.extend_from_slice(exp.to_string().as_bytes());
    }
}

/// Checks the syntax Java's `Double.parseDouble` accepts after trimming (decimal forms with an
/// optional `f`/`F`/`d`/`D` suffix, `NaN`, `Infinity` with a sign) and returns the text
/// Rust can parse.
fn java_float_text(s: &str) -> Option<&str> {
    let t = s.trim_matches(|c: char| c <= ' ');
    let body = t.strip_prefix(['+', '-']).unwrap_or(t);
    if body == "NaN" || body == "Infinity" {
        return Some(t);
    }
    let t = t.strip_suffix(['f', 'F', 'd', 'D']).unwrap_or(t);
    let body = t.strip_prefix(['+', '-']).unwrap_or(t);
    // Only digits, one '.', an exponent; reject Rust-only spellings like "inf".
    let b = body.as_bytes();
    let mut i = 0;
    let mut mant_digits = 0;
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
        mant_digits += 1;
    }
    if i < b.len() && b[i] == b'.' {
        i += 1;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
            mant_digits += 1;
        }
    }
    if mant_digits == 0 {
        return None;
    }
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        i += 1;
        if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
            i += 1;
        }
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if start == i {
            return None;
        }
    }
    (i == b.len()).then_some(t)
}

/// Java's hexadecimal floating-point literal (`0x1p3`, `-0X1.8P-1f`, `0x.8p1d`): a
/// significand of hex digits with an optional point, a required binary exponent, an
/// optional `f`/`F`/`d`/`D` suffix. Returns the value correctly rounded (ties to even) to a
/// binary float with `mant_bits` significand bits and normal exponents down to `emin`
/// (53/-1022 for double, 24/-126 for float); overflow gives an infinity. `s` is trimmed.
fn parse_java_hex_float(s: &str, mant_bits: i64, emin: i64) -> Option<f64> {
    let t = s.trim_matches(|c: char| c <= ' ');
    let t = t.strip_suffix(['f', 'F', 'd', 'D']).unwrap_or(t);
    let (neg, body) = match t.as_bytes().first()? {
        b'-' => (true, &t[1..]),
        b'+' => (false, &t[1..]),
        _ => (false, t),
    };
    let body = body
        .strip_prefix("0x")
        .or_else(|| body.strip_prefix("0X"))?;
    let (significand, exponent) = body.split_once(['p', 'P'])?;
    let (int_part, frac_part) = significand.split_once('.').unwrap_or((significand, ""));
    if int_part.is_empty() && frac_part.is_empty() {
        return None;
    }
    // value = (mantissa + sticky) * 2^exp2, mantissa holding the first 60 significant bits.
    let mut mantissa: u64 = 0;
    let mut sticky = false;
    let mut exp2: i64 = 0;
    for (digits, fractional) in [(int_part, false), (frac_part, true)] {
        for c in digits.bytes() {
            let d = (c as char).to_digit(16)? as u64;
            if mantissa < 1 << 60 {
                mantissa = mantissa * 16 + d;
                if fractional {
                    exp2 -= 4;
                }
            } else {
                sticky |= d != 0;
                if !fractional {
                    exp2 += 4;
                }
            }
        }
    }
    let exp_digits = exponent.strip_prefix(['+', '-']).unwrap_or(exponent);
    if exp_digits.is_empty() || !exp_digits.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    // Saturate: anything beyond ±100000 is zero or infinity anyway.
    let mut e: i64 = 0;
    for c in exp_digits.bytes() {
        e = (e * 10 + (c - b'0') as i64).min(100_000);
    }
    exp2 += if exponent.starts_with('-') { -e } else { e };
    let magnitude = if mantissa == 0 {
        0.0
    } else {
        // Normalize so the top bit is bit 63; the value's binary exponent is then exp2 + 63.
        let lz = mantissa.leading_zeros() as i64;
        let m = mantissa << lz;
        let exp2 = exp2 - lz;
        let top = exp2 + 63;
        // Bits the result keeps: fewer for subnormals.
        let bits = if top >= emin {
            mant_bits
        } else {
            mant_bits - (emin - top)
        };
        let shift = 64 - bits;
        if shift > 64 {
            0.0
        } else {
            let (keep, rem) = if shift == 64 {
                (0u64, m)
            } else {
                (m >> shift, m & ((1u64 << shift) - 1))
            };
            let half = 1u64 << (shift - 1);
            let up = rem > half || (rem == half && (sticky || keep & 1 == 1));
            let keep = keep + up as u64;
            // keep < 2^54 is exact in an f64; scaling by a power of two is exact too until
            // the result overflows to infinity.
            let mut v = keep as f64;
            let mut n = exp2 + shift;
            while n > 1000 {
                v *= 2f64.powi(1000);
                n -= 1000;
            }
            while n < -1000 {
                v *= 2f64.powi(-1000);
                n += 1000;
            }
            v * 2f64.powi(n as i32)
        }
    };
    Some(if neg { -magnitude } else { magnitude })
}

/// `Double.parseDouble` (trims, accepts `1e3`, `1.5d`, `NaN`, `-Infinity`, `0x1p3`).
pub(crate) fn parse_java_double(s: &str) -> Option<f64> {
    let Some(t) = java_float_text(s) else {
        return parse_java_hex_float(s, 53, -1022);
    };
    match t.trim_start_matches('+') {
        "NaN" | "-NaN" => Some(f64::NAN),
        "Infinity" => Some(f64::INFINITY),
        "-Infinity" => Some(f64::NEG_INFINITY),
        x => x.parse().ok(),
    }
}

/// `Float.parseFloat` (the same forms as [`parse_java_double`], rounded once to float).
pub(crate) fn parse_java_float(s: &str) -> Option<f32> {
    let Some(t) = java_float_text(s) else {
        // Rounded to float precision already, so the cast is exact (or overflows to ∞).
        return parse_java_hex_float(s, 24, -126).map(|v| v as f32);
    };
    match t.trim_start_matches('+') {
        "NaN" | "-NaN" => Some(f32::NAN),
        "Infinity" => Some(f32::INFINITY),
        "-Infinity" => Some(f32::NEG_INFINITY),
        x => x.parse().ok(),
    }
}

/// Java's `Integer.parseInt` family after `trim()`: optional sign, ASCII digits, range checked.
pub(crate) fn parse_java_int<T: TryFrom<i64>>(s: &str) -> Option<T> {
    parse_java_int_bytes(s.as_bytes())
}

/// [`parse_java_int`] over bytes.
pub(crate) fn parse_java_int_bytes<T: TryFrom<i64>>(s: &[u8]) -> Option<T> {
    let mut b = s;
    // `String.trim()` strips every char <= ' ' on both ends.
    while let [first, rest @ ..] = b {
        if *first > b' ' {
            break;
        }
        b = rest;
    }
    while let [rest @ .., last] = b {
        if *last > b' ' {
            break;
        }
        b = rest;
    }
    let (neg, digits) = match b.first()? {
        b'-' => (true, &b[1..]),
        b'+' => (false, &b[1..]),
        _ => (false, b),
    };
    if digits.is_empty() {
        return None;
    }
    // Accumulate as a negative number so i64::MIN parses.
    let mut v: i64 = 0;
    for &c in digits {
        let d = c.wrapping_sub(b'0');
        if d > 9 {
            return None;
        }
        v = v.checked_mul(10)?.checked_sub(d as i64)?;
    }
    let v = if neg { v } else { v.checked_neg()? };
    T::try_from(v).ok()
}

/// Java's `BigDecimal` text of `unscaled × 10^-scale`: `toString()` when `scientific` (plain
/// when the scale is not negative and the adjusted exponent is at least -6, else one digit,
/// the rest after a point and `E±n`: `1.23E+5`, `2.7E-8`), else `toPlainString()`. The scale
/// may be negative (after `stripTrailingZeros()`, or in a JSON literal such as `1e5`). This is
/// the one implementation: decimals written by every format and Jackson's text of a JSON
/// number both come here.
pub(crate) fn write_big_decimal(out: &mut Vec<u8>, unscaled: i128, scale: i32, scientific: bool) {
    if unscaled < 0 {
        out.push(b'-');
    }
    let coeff = unscaled.unsigned_abs().to_string();
    let c = coeff.as_bytes();
    let adjusted = -(scale as i64) + (c.len() as i64 - 1);
    if !scientific || (scale >= 0 && adjusted >= -6) {
        if scale <= 0 {
            out.extend_from_slice(c);
            for _ in 0..-(scale as i64) {
                out.push(b'0');
            }
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

/// Two ASCII digits for each of 0..100.
pub(super) const DIGIT_PAIRS: &[u8; 200] = b"0001020304050607080910111213141516171819\
2021222324252627282930313233343536373839\
4041424344454647484950515253545556575859\
6061626364656667686970717273747576777879\
8081828384858687888990919293949596979899";

/// Appends the decimal digits of `v` (two digits per step, as itoa does).
// `#[inline]`: called once per value from encoders in other modules (other codegen
// units); as a call, json encoding was 9% slower in the bench.
#[inline]
pub(crate) fn write_i64(out: &mut Vec<u8>, v: i64) {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    let mut n = v.unsigned_abs();
    while n >= 100 {
        let d = (n % 100) as usize * 2;
        n /= 100;
        i -= 2;
        buf[i..i + 2].copy_from_slice(&DIGIT_PAIRS[d..d + 2]);
    }
    if n >= 10 {
        let d = n as usize * 2;
        i -= 2;
        buf[i..i + 2].copy_from_slice(&DIGIT_PAIRS[d..d + 2]);
    } else {
        i -= 1;
        buf[i] = b'0' + n as u8;
    }
    if v < 0 {
        out.push(b'-');
    }
    out.extend_from_slice(&buf[i..]);
}

#[cfg(test)]
/// A Java decimal text read back the way `new BigDecimal(text)` reads it: (negative,
/// unscaled digits without leading zeros, scale).
pub(crate) fn read_java(text: &str) -> (bool, String, i64) {
    let (neg, t) = match text.strip_prefix('-') {
        Some(t) => (true, t),
        None => (false, text),
    };
    let (mant, exp) = match t.split_once('E') {
        Some((m, e)) => (m, e.parse::<i64>().unwrap()),
        None => (t, 0),
    };
    let (int, frac) = mant.split_once('.').unwrap_or((mant, ""));
    assert!(
        !int.is_empty() && int.bytes().chain(frac.bytes()).all(|c| c.is_ascii_digit()),
        "{text}"
    );
    let digits = format!("{int}{frac}");
    let digits = digits.trim_start_matches('0');
    let digits = if digits.is_empty() { "0" } else { digits };
    (neg, digits.to_string(), frac.len() as i64 - exp)
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
    fn java_double_layout() {
        for (v, t) in [
            (1.0, "1.0"),
            (0.001, "0.001"),
            (0.0001, "1.0E-4"),
            (1e7, "1.0E7"),
            (1e20, "1.0E20"),
            (33.333, "33.333"),
            (-0.0, "-0.0"),
            (123456.789, "123456.789"),
            (1.2345e-10, "1.2345E-10"),
            (f64::NAN, "NaN"),
            (f64::NEG_INFINITY, "-Infinity"),
        ] {
            assert_eq!(s(|o| write_java_double(o, v)), t);
        }
        assert_eq!(s(|o| write_java_float(o, 1.0f32 / 3.0)), "0.33333334");
        assert_eq!(s(|o| write_java_float(o, 1e20f32)), "1.0E20");
    }

    #[test]
    fn java_number_parsing() {
        assert_eq!(parse_java_double(" 1e3 "), Some(1000.0));
        assert_eq!(parse_java_float("1.5f"), Some(1.5));
        assert!(parse_java_double("NaN").unwrap().is_nan());
        assert_eq!(parse_java_double("-Infinity"), Some(f64::NEG_INFINITY));
        assert_eq!(parse_java_double("inf"), None);
        assert_eq!(parse_java_double("1e"), None);
        assert_eq!(parse_java_double("."), None);
        // Java hexadecimal literals (Double.parseDouble / Float.parseFloat accept them).
        for (text, v) in [
            ("0x1p3", 8.0),
            ("0X1P3", 8.0),
            (" -0x1.8p1 ", -3.0),
            ("0x.8p1", 1.0),
            ("0x1.p0d", 1.0),
            ("+0x10p-4F", 1.0),
            ("0x0p0", 0.0),
            ("0x1.fffffffffffffp1023", f64::MAX),
            ("0x1p-1074", 5e-324),
            ("0x1p-1075", 0.0),
            ("0x1.0000000000001p-1075", 5e-324),
            ("0x1p1024", f64::INFINITY),
            // Ties to even, with digits beyond 64 bits kept as a sticky bit.
            ("0x1.00000000000008p0", 1.0),
            ("0x1.00000000000018p0", 1.0 + 2.0 * f64::EPSILON),
            ("0x1.000000000000080000000001p0", 1.0 + f64::EPSILON),
            ("0x123456789abcdef0123p0", 0x123456789abcdef0123u128 as f64),
        ] {
            assert_eq!(parse_java_double(text), Some(v), "{text}");
        }
        assert_eq!(
            parse_java_double("-0x0p0").map(f64::is_sign_negative),
            Some(true)
        );
        for bad in [
            "0x1", "0xp3", "0x.p1", "0x1p", "0x1p+", "0xgp1", "1p3", "0x1e3", "0x1p3.5",
        ] {
            assert_eq!(parse_java_double(bad), None, "{bad}");
        }
        assert_eq!(parse_java_float("0x1p3f"), Some(8.0));
        assert_eq!(parse_java_float("0x1.000001p0"), Some(1.0));
        assert_eq!(
            parse_java_float("0x1.000003p0"),
            Some(1.0 + 2.0 * f32::EPSILON)
        );
        assert_eq!(parse_java_float("0x1p-149"), Some(f32::from_bits(1)));
        assert_eq!(parse_java_float("0x1p128"), Some(f32::INFINITY));
        assert_eq!(parse_java_int::<i32>(" 42 "), Some(42));
        assert_eq!(parse_java_int::<i8>("128"), None);
        assert_eq!(parse_java_int::<i64>("9223372036854775807"), Some(i64::MAX));
        assert_eq!(parse_java_int::<i64>("9223372036854775808"), None);
        assert_eq!(parse_java_int::<i32>("1.5"), None);
        assert_eq!(parse_java_int::<i32>(""), None);
        for v in [0, 7, 10, 99, 100, 12345, -1, -100, i64::MIN, i64::MAX] {
            assert_eq!(s(|o| write_i64(o, v)), v.to_string());
        }
    }

    fn big(unscaled: i128, scale: i32, scientific: bool) -> String {
        s(|o| write_big_decimal(o, unscaled, scale, scientific))
    }

    /// The examples of `BigDecimal.toString`'s Javadoc, and `toPlainString` of the same.
    #[test]
    fn big_decimal_texts_match_java() {
        for (unscaled, scale, to_string, plain) in [
            (123, 0, "123", "123"),
            (-123, 0, "-123", "-123"),
            (123, -1, "1.23E+3", "1230"),
            (123, -3, "1.23E+5", "123000"),
            (123, 1, "12.3", "12.3"),
            (123, 5, "0.00123", "0.00123"),
            (123, 10, "1.23E-8", "0.0000000123"),
            (-123, 12, "-1.23E-10", "-0.000000000123"),
            (0, 0, "0", "0"),
            (0, 2, "0.00", "0.00"),
            (0, 8, "0E-8", "0.00000000"),
            (1, -2, "1E+2", "100"),
            (27, 9, "2.7E-8", "0.000000027"),
            (1, 7, "1E-7", "0.0000001"),
            (1, 6, "0.000001", "0.000001"),
            (
                i128::MIN,
                0,
                "-170141183460469231731687303715884105728",
                "-170141183460469231731687303715884105728",
            ),
            (
                i128::MAX,
                45,
                "1.70141183460469231731687303715884105727E-7",
                "0.000000170141183460469231731687303715884105727",
            ),
        ] {
            assert_eq!(big(unscaled, scale, true), to_string, "{unscaled} {scale}");
            assert_eq!(big(unscaled, scale, false), plain, "{unscaled} {scale}");
        }
        // The extremes of a JSON literal's scale do not overflow.
        assert_eq!(big(15, i32::MIN, true), "1.5E+2147483649");
        assert_eq!(big(1, i32::MAX, true), "1E-2147483647");
    }

    proptest::proptest! {
        /// Both forms read back to the same unscaled value; `toString` keeps the scale
        /// exactly (as Java's does) and switches to `E` notation exactly where Java does.
        #[test]
        fn big_decimal_forms_agree(unscaled in proptest::prelude::any::<i128>(), scale in -45i32..60) {
            let sci = big(unscaled, scale, true);
            let plain = big(unscaled, scale, false);
            let digits = unscaled.unsigned_abs().to_string();
            let neg = unscaled < 0;
            proptest::prop_assert_eq!(read_java(&sci), (neg, digits.clone(), scale as i64), "{}", sci);
            let (p_neg, p_digits, p_scale) = read_java(&plain);
            proptest::prop_assert!(!plain.contains('E'));
            proptest::prop_assert_eq!(p_neg, neg);
            if scale >= 0 {
                proptest::prop_assert_eq!((p_digits, p_scale), (digits.clone(), scale as i64));
            } else if unscaled != 0 {
                // toPlainString writes the zeros a negative scale stands for.
                proptest::prop_assert_eq!(p_scale, 0);
                proptest::prop_assert_eq!(p_digits, format!("{digits}{}", "0".repeat(-scale as usize)));
            }
            let adjusted = digits.len() as i64 - 1 - scale as i64;
            let plain_expected = scale >= 0 && adjusted >= -6;
            proptest::prop_assert_eq!(!sci.contains('E'), plain_expected, "{}", sci);
            if let Some((mant, exp)) = sci.split_once('E') {
                proptest::prop_assert_eq!(mant.trim_start_matches('-').find('.').unwrap_or(1), 1);
                proptest::prop_assert_eq!(exp.parse::<i64>().unwrap(), adjusted);
                proptest::prop_assert_eq!(exp.starts_with('+'), adjusted >= 0);
            }
        }
    }
}
