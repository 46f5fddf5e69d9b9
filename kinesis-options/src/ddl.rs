//! The `CREATE TABLE` parser: Flink's DDL for one table, with positions in every error.
//!
//! Types are parsed by `kinesis_formats::DataType::parse_prefix`; this module handles the
//! statement's structure, identifiers, strings, comments and clauses. It recovers from the
//! two losses typical of rendered documentation (a missing `)` after the columns and a
//! missing `WITH (` before the options) so that one error reports everything missing.

use std::borrow::Cow;
use std::collections::BTreeMap;

use kinesis_formats::DataType;

use crate::error::{DdlProblem, OptionsError};
use crate::spec;
use crate::table::{unknown_metadata_key, Column, ColumnKind, MetadataKey, TableParts, Watermark};

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    /// An identifier; `quoted` for backquoted ones (never keywords).
    Ident {
        text: String,
        quoted: bool,
    },
    Str(String),
    Number(String),
    Punct(char),
    Eof,
}

#[derive(Debug, Clone)]
struct Token {
    tok: Tok,
    start: usize,
}

impl Token {
    fn is_kw(&self, kw: &str) -> bool {
        matches!(&self.tok, Tok::Ident { text, quoted: false } if text.eq_ignore_ascii_case(kw))
    }

    fn is_punct(&self, c: char) -> bool {
        self.tok == Tok::Punct(c)
    }

    fn describe(&self) -> String {
        match &self.tok {
            Tok::Ident {
                text,
                quoted: false,
            } => format!("'{text}'"),
            Tok::Ident { text, quoted: true } => format!("`{text}`"),
            Tok::Str(s) => {
                let short: String = s.chars().take(40).collect();
                let more = if s.chars().count() > 40 { "..." } else { "" };
                format!("the string '{short}{more}'")
            }
            Tok::Number(n) => format!("the number {n}"),
            Tok::Punct(c) => format!("'{c}'"),
            Tok::Eof => "the end of the statement".to_string(),
        }
    }
}

struct Parser<'a> {
    src: &'a str,
    pos: usize,
    /// End of the last token read (where a missing closer belongs).
    prev_end: usize,
    problems: Vec<DdlProblem>,
    /// Byte ranges of sensitive option values (see [`secret_ranges`]): masked in every
    /// excerpt and never described in a message.
    secrets: Vec<(usize, usize)>,
    /// Where the statement's parts are, for errors found after parsing.
    at: Positions,
}

/// Byte offsets of the parts of a `CREATE TABLE` text that validation errors are about.
#[derive(Debug, Default)]
pub(crate) struct Positions {
    /// Column name → (name, type, metadata key string) offsets.
    columns: BTreeMap<String, (usize, usize, Option<usize>)>,
    watermark_column: Option<usize>,
    partitioned_by: Option<usize>,
    partition_keys: Vec<(String, usize)>,
    /// Option key → (key, value) offsets.
    options: BTreeMap<String, (usize, usize)>,
    /// The `WITH` keyword: where options that are missing would go.
    with: Option<usize>,
    secrets: Vec<(usize, usize)>,
}

impl Positions {
    /// `error` with the place in `src` it is about, when the DDL says that thing; an option
    /// in `overridden` was not set by the DDL, so an error about it has no place here.
    pub(crate) fn locate(
        &self,
        src: &str,
        overridden: &dyn Fn(&str) -> bool,
        error: OptionsError,
    ) -> OptionsError {
        let option_at = |key: &str, value: bool| {
            if overridden(key) {
                return None;
            }
            self.options
                .get(key)
                .map(|&(k, v)| if value { v } else { k })
        };
        let at = match &error {
            // A rule about an option the DDL does not set (a required one, or one whose
            // default is in conflict) points at the WITH clause.
            OptionsError::Invalid { key, .. } if overridden(key) => None,
            OptionsError::Invalid { key, .. } => option_at(key, true).or(self.with),
            OptionsError::MissingOptions(_) => self.with,
            // The format's own errors are about the format named here.
            OptionsError::Format { .. } => option_at("format", true),
            // The keys as shown (spec::display_key): found by that form.
            OptionsError::UnsupportedOptions { keys, .. } => keys.iter().find_map(|(k, _)| {
                self.options
                    .keys()
                    .filter(|written| spec::display_key(written) == k.as_str())
                    .find_map(|written| option_at(written, false))
            }),
            OptionsError::Schema { column, message } => {
                let column_at = |c: &str| self.columns.get(c);
                if message.contains("partition key") {
                    match column {
                        Some(c) => self
                            .partition_keys
                            .iter()
                            .find(|(k, _)| k == c)
                            .map(|(_, at)| *at),
                        // Duplicates: the second mention of the first repeated key.
                        None => self
                            .partition_keys
                            .iter()
                            .enumerate()
                            .find(|(i, (k, _))| {
                                self.partition_keys[..*i].iter().any(|(e, _)| e == k)
                            })
                            .map(|(_, (_, at))| *at)
                            .or(self.partitioned_by),
                    }
                } else if message.contains("rowtime attribute") {
                    self.watermark_column
                } else {
                    column
                        .as_deref()
                        .and_then(column_at)
                        .map(|&(name, ty, key)| {
                            if message.starts_with("Invalid metadata key") {
                                key.unwrap_or(name)
                            } else if message.to_ascii_lowercase().contains("type") {
                                ty
                            } else {
                                name
                            }
                        })
                }
            }
            _ => None,
        };
        match at {
            Some(at) => located(src, &self.secrets, at, error),
            None => error,
        }
    }
}

/// `error` at byte offset `at` of `src`.
fn located(src: &str, secrets: &[(usize, usize)], at: usize, error: OptionsError) -> OptionsError {
    let (line, column, excerpt) = locate(src, secrets, at);
    OptionsError::Located {
        error: Box::new(error),
        line,
        column,
        excerpt,
    }
}

/// Why parsing stopped: problems were recorded, or a schema error (no position).
enum Stop {
    Syntax,
    Schema(OptionsError),
}

type PResult<T> = Result<T, Stop>;

impl<'a> Parser<'a> {
    fn problem(&mut self, at: usize, message: impl Into<String>) {
        let (line, column, excerpt) = locate(self.src, &self.secrets, at);
        self.problems.push(DdlProblem {
            line,
            column,
            message: message.into(),
            excerpt,
        });
    }

    fn fail<T>(&mut self, at: usize, message: impl Into<String>) -> PResult<T> {
        self.problem(at, message);
        Err(Stop::Syntax)
    }

    fn skip_trivia(&mut self) -> PResult<()> {
        let b = self.src.as_bytes();
        loop {
            while self.pos < b.len() && (b[self.pos] as char).is_ascii_whitespace() {
                self.pos += 1;
            }
            if self.src[self.pos..].starts_with("--") {
                while self.pos < b.len() && b[self.pos] != b'\n' {
                    self.pos += 1;
                }
            } else if self.src[self.pos..].starts_with("/*") {
                let start = self.pos;
                match self.src[self.pos + 2..].find("*/") {
                    Some(end) => self.pos += 2 + end + 2,
                    None => return self.fail(start, "unterminated comment: '/*' without '*/'"),
                }
            } else {
                return Ok(());
            }
        }
    }

    fn next(&mut self) -> PResult<Token> {
        self.skip_trivia()?;
        let start = self.pos;
        let rest = &self.src[self.pos..];
        let Some(c) = rest.chars().next() else {
            return Ok(Token {
                tok: Tok::Eof,
                start,
            });
        };
        let tok = if c == '\'' || c == '`' {
            // '' inside a string and `` inside an identifier stand for the quote itself.
            let mut out = String::new();
            let mut i = start + 1;
            loop {
                let Some(ch) = self.src[i..].chars().next() else {
                    let what = if c == '\'' {
                        "string literal"
                    } else {
                        "quoted identifier"
                    };
                    return self.fail(start, format!("unterminated {what}: missing closing {c}"));
                };
                if ch == c {
                    if self.src[i + 1..].starts_with(c) {
                        out.push(c);
                        i += 2;
                        continue;
                    }
                    i += 1;
                    break;
                }
                out.push(ch);
                i += ch.len_utf8();
            }
            self.pos = i;
            // A backquote left open swallows the text up to the next one, options and
            // their secrets included: a name holding (part of) a sensitive value is
            // refused without being quoted (the message would show the secret).
            if c == '`'
                && self.secrets.iter().any(|&(a, _)| start < a && a < self.pos)
                && !inner_secret_ranges(self.src, start, self.pos).is_empty()
            {
                return self.fail(
                    start,
                    "a quoted identifier holds the value of a sensitive option \
                     (is its closing ` missing?)",
                );
            }
            if c == '\'' {
                Tok::Str(out)
            } else {
                Tok::Ident {
                    text: out,
                    quoted: true,
                }
            }
        } else if c.is_alphabetic() || c == '_' {
            let len = rest
                .char_indices()
                .find(|(_, ch)| !(ch.is_alphanumeric() || *ch == '_' || *ch == '$'))
                .map(|(i, _)| i)
                .unwrap_or(rest.len());
            self.pos += len;
            Tok::Ident {
                text: rest[..len].to_string(),
                quoted: false,
            }
        } else if c.is_ascii_digit() {
            let len = rest
                .char_indices()
                .find(|(_, ch)| !(ch.is_ascii_digit() || *ch == '.'))
                .map(|(i, _)| i)
                .unwrap_or(rest.len());
            self.pos += len;
            Tok::Number(rest[..len].to_string())
        } else {
            self.pos += c.len_utf8();
            Tok::Punct(c)
        };
        self.prev_end = self.pos;
        Ok(Token { tok, start })
    }

    fn peek(&mut self) -> PResult<Token> {
        let (save, save_end) = (self.pos, self.prev_end);
        let t = self.next();
        self.pos = save;
        self.prev_end = save_end;
        t
    }

    /// How a token is named in a message; the value of a sensitive option is not shown.
    fn describe(&self, t: &Token) -> String {
        if self
            .secrets
            .iter()
            .any(|&(a, b)| a <= t.start && t.start < b)
        {
            "a hidden value (the value of a sensitive option)".to_string()
        } else {
            t.describe()
        }
    }

    fn expect_kw(&mut self, kw: &str, context: &str) -> PResult<Token> {
        let t = self.next()?;
        if t.is_kw(kw) {
            Ok(t)
        } else {
            let d = self.describe(&t);
            self.fail(t.start, format!("expected {kw} {context}, found {d}"))
        }
    }

    fn expect_punct(&mut self, c: char, context: &str) -> PResult<Token> {
        let t = self.next()?;
        if t.is_punct(c) {
            Ok(t)
        } else {
            let d = self.describe(&t);
            self.fail(t.start, format!("expected '{c}' {context}, found {d}"))
        }
    }

    fn ident(&mut self, what: &str) -> PResult<String> {
        let t = self.next()?;
        match t.tok {
            Tok::Ident { text, .. } => Ok(text),
            _ => {
                let d = self.describe(&t);
                self.fail(t.start, format!("expected {what}, found {d}"))
            }
        }
    }

    fn string(&mut self, what: &str) -> PResult<(String, usize)> {
        let t = self.next()?;
        match t.tok {
            Tok::Str(s) => Ok((s, t.start)),
            _ => {
                let d = self.describe(&t);
                self.fail(
                    t.start,
                    format!("expected {what} (a quoted string like 'value'), found {d}"),
                )
            }
        }
    }

    /// Raw text of an expression up to the next top-level `,` or `)`.
    fn expression(&mut self) -> PResult<String> {
        let start = self.pos;
        let mut depth = 0usize;
        loop {
            let save = self.pos;
            let t = self.next()?;
            match t.tok {
                Tok::Eof => {
                    self.pos = save;
                    break;
                }
                Tok::Punct('(') => depth += 1,
                Tok::Punct(')') if depth == 0 => {
                    self.pos = save;
                    break;
                }
                Tok::Punct(')') => depth -= 1,
                Tok::Punct(',') if depth == 0 => {
                    self.pos = save;
                    break;
                }
                _ => {}
            }
        }
        let text = self.src[start..self.pos].trim().to_string();
        if text.is_empty() {
            return self.fail(start, "expected an expression");
        }
        Ok(text)
    }
}

/// 1-based line and column (in characters) of byte offset `at`, and an excerpt: the line
/// with the `secrets` ranges shown as `******` and a caret under the column.
fn locate(src: &str, secrets: &[(usize, usize)], at: usize) -> (usize, usize, String) {
    let mut at = at.min(src.len());
    while !src.is_char_boundary(at) {
        at -= 1;
    }
    let line_start = src[..at].rfind('\n').map(|i| i + 1).unwrap_or(0);
    let line_end = src[at..].find('\n').map(|i| at + i).unwrap_or(src.len());
    let line_no = src[..at].matches('\n').count() + 1;
    let col = src[line_start..at].chars().count() + 1;
    // The line as shown, and the caret's padding (the shown text before `at`).
    let mut text = String::new();
    let mut pad = String::new();
    let mut i = line_start;
    for (offset, c) in src[line_start..line_end].char_indices() {
        let here = line_start + offset;
        if here < i {
            continue;
        }
        let shown = match secrets.iter().find(|&&(a, b)| a <= here && here < b) {
            Some(&(_, end)) => {
                i = end.min(line_end);
                "******".to_string()
            }
            None => {
                i = here + c.len_utf8();
                c.to_string()
            }
        };
        if here < at {
            pad.extend(shown.chars().map(|c| if c == '\t' { '\t' } else { ' ' }));
        }
        text.push_str(&shown);
    }
    let text = text.trim_end_matches('\r');
    // A long line (a one-line statement) is cut to a window around the caret.
    let (text, pad) = {
        const WIDTH: usize = 100;
        let len = text.chars().count();
        let caret = pad.chars().count();
        if len <= WIDTH {
            (text.to_string(), pad)
        } else {
            let start = caret.saturating_sub(WIDTH / 2).min(len - WIDTH);
            let end = start + WIDTH;
            let (lead, tail) = (
                if start > 0 { "..." } else { "" },
                if end < len { "..." } else { "" },
            );
            let window: String = text.chars().skip(start).take(WIDTH).collect();
            let pad: String = " ".repeat(lead.len()) + &pad.chars().skip(start).collect::<String>();
            (format!("{lead}{window}{tail}"), pad)
        }
    };
    let gutter = line_no.to_string();
    let blank = " ".repeat(gutter.len());
    (line_no, col, format!("{gutter} | {text}\n{blank} | {pad}^"))
}

/// Byte ranges of the values of sensitive options, found by a lexical pass over the whole
/// text, so that no error shows them. After a sensitive key (a `'...secretkey'` string
/// where a key goes, or an unquoted `...secretkey` before `=` or inside WITH, or either with
/// a secret glued to it, see [`spec::display_key`]) every token but punctuation is masked,
/// and so is every comment,
/// up to the next option (a `,` after a value) or the end of the WITH clause (a `)` after a
/// value): `= = 'v'`, `= ( 'v'`, `= , 'v'`, `= 'a' || 'v'`, `= 'a' 'v'`, `= v-1`, a
/// missing `=`, an unterminated string, a value on the next line. A `,` or `)` before any
/// value does not end the masking: what follows is still where the value was meant to go.
fn secret_ranges(src: &str) -> Vec<(usize, usize)> {
    let mut lexer = Parser {
        src,
        pos: 0,
        prev_end: 0,
        problems: Vec::new(),
        secrets: Vec::new(),
        at: Positions::default(),
    };
    let mut ranges = Vec::new();
    // After a sensitive key: the value's masking state.
    let mut masking: Option<ValueMask> = None;
    // Whether a string here would be an option key, not a value (after `=` or `:`) or a
    // comment or metadata key (after COMMENT, FROM).
    let mut key_position = true;
    // Whether `WITH (` was seen: unquoted words there are (misspelt) option keys.
    let mut in_with = false;
    // Where the dotted name the last word ends (`aws.credentials.basic`) starts, and
    // whether a `.` continues it.
    let mut dotted_start: Option<usize> = None;
    let mut after_dot = false;
    loop {
        let before = lexer.pos;
        let Ok(t) = lexer.next() else {
            // An unterminated string (or comment) where the value goes, or one that names
            // a sensitive option (with its value, as `'...secretkey''S3CR`): hide the rest.
            let rest = &src[before..];
            if masking.is_some() || spec::is_sensitive(rest) {
                ranges.push((before + (rest.len() - rest.trim_start().len()), src.len()));
            }
            break;
        };
        // A comment inside the value (or after it, at the end) is hidden too, and so is a
        // comment naming a sensitive option (a commented-out secret).
        let gap = &src[before..t.start];
        if (masking.is_some() || spec::is_sensitive(gap)) && !gap.trim().is_empty() {
            let lead = gap.len() - gap.trim_start().len();
            let trail = gap.len() - gap.trim_end().len();
            ranges.push((before + lead, t.start - trail));
        }
        if t.tok == Tok::Eof {
            break;
        }
        // A quoted identifier naming a sensitive option is DDL swallowed by a backquote
        // left open (`` `a INT, 'aws.credentials.basic.secretkey' = 'S3CR' ... ` ``): the
        // values inside it are found the same way (its text holds no further backquoted
        // name, so this recurses once at most).
        if matches!(t.tok, Tok::Ident { quoted: true, .. }) && masking.is_none() {
            ranges.extend(inner_secret_ranges(src, t.start, lexer.prev_end));
        }
        let Some(mask) = masking.as_mut() else {
            let next = lexer.peek();
            let sensitive_key = match &t.tok {
                // A string where a key goes, or any string followed by `=` or `:`
                // (`'k' = 'aws.credentials.basic.secretkey' = ...`: a key lost its value).
                Tok::Str(text) => {
                    spec::is_sensitive(text)
                        && (key_position
                            || next
                                .as_ref()
                                .is_ok_and(|n| n.is_punct('=') || n.is_punct(':')))
                }
                // An unquoted key (`aws.credentials.basic.secretkey = ...`) ends in a
                // sensitive word, or has a secret glued to it.
                Tok::Ident { text, .. } => {
                    let name_start = dotted_start.filter(|_| after_dot).unwrap_or(t.start);
                    spec::is_sensitive(text)
                        && (spec::display_key(text) != text.as_str()
                            // A dotted name that is a sensitive option's key, wherever it
                            // stands: a string left open earlier turns the text inside
                            // out, making the key a bare name and its value a bare word.
                            || (!next.as_ref().is_ok_and(|n| n.is_punct('.'))
                                && spec::find(&src[name_start..lexer.prev_end]).is_some())
                            || match &next {
                                Ok(n) => {
                                    n.is_punct('=')
                                        || n.is_punct(':')
                                        || (in_with && !n.is_punct('.'))
                                }
                                // An unterminated string follows: the value.
                                Err(_) => true,
                            })
                }
                _ => false,
            };
            if sensitive_key {
                masking = Some(ValueMask::default());
                // A secret glued to the key (`'...secretkey''S3CR'`, `...secretkeyS3CR`) is
                // hidden too: the whole string, or the word's part after the sensitive word.
                match &t.tok {
                    Tok::Str(text) if spec::display_key(text) != text.as_str() => {
                        ranges.push((t.start, lexer.prev_end));
                    }
                    Tok::Ident { text, .. } => {
                        if let Cow::Owned(shown) = spec::display_key(text) {
                            let kept = shown.len() - spec::MASK.len();
                            ranges.push((t.start + kept, lexer.prev_end));
                        }
                    }
                    _ => {}
                }
            }
            in_with |= t.is_kw("WITH") && next.as_ref().is_ok_and(|n| n.is_punct('('));
            (dotted_start, after_dot) = match &t.tok {
                Tok::Ident { .. } if after_dot => (dotted_start, false),
                Tok::Ident { .. } => (Some(t.start), false),
                Tok::Punct('.') => (dotted_start, dotted_start.is_some()),
                _ => (None, false),
            };
            // After `=` / `:` a string is a value, after COMMENT / FROM a comment or a
            // metadata key; after any other word it may still be an option key (a stray
            // word before one, `, x 'aws.credentials.basic.secretkey' = ...`, must not
            // unmask its value).
            key_position =
                !(matches!(t.tok, Tok::Punct('=' | ':')) || t.is_kw("COMMENT") || t.is_kw("FROM"));
            continue;
        };
        match t.tok {
            Tok::Punct('(') => mask.depth += 1,
            Tok::Punct(')') if mask.depth > 0 => mask.depth -= 1,
            Tok::Punct(',' | ')' | ';') if mask.seen_value && mask.depth == 0 => {
                // The next option, or the end of the WITH clause.
                masking = None;
                key_position = true;
            }
            Tok::Punct(',' | ')' | ';' | '=' | ':') => {}
            Tok::Str(_) => {
                ranges.push((t.start, lexer.prev_end));
                mask.seen_value = true;
            }
            _ => {
                // An unquoted value (or operator) runs to the next space, ',' or ')'.
                let rest = &src[t.start..];
                let len = rest
                    .find(|c: char| c.is_whitespace() || c == ',' || c == ')')
                    .unwrap_or(rest.len());
                // At least the token itself (a char boundary, even for a multi-byte one).
                let end = (t.start + len).max(lexer.prev_end);
                ranges.push((t.start, end));
                lexer.pos = end;
                lexer.prev_end = end;
                mask.seen_value = true;
            }
        }
    }
    ranges
}

/// The [`secret_ranges`] inside the quoted identifier at `start..end` of `src` (its
/// backquotes included), as offsets in `src`: none unless its text names a sensitive
/// option's key (`aws.credentials.basic.secretkey`, not just a sensitive word as in
/// `token2`) with a value.
fn inner_secret_ranges(src: &str, start: usize, end: usize) -> Vec<(usize, usize)> {
    let inner = (start + 1, end.saturating_sub(1).max(start + 1));
    let text = &src[inner.0..inner.1];
    let names_sensitive_option = spec::is_sensitive(text)
        && text
            .split(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_')))
            .any(|name| spec::is_sensitive(name) && spec::find(name).is_some());
    if !names_sensitive_option {
        return Vec::new();
    }
    secret_ranges(text)
        .into_iter()
        .map(|(a, b)| (inner.0 + a, inner.0 + b))
        .collect()
}

/// Where [`secret_ranges`] is inside the value of a sensitive option.
#[derive(Default)]
struct ValueMask {
    /// Parentheses opened since the key.
    depth: usize,
    /// A literal was masked: a `,` or `)` at depth 0 now ends the value.
    seen_value: bool,
}

struct RawColumn {
    name: String,
    start: usize,
    type_at: usize,
    /// Where the `METADATA FROM` key string is.
    key_at: Option<usize>,
    data_type: DataType,
    metadata: Option<(Option<String>, bool)>,
    comment: Option<String>,
}

/// Parses a `CREATE TABLE` statement into its parts (no option validation), with the
/// positions of those parts.
pub(crate) fn parse(src: &str) -> Result<(TableParts, Positions), OptionsError> {
    let secrets = secret_ranges(src);
    let mut p = Parser {
        src,
        pos: 0,
        prev_end: 0,
        problems: Vec::new(),
        secrets: secrets.clone(),
        at: Positions {
            secrets,
            ..Positions::default()
        },
    };
    match parse_statement(&mut p) {
        Ok(parts) if p.problems.is_empty() => Ok((parts, p.at)),
        Err(Stop::Schema(e)) => Err(e),
        _ => Err(OptionsError::Syntax(p.problems)),
    }
}

fn parse_statement(p: &mut Parser<'_>) -> PResult<TableParts> {
    p.expect_kw("CREATE", "at the start of the statement")?;
    if p.peek()?.is_kw("TEMPORARY") {
        p.next()?;
    }
    p.expect_kw("TABLE", "after CREATE")?;
    if p.peek()?.is_kw("IF") {
        p.next()?;
        p.expect_kw("NOT", "in IF NOT EXISTS")?;
        p.expect_kw("EXISTS", "in IF NOT EXISTS")?;
    }
    let mut name_parts = vec![p.ident("the table name")?];
    while p.peek()?.is_punct('.') {
        p.next()?;
        name_parts.push(p.ident("a name after '.'")?);
    }
    if name_parts.len() > 3 {
        return p.fail(
            p.pos,
            "a table name has at most three parts: catalog.database.table",
        );
    }
    let name = name_parts.join(".");
    let open = p.expect_punct('(', "to open the column list after the table name")?;

    let mut columns: Vec<RawColumn> = Vec::new();
    let mut watermark = None;
    loop {
        // A table-level clause where a column should be: the list's ')' is missing.
        let t = p.peek()?;
        if is_clause_start(p, &t)? {
            missing_close_paren(p, &open, &t);
            break;
        }
        if t.is_kw("WATERMARK") {
            p.next()?;
            p.expect_kw("FOR", "after WATERMARK")?;
            p.at.watermark_column = Some(p.peek()?.start);
            let column = p.ident("the watermark's column")?;
            p.expect_kw("AS", "after WATERMARK FOR <column>")?;
            let expression = p.expression()?;
            watermark = Some(Watermark { column, expression });
        } else if t.is_kw("PRIMARY") || t.is_kw("CONSTRAINT") {
            return p.fail(
                t.start,
                "PRIMARY KEY is not supported: the kinesis connector is append-only (it cannot apply updates or deletes)",
            );
        } else {
            columns.push(parse_column(p)?);
        }
        let t = p.peek()?;
        if t.is_punct(',') {
            p.next()?;
            continue;
        }
        if t.is_punct(')') {
            p.next()?;
            break;
        }
        if is_clause_start(p, &t)? || matches!(t.tok, Tok::Str(_) | Tok::Eof) {
            missing_close_paren(p, &open, &t);
            break;
        }
        let after = columns
            .last()
            .map(|c| format!("column `{}`", c.name))
            .unwrap_or_else(|| "the watermark".into());
        let d = p.describe(&t);
        return p.fail(
            t.start,
            format!("expected ',' or ')' after {after}, found {d}"),
        );
    }
    if columns.is_empty() {
        return p.fail(open.start, "a table needs at least one column");
    }

    let mut comment = None;
    if p.peek()?.is_kw("COMMENT") {
        p.next()?;
        comment = Some(p.string("the table comment")?.0);
    }
    let mut partition_keys = Vec::new();
    if p.peek()?.is_kw("PARTITIONED") {
        p.at.partitioned_by = Some(p.next()?.start);
        p.expect_kw("BY", "after PARTITIONED")?;
        p.expect_punct('(', "after PARTITIONED BY")?;
        loop {
            let key_at = p.peek()?.start;
            let key = p.ident("a partition column")?;
            p.at.partition_keys.push((key.clone(), key_at));
            partition_keys.push(key);
            let t = p.next()?;
            if t.is_punct(',') {
                continue;
            }
            if t.is_punct(')') {
                break;
            }
            let d = p.describe(&t);
            return p.fail(
                t.start,
                format!("expected ',' or ')' in PARTITIONED BY, found {d}"),
            );
        }
    }

    let mut options = BTreeMap::new();
    let mut positions: BTreeMap<String, usize> = BTreeMap::new();
    let t = p.peek()?;
    let with_open = if t.is_kw("WITH") {
        p.at.with = Some(p.next()?.start);
        Some(p.expect_punct('(', "after WITH")?)
    } else if matches!(t.tok, Tok::Str(_)) {
        p.problem(
            t.start,
            format!(
                "missing 'WITH (' before the table options: {} starts an option but no WITH clause was opened",
                p.describe(&t)
            ),
        );
        None
    } else if t.tok == Tok::Eof || t.is_punct(';') {
        // No WITH clause: the options check reports what is required.
        let end = p.next()?;
        if end.is_punct(';') {
            expect_end(p)?;
        }
        return finish(
            p,
            name,
            columns,
            partition_keys,
            watermark,
            comment,
            options,
        );
    } else {
        let d = p.describe(&t);
        let expected = if partition_keys.is_empty() && comment.is_none() {
            "COMMENT, PARTITIONED BY or WITH ("
        } else {
            "WITH ("
        };
        return p.fail(
            t.start,
            format!("expected {expected} after the column list, found {d}"),
        );
    };
    if !p.peek()?.is_punct(')') {
        loop {
            let (key, key_at) = p.string("an option key")?;
            // A key with a secret glued to it is not shown in full (spec::display_key).
            let shown_key = spec::display_key(&key).into_owned();
            p.expect_punct('=', &format!("after option key '{shown_key}'"))?;
            let t = p.next()?;
            let value = match t.tok {
                Tok::Str(v) => v,
                _ => {
                    let found = if spec::is_sensitive(&key) {
                        "an unquoted value".to_string()
                    } else {
                        p.describe(&t)
                    };
                    return p.fail(
                        t.start,
                        format!("expected the value of option '{shown_key}' as a quoted string, found {found}"),
                    );
                }
            };
            if let Some(first) = positions.get(&key) {
                let (l, c, _) = locate(p.src, &p.secrets, *first);
                return p.fail(
                    key_at,
                    format!("option '{shown_key}' is set twice (first at line {l}, column {c})"),
                );
            }
            positions.insert(key.clone(), key_at);
            p.at.options.insert(key.clone(), (key_at, t.start));
            options.insert(key, value);
            let t = p.peek()?;
            if t.is_punct(',') {
                p.next()?;
                continue;
            }
            if t.is_punct(')') {
                break;
            }
            if matches!(t.tok, Tok::Eof) || t.is_punct(';') {
                let opened = match &with_open {
                    Some(w) => {
                        let (l, c, _) = locate(p.src, &p.secrets, w.start);
                        format!("the WITH options opened at line {l}, column {c}")
                    }
                    None => "the WITH options".to_string(),
                };
                let at = p.prev_end;
                p.problem(
                    at,
                    format!("missing ')' to close {opened} (expected ')' after the last option)"),
                );
                return Err(Stop::Syntax);
            }
            if matches!(t.tok, Tok::Str(_)) {
                return p.fail(
                    t.start,
                    format!(
                        "missing ',' between options: {} follows option '{shown_key}'",
                        p.describe(&t),
                    ),
                );
            }
            let d = p.describe(&t);
            return p.fail(
                t.start,
                format!("expected ',' or ')' after option '{shown_key}', found {d}"),
            );
        }
    }
    p.expect_punct(')', "to close the WITH options")?;
    if p.peek()?.is_punct(';') {
        p.next()?;
    }
    expect_end(p)?;
    finish(
        p,
        name,
        columns,
        partition_keys,
        watermark,
        comment,
        options,
    )
}

fn expect_end(p: &mut Parser<'_>) -> PResult<()> {
    let t = p.next()?;
    if t.tok != Tok::Eof {
        let d = p.describe(&t);
        return p.fail(
            t.start,
            format!("unexpected {d} after the end of the CREATE TABLE statement"),
        );
    }
    Ok(())
}

/// `PARTITIONED BY`, `WITH (`, `COMMENT '` at a position where the column list continues.
fn is_clause_start(p: &mut Parser<'_>, t: &Token) -> PResult<bool> {
    if !(t.is_kw("PARTITIONED") || t.is_kw("WITH") || t.is_kw("COMMENT")) {
        return Ok(false);
    }
    let (save, save_end) = (p.pos, p.prev_end);
    p.next()?;
    let after = p.next()?;
    p.pos = save;
    p.prev_end = save_end;
    Ok((t.is_kw("PARTITIONED") && after.is_kw("BY"))
        || (t.is_kw("WITH") && after.is_punct('('))
        || (t.is_kw("COMMENT") && matches!(after.tok, Tok::Str(_))))
}

fn missing_close_paren(p: &mut Parser<'_>, open: &Token, at: &Token) {
    let (l, c, _) = locate(p.src, &p.secrets, open.start);
    let before = match &at.tok {
        Tok::Eof => "at the end of the statement".to_string(),
        Tok::Str(_) => "before the table options".to_string(),
        Tok::Ident { text, .. } if text.eq_ignore_ascii_case("PARTITIONED") => {
            "before PARTITIONED BY".to_string()
        }
        Tok::Ident { text, .. } if text.eq_ignore_ascii_case("WITH") => "before WITH (".to_string(),
        Tok::Ident { text, .. } => format!("before {}", text.to_ascii_uppercase()),
        _ => format!("before {}", p.describe(at)),
    };
    p.problem(
        at.start,
        format!("missing ')' to close the column list opened at line {l}, column {c} (expected ')' {before})"),
    );
}

fn parse_column(p: &mut Parser<'_>) -> PResult<RawColumn> {
    let t = p.next()?;
    let (name, start) = match t.tok {
        Tok::Ident { text, .. } => (text, t.start),
        _ => {
            let d = p.describe(&t);
            return p.fail(t.start, format!("expected a column name, found {d}"));
        }
    };
    if p.peek()?.is_kw("AS") {
        return p.fail(
            start,
            format!(
                "computed column `{name}` is not supported: declare a physical or METADATA column"
            ),
        );
    }
    p.skip_trivia()?;
    let type_at = p.pos;
    let mut data_type = match DataType::parse_prefix(&p.src[type_at..]) {
        Ok((t, used)) => {
            p.pos = type_at + used;
            t
        }
        Err(e) => {
            let at = type_at + e.offset.min(p.src.len() - type_at);
            return p.fail(
                at,
                format!("invalid type for column `{name}`: {}", e.message),
            );
        }
    };
    let mut metadata = None;
    let mut key_at = None;
    let mut comment = None;
    loop {
        let t = p.peek()?;
        if t.is_kw("NOT") {
            p.next()?;
            p.expect_kw("NULL", "after NOT")?;
            data_type.nullable = false;
        } else if t.is_kw("NULL") {
            p.next()?;
            data_type.nullable = true;
        } else if t.is_kw("METADATA") {
            p.next()?;
            let mut key = None;
            if p.peek()?.is_kw("FROM") {
                p.next()?;
                let (text, at) = p.string("the metadata key after FROM")?;
                key = Some(text);
                key_at = Some(at);
            }
            let mut is_virtual = false;
            if p.peek()?.is_kw("VIRTUAL") {
                p.next()?;
                is_virtual = true;
            }
            metadata = Some((key, is_virtual));
        } else if t.is_kw("VIRTUAL") {
            return p.fail(
                t.start,
                format!("VIRTUAL without METADATA in column `{name}`"),
            );
        } else if t.is_kw("COMMENT") {
            p.next()?;
            comment = Some(p.string("the column comment")?.0);
        } else if t.is_kw("PRIMARY") || t.is_kw("CONSTRAINT") {
            return p.fail(
                t.start,
                "PRIMARY KEY is not supported: the kinesis connector is append-only (it cannot apply updates or deletes)",
            );
        } else {
            break;
        }
    }
    Ok(RawColumn {
        name,
        start,
        type_at,
        key_at,
        data_type,
        metadata,
        comment,
    })
}

fn finish(
    p: &mut Parser<'_>,
    name: String,
    raw: Vec<RawColumn>,
    partition_keys: Vec<String>,
    watermark: Option<Watermark>,
    comment: Option<String>,
    options: BTreeMap<String, String>,
) -> PResult<TableParts> {
    if !p.problems.is_empty() {
        return Err(Stop::Syntax);
    }
    let mut columns = Vec::with_capacity(raw.len());
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for c in raw {
        if let Some(first) = seen.get(&c.name) {
            let (l, col, _) = locate(p.src, &p.secrets, *first);
            return p.fail(
                c.start,
                format!(
                    "column `{}` is defined twice (first at line {l}, column {col})",
                    c.name
                ),
            );
        }
        seen.insert(c.name.clone(), c.start);
        p.at.columns
            .insert(c.name.clone(), (c.start, c.type_at, c.key_at));
        let kind = match c.metadata {
            None => ColumnKind::Physical,
            Some((key, is_virtual)) => {
                let key_text = key.unwrap_or_else(|| c.name.clone());
                match MetadataKey::from_key(&key_text) {
                    Some(key) => ColumnKind::Metadata { key, is_virtual },
                    None => {
                        return Err(Stop::Schema(located(
                            p.src,
                            &p.secrets,
                            c.key_at.unwrap_or(c.start),
                            unknown_metadata_key(&name, &c.name, &key_text),
                        )));
                    }
                }
            }
        };
        columns.push(Column {
            name: c.name,
            data_type: c.data_type,
            kind,
            comment: c.comment,
        });
    }
    Ok(TableParts {
        name,
        columns,
        partition_keys,
        watermark,
        comment,
        options,
    })
}
