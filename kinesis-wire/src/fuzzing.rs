//! Entry points for fuzz harnesses (feature `fuzzing`): every parser of what a server, a
//! file or a process hands this crate, callable on bytes, and checks that the parsers
//! which must agree do.
//!
//! **Not part of the API.** This module exists for `cargo fuzz` targets and may change
//! or go away in any release; programs must not use it.
//!
//! ```
//! use kinesis_wire::fuzzing;
//! let body = br#"{"Records":[{"SequenceNumber":"1","Data":"aGk=","PartitionKey":"k"}]}"#;
//! assert!(fuzzing::get_records_fast(body).is_some());
//! assert_eq!(fuzzing::get_records_parsers_agree(body), Ok(()));
//! ```

use crate::credentials::parsers;
use crate::credentials::Credentials;
use crate::model::{GetRecordsPage, PutRecordsOutcome, PutRecordsOutput, RecordBatch};
use crate::parse::{fast, parse_get_records_page_serde, ParseError};
use crate::transport::HttpResponse;
use crate::KinesisError;

/// The fast GetRecords scanner alone: `None` when it leaves the body to serde_json.
pub fn get_records_fast(body: &[u8]) -> Option<GetRecordsPage> {
    let mut records = RecordBatch::new();
    let (next_shard_iterator, millis_behind_latest, child_shards) =
        fast::parse(body, &mut records)?;
    Some(GetRecordsPage {
        records,
        next_shard_iterator,
        millis_behind_latest,
        child_shards,
    })
}

/// The serde_json GetRecords parser alone (the fast scanner's fallback).
pub fn get_records_serde(body: &[u8]) -> Result<GetRecordsPage, ParseError> {
    parse_get_records_page_serde(body, RecordBatch::new())
}

/// The GetRecords parser as the client runs it (fast scanner, then serde_json).
pub fn get_records(body: &[u8]) -> Result<GetRecordsPage, ParseError> {
    crate::parse::parse_get_records_page(body, RecordBatch::new())
}

/// Whether the two GetRecords parsers agree on `body`: when the fast scanner answers,
/// serde_json must give the same page. `Err` describes the disagreement.
pub fn get_records_parsers_agree(body: &[u8]) -> Result<(), String> {
    let Some(fast) = get_records_fast(body) else {
        return Ok(());
    };
    match get_records_serde(body) {
        Ok(slow) if slow == fast => Ok(()),
        Ok(slow) => Err(format!("fast {fast:?} != serde {slow:?}")),
        Err(e) => Err(format!("fast {fast:?}, serde failed: {e}")),
    }
}

/// The PutRecords outcome parser (failed entries only), as the sink uses it.
pub fn put_records_outcome(body: &[u8]) -> Result<PutRecordsOutcome, ParseError> {
    crate::parse::parse_put_records_outcome(body)
}

/// The full PutRecords output (every entry), as `KinesisClient::put_records` parses it.
pub fn put_records_output(body: &[u8]) -> Result<PutRecordsOutput, KinesisError> {
    crate::connection::parse_body("PutRecords", body)
}

/// Whether the two PutRecords parsers agree on `body`: whenever the full output parses,
/// the outcome parses too and reports the same entries, failures, count and encryption
/// type. (The outcome parser skips `SequenceNumber` and `ShardId` unread, so it may accept
/// a body the full parser refuses.)
pub fn put_records_parsers_agree(body: &[u8]) -> Result<(), String> {
    let Ok(full) = put_records_output(body) else {
        return Ok(());
    };
    let outcome = put_records_outcome(body).map_err(|e| format!("outcome failed: {e}"))?;
    let failures: Vec<(usize, &str, Option<&str>)> = full
        .records
        .iter()
        .enumerate()
        .filter_map(|(i, r)| {
            r.error_code
                .as_deref()
                .map(|c| (i, c, r.error_message.as_deref()))
        })
        .collect();
    let seen: Vec<(usize, &str, Option<&str>)> = outcome
        .failures
        .iter()
        .map(|f| (f.index, f.error_code.as_str(), f.error_message.as_deref()))
        .collect();
    if outcome.entries != full.records.len()
        || seen != failures
        || outcome.failed_record_count != full.failed_record_count
        || outcome.encryption_type != full.encryption_type
    {
        return Err(format!("outcome {outcome:?} != output {full:?}"));
    }
    Ok(())
}

/// The error a non-2xx answer makes ([`KinesisError::from_response`]).
pub fn error_response(status: u16, headers: Vec<(String, String)>, body: &[u8]) -> KinesisError {
    let resp = HttpResponse {
        status,
        headers,
        body: body.to_vec(),
    };
    KinesisError::from_response("PutRecords", &resp)
}

/// The STS `<Credentials>` of an AssumeRole(WithWebIdentity) answer.
pub fn sts_credentials(body: &str) -> Result<Credentials, String> {
    parsers::parse_credentials_xml(body, "FUZZ")
}

/// An STS error answer: its code, its text and whether it is transient.
pub fn sts_error(status: u16, body: &str) -> (Option<String>, String, bool) {
    parsers::sts_error_text(status, body)
}

/// The JSON of the container and instance-metadata credential endpoints.
pub fn container_credentials(body: &str) -> Result<Credentials, String> {
    parsers::parse_json_credentials(body, "FUZZ")
}

/// The SSO portal's GetRoleCredentials answer.
pub fn sso_role_credentials(body: &str) -> Result<Credentials, String> {
    parsers::parse_sso_role_credentials(body)
}

/// What a `credential_process` printed.
pub fn credential_process_output(stdout: &[u8]) -> Result<Credentials, String> {
    parsers::parse_process_credentials(stdout)
}

/// The shared config / credentials file parser: each section's header and its keys and
/// values (sorted by key).
pub fn profile_ini(text: &str) -> Vec<(String, Vec<(String, String)>)> {
    parsers::parse_ini(text)
        .into_iter()
        .map(|(header, section)| {
            let mut props: Vec<(String, String)> = section.into_iter().collect();
            props.sort();
            (header, props)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A few valid bodies and random damage to them: no entry point panics, and the
    /// parsers that must agree do.
    #[test]
    fn every_entry_point_runs_on_damaged_input_and_the_parsers_agree() {
        let seeds: [&[u8]; 8] = [
            br#"{"Records":[{"SequenceNumber":"1","ApproximateArrivalTimestamp":1.5,"Data":"aGk=","PartitionKey":"k\u00e9","EncryptionType":"KMS"}],"NextShardIterator":"it","MillisBehindLatest":3,"ChildShards":[]}"#,
            br#"{"FailedRecordCount":1,"Records":[{"SequenceNumber":"1","ShardId":"s"},{"ErrorCode":"InternalFailure","ErrorMessage":"m"}],"EncryptionType":"NONE"}"#,
            b"<AssumeRoleResponse><Credentials><AccessKeyId>A</AccessKeyId><SecretAccessKey>s&amp;</SecretAccessKey><SessionToken>t</SessionToken><Expiration>2030-01-02T03:04:05Z</Expiration></Credentials></AssumeRoleResponse>",
            b"<ErrorResponse><Error><Code>Throttling</Code><Message>slow &#x41;</Message></Error></ErrorResponse>",
            br#"{"Code":"Success","AccessKeyId":"A","SecretAccessKey":"s","Token":"t","Expiration":"2030-01-02T03:04:05Z"}"#,
            br#"{"roleCredentials":{"accessKeyId":"A","secretAccessKey":"s","sessionToken":"t","expiration":1893553445000}}"#,
            br#"{"Version":1,"AccessKeyId":"A","SecretAccessKey":"s","Expiration":"2030-01-02T03:04:05+01:00"}"#,
            b"[profile a]\naws_access_key_id = A ; c\n  nested = x\n[sso-session s]\nsso_region=eu-west-1\n",
        ];
        let run_all = |b: &[u8]| {
            let text = String::from_utf8_lossy(b);
            get_records_parsers_agree(b).unwrap();
            put_records_parsers_agree(b).unwrap();
            let _ = get_records(b);
            let _ = error_response(400, vec![("x-amzn-ErrorType".into(), text.to_string())], b);
            let _ = sts_credentials(&text);
            let _ = sts_error(500, &text);
            let _ = container_credentials(&text);
            let _ = sso_role_credentials(&text);
            let _ = credential_process_output(b);
            let _ = profile_ini(&text);
        };
        assert!(sts_credentials(std::str::from_utf8(seeds[2]).unwrap()).is_ok());
        assert_eq!(profile_ini(std::str::from_utf8(seeds[7]).unwrap()).len(), 2);
        let mut rng = fastrand::Rng::with_seed(15);
        let alphabet = b"{}[]<>/\"=;#:,\\ \n0123456789.eE-+&xnul\x00\xc3\xa9";
        for seed in seeds {
            run_all(seed);
            for _ in 0..300 {
                let mut damaged = seed.to_vec();
                for _ in 0..rng.usize(1..4) {
                    let at = rng.usize(..damaged.len());
                    match rng.u8(..3) {
                        0 => damaged[at] = alphabet[rng.usize(..alphabet.len())],
                        1 => {
                            damaged.remove(at);
                        }
                        _ => damaged.insert(at, alphabet[rng.usize(..alphabet.len())]),
                    }
                }
                run_all(&damaged);
            }
        }
    }
}
