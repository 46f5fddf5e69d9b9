//! Credentials and the providers that find them.
//!
//! A [`Provider`] yields [`Credentials`]; providers are `Send + Sync` and called from many
//! threads. Secrets never appear in `Debug` or `Display` output.

use std::fmt;
use std::time::SystemTime;

/// AWS credentials: access key id, secret key, optional session token and expiry.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: Option<String>,
    /// When these credentials stop working; `None` for long-lived keys.
    pub expiry: Option<SystemTime>,
    /// Which provider produced them (for logs), e.g. `"BASIC"`.
    pub provider_name: &'static str,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"******")
            .field(
                "session_token",
                &self.session_token.as_ref().map(|_| "******"),
            )
            .field("expiry", &self.expiry)
            .field("provider_name", &self.provider_name)
            .finish()
    }
}

/// Why credentials could not be had.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CredentialsError {
    /// The provider has nothing to offer here (e.g. an env var is unset); a chain moves on.
    NotFound { provider: &'static str, reason: String },
    /// The provider is configured but failed (bad file, STS error, ...); a chain stops.
    Failed { provider: &'static str, reason: String },
}

impl fmt::Display for CredentialsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CredentialsError::NotFound { provider, reason } => {
                write!(f, "{provider}: no credentials: {reason}")
            }
            CredentialsError::Failed { provider, reason } => {
                write!(f, "{provider}: failed to load credentials: {reason}")
            }
        }
    }
}

impl std::error::Error for CredentialsError {}

/// A source of credentials. Implementations must be cheap to call repeatedly (cache inside)
/// and safe to call from many threads.
pub trait Provider: Send + Sync + fmt::Debug {
    /// Current credentials.
    fn credentials(&self) -> Result<Credentials, CredentialsError>;
    /// Forget cached credentials (called after `ExpiredTokenException`); the next call to
    /// [`Provider::credentials`] fetches fresh ones.
    fn invalidate(&self) {}
}
