//! `scan.stream.initpos-timestamp` parsing (decisions D10).
//!
//! The pattern language is the subset of Java's `SimpleDateFormat` that Flink users write:
//! `yyyy` (`yy`), `MM`, `dd`, `HH`, `mm`, `ss`, `SSS`, `X`/`XX`/`XXX`, `Z` and `'literal'`
//! (`''` is a quote). As in Java, `SSS` reads its digits as a **count of milliseconds**
//! (`.5` is 5 ms), fields not followed by another number take any number of digits
//! (`2016-4-4`), and text after the pattern is ignored. Unlike Java, parsing is strict (an
//! impossible date is an error) and a pattern without a zone means UTC. Text that does not
//! match the pattern is read as non-negative decimal seconds since the epoch.

use chrono::{DateTime, Datelike, NaiveDate, TimeZone, Utc};

/// Flink's default `scan.stream.initpos-timestamp-format`.
#[cfg(test)]
const DEFAULT_TIMESTAMP_FORMAT: &str = "yyyy-MM-dd'T'HH:mm:ss.SSSXXX";

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Field(char, usize),
    Literal(String),
}

/// Why a pattern or a timestamp was refused (the caller turns this into Flink's V12 message).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimestampError(pub String);

impl std::fmt::Display for TimestampError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

fn compile(pattern: &str) -> Result<Vec<Token>, TimestampError> {
    let chars: Vec<char> = pattern.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '\'' {
            // Quoted literal; '' inside or outside quotes is one quote.
            if chars.get(i + 1) == Some(&'\'') {
                out.push(Token::Literal("'".into()));
                i += 2;
                continue;
            }
            let mut lit = String::new();
            i += 1;
            loop {
                match chars.get(i) {
                    None => {
                        return Err(TimestampError(format!(
                            "Unterminated quote in pattern \"{pattern}\""
                        )))
                    }
                    Some('\'') if chars.get(i + 1) == Some(&'\'') => {
                        lit.push('\'');
                        i += 2;
                    }
                    Some('\'') => {
                        i += 1;
                        break;
                    }
                    Some(&ch) => {
                        lit.push(ch);
                        i += 1;
                    }
                }
            }
            out.push(Token::Literal(lit));
        } else if c.is_ascii_alphabetic() {
            let mut n = 1;
            while chars.get(i + n) == Some(&c) {
                n += 1;
            }
            let ok = match c {
                'y' | 'd' | 'H' | 'm' | 's' | 'S' | 'Z' => true,
                'M' => n <= 2,
                'X' => n <= 3,
                _ => false,
            };
            if !ok {
                return Err(TimestampError(format!(
                    "Unsupported pattern letters \"{}\" in \"{pattern}\"",
                    c.to_string().repeat(n)
                )));
            }
            out.push(Token::Field(c, n));
            i += n;
        } else {
            out.push(Token::Literal(c.to_string()));
            i += 1;
        }
    }
    Ok(out)
}

/// Checks that `pattern` uses only the supported letters.
pub fn check_pattern(pattern: &str) -> Result<(), TimestampError> {
    compile(pattern).map(|_| ())
}

struct Cursor<'a> {
    s: &'a [u8],
    pos: usize,
}

impl Cursor<'_> {
    fn digits(&mut self, width: Option<usize>) -> Option<u64> {
        let start = self.pos;
        let mut v: u64 = 0;
        while self.pos < self.s.len() && self.s[self.pos].is_ascii_digit() {
            if width.is_some_and(|w| self.pos - start == w) {
                break;
            }
            v = v
                .checked_mul(10)?
                .checked_add((self.s[self.pos] - b'0') as u64)?;
            self.pos += 1;
        }
        if self.pos == start || width.is_some_and(|w| self.pos - start != w) {
            return None;
        }
        Some(v)
    }

    fn fixed_digits(&mut self, n: usize) -> Option<i64> {
        self.digits(Some(n)).map(|v| v as i64)
    }

    fn eat(&mut self, lit: &str) -> bool {
        if self.s[self.pos..].starts_with(lit.as_bytes()) {
            self.pos += lit.len();
            true
        } else {
            false
        }
    }
}

/// Parses `text` with `pattern` only (no epoch-seconds fallback), in milliseconds since the
/// epoch.
pub fn parse_with_pattern(text: &str, pattern: &str) -> Result<i64, TimestampError> {
    let tokens = compile(pattern)?;
    let mut c = Cursor {
        s: text.as_bytes(),
        pos: 0,
    };
    let (mut year, mut month, mut day) = (1970i64, 1u32, 1u32);
    let (mut hour, mut minute, mut second, mut millis) = (0u32, 0u32, 0u32, 0u32);
    let mut offset_minutes: i64 = 0;
    let bad = |what: &str| TimestampError(format!("Unparseable date: \"{text}\" ({what})"));
    for (i, t) in tokens.iter().enumerate() {
        match t {
            Token::Literal(l) => {
                if !c.eat(l) {
                    return Err(bad(&format!("expected '{l}'")));
                }
            }
            Token::Field(letter @ ('X' | 'Z'), n) => {
                offset_minutes = parse_zone(&mut c, *letter, *n).ok_or_else(|| bad("zone"))?;
            }
            Token::Field(letter, n) => {
                // Java reads a fixed width only when the next field is also numeric.
                let abutting = matches!(
                    tokens.get(i + 1),
                    Some(Token::Field(l, _)) if !matches!(l, 'X' | 'Z')
                );
                let width = abutting.then_some(*n);
                let v = c.digits(width).ok_or_else(|| bad("expected digits"))?;
                let v32 = u32::try_from(v).map_err(|_| bad("number too large"))?;
                match letter {
                    'y' => {
                        year = v as i64;
                        if *n == 2 && v < 100 {
                            year = two_digit_year(v as i64);
                        }
                    }
                    'M' => month = v32,
                    'd' => day = v32,
                    'H' => hour = v32,
                    'm' => minute = v32,
                    's' => second = v32,
                    'S' => millis = v32,
                    _ => return Err(bad("pattern letter")),
                }
            }
        }
    }
    let date = i32::try_from(year)
        .ok()
        .and_then(|y| NaiveDate::from_ymd_opt(y, month, day))
        .ok_or_else(|| bad("no such date"))?;
    if millis > 999 {
        return Err(bad("millisecond out of range"));
    }
    let time = date
        .and_hms_milli_opt(hour, minute, second, millis)
        .ok_or_else(|| bad("no such time"))?;
    Ok(time.and_utc().timestamp_millis() - offset_minutes * 60_000)
}

fn two_digit_year(v: i64) -> i64 {
    // SimpleDateFormat: within 80 years before and 20 years after now.
    let now = Utc::now().year() as i64;
    let mut y = now / 100 * 100 + v;
    if y > now + 20 {
        y -= 100;
    } else if y <= now - 80 {
        y += 100;
    }
    y
}

fn parse_zone(c: &mut Cursor<'_>, letter: char, n: usize) -> Option<i64> {
    if letter == 'X' && c.eat("Z") {
        return Some(0);
    }
    if letter == 'Z' && (c.eat("GMT") || c.eat("UTC")) {
        // General time zone: GMT, GMT+h, GMT+hh:mm.
        let sign = match c.s.get(c.pos) {
            Some(b'+') => 1,
            Some(b'-') => -1,
            _ => return Some(0),
        };
        c.pos += 1;
        let h = c.digits(None)? as i64;
        let m = if c.eat(":") { c.fixed_digits(2)? } else { 0 };
        return (h < 24 && m < 60).then_some(sign * (h * 60 + m));
    }
    let sign = match c.s.get(c.pos) {
        Some(b'+') => 1,
        Some(b'-') => -1,
        _ => return None,
    };
    c.pos += 1;
    let h = c.fixed_digits(2)?;
    let m = match (letter, n) {
        ('X', 1) => 0,
        ('X', 2) => c.fixed_digits(2)?,
        ('X', _) => {
            if !c.eat(":") {
                return None;
            }
            c.fixed_digits(2)?
        }
        _ => {
            // RFC 822 `Z`: ±hhmm (±hh:mm also accepted, as Java's parser does).
            c.eat(":");
            c.fixed_digits(2)?
        }
    };
    (h < 24 && m < 60).then_some(sign * (h * 60 + m))
}

/// Parses an `AT_TIMESTAMP` start: first with `pattern`, else as non-negative decimal seconds
/// since the epoch (Java `Double.parseDouble` syntax), as Flink does. Invalid patterns are
/// an error even for numeric text (Java fails while building the formatter).
pub fn parse_start_timestamp(text: &str, pattern: &str) -> Result<DateTime<Utc>, TimestampError> {
    check_pattern(pattern)?;
    let ms = match parse_with_pattern(text, pattern) {
        Ok(ms) => ms,
        Err(e) => {
            let seconds = crate::java::parse_double(text).ok_or(e)?;
            if seconds < 0.0 {
                return Err(TimestampError(format!("negative epoch seconds: {text}")));
            }
            (seconds * 1000.0) as i64
        }
    };
    Utc.timestamp_millis_opt(ms)
        .single()
        .ok_or_else(|| TimestampError(format!("time out of range: {text}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(text: &str, pattern: &str) -> Result<i64, TimestampError> {
        parse_start_timestamp(text, pattern).map(|t| t.timestamp_millis())
    }

    #[test]
    fn flink_examples() {
        let d = DEFAULT_TIMESTAMP_FORMAT;
        assert_eq!(ms("2016-04-04T19:58:46.480-00:00", d), Ok(1459799926480));
        assert_eq!(ms("1459799926.480", d), Ok(1459799926480));
        assert_eq!(ms("2020-08-13T09:18:00.0+01:00", d), Ok(1597306680000));
        assert_eq!(ms("2016-04-04T19:58:46.480Z", d), Ok(1459799926480));
        // Trailing text is ignored, single-digit fields are accepted.
        assert_eq!(
            ms("2016-04-04T19:58:46.480-00:00trailing", d),
            Ok(1459799926480)
        );
        assert_eq!(ms("2016-4-4T19:58:46.480Z", d), Ok(1459799926480));
    }

    #[test]
    fn sss_counts_milliseconds() {
        let d = DEFAULT_TIMESTAMP_FORMAT;
        let base = 1459799926000;
        assert_eq!(ms("2016-04-04T19:58:46.48Z", d), Ok(base + 48));
        assert_eq!(ms("2016-04-04T19:58:46.5Z", d), Ok(base + 5));
        assert_eq!(ms("2016-04-04T19:58:46.0Z", d), Ok(base));
    }

    #[test]
    fn strict_dates_and_zones() {
        let d = DEFAULT_TIMESTAMP_FORMAT;
        // Java would roll month 13 over; we refuse it (D10).
        assert!(ms("2016-13-04T19:58:46.480Z", d).is_err());
        assert!(ms("2016-02-30T19:58:46.480Z", d).is_err());
        // XXX needs a colon; the text is not a number either.
        assert!(ms("2016-04-04T19:58:46.480+0100", d).is_err());
        assert!(ms("-1.5", d).is_err());
        assert!(ms("2016-04-04", "InvalidPattern").is_err());
        assert!(ms("0", "InvalidPattern").is_err());
    }

    #[test]
    fn other_patterns() {
        // No zone means UTC.
        assert_eq!(
            ms("2014-10-22T12:00:00", "yyyy-MM-dd'T'HH:mm:ss"),
            Ok(1413979200000)
        );
        assert_eq!(ms("2016-04-04", "yyyy-MM-dd"), Ok(1459728000000));
        // Abutting fields use the pattern widths.
        assert_eq!(ms("20160404", "yyyyMMdd"), Ok(1459728000000));
        assert_eq!(
            ms("2016-04-04 19:58 +0200", "yyyy-MM-dd HH:mm Z"),
            Ok(1459792680000)
        );
        assert_eq!(
            ms("2016-04-04T01 +02", "yyyy-MM-dd'T'HH X"),
            Ok(1459724400000)
        );
        assert_eq!(ms("at 2016", "'at' yyyy"), Ok(1451606400000));
        assert_eq!(ms("1e3", DEFAULT_TIMESTAMP_FORMAT), Ok(1_000_000));
    }
}

/// The examples of this module's items (the module is private, so not doctests).
#[cfg(test)]
mod examples {
    #[test]
    fn check_pattern_example() {
        use crate::timestamp::check_pattern;
        assert!(check_pattern("yyyy-MM-dd'T'HH:mm:ss.SSSXXX").is_ok());
        assert!(check_pattern("InvalidPattern").is_err());
    }

    #[test]
    fn parse_with_pattern_example() {
        use crate::timestamp::parse_with_pattern;
        let ms = parse_with_pattern(
            "2016-04-04T19:58:46.480-00:00",
            "yyyy-MM-dd'T'HH:mm:ss.SSSXXX",
        );
        assert_eq!(ms, Ok(1459799926480));
    }

    #[test]
    fn parse_start_timestamp_example() {
        use crate::timestamp::{parse_start_timestamp, DEFAULT_TIMESTAMP_FORMAT};
        let t = parse_start_timestamp("1459799926.480", DEFAULT_TIMESTAMP_FORMAT).unwrap();
        assert_eq!(t.timestamp_millis(), 1459799926480);
        let t =
            parse_start_timestamp("2020-08-13T09:18:00.0+01:00", DEFAULT_TIMESTAMP_FORMAT).unwrap();
        assert_eq!(t.timestamp_millis(), 1597306680000);
    }
}
