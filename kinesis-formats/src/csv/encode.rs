//! Writing: a row as one csv record, quoted and escaped as Jackson's `CsvGenerator` does.

use crate::error::FormatError;
use crate::format::Encoder;
use crate::text;
use crate::types::{DataType, LogicalType, RowField};
use crate::value::{Row, Value};

use super::CsvCodec;

fn encode_err(f: &RowField, message: impl Into<String>) -> FormatError {
    FormatError::Encode {
        column: f.name.clone(),
        message: message.into(),
    }
}

impl CsvCodec {
    fn write_null(&self, out: &mut Vec<u8>) {
        if let Some(l) = &self.opts.null_literal {
            out.extend_from_slice(l.as_bytes());
        }
    }

    /// Quotes `out[start..]` in place when Jackson would (§10.4).
    fn quote_if_needed(&self, out: &mut Vec<u8>, start: usize) {
        let Some(q) = &self.quote else {
            self.escape_unquoted(out, start);
            return;
        };
        let text = &out[start..];
        if text.is_empty() {
            return;
        }
        let esc = self.escape.as_deref();
        let mut must = false;
        let mut utf16_len = 0usize;
        let mut extra = 0usize;
        let mut i = 0;
        if q.len() == 1 && esc.is_none_or(|e| e.len() == 1) && self.min_safe <= 0x80 {
            // Fast path for ASCII quote/escape/delimiter: one pass of plain byte compares.
            // 0xFF never occurs in UTF-8, so it stands for "no escape char".
            let (qc, ec) = (q[0], esc.map_or(0xFF, |e| e[0]));
            let min_safe = self.min_safe as u8;
            // Most text is ASCII above `min_safe` without the escape char (the quote char
            // is below `min_safe`): one vectorisable pass of byte flags says so, and then
            // nothing needs counting (a fifth of a csv row's encoding time went to the
            // counting loop below).
            let mut flagged = 0u8;
            for &c in text {
                flagged |= (c < min_safe) as u8 | (c == ec) as u8 | (c >> 7);
            }
            if flagged == 0 {
                utf16_len = text.len();
            } else {
                for &c in text {
                    must |= c < min_safe || c == ec;
                    extra += (c == qc) as usize + (c == ec) as usize;
                    utf16_len += (c & 0xC0 != 0x80) as usize + (c >= 0xF0) as usize;
                }
            }
            i = text.len();
        }
        while i < text.len() {
            let c = text[i];
            // UTF-16 length: 4-byte sequences are surrogate pairs.
            if c & 0xC0 != 0x80 {
                utf16_len += if c >= 0xF0 { 2 } else { 1 };
            }
            if (c as u32) < self.min_safe && c < 0x80 {
                must = true;
            }
            if c >= 0x80 && self.min_safe > 0x80 && c & 0xC0 != 0x80 {
                // A non-ASCII char below a non-ASCII delimiter/quote code.
                let ch = std::str::from_utf8(&text[i..])
                    .ok()
                    .and_then(|s| s.chars().next())
                    .or_else(|| String::from_utf8_lossy(&text[i..]).chars().next());
                if let Some(ch) = ch {
                    if (ch as u32) < self.min_safe {
                        must = true;
                    }
                }
            }
            if text[i..].starts_with(q) {
                extra += q.len();
            }
            if let Some(e) = esc {
                if text[i..].starts_with(e) {
                    must = true;
                    extra += e.len();
                }
            }
            i += 1;
        }
        if !must && utf16_len <= 24 {
            return;
        }
        if q.len() == 1 && extra == 0 {
            // Nothing to double (the usual long text): the quotes around it, the text moved
            // once by memmove (the byte-by-byte shift below was most of the quoting's time).
            out.insert(start, q[0]);
            out.push(q[0]);
            return;
        }
        if q.len() == 1 && esc.is_none_or(|e| e.len() == 1 && e != q) {
            // Shift in place from the back: no allocation.
            let (qc, ec) = (q[0], esc.map(|e| e[0]));
            let old_len = out.len();
            out.resize(old_len + extra + 2, 0);
            let mut w = out.len() - 1;
            out[w] = qc;
            let mut r = old_len;
            while r > start {
                r -= 1;
                let c = out[r];
                w -= 1;
                out[w] = c;
                if c == qc || Some(c) == ec {
                    w -= 1;
                    out[w] = c;
                }
            }
            debug_assert_eq!(w - 1, start);
            out[w - 1] = qc;
            return;
        }
        // Rebuild the tail: quote, doubled quote/escape chars, quote.
        let tail: Vec<u8> = out.split_off(start);
        out.reserve(tail.len() + extra + 2 * q.len());
        out.extend_from_slice(q);
        let mut i = 0;
        while i < tail.len() {
            if tail[i..].starts_with(q) {
                out.extend_from_slice(q);
                out.extend_from_slice(q);
                i += q.len();
                continue;
            }
            if let Some(e) = esc {
                if tail[i..].starts_with(e) {
                    out.extend_from_slice(e);
                    out.extend_from_slice(e);
                    i += e.len();
                    continue;
                }
            }
            out.push(tail[i]);
            i += 1;
        }
        out.extend_from_slice(q);
    }

    /// Without quoting, a configured escape char protects delimiters, line breaks and
    /// itself so the reader gets the text back.
    fn escape_unquoted(&self, out: &mut Vec<u8>, start: usize) {
        let Some(e) = &self.escape else { return };
        let needs = out[start..].iter().enumerate().any(|(i, c)| {
            *c == b'\n'
                || *c == b'\r'
                || out[start + i..].starts_with(&self.delim)
                || out[start + i..].starts_with(e)
        });
        if !needs {
            return;
        }
        let tail: Vec<u8> = out.split_off(start);
        let mut i = 0;
        while i < tail.len() {
            let rest = &tail[i..];
            if rest[0] == b'\n' {
                out.extend_from_slice(e);
                out.push(b'n');
                i += 1;
            } else if rest[0] == b'\r' {
                out.extend_from_slice(e);
                out.push(b'r');
                i += 1;
            } else if rest.starts_with(&self.delim) {
                out.extend_from_slice(e);
                out.extend_from_slice(&self.delim);
                i += self.delim.len();
            } else if rest.starts_with(e) {
                out.extend_from_slice(e);
                out.extend_from_slice(e);
                i += e.len();
            } else {
                out.push(rest[0]);
                i += 1;
            }
        }
    }

    fn write_element(&self, out: &mut Vec<u8>, t: &DataType, v: &Value) -> Result<(), String> {
        if v.is_null() {
            self.write_null(out);
            return Ok(());
        }
        text::write_simple_text(
            out,
            t,
            v,
            self.opts.write_bigdecimal_in_scientific_notation,
            true,
        )
    }

    fn write_field(&self, out: &mut Vec<u8>, f: &RowField, v: &Value) -> Result<(), FormatError> {
        let t = &f.data_type;
        if v.is_null() {
            if !t.nullable {
                return Err(encode_err(f, "null value for a NOT NULL column"));
            }
            self.write_null(out);
            return Ok(());
        }
        use LogicalType as L;
        match (&t.kind, v) {
            // The numeric and boolean paths are never quoted.
            (
                L::Boolean | L::TinyInt | L::SmallInt | L::Int | L::BigInt | L::Float | L::Double,
                _,
            ) => text::write_simple_text(out, t, v, None, true).map_err(|m| encode_err(f, m)),
            (L::Timestamp(_), Value::Timestamp(ts)) if self.timestamp_quote.is_some() => {
                let q = self.timestamp_quote.unwrap_or(b'"');
                out.push(q);
                text::write_timestamp(out, ts, b' ', false);
                out.push(q);
                Ok(())
            }
            (L::TimestampLtz(_), Value::TimestampLtz(ts)) if self.timestamp_quote.is_some() => {
                let q = self.timestamp_quote.unwrap_or(b'"');
                out.push(q);
                text::write_timestamp(out, &ts.naive_utc(), b' ', true);
                out.push(q);
                Ok(())
            }
            (L::Array(et), Value::Array(items)) => {
                let start = out.len();
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.extend_from_slice(self.array_delim.as_bytes());
                    }
                    self.write_element(out, et, item)
                        .map_err(|m| encode_err(f, m))?;
                }
                self.quote_if_needed(out, start);
                Ok(())
            }
            (L::Row(fields), Value::Row(r)) => {
                if r.len() != fields.len() {
                    return Err(encode_err(
                        f,
                        format!("expected {} nested fields, got {}", fields.len(), r.len()),
                    ));
                }
                let start = out.len();
                for (i, (sf, item)) in fields.iter().zip(&r.values).enumerate() {
                    if i > 0 {
                        out.extend_from_slice(self.array_delim.as_bytes());
                    }
                    self.write_element(out, &sf.data_type, item)
                        .map_err(|m| encode_err(f, m))?;
                }
                self.quote_if_needed(out, start);
                Ok(())
            }
            _ => {
                let start = out.len();
                text::write_simple_text(
                    out,
                    t,
                    v,
                    self.opts.write_bigdecimal_in_scientific_notation,
                    true,
                )
                .map_err(|m| encode_err(f, m))?;
                self.quote_if_needed(out, start);
                Ok(())
            }
        }
    }
}

impl Encoder for CsvCodec {
    fn encode(&self, row: &Row, out: &mut Vec<u8>) -> Result<(), FormatError> {
        if row.len() != self.fields.len() {
            return Err(FormatError::Encode {
                column: String::new(),
                message: format!("expected {} values, got {}", self.fields.len(), row.len()),
            });
        }
        let start = out.len();
        for (i, (f, v)) in self.fields.iter().zip(&row.values).enumerate() {
            if i > 0 {
                out.extend_from_slice(&self.delim);
            }
            if let Err(e) = self.write_field(out, f, v) {
                out.truncate(start);
                return Err(e);
            }
        }
        Ok(())
    }
}
