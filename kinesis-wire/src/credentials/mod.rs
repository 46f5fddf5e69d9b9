//! Credentials and the providers that find them.
//!
//! A [`Provider`] yields [`Credentials`]; providers are `Send + Sync` and called from many
//! threads. Secrets never appear in `Debug` or `Display` output.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, OnceLock, RwLock};
use std::time::SystemTime;

use crate::config::CredentialsSpec;
use crate::env::SharedEnv;

mod static_keys;

pub use static_keys::{EnvVarProvider, StaticProvider, SysPropProvider};

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
    NotFound {
        provider: &'static str,
        reason: String,
    },
    /// The provider is configured but failed (bad file, STS error, ...); a chain stops.
    Failed {
        provider: &'static str,
        reason: String,
    },
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

impl Credentials {
    /// Credentials from their parts.
    ///
    /// ```
    /// use kinesis_wire::Credentials;
    /// let c = Credentials::new("AKID", "hunter2", None, None, "BASIC");
    /// assert!(!format!("{c:?}").contains("hunter2"));
    /// ```
    pub fn new(
        access_key_id: impl Into<String>,
        secret_access_key: impl Into<String>,
        session_token: Option<String>,
        expiry: Option<SystemTime>,
        provider_name: &'static str,
    ) -> Self {
        Credentials {
            access_key_id: access_key_id.into(),
            secret_access_key: secret_access_key.into(),
            session_token,
            expiry,
            provider_name,
        }
    }
}

/// A function that builds a `CUSTOM` provider (decisions D15).
pub type CustomFactory =
    dyn Fn() -> Result<Arc<dyn Provider>, CredentialsError> + Send + Sync + 'static;

fn custom_registry() -> &'static RwLock<HashMap<String, Arc<CustomFactory>>> {
    static REGISTRY: OnceLock<RwLock<HashMap<String, Arc<CustomFactory>>>> = OnceLock::new();
    REGISTRY.get_or_init(|| RwLock::new(HashMap::new()))
}

/// Registers a provider factory under `name`, for `aws.credentials.provider = CUSTOM` with
/// `aws.credentials.custom.class = <name>` (decisions D15). A later registration under the
/// same name replaces the earlier one. The factory runs each time a client is built.
///
/// ```
/// use std::sync::Arc;
/// use kinesis_wire::credentials::{self, StaticProvider};
/// use kinesis_wire::{Credentials, CredentialsSpec};
/// credentials::register_custom("doc-vault", || {
///     Ok(Arc::new(StaticProvider::new(Credentials::new("AKID", "s", None, None, "vault"))))
/// });
/// let spec = CredentialsSpec::Custom { name: "doc-vault".into() };
/// let p = credentials::from_spec(&spec, kinesis_wire::env::process_env()).unwrap();
/// assert_eq!(p.credentials().unwrap().access_key_id, "AKID");
/// ```
pub fn register_custom(
    name: &str,
    factory: impl Fn() -> Result<Arc<dyn Provider>, CredentialsError> + Send + Sync + 'static,
) {
    custom_registry()
        .write()
        .unwrap_or_else(|e| e.into_inner())
        .insert(name.to_string(), Arc::new(factory));
}

/// Whether a `CUSTOM` provider is registered under `name`.
///
/// ```
/// assert!(!kinesis_wire::credentials::is_custom_registered("doc-nothing-here"));
/// ```
pub fn is_custom_registered(name: &str) -> bool {
    custom_registry()
        .read()
        .unwrap_or_else(|e| e.into_inner())
        .contains_key(name)
}

fn build_custom(name: &str) -> Result<Arc<dyn Provider>, CredentialsError> {
    if name.is_empty() {
        return Err(CredentialsError::Failed {
            provider: "CUSTOM",
            reason: "No custom AWS credential provider class was provided with config key \
                     aws.credentials.provider.custom.class"
                .into(),
        });
    }
    let factory = custom_registry()
        .read()
        .unwrap_or_else(|e| e.into_inner())
        .get(name)
        .cloned();
    match factory {
        Some(f) => f(),
        None => Err(CredentialsError::Failed {
            provider: "CUSTOM",
            reason: format!(
                "no custom credentials provider is registered under the name '{name}' \
                 (aws.credentials.custom.class); register it with \
                 kinesis_wire::credentials::register_custom before building the client"
            ),
        }),
    }
}

/// Builds the provider a [`CredentialsSpec`] describes. Environment variables are read from
/// `env`, never from the process directly, so tests can inject them.
///
/// ```
/// use kinesis_wire::{credentials, env::MapEnv, CredentialsSpec};
/// use std::sync::Arc;
/// let env = Arc::new(MapEnv::from_pairs([
///     ("AWS_ACCESS_KEY_ID", "AKIDENV"),
///     ("AWS_SECRET_ACCESS_KEY", "secret"),
/// ]));
/// let p = credentials::from_spec(&CredentialsSpec::EnvVar, env).unwrap();
/// assert_eq!(p.credentials().unwrap().access_key_id, "AKIDENV");
/// ```
pub fn from_spec(
    spec: &CredentialsSpec,
    env: SharedEnv,
) -> Result<Arc<dyn Provider>, CredentialsError> {
    match spec {
        CredentialsSpec::Basic {
            access_key_id,
            secret_access_key,
            session_token,
        } => Ok(Arc::new(StaticProvider::new(Credentials::new(
            access_key_id.clone(),
            secret_access_key.clone(),
            session_token.clone(),
            None,
            "BASIC",
        )))),
        CredentialsSpec::EnvVar => Ok(Arc::new(EnvVarProvider::new(env))),
        CredentialsSpec::SysProp => Ok(Arc::new(SysPropProvider::new())),
        CredentialsSpec::Custom { name } => build_custom(name),
        other => Err(CredentialsError::Failed {
            provider: "from_spec",
            reason: format!("credentials provider {other:?} is not yet implemented"),
        }),
    }
}
