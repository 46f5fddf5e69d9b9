//! Exact decimals: Flink's DECIMAL(p, s) values, read from Java's `BigDecimal` syntax and
//! written in its forms.

use std::fmt;

use crate::text;

/// An exact decimal: `unscaled * 10^-scale`. Flink's DECIMAL has at most 38 digits, which
/// fits an `i128`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Decimal {
    /// The digits without the point, with the sign: `-1234` for `-12.34`.
    pub unscaled: i128,
    /// Digits after the point: `2` for `-12.34`.
    pub scale: u8,
}

/// Largest unscaled value with 38 digits.
const MAX_38: i128 = 99_999_999_999_999_999_999_999_999_999_999_999_999;

pub(crate) fn pow10(n: u32) -> Option<i128> {
    10i128.checked_pow(n)
}

/// Number of decimal digits of |v| (0 has 1 digit).
fn digit_count(v: i128) -> u32 {
    let mut a = v.unsigned_abs();
    let mut n = 1;
    while a >= 10 {
        a /= 10;
        n += 1;
    }
    n
}

impl Decimal {
    /// A decimal from its unscaled value and scale.
    ///
    /// ```
    /// use kinesis_formats::Decimal;
    /// assert_eq!(Decimal::new(-1234, 2).to_string(), "-12.34");
    /// ```
    pub fn new(unscaled: i128, scale: u8) -> Self {
        Decimal { unscaled, scale }
    }

    /// Parses Java `new BigDecimal(text)` syntax (`-12.5`, `1E+5`, `.5`, `2.7E-8`; no
    /// surrounding spaces) and converts it as Flink's `DecimalData.fromBigDecimal(bd, p, s)`:
    /// rounds HALF_UP to scale `s`. Returns `Err(())` for a syntax error and `Ok(None)` when
    /// the rounded value needs more than `p` digits (Flink then yields null).
    pub(crate) fn parse_java(text: &str, precision: u8, scale: u8) -> Result<Option<Decimal>, ()> {
        let b = text.as_bytes();
        let mut i = 0;
        let neg = match b.first() {
            Some(b'-') => {
                i += 1;
                true
            }
            Some(b'+') => {
                i += 1;
                false
            }
            _ => false,
        };
        // Significant digits (leading zeros dropped) and the position of the point.
        let mut digits: Vec<u8> = Vec::with_capacity(b.len());
        let mut frac_digits: i64 = 0;
        let mut seen_point = false;
        let mut any_digit = false;
        while i < b.len() {
            match b[i] {
                c @ b'0'..=b'9' => {
                    any_digit = true;
                    if !(digits.is_empty() && c == b'0') {
                        digits.push(c - b'0');
                    }
                    if seen_point {
                        frac_digits += 1;
                    }
                }
                b'.' if !seen_point => seen_point = true,
                _ => break,
            }
            i += 1;
        }
        if !any_digit {
            return Err(());
        }
        let mut exp: i64 = 0;
        if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
            i += 1;
            let s = &text[i..];
            let body = s.strip_prefix(['+', '-']).unwrap_or(s);
            if body.is_empty() || !body.bytes().all(|c| c.is_ascii_digit()) {
                return Err(());
            }
            // Java: leading zeros aside, at most 10 digits, and the value within an int
            // ("Exponent overflow").
            let significant = body.trim_start_matches('0');
            if significant.len() > 10 {
                return Err(());
            }
            let magnitude: i64 = significant.parse().unwrap_or(0);
            exp = if s.starts_with('-') {
                -magnitude
            } else {
                magnitude
            };
            if i32::try_from(exp).is_err() {
                return Err(());
            }
            i = b.len();
        }
        if i != b.len() {
            return Err(());
        }
        // Java: the scale (fraction digits minus exponent) must fit an int too ("Scale out
        // of range"). Both terms are far from i64's limits, so this cannot overflow.
        if i32::try_from(frac_digits - exp).is_err() {
            return Err(());
        }
        // value = digits * 10^(exp - frac_digits); we need round(value * 10^scale).
        let shift = exp - frac_digits + scale as i64;
        let mut unscaled: i128;
        if digits.is_empty() {
            unscaled = 0;
        } else if shift >= 0 {
            if digits.len() as i64 + shift > 38 {
                return Ok(None);
            }
            unscaled = 0;
            for d in &digits {
                unscaled = unscaled * 10 + *d as i128;
            }
            unscaled *= pow10(shift as u32).ok_or(())?;
        } else {
            let drop = (-shift) as usize;
            if drop > digits.len() {
                unscaled = 0;
            } else {
                let keep = digits.len() - drop;
                if keep > 38 {
                    return Ok(None);
                }
                unscaled = 0;
                for d in &digits[..keep] {
                    unscaled = unscaled * 10 + *d as i128;
                }
                if digits[keep] >= 5 {
                    unscaled += 1;
                }
            }
        }
        if unscaled > MAX_38 || digit_count(unscaled) > precision as u32 {
            return Ok(None);
        }
        if neg {
            unscaled = -unscaled;
        }
        Ok(Some(Decimal { unscaled, scale }))
    }

    /// Plain notation at this decimal's own scale: `100.00`, `-0.05`, `7`.
    ///
    /// ```
    /// use kinesis_formats::Decimal;
    /// assert_eq!(Decimal::new(10000, 2).to_plain_string(), "100.00");
    /// assert_eq!(Decimal::new(-5, 2).to_plain_string(), "-0.05");
    /// ```
    pub fn to_plain_string(&self) -> String {
        let mut v = Vec::new();
        self.write_plain(&mut v);
        String::from_utf8(v).unwrap_or_default()
    }

    /// Appends [`Decimal::to_plain_string`].
    pub(crate) fn write_plain(&self, out: &mut Vec<u8>) {
        text::write_big_decimal(out, self.unscaled, self.scale as i32, false);
    }

    /// Flink's form: `stripTrailingZeros()` (zero stays `0`) then Java's
    /// `BigDecimal.toString()` (`scientific = true`: `1E+2`, `2.7E-8`) or `toPlainString()`.
    pub(crate) fn write_flink(&self, out: &mut Vec<u8>, scientific: bool) {
        let (mut u, mut s) = (self.unscaled, self.scale as i32);
        if u == 0 {
            out.push(b'0');
            return;
        }
        while u % 10 == 0 {
            u /= 10;
            s -= 1;
        }
        text::write_big_decimal(out, u, s, scientific);
    }

    /// Rescales to `scale` (HALF_UP) and checks `precision`; `None` when it does not fit.
    ///
    /// ```
    /// use kinesis_formats::Decimal;
    /// assert_eq!(Decimal::new(12345, 3).rescale(10, 2), Some(Decimal::new(1235, 2)));
    /// assert_eq!(Decimal::new(12345, 3).rescale(3, 2), None);
    /// ```
    pub fn rescale(&self, precision: u8, scale: u8) -> Option<Decimal> {
        let mut u = self.unscaled;
        if scale >= self.scale {
            u = u.checked_mul(pow10((scale - self.scale) as u32)?)?;
        } else {
            let d = pow10((self.scale - scale) as u32)?;
            let (q, r) = (u / d, u % d);
            u = q + if r.abs() * 2 >= d { r.signum() } else { 0 };
        }
        (u.abs() <= MAX_38 && digit_count(u) <= precision as u32)
            .then_some(Decimal { unscaled: u, scale })
    }

    /// The value as f64 (lossy).
    pub fn to_f64(&self) -> f64 {
        self.to_plain_string().parse().unwrap_or(f64::NAN)
    }
}

impl fmt::Display for Decimal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_plain_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flink(d: Decimal, sci: bool) -> String {
        let mut v = Vec::new();
        d.write_flink(&mut v, sci);
        String::from_utf8(v).unwrap()
    }

    #[test]
    fn decimal_text_forms_match_java() {
        assert_eq!(flink(Decimal::new(100000, 0), true), "1E+5");
        assert_eq!(flink(Decimal::new(10000, 2), true), "1E+2");
        assert_eq!(flink(Decimal::new(10000, 2), false), "100");
        assert_eq!(flink(Decimal::new(27, 9), true), "2.7E-8");
        assert_eq!(flink(Decimal::new(27, 9), false), "0.000000027");
        assert_eq!(flink(Decimal::new(123456789, 6), true), "123.456789");
        assert_eq!(
            flink(Decimal::new(454621864049246170, 0), true),
            "4.5462186404924617E+17"
        );
        assert_eq!(flink(Decimal::new(0, 5), true), "0");
        assert_eq!(flink(Decimal::new(-15, 1), true), "-1.5");
        assert_eq!(Decimal::new(0, 2).to_plain_string(), "0.00");
        assert_eq!(Decimal::new(-123, 0).to_plain_string(), "-123");
    }

    #[test]
    fn decimal_parsing_rounds_half_up_and_overflows_to_none() {
        let p = |s: &str, pr, sc| Decimal::parse_java(s, pr, sc);
        assert_eq!(p("1.005", 10, 2), Ok(Some(Decimal::new(101, 2))));
        assert_eq!(p("-1.005", 10, 2), Ok(Some(Decimal::new(-101, 2))));
        assert_eq!(p(".5", 10, 0), Ok(Some(Decimal::new(1, 0))));
        assert_eq!(p("5.", 10, 0), Ok(Some(Decimal::new(5, 0))));
        assert_eq!(p("2.7E-8", 10, 9), Ok(Some(Decimal::new(27, 9))));
        assert_eq!(p("000123", 3, 0), Ok(Some(Decimal::new(123, 0))));
        assert_eq!(p("1234", 3, 0), Ok(None));
        assert_eq!(p("99.995", 4, 2), Ok(None));
        assert_eq!(p("1E+40", 38, 0), Ok(None));
        assert_eq!(p("1E-400", 38, 2), Ok(Some(Decimal::new(0, 2))));
        for bad in [
            "",
            "-",
            ".",
            "1e",
            "1e+",
            "abc",
            " 1",
            "1 ",
            "1.2.3",
            "0x10",
            "1e99999999999",
            // Exponents beyond 32 bits (Java: "Exponent overflow"), both signs.
            "1e-9223372036854775808",
            "-1e9223372036854775807",
            "1e2147483648",
            "1e-2147483649",
            // Scale (fraction digits minus exponent) beyond 32 bits ("Scale out of range").
            "1e-2147483648",
            "1.5e-2147483647",
        ] {
            assert_eq!(p(bad, 10, 2), Err(()), "{bad:?}");
        }
        // Java skips leading zeros of the exponent; the limits themselves are fine.
        assert_eq!(
            p("1e+00000000000002", 10, 0),
            Ok(Some(Decimal::new(100, 0)))
        );
        assert_eq!(p("1e2147483647", 38, 0), Ok(None));
        assert_eq!(p("-1e-2147483647", 10, 2), Ok(Some(Decimal::new(0, 2))));
        assert_eq!(
            Decimal::new(12345, 3).rescale(10, 2),
            Some(Decimal::new(1235, 2))
        );
        assert_eq!(
            Decimal::new(-12345, 3).rescale(10, 2),
            Some(Decimal::new(-1235, 2))
        );
        assert_eq!(Decimal::new(12345, 3).rescale(3, 2), None);
    }

    proptest::proptest! {
        /// Flink's two forms (`toString` and `toPlainString` after stripping zeros) and the
        /// plain form at the declared scale all read back to the same decimal.
        #[test]
        fn every_written_form_reads_back(
            unscaled in -MAX_38..=MAX_38,
            scale in 0u8..=38,
        ) {
            let d = Decimal::new(unscaled, scale);
            for text in [flink(d, true), flink(d, false), d.to_plain_string()] {
                proptest::prop_assert_eq!(Decimal::parse_java(&text, 38, scale), Ok(Some(d)), "{}", text);
            }
        }
    }
}
