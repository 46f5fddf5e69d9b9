//! Entry points for the fuzz harness (`fuzz/`, RELIABILITY.md#fuzzing): thin wrappers
//! around parsers of untrusted input that are private to this crate. Compiled only with the
//! `fuzzing` feature; not API (no semver promise, hidden from the docs).

use std::collections::HashMap;

use crate::credentials::Credentials;
use crate::model::{GetRecordsPage, RecordBatch};

/// The GetRecords fast parser alone; `None` when it leaves the body to serde_json.
pub fn get_records_fast(body: &[u8]) -> Option<GetRecordsPage> {
    crate::model::parse_get_records_page_fast(body)
}

/// The GetRecords serde_json parser alone (the fast parser's fallback).
pub fn get_records_serde(body: &[u8]) -> Result<GetRecordsPage, String> {
    crate::model::parse_get_records_page_serde(body, RecordBatch::default())
}

/// The `<Credentials>` of an STS AssumeRole / AssumeRoleWithWebIdentity response.
pub fn sts_credentials_xml(body: &str) -> Result<Credentials, String> {
    crate::credentials::parse_credentials_xml(body, "FUZZ")
}

/// The JSON of the container (ECS / EKS) and instance-metadata credential endpoints.
pub fn container_credentials_json(body: &str) -> Result<Credentials, String> {
    crate::credentials::parse_json_credentials(body, "FUZZ")
}

/// An SSO GetRoleCredentials answer.
pub fn sso_role_credentials_json(body: &str) -> Result<Credentials, String> {
    crate::credentials::parse_role_credentials(body)
}

/// The sections of a shared `config` / `credentials` file: `(header, properties)`.
pub fn profile_ini(text: &str) -> Vec<(String, HashMap<String, String>)> {
    crate::credentials::parse_ini(text)
}
