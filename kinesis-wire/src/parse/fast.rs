//! A hand-written parser for the usual shape of a GetRecords body, about twice as fast as
//! serde_json's on small records (it finds string ends with SIMD `memchr2` and writes
//! fields straight into the batch). It accepts only what it fully understands: anything
//! else (malformed JSON, duplicate keys, a `null` where a string is required, bad base64,
//! nesting past 128 levels) makes it give up with `None`, and
//! [`super::parse_get_records_page`] then parses the body with serde_json, which gives the
//! answer or the error message.

use crate::model::{ChildShard, RecordBatch, RecordSpans};

const MAX_DEPTH: usize = 128;

pub(crate) type Tail = (Option<String>, Option<u64>, Vec<ChildShard>);

struct Scanner<'a> {
    b: &'a [u8],
    i: usize,
}

/// A string's content: its byte range and whether it has escapes.
struct RawStr {
    start: usize,
    end: usize,
    escaped: bool,
}

impl<'a> Scanner<'a> {
    fn ws(&mut self) {
        while let Some(&c) = self.b.get(self.i) {
            if matches!(c, b' ' | b'\n' | b'\r' | b'\t') {
                self.i += 1;
            } else {
                break;
            }
        }
    }

    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    fn eat(&mut self, c: u8) -> Option<()> {
        if self.peek()? == c {
            self.i += 1;
            Some(())
        } else {
            None
        }
    }

    fn literal(&mut self, word: &[u8]) -> Option<()> {
        if self.b.get(self.i..self.i + word.len())? == word {
            self.i += word.len();
            Some(())
        } else {
            None
        }
    }

    /// `null`, consumed; `false` (nothing consumed) for anything else.
    fn null(&mut self) -> bool {
        self.literal(b"null").is_some()
    }

    fn raw_str(&mut self) -> Option<RawStr> {
        self.eat(b'"')?;
        let start = self.i;
        let mut escaped = false;
        loop {
            let at = self.i + memchr::memchr2(b'"', b'\\', self.b.get(self.i..)?)?;
            if self.b[at] == b'"' {
                self.i = at + 1;
                return Some(RawStr {
                    start,
                    end: at,
                    escaped,
                });
            }
            escaped = true;
            // Skip the backslash and the character it escapes (`\"` included); the
            // escape itself is checked when the string is unescaped.
            self.i = at + 2;
        }
    }

    /// A string's text appended to `out`: copied when it has no escapes, else unescaped
    /// by serde_json. `None` for control characters (serde_json reports them); UTF-8 is
    /// checked once for the whole buffer at the end of the page.
    fn text(&mut self, out: &mut Vec<u8>) -> Option<(u32, u32)> {
        let s = self.raw_str()?;
        let start = out.len();
        if s.escaped {
            let owned: String = serde_json::from_slice(&self.b[s.start - 1..=s.end]).ok()?;
            out.extend_from_slice(owned.as_bytes());
        } else {
            let bytes = &self.b[s.start..s.end];
            // A fold, not `any`: no early exit, so it is vectorised.
            if bytes.iter().fold(false, |bad, &c| bad | (c < 0x20)) {
                return None;
            }
            out.extend_from_slice(bytes);
        }
        Some((u32::try_from(start).ok()?, u32::try_from(out.len()).ok()?))
    }

    /// A key and its `:`. The keys of the GetRecords shape are compared in place; other
    /// keys are left to serde_json when they have escapes or are not printable ASCII.
    fn key(&mut self) -> Option<&'a [u8]> {
        let b: &'a [u8] = self.b;
        let rest = b.get(self.i..)?;
        let known: &'static [u8] = match rest.get(1)? {
            b'S' => b"\"SequenceNumber\"",
            b'A' => b"\"ApproximateArrivalTimestamp\"",
            b'D' => b"\"Data\"",
            b'P' => b"\"PartitionKey\"",
            b'E' => b"\"EncryptionType\"",
            b'R' => b"\"Records\"",
            b'N' => b"\"NextShardIterator\"",
            b'M' => b"\"MillisBehindLatest\"",
            b'C' => b"\"ChildShards\"",
            _ => b"",
        };
        let key = if !known.is_empty() && rest.starts_with(known) {
            self.i += known.len();
            &known[1..known.len() - 1]
        } else {
            let s = self.raw_str()?;
            let key = &b[s.start..s.end];
            if s.escaped || !key.iter().all(|c| (0x20..0x7f).contains(c)) {
                return None;
            }
            key
        };
        if self.peek() == Some(b':') {
            self.i += 1;
        } else {
            self.ws();
            self.eat(b':')?;
        }
        self.ws();
        Some(key)
    }

    /// A number as f64, read exactly as serde_json (the fallback) reads it: the usual
    /// short decimals by one exact division (serde_json's own fast path), anything else
    /// by serde_json itself. (Its default reading of a number with more significant
    /// digits than an f64 holds may be one unit in the last place off `str::parse`;
    /// the two parsers must agree.)
    fn float(&mut self) -> Option<f64> {
        const POW10: [f64; 16] = [
            1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
        ];
        let t = self.number()?;
        // The usual `1700000000.123`: at most 15 digits, so the digits as an integer and
        // the power of ten are both exact in f64 and one division rounds correctly.
        let mut exact = None;
        if t.len() <= 16 {
            let (mut m, mut frac, mut dot, mut plain) = (0u64, 0usize, false, true);
            for &c in t {
                let d = c.wrapping_sub(b'0');
                if d < 10 {
                    m = m * 10 + u64::from(d);
                    frac += usize::from(dot);
                } else if c == b'.' {
                    dot = true;
                } else {
                    plain = false; // a sign or an exponent
                }
            }
            if plain && t.len() - usize::from(dot) <= 15 {
                exact = Some(m as f64 / POW10[frac]);
            }
        }
        let v = match exact {
            Some(v) => v,
            // An out-of-range number is an error there.
            None => serde_json::from_slice::<f64>(t).ok()?,
        };
        v.is_finite().then_some(v)
    }

    /// A JSON number's text (RFC 8259 grammar).
    fn number(&mut self) -> Option<&'a [u8]> {
        let start = self.i;
        let _ = self.eat(b'-');
        match self.peek()? {
            b'0' => self.i += 1,
            b'1'..=b'9' => self.digits(),
            _ => return None,
        }
        if self.eat(b'.').is_some() {
            self.need_digits()?;
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.i += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.i += 1;
            }
            self.need_digits()?;
        }
        Some(&self.b[start..self.i])
    }

    fn digits(&mut self) {
        while matches!(self.peek(), Some(b'0'..=b'9')) {
            self.i += 1;
        }
    }

    fn need_digits(&mut self) -> Option<()> {
        let start = self.i;
        self.digits();
        (self.i > start).then_some(())
    }

    /// Skips a string, checked as serde_json would check it.
    fn skip_str(&mut self) -> Option<()> {
        let s = self.raw_str()?;
        // A fold, not `all`: no early exit, so it is vectorised (long sequence numbers).
        let plain = !s.escaped
            && self.b[s.start..s.end]
                .iter()
                .fold(true, |ok, &c| ok & (0x20..0x7f).contains(&c));
        if !plain {
            serde_json::from_slice::<serde::de::IgnoredAny>(&self.b[s.start - 1..=s.end]).ok()?;
        }
        Some(())
    }

    /// Skips any value (checked as JSON).
    fn skip_value(&mut self, depth: usize) -> Option<()> {
        if depth > MAX_DEPTH {
            return None;
        }
        match self.peek()? {
            b'"' => self.skip_str(),
            b'n' => self.literal(b"null"),
            b't' => self.literal(b"true"),
            b'f' => self.literal(b"false"),
            b'[' => {
                self.i += 1;
                self.ws();
                if self.eat(b']').is_some() {
                    return Some(());
                }
                loop {
                    self.skip_value(depth + 1)?;
                    self.ws();
                    match self.peek()? {
                        b',' => {
                            self.i += 1;
                            self.ws();
                        }
                        b']' => {
                            self.i += 1;
                            return Some(());
                        }
                        _ => return None,
                    }
                }
            }
            b'{' => {
                self.i += 1;
                self.ws();
                if self.eat(b'}').is_some() {
                    return Some(());
                }
                loop {
                    self.skip_str()?;
                    self.ws();
                    self.eat(b':')?;
                    self.ws();
                    self.skip_value(depth + 1)?;
                    self.ws();
                    match self.peek()? {
                        b',' => {
                            self.i += 1;
                            self.ws();
                        }
                        b'}' => {
                            self.i += 1;
                            return Some(());
                        }
                        _ => return None,
                    }
                }
            }
            _ => self.number().map(|_| ()),
        }
    }

    /// After a member: `Some(true)` if another follows, `Some(false)` at the end.
    fn next_member(&mut self, close: u8) -> Option<bool> {
        self.ws();
        match self.peek()? {
            b',' => {
                self.i += 1;
                self.ws();
                Some(true)
            }
            c if c == close => {
                self.i += 1;
                Some(false)
            }
            _ => None,
        }
    }

    fn record(&mut self, batch: &mut RecordBatch, text: &mut Vec<u8>) -> Option<()> {
        self.eat(b'{')?;
        self.ws();
        let (mut seq, mut pk, mut data, mut enc, mut ts) = (None, None, None, None, None);
        let mut seen_ts = false;
        if self.eat(b'}').is_some() {
            return None;
        }
        loop {
            match self.key()? {
                b"SequenceNumber" if seq.is_none() => seq = Some(self.text(text)?),
                b"PartitionKey" if pk.is_none() => pk = Some(self.text(text)?),
                b"Data" if data.is_none() => {
                    let s = self.raw_str()?;
                    let raw = &self.b[s.start..s.end];
                    let start = batch.data.len();
                    batch.data.reserve(raw.len() / 4 * 3 + 3);
                    if s.escaped {
                        let text: String =
                            serde_json::from_slice(&self.b[s.start - 1..=s.end]).ok()?;
                        base64_simd::STANDARD
                            .decode_append(text.as_bytes(), &mut batch.data)
                            .ok()?;
                    } else {
                        base64_simd::STANDARD
                            .decode_append(raw, &mut batch.data)
                            .ok()?;
                    }
                    data = Some((
                        u32::try_from(start).ok()?,
                        u32::try_from(batch.data.len()).ok()?,
                    ));
                }
                b"ApproximateArrivalTimestamp" if !seen_ts => {
                    seen_ts = true;
                    if !self.null() {
                        ts = Some(self.float()?);
                    }
                }
                b"EncryptionType" if enc.is_none() => {
                    enc = Some(if self.null() {
                        None
                    } else {
                        Some(self.text(text)?)
                    });
                }
                b"SequenceNumber"
                | b"PartitionKey"
                | b"Data"
                | b"ApproximateArrivalTimestamp"
                | b"EncryptionType" => return None,
                _ => self.skip_value(2)?,
            }
            if !self.next_member(b'}')? {
                break;
            }
        }
        let enc = enc.flatten();
        batch.spans.push(RecordSpans {
            data: data?,
            sequence_number: seq?,
            partition_key: pk?,
            encryption_type: enc.unwrap_or((0, 0)),
            has_encryption_type: enc.is_some(),
            approximate_arrival_timestamp: ts,
        });
        Some(())
    }
}

/// Parses `body` into `batch` (which must be empty); `None`: leave it to serde_json.
pub(crate) fn parse(body: &[u8], batch: &mut RecordBatch) -> Option<Tail> {
    let mut s = Scanner { b: body, i: 0 };
    s.ws();
    s.eat(b'{')?;
    s.ws();
    let (mut next, mut millis, mut children) = (None, None, None);
    let mut seen = [false; 4];
    // Texts are gathered as bytes and checked as UTF-8 once, at the end.
    let mut text = std::mem::take(&mut batch.text).into_bytes();
    if s.eat(b'}').is_none() {
        loop {
            let key = s.key()?;
            let which = match key {
                b"Records" => 0,
                b"NextShardIterator" => 1,
                b"MillisBehindLatest" => 2,
                b"ChildShards" => 3,
                _ => 4,
            };
            if which < 4 {
                if seen[which] {
                    return None;
                }
                seen[which] = true;
            }
            match which {
                0 => {
                    if !s.null() {
                        s.eat(b'[')?;
                        s.ws();
                        if s.eat(b']').is_none() {
                            loop {
                                s.record(batch, &mut text)?;
                                if !s.next_member(b']')? {
                                    break;
                                }
                            }
                        }
                    }
                }
                1 => {
                    if !s.null() {
                        let mut it = Vec::new();
                        s.text(&mut it)?;
                        next = Some(String::from_utf8(it).ok()?);
                    }
                }
                2 => {
                    if !s.null() {
                        let n = std::str::from_utf8(s.number()?).ok()?;
                        millis = Some(n.parse::<u64>().ok()?);
                    }
                }
                3 => {
                    let start = s.i;
                    s.skip_value(1)?;
                    children = serde_json::from_slice::<Option<Vec<ChildShard>>>(&body[start..s.i])
                        .ok()?;
                }
                _ => s.skip_value(1)?,
            }
            if !s.next_member(b'}')? {
                break;
            }
        }
    }
    s.ws();
    if s.i != body.len() {
        return None;
    }
    let text = String::from_utf8(text).ok()?;
    // Valid as a whole is not enough: each string must be (one could end inside a
    // character the next one finishes).
    if !text.is_ascii() {
        let inside = |(a, b): (u32, u32)| {
            text.is_char_boundary(a as usize) && text.is_char_boundary(b as usize)
        };
        let whole = batch.spans.iter().all(|s| {
            inside(s.sequence_number) && inside(s.partition_key) && inside(s.encryption_type)
        });
        if !whole {
            return None;
        }
    }
    batch.text = text;
    Some((next, millis, children.unwrap_or_default()))
}

/// The usual PutRecords answer, every entry written (`{"FailedRecordCount":0,"Records":
/// [{"SequenceNumber":…,"ShardId":…},…]}`), counted without serde_json, which spent about
/// 9 % of the csv put path on these answers. Anything else (an entry with `ErrorCode` or
/// `ErrorMessage`, a repeated key, an escape in a value it keeps, malformed JSON) gives
/// `None`, and [`super::parse_put_records_outcome`] parses the body with serde_json.
pub(crate) fn put_records_outcome(body: &[u8]) -> Option<crate::model::PutRecordsOutcome> {
    let mut s = Scanner { b: body, i: 0 };
    let mut out = crate::model::PutRecordsOutcome::default();
    s.ws();
    s.eat(b'{')?;
    s.ws();
    let mut seen = [false; 3];
    if s.eat(b'}').is_none() {
        loop {
            let key = s.key()?;
            let which = match key {
                b"FailedRecordCount" => 0,
                b"Records" => 1,
                b"EncryptionType" => 2,
                _ => 3,
            };
            if which < 3 {
                if seen[which] {
                    return None;
                }
                seen[which] = true;
            }
            match which {
                0 => {
                    if !s.null() {
                        let digits = s.number()?;
                        if !digits.iter().all(u8::is_ascii_digit) {
                            return None; // a sign, a fraction or an exponent
                        }
                        out.failed_record_count = std::str::from_utf8(digits).ok()?.parse().ok()?;
                    }
                }
                1 => {
                    if !s.null() {
                        s.eat(b'[')?;
                        s.ws();
                        if s.eat(b']').is_none() {
                            loop {
                                s.written_entry()?;
                                out.entries += 1;
                                if !s.next_member(b']')? {
                                    break;
                                }
                            }
                        }
                    }
                }
                2 => {
                    if !s.null() {
                        let r = s.raw_str()?;
                        let text = &body[r.start..r.end];
                        if r.escaped || !text.iter().all(|c| (0x20..0x7f).contains(c)) {
                            return None;
                        }
                        out.encryption_type = Some(std::str::from_utf8(text).ok()?.to_owned());
                    }
                }
                _ => s.skip_value(0)?,
            }
            if !s.next_member(b'}')? {
                break;
            }
        }
    }
    s.ws();
    (s.i == body.len()).then_some(out)
}

impl Scanner<'_> {
    /// A result entry without `ErrorCode` and `ErrorMessage` (others are skipped, checked).
    fn written_entry(&mut self) -> Option<()> {
        self.eat(b'{')?;
        self.ws();
        if self.eat(b'}').is_some() {
            return Some(());
        }
        loop {
            let key = self.key()?;
            if key == b"ErrorCode" || key == b"ErrorMessage" {
                return None;
            }
            self.skip_value(1)?;
            if !self.next_member(b'}')? {
                return Some(());
            }
        }
    }
}
