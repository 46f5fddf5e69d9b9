//! Text forms shared by the formats: Flink's `TimeFormats`, `java.sql.Date.valueOf`,
//! `LocalTime.parse`, Java's `Float/Double.toString` and `parseFloat/parseDouble`, Base64.
//!
//! Writers append ASCII to a `Vec<u8>` (no allocation besides the buffer); parsers take a
//! `&str` and return `None` when the text does not match.
//!
//! ```
//! use kinesis_formats::text;
//! let ts = text::parse_sql_timestamp("2020-12-30 12:13:14.100", false).unwrap();
//! let mut out = Vec::new();
//! text::write_timestamp(&mut out, &ts, b'T', true);
//! assert_eq!(out, b"2020-12-30T12:13:14.1Z");
//! ```

use chrono::{Datelike, NaiveDate, NaiveDateTime, NaiveTime, Timelike};

/// Days from 0001-01-01 (CE day 1) to 1970-01-01.
const UNIX_EPOCH_CE_DAYS: i32 = 719_163;

pub(crate) const NANOS_PER_DAY: u64 = 86_400_000_000_000;

/// The date `days` after 1970-01-01, if chrono can represent it.
pub fn date_from_days(days: i32) -> Option<NaiveDate> {
    NaiveDate::from_num_days_from_ce_opt(days.checked_add(UNIX_EPOCH_CE_DAYS)?)
}

/// Days since 1970-01-01.
pub fn days_from_date(d: NaiveDate) -> i32 {
    d.num_days_from_ce() - UNIX_EPOCH_CE_DAYS
}

fn push_2(out: &mut Vec<u8>, v: u32) {
    out.push(b'0' + (v / 10) as u8);
    out.push(b'0' + (v % 10) as u8);
}

/// `ISO_LOCAL_DATE`: `2020-12-30`; years beyond 9999 get a `+`, negative years a `-`.
pub fn write_date(out: &mut Vec<u8>, d: NaiveDate) {
    let y = d.year();
    if (0..=9999).contains(&y) {
        let y = y as u32;
        push_2(out, y / 100);
        push_2(out, y % 100);
    } else {
        if y > 9999 {
            out.push(b'+');
        } else {
            out.push(b'-');
        }
        let a = y.unsigned_abs();
        if a < 1000 {
            out.extend_from_slice(format!("{a:04}").as_bytes());
        } else {
            out.extend_from_slice(a.to_string().as_bytes());
        }
    }
    out.push(b'-');
    push_2(out, d.month());
    out.push(b'-');
    push_2(out, d.day());
}

/// Flink's `SQL_TIME_FORMAT`: `HH:mm:ss` plus the minimal fraction (no `.` when zero).
pub fn write_time_nanos(out: &mut Vec<u8>, nanos_of_day: u64) {
    let secs = (nanos_of_day / 1_000_000_000) as u32;
    let frac = (nanos_of_day % 1_000_000_000) as u32;
    push_2(out, secs / 3600);
    out.push(b':');
    push_2(out, secs / 60 % 60);
    out.push(b':');
    push_2(out, secs % 60);
    write_fraction(out, frac);
}

/// `.f{1,9}` with trailing zeros dropped; nothing for 0.
fn write_fraction(out: &mut Vec<u8>, nanos: u32) {
    if nanos == 0 {
        return;
    }
    let mut digits = [0u8; 9];
    let mut n = nanos;
    for i in (0..9).rev() {
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
    }
    let mut len = 9;
    while digits[len - 1] == b'0' {
        len -= 1;
    }
    out.push(b'.');
    out.extend_from_slice(&digits[..len]);
}

/// Two digits of `v` (< 100) into `buf[i..i + 2]`.
fn put_2(buf: &mut [u8], i: usize, v: u32) {
    let d = v as usize * 2;
    buf[i..i + 2].copy_from_slice(&DIGIT_PAIRS[d..d + 2]);
}

/// `yyyy-MM-dd<sep>HH:mm:ss[.f]` plus a literal `Z` when `zulu`.
pub fn write_timestamp(out: &mut Vec<u8>, ts: &NaiveDateTime, sep: u8, zulu: bool) {
    let date = ts.date();
    let year = date.year();
    if !(0..=9999).contains(&year) {
        write_date(out, date);
        write_time_of_timestamp(out, ts, sep, zulu);
        return;
    }
    // The common case is formatted on the stack and appended once: encoders spend much of
    // their time here, and per-byte pushes each re-check the capacity.
    let mut buf = [0u8; 30];
    put_2(&mut buf, 0, year as u32 / 100);
    put_2(&mut buf, 2, year as u32 % 100);
    buf[4] = b'-';
    put_2(&mut buf, 5, date.month());
    buf[7] = b'-';
    put_2(&mut buf, 8, date.day());
    let len = time_of_timestamp(&mut buf, 10, ts, sep, zulu);
    out.extend_from_slice(&buf[..len]);
}

/// The part of [`write_timestamp`] after the date, for years outside 0..=9999.
fn write_time_of_timestamp(out: &mut Vec<u8>, ts: &NaiveDateTime, sep: u8, zulu: bool) {
    let mut buf = [0u8; 20];
    let len = time_of_timestamp(&mut buf, 0, ts, sep, zulu);
    out.extend_from_slice(&buf[..len]);
}

/// Writes `<sep>HH:mm:ss[.f][Z]` into `buf` at `i`; returns the end index.
fn time_of_timestamp(
    buf: &mut [u8],
    mut i: usize,
    ts: &NaiveDateTime,
    sep: u8,
    zulu: bool,
) -> usize {
    let secs = ts.num_seconds_from_midnight();
    buf[i] = sep;
    put_2(buf, i + 1, secs / 3600);
    buf[i + 3] = b':';
    put_2(buf, i + 4, secs / 60 % 60);
    buf[i + 6] = b':';
    put_2(buf, i + 7, secs % 60);
    i += 9;
    // chrono encodes a leap second as nanos >= 1e9; Flink has no leap seconds.
    let nanos = ts.nanosecond().min(999_999_999);
    if nanos != 0 {
        buf[i] = b'.';
        i += 1;
        if nanos.is_multiple_of(1_000_000) {
            // Milliseconds (TIMESTAMP(3), the usual case): up to three digits.
            let ms = nanos / 1_000_000;
            buf[i] = b'0' + (ms / 100) as u8;
            buf[i + 1] = b'0' + (ms / 10 % 10) as u8;
            buf[i + 2] = b'0' + (ms % 10) as u8;
            i += 3;
        } else {
            let mut n = nanos;
            for k in (0..9).rev() {
                buf[i + k] = b'0' + (n % 10) as u8;
                n /= 10;
            }
            i += 9;
        }
        while buf[i - 1] == b'0' {
            i -= 1;
        }
    }
    if zulu {
        buf[i] = b'Z';
        i += 1;
    }
    i
}

/// Parses exactly `n` ASCII digits at `b[i..]`.
fn digits(b: &[u8], i: usize, n: usize) -> Option<u32> {
    let s = b.get(i..i + n)?;
    let mut v = 0u32;
    for &c in s {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v * 10 + (c - b'0') as u32;
    }
    Some(v)
}

/// `.f{1,9}` at `b[i..]`, returns (nanos, next index); no fraction → (0, i).
fn fraction(b: &[u8], mut i: usize) -> Option<(u32, usize)> {
    if b.get(i) != Some(&b'.') {
        return Some((0, i));
    }
    i += 1;
    let start = i;
    let mut v = 0u32;
    while i < b.len() && b[i].is_ascii_digit() {
        if i - start == 9 {
            return None;
        }
        v = v * 10 + (b[i] - b'0') as u32;
        i += 1;
    }
    let n = i - start;
    if n == 0 {
        return None;
    }
    Some((v * 10u32.pow(9 - n as u32), i))
}

/// `ISO_LOCAL_DATE` year-month-day prefix, returns (y, m, d, next index) without range checks
/// on the day (callers resolve strictly or smartly).
fn ymd(b: &[u8]) -> Option<(i32, u32, u32, usize)> {
    let (year, mut i) = match b.first()? {
        b'+' | b'-' => {
            let neg = b[0] == b'-';
            let mut j = 1;
            while j < b.len() && b[j].is_ascii_digit() {
                j += 1;
            }
            if !(5..=10).contains(&j) {
                return None;
            }
            let y: i32 = std::str::from_utf8(&b[1..j]).ok()?.parse().ok()?;
            (if neg { -y } else { y }, j)
        }
        _ => (digits(b, 0, 4)? as i32, 4),
    };
    if b.get(i) != Some(&b'-') {
        return None;
    }
    let month = digits(b, i + 1, 2)?;
    if b.get(i + 3) != Some(&b'-') {
        return None;
    }
    let day = digits(b, i + 4, 2)?;
    i += 6;
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return None;
    }
    Some((year, month, day, i))
}

fn last_day_of_month(year: i32, month: u32) -> u32 {
    let (ny, nm) = if month == 12 {
        (year + 1, 1)
    } else {
        (year, month + 1)
    };
    NaiveDate::from_ymd_opt(ny, nm, 1)
        .and_then(|d| d.pred_opt())
        .map(|d| d.day())
        .unwrap_or(28)
}

/// `ISO_LOCAL_DATE`, strict (`2020-02-30` is rejected).
pub fn parse_iso_date(s: &str) -> Option<NaiveDate> {
    let b = s.as_bytes();
    let (y, m, d, i) = ymd(b)?;
    if i != b.len() {
        return None;
    }
    NaiveDate::from_ymd_opt(y, m, d)
}

/// `java.sql.Date.valueOf`: `yyyy-[m]m-[d]d`, month 1..=12, day 1..=31, an impossible day
/// rolls over into the next month (`2020-2-30` → 2020-03-01).
pub fn parse_sql_date_lenient(s: &str) -> Option<NaiveDate> {
    let b = s.as_bytes();
    let year = digits(b, 0, 4)? as i32;
    if b.get(4) != Some(&b'-') {
        return None;
    }
    let rest = &s[5..];
    let (m, d) = rest.split_once('-')?;
    let parse12 = |t: &str| -> Option<u32> {
        if t.is_empty() || t.len() > 2 || !t.bytes().all(|c| c.is_ascii_digit()) {
            None
        } else {
            t.parse().ok()
        }
    };
    let (month, day) = (parse12(m)?, parse12(d)?);
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return None;
    }
    NaiveDate::from_ymd_opt(year, month, 1)?.checked_add_days(chrono::Days::new(day as u64 - 1))
}

/// `HH:mm[:ss[.f]]` at b[i..] (ISO_LOCAL_TIME shape); returns (h, m, s, nanos, next index).
fn hms(b: &[u8], i: usize, seconds_required: bool) -> Option<(u32, u32, u32, u32, usize)> {
    let h = digits(b, i, 2)?;
    if b.get(i + 2) != Some(&b':') {
        return None;
    }
    let m = digits(b, i + 3, 2)?;
    let mut j = i + 5;
    let (mut s, mut nanos) = (0, 0);
    if b.get(j) == Some(&b':') {
        s = digits(b, j + 1, 2)?;
        j += 3;
        let (n, k) = fraction(b, j)?;
        nanos = n;
        j = k;
    } else if seconds_required {
        return None;
    }
    if m > 59 || s > 59 || h > 24 {
        return None;
    }
    Some((h, m, s, nanos, j))
}

/// `LocalTime.parse` (ISO_LOCAL_TIME, strict): `HH:mm`, `HH:mm:ss`, `HH:mm:ss.f{1,9}`.
/// Returns nanoseconds of the day.
pub fn parse_iso_time(s: &str) -> Option<u64> {
    let b = s.as_bytes();
    let (h, m, sec, n, i) = hms(b, 0, false)?;
    if i != b.len() || h > 23 {
        return None;
    }
    Some(((h * 3600 + m * 60 + sec) as u64) * 1_000_000_000 + n as u64)
}

/// Flink's `SQL_TIME_FORMAT` with the SMART resolver: seconds required, `24:00:00` → 00:00.
pub fn parse_sql_time(s: &str) -> Option<u64> {
    let b = s.as_bytes();
    let (h, m, sec, n, i) = hms(b, 0, true)?;
    if i != b.len() {
        return None;
    }
    if h == 24 {
        return (m == 0 && sec == 0 && n == 0).then_some(0);
    }
    Some(((h * 3600 + m * 60 + sec) as u64) * 1_000_000_000 + n as u64)
}

/// Flink's `SQL_TIMESTAMP_FORMAT` (`zulu` = the `..._WITH_LOCAL_TIMEZONE` variant with a
/// literal `Z`), SMART resolver: out-of-range days are clamped to the month's end and
/// `24:00:00` rolls to the next day.
pub fn parse_sql_timestamp(s: &str, zulu: bool) -> Option<NaiveDateTime> {
    let b = s.as_bytes();
    let (y, mo, d, i) = ymd(b)?;
    if b.get(i) != Some(&b' ') {
        return None;
    }
    let (h, mi, sec, n, mut j) = hms(b, i + 1, true)?;
    if zulu {
        if b.get(j) != Some(&b'Z') {
            return None;
        }
        j += 1;
    }
    if j != b.len() {
        return None;
    }
    // SMART resolver: clamp days 29..=31 to the month's end (only computed when needed).
    let d = if d > 28 {
        d.min(last_day_of_month(y, mo))
    } else {
        d
    };
    let date = NaiveDate::from_ymd_opt(y, mo, d)?;
    if h == 24 {
        if mi != 0 || sec != 0 || n != 0 {
            return None;
        }
        return Some(date.succ_opt()?.and_time(NaiveTime::MIN));
    }
    Some(date.and_time(NaiveTime::from_hms_nano_opt(h, mi, sec, n)?))
}

/// `ISO_LOCAL_DATE_TIME` (strict; seconds optional) plus a literal `Z` when `zulu`.
pub fn parse_iso_timestamp(s: &str, zulu: bool) -> Option<NaiveDateTime> {
    let b = s.as_bytes();
    let (y, mo, d, i) = ymd(b)?;
    if b.get(i) != Some(&b'T') {
        return None;
    }
    let (h, mi, sec, n, mut j) = hms(b, i + 1, false)?;
    if zulu {
        if b.get(j) != Some(&b'Z') {
            return None;
        }
        j += 1;
    }
    if j != b.len() || h > 23 {
        return None;
    }
    Some(NaiveDate::from_ymd_opt(y, mo, d)?.and_time(NaiveTime::from_hms_nano_opt(h, mi, sec, n)?))
}

/// Truncates (not rounds) the nanosecond part to `precision` fractional digits.
pub fn truncate_nanos(nanos: u32, precision: u8) -> u32 {
    if precision >= 9 {
        return nanos;
    }
    let unit = 10u32.pow(9 - precision as u32);
    nanos - nanos % unit
}

/// Truncates a timestamp to `precision` fractional digits.
pub fn truncate_timestamp(ts: NaiveDateTime, precision: u8) -> NaiveDateTime {
    let n = ts.nanosecond();
    let t = truncate_nanos(n, precision);
    if t == n {
        ts
    } else {
        ts.with_nanosecond(t).unwrap_or(ts)
    }
}

/// Java's `Double.toString` layout (shortest round-trip digits): `1.0`, `0.001`, `1.0E-4`,
/// `1.0E7`, `-0.0`, `NaN`, `Infinity`.
pub fn write_java_double(out: &mut Vec<u8>, v: f64) {
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
pub fn write_java_float(out: &mut Vec<u8>, v: f32) {
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
pub fn parse_java_double(s: &str) -> Option<f64> {
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
pub fn parse_java_float(s: &str) -> Option<f32> {
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
pub fn parse_java_int<T: TryFrom<i64>>(s: &str) -> Option<T> {
    parse_java_int_bytes(s.as_bytes())
}

/// [`parse_java_int`] over bytes.
pub fn parse_java_int_bytes<T: TryFrom<i64>>(s: &[u8]) -> Option<T> {
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

/// Java's `String.trim()`: strips every char <= ' ' (controls included, Unicode spaces
/// not) from both ends.
pub fn java_trim(s: &str) -> &str {
    s.trim_matches(|c: char| c <= ' ')
}

/// Boolean text under decision D12: `true` / `false` in any case, surrounding whitespace
/// ignored; anything else is an error (Flink would read it as `false`).
pub fn parse_boolean(s: &str) -> Option<bool> {
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
pub fn write_base64(out: &mut Vec<u8>, bytes: &[u8]) {
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
pub fn parse_base64(s: &str) -> Option<Vec<u8>> {
    use base64::Engine;
    BASE64_LENIENT.decode(s.as_bytes()).ok()
}

/// Two ASCII digits for each of 0..100.
const DIGIT_PAIRS: &[u8; 200] = b"0001020304050607080910111213141516171819\
2021222324252627282930313233343536373839\
4041424344454647484950515253545556575859\
6061626364656667686970717273747576777879\
8081828384858687888990919293949596979899";

/// Appends the decimal digits of `v` (two digits per step, as itoa does).
pub fn write_i64(out: &mut Vec<u8>, v: i64) {
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
mod tests {
    use super::*;

    fn s(f: impl FnOnce(&mut Vec<u8>)) -> String {
        let mut v = Vec::new();
        f(&mut v);
        String::from_utf8(v).unwrap()
    }

    fn ts(text: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.f").unwrap()
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

    #[test]
    fn timestamps_follow_time_formats() {
        let t = ts("2020-12-30 12:13:14.1");
        assert_eq!(
            s(|o| write_timestamp(o, &t, b' ', false)),
            "2020-12-30 12:13:14.1"
        );
        assert_eq!(
            s(|o| write_timestamp(o, &t, b'T', true)),
            "2020-12-30T12:13:14.1Z"
        );
        let t0 = ts("2020-12-30 12:13:00");
        assert_eq!(
            s(|o| write_timestamp(o, &t0, b' ', false)),
            "2020-12-30 12:13:00"
        );
        let tn = ts("2020-12-30 12:13:00.123456789");
        assert_eq!(
            s(|o| write_timestamp(o, &tn, b'T', false)),
            "2020-12-30T12:13:00.123456789"
        );

        for (text, sep, zulu, want) in [
            (
                "2020-12-30 12:13:14.120",
                b' ',
                false,
                "2020-12-30 12:13:14.12",
            ),
            (
                "2020-12-30 12:13:14.001",
                b' ',
                true,
                "2020-12-30 12:13:14.001Z",
            ),
            (
                "2020-12-30 23:59:59.000001",
                b'T',
                false,
                "2020-12-30T23:59:59.000001",
            ),
            (
                "0001-01-01 00:00:00.5",
                b' ',
                false,
                "0001-01-01 00:00:00.5",
            ),
            (
                "9999-12-31 23:59:59.999999999",
                b' ',
                true,
                "9999-12-31 23:59:59.999999999Z",
            ),
        ] {
            assert_eq!(s(|o| write_timestamp(o, &ts(text), sep, zulu)), want);
        }
        let far = NaiveDate::from_ymd_opt(10000, 1, 2)
            .unwrap()
            .and_hms_milli_opt(3, 4, 5, 60)
            .unwrap();
        assert_eq!(
            s(|o| write_timestamp(o, &far, b' ', true)),
            "+10000-01-02 03:04:05.06Z"
        );
        let bc = NaiveDate::from_ymd_opt(-1, 12, 31)
            .unwrap()
            .and_hms_opt(0, 0, 0)
            .unwrap();
        let mut out = b"x".to_vec();
        write_timestamp(&mut out, &bc, b'T', false);
        assert_eq!(out, b"x-0001-12-31T00:00:00");

        assert_eq!(parse_sql_timestamp("2020-12-30 12:13:14.1", false), Some(t));
        assert_eq!(parse_sql_timestamp("2020-12-30 12:13", false), None);
        assert_eq!(parse_sql_timestamp(" 2020-12-30 12:13:14", false), None);
        assert_eq!(parse_sql_timestamp("2020-12-30T12:13:14", false), None);
        assert_eq!(
            parse_sql_timestamp("2020-02-30 00:00:00", false),
            Some(ts("2020-02-29 00:00:00"))
        );
        assert_eq!(
            parse_sql_timestamp("2021-02-29 12:00:00", false),
            Some(ts("2021-02-28 12:00:00"))
        );
        assert_eq!(
            parse_sql_timestamp("2020-12-30 24:00:00", false),
            Some(ts("2020-12-31 00:00:00"))
        );
        assert_eq!(parse_sql_timestamp("2020-13-01 00:00:00", false), None);
        assert_eq!(
            parse_sql_timestamp("2020-12-30 12:13:14Z", true),
            Some(ts("2020-12-30 12:13:14"))
        );
        assert_eq!(parse_sql_timestamp("2020-12-30 12:13:14+0800", true), None);
        assert_eq!(
            parse_iso_timestamp("2020-12-30T12:13", false),
            Some(ts("2020-12-30 12:13:00"))
        );
        assert_eq!(parse_iso_timestamp("2020-02-30T12:13", false), None);
        assert_eq!(parse_iso_timestamp("2020-12-30T24:00", false), None);
        assert_eq!(
            parse_iso_timestamp("2020-12-30T12:13:14.5Z", true),
            Some(ts("2020-12-30 12:13:14.5"))
        );
        assert_eq!(parse_iso_timestamp("2020-12-30T12:13:14.5", true), None);
    }

    #[test]
    fn dates_and_times() {
        let d = |y, m, dd| NaiveDate::from_ymd_opt(y, m, dd).unwrap();
        assert_eq!(parse_sql_date_lenient("2020-2-30"), Some(d(2020, 3, 1)));
        assert_eq!(parse_sql_date_lenient("2018-10-12"), Some(d(2018, 10, 12)));
        assert_eq!(parse_sql_date_lenient("2018-13-12"), None);
        assert_eq!(parse_sql_date_lenient(" 2018-10-12"), None);
        assert_eq!(parse_iso_date("2020-02-30"), None);
        assert_eq!(parse_iso_date("20191112"), None);
        assert_eq!(parse_iso_time("12:13"), Some(43_980_000_000_000));
        assert_eq!(parse_iso_time("24:00"), None);
        assert_eq!(parse_sql_time("24:00:00"), Some(0));
        assert_eq!(parse_sql_time("12:13"), None);
        assert_eq!(s(|o| write_time_nanos(o, 43_994_100_000_000)), "12:13:14.1");
        assert_eq!(s(|o| write_date(o, d(2020, 12, 30))), "2020-12-30");
        assert_eq!(days_from_date(d(1970, 1, 2)), 1);
        assert_eq!(date_from_days(-1), Some(d(1969, 12, 31)));
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
