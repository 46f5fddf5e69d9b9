//! PutRecords answers reduced to what a writer acts on ([`PutRecordsOutcome`]).

use serde::{Deserialize, Deserializer};

use super::{body_start, ParseError, Text};
use crate::model::{PutRecordsFailure, PutRecordsOutcome};

/// One result entry; `SequenceNumber` and `ShardId` are skipped without being copied.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ResultEntryWire {
    #[serde(default)]
    error_code: Option<String>,
    #[serde(default)]
    error_message: Option<String>,
}

/// Deserializes the `Records` array (or `null`) into the outcome.
struct ResultEntriesSeed<'b>(&'b mut PutRecordsOutcome);

impl<'de> serde::de::DeserializeSeed<'de> for ResultEntriesSeed<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_option(self)
    }
}

impl<'de> serde::de::Visitor<'de> for ResultEntriesSeed<'_> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a list of PutRecords result entries")
    }
    fn visit_none<E>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(e) = seq.next_element::<ResultEntryWire>()? {
            if let Some(error_code) = e.error_code {
                self.0.failures.push(PutRecordsFailure {
                    index: self.0.entries,
                    error_code,
                    error_message: e.error_message,
                });
            }
            self.0.entries += 1;
        }
        Ok(())
    }
}

struct OutcomeVisitor;

impl<'de> serde::de::Visitor<'de> for OutcomeVisitor {
    type Value = PutRecordsOutcome;
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a PutRecords response object")
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(
        self,
        mut map: A,
    ) -> Result<PutRecordsOutcome, A::Error> {
        let mut out = PutRecordsOutcome::default();
        let mut seen_records = false;
        while let Some(key) = map.next_key::<Text<'de>>()? {
            match &*key.0 {
                "FailedRecordCount" => {
                    out.failed_record_count = map.next_value::<Option<u32>>()?.unwrap_or(0)
                }
                "Records" => {
                    if seen_records {
                        return Err(serde::de::Error::duplicate_field("Records"));
                    }
                    seen_records = true;
                    map.next_value_seed(ResultEntriesSeed(&mut out))?;
                }
                "EncryptionType" => out.encryption_type = map.next_value::<Option<String>>()?,
                _ => {
                    map.next_value::<serde::de::IgnoredAny>()?;
                }
            }
        }
        Ok(out)
    }
}

/// Parses a PutRecords response body into a [`PutRecordsOutcome`]: only failed entries are
/// materialised. An empty body reads as no entries, as for [`crate::model::PutRecordsOutput`].
///
/// ```
/// use kinesis_wire::model::parse_put_records_outcome;
/// let out = parse_put_records_outcome(br#"{"FailedRecordCount":1,"Records":[
///     {"SequenceNumber":"1","ShardId":"shardId-000000000000"},
///     {"ErrorCode":"ProvisionedThroughputExceededException","ErrorMessage":"slow down"}]}"#).unwrap();
/// assert_eq!((out.entries, out.failures.len()), (2, 1));
/// assert_eq!(out.failures[0].index, 1);
/// assert!(out.failures[0].is_retryable() && !out.all_succeeded());
/// ```
pub fn parse_put_records_outcome(body: &[u8]) -> Result<PutRecordsOutcome, ParseError> {
    let body: &[u8] = if body.iter().all(u8::is_ascii_whitespace) {
        b"{}"
    } else {
        body
    };
    let mut de = serde_json::Deserializer::from_slice(body);
    serde::Deserializer::deserialize_map(&mut de, OutcomeVisitor)
        .and_then(|v| de.end().map(|()| v))
        .map_err(|e| {
            ParseError::new(
                "PutRecords response",
                format!("{e}; body starts with {}", body_start(body)),
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::PutRecordsOutput;

    #[test]
    fn put_records_outcome_matches_the_full_output() {
        let body = br#"{"FailedRecordCount":2,"Records":[
              {"SequenceNumber":"1","ShardId":"shardId-000000000000","ErrorCode":null,"ErrorMessage":null},
              {"SequenceNumber":null,"ShardId":null,"ErrorCode":"InvalidArgumentException","ErrorMessage":"too \"big\""},
              {"SequenceNumber":"3","ShardId":"shardId-000000000001","Extra":{"x":[1,2]}},
              {"ErrorCode":"InternalFailure"}],
              "EncryptionType":null}"#;
        let full: PutRecordsOutput = serde_json::from_slice(body).unwrap();
        let out = parse_put_records_outcome(body).unwrap();
        assert_eq!(out.entries, full.records.len());
        assert_eq!(out.failed_record_count, 2);
        let expected: Vec<PutRecordsFailure> = full
            .records
            .iter()
            .enumerate()
            .filter_map(|(index, r)| {
                Some(PutRecordsFailure {
                    index,
                    error_code: r.error_code.clone()?,
                    error_message: r.error_message.clone(),
                })
            })
            .collect();
        assert_eq!(out.failures, expected);
        assert_eq!(
            out.failures[0].error_message.as_deref(),
            Some("too \"big\"")
        );
        assert!(!out.failures[0].is_retryable() && out.failures[1].is_retryable());
        assert!(!out.all_succeeded());

        let empty = parse_put_records_outcome(b" \n").unwrap();
        assert_eq!((empty.entries, empty.all_succeeded()), (0, true));
        let nulls =
            parse_put_records_outcome(br#"{"FailedRecordCount":null,"Records":null}"#).unwrap();
        assert_eq!(nulls, PutRecordsOutcome::default());
        let bad = parse_put_records_outcome(br#"{"Records":[{"ErrorCode":5}]}"#).unwrap_err();
        assert!(
            bad.to_string().starts_with("invalid PutRecords response: "),
            "{bad}"
        );
    }
}
