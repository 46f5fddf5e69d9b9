//! The `csv.*` options: keys, defaults and validation with Flink's messages, in Flink's
//! order.

use std::collections::BTreeMap;

use crate::error::FormatError;
use crate::format::{bool_option, format_options, FormatOptionKey};

/// Keys of the csv format (Flink 1.16/1.17).
pub(crate) const OPTION_KEYS: &[FormatOptionKey] = &[
    FormatOptionKey {
        key: "csv.field-delimiter",
        default: Some(","),
        description: "Field delimiter, a single character; Java escapes such as '\\t' are unescaped first.",
    },
    FormatOptionKey {
        key: "csv.disable-quote-character",
        default: Some("false"),
        description: "Disable quoting on read and write; cannot be combined with csv.quote-character.",
    },
    FormatOptionKey {
        key: "csv.quote-character",
        default: Some("\""),
        description: "Quote character enclosing field values.",
    },
    FormatOptionKey {
        key: "csv.allow-comments",
        default: Some("false"),
        description: "Skip lines starting with '#' on read.",
    },
    FormatOptionKey {
        key: "csv.ignore-parse-errors",
        default: Some("false"),
        description: "On read, a bad field becomes null and an unparsable record is skipped instead of failing.",
    },
    FormatOptionKey {
        key: "csv.array-element-delimiter",
        default: Some(";"),
        description: "Separates ARRAY elements and nested ROW fields.",
    },
    FormatOptionKey {
        key: "csv.escape-character",
        default: None,
        description: "Escape character (read and write); none by default.",
    },
    FormatOptionKey {
        key: "csv.null-literal",
        default: None,
        description: "Text read as null and written for nulls; by default nulls are written as empty fields.",
    },
    FormatOptionKey {
        key: "csv.write-bigdecimal-in-scientific-notation",
        default: None,
        description: "Unset (kinesis-rs, D12): DECIMAL is written plainly at its declared scale (100.00). \
                      true: Flink's BigDecimal.toString after stripping zeros (1E+2); false: plain after stripping zeros (100).",
    },
];

/// The parsed csv options.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct CsvOptions {
    pub(crate) field_delimiter: char,
    /// `None` when `csv.disable-quote-character` is true.
    pub(crate) quote_character: Option<char>,
    pub(crate) allow_comments: bool,
    pub(crate) ignore_parse_errors: bool,
    pub(crate) array_element_delimiter: char,
    pub(crate) escape_character: Option<char>,
    pub(crate) null_literal: Option<String>,
    /// `None` = option not set (D12 plain at declared scale).
    pub(crate) write_bigdecimal_in_scientific_notation: Option<bool>,
}

impl Default for CsvOptions {
    fn default() -> Self {
        CsvOptions {
            field_delimiter: ',',
            quote_character: Some('"'),
            allow_comments: false,
            ignore_parse_errors: false,
            array_element_delimiter: ';',
            escape_character: None,
            null_literal: None,
            write_bigdecimal_in_scientific_notation: None,
        }
    }
}

/// Java's `StringEscapeUtils.unescapeJava` for the field delimiter (`\t`, `\n`, `\\`,
/// `\uXXXX`, octal escapes, ...).
fn unescape_java(s: &str) -> String {
    let mut out = String::new();
    let mut it = s.chars().peekable();
    while let Some(c) = it.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match it.next() {
            None => out.push('\\'),
            Some('t') => out.push('\t'),
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some('b') => out.push('\u{8}'),
            Some('f') => out.push('\u{c}'),
            Some('u') => {
                while it.peek() == Some(&'u') {
                    it.next();
                }
                let hex: String = it.by_ref().take(4).collect();
                match u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32) {
                    Some(ch) if hex.len() == 4 => out.push(ch),
                    _ => {
                        out.push_str("\\u");
                        out.push_str(&hex);
                    }
                }
            }
            Some(d @ '0'..='7') => {
                let mut v = d.to_digit(8).unwrap_or(0);
                let max = if d <= '3' { 2 } else { 1 };
                for _ in 0..max {
                    match it.peek().and_then(|c| c.to_digit(8)) {
                        Some(x) => {
                            v = v * 8 + x;
                            it.next();
                        }
                        None => break,
                    }
                }
                out.push(char::from_u32(v).unwrap_or('\0'));
            }
            Some(other) => out.push(other),
        }
    }
    out
}

fn single_char(key: &'static str, raw: &str, value: &str) -> Result<char, FormatError> {
    let mut it = value.chars();
    match (it.next(), it.next()) {
        (Some(c), None) => Ok(c),
        _ => Err(FormatError::invalid_option(
            key,
            format!("Option '{key}' must be a string with single character, but was: {raw}"),
        )),
    }
}

impl CsvOptions {
    /// Reads and validates the `csv.*` keys of a table option map (Flink's checks, in Flink's
    /// order).
    pub(crate) fn from_options(
        options: &BTreeMap<String, String>,
    ) -> Result<CsvOptions, FormatError> {
        let found = format_options("csv", options, OPTION_KEYS)?;
        let disable_quote = bool_option(&found, "csv.disable-quote-character")?;
        if disable_quote == Some(true) && found.contains_key("csv.quote-character") {
            return Err(FormatError::invalid_option(
                "csv.disable-quote-character",
                "Format cannot define a quote character and disabled quote character at the same time.",
            ));
        }
        let mut o = CsvOptions::default();
        if let Some(raw) = found.get("csv.field-delimiter") {
            o.field_delimiter = single_char("csv.field-delimiter", raw, &unescape_java(raw))?;
        }
        if let Some(raw) = found.get("csv.array-element-delimiter") {
            o.array_element_delimiter = single_char("csv.array-element-delimiter", raw, raw)?;
        }
        if let Some(raw) = found.get("csv.quote-character") {
            o.quote_character = Some(single_char("csv.quote-character", raw, raw)?);
        }
        if let Some(raw) = found.get("csv.escape-character") {
            o.escape_character = Some(single_char("csv.escape-character", raw, raw)?);
        }
        if disable_quote == Some(true) {
            o.quote_character = None;
        }
        o.allow_comments = bool_option(&found, "csv.allow-comments")?.unwrap_or(false);
        o.ignore_parse_errors = bool_option(&found, "csv.ignore-parse-errors")?.unwrap_or(false);
        o.null_literal = found.get("csv.null-literal").map(|s| s.to_string());
        o.write_bigdecimal_in_scientific_notation =
            bool_option(&found, "csv.write-bigdecimal-in-scientific-notation")?;
        Ok(o)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_delimiter_is_unescaped_and_characters_are_single() {
        let mut o = BTreeMap::new();
        o.insert("csv.field-delimiter".to_string(), "\\t".to_string());
        assert_eq!(CsvOptions::from_options(&o).unwrap().field_delimiter, '\t');
        o.insert("csv.quote-character".to_string(), "abc".to_string());
        assert_eq!(
            CsvOptions::from_options(&o).unwrap_err().to_string(),
            "Option 'csv.quote-character' must be a string with single character, but was: abc"
        );
    }
}
