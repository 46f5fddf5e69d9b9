//! The `json.*` options: keys, defaults and validation with Flink's messages.

use std::collections::BTreeMap;

use crate::error::FormatError;
use crate::format::{bool_option, format_options, FormatOptionKey};

/// Keys of the json format (Flink 1.15–1.17, plus `json.encode.ignore-null-fields` of 1.18).
pub(crate) const OPTION_KEYS: &[FormatOptionKey] = &[
    FormatOptionKey {
        key: "json.fail-on-missing-field",
        default: Some("false"),
        description: "Fail when a field is missing instead of reading null.",
    },
    FormatOptionKey {
        key: "json.ignore-parse-errors",
        default: Some("false"),
        description: "On read, a bad field becomes null and a malformed document is skipped instead of failing.",
    },
    FormatOptionKey {
        key: "json.timestamp-format.standard",
        default: Some("SQL"),
        description: "TIMESTAMP / TIMESTAMP_LTZ text form: SQL (yyyy-MM-dd HH:mm:ss.s{precision}) or ISO-8601 (yyyy-MM-ddTHH:mm:ss.s{precision}).",
    },
    FormatOptionKey {
        key: "json.map-null-key.mode",
        default: Some("FAIL"),
        description: "Writing a MAP entry with a null key: FAIL, DROP the entry, or write LITERAL (json.map-null-key.literal).",
    },
    FormatOptionKey {
        key: "json.map-null-key.literal",
        default: Some("null"),
        description: "Key text for null map keys in LITERAL mode.",
    },
    FormatOptionKey {
        key: "json.encode.decimal-as-plain-number",
        default: None,
        description: "Unset (kinesis-rs, D12): DECIMAL is written plainly at its declared scale (100.00). \
                      false: Flink's BigDecimal.toString after stripping zeros (1E+2); true: plain after stripping zeros (100).",
    },
    FormatOptionKey {
        key: "json.encode.ignore-null-fields",
        default: Some("false"),
        description: "Omit fields whose value is null when writing (Flink 1.18).",
    },
];

/// Text form of TIMESTAMP / TIMESTAMP_LTZ values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TimestampStandard {
    /// `2020-12-30 12:13:14.1`
    Sql,
    /// `2020-12-30T12:13:14.1`
    Iso8601,
}

/// What to do with a null MAP key on write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum MapNullKeyMode {
    Fail,
    Drop,
    Literal,
}

/// The parsed json options.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct JsonOptions {
    pub(crate) fail_on_missing_field: bool,
    pub(crate) ignore_parse_errors: bool,
    pub(crate) timestamp_standard: TimestampStandard,
    pub(crate) map_null_key_mode: MapNullKeyMode,
    pub(crate) map_null_key_literal: String,
    /// `None` = option not set (D12 plain at declared scale).
    pub(crate) decimal_as_plain_number: Option<bool>,
    pub(crate) ignore_null_fields: bool,
}

impl Default for JsonOptions {
    fn default() -> Self {
        JsonOptions {
            fail_on_missing_field: false,
            ignore_parse_errors: false,
            timestamp_standard: TimestampStandard::Sql,
            map_null_key_mode: MapNullKeyMode::Fail,
            map_null_key_literal: "null".to_string(),
            decimal_as_plain_number: None,
            ignore_null_fields: false,
        }
    }
}

impl JsonOptions {
    /// Reads and validates the `json.*` keys of a table option map with Flink's messages.
    pub(crate) fn from_options(
        options: &BTreeMap<String, String>,
    ) -> Result<JsonOptions, FormatError> {
        let found = format_options("json", options, OPTION_KEYS)?;
        let mut o = JsonOptions {
            fail_on_missing_field: bool_option(&found, "json.fail-on-missing-field")?
                .unwrap_or(false),
            ignore_parse_errors: bool_option(&found, "json.ignore-parse-errors")?.unwrap_or(false),
            ..JsonOptions::default()
        };
        if o.fail_on_missing_field && o.ignore_parse_errors {
            return Err(FormatError::invalid_option(
                "json.ignore-parse-errors",
                "fail-on-missing-field and ignore-parse-errors shouldn't both be true.",
            ));
        }
        if let Some(v) = found.get("json.timestamp-format.standard") {
            o.timestamp_standard = match *v {
                "SQL" => TimestampStandard::Sql,
                "ISO-8601" => TimestampStandard::Iso8601,
                _ => {
                    return Err(FormatError::invalid_option(
                        "json.timestamp-format.standard",
                        format!("Unsupported value '{v}' for timestamp-format.standard. Supported values are [SQL, ISO-8601]."),
                    ))
                }
            };
        }
        if let Some(v) = found.get("json.map-null-key.mode") {
            o.map_null_key_mode = match v.to_ascii_uppercase().as_str() {
                "FAIL" => MapNullKeyMode::Fail,
                "DROP" => MapNullKeyMode::Drop,
                "LITERAL" => MapNullKeyMode::Literal,
                _ => {
                    return Err(FormatError::invalid_option(
                        "json.map-null-key.mode",
                        format!("Unsupported value '{v}' for option map-null-key.mode. Supported values are [LITERAL, FAIL, DROP]."),
                    ))
                }
            };
        }
        if let Some(v) = found.get("json.map-null-key.literal") {
            o.map_null_key_literal = v.to_string();
        }
        o.decimal_as_plain_number = bool_option(&found, "json.encode.decimal-as-plain-number")?;
        o.ignore_null_fields =
            bool_option(&found, "json.encode.ignore-null-fields")?.unwrap_or(false);
        Ok(o)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_timestamp_standard_is_case_sensitive_as_in_flink() {
        let mut o = BTreeMap::new();
        o.insert(
            "json.timestamp-format.standard".to_string(),
            "ISO-8601".to_string(),
        );
        assert_eq!(
            JsonOptions::from_options(&o).unwrap().timestamp_standard,
            TimestampStandard::Iso8601
        );
        o.insert(
            "json.timestamp-format.standard".to_string(),
            "iso-8601".to_string(),
        );
        assert_eq!(
            JsonOptions::from_options(&o).unwrap_err().to_string(),
            "Unsupported value 'iso-8601' for timestamp-format.standard. Supported values are [SQL, ISO-8601]."
        );
    }
}
