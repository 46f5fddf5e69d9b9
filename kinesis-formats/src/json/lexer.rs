//! The JSON lexer: tokens read straight from the message bytes (strict JSON grammar, with
//! Jackson's leniency for raw control characters in strings), and the two ways reading fails.

use std::borrow::Cow;

/// A scalar JSON token, or the raw text of an object/array where a scalar was expected.
pub(super) enum Tok<'a> {
    Null,
    Bool(bool),
    /// Number literal bytes (ASCII by the grammar); `true` when it has a fraction or
    /// exponent.
    Num(&'a [u8], bool),
    Str(Cow<'a, str>),
    /// A whole object or array, as raw text.
    Compound(&'a str),
}

/// Why a value could not be read.
pub(super) enum Fail {
    /// Malformed JSON: the record is unusable.
    Syntax(&'static str, usize),
    /// A well-formed value that does not fit the column type (boxed: keeps
    /// `Result<Value, Fail>` small on the hot path).
    Field(Box<FieldFail>),
}

/// A value that does not fit its column: what the error will say.
pub(super) struct FieldFail {
    pub(super) column: String,
    pub(super) expected: String,
    pub(super) text: String,
    pub(super) offset: usize,
    pub(super) reason: String,
}

/// A cursor over one message.
pub(super) struct Parser<'a> {
    pub(super) b: &'a [u8],
    pub(super) pos: usize,
}

impl<'a> Parser<'a> {
    /// The text of `b[from..to]`. Only string contents can hold non-ASCII bytes (anything
    /// else is a syntax error), so UTF-8 is validated per string instead of per message.
    #[inline]
    pub(super) fn text(&self, from: usize, to: usize) -> Result<&'a str, Fail> {
        std::str::from_utf8(&self.b[from..to])
            .map_err(|e| Fail::Syntax("invalid UTF-8", from + e.valid_up_to()))
    }

    #[inline]
    pub(super) fn ws(&mut self) {
        while self.pos < self.b.len() {
            match self.b[self.pos] {
                b' ' | b'\n' | b'\r' | b'\t' => self.pos += 1,
                _ => break,
            }
        }
    }

    #[inline]
    pub(super) fn peek(&mut self) -> Option<u8> {
        self.ws();
        self.b.get(self.pos).copied()
    }

    pub(super) fn syntax<T>(&self, m: &'static str) -> Result<T, Fail> {
        Err(Fail::Syntax(m, self.pos))
    }

    pub(super) fn expect(&mut self, c: u8, m: &'static str) -> Result<(), Fail> {
        if self.peek() == Some(c) {
            self.pos += 1;
            Ok(())
        } else {
            self.syntax(m)
        }
    }

    pub(super) fn literal(&mut self, word: &[u8]) -> Result<(), Fail> {
        if self.b[self.pos..].starts_with(word) {
            self.pos += word.len();
            Ok(())
        } else {
            self.syntax("unrecognized token")
        }
    }

    /// A string starting at the opening quote (`self.pos`). Raw control characters are
    /// accepted (Jackson's `ALLOW_UNESCAPED_CONTROL_CHARS`).
    pub(super) fn string(&mut self) -> Result<Cow<'a, str>, Fail> {
        let start = self.pos + 1;
        let mut i = start;
        let b = self.b;
        while i < b.len() {
            let c = b[i];
            if c == b'"' {
                self.pos = i + 1;
                return Ok(Cow::Borrowed(self.text(start, i)?));
            }
            if c == b'\\' {
                return self.string_escaped(start, i);
            }
            i += 1;
        }
        self.pos = b.len();
        self.syntax("unexpected end of input in a string")
    }

    fn string_escaped(&mut self, start: usize, mut i: usize) -> Result<Cow<'a, str>, Fail> {
        let b = self.b;
        let mut out = String::with_capacity(i - start + 16);
        out.push_str(self.text(start, i)?);
        let mut seg = i;
        while i < b.len() {
            match b[i] {
                b'"' => {
                    out.push_str(self.text(seg, i)?);
                    self.pos = i + 1;
                    return Ok(Cow::Owned(out));
                }
                b'\\' => {
                    out.push_str(self.text(seg, i)?);
                    let Some(&e) = b.get(i + 1) else { break };
                    i += 2;
                    match e {
                        b'"' => out.push('"'),
                        b'\\' => out.push('\\'),
                        b'/' => out.push('/'),
                        b'b' => out.push('\u{8}'),
                        b'f' => out.push('\u{c}'),
                        b'n' => out.push('\n'),
                        b'r' => out.push('\r'),
                        b't' => out.push('\t'),
                        b'u' => {
                            let hi = self.hex4(i)?;
                            i += 4;
                            let c = if (0xD800..0xDC00).contains(&hi) {
                                if b.get(i) == Some(&b'\\') && b.get(i + 1) == Some(&b'u') {
                                    let lo = self.hex4(i + 2)?;
                                    if !(0xDC00..0xE000).contains(&lo) {
                                        self.pos = i;
                                        return self.syntax("invalid surrogate pair in \\u escape");
                                    }
                                    i += 6;
                                    char::from_u32(0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00))
                                } else {
                                    None
                                }
                            } else {
                                char::from_u32(hi)
                            };
                            match c {
                                Some(c) => out.push(c),
                                None => {
                                    self.pos = i;
                                    return self.syntax("lone surrogate in \\u escape");
                                }
                            }
                        }
                        _ => {
                            self.pos = i - 1;
                            return self.syntax("unrecognized character escape");
                        }
                    }
                    seg = i;
                }
                _ => i += 1,
            }
        }
        self.pos = b.len();
        self.syntax("unexpected end of input in a string")
    }

    fn hex4(&mut self, i: usize) -> Result<u32, Fail> {
        let h = self
            .b
            .get(i..i + 4)
            .and_then(|h| std::str::from_utf8(h).ok());
        match h.and_then(|h| u32::from_str_radix(h, 16).ok()) {
            Some(v) if h.is_some_and(|h| h.bytes().all(|c| c.is_ascii_hexdigit())) => Ok(v),
            _ => {
                self.pos = i;
                self.syntax("invalid \\u escape")
            }
        }
    }

    /// A number literal at `self.pos` (strict JSON grammar).
    fn number(&mut self) -> Result<(&'a [u8], bool), Fail> {
        let b = self.b;
        let start = self.pos;
        let mut i = start;
        if b.get(i) == Some(&b'-') {
            i += 1;
        }
        let int_start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == int_start {
            self.pos = i;
            return self.syntax("invalid number");
        }
        if b[int_start] == b'0' && i - int_start > 1 {
            self.pos = int_start;
            return self.syntax("leading zeroes are not allowed in numbers");
        }
        let mut float = false;
        if b.get(i) == Some(&b'.') {
            float = true;
            i += 1;
            let f = i;
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
            if f == i {
                self.pos = i;
                return self.syntax("decimal point must be followed by a digit");
            }
        }
        if matches!(b.get(i), Some(b'e' | b'E')) {
            float = true;
            i += 1;
            if matches!(b.get(i), Some(b'+' | b'-')) {
                i += 1;
            }
            let e = i;
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
            if e == i {
                self.pos = i;
                return self.syntax("exponent must have digits");
            }
        }
        self.pos = i;
        Ok((&self.b[start..i], float))
    }

    /// Skips one value of any kind (depth-limited).
    pub(super) fn skip(&mut self, depth: u32) -> Result<(), Fail> {
        if depth > 512 {
            return self.syntax("nesting too deep");
        }
        match self.peek() {
            Some(b'{') => {
                self.pos += 1;
                if self.peek() == Some(b'}') {
                    self.pos += 1;
                    return Ok(());
                }
                loop {
                    if self.peek() != Some(b'"') {
                        return self.syntax("expected a field name");
                    }
                    self.string()?;
                    self.expect(b':', "expected ':'")?;
                    self.skip(depth + 1)?;
                    match self.peek() {
                        Some(b',') => self.pos += 1,
                        Some(b'}') => {
                            self.pos += 1;
                            return Ok(());
                        }
                        _ => return self.syntax("expected ',' or '}'"),
                    }
                }
            }
            Some(b'[') => {
                self.pos += 1;
                if self.peek() == Some(b']') {
                    self.pos += 1;
                    return Ok(());
                }
                loop {
                    self.skip(depth + 1)?;
                    match self.peek() {
                        Some(b',') => self.pos += 1,
                        Some(b']') => {
                            self.pos += 1;
                            return Ok(());
                        }
                        _ => return self.syntax("expected ',' or ']'"),
                    }
                }
            }
            _ => self.scalar().map(|_| ()),
        }
    }

    /// The next scalar token; objects and arrays come back as raw text.
    pub(super) fn scalar(&mut self) -> Result<Tok<'a>, Fail> {
        match self.peek() {
            None => self.syntax("unexpected end of input"),
            Some(b'"') => Ok(Tok::Str(self.string()?)),
            Some(b'n') => self.literal(b"null").map(|_| Tok::Null),
            Some(b't') => self.literal(b"true").map(|_| Tok::Bool(true)),
            Some(b'f') => self.literal(b"false").map(|_| Tok::Bool(false)),
            Some(b'-' | b'0'..=b'9') => {
                let (n, f) = self.number()?;
                Ok(Tok::Num(n, f))
            }
            Some(b'{' | b'[') => {
                let start = self.pos;
                self.skip(0)?;
                Ok(Tok::Compound(self.text(start, self.pos)?))
            }
            Some(_) => self.syntax("unexpected character"),
        }
    }
}

/// A number literal as text (the grammar admits only ASCII, so this cannot fail).
pub(super) fn num_str(n: &[u8]) -> &str {
    std::str::from_utf8(n).unwrap_or("0")
}
