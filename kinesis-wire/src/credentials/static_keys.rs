//! Providers of long-lived keys: fixed values, environment variables, system properties.

use super::{Credentials, CredentialsError, Provider};
use crate::env::SharedEnv;
use crate::sys_props;

/// Always yields the same credentials (`BASIC`, and for tests and embedding programs).
///
/// ```
/// use kinesis_wire::credentials::{Provider, StaticProvider};
/// use kinesis_wire::credentials::Credentials;
/// let p = StaticProvider::new(Credentials::new("AKID", "secret", None, None, "BASIC"));
/// assert_eq!(p.credentials().unwrap().access_key_id, "AKID");
/// ```
#[derive(Debug, Clone)]
pub struct StaticProvider {
    credentials: Credentials,
}

impl StaticProvider {
    /// A provider that returns `credentials` on every call.
    pub fn new(credentials: Credentials) -> Self {
        StaticProvider { credentials }
    }
}

impl Provider for StaticProvider {
    fn credentials(&self) -> Result<Credentials, CredentialsError> {
        Ok(self.credentials.clone())
    }
}

/// A non-empty value, trimmed; blank counts as unset (as the AWS SDKs do).
fn non_blank(v: Option<String>) -> Option<String> {
    v.map(|s| s.trim().to_string()).filter(|s| !s.is_empty())
}

/// `ENV_VAR`: `AWS_ACCESS_KEY_ID` (or `AWS_ACCESS_KEY`), `AWS_SECRET_ACCESS_KEY` (or
/// `AWS_SECRET_KEY`) and optional `AWS_SESSION_TOKEN`, read on every call.
///
/// ```
/// use std::sync::Arc;
/// use kinesis_wire::credentials::{EnvVarProvider, Provider};
/// use kinesis_wire::env::MapEnv;
/// let p = EnvVarProvider::new(Arc::new(MapEnv::default()));
/// assert!(p.credentials().unwrap_err().to_string().contains("AWS_ACCESS_KEY_ID"));
/// ```
#[derive(Clone)]
pub struct EnvVarProvider {
    env: SharedEnv,
}

// Manual: the environment source may hold secrets (a `MapEnv` prints all its values).
impl std::fmt::Debug for EnvVarProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EnvVarProvider").finish_non_exhaustive()
    }
}

impl EnvVarProvider {
    /// A provider reading `env`.
    pub fn new(env: SharedEnv) -> Self {
        EnvVarProvider { env }
    }
}

impl Provider for EnvVarProvider {
    fn credentials(&self) -> Result<Credentials, CredentialsError> {
        let get =
            |a: &str, b: &str| non_blank(self.env.get(a)).or_else(|| non_blank(self.env.get(b)));
        let akid = get("AWS_ACCESS_KEY_ID", "AWS_ACCESS_KEY").ok_or_else(|| {
            CredentialsError::NotFound {
                provider: "ENV_VAR",
                reason: "Unable to load credentials from system settings. Access key must be \
                         specified either via environment variable (AWS_ACCESS_KEY_ID) or \
                         system property (aws.accessKeyId)."
                    .into(),
            }
        })?;
        let secret = get("AWS_SECRET_ACCESS_KEY", "AWS_SECRET_KEY").ok_or_else(|| {
            CredentialsError::NotFound {
                provider: "ENV_VAR",
                reason: "Unable to load credentials from system settings. Secret key must be \
                         specified either via environment variable (AWS_SECRET_ACCESS_KEY) or \
                         system property (aws.secretAccessKey)."
                    .into(),
            }
        })?;
        let token = non_blank(self.env.get("AWS_SESSION_TOKEN"));
        Ok(Credentials::new(akid, secret, token, None, "ENV_VAR"))
    }
}

/// `SYS_PROP` (decisions D14): `aws.accessKeyId`, `aws.secretKey` (or
/// `aws.secretAccessKey`) and optional `aws.sessionToken` from [`crate::sys_props`], read on
/// every call.
///
/// ```
/// use kinesis_wire::credentials::{Provider, SysPropProvider};
/// // Nothing set under these names in this doctest process.
/// assert!(SysPropProvider::new().credentials().is_err());
/// ```
#[derive(Debug, Clone, Default)]
pub struct SysPropProvider {
    _private: (),
}

impl SysPropProvider {
    /// A provider reading the process-wide property map.
    pub fn new() -> Self {
        SysPropProvider::default()
    }
}

impl Provider for SysPropProvider {
    fn credentials(&self) -> Result<Credentials, CredentialsError> {
        let akid = non_blank(sys_props::get("aws.accessKeyId")).ok_or_else(|| {
            CredentialsError::NotFound {
                provider: "SYS_PROP",
                reason: "Unable to load credentials from system settings. Access key must be \
                         specified either via environment variable (AWS_ACCESS_KEY_ID) or \
                         system property (aws.accessKeyId)."
                    .into(),
            }
        })?;
        let secret = non_blank(sys_props::get("aws.secretKey"))
            .or_else(|| non_blank(sys_props::get("aws.secretAccessKey")))
            .ok_or_else(|| CredentialsError::NotFound {
                provider: "SYS_PROP",
                reason: "Unable to load credentials from system settings. Secret key must be \
                         specified either via environment variable (AWS_SECRET_ACCESS_KEY) or \
                         system property (aws.secretAccessKey)."
                    .into(),
            })?;
        let token = non_blank(sys_props::get("aws.sessionToken"));
        Ok(Credentials::new(akid, secret, token, None, "SYS_PROP"))
    }
}
