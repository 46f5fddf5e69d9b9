//! Dates, times and timestamps: Flink's `TimeFormats` (`SQL_TIMESTAMP_FORMAT` and friends
//! with the SMART resolver), `ISO_LOCAL_DATE[_TIME]`, `java.sql.Date.valueOf` and
//! `LocalTime.parse`.

use chrono::{Datelike, NaiveDate, NaiveDateTime, NaiveTime, Timelike};

use super::number::DIGIT_PAIRS;

/// Days from 0001-01-01 (CE day 1) to 1970-01-01.
const UNIX_EPOCH_CE_DAYS: i32 = 719_163;

pub(crate) const NANOS_PER_DAY: u64 = 86_400_000_000_000;

/// The date `days` after 1970-01-01, if chrono can represent it.
pub(crate) fn date_from_days(days: i32) -> Option<NaiveDate> {
    NaiveDate::from_num_days_from_ce_opt(days.checked_add(UNIX_EPOCH_CE_DAYS)?)
}

/// Days since 1970-01-01.
pub(crate) fn days_from_date(d: NaiveDate) -> i32 {
    d.num_days_from_ce() - UNIX_EPOCH_CE_DAYS
}

fn push_2(out: &mut Vec<u8>, v: u32) {
    out.push(b'0' + (v / 10) as u8);
    out.push(b'0' + (v % 10) as u8);
}

/// `ISO_LOCAL_DATE`: `2020-12-30`; years beyond 9999 get a `+`, negative years a `-`.
pub(crate) fn write_date(out: &mut Vec<u8>, d: NaiveDate) {
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
pub(crate) fn write_time_nanos(out: &mut Vec<u8>, nanos_of_day: u64) {
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
// `#[inline]`: called once per value from encoders in other modules (other codegen
// units); as a call, json encoding was 9% slower in the bench.
#[inline]
pub(crate) fn write_timestamp(out: &mut Vec<u8>, ts: &NaiveDateTime, sep: u8, zulu: bool) {
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
pub(crate) fn parse_iso_date(s: &str) -> Option<NaiveDate> {
    let b = s.as_bytes();
    let (y, m, d, i) = ymd(b)?;
    if i != b.len() {
        return None;
    }
    NaiveDate::from_ymd_opt(y, m, d)
}

/// `java.sql.Date.valueOf`: `yyyy-[m]m-[d]d`, month 1..=12, day 1..=31, an impossible day
/// rolls over into the next month (`2020-2-30` → 2020-03-01).
pub(crate) fn parse_sql_date_lenient(s: &str) -> Option<NaiveDate> {
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
pub(crate) fn parse_iso_time(s: &str) -> Option<u64> {
    let b = s.as_bytes();
    let (h, m, sec, n, i) = hms(b, 0, false)?;
    if i != b.len() || h > 23 {
        return None;
    }
    Some(((h * 3600 + m * 60 + sec) as u64) * 1_000_000_000 + n as u64)
}

/// Flink's `SQL_TIME_FORMAT` with the SMART resolver: seconds required, `24:00:00` → 00:00.
pub(crate) fn parse_sql_time(s: &str) -> Option<u64> {
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
pub(crate) fn parse_sql_timestamp(s: &str, zulu: bool) -> Option<NaiveDateTime> {
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
pub(crate) fn parse_iso_timestamp(s: &str, zulu: bool) -> Option<NaiveDateTime> {
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
pub(crate) fn truncate_nanos(nanos: u32, precision: u8) -> u32 {
    if precision >= 9 {
        return nanos;
    }
    let unit = 10u32.pow(9 - precision as u32);
    nanos - nanos % unit
}

/// Truncates a timestamp to `precision` fractional digits.
pub(crate) fn truncate_timestamp(ts: NaiveDateTime, precision: u8) -> NaiveDateTime {
    let n = ts.nanosecond();
    let t = truncate_nanos(n, precision);
    if t == n {
        ts
    } else {
        ts.with_nanosecond(t).unwrap_or(ts)
    }
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
}
